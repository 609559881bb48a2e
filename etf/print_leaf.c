/*
 * print_leaf.c -- the words of each language: how Erlang and Elixir write
 * atoms, strings, binaries, numbers, pids, references and funs.
 *
 * The Erlang rules are io_lib's (io_lib:write_atom, io_lib:write_string,
 * io_lib_pretty's printable checks) with the default printable range,
 * latin1: a list prints as a string only if every element is a printable
 * Latin-1 character, and a binary prints as <<"...">> if its bytes are
 * printable Latin-1, or as <<"..."/utf8>> if it is UTF-8 whose characters
 * are. The Elixir rules are Inspect's: charlists of printable ASCII as
 * ~c"...", printable UTF-8 binaries as "...", aliases as Foo.Bar,
 * keyword lists as [a: 1].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"
#include "etf/print_internal.h"

size_t etf_text_width(const uint8_t *s, size_t len)
{
    return etf_utf8_count(s, len);
}

/* ---- Erlang ----------------------------------------------------------------- */

static int erl_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

static int erl_name_char(uint32_t c)
{
    return erl_lower(c) || (c >= 'A' && c <= 'Z') ||
           (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
           (c >= '0' && c <= '9') || c == '_' || c == '@';
}

/* erl_scan's reserved words, plus 'maybe' and 'else', keywords since the
 * maybe expression became standard in OTP 27: quoting them always keeps the
 * text readable by every release. */
static const char *const erl_reserved[] = {
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr",
    "bxor", "case", "catch", "cond", "div", "else", "end", "fun", "if", "let",
    "maybe", "not", "of", "or", "orelse", "receive", "rem", "try", "when",
    "xor", NULL};

int etf_atom_needs_quotes(const char *name, size_t len)
{
    const uint8_t *s = (const uint8_t *)name;
    if (len == 0)
        return 1;
    size_t i = 0;
    int first = 1;
    while (i < len) {
        uint32_t c;
        size_t n = etf_utf8_next(s + i, len - i, &c);
        if (n == 0)
            return 1;
        if (first ? !erl_lower(c) : !erl_name_char(c))
            return 1;
        first = 0;
        i += n;
    }
    for (const char *const *r = erl_reserved; *r != NULL; r++)
        if (strlen(*r) == len && memcmp(*r, name, len) == 0)
            return 1;
    return 0;
}

/* One character of a quoted Erlang string or atom (io_lib:write_string). */
static void erl_char(etf_buf *out, uint32_t c, char quote)
{
    static const char esc[] = {
        ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v',
        ['\b'] = 'b', ['\f'] = 'f', [27] = 'e', [127] = 'd'};
    if (c == (uint32_t)quote || c == '\\') {
        char two[2] = {'\\', (char)c};
        etf_buf_append(out, two, 2);
    } else if ((c >= ' ' && c <= '~') || c >= 0xA0) {
        uint8_t u[4];
        etf_buf_append(out, u, etf_utf8_put(c, u));
    } else if (c < sizeof esc && esc[c] != 0) {
        char two[2] = {'\\', esc[c]};
        etf_buf_append(out, two, 2);
    } else {
        etf_buf_printf(out, "\\%o%o%o", (c >> 6) & 7, (c >> 3) & 7, c & 7);
    }
}

void write_atom_erlang(etf_buf *out, const char *name, size_t len)
{
    if (!etf_atom_needs_quotes(name, len)) {
        etf_buf_append(out, name, len);
        return;
    }
    const uint8_t *s = (const uint8_t *)name;
    etf_buf_putc(out, '\'');
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = etf_utf8_next(s + i, len - i, &c);
        if (n == 0) { /* not UTF-8: cannot come from the decoder */
            c = s[i];
            n = 1;
        }
        erl_char(out, c, '\'');
        i += n;
    }
    etf_buf_putc(out, '\'');
}

/* io_lib's printable Latin-1 characters. */
static int latin1_printable(uint32_t c)
{
    return (c >= ' ' && c <= '~') || (c >= 0xA0 && c <= 0xFF) ||
           (c >= '\b' && c <= '\r') || c == 27;
}

/* Elixir's printable ASCII for charlists (List.ascii_printable?). */
static int ascii_printable(uint32_t c)
{
    return (c >= ' ' && c <= '~') || (c >= 7 && c <= 13) || c == 27;
}

