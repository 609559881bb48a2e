/*
 * channel.c -- one connection's messages: which framing, and the path of
 * a packet through the atom cache and the fragment table to a dist_msg;
 * and the packets of a message to send.
 *
 * A received packet (not a tick) starts with its framing:
 *
 *   112 ...                 pass-through (dist_msg_decode, dist/frame.c):
 *                           only if neither DFLAG_DIST_HDR_ATOM_CACHE nor
 *                           DFLAG_FRAGMENTS was agreed
 *   131, 68, refs, terms    a whole message (either flag)
 *   131, 69, seq, id, refs, terms...
 *                           its first fragment (DFLAG_FRAGMENTS)
 *   131, 70, seq, id, bytes the next fragment (DFLAG_FRAGMENTS)
 *
 * as erts_prepare_dist_ext (erts/emulator/beam/external.c) decides: once
 * a flag is agreed every packet has the header, and a packet of the other
 * framing is an error. After a header the terms have no 131 of their own.
 *
 * A whole message is decoded in place: its terms point into the packet,
 * and its atom refs (dist/atom_cache.c) are copied into the caller's
 * arena. The pieces of a fragmented one are copied into the fragment
 * table (dist/fragments.c) until the last arrives; then the bytes and the
 * header's atoms are copied into the caller's arena and decoded there,
 * once, so that the message outlives the table's entry.
 */
#include <stdio.h>
#include <string.h>

#include "dist/channel.h"
#include "dist/internal.h"
#include "dist/pool.h"
#include "handshake/dflags.h"

#define HEADER_FLAGS (DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS)

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* A fragment's packet header at h: the 4-byte length of a packet of
 * `len` bytes, then 131, `kind` (DIST_FRAG_HEADER or DIST_FRAG_CONT),
 * SequenceId, FragmentId. */
static void put_frag_head(uint8_t *h, size_t len, uint8_t kind,
                          uint64_t seq, uint64_t id)
{
    put32(h, (uint32_t)len);
    h[4] = ETF_VERSION_MAGIC;
    h[5] = kind;
    put64(h + 6, seq);
    put64(h + 14, id);
}

int dist_channel_init(dist_channel *ch, uint64_t flags, dist_error *err)
{
    (void)err;
    memset(ch, 0, sizeof *ch);
    ch->flags = flags;
    dist_frag_init(&ch->frags);
    etf_arena_init(&ch->names);
    dist_atom_out_init(&ch->out_cache);
    return 0;
}

void dist_channel_release(dist_channel *ch)
{
    ch->placing = NULL; /* an opened sequence goes with the table */
    dist_atom_cache_release(&ch->in_cache);
    dist_atom_out_release(&ch->out_cache);
    etf_buf_release(&ch->head);
    dist_frag_release(&ch->frags);
    etf_arena_release(&ch->names);
}

/* ---- receiving --------------------------------------------------------- */

/* One term of a message at m[*pos], with the atom refs of its header.
 * `base` is where m starts in what the error should name (`where`). */
static int decode_part(const uint8_t *m, size_t len, size_t *pos,
                       const etf_atom *refs, size_t nrefs, const char *what,
                       size_t base, const char *where, etf_arena *a,
                       etf_term *out, dist_error *err)
{
    /* A valid pointer even without refs, so that an ATOM_CACHE_REF is
     * "entry 3, the header has 0" rather than "outside a message". */
    static const etf_atom no_refs[1];
    etf_decode_opts opts = {0};
    opts.atom_refs = refs != NULL ? refs : no_refs;
    opts.atom_refs_len = nrefs;
    etf_error e;
    size_t used;
    if (etf_decode_term(m + *pos, len - *pos, &opts, a, out, &used,
                        &e) != 0)
        return dist_fail(err, e.code == ETF_ERR_NOMEM ? DIST_ERR_NOMEM
                                                      : DIST_ERR_PROTOCOL,
                         "the %s at offset %zu of %s is not a valid term "
                         "(offsets from its first byte): %s", what,
                         base + *pos, where, e.message);
    *pos += used;
    return 0;
}

/* The terms after a header: m[0..len) is the control message and the
 * payload, if any, and nothing else. */
