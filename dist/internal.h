/*
 * internal.h -- what dist/'s files share. Not part of the API.
 */
#ifndef EDIST_DIST_INTERNAL_H
#define EDIST_DIST_INTERNAL_H

#include "dist/dist.h"

/* Fills *err (if not NULL) and returns -1. */
int dist_fail(dist_error *err, dist_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends one packet to out: a 4-byte length, `head` (the framing's
 * first bytes), then control and payload (if not NULL) encoded with
 * etf_encode's `etf_flags` and the atom-cache refs of `ix` (NULL: none);
 * *ctl_len (if not NULL) gets the control term's size. Returns 0, or -1
 * with out as it was. (frame.c) */
int dist_packet_put(etf_buf *out, const uint8_t *head, size_t head_len,
                    unsigned etf_flags, const etf_atom_index *ix,
                    const etf_term *control, const etf_term *payload,
                    size_t *ctl_len, dist_error *err);

/* Writes the 4-byte length of the packet that starts at out[start] and
 * runs to the end of out. Returns 0, or -1 (out cut back to start) for a
 * packet over 4 GiB. */
int dist_packet_finish(etf_buf *out, size_t start, dist_error *err);

/* A new reference of `node` (ref.c): three words from `counter`. */
void dist_ref_fill(etf_ref *r, const etf_atom *node, uint32_t creation,
                   uint32_t counter);

/* Milliseconds of a monotonic clock. */
int64_t dist_now_ms(void);

#endif
