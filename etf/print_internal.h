/*
 * print_internal.h -- what the printer's parts share: the expansions and
 * outlines of print.c, the leaf writers of print_leaf.c and the layouts
 * of pretty_erlang.c and pretty_elixir.c. Not part of the API.
 */
#ifndef EDIST_ETF_PRINT_INTERNAL_H
#define EDIST_ETF_PRINT_INTERNAL_H

#include "etf/etf.h"

typedef struct printer {
    etf_format fmt;
    etf_buf *out;
    const etf_atom *home_node;
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

/* What kind of container an expansion is; the layouts break each kind
 * in its own way. */
typedef enum shape {
    SHAPE_LIST,   /* [...] (and JSON arrays) */
    SHAPE_TUPLE,  /* {...} */
    SHAPE_MAP,    /* #{...}, %{...} (and JSON objects) */
    SHAPE_RECORD  /* #m:n{...} */
} shape;

/* A container broken into items. */
typedef struct expansion {
    shape shape;
    const char *open, *close, *sep;
    item *items;
    size_t n;
    etf_term *scratch;     /* element terms made for STRING segments */
    char *open_owned;      /* `open`, when it was built (records, structs) */
    char *labels;          /* label text built for the items */
    int tag_tuple;         /* Erlang tuple whose first element is an atom */
} expansion;

/* ---- outlines ----------------------------------------------------------
 *
 * The pretty-printers first write a term on one line and remember, for
 * every part of it, where its text is and how wide it is: the outline.
 * Each layout then only decides where lines break; every piece it writes
 * is a slice of that one-line text. */

typedef enum onode_kind {
    ONODE_LEAF,      /* a term written as one word */
    ONODE_BYTES,     /* a binary written as bytes: <<1,2,3>> */
    ONODE_CONTAINER, /* a tuple, list, map or record: children follow */
    ONODE_ITEM       /* "K => V", "name = V", "a: V": [key], value follow */
} onode_kind;

/* One node of an outline. The nodes are in preorder: a node's children
 * follow it, and its subtree is `size` nodes long, so the next sibling of
 * node i is node i + size. */
typedef struct onode {
    size_t at, end;   /* its one-line text: text[at, end) */
    size_t width;     /* columns: characters in Erlang and JSON, bytes in
                         Elixir (which measures binaries by byte_size) */
    size_t size;      /* nodes in its subtree, itself included */
    uint8_t kind;     /* onode_kind */
    uint8_t shape;    /* containers: their shape */
    uint8_t tail;     /* the tail of an improper list */
    uint8_t tagged;   /* an Erlang tuple whose first element is an atom */
} onode;

typedef struct outline {
    const uint8_t *text;  /* the term's one-line text */
    const onode *nodes;   /* nodes[0] is the whole term */
    size_t n;
    int in_bytes;         /* widths are bytes, not characters */
} outline;

/* Past this many nested containers, the layouts stop breaking lines and
 * write the rest of a term on one line: each level indents the lines
 * below it, so a deeper term would fill lines with spaces alone (and the
 * Erlang layout recurses once per level). */
#define PRETTY_MAX_DEPTH 200

/* Appends the outline's term laid out as io_lib_pretty does, starting at
 * 1-based column `col` of lines `width` wide (pretty_erlang.c). Returns
 * 0, or -1 if memory ran out. */
int pretty_erlang(etf_buf *out, const outline *o, unsigned width,
                  unsigned col);

/* Appends the outline's term laid out as Elixir's Inspect.Algebra does
 * (and JSON, laid out the same way), starting at 0-based column `col`
 * (pretty_elixir.c). Returns 0, or -1 if memory ran out. */
int pretty_elixir(etf_buf *out, const outline *o, unsigned width,
                  unsigned col);

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
