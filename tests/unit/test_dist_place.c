/*
 * test_dist_place.c -- unit tests of direct placement: the path that takes
 * the body of a large packet from the socket straight to where its message
 * is reassembled, with no copy in between. Three pieces make it:
 *
 *   - the pool (dist/pool.c), which keeps reassembly buffers for reuse;
 *   - the reader's divert (dist/frame.c): the reader tells of a packet
 *     under way (dist_reader_pending), sends the rest of its body to
 *     memory the caller gives (dist_reader_divert), and once the body is
 *     in hands back only its first bytes (dist_reader_next) and how many
 *     went elsewhere (dist_reader_placed);
 *   - the channel's placement (dist/channel.c, dist/fragments.c): for a
 *     131,70 continuation of a sequence in progress, dist_channel_place
 *     gives the end of the sequence's buffer as that memory, and
 *     dist_channel_recv_placed then takes the 18-byte header alone.
 *
 * Every packet the channel declines must still arrive whole, as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dist/channel.h"
#include "dist/control.h"
#include "dist/dist.h"
#include "dist/pool.h"
#include "handshake/dflags.h"

#define FLAGS (HS_EDIST_FLAGS | DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS)
#define HEAD DIST_FRAGMENT_HEADER_SIZE /* 131, 70, SequenceId, FragmentId */
#define PAYLOAD ((size_t)200 * 1024)   /* 4 fragments, the last ~8 KiB */

/* n bytes that do not repeat every 256, so a shifted copy shows. */
static uint8_t *pattern(size_t n)
{
    uint8_t *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 31 + (i >> 8));
    return b;
}

/* ---------------------------------------------------------------------
 * The pool
 * ------------------------------------------------------------------- */

/* A buffer given back is handed out again; of the idle ones, the
 * smallest that is large enough. */
static void test_pool_reuses_smallest_fit(void **state)
{
    (void)state;
    dist_pool *p = dist_pool_new(1 << 20);
    uint8_t *a = dist_pool_get(p, 1000);
    assert_true(dist_pool_size(a) >= 1000);
    memset(a, 0xA5, 1000);
    dist_pool_put(a);
    assert_ptr_equal(dist_pool_get(p, 10), a);
    uint8_t *b = dist_pool_get(p, 3000), *c = dist_pool_get(p, 2000);
    assert_true(a != b && b != c && a != c);
    dist_pool_put(b);
    dist_pool_put(a);
    dist_pool_put(c);
    /* Idle: 3000, 1000, 2000. None holds 5000: a new buffer. */
    uint8_t *d = dist_pool_get(p, 5000);
    assert_true(d != a && d != b && d != c && dist_pool_size(d) >= 5000);
    d[4999] = 1;
    assert_ptr_equal(dist_pool_get(p, 1500), c);
    assert_ptr_equal(dist_pool_get(p, 1), a);
    assert_ptr_equal(dist_pool_get(p, 2500), b);
    dist_pool_put(a);
    dist_pool_put(b);
    dist_pool_put(c);
    dist_pool_put(d);
    dist_pool_free(p);
}

/* Of idle buffers that fit equally well, the one given back last comes
 * out first: its bytes are the likeliest to be in the CPU's cache still,
 * where the next message is written. */
static void test_pool_reuses_latest(void **state)
{
    (void)state;
    dist_pool *p = dist_pool_new(1 << 20);
    uint8_t *a = dist_pool_get(p, 4096), *b = dist_pool_get(p, 4096),
            *c = dist_pool_get(p, 4096);
    dist_pool_put(a);
    dist_pool_put(b);
    dist_pool_put(c);
    assert_ptr_equal(dist_pool_get(p, 100), c);
    dist_pool_put(c);
    assert_ptr_equal(dist_pool_get(p, 100), c);
    assert_ptr_equal(dist_pool_get(p, 100), b);
    assert_ptr_equal(dist_pool_get(p, 100), a);
    dist_pool_put(a);
    dist_pool_put(b);
    dist_pool_put(c);
    dist_pool_free(p);
}

/* Past DIST_POOL_KEEP idle buffers or max_idle bytes, a buffer given back
 * is freed: had it been kept, it would be the smallest fit next time. */
