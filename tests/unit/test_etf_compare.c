/*
 * test_etf_compare.c -- unit tests of etf_compare, Erlang's term order.
 *
 * The pairs below and their order were taken from a real node: OTP 25.2.3
 * evaluated A < B, A > B (the == flavour) and, for the exact flavour, the
 * key order of the map #{A => 0, B => 1} (OTP 25 keeps a small map's keys
 * sorted exactly), for each pair. Then come maps stored out of key order,
 * as OTP 26 and later send them (bytes from an OTP 29.1.2 node), and maps
 * nested in map keys, which the encoder must order the same way each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etf/etf.h"

static etf_arena arena;

static int setup(void **state)
{
    (void)state;
    etf_arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    etf_arena_release(&arena);
    return 0;
}

static etf_term parse(const char *text)
{
    etf_term t;
    etf_error err;
    if (etf_parse(text, strlen(text), &arena, &t, &err) != 0)
        fail_msg("cannot parse %s: %s", text, err.message);
    return t;
}

static etf_term decode(const uint8_t *bytes, size_t len)
{
    etf_term t;
    etf_error err;
    if (etf_decode(bytes, len, NULL, &arena, &t, &err) != 0)
        fail_msg("cannot decode: %s", err.message);
    return t;
}

static int sign(int c)
{
    return c < 0 ? -1 : c > 0;
}

/* {A, B, A compared with B by ==, by =:=} as OTP 25 says. */
static const struct {
    const char *a, *b;
    int loose, exact;
} pairs[] = {
    {"#{a => 2, b => 1}", "#{a => 1, c => 1}", -1, -1},
    {"#{1 => a}", "#{1.0 => a}", -1, -1},
    {"#{k => 1}", "#{k => 1.0}", 0, -1},
    {"9007199254740993", "9007199254740992.0", 1, -1},
    {"9007199254740992", "9007199254740992.0", 0, -1},
    {"18446744073709551616", "18446744073709551616.0", 0, -1},
    {"-18446744073709551616", "-18446744073709551616.0", 0, -1},
    {"18446744073709551617", "18446744073709551616.0", 1, -1},
    {"0.5", "0", 1, 1},
    {"-1", "-0.5", -1, -1},
    {"-9223372036854775808", "-9223372036854775808.0", 0, -1},
    {"9223372036854775807", "9223372036854775808.0", -1, -1},
    {"179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368", "1.7976931348623157e308", 0, -1},
    {"179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858369", "1.7976931348623157e308", 1, -1},
    {"1", "1.0", 0, -1},
    {"2", "1.5", 1, -1},
    {"#{1 => b, 2.0 => a}", "#{1 => a, 2 => b}", 1, 1},
    {"#{#{x => 1, y => 2} => 1, z => 2}", "#{#{x => 1, y => 3} => 0, z => 2}", -1, -1},
    {"#{b => 1, a => 1}", "#{a => 1, b => 1}", 0, 0},
    {"[1, 2.0]", "[1.0, 2]", 0, -1},
    {"{1, #{a => 1.0}}", "{1.0, #{a => 1}}", 0, -1},
    {"#{[1] => 1, [1.0] => 2}", "#{[1] => 1, [1.0] => 3}", -1, -1},
    {"0.0", "0", 0, 1},
    {"-0.0", "0", 0, 1},
    {"5.0e-324", "0", 1, 1},
    {"-5.0e-324", "0", -1, 1},
    {"4503599627370496.5", "4503599627370496", 0, 1},
    {"1", "1.0", 0, -1},
    {"[a | 1]", "[a | 1.0]", 0, -1},
    {"#{1 => 1.0}", "#{1 => 1}", 0, 1},
    {"{2, 1}", "{2.0, 0}", 1, -1}
};

static void test_pairs_as_otp_orders_them(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        etf_term a = parse(pairs[i].a), b = parse(pairs[i].b);
        int loose = sign(etf_compare(&a, &b, 0));
        int exact = sign(etf_compare(&a, &b, 1));
        if (loose != pairs[i].loose || exact != pairs[i].exact)
            fail_msg("%s vs %s: edist says %d (==) and %d (=:=), OTP "
                     "says %d and %d", pairs[i].a, pairs[i].b, loose, exact,
                     pairs[i].loose, pairs[i].exact);
        /* And the other way round. */
        assert_int_equal(sign(etf_compare(&b, &a, 0)), -loose);
        assert_int_equal(sign(etf_compare(&b, &a, 1)), -exact);
    }
    /* OTP 27 and later (OTP 25 has 0.0 =:= -0.0): -0.0 == 0.0, but not
     * =:=, and maps:keys(#{0.0 => a, -0.0 => b}) is [-0.0, 0.0]. */
    etf_term neg = etf_float(-0.0), pos = etf_float(0.0);
    assert_int_equal(etf_compare(&neg, &pos, 0), 0);
    assert_int_equal(sign(etf_compare(&neg, &pos, 1)), -1);
    assert_int_equal(sign(etf_compare(&pos, &neg, 1)), 1);
}

