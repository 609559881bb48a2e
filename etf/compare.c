/*
 * compare.c -- Erlang's term order, for equality in tests and for the key
 * order of small maps in the encoder.
 *
 * The order between types is
 *
 *     number < atom < reference < fun < port < pid < tuple < map < [] <
 *     list < bitstring
 *
 * and within a type values compare as the BEAM compares them (erts_cmp in
 * erts/emulator/beam/utils.c). In the exact flavour (=:=, and the order the
 * BEAM keeps small maps' keys in) an integer never equals a float, and
 * every integer sorts before every float: #{1.0 => a, 2 => b} is written
 * with key 2 first.
 *
 * Like the decoder, the comparison walks nested terms with an explicit
 * stack, so that two deep lists compare without exhausting the C stack.
 * An ETF_STRING is a list of small integers and compares as one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

static int rank(const etf_term *t)
{
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM:
    case ETF_FLOAT: return 0;
    case ETF_ATOM: return 1;
    case ETF_REF: return 2;
    case ETF_FUN:
    case ETF_EXPORT: return 3;
    case ETF_PORT: return 4;
    case ETF_PID: return 5;
    case ETF_TUPLE: return 6;
    case ETF_RECORD: return 7;
    case ETF_MAP: return 8;
    case ETF_NIL: return 9;
    case ETF_LIST:
    case ETF_STRING: return 10;
    case ETF_BINARY: return 11;
    case ETF_LOCAL: return 12;
    }
    return 13;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return cmp_u64(alen, blen);
}

static int cmp_atom(etf_atom a, etf_atom b)
{
    return cmp_bytes(a.name, a.len, b.name, b.len);
}

/* Sign of an integer term: -1, 0, 1. */
static int int_sign(const etf_term *t)
{
    if (t->type == ETF_INTEGER)
        return t->u.i < 0 ? -1 : t->u.i > 0;
    return (t->flags & ETF_NEGATIVE) ? -1 : 1;
}

/* Compares two integers, either of which may be a bignum. A bignum is
 * always larger in magnitude than any ETF_INTEGER. */
static int cmp_int(const etf_term *a, const etf_term *b)
{
    if (a->type == ETF_INTEGER && b->type == ETF_INTEGER)
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    int sa = int_sign(a), sb = int_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int mag; /* compare magnitudes */
    if (a->type == ETF_INTEGER)
        mag = -1;
    else if (b->type == ETF_INTEGER)
        mag = 1;
    else if (a->n != b->n)
        mag = a->n < b->n ? -1 : 1;
    else {
        mag = 0;
        for (size_t i = a->n; i-- > 0 && mag == 0;)
            mag = a->u.bytes[i] < b->u.bytes[i] ? -1
                : a->u.bytes[i] > b->u.bytes[i];
    }
    return sa < 0 ? -mag : mag;
}

static double int_to_double(const etf_term *t)
{
    if (t->type == ETF_INTEGER)
        return (double)t->u.i;
    double v = 0;
    for (size_t i = t->n; i-- > 0;)
        v = v * 256.0 + t->u.bytes[i];
    return (t->flags & ETF_NEGATIVE) ? -v : v;
}

static int cmp_number(const etf_term *a, const etf_term *b, int exact)
{
    int af = a->type == ETF_FLOAT, bf = b->type == ETF_FLOAT;
    if (af && bf)
        return a->u.f < b->u.f ? -1 : a->u.f > b->u.f;
    if (!af && !bf)
        return cmp_int(a, b);
    if (exact)
        return af ? 1 : -1;
    /* A float against an integer: compare as the BEAM does, by value. A
     * double holds every integer up to 2^53 exactly; past that the
     * rounding of the conversion cannot change the order except at equal
     * values, where the BEAM also calls them equal. */
    double x = af ? a->u.f : int_to_double(a);
    double y = bf ? b->u.f : int_to_double(b);
    return x < y ? -1 : x > y;
}

