/*
 * conn.c -- a blocking connection to one node, for the command.
 *
 * Connecting is three steps, each bounded by the same deadline:
 *
 *   1. EPMD on the node's host says which port the node listens on and
 *      which versions of the handshake it speaks (epmd/): unless the
 *      caller knows the port already (--port).
 *   2. A TCP connection to that port (epmd_tcp_connect).
 *   3. The handshake as initiator (handshake/): this file only moves its
 *      bytes between the socket and the engine.
 *
 * Once connected, dist_conn_recv waits for messages with poll and keeps the
 * connection alive: it answers each tick (an empty packet) with a tick, so
 * that a peer with a shorter net_ticktime than ours still hears from us in
 * time; when we have sent nothing for a quarter of our net_ticktime it
 * sends one of its own, as OTP's ticker does; and a peer that has sent
 * nothing at all, not even a tick, for net_ticktime is taken as gone
 * (OTP's net_kernel would say the node is down).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "dist/internal.h"
#include "epmd/epmd.h"

int64_t dist_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before `deadline` (at least 1, so that a timeout of
 * 0 is not "no limit"); -1 without a deadline. */
static int left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - dist_now_ms();
    return left < 1 ? 1 : left > 1000000000 ? 1000000000 : (int)left;
}

static void trace(const dist_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void trace(const dist_conn *c, const char *fmt, ...)
{
    if (c->trace == NULL)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->trace(c->trace_arg, line);
}

/* An EPMD or TCP failure as dist/ reports it. */
static int from_epmd(const epmd_error *e, const char *context,
                     dist_error *err)
{
    dist_errcode code = e->code == EPMD_ERR_TIMEOUT ? DIST_ERR_TIMEOUT
                        : e->code == EPMD_ERR_NOMEM ? DIST_ERR_NOMEM
                        : e->code == EPMD_ERR_ARG   ? DIST_ERR_USAGE
                                                    : DIST_ERR_CONNECT;
    return dist_fail(err, code, "%s%s", context, e->message);
}

/* ---- the handshake over the socket --------------------------------------- */

static int handshake(dist_conn *c, hs_ctx *hs, int64_t deadline,
                     dist_error *err)
{
    uint8_t buf[4096];
    for (;;) {
        unsigned st = hs_state(hs);
        if (st & HS_SEND) {
            size_t n;
            const uint8_t *p = hs_send_buf(hs, &n);
            epmd_error e;
            if (epmd_tcp_send(c->fd, p, n, left_ms(deadline), &e) != 0)
                return from_epmd(&e, "handshake: ", err);
            hs_send_ack(hs, n);
            continue;
        }
        if (st & HS_DONE)
            return 0;
        if (st & HS_FAILED) {
            const hs_error *he = hs_get_error(hs);
            int code = hs_error_exit_code(he);
            return dist_fail(err, code == 4 ? DIST_ERR_AUTH
                                  : code == 2 ? DIST_ERR_USAGE
                                              : DIST_ERR_CONNECT,
                             "%s", he->message);
        }
        /* HS_RECV: read what has come; bytes past the handshake's end
         * are the first packets, for the reader. */
        size_t got;
        epmd_error e;
        if (epmd_tcp_recv(c->fd, buf, sizeof buf, left_ms(deadline), &got,
                          &e) != 0)
            return from_epmd(&e, "handshake: ", err);
        if (got == 0) {
            hs_recv_eof(hs);
            continue;
        }
        size_t used = hs_feed(hs, buf, got);
        if (used < got && (hs_state(hs) & HS_DONE) &&
            dist_reader_feed(&c->in, buf + used, got - used, err) != 0)
            return -1;
    }
}

int dist_connect(dist_conn *c, const dist_connect_opts *o, dist_error *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->trace = o->trace;
    c->trace_arg = o->trace_arg;
    etf_arena_init(&c->arena);
    int64_t deadline = o->timeout_ms > 0 ? dist_now_ms() + o->timeout_ms
                                         : -1;
    const hs_node_name *peer = o->peer;

    /* 1. Where the node listens, and whether it speaks the v6 handshake
     * (OTP 23 and later) or only v5. */
    uint16_t port = o->port;
    int legacy = 0;
    if (port == 0) {
        epmd_client ec = {peer->host, o->epmd_port, left_ms(deadline),
                          o->trace, o->trace_arg};
        epmd_reply raw = {0};
        epmd_node_info node;
        epmd_error e;
        if (epmd_port_please(&ec, peer->alive, &raw, &node, &e) != 0) {
            epmd_reply_release(&raw);
            return from_epmd(&e, "", err);
        }
        port = node.port;
        legacy = node.highest_version < 6;
        epmd_reply_release(&raw);
    }

    /* 2. TCP. */
    epmd_error e;
    trace(c, "dist: connecting to %s at %s port %u", peer->full, peer->host,
          port);
    if (epmd_tcp_connect(peer->host, port, left_ms(deadline), &c->fd,
                         &e) != 0) {
        char context[HS_MAX_NAME + 64];
        snprintf(context, sizeof context, "node %s: ", peer->full);
        return from_epmd(&e, context, err);
    }

    /* 3. The handshake. */
    hs_ctx *hs = malloc(sizeof *hs);
    if (hs == NULL) {
        dist_close(c);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    hs_config cfg = {0};
    /* A dynamic name request carries our host only; a node too old for
     * one (v5) gets our full name. */
    cfg.dynamic_name = o->dynamic_name && !legacy;
    const char *at = strchr(o->our_name, '@');
    cfg.node_name = cfg.dynamic_name && at ? at + 1 : o->our_name;
    cfg.creation = o->creation;
    cfg.flags = o->flags;
    cfg.cookie = o->cookie;
    cfg.cookie_len = o->cookie_len;
    cfg.peer_name = peer->full;
    cfg.legacy_name = legacy;
    cfg.trace = o->trace;
    cfg.trace_arg = o->trace_arg;
    int r = -1;
    if (hs_init(hs, HS_INITIATOR, &cfg) != 0)
        dist_fail(err, DIST_ERR_USAGE, "%s", hs_get_error(hs)->message);
    else
        r = handshake(c, hs, deadline, err);
    if (r == 0)
        c->peer = *hs_get_result(hs);
    hs_clear(hs);
    free(hs);
    if (r != 0) {
        dist_close(c);
        return -1;
    }
    unsigned tick = o->net_ticktime ? o->net_ticktime : 60;
    c->ticktime_ms = tick * 1000;
    c->last_sent_ms = c->last_recv_ms = dist_now_ms();
    trace(c, "dist: connected to %s as %s", c->peer.peer_name,
          c->peer.our_name);
    return 0;
}

void dist_close(dist_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    dist_reader_release(&c->in);
    etf_arena_release(&c->arena);
    etf_buf_release(&c->out);
}

/* ---- sending and receiving ------------------------------------------------ */

static int send_bytes(dist_conn *c, const uint8_t *p, size_t n,
                      dist_error *err)
{
    epmd_error e;
    /* A peer that takes nothing for a whole net_ticktime is gone. */
    if (epmd_tcp_send(c->fd, p, n, (int)c->ticktime_ms, &e) != 0)
        return from_epmd(&e, "sending to the node: ", err);
    c->last_sent_ms = dist_now_ms();
    return 0;
}

/* A tick: a packet of length 0. */
static int send_tick(dist_conn *c, dist_error *err)
{
    static const uint8_t tick[4] = {0, 0, 0, 0};
    return send_bytes(c, tick, sizeof tick, err);
}

/* One line of -v: the operation and the terms, as Erlang text. */
static void trace_msg(dist_conn *c, const char *dir, const etf_term *control,
                      const etf_term *payload)
{
    if (c->trace == NULL)
        return;
    etf_buf text = {0};
    etf_print_opts po = {0};
    po.format = ETF_FORMAT_ERLANG;
    etf_print(control, &po, &text);
    if (payload != NULL) {
        etf_buf_append(&text, " + ", 3);
        etf_print(payload, &po, &text);
    }
    trace(c, "dist: %s %.*s", dir, (int)text.len,
          text.data ? (const char *)text.data : "");
    etf_buf_release(&text);
}

int dist_conn_send(dist_conn *c, const etf_term *control, const etf_term *payload,
              dist_error *err)
{
    c->out.len = 0;
    if (dist_msg_encode(control, payload, &c->out, err) != 0)
        return -1;
    trace_msg(c, "->", control, payload);
    return send_bytes(c, c->out.data, c->out.len, err);
}

int dist_conn_recv(dist_conn *c, int timeout_ms, dist_msg *out, dist_error *err)
{
    int64_t deadline = timeout_ms >= 0 ? dist_now_ms() + timeout_ms : -1;
    etf_arena_reset(&c->arena);
    for (;;) {
        const uint8_t *pkt;
        size_t len;
        int got = dist_reader_next(&c->in, &pkt, &len, err);
        if (got < 0)
            return -1;
        if (got > 0) {
            c->last_recv_ms = dist_now_ms();
            if (len == 0) {
                /* Answer a tick with a tick, as erl_interface does: the
                 * peer ticks at a quarter of its own net_ticktime, which
                 * may be shorter than ours, and must hear from us within
                 * it. */
                trace(c, "dist: <- tick, -> tick");
                if (send_tick(c, err) != 0)
                    return -1;
                continue;
            }
            if (dist_msg_decode(pkt, len, &c->arena, out, err) != 0)
                return -1;
            trace_msg(c, "<-", &out->control,
                      out->has_payload ? &out->payload : NULL);
            return 0;
        }

        /* Nothing complete yet: wait for bytes, a tick to send, the
         * peer's silence, or the caller's deadline, whichever is first. */
        int64_t now = dist_now_ms();
        int64_t tick_at = c->last_sent_ms + c->ticktime_ms / 4;
        int64_t dead_at = c->last_recv_ms + c->ticktime_ms;
        if (now >= dead_at)
            return dist_fail(err, DIST_ERR_CLOSED,
                             "node %s sent nothing for %u s (net_ticktime): "
                             "taken as down", c->peer.peer_name,
                             c->ticktime_ms / 1000);
        if (now >= tick_at) {
            trace(c, "dist: -> tick");
            if (send_tick(c, err) != 0)
                return -1;
            continue;
        }
        if (deadline >= 0 && now >= deadline)
            return dist_fail(err, DIST_ERR_TIMEOUT,
                             "no answer from %s within %d ms",
                             c->peer.peer_name, timeout_ms);
        int64_t until = tick_at < dead_at ? tick_at : dead_at;
        if (deadline >= 0 && deadline < until)
            until = deadline;
        uint8_t buf[65536];
        size_t n;
        epmd_error e;
        if (epmd_tcp_recv(c->fd, buf, sizeof buf, (int)(until - now), &n,
                          &e) != 0) {
            if (e.code == EPMD_ERR_TIMEOUT)
                continue;
            return from_epmd(&e, "receiving from the node: ", err);
        }
        if (n == 0)
            return dist_fail(err, DIST_ERR_CLOSED,
                             "node %s closed the connection",
                             c->peer.peer_name);
        if (dist_reader_feed(&c->in, buf, n, err) != 0)
            return -1;
    }
}

/* ---- our pids and references ----------------------------------------------- */

etf_term dist_make_pid(dist_conn *c, etf_arena *a)
{
    etf_term t = {.type = ETF_PID};
    etf_pid *p = etf_arena_alloc(a, sizeof *p);
    if (p == NULL)
        return (etf_term){0};
    p->node.name = c->peer.our_name;
    p->node.len = (uint32_t)strlen(c->peer.our_name);
    /* A pid's number is 28 bits on the wire of OTP's own pids. */
    p->id = ++c->next_id & 0x0FFFFFFF;
    p->serial = 0;
    p->creation = c->peer.our_creation;
    t.u.pid = p;
    return t;
}

etf_term dist_make_ref(dist_conn *c, etf_arena *a)
{
    etf_term t = {.type = ETF_REF};
    etf_ref *r = etf_arena_alloc(a, sizeof *r);
    if (r == NULL)
        return (etf_term){0};
    etf_atom node = {c->peer.our_name, (uint32_t)strlen(c->peer.our_name)};
    dist_ref_fill(r, &node, c->peer.our_creation, ++c->next_id);
    t.u.ref = r;
    return t;
}
