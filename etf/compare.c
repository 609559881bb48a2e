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
 * erts/emulator/beam/utils.c):
 *
 *  - Numbers by value, exactly: an integer past 2^53 is not rounded to a
 *    double to meet a float (9007199254740993 > 9007199254740992.0). In the
 *    exact flavour (=:=, and the order the BEAM keeps small maps' keys in)
 *    an integer never equals a float, and every integer sorts before every
 *    float: #{1.0 => a, 2 => b} is written with key 2 first. Nor does
 *    -0.0 equal 0.0 (OTP 27's rule).
 *
 *  - Maps by size, then by their keys in ascending exact order, then by
 *    their values in that key order -- whatever order the entries were
 *    stored in (see "the key order of maps" below).
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

/* The magnitude of an integer as little-endian bytes, without high zero
 * bytes; for a bignum they are its own digits, else they go into buf. */
static const uint8_t *int_magnitude(const etf_term *t, uint8_t buf[8],
                                    size_t *len)
{
    if (t->type == ETF_BIGNUM) {
        *len = t->n;
        return t->u.bytes;
    }
    /* |INT64_MIN| does not fit in int64_t: negate in unsigned. */
    uint64_t m = t->u.i < 0 ? 0 - (uint64_t)t->u.i : (uint64_t)t->u.i;
    size_t n = 0;
    for (; m != 0; m >>= 8)
        buf[n++] = (uint8_t)m;
    *len = n;
    return buf;
}

/* Compares an integer with a float by their exact values, as the BEAM
 * does: 9007199254740993 > 9007199254740992.0, although converting the
 * integer to a double would make them equal (the BEAM turns the float into
 * a bignum instead). The float's absolute value is split into an integer
 * part, written as little-endian bytes, and whether a fraction is left. */
static int cmp_int_float(const etf_term *a, double f)
{
    int s = int_sign(a);
    if (s != (f > 0) - (f < 0))
        return s < ((f > 0) - (f < 0)) ? -1 : 1;
    if (s == 0)
        return 0;
    /* Same sign, both non-zero: compare magnitudes. |f| = mant * 2^shift,
     * mant a 53-bit integer. A finite double is below 2^1024, so its
     * integer part has at most 128 bytes. */
    int e;
    double fr = frexp(fabs(f), &e);
    uint64_t mant = (uint64_t)ldexp(fr, 53);
    int shift = e - 53;
    uint8_t fbytes[136] = {0};
    size_t flen = 0;
    int frac = 0;
    if (shift >= 0) {
        for (int i = 0; i < 8; i++) { /* mant << shift, byte by byte */
            uint64_t byte = (mant >> (8 * i)) & 0xFF;
            size_t pos = (size_t)shift / 8 + (size_t)i;
            unsigned bit = (unsigned)shift % 8;
            fbytes[pos] |= (uint8_t)(byte << bit);
            fbytes[pos + 1] |= (uint8_t)(byte >> (8 - bit));
        }
        flen = (size_t)shift / 8 + 9;
    } else {
        uint64_t whole = -shift >= 64 ? 0 : mant >> -shift;
        frac = -shift >= 64 ? 1 : (mant & ((UINT64_C(1) << -shift) - 1)) != 0;
        for (; whole != 0; whole >>= 8)
            fbytes[flen++] = (uint8_t)whole;
    }
    while (flen > 0 && fbytes[flen - 1] == 0)
        flen--;
    uint8_t ibuf[8];
    size_t ilen;
    const uint8_t *ibytes = int_magnitude(a, ibuf, &ilen);
    int mag;
    if (ilen != flen)
        mag = ilen < flen ? -1 : 1;
    else {
        mag = 0;
        for (size_t i = ilen; i-- > 0 && mag == 0;)
            mag = ibytes[i] < fbytes[i] ? -1 : ibytes[i] > fbytes[i];
        if (mag == 0 && frac)
            mag = -1; /* equal integer parts, and the float has more */
    }
    return s < 0 ? -mag : mag;
}

static int cmp_number(const etf_term *a, const etf_term *b, int exact)
{
    int af = a->type == ETF_FLOAT, bf = b->type == ETF_FLOAT;
    if (af && bf) {
        double x = a->u.f, y = b->u.f;
        if (x != y)
            return x < y ? -1 : 1;
        /* 0.0 == -0.0, but since OTP 27 they are not =:=, and -0.0 sorts
         * first (OTP 25 and 26 call them =:= too; a map can then never
         * hold both, so taking OTP 27's side refuses nothing they send). */
        if (exact && signbit(x) != signbit(y))
            return signbit(x) ? -1 : 1;
        return 0;
    }
    if (!af && !bf)
        return cmp_int(a, b);
    if (exact)
        return af ? 1 : -1;
    return af ? -cmp_int_float(b, a->u.f) : cmp_int_float(a, b->u.f);
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

/* ---- the key order of maps --------------------------------------------------- */

/* Two maps of the same size compare by their keys in ascending (exact)
 * term order, then by their values in that key order. A map's entries are
 * stored in whatever order its sender wrote them: sorted for small maps
 * from OTP 25, by atom-table index for small maps with atom keys from OTP
 * 26 on, by hash for large maps. So a comparison first finds each map's
 * sorted key order, and keeps it in a table for the rest of the
 * comparison.
 *
 * Sorting a map's keys means comparing its keys, which may themselves hold
 * maps. To keep the C stack flat, sort_maps() visits a whole subtree first
 * (an explicit stack again) and sorts its maps innermost first: when a
 * map's keys are compared, every map inside them already has its order in
 * the table, and that comparison never needs to sort anything itself. */

typedef struct map_order {
    const etf_term *elems;  /* the map's entries: the table's key */
    uint32_t *perm;         /* entry indexes in key order; NULL: as stored */
} map_order;

typedef struct order_table {
    map_order *slots;       /* open addressing, by the address of elems */
    size_t cap, count;
    int oom;
} order_table;

static size_t slot_of(const order_table *t, const etf_term *elems)
{
    uint64_t h = (uint64_t)(uintptr_t)elems * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 20) & (t->cap - 1);
}

static map_order *order_find(const order_table *t, const etf_term *elems)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = slot_of(t, elems);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].elems == elems)
            return &t->slots[i];
        if (t->slots[i].elems == NULL)
            return NULL;
    }
}