static int cmp_bits(const etf_term *a, const etf_term *b)
{
    /* Compare the whole bytes both have, then the partial bytes. */
    size_t abits = (size_t)a->n * 8 - (a->bits ? 8 - a->bits : 0);
    size_t bbits = (size_t)b->n * 8 - (b->bits ? 8 - b->bits : 0);
    size_t common = abits < bbits ? abits : bbits;
    size_t whole = common / 8;
    int c = whole ? memcmp(a->u.bytes, b->u.bytes, whole) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    unsigned rest = (unsigned)(common % 8);
    if (rest) {
        uint8_t mask = (uint8_t)(0xFF << (8 - rest));
        uint8_t x = a->u.bytes[whole] & mask, y = b->u.bytes[whole] & mask;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return cmp_u64(abits, bbits);
}

/* ---- lists as sequences ---------------------------------------------------- */

/* Walks the elements of a list, through STRING segments and tails that are
 * lists themselves. */
typedef struct list_iter {
    const etf_term *seg; /* ETF_LIST or ETF_STRING, or NULL at the end */
    uint32_t i;
    const etf_term *tail; /* at the end: the final tail */
    etf_term scratch;     /* an element of a STRING segment */
} list_iter;

static void iter_start(list_iter *it, const etf_term *t)
{
    it->seg = t;
    it->i = 0;
    it->tail = NULL;
}

/* The next element, or NULL at the end (then it->tail is the tail). */
static const etf_term *iter_next(list_iter *it)
{
    static const etf_term nil = {.type = ETF_NIL};
    for (;;) {
        const etf_term *s = it->seg;
        if (s == NULL)
            return NULL;
        if (s->type == ETF_STRING) {
            if (it->i < s->n) {
                it->scratch = etf_int(s->u.bytes[it->i++]);
                return &it->scratch;
            }
            it->seg = NULL;
            it->tail = &nil;
            return NULL;
        }
        if (it->i < s->n)
            return &s->u.elems[it->i++];
        const etf_term *tail = &s->u.elems[s->n];
        if (tail->type == ETF_LIST || tail->type == ETF_STRING) {
            it->seg = tail;
            it->i = 0;
            continue;
        }
        it->seg = NULL;
        it->tail = tail;
        return NULL;
    }
}

/* ---- the walk --------------------------------------------------------------- */

typedef struct cmp_frame {
    int is_list;
    const etf_term *a, *b; /* arrays, for a sequence */
    size_t left;
    list_iter la, lb;      /* for a list */
} cmp_frame;

typedef struct comparer {
    cmp_frame *stack;
    size_t depth, cap;
    int exact;
    int oom;
} comparer;

static cmp_frame *push(comparer *c)
{
    if (c->depth == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        cmp_frame *s = realloc(c->stack, cap * sizeof *s);
        if (s == NULL) {
            c->oom = 1;
            return NULL;
        }
        c->stack = s;
        c->cap = cap;
    }
    return &c->stack[c->depth++];
}

static int push_seq(comparer *c, const etf_term *a, const etf_term *b,
                    size_t n)
{
    if (n == 0)
        return 0;
    cmp_frame *f = push(c);
    if (f == NULL)
        return 0;
    f->is_list = 0;
    f->a = a;
    f->b = b;
    f->left = n;
    return 0;
}

/* Compares what can be compared without looking inside; for containers of
 * equal shape, pushes their children and returns 0. */
static int shallow(comparer *c, const etf_term *a, const etf_term *b)
{
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    int r;
    switch ((etf_type)a->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM:
    case ETF_FLOAT:
        return cmp_number(a, b, c->exact);
    case ETF_ATOM:
        return cmp_bytes(a->u.atom, a->n, b->u.atom, b->n);
    case ETF_REF: {
        const etf_ref *x = a->u.ref, *y = b->u.ref;
        if ((r = cmp_atom(x->node, y->node)) != 0)
            return r;
        if (x->len != y->len)
            return x->len < y->len ? -1 : 1;
        for (size_t i = x->len; i-- > 0;)
            if (x->id[i] != y->id[i])
                return x->id[i] < y->id[i] ? -1 : 1;
        return cmp_u64(x->creation, y->creation);
    }
    case ETF_FUN:
    case ETF_EXPORT:
        if (a->type != b->type)
            return a->type == ETF_FUN ? -1 : 1;
        if (a->type == ETF_EXPORT) {
            if ((r = shallow(c, &a->u.elems[0], &b->u.elems[0])) != 0 ||
                (r = shallow(c, &a->u.elems[1], &b->u.elems[1])) != 0)
                return r;
            return cmp_u64(a->n, b->n);
        } else {
            const etf_fun *x = a->u.fun, *y = b->u.fun;
            if ((r = cmp_atom(x->module, y->module)) != 0)
                return r;
            if (x->old_index != y->old_index)
                return x->old_index < y->old_index ? -1 : 1;
            if (x->old_uniq != y->old_uniq)
                return x->old_uniq < y->old_uniq ? -1 : 1;
            if ((r = memcmp(x->uniq, y->uniq, 16)) != 0)
                return r < 0 ? -1 : 1;
            if (x->num_free != y->num_free)
                return x->num_free < y->num_free ? -1 : 1;
            return push_seq(c, x->free_vars, y->free_vars, x->num_free);
        }
    case ETF_PORT: {
        const etf_port *x = a->u.port, *y = b->u.port;
        if ((r = cmp_atom(x->node, y->node)) != 0)
            return r;
        if ((r = cmp_u64(x->id, y->id)) != 0)
            return r;
        return cmp_u64(x->creation, y->creation);
    }
    case ETF_PID: {
        const etf_pid *x = a->u.pid, *y = b->u.pid;
        if ((r = cmp_atom(x->node, y->node)) != 0)
            return r;
        if ((r = cmp_u64(x->serial, y->serial)) != 0)
            return r;
        if ((r = cmp_u64(x->id, y->id)) != 0)
            return r;
        return cmp_u64(x->creation, y->creation);
    }
    case ETF_TUPLE:
        if (a->n != b->n)
            return a->n < b->n ? -1 : 1;
        return push_seq(c, a->u.elems, b->u.elems, a->n);
    case ETF_RECORD: {
        const etf_record *x = a->u.record, *y = b->u.record;
        if ((r = cmp_atom(x->module, y->module)) != 0 ||
            (r = cmp_atom(x->name, y->name)) != 0)
            return r;
        if (x->flags != y->flags)
            return x->flags < y->flags ? -1 : 1;
        if (x->nfields != y->nfields)
            return x->nfields < y->nfields ? -1 : 1;
        for (uint32_t i = 0; i < x->nfields; i++)
            if ((r = cmp_atom(x->fields[i], y->fields[i])) != 0)
                return r;
        return push_seq(c, x->values, y->values, x->nfields);
    }
    case ETF_MAP:
        /* Maps compare by size, then keys, then values. Both sides are
         * compared in their stored order, which for maps the BEAM sent
         * (or the encoder sorted) is the key order. */
        if (a->n != b->n)
            return a->n < b->n ? -1 : 1;
        return push_seq(c, a->u.elems, b->u.elems, 2 * (size_t)a->n);
    case ETF_NIL:
        return 0;
    case ETF_LIST:
    case ETF_STRING:
        if (a->type == ETF_STRING && b->type == ETF_STRING)
            return cmp_bytes(a->u.bytes, a->n, b->u.bytes, b->n);
        {
            cmp_frame *f = push(c);
            if (f == NULL)
                return 0;
            f->is_list = 1;
            iter_start(&f->la, a);
            iter_start(&f->lb, b);
        }
        return 0;
    case ETF_BINARY:
        return cmp_bits(a, b);
    case ETF_LOCAL:
        return cmp_bytes(a->u.bytes, a->n, b->u.bytes, b->n);
    }
    return 0;
}

int etf_compare(const etf_term *a, const etf_term *b, int exact)
{
    comparer c = {NULL, 0, 0, exact, 0};
    int r = shallow(&c, a, b);
    while (r == 0 && c.depth > 0 && !c.oom) {
        cmp_frame *f = &c.stack[c.depth - 1];
        if (!f->is_list) {
            if (f->left == 0) {
                c.depth--;
                continue;
            }
            const etf_term *x = f->a++, *y = f->b++;
            f->left--;
            r = shallow(&c, x, y);
            continue;
        }
        const etf_term *x = iter_next(&f->la);
        const etf_term *y = iter_next(&f->lb);
        if (x != NULL && y != NULL) {
            r = shallow(&c, x, y);
            continue;
        }
        if (x == NULL && y == NULL) {
            const etf_term *ta = f->la.tail, *tb = f->lb.tail;
            c.depth--;
            r = shallow(&c, ta, tb);
            continue;
        }
        /* One list ended; the other still has elements, so what is left
         * of it is a non-empty list. Its tail is not a list: compare by
         * type order against "list". */
        const etf_term *tail = x == NULL ? f->la.tail : f->lb.tail;
        int rt = rank(tail) < 10 ? -1 : 1;
        r = x == NULL ? rt : -rt;
    }
    free(c.stack);
    return r;
}

int etf_equal(const etf_term *a, const etf_term *b)
{
    return etf_compare(a, b, 1) == 0;
}
