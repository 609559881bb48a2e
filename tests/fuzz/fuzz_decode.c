/*
 * fuzz_decode.c -- libFuzzer target for the ETF decoder, encoder and term
 * order (etf/decode.c, etf/encode.c, etf/compare.c).
 *
 * Every input goes through two paths:
 *
 *  1. etf_decode on the whole input (a standalone term: 131, then a term,
 *     possibly COMPRESSED or LOCAL_EXT). The corpus files are such terms.
 *
 *  2. etf_decode_term on the input after its first byte: up to three
 *     terms without a version byte, one after the other, as terms follow
 *     a distribution header. The first byte selects the options:
 *        bit 0  an atom cache (atom_refs) of ATOM_REFS entries, so that
 *               ATOM_CACHE_REF (82) decodes; without it 82 is an error
 *        bit 2  max_depth = 16 instead of the default
 *        bit 3  re-encode with ETF_ENCODE_COMPRESSED as well
 *     (131 = 0x83 has bit 0 set: every standalone seed also exercises the
 *     atom cache path on its body.)
 *
 * Whenever a decode succeeds the term must survive a round trip:
 *
 *     t1 = decode(input)
 *     e1 = encode(t1)         must succeed (a decoded term is encodable)
 *     t2 = decode(e1)         must succeed and be etf_equal to t1
 *     e2 = encode(t2)         must be byte-identical to e1 (fixed point)
 *     t3 = decode(encode(t1, ETF_ENCODE_COMPRESSED)) must equal t1
 *
 * and, when the printers are built in (FUZZ_WITH_PRINT, set by the Makefile
 * when etf/ defines etf_print_erlang), t1 is printed in one of the formats
 * (Erlang, Elixir, JSON; one line or 40 columns), chosen by the input's
 * size. Terms are also compared with each other: the bare terms of path 2
 * must obey the laws of a total order (antisymmetry, transitivity, =:=
 * implies ==), and no decode may take more arena than the input justifies
 * (check_arena).
 *
 * A failed check calls abort(), which libFuzzer reports as a crash and
 * saves the input. Memory is bounded: the arena may take 64 MiB and a
 * COMPRESSED term may declare at most 16 MiB.
 *
 * Every check is on for every input: the bugs the fuzzer found (see
 * regressions/ and README.md) are fixed, and `make repro` replays them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"

#ifndef FUZZ_WITH_PRINT
#define FUZZ_WITH_PRINT 0
#endif

#define ARENA_LIMIT ((size_t)64 << 20)
#define MAX_INFLATE ((size_t)16 << 20)

/* ---- helpers ------------------------------------------------------------ */

static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nfuzz_decode: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static void dump(const char *what, const uint8_t *p, size_t n)
{
    fprintf(stderr, "%s (%zu bytes):", what, n);
    for (size_t i = 0; i < n && i < 512; i++)
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", p[i]);
    fprintf(stderr, "%s\n", n > 512 ? " ..." : "");
}

static void arena_start(etf_arena *a)
{
    etf_arena_init(a);
    a->limit = ARENA_LIMIT;
}

/* The atom cache for ATOM_CACHE_REF: short and long names, Latin-1 and
 * multi-byte UTF-8, names that need quotes, the empty atom. Index 7 is a
 * 255-character atom (765 bytes). */
static char long_atom[255 * 3 + 1];
static char long_ascii[256];
static etf_atom atom_refs[16];
#define ATOM_REFS (sizeof atom_refs / sizeof atom_refs[0])

static void init_atom_refs(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    for (size_t i = 0; i < 255; i++)
        memcpy(long_atom + 3 * i, "\xe6\x97\xa5", 3); /* U+65E5 */
    memset(long_ascii, 'x', 255);
    static const char *const names[] = {
        "hello", "rt", "one", "a", "nonode@nohost", "true", "",
        NULL /* long_atom */, "Elixir.Foo.Bar", "\xc3\xa9", "with space",
        "'quote'", "undefined", NULL /* long_ascii */, "erlang", "b",
    };
    for (size_t i = 0; i < ATOM_REFS; i++) {
        const char *s = names[i];
        size_t len;
        if (i == 7) {
            s = long_atom;
            len = 255 * 3;
        } else if (i == 13) {
            s = long_ascii;
            len = 255;
        } else {
            len = strlen(s);
        }
        atom_refs[i].name = s;
        atom_refs[i].len = (uint32_t)len;
    }
}

/* ---- printing ------------------------------------------------------------ */

#if FUZZ_WITH_PRINT
static void check_printed(const char *what, int r, etf_buf *b)
{
    if (r != 0 && !b->failed)
        fail("%s returned %d without running out of memory", what, r);
    if (r == 0 && b->len > 0 && b->data[b->len] != 0)
        fail("%s left its output without a NUL terminator", what);
}

/* Prints t in one of seven ways, chosen by `which`: all of them for every
 * input would spend most of the run in the pretty-printer. */
