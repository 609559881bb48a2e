/*
 * node_internal.h -- the data of a C node (dist/node.h), shared by
 * node.c (connections and the event loop), proc.c (processes, mailboxes,
 * the calls a process makes) and signal.c (what arrives from other
 * nodes). Not part of the API.
 *
 * Remote pids and references are kept as "keys": their external format
 * bytes, encoded by edist (so that one pid always has the same bytes,
 * whatever encoding the peer chose). Keys compare with memcmp and decode
 * back into terms when a message needs them.
 */
#ifndef EDIST_DIST_NODE_INTERNAL_H
#define EDIST_DIST_NODE_INTERNAL_H

#include "dist/channel.h"
#include "dist/control.h"
#include "dist/dist.h"
#include "dist/node.h"
#include "handshake/hs.h"

/* A term's bytes, owned (malloc). */
typedef struct dist_key {
    uint8_t *bytes;
    size_t len;
} dist_key;

int dist_key_make(const etf_term *t, dist_key *k);
int dist_key_eq(const dist_key *a, const dist_key *b);
int dist_key_is(const dist_key *k, const etf_term *t);
void dist_key_free(dist_key *k);
/* The term again, allocated in `a` (pointing into k's bytes). */
int dist_key_term(const dist_key *k, etf_arena *a, etf_term *out);
/* A copy of t in `a` that owns its bytes: for a message that changes
 * hands between two of our processes, or a term kept after its
 * message is freed. */
int dist_copy_term(const etf_term *t, etf_arena *a, etf_term *out);

/* One connection to another node. */
enum conn_state { CONN_HANDSHAKE, CONN_UP, CONN_DEAD };

typedef struct dist_peer {
    struct dist_peer *next;
    dist_node *node;
    int fd;
    enum conn_state state;
    char name[HS_MAX_NAME + 1];   /* the other node */
    uint64_t flags;               /* agreed */
    uint32_t creation;            /* the other node's */
    hs_ctx *hs;                   /* during the handshake */
    dist_reader in;
    dist_channel ch;
    int ch_ready;                 /* ch was initialised */
    etf_buf out;                  /* bytes waiting to be written */
    size_t out_off;
    int64_t last_sent_ms, last_recv_ms;
} dist_peer;

/* A link of one of our processes. */
typedef struct dist_link_entry {
    dist_key pid;                 /* the other end */
    uint64_t unlinking;           /* our UNLINK_ID waiting for its ack */
    char peer[HS_MAX_NAME + 1];   /* its node; "" for a process of ours */
} dist_link_entry;

/* A monitor: ours on something (watcher is one of our processes), or a
 * remote process's on one of ours. */
typedef struct dist_mon {
    struct dist_mon *next;
    dist_key ref;
    int ours;                     /* 1: our process watches; 0: a remote
                                     process watches one of ours */
    dist_proc *local;             /* our process (watcher or watched) */
    dist_key remote;              /* the remote pid (watched or watcher) */
    dist_key name;                /* watched by name: the atom; else empty */
    char peer[HS_MAX_NAME + 1];   /* the node on the other side */
} dist_mon;

/* A function other nodes may spawn on ours (spawn.c). */
typedef struct dist_spawnable {
    struct dist_spawnable *next;
    char module[ETF_MAX_ATOM_BYTES + 1], function[ETF_MAX_ATOM_BYTES + 1];
    int arity;                    /* -1: any */
    dist_handler handler;
    void *arg;
} dist_spawnable;

/* An active alias of one of our processes (alias.c). */
typedef struct dist_alias_entry {
    struct dist_alias_entry *next;
    dist_key ref;                 /* the alias */
    dist_proc *proc;              /* its process */
    int reply;                    /* ends with the first message through it */
} dist_alias_entry;

struct dist_proc {
    dist_proc *next;
    dist_node *node;
    etf_term self;                /* points into self_pid */
    etf_pid self_pid;
    dist_key key;
    char regname[ETF_MAX_ATOM_BYTES + 1];
    dist_handler handler;
    void *handler_arg;
    dist_message *mbox_head, *mbox_tail;
    dist_link_entry *links;
    size_t nlinks, caplinks;
    dist_key group_leader;        /* set by GROUP_LEADER; empty if none */
    int dead;                     /* ended: no name, no messages */
    int running;                  /* its handler is running */
    int free_pending;             /* free it when the handler returns */
};

