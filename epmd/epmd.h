/*
 * epmd.h -- EPMD, the Erlang Port Mapper Daemon: its requests and replies,
 * and small blocking client calls with timeouts.
 *
 * What EPMD is for
 * ----------------
 * A node listens for distribution connections on a port the kernel chose
 * at random. To be found, it tells the EPMD on its own host "node `foo`
 * listens on port 34973" (ALIVE2_REQ) and keeps that TCP connection open
 * for as long as it lives: EPMD forgets the name when the connection
 * closes. Someone who wants to talk to foo@host asks the EPMD on `host`,
 * always at a well-known port (4369), for foo's port (PORT_PLEASE2_REQ),
 * then connects there. `epmd -names` asks for the whole list (NAMES_REQ).
 *
 * The wire format
 * ---------------
 * Every request is a 2-byte big-endian length followed by that many bytes,
 * the first of which is the request code. Replies carry no length prefix:
 * the reader knows each reply's layout, and for NAMES reads until EPMD
 * closes the connection. Source: OTP's erl_dist_protocol.md,
 * erts/epmd/src/epmd_srv.c and lib/kernel/src/erl_epmd.erl.
 *
 * Two halves
 * ----------
 * The codec (epmd_encode_*, epmd_decode_*) does no I/O: it turns requests
 * into bytes and bytes into replies, so every rule can be tested with byte
 * vectors. The decoders treat their input as hostile: every length is
 * checked against the bytes present, a reply that stops early is reported
 * as EPMD_ERR_TRUNCATED (so a reader can tell "read more" from "garbage"),
 * and decoded names point into the caller's buffer rather than being
 * copied.
 *
 * The client (epmd_names, epmd_port_please, epmd_register) connects,
 * sends one request, reads the reply and decodes it, all within one
 * timeout. Its errors say what happened in words a person can act on:
 * "no EPMD at localhost:4369 (connection refused): is a node running
 * there?", or which names *are* registered when the one asked for is not.
 *
 * Errors
 * ------
 * Functions that can fail return 0 on success and -1 on failure and fill
 * an epmd_error (if not NULL) with a code and a message. Nothing here keeps
 * global state.
 */
#ifndef EDIST_EPMD_H
#define EDIST_EPMD_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * Protocol constants, named as in OTP's erts/epmd/src/epmd.h.
 * ------------------------------------------------------------------- */

/* The port EPMD listens on unless told otherwise (OTP's build defines it
 * as EPMD_PORT_NO; erl_epmd.erl calls it erlang_daemon_port). */
#define EPMD_PORT_NO 4369

/* Requests (the first byte after the 2-byte length). */
#define EPMD_ALIVE2_REQ  'x' /* 120: register a node */
#define EPMD_PORT2_REQ   'z' /* 122: where does node NAME listen? */
#define EPMD_NAMES_REQ   'n' /* 110: all registered names */
#define EPMD_DUMP_REQ    'd' /* 100: debugging dump (local peers only) */
#define EPMD_KILL_REQ    'k' /* 107: stop EPMD (local peers only) */
#define EPMD_STOP_REQ    's' /* 115: unregister a name (needs -relaxed_command_check) */
/* erl_epmd.erl and erl_dist_protocol.md call EPMD_PORT2_REQ by this name. */
#define EPMD_PORT_PLEASE2_REQ EPMD_PORT2_REQ

/* Replies (the first byte of what EPMD sends back). */
#define EPMD_ALIVE2_RESP   'y' /* 121: result, 2-byte creation */
#define EPMD_ALIVE2_X_RESP 'v' /* 118: result, 4-byte creation; the answer
                                  to a request whose highest version is
                                  6 or more (OTP 23 and later) */
#define EPMD_PORT2_RESP    'w' /* 119: result, then the node's entry */

/* Node types. EPMD stores the byte and gives it back in PORT2_RESP; no one
 * acts on it. Real Erlang nodes send 'M' even when started -hidden
 * (erl_epmd.erl hard-codes $M); erl_interface's ei_publish sends 'h'. */
#define EPMD_NODE_TYPE_NORMAL    77  /* 'M' */
#define EPMD_NODE_TYPE_HIDDEN    72  /* 'H', as erl_dist_protocol.md says */
#define EPMD_NODE_TYPE_R4_HIDDEN 104 /* 'h', what ei_publish sends */

