/*
 * internal.h -- helpers shared by the files of epmd/, not part of the API.
 *
 * Big-endian reads and writes go through these few functions so that no
 * file does byte arithmetic of its own.
 */
#ifndef EDIST_EPMD_INTERNAL_H
#define EDIST_EPMD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "epmd/epmd.h"

static inline uint16_t epmd_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t epmd_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void epmd_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Fills *err (if not NULL) and returns -1. */
int epmd_fail(epmd_error *err, epmd_errcode code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Puts "PREFIX: " in front of err's message, keeping the code: the
 * layers that know what a connection was for add it this way. */
void epmd_prefix(epmd_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "host:port", or "[v6addr]:port" for an IPv6 address, for messages. */
void epmd_host_port(char *out, size_t cap, const char *host, uint16_t port);

/* Milliseconds on a clock that only moves forward. */
int64_t epmd_now_ms(void);

#endif
