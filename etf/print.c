/*
 * print.c -- terms as the text people read: Erlang's syntax, as
 * io_lib:format("~tp") shows it, or Elixir's, as IEx's inspect shows it
 * (and JSON).
 *
 * The printer is in three parts.
 *
 * Leaves (numbers, atoms, binaries, printable strings, pids, funs...) are
 * written by write_leaf() in print_leaf.c, which knows each language's
 * quoting and escaping rules (and JSON's).
 *
 * Containers (tuples, lists, maps, records) are first "expanded" into a
 * list of items -- an optional key or label, a separator such as " => ",
 * and a value -- with an opening and a closing text. walk() below writes
 * a term on one line from its expansions. It keeps an explicit stack of
 * them, so a term nested 100 000 deep prints without recursion.
 *
 * Printing with a width, walk() also builds the term's outline: for each
 * part of the one-line text (each leaf, container and keyed item), where
 * it is and how wide it is (print_internal.h). If the whole line fits, it
 * is the answer. If not, a layout decides where the lines break, writing
 * slices of the one-line text:
 *
 *  - pretty_erlang.c is io_lib_pretty's algorithm, decision for decision,
 *    so that the text is byte for byte what io:format("~tp") prints;
 *
 *  - pretty_elixir.c builds the document Elixir's Inspect.Algebra builds
 *    for the term and lays it out as Inspect.Algebra.format/2 does (for
 *    Elixir 1.18); JSON is laid out the same way.
 *
 * tests/integration/etf_diff.escript and etf_diff.exs compare the text
 * with the nodes' own, term by term. What still differs:
 *
 *  - Past PRETTY_MAX_DEPTH (200) nested containers, both layouts write
 *    the rest on one line.
 *  - Elixir: edist prints every element (inspect stops after 50 by
 *    default: the tests use limit: :infinity). Atoms outside ASCII are
 *    quoted (:"é"; Elixir writes :é where Unicode's identifier rules allow
 *    it), C1 controls are written \u0085 (Elixir writes \x85, which does
 *    not read back), operators in remote captures are quoted
 *    (&:erlang."+"/2), and Elixir 1.20 looks less far ahead at flex breaks
 *    (pretty_elixir.c). A struct whose module is not loaded prints as
 *    %Foo{...}; inspect writes %{__struct__: Foo, ...}.
 *  - Elixir 1.14 writes charlists as 'abc'; edist as ~c"abc" (1.15+).
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"
#include "etf/print_internal.h"

/* ---- expansions ------------------------------------------------------------ */

