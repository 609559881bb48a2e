/*
 * pretty_erlang.c -- io_lib_pretty's layout: where io:format("~tp")
 * breaks the lines of a term that does not fit on one.
 *
 * This is OTP's stdlib io_lib_pretty.erl (pp/8 and cind/7 and their
 * helpers, the same in OTP 25 to 29), decision for decision, so that the
 * text is byte for byte what a node prints. The functions keep OTP's
 * names; Col is a 1-based column, Ll the line length, and io_lib_pretty's
 * "intermediate format" is the outline (print_internal.h), whose nodes
 * carry the width of their one-line text (Len).
 *
 * The rules, briefly:
 *
 *  - A term fits where it is if Len < Ll - Col - LD, where LD ("last
 *    depth") counts the closing brackets that must follow it on the same
 *    line. (io_lib_pretty also checks Len + W + LD =< M, M being the width
 *    of the whole term and W what is already on the line; that rarely
 *    decides anything, but it is kept.)
 *
 *  - A container that does not fit puts its elements under each other,
 *    just after its opening bracket, except that consecutive "atomic"
 *    elements (leaves; not containers, nor binaries written as bytes) are
 *    packed on a line while they fit.
 *
 *  - A tuple whose first element is an atom ("tagged") keeps the tag on
 *    the first line: {error,{...}} continues under the first element after
 *    the tag, or -- when that would indent too far, see TInd below -- on
 *    the next line, indented by TInd.
 *
 *  - A map association that does not fit puts its value on the next line,
 *    indented by 4 (or TInd): K =>\n    V.
 *
 *  - A binary written as bytes is filled line by line.
 *
 *  - TInd is chosen once for the whole term by a dry run (cind): -1 (no
 *    special indentation) unless some tagged tuple or record would then be
 *    indented past the middle of the line; then 4; if even that does not
 *    work, 1.
 *
 * Strings and printable binaries are never split. pp() recurses once per
 * nesting level of broken containers; past PRETTY_MAX_DEPTH levels it
 * writes the rest on one line, which is the only place where edist
 * differs from io_lib_pretty (a term must be more than 200 containers
 * deep, each broken over lines, for it to show).
 */
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"
#include "etf/print_internal.h"

typedef long long num; /* columns and widths, signed as in Erlang */

typedef struct pp_state {
    etf_buf *out;
    const outline *o;
    num ll;      /* line length */
    num m;       /* the whole term's width */
    num tind;    /* the indentation of tagged tuples, records and map
                    values: -1 (none), 4 or 1 */
} pp_state;

/* ---- the outline ---------------------------------------------------------- */

static const onode *node(const pp_state *s, size_t i)
{
    return &s->o->nodes[i];
}

static num len_of(const pp_state *s, size_t i)
{
    return (num)node(s, i)->width;
}

/* The node after i's subtree: i's next sibling, or its parent's end. */
static size_t next_of(const pp_state *s, size_t i)
{
    return i + node(s, i)->size;
}

/* ?ATM: printed as one word (not a container, nor bytes). */
static int atomic(const pp_state *s, size_t i)
{
    return node(s, i)->kind == ONODE_LEAF;
}

/* ?ATM_PAIR and ?ATM_FLD: an item whose key (if any) and value are. */
static int atomic_item(const pp_state *s, size_t i)
{
    for (size_t c = i + 1; c < next_of(s, i); c = next_of(s, c))
        if (!atomic(s, c))
            return 0;
    return 1;
}

/* The value of an item: its last child. */
static size_t item_value(const pp_state *s, size_t i)
{
    size_t c = i + 1, last = c;
    for (; c < next_of(s, i); c = next_of(s, c))
        last = c;
    return last;
}

/* last_depth/2: the closing brackets after child c of a container ending
 * at `end`: none if a proper element follows (a comma does), else one
 * more than the container's own. */
static num last_depth(const pp_state *s, size_t c, size_t end, num ld)
{
    size_t n = next_of(s, c);
    return n < end && !node(s, n)->tail ? 0 : ld + 1;
}