/* Elixir's String.printable? characters. */
static int unicode_printable(uint32_t c)
{
    return (c >= ' ' && c <= '~') || (c >= 7 && c <= 13) || c == 27 ||
           c == 127 || (c >= 0xA0 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

int list_prints_as_string(const printer *p, const etf_term *t)
{
    int (*ok)(uint32_t) = p->fmt == ETF_FORMAT_ELIXIR ? ascii_printable
                                                      : latin1_printable;
    for (;;) {
        if (t->type == ETF_STRING) {
            for (uint32_t i = 0; i < t->n; i++)
                if (!ok(t->u.bytes[i]))
                    return 0;
            return 1;
        }
        if (t->type == ETF_NIL)
            return 1;
        if (t->type != ETF_LIST)
            return 0;
        for (uint32_t i = 0; i < t->n; i++) {
            const etf_term *e = &t->u.elems[i];
            if (e->type != ETF_INTEGER || e->u.i < 0 || e->u.i > 0x10FFFF ||
                !ok((uint32_t)e->u.i))
                return 0;
        }
        t = &t->u.elems[t->n];
    }
}

/* ---- Elixir ------------------------------------------------------------- */

static void ex_char(etf_buf *out, uint32_t c, char quote, uint32_t next)
{
    static const char esc[] = {
        ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v', ['\b'] = 'b',
        ['\f'] = 'f', [27] = 'e', [127] = 'd', [7] = 'a'};
    if (c == (uint32_t)quote || c == '\\' || (c == '#' && next == '{')) {
        char two[2] = {'\\', (char)c};
        etf_buf_append(out, two, 2);
    } else if (c < sizeof esc && esc[c] != 0) {
        char two[2] = {'\\', esc[c]};
        etf_buf_append(out, two, 2);
    } else if (c < ' ') {
        etf_buf_printf(out, "\\x%02X", c);
    } else if ((c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029) {
        /* C1 controls and line separators: Elixir 1.20 refuses them raw
         * in a string. */
        etf_buf_printf(out, "\\u%04X", c);
    } else {
        uint8_t u[4];
        etf_buf_append(out, u, etf_utf8_put(c, u));
    }
}

/* UTF-8 text as an Elixir quoted string body. */
static void ex_quoted(etf_buf *out, const uint8_t *s, size_t len, char quote)
{
    for (size_t i = 0; i < len;) {
        uint32_t c, next = 0;
        size_t n = etf_utf8_next(s + i, len - i, &c);
        if (n == 0) {
            c = s[i];
            n = 1;
        }
        if (i + n < len)
            next = s[i + n];
        ex_char(out, c, quote, next);
        i += n;
    }
}

static int ascii_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ascii_alnum_(uint8_t c)
{
    return ascii_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* [a-zA-Z_][a-zA-Z0-9_@]*[?!]? : an atom Elixir writes as :name or, as a
 * keyword key, name: */
static int ex_identifier(const char *name, size_t len)
{
    const uint8_t *s = (const uint8_t *)name;
    if (len == 0 || !(ascii_alpha(s[0]) || s[0] == '_'))
        return 0;
    size_t i = 1;
    while (i < len && (ascii_alnum_(s[i]) || s[i] == '@'))
        i++;
    if (i < len && (s[i] == '?' || s[i] == '!'))
        i++;
    return i == len;
}

/* 'Elixir.Foo.Bar' is the alias Foo.Bar when every segment is one. */
static int ex_alias(const char *name, size_t len)
{
    if (len < 7 || memcmp(name, "Elixir.", 7) != 0)
        return 0;
    const uint8_t *s = (const uint8_t *)name + 7;
    size_t n = len - 7, i = 0;
    while (i < n) {
        if (!(s[i] >= 'A' && s[i] <= 'Z'))
            return 0;
        i++;
        while (i < n && ascii_alnum_(s[i]))
            i++;
        if (i < n) {
            if (s[i] != '.' || i + 1 == n)
                return 0;
            i++;
        }
    }
    return n > 0;
}

static const char *const ex_operators[] = {
    "+", "-", "*", "/", "++", "--", "!", "^", "&", "&&", "||", "|||", "<",
    ">", "<=", ">=", "==", "!=", "===", "!==", "=~", "<>", "..", "|>", "<<<",
    ">>>", "~~~", "<~", "~>", "<<~", "~>>", "<~>", "\\\\", "@", "..//",
    "&&&", "+++", "---", "<|>", "^^^", NULL};

static void write_atom_elixir(etf_buf *out, const char *name, size_t len)
{
    if ((len == 4 && memcmp(name, "true", 4) == 0) ||
        (len == 5 && memcmp(name, "false", 5) == 0) ||
        (len == 3 && memcmp(name, "nil", 3) == 0) ||
        (len == 6 && memcmp(name, "Elixir", 6) == 0)) {
        etf_buf_append(out, name, len);
        return;
    }
    if (ex_alias(name, len)) {
        etf_buf_append(out, name + 7, len - 7);
        return;
    }
    etf_buf_putc(out, ':');
    int plain = ex_identifier(name, len);
    for (const char *const *op = ex_operators; !plain && *op; op++)
        plain = strlen(*op) == len && memcmp(*op, name, len) == 0;
    if (plain) {
        etf_buf_append(out, name, len);
        return;
    }
    etf_buf_putc(out, '"');
    ex_quoted(out, (const uint8_t *)name, len, '"');
    etf_buf_putc(out, '"');
}

/* A keyword key: name: or "any text": */
static void write_keyword_key(etf_buf *out, const char *name, size_t len)
{
    if (ex_identifier(name, len)) {
        etf_buf_append(out, name, len);
    } else {
        etf_buf_putc(out, '"');
        ex_quoted(out, (const uint8_t *)name, len, '"');
        etf_buf_putc(out, '"');
    }
    etf_buf_puts(out, ": ");
}

/* A keyword key (Inspect.List.keyword?/1): an atom, but not an alias
 * such as 'Elixir.Foo'. */
static int is_kw_key(const etf_term *k)
{
    return k->type == ETF_ATOM &&
           !(k->n >= 7 && memcmp(k->u.atom, "Elixir.", 7) == 0);
}

static int is_kw_pair(const etf_term *e)
{
    return e->type == ETF_TUPLE && e->n == 2 && is_kw_key(&e->u.elems[0]);
}

/* A keyword item: the label is the first element of the {Key, Value}
 * tuple, the value its second. */
static void keyword_pair_label(etf_buf *out, item *it, size_t i,
                               const void *ctx)
{
    const etf_term *pair = it->value;
    (void)i;
    (void)ctx;
    write_keyword_key(out, pair->u.elems[0].u.atom, pair->u.elems[0].n);
    it->value = &pair->u.elems[1];
}

/* A map association with an atom key, written as a keyword: a: 1. */
static void keyword_key_label(etf_buf *out, item *it, size_t i,
                              const void *ctx)
{
    (void)i;
    (void)ctx;
    write_keyword_key(out, it->key->u.atom, it->key->n);
    it->key = NULL;
}

void elixir_keywords(expansion *x)
{
    if (x->n == 0)
        return;
    for (size_t i = 0; i < x->n; i++)
        if (x->items[i].tail || !is_kw_pair(x->items[i].value))
            return;
    /* Out of memory leaves the plain list of tuples, which is correct. */
    label_items(x, keyword_pair_label, NULL);
}

int elixir_expand_map(const etf_term *t, expansion *x)
{
    x->open = "%{";
    x->close = "}";
    const etf_term *kv = t->u.elems;
    const etf_term *strukt = NULL;
    int all_atoms = 1;
    for (uint32_t i = 0; i < t->n; i++) {
        const etf_term *k = &kv[2 * i];
        if (!is_kw_key(k))
            all_atoms = 0;
        else if (etf_atom_is(k, "__struct__") &&
                 kv[2 * i + 1].type == ETF_ATOM &&
                 ex_alias(kv[2 * i + 1].u.atom, kv[2 * i + 1].n))
            strukt = &kv[2 * i + 1];
    }
    if (!all_atoms)
        strukt = NULL;
    if (strukt != NULL) {
        etf_buf head = {0};
        etf_buf_putc(&head, '%');
        etf_buf_append(&head, strukt->u.atom + 7, strukt->n - 7);
        etf_buf_putc(&head, '{');
        if (head.failed)
            return -1;
        x->open_owned = (char *)head.data;
        x->open = x->open_owned;
    }
    size_t n = t->n - (strukt != NULL);
    x->items = n ? calloc(n, sizeof *x->items) : NULL;
    if (n && x->items == NULL)
        return -1;
    for (uint32_t i = 0; i < t->n; i++) {
        const etf_term *k = &kv[2 * i];
        if (strukt != NULL && etf_atom_is(k, "__struct__"))
            continue;
        x->items[x->n++] = (item){.key = k, .mid = all_atoms ? NULL : " => ",
                                  .value = &kv[2 * i + 1]};
    }
    return all_atoms ? label_items(x, keyword_key_label, NULL) : 0;
}

/* ---- JSON ----------------------------------------------------------------- */

void json_string(etf_buf *out, const uint8_t *s, size_t len)
{
    etf_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            char two[2] = {'\\', (char)c};
            etf_buf_append(out, two, 2);
        } else if (c == '\n') {
            etf_buf_puts(out, "\\n");
        } else if (c < 0x20 || c == 0x7F) {
            etf_buf_printf(out, "\\u%04x", c);
        } else {
            etf_buf_putc(out, (char)c);
        }
    }
    etf_buf_putc(out, '"');
}

static void base64(etf_buf *out, const uint8_t *s, size_t n)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {a[v >> 18], a[(v >> 12) & 63],
                     i + 1 < n ? a[(v >> 6) & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        etf_buf_append(out, q, 4);
    }
}

static void write_leaf_json(printer *p, const etf_term *t)
{
    etf_buf *out = p->out;
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM:
        etf_format_integer(t, out);
        return;
    case ETF_FLOAT: {
        char text[32];
        etf_format_float(t->u.f, text);
        etf_buf_puts(out, text);
        return;
    }
    case ETF_ATOM:
        if (etf_atom_is(t, "true") || etf_atom_is(t, "false"))
            etf_buf_append(out, t->u.atom, t->n);
        else if (etf_atom_is(t, "nil") || etf_atom_is(t, "null"))
            etf_buf_puts(out, "null");
        else
            json_string(out, (const uint8_t *)t->u.atom, t->n);
        return;
    case ETF_NIL:
        etf_buf_puts(out, "[]");
        return;
    case ETF_TUPLE:
        etf_buf_puts(out, "[]");
        return;
    case ETF_MAP:
    case ETF_RECORD:
        etf_buf_puts(out, "{}");
        return;
    case ETF_BINARY:
        if (t->bits == 0 && etf_utf8_valid(t->u.bytes, t->n)) {
            json_string(out, t->u.bytes, t->n);
        } else if (t->bits == 0) {
            etf_buf_puts(out, "{\"binary\": \"");
            base64(out, t->u.bytes, t->n);
            etf_buf_puts(out, "\"}");
        } else {
            etf_buf_puts(out, "{\"bitstring\": \"");
            base64(out, t->u.bytes, t->n);
            etf_buf_printf(out, "\", \"bits\": %zu}",
                           (size_t)t->n * 8 - (8 - t->bits));
        }
        return;
    default: {
        /* Pids, ports, references, funs: the JSON string of their
         * Erlang text. */
        etf_buf text = {0};
        printer ep = *p;
        ep.fmt = ETF_FORMAT_ERLANG;
        ep.out = &text;
        write_leaf(&ep, t);
        json_string(out, text.data ? text.data : (const uint8_t *)"",
                    text.len);
        if (text.failed)
            out->failed = 1;
        etf_buf_release(&text);
        return;
    }
    }
}

/* ---- leaves ------------------------------------------------------------- */

static int node_is_home(const printer *p, etf_atom node)
{
    return p->home_node == NULL ||
           (p->home_node->len == node.len &&
            memcmp(p->home_node->name, node.name, node.len) == 0);
}

/* The node part of a pid, port or reference: 0 for the home node,
 * otherwise its name. */
static void write_node(printer *p, etf_atom node)
{
    if (node_is_home(p, node))
        etf_buf_putc(p->out, '0');
    else
        write_atom_erlang(p->out, node.name, node.len);
}

static void write_bits_list(printer *p, const etf_term *t)
{
    int ex = p->fmt == ETF_FORMAT_ELIXIR;
    etf_buf_puts(p->out, "<<");
    size_t whole = t->bits ? t->n - 1 : t->n;
    for (size_t i = 0; i < whole; i++) {
        if (i > 0)
            etf_buf_puts(p->out, ex ? ", " : ",");
        etf_buf_printf(p->out, "%u", t->u.bytes[i]);
    }
    if (t->bits) {
        if (whole > 0)
            etf_buf_puts(p->out, ex ? ", " : ",");
        unsigned v = t->u.bytes[t->n - 1] >> (8 - t->bits);
        if (ex)
            etf_buf_printf(p->out, "%u::size(%u)", v, t->bits);
        else
            etf_buf_printf(p->out, "%u:%u", v, t->bits);
    }
    etf_buf_puts(p->out, ">>");
}

static void write_binary_erlang(printer *p, const etf_term *t)
{
    const uint8_t *s = t->u.bytes;
    size_t n = t->n;
    if (t->bits != 0 || n == 0) {
        write_bits_list(p, t);
        return;
    }
    /* Valid UTF-8 of printable characters: <<"...">> or <<"..."/utf8>>. */
    int utf8_ok = etf_utf8_valid(s, n);
    for (size_t i = 0; utf8_ok && i < n;) {
        uint32_t c;
        size_t k = etf_utf8_next(s + i, n - i, &c);
        if (!latin1_printable(c))
            utf8_ok = 0;
        i += k;
    }
    if (!utf8_ok && etf_utf8_valid(s, n)) {
        /* UTF-8 with a character outside the printable range: io_lib
         * shows the bytes (it tries Latin-1 only for text that is not
         * UTF-8). */
        write_bits_list(p, t);
        return;
    }
    if (utf8_ok) {
        int ascii = etf_utf8_count(s, n) == n;
        etf_buf_puts(p->out, "<<\"");
        for (size_t i = 0; i < n;) {
            uint32_t c;
            i += etf_utf8_next(s + i, n - i, &c);
            erl_char(p->out, c, '"');
        }
        etf_buf_puts(p->out, ascii ? "\">>" : "\"/utf8>>");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!latin1_printable(s[i])) {
            write_bits_list(p, t);
            return;
        }
    /* Printable Latin-1 bytes: each byte is one character. */
    etf_buf_puts(p->out, "<<\"");
    for (size_t i = 0; i < n; i++)
        erl_char(p->out, s[i], '"');
    etf_buf_puts(p->out, "\">>");
}

static void write_binary_elixir(printer *p, const etf_term *t)
{
    const uint8_t *s = t->u.bytes;
    size_t n = t->n;
    if (t->bits == 0 && etf_utf8_valid(s, n)) {
        int ok = 1;
        for (size_t i = 0; ok && i < n;) {
            uint32_t c;
            i += etf_utf8_next(s + i, n - i, &c);
            ok = unicode_printable(c);
        }
        if (ok) {
            etf_buf_putc(p->out, '"');
            ex_quoted(p->out, s, n, '"');
            etf_buf_putc(p->out, '"');
            return;
        }
    }
    write_bits_list(p, t);
}

/* The characters of a printable list, in either language's quotes. */
static void write_string_list(printer *p, const etf_term *t)
{
    int ex = p->fmt == ETF_FORMAT_ELIXIR;
    etf_buf_puts(p->out, ex ? "~c\"" : "\"");
    uint32_t prev = 0;
    int have_prev = 0;
    /* Elixir escapes "#{", which needs one character of look-ahead. */
    for (const etf_term *s = t;;) {
        uint32_t n = s->type == ETF_STRING || s->type == ETF_LIST ? s->n : 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t c = s->type == ETF_STRING ? s->u.bytes[i]
                                               : (uint32_t)s->u.elems[i].u.i;
            if (have_prev) {
                if (ex)
                    ex_char(p->out, prev, '"', c);
                else
                    erl_char(p->out, prev, '"');
            }
            prev = c;
            have_prev = 1;
        }
        if (s->type != ETF_LIST)
            break;
        s = &s->u.elems[s->n];
    }
    if (have_prev) {
        if (ex)
            ex_char(p->out, prev, '"', 0);
        else
            erl_char(p->out, prev, '"');
    }
    etf_buf_putc(p->out, '"');
}