static void print_one(const etf_term *t, unsigned which)
{
    static const etf_atom home = {"nonode@nohost", 13};
    etf_buf b = {0};
    which %= 7;
    if (which == 6) {
        check_printed("etf_print_erlang", etf_print_erlang(t, NULL, &b), &b);
    } else {
        etf_print_opts o = {(etf_format)(which / 2), which % 2 ? 40 : 0,
                            which % 2 ? 7 : 0, which % 2 ? &home : NULL};
        check_printed("etf_print", etf_print(t, &o, &b), &b);
    }
    etf_buf_release(&b);
    if (t->type == ETF_INTEGER || t->type == ETF_BIGNUM) {
        check_printed("etf_format_integer", etf_format_integer(t, &b), &b);
        etf_buf_release(&b);
    }
    if (t->type == ETF_FLOAT) {
        char text[32];
        size_t n = etf_format_float(t->u.f, text);
        if (n >= 32 || text[n] != 0)
            fail("etf_format_float wrote %zu bytes", n);
    }
}
#endif

/* ---- the round trip ------------------------------------------------------ */

/* Decodes `buf` as the path under test does: standalone (etf_decode) or
 * bare (etf_decode_term, which must then use every byte). No atom cache:
 * the encoder writes atoms by name. */
static int redecode(const uint8_t *buf, size_t len, int standalone,
                    etf_arena *a, etf_term *out, etf_error *err)
{
    etf_decode_opts o = {0};
    o.max_inflate = MAX_INFLATE;
    if (standalone)
        return etf_decode(buf, len, &o, a, out, err);
    size_t used = 0;
    if (etf_decode_term(buf, len, &o, a, out, &used, err) != 0)
        return -1;
    if (used != len)
        fail("etf_decode_term used %zu of the %zu bytes the encoder wrote",
             used, len);
    return 0;
}

static void encode_or_die(const etf_term *t, unsigned flags, etf_buf *b,
                          const char *what)
{
    etf_error err;
    if (etf_encode(t, flags, b, &err) != 0) {
        if (err.code == ETF_ERR_NOMEM)
            return; /* b->len == 0 tells the caller to stop */
        fail("%s: etf_encode failed on a decoded term: %s (%s, offset %zu)",
             what, err.message, etf_strerror(err.code), err.offset);
    }
    if (b->len == 0)
        fail("%s: etf_encode succeeded with no output", what);
}

static void roundtrip(const etf_term *t1, int standalone, int compressed)
{
    unsigned flags = standalone ? 0 : ETF_ENCODE_NO_VERSION;
    etf_buf e1 = {0}, e2 = {0};
    etf_arena a2, a3;
    etf_term t2, t3;
    etf_error err;

    encode_or_die(t1, flags, &e1, "first encoding");
    if (e1.len == 0)
        goto out;

    arena_start(&a2);
    if (redecode(e1.data, e1.len, standalone, &a2, &t2, &err) != 0) {
        if (err.code == ETF_ERR_NOMEM) /* lists of bytes cost more as
                                          LIST_EXT: may pass the limit */
            goto out2;
        dump("encoding", e1.data, e1.len);
        fail("the encoder's output does not decode: %s (%s, offset %zu)",
             err.message, etf_strerror(err.code), err.offset);
    }
    if (!etf_equal(t1, &t2)) {
        dump("encoding", e1.data, e1.len);
        fail("decode(encode(t)) is not etf_equal to t");
    }
    if (!etf_equal(&t2, t1))
        fail("etf_equal is not symmetric");

    encode_or_die(&t2, flags, &e2, "second encoding");
    if (e2.len == 0)
        goto out2;
    if ((e1.len != e2.len || memcmp(e1.data, e2.data, e1.len) != 0)) {
        dump("first encoding", e1.data, e1.len);
        dump("second encoding", e2.data, e2.len);
        fail("the encoder is not a fixed point: encode(decode(encode(t))) "
             "!= encode(t)");
    }

    /* The same through ETF_ENCODE_COMPRESSED (standalone terms only). */
    if (standalone && compressed) {
        etf_buf c = {0};
        encode_or_die(t1, ETF_ENCODE_COMPRESSED, &c, "compressed encoding");
        if (c.len != 0) {
            arena_start(&a3);
            if (redecode(c.data, c.len, 1, &a3, &t3, &err) != 0) {
                if (err.code != ETF_ERR_NOMEM) {
                    dump("compressed encoding", c.data, c.len);
                    fail("the compressed encoding does not decode: %s (%s)",
                         err.message, etf_strerror(err.code));
                }
            } else if (!etf_equal(t1, &t3)) {
                fail("decode(encode(t, compressed)) is not etf_equal to t");
            }
            etf_arena_release(&a3);
        }
        etf_buf_release(&c);
    }

out2:
    etf_arena_release(&a2);
out:
    etf_buf_release(&e1);
    etf_buf_release(&e2);
}

/* Things every decoded term must satisfy on its own. */
static void sanity(const etf_term *t)
{
    if (etf_compare(t, t, 1) != 0 || etf_compare(t, t, 0) != 0)
        fail("a term does not compare equal to itself");
}

/* "No input makes this layer allocate more than the input justifies"
 * (etf.h). A decoded term costs at most 16 bytes of etf_term per input
 * byte, plus Latin-1 atom copies and the fixed structs of pids, refs,
 * funs and records; the arena's doubling blocks may waste as much again.
 * 128 bytes per input byte (and per inflated byte of a COMPRESSED term)
 * leaves room for all of that; a decoder that allocates before checking
 * what the input can hold goes far past it. */
