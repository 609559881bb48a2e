/*
 * build.c -- making terms by hand: the small constructors that the parser,
 * the tests and the layers above use instead of filling etf_term fields.
 */
#include <string.h>

#include "etf/etf.h"

etf_term etf_int(int64_t i)
{
    etf_term t = {.type = ETF_INTEGER};
    t.u.i = i;
    return t;
}

etf_term etf_float(double f)
{
    etf_term t = {.type = ETF_FLOAT};
    t.u.f = f;
    return t;
}

etf_term etf_atom_n(const char *name, size_t len)
{
    etf_term t = {.type = ETF_ATOM, .n = (uint32_t)len};
    t.u.atom = name;
    return t;
}

etf_term etf_atom_z(const char *name)
{
    return etf_atom_n(name, strlen(name));
}

etf_term etf_nil(void)
{
    etf_term t = {.type = ETF_NIL};
    return t;
}

etf_term etf_binary(const void *data, size_t len)
{
    etf_term t = {.type = ETF_BINARY, .n = (uint32_t)len};
    t.u.bytes = data;
    return t;
}

static etf_term container(etf_arena *a, etf_type type, uint32_t n,
                          size_t slots)
{
    etf_term t = {.type = (uint8_t)type, .n = n};
    t.u.elems = NULL;
    if (slots == 0)
        return t;
    if (slots > SIZE_MAX / sizeof(etf_term) ||
        (t.u.elems = etf_arena_alloc(a, slots * sizeof(etf_term))) == NULL)
        t.type = 0;
    return t;
}

etf_term etf_tuple(etf_arena *a, uint32_t arity)
{
    return container(a, ETF_TUPLE, arity, arity);
}

etf_term etf_list(etf_arena *a, uint32_t len)
{
    if (len == 0)
        return etf_nil();
    etf_term t = container(a, ETF_LIST, len, (size_t)len + 1);
    if (t.type != 0)
        t.u.elems[len] = etf_nil();
    return t;
}

etf_term etf_map(etf_arena *a, uint32_t arity)
{
    return container(a, ETF_MAP, arity, 2 * (size_t)arity);
}

int etf_atom_is(const etf_term *t, const char *name)
{
    size_t n = strlen(name);
    return t->type == ETF_ATOM && t->n == n && memcmp(t->u.atom, name, n) == 0;
}
