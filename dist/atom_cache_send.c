/*
 * atom_cache_send.c -- the send atom cache: which atoms of an outgoing
 * message go as ATOM_CACHE_REF, and the AtomCacheRefs part of its
 * distribution header (the layout is in atom_cache.c, which reads it).
 *
 * The sender decides everything: it picks a slot for each atom, tells
 * the peer the atom's text the first time (a new entry) and only the
 * slot afterwards (a cached entry). The peer's receive cache is then a
 * copy of ours, as long as every header we build reaches it in order.
 * What it buys: the receiving BEAM turns a cached ref into its atom by
 * indexing an array instead of hashing the text and looking it up in
 * its atom table, and the atom takes 2 bytes instead of 2 + its length.
 * Every message has some: the node names in the pids of its control
 * message, and usually the tags and keys of its payload.
 *
 * Per message, in three steps around the encoder:
 *
 *   1. dist_atom_out_collect walks the control message and the payload
 *      (their first DIST_ATOM_WALK terms: a long list costs nothing past
 *      that) and gives each distinct atom one of the message's refs, up to
 *      255 (erts's limit too). Its slot is one of two that a hash of its
 *      text picks; an atom whose two slots other atoms of the same
 *      message already took is simply not cached.
 *   2. The encoder (etf_encode_indexed) asks dist_atom_out_index for each
 *      atom it writes: the ref's index if the atom has one, else -1 and
 *      the atom goes in full.
 *   3. dist_atom_out_done: the message went out (its new entries stay in
 *      the cache), or it did not (they are forgotten, since the peer never
 *      saw them).
 */
#include <stdlib.h>
#include <string.h>

#include "dist/channel.h"
#include "dist/internal.h"

void dist_atom_out_init(dist_atom_out *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < DIST_ATOM_CACHE_SIZE; i++)
        c->ref_of[i] = -1;
}

void dist_atom_out_release(dist_atom_out *c)
{
    for (size_t i = 0; i < DIST_ATOM_CACHE_SIZE; i++)
        free(c->slot[i].name);
    dist_atom_out_init(c);
}

/* The slot of an atom: a hash of its length and of its first and last
 * 8 bytes (all of them if fewer), so that it costs the same for any
 * length; it runs twice per atom of every message sent. Atoms that
 * share all three share a slot, and one of them then goes in full: the
 * hash decides only what is cached, never what an atom is (the text is
 * compared). */
static unsigned slot_of(const char *name, size_t len)
{
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        memcpy(&a, name, 8);
        memcpy(&b, name + len - 8, 8);
    } else if (len > 0) {
        memcpy(&a, name, len);
    }
    uint64_t h = (a ^ (b * UINT64_C(0x9E3779B97F4A7C15)) ^ len) *
                 UINT64_C(0xFF51AFD7ED558CCD);
    return (unsigned)(h >> 53); /* the top 11 bits: 0..2047 */
}
_Static_assert(DIST_ATOM_CACHE_SIZE == 1 << 11, "slot_of gives 11 bits");

static int holds(const dist_atom_slot *s, const char *name, size_t len)
{
    return s->name != NULL && s->len == len && memcmp(s->name, name, len) == 0;
}

/* An atom may sit in either of two slots, slot_of's and its neighbour
 * (the other of the pair s, s ^ 1), so that two atoms of one message
 * whose hashes meet can both be cached: with direct mapping, a message of
 * 30 atoms would find two of them on one slot about one time in six. */
static void add(dist_atom_out *c, const char *name, size_t len)
{
    if (c->n == DIST_MAX_ATOM_CACHE_REFS || len > ETF_MAX_ATOM_BYTES)
        return;
    unsigned s = slot_of(name, len), pair[2] = {s, s ^ 1u};
    int fresh = 1;
    for (int k = 0; k < 2; k++) {
        if (holds(&c->slot[pair[k]], name, len)) {
            if (c->ref_of[pair[k]] >= 0)
                return; /* this atom has its ref already */
            s = pair[k];
            fresh = 0;
            break;
        }
    }
    if (fresh) {
        /* A slot this message does not use yet: the first of the pair,
         * else the second, else the atom goes in full. */
        if (c->ref_of[pair[0]] < 0)
            s = pair[0];
        else if (c->ref_of[pair[1]] < 0)
            s = pair[1];
        else
            return;
        dist_error ignored;
        if (dist_atom_slot_store(&c->slot[s], name, len, &ignored) != 0)
            return; /* no memory: this atom goes in full */
    }
    c->ref_of[s] = (int16_t)c->n;
    c->seen[c->n] = name;
    c->used[c->n] = (uint16_t)s;
    c->fresh[c->n] = (uint8_t)fresh;
    c->n++;
}

