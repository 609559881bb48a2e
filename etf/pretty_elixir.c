/*
 * pretty_elixir.c -- Elixir's layout: where inspect(T, pretty: true,
 * width: 80) breaks the lines of a term (and JSON, laid out the same way).
 *
 * Elixir's Inspect protocol turns a term into a document of
 * Inspect.Algebra (Lindig's "Strictly Pretty"): text, breaks (a space or
 * nothing that may become a newline), nests (indentation for the newlines
 * inside) and groups (the unit that is laid out flat or broken). Here the
 * same document is built from the outline, flattened into a list of
 * tokens, and laid out as Inspect.Algebra.format/2 does in Elixir 1.18.
 *
 * The documents (Inspect.Algebra.container_doc/6, Inspect.List,
 * Inspect.Tuple, Inspect.Map, Inspect.BitString):
 *
 *   a list of leaves, a tuple:    group("[" nest(1, d1 "," F d2 "," F d3) "]")
 *   any other list, a keyword
 *   list, a map:                  group(nest(2, "%{" S d1 "," S d2) S "}")
 *   bytes:                        group("<<" nest(2, "1," F "2," F "3") ">>")
 *   an improper list's tail:      ... dn " |" B tail
 *
 * where F is a flex break and S a strict break, both " " on one line
 * (S in "%{" S is ""), and B is F if every element is a leaf, else S.
 * Keyword items and map associations are plain text around their parts
 * ("a: " d, k " => " v).
 *
 * The layout (format/2), with k the current column and w the width:
 *
 *  - a group is flat if it has no break at all or k + its flat width
 *    <= w; a flat group writes every break as its text;
 *  - in a broken group, a strict break is a newline (indented by the
 *    enclosing nests), and a flex break is a newline only if what
 *    follows it, up to the next break of a broken group, does not fit
 *    in what is left of the line. This is how [1, 2, 3, ...] fills lines
 *    while %{a: 1, ...} puts one association per line.
 *
 * Nesting is relative to the enclosing nests, not to the column of the
 * opening bracket: a list broken inside a map value continues at the
 * map's indentation plus one.
 *
 * Widths are bytes, as Inspect.Algebra measures binaries with byte_size
 * (for JSON, characters). The layout is a loop over the tokens with a
 * stack of open groups and nests: no recursion, whatever the depth.
 *
 * Past PRETTY_MAX_DEPTH nested groups every group is flat: Elixir would
 * go on indenting, by two columns a level.
 *
 * Elixir 1.20 ends a flex break's look-ahead at the end of the group it
 * is in (the ",": after a closing bracket is not counted); 1.14 and 1.18
 * look further. This follows 1.18.
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"
#include "etf/print_internal.h"

typedef enum tok_kind {
    TOK_TEXT,   /* text[at, at + len) */
    TOK_BREAK,  /* " " (len 1) or "" (len 0); flex or strict */
    TOK_GROUP,  /* starts a group; `end` is the index of its TOK_END */
    TOK_END,
    TOK_NEST,   /* indents the newlines up to the next TOK_UNNEST by len */
    TOK_UNNEST
} tok_kind;

typedef struct tok {
    uint8_t kind;
    uint8_t flex;       /* TOK_BREAK: a flex break */
    uint8_t has_break;  /* TOK_GROUP: some break inside */
    size_t at, len;
    size_t width;       /* TOK_TEXT, TOK_BREAK: columns; TOK_GROUP: the
                           flat width of the whole group */
    size_t end;         /* TOK_GROUP */
} tok;

/* ---- the document ---------------------------------------------------------- */

typedef struct doc {
    const outline *o;
    tok *toks;
    size_t n, cap;
    int failed;
    /* While building: the flat width and the breaks so far, and the open
     * groups (the width and break count where each began). */
    size_t cum, breaks;
    size_t *open;
    size_t nopen, capopen;
} doc;

static size_t text_width(const doc *d, size_t at, size_t len)
{
    return d->o->in_bytes ? len : etf_utf8_count(d->o->text + at, len);
}

static tok *push(doc *d, tok_kind kind)
{
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 256;
        tok *t = realloc(d->toks, ncap * sizeof *t);
        if (t == NULL) {
            d->failed = 1;
            return NULL;
        }
        d->toks = t;
        d->cap = ncap;
    }
    tok *t = &d->toks[d->n++];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    return t;
}

static void text(doc *d, size_t at, size_t end)
{
    if (end <= at)
        return;
    tok *t = push(d, TOK_TEXT);
    if (t == NULL)
        return;
    t->at = at;
    t->len = end - at;
    t->width = text_width(d, at, end - at);
    d->cum += t->width;
}

static void brk(doc *d, int space, int flex)
{
    tok *t = push(d, TOK_BREAK);
    if (t == NULL)
        return;
    t->len = t->width = space ? 1 : 0;
    t->flex = (uint8_t)flex;
    d->cum += t->width;
    d->breaks++;
}

