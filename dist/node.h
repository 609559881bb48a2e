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

/* The distribution flags agreed with `node` (DFLAG_* of
 * handshake/dflags.h), 0 if it is not connected: what the peer can do
 * (DFLAG_SPAWN: spawn_request, OTP 23; DFLAG_ALIAS: aliases, OTP 24). */
uint64_t dist_node_peer_flags(const dist_node *n, const char *node);

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

/* Also waits for `fd` (standard input, say) to be readable, and calls
 * fn(arg, fd) from dist_node_run or dist_receive when it is: the callback
 * reads what it wants, typically turning it into a message to one of our
 * processes (dist_send to itself), as a port sends its owner what it
 * reads. One such fd at a time; fn NULL stops watching. */
typedef void (*dist_fd_fn)(void *arg, int fd);
void dist_node_watch_fd(dist_node *n, int fd, dist_fd_fn fn, void *arg);

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

/* The same with `group_leader` (a pid) as the new process's group
 * leader, the process its I/O requests go to (NULL: p). */
int dist_spawn_request_gl(dist_proc *p, const char *node,
                          const char *module, const char *function,
                          const etf_term *args, unsigned options,
                          const etf_term *group_leader, etf_arena *a,
                          etf_term *req_id, dist_error *err);

/* Sends the exit signal `reason` from p to the process `to`
 * (erlang:exit/2): `kill` ends any process; another reason ends one that
 * does not trap exits, unless it is `normal`. */
int dist_exit(dist_proc *p, const etf_term *to, const etf_term *reason,
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

/* ---------------------------------------------------------------------
 * Calls (dist/call.c): Module:Function(Args) on another node
 * ------------------------------------------------------------------- */

/* How a call ended. */
typedef enum dist_call_class {
    DIST_CALL_RETURN, /* value: what it returned */
    DIST_CALL_THROW,  /* value: the term thrown */
    DIST_CALL_ERROR,  /* value: the error's reason; stack: its stack trace
                         ([] if the node gave none) */
    DIST_CALL_EXIT,   /* value: the exit reason */
    DIST_CALL_BADRPC, /* through rex: value is Reason of {badrpc, Reason} */
    DIST_CALL_FAILED  /* the call did not run, or did not end by itself:
                         value says why (noconnection, killed, a spawn
                         error such as system_limit) */
} dist_call_class;

typedef struct dist_call_result {
    dist_call_class class;
    etf_term value;
    etf_term stack;
} dist_call_result;

/* A call under way. Private; on the caller's stack or in its struct. */
typedef struct dist_call {
    etf_arena arena;
    etf_term tag, req_id;
    int rex;
    int pid_known;
    etf_term pid;     /* the call's process, in arena, once known */
} dist_call;

#define DIST_CALL_REX 1 /* through rex even if the node can spawn */

/* Starts Module:Function(Args) on `node` (connected) for p, with
 * `group_leader` as the group leader of the call (NULL: p): through
 * erpc:execute_call/4 (OTP 23 and later), else or with DIST_CALL_REX
 * through rex. The answer comes to p's mailbox: hand every message to
 * dist_call_take. Returns 0, or -1 with err (*c then needs no release). */
int dist_call_start(dist_proc *p, const char *node, const char *module,
                    const char *function, const etf_term *args,
                    const etf_term *group_leader, unsigned flags,
                    dist_call *c, dist_error *err);

/* What `msg`, a message p received, is to call c: 0 not the call's; 1
 * the call's, but not its end (the spawn reply, the link's 'EXIT'); 2 its
 * answer, with *r (may be NULL) filled with terms that point into msg. */
int dist_call_take(dist_call *c, const etf_term *msg, dist_call_result *r);

/* The pid of the process running the call, once the node said (through
 * rex never); NULL before. Valid until dist_call_release. */
const etf_term *dist_call_pid(const dist_call *c);

/* Stops the call: exit(Pid, kill) to its process, if it is known. */
int dist_call_kill(dist_proc *p, dist_call *c, dist_error *err);

void dist_call_release(dist_call *c);

/* All of the above, waiting at most timeout_ms (< 0: for ever): returns
 * 0 with *out, the message *r points into (free it with
 * dist_message_free), or -1 with err (DIST_ERR_TIMEOUT: the call was
 * killed). Other messages stay in p's mailbox. */
int dist_apply(dist_proc *p, const char *node, const char *module,
               const char *function, const etf_term *args, int timeout_ms,
               dist_message **out, dist_call_result *r, dist_error *err);

/* ---------------------------------------------------------------------
 * A group leader (dist/io_server.c): remote I/O to our stdin and stdout
 * ------------------------------------------------------------------- */

typedef struct dist_io_server dist_io_server;

typedef struct dist_io_opts {
    int in_fd;  /* input requests read here; -1: they get eof */
    int out_fd; /* output requests write here (UTF-8) */
    int binary; /* 1: input comes as binaries (what Elixir's IO.gets
                   expects), 0: as lists of characters (Erlang's) */
} dist_io_opts;

/* Makes p, a process with a mailbox, the I/O server of the calls that
 * name it their group leader. NULL if memory is short. */
dist_io_server *dist_io_new(dist_proc *p, const dist_io_opts *o);

/* Frees it; a request under way gets no reply (its process is waiting
 * on us: end the call, or the connection, first). */
void dist_io_free(dist_io_server *io);

/* Hand every message p receives to this first: returns 1 if it was the
 * server's (it then owns and frees m), 0 if not (m is still yours). */
int dist_io_take(dist_io_server *io, dist_message *m);

/* While it serves a request that waits (for input, or for a format run
 * on the requester's node), other I/O requests must stay in the mailbox,
 * to be served in order: receive with a filter that skips messages for
 * which dist_io_is_request is true while dist_io_busy is. */
int dist_io_busy(const dist_io_server *io);
int dist_io_is_request(const etf_term *msg);

/* Appends chardata (a binary, or a deep, possibly improper list of
 * characters and binaries: what put_chars carries and io_lib:format
 * returns) to out as UTF-8, reading binaries as UTF-8, or as Latin-1
 * bytes with `latin1`, as unicode:characters_to_binary/2 does. Returns 0,
 * or -1 if t is not chardata. */
int dist_io_chardata(const etf_term *t, int latin1, etf_buf *out);

/* Changes the read mode (setopts([binary]) does it from the remote side
 * too). */
void dist_io_set_binary(dist_io_server *io, int binary);

/* A new reference of our node, allocated in `a`. */
etf_term dist_make_ref_node(dist_node *n, etf_arena *a);

#endif
