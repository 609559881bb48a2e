/*
 * digest.c -- the proof that both sides know the cookie, and the random
 * challenges it is computed from.
 *
 * Each side sends the other a random 32-bit challenge and gets back
 *
 *     digest = MD5(cookie ++ integer_to_list(challenge))
 *
 * (dist_util:gen_digest/2): the cookie's bytes followed by the challenge
 * written in decimal, unsigned, without leading zeros. Neither the cookie
 * nor anything derived from it alone crosses the network, and a fresh
 * challenge per connection keeps a recorded digest from being replayed.
 * MD5 is weak today, but it is what every node speaks; the cookie is a
 * shared password, not a key (use TLS distribution where that matters).
 *
 * Digests are compared in a time that does not depend on where the
 * first difference is, so that a peer cannot find the right
 * digest byte by byte by timing our answers.
 */
#include <stdio.h>
#include <string.h>

#include "handshake/hs.h"

int hs_digest(const uint8_t *cookie, size_t cookie_len, uint32_t challenge,
              uint8_t out[16])
{
    char decimal[11]; /* 4294967295 */
    int dlen = snprintf(decimal, sizeof decimal, "%lu", (unsigned long)challenge);
    hs_md5 m;
    hs_md5_init(&m);
    hs_md5_update(&m, cookie, cookie_len);
    hs_md5_update(&m, decimal, (size_t)dlen);
    hs_md5_final(&m, out); /* also wipes the context */
    return 0;
}

int hs_digest_equal(const uint8_t a[16], const uint8_t b[16])
{
    /* Every byte is looked at, whatever the first difference. */
    volatile uint8_t diff = 0;
    for (int i = 0; i < 16; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

int hs_challenge_random(uint32_t *out)
{
    unsigned char b[4];
    if (hs_random_bytes(b, sizeof b) != 0)
        return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}
