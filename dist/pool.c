/*
 * pool.c -- large buffers kept for reuse: why, and the rules, are in
 * dist/pool.h.
 *
 * The pool is a short array of idle buffers. dist_pool_get takes the
 * smallest that is large enough; dist_pool_put keeps a buffer while the
 * pool has fewer than DIST_POOL_KEEP idle and their bytes stay within
 * max_idle, and frees it otherwise. A few messages are in flight at once,
 * so a linear search of at most eight entries is all it needs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dist/pool.h"

struct dist_pool {
    void *idle[DIST_POOL_KEEP];
    size_t n_idle;
    size_t idle_bytes, max_idle;
    size_t out;          /* buffers given out and not back yet */
    int closed;          /* dist_pool_free was called */
};

/* Before each buffer's bytes; its size keeps them aligned for any type. */
typedef union buf_head {
    struct {
        dist_pool *pool;
        size_t size;
    } h;
    max_align_t align;
} buf_head;

static buf_head *head_of(const void *buf)
{
    return (buf_head *)buf - 1;
}

dist_pool *dist_pool_new(size_t max_idle)
{
    dist_pool *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->max_idle = max_idle;
    return p;
}

void dist_pool_free(dist_pool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_idle; i++)
        free(head_of(p->idle[i]));
    p->n_idle = 0;
    p->idle_bytes = 0;
    p->closed = 1;
    if (p->out == 0)
        free(p);
}

void *dist_pool_get(dist_pool *p, size_t size)
{
    if (p != NULL) {
        size_t best = p->n_idle;
        for (size_t i = p->n_idle; i-- > 0;) {
            size_t s = head_of(p->idle[i])->h.size;
            if (s >= size &&
                (best == p->n_idle || s < head_of(p->idle[best])->h.size))
                best = i;
        }
        if (best < p->n_idle) {
            void *buf = p->idle[best];
            memmove(&p->idle[best], &p->idle[best + 1],
                    (--p->n_idle - best) * sizeof p->idle[0]);
            p->idle_bytes -= head_of(buf)->h.size;
            p->out++;
            return buf;
        }
    }
    if (size > SIZE_MAX - sizeof(buf_head))
        return NULL;
    buf_head *h = malloc(sizeof *h + size);
    if (h == NULL)
        return NULL;
    h->h.pool = p;
    h->h.size = size;
    if (p != NULL)
        p->out++;
    return h + 1;
}

size_t dist_pool_size(const void *buf)
{
    return head_of(buf)->h.size;
}

void *dist_pool_grow(void *buf, size_t used, size_t size)
{
    dist_pool *p = buf != NULL ? head_of(buf)->h.pool : NULL;
    void *nb = dist_pool_get(p, size);
    if (nb == NULL)
        return NULL;
    if (used != 0)
        memcpy(nb, buf, used);
    dist_pool_put(buf);
    return nb;
}

void dist_pool_put(void *buf)
{
    if (buf == NULL)
        return;
    buf_head *h = head_of(buf);
    dist_pool *p = h->h.pool;
    if (p == NULL) {
        free(h);
        return;
    }
    p->out--;
    if (!p->closed && p->n_idle < DIST_POOL_KEEP &&
        p->idle_bytes <= p->max_idle &&
        h->h.size <= p->max_idle - p->idle_bytes) {
        p->idle[p->n_idle++] = buf;
        p->idle_bytes += h->h.size;
        return;
    }
    free(h);
    if (p->closed && p->out == 0)
        free(p);
}
