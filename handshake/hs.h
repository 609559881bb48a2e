/*
 * hs.h -- the Erlang distribution handshake, as a state machine that never
 * touches a socket; plus the cookie, node names and the digest it needs.
 *
 * The handshake
 * -------------
 * Before two nodes exchange messages, the one that connects (the
 * initiator, A) and the one that listens (the acceptor, B) say who they
 * are, agree on capabilities (the flags of handshake/dflags.h) and prove to
 * each other that they know the same secret, the cookie, without sending
 * it. Each message is framed by a 2-byte big-endian length:
 *
 *   A (initiator)                                  B (acceptor)
 *   send_name      'N' flags creation name   --->
 *                                            <---  status   's' "ok" ...
 *   [if "alive": 's' "true" or "false"       --->]
 *                                            <---  challenge 'N' flags
 *                                                  challenge creation name
 *   [after a v5 'n' name: complement 'c'     --->]
 *   challenge_reply 'r' challenge digest     --->
 *                                            <---  challenge_ack 'a' digest
 *
 * The digest is MD5(cookie ++ the other side's challenge in decimal): each
 * side learns that the other knows the cookie. After the ack both sides
 * switch to 4-byte framing (dist/); the handshake is done.
 *
 * How to drive it
 * ---------------
 * The engine owns no socket (the shape of BearSSL's TLS engine). The
 * caller asks what it can do now with hs_state(), moves bytes between the
 * network and the engine's two buffers, and tells it how many moved:
 *
 *     hs_ctx *hs = malloc(sizeof *hs);
 *     if (hs_init(hs, HS_INITIATOR, &cfg) != 0) ... hs_get_error(hs) ...
 *     for (;;) {
 *         unsigned st = hs_state(hs);
 *         if (st & HS_SEND) {                  // bytes to write first
 *             size_t len;
 *             const uint8_t *p = hs_send_buf(hs, &len);
 *             ssize_t n = write(fd, p, len);   // error -> give up
 *             hs_send_ack(hs, n);
 *             continue;
 *         }
 *         if (st & (HS_DONE | HS_FAILED))
 *             break;
 *         if (st & HS_DECIDE) {                // acceptor only
 *             hs_decide(hs, HS_STATUS_OK);     // see hs_decide
 *             continue;
 *         }
 *         size_t room;                         // HS_RECV
 *         uint8_t *q = hs_recv_buf(hs, &room);
 *         ssize_t n = read(fd, q, room);       // error -> give up
 *         if (n == 0) hs_recv_eof(hs); else hs_recv_ack(hs, n);
 *     }
 *     if (hs_state(hs) & HS_DONE) ... hs_get_result(hs) ...
 *     else ... hs_get_error(hs)->message ...
 *
 * hs_recv_buf never offers more room than the current message still
 * needs, so the engine never swallows bytes that follow the handshake on
 * the same connection. hs_feed() is the same for a caller that holds
 * bytes already (a test, a replay). Timeouts are the caller's business:
 * OTP gives each step net_setuptime, 7 s by default. The framing is the
 * 2-byte one of plain TCP; over TLS (inet_tls_dist) OTP frames the
 * handshake with 4 bytes instead, which this engine does not do yet.
 *
 * Memory and threads
 * ------------------
 * hs_ctx is a plain struct of about 70 KB (it can hold the largest message
 * a 2-byte length allows) that the caller allocates; the engine allocates
 * nothing. It copies what it needs from hs_config, so the config may go
 * away after hs_init. No global state: one context per connection, any
 * number of them in any number of threads.
 *
 * Errors
 * ------
 * Functions return 0 or -1; on failure the state has HS_FAILED and
 * hs_get_error() tells what happened in a sentence a person can act on,
 * with a code a program can act on (hs_error_exit_code gives edist's exit
 * code). The cookie never appears in any message, trace line or error.
 */
#ifndef EDIST_HANDSHAKE_HS_H
#define EDIST_HANDSHAKE_HS_H

#include <stddef.h>
#include <stdint.h>

#include "handshake/dflags.h"

/* Node names on the handshake are Latin-1 atoms of at most 255
 * characters, so at most 255 bytes. */
#define HS_MAX_NAME 255
/* A cookie is an atom too. */
#define HS_MAX_COOKIE 255
/* The largest handshake message (the 2-byte length's limit). */
#define HS_MAX_MESSAGE 65535

/* ---------------------------------------------------------------------
 * Statuses (the 's' message, acceptor to initiator)
 * ------------------------------------------------------------------- */