static int add_item(expansion *x, size_t *cap, item it)
{
    if (x->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        item *p = realloc(x->items, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        x->items = p;
        *cap = ncap;
    }
    x->items[x->n++] = it;
    return 0;
}

int label_items(expansion *x,
                void (*write)(etf_buf *out, item *it, size_t i,
                              const void *ctx),
                const void *ctx)
{
    etf_buf text = {0};
    size_t *ends = x->n ? malloc(x->n * sizeof *ends) : NULL;
    if (x->n && ends == NULL)
        return -1;
    for (size_t i = 0; i < x->n; i++) {
        write(&text, &x->items[i], i, ctx);
        ends[i] = text.len;
    }
    if (text.failed) {
        free(ends);
        etf_buf_release(&text);
        return -1;
    }
    /* The items point into one buffer, which the expansion owns. */
    x->labels = (char *)text.data;
    for (size_t i = 0; i < x->n; i++) {
        size_t start = i ? ends[i - 1] : 0;
        x->items[i].label = x->labels + start;
        x->items[i].label_len = (uint32_t)(ends[i] - start);
        x->items[i].label_atom = 0;
    }
    free(ends);
    return 0;
}

/* Walk a list's elements (through STRING segments and list tails); the
 * elements of STRING segments are written into `scratch` terms that the
 * expansion owns. */
static int expand_list(const etf_term *t, expansion *x)
{
    size_t cap = 0;
    size_t nbytes = 0;
    /* First count the bytes of STRING segments: their elements need terms
     * of their own. */
    for (const etf_term *s = t;;) {
        if (s->type == ETF_STRING) {
            nbytes += s->n;
            break;
        }
        if (s->type != ETF_LIST)
            break;
        s = &s->u.elems[s->n];
    }
    if (nbytes > 0) {
        x->scratch = malloc(nbytes * sizeof(etf_term));
        if (x->scratch == NULL)
            return -1;
    }
    size_t k = 0;
    const etf_term *s = t;
    for (;;) {
        if (s->type == ETF_STRING) {
            for (uint32_t i = 0; i < s->n; i++) {
                x->scratch[k] = etf_int(s->u.bytes[i]);
                if (add_item(x, &cap, (item){.value = &x->scratch[k++]}))
                    return -1;
            }
            s = NULL;
            break;
        }
        if (s->type != ETF_LIST)
            break;
        for (uint32_t i = 0; i < s->n; i++)
            if (add_item(x, &cap, (item){.value = &s->u.elems[i]}))
                return -1;
        s = &s->u.elems[s->n];
    }
    if (s != NULL && s->type != ETF_NIL) {
        /* An improper list: the tail is an item of its own. */
        if (add_item(x, &cap, (item){.value = s, .tail = 1}))
            return -1;
    }
    return 0;
}

static int one_line(printer *p, const etf_term *t);

/* A record field's name as a JSON object key. */
static void json_field_label(etf_buf *out, item *it, size_t i,
                             const void *ctx)
{
    const etf_record *r = ctx;
    (void)it;
    json_string(out, (const uint8_t *)r->fields[i].name, r->fields[i].len);
    etf_buf_puts(out, ": ");
}

/* A map key as a JSON object key: atoms and UTF-8 binaries as their text,
 * anything else as the text of its Erlang form. */
static void json_key_label(etf_buf *out, item *it, size_t i, const void *ctx)
{
    const printer *p = ctx;
    const etf_term *k = it->key;
    (void)i;
    it->key = NULL; /* the label replaces the key */
    if (k->type == ETF_ATOM) {
        json_string(out, (const uint8_t *)k->u.atom, k->n);
    } else if (k->type == ETF_BINARY && k->bits == 0 &&
               etf_utf8_valid(k->u.bytes, k->n)) {
        json_string(out, k->u.bytes, k->n);
    } else {
        etf_buf text = {0};
        printer ep = {ETF_FORMAT_ERLANG, &text, p->home_node};
        one_line(&ep, k);
        json_string(out, text.data ? text.data : (const uint8_t *)"",
                    text.len);
        if (text.failed)
            out->failed = 1;
        etf_buf_release(&text);
    }
    etf_buf_puts(out, ": ");
}

/* JSON: tuples and lists are arrays, maps objects whose keys are the text
 * of the Erlang key (see etf.h), an improper list {"list": [...],
 * "tail": T}. */
static int expand_json(const printer *p, const etf_term *t, expansion *x)
{
    size_t cap = 0;
    x->sep = ", ";
    x->open = "[";
    x->close = "]";
    x->shape = SHAPE_LIST; /* an array */
    if (t->type == ETF_TUPLE) {
        for (uint32_t i = 0; i < t->n; i++)
            if (add_item(x, &cap, (item){.value = &t->u.elems[i]}))
                return -1;
        return 0;
    }
    if (t->type == ETF_LIST || t->type == ETF_STRING) {
        if (expand_list(t, x) != 0)
            return -1;
        if (x->n > 0 && x->items[x->n - 1].tail) {
            x->open = "{\"list\": [";
            x->close = "}";
        }
        return 0;
    }
    /* A record or a map: an object. */
    x->shape = SHAPE_MAP;
    x->open = "{";
    x->close = "}";
    if (t->type == ETF_RECORD) {
        /* A record is an object of its fields. */
        const etf_record *r = t->u.record;
        for (uint32_t i = 0; i < r->nfields; i++)
            if (add_item(x, &cap, (item){.value = &r->values[i]}))
                return -1;
        return label_items(x, json_field_label, r);
    }
    for (uint32_t i = 0; i < t->n; i++)
        if (add_item(x, &cap, (item){.key = &t->u.elems[2 * i],
                                     .value = &t->u.elems[2 * i + 1]}))
            return -1;
    return label_items(x, json_key_label, p);
}

static int expand(const printer *p, const etf_term *t, expansion *x)
{
    memset(x, 0, sizeof *x);
    size_t cap = 0;
    int ex = p->fmt == ETF_FORMAT_ELIXIR;
    if (p->fmt == ETF_FORMAT_JSON)
        return expand_json(p, t, x);
    x->sep = ex ? ", " : ",";
    switch ((etf_type)t->type) {
    case ETF_TUPLE:
        x->shape = SHAPE_TUPLE;
        x->open = "{";
        x->close = "}";
        for (uint32_t i = 0; i < t->n; i++)
            if (add_item(x, &cap, (item){.value = &t->u.elems[i]}))
                return -1;
        x->tag_tuple = !ex && t->n > 1 && t->u.elems[0].type == ETF_ATOM;
        return 0;
    case ETF_LIST:
    case ETF_STRING:
        x->shape = SHAPE_LIST;
        x->open = "[";
        x->close = "]";
        if (expand_list(t, x) != 0)
            return -1;
        if (ex)
            elixir_keywords(x);
        return 0;
    case ETF_MAP:
        x->shape = SHAPE_MAP;
        if (ex)
            return elixir_expand_map(t, x);
        x->open = "#{";
        x->close = "}";
        for (uint32_t i = 0; i < t->n; i++)
            if (add_item(x, &cap, (item){.key = &t->u.elems[2 * i],
                                         .mid = " => ",
                                         .value = &t->u.elems[2 * i + 1]}))
                return -1;
        return 0;
    case ETF_RECORD: {
        const etf_record *r = t->u.record;
        /* #Module:Name{Field = Value,...}, in both languages. */
        etf_buf head = {0};
        etf_buf_putc(&head, '#');
        write_atom_erlang(&head, r->module.name, r->module.len);
        etf_buf_putc(&head, ':');
        write_atom_erlang(&head, r->name.name, r->name.len);
        etf_buf_putc(&head, '{');
        if (head.failed)
            return -1;
        x->shape = SHAPE_RECORD;
        x->open_owned = (char *)head.data;
        x->open = x->open_owned;
        x->close = "}";
        for (uint32_t i = 0; i < r->nfields; i++)
            if (add_item(x, &cap, (item){.label = r->fields[i].name,
                                         .label_len = r->fields[i].len,
                                         .label_atom = 1,
                                         .mid = " = ",
                                         .value = &r->values[i]}))
                return -1;
        return 0;
    }
    default:
        return -1;
    }
}

static void expansion_release(expansion *x)
{
    free(x->items);
    free(x->scratch);
    free(x->open_owned);
    free(x->labels);
    x->scratch = NULL;
    x->items = NULL;
    x->open_owned = NULL;
    x->labels = NULL;
}

/* Is t written as a leaf (no items)? A record without fields is not:
 * io_lib_pretty treats #m:n{} as a container. */
static int is_leaf(const printer *p, const etf_term *t)
{
    switch ((etf_type)t->type) {
    case ETF_TUPLE:
        return t->n == 0;
    case ETF_MAP:
        return t->n == 0;
    case ETF_RECORD:
        return 0;
    case ETF_LIST:
    case ETF_STRING:
        return p->fmt != ETF_FORMAT_JSON && list_prints_as_string(p, t);
    default:
        return 1;
    }
}

/* ---- one line, and the outline --------------------------------------------- */

/* The outline being built while a term is written on one line. */
typedef struct outline_builder {
    onode *nodes;
    size_t n, cap;
    size_t base;       /* out->len where the term's text starts */
    int in_bytes;      /* widths in bytes (Elixir) rather than characters */
    size_t chars;      /* characters in out->data[base, counted) */
    size_t counted;
    int next_tail;     /* the next node opened is an improper list's tail */
    int failed;        /* out of memory */
} outline_builder;

/* Characters written so far (counted as the text grows, so that the
 * whole text is scanned once). */
static size_t chars_written(outline_builder *b, const etf_buf *out)
{
    b->chars += etf_utf8_count(out->data + b->counted, out->len - b->counted);
    b->counted = out->len;
    return b->chars;
}

/* Starts a node at the current end of the text; returns its index (or
 * SIZE_MAX without a builder, or when memory ran out). */
static size_t node_open(outline_builder *b, const etf_buf *out,
                        onode_kind kind)
{
    if (b == NULL)
        return SIZE_MAX;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        onode *s = realloc(b->nodes, ncap * sizeof *s);
        if (s == NULL) {
            b->failed = 1;
            return SIZE_MAX;
        }
        b->nodes = s;
        b->cap = ncap;
    }
    onode *nd = &b->nodes[b->n];
    memset(nd, 0, sizeof *nd);
    nd->kind = (uint8_t)kind;
    nd->at = out->len - b->base;
    /* Until the node is closed, `width` holds where it started. */
    nd->width = b->in_bytes ? 0 : chars_written(b, out);
    nd->tail = (uint8_t)b->next_tail;
    b->next_tail = 0;
    return b->n++;
}

