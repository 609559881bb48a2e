/*
 * map_keys.c -- finding a key that a map holds twice.
 *
 * binary_to_term refuses a MAP_EXT whose keys are not all different
 * (badarg), and so must the decoder: a map with a duplicate key is not a
 * term, and a real node would drop the connection on the bytes edist
 * re-encoded from it. "Different" means not =:= (etf_compare, exact).
 *
 * The decoder calls this for every map it reads, so it has to be cheap for
 * the maps nodes really send (a few atom keys; a thousand atoms and
 * binaries) and must not turn quadratic on the maps an attacker sends:
 *
 *  - Every key gets a hash of its top node and, for a tuple or a list, of
 *    its first elements' top nodes ({user, 42} and {user, 43} differ). The
 *    hash only looks at what is the same in every encoding of a term: a
 *    list's elements rather than whether they came as STRING_EXT or
 *    LIST_EXT, a map's size rather than its stored order.
 *  - Keys whose hashes are equal are compared with etf_compare.
 *  - Keys built to share their hashes (deep tuples equal at the top) would
 *    make that n² comparisons; after n + 16 comparisons that found no
 *    duplicate, sort the keys instead (n log n comparisons) and look at
 *    neighbours.
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

/* ---- hashing ----------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * UINT64_C(0x9E3779B97F4A7C15);
    return h ^ (h >> 29);
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t load32(const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* Bytes are read in whole words, never one at a time, as wyhash does: 4
 * to 16 bytes (most keys) as four 4-byte words that overlap where the
 * length is not a multiple of 4, with no branch on the length; longer
 * runs in 8-byte words, the last one overlapping the one before it;
 * fewer than 4 as three single bytes. And no word put together in memory
 * and read back (a store the CPU cannot forward to the load, which costs
 * more than the hashing). */
static inline uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    h ^= n;
    if (n >= 4 && n <= 16) {
        size_t k = (n >> 3) << 2; /* 0 below 8 bytes, 4 or 8 above */
        uint64_t x = load32(p) << 32 | load32(p + k);
        uint64_t y = load32(p + n - 4) << 32 | load32(p + n - 4 - k);
        return mix(mix(h, x), y);
    }
    if (n > 16) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            h = mix(h, load64(p + i));
        return i == n ? h : mix(h, load64(p + n - 8));
    }
    if (n > 0)
        return mix(h, (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 |
                          (uint64_t)p[n - 1] << 16);
    return h;
}

static uint64_t hash_atom(uint64_t h, etf_atom a)
{
    return hash_bytes(h, (const uint8_t *)a.name, a.len);
}

/* The hash of one node, without its children. */
static inline uint64_t node_hash(const etf_term *t)
{
    /* The type in the top byte; the content is mixed in below. */
    uint64_t h = (uint64_t)(t->type == ETF_STRING ? ETF_LIST : t->type) << 56;
    /* Atoms and binaries, the usual keys, before the switch and by one
     * path: in a map with keys of both kinds, in the map's hash order,
     * the switch's jump would be mispredicted every other key. */
    if (t->type == ETF_ATOM || t->type == ETF_BINARY) {
        int bin = t->type == ETF_BINARY;
        const uint8_t *p = bin ? t->u.bytes : (const uint8_t *)t->u.atom;
        return hash_bytes(mix(h, bin ? t->bits : 0), p, t->n);
    }
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
        return mix(h, (uint64_t)t->u.i);
    case ETF_BIGNUM:
        return hash_bytes(mix(h, t->flags & ETF_NEGATIVE), t->u.bytes, t->n);
    case ETF_FLOAT: { /* -0.0 and 0.0 are different keys (OTP 27) */
        uint64_t bits;
        memcpy(&bits, &t->u.f, 8);
        return mix(h, bits);
    }
    case ETF_ATOM:
    case ETF_BINARY:
        return h; /* above */
    case ETF_LOCAL:
        return hash_bytes(h, t->u.bytes, t->n);
    case ETF_TUPLE:
    case ETF_MAP:
        return mix(h, t->n);
    case ETF_PID:
        return mix(hash_atom(h, t->u.pid->node),
                   t->u.pid->id ^ ((uint64_t)t->u.pid->serial << 32));
    case ETF_PORT:
        return mix(hash_atom(h, t->u.port->node), t->u.port->id);
    case ETF_REF:
        return mix(hash_atom(h, t->u.ref->node),
                   t->u.ref->len ? t->u.ref->id[0] : 0);
    case ETF_EXPORT:
        return mix(hash_atom(hash_atom(h, (etf_atom){t->u.elems[0].u.atom,
                                                     t->u.elems[0].n}),
                             (etf_atom){t->u.elems[1].u.atom,
                                        t->u.elems[1].n}),
                   t->n);
    case ETF_FUN:
        return hash_bytes(h, t->u.fun->uniq, 16);
    case ETF_RECORD:
        return hash_atom(h, t->u.record->name);
    case ETF_NIL:
    case ETF_LIST:
    case ETF_STRING:
        return h; /* the elements follow in key_hash() */
    }
    return h;
}

/* How many of a container's first elements the hash looks at. */
#define HASH_ELEMS 8

static const etf_term nil = {.type = ETF_NIL};