static void test_pool_limits(void **state)
{
    (void)state;
    dist_pool *p = dist_pool_new(1 << 20);
    void *big[DIST_POOL_KEEP], *small = dist_pool_get(p, 100);
    int found[DIST_POOL_KEEP] = {0};
    for (size_t i = 0; i < DIST_POOL_KEEP; i++)
        big[i] = dist_pool_get(p, 200);
    for (size_t i = 0; i < DIST_POOL_KEEP; i++)
        dist_pool_put(big[i]);
    dist_pool_put(small); /* one too many */
    for (size_t i = 0, k; i < DIST_POOL_KEEP; i++) {
        void *q = dist_pool_get(p, 100);
        for (k = 0; k < DIST_POOL_KEEP && big[k] != q; k++)
            ;
        assert_true(k < DIST_POOL_KEEP && !found[k]);
        found[k] = 1;
    }
    for (size_t i = 0; i < DIST_POOL_KEEP; i++)
        dist_pool_put(big[i]);
    dist_pool_free(p);

    p = dist_pool_new(1000);
    void *x600 = dist_pool_get(p, 600), *x500 = dist_pool_get(p, 500),
         *x400 = dist_pool_get(p, 400);
    dist_pool_put(x600); /* 600 idle */
    dist_pool_put(x500); /* 1100 would pass 1000: freed */
    dist_pool_put(x400); /* 1000 idle */
    assert_ptr_equal(dist_pool_get(p, 401), x600);
    assert_ptr_equal(dist_pool_get(p, 1), x400);
    dist_pool_put(x600);
    dist_pool_put(x400);
    dist_pool_free(p);
}

/* dist_pool_grow keeps the bytes used and gives the old buffer back;
 * without a pool buffers are plain malloc ones; a pool freed while
 * buffers are out goes once the last comes back (ASan checks the frees). */
static void test_pool_grow_plain_and_late_free(void **state)
{
    (void)state;
    dist_pool *p = dist_pool_new(1 << 20);
    uint8_t *ref = pattern(100), *a = dist_pool_get(p, 100);
    memcpy(a, ref, 100);
    uint8_t *g = dist_pool_grow(a, 100, 50000);
    assert_true(g != NULL && dist_pool_size(g) >= 50000);
    assert_memory_equal(g, ref, 100);
    g[49999] = 1;
    assert_ptr_equal(dist_pool_get(p, 100), a); /* the old one was idle */

    uint8_t *n = dist_pool_get(NULL, 64), *z = dist_pool_grow(NULL, 0, 32);
    assert_true(dist_pool_size(n) >= 64 && dist_pool_size(z) >= 32);
    memset(n, 1, 64);
    memset(z, 2, 32);
    dist_pool_put(n);
    dist_pool_put(z);
    dist_pool_put(NULL);

    dist_pool_put(g);  /* idle */
    dist_pool_free(p); /* frees g; the pool waits for a */
    a[99] = 7;
    dist_pool_put(a);  /* frees a, then the pool */
    free(ref);
}

/* ---------------------------------------------------------------------
 * The reader's divert
 * ------------------------------------------------------------------- */

/* Receives s[0..n) as readv(2) would into dist_reader_iov's buffers (as
 * much as they hold), or with dist_reader_feed. `into`, if not NULL, is
 * where iov[0] must point: the diverted body's next byte. Returns the
 * count taken. */
static size_t cut(dist_reader *r, const uint8_t *s, size_t n, int use_iov,
                  const uint8_t *into)
{
    dist_error err;
    if (!use_iov) {
        assert_int_equal(dist_reader_feed(r, s, n, &err), 0);
        return n;
    }
    struct iovec iov[2];
    int k = dist_reader_iov(r, 64, iov, &err);
    assert_true(k == 1 || k == 2);
    if (into != NULL) {
        assert_int_equal(k, 2);
        assert_ptr_equal(iov[0].iov_base, into);
    }
    size_t done = 0;
    for (int i = 0; i < k && done < n; i++) {
        size_t m = n - done < iov[i].iov_len ? n - done : iov[i].iov_len;
        memcpy(iov[i].iov_base, s + done, m);
        done += m;
    }
    dist_reader_commit(r, done);
    return done;
}

static size_t put_packet(uint8_t *s, const void *body, size_t len)
{
    s[0] = (uint8_t)(len >> 24);
    s[1] = (uint8_t)(len >> 16);
    s[2] = (uint8_t)(len >> 8);
    s[3] = (uint8_t)len;
    memcpy(s + 4, body, len);
    return 4 + len;
}

