/*
 * client.c -- the three EPMD conversations, each a blocking call with one
 * timeout: NAMES, PORT_PLEASE2 and ALIVE2.
 *
 * Each call has the same shape:
 *
 *   1. encode the request (a bad name is refused here, before any
 *      connection, with the reason);
 *   2. connect to EPMD (tcp.c), send the request;
 *   3. read until the decoder (reply.c) says the reply is complete --
 *      or, for NAMES, which has no length, until EPMD closes;
 *   4. turn what went wrong into words about EPMD.
 *
 * One deadline covers all of it, so `--timeout 2s` means two seconds
 * however the time is spent. Step 4 is most of this file: the layers below
 * report what they saw ("connection refused by 127.0.0.1"), and this one
 * knows what it means ("no EPMD at localhost:4369: is a node running
 * there?").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"

/* A NAMES reply is a line per node; more than this is not an EPMD. */
#define MAX_NAMES_REPLY ((size_t)16 << 20)
/* Any other reply is at most 131 084 bytes (two 16-bit lengths). */
#define MAX_REPLY ((size_t)256 << 10)
/* Bytes read at a time. */
#define READ_CHUNK 4096

/* One conversation with EPMD. */
typedef struct call {
    const epmd_client *c;
    char where[300]; /* "localhost:4369", for messages */
    int64_t deadline; /* -1: none */
    int fd;
} call;

/* ---- tracing (-v) ---------------------------------------------------- */

static void trace(const call *k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void trace(const call *k, const char *fmt, ...)
{
    if (k->c->trace == NULL)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    k->c->trace(k->c->trace_ctx, line);
}

/* Up to 40 bytes as hex, for the trace. */
static void hex(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < len && i < 40 && o + 4 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? " " : "",
                              p[i]);
    if (len > 40 && o + 5 < cap)
        snprintf(out + o, cap - o, " ...");
}

/* Text from the network, made safe to print: control characters become
 * '?', so that a hostile EPMD cannot send escape sequences to a
 * terminal through our messages. */
static void safe(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    out[o] = 0;
}

/* ---- the steps -------------------------------------------------------- */

static int time_left(const call *k)
{
    if (k->deadline < 0)
        return -1;
    int64_t left = k->deadline - epmd_now_ms();
    return left <= 0 ? 0 : (int)left;
}

/* What a timeout looks like to the person waiting. */
static int timed_out(const call *k, const char *doing, epmd_error *err)
{
    return epmd_fail(err, EPMD_ERR_TIMEOUT,
                     "EPMD at %s: no answer within %d ms while %s",
                     k->where,
                     k->c->timeout_ms, doing);
}

static void start(call *k, const epmd_client *c)
{
    k->c = c;
    epmd_host_port(k->where, sizeof k->where, c->host,
                   c->port != 0 ? c->port : EPMD_PORT_NO);
    k->deadline = c->timeout_ms > 0 ? epmd_now_ms() + c->timeout_ms : -1;
    k->fd = -1;
}

static int open_call(call *k, epmd_error *err)
{
    const epmd_client *c = k->c;
    uint16_t port = c->port != 0 ? c->port : EPMD_PORT_NO;
    trace(k, "EPMD: connecting to %s", k->where);
    int left = time_left(k);
    if (left == 0)
        return timed_out(k, "connecting", err);
    if (epmd_tcp_connect(c->host, port, left, &k->fd, err) == 0) {
        if (c->trace != NULL) {
            struct sockaddr_storage sa;
            socklen_t sl = sizeof sa;
            char a[64] = "?";
            if (getpeername(k->fd, (struct sockaddr *)&sa, &sl) == 0)
                getnameinfo((struct sockaddr *)&sa, sl, a, sizeof a, NULL,
                            0, NI_NUMERICHOST);
            trace(k, "EPMD: connected to %s", a);
        }
        return 0;
    }
    switch (err != NULL ? err->code : EPMD_ERR_IO) {
    case EPMD_ERR_REFUSED:
        /* "connection refused by 127.0.0.1" becomes the reason. */
        if (err != NULL) {
            char why[sizeof err->message];
            memcpy(why, err->message, sizeof why);
            epmd_fail(err, EPMD_ERR_REFUSED,
                      "no EPMD at %s (%s): is a node running there?",
                      k->where, why);
        }
        break;
    case EPMD_ERR_TIMEOUT:
        timed_out(k, "connecting", err);
        break;
    case EPMD_ERR_RESOLVE:
    case EPMD_ERR_NOMEM:
        break; /* already names the host */
    default:
        epmd_prefix(err, "cannot reach EPMD at %s", k->where);
    }
    return -1;
}

