/*
 * frame.c -- packets of the connected phase, sans I/O.
 *
 * Once the handshake is over, each packet is a 4-byte big-endian length
 * and that many bytes. Length 0 is a tick. The reader below is fed
 * whatever the socket gave (any number of bytes, cut anywhere) and hands
 * back whole packets; it never allocates more than the bytes it was given,
 * plus room for one packet up to max_packet, so a hostile length costs
 * nothing until its bytes arrive.
 *
 * A message packet, without a distribution header, is the pass-through
 * form (protocol.md §4.1): the byte 112, then the control tuple as a
 * term with its own version byte 131, then, for operations that carry
 * one, the payload term, with its 131 too.
 */
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "dist/internal.h"

/* ---- the reader ------------------------------------------------------- */

/* The length in the 4 bytes at p. */
static size_t get32(const uint8_t *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
           p[3];
}

static size_t max_packet(const dist_reader *r)
{
    return r->max_packet ? r->max_packet : DIST_DEFAULT_MAX_PACKET;
}

/* Room for `want` more bytes in buf: what was returned already is dropped
 * first, then buf grows if still short. */
static int make_room(dist_reader *r, size_t want, dist_error *err)
{
    if (r->cap - r->len >= want)
        return 0;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->cap - r->len >= want)
        return 0;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap - r->len < want) {
        if (cap > SIZE_MAX / 2)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        cap *= 2;
    }
    uint8_t *b = realloc(r->buf, cap);
    if (b == NULL)
        return dist_fail(err, DIST_ERR_NOMEM,
                         "out of memory for a %zu-byte packet", cap);
    r->buf = b;
    r->cap = cap;
    return 0;
}

/* Counts n bytes received: first the rest of a diverted body (which
 * `data`, if not NULL, holds the first of: dist_reader_feed), then buf.
 * Returns how many went to the diverted body. */
static size_t take_diverted(dist_reader *r, const uint8_t *data, size_t n)
{
    if (r->div == NULL || r->div_left == 0)
        return 0;
    size_t k = n < r->div_left ? n : r->div_left;
    if (data != NULL && k != 0)
        memcpy(r->div, data, k);
    r->div += k;
    r->div_left -= k;
    return k;
}

int dist_reader_feed(dist_reader *r, const uint8_t *data, size_t len,
                     dist_error *err)
{
    size_t k = take_diverted(r, data, len);
    data += k;
    len -= k;
    if (len == 0)
        return 0;
    if (make_room(r, len, err) != 0)
        return -1;
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    return 0;
}

int dist_reader_iov(dist_reader *r, size_t want, struct iovec iov[2],
                    dist_error *err)
{
    int n = 0;
    if (r->div != NULL && r->div_left > 0) {
        iov[n].iov_base = r->div;
        iov[n].iov_len = r->div_left;
        n++;
    } else {
        /* Room for the rest of a large packet under way: one read can
         * then take all the socket holds of it. */
        size_t avail = r->len - r->start;
        if (r->div == NULL && avail >= 4) {
            size_t total = get32(r->buf + r->start);
            if (total <= max_packet(r) && 4 + total > avail &&
                4 + total - avail > want)
                want = 4 + total - avail;
        }
    }
    if (make_room(r, want, err) != 0)
        return -1;
    /* No more than asked: bytes read past the packet under way land in
     * the buffer, where a body that could have been diverted would have
     * to be copied out again. */
    iov[n].iov_base = r->buf + r->len;
    iov[n].iov_len = want;
    return n + 1;
}

void dist_reader_commit(dist_reader *r, size_t n)
{
    r->len += n - take_diverted(r, NULL, n);
}

int dist_reader_pending(const dist_reader *r, const uint8_t **head,
                        size_t *have, size_t *total)
{
    size_t avail = r->len - r->start;
    if (r->div != NULL || avail < 4)
        return 0;
    size_t n = get32(r->buf + r->start);
    if (n > max_packet(r) || avail - 4 >= n)
        return 0;
    *head = r->buf + r->start + 4;
    *have = avail - 4;
    *total = n;
    return 1;
}

void dist_reader_divert(dist_reader *r, size_t keep, uint8_t *dst)
{
    size_t have = r->len - r->start - 4;
    size_t total = get32(r->buf + r->start);
    memcpy(dst, r->buf + r->start + 4 + keep, have - keep);
    r->len = r->start + 4 + keep;
    r->div = dst + (have - keep);
    r->div_keep = keep;
    r->div_left = total - have;
}