/* Where the text of container i's last child ends (its closing bracket
 * follows). */
static size_t children_end(const pp_state *s, size_t i)
{
    size_t end = next_of(s, i), last = SIZE_MAX;
    for (size_t c = i + 1; c < end; c = next_of(s, c))
        last = c;
    return last == SIZE_MAX ? node(s, i)->end - 1 : node(s, last)->end;
}

/* The width of the opening text of container i ("[", "#{", "#m:n{"). */
static num open_width(const pp_state *s, size_t i)
{
    const onode *nd = node(s, i);
    size_t stop = nd->size > 1 ? node(s, i + 1)->at : nd->end - 1;
    return (num)etf_utf8_count(s->o->text + nd->at, stop - nd->at);
}

/* Len < Ll - Col - LD, Len + W + LD =< M */
static int fits(const pp_state *s, num len, num col, num ld, num w)
{
    return len < s->ll - col - ld && len + w + ld <= s->m;
}

/* ---- writing ---------------------------------------------------------------- */

static void put_slice(pp_state *s, size_t from, size_t to)
{
    etf_buf_append(s->out, s->o->text + from, to - from);
}

/* write/1: node i on one line. */
static void write_node(pp_state *s, size_t i)
{
    put_slice(s, node(s, i)->at, node(s, i)->end);
}

/* A new line indented to column col (col - 1 spaces). */
static void newline(pp_state *s, num col)
{
    etf_buf_putc(s->out, '\n');
    for (num k = 1; k < col; k++)
        etf_buf_putc(s->out, ' ');
}

static void pp(pp_state *s, size_t i, num col, num ld, num w, int depth);

/* pp_element/8: returns the width taken on the line, or Ll to force the
 * next element onto a new line. */
static num pp_element(pp_state *s, size_t e, num col, num ld, num w,
                      int depth)
{
    if (fits(s, len_of(s, e), col, ld, w) && atomic(s, e)) {
        write_node(s, e);
        return len_of(s, e);
    }
    pp(s, e, col, ld, w, depth);
    return s->ll;
}

/* pp_tail/10: the elements from e on, of a container ending at `end`;
 * col0 is the column of the elements, col where the line is now. The
 * tail of an improper list follows `sep` ("|"). */
static void pp_tail(pp_state *s, size_t e, size_t end, num col0, num col,
                    num ld, num w, int depth)
{
    for (; e < end; e = next_of(s, e)) {
        num len = len_of(s, e);
        if (node(s, e)->tail) {
            etf_buf_putc(s->out, '|');
            if (len + 1 < s->ll - col - (ld + 1) &&
                len + 1 + w + (ld + 1) <= s->m && atomic(s, e)) {
                write_node(s, e);
            } else {
                newline(s, col0);
                pp(s, e, col0, ld + 1, 0, depth);
            }
            return;
        }
        num ld1 = last_depth(s, e, end, ld);
        num elen = 1 + len;
        etf_buf_putc(s->out, ',');
        if (((ld1 == 0 && elen + 1 < s->ll - col && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - col - ld1 && w + elen + ld1 <= s->m)) &&
            atomic(s, e)) {
            write_node(s, e);
            col += elen;
            w += elen;
        } else {
            newline(s, col0);
            num we = pp_element(s, e, col0, ld1, 0, depth);
            col = col0 + we;
            w = we;
        }
    }
}

/* pp_list/9: the elements of container i, the first at column col0. */
static void pp_list(pp_state *s, size_t first, size_t end, num col0,
                    num ld, num w, int depth)
{
    num we = pp_element(s, first, col0, last_depth(s, first, end, ld), w,
                        depth);
    pp_tail(s, next_of(s, first), end, col0, col0 + we, ld, w + we, depth);
}

/* pp_tag_tuple/8: {Tag,... with the elements after the tag either
 * aligned after "{Tag," or, with TInd, on new lines indented by TInd. */