/* "abc", a 20000-byte packet diverted after its first 18 bytes once
 * `have` of it have come, a tick, "after": the rest arrives in cuts of
 * every size, fed or read into the iovecs, and each packet comes out
 * once, whole, in order, as soon as it is complete. */
static void test_reader_divert(void **state)
{
    (void)state;
    enum { BIG = 20000 };
    uint8_t *body = pattern(BIG), *s = malloc(BIG + 64);
    size_t n = put_packet(s, "abc", 3), big_at = n;
    n += put_packet(s + n, body, BIG);
    size_t body_end = n;
    n += put_packet(s + n, "", 0);
    n += put_packet(s + n, "after", 5);
    static const size_t haves[] = {HEAD, HEAD + 1, 5000};
    static const size_t steps[] = {1, 2, 3, 7, 100, 4096, 14999, 15000,
                                   15001, 15064, 100000};
    dist_error err;
    const uint8_t *p, *head;
    size_t len, have, total;
    for (size_t h = 0; h < sizeof haves / sizeof *haves; h++)
    for (size_t st = 0; st < sizeof steps / sizeof *steps; st++)
    for (int use_iov = 0; use_iov < 2; use_iov++) {
        /* Nothing under way: under 4 bytes, then a complete packet. */
        dist_reader r = {0};
        size_t at = big_at + 4 + haves[h];
        assert_int_equal(dist_reader_feed(&r, s, 3, &err), 0);
        assert_int_equal(dist_reader_pending(&r, &head, &have, &total), 0);
        assert_int_equal(dist_reader_feed(&r, s + 3, 4, &err), 0);
        assert_int_equal(dist_reader_pending(&r, &head, &have, &total), 0);
        assert_int_equal(dist_reader_feed(&r, s + 7, at - 7, &err), 0);
        assert_int_equal(dist_reader_next(&r, &p, &len, &err), 1);
        assert_int_equal(len, 3);
        assert_memory_equal(p, "abc", 3);
        assert_int_equal(dist_reader_placed(&r), 0);
        assert_int_equal(dist_reader_next(&r, &p, &len, &err), 0);

        /* The large one is under way: divert it. */
        assert_int_equal(dist_reader_pending(&r, &head, &have, &total), 1);
        assert_int_equal(have, haves[h]);
        assert_int_equal(total, BIG);
        assert_memory_equal(head, body, have);
        uint8_t *dst = malloc(BIG - HEAD);
        dist_reader_divert(&r, HEAD, dst);
        if (have > HEAD)
            assert_memory_equal(dst, body + HEAD, have - HEAD);
        assert_int_equal(dist_reader_pending(&r, &head, &have, &total), 0);

        int got = 0, k;
        while (at < n) {
            size_t want = n - at < steps[st] ? n - at : steps[st];
            const uint8_t *into =
                at < body_end ? dst + (at - big_at - 4 - HEAD) : NULL;
            at += cut(&r, s + at, want, use_iov, into);
            while ((k = dist_reader_next(&r, &p, &len, &err)) == 1) {
                if (got == 0) { /* the diverted packet: its head only */
                    assert_int_equal(len, HEAD);
                    assert_memory_equal(p, body, HEAD);
                    assert_int_equal(dist_reader_placed(&r), BIG - HEAD);
                    assert_memory_equal(dst, body + HEAD, BIG - HEAD);
                } else {
                    assert_int_equal(len, got == 1 ? 0 : 5);
                    assert_memory_equal(p, "after", len);
                    assert_int_equal(dist_reader_placed(&r), 0);
                }
                got++;
            }
            assert_int_equal(k, 0);
            assert_int_equal(got, (at >= body_end) + (at >= body_end + 4) +
                                      (at >= n));
            if (at < body_end)
                assert_int_equal(
                    dist_reader_pending(&r, &head, &have, &total), 0);
        }
        free(dst);
        dist_reader_release(&r);
    }
    /* A length over max_packet is nothing to place. */
    dist_reader r = {.max_packet = 1000};
    assert_int_equal(dist_reader_feed(&r, s + big_at, 100, &err), 0);
    assert_int_equal(dist_reader_pending(&r, &head, &have, &total), 0);
    dist_reader_release(&r);
    free(body);
    free(s);
}

/* ---------------------------------------------------------------------
 * The channel's placement
 * ------------------------------------------------------------------- */