static void close_call(call *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
}

static int send_req(call *k, const uint8_t *req, size_t len,
                    const char *what, epmd_error *err)
{
    char h[200];
    hex(req, len, h, sizeof h);
    trace(k, "EPMD: -> %s  [%s]", what, h);
    int left = time_left(k);
    if (left == 0 || epmd_tcp_send(k->fd, req, len, left, err) != 0) {
        if (left == 0 || (err != NULL && err->code == EPMD_ERR_TIMEOUT))
            return timed_out(k, "sending the request", err);
        epmd_prefix(err, "EPMD at %s", k->where);
        return -1;
    }
    return 0;
}

/* Reads more of the reply into r. *eof is set when EPMD has closed. */
static int recv_more(call *k, epmd_reply *r, size_t limit, int *eof,
                     epmd_error *err)
{
    if (r->cap - r->len < READ_CHUNK) {
        if (r->len >= limit)
            return epmd_fail(err, EPMD_ERR_BAD_REPLY,
                             "EPMD at %s sent more than %zu bytes: that is "
                             "not an EPMD reply", k->where, limit);
        size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
        uint8_t *d = realloc(r->data, cap);
        if (d == NULL)
            return epmd_fail(err, EPMD_ERR_NOMEM, "out of memory");
        r->data = d;
        r->cap = cap;
    }
    int left = time_left(k);
    if (left == 0)
        return timed_out(k, "waiting for the reply", err);
    size_t got = 0;
    if (epmd_tcp_recv(k->fd, r->data + r->len, r->cap - r->len, left, &got,
                      err) != 0) {
        if (err != NULL && err->code == EPMD_ERR_TIMEOUT)
            return timed_out(k, "waiting for the reply", err);
        epmd_prefix(err, "EPMD at %s", k->where);
        return -1;
    }
    r->len += got;
    *eof = got == 0;
    return 0;
}

/* The reply ended (EPMD closed) before the decoder was satisfied. */
static int ended_early(const call *k, const epmd_reply *r, const char *req,
                       const char *hint, epmd_error *err)
{
    if (r->len == 0)
        return epmd_fail(err, EPMD_ERR_CLOSED,
                         "EPMD at %s closed the connection without "
                         "answering %s%s", k->where, req, hint);
    epmd_prefix(err, "EPMD at %s closed the connection early", k->where);
    return -1;
}

/* Reads until `decode` accepts the reply. */
typedef int (*decoder)(const uint8_t *buf, size_t len, void *out,
                       size_t *used, epmd_error *err);

static int read_reply(call *k, epmd_reply *r, decoder decode, void *out,
                      const char *req, const char *hint, epmd_error *err)
{
    r->len = 0;
    for (;;) {
        int eof = 0;
        if (recv_more(k, r, MAX_REPLY, &eof, err) != 0)
            return -1;
        size_t used;
        epmd_error derr = {EPMD_OK, ""};
        if (r->len > 0 && decode(r->data, r->len, out, &used, &derr) == 0)
            return 0;
        if (r->len > 0 && derr.code != EPMD_ERR_TRUNCATED) {
            if (err != NULL)
                *err = derr;
            epmd_prefix(err, "EPMD at %s", k->where);
            return -1;
        }
        if (eof) {
            if (err != NULL && r->len > 0)
                *err = derr;
            return ended_early(k, r, req, hint, err);
        }
    }
}

