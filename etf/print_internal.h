/*
 * print_internal.h -- what the printer's layout (print.c) and its leaf
 * writers (print_leaf.c) share. Not part of the API.
 */
#ifndef EDIST_ETF_PRINT_INTERNAL_H
#define EDIST_ETF_PRINT_INTERNAL_H

#include "etf/etf.h"

typedef struct printer {
    etf_format fmt;
    etf_buf *out;
    unsigned width;           /* 0: one line */
    const etf_atom *home_node;
    size_t start;             /* out->len when printing began */
    unsigned col0;            /* column of out->data[start] */
} printer;

/* One item of a container: [label] [key] [mid] value. */
typedef struct item {
    const etf_term *key;   /* a key printed as a term, or NULL */
    const char *label;     /* a key printed as text ("a: "), or NULL */
    uint32_t label_len;
    int label_atom;        /* label is an atom name, quoted as needed */
    const char *mid;       /* " => ", " = ", or NULL */
    const etf_term *value;
    int tail;              /* the tail of an improper list */
} item;

/* A container broken into items. */
typedef struct expansion {
    const char *open, *close, *sep;
    item *items;
    size_t n;
    etf_term *scratch;     /* element terms made for STRING segments */
    char *open_owned;      /* `open`, when it was built (records, structs) */
    char *labels;          /* label text built for the items */
    int tag_tuple;         /* Erlang tuple whose first element is an atom */
} expansion;

/* Writes a term that has no items. */
void write_leaf(printer *p, const etf_term *t);

/* An atom in Erlang syntax, quoted if it must be. */
void write_atom_erlang(etf_buf *out, const char *name, size_t len);

/* Does this list print as a string ("abc" in Erlang, ~c"abc" in Elixir)? */
int list_prints_as_string(const printer *p, const etf_term *t);

/* Elixir: turn a list of {atom, value} pairs into keyword items. */
void elixir_keywords(expansion *x);

/* Elixir: %{a: 1}, %{"k" => 1}, %Struct{...}. */
int elixir_expand_map(const etf_term *t, expansion *x);

/* Gives every item a label (a key written as text: "a: ", "\"k\": "):
 * write() appends item i's label to out, and may change the item. The
 * labels live in one buffer that the expansion owns. */
int label_items(expansion *x,
                void (*write)(etf_buf *out, item *it, size_t i,
                              const void *ctx),
                const void *ctx);

/* A JSON string of UTF-8 text, quotes included. */
void json_string(etf_buf *out, const uint8_t *s, size_t len);

#endif