/* term_to_binary(#{aq1 => 1, zq1 => 2}) on OTP 29, where zq1 was made
 * first: the map arrives with zq1 first (atom-table order). */
static const uint8_t otp29_map[] = {
    131, 116, 0, 0, 0, 2, 119, 3, 122, 113, 49, 97, 2,
    119, 3, 97, 113, 49, 97, 1};
/* term_to_binary(#{#{aq1 => 1, zq1 => 2} => x, c => y}), same node. */
static const uint8_t otp29_map_in_key[] = {
    131, 116, 0, 0, 0, 2, 119, 1, 99, 119, 1, 121, 116, 0, 0, 0, 2,
    119, 3, 122, 113, 49, 97, 2, 119, 3, 97, 113, 49, 97, 1, 119, 1, 120};

static void test_maps_stored_out_of_order(void **state)
{
    (void)state;
    etf_term sent = decode(otp29_map, sizeof otp29_map);
    assert_true(etf_atom_is(&sent.u.elems[0], "zq1")); /* as sent */
    etf_term sorted = parse("#{aq1 => 1, zq1 => 2}");
    assert_true(etf_equal(&sent, &sorted));
    assert_true(etf_equal(&sorted, &sent));
    assert_int_equal(etf_compare(&sent, &sorted, 0), 0);
    etf_term other = parse("#{aq1 => 1, zq1 => 3}");
    assert_int_equal(sign(etf_compare(&sent, &other, 1)), -1);

    etf_term outer = decode(otp29_map_in_key, sizeof otp29_map_in_key);
    etf_term outer_sorted = parse("#{#{aq1 => 1, zq1 => 2} => x, c => y}");
    assert_true(etf_equal(&outer, &outer_sorted));
}

/* The encoder sorts a small map's keys; a key that holds a map stored out
 * of order must sort the same before and after a round trip, so that
 * encoding is a fixed point, and the BEAM's deterministic bytes come out:
 * c < #{...} (atoms before maps). */
static void test_encoder_fixed_point_with_map_keys(void **state)
{
    (void)state;
    etf_term t = decode(otp29_map_in_key, sizeof otp29_map_in_key);
    etf_buf e1 = {0}, e2 = {0};
    assert_int_equal(etf_encode(&t, 0, &e1, NULL), 0);
    etf_term back = decode(e1.data, e1.len);
    assert_true(etf_equal(&t, &back));
    assert_int_equal(etf_encode(&back, 0, &e2, NULL), 0);
    assert_int_equal(e1.len, e2.len);
    assert_memory_equal(e1.data, e2.data, e1.len);
    /* term_to_binary(T, [deterministic]) of the same term on OTP 29. */
    static const uint8_t want[] = {
        131, 116, 0, 0, 0, 2, 119, 1, 99, 119, 1, 121, 116, 0, 0, 0, 2,
        119, 3, 97, 113, 49, 97, 1, 119, 3, 122, 113, 49, 97, 2,
        119, 1, 120};
    assert_int_equal(e1.len, sizeof want);
    assert_memory_equal(e1.data, want, sizeof want);
    etf_buf_release(&e1);
    etf_buf_release(&e2);
}

/* Maps nested in map keys 2000 deep: sorting them must not recurse on the
 * C stack, and comparing two such terms must take linear time, not
 * exponential (each level's key map is sorted once per comparison). */
static void test_deep_maps_in_keys(void **state)
{
    (void)state;
    enum { DEPTH = 2000 };
    etf_buf text = {0};
    for (int i = 0; i < DEPTH; i++)
        etf_buf_append(&text, "#{z => 1, ", 10);
    etf_buf_append(&text, "a", 1);
    for (int i = 0; i < DEPTH; i++)
        etf_buf_append(&text, " => 2}", 6);
    etf_term a, b;
    etf_error err;
    assert_int_equal(etf_parse((const char *)text.data, text.len, &arena, &a,
                               &err), 0);
    assert_int_equal(etf_parse((const char *)text.data, text.len, &arena, &b,
                               &err), 0);
    assert_int_equal(etf_compare(&a, &b, 1), 0);
    assert_int_equal(etf_compare(&a, &b, 0), 0);
    etf_buf_release(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pairs_as_otp_orders_them,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps_stored_out_of_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_encoder_fixed_point_with_map_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_maps_in_keys, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
