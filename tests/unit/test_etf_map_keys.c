/*
 * test_etf_map_keys.c -- the decoder refuses a map that holds a key twice,
 * as binary_to_term does (badarg), and accepts one whose keys differ.
 *
 * Each vector was given to binary_to_term on OTP 25.2.3 and OTP 29.1.2;
 * the comment above it says what they answered. Keys are "the same" when
 * they are =:=, whatever their encoding: [1, 2 | "ab"] written as a
 * LIST_EXT with a STRING_EXT tail is the STRING_EXT "\1\2ab".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "etf/etf.h"

/* #{a => 1, a => 2}. OTP 25: badarg, OTP 29: badarg. */
static const uint8_t dup_atoms[] = {
        131, 116, 0, 0, 0, 2, 119, 1, 97, 97, 1, 119, 1, 97, 97, 2,
};
/* #{[1, 2 | "ab"] => 1, "\1\2ab" => 2}: LIST_EXT with a STRING_EXT tail,
 * and a STRING_EXT. OTP 25: badarg, OTP 29: badarg. */
static const uint8_t list_vs_string[] = {
        131, 116, 0, 0, 0, 2, 108, 0, 0, 0, 2, 97, 1, 97, 2, 107,
        0, 2, 97, 98, 97, 1, 107, 0, 4, 1, 2, 97, 98, 97, 2,
};
/* #{0.0 => 1, -0.0 => 2}. OTP 25: badarg (0.0 =:= -0.0 there);
 * OTP 29: accepted (OTP 27 made them different). edist takes OTP 27's
 * side: it refuses nothing that a node can send. */
static const uint8_t zero_negzero[] = {
        131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 97,
        1, 70, 128, 0, 0, 0, 0, 0, 0, 0, 97, 2,
};
/* 40 atom keys k0..k39, then k7 again: the hash table path. OTP 25:
 * badarg, OTP 29: badarg. */
static const uint8_t big40_dup[] = {
        131, 116, 0, 0, 0, 41, 119, 2, 107, 48, 97, 0, 119, 2, 107, 49,
        97, 1, 119, 2, 107, 50, 97, 2, 119, 2, 107, 51, 97, 3, 119, 2,
        107, 52, 97, 4, 119, 2, 107, 53, 97, 5, 119, 2, 107, 54, 97, 6,
        119, 2, 107, 55, 97, 7, 119, 2, 107, 56, 97, 8, 119, 2, 107, 57,
        97, 9, 119, 3, 107, 49, 48, 97, 10, 119, 3, 107, 49, 49, 97, 11,
        119, 3, 107, 49, 50, 97, 12, 119, 3, 107, 49, 51, 97, 13, 119, 3,
        107, 49, 52, 97, 14, 119, 3, 107, 49, 53, 97, 15, 119, 3, 107, 49,
        54, 97, 16, 119, 3, 107, 49, 55, 97, 17, 119, 3, 107, 49, 56, 97,
        18, 119, 3, 107, 49, 57, 97, 19, 119, 3, 107, 50, 48, 97, 20, 119,
        3, 107, 50, 49, 97, 21, 119, 3, 107, 50, 50, 97, 22, 119, 3, 107,
        50, 51, 97, 23, 119, 3, 107, 50, 52, 97, 24, 119, 3, 107, 50, 53,
        97, 25, 119, 3, 107, 50, 54, 97, 26, 119, 3, 107, 50, 55, 97, 27,
        119, 3, 107, 50, 56, 97, 28, 119, 3, 107, 50, 57, 97, 29, 119, 3,
        107, 51, 48, 97, 30, 119, 3, 107, 51, 49, 97, 31, 119, 3, 107, 51,
        50, 97, 32, 119, 3, 107, 51, 51, 97, 33, 119, 3, 107, 51, 52, 97,
        34, 119, 3, 107, 51, 53, 97, 35, 119, 3, 107, 51, 54, 97, 36, 119,
        3, 107, 51, 55, 97, 37, 119, 3, 107, 51, 56, 97, 38, 119, 3, 107,
        51, 57, 97, 39, 119, 2, 107, 55, 97, 0,
};
/* 100 keys {x, x, x, x, x, x, x, x, N}, N = 0..99, each with the value 0,
 * then (with_dup) {x, x, x, x, x, x, x, x, 42} => 1: keys that agree on
 * everything the hash looks at, so the search gives up on hashing and
 * sorts. These bytes went to binary_to_term: with the duplicate, badarg on
 * OTP 25 and 29; without it, accepted by both. Returns the length. */
static size_t colliding_tuples(uint8_t *out, int with_dup)
{
    size_t n = 0;
    uint32_t keys = 100 + (with_dup ? 1 : 0);
    out[n++] = 131;
    out[n++] = 116; /* MAP_EXT */
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = (uint8_t)keys;
    for (uint32_t k = 0; k < keys; k++) {
        out[n++] = 104; /* SMALL_TUPLE_EXT, 9 elements */
        out[n++] = 9;
        for (int i = 0; i < 8; i++) { /* x, as SMALL_ATOM_UTF8_EXT */
            out[n++] = 119;
            out[n++] = 1;
            out[n++] = 'x';
        }
        out[n++] = 97; /* SMALL_INTEGER_EXT N */
        out[n++] = (uint8_t)(k < 100 ? k : 42);
        out[n++] = 97; /* the value */
        out[n++] = k < 100 ? 0 : 1;
    }
    return n;
}

static int decodes(const uint8_t *bytes, size_t len, etf_error *err)
{
    etf_arena a;
    etf_term t;
    etf_arena_init(&a);
    int r = etf_decode(bytes, len, NULL, &a, &t, err);
    etf_arena_release(&a);
    return r == 0;
}

static void refused(const uint8_t *bytes, size_t len, const char *message)
{
    etf_error err;
    assert_false(decodes(bytes, len, &err));
    assert_int_equal(err.code, ETF_ERR_VALUE);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.message, message);
}

static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    refused(dup_atoms, sizeof dup_atoms, "MAP_EXT at offset 1 has the same "
            "key twice (entries 1 and 2 of 2)");
    refused(list_vs_string, sizeof list_vs_string, "MAP_EXT at offset 1 "
            "has the same key twice (entries 1 and 2 of 2)");
    refused(big40_dup, sizeof big40_dup, "MAP_EXT at offset 1 has the "
            "same key twice (entries 8 and 41 of 41)");
    uint8_t tuples[4096];
    refused(tuples, colliding_tuples(tuples, 1), "MAP_EXT at offset 1 "
            "has the same key twice (entries 43 and 101 of 101)");
}

static void test_different_keys_accepted(void **state)
{
    (void)state;
    etf_error err;
    assert_true(decodes(zero_negzero, sizeof zero_negzero, &err));
    uint8_t tuples[4096];
    assert_true(decodes(tuples, colliding_tuples(tuples, 0), &err));
}

/* A duplicate inside a map inside a list is found too, and the offset is
 * that of the inner map. */
static void test_nested_duplicate(void **state)
{
    (void)state;
    uint8_t b[64] = {131, 108, 0, 0, 0, 1};
    memcpy(b + 6, dup_atoms + 1, sizeof dup_atoms - 1);
    size_t n = 6 + sizeof dup_atoms - 1;
    b[n++] = 106;
    etf_error err;
    assert_false(decodes(b, n, &err));
    assert_int_equal(err.offset, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_different_keys_accepted),
        cmocka_unit_test(test_nested_duplicate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
