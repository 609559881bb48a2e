/*
 * decode.c -- External Term Format bytes to etf_term trees.
 *
 * Strategy
 * --------
 * The input is hostile until proven otherwise: it comes from the network.
 * Three rules keep the decoder safe and fast:
 *
 *  1. No recursion. Terms nest (a list of tuples of lists...), and a
 *     100 000-deep list is legal ETF. The decoder keeps an explicit stack of
 *     "slots still to fill": a container allocates its children's slots,
 *     pushes them, and the main loop fills the slot on top, one tag at a
 *     time. Depth is bounded by opts->max_depth and can never exceed the
 *     input's length, since every tag takes at least one byte.
 *
 *  2. Check before allocating. Every count read from the input (an arity, a
 *     length) is compared with the bytes actually left before anything is
 *     allocated for it: an element takes at least one byte, so a tuple of
 *     arity N needs N bytes. A 10-byte message can never make the decoder
 *     allocate gigabytes.
 *
 *  3. Don't copy. Binaries, strings, bignum digits and UTF-8 atom names
 *     point into the input; only what must be converted (Latin-1 atoms,
 *     compressed terms) is copied into the arena.
 *
 * Every error names the byte offset of the tag at fault, so that a person
 * (or a fuzzer's crash report) can find it in a hex dump.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "etf/etf.h"
#include "etf/internal.h"

/* erts refuses bignums above this many bytes of magnitude (big.h,
 * BIG_ARITY_MAX words); so do we. */
#define ETF_MAX_BIG_BYTES ((size_t)1 << 24)

typedef struct frame {
    etf_term *next;    /* next slot to fill */
    uint32_t left;     /* slots left in this frame */
    uint32_t check;    /* what to check once the last slot is filled: */
#define CHECK_NONE 0
#define CHECK_FUN_END 1  /* NEW_FUN_EXT: the input must be at `offset`,
                            where its size field said the fun ends */
#define CHECK_MAP_KEYS 2 /* `map`'s keys must all differ; `offset` is that
                            of its tag, for the message */
    size_t offset;
    const etf_term *map;
} frame;

typedef struct decoder {
    const uint8_t *buf;
    size_t len, pos;
    size_t base;      /* offset of buf in what the caller gave us */
    int inflated;     /* decoding the inside of a COMPRESSED term */
    const etf_decode_opts *opts;
    size_t max_depth;
    etf_arena *a;
    etf_error *err;
    frame *stack;       /* the caller's small array until it overflows */
    size_t depth, cap;
    size_t pending;     /* slots pushed and not yet filled: each of them
                           still needs at least one byte of input */
    int stack_on_heap;  /* stack was malloc'ed: free it at the end */
} decoder;

/* Most terms nest no deeper: their stack needs no malloc. */
#define SMALL_STACK 16

