/*
 * buf.c -- etf_buf, the growing output array of the encoder and printers.
 *
 * Writers append without checking each call: a failed allocation marks the
 * buffer `failed`, later appends do nothing, and the writer reports the
 * failure once at the end. The data is kept NUL-terminated so that printed
 * text can be handed to stdio directly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"

int etf_buf_reserve(etf_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra >= SIZE_MAX - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1; /* + 1 for the NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void etf_buf_append(etf_buf *b, const void *p, size_t n)
{
    if (etf_buf_reserve(b, n) != 0)
        return;
    if (n != 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void etf_buf_puts(etf_buf *b, const char *s)
{
    etf_buf_append(b, s, strlen(s));
}

void etf_buf_putc(etf_buf *b, char c)
{
    if (etf_buf_reserve(b, 1) != 0)
        return;
    b->data[b->len++] = (uint8_t)c;
    b->data[b->len] = 0;
}

void etf_buf_printf(etf_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[128];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        etf_buf_append(b, small, (size_t)n);
        return;
    }
    if (etf_buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void etf_buf_release(etf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