typedef enum hs_status {
    HS_STATUS_NONE = 0,
    HS_STATUS_OK,              /* "ok": go on */
    HS_STATUS_OK_SIMULTANEOUS, /* "ok_simultaneous": both connected at once;
                                  B drops its own attempt, go on */
    HS_STATUS_NOK,             /* "nok": both connected at once and B keeps
                                  its own attempt; give up */
    HS_STATUS_NOT_ALLOWED,     /* "not_allowed": B refuses A (a missing
                                  mandatory flag, or not in B's -allow list) */
    HS_STATUS_ALIVE,           /* "alive": B already has a connection to a
                                  node of A's name; A answers "true" (that
                                  one is dead, go on) or "false" (give up) */
    HS_STATUS_NAMED            /* "named:": B gives A the dynamic name A
                                  asked for (DFLAG_NAME_ME), and a creation */
} hs_status;

/* The status as it is written on the wire ("ok_simultaneous", "named:"),
 * "" for HS_STATUS_NONE. */
const char *hs_status_name(hs_status s);

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

typedef enum hs_errcode {
    HS_OK = 0,
    HS_ERR_CLOSED,     /* the peer closed the connection mid-handshake */
    HS_ERR_MALFORMED,  /* a message that does not parse, or comes out of
                          turn; the message says what was wrong */
    HS_ERR_REFUSED,    /* the peer refused us with a status (nok,
                          not_allowed) or we answered "false" to alive;
                          hs_error.status says which */
    HS_ERR_COOKIE,     /* the digests do not match: the two sides have
                          different cookies. Also when the acceptor closes
                          the connection right after our challenge reply,
                          which is what OTP does on a wrong digest */
    HS_ERR_FLAGS,      /* the peer lacks flags we require (hs_error.missing);
                          as acceptor we have sent it not_allowed */
    HS_ERR_WRONG_NODE, /* the node that answered is not the one we wanted */
    HS_ERR_DECLINED,   /* acceptor: we turned the peer away (our decision
                          was nok or not_allowed), or it answered "false"
                          to our alive */
    HS_ERR_USAGE,      /* a bad hs_config, or a call out of turn */
    HS_ERR_INTERNAL    /* the kernel could not give random bytes */
} hs_errcode;

typedef struct hs_error {
    hs_errcode code;
    hs_status status;  /* HS_ERR_REFUSED: the status concerned */
    uint64_t missing;  /* HS_ERR_FLAGS: the flags the peer lacked */
    char message[512]; /* never contains the cookie */
} hs_error;

/* A short fixed name for a code ("cookie rejected", "peer closed", ...). */
const char *hs_strerror(hs_errcode code);

/* edist's exit code for a failed handshake (DESIGN.md): 4 when the peer
 * would not authenticate us (HS_ERR_COOKIE, or the status not_allowed),
 * 2 for HS_ERR_USAGE, 3 (connection failure) for everything else. */
int hs_error_exit_code(const hs_error *e);

/* ---------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------- */

typedef enum hs_role { HS_INITIATOR, HS_ACCEPTOR } hs_role;

typedef struct hs_config {
    /* Our node name, "alive@host" (see hs_name_* below). With
     * dynamic_name, only the host: the peer chooses the part before '@'. */
    const char *node_name;
    /* Initiator only: ask the peer for a name (DFLAG_NAME_ME, OTP 23 and
     * later); we send creation 0 and receive our name and creation in the
     * status "named:". */
    int dynamic_name;
    /* Our creation, the incarnation number that goes into our pids (not
     * 0). Ignored with dynamic_name. */
    uint32_t creation;
    /* The cookie, cookie_len bytes (1..HS_MAX_COOKIE). Copied; the copy is
     * wiped by hs_clear. */
    const char *cookie;
    size_t cookie_len;
    /* The flags we offer; 0 means HS_EDIST_FLAGS. PUBLISHED is ours to
     * set or not; NAME_ME is added or removed by the engine. */
    uint64_t flags;
    /* The flags the peer must offer; 0 means DFLAG_DIST_MANDATORY (what
     * OTP 26 to 29 require). The DFLAG_MANDATORY_25_DIGEST shorthand of
     * the peer is expanded first. */
    uint64_t required;
    /* Initiator: the full name of the node we mean to reach; the name in
     * its challenge must be the same (as OTP checks). NULL: not checked. */
    const char *peer_name;
    /* Initiator: send the v5 'n' name (what OTP 23 and 24 send to a node
     * whose EPMD entry says version 5) instead of the v6 'N' one. Only the
     * 32 low flag bits fit in it; the high ones follow in the 'c'
     * complement. Not with dynamic_name. */
    int legacy_name;
    /* Initiator: the answer to the status "alive": non-zero "true" (our
     * old connection is dead, take this one), 0 "false" (give up). */
    int alive_answer;
    /* For tests only: use this challenge instead of a random one. */
    int fixed_challenge;
    uint32_t challenge;
    /* Called with one line per message sent ("-> ...") or received
     * ("<- ..."), decoded, flags by name, for `-v`. NULL: silent. */
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
} hs_config;