int etf_fail(etf_error *err, etf_errcode code, size_t offset,
             const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        err->line = err->column = 0;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *etf_strerror(etf_errcode code)
{
    switch (code) {
    case ETF_OK: return "ok";
    case ETF_ERR_TRUNCATED: return "truncated";
    case ETF_ERR_TRAILING: return "trailing bytes";
    case ETF_ERR_VERSION: return "bad version byte";
    case ETF_ERR_TAG: return "bad tag";
    case ETF_ERR_UTF8: return "invalid UTF-8";
    case ETF_ERR_ATOM: return "bad atom";
    case ETF_ERR_ARITY: return "impossible length";
    case ETF_ERR_BIGNUM: return "bad bignum";
    case ETF_ERR_VALUE: return "bad value";
    case ETF_ERR_DEPTH: return "nested too deep";
    case ETF_ERR_ZLIB: return "bad compressed data";
    case ETF_ERR_ATOM_CACHE: return "bad atom cache reference";
    case ETF_ERR_NOMEM: return "out of memory";
    case ETF_ERR_SYNTAX: return "syntax error";
    case ETF_ERR_UNSUPPORTED: return "cannot be encoded";
    }
    return "unknown error";
}

/* The offset a person sees: in the caller's buffer, or in the uncompressed
 * data of a COMPRESSED term. */
static size_t at(const decoder *d, size_t pos)
{
    return d->base + pos;
}

static const char *where(const decoder *d)
{
    return d->inflated ? " of the uncompressed term" : "";
}

static int truncated(decoder *d, size_t tag_pos, const char *what,
                     size_t need)
{
    return etf_fail(d->err, ETF_ERR_TRUNCATED, at(d, tag_pos),
                    "%s at offset %zu%s needs %zu more bytes, only %zu left",
                    what, at(d, tag_pos), where(d), need, d->len - d->pos);
}

static int nomem(decoder *d)
{
    return etf_fail(d->err, ETF_ERR_NOMEM, at(d, d->pos),
                    "out of memory at offset %zu", at(d, d->pos));
}

/* Are n more bytes there? */
static int have(const decoder *d, size_t n)
{
    return d->len - d->pos >= n;
}

static etf_term *alloc_terms(decoder *d, size_t n)
{
    if (n > SIZE_MAX / sizeof(etf_term))
        return NULL;
    return etf_arena_alloc(d->a, n * sizeof(etf_term));
}

/* ---- atoms ---------------------------------------------------------- */

/* Atom names are nearly always ASCII: that is checked inline, and only a
 * name with a byte >= 0x80 calls etf_utf8_valid. */
static inline int name_valid(const uint8_t *s, size_t len)
{
    return etf_is_ascii(s, len) || etf_utf8_valid(s, len);
}

/* Reads an atom (any of the five atom encodings) at d->pos into *out. */
static int decode_atom(decoder *d, etf_atom *out)
{
    size_t tag_pos = d->pos;
    if (!have(d, 1))
        return truncated(d, tag_pos, "atom", 1);
    uint8_t tag = d->buf[d->pos++];
    size_t len;
    int latin1;

    switch (tag) {
    case ATOM_CACHE_REF: {
        if (!have(d, 1))
            return truncated(d, tag_pos, "ATOM_CACHE_REF", 1);
        uint8_t idx = d->buf[d->pos++];
        if (d->opts == NULL || d->opts->atom_refs == NULL)
            return etf_fail(d->err, ETF_ERR_ATOM_CACHE, at(d, tag_pos),
                            "ATOM_CACHE_REF at offset %zu%s outside a "
                            "distribution message (no atom cache)",
                            at(d, tag_pos), where(d));
        if (idx >= d->opts->atom_refs_len)
            return etf_fail(d->err, ETF_ERR_ATOM_CACHE, at(d, tag_pos),
                            "ATOM_CACHE_REF at offset %zu refers to entry "
                            "%u, the header has %zu",
                            at(d, tag_pos), idx, d->opts->atom_refs_len);
        *out = d->opts->atom_refs[idx];
        return 0;
    }
    case ATOM_EXT:
    case ATOM_UTF8_EXT:
        if (!have(d, 2))
            return truncated(d, tag_pos, "atom", 2);
        len = etf_get16(d->buf + d->pos);
        d->pos += 2;
        latin1 = tag == ATOM_EXT;
        break;
    case SMALL_ATOM_EXT:
    case SMALL_ATOM_UTF8_EXT:
        if (!have(d, 1))
            return truncated(d, tag_pos, "atom", 1);
        len = d->buf[d->pos++];
        latin1 = tag == SMALL_ATOM_EXT;
        break;
    default:
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "expected an atom at offset %zu%s, found tag %u",
                        at(d, tag_pos), where(d), tag);
    }
    if (!have(d, len))
        return truncated(d, tag_pos, "atom", len);
    const uint8_t *s = d->buf + d->pos;
    d->pos += len;

    if (latin1) {
        if (len > ETF_MAX_ATOM_CHARS)
            return etf_fail(d->err, ETF_ERR_ATOM, at(d, tag_pos),
                            "atom at offset %zu%s has %zu characters, the "
                            "limit is 255", at(d, tag_pos), where(d), len);
        size_t high = 0;
        for (size_t i = 0; i < len; i++)
            high += s[i] >= 0x80;
        if (high == 0) {
            out->name = (const char *)s;
            out->len = (uint32_t)len;
            return 0;
        }
        /* Latin-1 to UTF-8: each byte >= 0x80 becomes two bytes. */
        uint8_t *u = etf_arena_alloc(d->a, len + high);
        if (u == NULL)
            return nomem(d);
        size_t j = 0;
        for (size_t i = 0; i < len; i++)
            j += etf_utf8_put(s[i], u + j);
        out->name = (const char *)u;
        out->len = (uint32_t)j;
        return 0;
    }
    if (!name_valid(s, len))
        return etf_fail(d->err, ETF_ERR_UTF8, at(d, tag_pos),
                        "atom at offset %zu%s is not valid UTF-8",
                        at(d, tag_pos), where(d));
    /* No more characters than bytes: only long names need counting. */
    size_t chars = len <= ETF_MAX_ATOM_CHARS ? len : etf_utf8_count(s, len);
    if (chars > ETF_MAX_ATOM_CHARS)
        return etf_fail(d->err, ETF_ERR_ATOM, at(d, tag_pos),
                        "atom at offset %zu%s has %zu characters, the limit "
                        "is 255", at(d, tag_pos), where(d), chars);
    out->name = (const char *)s;
    out->len = (uint32_t)len;
    return 0;
}

/* ---- small fixed pieces ------------------------------------------------ */

/* An integer inside a fun (OldIndex, OldUniq, EXPORT_EXT's arity). */
static int decode_small_int(decoder *d, int64_t *out)
{
    size_t tag_pos = d->pos;
    if (!have(d, 1))
        return truncated(d, tag_pos, "integer", 1);
    uint8_t tag = d->buf[d->pos++];
    if (tag == SMALL_INTEGER_EXT) {
        if (!have(d, 1))
            return truncated(d, tag_pos, "SMALL_INTEGER_EXT", 1);
        *out = d->buf[d->pos++];
        return 0;
    }
    if (tag == INTEGER_EXT) {
        if (!have(d, 4))
            return truncated(d, tag_pos, "INTEGER_EXT", 4);
        *out = (int32_t)etf_get32(d->buf + d->pos);
        d->pos += 4;
        return 0;
    }
    return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                    "expected an integer at offset %zu%s, found tag %u",
                    at(d, tag_pos), where(d), tag);
}

/* PID_EXT or NEW_PID_EXT at d->pos (tag included). */
static int decode_pid(decoder *d, etf_pid *p)
{
    size_t tag_pos = d->pos;
    if (!have(d, 1))
        return truncated(d, tag_pos, "pid", 1);
    uint8_t tag = d->buf[d->pos++];
    if (tag != PID_EXT && tag != NEW_PID_EXT)
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "expected a pid at offset %zu%s, found tag %u",
                        at(d, tag_pos), where(d), tag);
    if (decode_atom(d, &p->node) != 0)
        return -1;
    size_t n = tag == NEW_PID_EXT ? 12 : 9;
    if (!have(d, n))
        return truncated(d, tag_pos, "pid", n);
    const uint8_t *q = d->buf + d->pos;
    p->id = etf_get32(q);
    p->serial = etf_get32(q + 4);
    p->creation = tag == NEW_PID_EXT ? etf_get32(q + 8) : q[8];
    d->pos += n;
    return 0;
}

