/*
 * node.c -- a C node's connections and its event loop (dist/node.h).
 *
 * One thread, one poll(2) over everything the node has open:
 *
 *   - the listening socket: a node connecting to us. Its handshake runs
 *     in the loop, through the sans-I/O engine of handshake/ in the
 *     acceptor role, so that a slow peer never stops the others;
 *   - the EPMD registration socket: EPMD keeps our name while it stays
 *     open; if EPMD goes away, we say so (the connections go on);
 *   - one socket per connected node: bytes in go through the packet
 *     reader (4-byte lengths), the channel (framing, atom cache,
 *     fragments: channel.c) and the control messages (control.c) to
 *     signal.c, which acts on them; bytes out wait in the connection's
 *     buffer until the socket takes them. The body of a large fragment
 *     is read straight into the buffer of its message (place), and the
 *     buffers of large messages are kept for reuse (dist/pool.h).
 *
 * Ticks keep connections alive as OTP's net_kernel does: a node that has
 * sent us nothing, not even a tick, for net_ticktime is down; when we have
 * written nothing for a quarter of net_ticktime we send a tick; and we
 * answer each tick with one, because the peer's net_ticktime may be
 * shorter than ours and it must hear from us in time.
 *
 * A connection that breaks the protocol is closed, its reason logged;
 * the other connections go on. When any connection closes, the links
 * and monitors across it end with `noconnection` (signal.c).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handshake/hs.h"

#include "dist/internal.h"
#include "dist/node_internal.h"
#include "dist/pool.h"
#include "epmd/epmd.h"
#include "handshake/dflags.h"

/* What edist's node offers: the mandatory set, and what it implements on
 * top (each flag obliges us to understand what the peer then sends). */
#define NODE_FLAGS                                                          \
    (HS_EDIST_FLAGS | DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS |          \
     DFLAG_DIST_MONITOR | DFLAG_DIST_MONITOR_NAME | DFLAG_SPAWN |            \
     DFLAG_EXIT_PAYLOAD | DFLAG_SEND_SENDER | DFLAG_ALIAS |                  \
     DFLAG_SMALL_ATOM_TAGS | DFLAG_ALTACT_SIG | DFLAG_UNICODE_IO)

/* Bytes queued for a peer above which a sender waits (drain below). The
 * kernel's socket buffer is the real queue; ours only holds what it
 * would not take at once. Kept small, the queue stays in the CPU's
 * cache between the encoder writing it and the kernel copying it out:
 * with 4 MiB here, sending 64 KiB messages ran 10-15 % slower
 * (bench/dist, bench/README.md). */
#define DIST_OUT_HIGH ((size_t)64 << 10)
/* The most bytes of idle message buffers the node keeps for the next
 * large messages (dist/pool.h). */
#define DIST_POOL_IDLE ((size_t)32 << 20)
/* Bytes one read asks for; and, behind a body being received into its
 * message's buffer, the bytes it asks for past that body (readable). */
#define DIST_READ_SIZE ((size_t)64 << 10)
#define DIST_READ_PAST ((size_t)4 << 10)
/* The most continuations of a large message one read takes whole,
 * behind the body under way (readable, dist_channel_ahead): 2 MiB. Each
 * read makes the kernel acknowledge what it took, and on loopback the
 * acknowledgement sends the sender's next bytes on our time: with one
 * read per 64 KiB fragment, receiving 1 MiB messages cost edist three
 * times the CPU libei spends (bench/README.md). */
#define DIST_AHEAD_MAX 32
/* Bytes read from one peer in a row before the others get their turn,
 * and before the program gets the messages read. Kept small, a large
 * message is handled, freed and its buffer back in the pool (LIFO)
 * before the next one is read into it, still in the CPU's cache; with
 * 4 MiB, some 64 messages of 64 KiB waited at once, and the kernel's
 * copy into their buffers, long out of the cache, cost edist 50 % more a
 * message than libei's into its one buffer (bench/README.md). */
#define DIST_READ_BURST ((size_t)256 << 10)

/* ---- logging ------------------------------------------------------------ */

static void vline(void (*fn)(void *, const char *), void *arg,
                  const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    fn(arg, line);
}

