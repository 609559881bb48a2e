/*
 * ei_side.h -- libei's half of the ETF benchmark.
 *
 * libei (OTP's erl_interface) has no "decode a whole term" call: a program
 * walks the bytes with ei_get_type() and calls the matching ei_decode_*()
 * for each element. These two functions are that walk, written the way a
 * careful libei user would write it, so that libei can be timed doing what
 * etf_decode and etf_encode do:
 *
 *   ei_side_decode  ETF bytes -> the same etf_term tree etf_decode makes,
 *                   in an etf_arena (the same allocator edist uses), atoms
 *                   and pids copied out of libei's fixed buffers;
 *   ei_side_encode  etf_term tree -> ETF bytes through ei_x_encode_*().
 *
 * The tree type is edist's only because it is a convenient "something
 * usable" that both sides can fill and compare (etf_equal); nothing of
 * edist's codec runs inside these functions.
 *
 * This file is the only one of the benchmark that includes ei.h: ei.h and
 * etf.h both define NEW_FLOAT_EXT, with different spellings.
 */
#ifndef EDIST_BENCH_EI_SIDE_H
#define EDIST_BENCH_EI_SIDE_H

#include <stddef.h>

#include "etf/etf.h"

/* How ei_side_decode gets a binary's bytes. */
enum ei_side_binaries {
    EI_SIDE_BIN_POINT, /* ei_decode_bitstring: a pointer into the input,
                          as edist does (no copy) */
    EI_SIDE_BIN_COPY   /* ei_decode_binary: copied into the arena */
};

/* Decodes buf[0..len) (version byte first) into *out, allocating in `a`.
 * Returns 0, or -1 if libei refuses the bytes or the term holds something
 * this walk does not handle (funs, exports, records, compressed terms).
 * libei is not told `len`: it trusts the bytes, which is why the corpus is
 * checked by etf_decode first. */
int ei_side_decode(const unsigned char *buf, size_t len, etf_arena *a,
                   etf_term *out, enum ei_side_binaries bins);

/* An ei_x_buff kept between calls, so that encoding reuses its memory. */
typedef struct ei_side_buf ei_side_buf;

ei_side_buf *ei_side_buf_new(void);
void ei_side_buf_free(ei_side_buf *b);

/* Encodes `t` with the version byte into b, replacing what was there.
 * Returns 0 or -1. */
int ei_side_encode(ei_side_buf *b, const etf_term *t);

/* The bytes of the last ei_side_encode. */
const unsigned char *ei_side_bytes(const ei_side_buf *b, size_t *len);

#endif