/* A message as dist_channel_send cut it, for the tests below. */
typedef struct sent {
    uint8_t *bytes;          /* the payload binary's */
    etf_arena a;             /* the control; terms received */
    etf_term ctl;
    etf_buf out;
    const uint8_t *pkts[8];  /* the packets in out, without their lengths */
    size_t lens[8], n;
    dist_error err;
    dist_msg m;
} sent;

/* REG_SEND {6, from, '', placed} + a binary of `size` bytes, sent with
 * `flags`: 4 packets 131,69 + 3 x 131,70 for the default size and flags. */
static void send_big(sent *s, uint64_t flags, size_t size)
{
    dist_channel ch;
    s->ctl = etf_tuple(&s->a, 4);
    s->ctl.u.elems[0] = etf_int(DOP_REG_SEND);
    s->ctl.u.elems[1] = etf_atom_z("from");
    s->ctl.u.elems[2] = etf_atom_z("");
    s->ctl.u.elems[3] = etf_atom_z("placed");
    etf_term payload = etf_binary(s->bytes, size);
    dist_channel_init(&ch, flags, &s->err);
    s->out.len = 0;
    assert_int_equal(dist_channel_send(&ch, &s->ctl, &payload, 0x5157,
                                       &s->out, &s->err), 0);
    dist_channel_release(&ch);
    const uint8_t *d = s->out.data;
    s->n = 0;
    for (size_t off = 0; off < s->out.len; s->n++) {
        assert_true(s->n < 8);
        s->lens[s->n] = (size_t)d[off] << 24 | (size_t)d[off + 1] << 16 |
                        (size_t)d[off + 2] << 8 | d[off + 3];
        s->pkts[s->n] = d + off + 4;
        off += 4 + s->lens[s->n];
    }
}

static int setup(void **state)
{
    sent *s = calloc(1, sizeof *s);
    s->bytes = pattern(PAYLOAD);
    etf_arena_init(&s->a);
    send_big(s, FLAGS, PAYLOAD);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sent *s = *state;
    etf_buf_release(&s->out);
    etf_arena_release(&s->a);
    free(s->bytes);
    free(s);
    return 0;
}

/* The message received is the one sent, with a payload of `size`. */
static void check_msg(const sent *s, const dist_msg *m, size_t size)
{
    assert_true(etf_equal(&m->control, &s->ctl));
    assert_true(m->has_payload);
    assert_int_equal(m->payload.type, ETF_BINARY);
    assert_int_equal(m->payload.n, size);
    assert_memory_equal(m->payload.u.bytes, s->bytes, size);
}

static int recv_pkt(sent *s, dist_channel *ch, size_t i)
{
    return dist_channel_recv(ch, s->pkts[i], s->lens[i], &s->a, &s->m,
                             &s->err);
}

/* Whether dist_channel_place declines the packet (0), as opposed to
 * placing it (1). */
static int declined(dist_channel *ch, const uint8_t *pkt, size_t have,
                    size_t len)
{
    size_t keep;
    uint8_t *dst;
    return dist_channel_place(ch, pkt, have, len, &keep, &dst) == 0;
}

/* Places packet i, told its first `have` bytes (each a heap block of its
 * own, so that ASan sees a read past them), puts its body where the
 * channel says, and receives its header alone; into a, or s->a. */
static int place_and_recv(sent *s, dist_channel *ch, size_t i, size_t have,
                          etf_arena *a)
{
    uint8_t *head = malloc(have), *dst;
    memcpy(head, s->pkts[i], have);
    size_t keep = 0, len = s->lens[i];
    assert_int_equal(dist_channel_place(ch, head, have, len, &keep, &dst), 1);
    if (s->pkts[i][1] == DIST_FRAG_CONT) {
        assert_int_equal(keep, HEAD);
    } else { /* a first fragment: its header and atom-cache refs */
        size_t end;
        assert_true(dist_atom_cache_span(s->pkts[i], len, HEAD, &end));
        assert_int_equal(keep, end);
    }
    memcpy(dst, s->pkts[i] + keep, len - keep);
    int r = dist_channel_recv_placed(ch, head, keep, len - keep,
                                     a ? a : &s->a, &s->m, &s->err);
    if (r < 0)
        fail_msg("recv_placed: %s", s->err.message);
    free(head);
    return r;
}

/* Each of the 4 fragments placed or received whole (all 16 ways),
 * without and with a pool: the same message every time. With a pool, the
 * buffer the arena gives back is the one the next message fills. */
