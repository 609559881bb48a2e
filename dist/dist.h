/*
 * dist.h -- the distribution channel: what flows between two nodes once
 * the handshake is done, and a blocking connection for the command.
 *
 * After the handshake (handshake/hs.h) both sides frame every packet
 * with a 4-byte big-endian length. A packet of length 0 is a tick: "I am
 * still here". Any other packet is a message. edist does not offer
 * DFLAG_DIST_HDR_ATOM_CACHE, so the peer sends every message in the
 * pass-through form:
 *
 *     4-byte length | 112 | 131 Control | [131 Payload]
 *
 * Control is a tuple whose first element is the operation (DOP_SEND,
 * DOP_REG_SEND..., all named in dist/control.h); some operations carry a payload term after it (the
 * message of a send). This file's first half is that framing, sans I/O:
 * it is fed bytes and returns packets, and builds the bytes of a packet;
 * the second half is a blocking connection over TCP that the command's
 * subcommands use (connect, send, receive with ticks handled, close) and
 * the request net_adm:ping/1 makes.
 *
 * This is the part of the channel that `edist ping` needs; the atom cache,
 * fragments and the rest of the control messages come with the node
 * runtime.
 *
 * Memory: a dist_reader owns its buffer (dist_reader_release). Terms
 * that dist_conn_recv returns live in the connection's arena until the next
 * dist_conn_recv or dist_close.
 */
#ifndef EDIST_DIST_H
#define EDIST_DIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "etf/etf.h"
#include "handshake/hs.h"

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

typedef enum dist_errcode {
    DIST_OK = 0,
    DIST_ERR_USAGE,     /* a bad argument (a node name, an option) */
    DIST_ERR_CONNECT,   /* no EPMD, node not registered, refused, reset */
    DIST_ERR_AUTH,      /* cookie rejected, or not allowed */
    DIST_ERR_TIMEOUT,   /* the timeout ran out */
    DIST_ERR_CLOSED,    /* the peer closed the connection, or went silent
                           for longer than net_ticktime */
    DIST_ERR_PROTOCOL,  /* bytes that break the protocol */
    DIST_ERR_REMOTE,    /* the node answered, but not what was asked */
    DIST_ERR_NOMEM
} dist_errcode;

typedef struct dist_error {
    dist_errcode code;
    char message[640];
} dist_error;

/* The exit code of DESIGN.md for an error: 2 usage, 3 connection, 4
 * authentication, 5 timeout, 1 a remote answer that is not success. */
int dist_exit_code(const dist_error *err);

/* ---------------------------------------------------------------------
 * Framing, sans I/O
 * ------------------------------------------------------------------- */

/* The pass-through tag before a message's terms. */
#define DIST_PASS_THROUGH 112

/* Packets larger than this are refused (a hostile length must not make
 * the reader allocate gigabytes). */
#define DIST_DEFAULT_MAX_PACKET ((size_t)256 << 20)

/* Cuts a byte stream into packets. Start it as {0}. */
typedef struct dist_reader {
    uint8_t *buf;
    size_t len, cap;   /* buf[0..len) holds bytes not yet returned */
    size_t start;      /* where the next packet's length begins */
    size_t max_packet; /* 0: DIST_DEFAULT_MAX_PACKET */
    /* A packet under way whose body goes elsewhere (dist_reader_divert):
     * its length and first div_keep bytes stay in buf, the rest goes to
     * the caller's memory, div_left bytes of it still to come at div. */
    uint8_t *div;      /* NULL: no packet is diverted */
    size_t div_keep, div_left;
    size_t placed;     /* of the packet dist_reader_next returned last */
} dist_reader;

/* Appends received bytes. Returns 0, or -1 (DIST_ERR_NOMEM). */
int dist_reader_feed(dist_reader *r, const uint8_t *data, size_t len,
                     dist_error *err);

/* Where to receive next without the copy of dist_reader_feed, as readv(2)
 * takes it: fills iov[0..n) and returns n, 1 or 2; -1 if memory is short
 * (DIST_ERR_NOMEM). While a packet is diverted, iov[0] is the rest of its
 * body, at the caller's memory; then comes room in the reader's buffer:
 * at least `want` bytes, more when a large packet is under way (room for
 * all of it). Receive into them in order, then call dist_reader_commit
 * with the count. */
int dist_reader_iov(dist_reader *r, size_t want, struct iovec iov[2],
                    dist_error *err);
void dist_reader_commit(dist_reader *r, size_t n);

/* The packet under way, for a caller that would place its body itself
 * (dist_channel_place): returns 1 with its first bytes (*head, *have of
 * them) and its length (*total) when its length has come and it is not
 * complete yet; 0 otherwise, and when a packet is diverted already. */
int dist_reader_pending(const dist_reader *r, const uint8_t **head,
                        size_t *have, size_t *total);

/* Sends the bytes of the packet under way (dist_reader_pending), from
 * offset `keep` on (keep <= have), to dst, which has room for
 * total - keep of them: those received already are copied there now,
 * the rest are received there (dist_reader_iov, dist_reader_feed). Once
 * they are all in, dist_reader_next returns the packet's first keep
 * bytes as the packet, and dist_reader_placed the count that went to dst.
 * dst must stay valid until then. */