static void nest(doc *d, size_t by)
{
    tok *t = push(d, TOK_NEST);
    if (t != NULL)
        t->len = by;
}

static void unnest(doc *d)
{
    push(d, TOK_UNNEST);
}

static void group(doc *d)
{
    if (d->nopen == d->capopen) {
        size_t ncap = d->capopen ? d->capopen * 2 : 64;
        size_t *s = realloc(d->open, ncap * sizeof *s);
        if (s == NULL) {
            d->failed = 1;
            return;
        }
        d->open = s;
        d->capopen = ncap;
    }
    tok *t = push(d, TOK_GROUP);
    if (t == NULL)
        return;
    /* Until the group ends: where it began, in width and breaks. */
    t->width = d->cum;
    t->at = d->breaks;
    d->open[d->nopen++] = d->n - 1;
}

static void end_group(doc *d)
{
    if (d->failed || d->nopen == 0)
        return;
    size_t g = d->open[--d->nopen];
    if (push(d, TOK_END) == NULL)
        return;
    tok *t = &d->toks[g];
    t->has_break = d->breaks > t->at;
    t->width = d->cum - t->width;
    t->at = 0;
    t->end = d->n - 1;
}

/* The separator text[at, end) between two elements: its text, then a
 * break that is " " if it ended with a space. */
static void separator(doc *d, size_t at, size_t end, int flex)
{
    int space = end > at && d->o->text[end - 1] == ' ';
    text(d, at, end - space);
    brk(d, space, flex);
}

/* Inspect.BitString: the bytes of <<1, 2, 3>>, filled in lines. */
static void bytes_doc(doc *d, const onode *nd)
{
    const uint8_t *s = d->o->text;
    size_t at = nd->at + 2, end = nd->end - 2;
    group(d);
    text(d, nd->at, at);
    nest(d, 2);
    while (at < end) {
        size_t comma = at;
        while (comma < end && s[comma] != ',')
            comma++;
        if (comma < end) {
            text(d, at, comma + 1);
            brk(d, 1, 1);
            at = comma + 2; /* ", " */
        } else {
            text(d, at, end);
            at = end;
        }
    }
    unnest(d);
    text(d, end, nd->end);
    end_group(d);
}

/* How container i breaks: flex (fill lines) or strict (one per line).
 * Tuples are flex; lists are flex when every element is a leaf (a
 * "simple" document), unless they are keyword lists; maps are strict. */
static int flex_container(const outline *o, size_t i)
{
    const onode *nd = &o->nodes[i];
    if (nd->shape == SHAPE_TUPLE)
        return 1;
    if (nd->shape != SHAPE_LIST)
        return 0;
    for (size_t c = i + 1; c < i + nd->size; c += o->nodes[c].size)
        if (o->nodes[c].kind != ONODE_LEAF)
            return 0;
    return 1;
}

/* A container or an item being turned into tokens. */
typedef struct frame {
    size_t node;
    size_t child;     /* the next child */
    size_t prev_end;  /* where the previous child's text ended */
    int flex;
} frame;

/* Builds the document of the whole outline, without recursion. */
static int build(doc *d)
{
    const outline *o = d->o;
    frame *stack = NULL;
    size_t depth = 0, cap = 0;
    size_t i = 0; /* the next node to start, or SIZE_MAX */

    while (!d->failed) {
        if (i != SIZE_MAX) {
            const onode *nd = &o->nodes[i];
            if (nd->kind == ONODE_LEAF ||
                (nd->kind == ONODE_CONTAINER && nd->size == 1)) {
                text(d, nd->at, nd->end);
            } else if (nd->kind == ONODE_BYTES) {
                bytes_doc(d, nd);
            } else {
                if (depth == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    frame *s = realloc(stack, ncap * sizeof *s);
                    if (s == NULL) {
                        d->failed = 1;
                        break;
                    }
                    stack = s;
                    cap = ncap;
                }
                frame *f = &stack[depth++];
                f->node = i;
                f->child = i + 1;
                f->prev_end = 0;
                f->flex = 0;
                size_t first_at = o->nodes[i + 1].at;
                if (nd->kind == ONODE_ITEM) {
                    text(d, nd->at, first_at); /* "a: " */
                } else if ((f->flex = flex_container(o, i))) {
                    group(d);
                    text(d, nd->at, first_at);
                    nest(d, 1);
                } else {
                    group(d);
                    nest(d, 2);
                    text(d, nd->at, first_at);
                    brk(d, 0, 0);
                }
            }
            i = SIZE_MAX;
        }
        if (depth == 0)
            break;
        frame *f = &stack[depth - 1];
        const onode *nd = &o->nodes[f->node];
        size_t end = f->node + nd->size;
        if (f->child < end) {
            i = f->child;
            if (i > f->node + 1) {
                /* Between two children: a separator, or an item's
                 * " => ". */
                if (nd->kind == ONODE_ITEM)
                    text(d, f->prev_end, o->nodes[i].at);
                else
                    separator(d, f->prev_end, o->nodes[i].at, f->flex);
            }
            f->prev_end = o->nodes[i].end;
            f->child += o->nodes[i].size;
            continue;
        }
        /* After the last child. */
        size_t last_end = f->prev_end;
        if (nd->kind == ONODE_ITEM) {
            text(d, last_end, nd->end);
        } else if (f->flex) {
            unnest(d);
            text(d, last_end, nd->end);
            end_group(d);
        } else {
            unnest(d);
            brk(d, 0, 0);
            text(d, last_end, nd->end);
            end_group(d);
        }
        depth--;
    }
    free(stack);
    return d->failed ? -1 : 0;
}