static int decode_message(const uint8_t *m, size_t len, size_t base,
                          const char *where, const etf_atom *refs,
                          size_t nrefs, etf_arena *a, dist_msg *out,
                          dist_error *err)
{
    size_t pos = 0;
    if (len == 0)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%s ends after its distribution header, with no "
                         "control message (offset %zu)", where, base);
    if (decode_part(m, len, &pos, refs, nrefs, "control message", base,
                    where, a, &out->control, err) != 0)
        return -1;
    const etf_term *c = &out->control;
    if (c->type != ETF_TUPLE || c->n == 0 ||
        c->u.elems[0].type != ETF_INTEGER)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the control message at offset %zu of %s is not a "
                         "tuple that starts with an operation number",
                         base, where);
    out->has_payload = pos < len;
    if (out->has_payload &&
        decode_part(m, len, &pos, refs, nrefs, "payload", base, where, a,
                    &out->payload, err) != 0)
        return -1;
    if (pos != len)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%zu bytes after the payload of %s (offset %zu)",
                         len - pos, where, base + pos);
    return 0;
}

/* 131, 68, AtomCacheRefs, Control, [Payload]. */
static int recv_whole(dist_channel *ch, const uint8_t *pkt, size_t len,
                      size_t pos, etf_arena *a, dist_msg *out,
                      dist_error *err)
{
    const etf_atom *refs;
    size_t nrefs;
    if (dist_atom_cache_read(&ch->in_cache, ch->flags, pkt, len, &pos, a,
                             &refs, &nrefs, err) != 0)
        return -1;
    if (decode_message(pkt + pos, len - pos, pos, "the packet", refs, nrefs,
                       a, out, err) != 0)
        return -1;
    return 1;
}

/* SequenceId and FragmentId after 131, 69 or 70. */
static int frag_ids(const dist_channel *ch, const uint8_t *pkt, size_t len,
                    const char *what, uint64_t *seq, uint64_t *id,
                    dist_error *err)
{
    if (!(ch->flags & DFLAG_FRAGMENTS))
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a %s (131,%u), but the handshake did not agree "
                         "on DFLAG_FRAGMENTS", what, pkt[1]);
    if (len < DIST_FRAGMENT_HEADER_SIZE)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a %s of %zu bytes, shorter than its %d-byte "
                         "header", what, len, DIST_FRAGMENT_HEADER_SIZE);
    *seq = get64(pkt + 2);
    *id = get64(pkt + 10);
    if (*id == 0)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a %s of SequenceId %llu has FragmentId 0; they "
                         "count down to 1", what,
                         (unsigned long long)*seq);
    return 0;
}

/* 131, 69, SequenceId, FragmentId, AtomCacheRefs, Control, Payload...
 * With `placed` != 0, pkt is the header alone and that many bytes of the
 * message are in the buffer of `placing` already, the sequence that
 * dist_channel_place opened for this packet. */
static int recv_first(dist_channel *ch, const uint8_t *pkt, size_t len,
                      size_t placed, dist_frag_seq *placing, etf_arena *a,
                      dist_msg *out, dist_error *err)
{
    uint64_t seq, count;
    if (placed != 0) {
        /* dist_channel_place checked this same header and opened the
         * sequence; its atom-cache refs are read now, in packet order. */
        size_t pos = DIST_FRAGMENT_HEADER_SIZE, end;
        const etf_atom *refs;
        size_t nrefs;
        if (placing == NULL || len < DIST_FRAGMENT_HEADER_SIZE ||
            get64(pkt + 2) != placing->seq_id || placing->len != 0 ||
            placing->cap < placed ||
            !dist_atom_cache_span(pkt, len, pos, &end) || end != len) {
            if (placing != NULL)
                dist_frag_drop(&ch->frags, placing);
            return dist_fail(err, DIST_ERR_USAGE,
                             "a placed first fragment that "
                             "dist_channel_place did not place");
        }
        etf_arena_reset(&ch->names);
        if (dist_atom_cache_read(&ch->in_cache, ch->flags, pkt, len, &pos,
                                 &ch->names, &refs, &nrefs, err) != 0 ||
            dist_frag_keep_refs(&ch->frags, placing, refs, nrefs,
                                err) != 0) {
            dist_frag_drop(&ch->frags, placing);
            return -1;
        }
        placing->len = placed;
        return 0;
    }
    if (frag_ids(ch, pkt, len, "first fragment", &seq, &count, err) != 0)
        return -1;
    if (dist_frag_find(&ch->frags, seq) != NULL)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a first fragment (131,69) for SequenceId %llu, "
                         "whose previous message is not complete yet",
                         (unsigned long long)seq);
    size_t pos = DIST_FRAGMENT_HEADER_SIZE;
    if (count == 1) /* the whole message, in a fragment of its own */
        return recv_whole(ch, pkt, len, pos, a, out, err);
    if (seq == 0)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a first fragment of %llu fragments has "
                         "SequenceId 0, which erts reads as a message "
                         "that is not fragmented",
                         (unsigned long long)count);

    /* The header's atoms go to a scratch arena of the channel's, then
     * into the sequence, exactly sized and counted. */
    dist_frag_seq *s;
    const etf_atom *refs;
    size_t nrefs;
    if (dist_frag_open(&ch->frags, seq, count, &s, err) != 0)
        return -1;
    etf_arena_reset(&ch->names);
    if (dist_atom_cache_read(&ch->in_cache, ch->flags, pkt, len, &pos,
                             &ch->names, &refs, &nrefs, err) != 0 ||
        dist_frag_keep_refs(&ch->frags, s, refs, nrefs, err) != 0 ||
        dist_frag_append(&ch->frags, s, pkt + pos, len - pos, err) != 0) {
        dist_frag_drop(&ch->frags, s);
        return -1;
    }
    return 0;
}

