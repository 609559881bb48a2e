/*
 * atom_cache.c -- the receive atom cache, and the AtomCacheRefs part of a
 * distribution header that fills and reads it.
 *
 * Most of what nodes say to each other is atoms: node names in every pid,
 * module and function names, tags of messages. With
 * DFLAG_DIST_HDR_ATOM_CACHE, erts sends each atom's text once per
 * connection and direction and a slot number afterwards. The receiver
 * keeps a cache of 2048 slots, 8 segments of 256 (erts: ErtsAtomCache,
 * in_arr for what it receives); the sender decides what goes where (erts
 * puts an atom in slot atom_index % 2039 and overwrites whatever was
 * there), and the receiver only obeys.
 *
 * Each message lists the atoms its terms use at the front, in the
 * distribution header (131, 68 or 69, ...); its terms then say
 * ATOM_CACHE_REF (82) and an index into that list. The list, from
 * NumberOfAtomCacheRefs on (erts: erts_prepare_dist_ext in external.c):
 *
 *   [1] N                        0..255; nothing more if 0
 *   [N/2+1] Flags                half-byte i (byte i/2, low half for even
 *                                i, high half for odd) describes ref i:
 *                                  bit 3    NewCacheEntryFlag
 *                                  bits 0-2 SegmentIndex
 *                                half-byte N: bit 0 LongAtoms, bits 1-3
 *                                unused
 *   N times, in order:
 *     new entry:    [1] InternalSegmentIndex
 *                   [1, or 2 with LongAtoms] Length
 *                   [Length] AtomText
 *     cached entry: [1] InternalSegmentIndex
 *
 * For example, the header
 *
 *     131, 68, 2, 0x18, 0x00, 5, 3, 'f','o','o', 7
 *
 * lists two refs. Flags byte 0x18: ref 0 is its low half 8 (new entry,
 * segment 0), ref 1 its high half 1 (cached, segment 1). N is even, so
 * LongAtoms is the low half of one more byte, 0x00: lengths are one byte.
 * Ref 0 stores 'foo' in slot 0 * 256 + 5; ref 1 is whatever slot
 * 1 * 256 + 7 holds. In the terms after it, ATOM_CACHE_REF 0 means 'foo'.
 *
 * The refs are handled in order and a new entry is stored at once, so a
 * later ref of the same header may use the slot it filled, as in erts.
 * Each ref's atom is copied out as soon as it is read: a slot may be
 * overwritten by a later ref of the same header, or by the next message,
 * while the terms of this one still use the atom.
 *
 * What can be wrong, each a protocol error (erts logs "corrupted
 * distribution header" and drops the connection): a length or a ref past
 * the end of the packet, a cached ref to a slot that holds no atom, an
 * atom text that is not valid UTF-8 or has more than 255 characters. (erts
 * also checks N <= 2048; a byte cannot be more than 255.)
 */
#include <stdlib.h>
#include <string.h>

#include "dist/channel.h"
#include "dist/internal.h"
#include "handshake/dflags.h"

/* Half-byte i of the Flags bytes. */
static unsigned flag_nibble(const uint8_t *flags, size_t i)
{
    return (flags[i / 2] >> ((i % 2) * 4)) & 0x0F;
}

/* Latin-1 text as UTF-8: each byte >= 0x80 becomes two. out has room for
 * 2 * len bytes; returns the length written. */
static size_t latin1_to_utf8(const uint8_t *s, size_t len, uint8_t *out)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            out[j++] = s[i];
        } else {
            out[j++] = (uint8_t)(0xC0 | (s[i] >> 6));
            out[j++] = (uint8_t)(0x80 | (s[i] & 0x3F));
        }
    }
    return j;
}

int dist_atom_slot_store(dist_atom_slot *slot, const void *text, size_t len,
                         dist_error *err)
{
    if (slot->name == NULL || slot->cap < len) {
        /* At least 32 bytes, so that most atoms never move again. */
        size_t cap = len < 32 ? 32 : len;
        char *p = realloc(slot->name, cap);
        if (p == NULL)
            return dist_fail(err, DIST_ERR_NOMEM,
                             "out of memory for the atom cache");
        slot->name = p;
        slot->cap = (uint16_t)cap;
    }
    if (len != 0)
        memcpy(slot->name, text, len);
    slot->len = (uint16_t)len;
    return 0;
}

/* A copy of text in `names`, as the atom refs[i] the terms will use. */
static int copy_out(etf_arena *names, const char *text, size_t len,
                    etf_atom *out, dist_error *err)
{
    /* One byte more, so that an empty name is not a 0-byte allocation. */
    char *p = etf_arena_alloc(names, len + 1);
    if (p == NULL)
        return dist_fail(err, DIST_ERR_NOMEM,
                         "out of memory for the atoms of a message");
    if (len != 0)
        memcpy(p, text, len);
    out->name = p;
    out->len = (uint32_t)len;
    return 0;
}

/* A new entry's text at pkt[at..at+len): checked (or converted from
 * Latin-1) and stored in the slot. */