static void node_close(outline_builder *b, const etf_buf *out, size_t i)
{
    if (b == NULL || i == SIZE_MAX)
        return;
    onode *nd = &b->nodes[i];
    nd->end = out->len - b->base;
    nd->width = b->in_bytes ? nd->end - nd->at
                            : chars_written(b, out) - nd->width;
    nd->size = b->n - i;
}

/* A binary written as its bytes, <<1,2,3>>, rather than as text. */
static int written_as_bytes(const etf_term *t, const etf_buf *out,
                            size_t at)
{
    const uint8_t *s = out->data + at;
    return t->type == ETF_BINARY && out->len - at > 4 && s[0] == '<' &&
           s[1] == '<' && s[2] >= '0' && s[2] <= '9';
}

typedef struct line_frame {
    expansion x;
    size_t next;   /* next item */
    int phase;     /* 0: before the item, 1: key written, 2: value written */
    size_t node;   /* the outline node of the container */
    size_t item;   /* the outline node of the current item, if it has one */
} line_frame;

/* What stands before the tail of an improper list. */
static const char *tail_head(const printer *p)
{
    switch (p->fmt) {
    case ETF_FORMAT_ELIXIR: return " | ";
    case ETF_FORMAT_JSON: return "], \"tail\": ";
    default: return "|";
    }
}