static void write_float(printer *p, double f)
{
    char text[32];
    double a = f < 0 ? -f : f;
    if (p->fmt == ETF_FORMAT_ELIXIR && a >= 1.0 && a < 1.0e16 &&
        a == (double)(int64_t)a) {
        /* Inspect.Float: whole numbers below 10^16 as 123.0 */
        etf_buf_printf(p->out, "%lld.0", (long long)f);
        return;
    }
    etf_format_float(f, text);
    etf_buf_puts(p->out, text);
}

static void write_integer(printer *p, const etf_term *t)
{
    size_t mark = p->out->len;
    etf_format_integer(t, p->out);
    if (p->fmt != ETF_FORMAT_ELIXIR || p->out->failed)
        return;
    /* Very large bignums come out as 16#...: Elixir writes 0x... */
    uint8_t *d = p->out->data + mark;
    size_t n = p->out->len - mark;
    size_t at = n > 0 && d[0] == '-' ? 1 : 0;
    if (n > at + 3 && d[at] == '1' && d[at + 1] == '6' && d[at + 2] == '#') {
        memmove(d + at + 2, d + at + 3, n - at - 3);
        d[at] = '0';
        d[at + 1] = 'x';
        p->out->len--;
        p->out->data[p->out->len] = 0;
    }
}