/* ---- integers ----------------------------------------------------------- */

static int decode_big(decoder *d, size_t tag_pos, size_t n, etf_term *t)
{
    if (!have(d, 1 + n))
        return truncated(d, tag_pos, "bignum", 1 + n);
    uint8_t sign = d->buf[d->pos];
    if (sign > 1)
        return etf_fail(d->err, ETF_ERR_BIGNUM, at(d, tag_pos),
                        "bignum at offset %zu%s has sign byte %u (0 or 1 "
                        "expected)", at(d, tag_pos), where(d), sign);
    if (n > ETF_MAX_BIG_BYTES)
        return etf_fail(d->err, ETF_ERR_BIGNUM, at(d, tag_pos),
                        "bignum at offset %zu%s has %zu bytes, more than "
                        "the BEAM accepts", at(d, tag_pos), where(d), n);
    const uint8_t *digits = d->buf + d->pos + 1;
    d->pos += 1 + n;
    while (n > 0 && digits[n - 1] == 0) /* drop high zero bytes */
        n--;
    if (n <= 8) {
        uint64_t mag = 0;
        for (size_t i = n; i-- > 0;)
            mag = (mag << 8) | digits[i];
        if (sign == 0 && mag <= (uint64_t)INT64_MAX) {
            t->type = ETF_INTEGER;
            t->u.i = (int64_t)mag;
            return 0;
        }
        if (sign == 1 && mag <= (uint64_t)INT64_MAX + 1) {
            t->type = ETF_INTEGER;
            t->u.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                    : -(int64_t)mag;
            return 0;
        }
    }
    t->type = ETF_BIGNUM;
    t->flags = sign ? ETF_NEGATIVE : 0;
    t->n = (uint32_t)n;
    t->u.bytes = digits;
    return 0;
}

/* FLOAT_EXT: 31 bytes of "%.20e" text, NUL-padded (minor version 0). */
static int decode_old_float(decoder *d, size_t tag_pos, etf_term *t)
{
    if (!have(d, 31))
        return truncated(d, tag_pos, "FLOAT_EXT", 31);
    char text[32];
    memcpy(text, d->buf + d->pos, 31);
    text[31] = 0;
    d->pos += 31;
    for (size_t i = 0; text[i] != 0; i++) {
        if (strchr("0123456789+-.eE ", text[i]) == NULL)
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                            "FLOAT_EXT at offset %zu%s is not a number",
                            at(d, tag_pos), where(d));
    }
    char *end;
    double f = strtod(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || *end != 0 || !isfinite(f))
        return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                        "FLOAT_EXT at offset %zu%s is not a finite number",
                        at(d, tag_pos), where(d));
    t->type = ETF_FLOAT;
    t->u.f = f;
    return 0;
}

/* ---- the stack ---------------------------------------------------------- */

/* The stack is full: move it to the heap, or double it there. Kept out
 * of line so that push() stays small enough to inline. */
static __attribute__((noinline)) int grow(decoder *d)
{
    if (d->depth >= d->max_depth)
        return etf_fail(d->err, ETF_ERR_DEPTH, at(d, d->pos),
                        "terms nested more than %zu deep at offset %zu%s",
                        d->max_depth, at(d, d->pos), where(d));
    frame *s = etf_stack_grow(d->stack, d->depth, &d->cap, sizeof *s,
                              &d->stack_on_heap);
    if (s == NULL)
        return nomem(d);
    d->stack = s;
    return 0;
}

static inline int push(decoder *d, etf_term *slots, uint32_t n,
                       uint32_t check, size_t offset)
{
    /* max_depth may be below the small stack's size: grow() says no. */
    if (d->depth == d->cap || d->depth >= d->max_depth)
        if (grow(d) != 0)
            return -1;
    d->stack[d->depth++] = (frame){slots, n, check, offset, NULL};
    d->pending += n;
    return 0;
}

/* A container with `n` children: allocate their slots (after checking that
 * the input can hold n terms of at least one byte each) and push them. */
/* Bytes left that are not already promised to pending slots. Checking
 * counts against this, not against all the bytes left, is what keeps
 * nested headers that each claim "all the rest" from allocating
 * quadratically. */
static size_t unclaimed(const decoder *d)
{
    size_t left = d->len - d->pos;
    return left > d->pending ? left - d->pending : 0;
}

static etf_term *children(decoder *d, size_t tag_pos, const char *what,
                          size_t n, size_t extra)
{
    if (n + extra > unclaimed(d)) {
        etf_fail(d->err, ETF_ERR_ARITY, at(d, tag_pos),
                 "%s at offset %zu%s claims %zu elements, but only %zu "
                 "bytes follow", what, at(d, tag_pos), where(d), n,
                 unclaimed(d));
        return NULL;
    }
    etf_term *slots = alloc_terms(d, n + extra);
    if (slots == NULL) {
        nomem(d);
        return NULL;
    }
    return slots;
}

/* ---- one term ----------------------------------------------------------- */

static int decode_fun(decoder *d, size_t tag_pos, etf_term *t);
static int decode_record(decoder *d, size_t tag_pos, etf_term *t);
static int decode_compressed(decoder *d, etf_term *t);
static int decode_local(decoder *d, etf_term *t);

