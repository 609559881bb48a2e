/*
 * ei_side.c -- decoding and encoding whole terms with libei, for the
 * benchmark (see ei_side.h).
 *
 * The decode walk is recursive, as libei code usually is: the corpus is
 * shallow, and libei itself has no answer for deep terms either.
 *
 * What libei can and cannot do shapes the walk:
 *   - atoms: ei_decode_atom_as copies the name out (libei has no way to
 *     point at it), straight into an arena buffer sized from ei_get_type;
 *   - binaries: ei_decode_bitstring points into the input, as edist does;
 *     ei_decode_binary copies (EI_SIDE_BIN_COPY, reported separately);
 *   - strings: ei_decode_string copies;
 *   - bignums: ei_decode_big / ei_x_encode_big, libei's own bignum type
 *     (16-bit digits, little-endian, no GMP needed). On a little-endian
 *     machine its digit array is byte for byte the little-endian magnitude
 *     that etf_term holds, so it is used as such;
 *   - pids and references: decoded into libei's structs (each holds a
 *     1021-byte node name buffer), then the node name copied to the arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/ei_side.h"

/* etf.h and ei.h both define NEW_FLOAT_EXT (70 and 'F'). */
#undef NEW_FLOAT_EXT
#define USE_EI_UNDOCUMENTED /* ei_decode_big and friends */
#include <ei.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ei_side.c reads libei's 16-bit bignum digits as little-endian bytes"
#endif

/* ---- decoding ---------------------------------------------------------- */

typedef struct walk {
    const char *buf;
    int idx;
    etf_arena *a;
    enum ei_side_binaries bins;
} walk;

static int dec(walk *w, etf_term *t);

static etf_term *terms(walk *w, size_t n)
{
    return etf_arena_alloc(w->a, n * sizeof(etf_term));
}

static const char *copy_node(walk *w, const char *node, uint32_t *len)
{
    size_t n = strlen(node);
    char *p = etf_arena_alloc(w->a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, node, n + 1);
    *len = (uint32_t)n;
    return p;
}

static int dec_atom(walk *w, etf_term *t, int size)
{
    /* A Latin-1 name may grow to twice its bytes in UTF-8. */
    char *p = etf_arena_alloc(w->a, 2 * (size_t)size + 1);
    erlang_char_encoding was;
    if (p == NULL ||
        ei_decode_atom_as(w->buf, &w->idx, p, 2 * size + 1, ERLANG_UTF8,
                          &was, NULL) < 0)
        return -1;
    t->type = ETF_ATOM;
    t->n = was == ERLANG_LATIN1 ? (uint32_t)strlen(p) : (uint32_t)size;
    t->u.atom = p;
    return 0;
}

static int dec_big(walk *w, etf_term *t, int size)
{
    if (size <= 8) {
        long long v;
        int save = w->idx;
        if (ei_decode_longlong(w->buf, &w->idx, &v) == 0) {
            t->type = ETF_INTEGER;
            t->u.i = v;
            return 0;
        }
        w->idx = save;
    }
    /* Whole 16-bit digits: an odd byte count gets a zero high byte. */
    unsigned char *digits = etf_arena_alloc(w->a, (size_t)size + 1);
    if (digits == NULL)
        return -1;
    erlang_big big = {(unsigned)size, 0, digits};
    if (ei_decode_big(w->buf, &w->idx, &big) < 0)
        return -1;
    t->type = ETF_BIGNUM;
    t->flags = big.is_neg ? ETF_NEGATIVE : 0;
    t->n = (uint32_t)size;
    t->u.bytes = digits;
    return 0;
}

static int dec_pid(walk *w, etf_term *t)
{
    erlang_pid ep;
    etf_pid *p = etf_arena_alloc(w->a, sizeof *p);
    if (p == NULL || ei_decode_pid(w->buf, &w->idx, &ep) < 0)
        return -1;
    if ((p->node.name = copy_node(w, ep.node, &p->node.len)) == NULL)
        return -1;
    p->id = ep.num;
    p->serial = ep.serial;
    p->creation = ep.creation;
    t->type = ETF_PID;
    t->u.pid = p;
    return 0;
}

static int dec_ref(walk *w, etf_term *t)
{
    erlang_ref er;
    etf_ref *r = etf_arena_alloc(w->a, sizeof *r);
    if (r == NULL || ei_decode_ref(w->buf, &w->idx, &er) < 0)
        return -1;
    if ((r->node.name = copy_node(w, er.node, &r->node.len)) == NULL)
        return -1;
    r->creation = er.creation;
    r->len = (uint32_t)er.len;
    memcpy(r->id, er.n, sizeof r->id);
    t->type = ETF_REF;
    t->u.ref = r;
    return 0;
}

