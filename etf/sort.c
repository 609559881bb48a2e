/*
 * sort.c -- the one sort etf/ needs: map entries by key.
 *
 * Three places order a map's entries by their keys: the comparison (a map
 * compares by its sorted keys), the duplicate-key check (its fallback),
 * and the parser (a map literal's keys, the last of equal keys winning).
 * They sort an array of entry indexes with a bottom-up merge sort: stable,
 * n log n comparisons whatever the input, and no recursion.
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

int etf_sort_indexes(uint32_t *idx, size_t n,
                     int (*less)(void *ctx, uint32_t a, uint32_t b),
                     void *ctx)
{
    if (n < 2)
        return 0;
    uint32_t *tmp = malloc(n * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            /* Take from the right run only if strictly less: stable. */
            while (x < mid && y < hi)
                tmp[k++] = less(ctx, idx[y], idx[x]) ? idx[y++] : idx[x++];
            while (x < mid)
                tmp[k++] = idx[x++];
            while (y < hi)
                tmp[k++] = idx[y++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
    free(tmp);
    return 0;
}

/* Exact term order of the keys kv[2 * a] and kv[2 * b]. */
int etf_key_less(void *kv, uint32_t a, uint32_t b)
{
    const etf_term *t = kv;
    return etf_compare(&t[2 * a], &t[2 * b], 1) < 0;
}