static uint64_t key_hash(const etf_term *t)
{
    uint64_t h = node_hash(t);
    if (t->type == ETF_TUPLE) {
        for (uint32_t i = 0; i < t->n && i < HASH_ELEMS; i++)
            h = mix(h, node_hash(&t->u.elems[i]));
    } else if (t->type == ETF_LIST || t->type == ETF_STRING) {
        /* The first elements of the list, across segments: [1, 2 | "ab"]
         * is [1, 2, 97, 98] however it was written, and a STRING_EXT's
         * bytes are the integers of a LIST_EXT. The decoder never makes an
         * empty segment, so this takes at most HASH_ELEMS steps. */
        const etf_term *seg = t;
        uint32_t i = 0;
        for (int k = 0; k < HASH_ELEMS; k++) {
            if (seg->type == ETF_STRING) {
                etf_term e = etf_int(seg->u.bytes[i]);
                h = mix(h, node_hash(&e));
            } else if (seg->type == ETF_LIST) {
                h = mix(h, node_hash(&seg->u.elems[i]));
            } else {
                h = mix(h, node_hash(seg)); /* the tail */
                break;
            }
            if (++i == seg->n) {
                seg = seg->type == ETF_LIST ? &seg->u.elems[seg->n]
                                            : &nil;
                i = 0;
            }
        }
    }
    return h;
}

/* ---- the search -------------------------------------------------------- */

typedef struct search {
    const etf_term *kv;      /* the map's entries: key i is kv[2 * i] */
    uint32_t n;
    size_t compares, budget; /* etf_compare calls that found no duplicate */
} search;

static int same_key(search *s, uint32_t i, uint32_t j)
{
    if (etf_compare(&s->kv[2 * i], &s->kv[2 * j], 1) == 0)
        return 1;
    s->compares++;
    return 0;
}

/* The fallback: sort indexes by key and compare neighbours. */
static int by_sorting(search *s, uint32_t *first, uint32_t *second)
{
    uint32_t n = s->n;
    uint32_t *idx = malloc(n * sizeof *idx);
    if (idx == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    if (etf_sort_indexes(idx, n, etf_key_less, (void *)s->kv) != 0) {
        free(idx);
        return -1;
    }
    int found = 0;
    for (uint32_t i = 1; i < n && !found; i++)
        if (etf_compare(&s->kv[2 * idx[i - 1]], &s->kv[2 * idx[i]], 1) == 0) {
            *first = idx[i - 1] < idx[i] ? idx[i - 1] : idx[i];
            *second = idx[i - 1] < idx[i] ? idx[i] : idx[i - 1];
            found = 1;
        }
    free(idx);
    return found;
}

/* Small maps: every pair, hashes first. */
#define PAIRWISE_MAX 8
/* Up to this many keys, the hash table lives on the C stack. */
#define STACK_KEYS 64

int etf_map_duplicate(const etf_term *map, uint32_t *first, uint32_t *second)
{
    search s = {map->u.elems, map->n, 0, (size_t)map->n + 16};
    uint32_t n = map->n;
    if (n < 2)
        return 0;

    if (n <= PAIRWISE_MAX) {
        uint64_t h[PAIRWISE_MAX];
        for (uint32_t i = 0; i < n; i++)
            h[i] = key_hash(&s.kv[2 * i]);
        for (uint32_t j = 1; j < n; j++)
            for (uint32_t i = 0; i < j; i++)
                if (h[i] == h[j] && same_key(&s, i, j)) {
                    *first = i;
                    *second = j;
                    return 1;
                }
        return 0;
    }

    /* Open addressing: slots hold index + 1, 0 is empty; at most half
     * full. hashes[i] is key i's hash. */
    size_t cap = 16;
    unsigned bits = 4; /* cap == 1 << bits */
    while (cap < 2 * (size_t)n) {
        cap *= 2;
        bits++;
    }
    uint32_t slot_buf[2 * STACK_KEYS];
    uint64_t hash_buf[STACK_KEYS];
    uint32_t *slots = slot_buf;
    uint64_t *hashes = hash_buf;
    if (n > STACK_KEYS) {
        slots = calloc(cap, sizeof *slots);
        hashes = malloc(n * sizeof *hashes);
        if (slots == NULL || hashes == NULL) {
            free(slots);
            free(hashes);
            return -1;
        }
    } else {
        cap = 2 * STACK_KEYS;
        bits = 7;
        memset(slots, 0, sizeof slot_buf);
    }
    /* All the hashes first: they do not depend on one another, so the
     * CPU overlaps their multiplications; the probes below then wait on
     * nothing but memory. */
    for (uint32_t j = 0; j < n; j++)
        hashes[j] = key_hash(&s.kv[2 * j]);
    int r = 0;
    for (uint32_t j = 0; j < n && r == 0; j++) {
        uint64_t h = hashes[j];
        size_t at = (size_t)(h >> (64 - bits)); /* the best-mixed bits */
        for (; slots[at] != 0; at = (at + 1) & (cap - 1)) {
            uint32_t i = slots[at] - 1;
            if (hashes[i] == h && same_key(&s, i, j)) {
                *first = i;
                *second = j;
                r = 1;
                break;
            }
            if (s.compares > s.budget) {
                r = 2; /* keys built to collide: sort instead */
                break;
            }
        }
        if (r == 0)
            slots[at] = j + 1;
    }
    if (n > STACK_KEYS) {
        free(slots);
        free(hashes);
    }
    return r == 2 ? by_sorting(&s, first, second) : r;
}
