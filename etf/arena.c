/*
 * arena.c -- the bump allocator that decoded and parsed terms live in.
 *
 * A decoded term is a tree of many small pieces that all die together, when
 * the message they came in has been handled. Giving each piece to malloc
 * would cost a call per piece and a walk of the tree to free it; instead the
 * arena takes memory from malloc in blocks that grow geometrically and hands
 * it out by moving a pointer. etf_arena_release frees the blocks.
 *
 * The arena's optional `limit` lets a caller bound what one hostile message
 * may make it allocate.
 *
 * A caller may also hand the arena a buffer it already has
 * (etf_arena_adopt): the arena only records it, in a list kept in its own
 * blocks, and gives it back with them (to free, or to the release
 * function the caller named).
 */
#include <stdlib.h>

#include "etf/etf.h"

struct etf_arena_block {
    struct etf_arena_block *next;
    size_t size, used;
    /* Terms need 8-byte alignment: max_align_t covers it. */
    _Alignas(max_align_t) unsigned char data[];
};

/* The first block, header included, is 1 KiB: small enough for the
 * C library's per-thread cache of small chunks (glibc's tcache stops at
 * 1032 bytes), so that decoding a small message into a fresh arena and
 * releasing it costs no trip through the general allocator. Larger terms
 * double from there. */
#define ARENA_FIRST_MALLOC 1024
#define ARENA_FIRST_BLOCK  (ARENA_FIRST_MALLOC - sizeof(struct etf_arena_block))
#define ARENA_MAX_BLOCK   (1u << 24)

/* A buffer from etf_arena_adopt; the record lives in the arena itself. */
struct etf_arena_owned {
    struct etf_arena_owned *next;
    void *mem;
    void (*release)(void *mem);   /* NULL: free */
};

void etf_arena_init(etf_arena *a)
{
    a->head = NULL;
    a->total = 0;
    a->limit = 0;
    a->owned = NULL;
}

void *etf_arena_alloc(etf_arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    struct etf_arena_block *b = a->head;

    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    if (b != NULL && b->size - b->used >= size) {
        void *p = b->data + b->used;
        b->used += size;
        return p;
    }

    /* A new block: twice the last one, up to ARENA_MAX_BLOCK, or exactly
     * what a larger request needs. */
    size_t want = b != NULL ? b->size * 2 : ARENA_FIRST_BLOCK;
    if (want > ARENA_MAX_BLOCK)
        want = ARENA_MAX_BLOCK;
    if (want < size)
        want = size;
    if (want > SIZE_MAX - sizeof *b)
        return NULL;
    if (a->limit != 0 && (a->total > a->limit || want > a->limit - a->total))
        return NULL;
    struct etf_arena_block *nb = malloc(sizeof *nb + want);
    if (nb == NULL)
        return NULL;
    nb->size = want;
    nb->used = size;
    a->total += want;
    /* A block made for one large request goes behind the current one, so
     * that the current block's free space is not lost. */
    if (b != NULL && want == size && b->size - b->used > 256) {
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        a->head = nb;
    }
    return nb->data;
}

int etf_arena_adopt(etf_arena *a, void *mem, void (*release)(void *mem))
{
    struct etf_arena_owned *o = etf_arena_alloc(a, sizeof *o);
    if (o == NULL)
        return -1;
    o->mem = mem;
    o->release = release;
    o->next = a->owned;
    a->owned = o;
    return 0;
}

/* Frees the adopted buffers (before the blocks that hold their records). */
static void free_owned(etf_arena *a)
{
    for (struct etf_arena_owned *o = a->owned; o != NULL; o = o->next) {
        if (o->release != NULL)
            o->release(o->mem);
        else
            free(o->mem);
    }
    a->owned = NULL;
}

void etf_arena_release(etf_arena *a)
{
    free_owned(a);
    struct etf_arena_block *b = a->head;
    while (b != NULL) {
        struct etf_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

/* Empty the arena but keep its memory. A single block is
 * rewound; several are replaced by one block of their total size, so the
 * next term as large as this one decodes with no malloc at all. */
void etf_arena_reset(etf_arena *a)
{
    free_owned(a);
    struct etf_arena_block *b = a->head;
    if (b == NULL)
        return;
    if (b->next == NULL) {
        b->used = 0;
        return;
    }
    size_t total = a->total;
    etf_arena_release(a);
    struct etf_arena_block *nb = malloc(sizeof *nb + total);
    if (nb == NULL)
        return;
    nb->next = NULL;
    nb->size = total;
    nb->used = 0;
    a->head = nb;
    a->total = total;
}