/* ---------------------------------------------------------------------
 * The engine
 * ------------------------------------------------------------------- */

/* What a finished handshake learnt. Strings are NUL-terminated. */
typedef struct hs_result {
    char peer_name[HS_MAX_NAME + 1]; /* the other node, "alive@host"; for
                                        a peer that asked us for a dynamic
                                        name, the name we gave it */
    uint64_t peer_flags;     /* as the peer sent them (for a v5 name: the
                                low 32 bits, then the complement's high) */
    uint32_t peer_creation;  /* 0 if the peer never said (v5 challenge) */
    int peer_version;        /* 6: 'N' messages; 5: the peer used 'n' */
    uint64_t flags;          /* agreed: ours & peer's, with the peer's
                                MANDATORY_25_DIGEST expanded -- what both
                                sides use from now on */
    char our_name[HS_MAX_NAME + 1]; /* our name; the assigned one after
                                       "named:" */
    uint32_t our_creation;   /* ours; the assigned one after "named:" */
    hs_status status;        /* the status sent (acceptor) or received
                                (initiator) */
    int peer_dynamic;        /* acceptor: the peer asked for a name */
} hs_result;

/* What hs_state returns: a set of these bits. */
#define HS_SEND   0x01 /* bytes are waiting in hs_send_buf; send them first
                          (also when HS_DONE or HS_FAILED is set: the ack
                          or a refusal the peer should get before we close) */
#define HS_RECV   0x02 /* the engine wants bytes: hs_recv_buf */
#define HS_DECIDE 0x04 /* acceptor: the peer's name has arrived; call
                          hs_decide or hs_decide_named */
#define HS_DONE   0x08 /* success: hs_get_result; after HS_SEND's bytes are
                          out, the connection uses 4-byte framing */
#define HS_FAILED 0x10 /* failure: hs_get_error; close the connection once
                          HS_SEND's bytes (if any) are out */

/* The engine. Allocate it (it is big, see above); treat the fields as
 * private. */
typedef struct hs_ctx {
    uint8_t role, step, legacy, dynamic, alive_answer, fixed_challenge;
    uint64_t our_flags, required;
    uint32_t our_challenge;
    uint32_t fixed;
    char expect_peer[HS_MAX_NAME + 1];
    uint8_t cookie[HS_MAX_COOKIE];
    size_t cookie_len;
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
    hs_result result;
    hs_error error;
    /* The message being received: 2 length bytes, then the body. */
    size_t in_len, in_need;
    uint8_t in[2 + HS_MAX_MESSAGE];
    /* Bytes waiting to be sent: out[out_off .. out_len). */
    size_t out_off, out_len;
    uint8_t out[1024];
} hs_ctx;

/* Starts a handshake in `role` with `cfg`. The initiator's name message
 * is ready in hs_send_buf at once; the acceptor waits for the peer's.
 * Returns 0, or -1 with HS_ERR_USAGE (bad config) or HS_ERR_INTERNAL (no
 * random challenge) in hs_get_error. */
int hs_init(hs_ctx *hs, hs_role role, const hs_config *cfg);

/* Wipes the cookie and everything else in the context. Call it when the
 * handshake is over, whatever its outcome (after taking the result). */
void hs_clear(hs_ctx *hs);

/* The HS_* bits above. */
unsigned hs_state(const hs_ctx *hs);

/* The bytes to send: a pointer into the context and their count in *len
 * (0 and a valid pointer when there are none). */
const uint8_t *hs_send_buf(const hs_ctx *hs, size_t *len);
/* `n` of those bytes have been sent (n <= *len). */
void hs_send_ack(hs_ctx *hs, size_t n);

/* Room for received bytes: where to put them and how many, at most, in
 * *len (0 when the engine wants no input now). */
uint8_t *hs_recv_buf(hs_ctx *hs, size_t *len);
/* `n` bytes have been put into hs_recv_buf's room. When they complete a
 * message the engine handles it: it may queue bytes to send, ask for a
 * decision, finish or fail. */
void hs_recv_ack(hs_ctx *hs, size_t n);
/* The peer closed the connection (read returned 0). The handshake fails
 * with HS_ERR_CLOSED, or HS_ERR_COOKIE if it was waiting for the
 * challenge ack (OTP closes without a word when our digest is wrong). */
