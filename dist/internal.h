/*
 * internal.h -- what dist/'s files share. Not part of the API.
 */
#ifndef EDIST_DIST_INTERNAL_H
#define EDIST_DIST_INTERNAL_H

#include "dist/dist.h"

/* Fills *err (if not NULL) and returns -1. */
int dist_fail(dist_error *err, dist_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A new reference of `node` (ref.c): three words from `counter`. */
void dist_ref_fill(etf_ref *r, const etf_atom *node, uint32_t creation,
                   uint32_t counter);

/* Milliseconds of a monotonic clock. */
int64_t dist_now_ms(void);

#endif
