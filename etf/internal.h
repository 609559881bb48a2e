/*
 * internal.h -- helpers shared by the files of etf/, not part of the API.
 *
 * Big-endian reads and writes go through these few functions so that no
 * file does byte arithmetic of its own.
 */
#ifndef EDIST_ETF_INTERNAL_H
#define EDIST_ETF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "etf/etf.h"

static inline uint16_t etf_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t etf_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t etf_get64(const uint8_t *p)
{
    return ((uint64_t)etf_get32(p) << 32) | etf_get32(p + 4);
}

static inline void etf_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void etf_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void etf_put64(uint8_t *p, uint64_t v)
{
    etf_put32(p, (uint32_t)(v >> 32));
    etf_put32(p + 4, (uint32_t)v);
}

/* One UTF-8 character from s[0..len): its length (1..4), or 0 if invalid. */
size_t etf_utf8_next(const uint8_t *s, size_t len, uint32_t *cp);
/* Writes code point cp as UTF-8; returns the length. */
size_t etf_utf8_put(uint32_t cp, uint8_t out[4]);

/* Fills *err (if not NULL) and returns -1. */
int etf_fail(etf_error *err, etf_errcode code, size_t offset,
             const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The byte value of a list element for STRING_EXT, or -1 if it is not an
 * integer 0..255. */
static inline int etf_byte_value(const etf_term *t)
{
    return t->type == ETF_INTEGER && t->u.i >= 0 && t->u.i <= 255
               ? (int)t->u.i : -1;
}

/* Is s[0..len) all ASCII? A word at a time, the last word overlapping the
 * one before it; inline, for the decoder's check of every atom name. */
static inline int etf_is_ascii(const uint8_t *s, size_t len)
{
    uint64_t w, any = 0;
    if (len >= 8) {
        for (size_t i = 0; i + 8 <= len; i += 8) {
            memcpy(&w, s + i, 8);
            any |= w;
        }
        memcpy(&w, s + len - 8, 8);
        any |= w;
    } else {
        for (size_t i = 0; i < len; i++)
            any |= s[i];
    }
    return (any & UINT64_C(0x8080808080808080)) == 0;
}

/* Shared by the printers: is the atom's name the Erlang text it would be
 * written as without quotes? */
int etf_atom_needs_quotes(const char *name, size_t len);

/* Width of UTF-8 text in characters (what a terminal column count needs). */
size_t etf_text_width(const uint8_t *s, size_t len);

/* Does a map hold a key twice (=:=)? Returns 1 and the two entry indexes
 * (first < second), 0 if every key is different, -1 out of memory.
 * map_keys.c. */
int etf_map_duplicate(const etf_term *map, uint32_t *first,
                      uint32_t *second);

/* Sorts idx[0..n) stably by less(ctx, a, b) (sort.c). Returns 0, or -1
 * out of memory (idx unchanged). */
int etf_sort_indexes(uint32_t *idx, size_t n,
                     int (*less)(void *ctx, uint32_t a, uint32_t b),
                     void *ctx);

/* The decoder's and encoder's stack is full: returns a new array of twice
 * *cap elements of `size` bytes holding the `used` ones (on the heap; the
 * old array is freed if it was there, *on_heap set, *cap doubled), or NULL
 * when out of memory (nothing changed). stack.c. */
void *etf_stack_grow(void *stack, size_t used, size_t *cap, size_t size,
                     int *on_heap);

/* A `less` for etf_sort_indexes: ctx is a map's entries (key, value,
 * key...), a and b entry numbers, keys in exact term order. */
int etf_key_less(void *kv, uint32_t a, uint32_t b);

#endif
