/*
 * encode.c -- etf_term trees to External Term Format bytes.
 *
 * The encoder writes what term_to_binary(T, [{minor_version, 2}]) writes,
 * so that a node comparing our bytes with its own sees no difference:
 *
 *   - integers in the smallest form: SMALL_INTEGER_EXT for 0..255,
 *     INTEGER_EXT for the rest of int32, SMALL_BIG_EXT / LARGE_BIG_EXT
 *     beyond;
 *   - atoms as SMALL_ATOM_UTF8_EXT, or ATOM_UTF8_EXT past 255 bytes;
 *   - a proper list of at most 65535 integers 0..255 as STRING_EXT (erts
 *     does this for every such list, whatever made it);
 *   - a list whose tail is another list written as one flat list;
 *   - maps of up to 32 keys in the BEAM's key order (Erlang term order with
 *     integers before floats), larger ones in the order given;
 *   - pids, ports and references in their newest forms (NEW_PID_EXT,
 *     V4_PORT_EXT, NEWER_REFERENCE_EXT);
 *   - bitstrings with their unused low bits cleared.
 *
 * Like the decoder it keeps an explicit stack instead of recursing, so a
 * term of any depth encodes without exhausting the C stack.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "etf/etf.h"
#include "etf/internal.h"

#define FLATMAP_MAX 32 /* MAP_SMALL_MAP_LIMIT in erts */

typedef struct enc_frame {
    const etf_term *next; /* next term to write */
    size_t left;          /* terms left in this run */
    const etf_term *tail; /* for a list: its tail, written after the run */
    const etf_term *const *order; /* for a map: key/value pairs in order */
    void *owned;          /* malloc'ed memory to free when popped */
} enc_frame;

typedef struct encoder {
    etf_buf *out;
    etf_error *err;
    const etf_atom_index *ix; /* the atom cache's refs, or NULL */
    enc_frame *stack;   /* the caller's small array until it overflows */
    size_t depth, cap;
    int stack_on_heap;  /* stack was malloc'ed: free it at the end */
} encoder;

/* Most terms nest no deeper: their stack needs no malloc. */
#define SMALL_STACK 16

/* ---- writing ------------------------------------------------------------ */

static uint8_t *room(encoder *e, size_t n)
{
    if (etf_buf_reserve(e->out, n) != 0)
        return NULL;
    uint8_t *p = e->out->data + e->out->len;
    e->out->len += n;
    return p;
}

static int fail_nomem(encoder *e)
{
    return etf_fail(e->err, ETF_ERR_NOMEM, e->out->len,
                    "out of memory after %zu bytes of output", e->out->len);
}

static int put_atom(encoder *e, const char *name, size_t len)
{
    uint8_t *p;
    if (e->ix != NULL) {
        int i = e->ix->index(e->ix->arg, name, len);
        if (i >= 0 && i <= 254) {
            if ((p = room(e, 2)) == NULL)
                return fail_nomem(e);
            p[0] = ATOM_CACHE_REF;
            p[1] = (uint8_t)i;
            return 0;
        }
    }
    if (len <= 255) {
        if ((p = room(e, 2 + len)) == NULL)
            return fail_nomem(e);
        p[0] = SMALL_ATOM_UTF8_EXT;
        p[1] = (uint8_t)len;
        memcpy(p + 2, name, len);
        return 0;
    }
    if (len > ETF_MAX_ATOM_BYTES)
        return etf_fail(e->err, ETF_ERR_ATOM, e->out->len,
                        "atom of %zu bytes is longer than 255 characters",
                        len);
    if ((p = room(e, 3 + len)) == NULL)
        return fail_nomem(e);
    p[0] = ATOM_UTF8_EXT;
    etf_put16(p + 1, (uint16_t)len);
    memcpy(p + 3, name, len);
    return 0;
}