/* Writes t on one line; with a builder, records its outline too. Returns
 * 0, or -1 on out of memory. */
static int walk(printer *p, const etf_term *t, outline_builder *b)
{
    line_frame *stack = NULL;
    size_t depth = 0, cap = 0;
    int r = 0;
    const etf_term *cur = t;

    for (;;) {
        if (cur != NULL) {
            size_t at = p->out->len;
            if (is_leaf(p, cur)) {
                size_t nd = node_open(b, p->out, ONODE_LEAF);
                write_leaf(p, cur);
                if (b != NULL && nd != SIZE_MAX &&
                    written_as_bytes(cur, p->out, at))
                    b->nodes[nd].kind = ONODE_BYTES;
                node_close(b, p->out, nd);
            } else {
                if (depth == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    line_frame *s = realloc(stack, ncap * sizeof *s);
                    if (s == NULL) {
                        r = -1;
                        break;
                    }
                    stack = s;
                    cap = ncap;
                }
                line_frame *f = &stack[depth];
                if (expand(p, cur, &f->x) != 0) {
                    expansion_release(&f->x);
                    r = -1;
                    break;
                }
                depth++;
                f->next = 0;
                f->phase = 0;
                f->node = node_open(b, p->out, ONODE_CONTAINER);
                if (f->node != SIZE_MAX) {
                    b->nodes[f->node].shape = (uint8_t)f->x.shape;
                    b->nodes[f->node].tagged = (uint8_t)f->x.tag_tuple;
                }
                etf_buf_puts(p->out, f->x.open);
            }
            cur = NULL;
        }
        if (p->out->failed || (b != NULL && b->failed)) {
            r = -1;
            break;
        }
        if (depth == 0)
            break;
        line_frame *f = &stack[depth - 1];
        if (f->next == f->x.n) {
            etf_buf_puts(p->out, f->x.close);
            node_close(b, p->out, f->node);
            expansion_release(&f->x);
            depth--;
            continue;
        }
        const item *it = &f->x.items[f->next];
        if (f->phase == 0) {
            /* The separator, then the item: [label] [key] [mid] value. */
            if (it->tail) {
                etf_buf_puts(p->out, tail_head(p));
                if (b != NULL)
                    b->next_tail = 1;
            } else if (f->next > 0) {
                etf_buf_puts(p->out, f->x.sep);
            }
            f->item = SIZE_MAX;
            if (it->key != NULL || it->label != NULL)
                f->item = node_open(b, p->out, ONODE_ITEM);
            if (it->label != NULL) {
                if (it->label_atom)
                    write_atom_erlang(p->out, it->label, it->label_len);
                else
                    etf_buf_append(p->out, it->label, it->label_len);
            }
            f->phase = 1;
            if (it->key != NULL) {
                cur = it->key;
                continue;
            }
        }
        if (f->phase == 1) {
            if (it->mid != NULL)
                etf_buf_puts(p->out, it->mid);
            f->phase = 2;
            cur = it->value;
            continue;
        }
        node_close(b, p->out, f->item);
        f->next++;
        f->phase = 0;
    }
    while (depth > 0)
        expansion_release(&stack[--depth].x);
    free(stack);
    return r;
}