static void check_arena(const etf_arena *a, const uint8_t *term, size_t len,
                        const char *what)
{
    size_t inflated = 0;
    if (len >= 5 && term[0] == COMPRESSED)
        inflated = ((size_t)term[1] << 24) | ((size_t)term[2] << 16) |
                   ((size_t)term[3] << 8) | term[4];
    if (inflated > MAX_INFLATE)
        inflated = 0; /* refused before anything is allocated */
    size_t n = len + inflated;
    size_t bound = 128 * n + ((size_t)1 << 20);
    if (a->total > bound)
        fail("%s took %zu bytes of arena for a %zu-byte input (%zu "
             "inflated); the bound is %zu", what, a->total, len, inflated,
             bound);
}

/* ---- the term order ------------------------------------------------------ */

static int sign(int c)
{
    return c < 0 ? -1 : c > 0;
}

/* The laws of a total order, for both flavours, on up to three terms. */
static void check_order(const etf_term *const *ts, size_t n)
{
    for (int exact = 1; exact >= 0; exact--) {
        int c[3][3];
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                c[i][j] = sign(etf_compare(ts[i], ts[j], exact));
        for (size_t i = 0; i < n; i++) {
            if (c[i][i] != 0)
                fail("term %zu is not equal to itself (exact=%d)", i, exact);
            for (size_t j = 0; j < n; j++) {
                if (c[i][j] != -c[j][i])
                    fail("compare(%zu,%zu)=%d but compare(%zu,%zu)=%d "
                         "(exact=%d)", i, j, c[i][j], j, i, c[j][i], exact);
                if (exact && c[i][j] == 0 &&
                    etf_compare(ts[i], ts[j], 0) != 0)
                    fail("terms %zu and %zu are =:= but not ==", i, j);
                for (size_t k = 0; k < n; k++)
                    if (c[i][j] <= 0 && c[j][k] <= 0 && c[i][k] > 0)
                        fail("not transitive: t%zu <= t%zu <= t%zu but "
                             "t%zu > t%zu (exact=%d)", i, j, k, i, k, exact);
            }
        }
    }
}

/* ---- the entry point ------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    etf_arena a;
    etf_term t;
    etf_error err;
    etf_decode_opts o;

    init_atom_refs();

    /* 1. A standalone term. */
    memset(&o, 0, sizeof o);
    o.max_inflate = MAX_INFLATE;
    arena_start(&a);
    memset(&err, 0, sizeof err);
    int r1 = etf_decode(data, size, &o, &a, &t, &err);
    if (size > 1)
        check_arena(&a, data + 1, size - 1, "etf_decode");
    if (r1 == 0) {
        if (err.code != ETF_OK)
            fail("etf_decode succeeded with error code %d", err.code);
        sanity(&t);
        roundtrip(&t, 1, 1);
#if FUZZ_WITH_PRINT
        print_one(&t, (unsigned)size);
#endif
    } else if (err.code == ETF_OK) {
        fail("etf_decode failed without an error code");
    } else if (err.offset > size && !(size > 1 && data[1] == COMPRESSED)) {
        /* Offsets inside a COMPRESSED term are in the inflated data and
         * may be larger; all others are in the input. */
        fail("error offset %zu past the %zu-byte input: %s", err.offset,
             size, err.message);
    }
    etf_arena_release(&a);

    /* 2. Up to three bare terms after a mode byte, one after the other,
     *    as terms follow a distribution header. */
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    memset(&o, 0, sizeof o);
    o.max_inflate = MAX_INFLATE;
    if (mode & 1) {
        o.atom_refs = atom_refs;
        o.atom_refs_len = ATOM_REFS;
    }
    if (mode & 4)
        o.max_depth = 16;
    etf_arena as[3];
    etf_term ts[3];
    const etf_term *tp[3];
    size_t nt = 0, pos = 1;
    while (nt < 3 && pos < size) {
        size_t used = (size_t)-1;
        arena_start(&as[nt]);
        int r = etf_decode_term(data + pos, size - pos, &o, &as[nt],
                                &ts[nt], &used, &err);
        check_arena(&as[nt], data + pos, size - pos, "etf_decode_term");
        if (r != 0) {
            etf_arena_release(&as[nt]);
            break;
        }
        if (used == 0 || used > size - pos)
            fail("etf_decode_term used %zu of %zu bytes", used, size - pos);
        sanity(&ts[nt]);
        roundtrip(&ts[nt], 0, 0);
        /* The same term as a standalone one. */
        roundtrip(&ts[nt], 1, (mode & 8) != 0);
#if FUZZ_WITH_PRINT
        print_one(&ts[nt], (unsigned)(size + nt + 1));
#endif
        tp[nt] = &ts[nt];
        pos += used;
        nt++;
    }
    if (nt >= 2)
        check_order(tp, nt);
    for (size_t i = 0; i < nt; i++)
        etf_arena_release(&as[i]);
    return 0;
}
