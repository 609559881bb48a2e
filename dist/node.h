/*
 * node.h -- a C node: edist's processes taking part in a cluster of
 * Erlang nodes as a hidden node. This is the one header a C program
 * needs to talk to Erlang and Elixir nodes.
 *
 * The model is Erlang's own, cut down to what a C program can do:
 *
 *   - A dist_node has a name ("alive@host") and a creation, like any
 *     node. It can listen for connections (and register its name with
 *     EPMD so that nodes find it), and connect to other nodes. Every
 *     connection runs the handshake (handshake/) and then the channel
 *     (dist/channel.h: framing, atom cache, fragments) and the control
 *     messages (dist/control.h).
 *   - A dist_proc is one of our processes: a pid on our node, a mailbox,
 *     optionally a registered name. A remote process sends to it, links
 *     to it and monitors it exactly as it would an Erlang process.
 *   - Links and monitors follow OTP's rules: when a process of ours ends,
 *     its linked processes get an exit signal and its monitors fire; when
 *     a remote one ends, ours are told; when a connection goes down, each
 *     side sees `noconnection`. Our processes trap exits: an exit signal
 *     arrives as the message {'EXIT', From, Reason}, except `kill`
 *     through exit/2, which ends the process, as in Erlang. A monitor
 *     fires as {'DOWN', Ref, process, Object, Reason}.
 *   - Nothing runs on its own: there are no threads. The node moves only
 *     inside dist_node_run and dist_receive, which wait in poll(2) on
 *     every connection at once, answer ticks, accept connections, run
 *     handshakes, and deliver messages to mailboxes (or to a process's
 *     handler, if it has one).
 *
 * A short example, the shape of every edist command:
 *
 *     dist_node *n;
 *     dist_node_opts o = {.name = "me@localhost", .cookie = "secret"};
 *     if (dist_node_new(&o, &n, &err) != 0) ...
 *     if (dist_node_connect(n, "app@localhost", 0, 5000, &err) != 0) ...
 *     dist_proc *me = dist_proc_new(n, NULL);
 *     etf_arena a = {0};
 *     etf_term msg = etf_tuple(&a, 2);           // {Self, hello}
 *     msg.u.elems[0] = *dist_self(me);
 *     msg.u.elems[1] = etf_atom_z("hello");
 *     dist_send_named(me, "app@localhost", "echo", &msg, &err);
 *     dist_message *m;
 *     if (dist_receive(me, NULL, NULL, 5000, &m, &err) == 1) {
 *         ... m->msg ...
 *         dist_message_free(m);
 *     }
 *     dist_node_free(n);
 *
 * Terms passed in are encoded at once and may be freed afterwards; terms
 * handed out (a message, a pid) live as long as the object they belong
 * to (the dist_message, the dist_proc).
 */
#ifndef EDIST_DIST_NODE_H
#define EDIST_DIST_NODE_H

#include <stdint.h>

#include "dist/dist.h"
#include "etf/etf.h"

typedef struct dist_node dist_node;
typedef struct dist_proc dist_proc;

/* ---------------------------------------------------------------------
 * The node
 * ------------------------------------------------------------------- */

typedef struct dist_node_opts {
    const char *name;       /* "alive@host"; required */
    const char *cookie;     /* required */
    size_t cookie_len;      /* 0: strlen(cookie) */
    uint32_t creation;      /* 0: from EPMD when listening, else random */
    unsigned net_ticktime;  /* seconds; 0: 60, as OTP */
    uint16_t epmd_port;     /* 0: 4369 */
    /* One line per protocol step (handshakes, every message in and out,
     * ticks), for -v. NULL: silent. */
    void (*trace)(void *arg, const char *line);
    /* Events a person should know of even without -v: a connection up or
     * down and why, a message refused. NULL: silent. */
    void (*log)(void *arg, const char *line);
    void *arg;              /* for trace and log */
    /* 1: send every atom in full, never as an atom-cache ref (the peer
     * may still use the cache toward us). For measuring what the cache
     * saves (bench/dist), and for testing a peer's decoder both ways. */
    int plain_atoms;
} dist_node_opts;

