/*
 * test_hs_md5.c -- unit tests of edist's MD5 (handshake/md5.c) with the
 * test suite of RFC 1321 (appendix A.5), fed whole and in pieces of every
 * size so that the block buffering is exercised; a message across the
 * 56-byte padding boundary; and the random bytes the handshake draws.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "handshake/hs.h"

static const struct {
    const char *text, *md5;
} rfc1321[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890"
     "1234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
    /* 56 bytes: the length no longer fits in the last block. */
    {"12345678901234567890123456789012345678901234567890123456",
     "49f193adce178490e34d1b3a4ec0064c"},
};

static void hex(const uint8_t d[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_rfc1321(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc1321 / sizeof rfc1321[0]; i++) {
        const char *t = rfc1321[i].text;
        size_t n = strlen(t);
        /* Whole, then in pieces of every size from 1 to 70. */
        for (size_t piece = 0; piece <= 70; piece++) {
            hs_md5 m;
            hs_md5_init(&m);
            if (piece == 0) {
                hs_md5_update(&m, t, n);
            } else {
                for (size_t at = 0; at < n; at += piece)
                    hs_md5_update(&m, t + at, n - at < piece ? n - at : piece);
            }
            uint8_t d[16];
            char h[33];
            hs_md5_final(&m, d);
            hex(d, h);
            assert_string_equal(h, rfc1321[i].md5);
        }
    }
}

/* The handshake's digest: MD5 of the cookie and the challenge in
 * decimal; checked against `erlang:md5("secret" ++ "4294967295")`. */
static void test_digest(void **state)
{
    (void)state;
    uint8_t d[16];
    char h[33];
    assert_int_equal(hs_digest((const uint8_t *)"secret", 6, 4294967295u, d),
                     0);
    hex(d, h);
    assert_string_equal(h, "5dfd181e69aa587cc812eb333e6536b6");
    uint8_t e[16];
    memcpy(e, d, 16);
    assert_true(hs_digest_equal(d, e));
    e[15] ^= 1;
    assert_false(hs_digest_equal(d, e));
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    assert_int_equal(hs_random_bytes(a, sizeof a), 0);
    assert_int_equal(hs_random_bytes(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    hs_wipe(a, sizeof a);
    assert_memory_equal(a, zero, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1321),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
