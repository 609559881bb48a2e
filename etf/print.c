/*
 * print.c -- terms as the text people read: Erlang's syntax, as
 * io_lib:format("~tp") shows it, or Elixir's, as IEx's inspect shows it.
 *
 * The printer is in two parts.
 *
 * Leaves (numbers, atoms, binaries, printable strings, pids, funs...) are
 * written by write_leaf() in print_leaf.c, which knows each language's
 * quoting and escaping rules (and JSON's).
 *
 * Containers (tuples, lists, maps, records) are first "expanded" into a
 * list of items -- an optional key or label, a separator such as " => ",
 * and a value -- with an opening and a closing text. The layout code below
 * then needs to know nothing about the language (JSON is laid out as
 * Elixir is):
 *
 *  - one_line() writes a term on one line. It keeps an explicit stack of
 *    expansions, so a term nested 100 000 deep prints without recursion.
 *    Given a limit it stops as soon as the text grows past it, which is how
 *    the pretty-printer asks "does this fit?".
 *
 *  - pretty() writes a term that fits in what is left of the line on one
 *    line, and otherwise breaks the outermost container: Erlang style puts
 *    each item under the first, just after the opening bracket (or fills
 *    lines with items when they are all leaves, like io_lib_pretty);
 *    Elixir style puts the items on their own lines, indented by two, with
 *    the closing bracket on a line of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"
#include "etf/print_internal.h"

/* Past this nesting, pretty() stops breaking lines and writes the rest on
 * one line (which has no depth limit). */
#define PRETTY_MAX_DEPTH 200

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

static int one_line(printer *p, const etf_term *t, size_t limit);

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
        printer ep = {ETF_FORMAT_ERLANG, &text, 0, p->home_node, 0, 0};
        one_line(&ep, k, 0);
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
        x->open = "{";
        x->close = "}";
        for (uint32_t i = 0; i < t->n; i++)
            if (add_item(x, &cap, (item){.value = &t->u.elems[i]}))
                return -1;
        x->tag_tuple = !ex && t->n > 1 && t->u.elems[0].type == ETF_ATOM;
        return 0;
    case ETF_LIST:
    case ETF_STRING:
        x->open = "[";
        x->close = "]";
        if (expand_list(t, x) != 0)
            return -1;
        if (ex)
            elixir_keywords(x);
        return 0;
    case ETF_MAP:
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

/* Is t written as a leaf (no items)? */
static int is_leaf(const printer *p, const etf_term *t)
{
    switch ((etf_type)t->type) {
    case ETF_TUPLE:
        return t->n == 0;
    case ETF_MAP:
        return t->n == 0;
    case ETF_RECORD:
        return t->u.record->nfields == 0;
    case ETF_LIST:
    case ETF_STRING:
        return p->fmt != ETF_FORMAT_JSON && list_prints_as_string(p, t);
    default:
        return 1;
    }
}

/* ---- one line -------------------------------------------------------------- */

typedef struct line_frame {
    expansion x;
    size_t next;   /* next item */
    int phase;     /* 0: before the item, 1: key written, 2: value written */
} line_frame;

/* What stands before the tail of an improper list. */
static const char *tail_head(const printer *p, int spaced)
{
    switch (p->fmt) {
    case ETF_FORMAT_ELIXIR: return spaced ? " | " : "| ";
    case ETF_FORMAT_JSON: return "], \"tail\": ";
    default: return "|";
    }
}

static void write_item_head(printer *p, const expansion *x, size_t i)
{
    const item *it = &x->items[i];
    if (i > 0 && !it->tail)
        etf_buf_puts(p->out, x->sep);
    if (it->tail)
        etf_buf_puts(p->out, tail_head(p, 1));
    if (it->label != NULL) {
        if (it->label_atom)
            write_atom_erlang(p->out, it->label, it->label_len);
        else
            etf_buf_append(p->out, it->label, it->label_len);
    }
}

/* Writes t on one line. With limit != 0, stops (returning 1) once more than
 * `limit` bytes were written; returns 0 when all of t was written, -1 on
 * out of memory. */