int dist_reader_next(dist_reader *r, const uint8_t **pkt, size_t *len,
                     dist_error *err)
{
    r->placed = 0;
    size_t avail = r->len - r->start;
    if (r->div != NULL) {
        if (r->div_left > 0)
            return 0;
        *pkt = r->buf + r->start + 4;
        *len = r->div_keep;
        r->placed = get32(r->buf + r->start) - r->div_keep;
        r->start += 4 + r->div_keep;
        r->div = NULL;
        return 1;
    }
    if (avail < 4)
        return 0;
    const uint8_t *p = r->buf + r->start;
    size_t n = get32(p);
    if (n > max_packet(r))
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the peer announced a %zu-byte packet, more than "
                         "the %zu edist accepts", n, max_packet(r));
    if (avail - 4 < n)
        return 0;
    *pkt = p + 4;
    *len = n;
    r->start += 4 + n;
    return 1;
}

size_t dist_reader_placed(const dist_reader *r)
{
    return r->placed;
}

void dist_reader_release(dist_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* ---- messages --------------------------------------------------------- */

/* One term with its version byte, from pkt[*pos]. */
static int decode_part(const uint8_t *pkt, size_t len, size_t *pos,
                       const char *what, etf_arena *a, etf_term *out,
                       dist_error *err)
{
    if (*pos >= len || pkt[*pos] != 131)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the %s of a message does not start with the "
                         "version byte 131 (offset %zu)", what, *pos);
    etf_error e;
    size_t used;
    (*pos)++;
    if (etf_decode_term(pkt + *pos, len - *pos, NULL, a, out, &used, &e) != 0)
        return dist_fail(err, e.code == ETF_ERR_NOMEM ? DIST_ERR_NOMEM
                                                      : DIST_ERR_PROTOCOL,
                         "the %s of a message is not a valid term: %s",
                         what, e.message);
    *pos += used;
    return 0;
}

int dist_msg_decode(const uint8_t *pkt, size_t len, etf_arena *a,
                    dist_msg *out, dist_error *err)
{
    if (len == 0 || pkt[0] != DIST_PASS_THROUGH)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a message starts with byte %u, not the "
                         "pass-through tag 112 (edist did not offer the "
                         "distribution header)", len ? pkt[0] : 0);
    size_t pos = 1;
    if (decode_part(pkt, len, &pos, "control", a, &out->control, err) != 0)
        return -1;
    const etf_term *c = &out->control;
    if (c->type != ETF_TUPLE || c->n == 0 ||
        c->u.elems[0].type != ETF_INTEGER)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a control message is not a tuple that starts "
                         "with an operation number");
    out->has_payload = pos < len;
    if (out->has_payload &&
        decode_part(pkt, len, &pos, "payload", a, &out->payload, err) != 0)
        return -1;
    if (pos != len)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "%zu bytes after a message's payload", len - pos);
    return 0;
}

int dist_packet_finish(etf_buf *out, size_t start, dist_error *err)
{
    size_t n = out->len - start - 4;
    if (n > UINT32_MAX) {
        out->len = start;
        return dist_fail(err, DIST_ERR_USAGE, "a message of %zu bytes is "
                         "too large for a packet (4 GiB at most)", n);
    }
    uint8_t *p = out->data + start;
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    return 0;
}

int dist_packet_put(etf_buf *out, const uint8_t *head, size_t head_len,
                    unsigned etf_flags, const etf_atom_index *ix,
                    const etf_term *control, const etf_term *payload,
                    size_t *ctl_len, dist_error *err)
{
    static const uint8_t no_length[4] = {0, 0, 0, 0};
    size_t start = out->len;
    etf_buf_append(out, no_length, sizeof no_length);
    etf_buf_append(out, head, head_len);
    size_t ctl_at = out->len;
    etf_error e;
    int r = etf_encode_indexed(control, etf_flags, ix, out, &e);
    if (r == 0 && ctl_len != NULL)
        *ctl_len = out->len - ctl_at;
    if (r == 0 && payload != NULL)
        r = etf_encode_indexed(payload, etf_flags, ix, out, &e);
    if (r != 0) {
        out->len = start;
        return dist_fail(err, e.code == ETF_ERR_NOMEM ? DIST_ERR_NOMEM
                                                      : DIST_ERR_USAGE,
                         "cannot encode a message: %s", e.message);
    }
    if (out->failed) {
        out->len = start;
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    return dist_packet_finish(out, start, err);
}

int dist_msg_encode(const etf_term *control, const etf_term *payload,
                    etf_buf *out, dist_error *err)
{
    static const uint8_t pass_through = DIST_PASS_THROUGH;
    return dist_packet_put(out, &pass_through, 1, 0, NULL, control, payload,
                           NULL, err);
}