static void pp_tag_tuple(pp_state *s, size_t first, size_t end, num col,
                         num ld, num w, int depth)
{
    num tlen = len_of(s, first);
    num tagind = tlen + 2;
    num tcol = col + tagind;
    write_node(s, first);
    if (s->tind > 0 && tagind > s->tind) {
        pp_tail(s, next_of(s, first), end, col + s->tind, tcol, ld,
                w + tlen, depth);
    } else {
        etf_buf_putc(s->out, ',');
        pp_list(s, next_of(s, first), end, tcol, ld, w + tlen + 1, depth);
    }
}

/* map_value_indent/1 */
static num map_value_indent(num tind)
{
    return tind > 0 ? tind : 4;
}

/* pp_pair/8: "K => V", or "K =>" and V on the next line. */
static num pp_pair(pp_state *s, size_t p, num col, num ld, num w, int depth)
{
    if (fits(s, len_of(s, p), col, ld, w)) {
        write_node(s, p);
        return atomic_item(s, p) ? len_of(s, p) : s->ll;
    }
    size_t k = p + 1, v = next_of(s, k);
    num ind = map_value_indent(s->tind);
    pp(s, k, col, ld, w, depth);
    etf_buf_puts(s->out, " =>");
    newline(s, col + ind);
    pp(s, v, col + ind, ld, 0, depth);
    return s->ll;
}

/* pp_map/8 and pp_pairs_tail/9. */
static void pp_map(pp_state *s, size_t first, size_t end, num col, num ld,
                   num w, int depth)
{
    num pw = pp_pair(s, first, col, last_depth(s, first, end, ld), w, depth);
    num c = col + pw;
    w = pw;
    for (size_t p = next_of(s, first); p < end; p = next_of(s, p)) {
        num ld1 = last_depth(s, p, end, ld);
        num elen = 1 + len_of(s, p);
        etf_buf_putc(s->out, ',');
        if (((ld1 == 0 && elen + 1 < s->ll - c && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - c - ld1 && w + elen + ld1 <= s->m)) &&
            atomic_item(s, p)) {
            write_node(s, p);
            c += elen;
            w += elen;
        } else {
            newline(s, col);
            pw = pp_pair(s, p, col, ld1, 0, depth);
            c = col + pw;
            w = pw;
        }
    }
}

/* rec_indent/5: a record's fields (and a field's value) go after the
 * name, or, if that is longer than TInd, on a new line indented by TInd.
 * Returns the column; sets *nl and updates *w. */
static num rec_indent(const pp_state *s, num rind, num col0, num *w, int *nl)
{
    *nl = s->tind > 0 && rind > s->tind;
    if (*nl)
        *w = 0;
    return col0 + (*nl ? s->tind : rind);
}

/* pp_field/8: "name = V". */
static num pp_field(pp_state *s, size_t f, num col, num ld, num w, int depth)
{
    if (fits(s, len_of(s, f), col, ld, w)) {
        write_node(s, f);
        return atomic_item(s, f) ? len_of(s, f) : s->ll;
    }
    size_t v = item_value(s, f);
    /* The label is "name = ": NameL counts all of it. */
    num namel = (num)etf_utf8_count(s->o->text + node(s, f)->at,
                                    node(s, v)->at - node(s, f)->at);
    num w1 = w + namel;
    int nl;
    num c = rec_indent(s, namel, col, &w1, &nl);
    put_slice(s, node(s, f)->at, node(s, v)->at - 3); /* the name */
    if (nl) {
        etf_buf_puts(s->out, " =");
        newline(s, c);
    } else {
        etf_buf_puts(s->out, " = ");
    }
    pp(s, v, c, ld, w1, depth);
    return s->ll;
}