static int put_int(encoder *e, int64_t v)
{
    uint8_t *p;
    if (v >= 0 && v <= 255) {
        if ((p = room(e, 2)) == NULL)
            return fail_nomem(e);
        p[0] = SMALL_INTEGER_EXT;
        p[1] = (uint8_t)v;
        return 0;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        if ((p = room(e, 5)) == NULL)
            return fail_nomem(e);
        p[0] = INTEGER_EXT;
        etf_put32(p + 1, (uint32_t)(int32_t)v);
        return 0;
    }
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    for (uint64_t m = mag; m != 0; m >>= 8)
        n++;
    if ((p = room(e, 3 + n)) == NULL)
        return fail_nomem(e);
    p[0] = SMALL_BIG_EXT;
    p[1] = (uint8_t)n;
    p[2] = v < 0;
    for (size_t i = 0; i < n; i++, mag >>= 8)
        p[3 + i] = (uint8_t)mag;
    return 0;
}

static int put_big(encoder *e, const etf_term *t)
{
    size_t n = t->n;
    while (n > 0 && t->u.bytes[n - 1] == 0)
        n--;
    /* A bignum built by hand may hold a small value: write it as such. */
    if (n <= 8) {
        uint64_t mag = 0;
        for (size_t i = n; i-- > 0;)
            mag = (mag << 8) | t->u.bytes[i];
        int neg = (t->flags & ETF_NEGATIVE) != 0;
        if (!neg && mag <= (uint64_t)INT64_MAX)
            return put_int(e, (int64_t)mag);
        if (neg && mag <= (uint64_t)INT64_MAX)
            return put_int(e, -(int64_t)mag);
        if (neg && mag == (uint64_t)INT64_MAX + 1)
            return put_int(e, INT64_MIN);
    }
    uint8_t *p;
    if (n <= 255) {
        if ((p = room(e, 3 + n)) == NULL)
            return fail_nomem(e);
        p[0] = SMALL_BIG_EXT;
        p[1] = (uint8_t)n;
        p[2] = (t->flags & ETF_NEGATIVE) != 0;
        memcpy(p + 3, t->u.bytes, n);
        return 0;
    }
    if ((p = room(e, 6 + n)) == NULL)
        return fail_nomem(e);
    p[0] = LARGE_BIG_EXT;
    etf_put32(p + 1, (uint32_t)n);
    p[5] = (t->flags & ETF_NEGATIVE) != 0;
    memcpy(p + 6, t->u.bytes, n);
    return 0;
}

static int put_pid(encoder *e, const etf_pid *pid)
{
    if (put_atom(e, pid->node.name, pid->node.len) != 0)
        return -1;
    uint8_t *p = room(e, 12);
    if (p == NULL)
        return fail_nomem(e);
    etf_put32(p, pid->id);
    etf_put32(p + 4, pid->serial);
    etf_put32(p + 8, pid->creation);
    return 0;
}

/* ---- lists -------------------------------------------------------------- */

/* Walks a list and the lists in its tail. Sets *len to the number of
 * elements of the flattened list, *tail to its final tail, and returns 1 if
 * it is a proper list of integers 0..255 that STRING_EXT can carry. */
static int scan_list(const etf_term *t, size_t *len, const etf_term **tail)
{
    size_t n = 0;
    int bytes = 1;
    for (;;) {
        if (t->type == ETF_STRING) {
            n += t->n;
            static const etf_term nil = {.type = ETF_NIL};
            *tail = &nil;
            break;
        }
        if (t->type != ETF_LIST) {
            *tail = t;
            break;
        }
        for (uint32_t i = 0; i < t->n && bytes; i++)
            bytes = etf_byte_value(&t->u.elems[i]) >= 0;
        n += t->n;
        t = &t->u.elems[t->n];
    }
    *len = n;
    return bytes && (*tail)->type == ETF_NIL && n <= ETF_MAX_STRING_EXT;
}

