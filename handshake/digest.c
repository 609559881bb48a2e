/*
 * digest.c -- the proof that both sides know the cookie, and the random
 * challenges it is computed from (OpenSSL).
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
 * Comparisons go through CRYPTO_memcmp, whose time does not depend on
 * where the first difference is, so that a peer cannot find the right
 * digest byte by byte by timing our answers.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "handshake/hs.h"

int hs_digest(const uint8_t *cookie, size_t cookie_len, uint32_t challenge,
              uint8_t out[16])
{
    char decimal[11]; /* 4294967295 */
    int dlen = snprintf(decimal, sizeof decimal, "%lu", (unsigned long)challenge);
    unsigned int mdlen = 0;
    int ok = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md != NULL && EVP_DigestInit_ex(md, EVP_md5(), NULL) == 1 &&
        EVP_DigestUpdate(md, cookie, cookie_len) == 1 &&
        EVP_DigestUpdate(md, decimal, (size_t)dlen) == 1 &&
        EVP_DigestFinal_ex(md, out, &mdlen) == 1 && mdlen == 16)
        ok = 1;
    EVP_MD_CTX_free(md); /* also wipes the context */
    return ok ? 0 : -1;
}

int hs_digest_equal(const uint8_t a[16], const uint8_t b[16])
{
    return CRYPTO_memcmp(a, b, 16) == 0;
}

int hs_challenge_random(uint32_t *out)
{
    unsigned char b[4];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}