/* pp_record/9 and pp_fields_tail/9. */
static void pp_record(pp_state *s, size_t i, num nlen, num col0, num ld,
                      num w, int depth)
{
    size_t first = i + 1, end = next_of(s, i);
    if (first == end)
        return;
    int nl;
    num col = rec_indent(s, nlen + 1, col0, &w, &nl);
    if (nl)
        newline(s, col);
    num fw = pp_field(s, first, col, last_depth(s, first, end, ld), w, depth);
    num c = col + fw;
    w += fw;
    for (size_t f = next_of(s, first); f < end; f = next_of(s, f)) {
        num ld1 = last_depth(s, f, end, ld);
        num elen = 1 + len_of(s, f);
        etf_buf_putc(s->out, ',');
        if (((ld1 == 0 && elen + 1 < s->ll - c && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - c - ld1 && w + elen + ld1 <= s->m)) &&
            atomic_item(s, f)) {
            write_node(s, f);
            c += elen;
            w += elen;
        } else {
            newline(s, col);
            fw = pp_field(s, f, col, ld1, 0, depth);
            c = col + fw;
            w = fw;
        }
    }
}

/* pp_binary/7: <<1,2,3,...>> filled into lines of n columns. The bytes
 * are the one-line text between "<<" and ">>", split at the commas. */
static void pp_binary(pp_state *s, size_t i, num col, num ld, num w)
{
    num lim = s->ll - col < s->m - 4 - w ? s->ll - col : s->m - 4 - w;
    num n0 = lim - ld > 8 ? lim - ld : 8;
    num n = n0;
    const uint8_t *t = s->o->text;
    size_t at = node(s, i)->at + 2, end = node(s, i)->end - 2;
    etf_buf_puts(s->out, "<<");
    while (at < end) {
        size_t comma = at;
        while (comma < end && t[comma] != ',')
            comma++;
        num len = (num)(comma - at);
        if (comma < end) {
            /* BS followed by a comma */
            if (n - (len + 1) < 0) {
                newline(s, col);
                n = n0 - (len + 1);
            } else {
                n -= len + 1;
            }
            put_slice(s, at, comma + 1);
            at = comma + 1;
        } else {
            /* the last byte, or Value:Size */
            if (len > n)
                newline(s, col);
            put_slice(s, at, end);
            at = end;
        }
    }
    etf_buf_puts(s->out, ">>");
}

/* pp/8: node i at column col, with ld closing brackets after it and w
 * characters before it on the line. */
static void pp(pp_state *s, size_t i, num col, num ld, num w, int depth)
{
    const onode *nd = node(s, i);
    if (fits(s, len_of(s, i), col, ld, w) || nd->kind == ONODE_LEAF ||
        nd->kind == ONODE_ITEM || depth > PRETTY_MAX_DEPTH) {
        write_node(s, i);
        return;
    }
    if (nd->kind == ONODE_BYTES) {
        pp_binary(s, i, col + 2, ld, w);
        return;
    }
    size_t first = i + 1, end = next_of(s, i);
    num ow = open_width(s, i);
    put_slice(s, nd->at, first < end ? node(s, first)->at : nd->end - 1);
    if (first < end) {
        switch ((shape)nd->shape) {
        case SHAPE_LIST:
            pp_list(s, first, end, col + 1, ld, w + 1, depth + 1);
            break;
        case SHAPE_TUPLE:
            if (nd->tagged)
                pp_tag_tuple(s, first, end, col, ld, w + 1, depth + 1);
            else
                pp_list(s, first, end, col + 1, ld, w + 1, depth + 1);
            break;
        case SHAPE_MAP:
            pp_map(s, first, end, col + 2, ld, w + 1, depth + 1);
            break;
        case SHAPE_RECORD:
            pp_record(s, i, ow - 1, col, ld, w + ow, depth + 1);
            break;
        }
    }
    put_slice(s, children_end(s, i), nd->end);
}

/* ---- choosing TInd: cind/7 ------------------------------------------------ */

/* cind and its helpers walk the term as pp would, without writing, and
 * return -1 ("no_good") if indentation `ind` would put a tagged tuple's
 * or a record's elements past the middle of the line. */
static int cind(const pp_state *s, size_t i, num col, num ind, num ld, num w,
                int depth);