/* The decoders, with the signature read_reply wants. */
typedef struct port2_out {
    uint8_t result;
    epmd_node_info *node;
} port2_out;

static int decode_port2(const uint8_t *buf, size_t len, void *out,
                        size_t *used, epmd_error *err)
{
    port2_out *o = out;
    return epmd_decode_port2_resp(buf, len, &o->result, o->node, used, err);
}

static int decode_alive2(const uint8_t *buf, size_t len, void *out,
                         size_t *used, epmd_error *err)
{
    return epmd_decode_alive2_resp(buf, len, out, used, err);
}

/* ---- NAMES ------------------------------------------------------------ */

void epmd_reply_release(epmd_reply *r)
{
    free(r->data);
    r->data = NULL;
    r->len = r->cap = 0;
}

int epmd_names(const epmd_client *c, epmd_reply *raw, epmd_names_reply *out,
               epmd_error *err)
{
    call k;
    uint8_t req[3];
    size_t len;
    start(&k, c);
    if (epmd_encode_names_req(req, sizeof req, &len, err) != 0 ||
        open_call(&k, err) != 0)
        return -1;
    if (send_req(&k, req, len, "NAMES_REQ", err) != 0)
        goto fail;
    /* No length: read until EPMD closes. */
    raw->len = 0;
    for (;;) {
        int eof = 0;
        if (recv_more(&k, raw, MAX_NAMES_REPLY, &eof, err) != 0)
            goto fail;
        if (eof)
            break;
    }
    close_call(&k);
    if (raw->len == 0)
        return ended_early(&k, raw, "NAMES_REQ", "", err);
    if (epmd_decode_names_resp(raw->data, raw->len, out, err) != 0) {
        epmd_prefix(err, "EPMD at %s", k.where);
        return -1;
    }
    size_t pos = 0, count = 0;
    epmd_name_entry e;
    while (epmd_names_next(out, &pos, &e))
        count++;
    trace(&k, "EPMD: <- NAMES reply: EPMD port %u, %zu node%s "
          "(%zu bytes of text)", (unsigned)out->epmd_port, count,
          count == 1 ? "" : "s", out->text_len);
    return 0;
fail:
    close_call(&k);
    return -1;
}

/* ---- PORT_PLEASE2 ----------------------------------------------------- */

/* The message for a name EPMD does not know: which names it does know. */
static void not_registered(const call *k, const char *name, epmd_error *err)
{
    char sname[256], list[400] = "";
    safe(name, strlen(name), sname, sizeof sname);
    epmd_client c2 = *k->c;
    c2.timeout_ms = k->deadline < 0 ? 0 : time_left(k);
    if (k->deadline >= 0 && c2.timeout_ms == 0)
        c2.timeout_ms = 1; /* a last short try rather than none at all */
    epmd_reply raw = {0};
    epmd_names_reply names;
    epmd_error nerr;
    if (epmd_names(&c2, &raw, &names, &nerr) != 0) {
        epmd_fail(err, EPMD_ERR_NOT_REGISTERED,
                  "no node '%s' is registered at EPMD %s (and listing the "
                  "names there failed: %s)", sname, k->where, nerr.message);
        return;
    }
    size_t pos = 0, count = 0, shown = 0;
    epmd_name_entry e;
    while (epmd_names_next(&names, &pos, &e)) {
        char one[256];
        size_t n = strlen(list);
        count++;
        safe(e.name, e.name_len, one, sizeof one);
        if (n + strlen(one) + 8 < sizeof list) {
            snprintf(list + n, sizeof list - n, "%s%s", shown ? ", " : "",
                     one);
            shown++;
        }
    }
    epmd_reply_release(&raw);
    if (count == 0)
        epmd_fail(err, EPMD_ERR_NOT_REGISTERED,
                  "no node '%s' is registered at EPMD %s: no node is "
                  "registered there at all", sname, k->where);
    else if (shown == count)
        epmd_fail(err, EPMD_ERR_NOT_REGISTERED,
                  "no node '%s' is registered at EPMD %s; registered "
                  "there: %s", sname, k->where, list);
    else
        epmd_fail(err, EPMD_ERR_NOT_REGISTERED,
                  "no node '%s' is registered at EPMD %s; registered "
                  "there: %s and %zu more", sname, k->where, list,
                  count - shown);
}