void dist_reader_divert(dist_reader *r, size_t keep, uint8_t *dst);

/* The next complete packet: returns 1 with *pkt and *len set (len 0 is a
 * tick; *pkt stays valid until the next call on r), 0 if more bytes are
 * needed, -1 if the length is over max_packet (DIST_ERR_PROTOCOL). A
 * diverted packet comes as its first bytes only (see dist_reader_divert). */
int dist_reader_next(dist_reader *r, const uint8_t **pkt, size_t *len,
                     dist_error *err);

/* How many bytes of the packet dist_reader_next returned last went to the
 * memory given to dist_reader_divert: 0 for a packet that was not
 * diverted. */
size_t dist_reader_placed(const dist_reader *r);

void dist_reader_release(dist_reader *r);

/* A received message: the control tuple and, if it has one, the payload. */
typedef struct dist_msg {
    etf_term control;
    int has_payload;
    etf_term payload;
} dist_msg;

/* Decodes a packet (without its length) in the pass-through form.
 * Control must be a tuple whose first element is an integer. Terms go
 * into `a` and point into pkt. Returns 0, or -1 (DIST_ERR_PROTOCOL with
 * the decoder's message, or DIST_ERR_NOMEM). */
int dist_msg_decode(const uint8_t *pkt, size_t len, etf_arena *a,
                    dist_msg *out, dist_error *err);

/* Appends a whole packet (length, 112, control, payload if not NULL) to
 * out. Returns 0, or -1 if a term cannot be encoded. */
int dist_msg_encode(const etf_term *control, const etf_term *payload,
                    etf_buf *out, dist_error *err);

/* ---------------------------------------------------------------------
 * A blocking connection
 * ------------------------------------------------------------------- */

/* How dist_connect finds and authenticates with a node. */
typedef struct dist_connect_opts {
    const hs_node_name *peer; /* the node to reach */
    uint16_t port;            /* its distribution port; 0: ask EPMD */
    uint16_t epmd_port;       /* 0: 4369 */
    const char *our_name;     /* "alive@host" */
    int dynamic_name;         /* ask the peer to name us (DFLAG_NAME_ME):
                                 only our_name's host is sent; its alive
                                 part is used with a node too old for it */
    uint32_t creation;        /* ours, not 0 (ignored with dynamic_name) */
    const char *cookie;
    size_t cookie_len;
    int timeout_ms;           /* for EPMD, TCP and the handshake */
    unsigned net_ticktime;    /* seconds; 0: 60, as OTP */
    uint64_t flags;           /* the flags to offer; 0: HS_EDIST_FLAGS,
                                 which dist_conn_send/dist_conn_recv understand (the
                                 node runtime, dist/node.h, offers more) */
    /* One line per protocol step (EPMD, handshake, messages), for -v. */
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
} dist_connect_opts;

typedef struct dist_conn {
    int fd;
    hs_result peer;           /* names, flags and creations agreed */
    dist_reader in;
    etf_arena arena;          /* terms of the last message received */
    etf_buf out;              /* scratch for encoding */
    int64_t last_sent_ms, last_recv_ms;
    unsigned ticktime_ms;
    uint32_t next_id;         /* for our pids and references */
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
} dist_conn;

/* Finds the node's port through EPMD (unless opts->port is set),
 * connects, and runs the handshake as initiator. On success the
 * connection is ready for dist_conn_send / dist_conn_recv. On failure, err says why
 * in words a person can act on (no EPMD, which names are registered,
 * refused, cookie rejected...), and nothing is left open. */
int dist_connect(dist_conn *c, const dist_connect_opts *opts,
                 dist_error *err);

/* Sends one message. Returns 0 or -1. */
int dist_conn_send(dist_conn *c, const etf_term *control,
              const etf_term *payload, dist_error *err);

/* Waits at most timeout_ms (< 0: for ever) for the next message, sending
 * ticks while it waits and swallowing the peer's. A peer silent for
 * longer than net_ticktime is DIST_ERR_CLOSED, as OTP would declare it
 * down. The message's terms live in c->arena until the next call. */
int dist_conn_recv(dist_conn *c, int timeout_ms, dist_msg *out,
              dist_error *err);

/* Closes the connection and frees everything. */
void dist_close(dist_conn *c);

/* A new pid of ours (on our node name and creation), or a new reference;
 * allocated in `a`. */
etf_term dist_make_pid(dist_conn *c, etf_arena *a);
etf_term dist_make_ref(dist_conn *c, etf_arena *a);

/* What net_adm:ping/1 does once connected: a gen_server call
 * {is_auth, OurNode} to the peer's net_kernel, and waits for the answer.
 * Returns 0 if the answer is `yes`, -1 otherwise (DIST_ERR_REMOTE for any
 * other answer, or a connection error). */
int dist_ping(dist_conn *c, int timeout_ms, dist_error *err);

#endif