static void test_place_continuations(void **state)
{
    sent *s = *state;
    assert_int_equal(s->n, 4);
    assert_int_equal(s->pkts[3][1], DIST_FRAG_CONT);
    assert_true(s->lens[3] - HEAD >= DIST_PLACE_MIN);
    for (int pooled = 0; pooled < 2; pooled++) {
        dist_pool *pool = pooled ? dist_pool_new(1 << 20) : NULL;
        dist_channel *ch = malloc(sizeof *ch);
        dist_channel_init(ch, FLAGS, &s->err);
        ch->frags.pool = pool;
        const uint8_t *last = NULL;
        for (unsigned mask = 0; mask < 16; mask++) {
            etf_arena ma;
            etf_arena_init(&ma);
            for (size_t i = 0; i < s->n; i++) {
                int r = mask >> i & 1
                            ? place_and_recv(s, ch, i, 100, &ma)
                            : dist_channel_recv(ch, s->pkts[i], s->lens[i],
                                                &ma, &s->m, &s->err);
                assert_int_equal(r, i + 1 == s->n);
            }
            check_msg(s, &s->m, PAYLOAD);
            if (pooled && last != NULL)
                assert_ptr_equal(s->m.payload.u.bytes, last);
            last = s->m.payload.u.bytes;
            assert_int_equal(ch->frags.n, 0);
            assert_int_equal(ch->frags.buffered, 0);
            etf_arena_release(&ma); /* the buffer goes back to the pool */
        }
        dist_channel_release(ch);
        free(ch);
        dist_pool_free(pool);
    }
}

/* Every packet but a due continuation or a new first fragment of
 * DIST_PLACE_MIN bytes or more is declined, and then received whole as
 * before, errors included. */