static int dec_port(walk *w, etf_term *t)
{
    erlang_port ep;
    etf_port *p = etf_arena_alloc(w->a, sizeof *p);
    if (p == NULL || ei_decode_port(w->buf, &w->idx, &ep) < 0)
        return -1;
    if ((p->node.name = copy_node(w, ep.node, &p->node.len)) == NULL)
        return -1;
    p->id = ep.id;
    p->creation = ep.creation;
    t->type = ETF_PORT;
    t->u.port = p;
    return 0;
}

static int dec_binary(walk *w, etf_term *t, int size)
{
    t->type = ETF_BINARY;
    if (w->bins == EI_SIDE_BIN_COPY) {
        long len;
        void *p = etf_arena_alloc(w->a, size > 0 ? (size_t)size : 1);
        if (p == NULL || ei_decode_binary(w->buf, &w->idx, p, &len) < 0)
            return -1;
        t->n = (uint32_t)len;
        t->u.bytes = p;
        return 0;
    }
    const char *p;
    unsigned int off;
    size_t nbits;
    if (ei_decode_bitstring(w->buf, &w->idx, &p, &off, &nbits) < 0 ||
        off != 0)
        return -1;
    t->n = (uint32_t)((nbits + 7) / 8);
    t->bits = (uint8_t)(nbits % 8);
    t->u.bytes = (const uint8_t *)p;
    return 0;
}

static int dec_elems(walk *w, etf_term *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (dec(w, &e[i]) != 0)
            return -1;
    return 0;
}