static int order_add(order_table *t, const etf_term *elems, uint32_t *perm)
{
    if (2 * (t->count + 1) > t->cap) {
        order_table big = {NULL, t->cap ? 2 * t->cap : 16, 0, 0};
        big.slots = calloc(big.cap, sizeof *big.slots);
        if (big.slots == NULL)
            return -1;
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].elems == NULL)
                continue;
            size_t j = slot_of(&big, t->slots[i].elems);
            while (big.slots[j].elems != NULL)
                j = (j + 1) & (big.cap - 1);
            big.slots[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = big.slots;
        t->cap = big.cap;
    }
    size_t j = slot_of(t, elems);
    while (t->slots[j].elems != NULL)
        j = (j + 1) & (t->cap - 1);
    t->slots[j].elems = elems;
    t->slots[j].perm = perm;
    t->count++;
    return 0;
}

static void order_release(order_table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].perm);
    free(t->slots);
}
/* ---- the walk --------------------------------------------------------------- */

typedef enum { FRAME_SEQ, FRAME_LIST, FRAME_MAP } frame_kind;

typedef struct cmp_frame {
    frame_kind kind;
    int exact;             /* for the elements (a map's keys: always) */
    const etf_term *a, *b; /* FRAME_SEQ: arrays; FRAME_MAP: entries */
    size_t left;           /* FRAME_SEQ: elements left */
    const uint32_t *pa, *pb; /* FRAME_MAP: key order, NULL: as stored */
    size_t n, i;           /* FRAME_MAP: entries, and where we are in 2n
                            * steps (the keys, then the values) */
    list_iter la, lb;      /* FRAME_LIST */
} cmp_frame;

typedef struct comparer {
    cmp_frame *stack;
    size_t depth, cap;
    order_table *orders;
    int sorting;           /* inside sort_maps(): never sort again */
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
                    size_t n, int exact)
{
    if (n == 0)
        return 0;
    cmp_frame *f = push(c);
    if (f == NULL)
        return 0;
    f->kind = FRAME_SEQ;
    f->exact = exact;
    f->a = a;
    f->b = b;
    f->left = n;
    return 0;
}