static int put_string(encoder *e, const etf_term *t, size_t len)
{
    uint8_t *p = room(e, 3 + len);
    if (p == NULL)
        return fail_nomem(e);
    p[0] = STRING_EXT;
    etf_put16(p + 1, (uint16_t)len);
    p += 3;
    while (t->type == ETF_LIST) {
        for (uint32_t i = 0; i < t->n; i++)
            *p++ = (uint8_t)t->u.elems[i].u.i;
        t = &t->u.elems[t->n];
    }
    if (t->type == ETF_STRING)
        memcpy(p, t->u.bytes, t->n);
    return 0;
}

/* ---- maps ----------------------------------------------------------------- */

/* The order of a small map's keys, as the BEAM keeps them. Returns a
 * malloc'ed array of pointers to the keys (values follow each key), or
 * NULL with *sorted = 1 when the map is already in order. */
static const etf_term **map_order(const etf_term *m, int *already, int *oom)
{
    *already = 1;
    *oom = 0;
    if (m->n > FLATMAP_MAX || m->n < 2)
        return NULL;
    const etf_term *kv = m->u.elems;
    for (uint32_t i = 1; i < m->n; i++)
        if (etf_compare(&kv[2 * (i - 1)], &kv[2 * i], 1) > 0)
            *already = 0;
    if (*already)
        return NULL;
    const etf_term **keys = malloc(m->n * sizeof *keys);
    if (keys == NULL) {
        *oom = 1;
        return NULL;
    }
    /* Insertion sort: at most 32 keys. */
    for (uint32_t i = 0; i < m->n; i++) {
        const etf_term *k = &kv[2 * i];
        uint32_t j = i;
        while (j > 0 && etf_compare(keys[j - 1], k, 1) > 0) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = k;
    }
    return keys;
}

/* ---- the stack ------------------------------------------------------------ */

/* The stack is full: move it to the heap, or double it there. */
static __attribute__((noinline)) int grow(encoder *e)
{
    enc_frame *s = etf_stack_grow(e->stack, e->depth, &e->cap, sizeof *s,
                                  &e->stack_on_heap);
    if (s == NULL)
        return -1;
    e->stack = s;
    return 0;
}

static inline int push(encoder *e, enc_frame f)
{
    if (e->depth == e->cap && grow(e) != 0) {
        free(f.owned);
        return fail_nomem(e);
    }
    e->stack[e->depth++] = f;
    return 0;
}