void write_leaf(printer *p, const etf_term *t)
{
    int ex = p->fmt == ETF_FORMAT_ELIXIR;
    etf_buf *out = p->out;
    if (p->fmt == ETF_FORMAT_JSON) {
        write_leaf_json(p, t);
        return;
    }
    switch ((etf_type)t->type) {
    case ETF_INTEGER:
    case ETF_BIGNUM:
        write_integer(p, t);
        return;
    case ETF_FLOAT:
        write_float(p, t->u.f);
        return;
    case ETF_ATOM:
        if (ex)
            write_atom_elixir(out, t->u.atom, t->n);
        else
            write_atom_erlang(out, t->u.atom, t->n);
        return;
    case ETF_NIL:
        etf_buf_puts(out, "[]");
        return;
    case ETF_LIST:
    case ETF_STRING:
        write_string_list(p, t);
        return;
    case ETF_TUPLE:
        etf_buf_puts(out, "{}");
        return;
    case ETF_MAP:
        etf_buf_puts(out, ex ? "%{}" : "#{}");
        return;
    case ETF_RECORD:
        etf_buf_putc(out, '#');
        write_atom_erlang(out, t->u.record->module.name,
                          t->u.record->module.len);
        etf_buf_putc(out, ':');
        write_atom_erlang(out, t->u.record->name.name,
                          t->u.record->name.len);
        etf_buf_puts(out, "{}");
        return;
    case ETF_BINARY:
        if (ex)
            write_binary_elixir(p, t);
        else
            write_binary_erlang(p, t);
        return;
    case ETF_PID:
        etf_buf_puts(out, ex ? "#PID<" : "<");
        write_node(p, t->u.pid->node);
        etf_buf_printf(out, ".%u.%u>", t->u.pid->id, t->u.pid->serial);
        return;
    case ETF_PORT:
        etf_buf_puts(out, "#Port<");
        write_node(p, t->u.port->node);
        etf_buf_printf(out, ".%llu>", (unsigned long long)t->u.port->id);
        return;
    case ETF_REF: {
        const etf_ref *r = t->u.ref;
        etf_buf_puts(out, ex ? "#Reference<" : "#Ref<");
        write_node(p, r->node);
        for (uint32_t i = r->len; i-- > 0;)
            etf_buf_printf(out, ".%u", r->id[i]);
        etf_buf_putc(out, '>');
        return;
    }
    case ETF_EXPORT: {
        const etf_term *m = &t->u.elems[0], *f = &t->u.elems[1];
        if (ex) {
            etf_buf_putc(out, '&');
            write_atom_elixir(out, m->u.atom, m->n);
            etf_buf_putc(out, '.');
            if (ex_identifier(f->u.atom, f->n)) {
                etf_buf_append(out, f->u.atom, f->n);
            } else {
                etf_buf_putc(out, '"');
                ex_quoted(out, (const uint8_t *)f->u.atom, f->n, '"');
                etf_buf_putc(out, '"');
            }
            etf_buf_printf(out, "/%u", t->n);
        } else {
            etf_buf_puts(out, "fun ");
            write_atom_erlang(out, m->u.atom, m->n);
            etf_buf_putc(out, ':');
            write_atom_erlang(out, f->u.atom, f->n);
            etf_buf_printf(out, "/%u", t->n);
        }
        return;
    }
    case ETF_FUN: {
        const etf_fun *f = t->u.fun;
        if (ex) {
            etf_buf_printf(out, "#Function<%lld.%lld/%u in ",
                           (long long)f->old_index, (long long)f->old_uniq,
                           f->arity);
            write_atom_elixir(out, f->module.name, f->module.len);
            etf_buf_putc(out, '>');
        } else {
            etf_buf_puts(out, "#Fun<");
            write_atom_erlang(out, f->module.name, f->module.len);
            etf_buf_printf(out, ".%lld.%lld>", (long long)f->old_index,
                           (long long)f->old_uniq);
        }
        return;
    }
    case ETF_LOCAL:
        etf_buf_printf(out, "#LocalExt<%u bytes>", t->n);
        return;
    }
    etf_buf_puts(out, "#Unknown<>");
}