static void test_place_declines(void **state)
{
    sent *s = *state;
    dist_channel *ch = malloc(sizeof *ch);
    dist_channel_init(ch, FLAGS, &s->err);
    /* A first fragment (131,69) whose header is not all in yet: its
     * atom-cache refs end past `have`. */
    size_t end;
    assert_true(dist_atom_cache_span(s->pkts[0], s->lens[0], HEAD, &end));
    assert_true(end > HEAD + 1);
    assert_false(dist_atom_cache_span(s->pkts[0], end - 1, HEAD, &end));
    for (size_t have = HEAD - 1; have < end; have++)
        assert_true(declined(ch, s->pkts[0], have, s->lens[0]));
    /* One that says it is the only fragment, or SequenceId 0: declined,
     * and what is wrong is said when it is received. */
    uint8_t *first = malloc(s->lens[0]);
    memcpy(first, s->pkts[0], s->lens[0]);
    memset(first + 10, 0, 8);
    first[17] = 1; /* FragmentId 1: the whole message */
    assert_true(declined(ch, first, 100, s->lens[0]));
    memcpy(first, s->pkts[0], s->lens[0]);
    memset(first + 2, 0, 8); /* SequenceId 0 */
    assert_true(declined(ch, first, 100, s->lens[0]));
    assert_int_equal(dist_channel_recv(ch, first, s->lens[0], &s->a, &s->m,
                                       &s->err), -1);
    assert_non_null(strstr(s->err.message, "SequenceId 0"));
    free(first);
    assert_int_equal(ch->frags.n, 0);
    /* Received whole; then the same SequenceId again is declined (its
     * message is in progress). */
    assert_int_equal(recv_pkt(s, ch, 0), 0);
    assert_true(declined(ch, s->pkts[0], 100, s->lens[0]));
    assert_int_equal(ch->frags.n, 1);
    /* A continuation of a SequenceId no first fragment opened. */
    uint8_t *other = malloc(s->lens[1]);
    memcpy(other, s->pkts[1], s->lens[1]);
    other[9] ^= 1;
    assert_true(declined(ch, other, 100, s->lens[1]));
    assert_int_equal(dist_channel_recv(ch, other, s->lens[1], &s->a, &s->m,
                                       &s->err), -1);
    assert_non_null(strstr(s->err.message, "which no first fragment opened"));
    /* A first fragment (131,69) reusing the SequenceId in progress. */
    other[9] ^= 1;
    other[1] = DIST_FRAG_HEADER;
    assert_true(declined(ch, other, 100, s->lens[1]));
    assert_int_equal(dist_channel_recv(ch, other, s->lens[1], &s->a, &s->m,
                                       &s->err), -1);
    assert_non_null(strstr(s->err.message, "previous message is not comp"));
    free(other);
    /* The due one, with fewer than 18 bytes of its head yet. */
    assert_true(declined(ch, s->pkts[1], HEAD - 1, s->lens[1]));
    assert_int_equal(recv_pkt(s, ch, 1), 0);
    /* FragmentId 1 where 2 is due: the sequence is dropped. */
    assert_true(declined(ch, s->pkts[3], 100, s->lens[3]));
    assert_int_equal(recv_pkt(s, ch, 3), -1);
    assert_non_null(strstr(s->err.message, "FragmentId 1 where 2 was due"));
    assert_int_equal(ch->frags.n, 0);
    dist_channel_release(ch);
    /* A channel without DFLAG_FRAGMENTS. */
    dist_channel_init(ch, FLAGS & ~DFLAG_FRAGMENTS, &s->err);
    assert_true(declined(ch, s->pkts[1], 100, s->lens[1]));
    assert_int_equal(recv_pkt(s, ch, 1), -1);
    assert_non_null(strstr(s->err.message, "did not agree on DFLAG_FRAG"));
    dist_channel_release(ch);
    /* A whole message (131,68), however large. */
    dist_channel_init(ch, FLAGS, &s->err);
    send_big(s, FLAGS & ~DFLAG_FRAGMENTS, PAYLOAD);
    assert_int_equal(s->n, 1);
    assert_true(declined(ch, s->pkts[0], 100, s->lens[0]));
    assert_int_equal(recv_pkt(s, ch, 0), 1);
    check_msg(s, &s->m, PAYLOAD);
    dist_channel_release(ch);

    /* The message 2 x 64 KiB + `tail` bytes: its last body is declined at
     * DIST_PLACE_MIN - 1 bytes, placed at DIST_PLACE_MIN. */
    etf_buf ctl = {0};
    etf_error ee;
    assert_int_equal(etf_encode(&s->ctl, ETF_ENCODE_NO_VERSION, &ctl, &ee), 0);
    for (size_t tail = DIST_PLACE_MIN - 1; tail <= DIST_PLACE_MIN; tail++) {
        size_t size = 2 * DIST_FRAGMENT_SIZE + tail - ctl.len - 5;
        /* Sent without atom-cache refs: the sizes above are exact. */
        send_big(s, FLAGS & ~DFLAG_DIST_HDR_ATOM_CACHE, size);
        assert_int_equal(s->n, 3);
        assert_int_equal(s->lens[2], HEAD + tail);
        dist_channel_init(ch, FLAGS, &s->err);
        assert_int_equal(recv_pkt(s, ch, 0), 0);
        assert_int_equal(place_and_recv(s, ch, 1, HEAD, NULL), 0);
        if (tail < DIST_PLACE_MIN) {
            assert_true(declined(ch, s->pkts[2], 100, s->lens[2]));
            assert_int_equal(recv_pkt(s, ch, 2), 1);
        } else {
            assert_int_equal(place_and_recv(s, ch, 2, 100, NULL), 1);
        }
        check_msg(s, &s->m, size);
        dist_channel_release(ch);
    }
    etf_buf_release(&ctl);
    free(ch);
}

/* Continuation 1's header with `placed` bytes: refused as a misuse. */
static void misuse(sent *s, dist_channel *ch, size_t len, size_t placed)
{
    assert_int_equal(dist_channel_recv_placed(ch, s->pkts[1], len, placed,
                                              &s->a, &s->m, &s->err), -1);
    assert_int_equal(s->err.code, DIST_ERR_USAGE);
}

/* Bytes "placed" that dist_channel_place did not place are the caller's
 * mistake, DIST_ERR_USAGE; the sequence goes on unharmed. */