/* Writes the header of t, and pushes its children if it has any. */
static int put_term(encoder *e, const etf_term *t)
{
    uint8_t *p;
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
        return put_int(e, t->u.i);

    case ETF_BIGNUM:
        return put_big(e, t);

    case ETF_FLOAT: {
        if ((p = room(e, 9)) == NULL)
            return fail_nomem(e);
        uint64_t bits;
        memcpy(&bits, &t->u.f, sizeof bits);
        p[0] = NEW_FLOAT_EXT;
        etf_put64(p + 1, bits);
        return 0;
    }

    case ETF_ATOM:
        return put_atom(e, t->u.atom, t->n);

    case ETF_TUPLE:
        if (t->n <= 255) {
            if ((p = room(e, 2)) == NULL)
                return fail_nomem(e);
            p[0] = SMALL_TUPLE_EXT;
            p[1] = (uint8_t)t->n;
        } else {
            if ((p = room(e, 5)) == NULL)
                return fail_nomem(e);
            p[0] = LARGE_TUPLE_EXT;
            etf_put32(p + 1, t->n);
        }
        if (t->n == 0)
            return 0;
        return push(e, (enc_frame){t->u.elems, t->n, NULL, NULL, NULL});

    case ETF_NIL:
        if ((p = room(e, 1)) == NULL)
            return fail_nomem(e);
        p[0] = NIL_EXT;
        return 0;

    case ETF_STRING:
    case ETF_LIST: {
        size_t len;
        const etf_term *tail;
        if (scan_list(t, &len, &tail))
            return put_string(e, t, len);
        if (len > UINT32_MAX)
            return etf_fail(e->err, ETF_ERR_UNSUPPORTED, e->out->len,
                            "list of %zu elements", len);
        if ((p = room(e, 5)) == NULL)
            return fail_nomem(e);
        p[0] = LIST_EXT;
        etf_put32(p + 1, (uint32_t)len);
        /* The tail goes last; each list segment is a run of its own. */
        if (push(e, (enc_frame){tail, 1, NULL, NULL, NULL}) != 0)
            return -1;
        /* Push segments in reverse so that the first is written first. */
        size_t first = e->depth;
        for (const etf_term *s = t;
             s->type == ETF_LIST || s->type == ETF_STRING;
             s = s->type == ETF_LIST ? &s->u.elems[s->n] : tail) {
            enc_frame f = {NULL, 0, NULL, NULL, NULL};
            if (s->type == ETF_STRING) {
                f.tail = s; /* a STRING segment: bytes written as ints */
            } else {
                f.next = s->u.elems;
                f.left = s->n;
            }
            if (push(e, f) != 0)
                return -1;
            if (s->type == ETF_STRING)
                break;
        }
        /* Reverse the segment frames just pushed. */
        for (size_t i = first, j = e->depth - 1; i < j; i++, j--) {
            enc_frame tmp = e->stack[i];
            e->stack[i] = e->stack[j];
            e->stack[j] = tmp;
        }
        return 0;
    }

    case ETF_BINARY: {
        if (t->bits == 0) {
            if ((p = room(e, 5 + (size_t)t->n)) == NULL)
                return fail_nomem(e);
            p[0] = BINARY_EXT;
            etf_put32(p + 1, t->n);
            memcpy(p + 5, t->u.bytes, t->n);
            return 0;
        }
        if (t->n == 0 || t->bits > 7)
            return etf_fail(e->err, ETF_ERR_UNSUPPORTED, e->out->len,
                            "bitstring of %u bytes with %u bits in the "
                            "last", t->n, t->bits);
        if ((p = room(e, 6 + (size_t)t->n)) == NULL)
            return fail_nomem(e);
        p[0] = BIT_BINARY_EXT;
        etf_put32(p + 1, t->n);
        p[5] = t->bits;
        memcpy(p + 6, t->u.bytes, t->n);
        p[5 + t->n] &= (uint8_t)(0xFF << (8 - t->bits));
        return 0;
    }

    case ETF_MAP: {
        if ((p = room(e, 5)) == NULL)
            return fail_nomem(e);
        p[0] = MAP_EXT;
        etf_put32(p + 1, t->n);
        if (t->n == 0)
            return 0;
        int already, oom;
        const etf_term **keys = map_order(t, &already, &oom);
        if (oom)
            return fail_nomem(e);
        if (already)
            return push(e, (enc_frame){t->u.elems, 2 * (size_t)t->n, NULL,
                                       NULL, NULL});
        return push(e, (enc_frame){NULL, 2 * (size_t)t->n, NULL,
                                   (const etf_term *const *)keys,
                                   (void *)keys});
    }

    case ETF_PID:
        if ((p = room(e, 1)) == NULL)
            return fail_nomem(e);
        p[0] = NEW_PID_EXT;
        return put_pid(e, t->u.pid);

    case ETF_PORT: {
        /* OTP 27 and later write every port as V4_PORT_EXT (OTP 25 still
         * used NEW_PORT_EXT below 2^28, but reads V4 too). */
        const etf_port *port = t->u.port;
        if ((p = room(e, 1)) == NULL)
            return fail_nomem(e);
        p[0] = V4_PORT_EXT;
        if (put_atom(e, port->node.name, port->node.len) != 0)
            return -1;
        if ((p = room(e, 12)) == NULL)
            return fail_nomem(e);
        etf_put64(p, port->id);
        etf_put32(p + 8, port->creation);
        return 0;
    }

    case ETF_REF: {
        const etf_ref *ref = t->u.ref;
        if (ref->len == 0 || ref->len > ETF_MAX_REF_WORDS)
            return etf_fail(e->err, ETF_ERR_UNSUPPORTED, e->out->len,
                            "reference of %u words", ref->len);
        if ((p = room(e, 3)) == NULL)
            return fail_nomem(e);
        p[0] = NEWER_REFERENCE_EXT;
        etf_put16(p + 1, (uint16_t)ref->len);
        if (put_atom(e, ref->node.name, ref->node.len) != 0)
            return -1;
        if ((p = room(e, 4 + 4 * (size_t)ref->len)) == NULL)
            return fail_nomem(e);
        etf_put32(p, ref->creation);
        for (uint32_t i = 0; i < ref->len; i++)
            etf_put32(p + 4 + 4 * i, ref->id[i]);
        return 0;
    }

    case ETF_EXPORT:
        if ((p = room(e, 1)) == NULL)
            return fail_nomem(e);
        p[0] = EXPORT_EXT;
        if (put_atom(e, t->u.elems[0].u.atom, t->u.elems[0].n) != 0 ||
            put_atom(e, t->u.elems[1].u.atom, t->u.elems[1].n) != 0)
            return -1;
        if ((p = room(e, 2)) == NULL)
            return fail_nomem(e);
        p[0] = SMALL_INTEGER_EXT;
        p[1] = (uint8_t)t->n;
        return 0;

    case ETF_FUN: {
        const etf_fun *f = t->u.fun;
        if (f->raw != NULL) {
            etf_buf_append(e->out, f->raw, f->raw_len);
            return e->out->failed ? fail_nomem(e) : 0;
        }
        /* Rebuild NEW_FUN_EXT, patching Size once everything is written.
         * Such funs come only from the distribution channel and are rare:
         * their free variables go through a nested etf_encode. */
        size_t start = e->out->len;
        if ((p = room(e, 30)) == NULL)
            return fail_nomem(e);
        p[0] = NEW_FUN_EXT;
        p[5] = f->arity;
        memcpy(p + 6, f->uniq, 16);
        etf_put32(p + 22, f->index);
        etf_put32(p + 26, f->num_free);
        if (put_atom(e, f->module.name, f->module.len) != 0 ||
            put_int(e, f->old_index) != 0 || put_int(e, f->old_uniq) != 0)
            return -1;
        if ((p = room(e, 1)) == NULL)
            return fail_nomem(e);
        p[0] = NEW_PID_EXT;
        if (put_pid(e, &f->pid) != 0)
            return -1;
        for (uint32_t i = 0; i < f->num_free; i++)
            if (etf_encode(&f->free_vars[i], ETF_ENCODE_NO_VERSION, e->out,
                           e->err) != 0)
                return -1;
        etf_put32(e->out->data + start + 1,
                  (uint32_t)(e->out->len - start - 1));
        return 0;
    }

    case ETF_RECORD: {
        const etf_record *r = t->u.record;
        if ((p = room(e, 6)) == NULL)
            return fail_nomem(e);
        p[0] = RECORD_EXT;
        etf_put32(p + 1, r->nfields);
        p[5] = r->flags;
        if (put_atom(e, r->module.name, r->module.len) != 0 ||
            put_atom(e, r->name.name, r->name.len) != 0)
            return -1;
        for (uint32_t i = 0; i < r->nfields; i++)
            if (put_atom(e, r->fields[i].name, r->fields[i].len) != 0)
                return -1;
        if (r->nfields == 0)
            return 0;
        return push(e, (enc_frame){r->values, r->nfields, NULL, NULL, NULL});
    }

    case ETF_LOCAL:
        etf_buf_append(e->out, t->u.bytes, t->n);
        return e->out->failed ? fail_nomem(e) : 0;
    }
    return etf_fail(e->err, ETF_ERR_UNSUPPORTED, e->out->len,
                    "term of unknown type %u", t->type);
}