/* A sequence's last fragment has come: its buffer becomes the caller's
 * arena's (no copy: the terms point into it), its header's atoms are
 * copied there, and the message is decoded. */
static int finish_message(dist_frag_seq *s, etf_arena *a, dist_msg *out,
                          dist_error *err)
{
    etf_atom *refs = NULL;
    if (s->nrefs != 0)
        refs = etf_arena_alloc(a, s->nrefs * sizeof *refs);
    if ((s->nrefs != 0 && refs == NULL) ||
        (s->data != NULL && etf_arena_adopt(a, s->data, dist_pool_put) != 0))
        return dist_fail(err, DIST_ERR_NOMEM,
                         "out of memory for a %zu-byte message", s->len);
    const uint8_t *m = s->data;
    s->data = NULL; /* the arena's now */
    for (size_t i = 0; i < s->nrefs; i++) {
        char *name = etf_arena_alloc(a, s->refs[i].len + 1);
        if (name == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        memcpy(name, s->refs[i].name, s->refs[i].len);
        refs[i].name = name;
        refs[i].len = s->refs[i].len;
    }
    char where[96];
    snprintf(where, sizeof where,
             "the message reassembled from SequenceId %llu",
             (unsigned long long)s->seq_id);
    return decode_message(m != NULL ? m : (const uint8_t *)"", s->len, 0,
                          where, refs, s->nrefs, a, out, err);
}

/* 131, 70, SequenceId, FragmentId, more Payload. With `placed` != 0,
 * pkt is the header alone and that many bytes of payload are in the
 * buffer of `placing` already (dist_channel_place). */
static int recv_cont(dist_channel *ch, const uint8_t *pkt, size_t len,
                     size_t placed, const dist_frag_seq *placing,
                     etf_arena *a, dist_msg *out, dist_error *err)
{
    uint64_t seq, id;
    if (frag_ids(ch, pkt, len, "continuation fragment", &seq, &id,
                 err) != 0)
        return -1;
    dist_frag_seq *s = dist_frag_find(&ch->frags, seq);
    if (s == NULL)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a continuation fragment (131,70) for SequenceId "
                         "%llu, which no first fragment opened",
                         (unsigned long long)seq);
    if (id != s->next_id) {
        dist_fail(err, DIST_ERR_PROTOCOL,
                  "a continuation fragment of SequenceId %llu has "
                  "FragmentId %llu where %llu was due (they count down "
                  "by one, in order)", (unsigned long long)seq,
                  (unsigned long long)id, (unsigned long long)s->next_id);
        dist_frag_drop(&ch->frags, s);
        return -1;
    }
    if (placed != 0) {
        /* dist_channel_place checked this same header and made the room. */
        if (s != placing || len != DIST_FRAGMENT_HEADER_SIZE ||
            s->cap - s->len < placed)
            return dist_fail(err, DIST_ERR_USAGE,
                             "a placed continuation fragment that "
                             "dist_channel_place did not place");
        s->len += placed;
    } else if (dist_frag_append(&ch->frags, s,
                                pkt + DIST_FRAGMENT_HEADER_SIZE,
                                len - DIST_FRAGMENT_HEADER_SIZE, err) != 0) {
        dist_frag_drop(&ch->frags, s);
        return -1;
    }
    if (id > 1) {
        s->next_id--;
        return 0;
    }

    /* The last one: decode the whole, then forget the sequence. */
    int r = finish_message(s, a, out, err);
    dist_frag_drop(&ch->frags, s);
    return r == 0 ? 1 : -1;
}