static void sort_maps(order_table *orders, const etf_term *root);

/* The key order of map m: from the table, sorting m's subtree first if
 * the table does not know it yet. NULL means "as stored" (already in
 * order, or no memory to find out). */
static const uint32_t *key_order(comparer *c, const etf_term *m)
{
    map_order *o = order_find(c->orders, m->u.elems);
    if (o == NULL && !c->sorting && !c->orders->oom) {
        sort_maps(c->orders, m);
        o = order_find(c->orders, m->u.elems);
    }
    return o ? o->perm : NULL;
}

static int push_map(comparer *c, const etf_term *a, const etf_term *b,
                    int exact)
{
    if (a->n == 0)
        return 0;
    const uint32_t *pa = a->n > 1 ? key_order(c, a) : NULL;
    const uint32_t *pb = b->n > 1 ? key_order(c, b) : NULL;
    cmp_frame *f = push(c);
    if (f == NULL)
        return 0;
    f->kind = FRAME_MAP;
    f->exact = exact;
    f->a = a->u.elems;
    f->b = b->u.elems;
    f->pa = pa;
    f->pb = pb;
    f->n = a->n;
    f->i = 0;
    return 0;
}

/* Compares what can be compared without looking inside; for containers of
 * equal shape, pushes their children and returns 0. */