/* Decodes the tag at d->pos into *t; containers push their children. */
static inline __attribute__((always_inline)) int decode_one(decoder *d,
                                                         etf_term *t)
{
    size_t tag_pos = d->pos;
    if (!have(d, 1))
        return truncated(d, tag_pos, "term", 1);
    uint8_t tag = d->buf[d->pos];
    const uint8_t *p = d->buf + d->pos + 1;
    size_t left = d->len - d->pos - 1;

    t->flags = 0;
    t->bits = 0;
    t->reserved = 0;
    t->n = 0;

    switch (tag) {
    case SMALL_INTEGER_EXT:
        if (left < 1)
            return truncated(d, tag_pos, "SMALL_INTEGER_EXT", 1);
        t->type = ETF_INTEGER;
        t->u.i = p[0];
        d->pos += 2;
        return 0;

    case INTEGER_EXT:
        if (left < 4)
            return truncated(d, tag_pos, "INTEGER_EXT", 4);
        t->type = ETF_INTEGER;
        t->u.i = (int32_t)etf_get32(p);
        d->pos += 5;
        return 0;

    case SMALL_BIG_EXT:
        if (left < 1)
            return truncated(d, tag_pos, "SMALL_BIG_EXT", 1);
        d->pos += 2;
        return decode_big(d, tag_pos, p[0], t);

    case LARGE_BIG_EXT:
        if (left < 4)
            return truncated(d, tag_pos, "LARGE_BIG_EXT", 4);
        d->pos += 5;
        return decode_big(d, tag_pos, etf_get32(p), t);

    case NEW_FLOAT_EXT: {
        if (left < 8)
            return truncated(d, tag_pos, "NEW_FLOAT_EXT", 8);
        uint64_t bits = etf_get64(p);
        double f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f))
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                            "NEW_FLOAT_EXT at offset %zu%s is not finite "
                            "(Erlang has no NaN or infinity)",
                            at(d, tag_pos), where(d));
        t->type = ETF_FLOAT;
        t->u.f = f;
        d->pos += 9;
        return 0;
    }

    case FLOAT_EXT:
        d->pos += 1;
        return decode_old_float(d, tag_pos, t);

    case SMALL_ATOM_UTF8_EXT:
        /* What modern peers send: no second dispatch in decode_atom. */
        if (left >= 1 && left - 1 >= p[0] && name_valid(p + 1, p[0])) {
            t->type = ETF_ATOM;
            t->n = p[0];
            t->u.atom = (const char *)p + 1;
            d->pos += 2 + (size_t)p[0];
            return 0;
        }
        /* Otherwise decode_atom reports what is wrong. */
        /* fall through */
    case ATOM_EXT:
    case SMALL_ATOM_EXT:
    case ATOM_UTF8_EXT:
    case ATOM_CACHE_REF: {
        etf_atom a;
        if (decode_atom(d, &a) != 0)
            return -1;
        t->type = ETF_ATOM;
        t->n = a.len;
        t->u.atom = a.name;
        return 0;
    }

    case SMALL_TUPLE_EXT:
    case LARGE_TUPLE_EXT: {
        size_t hdr = tag == SMALL_TUPLE_EXT ? 1 : 4;
        if (left < hdr)
            return truncated(d, tag_pos, "tuple", hdr);
        size_t arity = hdr == 1 ? p[0] : etf_get32(p);
        d->pos += 1 + hdr;
        t->type = ETF_TUPLE;
        t->n = (uint32_t)arity;
        t->u.elems = NULL;
        if (arity == 0)
            return 0;
        etf_term *e = children(d, tag_pos, "tuple", arity, 0);
        if (e == NULL)
            return -1;
        t->u.elems = e;
        return push(d, e, (uint32_t)arity, CHECK_NONE, 0);
    }

    case NIL_EXT:
        t->type = ETF_NIL;
        d->pos += 1;
        return 0;

    case STRING_EXT: {
        if (left < 2)
            return truncated(d, tag_pos, "STRING_EXT", 2);
        size_t n = etf_get16(p);
        if (left - 2 < n)
            return truncated(d, tag_pos, "STRING_EXT", 2 + n);
        d->pos += 3 + n;
        if (n == 0) {
            t->type = ETF_NIL;
            return 0;
        }
        t->type = ETF_STRING;
        t->n = (uint32_t)n;
        t->u.bytes = p + 2;
        return 0;
    }

    case LIST_EXT: {
        if (left < 4)
            return truncated(d, tag_pos, "LIST_EXT", 4);
        size_t n = etf_get32(p);
        d->pos += 5;
        if (n == 0) {
            /* Not what the BEAM writes, but it reads it: the list is just
             * its tail. Decode the tail into this slot. */
            return push(d, t, 1, CHECK_NONE, 0);
        }
        /* n elements and a tail: n + 1 terms of at least a byte each. */
        etf_term *e = children(d, tag_pos, "LIST_EXT", n, 1);
        if (e == NULL)
            return -1;
        t->type = ETF_LIST;
        t->n = (uint32_t)n;
        t->u.elems = e;
        return push(d, e, (uint32_t)n + 1, CHECK_NONE, 0);
    }

    case BINARY_EXT: {
        if (left < 4)
            return truncated(d, tag_pos, "BINARY_EXT", 4);
        size_t n = etf_get32(p);
        if (left - 4 < n)
            return truncated(d, tag_pos, "BINARY_EXT", 4 + n);
        t->type = ETF_BINARY;
        t->n = (uint32_t)n;
        t->u.bytes = p + 4;
        d->pos += 5 + n;
        return 0;
    }

    case BIT_BINARY_EXT: {
        if (left < 5)
            return truncated(d, tag_pos, "BIT_BINARY_EXT", 5);
        size_t n = etf_get32(p);
        uint8_t bits = p[4];
        if (left - 5 < n)
            return truncated(d, tag_pos, "BIT_BINARY_EXT", 5 + n);
        /* erts: an empty bitstring has Bits 0, a non-empty one 1..8. */
        if (bits > 8 || (n == 0) != (bits == 0))
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                            "BIT_BINARY_EXT at offset %zu%s has %u bits in "
                            "the last of %zu bytes", at(d, tag_pos),
                            where(d), bits, n);
        t->type = ETF_BINARY;
        t->n = (uint32_t)n;
        t->bits = bits == 8 ? 0 : bits;
        t->u.bytes = p + 5;
        d->pos += 6 + n;
        return 0;
    }

    case MAP_EXT: {
        if (left < 4)
            return truncated(d, tag_pos, "MAP_EXT", 4);
        size_t arity = etf_get32(p);
        d->pos += 5;
        t->type = ETF_MAP;
        t->n = (uint32_t)arity;
        t->u.elems = NULL;
        if (arity == 0)
            return 0;
        etf_term *e = children(d, tag_pos, "MAP_EXT", 2 * arity, 0);
        if (e == NULL)
            return -1;
        t->u.elems = e;
        /* Its keys are checked when the frame is full. */
        if (push(d, e, (uint32_t)(2 * arity),
                 arity > 1 ? CHECK_MAP_KEYS : CHECK_NONE, tag_pos) != 0)
            return -1;
        d->stack[d->depth - 1].map = t;
        return 0;
    }

    case PID_EXT:
    case NEW_PID_EXT: {
        etf_pid *pid = etf_arena_alloc(d->a, sizeof *pid);
        if (pid == NULL)
            return nomem(d);
        if (decode_pid(d, pid) != 0)
            return -1;
        t->type = ETF_PID;
        t->u.pid = pid;
        return 0;
    }

    case PORT_EXT:
    case NEW_PORT_EXT:
    case V4_PORT_EXT: {
        etf_port *port = etf_arena_alloc(d->a, sizeof *port);
        if (port == NULL)
            return nomem(d);
        d->pos += 1;
        if (decode_atom(d, &port->node) != 0)
            return -1;
        size_t n = tag == PORT_EXT ? 5 : tag == NEW_PORT_EXT ? 8 : 12;
        if (!have(d, n))
            return truncated(d, tag_pos, "port", n);
        const uint8_t *q = d->buf + d->pos;
        if (tag == V4_PORT_EXT) {
            port->id = etf_get64(q);
            port->creation = etf_get32(q + 8);
        } else {
            port->id = etf_get32(q);
            port->creation = tag == PORT_EXT ? q[4] : etf_get32(q + 4);
        }
        d->pos += n;
        t->type = ETF_PORT;
        t->u.port = port;
        return 0;
    }

    case REFERENCE_EXT:
    case NEW_REFERENCE_EXT:
    case NEWER_REFERENCE_EXT: {
        etf_ref *ref = etf_arena_alloc(d->a, sizeof *ref);
        if (ref == NULL)
            return nomem(d);
        size_t words = 1;
        d->pos += 1;
        if (tag != REFERENCE_EXT) {
            if (!have(d, 2))
                return truncated(d, tag_pos, "reference", 2);
            words = etf_get16(d->buf + d->pos);
            d->pos += 2;
            if (words == 0 || words > ETF_MAX_REF_WORDS)
                return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                                "reference at offset %zu%s has %zu words "
                                "(1 to 5 allowed)", at(d, tag_pos),
                                where(d), words);
        }
        if (decode_atom(d, &ref->node) != 0)
            return -1;
        size_t cr = tag == NEWER_REFERENCE_EXT ? 4 : 1;
        if (!have(d, cr + 4 * words))
            return truncated(d, tag_pos, "reference", cr + 4 * words);
        const uint8_t *q = d->buf + d->pos;
        if (tag == REFERENCE_EXT) {
            /* Node, ID, Creation: the creation byte comes last. */
            ref->id[0] = etf_get32(q);
            ref->creation = q[4];
        } else {
            ref->creation = cr == 4 ? etf_get32(q) : q[0];
            for (size_t i = 0; i < words; i++)
                ref->id[i] = etf_get32(q + cr + 4 * i);
        }
        ref->len = (uint32_t)words;
        d->pos += cr + 4 * words;
        t->type = ETF_REF;
        t->u.ref = ref;
        return 0;
    }

    case EXPORT_EXT: {
        etf_term *e = alloc_terms(d, 2);
        if (e == NULL)
            return nomem(d);
        etf_atom m, f;
        int64_t arity;
        d->pos += 1;
        if (decode_atom(d, &m) != 0 || decode_atom(d, &f) != 0)
            return -1;
        size_t ar_pos = d->pos;
        if (decode_small_int(d, &arity) != 0)
            return -1;
        if (arity < 0 || arity > 255)
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, ar_pos),
                            "EXPORT_EXT at offset %zu%s has arity %lld",
                            at(d, tag_pos), where(d), (long long)arity);
        e[0] = etf_atom_n(m.name, m.len);
        e[1] = etf_atom_n(f.name, f.len);
        t->type = ETF_EXPORT;
        t->n = (uint32_t)arity;
        t->u.elems = e;
        return 0;
    }

    case NEW_FUN_EXT:
        return decode_fun(d, tag_pos, t);

    case RECORD_EXT:
        return decode_record(d, tag_pos, t);

    case FUN_EXT:
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "FUN_EXT (117) at offset %zu%s: the old fun format, "
                        "which no OTP release since 23 reads",
                        at(d, tag_pos), where(d));

    case COMPRESSED:
        /* Only right after the version byte: the root, at the bottom of
         * the stack, and not already inside a COMPRESSED term. */
        if (d->depth == 0 && !d->inflated)
            return decode_compressed(d, t);
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "COMPRESSED (80) at offset %zu%s inside a term (it "
                        "may only follow the version byte)",
                        at(d, tag_pos), where(d));

    case LOCAL_EXT:
        if (d->depth == 0 && !d->inflated)
            return decode_local(d, t);
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "LOCAL_EXT (121) at offset %zu%s inside a term (it "
                        "may only follow the version byte)",
                        at(d, tag_pos), where(d));

    case ETF_VERSION_MAGIC:
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "version byte 131 at offset %zu%s inside a term",
                        at(d, tag_pos), where(d));

    default:
        return etf_fail(d->err, ETF_ERR_TAG, at(d, tag_pos),
                        "unknown tag %u at offset %zu%s", tag,
                        at(d, tag_pos), where(d));
    }
}