/* The protocol byte: 0 is TCP (erl_epmd.erl sends 0 for IPv6 too). */
#define EPMD_PROTO_TCP 0

/* Distribution handshake versions, as erl_epmd.erl's epmd_dist_high and
 * epmd_dist_low: 5 is the pre-OTP-23 handshake, 6 the OTP 23 one (the
 * 'N' name message with 64-bit flags and a 32-bit creation). */
#define EPMD_DIST_HIGH 6
#define EPMD_DIST_LOW  5

/* EPMD refuses names of more than 255 characters (an atom's limit), which
 * is at most 255 * 4 bytes of UTF-8 (MAXSYMLEN in epmd_int.h), and Extra
 * fields longer than MAXSYMLEN bytes. */
#define EPMD_MAX_NAME_CHARS 255
#define EPMD_MAX_NAME_BYTES 1020
#define EPMD_MAX_EXTRA      1020

/* The largest request the encoders make: ALIVE2_REQ with the longest name
 * and Extra. A buffer of this size always suffices. */
#define EPMD_MAX_REQUEST (2 + 13 + EPMD_MAX_NAME_BYTES + EPMD_MAX_EXTRA)

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

typedef enum epmd_errcode {
    EPMD_OK = 0,
    EPMD_ERR_ARG,            /* a bad argument: a name EPMD would refuse,
                                a port that is not 1..65535, a buffer too
                                small */
    EPMD_ERR_TRUNCATED,      /* a reply that stops before its end; from
                                the decoders: more bytes are needed */
    EPMD_ERR_BAD_REPLY,      /* bytes that are not the reply asked for */
    EPMD_ERR_RESOLVE,        /* the host name does not resolve */
    EPMD_ERR_REFUSED,        /* nothing listens at host:port */
    EPMD_ERR_CONNECT,        /* another reason a connection failed
                                (no route to host, ...) */
    EPMD_ERR_TIMEOUT,        /* the timeout ran out */
    EPMD_ERR_RESET,          /* the peer reset the connection */
    EPMD_ERR_CLOSED,         /* the peer closed without answering */
    EPMD_ERR_IO,             /* any other socket error */
    EPMD_ERR_NOT_REGISTERED, /* PORT_PLEASE2: no node of that name */
    EPMD_ERR_REGISTER,       /* ALIVE2: EPMD refused the registration */
    EPMD_ERR_NOMEM           /* out of memory */
} epmd_errcode;

typedef struct epmd_error {
    epmd_errcode code;
    char message[512];
} epmd_error;

/* A short fixed name for an error code ("connection refused", ...). */
const char *epmd_strerror(epmd_errcode code);

/* ---------------------------------------------------------------------
 * Which port EPMD is on
 * ------------------------------------------------------------------- */

/* The EPMD port, as erl chooses it: the `--epmd-port` option's value if
 * `option` is not NULL, else the ERL_EPMD_PORT environment variable's
 * value if `env` is neither NULL nor empty, else EPMD_PORT_NO. A value must
 * be a decimal number from 1 to 65535; anything else fails with
 * EPMD_ERR_ARG and a message naming where the bad value came from. */
int epmd_port_from(const char *option, const char *env, uint16_t *port,
                   epmd_error *err);

/* ---------------------------------------------------------------------
 * What EPMD knows about a node
 * ------------------------------------------------------------------- */

/* One node's entry: what ALIVE2_REQ registers and PORT2_RESP returns.
 * The name and Extra are not NUL-terminated. In a decoded reply they point
 * into the reply's bytes; in a request they belong to the caller. */
typedef struct epmd_node_info {
    const char *name;         /* the part of the node name before '@',
                                 UTF-8 */
    size_t name_len;
    uint16_t port;            /* where the node accepts distribution
                                 connections */
    uint8_t node_type;        /* EPMD_NODE_TYPE_* */
    uint8_t protocol;         /* EPMD_PROTO_TCP */
    uint16_t highest_version; /* distribution versions the node speaks */
    uint16_t lowest_version;
    const uint8_t *extra;     /* opaque, usually empty */
    size_t extra_len;
} epmd_node_info;

/* ---------------------------------------------------------------------
 * The codec: requests
 *
 * Each encoder writes one complete request (the 2-byte length included)
 * to out[0..cap) and sets *len to its size. A name EPMD would refuse (empty,
 * over 255 characters, not UTF-8, with a NUL byte) or a whole node name
 * given where only the part before '@' belongs fails with EPMD_ERR_ARG
 * before anything is written; so does a buffer smaller than the request
 * (EPMD_MAX_REQUEST is always enough).
 * ------------------------------------------------------------------- */