/* Makes a node. It has no connections and listens nowhere yet. Returns 0
 * with *out set, or -1 (DIST_ERR_USAGE for a bad name or cookie). */
int dist_node_new(const dist_node_opts *opts, dist_node **out,
                  dist_error *err);

/* Closes every connection (the peers see the node go down), ends every
 * process, unregisters from EPMD and frees everything. */
void dist_node_free(dist_node *n);

/* The node's name, as an atom, and its creation. */
const etf_atom *dist_node_name(const dist_node *n);
uint32_t dist_node_creation(const dist_node *n);

/* Listens on 127.0.0.1/0.0.0.0 `port` (0: any free port) for
 * connections from other nodes and, with `publish`, registers the name
 * with EPMD on this host (ALIVE2), taking EPMD's creation. Returns 0 or -1
 * (the name is taken, no EPMD...). `loopback_only` binds 127.0.0.1. */
int dist_node_listen(dist_node *n, uint16_t port, int publish,
                     int loopback_only, dist_error *err);

/* The port dist_node_listen bound. */
uint16_t dist_node_port(const dist_node *n);

/* Connects to `node` ("alive@host"): through EPMD on its host, or
 * straight to `port` if not 0, then the handshake. Blocks (the other
 * connections wait) for at most timeout_ms. Connecting to a node already
 * connected succeeds at once. */
int dist_node_connect(dist_node *n, const char *node, uint16_t port,
                      int timeout_ms, dist_error *err);

/* Whether a connection to `node` is up. */
int dist_node_connected(const dist_node *n, const char *node);

/* Drops the connection to `node`, as erlang:disconnect_node/1: links and
 * monitors across it end with `noconnection`. */
void dist_node_disconnect(dist_node *n, const char *node);

/* Runs the node for at most timeout_ms (< 0: until dist_node_stop):
 * accepts connections, delivers messages, calls handlers, ticks. Returns
 * 0 when the time is up or the node was stopped, -1 on a failure of the
 * node itself (not of one connection: those are logged and dropped). */
int dist_node_run(dist_node *n, int timeout_ms, dist_error *err);

/* Makes dist_node_run return (from a handler or a signal handler). */
void dist_node_stop(dist_node *n);

/* Called for every message that arrives from a connection, before it is
 * handled, with the control message as a line of text (dist_ctl_format)
 * and the payload, if any. For `edist node`, which prints them all. */
typedef void (*dist_watch_fn)(void *arg, const char *from_node,
                              const char *control, const etf_term *payload);
void dist_node_watch(dist_node *n, dist_watch_fn fn, void *arg);

/* ---------------------------------------------------------------------
 * Processes
 * ------------------------------------------------------------------- */

/* A message in a mailbox. */
typedef struct dist_message {
    etf_term msg;            /* the message */
    etf_term from;           /* the sender's pid when the peer said
                                (SEND_SENDER, REG_SEND); type 0 if not */
    struct dist_message *next; /* private */
    etf_arena arena;         /* private: the message's memory */
} dist_message;

void dist_message_free(dist_message *m);

/* A handler is called with each message a process receives, instead of
 * its mailbox; the message is freed when the handler returns. */
typedef void (*dist_handler)(dist_proc *p, const dist_message *m,
                             void *arg);

/* A new process on node n, with `reg_name` registered for it (NULL: no
 * name) and, if `handler` is not NULL, messages given to it rather than
 * queued. NULL if the name is taken or memory is short. */
dist_proc *dist_proc_new(dist_node *n, const char *reg_name);
dist_proc *dist_proc_new_handler(dist_node *n, const char *reg_name,
                                 dist_handler handler, void *arg);

/* The process's pid. */
const etf_term *dist_self(const dist_proc *p);
dist_node *dist_proc_node(const dist_proc *p);

/* Ends the process with `reason` (NULL: normal): its links get exit
 * signals, its monitors fire, its name is freed, its mailbox and memory
 * too. */
void dist_proc_exit(dist_proc *p, const etf_term *reason);

/* Sends `msg` to the process `to` (a pid, local or on a connected node).
 * A message to a pid of a node we are not connected to is dropped, as
 * Erlang drops it (after trying to connect: Erlang would too). */