/* ---- the layout ------------------------------------------------------------ */

enum { FLAT, BROKEN };

typedef struct level {
    size_t indent;
    int mode;
} level;

typedef struct layout {
    etf_buf *out;
    const doc *d;
    size_t w;          /* the line width */
    level *stack;      /* the open groups and nests */
    size_t depth, cap;
    size_t groups;     /* the open groups */
} layout;

/* Does what follows a flex break (from token p on, the line being at
 * column k) fit, up to the next break of a broken group? Groups that
 * follow count with their flat width; when the scan leaves the groups
 * now open, it goes on in their parents, whose modes are known. */
static int rest_fits(const layout *l, size_t p, size_t k)
{
    const doc *d = l->d;
    size_t sp = l->depth; /* levels the scan is still inside */
    size_t opened = 0;    /* nests opened during the scan */
    for (; p < d->n; p++) {
        const tok *t = &d->toks[p];
        int mode = sp > 0 ? l->stack[sp - 1].mode : FLAT;
        switch ((tok_kind)t->kind) {
        case TOK_TEXT:
            k += t->width;
            break;
        case TOK_GROUP:
            k += t->width;
            p = t->end;
            break;
        case TOK_BREAK:
            if (mode == BROKEN)
                return k <= l->w;
            k += t->width;
            break;
        case TOK_NEST:
            opened++;
            break;
        case TOK_UNNEST:
        case TOK_END:
            if (opened > 0)
                opened--;
            else if (sp > 0)
                sp--;
            break;
        }
        if (k > l->w)
            return 0;
    }
    return 1;
}

static int enter(layout *l, size_t indent, int mode)
{
    if (l->depth == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        level *s = realloc(l->stack, ncap * sizeof *s);
        if (s == NULL)
            return -1;
        l->stack = s;
        l->cap = ncap;
    }
    l->stack[l->depth++] = (level){indent, mode};
    return 0;
}

static void newline(layout *l, size_t indent, size_t *k)
{
    etf_buf_putc(l->out, '\n');
    for (size_t j = 0; j < indent; j++)
        etf_buf_putc(l->out, ' ');
    *k = indent;
}

static int format(layout *l, size_t col)
{
    const doc *d = l->d;
    size_t k = col;
    for (size_t p = 0; p < d->n; p++) {
        const tok *t = &d->toks[p];
        size_t indent = l->depth > 0 ? l->stack[l->depth - 1].indent : col;
        int mode = l->depth > 0 ? l->stack[l->depth - 1].mode : FLAT;
        switch ((tok_kind)t->kind) {
        case TOK_TEXT:
            etf_buf_append(l->out, d->o->text + t->at, t->len);
            k += t->width;
            break;
        case TOK_GROUP: {
            int fits = !t->has_break || k + t->width <= l->w ||
                       l->groups >= PRETTY_MAX_DEPTH;
            if (enter(l, indent, fits ? FLAT : BROKEN) != 0)
                return -1;
            l->groups++;
            break;
        }
        case TOK_NEST:
            if (enter(l, indent + t->len, mode) != 0)
                return -1;
            break;
        case TOK_END:
            l->groups--;
            l->depth--;
            break;
        case TOK_UNNEST:
            l->depth--;
            break;
        case TOK_BREAK:
            if (mode == FLAT ||
                (t->flex && rest_fits(l, p + 1, k + t->width))) {
                if (t->width > 0)
                    etf_buf_putc(l->out, ' ');
                k += t->width;
            } else {
                newline(l, indent, &k);
            }
            break;
        }
    }
    return l->out->failed ? -1 : 0;
}

int pretty_elixir(etf_buf *out, const outline *o, unsigned width,
                  unsigned col)
{
    doc d = {0};
    d.o = o;
    int r = build(&d);
    if (r == 0) {
        layout l = {out, &d, width, NULL, 0, 0, 0};
        r = format(&l, col);
        free(l.stack);
    }
    free(d.toks);
    free(d.open);
    return r;
}
