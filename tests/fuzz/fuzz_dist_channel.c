/*
 * fuzz_dist_channel.c -- libFuzzer target for the message layer of a
 * connection (dist/channel.c, dist/atom_cache.c, dist/atom_cache_send.c,
 * dist/fragments.c, and the pass-through form of dist/frame.c).
 *
 * An input is a session: a mode byte, then packets, each behind a 2-byte
 * big-endian length (a packet here is what dist_reader hands out: no
 * 4-byte length, and never a tick). The mode byte:
 *
 *    bit 0  DFLAG_DIST_HDR_ATOM_CACHE agreed
 *    bit 1  DFLAG_FRAGMENTS agreed
 *    bit 2  DFLAG_UTF8_ATOMS *not* agreed (cached atoms are Latin-1)
 *    bit 3  tight limits: 3 sequences, 4 KiB per message, 6 KiB in all
 *           (else 16 sequences, 256 KiB, 1 MiB)
 *    bit 4  also send each message again with its payload P replaced by
 *           {P, <<70000 bytes>>}, so that with DFLAG_FRAGMENTS it goes in
 *           fragments whatever its size (inputs are smaller than that)
 *    bit 5  direct placement, as edist's node receives: every packet is
 *           first offered to dist_channel_place with only its first
 *           bytes in; if placed, its body is copied where the channel
 *           said and the packet goes to dist_channel_recv_placed (the
 *           round trips of the messages place their continuations too)
 *
 * All packets go through one channel, in order, as from one peer: the
 * atom cache and the fragments in progress carry over from packet to
 * packet, also after a packet was refused (a real connection would be
 * closed then; the channel must stay safe anyway).
 *
 * For every packet the target aborts unless:
 *   - dist_channel_recv returns -1, 0 or 1, and a -1 is DIST_ERR_PROTOCOL
 *     or DIST_ERR_NOMEM;
 *   - the fragment table keeps its limits: at most max_sequences in
 *     progress, `buffered` within max_buffered and equal to what the
 *     sequences count;
 *   - a message (1) sent again with dist_channel_send on a channel of the
 *     same flags, and received from those packets on a third channel,
 *     comes back etf_equal, control and payload (these two channels last
 *     the whole session, as on a connection, so the send atom cache's
 *     cached refs are tried as well as its new ones); its packets are whole
 *     (4-byte lengths that add up) and no continuation holds more than
 *     DIST_FRAGMENT_SIZE of the message.
 * Leaks are LeakSanitizer's: every input ends with dist_channel_release.
 *
 * The arenas may take 64 MiB. The seeds (corpus/channel/) are sessions
 * of packets from OTP 25 and OTP 29 nodes, captured as described in
 * tests/unit/test_dist_channel.c, and small sessions made by hand:
 *
 *   otp25_cache_session  131,68 with new and cached refs, LongAtoms, 255
 *   otp29_cache_session  refs (mode 0x13 and 0x03)
 *   otp25_cache_only     the cache without fragments (0x01)
 *   otp25_pass_through   112 (0x00)
 *   otp29_frag_only      131,68,0 (0x12)
 *   otp25_fragments_shrunk  an OTP 25 first fragment whose refs use the
 *                        cache of the packet before, cut down to a
 *                        300-byte binary in 3 fragments (0x03)
 *   hand_interleaved     two sequences interleaved, a cache slot
 *                        overwritten between a first fragment and its
 *                        last, a message in one 131,69 (0x13)
 *   hand_limits          too many sequences, too many bytes, ids out of
 *                        order, unknown sequences (0x0b)
 *   hand_latin1_long_atoms  Latin-1 cache text, LongAtoms with an odd and
 *                        an even number of refs (0x07)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/channel.h"
#include "dist/dist.h"
#include "handshake/dflags.h"

#define ARENA_LIMIT ((size_t)64 << 20)

/* Mode bit 5: packets go through dist_channel_place first. */
static int placing;

/* The flags of the OTP 25 capture, less the two that make the framing. */
#define BASE_FLAGS (UINT64_C(0x4078f2f94) & \
                    ~(DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS))

static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nfuzz_dist_channel: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static void arena_start(etf_arena *a)
{
    etf_arena_init(a);
    a->limit = ARENA_LIMIT;
}

/* dist_channel_recv, or with `placing` the way edist's node receives a
 * packet: offered to dist_channel_place when `have` of its bytes are in,
 * its body then copied to where the channel said. */
static int receive(dist_channel *ch, const uint8_t *pkt, size_t len,
                   size_t have, etf_arena *a, dist_msg *m, dist_error *err)
{
    size_t keep;
    uint8_t *dst;
    if (have > len)
        have = len;
    if (!placing || !dist_channel_place(ch, pkt, have, len, &keep, &dst))
        return dist_channel_recv(ch, pkt, len, a, m, err);
    if (keep > have || keep > len)
        fail("dist_channel_place keeps %zu bytes of %zu (%zu in)", keep,
             len, have);
    memcpy(dst, pkt + keep, len - keep);
    return dist_channel_recv_placed(ch, pkt, keep, len - keep, a, m, err);
}

static void check_table(const dist_frag_table *t)
{
    if (t->n > t->max_sequences)
        fail("%zu sequences in progress, the limit is %zu", t->n,
             t->max_sequences);
    if (t->buffered > t->max_buffered)
        fail("%zu bytes buffered, the limit is %zu", t->buffered,
             t->max_buffered);
    size_t sum = 0;
    for (size_t i = 0; i < t->n; i++) {
        const dist_frag_seq *s = t->seq[i];
        if (s->len > s->cap || s->len > t->max_message)
            fail("sequence %llu holds %zu bytes in %zu",
                 (unsigned long long)s->seq_id, s->len, s->cap);
        sum += s->counted;
    }
    if (sum != t->buffered)
        fail("sequences count %zu bytes, the table %zu", sum, t->buffered);
}