/* NEW_FUN_EXT: Size, Arity, Uniq[16], Index, NumFree, Module, OldIndex,
 * OldUniq, Pid, free variables. Size counts everything from itself on, so
 * the frame of the free variables is checked to end exactly there. */
static int decode_fun(decoder *d, size_t tag_pos, etf_term *t)
{
    if (!have(d, 1 + 29))
        return truncated(d, tag_pos, "NEW_FUN_EXT", 29);
    const uint8_t *p = d->buf + d->pos + 1;
    size_t size = etf_get32(p);
    if (size < 29 || size > d->len - d->pos - 1)
        return etf_fail(d->err, ETF_ERR_ARITY, at(d, tag_pos),
                        "NEW_FUN_EXT at offset %zu%s has size %zu, but %zu "
                        "bytes follow", at(d, tag_pos), where(d), size,
                        d->len - d->pos - 1);
    size_t end = d->pos + 1 + size;
    etf_fun *fun = etf_arena_alloc(d->a, sizeof *fun);
    if (fun == NULL)
        return nomem(d);
    fun->arity = p[4];
    memcpy(fun->uniq, p + 5, 16);
    fun->index = etf_get32(p + 21);
    fun->num_free = etf_get32(p + 25);
    d->pos += 30;
    if (decode_atom(d, &fun->module) != 0 ||
        decode_small_int(d, &fun->old_index) != 0 ||
        decode_small_int(d, &fun->old_uniq) != 0 ||
        decode_pid(d, &fun->pid) != 0)
        return -1;
    if (d->pos > end)
        return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                        "NEW_FUN_EXT at offset %zu%s is longer than its "
                        "size field says", at(d, tag_pos), where(d));
    /* Bytes from an atom cache mean nothing outside their message: keep
     * the raw form only for standalone terms. */
    int raw_ok = d->opts == NULL || d->opts->atom_refs == NULL;
    fun->raw = raw_ok ? d->buf + tag_pos : NULL;
    fun->raw_len = raw_ok ? (uint32_t)(end - tag_pos) : 0;
    fun->free_vars = NULL;
    t->type = ETF_FUN;
    t->u.fun = fun;
    if (fun->num_free == 0) {
        if (d->pos != end)
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                            "NEW_FUN_EXT at offset %zu%s: size field says "
                            "%zu bytes, the fun has %zu", at(d, tag_pos),
                            where(d), size, d->pos - tag_pos - 1);
        return 0;
    }
    if (fun->num_free > end - d->pos || fun->num_free > unclaimed(d))
        return etf_fail(d->err, ETF_ERR_ARITY, at(d, tag_pos),
                        "NEW_FUN_EXT at offset %zu%s claims %u free "
                        "variables in %zu bytes", at(d, tag_pos), where(d),
                        fun->num_free, end - d->pos);
    etf_term *e = alloc_terms(d, fun->num_free);
    if (e == NULL)
        return nomem(d);
    fun->free_vars = e;
    return push(d, e, fun->num_free, CHECK_FUN_END, end);
}