static int shallow(comparer *c, const etf_term *a, const etf_term *b,
                   int exact)
{
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    int r;
    switch ((etf_type)a->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM:
    case ETF_FLOAT:
        return cmp_number(a, b, exact);
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
            if ((r = shallow(c, &a->u.elems[0], &b->u.elems[0], 1)) != 0 ||
                (r = shallow(c, &a->u.elems[1], &b->u.elems[1], 1)) != 0)
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
            return push_seq(c, x->free_vars, y->free_vars, x->num_free, exact);
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
        return push_seq(c, a->u.elems, b->u.elems, a->n, exact);
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
        return push_seq(c, x->values, y->values, x->nfields, exact);
    }
    case ETF_MAP:
        if (a->n != b->n)
            return a->n < b->n ? -1 : 1;
        return push_map(c, a, b, exact);
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
            f->kind = FRAME_LIST;
            f->exact = exact;
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

/* Runs the comparison of a and b (exactness as given) to its end. */
static int walk(comparer *c, const etf_term *a, const etf_term *b, int exact)
{
    size_t base = c->depth;
    int r = shallow(c, a, b, exact);
    while (r == 0 && c->depth > base && !c->oom) {
        cmp_frame *f = &c->stack[c->depth - 1];
        const etf_term *x, *y;
        switch (f->kind) {
        case FRAME_SEQ:
            if (f->left == 0) {
                c->depth--;
                continue;
            }
            x = f->a++;
            y = f->b++;
            f->left--;
            r = shallow(c, x, y, f->exact);
            continue;
        case FRAME_MAP: {
            if (f->i == 2 * f->n) {
                c->depth--;
                continue;
            }
            /* Steps 0..n-1 compare the keys, exactly whatever the
             * comparison is (#{1 => a} /= #{1.0 => a}); steps n..2n-1
             * the values, in key order. */
            int keys = f->i < f->n;
            size_t k = keys ? f->i : f->i - f->n;
            size_t ia = f->pa ? f->pa[k] : k, ib = f->pb ? f->pb[k] : k;
            f->i++;
            r = shallow(c, &f->a[2 * ia + !keys], &f->b[2 * ib + !keys],
                        keys ? 1 : f->exact);
            continue;
        }
        case FRAME_LIST:
            break;
        }
        x = iter_next(&f->la);
        y = iter_next(&f->lb);
        if (x != NULL && y != NULL) {
            r = shallow(c, x, y, f->exact);
            continue;
        }
        if (x == NULL && y == NULL) {
            const etf_term *ta = f->la.tail, *tb = f->lb.tail;
            int ex = f->exact;
            c->depth--;
            r = shallow(c, ta, tb, ex);
            continue;
        }
        /* One list ended; the other still has elements, so what is left
         * of it is a non-empty list. Its tail is not a list: compare by
         * type order against "list". */
        const etf_term *tail = x == NULL ? f->la.tail : f->lb.tail;
        int rt = rank(tail) < 10 ? -1 : 1;
        r = x == NULL ? rt : -rt;
    }
    c->depth = base;
    return r;
}

/* ---- sorting the maps of a subtree ------------------------------------------ */

typedef struct sorter {
    comparer cmp;          /* sorting mode: uses the table, never sorts */
    const etf_term *kv;
} sorter;

static int key_less(void *ctx, uint32_t i, uint32_t j)
{
    sorter *s = ctx;
    return walk(&s->cmp, &s->kv[2 * i], &s->kv[2 * j], 1) < 0;
}

/* Adds the key order of map m, whose inner maps are all in the table. */
static void sort_one(order_table *orders, const etf_term *m)
{
    sorter s = {{NULL, 0, 0, orders, 1, 0}, m->u.elems};
    uint32_t n = m->n, *perm = NULL;
    uint32_t i = 1;
    while (i < n && key_less(&s, i - 1, i))
        i++;
    if (i < n) { /* not stored in order */
        perm = malloc(n * sizeof *perm);
        if (perm != NULL)
            for (i = 0; i < n; i++)
                perm[i] = i;
        if (perm == NULL || etf_sort_indexes(perm, n, key_less, &s) != 0) {
            free(perm);
            perm = NULL;
            orders->oom = 1;
        }
    }
    free(s.cmp.stack);
    if (!orders->oom && order_add(orders, m->u.elems, perm) != 0) {
        orders->oom = 1;
        free(perm);
    }
}

/* Puts the key order of every map in root's subtree into the table,
 * innermost maps first: a map is sorted when its subtree has been visited
 * (the second time its stack entry comes up). */
static void sort_maps(order_table *orders, const etf_term *root)
{
    typedef struct { const etf_term *t; int done; } visit;
    size_t depth = 0, cap = 32;
    visit *st = malloc(cap * sizeof *st);
    if (st == NULL) {
        orders->oom = 1;
        return;
    }
    st[depth++] = (visit){root, 0};
    while (depth > 0) {
        visit v = st[--depth];
        const etf_term *t = v.t, *kids = NULL;
        size_t nkids = 0;
        if (v.done) {
            if (order_find(orders, t->u.elems) == NULL)
                sort_one(orders, t);
            continue;
        }
        switch ((etf_type)t->type) {
        case ETF_MAP:
            if (t->n > 1 && order_find(orders, t->u.elems) != NULL)
                continue; /* met before: its subtree is done too */
            kids = t->u.elems;
            nkids = 2 * (size_t)t->n;
            break;
        case ETF_TUPLE: kids = t->u.elems; nkids = t->n; break;
        case ETF_LIST: kids = t->u.elems; nkids = (size_t)t->n + 1; break;
        case ETF_RECORD:
            kids = t->u.record->values;
            nkids = t->u.record->nfields;
            break;
        case ETF_FUN:
            kids = t->u.fun->free_vars;
            nkids = t->u.fun->num_free;
            break;
        default:
            continue;
        }
        if (depth + nkids + 1 > cap) {
            size_t ncap = (depth + nkids + 1) * 2;
            visit *p = realloc(st, ncap * sizeof *p);
            if (p == NULL) {
                orders->oom = 1;
                break;
            }
            st = p;
            cap = ncap;
        }
        if (t->type == ETF_MAP && t->n > 1)
            st[depth++] = (visit){t, 1};
        for (size_t i = 0; i < nkids; i++)
            st[depth++] = (visit){&kids[i], 0};
    }
    free(st);
}

int etf_compare(const etf_term *a, const etf_term *b, int exact)
{
    order_table orders = {NULL, 0, 0, 0};
    comparer c = {NULL, 0, 0, &orders, 0, 0};
    int r = walk(&c, a, b, exact);
    free(c.stack);
    order_release(&orders);
    return r;
}

int etf_equal(const etf_term *a, const etf_term *b)
{
    return etf_compare(a, b, 1) == 0;
}
