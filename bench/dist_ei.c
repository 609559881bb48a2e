/*
 * dist_ei.c -- the libei C node of bench/dist: a small C node built on
 * erl_interface (Debian's erlang-dev), linked into the benchmark only. It
 * is the model for every C node the benchmark drives (bench/dist_edist.c
 * follows the same command line and the same protocol).
 *
 *   dist_ei DRIVER_NODE COOKIE OURNAME
 *
 * DRIVER_NODE is the driver's full node name (alive@host), OURNAME ours
 * (alive@host: its host part is our host name, so a long name such as
 * x@127.0.0.1 makes us a long-name node). The driver's port comes from
 * EPMD, at ERL_EPMD_PORT if set (libei's ei_epmd_port() reads it), else
 * 4369 (bench/dist exports ERL_EPMD_PORT: its epmd listens on a free
 * port; every C node it runs must honour it). We connect as a hidden
 * node (libei never sets DFLAG_PUBLISHED) and publish nothing at EPMD:
 * the driver never connects to us.
 *
 * The protocol. "Term" is the benchmark's payload; it is made of
 * integers (of up to 64 bits), floats, atoms, binaries, tuples, lists,
 * strings and maps.
 *
 *   1. We connect to DRIVER_NODE and send, to the name `bench` registered
 *      there (REG_SEND):
 *          {hello, OurPid}
 *      OurPid is the pid every request below is sent to.
 *
 *   2. Then we serve, one message at a time, until `stop`:
 *
 *      sink (the driver sends, we receive):
 *          {data, Term}      (N times) each is decoded whole into a term
 *                            tree (below) and counted
 *          {done, From}      we send {count, C} to the pid From, where C
 *                            is the number of {data, _} received since
 *                            the last `done` (or the start); the driver
 *                            checks C == N
 *
 *      source (we send, the driver receives):
 *          {source, From, N, Term}
 *                            Term is decoded into a tree once, and then
 *                            N times: {data, Term} is encoded again from
 *                            the tree and sent to From; then we send
 *                            {done, OurPid} to From. The driver counts
 *                            the {data, _} before `done` and checks N.
 *
 *      stop                  exit 0.
 *
 *   Anything else sent to us (another shape, a Term we cannot decode) is
 *   an error: a message on stderr and exit 1, which the driver sees as
 *   the connection going down (and bench/dist as our exit status). Links,
 *   monitors and ticks from the driver are ignored (libei answers ticks
 *   itself). Losing the connection is exit 1 too. After `stop` the driver
 *   waits until our connection closes; bench/dist then wants exit 0.
 *
 * What "decoded whole" means: a receiver that only skipped the bytes
 * would not be a receiver. Every {data, Term} is walked with libei's
 * decoders (ei_get_type, then ei_decode_* for every element) into a tree
 * of `node`s in a pool that is rewound for each message: integers and
 * floats are decoded, atom names and strings copied (libei can only
 * copy them), binaries pointed at in the receive buffer
 * (ei_decode_bitstring, zero-copy, the cheapest libei offers). The
 * source side keeps its Term's tree (binaries copied out) and encodes
 * every message from it with ei_x_encode_*, as a sender encodes its own
 * data, into one ei_x_buff whose memory is kept between messages;
 * ei_send writes it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libei.a is the threaded build: erl_errno lives in a per-thread place. */
#define _REENTRANT
#include <ei.h>

#define MAX_DEPTH 64

static const char *prog = "dist_ei";

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- a pool: a chain of blocks, rewound as a whole --------------------- */

typedef struct block {
    struct block *next;
    size_t cap, used;
    _Alignas(max_align_t) unsigned char mem[];
} block;

typedef struct pool {
    block *first, *cur;
} pool;