static int dec(walk *w, etf_term *t)
{
    int type, size, arity;
    if (ei_get_type(w->buf, &w->idx, &type, &size) < 0)
        return -1;
    memset(t, 0, sizeof *t);

    switch (type) {
    case ERL_SMALL_INTEGER_EXT:
    case ERL_INTEGER_EXT: {
        long v;
        if (ei_decode_long(w->buf, &w->idx, &v) < 0)
            return -1;
        t->type = ETF_INTEGER;
        t->u.i = v;
        return 0;
    }
    case ERL_SMALL_BIG_EXT:
    case ERL_LARGE_BIG_EXT:
        return dec_big(w, t, size);
    case ERL_FLOAT_EXT:
    case NEW_FLOAT_EXT:
        t->type = ETF_FLOAT;
        return ei_decode_double(w->buf, &w->idx, &t->u.f);
    case ERL_ATOM_EXT:
    case ERL_SMALL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT:
        return dec_atom(w, t, size);
    case ERL_SMALL_TUPLE_EXT:
    case ERL_LARGE_TUPLE_EXT:
        if (ei_decode_tuple_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->type = ETF_TUPLE;
        t->n = (uint32_t)arity;
        if (arity == 0)
            return 0;
        if ((t->u.elems = terms(w, (size_t)arity)) == NULL)
            return -1;
        return dec_elems(w, t->u.elems, (size_t)arity);
    case ERL_NIL_EXT:
        if (ei_decode_list_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->type = ETF_NIL;
        return 0;
    case ERL_STRING_EXT: {
        char *p = etf_arena_alloc(w->a, (size_t)size + 1);
        if (p == NULL || ei_decode_string(w->buf, &w->idx, p) < 0)
            return -1;
        t->type = size == 0 ? ETF_NIL : ETF_STRING;
        t->n = (uint32_t)size;
        t->u.bytes = (const uint8_t *)p;
        return 0;
    }
    case ERL_LIST_EXT:
        if (ei_decode_list_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        if (arity == 0) /* LIST_EXT of 0 elements: just its tail */
            return dec(w, t);
        t->type = ETF_LIST;
        t->n = (uint32_t)arity;
        if ((t->u.elems = terms(w, (size_t)arity + 1)) == NULL)
            return -1;
        return dec_elems(w, t->u.elems, (size_t)arity + 1); /* + tail */
    case ERL_BINARY_EXT:
    case ERL_BIT_BINARY_EXT:
        return dec_binary(w, t, size);
    case ERL_MAP_EXT:
        if (ei_decode_map_header(w->buf, &w->idx, &arity) < 0)
            return -1;
        t->type = ETF_MAP;
        t->n = (uint32_t)arity;
        if (arity == 0)
            return 0;
        if ((t->u.elems = terms(w, 2 * (size_t)arity)) == NULL)
            return -1;
        return dec_elems(w, t->u.elems, 2 * (size_t)arity);
    case ERL_PID_EXT:
    case ERL_NEW_PID_EXT:
        return dec_pid(w, t);
    case ERL_REFERENCE_EXT:
    case ERL_NEW_REFERENCE_EXT:
    case ERL_NEWER_REFERENCE_EXT:
        return dec_ref(w, t);
    case ERL_PORT_EXT:
    case ERL_NEW_PORT_EXT:
    case ERL_V4_PORT_EXT:
        return dec_port(w, t);
    default:
        return -1; /* funs, exports: not in the corpus */
    }
}

int ei_side_decode(const unsigned char *buf, size_t len, etf_arena *a,
                   etf_term *out, enum ei_side_binaries bins)
{
    walk w = {(const char *)buf, 0, a, bins};
    int version;
    if (len == 0 || ei_decode_version(w.buf, &w.idx, &version) < 0)
        return -1;
    if (dec(&w, out) != 0)
        return -1;
    return (size_t)w.idx == len ? 0 : -1;
}

/* ---- encoding ---------------------------------------------------------- */

struct ei_side_buf {
    ei_x_buff x;
    unsigned char *digits; /* scratch for bignum digits */
    size_t digits_cap;
};

ei_side_buf *ei_side_buf_new(void)
{
    ei_side_buf *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    if (ei_x_new(&b->x) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

void ei_side_buf_free(ei_side_buf *b)
{
    if (b == NULL)
        return;
    ei_x_free(&b->x);
    free(b->digits);
    free(b);
}

const unsigned char *ei_side_bytes(const ei_side_buf *b, size_t *len)
{
    *len = (size_t)b->x.index;
    return (const unsigned char *)b->x.buff;
}

static int enc(ei_side_buf *b, const etf_term *t);

static int enc_elems(ei_side_buf *b, const etf_term *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (enc(b, &e[i]) != 0)
            return -1;
    return 0;
}

/* libei wants 16-bit digits, aligned, and reads a whole last digit: copy
 * the magnitude into scratch memory with a zero byte after it. */
static int enc_big(ei_side_buf *b, const etf_term *t)
{
    size_t need = (size_t)t->n + 2;
    if (need > b->digits_cap) {
        unsigned char *p = realloc(b->digits, need);
        if (p == NULL)
            return -1;
        b->digits = p;
        b->digits_cap = need;
    }
    memcpy(b->digits, t->u.bytes, t->n);
    b->digits[t->n] = 0;
    erlang_big big = {t->n, (t->flags & ETF_NEGATIVE) != 0, b->digits};
    return ei_x_encode_big(&b->x, &big);
}

static void node_name(char *dst, const etf_atom *node)
{
    size_t n = node->len < MAXATOMLEN_UTF8 - 1 ? node->len
                                                : MAXATOMLEN_UTF8 - 1;
    memcpy(dst, node->name, n);
    dst[n] = 0;
}

static int enc(ei_side_buf *b, const etf_term *t)
{
    ei_x_buff *x = &b->x;
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
        return ei_x_encode_longlong(x, t->u.i);
    case ETF_BIGNUM:
        return enc_big(b, t);
    case ETF_FLOAT:
        return ei_x_encode_double(x, t->u.f);
    case ETF_ATOM:
        return ei_x_encode_atom_len_as(x, t->u.atom, (int)t->n, ERLANG_UTF8,
                                       ERLANG_UTF8);
    case ETF_TUPLE:
        if (ei_x_encode_tuple_header(x, t->n) < 0)
            return -1;
        return enc_elems(b, t->u.elems, t->n);
    case ETF_NIL:
        return ei_x_encode_empty_list(x);
    case ETF_LIST:
        if (ei_x_encode_list_header(x, t->n) < 0 ||
            enc_elems(b, t->u.elems, t->n) < 0)
            return -1;
        return enc(b, &t->u.elems[t->n]); /* the tail */
    case ETF_STRING:
        return ei_x_encode_string_len(x, (const char *)t->u.bytes,
                                      (int)t->n);
    case ETF_BINARY:
        if (t->bits == 0)
            return ei_x_encode_binary(x, t->u.bytes, (int)t->n);
        return ei_x_encode_bitstring(x, (const char *)t->u.bytes, 0,
                                     8 * ((size_t)t->n - 1) + t->bits);
    case ETF_MAP:
        if (ei_x_encode_map_header(x, t->n) < 0)
            return -1;
        return enc_elems(b, t->u.elems, 2 * (size_t)t->n);
    case ETF_PID: {
        erlang_pid ep;
        node_name(ep.node, &t->u.pid->node);
        ep.num = t->u.pid->id;
        ep.serial = t->u.pid->serial;
        ep.creation = t->u.pid->creation;
        return ei_x_encode_pid(x, &ep);
    }
    case ETF_REF: {
        erlang_ref er;
        node_name(er.node, &t->u.ref->node);
        er.len = (int)t->u.ref->len;
        memcpy(er.n, t->u.ref->id, sizeof er.n);
        er.creation = t->u.ref->creation;
        return ei_x_encode_ref(x, &er);
    }
    case ETF_PORT: {
        erlang_port ep;
        node_name(ep.node, &t->u.port->node);
        ep.id = t->u.port->id;
        ep.creation = t->u.port->creation;
        return ei_x_encode_port(x, &ep);
    }
    default:
        return -1; /* funs, exports, records: not in the corpus */
    }
}

int ei_side_encode(ei_side_buf *b, const etf_term *t)
{
    b->x.index = 0;
    if (ei_x_encode_version(&b->x) < 0)
        return -1;
    return enc(b, t);
}