static int cmp_atom_names(const void *x, const void *y)
{
    const etf_atom *a = x, *b = y;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->name, b->name, a->len);
}

/* RECORD_EXT (OTP 29): [4] #Fields, [1] Flags, Module, Name, the field
 * names, then the values. erts rejects unknown flag bits, non-atom names
 * and duplicate field names; so do we. */
static int decode_record(decoder *d, size_t tag_pos, etf_term *t)
{
    if (!have(d, 6))
        return truncated(d, tag_pos, "RECORD_EXT", 5);
    const uint8_t *p = d->buf + d->pos + 1;
    size_t n = etf_get32(p);
    uint8_t flags = p[4];
    d->pos += 6;
    if (flags & ~ETF_RECORD_EXPORTED)
        return etf_fail(d->err, ETF_ERR_VALUE, at(d, tag_pos),
                        "RECORD_EXT at offset %zu%s has unknown flags %u",
                        at(d, tag_pos), where(d), flags);
    /* Two atoms, then n names and n values of at least a byte each. */
    if (n > unclaimed(d) / 2)
        return etf_fail(d->err, ETF_ERR_ARITY, at(d, tag_pos),
                        "RECORD_EXT at offset %zu%s claims %zu fields, but "
                        "only %zu bytes follow", at(d, tag_pos), where(d), n,
                        unclaimed(d));
    etf_record *r = etf_arena_alloc(d->a, sizeof *r);
    if (r == NULL)
        return nomem(d);
    r->flags = flags;
    r->nfields = (uint32_t)n;
    r->fields = NULL;
    r->values = NULL;
    if (decode_atom(d, &r->module) != 0 || decode_atom(d, &r->name) != 0)
        return -1;
    t->type = ETF_RECORD;
    t->u.record = r;
    if (n == 0)
        return 0;
    r->fields = etf_arena_alloc(d->a, n * sizeof *r->fields);
    r->values = alloc_terms(d, n);
    if (r->fields == NULL || r->values == NULL)
        return nomem(d);
    size_t fields_pos = d->pos;
    for (size_t i = 0; i < n; i++)
        if (decode_atom(d, &r->fields[i]) != 0)
            return -1;
    /* Duplicate names: sort a copy (n log n, so that a record of many
     * fields cannot make this quadratic) and look at neighbours. */
    etf_atom *sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL)
        return nomem(d);
    memcpy(sorted, r->fields, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_atom_names);
    for (size_t i = 1; i < n; i++)
        if (cmp_atom_names(&sorted[i - 1], &sorted[i]) == 0) {
            etf_atom dup = sorted[i];
            free(sorted);
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, fields_pos),
                            "RECORD_EXT at offset %zu%s names field "
                            "'%.*s' twice", at(d, tag_pos), where(d),
                            (int)dup.len, dup.name);
        }
    free(sorted);
    if (n > unclaimed(d))
        return truncated(d, tag_pos, "RECORD_EXT values", n);
    return push(d, r->values, (uint32_t)n, CHECK_NONE, 0);
}