static void test_recv_placed_misuse(void **state)
{
    sent *s = *state;
    dist_channel *ch = malloc(sizeof *ch);
    dist_channel_init(ch, FLAGS, &s->err);
    size_t body = s->lens[1] - HEAD;
    static const uint8_t small[] = {131, 68, 0, 104, 1, 97, 2}; /* {2} */

    /* A first fragment placed, then something else: the sequence the
     * place opened goes again, and the fragment still arrives whole. */
    size_t end, keep;
    uint8_t *dst;
    assert_true(dist_atom_cache_span(s->pkts[0], s->lens[0], HEAD, &end));
    assert_true(declined(ch, s->pkts[0], 100, end + DIST_PLACE_MIN - 1));
    assert_false(declined(ch, s->pkts[0], 100, s->lens[0]));
    assert_int_equal(ch->frags.n, 1);
    assert_int_equal(dist_channel_recv(ch, small, sizeof small, &s->a, &s->m,
                                       &s->err), 1);
    assert_int_equal(ch->frags.n, 0);
    assert_int_equal(ch->frags.buffered, 0);
    /* Placed, then its header with a byte short, or with a count other
     * than the one placed: the caller's mistake, and the sequence goes. */
    assert_int_equal(dist_channel_place(ch, s->pkts[0], 100, s->lens[0],
                                        &keep, &dst), 1);
    assert_int_equal(dist_channel_recv_placed(ch, s->pkts[0], keep - 1,
                                              s->lens[0] - keep, &s->a,
                                              &s->m, &s->err), -1);
    assert_int_equal(s->err.code, DIST_ERR_USAGE);
    assert_int_equal(ch->frags.n, 0);
    assert_false(declined(ch, s->pkts[0], 100, s->lens[0]));
    assert_int_equal(dist_channel_recv_placed(ch, s->pkts[0], keep,
                                              s->lens[0] - keep - 1, &s->a,
                                              &s->m, &s->err), -1);
    assert_int_equal(s->err.code, DIST_ERR_USAGE);
    assert_int_equal(ch->frags.n, 0);
    /* Placed and not received at all: dist_channel_release frees it
     * (LeakSanitizer would say otherwise). */
    dist_channel *ch2 = malloc(sizeof *ch2);
    dist_channel_init(ch2, FLAGS, &s->err);
    assert_false(declined(ch2, s->pkts[0], 100, s->lens[0]));
    dist_channel_release(ch2);
    free(ch2);

    assert_int_equal(recv_pkt(s, ch, 0), 0);
    /* Nothing placed at all. */
    misuse(s, ch, HEAD, body);
    /* A place, then one that declined (FragmentId 2 where 3 is due):
     * the first no longer holds. */
    assert_false(declined(ch, s->pkts[1], 100, s->lens[1]));
    assert_true(declined(ch, s->pkts[2], 100, s->lens[2]));
    misuse(s, ch, HEAD, body);
    /* A count other than the one placed. */
    assert_false(declined(ch, s->pkts[1], 100, s->lens[1]));
    misuse(s, ch, HEAD, body - 1);
    /* Another packet between the place and the header. */
    assert_false(declined(ch, s->pkts[1], 100, s->lens[1]));
    assert_int_equal(dist_channel_recv(ch, small, sizeof small, &s->a, &s->m,
                                       &s->err), 1);
    misuse(s, ch, HEAD, body);
    /* More than the 18 bytes kept. */
    assert_false(declined(ch, s->pkts[1], 100, s->lens[1]));
    misuse(s, ch, HEAD + 1, body);

    /* The sequence is as it was: the message still comes out. */
    assert_int_equal(ch->frags.n, 1);
    assert_int_equal(place_and_recv(s, ch, 1, 100, NULL), 0);
    assert_int_equal(recv_pkt(s, ch, 2), 0);
    assert_int_equal(place_and_recv(s, ch, 3, HEAD, NULL), 1);
    check_msg(s, &s->m, PAYLOAD);
    dist_channel_release(ch);
    free(ch);
}

/* A message in 6 fragments, its continuations as erts cuts them: while
 * one fragment is placed, dist_channel_ahead tells which full
 * continuations come next and where their pieces go; the packets that do
 * come start with dist_channel_ahead_header's bytes, and placed, go to
 * exactly those places. The last continuation, of unknown size, is never
 * predicted; nor is anything while no packet is placed. */