int dist_channel_copies(const dist_channel *ch, const uint8_t *pkt,
                        size_t len)
{
    if (!(ch->flags & HEADER_FLAGS) || len < DIST_FRAGMENT_HEADER_SIZE ||
        pkt[0] != ETF_VERSION_MAGIC)
        return 0;
    return pkt[1] == DIST_FRAG_CONT ||
           (pkt[1] == DIST_FRAG_HEADER && get64(pkt + 10) != 1);
}

/* A sequence opened by dist_channel_place for a first fragment whose
 * packet did not follow: it goes, as if never opened. */
static void unplace(dist_channel *ch)
{
    if (ch->placing != NULL && ch->placing_first)
        dist_frag_drop(&ch->frags, ch->placing);
    ch->placing = NULL;
    ch->placing_first = 0;
}

/* dist_channel_place for a first fragment (131,69) of several: the
 * sequence is opened now, with a buffer for the message's bytes. */
static int place_first(dist_channel *ch, const uint8_t *head, size_t have,
                       size_t total, size_t *keep, uint8_t **dst)
{
    uint64_t seq = get64(head + 2), count = get64(head + 10);
    size_t end;
    dist_frag_seq *s;
    dist_error ignored;
    if (seq == 0 || count < 2 ||
        !dist_atom_cache_span(head, have, DIST_FRAGMENT_HEADER_SIZE, &end) ||
        total - end < DIST_PLACE_MIN ||
        dist_frag_open(&ch->frags, seq, count, &s, &ignored) != 0)
        return 0; /* dist_channel_recv will say what is wrong, if anything */
    if (dist_frag_reserve(&ch->frags, s, total - end, &ignored) != 0) {
        dist_frag_drop(&ch->frags, s);
        return 0;
    }
    ch->placing = s;
    ch->placing_first = 1;
    ch->placing_len = total - end;
    *keep = end;
    *dst = s->data;
    return 1;
}

int dist_channel_place(dist_channel *ch, const uint8_t *head, size_t have,
                       size_t total, size_t *keep, uint8_t **dst)
{
    unplace(ch);
    if (!(ch->flags & DFLAG_FRAGMENTS) || have < DIST_FRAGMENT_HEADER_SIZE ||
        total < DIST_FRAGMENT_HEADER_SIZE + DIST_PLACE_MIN || have > total ||
        head[0] != ETF_VERSION_MAGIC)
        return 0;
    if (head[1] == DIST_FRAG_HEADER)
        return place_first(ch, head, have, total, keep, dst);
    if (head[1] != DIST_FRAG_CONT)
        return 0;
    dist_frag_seq *s = dist_frag_find(&ch->frags, get64(head + 2));
    size_t n = total - DIST_FRAGMENT_HEADER_SIZE;
    dist_error ignored;
    if (s == NULL || get64(head + 10) != s->next_id ||
        dist_frag_reserve(&ch->frags, s, n, &ignored) != 0)
        return 0; /* dist_channel_recv will say what is wrong, if anything */
    ch->placing = s;
    ch->placing_len = n;
    *keep = DIST_FRAGMENT_HEADER_SIZE;
    *dst = s->data + s->len;
    return 1;
}

size_t dist_channel_ahead(const dist_channel *ch, size_t max, uint64_t *seq,
                          uint64_t *id, uint8_t **dst)
{
    const dist_frag_seq *s = ch->placing;
    if (s == NULL)
        return 0;
    /* A first fragment is FragmentId next_id + 1; a continuation being
     * placed carries next_id, which its dist_channel_recv counts down. */
    uint64_t due = ch->placing_first ? s->next_id : s->next_id - 1;
    size_t end = s->len + ch->placing_len;
    if (due < 2 || s->cap < end)
        return 0;
    uint64_t full = due - 1; /* FragmentIds due .. 2; 1 is the last */
    size_t fit = (s->cap - end) / DIST_FRAGMENT_SIZE;
    size_t k = full < fit ? (size_t)full : fit;
    if (k > max)
        k = max;
    *seq = s->seq_id;
    *id = due;
    *dst = s->data + end;
    return k;
}