/* What a frame promised to check once it is full. */
static int check_frame(decoder *d, const frame *f)
{
    if (f->check == CHECK_FUN_END) {
        if (d->pos != f->offset)
            return etf_fail(d->err, ETF_ERR_VALUE, at(d, d->pos),
                            "NEW_FUN_EXT ending at offset %zu%s does not "
                            "match its size field (%zu)", at(d, d->pos),
                            where(d), at(d, f->offset));
        return 0;
    }
    /* CHECK_MAP_KEYS: binary_to_term refuses a map that holds a key
     * twice; so do we. */
    uint32_t i, j;
    int r = etf_map_duplicate(f->map, &i, &j);
    if (r < 0)
        return nomem(d);
    if (r > 0)
        return etf_fail(d->err, ETF_ERR_VALUE, at(d, f->offset),
                        "MAP_EXT at offset %zu%s has the same key twice "
                        "(entries %u and %u of %u)", at(d, f->offset),
                        where(d), i + 1, j + 1, f->map->n);
    return 0;
}

/* Fill `root` and everything it contains.
 *
 * decode_one() fills one slot; a container also pushes a frame for its
 * children. After each slot the next one comes from the same frame while
 * it has any left and nothing was pushed (the common case: the elements
 * of a list or tuple, one after another); otherwise from the top of the
 * stack, popping the frames that are full. The root is decoded straight
 * away, so a term that is not a container never touches the stack, and
 * decode_one() is called from one place only (so that it is inlined). */
static int decode_tree(decoder *d, etf_term *root)
{
    size_t base_depth = d->depth, depth = base_depth;
    etf_term *slot = root;
    frame *f = NULL;
    for (;;) {
        if (decode_one(d, slot) != 0)
            return -1;
        /* f is still valid: with no push, the stack did not move. */
        if (d->depth != depth || f == NULL || f->left == 0) {
            for (;;) {
                if (d->depth == base_depth)
                    return 0;
                f = &d->stack[d->depth - 1];
                if (f->left != 0)
                    break;
                if (f->check != CHECK_NONE && check_frame(d, f) != 0)
                    return -1;
                d->depth--;
            }
            depth = d->depth;
        }
        slot = f->next++;
        f->left--;
        d->pending--;
    }
}

/* ---- COMPRESSED ----------------------------------------------------------- */

/* zlib cannot expand data by more than about 1032:1; a declared size past
 * that is a lie, and refusing it keeps a tiny message from reserving
 * gigabytes. */
#define ZLIB_MAX_RATIO 1032

static int decode_compressed(decoder *d, etf_term *t)
{
    size_t tag_pos = d->pos;
    if (!have(d, 5))
        return truncated(d, tag_pos, "COMPRESSED", 5);
    size_t usize = etf_get32(d->buf + d->pos + 1);
    d->pos += 5;
    size_t csize = d->len - d->pos;
    size_t max = d->opts && d->opts->max_inflate ? d->opts->max_inflate
                                                 : ETF_DEFAULT_MAX_INFLATE;
    if (usize == 0 || usize > max ||
        (csize < SIZE_MAX / ZLIB_MAX_RATIO &&
         usize > csize * ZLIB_MAX_RATIO + 64))
        return etf_fail(d->err, ETF_ERR_ZLIB, at(d, tag_pos),
                        "COMPRESSED at offset %zu claims %zu uncompressed "
                        "bytes from %zu compressed ones", at(d, tag_pos),
                        usize, csize);
    uint8_t *out = etf_arena_alloc(d->a, usize);
    if (out == NULL)
        return nomem(d);

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return nomem(d);
    zs.next_in = (Bytef *)(uintptr_t)(d->buf + d->pos);
    zs.avail_in = (uInt)(csize > UINT32_MAX ? UINT32_MAX : csize);
    zs.next_out = out;
    zs.avail_out = (uInt)usize;
    int rc = inflate(&zs, Z_FINISH);
    size_t produced = usize - zs.avail_out;
    size_t consumed = csize - zs.avail_in;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != usize)
        return etf_fail(d->err, ETF_ERR_ZLIB, at(d, tag_pos),
                        "COMPRESSED at offset %zu: zlib data %s (%zu of "
                        "%zu bytes inflated)", at(d, tag_pos),
                        rc == Z_STREAM_END || rc == Z_BUF_ERROR
                            ? "does not match the declared size"
                            : "is corrupt",
                        produced, usize);
    d->pos += consumed;

    /* The uncompressed bytes are a term of their own, with offsets of
     * their own. */
    if (out[0] == LOCAL_EXT) {
        /* term_to_binary(T, [local, compressed]) compresses the LOCAL_EXT
         * itself: keep the uncompressed bytes, opaque. */
        memset(t, 0, sizeof *t);
        t->type = ETF_LOCAL;
        t->n = (uint32_t)usize;
        t->u.bytes = out;
        return 0;
    }
    decoder inner = *d;
    inner.buf = out;
    inner.pending = 0;
    inner.len = usize;
    inner.pos = 0;
    inner.base = 0;
    inner.inflated = 1;
    int r = decode_tree(&inner, t);
    d->stack = inner.stack; /* the stack may have grown */
    d->cap = inner.cap;
    d->stack_on_heap = inner.stack_on_heap;
    if (r != 0)
        return -1;
    if (inner.pos != usize)
        return etf_fail(d->err, ETF_ERR_TRAILING, inner.pos,
                        "%zu bytes after the term inside COMPRESSED",
                        usize - inner.pos);
    return 0;
}