void dist_node_logf(dist_node *n, const char *fmt, ...)
{
    if (n->log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(n->log, n->arg, fmt, ap);
    va_end(ap);
}

void dist_node_tracef(dist_node *n, const char *fmt, ...)
{
    if (n->trace == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(n->trace, n->arg, fmt, ap);
    va_end(ap);
}

/* ---- the node ------------------------------------------------------------ */

int dist_node_new(const dist_node_opts *o, dist_node **out, dist_error *err)
{
    hs_node_name name;
    hs_error he;
    if (o->name == NULL ||
        hs_name_parse(o->name, NULL, HS_NAMES_AUTO, &name, &he) != 0)
        return dist_fail(err, DIST_ERR_USAGE, "node name: %s",
                         o->name ? he.message : "none given");
    size_t clen = o->cookie_len ? o->cookie_len
                                : o->cookie ? strlen(o->cookie) : 0;
    if (clen == 0 || clen > HS_MAX_COOKIE)
        return dist_fail(err, DIST_ERR_USAGE,
                         "a node needs a cookie of 1 to %d bytes",
                         HS_MAX_COOKIE);
    dist_node *n = calloc(1, sizeof *n);
    if (n == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    snprintf(n->name, sizeof n->name, "%s", name.full);
    n->name_atom.name = n->name;
    n->name_atom.len = (uint32_t)strlen(n->name);
    memcpy(n->cookie, o->cookie, clen);
    n->cookie_len = clen;
    n->creation = o->creation;
    while (n->creation == 0 &&
           hs_random_bytes(&n->creation, sizeof n->creation) == 0)
        ;
    if (n->creation == 0)
        n->creation = (uint32_t)getpid() | 1;
    n->ticktime_ms = (o->net_ticktime ? o->net_ticktime : 60) * 1000;
    n->epmd_port = o->epmd_port;
    n->plain_atoms = o->plain_atoms != 0;
    n->trace = o->trace;
    n->log = o->log;
    n->arg = o->arg;
    n->listen_fd = n->epmd_fd = n->extra_fd = -1;
    n->pool = dist_pool_new(DIST_POOL_IDLE);
    if (n->pool == NULL) {
        free(n);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    n->next_pid = 1;
    n->next_unlink_id = 1;
    if (dist_proc_new_handler(n, "net_kernel", dist_net_kernel, NULL) ==
        NULL) {
        dist_pool_free(n->pool);
        free(n);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    *out = n;
    return 0;
}

const etf_atom *dist_node_name(const dist_node *n) { return &n->name_atom; }
uint32_t dist_node_creation(const dist_node *n) { return n->creation; }
uint16_t dist_node_port(const dist_node *n) { return n->port; }

void dist_node_watch(dist_node *n, dist_watch_fn fn, void *arg)
{
    n->watch = fn;
    n->watch_arg = arg;
}

void dist_node_stop(dist_node *n) { n->stop = 1; }

void dist_node_watch_fd(dist_node *n, int fd, dist_fd_fn fn, void *arg)
{
    n->extra_fd = fn != NULL ? fd : -1;
    n->extra_fn = fn;
    n->extra_arg = arg;
}

static void peer_free(dist_peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    if (p->hs != NULL) {
        hs_clear(p->hs);
        free(p->hs);
    }
    dist_reader_release(&p->in);
    if (p->ch_ready)
        dist_channel_release(&p->ch);
    etf_buf_release(&p->out);
    free(p);
}

/* Removes dead connections; those that were up take their links and
 * monitors with them. */
static void reap(dist_node *n)
{
    dist_peer **pp = &n->peers;
    while (*pp != NULL) {
        dist_peer *p = *pp;
        if (p->state != CONN_DEAD) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        int was_up = p->ch_ready;
        char name[HS_MAX_NAME + 1];
        memcpy(name, p->name, sizeof name);
        peer_free(p);
        if (was_up)
            dist_signal_nodedown(n, name);
    }
}

void dist_node_free(dist_node *n)
{
    if (n == NULL)
        return;
    dist_proc_free_all(n);
    dist_spawnables_free(n);
    for (dist_peer *p = n->peers; p != NULL; p = p->next)
        p->state = CONN_DEAD;
    reap(n);
    while (n->mons != NULL) {
        dist_mon *m = n->mons;
        n->mons = m->next;
        dist_mon_free(m);
    }
    if (n->listen_fd >= 0)
        close(n->listen_fd);
    if (n->epmd_fd >= 0)
        close(n->epmd_fd);
    memset(n->cookie, 0, sizeof n->cookie);
    dist_pool_free(n->pool);
    free(n);
}

/* ---- listening ------------------------------------------------------------ */

int dist_node_listen(dist_node *n, uint16_t port, int publish,
                     int loopback_only, dist_error *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return dist_fail(err, DIST_ERR_CONNECT, "socket: %s",
                         strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(loopback_only ? INADDR_LOOPBACK : INADDR_ANY);
    socklen_t salen = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        int e = errno;
        close(fd);
        return dist_fail(err, DIST_ERR_CONNECT,
                         "cannot listen on port %u: %s", port, strerror(e));
    }
    n->listen_fd = fd;
    n->port = ntohs(sa.sin_port);
    dist_node_tracef(n, "node: listening on port %u", n->port);
    if (!publish)
        return 0;

    /* ALIVE2 to the EPMD of this host: the part of our name before '@'. */
    const char *at = strchr(n->name, '@');
    epmd_node_info info = {0};
    info.name = n->name;
    info.name_len = (size_t)(at - n->name);
    info.port = n->port;
    info.node_type = EPMD_NODE_TYPE_HIDDEN;
    info.protocol = EPMD_PROTO_TCP;
    info.highest_version = 6;
    info.lowest_version = 5;
    epmd_client ec = {"localhost", n->epmd_port, 5000, n->trace, n->arg};
    epmd_error e;
    uint32_t creation;
    if (epmd_register(&ec, &info, &n->epmd_fd, &creation, &e) != 0)
        return dist_fail(err, e.code == EPMD_ERR_TIMEOUT ? DIST_ERR_TIMEOUT
                                                         : DIST_ERR_CONNECT,
                         "registering %.*s with EPMD: %s",
                         (int)info.name_len, n->name, e.message);
    n->creation = creation;
    /* Our processes' pids carry the creation: theirs changes with it. */
    for (dist_proc *p = n->procs; p != NULL; p = p->next) {
        p->self_pid.creation = creation;
        dist_key_free(&p->key);
        dist_key_make(&p->self, &p->key);
    }
    dist_node_logf(n, "node %s registered with EPMD, port %u, creation %u",
                   n->name, n->port, creation);
    return 0;
}

/* ---- connections ------------------------------------------------------------ */

dist_peer *dist_peer_find(dist_node *n, const char *name, size_t len)
{
    for (dist_peer *p = n->peers; p != NULL; p = p->next)
        if (p->state == CONN_UP && strlen(p->name) == len &&
            memcmp(p->name, name, len) == 0)
            return p;
    return NULL;
}

int dist_node_connected(const dist_node *n, const char *node)
{
    return dist_peer_find((dist_node *)n, node, strlen(node)) != NULL;
}

uint64_t dist_node_peer_flags(const dist_node *n, const char *node)
{
    const dist_peer *p = dist_peer_find((dist_node *)n, node, strlen(node));
    return p != NULL ? p->flags : 0;
}

void dist_peer_kill(dist_peer *p, const char *reason)
{
    if (p->state == CONN_DEAD)
        return;
    if (p->state == CONN_UP)
        dist_node_logf(p->node, "connection to %s closed: %s", p->name,
                       reason);
    else
        dist_node_logf(p->node, "incoming connection%s%s refused: %s",
                       p->name[0] ? " from " : "", p->name, reason);
    p->state = CONN_DEAD;
}

void dist_node_disconnect(dist_node *n, const char *node)
{
    dist_peer *p = dist_peer_find(n, node, strlen(node));
    if (p != NULL) {
        dist_peer_kill(p, "disconnected by us");
        reap(n);
    }
}

/* Writes what the socket takes now. */
static void flush(dist_peer *p)
{
    while (p->out_off < p->out.len) {
        ssize_t w = send(p->fd, p->out.data + p->out_off,
                         p->out.len - p->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                char why[128];
                snprintf(why, sizeof why, "write: %s", strerror(errno));
                dist_peer_kill(p, why);
            }
            return;
        }
        p->out_off += (size_t)w;
        p->last_sent_ms = dist_now_ms();
    }
    p->out.len = p->out_off = 0;
}

/* Back-pressure: a sender that outruns the socket waits here until less
 * than DIST_OUT_HIGH bytes are queued, so that a loop of sends cannot
 * fill the memory. It keeps reading meanwhile (into the packet reader,
 * handled later by the loop), because the peer may itself be blocked
 * writing to us; a peer that takes nothing for net_ticktime is gone. */
static void drain(dist_peer *p)
{
    int64_t start = dist_now_ms();
    while (p->state != CONN_DEAD && p->out.len - p->out_off > DIST_OUT_HIGH) {
        struct pollfd pfd = {p->fd, POLLIN | POLLOUT, 0};
        int64_t left = start + p->node->ticktime_ms - dist_now_ms();
        if (left <= 0) {
            dist_peer_kill(p, "the node took nothing we sent for "
                              "net_ticktime");
            return;
        }
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        if (pfd.revents & POLLOUT) {
            size_t before = p->out_off;
            flush(p);
            if (p->out_off != before || p->out.len == 0)
                start = dist_now_ms();
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            uint8_t buf[65536];
            ssize_t got = recv(p->fd, buf, sizeof buf, 0);
            dist_error err;
            if (got == 0)
                dist_peer_kill(p, "the node closed the connection");
            else if (got > 0 &&
                     dist_reader_feed(&p->in, buf, (size_t)got, &err) != 0)
                dist_peer_kill(p, err.message);
            else if (got > 0)
                p->last_recv_ms = dist_now_ms();
        }
    }
}

static void queue_tick(dist_peer *p)
{
    static const uint8_t tick[4] = {0, 0, 0, 0};
    etf_buf_append(&p->out, tick, sizeof tick);
    flush(p);
}

/* Moves the bytes still queued to the front of the queue once at least
 * as many have been written, so that a connection that never empties
 * its queue (a steady stream into a full socket) does not grow it
 * without end. Each byte is moved at most once on average. */
static void compact(dist_peer *p)
{
    size_t left = p->out.len - p->out_off;
    if (p->out_off == 0 || p->out_off < left)
        return;
    memmove(p->out.data, p->out.data + p->out_off, left);
    p->out.len = left;
    p->out_off = 0;
}

int dist_peer_send(dist_peer *p, const dist_ctl *c, const etf_term *payload,
                   uint64_t seq_id, dist_error *err)
{
    compact(p);
    etf_arena a;
    etf_arena_init(&a);
    etf_term control;
    int r = dist_ctl_encode(c, &a, &control, err);
    if (r == 0)
        r = dist_channel_send(&p->ch, &control, payload, seq_id, &p->out,
                              err);
    if (r == 0 && p->out.failed)
        r = dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    if (r == 0 && p->node->trace != NULL) {
        char line[768];
        dist_ctl_format(c, line, sizeof line);
        dist_node_tracef(p->node, "dist: -> %s: %s%s", p->name, line,
                         payload ? " + message" : "");
    }
    etf_arena_release(&a);
    if (r == 0)
        flush(p);
    if (r == 0 && p->out.len - p->out_off > DIST_OUT_HIGH)
        drain(p);
    if (r == 0 && p->state == CONN_DEAD)
        r = dist_fail(err, DIST_ERR_CLOSED, "connection to %s lost",
                      p->name);
    return r;
}

static dist_peer *peer_new(dist_node *n, int fd)
{
    dist_peer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->node = n;
    p->fd = fd;
    p->state = CONN_HANDSHAKE;
    p->last_sent_ms = p->last_recv_ms = dist_now_ms();
    p->next = n->peers;
    n->peers = p;
    return p;
}

/* The handshake is over: the channel starts. */
static int peer_up(dist_peer *p, const hs_result *r, dist_error *err)
{
    dist_node *n = p->node;
    snprintf(p->name, sizeof p->name, "%s", r->peer_name);
    p->flags = r->flags;
    p->creation = r->peer_creation;
    if (dist_channel_init(&p->ch, r->flags, err) != 0)
        return -1;
    p->ch.frags.pool = n->pool;
    p->ch.plain_atoms = n->plain_atoms;
    p->ch_ready = 1;
    /* A node we were connected to already has come back ("alive",
     * answered true): the old connection is dead. */
    for (dist_peer *q = n->peers; q != NULL; q = q->next)
        if (q != p && q->state == CONN_UP && strcmp(q->name, p->name) == 0)
            dist_peer_kill(q, "replaced by a new connection from the node");
    reap(n);
    p->state = CONN_UP;
    p->last_sent_ms = p->last_recv_ms = dist_now_ms();
    char flags[1024];
    hs_flags_format(p->flags, flags, sizeof flags);
    dist_node_logf(n, "connection to %s up", p->name);
    dist_node_tracef(n, "node: %s agreed flags %s", p->name, flags);
    return 0;
}

int dist_node_connect(dist_node *n, const char *node, uint16_t port,
                      int timeout_ms, dist_error *err)
{
    if (dist_peer_find(n, node, strlen(node)) != NULL)
        return 0;
    hs_node_name peer;
    hs_error he;
    if (hs_name_parse(node, NULL, HS_NAMES_AUTO, &peer, &he) != 0)
        return dist_fail(err, DIST_ERR_USAGE, "%s", he.message);
    dist_connect_opts o = {0};
    o.peer = &peer;
    o.port = port;
    o.epmd_port = n->epmd_port;
    o.our_name = n->name;
    o.creation = n->creation;
    o.cookie = n->cookie;
    o.cookie_len = n->cookie_len;
    o.timeout_ms = timeout_ms;
    o.net_ticktime = n->ticktime_ms / 1000;
    o.flags = NODE_FLAGS;
    o.trace = n->trace;
    o.trace_arg = n->arg;
    dist_conn c;
    if (dist_connect(&c, &o, err) != 0)
        return -1;
    dist_peer *p = peer_new(n, c.fd);
    if (p == NULL) {
        dist_close(&c);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    /* The connection's socket and whatever came after the handshake are
     * the node's now. */
    c.fd = -1;
    p->in = c.in;
    memset(&c.in, 0, sizeof c.in);
    hs_result r = c.peer;
    dist_close(&c);
    if (peer_up(p, &r, err) != 0) {
        dist_peer_kill(p, err->message);
        reap(n);
        return -1;
    }
    return 0;
}

dist_peer *dist_peer_for(dist_node *n, const etf_atom *node, dist_error *err)
{
    dist_peer *p = dist_peer_find(n, node->name, node->len);
    if (p != NULL)
        return p;
    char name[HS_MAX_NAME + 1];
    if (node->len > HS_MAX_NAME) {
        dist_fail(err, DIST_ERR_USAGE, "node name too long");
        return NULL;
    }
    memcpy(name, node->name, node->len);
    name[node->len] = 0;
    /* As Erlang does: a send to a node we do not know connects to it, in
     * net_setuptime (7 s). */
    if (dist_node_connect(n, name, 0, 7000, err) != 0)
        return NULL;
    return dist_peer_find(n, name, node->len);
}

/* ---- accepting ---------------------------------------------------------------- */

static void accept_one(dist_node *n)
{
    int fd = accept4(n->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    dist_peer *p = peer_new(n, fd);
    hs_ctx *hs = p ? malloc(sizeof *hs) : NULL;
    if (hs == NULL) {
        if (p != NULL)
            p->state = CONN_DEAD;
        else
            close(fd);
        return;
    }
    p->hs = hs;
    hs_config cfg = {0};
    cfg.node_name = n->name;
    cfg.creation = n->creation;
    cfg.cookie = n->cookie;
    cfg.cookie_len = n->cookie_len;
    cfg.flags = NODE_FLAGS;
    cfg.trace = n->trace;
    cfg.trace_arg = n->arg;
    if (hs_init(hs, HS_ACCEPTOR, &cfg) != 0)
        dist_peer_kill(p, hs_get_error(hs)->message);
    else
        dist_node_tracef(n, "node: connection accepted, handshake");
}

/* Moves a handshake on: its bytes out, a decision when the peer's name
 * is known, the channel when it is done. */
static void handshake_step(dist_peer *p)
{
    dist_node *n = p->node;
    hs_ctx *hs = p->hs;
    for (;;) {
        unsigned st = hs_state(hs);
        if (st & HS_SEND) {
            size_t len;
            const uint8_t *b = hs_send_buf(hs, &len);
            ssize_t w = send(p->fd, b, len, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    return; /* the loop waits for POLLOUT */
                dist_peer_kill(p, strerror(errno));
                return;
            }
            hs_send_ack(hs, (size_t)w);
            continue;
        }
        if (st & HS_FAILED) {
            dist_peer_kill(p, hs_get_error(hs)->message);
            return;
        }
        if (st & HS_DONE) {
            hs_result r = *hs_get_result(hs);
            hs_clear(hs);
            free(hs);
            p->hs = NULL;
            dist_error err;
            if (peer_up(p, &r, &err) != 0)
                dist_peer_kill(p, err.message);
            return;
        }
        if (st & HS_DECIDE) {
            const hs_result *r = hs_get_result(hs);
            if (r->peer_dynamic) {
                /* erl_call -R and the like: give it a name of its own. */
                char name[HS_MAX_NAME + 32]; /* too long: refused below */
                uint32_t rnd = 0;
                hs_random_bytes(&rnd, sizeof rnd);
                snprintf(name, sizeof name, "c%u_%u@%s", ++n->next_pid,
                         rnd % 100000, r->peer_name);
                if (hs_decide_named(hs, name, rnd | 1) != 0)
                    hs_decide(hs, HS_STATUS_NOT_ALLOWED);
            } else {
                int known = dist_peer_find(n, r->peer_name,
                                           strlen(r->peer_name)) != NULL;
                hs_decide(hs, known ? HS_STATUS_ALIVE : HS_STATUS_OK);
            }
            continue;
        }
        return; /* HS_RECV: wait for bytes */
    }
}

/* ---- reading ------------------------------------------------------------------ */

/* Handles the packets that have arrived whole on an open connection. */
static void packets(dist_peer *p)
{
    dist_node *n = p->node;
    while (p->state == CONN_UP) {
        const uint8_t *pkt;
        size_t len;
        dist_error err;
        int got = dist_reader_next(&p->in, &pkt, &len, &err);
        if (got < 0) {
            dist_peer_kill(p, err.message);
            return;
        }
        if (got == 0)
            return;
        size_t placed = dist_reader_placed(&p->in);
        p->last_recv_ms = dist_now_ms();
        if (len == 0) {
            dist_node_tracef(n, "dist: <- %s: tick, -> tick", p->name);
            queue_tick(p);
            continue;
        }
        /* A message's terms point into its bytes: keep a copy of them in
         * the message's own arena, which the mailbox can take over. The
         * pieces of a message in several fragments are copied by the
         * channel as it reassembles them. */
        etf_arena a;
        etf_arena_init(&a);
        const uint8_t *bytes = pkt;
        if (!dist_channel_copies(&p->ch, pkt, len)) {
            uint8_t *copy = etf_arena_alloc(&a, len);
            if (copy == NULL) {
                dist_peer_kill(p, "out of memory");
                return;
            }
            memcpy(copy, pkt, len);
            bytes = copy;
        }
        dist_msg m;
        int r = dist_channel_recv_placed(&p->ch, bytes, len, placed, &a, &m,
                                         &err);
        if (r < 0) {
            etf_arena_release(&a);
            dist_peer_kill(p, err.message);
            return;
        }
        if (r > 0 && dist_signal_in(p, &a, &m, &err) != 0)
            dist_peer_kill(p, err.message);
        etf_arena_release(&a);
    }
}

/* Offers the body of a large packet under way to the channel: a
 * fragment of a message being reassembled is then received straight
 * into the message's buffer, with no copy from the reader's (the
 * reader's buffer and the message's would otherwise both pass through
 * the CPU cache: bench/README.md). Returns 1 if the body is diverted. */
static int place(dist_peer *p)
{
    const uint8_t *head;
    size_t have, total, keep;
    uint8_t *dst;
    if (p->in.div != NULL)
        return 1; /* one is already */
    if (!dist_reader_pending(&p->in, &head, &have, &total) ||
        !dist_channel_place(&p->ch, head, have, total, &keep, &dst))
        return 0;
    dist_reader_divert(&p->in, keep, dst);
    return 1;
}

/* A read past the body under way (readable): the continuations that
 * should come next (dist_channel_ahead), their headers into hdr and
 * their pieces straight to their places; then the tail. */
typedef struct ahead {
    size_t k;                 /* continuations predicted */
    size_t rest;              /* bytes left of the body under way */
    uint64_t seq, id;         /* the first one's SequenceId, FragmentId */
    uint8_t *dst;             /* the first one's piece */
    uint8_t hdr[DIST_AHEAD_MAX][DIST_AHEAD_HEADER];
    uint8_t tail[DIST_READ_PAST];
} ahead;

/* Sets up the iovecs of a read ahead behind iov[0], the body under way;
 * returns how many in all, or 0 if no continuation is due. */
static int ahead_iov(dist_peer *p, ahead *ah, struct iovec *iov)
{
    ah->k = dist_channel_ahead(&p->ch, DIST_AHEAD_MAX, &ah->seq, &ah->id,
                               &ah->dst);
    if (ah->k == 0)
        return 0;
    ah->rest = iov[0].iov_len;
    int n = 1;
    for (size_t i = 0; i < ah->k; i++) {
        iov[n].iov_base = ah->hdr[i];
        iov[n++].iov_len = sizeof ah->hdr[i];
        iov[n].iov_base = ah->dst + i * DIST_FRAGMENT_SIZE;
        iov[n++].iov_len = DIST_FRAGMENT_SIZE;
    }
    iov[n].iov_base = ah->tail;
    iov[n++].iov_len = sizeof ah->tail;
    return n;
}

/* Hands the `got` bytes of a read ahead to the reader. While the packets
 * are the continuations predicted, each header goes through the reader
 * and the channel as usual (dist_channel_place then gives the place its
 * piece is in already) and its piece is only counted. From the first
 * packet that is anything else on, the bytes are the reader's to parse:
 * all of them are copied to it, in order, before any is handled (they
 * sit where the channel may write next). */
static void ahead_commit(dist_peer *p, ahead *ah, size_t got)
{
    dist_reader *r = &p->in;
    dist_error err;
    size_t n = got < ah->rest ? got : ah->rest;
    dist_reader_commit(r, n);
    got -= n;
    int track = 1;
    for (size_t i = 0; i < ah->k && got > 0; i++) {
        size_t h = got < sizeof ah->hdr[i] ? got : sizeof ah->hdr[i];
        size_t b = got - h < DIST_FRAGMENT_SIZE ? got - h
                                                : DIST_FRAGMENT_SIZE;
        uint8_t *body = ah->dst + i * DIST_FRAGMENT_SIZE;
        uint8_t want[DIST_AHEAD_HEADER];
        dist_channel_ahead_header(want, ah->seq, ah->id - i);
        got -= h + b;
        if (track) {
            packets(p); /* the previous piece, whole: its packet */
            if (p->state != CONN_UP)
                return;
        }
        if (dist_reader_feed(r, ah->hdr[i], h, &err) != 0)
            goto fail;
        track = track && h == sizeof want &&
                memcmp(ah->hdr[i], want, sizeof want) == 0 && place(p);
        if (track && r->div != body) {
            dist_peer_kill(p, "internal error: a continuation placed "
                              "elsewhere than dist_channel_ahead said");
            return;
        }
        if (track)
            dist_reader_commit(r, b);
        else if (dist_reader_feed(r, body, b, &err) != 0)
            goto fail;
    }
    if (dist_reader_feed(r, ah->tail, got, &err) == 0)
        return;
fail:
    dist_peer_kill(p, err.message);
}

/* Reads what the socket holds. During the handshake the bytes go to the
 * engine (and what follows its end to the packet reader); afterwards
 * they go straight into the packet reader's buffer, or a diverted body
 * into its message's buffer (place), several reads in a row while the
 * socket has more, up to a bound so that one busy peer does not starve
 * the others. Past a diverted body a read takes only a little more
 * (DIST_READ_PAST): the next fragment's header, and not so much of its
 * body that this one could not be diverted too; unless the fragments
 * that follow are known (ahead_iov): then it takes them too, each piece
 * straight to its place. */
static void readable(dist_peer *p)
{
    if (p->hs != NULL) {
        uint8_t buf[4096];
        ssize_t got = recv(p->fd, buf, sizeof buf, 0);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                dist_peer_kill(p, strerror(errno));
            return;
        }
        if (got == 0) {
            hs_recv_eof(p->hs);
            dist_peer_kill(p, (hs_state(p->hs) & HS_FAILED)
                                  ? hs_get_error(p->hs)->message
                                  : "the node closed the connection");
            return;
        }
        size_t used = hs_feed(p->hs, buf, (size_t)got);
        handshake_step(p);
        dist_error err;
        if (used < (size_t)got && p->state == CONN_UP &&
            dist_reader_feed(&p->in, buf + used, (size_t)got - used,
                             &err) != 0)
            dist_peer_kill(p, err.message);
        return;
    }
    ahead ah[1];
    size_t total = 0;
    while (p->state == CONN_UP && total < DIST_READ_BURST) {
        /* What has come whole is handled first, so that the reader holds
         * at most the packet under way, whose body may then go straight
         * to where the channel keeps it (place). */
        packets(p);
        if (p->state != CONN_UP)
            return;
        int diverted = place(p);
        dist_error err;
        struct iovec iov[2 + 2 * DIST_AHEAD_MAX];
        int n = dist_reader_iov(&p->in,
                                diverted ? DIST_READ_PAST : DIST_READ_SIZE,
                                iov, &err);
        if (n < 0) {
            dist_peer_kill(p, err.message);
            return;
        }
        int na = diverted && n == 2 ? ahead_iov(p, ah, iov) : 0;
        if (na > 0)
            n = na;
        ssize_t got = readv(p->fd, iov, n);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                dist_peer_kill(p, strerror(errno));
            return;
        }
        if (got == 0) {
            dist_peer_kill(p, "the node closed the connection");
            return;
        }
        if (na > 0)
            ahead_commit(p, ah, (size_t)got);
        else
            dist_reader_commit(&p->in, (size_t)got);
        total += (size_t)got;
        size_t room = 0;
        for (int i = 0; i < n; i++)
            room += iov[i].iov_len;
        if ((size_t)got < room)
            return; /* the socket is empty for now */
    }
}

/* ---- the loop ---------------------------------------------------------------- */

/* Ticks due and silent peers; returns ms until the next tick is due. */
static int64_t tick_all(dist_node *n)
{
    int64_t now = dist_now_ms(), next = 60000;
    for (dist_peer *p = n->peers; p != NULL; p = p->next) {
        if (p->state != CONN_UP)
            continue;
        if (now - p->last_recv_ms >= n->ticktime_ms) {
            char why[96];
            snprintf(why, sizeof why, "no word from it for %u s "
                     "(net_ticktime): taken as down", n->ticktime_ms / 1000);
            dist_peer_kill(p, why);
            continue;
        }
        if (now - p->last_sent_ms >= n->ticktime_ms / 4 &&
            p->out.len == 0) {
            dist_node_tracef(n, "dist: -> %s: tick", p->name);
            queue_tick(p);
        }
        int64_t t1 = p->last_sent_ms + n->ticktime_ms / 4 - now;
        int64_t t2 = p->last_recv_ms + n->ticktime_ms - now;
        if (t1 < next)
            next = t1;
        if (t2 < next)
            next = t2;
    }
    return next < 1 ? 1 : next;
}

int dist_node_poll(dist_node *n, int timeout_ms, dist_error *err)
{
    size_t np = 3;
    for (dist_peer *p = n->peers; p != NULL; p = p->next)
        np++;
    struct pollfd stack[64];
    dist_peer *stack_who[64];
    struct pollfd *fds = np <= 64 ? stack : malloc(np * sizeof *fds);
    dist_peer **who = np <= 64 ? stack_who : malloc(np * sizeof *who);
    if (fds == NULL || who == NULL) {
        if (fds != stack)
            free(fds);
        if (who != stack_who)
            free(who);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    if (n->listen_fd >= 0) {
        fds[k] = (struct pollfd){n->listen_fd, POLLIN, 0};
        who[k++] = NULL;
    }
    int epmd_at = -1;
    if (n->epmd_fd >= 0) {
        epmd_at = (int)k;
        fds[k] = (struct pollfd){n->epmd_fd, POLLIN, 0};
        who[k++] = NULL;
    }
    int extra_at = -1;
    if (n->extra_fd >= 0) {
        extra_at = (int)k;
        fds[k] = (struct pollfd){n->extra_fd, POLLIN, 0};
        who[k++] = NULL;
    }
    for (dist_peer *p = n->peers; p != NULL; p = p->next) {
        if (p->state == CONN_DEAD)
            continue;
        short ev = POLLIN;
        if (p->out_off < p->out.len ||
            (p->hs != NULL && (hs_state(p->hs) & HS_SEND)))
            ev |= POLLOUT;
        fds[k] = (struct pollfd){p->fd, ev, 0};
        who[k++] = p;
    }

    /* Packets read while a sender waited (drain) are handled first; if
     * that delivered anything, poll only looks and does not wait. */
    unsigned long delivered = n->delivered;
    for (dist_peer *p = n->peers; p != NULL; p = p->next)
        if (p->state == CONN_UP)
            packets(p);
    int64_t wait = tick_all(n);
    if (timeout_ms >= 0 && timeout_ms < wait)
        wait = timeout_ms;
    if (n->delivered != delivered)
        wait = 0;
    int r = poll(fds, k, (int)wait);
    if (r > 0) {
        for (size_t i = 0; i < k; i++) {
            if (fds[i].revents == 0)
                continue;
            dist_peer *p = who[i];
            if (p == NULL && (int)i == extra_at) {
                /* The callback may unwatch it, or watch another. */
                if (n->extra_fd == fds[i].fd && n->extra_fn != NULL)
                    n->extra_fn(n->extra_arg, fds[i].fd);
            } else if (p == NULL && (int)i == epmd_at) {
                dist_node_logf(n, "EPMD closed our registration: nodes "
                               "can no longer find %s by name (connections "
                               "go on)", n->name);
                close(n->epmd_fd);
                n->epmd_fd = -1;
            } else if (p == NULL) {
                accept_one(n);
            } else if (p->state != CONN_DEAD) {
                if (fds[i].revents & POLLOUT) {
                    if (p->hs != NULL)
                        handshake_step(p);
                    else
                        flush(p);
                }
                if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                    readable(p);
                if (p->state == CONN_UP)
                    packets(p);
            }
        }
    }
    if (fds != stack)
        free(fds);
    if (who != stack_who)
        free(who);
    reap(n);
    return 0;
}

int dist_node_run(dist_node *n, int timeout_ms, dist_error *err)
{
    int64_t deadline = timeout_ms >= 0 ? dist_now_ms() + timeout_ms : -1;
    n->stop = 0;
    while (!n->stop) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - dist_now_ms();
            if (left <= 0)
                break;
            wait = (int)left;
        }
        if (dist_node_poll(n, wait, err) != 0)
            return -1;
    }
    return 0;
}