static int one_line(printer *p, const etf_term *t, size_t limit)
{
    size_t start = p->out->len;
    line_frame *stack = NULL;
    size_t depth = 0, cap = 0;
    int r = 0;
    const etf_term *cur = t;

    for (;;) {
        if (cur != NULL) {
            if (is_leaf(p, cur)) {
                write_leaf(p, cur);
                cur = NULL;
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
                etf_buf_puts(p->out, f->x.open);
                cur = NULL;
            }
        }
        if (p->out->failed) {
            r = -1;
            break;
        }
        if (limit != 0 && p->out->len - start > limit) {
            r = 1;
            break;
        }
        if (depth == 0)
            break;
        line_frame *f = &stack[depth - 1];
        if (f->next == f->x.n) {
            etf_buf_puts(p->out, f->x.close);
            expansion_release(&f->x);
            depth--;
            continue;
        }
        const item *it = &f->x.items[f->next];
        if (f->phase == 0) {
            write_item_head(p, &f->x, f->next);
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
        f->next++;
        f->phase = 0;
    }
    while (depth > 0)
        expansion_release(&stack[--depth].x);
    free(stack);
    return r;
}

/* ---- pretty ---------------------------------------------------------------- */

static void newline(printer *p, unsigned col)
{
    etf_buf_putc(p->out, '\n');
    for (unsigned i = 0; i < col; i++)
        etf_buf_putc(p->out, ' ');
}

/* Does t fit on one line in `room` columns? Writes it if so. */
static int try_one_line(printer *p, const etf_term *t, unsigned room)
{
    size_t mark = p->out->len;
    int r = one_line(p, t, room == 0 ? 1 : room);
    if (r == 0 && etf_text_width(p->out->data + mark, p->out->len - mark)
                      <= room)
        return 1;
    p->out->len = mark;
    if (p->out->data != NULL)
        p->out->data[mark] = 0;
    return r < 0 ? -1 : 0;
}

/* The width of the one-line text of t, or more than `limit`. */
static size_t measure(printer *p, const etf_term *t, size_t limit)
{
    size_t mark = p->out->len;
    one_line(p, t, limit);
    size_t w = etf_text_width(p->out->data + mark, p->out->len - mark);
    p->out->len = mark;
    if (p->out->data != NULL)
        p->out->data[mark] = 0;
    return w;
}

/* The column the next character will be written at. */
static unsigned current_column(const printer *p)
{
    const uint8_t *d = p->out->data;
    size_t i = p->out->len;
    while (i > p->start && d[i - 1] != '\n')
        i--;
    unsigned base = i > p->start ? 0 : p->col0;
    return base + (unsigned)etf_text_width(d + i, p->out->len - i);
}

static int pretty(printer *p, const etf_term *t, unsigned col,
                  unsigned trailing, int depth);

/* Writes an item (head, key, separator, value) starting at column col. */
static int pretty_item(printer *p, const expansion *x, size_t i, unsigned col,
                       unsigned trailing, int depth)
{
    const item *it = &x->items[i];
    size_t start = p->out->len;
    if (it->tail)
        etf_buf_puts(p->out, tail_head(p, 0));
    if (it->label != NULL) {
        if (it->label_atom)
            write_atom_erlang(p->out, it->label, it->label_len);
        else
            etf_buf_append(p->out, it->label, it->label_len);
    }
    unsigned c = col + (unsigned)etf_text_width(p->out->data + start,
                                                 p->out->len - start);
    if (it->key != NULL) {
        if (pretty(p, it->key, c, 0, depth + 1) != 0)
            return -1;
        c = current_column(p);
    }
    if (it->mid != NULL) {
        etf_buf_puts(p->out, it->mid);
        c += (unsigned)strlen(it->mid);
        /* A value that does not fit after its key goes on the next line,
         * indented a little more. */
        if (it->key != NULL || it->label != NULL) {
            unsigned room = p->width > c + trailing ? p->width - c - trailing
                                                    : 0;
            if (!is_leaf(p, it->value) &&
                measure(p, it->value, room + 1) > room &&
                c > col + 4) {
                /* drop the space after the separator */
                if (p->out->len > 0 && p->out->data[p->out->len - 1] == ' ')
                    p->out->len--;
                newline(p, col + 4);
                c = col + 4;
            }
        }
    }
    return pretty(p, it->value, c, trailing, depth + 1);
}

static int pretty(printer *p, const etf_term *t, unsigned col,
                  unsigned trailing, int depth)
{
    unsigned room = p->width > col + trailing ? p->width - col - trailing : 0;
    if (depth > PRETTY_MAX_DEPTH || is_leaf(p, t))
        return one_line(p, t, 0) < 0 ? -1 : 0;
    int r = try_one_line(p, t, room);
    if (r != 0)
        return r < 0 ? -1 : 0;

    expansion x;
    if (expand(p, t, &x) != 0) {
        expansion_release(&x);
        return -1;
    }
    /* JSON breaks lines as Elixir does. */
    int ex = p->fmt != ETF_FORMAT_ERLANG;
    int rc = 0;
    int all_leaves = 1;
    for (size_t i = 0; i < x.n && all_leaves; i++)
        all_leaves = x.items[i].key == NULL && x.items[i].label == NULL &&
                     is_leaf(p, x.items[i].value);

    etf_buf_puts(p->out, x.open);
    unsigned open_w = (unsigned)etf_text_width((const uint8_t *)x.open,
                                               strlen(x.open));
    const char *sep = x.sep;
    size_t seplen = strlen(sep);
    /* Separator without its trailing space, for line ends. */
    size_t sep_end = seplen;
    while (sep_end > 0 && sep[sep_end - 1] == ' ')
        sep_end--;

    if (all_leaves && x.n > 0) {
        /* Fill lines with as many items as fit. */
        unsigned indent = col + open_w;
        unsigned c = indent;
        for (size_t i = 0; i < x.n && rc == 0; i++) {
            unsigned tail = i + 1 == x.n ? (unsigned)strlen(x.close) + trailing
                                         : (unsigned)sep_end;
            size_t w = measure(p, x.items[i].value, p->width + 1) +
                       (x.items[i].tail ? (ex ? 2 : 1) : 0);
            if (i > 0) {
                int tailsep = x.items[i].tail;
                if (c + (tailsep ? (ex ? 1 : 0) : seplen) + w + tail >
                        p->width && c > indent) {
                    /* A tail starts the next line with "|" or "| ". */
                    if (!tailsep)
                        etf_buf_append(p->out, sep, sep_end);
                    newline(p, indent);
                    c = indent;
                } else {
                    if (!tailsep) {
                        etf_buf_puts(p->out, sep);
                        c += (unsigned)seplen;
                    } else if (ex) {
                        etf_buf_putc(p->out, ' ');
                        c += 1;
                    }
                }
            }
            size_t mark = p->out->len;
            if (x.items[i].tail)
                etf_buf_puts(p->out, tail_head(p, 0));
            if (one_line(p, x.items[i].value, 0) < 0)
                rc = -1;
            c += (unsigned)etf_text_width(p->out->data + mark,
                                          p->out->len - mark);
        }
        etf_buf_puts(p->out, x.close);
        expansion_release(&x);
        return rc != 0 || p->out->failed ? -1 : 0;
    }

    if (ex) {
        /* Elixir: items on their own lines, indented by two; the closing
         * bracket on a line of its own. */
        unsigned indent = col + 2;
        for (size_t i = 0; i < x.n && rc == 0; i++) {
            if (x.items[i].tail) {
                etf_buf_putc(p->out, ' ');
                rc = pretty_item(p, &x, i, current_column(p), 0, depth);
                continue;
            }
            if (i > 0)
                etf_buf_append(p->out, sep, sep_end);
            newline(p, indent);
            int last = i + 1 == x.n ||
                       (i + 2 == x.n && x.items[i + 1].tail);
            rc = pretty_item(p, &x, i, indent, last ? 0 : 1, depth);
        }
        newline(p, col);
        etf_buf_puts(p->out, x.close);
        expansion_release(&x);
        return rc != 0 || p->out->failed ? -1 : 0;
    }

    /* Erlang: items under each other, after the opening bracket. A tuple
     * tagged with an atom keeps the tag on the first line and indents the
     * rest by four, as io_lib_pretty does. */
    unsigned indent = col + open_w;
    size_t first = 0;
    if (x.tag_tuple) {
        if (one_line(p, x.items[0].value, 0) < 0)
            rc = -1;
        etf_buf_append(p->out, sep, sep_end);
        indent = col + 4;
        newline(p, indent);
        first = 1;
    }
    for (size_t i = first; i < x.n && rc == 0; i++) {
        int last = i + 1 == x.n;
        int next_tail = !last && x.items[i + 1].tail;
        unsigned tr = last ? (unsigned)strlen(x.close) + trailing
                    : next_tail ? 0 : (unsigned)sep_end;
        if (i > first && !x.items[i].tail) {
            etf_buf_append(p->out, sep, sep_end);
            newline(p, indent);
        }
        unsigned c = x.items[i].tail ? current_column(p) : indent;
        rc = pretty_item(p, &x, i, c, tr, depth);
    }
    etf_buf_puts(p->out, x.close);
    expansion_release(&x);
    return rc != 0 || p->out->failed ? -1 : 0;
}

/* ---- entry points -------------------------------------------------------- */

static int print_with(const etf_term *t, const etf_print_opts *o,
                      etf_format fmt, etf_buf *out)
{
    unsigned col = o != NULL && o->column > 1 ? o->column - 1 : 0;
    printer p = {fmt, out, o != NULL ? o->width : 0,
                 o != NULL ? o->home_node : NULL, out->len, col};
    if (out->data == NULL && etf_buf_reserve(out, 0) != 0)
        return -1;
    int r = p.width == 0 ? one_line(&p, t, 0) : pretty(&p, t, col, 0, 0);
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