/* ---- LOCAL_EXT ------------------------------------------------------------ */

/* term_to_binary(T, [local]): meaningful only to the runtime that made it.
 * Keep the rest of the input as it is. */
static int decode_local(decoder *d, etf_term *t)
{
    size_t n = d->len - d->pos;
    if (n > UINT32_MAX)
        return etf_fail(d->err, ETF_ERR_ARITY, at(d, d->pos),
                        "LOCAL_EXT too long");
    memset(t, 0, sizeof *t);
    t->type = ETF_LOCAL;
    t->n = (uint32_t)n;
    t->u.bytes = d->buf + d->pos;
    d->pos = d->len;
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

/* A decode that succeeds leaves *err saying so. */
static void no_error(etf_error *err)
{
    if (err != NULL) {
        err->code = ETF_OK;
        err->message[0] = 0;
    }
}

static void setup(decoder *d, frame *small, const uint8_t *buf, size_t len,
                  const etf_decode_opts *opts, etf_arena *a, etf_error *err)
{
    /* Every field by name rather than a memset: this runs once per
     * message, and most messages are a few dozen bytes. */
    d->buf = buf;
    d->len = len;
    d->pos = 0;
    d->base = 0;
    d->inflated = 0;
    d->opts = opts;
    d->max_depth = opts && opts->max_depth ? opts->max_depth
                                           : ETF_DEFAULT_MAX_DEPTH;
    d->a = a;
    d->err = err;
    d->stack = small;
    d->depth = 0;
    d->cap = SMALL_STACK;
    d->pending = 0;
    d->stack_on_heap = 0;
    no_error(err);
}

/* A term that is one binary is the usual shape of a large message (a
 * file, a blob, a frame of another protocol). It needs no stack and no
 * arena, only its length checked, so it is answered before the decoder
 * is set up; its cost is then the same for 1 MiB as for 1 byte. The
 * result is what decode_one() gives. Returns the bytes used, or 0 when
 * the term is anything else (or truncated: the decoder says how). */
static size_t whole_binary(const uint8_t *buf, size_t len, etf_term *out,
                           etf_error *err)
{
    if (len < 5 || buf[0] != BINARY_EXT || etf_get32(buf + 1) > len - 5)
        return 0;
    size_t n = etf_get32(buf + 1);
    *out = (etf_term){.type = ETF_BINARY, .n = (uint32_t)n};
    out->u.bytes = buf + 5;
    no_error(err);
    return 5 + n;
}

int etf_decode(const uint8_t *buf, size_t len, const etf_decode_opts *opts,
               etf_arena *a, etf_term *out, etf_error *err)
{
    if (len > 1 && buf[0] == ETF_VERSION_MAGIC &&
        whole_binary(buf + 1, len - 1, out, err) == len - 1)
        return 0;
    decoder d;
    frame small[SMALL_STACK];
    setup(&d, small, buf, len, opts, a, err);
    if (len == 0)
        return etf_fail(err, ETF_ERR_TRUNCATED, 0, "empty input: no term");
    if (buf[0] != ETF_VERSION_MAGIC)
        return etf_fail(err, ETF_ERR_VERSION, 0,
                        "first byte is %u, not the version byte 131: not "
                        "External Term Format", buf[0]);
    d.pos = 1;
    int r = decode_tree(&d, out);
    if (d.stack_on_heap)
        free(d.stack);
    if (r != 0)
        return -1;
    if (d.pos != len)
        return etf_fail(err, ETF_ERR_TRAILING, d.pos,
                        "%zu bytes after the term, from offset %zu",
                        len - d.pos, d.pos);
    return 0;
}

int etf_decode_term(const uint8_t *buf, size_t len,
                    const etf_decode_opts *opts, etf_arena *a,
                    etf_term *out, size_t *used, etf_error *err)
{
    size_t n = whole_binary(buf, len, out, err);
    if (n != 0) {
        if (used != NULL)
            *used = n;
        return 0;
    }
    decoder d;
    frame small[SMALL_STACK];
    setup(&d, small, buf, len, opts, a, err);
    int r = decode_tree(&d, out);
    if (d.stack_on_heap)
        free(d.stack);
    if (r != 0)
        return -1;
    if (used != NULL)
        *used = d.pos;
    return 0;
}