/* NAMES_REQ: 00 01 6e. */
int epmd_encode_names_req(uint8_t *out, size_t cap, size_t *len,
                          epmd_error *err);

/* PORT_PLEASE2_REQ: [2] 1+N, 'z', [N] name. */
int epmd_encode_port2_req(const char *name, size_t name_len, uint8_t *out,
                          size_t cap, size_t *len, epmd_error *err);

/* ALIVE2_REQ: [2] 13+N+E, 'x', [2] port, [1] node type, [1] protocol,
 * [2] highest version, [2] lowest version, [2] N, [N] name, [2] E,
 * [E] extra. EPMD answers with ALIVE2_X_RESP if highest_version >= 6 and
 * with the older ALIVE2_RESP otherwise. */
int epmd_encode_alive2_req(const epmd_node_info *node, uint8_t *out,
                           size_t cap, size_t *len, epmd_error *err);

/* ---------------------------------------------------------------------
 * The codec: replies
 *
 * A decoder is given the bytes read so far. It returns 0 when they hold a
 * complete reply, with *used set to the reply's size (bytes after it are
 * not examined). It returns -1 with EPMD_ERR_TRUNCATED when the bytes are a
 * correct beginning that stops early -- read more and call again -- and -1
 * with EPMD_ERR_BAD_REPLY when they cannot be the start of this reply.
 * ------------------------------------------------------------------- */

/* The answer to ALIVE2_REQ. */
typedef struct epmd_alive2_reply {
    uint8_t code;      /* EPMD_ALIVE2_X_RESP (6 bytes: 'v', result,
                          [4] creation) or EPMD_ALIVE2_RESP (4 bytes: 'y',
                          result, [2] creation) */
    uint8_t result;    /* 0: registered; anything else: refused (EPMD uses
                          1, for a name already taken or one it rejects) */
    uint32_t creation; /* the incarnation number to put in our pids, refs
                          and ports; never 0 on success. EPMD sends 99 on
                          failure, which means nothing. */
} epmd_alive2_reply;

int epmd_decode_alive2_resp(const uint8_t *buf, size_t len,
                            epmd_alive2_reply *out, size_t *used,
                            epmd_error *err);

/* The answer to PORT_PLEASE2_REQ: 'w', result; then, only if the result
 * is 0, the node's entry laid out as in ALIVE2_REQ (without the length and
 * request code). A non-zero result (EPMD sends 1) means no node of that
 * name is registered; the reply is then 2 bytes long and this still
 * returns 0, with *result set and *node untouched. node->name and
 * node->extra point into buf. */
int epmd_decode_port2_resp(const uint8_t *buf, size_t len, uint8_t *result,
                           epmd_node_info *node, size_t *used,
                           epmd_error *err);

/* The answer to NAMES_REQ: [4] the port EPMD listens on, then one line
 * "name NAME at port PORT\n" per registered node, then EPMD closes the
 * connection. There is no count, so pass the whole reply, read up to the
 * close: fewer than 4 bytes is EPMD_ERR_TRUNCATED, anything after the port
 * is text. */
typedef struct epmd_names_reply {
    uint32_t epmd_port; /* the port EPMD says it listens on */
    const char *text;   /* the lines, exactly as sent; points into the
                           buffer; not NUL-terminated, possibly empty */
    size_t text_len;
} epmd_names_reply;

int epmd_decode_names_resp(const uint8_t *buf, size_t len,
                           epmd_names_reply *out, epmd_error *err);

/* One line of a NAMES reply. */
typedef struct epmd_name_entry {
    const char *name; /* points into the reply's text */
    size_t name_len;
    uint16_t port;
} epmd_name_entry;

/* Iterates over the lines of a NAMES reply: start with *pos = 0; each call
 * returns 1 and fills *entry with the next line that has the form "name
 * NAME at port PORT", or returns 0 at the end. As erl_epmd.erl does, lines
 * of any other form, and a last line without its newline, are skipped;
 * NAME ends at the first space. */
int epmd_names_next(const epmd_names_reply *reply, size_t *pos,
                    epmd_name_entry *entry);