static int encode_tree(encoder *e, const etf_term *root)
{
    if (put_term(e, root) != 0)
        return -1;
    while (e->depth > 0) {
        enc_frame *f = &e->stack[e->depth - 1];
        if (f->left == 0 && f->tail != NULL && f->tail->type == ETF_STRING) {
            /* A STRING segment inside a LIST_EXT: its bytes as integers. */
            const etf_term *s = f->tail;
            e->depth--;
            for (uint32_t i = 0; i < s->n; i++)
                if (put_int(e, s->u.bytes[i]) != 0)
                    return -1;
            continue;
        }
        if (f->left == 0) {
            free(f->owned);
            e->depth--;
            continue;
        }
        const etf_term *t;
        if (f->order != NULL) {
            /* A sorted map: a key, then the value stored right after it. */
            const etf_term *key = *f->order;
            if (f->next == NULL) { /* key due */
                t = key;
                f->next = key + 1;
            } else {               /* value due */
                t = f->next;
                f->next = NULL;
                f->order++;
            }
        } else {
            t = f->next++;
        }
        f->left--;
        if (put_term(e, t) != 0)
            return -1;
    }
    return 0;
}

static void release(encoder *e)
{
    for (size_t i = 0; i < e->depth; i++)
        free(e->stack[i].owned);
    if (e->stack_on_heap)
        free(e->stack);
}