int dist_send(dist_proc *from, const etf_term *to, const etf_term *msg,
              dist_error *err);

/* Sends `msg` to the process registered as `name` on `node` (NULL or our
 * own name: a process of ours). */
int dist_send_named(dist_proc *from, const char *node, const char *name,
                    const etf_term *msg, dist_error *err);

/* Waits at most timeout_ms (< 0: for ever) for a message for which
 * match(msg, arg) is non-zero (match NULL: any), running the node
 * meanwhile. Messages that do not match stay in the mailbox, in order.
 * Returns 1 with *out (free it with dist_message_free), 0 when the time
 * ran out, -1 if the node failed. */
int dist_receive(dist_proc *p, int (*match)(const etf_term *msg, void *arg),
                 void *arg, int timeout_ms, dist_message **out,
                 dist_error *err);

/* Links p with `pid` (erlang:link/1): if either ends, the other gets an
 * exit signal. Linking to a process that does not exist gives p the exit
 * signal `noproc`. */
int dist_link(dist_proc *p, const etf_term *pid, dist_error *err);

/* Removes the link (erlang:unlink/1, with OTP 23's UNLINK_ID protocol). */
int dist_unlink(dist_proc *p, const etf_term *pid, dist_error *err);

/* Monitors `target`: a pid, or a registered name on `node` (target an
 * atom; node NULL means ours). *ref (allocated in `a`) is the monitor's
 * reference; the 'DOWN' message carries it. */
int dist_monitor(dist_proc *p, const etf_term *target, const char *node,
                 etf_arena *a, etf_term *ref, dist_error *err);

/* Removes the monitor (erlang:demonitor/1). */
int dist_demonitor(dist_proc *p, const etf_term *ref, dist_error *err);

/* spawn_request/5 on a connected node: starts M:F(Args...) there. With
 * DIST_SPAWN_LINK the new process is linked to p, with DIST_SPAWN_MONITOR
 * monitored by p (the monitor's reference is the request's). The answer
 * arrives in p's mailbox as Erlang delivers it:
 * {spawn_reply, ReqId, ok, Pid} or {spawn_reply, ReqId, error, Reason}.
 * *req_id (allocated in `a`) is the request's reference. */
#define DIST_SPAWN_LINK    1
#define DIST_SPAWN_MONITOR 2
int dist_spawn_request(dist_proc *p, const char *node, const char *module,
                       const char *function, const etf_term *args,
                       unsigned options, etf_arena *a, etf_term *req_id,
                       dist_error *err);

/* Aliases (erlang:alias/1, OTP 24): a reference, allocated in `a`, that
 * other processes can send to (dist_send, or `Alias ! Msg` in Erlang:
 * ALIAS_SEND between nodes) and that delivers to p for as long as it is
 * active. DIST_ALIAS_EXPLICIT: until dist_unalias or p's end;
 * DIST_ALIAS_REPLY: also ends when the first message sent through it
 * arrives. A message to an alias that has ended is dropped. */
enum dist_alias_mode { DIST_ALIAS_EXPLICIT, DIST_ALIAS_REPLY };
int dist_alias(dist_proc *p, enum dist_alias_mode mode, etf_arena *a,
               etf_term *alias, dist_error *err);

/* Ends p's alias `alias` (erlang:unalias/1): 1 if it was one of p's
 * active aliases, 0 if not. */
int dist_unalias(dist_proc *p, const etf_term *alias);

/* Lets other nodes spawn Module:Function/Arity on ours (erlang:spawn/4,
 * spawn_link/4, spawn_monitor/4, spawn_request/5; arity -1: any): each
 * request makes a new process that runs `handler` with `arg`, linked to
 * or monitored by the requester as its options say. The arguments, if
 * the arity is not 0, are its first message (a list; the sender is the
 * requester). Requests for functions not registered are answered
 * `notsup`: a C node runs no Erlang code. */
int dist_node_spawnable(dist_node *n, const char *module,
                        const char *function, int arity,
                        dist_handler handler, void *arg, dist_error *err);

/* A new reference of our node, allocated in `a`. */
etf_term dist_make_ref_node(dist_node *n, etf_arena *a);

#endif