/* A 4-byte big-endian length. */
static size_t get32(const uint8_t *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
           p[3];
}

/* The message m, sent with `flags` and received again, must be m. */
static void round_trip(uint64_t flags, const dist_msg *m);

/* The same with {Payload, <<70000 zero bytes>>} as the payload. A
 * LOCAL_EXT payload stays as it is: it may only be a whole term. */
static void round_trip_large(uint64_t flags, const dist_msg *m)
{
    static const uint8_t zeros[70000];
    if (m->has_payload && m->payload.type == ETF_LOCAL)
        return;
    etf_term pair[2];
    pair[0] = m->has_payload ? m->payload : etf_nil();
    pair[1] = etf_binary(zeros, sizeof zeros);
    dist_msg big = *m;
    big.has_payload = 1;
    big.payload = (etf_term){.type = ETF_TUPLE, .n = 2};
    big.payload.u.elems = pair;
    round_trip(flags, &big);
}

/* The session's sender and receiver of round trips. */
static dist_channel *rt_tx, *rt_rx;

static void round_trip(uint64_t flags, const dist_msg *m)
{
    dist_channel *tx = rt_tx, *rx = rt_rx;
    dist_error err;
    etf_buf out = {0};
    const etf_term *payload = m->has_payload ? &m->payload : NULL;
    if (dist_channel_send(tx, &m->control, payload, 1, &out, &err) != 0) {
        if (err.code == DIST_ERR_NOMEM)
            goto done;
        fail("a received message does not send again: %s", err.message);
    }
    etf_arena a;
    arena_start(&a);
    size_t off = 0;
    int whole = 0;
    dist_msg back;
    while (off < out.len) {
        if (whole)
            fail("packets after the last one of a message");
        if (out.len - off < 4 || out.len - off - 4 < get32(out.data + off))
            fail("a packet sent is cut short");
        size_t len = get32(out.data + off);
        const uint8_t *pkt = out.data + off + 4;
        if (len > DIST_FRAGMENT_HEADER_SIZE + DIST_FRAGMENT_SIZE &&
            pkt[1] == DIST_FRAG_CONT)
            fail("a continuation of %zu bytes", len);
        int r = receive(rx, pkt, len, DIST_FRAGMENT_HEADER_SIZE, &a, &back,
                        &err);
        if (r < 0) {
            if (err.code == DIST_ERR_NOMEM) {
                /* Out of arena: the rest of the message is not received,
                 * so the receiver starts again, and so must the sender's
                 * atom cache. */
                dist_channel_release(rx);
                dist_channel_init(rx, flags, &err);
                dist_channel_release(tx);
                dist_channel_init(tx, flags, &err);
                break;
            }
            fail("what edist sent does not decode: %s", err.message);
        }
        whole = r == 1;
        off += 4 + len;
    }
    if (off == out.len) {
        if (!whole)
            fail("the packets sent do not end a message");
        if (!etf_equal(&back.control, &m->control) ||
            back.has_payload != m->has_payload ||
            (m->has_payload && !etf_equal(&back.payload, &m->payload)))
            fail("a message sent and received again is not the same");
    }
    etf_arena_release(&a);
done:
    etf_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    uint64_t flags = BASE_FLAGS;
    if (mode & 1)
        flags |= DFLAG_DIST_HDR_ATOM_CACHE;
    if (mode & 2)
        flags |= DFLAG_FRAGMENTS;
    if (mode & 4)
        flags &= ~DFLAG_UTF8_ATOMS;

    placing = (mode & 32) != 0;
    dist_channel *ch = malloc(sizeof *ch);
    rt_tx = malloc(sizeof *rt_tx);
    rt_rx = malloc(sizeof *rt_rx);
    if (ch == NULL || rt_tx == NULL || rt_rx == NULL)
        fail("out of memory");
    dist_error err;
    dist_channel_init(ch, flags, &err);
    dist_channel_init(rt_tx, flags, &err);
    dist_channel_init(rt_rx, flags, &err);
    if (mode & 8) {
        ch->frags.max_sequences = 3;
        ch->frags.max_message = 4096;
        ch->frags.max_buffered = 6144;
    } else {
        ch->frags.max_sequences = 16;
        ch->frags.max_message = (size_t)256 << 10;
        ch->frags.max_buffered = (size_t)1 << 20;
    }

    size_t pos = 1;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        if (len == 0)
            continue; /* a tick: not the channel's business */
        /* A copy of its own, so that ASan sees any read past it. */
        uint8_t *pkt = malloc(len);
        if (pkt == NULL)
            break;
        memcpy(pkt, data + pos, len);
        pos += len;

        etf_arena a;
        arena_start(&a);
        dist_msg m;
        /* Placed with a varying part of the packet in, header cut or
         * not, as reads cut it. */
        int r = receive(ch, pkt, len, (size_t)data[pos - 1] % 64, &a, &m,
                        &err);
        if (r < -1 || r > 1)
            fail("dist_channel_recv returned %d", r);
        if (r < 0 && err.code != DIST_ERR_PROTOCOL &&
            err.code != DIST_ERR_NOMEM)
            fail("error code %d: %s", err.code, err.message);
        check_table(&ch->frags);
        if (r == 1)
            round_trip(flags, &m);
        if (r == 1 && (mode & 16))
            round_trip_large(flags, &m);
        etf_arena_release(&a);
        free(pkt);
    }
    dist_channel_release(ch);
    dist_channel_release(rt_tx);
    dist_channel_release(rt_rx);
    free(ch);
    free(rt_tx);
    free(rt_rx);
    return 0;
}