void hs_recv_eof(hs_ctx *hs);

/* Copies received bytes into the engine, as many as it wants, and returns
 * how many it took: fewer than len when the handshake finished or failed
 * or waits for a decision; the rest belongs to whatever follows. */
size_t hs_feed(hs_ctx *hs, const uint8_t *data, size_t len);

/* Acceptor, state HS_DECIDE: the peer's name, flags and creation are in
 * hs_get_result (peer_name is "host" alone when peer_dynamic). Its flags
 * have passed the mandatory check already (a peer that failed it got
 * not_allowed without a decision). Answer with the status OTP's net_kernel
 * would choose:
 *   HS_STATUS_OK                   a new peer: go on;
 *   HS_STATUS_OK_SIMULTANEOUS      we were connecting to it too, and give
 *                                  up our attempt (its name is greater);
 *   HS_STATUS_NOK                  we were connecting to it too and keep
 *                                  ours: the handshake ends (DECLINED);
 *   HS_STATUS_NOT_ALLOWED          we do not accept it: ends (DECLINED);
 *   HS_STATUS_ALIVE                we have a connection to that name
 *                                  already: the peer says whether it is
 *                                  dead ("true": go on, the caller drops the
 *                                  old one) or not ("false": DECLINED).
 * A peer that asked for a dynamic name must be answered with
 * hs_decide_named (or nok / not_allowed). Returns 0, or -1 with
 * HS_ERR_USAGE for a decision that does not fit. */
int hs_decide(hs_ctx *hs, hs_status status);

/* Acceptor, state HS_DECIDE, for a peer that asked for a dynamic name:
 * give it `name` ("alive@host", host being the one it sent, or it will
 * refuse the name) and `creation` (not 0). */
int hs_decide_named(hs_ctx *hs, const char *name, uint32_t creation);

/* The outcome: valid once HS_DONE is set (parts of it earlier, see
 * hs_decide). */
const hs_result *hs_get_result(const hs_ctx *hs);
/* The failure: valid once HS_FAILED is set. */
const hs_error *hs_get_error(const hs_ctx *hs);

/* ---------------------------------------------------------------------
 * The digest (digest.c, md5.c, random.c)
 * ------------------------------------------------------------------- */

/* out = MD5(cookie ++ decimal(challenge)): the 16 bytes a node sends to
 * prove it knows the cookie (dist_util:gen_digest/2). The challenge is
 * unsigned, written without sign or leading zeros. Returns 0. */
int hs_digest(const uint8_t *cookie, size_t cookie_len, uint32_t challenge,
              uint8_t out[16]);

/* Non-zero if the two digests are equal, compared in constant time. */
int hs_digest_equal(const uint8_t a[16], const uint8_t b[16]);

/* A challenge from the kernel's random generator. Returns 0, or -1 if
 * it could give none. */
int hs_challenge_random(uint32_t *out);

/* n random bytes from the kernel (getrandom(2), else /dev/urandom), for
 * challenges and creations. Returns 0, or -1 if there are none. */
int hs_random_bytes(void *out, size_t n);

/* MD5 (RFC 1321), md5.c: init, any number of updates, final (which
 * wipes the context). */
typedef struct hs_md5 {
    uint32_t state[4];
    uint64_t len;      /* bytes so far */
    uint8_t buf[64];   /* the start of an unfinished block */
} hs_md5;
void hs_md5_init(hs_md5 *m);
void hs_md5_update(hs_md5 *m, const void *data, size_t n);
void hs_md5_final(hs_md5 *m, uint8_t out[16]);

/* Zeroes n bytes in a way the compiler may not leave out (for cookies
 * and digest state). */
void hs_wipe(void *p, size_t n);

/* ---------------------------------------------------------------------
 * The cookie
 * ------------------------------------------------------------------- */

/* Where edist may find a cookie, first found wins, in this order:
 *   cookie          --cookie COOKIE: used as given;
 *   cookie_file     --cookie-file FILE: read like ~/.erlang.cookie, but the
 *                   file may be readable by others (an Elixir release's
 *                   releases/COOKIE usually is);
 *   release_cookie  the RELEASE_COOKIE environment variable, which an
 *                   Elixir release hands to its node with -setcookie; an
 *                   empty value counts as unset, as in the release script;
 *   home            $HOME/.erlang.cookie, then
 *   xdg_config_home $XDG_CONFIG_HOME/erlang/.erlang.cookie (when that is
 *                   unset or empty: $HOME/.config/erlang/.erlang.cookie),
 *                   the two files erl reads, with erl's rules: a regular
 *                   file, not readable or writable by group or others.
 * Any field may be NULL. The values are passed in rather than read from
 * the environment so that the rules can be tested. */