/* ---------------------------------------------------------------------
 * The client
 * ------------------------------------------------------------------- */

/* Receives one line of text (no newline) for each step a call takes:
 * connecting, each message sent and received with its fields decoded. For
 * `-v`, so that a person can learn the protocol by watching it. */
typedef void (*epmd_trace_fn)(void *ctx, const char *line);

/* Where EPMD is and how long to wait for it. */
typedef struct epmd_client {
    const char *host;    /* a host name, an IPv4 address, or an IPv6
                            address with or without [brackets]; NULL or
                            "" means "localhost" */
    uint16_t port;       /* EPMD's port; 0 means EPMD_PORT_NO */
    int timeout_ms;      /* for the whole call, name resolution aside
                            (getaddrinfo cannot be interrupted); <= 0
                            waits for ever */
    epmd_trace_fn trace; /* NULL: no trace */
    void *trace_ctx;
} epmd_client;

/* The bytes of a reply, which the decoded values point into. Start it as
 * {0}; a call fills it (replacing what it held), and epmd_reply_release
 * frees it. */
typedef struct epmd_reply {
    uint8_t *data;
    size_t len, cap;
} epmd_reply;

void epmd_reply_release(epmd_reply *r);

/* The names registered at EPMD, as `epmd -names` shows them. *out points
 * into *raw. The 4-byte port alone (EPMD knows no nodes) is a success with
 * empty text. */
int epmd_names(const epmd_client *c, epmd_reply *raw,
               epmd_names_reply *out, epmd_error *err);

/* Where node `name` (the part before '@', NUL-terminated) listens, with
 * the rest of its entry: versions, node type, protocol, Extra. *node
 * points into *raw. If EPMD knows no such node the error is
 * EPMD_ERR_NOT_REGISTERED, and its message lists the names that are
 * registered there (a second, NAMES, request) or says there are none. */
int epmd_port_please(const epmd_client *c, const char *name,
                     epmd_reply *raw, epmd_node_info *node,
                     epmd_error *err);

/* Registers `node` (ALIVE2_REQ) and returns EPMD's creation for it.
 * EPMD keeps the name for as long as the connection stays open, so on
 * success the connected socket is returned in *fd and belongs to the
 * caller: keep it open, send nothing on it (EPMD takes any data as a
 * reason to unregister), and close it to unregister. *fd is
 * non-blocking and close-on-exec. EPMD accepts registrations only from
 * its own host. A refusal (the name is taken) is EPMD_ERR_REGISTER. */
int epmd_register(const epmd_client *c, const epmd_node_info *node, int *fd,
                  uint32_t *creation, epmd_error *err);

/* ---------------------------------------------------------------------
 * TCP with timeouts
 *
 * The client's own socket helpers, public because the distribution
 * transport (dist/, which may use this layer) connects to nodes the same
 * way: a host name or address, every address it resolves to tried in turn,
 * each connect non-blocking and bounded by poll. The messages name
 * host:port but not the service; callers add what the connection was for.
 * ------------------------------------------------------------------- */

/* Connects to host:port (host as in epmd_client; NULL or "" is
 * "localhost"), trying each address getaddrinfo returns in order until one
 * accepts, within timeout_ms in all (<= 0: no limit; the time left is
 * shared out among the addresses still to try, so that one address that
 * does not answer cannot use it all). On success *fd is a connected TCP
 * socket, non-blocking, close-on-exec, with TCP_NODELAY. Fails with
 * EPMD_ERR_RESOLVE, EPMD_ERR_REFUSED (every address refused),
 * EPMD_ERR_TIMEOUT, EPMD_ERR_CONNECT or EPMD_ERR_IO. */
int epmd_tcp_connect(const char *host, uint16_t port, int timeout_ms,
                     int *fd, epmd_error *err);

/* Writes all of buf to the socket within timeout_ms (<= 0: no limit). A
 * closed connection is EPMD_ERR_RESET, never SIGPIPE. */
int epmd_tcp_send(int fd, const uint8_t *buf, size_t len, int timeout_ms,
                  epmd_error *err);

/* Reads what has arrived, at least one byte, up to cap, waiting at most
 * timeout_ms (<= 0: no limit). *got = 0 means the peer closed the
 * connection. */
int epmd_tcp_recv(int fd, uint8_t *buf, size_t cap, int timeout_ms,
                  size_t *got, epmd_error *err);

#endif