static int cind_element(const pp_state *s, size_t e, num col, num ind,
                        num ld, num w, num *we, int depth)
{
    if (fits(s, len_of(s, e), col, ld, w) && atomic(s, e)) {
        *we = len_of(s, e);
        return 0;
    }
    *we = s->ll;
    return cind(s, e, col, ind, ld, w, depth);
}

static int cind_tail(const pp_state *s, size_t e, size_t end, num col0,
                     num col, num ind, num ld, num w, int depth)
{
    for (; e < end; e = next_of(s, e)) {
        num len = len_of(s, e);
        if (node(s, e)->tail) {
            if (len + 1 < s->ll - col - (ld + 1) &&
                len + 1 + w + (ld + 1) <= s->m && atomic(s, e))
                return 0;
            return cind(s, e, col, ind, ld + 1, 0, depth);
        }
        num ld1 = last_depth(s, e, end, ld);
        num elen = 1 + len;
        if (((ld1 == 0 && elen + 1 < s->ll - col && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - col - ld1 && w + elen + ld1 <= s->m)) &&
            atomic(s, e)) {
            col += elen;
            w += elen;
        } else {
            num we;
            if (cind_element(s, e, col0, ind, ld1, 0, &we, depth) != 0)
                return -1;
            col = col0 + we;
            w = we;
        }
    }
    return 0;
}

static int cind_list(const pp_state *s, size_t first, size_t end, num col0,
                     num ind, num ld, num w, int depth)
{
    num we;
    if (cind_element(s, first, col0, ind, last_depth(s, first, end, ld), w,
                     &we, depth) != 0)
        return -1;
    return cind_tail(s, next_of(s, first), end, col0, col0 + we, ind, ld,
                     w + we, depth);
}

static int cind_tag_tuple(const pp_state *s, size_t first, size_t end,
                          num col, num ind, num ld, num w, int depth)
{
    num tlen = len_of(s, first);
    num tagind = tlen + 2;
    num tcol = col + tagind;
    if (ind > 0 && tagind > ind) {
        num col1 = col + ind;
        if (s->m + col1 <= s->ll || col1 <= s->ll / 2)
            return cind_tail(s, next_of(s, first), end, col1, tcol, ind, ld,
                             w + tlen, depth);
        return -1;
    }
    if (s->m + tcol < s->ll || tcol < s->ll / 2)
        return cind_list(s, next_of(s, first), end, tcol, ind, ld,
                         w + tlen + 1, depth);
    return -1;
}

static int cind_pair(const pp_state *s, size_t p, num col, num ind, num ld,
                     num w, num *pw, int depth)
{
    if (fits(s, len_of(s, p), col, ld, w)) {
        *pw = atomic_item(s, p) ? len_of(s, p) : s->ll;
        return 0;
    }
    *pw = s->ll;
    size_t k = p + 1, v = next_of(s, k);
    if (cind(s, k, col, ind, ld, w, depth) != 0)
        return -1;
    return cind(s, v, col + map_value_indent(ind), ind, ld, 0, depth);
}

static int cind_map(const pp_state *s, size_t first, size_t end, num col,
                    num ind, num ld, num w, int depth)
{
    num pw;
    if (cind_pair(s, first, col, ind, last_depth(s, first, end, ld), w, &pw,
                  depth) != 0)
        return -1;
    num c = col + pw;
    w += pw;
    for (size_t p = next_of(s, first); p < end; p = next_of(s, p)) {
        num ld1 = last_depth(s, p, end, ld);
        num elen = 1 + len_of(s, p);
        if (((ld1 == 0 && elen + 1 < s->ll - c && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - c - ld1 && w + elen + ld1 <= s->m)) &&
            atomic_item(s, p)) {
            c += elen;
            w += elen;
        } else {
            if (cind_pair(s, p, col, ind, ld1, 0, &pw, depth) != 0)
                return -1;
            c = col + pw;
            w = pw;
        }
    }
    return 0;
}