typedef struct hs_cookie_env {
    const char *cookie;
    const char *cookie_file;
    const char *release_cookie;
    const char *home;
    const char *xdg_config_home;
} hs_cookie_env;

typedef struct hs_cookie {
    char value[HS_MAX_COOKIE + 1]; /* NUL-terminated; len bytes */
    size_t len;
    char source[300];              /* where it came from, for messages:
                                      "--cookie", "RELEASE_COOKIE", a path */
} hs_cookie;

/* Finds the cookie as described above. Unlike erl, which creates
 * ~/.erlang.cookie with a random cookie when there is none, edist fails:
 * a made-up cookie cannot match a running node's. Returns 0, or -1 with a
 * message that names the places it looked and how to pass a cookie (or
 * what is wrong with the file it found). */
int hs_cookie_find(const hs_cookie_env *env, hs_cookie *out, hs_error *err);

/* A cookie from the contents of a cookie file, by the rules of OTP's
 * auth:check_cookie/2: printable ASCII (space to '~') up to the first other
 * byte; from there on only newlines, carriage returns and spaces, which are
 * dropped. So "abc\n" and "abc\r\n \n" give "abc", "abc \n" gives "abc "
 * (spaces before the newline stay), "ab\ncd", a tab or a byte above 126 is
 * an error ("Bad characters in cookie"), and an empty cookie too ("Too
 * short cookie string"); more than 255 characters cannot be an atom. The
 * error names `source`, never the cookie. */
int hs_cookie_parse(const uint8_t *data, size_t len, const char *source,
                    hs_cookie *out, hs_error *err);

/* Reads and parses the cookie file `path`. With check_mode, refuses what
 * erl refuses: anything but a regular file, and a file whose permissions
 * let group or others in (mode & 077). */
int hs_cookie_read_file(const char *path, int check_mode, hs_cookie *out,
                        hs_error *err);

/* Wipes the cookie from memory. */
void hs_cookie_clear(hs_cookie *c);

/* ---------------------------------------------------------------------
 * Node names
 * ------------------------------------------------------------------- */

/* Short names (erl -sname) have a host part without dots ("foo@vm"); long
 * names (erl -name) a fully qualified host or an IP address
 * ("foo@vm.example.com", "foo@127.0.0.1", "foo@::1"). The two kinds do not
 * mix: a node refuses to connect to the other kind. */
typedef enum hs_name_mode {
    HS_NAMES_AUTO,  /* from the host part */
    HS_NAMES_SHORT, /* --shortnames */
    HS_NAMES_LONG   /* --longnames */
} hs_name_mode;

typedef struct hs_node_name {
    char full[HS_MAX_NAME + 1];  /* "alive@host" */
    char alive[HS_MAX_NAME + 1]; /* before the '@' */
    char host[HS_MAX_NAME + 1];  /* after it */
    int longnames;               /* 1: a long name; 0: a short one */
} hs_node_name;

/* Non-zero if `host` makes a long name: it has a dot, or it is an IPv4 or
 * IPv6 address (as OTP's inet_tcp_dist:splitnode accepts an address without
 * dots for long names). */
int hs_host_is_long(const char *host);

/* Parses a node name as a user types it: "alive@host", or "alive" alone
 * for a node on this host, `this_host` being gethostname()'s answer (for
 * short names only the part before its first dot is used; for long names
 * it must be fully qualified). The alive part may hold letters, digits,
 * '_' and '-' (OTP's rule); the host no space, '@' or control character.
 * With HS_NAMES_SHORT or HS_NAMES_LONG a host of the other kind is an
 * error, as in erl. Returns 0, or -1 with HS_ERR_USAGE and a message. */
int hs_name_parse(const char *text, const char *this_host, hs_name_mode mode,
                  hs_node_name *out, hs_error *err);

/* The host part edist puts in its own name to talk to `target`, which
 * must be of the same kind. For a short-name target: `this_host` up to its
 * first dot. For a long-name target: `this_host` if it is fully qualified
 * or an address; else 127.0.0.1 if the target is on loopback (127.0.0.0/8,
 * ::1); else an error that says to pass a full name (--name). */
int hs_name_local_host(const hs_node_name *target, const char *this_host,
                       char *out, size_t size, hs_error *err);

/* edist's default alive part, unique enough for a hidden node that comes
 * and goes: "edist_<pid>_<8 hex digits of random>". */
void hs_name_unique(char *out, size_t size, unsigned long pid,
                    uint32_t random);

#endif