static int store_new(dist_atom_slot *slot, uint64_t flags,
                     const uint8_t *text, size_t len, size_t at,
                     unsigned ix, dist_error *err)
{
    if (!(flags & DFLAG_UTF8_ATOMS)) {
        /* A peer without DFLAG_UTF8_ATOMS (OTP 20 and older) sends the
         * text in Latin-1. */
        if (len > ETF_MAX_ATOM_CHARS)
            return dist_fail(err, DIST_ERR_PROTOCOL,
                             "distribution header: the atom for cache "
                             "slot %u at offset %zu has %zu characters, "
                             "the limit is 255", ix, at, len);
        uint8_t utf8[2 * ETF_MAX_ATOM_CHARS];
        size_t n = latin1_to_utf8(text, len, utf8);
        return dist_atom_slot_store(slot, utf8, n, err);
    }
    if (!etf_utf8_valid(text, len))
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "distribution header: the atom for cache slot %u "
                         "at offset %zu is not valid UTF-8", ix, at);
    size_t chars = etf_utf8_count(text, len);
    if (chars > ETF_MAX_ATOM_CHARS)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "distribution header: the atom for cache slot %u "
                         "at offset %zu has %zu characters, the limit is "
                         "255", ix, at, chars);
    return dist_atom_slot_store(slot, text, len, err);
}

int dist_atom_cache_span(const uint8_t *pkt, size_t len, size_t pos,
                         size_t *end)
{
    if (pos >= len)
        return 0;
    size_t n = pkt[pos++];
    if (n == 0) {
        *end = pos;
        return 1;
    }
    if (len - pos < n / 2 + 1)
        return 0;
    const uint8_t *fl = pkt + pos;
    pos += n / 2 + 1;
    size_t lsize = (flag_nibble(fl, n) & 1) ? 2 : 1;
    for (size_t i = 0; i < n; i++) {
        if (pos >= len)
            return 0;
        pos++; /* InternalSegmentIndex */
        if (!(flag_nibble(fl, i) & 8))
            continue;
        if (len - pos < lsize)
            return 0;
        size_t alen = lsize == 2 ? (size_t)pkt[pos] << 8 | pkt[pos + 1]
                                 : pkt[pos];
        pos += lsize;
        if (len - pos < alen)
            return 0;
        pos += alen;
    }
    *end = pos;
    return 1;
}

int dist_atom_cache_read(dist_atom_cache *cache, uint64_t flags,
                         const uint8_t *pkt, size_t len, size_t *pos,
                         etf_arena *names, const etf_atom **refs,
                         size_t *nrefs, dist_error *err)
{
    size_t p = *pos;
    *refs = NULL;
    *nrefs = 0;
    if (p >= len)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "distribution header: the packet ends before "
                         "NumberOfAtomCacheRefs (offset %zu)", p);
    size_t n = pkt[p++];
    if (n == 0) {
        *pos = p;
        return 0;
    }

    size_t flag_bytes = n / 2 + 1;
    if (len - p < flag_bytes)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "distribution header: %zu atom-cache refs need "
                         "%zu flag bytes at offset %zu, the packet has "
                         "%zu more", n, flag_bytes, p, len - p);
    const uint8_t *fl = pkt + p;
    p += flag_bytes;
    int long_atoms = flag_nibble(fl, n) & 1;

    etf_atom *out = etf_arena_alloc(names, n * sizeof *out);
    if (out == NULL)
        return dist_fail(err, DIST_ERR_NOMEM,
                         "out of memory for the atoms of a message");

    for (size_t i = 0; i < n; i++) {
        unsigned nib = flag_nibble(fl, i);
        int is_new = (nib & 8) != 0;
        size_t at = p;
        if (p >= len)
            return dist_fail(err, DIST_ERR_PROTOCOL,
                             "distribution header: the packet ends at "
                             "atom-cache ref %zu of %zu (offset %zu)",
                             i, n, p);
        unsigned ix = (nib & 7) * 256 + pkt[p++];
        dist_atom_slot *slot = &cache->slot[ix];

        if (!is_new) {
            if (slot->name == NULL)
                return dist_fail(err, DIST_ERR_PROTOCOL,
                                 "distribution header: atom-cache ref %zu "
                                 "(offset %zu) uses slot %u (segment %u, "
                                 "index %u), which holds no atom", i, at,
                                 ix, ix / 256, ix % 256);
        } else {
            size_t alen;
            size_t lsize = long_atoms ? 2 : 1;
            if (len - p < lsize)
                return dist_fail(err, DIST_ERR_PROTOCOL,
                                 "distribution header: the packet ends in "
                                 "the length of atom-cache ref %zu "
                                 "(offset %zu)", i, p);
            if (long_atoms)
                alen = (size_t)pkt[p] << 8 | pkt[p + 1];
            else
                alen = pkt[p];
            p += lsize;
            if (len - p < alen)
                return dist_fail(err, DIST_ERR_PROTOCOL,
                                 "distribution header: atom-cache ref %zu "
                                 "(offset %zu) has %zu bytes of text, the "
                                 "packet has %zu more", i, at, alen,
                                 len - p);
            if (store_new(slot, flags, pkt + p, alen, at, ix, err) != 0)
                return -1;
            p += alen;
        }
        if (copy_out(names, slot->name, slot->len, &out[i], err) != 0)
            return -1;
    }
    *pos = p;
    *refs = out;
    *nrefs = n;
    return 0;
}

void dist_atom_cache_release(dist_atom_cache *cache)
{
    for (size_t i = 0; i < DIST_ATOM_CACHE_SIZE; i++) {
        free(cache->slot[i].name);
        cache->slot[i].name = NULL;
        cache->slot[i].len = cache->slot[i].cap = 0;
    }
}