int epmd_port_please(const epmd_client *c, const char *name,
                     epmd_reply *raw, epmd_node_info *node,
                     epmd_error *err)
{
    call k;
    uint8_t req[EPMD_MAX_REQUEST];
    size_t len;
    start(&k, c);
    if (epmd_encode_port2_req(name, strlen(name), req, sizeof req, &len,
                              err) != 0)
        return -1;
    if (open_call(&k, err) != 0)
        return -1;
    char sname[256];
    safe(name, strlen(name), sname, sizeof sname);
    char what[300];
    snprintf(what, sizeof what, "PORT_PLEASE2_REQ name=%s", sname);
    port2_out o = {0, node};
    if (send_req(&k, req, len, what, err) != 0 ||
        read_reply(&k, raw, decode_port2, &o, "PORT_PLEASE2_REQ",
                   " (it does so for names it finds invalid)", err) != 0) {
        close_call(&k);
        return -1;
    }
    close_call(&k);
    if (o.result != 0) {
        trace(&k, "EPMD: <- PORT2_RESP result=%u (not registered)",
              o.result);
        not_registered(&k, name, err);
        return -1;
    }
    char nm[256];
    safe(node->name, node->name_len, nm, sizeof nm);
    trace(&k, "EPMD: <- PORT2_RESP result=0 port=%u type=%u proto=%u "
          "high=%u low=%u name=%s extra=%zu bytes",
          node->port, node->node_type, node->protocol,
          node->highest_version, node->lowest_version, nm,
          node->extra_len);
    return 0;
}

/* ---- ALIVE2 ----------------------------------------------------------- */

int epmd_register(const epmd_client *c, const epmd_node_info *node, int *fd,
                  uint32_t *creation, epmd_error *err)
{
    call k;
    uint8_t req[EPMD_MAX_REQUEST];
    size_t len;
    start(&k, c);
    if (epmd_encode_alive2_req(node, req, sizeof req, &len, err) != 0)
        return -1;
    if (open_call(&k, err) != 0)
        return -1;
    char nm[256], what[400];
    safe(node->name, node->name_len, nm, sizeof nm);
    snprintf(what, sizeof what,
             "ALIVE2_REQ port=%u type=%u proto=%u high=%u low=%u name=%s "
             "extra=%zu bytes", node->port, node->node_type, node->protocol,
             node->highest_version, node->lowest_version, nm,
             node->extra_len);
    epmd_reply raw = {0};
    epmd_alive2_reply a;
    int r = send_req(&k, req, len, what, err);
    if (r == 0)
        r = read_reply(&k, &raw, decode_alive2, &a, "ALIVE2_REQ",
                       " (EPMD takes registrations only from its own host, "
                       "and drops names it finds invalid)", err);
    epmd_reply_release(&raw);
    if (r != 0) {
        close_call(&k);
        return -1;
    }
    trace(&k, "EPMD: <- %s result=%u creation=%u",
          a.code == EPMD_ALIVE2_X_RESP ? "ALIVE2_X_RESP" : "ALIVE2_RESP",
          a.result, (unsigned)a.creation);
    if (a.result != 0) {
        close_call(&k);
        return epmd_fail(err, EPMD_ERR_REGISTER,
                         "EPMD at %s refused to register '%s' (result %u): "
                         "a node of that name is already registered there",
                         k.where, nm, a.result);
    }
    *fd = k.fd;
    *creation = a.creation;
    return 0;
}