/* term_to_binary(T, [compressed]): 131, 80, uncompressed size, zlib data
 * at level 6 (the BEAM's default), kept only if it is smaller. */
static int compress_tail(etf_buf *out, size_t start, etf_error *err)
{
    size_t ulen = out->len - start - 1; /* after the 131 */
    if (ulen > UINT32_MAX)
        return 0;
    uLongf clen = compressBound((uLong)ulen);
    uint8_t *z = malloc(clen);
    if (z == NULL)
        return etf_fail(err, ETF_ERR_NOMEM, 0, "out of memory compressing");
    if (compress2(z, &clen, out->data + start + 1, (uLong)ulen, 6) != Z_OK) {
        free(z);
        return etf_fail(err, ETF_ERR_ZLIB, 0, "zlib failed to compress");
    }
    if (clen + 5 < ulen) {
        out->len = start + 1;
        uint8_t hdr[5];
        hdr[0] = COMPRESSED;
        etf_put32(hdr + 1, (uint32_t)ulen);
        etf_buf_append(out, hdr, 5);
        etf_buf_append(out, z, clen);
    }
    free(z);
    return out->failed ? etf_fail(err, ETF_ERR_NOMEM, 0, "out of memory")
                       : 0;
}

int etf_encode(const etf_term *t, unsigned flags, etf_buf *out,
               etf_error *err)
{
    return etf_encode_indexed(t, flags, NULL, out, err);
}

int etf_encode_indexed(const etf_term *t, unsigned flags,
                       const etf_atom_index *ix, etf_buf *out,
                       etf_error *err)
{
    enc_frame small[SMALL_STACK];
    encoder e = {out, err, ix, small, 0, SMALL_STACK, 0};
    size_t start = out->len;
    if (!(flags & ETF_ENCODE_NO_VERSION))
        etf_buf_putc(out, (char)ETF_VERSION_MAGIC);
    int r = encode_tree(&e, t);
    release(&e);
    if (r == 0 && out->failed)
        r = etf_fail(err, ETF_ERR_NOMEM, out->len, "out of memory");
    if (r != 0) {
        if (!out->failed)
            out->len = start;
        return -1;
    }
    if ((flags & ETF_ENCODE_COMPRESSED) && !(flags & ETF_ENCODE_NO_VERSION))
        return compress_tail(out, start, err);
    return 0;
}