void dist_channel_ahead_header(uint8_t out[DIST_AHEAD_HEADER], uint64_t seq,
                               uint64_t id)
{
    put_frag_head(out, DIST_AHEAD_PACKET - 4, DIST_FRAG_CONT, seq, id);
}

int dist_channel_recv(dist_channel *ch, const uint8_t *pkt, size_t len,
                      etf_arena *a, dist_msg *out, dist_error *err)
{
    return dist_channel_recv_placed(ch, pkt, len, 0, a, out, err);
}

int dist_channel_recv_placed(dist_channel *ch, const uint8_t *pkt,
                             size_t len, size_t placed, etf_arena *a,
                             dist_msg *out, dist_error *err)
{
    /* A placement holds for the one packet that follows it. */
    dist_frag_seq *placing = ch->placing;
    int first = ch->placing_first;
    if (placed == 0 || placing == NULL || placed != ch->placing_len ||
        len < 2 || pkt[0] != ETF_VERSION_MAGIC ||
        pkt[1] != (first ? DIST_FRAG_HEADER : DIST_FRAG_CONT)) {
        unplace(ch);
        if (placed != 0)
            return dist_fail(err, DIST_ERR_USAGE,
                             "a placed packet that dist_channel_place did "
                             "not place");
        placing = NULL;
    }
    ch->placing = NULL;
    ch->placing_first = 0;
    if (len == 0)
        return dist_fail(err, DIST_ERR_USAGE,
                         "a tick (an empty packet) is not a message");
    if (!(ch->flags & HEADER_FLAGS))
        return dist_msg_decode(pkt, len, a, out, err) == 0 ? 1 : -1;

    if (pkt[0] != ETF_VERSION_MAGIC)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a packet starts with byte %u%s, not 131: the "
                         "handshake agreed on the distribution header "
                         "(DFLAG_DIST_HDR_ATOM_CACHE or DFLAG_FRAGMENTS)",
                         pkt[0],
                         pkt[0] == DIST_PASS_THROUGH ? " (pass-through)"
                                                     : "");
    if (len < 2)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a packet of 1 byte, 131, with no header after");
    switch (pkt[1]) {
    case DIST_HEADER:
        return recv_whole(ch, pkt, len, 2, a, out, err);
    case DIST_FRAG_HEADER:
        return recv_first(ch, pkt, len, placed, placing, a, out, err);
    case DIST_FRAG_CONT:
        return recv_cont(ch, pkt, len, placed, placing, a, out, err);
    default:
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a packet has %u after 131 (offset 1), not 68 "
                         "(DIST_HEADER), 69 (DIST_FRAG_HEADER) or 70 "
                         "(DIST_FRAG_CONT)", pkt[1]);
    }
}

/* ---- sending ------------------------------------------------------------ */

/* The message just encoded as one 131,68 packet at out[start...] (its
 * length, 131, 68, the AtomCacheRefs part of atoms bytes, then the
 * control message's ctl_len bytes and the payload's) is cut, where it
 * lies, into fragments the way OTP 25 to 29 cut theirs (seen on the wire,
 * tests/unit/test_dist_channel.c): the message's bytes in pieces of
 * DIST_FRAGMENT_SIZE, the first behind the first fragment's header (so it
 * holds the whole control message: erts never makes one as large as a
 * fragment), each later one behind a continuation's header. The first
 * fragment's header keeps the atom-cache refs: they are the message's.
 *
 * Each header is longer than the one it replaces, so the pieces move
 * toward the end of the buffer, the last piece first: every byte is moved
 * once, and never over one not yet moved. */
