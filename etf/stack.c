/*
 * stack.c -- the explicit stack of the decoder and the encoder.
 *
 * Both walk a term with a stack of their own instead of recursing, so a
 * term nested 100 000 deep needs no C stack. Nearly every term nests only
 * a few levels, so the stack starts as a small array on the caller's C
 * stack and costs no malloc; only a deeper term moves it to the heap,
 * where it then doubles as it must.
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

void *etf_stack_grow(void *stack, size_t used, size_t *cap, size_t size,
                     int *on_heap)
{
    if (*cap > SIZE_MAX / 2 / size)
        return NULL;
    size_t n = *cap * 2;
    void *s;
    if (!*on_heap) {
        s = malloc(n * size);
        if (s != NULL)
            memcpy(s, stack, used * size);
    } else {
        s = realloc(stack, n * size);
    }
    if (s == NULL)
        return NULL;
    *on_heap = 1;
    *cap = n;
    return s;
}