struct dist_node {
    char name[HS_MAX_NAME + 1];
    etf_atom name_atom;
    uint32_t creation;
    char cookie[HS_MAX_COOKIE + 1];
    size_t cookie_len;
    unsigned ticktime_ms;
    uint16_t epmd_port;
    int plain_atoms;              /* dist_node_opts.plain_atoms */
    void (*trace)(void *arg, const char *line);
    void (*log)(void *arg, const char *line);
    void *arg;
    dist_watch_fn watch;
    void *watch_arg;
    int extra_fd;                 /* dist_node_watch_fd; -1: none */
    dist_fd_fn extra_fn;
    void *extra_arg;

    int listen_fd, epmd_fd;
    uint16_t port;
    struct dist_pool *pool;       /* large message buffers, for reuse */
    dist_peer *peers;
    dist_proc *procs;
    dist_mon *mons;
    dist_alias_entry *aliases;
    dist_spawnable *spawnables;
    uint32_t next_pid, next_ref;
    uint64_t next_unlink_id;
    int stop;
    unsigned long delivered;      /* messages given to our processes */
};

/* node.c */
void dist_node_logf(dist_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dist_node_tracef(dist_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
dist_peer *dist_peer_find(dist_node *n, const char *name, size_t len);
/* Queues one message to a peer and writes what the socket takes now. */
int dist_peer_send(dist_peer *p, const dist_ctl *c, const etf_term *payload,
                   uint64_t seq_id, dist_error *err);
/* The connection to the node of `pid` (a pid or ref term), connecting if
 * needed; NULL (with err) if there is none. */
dist_peer *dist_peer_for(dist_node *n, const etf_atom *node,
                         dist_error *err);
/* Marks a connection dead (reason logged); it is torn down by the loop,
 * with noconnection for its links and monitors. */
void dist_peer_kill(dist_peer *p, const char *reason);
/* One round of the event loop: waits at most timeout_ms. */
int dist_node_poll(dist_node *n, int timeout_ms, dist_error *err);

/* proc.c */
int dist_is_local_pid(const dist_node *n, const etf_term *t);
/* t is a reference of our node (this incarnation): maybe an alias. */
int dist_is_local_ref(const dist_node *n, const etf_term *t);
dist_proc *dist_proc_by_pid(dist_node *n, const etf_term *pid);
dist_proc *dist_proc_by_name(dist_node *n, const char *name, size_t len);
/* Gives a message (terms in `a`, which the message takes over) to p:
 * its handler or its mailbox. */
void dist_deliver(dist_proc *p, etf_arena *a, const etf_term *msg,
                  const etf_term *from);
/* An exit signal from `from` with `reason` for p, linked or not. */
void dist_exit_signal(dist_proc *p, const etf_term *from,
                      const etf_term *reason, int linked);
void dist_proc_free_all(dist_node *n);
int dist_link_find(const dist_proc *p, const etf_term *pid);
void dist_link_remove(dist_proc *p, size_t i);
int dist_link_add(dist_proc *p, const etf_term *pid);
/* A new monitor, first in the node's list: its reference, and the remote
 * pid and the watched name if given (NULL: none, or set later); peer is
 * the node on the other side (NULL: ours). NULL if memory is short. */
dist_mon *dist_mon_new(dist_node *n, dist_proc *local, int ours,
                       const etf_term *ref, const etf_term *remote,
                       const etf_term *name, const char *peer);
void dist_mon_free(dist_mon *m);
/* A monitor of ours on a remote process ended: 'DOWN' to the watcher. */
void dist_mon_down(dist_node *n, dist_mon *m, const etf_term *reason);

/* alias.c */
/* The process a message to `ref` goes to: the owner of the active alias
 * `ref`, or NULL. A DIST_ALIAS_REPLY alias ends here. */
dist_proc *dist_alias_target(dist_node *n, const etf_term *ref);
/* Ends every alias of p (p ended). */
void dist_alias_drop_proc(dist_node *n, const dist_proc *p);

/* spawn.c */
/* Answers a SPAWN_REQUEST(_TT) `c` with arguments `args` (in `a`, which
 * a new process takes over with its first message). */
void dist_spawn_in(dist_peer *p, const dist_ctl *c, const etf_term *args,
                   etf_arena *a);
void dist_spawnables_free(dist_node *n);

/* net_kernel.c: the handler of our net_kernel process. */
void dist_net_kernel(dist_proc *p, const dist_message *m, void *arg);

/* signal.c */
/* Handles one message that arrived on a connection. Returns -1 if the
 * message breaks the protocol (the connection is then dropped). */
int dist_signal_in(dist_peer *p, etf_arena *a, const dist_msg *m,
                   dist_error *err);
/* Ends links and monitors across a connection that went down. */
void dist_signal_nodedown(dist_node *n, const char *peer);

#endif