static void *pool_alloc(pool *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    while (p->cur != NULL && p->cur->cap - p->cur->used < n) {
        if (p->cur->next == NULL)
            break;
        p->cur = p->cur->next;
        p->cur->used = 0;
    }
    if (p->cur == NULL || p->cur->cap - p->cur->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        block *b = malloc(sizeof *b + cap);
        if (b == NULL)
            die("out of memory");
        b->next = NULL;
        b->cap = cap;
        b->used = 0;
        if (p->cur == NULL)
            p->first = b;
        else
            p->cur->next = b;
        p->cur = b;
    }
    void *r = p->cur->mem + p->cur->used;
    p->cur->used += n;
    return r;
}

static void pool_rewind(pool *p)
{
    p->cur = p->first;
    if (p->cur != NULL)
        p->cur->used = 0;
}

static void pool_free(pool *p)
{
    for (block *b = p->first, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    p->first = p->cur = NULL;
}

/* ---- the term tree ----------------------------------------------------- */

enum kind { K_INT, K_FLOAT, K_ATOM, K_BINARY, K_STRING, K_TUPLE, K_NIL,
            K_LIST, K_MAP };

typedef struct node {
    enum kind kind;
    int n; /* atom, binary, string: bytes; tuple, list: elements; map: pairs */
    union {
        long long i;
        double f;
        const char *bytes;
        struct node *kids; /* list: n elements and the tail */
    } u;
} node;

typedef struct walk {
    const char *buf;
    int idx;
    pool *p;
    int copy_binaries;
} walk;

static int dec(walk *w, node *t, int depth);

static int dec_kids(walk *w, node *t, int count, int depth)
{
    size_t n = count > 0 ? (size_t)count : 1;
    t->u.kids = pool_alloc(w->p, n * sizeof(node));
    for (int i = 0; i < count; i++)
        if (dec(w, &t->u.kids[i], depth + 1) != 0)
            return -1;
    return 0;
}

static int dec(walk *w, node *t, int depth)
{
    int type, size, arity;
    if (depth > MAX_DEPTH || ei_get_type(w->buf, &w->idx, &type, &size) < 0)
        return -1;
    switch (type) {
    case ERL_SMALL_INTEGER_EXT:
    case ERL_INTEGER_EXT:
    case ERL_SMALL_BIG_EXT:
    case ERL_LARGE_BIG_EXT:
        t->kind = K_INT;
        return ei_decode_longlong(w->buf, &w->idx, &t->u.i) < 0 ? -1 : 0;
    case ERL_FLOAT_EXT:
    case NEW_FLOAT_EXT:
        t->kind = K_FLOAT;
        return ei_decode_double(w->buf, &w->idx, &t->u.f) < 0 ? -1 : 0;
    case ERL_ATOM_EXT:
    case ERL_SMALL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT: {
        /* A Latin-1 name may grow to twice its bytes in UTF-8. */
        char *s = pool_alloc(w->p, 2 * (size_t)size + 1);
        if (ei_decode_atom_as(w->buf, &w->idx, s, 2 * size + 1, ERLANG_UTF8,
                              NULL, NULL) < 0)
            return -1;
        t->kind = K_ATOM;
        t->n = (int)strlen(s);
        t->u.bytes = s;
        return 0;
    }
    case ERL_BINARY_EXT: {
        t->kind = K_BINARY;
        t->n = size;
        if (w->copy_binaries) {
            long len;
            void *b = pool_alloc(w->p, (size_t)size + 1);
            if (ei_decode_binary(w->buf, &w->idx, b, &len) < 0)
                return -1;
            t->u.bytes = b;
            return 0;
        }
        const char *b;
        unsigned int off;
        size_t bits;
        if (ei_decode_bitstring(w->buf, &w->idx, &b, &off, &bits) < 0 ||
            off != 0 || bits % 8 != 0)
            return -1;
        t->u.bytes = b;
        return 0;
    }
    case ERL_STRING_EXT: {
        char *s = pool_alloc(w->p, (size_t)size + 1);
        if (ei_decode_string(w->buf, &w->idx, s) < 0)
            return -1;
        t->kind = K_STRING;
        t->n = size;
        t->u.bytes = s;
        return 0;
    }
    case ERL_SMALL_TUPLE_EXT:
    case ERL_LARGE_TUPLE_EXT:
        if (ei_decode_tuple_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->kind = K_TUPLE;
        t->n = arity;
        return dec_kids(w, t, arity, depth);
    case ERL_NIL_EXT:
        if (ei_decode_list_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->kind = K_NIL;
        t->n = 0;
        return 0;
    case ERL_LIST_EXT:
        if (ei_decode_list_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->kind = K_LIST;
        t->n = arity;
        return dec_kids(w, t, arity + 1, depth); /* + the tail */
    case ERL_MAP_EXT:
        if (ei_decode_map_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->kind = K_MAP;
        t->n = arity;
        return dec_kids(w, t, 2 * arity, depth);
    default:
        return -1; /* pids, refs, funs, bit strings: not payloads here */
    }
}

static void enc(ei_x_buff *x, const node *t)
{
    int r = 0;
    switch (t->kind) {
    case K_INT:
        r = ei_x_encode_longlong(x, t->u.i);
        break;
    case K_FLOAT:
        r = ei_x_encode_double(x, t->u.f);
        break;
    case K_ATOM:
        r = ei_x_encode_atom_len_as(x, t->u.bytes, t->n, ERLANG_UTF8,
                                    ERLANG_UTF8);
        break;
    case K_BINARY:
        r = ei_x_encode_binary(x, t->u.bytes, t->n);
        break;
    case K_STRING:
        r = ei_x_encode_string_len(x, t->u.bytes, t->n);
        break;
    case K_NIL:
        r = ei_x_encode_empty_list(x);
        break;
    case K_TUPLE:
        r = ei_x_encode_tuple_header(x, t->n);
        for (int i = 0; r == 0 && i < t->n; i++)
            enc(x, &t->u.kids[i]);
        break;
    case K_LIST:
        r = ei_x_encode_list_header(x, t->n);
        for (int i = 0; r == 0 && i <= t->n; i++) /* the tail too */
            enc(x, &t->u.kids[i]);
        break;
    case K_MAP:
        r = ei_x_encode_map_header(x, t->n);
        for (int i = 0; r == 0 && i < 2 * t->n; i++)
            enc(x, &t->u.kids[i]);
        break;
    }
    if (r < 0)
        die("encoding failed (out of memory?)");
}

/* ---- the node ---------------------------------------------------------- */

static int is_atom(walk *w, const char *name)
{
    char a[MAXATOMLEN_UTF8];
    return ei_decode_atom_as(w->buf, &w->idx, a, sizeof a, ERLANG_UTF8,
                             NULL, NULL) == 0 &&
           strcmp(a, name) == 0;
}

static void send_or_die(int fd, erlang_pid *to, ei_x_buff *x)
{
    if (ei_send(fd, to, x->buff, x->index) < 0)
        die("send failed: %s", strerror(erl_errno));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DRIVER_NODE COOKIE OURNAME\n", prog);
        return 2;
    }
    char *driver = argv[1];
    const char *cookie = argv[2], *ours = argv[3];
    const char *at = strchr(ours, '@');
    if (at == NULL || at == ours || at[1] == 0 ||
        (size_t)(at - ours) > EI_MAXALIVELEN ||
        strlen(at + 1) > EI_MAXHOSTNAMELEN)
        die("OURNAME must be alive@host: %s", ours);
    char alive[EI_MAXALIVELEN + 1];
    memcpy(alive, ours, (size_t)(at - ours));
    alive[at - ours] = 0;

    if (ei_init() != 0)
        die("ei_init failed");
    ei_cnode ec;
    unsigned creation = ((unsigned)getpid() & 0xffffff) + 1;
    if (ei_connect_xinit(&ec, at + 1, alive, ours, NULL, cookie, creation) < 0)
        die("ei_connect_xinit failed");
    int fd = ei_connect_tmo(&ec, driver, 10000);
    if (fd < 0)
        die("cannot connect to %s (erl_errno %d)", driver, erl_errno);

    ei_x_buff out, in;
    ei_x_new(&out);
    ei_x_new(&in);
    ei_x_encode_version(&out);
    ei_x_encode_tuple_header(&out, 2);
    ei_x_encode_atom(&out, "hello");
    ei_x_encode_pid(&out, ei_self(&ec));
    if (ei_reg_send(&ec, fd, "bench", out.buff, out.index) < 0)
        die("hello to bench@%s failed", driver);

    pool msg_pool = {0}, term_pool = {0};
    long count = 0;
    for (;;) {
        erlang_msg msg;
        int got = ei_xreceive_msg(fd, &msg, &in);
        if (got == ERL_TICK)
            continue;
        if (got == ERL_ERROR)
            die("connection to %s lost (erl_errno %d)", driver, erl_errno);
        if (msg.msgtype != ERL_SEND && msg.msgtype != ERL_REG_SEND)
            continue; /* a link, a monitor: nothing to do */

        walk w = {in.buff, 0, &msg_pool, 0};
        int version, type, arity;
        if (ei_decode_version(w.buf, &w.idx, &version) < 0)
            die("a message without a version byte");
        if (ei_get_type(w.buf, &w.idx, &type, &arity) == 0 &&
            (type == ERL_ATOM_EXT || type == ERL_SMALL_ATOM_UTF8_EXT ||
             type == ERL_ATOM_UTF8_EXT || type == ERL_SMALL_ATOM_EXT)) {
            if (is_atom(&w, "stop"))
                break;
            die("unexpected atom message");
        }
        if (ei_decode_tuple_header(w.buf, &w.idx, &arity) < 0 || arity < 2)
            die("unexpected message (not a tuple)");
        char tag[MAXATOMLEN_UTF8];
        if (ei_decode_atom_as(w.buf, &w.idx, tag, sizeof tag, ERLANG_UTF8,
                              NULL, NULL) < 0)
            die("unexpected message (no tag)");

        if (arity == 2 && strcmp(tag, "data") == 0) {
            node t;
            pool_rewind(&msg_pool);
            if (dec(&w, &t, 0) != 0 || w.idx != in.index)
                die("cannot decode a {data, Term} message");
            count++;
        } else if (arity == 2 && strcmp(tag, "done") == 0) {
            erlang_pid from;
            if (ei_decode_pid(w.buf, &w.idx, &from) < 0)
                die("{done, From}: From is not a pid");
            out.index = 0;
            ei_x_encode_version(&out);
            ei_x_encode_tuple_header(&out, 2);
            ei_x_encode_atom(&out, "count");
            ei_x_encode_long(&out, count);
            send_or_die(fd, &from, &out);
            count = 0;
        } else if (arity == 4 && strcmp(tag, "source") == 0) {
            erlang_pid from;
            long n;
            node t;
            pool_rewind(&term_pool);
            w.p = &term_pool;
            w.copy_binaries = 1; /* the tree outlives the receive buffer */
            if (ei_decode_pid(w.buf, &w.idx, &from) < 0 ||
                ei_decode_long(w.buf, &w.idx, &n) < 0 || n < 0 ||
                dec(&w, &t, 0) != 0 || w.idx != in.index)
                die("cannot decode a {source, From, N, Term} message");
            for (long i = 0; i < n; i++) {
                out.index = 0;
                ei_x_encode_version(&out);
                ei_x_encode_tuple_header(&out, 2);
                ei_x_encode_atom(&out, "data");
                enc(&out, &t);
                send_or_die(fd, &from, &out);
            }
            out.index = 0;
            ei_x_encode_version(&out);
            ei_x_encode_tuple_header(&out, 2);
            ei_x_encode_atom(&out, "done");
            ei_x_encode_pid(&out, ei_self(&ec));
            send_or_die(fd, &from, &out);
        } else {
            die("unexpected message {%s, ...} of %d elements", tag, arity);
        }
    }
    ei_close_connection(fd);
    pool_free(&msg_pool);
    pool_free(&term_pool);
    ei_x_free(&in);
    ei_x_free(&out);
    return 0;
}
