/*
 * fragments.c -- the table of messages that arrive in fragments.
 *
 * With DFLAG_FRAGMENTS, erts does not send a large message in one packet
 * that would hold up everything else on the connection: it cuts the
 * message's bytes in pieces of 64 KiB (ERTS_DIST_FRAGMENT_SIZE) and lets
 * other processes' messages go between them (erts/emulator/beam/dist.c,
 * erts_dsig_send and erts_net_message). The packets:
 *
 *   first:        131 | 69 | [8] SequenceId | [8] FragmentId |
 *                 AtomCacheRefs | Control | first part of Payload
 *   continuation: 131 | 70 | [8] SequenceId | [8] FragmentId |
 *                 next part of Payload
 *
 * SequenceId is the sending process's pid (its internal word), so it is
 * unique among the messages in flight: one process finishes a message
 * before it starts the next. FragmentId counts down: the first fragment
 * carries the number of fragments N, then N-1, ..., and the last 1. A
 * message of one fragment (FragmentId 1 at once) is complete: OTP 25 to
 * 29 send one for a message just under 64 KiB. The atom-cache refs of the
 * first fragment's header hold for the whole message, and the cache
 * changes they make apply at once, to every message after it.
 *
 * The receiver keeps one entry per SequenceId between its first and last
 * fragment: the next FragmentId due, the atoms of the header (copied:
 * later headers may overwrite the cache slots), and the bytes so far. erts
 * kills the connection when a continuation has no first fragment, or a
 * FragmentId is not the one due, or a first fragment reuses a SequenceId
 * in progress; so does edist (dist/channel.c checks them with this
 * table). Different sequences do interleave: two processes of an OTP 25,
 * 27 or 29 node sending 1 MiB each at once give fragments 17..2 of the
 * one, 17..2 of the other, then the last of each.
 *
 * erts bounds none of this but by memory; edist bounds the number of
 * messages in progress (max_sequences), the size of one (max_message) and
 * the bytes held for all (max_buffered), counting the buffers as
 * allocated. A buffer starts with room for the fragments announced (at
 * most 16 MiB) and then grows by doubling, never past what the limits
 * leave, so the memory held is at most max_buffered whatever the peer
 * sends. When the last fragment comes, the buffer is handed to the
 * message's arena as it is: the terms point into it, nothing is copied.
 * The buffers come from the table's pool (dist/pool.h), when the node
 * gave it one, and go back there when the message is freed, so that a
 * stream of large messages reuses a few buffers instead of faulting in
 * fresh pages for each. A continuation's bytes may also arrive in the
 * buffer without passing through this file's copy: dist_channel_place
 * reserves their room (dist_frag_reserve) and the node receives them
 * there straight from the socket.
 * The table is a small array searched in order: a few messages are in
 * flight at once, 256 at most, and a search costs nothing next to the
 * 64 KiB copied per fragment.
 */
#include <stdlib.h>
#include <string.h>

#include "dist/channel.h"
#include "dist/internal.h"
#include "dist/pool.h"

/* The most a sequence's first buffer reserves for the fragments its first
 * fragment announces; a larger message grows by doubling. */
#define FIRST_BUFFER_MAX ((size_t)16 << 20)

void dist_frag_init(dist_frag_table *t)
{
    memset(t, 0, sizeof *t);
    t->max_sequences = DIST_DEFAULT_MAX_SEQUENCES;
    t->max_message = DIST_DEFAULT_MAX_PACKET;
    t->max_buffered = DIST_DEFAULT_MAX_PACKET;
}

dist_frag_seq *dist_frag_find(const dist_frag_table *t, uint64_t seq_id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->seq[i]->seq_id == seq_id)
            return t->seq[i];
    return NULL;
}

int dist_frag_open(dist_frag_table *t, uint64_t seq_id, uint64_t count,
                   dist_frag_seq **out, dist_error *err)
{
    if (dist_frag_find(t, seq_id) != NULL)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a first fragment (131,69) for SequenceId %llu, "
                         "whose previous message is not complete yet",
                         (unsigned long long)seq_id);
    if (t->n >= t->max_sequences)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "a first fragment (131,69) for SequenceId %llu "
                         "while %zu fragmented messages are in progress, "
                         "the most edist accepts",
                         (unsigned long long)seq_id, t->n);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        dist_frag_seq **p = realloc(t->seq, cap * sizeof *p);
        if (p == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        t->seq = p;
        t->cap = cap;
    }
    dist_frag_seq *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    s->seq_id = seq_id;
    s->next_id = count - 1;
    t->seq[t->n++] = s;
    *out = s;
    return 0;
}