/* cind_rec/6 */
static int cind_rec(const pp_state *s, num rind, num col0, num ind, num *col,
                    num *w)
{
    int nl = ind > 0 && rind > ind;
    *col = col0 + (nl ? ind : rind);
    if (s->m + *col <= s->ll || *col <= s->ll / 2) {
        if (nl)
            *w = 0;
        return 0;
    }
    return -1;
}

static int cind_field(const pp_state *s, size_t f, num col, num ind, num ld,
                      num w, num *fw, int depth)
{
    if (fits(s, len_of(s, f), col, ld, w)) {
        *fw = atomic_item(s, f) ? len_of(s, f) : s->ll;
        return 0;
    }
    *fw = s->ll;
    size_t v = item_value(s, f);
    num namel = (num)etf_utf8_count(s->o->text + node(s, f)->at,
                                    node(s, v)->at - node(s, f)->at);
    num c, w1 = w + namel;
    if (cind_rec(s, namel, col, ind, &c, &w1) != 0)
        return -1;
    return cind(s, v, c, ind, ld, w1, depth);
}

static int cind_record(const pp_state *s, size_t i, num nlen, num col0,
                       num ind, num ld, num w, int depth)
{
    size_t first = i + 1, end = next_of(s, i);
    if (first == end)
        return 0;
    num col, fw;
    if (cind_rec(s, nlen + 1, col0, ind, &col, &w) != 0)
        return -1;
    if (cind_field(s, first, col, ind, last_depth(s, first, end, ld), w, &fw,
                   depth) != 0)
        return -1;
    num c = col + fw;
    w += fw;
    for (size_t f = next_of(s, first); f < end; f = next_of(s, f)) {
        num ld1 = last_depth(s, f, end, ld);
        num elen = 1 + len_of(s, f);
        if (((ld1 == 0 && elen + 1 < s->ll - c && w + elen + 1 <= s->m) ||
             (ld1 > 0 && elen < s->ll - c - ld1 && w + elen + ld1 <= s->m)) &&
            atomic_item(s, f)) {
            c += elen;
            w += elen;
        } else {
            if (cind_field(s, f, col, ind, ld1, 0, &fw, depth) != 0)
                return -1;
            /* io_lib_pretty continues from Col here, not Col0 as
             * pp_fields_tail does; kept as it is. */
            c += fw;
            w = fw;
        }
    }
    return 0;
}

static int cind(const pp_state *s, size_t i, num col, num ind, num ld, num w,
                int depth)
{
    const onode *nd = node(s, i);
    if (fits(s, len_of(s, i), col, ld, w) || nd->kind != ONODE_CONTAINER ||
        depth > PRETTY_MAX_DEPTH)
        return 0;
    size_t first = i + 1, end = next_of(s, i);
    if (first == end)
        return 0;
    switch ((shape)nd->shape) {
    case SHAPE_LIST:
        return cind_list(s, first, end, col + 1, ind, ld, w + 1, depth + 1);
    case SHAPE_TUPLE:
        if (nd->tagged)
            return cind_tag_tuple(s, first, end, col, ind, ld, w + 1,
                                  depth + 1);
        return cind_list(s, first, end, col + 1, ind, ld, w + 1, depth + 1);
    case SHAPE_MAP:
        return cind_map(s, first, end, col + 2, ind, ld, w + 2, depth + 1);
    case SHAPE_RECORD: {
        num ow = open_width(s, i);
        return cind_record(s, i, ow - 1, col, ind, ld, w + ow, depth + 1);
    }
    }
    return 0;
}

/* ---- entry point ---------------------------------------------------------- */

int pretty_erlang(etf_buf *out, const outline *o, unsigned width,
                  unsigned col)
{
    pp_state s = {out, o, (num)width, (num)o->nodes[0].width, 1};
    /* while_fail([-1, 4], ...), else 1 */
    if (cind(&s, 0, col, -1, 0, 0, 0) == 0)
        s.tind = -1;
    else if (cind(&s, 0, col, 4, 0, 0, 0) == 0)
        s.tind = 4;
    pp(&s, 0, col, 0, 0, 0);
    return out->failed ? -1 : 0;
}
