/*
 * number.c -- the text of numbers: shortest round-trip floats in Erlang's
 * syntax, and integers of any size in decimal.
 *
 * Floats follow io_lib_format:fwrite_g/1 (float_to_list(F, [short]) since
 * OTP 25) exactly: take the shortest digit string that reads back as the
 * same double, then choose between plain and scientific notation by which
 * is shorter, with two twists from OTP: ties go to plain notation, and
 * whole numbers at or above 2^53 are always scientific, to show that the
 * double cannot tell N from N + 1 there.
 *
 * Bignums print in decimal by repeated division by 10^18, which is
 * quadratic in their size; past ETF_BIG_DECIMAL_LIMIT bytes (about 40 000
 * digits) they print in Erlang's base-16 syntax instead, which reads back
 * as the same integer in linear time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

#define ETF_BIG_DECIMAL_LIMIT 16384

/* Shortest digits: digits[] (no dot, no trailing zeros) and the decimal
 * exponent `place` of the last digit: |f| = digits * 10^place. */
static size_t shortest_digits(double f, char digits[24], int *place)
{
    char text[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(text, sizeof text, "%.*e", prec, f);
        if (strtod(text, NULL) == f)
            break;
    }
    /* text is "d.ddddde[+-]xx" (or "de[+-]xx"). */
    size_t n = 0;
    const char *p = text;
    if (*p == '-')
        p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    int exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    *place = exp10 - (int)(n - 1);
    return n;
}

size_t etf_format_float(double f, char out[32])
{
    char *o = out;
    if (signbit(f))
        *o++ = '-';
    if (f == 0) {
        strcpy(o, "0.0");
        return strlen(out);
    }
    char s[24];
    int place;
    size_t len = shortest_digits(f, s, &place);
    int exp = place + (int)len - 1;
    char expl[16];
    snprintf(expl, sizeof expl, "%d", exp);
    int exp_cost = (int)strlen(expl) + 2;

    if (place < 0) {
        if (exp >= 0) {
            /* The dot falls inside the digits: 123.456 */
            size_t whole = len + (size_t)place;
            memcpy(o, s, whole);
            o += whole;
            *o++ = '.';
            strcpy(o, s + whole);
            return strlen(out);
        }
        /* Plain costs "0." and the zeros; scientific costs a dot, an "e"
         * and the exponent, plus a 0 after the dot of a single digit. */
        if (2 - place - (int)len <= exp_cost + (len == 1)) {
            /* 0.000ddd */
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -place - (int)len; i++)
                *o++ = '0';
            strcpy(o, s);
            return strlen(out);
        }
    } else {
        int dot = len == 1;
        if (exp_cost + dot >= place + 2 && fabs(f) < 9007199254740992.0) {
            /* A whole number: digits, zeros, ".0" */
            memcpy(o, s, len);
            o += len;
            for (int i = 0; i < place; i++)
                *o++ = '0';
            strcpy(o, ".0");
            return strlen(out);
        }
    }
    /* d.ddde[-]x, or d.0ex for a single digit */
    *o++ = s[0];
    *o++ = '.';
    if (len == 1) {
        *o++ = '0';
    } else {
        memcpy(o, s + 1, len - 1);
        o += len - 1;
    }
    *o++ = 'e';
    strcpy(o, expl);
    return strlen(out);
}

/* Decimal of a magnitude given as little-endian bytes. */
static int big_decimal(const uint8_t *bytes, size_t n, int negative,
                       etf_buf *out)
{
    /* Limbs of 32 bits, most significant first, divided by 10^9 until
     * nothing is left; the remainders are the digits, 9 at a time. */
    size_t nlimbs = (n + 3) / 4;
    uint32_t *limb = malloc(nlimbs * sizeof *limb);
    size_t maxchunks = n * 3 / 9 + 2; /* 2.41 digits per byte, /9 */
    uint32_t *chunk = malloc(maxchunks * sizeof *chunk);
    if (limb == NULL || chunk == NULL) {
        free(limb);
        free(chunk);
        out->failed = 1;
        return -1;
    }
    for (size_t i = 0; i < nlimbs; i++) {
        uint32_t v = 0;
        for (size_t b = 0; b < 4; b++) {
            size_t idx = i * 4 + b;
            if (idx < n)
                v |= (uint32_t)bytes[idx] << (8 * b);
        }
        limb[nlimbs - 1 - i] = v;
    }
    size_t start = 0, nchunks = 0;
    while (start < nlimbs) {
        uint64_t rem = 0;
        for (size_t i = start; i < nlimbs; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunk[nchunks++] = (uint32_t)rem;
        while (start < nlimbs && limb[start] == 0)
            start++;
    }
    if (negative)
        etf_buf_putc(out, '-');
    etf_buf_printf(out, "%u", chunk[nchunks - 1]);
    for (size_t i = nchunks - 1; i-- > 0;)
        etf_buf_printf(out, "%09u", chunk[i]);
    free(limb);
    free(chunk);
    return out->failed ? -1 : 0;
}

int etf_format_integer(const etf_term *t, etf_buf *out)
{
    if (t->type == ETF_INTEGER) {
        etf_buf_printf(out, "%lld", (long long)t->u.i);
        return out->failed ? -1 : 0;
    }
    int neg = (t->flags & ETF_NEGATIVE) != 0;
    if (t->n == 0) {
        etf_buf_putc(out, '0');
        return out->failed ? -1 : 0;
    }
    if (t->n <= ETF_BIG_DECIMAL_LIMIT)
        return big_decimal(t->u.bytes, t->n, neg, out);
    /* Too large for decimal in reasonable time: 16#HEX reads back the
     * same, in Erlang and (as 0x...) in Elixir alike. */
    static const char hex[] = "0123456789ABCDEF";
    etf_buf_puts(out, neg ? "-16#" : "16#");
    size_t i = t->n;
    etf_buf_printf(out, "%X", t->u.bytes[i - 1]);
    while (--i > 0) {
        char two[2] = {hex[t->u.bytes[i - 1] >> 4], hex[t->u.bytes[i - 1] & 15]};
        etf_buf_append(out, two, 2);
    }
    return out->failed ? -1 : 0;
}