/* The size of a sequence's first buffer: room for every fragment still
 * announced (the one being added included), as erts fills them, but
 * never more than FIRST_BUFFER_MAX or max_message: a claim of many
 * fragments costs nothing until their bytes come. */
static size_t first_buffer(const dist_frag_table *t, const dist_frag_seq *s)
{
    size_t most = t->max_message < FIRST_BUFFER_MAX ? t->max_message
                                                    : FIRST_BUFFER_MAX;
    uint64_t fragments = s->next_id + 1; /* next_id < UINT64_MAX */
    return fragments > most / DIST_FRAGMENT_SIZE
               ? most : (size_t)fragments * DIST_FRAGMENT_SIZE;
}

/* Adds `extra` bytes to what s holds, within max_buffered. */
static int count_bytes(dist_frag_table *t, dist_frag_seq *s, size_t extra,
                       dist_error *err)
{
    if (t->buffered > t->max_buffered ||
        extra > t->max_buffered - t->buffered)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "fragmented messages in progress would hold more "
                         "than %zu bytes, the most edist accepts "
                         "(SequenceId %llu)", t->max_buffered,
                         (unsigned long long)s->seq_id);
    t->buffered += extra;
    s->counted += extra;
    return 0;
}

int dist_frag_keep_refs(dist_frag_table *t, dist_frag_seq *s,
                        const etf_atom *refs, size_t nrefs,
                        dist_error *err)
{
    if (nrefs == 0)
        return 0;
    /* nrefs <= 255 names of <= 1020 bytes: no overflow. */
    size_t size = nrefs * sizeof(etf_atom);
    for (size_t i = 0; i < nrefs; i++)
        size += refs[i].len;
    if (count_bytes(t, s, size, err) != 0)
        return -1;
    etf_atom *copy = malloc(size);
    if (copy == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    char *names = (char *)(copy + nrefs);
    for (size_t i = 0; i < nrefs; i++) {
        if (refs[i].len != 0)
            memcpy(names, refs[i].name, refs[i].len);
        copy[i].name = names;
        copy[i].len = refs[i].len;
        names += refs[i].len;
    }
    s->refs = copy;
    s->nrefs = nrefs;
    return 0;
}

int dist_frag_reserve(dist_frag_table *t, dist_frag_seq *s, size_t n,
                      dist_error *err)
{
    if (n > t->max_message || s->len > t->max_message - n)
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "the fragmented message of SequenceId %llu is "
                         "larger than %zu bytes, the most edist accepts",
                         (unsigned long long)s->seq_id, t->max_message);
    size_t need = s->len + n;
    if (need > s->cap) {
        /* The first buffer has room for all the fragments announced
         * (erts puts DIST_FRAGMENT_SIZE bytes of message in each), so
         * that a message from erts is never moved as it grows. Past that,
         * double, within max_message and what max_buffered leaves;
         * exactly `need` if doubling does not fit. */
        size_t cap = s->cap == 0 ? first_buffer(t, s)
                     : s->cap > t->max_message / 2 ? t->max_message
                                                   : s->cap * 2;
        if (cap < need)
            cap = need;
        size_t left = t->buffered <= t->max_buffered
                          ? t->max_buffered - t->buffered : 0;
        if (cap - s->cap > left)
            cap = need;
        if (count_bytes(t, s, cap - s->cap, err) != 0)
            return -1;
        uint8_t *b = s->data != NULL ? dist_pool_grow(s->data, s->len, cap)
                                     : dist_pool_get(t->pool, cap);
        if (b == NULL) {
            t->buffered -= cap - s->cap;
            s->counted -= cap - s->cap;
            return dist_fail(err, DIST_ERR_NOMEM,
                             "out of memory for a %zu-byte fragmented "
                             "message", cap);
        }
        s->data = b;
        s->cap = cap;
    }
    return 0;
}

int dist_frag_append(dist_frag_table *t, dist_frag_seq *s,
                     const uint8_t *p, size_t n, dist_error *err)
{
    if (dist_frag_reserve(t, s, n, err) != 0)
        return -1;
    if (n != 0)
        memcpy(s->data + s->len, p, n);
    s->len += n;
    return 0;
}

void dist_frag_drop(dist_frag_table *t, dist_frag_seq *s)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->seq[i] == s) {
            t->seq[i] = t->seq[--t->n];
            break;
        }
    }
    t->buffered -= s->counted;
    dist_pool_put(s->data);
    free(s->refs);
    free(s);
}

void dist_frag_release(dist_frag_table *t)
{
    while (t->n > 0)
        dist_frag_drop(t, t->seq[t->n - 1]);
    free(t->seq);
    t->seq = NULL;
    t->cap = 0;
    t->buffered = 0;
}