static void test_ahead(void **state)
{
    sent *s = *state;
    size_t size = 5 * DIST_FRAGMENT_SIZE + 8000; /* 6 pieces, the last ~8 KB */
    uint8_t *bytes = pattern(size);
    free(s->bytes);
    s->bytes = bytes;
    send_big(s, FLAGS, size);
    assert_int_equal(s->n, 6);
    dist_channel *ch = malloc(sizeof *ch);
    dist_channel_init(ch, FLAGS, &s->err);
    uint64_t seq = 0, id = 0;
    uint8_t *dst = NULL, *want_dst = NULL;
    assert_int_equal(dist_channel_ahead(ch, 32, &seq, &id, &dst), 0);
    for (size_t i = 0; i < s->n; i++) {
        /* Placed as readable() in dist/node.c places it. */
        uint8_t *head = malloc(100), *at;
        memcpy(head, s->pkts[i], 100);
        size_t keep, len = s->lens[i];
        assert_int_equal(dist_channel_place(ch, head, 100, len, &keep, &at),
                         1);
        if (want_dst != NULL) /* where the last prediction said */
            assert_ptr_equal(at, want_dst);
        size_t k = dist_channel_ahead(ch, 32, &seq, &id, &dst);
        /* Fragments 6 (the first) .. 1: after fragment f come the full
         * ones f-1 .. 2. */
        size_t f = s->n - i;
        assert_int_equal(k, f > 2 ? f - 2 : 0);
        if (k > 0) {
            assert_int_equal(seq, 0x5157);
            assert_int_equal(id, f - 1);
            assert_ptr_equal(dst, at + (len - keep));
            for (size_t j = 0; j < k; j++) {
                uint8_t h[DIST_AHEAD_HEADER];
                dist_channel_ahead_header(h, seq, id - j);
                const uint8_t *pk = s->pkts[i + 1 + j];
                assert_int_equal(s->lens[i + 1 + j] + 4, DIST_AHEAD_PACKET);
                assert_memory_equal(h, pk - 4, sizeof h);
            }
            assert_int_equal(dist_channel_ahead(ch, 1, &seq, &id, &dst), 1);
        }
        want_dst = k > 0 ? dst : NULL;
        memcpy(at, s->pkts[i] + keep, len - keep);
        int r = dist_channel_recv_placed(ch, head, keep, len - keep, &s->a,
                                         &s->m, &s->err);
        if (r < 0)
            fail_msg("recv_placed: %s", s->err.message);
        assert_int_equal(r, i + 1 == s->n);
        assert_int_equal(dist_channel_ahead(ch, 32, &seq, &id, &dst), 0);
        free(head);
    }
    check_msg(s, &s->m, size);
    dist_channel_release(ch);
    free(ch);
}

/* The whole path, as a node runs it: the packets arrive on a stream read
 * into dist_reader_iov's buffers; whenever one is under way the channel
 * is asked for a place, and a placed one is diverted there. */
static void test_reader_into_channel(void **state)
{
    sent *s = *state;
    static const size_t steps[] = {1000, 4096, 70000, 1 << 20};
    for (size_t st = 0; st < sizeof steps / sizeof *steps; st++) {
        dist_pool *pool = dist_pool_new(1 << 20);
        dist_channel *ch = malloc(sizeof *ch);
        dist_channel_init(ch, FLAGS, &s->err);
        ch->frags.pool = pool;
        dist_reader r = {0};
        const uint8_t *p, *head;
        uint8_t *dst;
        size_t len, have, total, keep;
        int msgs = 0, diverted = 0, k;
        for (size_t at = 0; at < s->out.len;) {
            size_t n = s->out.len - at < steps[st] ? s->out.len - at
                                                   : steps[st];
            at += cut(&r, s->out.data + at, n, 1, NULL);
            while ((k = dist_reader_next(&r, &p, &len, &s->err)) == 1) {
                int got = dist_channel_recv_placed(
                    ch, p, len, dist_reader_placed(&r), &s->a, &s->m, &s->err);
                if (got < 0)
                    fail_msg("recv: %s", s->err.message);
                msgs += got;
            }
            assert_int_equal(k, 0);
            if (dist_reader_pending(&r, &head, &have, &total) &&
                dist_channel_place(ch, head, have, total, &keep, &dst)) {
                dist_reader_divert(&r, keep, dst);
                diverted++;
            }
        }
        assert_int_equal(msgs, 1);
        check_msg(s, &s->m, PAYLOAD);
        if (steps[st] <= 4096) /* small reads see every fragment */
            assert_int_equal(diverted, 4);
        dist_reader_release(&r);
        dist_channel_release(ch);
        free(ch);
        dist_pool_free(pool); /* goes when teardown frees s->a's buffer */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_reuses_smallest_fit),
        cmocka_unit_test(test_pool_limits),
        cmocka_unit_test(test_pool_grow_plain_and_late_free),
        cmocka_unit_test(test_pool_reuses_latest),
        cmocka_unit_test(test_reader_divert),
        cmocka_unit_test_setup_teardown(test_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_continuations, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_place_declines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recv_placed_misuse, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reader_into_channel, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