/* The atoms of t and of the terms inside it, while *budget lasts. */
static void walk(dist_atom_out *c, const etf_term *t, size_t *budget)
{
    if (*budget == 0 || c->n == DIST_MAX_ATOM_CACHE_REFS)
        return;
    (*budget)--;
    switch (t->type) {
    case ETF_ATOM:
        add(c, t->u.atom, t->n);
        break;
    case ETF_PID:
        add(c, t->u.pid->node.name, t->u.pid->node.len);
        break;
    case ETF_PORT:
        add(c, t->u.port->node.name, t->u.port->node.len);
        break;
    case ETF_REF:
        add(c, t->u.ref->node.name, t->u.ref->node.len);
        break;
    case ETF_TUPLE:
        for (uint32_t i = 0; i < t->n; i++)
            walk(c, &t->u.elems[i], budget);
        break;
    case ETF_LIST: /* the elements, then the tail */
        for (uint32_t i = 0; i <= t->n; i++)
            walk(c, &t->u.elems[i], budget);
        break;
    case ETF_MAP:
        for (uint32_t i = 0; i < 2 * t->n; i++)
            walk(c, &t->u.elems[i], budget);
        break;
    case ETF_EXPORT:
        walk(c, &t->u.elems[0], budget);
        walk(c, &t->u.elems[1], budget);
        break;
    default: /* numbers, binaries, strings; funs and records keep their
                atoms in full */
        break;
    }
}

void dist_atom_out_collect(dist_atom_out *c, const etf_term *t)
{
    size_t budget = DIST_ATOM_WALK;
    if (t != NULL)
        walk(c, t, &budget);
}

int dist_atom_out_index(void *arg, const char *name, size_t len)
{
    const dist_atom_out *c = arg;
    if (c->n == 0 || len > ETF_MAX_ATOM_BYTES)
        return -1;
    unsigned s = slot_of(name, len);
    for (int k = 0; k < 2; k++, s ^= 1u) {
        int i = c->ref_of[s];
        if (i < 0)
            continue;
        /* Mostly the very atom the walk saw: no need to compare text. */
        if ((c->seen[i] == name && c->slot[s].len == len) ||
            holds(&c->slot[s], name, len))
            return i;
    }
    return -1;
}

/* LongAtoms: a new entry's text is longer than 255 bytes (an atom of
 * non-Latin characters), so every length takes 2 bytes. */
static int long_atoms(const dist_atom_out *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->fresh[i] && c->slot[c->used[i]].len > 255)
            return 1;
    return 0;
}

size_t dist_atom_out_header_len(const dist_atom_out *c)
{
    if (c->n == 0)
        return 1;
    size_t len = 1 + c->n / 2 + 1, lsize = long_atoms(c) ? 2 : 1;
    for (size_t i = 0; i < c->n; i++)
        len += 1 + (c->fresh[i] ? lsize + c->slot[c->used[i]].len : 0);
    return len;
}

void dist_atom_out_header(const dist_atom_out *c, uint8_t *dst)
{
    size_t n = c->n;
    *dst++ = (uint8_t)n;
    if (n == 0)
        return;
    int la = long_atoms(c);
    uint8_t *flags = dst;
    memset(flags, 0, n / 2 + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned nib = (c->fresh[i] ? 8u : 0u) | (c->used[i] / 256u);
        flags[i / 2] |= (uint8_t)(nib << ((i % 2) * 4));
    }
    flags[n / 2] |= (uint8_t)(la << ((n % 2) * 4)); /* half-byte N */
    dst += n / 2 + 1;
    for (size_t i = 0; i < n; i++) {
        const dist_atom_slot *s = &c->slot[c->used[i]];
        *dst++ = (uint8_t)(c->used[i] % 256);
        if (!c->fresh[i])
            continue;
        if (la)
            *dst++ = (uint8_t)(s->len >> 8);
        *dst++ = (uint8_t)s->len;
        memcpy(dst, s->name, s->len);
        dst += s->len;
    }
}

void dist_atom_out_done(dist_atom_out *c, int sent)
{
    for (size_t i = 0; i < c->n; i++) {
        unsigned s = c->used[i];
        c->ref_of[s] = -1;
        if (!sent && c->fresh[i]) {
            /* The peer never got this text: the slot must not look as if
             * it had. */
            free(c->slot[s].name);
            c->slot[s].name = NULL;
            c->slot[s].len = c->slot[s].cap = 0;
        }
    }
    c->n = 0;
}
