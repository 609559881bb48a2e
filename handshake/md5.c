/*
 * md5.c -- MD5 (RFC 1321), the one hash the distribution handshake uses
 * (handshake/digest.c).
 *
 * edist carries its own MD5 rather than asking OpenSSL for one: starting
 * OpenSSL 3 (loading libcrypto, its provider tables) costs a command such
 * as `edist rpc` more time and memory than all the rest of its run
 * (bench/README.md, bench/rpc), and the handshake needs only this page.
 *
 * MD5 works on 64-byte blocks. The message is padded with one 1 bit,
 * zeros, and its length in bits as a 64-bit little-endian number, to a
 * multiple of 64 bytes. Each block goes through 64 steps, 16 in each of
 * four rounds, that mix it into the four 32-bit words of the state with
 * a round's function (F, G, H, I), a constant T[i] = floor(2^32 *
 * abs(sin(i + 1))), and a left rotation. The state after the last block,
 * little-endian, is the digest. Nothing here depends on the data's
 * values for its timing or memory access.
 */
#include <string.h>

#include "handshake/hs.h"

static const uint32_t T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
    0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

/* The rotation of each step, by round: S[round][step % 4]. */
static const unsigned S[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static uint32_t rotl(uint32_t x, unsigned n)
{
    return x << n | x >> (32 - n);
}

static void block(uint32_t st[4], const uint8_t b[64])
{
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
               (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
    uint32_t a = st[0], bb = st[1], c = st[2], d = st[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int k;
        switch (i / 16) {
        case 0: f = (bb & c) | (~bb & d); k = i; break;              /* F */
        case 1: f = (bb & d) | (c & ~d); k = (5 * i + 1) % 16; break; /* G */
        case 2: f = bb ^ c ^ d; k = (3 * i + 5) % 16; break;          /* H */
        default: f = c ^ (bb | ~d); k = (7 * i) % 16; break;          /* I */
        }
        uint32_t t = d;
        d = c;
        c = bb;
        bb = bb + rotl(a + f + T[i] + x[k], S[i / 16][i % 4]);
        a = t;
    }
    st[0] += a;
    st[1] += bb;
    st[2] += c;
    st[3] += d;
}

void hs_md5_init(hs_md5 *m)
{
    m->state[0] = 0x67452301;
    m->state[1] = 0xefcdab89;
    m->state[2] = 0x98badcfe;
    m->state[3] = 0x10325476;
    m->len = 0;
}

void hs_md5_update(hs_md5 *m, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t have = (size_t)(m->len % 64);
    m->len += n;
    if (have > 0) {
        size_t take = 64 - have < n ? 64 - have : n;
        memcpy(m->buf + have, p, take);
        p += take;
        n -= take;
        if (have + take < 64)
            return;
        block(m->state, m->buf);
    }
    for (; n >= 64; p += 64, n -= 64)
        block(m->state, p);
    memcpy(m->buf, p, n);
}

void hs_md5_final(hs_md5 *m, uint8_t out[16])
{
    uint64_t bits = m->len * 8;
    uint8_t pad[72] = {0x80};
    size_t have = (size_t)(m->len % 64);
    size_t npad = (have < 56 ? 56 : 120) - have;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (uint8_t)(bits >> (8 * i));
    hs_md5_update(m, pad, npad + 8);
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)(m->state[i / 4] >> (8 * (i % 4)));
    hs_wipe(m, sizeof *m);
}