static int cut_in_place(size_t start, size_t atoms, size_t ctl_len,
                        uint64_t seq_id, etf_buf *out, dist_error *err)
{
    /* len 131 68 atoms...  ->  len 131 69 SequenceId FragmentId atoms... */
    const size_t old_head = 4 + 2 + atoms,
                 first_head = 4 + DIST_FRAGMENT_HEADER_SIZE + atoms,
                 cont_head = 4 + DIST_FRAGMENT_HEADER_SIZE; /* ... 70 .. */
    size_t data_len = out->len - start - old_head;
    /* The first piece: the control message and the payload's start. */
    size_t first = ctl_len < DIST_FRAGMENT_SIZE ? DIST_FRAGMENT_SIZE
                                                : ctl_len;
    if (first > data_len)
        first = data_len;
    uint64_t count = 1 + (data_len - first + DIST_FRAGMENT_SIZE - 1) /
                             DIST_FRAGMENT_SIZE;
    size_t grow = (first_head - old_head) + (size_t)(count - 1) * cont_head;
    if (etf_buf_reserve(out, grow) != 0) {
        out->len = start;
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    uint8_t *src = out->data + start + old_head; /* the message's bytes */
    uint8_t *dst = out->data + start + first_head;

    /* Piece i (i >= 1) starts at first + (i - 1) * DIST_FRAGMENT_SIZE in
     * the message and goes behind i continuation headers. */
    for (uint64_t i = count - 1; i >= 1; i--) {
        size_t off = first + (size_t)(i - 1) * DIST_FRAGMENT_SIZE;
        size_t n = data_len - off < DIST_FRAGMENT_SIZE ? data_len - off
                                                       : DIST_FRAGMENT_SIZE;
        uint8_t *to = dst + off + (size_t)i * cont_head;
        memmove(to, src + off, n);
        /* FragmentId counts down to 1 */
        put_frag_head(to - cont_head, DIST_FRAGMENT_HEADER_SIZE + n,
                      DIST_FRAG_CONT, seq_id, count - i);
    }
    memmove(dst, src, first);
    uint8_t *h = out->data + start;
    memmove(h + 4 + DIST_FRAGMENT_HEADER_SIZE, h + 6, atoms);
    put_frag_head(h, DIST_FRAGMENT_HEADER_SIZE + atoms + first,
                  DIST_FRAG_HEADER, seq_id, count);
    out->len += grow;
    return 0;
}

int dist_channel_send(dist_channel *ch, const etf_term *control,
                      const etf_term *payload, uint64_t seq_id,
                      etf_buf *out, dist_error *err)
{
    if (!(ch->flags & HEADER_FLAGS))
        return dist_msg_encode(control, payload, out, err);

    /* The header: 131, 68 and the atom-cache refs of this message (just
     * NumberOfAtomCacheRefs = 0 without DFLAG_DIST_HDR_ATOM_CACHE). The
     * texts of new entries are UTF-8, which a peer without
     * DFLAG_UTF8_ATOMS (mandatory since OTP 23) would read as Latin-1:
     * no refs for it. */
    dist_atom_out *cache = &ch->out_cache;
    const etf_atom_index ix = {dist_atom_out_index, cache};
    int cached = (ch->flags & DFLAG_DIST_HDR_ATOM_CACHE) &&
                 (ch->flags & DFLAG_UTF8_ATOMS) && !ch->plain_atoms;
    if (cached) {
        dist_atom_out_collect(cache, control);
        dist_atom_out_collect(cache, payload);
    }
    size_t atoms = dist_atom_out_header_len(cache);
    ch->head.len = 0;
    if (etf_buf_reserve(&ch->head, 2 + atoms) != 0) {
        dist_atom_out_done(cache, 0);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    ch->head.data[0] = ETF_VERSION_MAGIC;
    ch->head.data[1] = DIST_HEADER;
    dist_atom_out_header(cache, ch->head.data + 2);

    size_t start = out->len, ctl_len;
    int r = dist_packet_put(out, ch->head.data, 2 + atoms,
                            ETF_ENCODE_NO_VERSION, cached ? &ix : NULL,
                            control, payload, &ctl_len, err);
    size_t data_len = out->len - (start + 4 + 2 + atoms);
    if (r == 0 && (ch->flags & DFLAG_FRAGMENTS) && payload != NULL &&
        data_len > DIST_FRAGMENT_SIZE) {
        /* Too large for one fragment: cut it where it lies. */
        if (seq_id == 0) {
            out->len = start;
            r = dist_fail(err, DIST_ERR_USAGE, "a fragmented message needs "
                          "a SequenceId other than 0");
        } else {
            r = cut_in_place(start, atoms, ctl_len, seq_id, out, err);
        }
    }
    /* Only a message that is in `out` tells the peer its new entries. */
    dist_atom_out_done(cache, r == 0);
    return r;
}