static int one_line(printer *p, const etf_term *t)
{
    return walk(p, t, NULL);
}

/* ---- entry points -------------------------------------------------------- */

/* Prints t broken into lines `width` wide: first on one line with its
 * outline, then, if that line is too long, laid out again from it. */
static int print_pretty(printer *p, const etf_term *t, unsigned width,
                        unsigned col)
{
    etf_buf *out = p->out;
    outline_builder b = {0};
    b.base = out->len;
    b.counted = out->len;
    b.in_bytes = p->fmt == ETF_FORMAT_ELIXIR;
    int r = walk(p, t, &b);
    if (r != 0 || out->failed || b.failed) {
        free(b.nodes);
        return -1;
    }
    size_t w = b.nodes[0].width;
    /* io_lib_pretty keeps a term on one line if it ends before the last
     * column; Elixir if it ends at the last column at the latest. */
    int fits = p->fmt == ETF_FORMAT_ERLANG
                   ? b.nodes[0].kind == ONODE_LEAF || (size_t)col + 1 + w < width
                   : (size_t)col + w <= width;
    if (fits) {
        free(b.nodes);
        return 0;
    }
    size_t len = out->len - b.base;
    uint8_t *text = malloc(len + 1);
    if (text == NULL) {
        free(b.nodes);
        return -1;
    }
    memcpy(text, out->data + b.base, len);
    text[len] = 0;
    out->len = b.base;
    out->data[out->len] = 0;
    outline o = {text, b.nodes, b.n, b.in_bytes};
    r = p->fmt == ETF_FORMAT_ERLANG ? pretty_erlang(out, &o, width, col + 1)
                                    : pretty_elixir(out, &o, width, col);
    free(text);
    free(b.nodes);
    return r != 0 || out->failed ? -1 : 0;
}

static int print_with(const etf_term *t, const etf_print_opts *o,
                      etf_format fmt, etf_buf *out)
{
    unsigned col = o != NULL && o->column > 1 ? o->column - 1 : 0;
    printer p = {fmt, out, o != NULL ? o->home_node : NULL};
    if (out->data == NULL && etf_buf_reserve(out, 0) != 0)
        return -1;
    int r = o == NULL || o->width == 0 ? one_line(&p, t)
                                       : print_pretty(&p, t, o->width, col);
    return r != 0 || out->failed ? -1 : 0;
}

int etf_print_erlang(const etf_term *t, const etf_print_opts *o,
                     etf_buf *out)
{
    return print_with(t, o, ETF_FORMAT_ERLANG, out);
}

int etf_print_elixir(const etf_term *t, const etf_print_opts *o,
                     etf_buf *out)
{
    return print_with(t, o, ETF_FORMAT_ELIXIR, out);
}

int etf_print_json(const etf_term *t, const etf_print_opts *o, etf_buf *out)
{
    return print_with(t, o, ETF_FORMAT_JSON, out);
}

int etf_print(const etf_term *t, const etf_print_opts *o, etf_buf *out)
{
    return print_with(t, o, o != NULL ? o->format : ETF_FORMAT_ERLANG, out);
}
