/*
 * pool.h -- large buffers kept for reuse (dist/pool.c).
 *
 * A node that receives large messages needs a large buffer for each:
 * the reassembled bytes of a fragmented message, which its decoded terms
 * then point into until the program frees the message. Taken from malloc
 * and given back every time, such a buffer costs more than its bytes:
 * glibc returns the top of its heap to the kernel once enough of it is
 * free, and the next message faults every page in again (one 1 MiB
 * message = 256 page faults, each a trip into the kernel that zeroes a
 * page). A pool keeps a few of these buffers when they come back and
 * hands them out again, their pages still mapped and warm in the cache.
 *
 * Every buffer carries a small header before its bytes, with its size
 * and its pool, so that dist_pool_put needs nothing but the pointer: it
 * is the release function an arena calls for a buffer it adopted
 * (etf_arena_adopt). A buffer may outlive its pool: when the pool is
 * freed with buffers still out, they go to free() when they come back,
 * and the pool itself once the last one has.
 *
 * No locking: a pool belongs to one node, which runs on one thread.
 */
#ifndef EDIST_DIST_POOL_H
#define EDIST_DIST_POOL_H

#include <stddef.h>

typedef struct dist_pool dist_pool;

/* A pool that keeps at most DIST_POOL_KEEP idle buffers, of at most
 * `max_idle` bytes together. NULL when out of memory. */
dist_pool *dist_pool_new(size_t max_idle);

/* Frees the idle buffers, and the pool once no buffer of it is out. */
void dist_pool_free(dist_pool *p);

/* A buffer of at least `size` bytes: an idle one of the pool that is
 * large enough (the smallest such; of equal ones, the one given back
 * last, whose bytes are the likeliest to be in the CPU's cache still),
 * else a new one. `p` may be NULL: the
 * buffer is then a plain one that dist_pool_put frees. NULL when out of
 * memory. */
void *dist_pool_get(dist_pool *p, size_t size);

/* The bytes a buffer of dist_pool_get holds (at least what was asked). */
size_t dist_pool_size(const void *buf);

/* A buffer of at least `size` bytes with the first `used` bytes of buf
 * (which goes back to its pool, or NULL: a new buffer). NULL when out of
 * memory, buf untouched. */
void *dist_pool_grow(void *buf, size_t used, size_t size);

/* Gives a buffer back: kept for the next dist_pool_get if its pool has
 * room, else freed. NULL is ignored. */
void dist_pool_put(void *buf);

/* The most idle buffers a pool keeps. */
#define DIST_POOL_KEEP 8

#endif
