/*
 * parse.c -- Erlang term syntax, as people type it, to etf_term trees.
 *
 * People give edist terms on a command line: {ok, [1,2]}, <<"abc">>,
 * #{name => "x"}, 'node@host'. This file reads such text into the same
 * etf_term trees the decoder makes, so that the layers above never care
 * where a term came from.
 *
 * The language
 * ------------
 * Erlang's own syntax for literal terms (erl_scan and erl_parse in OTP's
 * stdlib, and erl_eval's rules for binaries), with these differences, all
 * for people at a shell:
 *
 *  - An unquoted atom may contain '.' when a letter or a digit follows it,
 *    so that node names need no quotes: app@host.example.com and
 *    app@10.0.0.5 are atoms. Erlang would end the atom at the '.'; here a
 *    '.' ends the term only when no letter or digit follows.
 *  - A word that starts with an ASCII capital letter is an Elixir alias,
 *    not a variable (variables mean nothing in a literal): Foo.Bar is the
 *    atom 'Elixir.Foo.Bar', and so is Elixir.Foo.Bar. Elixir's :ok and
 *    :"quoted atom" are atoms too.
 *  - In a binary, a character of a string that does not fit its segment
 *    (<<"\x{100}">>) is an error that points at /utf8, where Erlang would
 *    silently keep the low bits.
 *  - maybe and else (reserved only in newer OTP releases) are plain atoms;
 *    the other reserved words must be quoted ('case', 'end'), as in Erlang.
 *
 * Everything that is not a literal is an error that says so: 1+2, foo(),
 * variables, records, and pids typed as <0.1.2>. Map keys given twice keep
 * the last value, as in Erlang, and a map's keys come out in Erlang term
 * order. A list whose tail is a list literal ([1 | [2]], [1 | "ab"]) comes
 * out flat.
 *
 * Strategy
 * --------
 * A scanner turns the text into tokens one at a time, with one token of
 * push-back. The parser is a loop over an explicit stack of open
 * containers rather than a recursive descent, so that [[[[...]]]] nested a
 * million deep cannot exhaust the C stack. The loop alternates two steps:
 *
 *   value()  reads the next element of the innermost container: a literal
 *            completes at once; an opening bracket pushes a frame.
 *   after()  hands a completed value to the innermost container and reads
 *            what follows it: a separator (then value() runs again) or the
 *            closing bracket, which completes that container, whose term
 *            after() then hands to the container below.
 *
 * The elements of all open containers wait on one growing array (a
 * container's elements are the top of it), and a closing bracket copies
 * them into the arena. A binary builds its bits as its segments come.
 * Everything temporary is malloc'ed and freed before etf_parse returns;
 * only the result lives in the arena.
 *
 * Errors give the line and column (1-based, columns in characters) of the
 * token at fault -- for something left open, of where it starts -- and say
 * what was expected there.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"
#include "etf/internal.h"

/* The decoder's default depth: whatever we parse, it can read back. */
#define PARSE_MAX_DEPTH ETF_DEFAULT_MAX_DEPTH
/* Converting digits to a bignum costs time quadratic in their number. */
#define PARSE_MAX_INT_DIGITS 100000
/* A literal such as <<0:99999999999>> is short; what it makes must not be
 * larger than this. */
#define PARSE_MAX_BINARY_BYTES ((uint64_t)1 << 24)
#define PARSE_MAX_BINARY_BITS (PARSE_MAX_BINARY_BYTES * 8)

/* ---- tokens ------------------------------------------------------------- */

typedef enum tok_kind {
    T_EOF,
    T_INT,    /* 12, 16#ff, $a: v is the (non-negative) integer */
    T_FLOAT,  /* 1.5: v is the (non-negative) float */
    T_ATOM,   /* an unquoted atom or reserved word: the text itself */
    T_QATOM,  /* 'quoted' or an Elixir :atom: v is the atom */
    T_ALIAS,  /* Foo.Bar: v is the atom 'Elixir.Foo.Bar' */
    T_VAR,    /* _x, Ärger: a variable, which is an error in a term */
    T_STRING, /* "...": its characters are p->cps[cp_start..p->ncps) */
    T_PUNCT   /* op is its spelling: "{", "=>", "<<", ... */
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t pos, end; /* the token is text[pos..end) */
    const char *op;
    etf_term v;
    size_t cp_start;
} token;

/* ---- the stack of open containers --------------------------------------- */

typedef enum frame_kind { F_TUPLE, F_LIST, F_MAP, F_BINARY } frame_kind;

enum { L_ELEMS, L_TAIL, L_END }; /* list: elements, the tail, ']' due */
enum { M_KEY, M_VALUE };         /* map: a key is due, a value is due */

typedef struct frame {
    frame_kind kind;
    int state;
    size_t open;    /* offset of the opening bracket */
    size_t base;    /* its first element's index in p->vals */
    size_t closers; /* list: ']' owed for tails written "| [" */
    etf_term tail;  /* list: the tail after '|' */
    size_t seg;     /* binary: offset of the segment being read */
    uint8_t *bits;  /* binary: the bits so far, malloc'ed */
    size_t nbits, cap;
} frame;

typedef struct parser {
    const uint8_t *s;
    size_t len, pos; /* pos: just after the last token read */
    etf_arena *a;
    etf_error *err;
    token ahead; /* a token read and given back */
    int has_ahead;
    uint32_t *cps; /* characters of the strings being read */
    size_t ncps, cps_cap;
    etf_term *vals; /* elements of the open containers */
    size_t nvals, vals_cap;
    frame *frames;
    size_t depth, frames_cap;
    size_t brace_comment; /* 1 + offset of a comment "%{...", or 0 */
} parser;

/* What value() and after() return. */
enum { STEP_ERROR = -1, STEP_MORE, STEP_VALUE };

static const uint8_t empty_bytes[1];

/* ---- errors ------------------------------------------------------------- */

/* Line and column (1-based, in characters) of byte offset pos. */
static void locate(const parser *p, size_t pos, unsigned *line,
                   unsigned *col)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            l += l < UINT_MAX;
            c = 1;
        } else if ((p->s[i] & 0xC0) != 0x80) {
            c += c < UINT_MAX;
        }
    }
    *line = l;
    *col = c;
}

static int vfail(parser *p, etf_errcode code, size_t pos, const char *fmt,
                 va_list ap)
{
    char msg[sizeof p->err->message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    etf_fail(p->err, code, pos, "%s", msg);
    if (p->err != NULL)
        locate(p, pos, &p->err->line, &p->err->column);
    return -1;
}

#if defined(__GNUC__)
#define PRINTF_LIKE __attribute__((format(printf, 3, 4)))
#else
#define PRINTF_LIKE
#endif

/* A syntax error at byte offset pos; returns -1. */
static int PRINTF_LIKE syntax(parser *p, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, ETF_ERR_SYNTAX, pos, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(parser *p)
{
    unsigned line, col;
    locate(p, p->pos, &line, &col);
    if (p->err != NULL) {
        etf_fail(p->err, ETF_ERR_NOMEM, p->pos,
                 "out of memory at line %u, column %u", line, col);
        p->err->line = line;
        p->err->column = col;
    }
    return -1;
}

/* A token as a message quotes it: 'foo', '}', a string, end of input. */
static const char *describe(const parser *p, const token *t, char *buf,
                            size_t size)
{
    if (t->kind == T_EOF)
        return "end of input";
    if (t->kind == T_STRING)
        return "a string";
    size_t n = t->end - t->pos, max = 24, k = 0;
    char text[32];
    int cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && (p->s[t->pos + n] & 0xC0) == 0x80)
            n--; /* not in the middle of a character */
    }
    for (size_t i = 0; i < n && k < sizeof text - 1; i++) {
        uint8_t c = p->s[t->pos + i];
        text[k++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    text[k] = 0;
    const char *q = t->kind == T_QATOM && text[0] == '\'' ? "" : "'";
    snprintf(buf, size, "%s%s%s%s", q, text, cut ? "..." : "", q);
    return buf;
}

static const char *frame_name(frame_kind k)
{
    switch (k) {
    case F_TUPLE: return "tuple";
    case F_LIST: return "list";
    case F_MAP: return "map";
    case F_BINARY: return "binary";
    }
    return "term";
}

static int unterminated(parser *p, const frame *f)
{
    unsigned line, col;
    locate(p, f->open, &line, &col);
    return syntax(p, f->open, "unterminated %s starting at line %u, "
                  "column %u", frame_name(f->kind), line, col);
}

/* ---- memory ------------------------------------------------------------- */

/* Room for `need` items of `size` bytes in a malloc'ed array: returns the
 * array (perhaps moved), or NULL with the error set and the old array
 * still valid. */
static void *reserve(parser *p, void *arr, size_t *cap, size_t need,
                     size_t size)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size) {
            nomem(p);
            return NULL;
        }
        n *= 2;
    }
    void *q = realloc(arr, n * size);
    if (q == NULL) {
        nomem(p);
        return NULL;
    }
    *cap = n;
    return q;
}

static int push_cp(parser *p, uint32_t cp)
{
    uint32_t *q = reserve(p, p->cps, &p->cps_cap, p->ncps + 1, sizeof *q);
    if (q == NULL)
        return -1;
    p->cps = q;
    p->cps[p->ncps++] = cp;
    return 0;
}

static int push_val(parser *p, const etf_term *v)
{
    etf_term *q = reserve(p, p->vals, &p->vals_cap, p->nvals + 1, sizeof *q);
    if (q == NULL)
        return -1;
    p->vals = q;
    p->vals[p->nvals++] = *v;
    return 0;
}

static void *alloc(parser *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        nomem(p);
        return NULL;
    }
    void *m = etf_arena_alloc(p->a, n * size);
    if (m == NULL)
        nomem(p);
    return m;
}

/* ---- terms from text ---------------------------------------------------- */

/* An atom named by UTF-8 bytes, copied into the arena. */
static int atom_term(parser *p, const uint8_t *name, size_t n, size_t pos,
                     etf_term *v)
{
    size_t chars = etf_utf8_count(name, n);
    if (chars > ETF_MAX_ATOM_CHARS)
        return syntax(p, pos, "atom of %zu characters: the limit is %d",
                      chars, ETF_MAX_ATOM_CHARS);
    char *copy = (char *)empty_bytes;
    if (n > 0) {
        if ((copy = alloc(p, n, 1)) == NULL)
            return -1;
        memcpy(copy, name, n);
    }
    *v = etf_atom_n(copy, n);
    return 0;
}

/* An atom from the characters p->cps[from..p->ncps), which it drops. */
static int atom_from_cps(parser *p, size_t from, size_t pos, etf_term *v)
{
    size_t n = p->ncps - from, bytes = 0;
    if (n > ETF_MAX_ATOM_CHARS)
        return syntax(p, pos, "atom of %zu characters: the limit is %d", n,
                      ETF_MAX_ATOM_CHARS);
    uint8_t name[ETF_MAX_ATOM_BYTES];
    for (size_t i = 0; i < n; i++)
        bytes += etf_utf8_put(p->cps[from + i], name + bytes);
    p->ncps = from;
    return atom_term(p, name, bytes, pos, v);
}

/* A string from p->cps[from..p->ncps), which it drops: [] when empty, a
 * STRING when every character is a byte, else a list of integers. */
static int string_term(parser *p, size_t from, size_t pos, etf_term *v)
{
    size_t n = p->ncps - from;
    p->ncps = from;
    if (n == 0) {
        *v = etf_nil();
        return 0;
    }
    const uint32_t *c = p->cps + from;
    if (n >= UINT32_MAX)
        return syntax(p, pos, "string of %zu characters is too long", n);
    int bytes = 1;
    for (size_t i = 0; i < n && bytes; i++)
        bytes = c[i] <= 255;
    if (bytes) {
        uint8_t *b = alloc(p, n, 1);
        if (b == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)c[i];
        etf_term t = {.type = ETF_STRING, .n = (uint32_t)n};
        t.u.bytes = b;
        *v = t;
        return 0;
    }
    etf_term *e = alloc(p, n + 1, sizeof *e);
    if (e == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        e[i] = etf_int(c[i]);
    e[n] = etf_nil();
    etf_term t = {.type = ETF_LIST, .n = (uint32_t)n};
    t.u.elems = e;
    *v = t;
    return 0;
}

static int digit_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* The integer written in `base` by text[from..to) (digits and '_'):
 * ETF_INTEGER if it fits in int64_t, else ETF_BIGNUM. */
static int integer_term(parser *p, size_t from, size_t to, unsigned base,
                        etf_term *v)
{
    uint64_t u = 0;
    int over = 0;
    size_t ndigits = 0;
    for (size_t i = from; i < to; i++) {
        if (p->s[i] == '_')
            continue;
        unsigned d = (unsigned)digit_value(p->s[i]);
        ndigits++;
        if (!over && u > (UINT64_MAX - d) / base)
            over = 1;
        if (!over)
            u = u * base + d;
    }
    if (!over && u <= (uint64_t)INT64_MAX) {
        *v = etf_int((int64_t)u);
        return 0;
    }
    if (ndigits > PARSE_MAX_INT_DIGITS)
        return syntax(p, from, "integer of %zu digits: the limit is %d",
                      ndigits, PARSE_MAX_INT_DIGITS);

    /* A bignum: 32-bit limbs, least significant first, multiplied by
     * base^k and added to, k digits at a time (base^k < 2^32). Each digit
     * adds at most 6 bits (base <= 36 < 2^6). */
    size_t cap = ndigits * 6 / 32 + 2, nl = 0;
    uint32_t *limb = malloc(cap * sizeof *limb);
    if (limb == NULL)
        return nomem(p);
    size_t i = from;
    while (i < to) {
        uint64_t chunk = 0, mul = 1;
        while (i < to && mul * base <= UINT32_MAX) {
            if (p->s[i] != '_') {
                chunk = chunk * base + (unsigned)digit_value(p->s[i]);
                mul *= base;
            }
            i++;
        }
        uint64_t carry = chunk;
        for (size_t j = 0; j < nl; j++) {
            uint64_t x = (uint64_t)limb[j] * mul + carry;
            limb[j] = (uint32_t)x;
            carry = x >> 32;
        }
        if (carry != 0 && nl < cap)
            limb[nl++] = (uint32_t)carry;
    }
    size_t nb = nl * 4;
    while (nb > 0 &&
           ((limb[(nb - 1) / 4] >> (8 * ((nb - 1) % 4))) & 0xFF) == 0)
        nb--;
    uint8_t *b = alloc(p, nb, 1);
    if (b == NULL) {
        free(limb);
        return -1;
    }
    for (size_t k = 0; k < nb; k++)
        b[k] = (uint8_t)(limb[k / 4] >> (8 * (k % 4)));
    free(limb);
    etf_term t = {.type = ETF_BIGNUM, .n = (uint32_t)nb};
    t.u.bytes = b;
    *v = t;
    return 0;
}

/* The float written by text[from..to), which the scanner has checked has
 * the shape digits '.' digits [e [sign] digits], with '_' between digits. */
static int float_term(parser *p, size_t from, size_t to, etf_term *v)
{
    /* strtod reads the locale's decimal point: give it that one. */
    const struct lconv *lc = localeconv();
    const char *dp = lc && lc->decimal_point && *lc->decimal_point
                         ? lc->decimal_point : ".";
    size_t dpl = strlen(dp);
    char *buf = malloc(to - from + dpl + 1);
    if (buf == NULL)
        return nomem(p);
    size_t k = 0;
    for (size_t i = from; i < to; i++) {
        if (p->s[i] == '_')
            continue;
        if (p->s[i] == '.') {
            memcpy(buf + k, dp, dpl);
            k += dpl;
        } else {
            buf[k++] = (char)p->s[i];
        }
    }
    buf[k] = 0;
    char *end;
    double f = strtod(buf, &end);
    int whole = *end == 0;
    free(buf);
    int shown = to - from > 40 ? 40 : (int)(to - from);
    if (!whole)
        return syntax(p, from, "cannot read the float %.*s", shown,
                      (const char *)p->s + from);
    if (!isfinite(f))
        return syntax(p, from, "float %.*s%s is out of range: Erlang floats "
                      "are finite (at most about 1.8e308)", shown,
                      (const char *)p->s + from,
                      to - from > 40 ? "..." : "");
    *v = etf_float(f);
    return 0;
}

/* ---- the scanner -------------------------------------------------------- */

static int is_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

static int is_upper(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

static int is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static int is_ascii_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c);
}

/* A character of an Erlang name (atom or variable): Latin-1 letters,
 * digits, '_' and '@'. */
static int is_name_char(uint32_t c)
{
    return is_lower(c) || is_upper(c) || is_digit(c) || c == '_' || c == '@';
}

/* The character at pos (< len): its length, or 0 if not valid UTF-8. */
static size_t char_at(const parser *p, size_t pos, uint32_t *cp)
{
    return etf_utf8_next(p->s + pos, p->len - pos, cp);
}

/* The end of the name characters from pos. */
static size_t scan_name(const parser *p, size_t pos)
{
    uint32_t c;
    size_t n;
    while (pos < p->len && (n = char_at(p, pos, &c)) != 0 &&
           is_name_char(c))
        pos += n;
    return pos;
}

/* White space (ASCII, and the no-break space people paste) and comments. */
static void skip_space(parser *p)
{
    while (p->pos < p->len) {
        uint8_t c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
            c == '\v') {
            p->pos++;
        } else if (c == 0xC2 && p->pos + 1 < p->len &&
                   p->s[p->pos + 1] == 0xA0) {
            p->pos += 2;
        } else if (c == '%') {
            if (p->brace_comment == 0 && p->pos + 1 < p->len &&
                p->s[p->pos + 1] == '{')
                p->brace_comment = p->pos + 1;
            while (p->pos < p->len && p->s[p->pos] != '\n')
                p->pos++;
        } else {
            break;
        }
    }
}

static int hex_value(uint8_t c)
{
    int d = digit_value(c);
    return d < 16 ? d : -1;
}

/* One escape sequence; p->pos is just after the backslash at `bs`, and at
 * least one character follows. As erl_scan: \NNN octal (1 to 3 digits),
 * \xHH, \x{H...}, \^C (control: C's low 5 bits), the letters below, and
 * any other character stands for itself. */
static int lex_escape(parser *p, size_t bs, uint32_t *cp)
{
    uint8_t c = p->s[p->pos];
    if (c >= '0' && c <= '7') {
        uint32_t v = 0;
        for (int i = 0; i < 3 && p->pos < p->len && p->s[p->pos] >= '0' &&
                        p->s[p->pos] <= '7'; i++)
            v = v * 8 + (uint32_t)(p->s[p->pos++] - '0');
        *cp = v;
        return 0;
    }
    if (c == 'x') {
        p->pos++;
        if (p->pos < p->len && p->s[p->pos] == '{') {
            uint32_t v = 0;
            size_t digits = 0;
            p->pos++;
            while (p->pos < p->len && hex_value(p->s[p->pos]) >= 0) {
                v = v * 16 + (uint32_t)hex_value(p->s[p->pos++]);
                if (v > 0x10FFFF)
                    v = 0x110000; /* too large; keep it from wrapping */
                digits++;
            }
            if (digits == 0 || p->pos >= p->len || p->s[p->pos] != '}')
                return syntax(p, bs, "bad escape: \\x{...} needs hex digits "
                              "and a closing '}'");
            p->pos++;
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return syntax(p, bs, "bad escape: \\x{%.*s} is not a Unicode "
                              "character", (int)(digits > 12 ? 12 : digits),
                              (const char *)p->s + p->pos - 1 - digits);
            *cp = v;
            return 0;
        }
        if (p->pos + 1 < p->len && hex_value(p->s[p->pos]) >= 0 &&
            hex_value(p->s[p->pos + 1]) >= 0) {
            *cp = (uint32_t)(hex_value(p->s[p->pos]) * 16 +
                             hex_value(p->s[p->pos + 1]));
            p->pos += 2;
            return 0;
        }
        return syntax(p, bs, "bad escape: \\x needs two hex digits (\\xHH) "
                      "or braces (\\x{H...})");
    }
    if (c == '^') {
        p->pos++;
        if (p->pos >= p->len)
            return syntax(p, bs, "incomplete \\^ escape at the end of the "
                          "input");
    }
    static const char simple[] = "b\bd\177e\033f\fn\nr\rs t\tv\v";
    if (c != '^') {
        for (size_t i = 0; simple[i] != 0; i += 2) {
            if (simple[i] == (char)c) {
                p->pos++;
                *cp = (uint8_t)simple[i + 1];
                return 0;
            }
        }
    }
    uint32_t x;
    size_t n = char_at(p, p->pos, &x);
    if (n == 0)
        return syntax(p, p->pos, "invalid UTF-8 (byte 0x%02x)",
                      p->s[p->pos]);
    p->pos += n;
    *cp = c == '^' ? (x & 31) : x;
    return 0;
}

/* A quoted run ("..." or '...') at p->pos: its characters go on p->cps. */
static int lex_quoted(parser *p, uint8_t quote, const char *what)
{
    size_t start = p->pos++;
    for (;;) {
        if (p->pos >= p->len) {
            unsigned line, col;
            locate(p, start, &line, &col);
            return syntax(p, start, "unterminated %s starting at line %u, "
                          "column %u", what, line, col);
        }
        uint8_t c = p->s[p->pos];
        uint32_t cp;
        if (c == quote) {
            p->pos++;
            return 0;
        }
        if (c == '\\') {
            size_t bs = p->pos++;
            if (p->pos >= p->len)
                continue; /* unterminated */
            if (lex_escape(p, bs, &cp) != 0)
                return -1;
        } else {
            size_t n = char_at(p, p->pos, &cp);
            if (n == 0)
                return syntax(p, p->pos, "invalid UTF-8 in %s (byte 0x%02x)",
                              what, c);
            p->pos += n;
        }
        if (push_cp(p, cp) != 0)
            return -1;
    }
}

/* $c: a character's code. */
static int lex_char(parser *p, token *t)
{
    size_t start = p->pos++;
    uint32_t cp;
    if (p->pos >= p->len)
        return syntax(p, start, "'$' at the end of the input: a character "
                      "literal such as $a needs its character");
    if (p->s[p->pos] == '\\') {
        size_t bs = p->pos++;
        if (p->pos >= p->len)
            return syntax(p, start, "unterminated character literal $\\ at "
                          "the end of the input");
        if (lex_escape(p, bs, &cp) != 0)
            return -1;
    } else {
        size_t n = char_at(p, p->pos, &cp);
        if (n == 0)
            return syntax(p, p->pos, "invalid UTF-8 (byte 0x%02x)",
                          p->s[p->pos]);
        p->pos += n;
    }
    t->kind = T_INT;
    t->v = etf_int(cp);
    t->end = p->pos;
    return 0;
}

static int is_base_digit(uint8_t c, unsigned base)
{
    return (unsigned)digit_value(c) < base;
}

/* Digits of `base` from pos, with single '_' between two digits. */
static int scan_digits(parser *p, size_t pos, unsigned base, size_t *end)
{
    size_t i = pos;
    while (i < p->len) {
        if (is_base_digit(p->s[i], base)) {
            i++;
        } else if (p->s[i] == '_' && i > pos) {
            if (i + 1 >= p->len || !is_base_digit(p->s[i + 1], base))
                return syntax(p, i, "'_' in a number must stand between "
                              "two digits");
            i++;
        } else {
            break;
        }
    }
    *end = i;
    return 0;
}

/* 12, 1_000, 16#ff, 1.5, 2.5e-3. */
static int lex_number(parser *p, token *t)
{
    size_t start = p->pos, end;
    if (scan_digits(p, start, 10, &end) != 0)
        return -1;

    if (end < p->len && p->s[end] == '#') {
        unsigned base = 0;
        for (size_t i = start; i < end; i++)
            if (p->s[i] != '_' && base <= 36)
                base = base * 10 + (unsigned)(p->s[i] - '0');
        if (base < 2 || base > 36)
            return syntax(p, start, "base %.*s%s is not between 2 and 36",
                          (int)(end - start > 10 ? 10 : end - start),
                          (const char *)p->s + start,
                          end - start > 10 ? "..." : "");
        size_t from = end + 1, to;
        if (scan_digits(p, from, base, &to) != 0)
            return -1;
        if (to == from)
            return syntax(p, start, "expected base-%u digits after '%.*s#'",
                          base, (int)(end - start),
                          (const char *)p->s + start);
        if (to < p->len && is_ascii_alnum(p->s[to]))
            return syntax(p, to, "'%c' is not a base-%u digit", p->s[to],
                          base);
        if (to + 1 < p->len && p->s[to] == '.' && is_digit(p->s[to + 1]))
            return syntax(p, start, "a number with a base cannot have a "
                          "fraction: floats are written in base 10");
        t->kind = T_INT;
        t->end = p->pos = to;
        return integer_term(p, from, to, base, &t->v);
    }

    if (end + 1 < p->len && p->s[end] == '.' && is_digit(p->s[end + 1])) {
        size_t to;
        if (scan_digits(p, end + 1, 10, &to) != 0)
            return -1;
        if (to < p->len && (p->s[to] == 'e' || p->s[to] == 'E')) {
            size_t e = to + 1;
            if (e < p->len && (p->s[e] == '+' || p->s[e] == '-'))
                e++;
            if (e >= p->len || !is_digit(p->s[e]))
                return syntax(p, to, "malformed float: the exponent after "
                              "'%c' needs digits", p->s[to]);
            if (scan_digits(p, e, 10, &to) != 0)
                return -1;
        }
        t->kind = T_FLOAT;
        t->end = p->pos = to;
        return float_term(p, start, to, &t->v);
    }

    t->kind = T_INT;
    t->end = p->pos = end;
    return integer_term(p, start, end, 10, &t->v);
}

/* An unquoted atom (or reserved word), with '.' inside it when a letter or
 * digit follows, for node names. */
static int lex_atom(parser *p, token *t)
{
    size_t i = scan_name(p, p->pos);
    while (i + 1 < p->len && p->s[i] == '.') {
        uint32_t c;
        size_t n = char_at(p, i + 1, &c);
        if (n == 0 || !(is_lower(c) || is_upper(c) || is_digit(c)))
            break;
        i = scan_name(p, i + 1);
    }
    t->kind = T_ATOM;
    t->end = p->pos = i;
    return 0;
}

/* Foo, Foo.Bar: the atom 'Elixir.Foo.Bar'. */
static int lex_alias(parser *p, token *t)
{
    size_t start = p->pos, i = start;
    for (;;) {
        i++; /* the capital letter */
        while (i < p->len && (is_ascii_alnum(p->s[i]) || p->s[i] == '_'))
            i++;
        if (i + 1 < p->len && p->s[i] == '.' && p->s[i + 1] >= 'A' &&
            p->s[i + 1] <= 'Z') {
            i++;
            continue;
        }
        break;
    }
    if (i < p->len) {
        uint32_t c;
        size_t n = char_at(p, i, &c), word = scan_name(p, start);
        if (n != 0 && is_name_char(c))
            return syntax(p, start, "'%.*s' starts with a capital letter, so "
                          "it is read as an Elixir alias, which has only "
                          "ASCII letters, digits and '_'; quote it for an "
                          "atom", (int)(word - start > 40 ? 40 : word - start),
                          (const char *)p->s + start);
        if (n != 0 && p->s[i] == '.' && i + 1 < p->len &&
            char_at(p, i + 1, &c) != 0 && (is_lower(c) || c == '_'))
            return syntax(p, i, "'%.*s' is not a term: after a '.', each part "
                          "of an Elixir alias starts with a capital letter",
                          (int)(scan_name(p, i + 1) - start > 40
                                    ? 40 : scan_name(p, i + 1) - start),
                          (const char *)p->s + start);
    }
    size_t n = i - start;
    /* Elixir.Foo is Foo: Elixir adds no second prefix. */
    int prefixed = (n == 6 || (n > 6 && p->s[start + 6] == '.')) &&
                   memcmp(p->s + start, "Elixir", 6) == 0;
    uint8_t name[ETF_MAX_ATOM_CHARS + 1];
    size_t k = prefixed ? 0 : 7;
    if (n + k > ETF_MAX_ATOM_CHARS)
        return syntax(p, start, "atom of %zu characters: the limit is %d",
                      n + k, ETF_MAX_ATOM_CHARS);
    memcpy(name, "Elixir.", k);
    memcpy(name + k, p->s + start, n);
    t->kind = T_ALIAS;
    t->end = p->pos = i;
    return atom_term(p, name, n + k, start, &t->v);
}

/* The punctuation erl_scan knows, longest first so that "=>" is not "=". */
static const char *const puncts[] = {
    "=:=", "=/=", "<<", ">>", "=>", ":=", "||", "++", "--", "->", "<-",
    "<=", ">=", "=<", "==", "/=", "::", "{", "}", "[", "]", "(", ")", ",",
    "|", "#", ".", ";", ":", "/", "+", "-", "*", "=", "<", ">", "!", "?"};

/* The next token. */
static int lex(parser *p, token *t)
{
    if (p->has_ahead) {
        *t = p->ahead;
        p->has_ahead = 0;
        return 0;
    }
    skip_space(p);
    memset(t, 0, sizeof *t);
    t->pos = t->end = p->pos;
    if (p->pos >= p->len) {
        t->kind = T_EOF;
        return 0;
    }
    uint8_t c = p->s[p->pos];
    if (is_digit(c))
        return lex_number(p, t);
    if (c == '$')
        return lex_char(p, t);
    if (c == '"') {
        t->kind = T_STRING;
        t->cp_start = p->ncps;
        if (lex_quoted(p, '"', "string") != 0)
            return -1;
        t->end = p->pos;
        return 0;
    }
    if (c == '\'') {
        size_t from = p->ncps;
        if (lex_quoted(p, '\'', "quoted atom") != 0)
            return -1;
        t->kind = T_QATOM;
        t->end = p->pos;
        return atom_from_cps(p, from, t->pos, &t->v);
    }
    if (c >= 'A' && c <= 'Z')
        return lex_alias(p, t);

    uint32_t cp;
    size_t n = char_at(p, p->pos, &cp);
    if (n == 0)
        return syntax(p, p->pos, "invalid UTF-8 (byte 0x%02x)", c);
    if (is_lower(cp))
        return lex_atom(p, t);
    if (is_upper(cp) || cp == '_') {
        t->kind = T_VAR;
        t->end = p->pos = scan_name(p, p->pos);
        return 0;
    }
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        size_t k = strlen(puncts[i]);
        if (p->len - p->pos >= k && memcmp(p->s + p->pos, puncts[i], k) == 0) {
            t->kind = T_PUNCT;
            t->op = puncts[i];
            t->end = p->pos += k;
            return 0;
        }
    }
    if (cp > 0x20 && cp < 0x7F)
        return syntax(p, p->pos, "unexpected character '%c'", (char)cp);
    if (cp > 0xFF && cp != 0xFEFF)
        return syntax(p, p->pos, "unexpected character U+%04X (an atom with "
                      "characters beyond Latin-1 must be quoted)",
                      (unsigned)cp);
    return syntax(p, p->pos, "unexpected character U+%04X", (unsigned)cp);
}

static void unget(parser *p, const token *t)
{
    p->ahead = *t;
    p->has_ahead = 1;
}

static int is_punct(const token *t, const char *op)
{
    return t->kind == T_PUNCT && strcmp(t->op, op) == 0;
}

/* Erlang's reserved words, but for maybe and else (reserved only in
 * newer releases, with the maybe feature). */
static const char *const reserved[] = {
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr",
    "bxor", "case", "catch", "cond", "div", "end", "fun", "if", "let", "not",
    "of", "or", "orelse", "receive", "rem", "try", "when", "xor"};

static int is_reserved(const parser *p, const token *t)
{
    size_t n = t->end - t->pos;
    if (t->kind != T_ATOM)
        return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == n &&
            memcmp(p->s + t->pos, reserved[i], n) == 0)
            return 1;
    return 0;
}

/* Does the token belong to an expression (an operator, a call...) rather
 * than to a literal? Then the error says so. */
static int is_expression(const parser *p, const token *t)
{
    static const char *const ops[] = {
        "+", "-", "*", "/", "++", "--", "==", "/=", "=<", "<", ">=", ">",
        "=:=", "=/=", "!", "=", "(", ";", "||", "->", "<-", "<=", "::", "?",
        ":", "#"};
    if (t->kind == T_ATOM)
        return is_reserved(p, t);
    if (t->kind != T_PUNCT)
        return 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(t->op, ops[i]) == 0)
            return 1;
    return 0;
}

static int only_literals(parser *p, const token *t)
{
    char d[48];
    return syntax(p, t->pos, "unexpected %s: only literal terms are accepted "
                  "here; use eval for expressions",
                  describe(p, t, d, sizeof d));
}

/* The error for token t where `what` was expected in frame f. */
static int unexpected(parser *p, const frame *f, const token *t,
                      const char *what)
{
    char d[48];
    if (t->kind == T_EOF)
        return unterminated(p, f);
    if (is_expression(p, t))
        return only_literals(p, t);
    return syntax(p, t->pos, "expected %s in %s, found %s", what,
                  frame_name(f->kind), describe(p, t, d, sizeof d));
}

/* ---- frames ------------------------------------------------------------- */

static frame *top(parser *p)
{
    return p->depth ? &p->frames[p->depth - 1] : NULL;
}

static int push_frame(parser *p, frame_kind kind, size_t open)
{
    if (p->depth >= PARSE_MAX_DEPTH) {
        unsigned line, col;
        locate(p, open, &line, &col);
        if (p->err != NULL) {
            etf_fail(p->err, ETF_ERR_DEPTH, open, "terms nested more than "
                     "%u deep at line %u, column %u",
                     (unsigned)PARSE_MAX_DEPTH, line, col);
            p->err->line = line;
            p->err->column = col;
        }
        return -1;
    }
    frame *q = reserve(p, p->frames, &p->frames_cap, p->depth + 1, sizeof *q);
    if (q == NULL)
        return -1;
    p->frames = q;
    frame *f = &p->frames[p->depth++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->open = open;
    f->base = p->nvals;
    f->tail = etf_nil();
    return 0;
}

static void pop_frame(parser *p)
{
    frame *f = top(p);
    free(f->bits);
    p->nvals = f->base;
    p->depth--;
}

/* Opens a container; if its closing bracket follows at once, it is empty
 * and complete. */
static int open(parser *p, frame_kind kind, size_t pos, const char *closer,
                etf_term *v)
{
    if (push_frame(p, kind, pos) != 0)
        return STEP_ERROR;
    token t;
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (!is_punct(&t, closer)) {
        unget(p, &t);
        return STEP_MORE;
    }
    pop_frame(p);
    etf_term e = {.type = ETF_TUPLE};
    e.u.elems = NULL;
    switch (kind) {
    case F_TUPLE: break;
    case F_LIST: e.type = ETF_NIL; break;
    case F_MAP: e.type = ETF_MAP; break;
    case F_BINARY: e.type = ETF_BINARY; e.u.bytes = empty_bytes; break;
    }
    *v = e;
    return STEP_VALUE;
}

/* Copies the frame's n elements into the arena (with `extra` more slots)
 * and pops the frame. */
static etf_term *close_elems(parser *p, size_t n, size_t extra)
{
    frame *f = top(p);
    if (n >= UINT32_MAX) {
        syntax(p, f->open, "%s with %zu elements is too long",
               frame_name(f->kind), n);
        return NULL;
    }
    etf_term *e = alloc(p, n + extra, sizeof *e);
    if (e == NULL)
        return NULL;
    if (n > 0)
        memcpy(e, p->vals + f->base, n * sizeof *e);
    pop_frame(p);
    return e;
}

static int close_tuple(parser *p, etf_term *v)
{
    size_t n = p->nvals - top(p)->base;
    etf_term *e = close_elems(p, n, 0);
    if (e == NULL)
        return STEP_ERROR;
    etf_term t = {.type = ETF_TUPLE, .n = (uint32_t)n};
    t.u.elems = e;
    *v = t;
    return STEP_VALUE;
}

static int close_list(parser *p, etf_term *v)
{
    frame *f = top(p);
    size_t n = p->nvals - f->base;
    etf_term tail = f->tail;
    if (n == 0) {
        pop_frame(p);
        *v = tail;
        return STEP_VALUE;
    }
    etf_term *e = close_elems(p, n, 1);
    if (e == NULL)
        return STEP_ERROR;
    e[n] = tail;
    etf_term t = {.type = ETF_LIST, .n = (uint32_t)n};
    t.u.elems = e;
    *v = t;
    return STEP_VALUE;
}

/* A map's keys in term order; of a key given twice, the last value. */
static int close_map(parser *p, etf_term *v)
{
    frame *f = top(p);
    size_t n = (p->nvals - f->base) / 2;
    const etf_term *kv = p->vals + f->base;
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (idx == NULL)
        return nomem(p);
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    if (etf_sort_indexes(idx, n, etf_key_less, (void *)kv) != 0) {
        free(idx);
        return nomem(p);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || etf_compare(&kv[2 * idx[i]], &kv[2 * idx[i + 1]], 1))
            idx[m++] = idx[i]; /* stable: the later of equal keys is last */
    etf_term *e = alloc(p, 2 * m, sizeof *e);
    if (e == NULL) {
        free(idx);
        return STEP_ERROR;
    }
    for (size_t i = 0; i < m; i++) {
        e[2 * i] = kv[2 * idx[i]];
        e[2 * i + 1] = kv[2 * idx[i] + 1];
    }
    free(idx);
    pop_frame(p);
    etf_term t = {.type = ETF_MAP, .n = (uint32_t)m};
    t.u.elems = e;
    *v = t;
    return STEP_VALUE;
}

static int close_binary(parser *p, etf_term *v)
{
    frame *f = top(p);
    size_t n = (f->nbits + 7) / 8;
    etf_term t = {.type = ETF_BINARY, .n = (uint32_t)n,
                  .bits = (uint8_t)(f->nbits % 8)};
    t.u.bytes = empty_bytes;
    if (n > 0) {
        uint8_t *b = alloc(p, n, 1);
        if (b == NULL)
            return STEP_ERROR;
        memcpy(b, f->bits, n);
        t.u.bytes = b;
    }
    pop_frame(p);
    *v = t;
    return STEP_VALUE;
}

/* ---- binaries ----------------------------------------------------------- */

typedef enum bin_type {
    BT_DEFAULT, BT_INTEGER, BT_FLOAT, BT_BINARY, BT_BITSTRING, BT_UTF8,
    BT_UTF16, BT_UTF32
} bin_type;

enum { SPEC_TYPE, SPEC_SIGN, SPEC_ENDIAN };
enum { SIGNED = 1, UNSIGNED };
enum { BIG = 1, LITTLE, NATIVE };

static const struct {
    const char *word;
    int field, value;
} spec_words[] = {
    {"integer", SPEC_TYPE, BT_INTEGER}, {"float", SPEC_TYPE, BT_FLOAT},
    {"binary", SPEC_TYPE, BT_BINARY}, {"bytes", SPEC_TYPE, BT_BINARY},
    {"bitstring", SPEC_TYPE, BT_BITSTRING}, {"bits", SPEC_TYPE, BT_BITSTRING},
    {"utf8", SPEC_TYPE, BT_UTF8}, {"utf16", SPEC_TYPE, BT_UTF16},
    {"utf32", SPEC_TYPE, BT_UTF32}, {"signed", SPEC_SIGN, SIGNED},
    {"unsigned", SPEC_SIGN, UNSIGNED}, {"big", SPEC_ENDIAN, BIG},
    {"little", SPEC_ENDIAN, LITTLE}, {"native", SPEC_ENDIAN, NATIVE}};

typedef struct seg_spec {
    int has_size;
    uint64_t size;
    int field[3]; /* type, signedness, endianness; 0 = not given */
    unsigned unit; /* 0 = not given */
} seg_spec;

/* A segment's value: a number, a string (characters on p->cps) or a
 * binary. */
typedef enum { SV_INT, SV_FLOAT, SV_STRING, SV_BINARY } seg_kind;

typedef struct seg_value {
    seg_kind kind;
    etf_term t;
    size_t cp_start; /* SV_STRING */
    size_t pos;
} seg_value;

static const char *spec_name(int field, int value)
{
    for (size_t i = 0; i < sizeof spec_words / sizeof spec_words[0]; i++)
        if (spec_words[i].field == field && spec_words[i].value == value)
            return spec_words[i].word;
    return "?";
}

static int host_is_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Grows the frame's bits to hold `bytes` bytes; new bytes are zero. */
static int bits_room(parser *p, frame *f, size_t bytes)
{
    size_t old = f->cap;
    uint8_t *q = reserve(p, f->bits, &f->cap, bytes, 1);
    if (q == NULL)
        return -1;
    f->bits = q;
    if (f->cap > old)
        memset(q + old, 0, f->cap - old);
    return 0;
}

static int too_big(parser *p, const frame *f)
{
    return syntax(p, f->seg, "binary larger than the %llu MiB a parsed "
                  "binary may hold",
                  (unsigned long long)(PARSE_MAX_BINARY_BYTES >> 20));
}

/* Appends the first nbits bits of src (most significant bit first). */
static int put_bits(parser *p, frame *f, const uint8_t *src, uint64_t nbits)
{
    if (nbits == 0)
        return 0;
    if (nbits > PARSE_MAX_BINARY_BITS - f->nbits)
        return too_big(p, f);
    size_t total = f->nbits + (size_t)nbits, total_bytes = (total + 7) / 8;
    if (bits_room(p, f, total_bytes) != 0)
        return -1;
    size_t nbytes = (size_t)(nbits + 7) / 8, at = f->nbits / 8;
    unsigned shift = f->nbits % 8, r = (unsigned)(nbits % 8);
    uint8_t *dst = f->bits + at;
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t b = src[i];
        if (i + 1 == nbytes && r != 0)
            b &= (uint8_t)(0xFF << (8 - r));
        dst[i] |= (uint8_t)(b >> shift);
        if (shift != 0 && at + i + 1 < total_bytes)
            dst[i + 1] |= (uint8_t)(b << (8 - shift));
    }
    f->nbits = total;
    return 0;
}

/* Appends the low nbits bits of the little-endian number le[] (which it
 * may change) in the given byte order. As the BEAM does, a little-endian
 * segment whose size is not whole bytes ends with the partial high byte:
 * <<16#ABC:12/little>> is <<16#BC, 16#A:4>>. */
static int put_le(parser *p, frame *f, uint8_t *le, uint64_t nbits,
                  int little)
{
    size_t nbytes = (size_t)(nbits + 7) / 8;
    unsigned r = (unsigned)(nbits % 8);
    if (nbits == 0)
        return 0;
    if (little) {
        if (put_bits(p, f, le, nbits - r) != 0)
            return -1;
        if (r == 0)
            return 0;
        uint8_t last = (uint8_t)(le[nbytes - 1] << (8 - r));
        return put_bits(p, f, &last, r);
    }
    /* Big-endian: most significant byte first, shifted so that the nbits
     * bits start at the top of the first byte. */
    for (size_t i = 0; i < nbytes / 2; i++) {
        uint8_t x = le[i];
        le[i] = le[nbytes - 1 - i];
        le[nbytes - 1 - i] = x;
    }
    if (r != 0) {
        unsigned pad = 8 - r;
        for (size_t i = 0; i + 1 < nbytes; i++)
            le[i] = (uint8_t)((le[i] << pad) | (le[i + 1] >> r));
        le[nbytes - 1] = (uint8_t)(le[nbytes - 1] << pad);
    }
    return put_bits(p, f, le, nbits);
}

static int put_uint(parser *p, frame *f, uint64_t v, unsigned nbits,
                    int little)
{
    uint8_t le[8];
    for (size_t i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    return put_le(p, f, le, nbits, little);
}

/* An integer term modulo 2^nbits, in two's complement. */
static int put_integer(parser *p, frame *f, const etf_term *t, uint64_t nbits,
                       int little)
{
    if (nbits == 0)
        return 0;
    if (nbits > PARSE_MAX_BINARY_BITS - f->nbits)
        return too_big(p, f);
    size_t nbytes = (size_t)(nbits + 7) / 8;
    uint8_t small[16];
    uint8_t *le = nbytes <= sizeof small ? small : malloc(nbytes);
    if (le == NULL)
        return nomem(p);
    if (t->type == ETF_INTEGER) {
        uint64_t u = (uint64_t)t->u.i;
        uint8_t ext = t->u.i < 0 ? 0xFF : 0;
        for (size_t i = 0; i < nbytes; i++)
            le[i] = i < 8 ? (uint8_t)(u >> (8 * i)) : ext;
    } else {
        size_t m = t->n < nbytes ? t->n : nbytes;
        memcpy(le, t->u.bytes, m);
        memset(le + m, 0, nbytes - m);
        if (t->flags & ETF_NEGATIVE) { /* -x = ~x + 1 */
            unsigned carry = 1;
            for (size_t i = 0; i < nbytes; i++) {
                unsigned x = (uint8_t)~le[i] + carry;
                le[i] = (uint8_t)x;
                carry = x >> 8;
            }
        }
    }
    int r = put_le(p, f, le, nbits, little);
    if (le != small)
        free(le);
    return r;
}

/* The IEEE 754 binary format with `ebits` exponent bits and `mbits`
 * mantissa bits nearest to the double with bits b: round to nearest, ties
 * to even, overflow to infinity -- what the BEAM writes for
 * <<F:32/float>> and <<F:16/float>>. Done on the bits, since converting
 * an out-of-range double to float is undefined in C. */
static uint64_t narrow_float(uint64_t b, int ebits, int mbits)
{
    uint64_t sign = (b >> 63) << (ebits + mbits);
    int e = (int)((b >> 52) & 0x7FF);
    uint64_t m = b & (((uint64_t)1 << 52) - 1);
    uint64_t inf = sign | ((((uint64_t)1 << ebits) - 1) << mbits);
    if (e == 0x7FF)
        return inf; /* not reached: parsed floats are finite */
    if (e == 0 && m == 0)
        return sign;
    uint64_t mant = e ? m | ((uint64_t)1 << 52) : m;
    int exp2 = (e ? e : 1) - 1075; /* the value is mant * 2^exp2 */
    int high = 63;
    while (!((mant >> high) & 1))
        high--;
    int bias = (1 << (ebits - 1)) - 1;
    /* The exponent of the result's last mantissa bit: normal numbers keep
     * mbits bits after the leading one; none goes below the subnormals'. */
    int lsb = exp2 + high - mbits, min_lsb = 1 - bias - mbits;
    if (lsb < min_lsb)
        lsb = min_lsb;
    int shift = lsb - exp2; /* > 0, since mbits < 52 */
    if (shift >= 64)
        return sign;
    uint64_t q = mant >> shift, rem = mant & (((uint64_t)1 << shift) - 1);
    uint64_t half = (uint64_t)1 << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    if (q == 0)
        return sign;
    if (q >> (mbits + 1)) { /* rounding carried into a new bit */
        q >>= 1;
        lsb++;
    }
    if (q >> mbits) {
        int te = lsb + mbits + bias;
        if (te >= (1 << ebits) - 1)
            return inf;
        return sign | ((uint64_t)te << mbits) |
               (q & (((uint64_t)1 << mbits) - 1));
    }
    return sign | q; /* subnormal */
}

static double integer_to_double(const etf_term *t)
{
    if (t->type == ETF_INTEGER)
        return (double)t->u.i;
    double d = 0;
    for (size_t i = t->n; i-- > 0;)
        d = d * 256.0 + t->u.bytes[i];
    return (t->flags & ETF_NEGATIVE) ? -d : d;
}

/* One value of a segment whose type and size emit() has checked. */
static int emit_one(parser *p, frame *f, bin_type type, uint64_t bits,
                    int little, const seg_spec *sp, seg_kind kind,
                    const etf_term *t, size_t pos)
{
    switch (type) {
    case BT_DEFAULT:
    case BT_INTEGER:
        if (kind == SV_FLOAT)
            return syntax(p, pos, "a float in a binary needs /float, as in "
                          "<<1.5/float>>");
        if (kind == SV_BINARY)
            return syntax(p, pos, "a binary inside a binary needs /binary or "
                          "/bits, as in <<<<1,2>>/binary>>");
        return put_integer(p, f, t, bits, little);

    case BT_FLOAT: {
        if (kind == SV_BINARY)
            return syntax(p, pos, "a binary cannot be written as a float");
        double d = kind == SV_FLOAT ? t->u.f : integer_to_double(t);
        if (!isfinite(d))
            return syntax(p, pos, "integer too large for a float segment");
        uint64_t b;
        memcpy(&b, &d, sizeof b);
        if (bits == 32)
            b = narrow_float(b, 8, 23);
        else if (bits == 16)
            b = narrow_float(b, 5, 10);
        return put_uint(p, f, b, (unsigned)bits, little);
    }

    case BT_BINARY:
    case BT_BITSTRING: {
        if (kind != SV_BINARY)
            return syntax(p, pos, "/%s needs a binary value, such as "
                          "<<1,2>>", spec_name(SPEC_TYPE, (int)type));
        uint64_t have = (uint64_t)t->n * 8 - (t->bits ? 8 - t->bits : 0);
        if (sp->has_size) {
            if (bits > have)
                return syntax(p, pos, "segment of %llu bits, but the binary "
                              "has only %llu", (unsigned long long)bits,
                              (unsigned long long)have);
            return put_bits(p, f, t->u.bytes, bits);
        }
        unsigned unit = sp->unit ? sp->unit : type == BT_BINARY ? 8 : 1;
        if (have % unit != 0)
            return syntax(p, pos, "binary of %llu bits is not a multiple of "
                          "the unit, %u bits%s", (unsigned long long)have,
                          unit, type == BT_BINARY && !sp->unit
                              ? " (use /bits for a bitstring)" : "");
        return put_bits(p, f, t->u.bytes, have);
    }

    case BT_UTF8:
    case BT_UTF16:
    case BT_UTF32: {
        if (kind != SV_INT)
            return syntax(p, pos, "/%s needs a character code or a string",
                          spec_name(SPEC_TYPE, (int)type));
        if (t->type != ETF_INTEGER || t->u.i < 0 || t->u.i > 0x10FFFF ||
            (t->u.i >= 0xD800 && t->u.i <= 0xDFFF))
            return syntax(p, pos, "not a Unicode character, so it has no %s "
                          "encoding", spec_name(SPEC_TYPE, (int)type));
        uint32_t cp = (uint32_t)t->u.i;
        if (type == BT_UTF8) {
            uint8_t u[4];
            size_t n = etf_utf8_put(cp, u);
            return put_bits(p, f, u, 8 * n);
        }
        if (type == BT_UTF32)
            return put_uint(p, f, cp, 32, little);
        if (cp < 0x10000)
            return put_uint(p, f, cp, 16, little);
        cp -= 0x10000;
        if (put_uint(p, f, 0xD800 | (cp >> 10), 16, little) != 0)
            return -1;
        return put_uint(p, f, 0xDC00 | (cp & 0x3FF), 16, little);
    }
    }
    return 0;
}

/* Checks a segment's type against its size and unit, as erl_eval does,
 * then appends its value (each character of a string in turn). */
static int emit(parser *p, frame *f, const seg_value *sv, const seg_spec *sp)
{
    bin_type type = sp->field[SPEC_TYPE] ? (bin_type)sp->field[SPEC_TYPE]
                                         : BT_INTEGER;
    const char *name = spec_name(SPEC_TYPE, (int)type);
    if (type >= BT_UTF8 && (sp->has_size || sp->unit))
        return syntax(p, sv->pos, "a /%s segment takes no size or unit", name);
    if ((type == BT_INTEGER || type == BT_FLOAT) && sp->unit && !sp->has_size)
        return syntax(p, sv->pos, "a unit needs a size, as in "
                      "<<X:4/%s-unit:8>>", name);
    if (type == BT_BITSTRING && sp->unit > 1)
        return syntax(p, sv->pos, "the unit of /bits is always 1; use "
                      "/binary-unit:%u", sp->unit);
    unsigned unit = sp->unit ? sp->unit : type == BT_BINARY ? 8 : 1;
    uint64_t bits = type == BT_FLOAT ? 64 : 8;
    if (sp->has_size) {
        if (sp->size > PARSE_MAX_BINARY_BITS / unit)
            return too_big(p, f);
        bits = sp->size * unit;
    }
    if (type == BT_FLOAT && bits != 16 && bits != 32 && bits != 64)
        return syntax(p, sv->pos, "a float segment has 16, 32 or 64 bits, "
                      "not %llu", (unsigned long long)bits);
    int endian = sp->field[SPEC_ENDIAN];
    int little = endian == LITTLE || (endian == NATIVE && host_is_little());

    if (sv->kind != SV_STRING)
        return emit_one(p, f, type, bits, little, sp, sv->kind, &sv->t,
                        sv->pos);
    if (type == BT_BINARY || type == BT_BITSTRING)
        return syntax(p, sv->pos, "a string in a binary is a list of "
                      "characters: drop the /%s to write its bytes", name);
    for (size_t i = sv->cp_start; i < p->ncps; i++) {
        uint32_t cp = p->cps[i];
        /* Erlang keeps the low 8 bits of each character; that is never
         * what a person typing <<"é€">> meant. (With an explicit size,
         * truncation is asked for, as in Erlang.) */
        if (type == BT_INTEGER && !sp->has_size && cp > 255)
            return syntax(p, sv->pos, "character U+%04X in a binary string "
                          "is not a byte; for UTF-8 write <<\"...\"/utf8>>",
                          (unsigned)cp);
        etf_term c = etf_int(cp);
        if (emit_one(p, f, type, bits, little, sp, SV_INT, &c, sv->pos) != 0)
            return -1;
    }
    return 0;
}

/* Reads the type specifiers after '/': integer-little-unit:8 ... */
static int read_specs(parser *p, const frame *f, seg_spec *sp, token *t)
{
    char d[48];
    for (;;) {
        token w;
        if (lex(p, &w) != 0)
            return -1;
        if (w.kind != T_ATOM)
            return w.kind == T_EOF ? unterminated(p, f)
                 : syntax(p, w.pos, "expected a type specifier (integer, "
                          "float, binary, bits, utf8, little, unit:8, ...) "
                          "after '/' in binary, found %s",
                          describe(p, &w, d, sizeof d));
        const char *word = (const char *)p->s + w.pos;
        size_t n = w.end - w.pos;
        if (n == 4 && memcmp(word, "unit", 4) == 0) {
            token c, u;
            if (lex(p, &c) != 0)
                return -1;
            if (!is_punct(&c, ":"))
                return syntax(p, c.pos, "expected ':' after 'unit', as in "
                              "unit:8, found %s",
                              describe(p, &c, d, sizeof d));
            if (lex(p, &u) != 0)
                return -1;
            if (u.kind != T_INT || u.v.type != ETF_INTEGER || u.v.u.i < 1 ||
                u.v.u.i > 256)
                return syntax(p, u.pos, "a unit is an integer from 1 to 256, "
                              "found %s", describe(p, &u, d, sizeof d));
            if (sp->unit && sp->unit != (unsigned)u.v.u.i)
                return syntax(p, w.pos, "conflicting units in binary segment: "
                              "unit:%u, then unit:%u", sp->unit,
                              (unsigned)u.v.u.i);
            sp->unit = (unsigned)u.v.u.i;
        } else {
            size_t i, count = sizeof spec_words / sizeof spec_words[0];
            for (i = 0; i < count; i++)
                if (strlen(spec_words[i].word) == n &&
                    memcmp(spec_words[i].word, word, n) == 0)
                    break;
            if (i == count)
                return syntax(p, w.pos, "unknown type specifier %s in binary "
                              "(integer, float, binary, bits, utf8, utf16, "
                              "utf32, signed, unsigned, big, little, native, "
                              "unit:N)", describe(p, &w, d, sizeof d));
            int field = spec_words[i].field, value = spec_words[i].value;
            if (sp->field[field] && sp->field[field] != value)
                return syntax(p, w.pos, "conflicting type specifiers in "
                              "binary segment: '%s', then '%s'",
                              spec_name(field, sp->field[field]),
                              spec_words[i].word);
            sp->field[field] = value;
        }
        if (lex(p, t) != 0)
            return -1;
        if (!is_punct(t, "-"))
            return 0;
    }
}

/* The rest of a segment after its value: [:Size] [/Types], then ',' or
 * '>>'. */
static int segment_rest(parser *p, const seg_value *sv, etf_term *v)
{
    frame *f = top(p);
    seg_spec sp;
    token t;
    char d[48];
    const char *what = "':', '/', ',' or '>>'";
    memset(&sp, 0, sizeof sp);
    f->seg = sv->pos;
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (is_punct(&t, ":")) {
        token s;
        if (lex(p, &s) != 0)
            return STEP_ERROR;
        if (s.kind != T_INT)
            return s.kind == T_EOF ? unterminated(p, f)
                 : syntax(p, s.pos, "expected a size (an integer) after ':' "
                          "in binary, found %s", describe(p, &s, d, sizeof d));
        if (s.v.type != ETF_INTEGER)
            return too_big(p, f);
        sp.has_size = 1;
        sp.size = (uint64_t)s.v.u.i;
        what = "'/', ',' or '>>'";
        if (lex(p, &t) != 0)
            return STEP_ERROR;
    }
    if (is_punct(&t, "/")) {
        if (read_specs(p, f, &sp, &t) != 0)
            return STEP_ERROR;
        what = "'-', ',' or '>>'";
    }
    if (emit(p, f, sv, &sp) != 0)
        return STEP_ERROR;
    if (sv->kind == SV_STRING)
        p->ncps = sv->cp_start;
    if (is_punct(&t, ","))
        return STEP_MORE;
    if (is_punct(&t, ">>"))
        return close_binary(p, v);
    return unexpected(p, f, &t, what);
}

/* ---- values ------------------------------------------------------------- */

/* -5, +1.5, -$a: a sign applies to a number only. */
static int signed_number(parser *p, const token *sign, etf_term *v)
{
    token t;
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (t.kind != T_INT && t.kind != T_FLOAT)
        return syntax(p, sign->pos, "'%s' must be followed by a number: only "
                      "literal terms are accepted here; use eval for "
                      "expressions", sign->op);
    *v = t.v;
    if (sign->op[0] == '+')
        return STEP_VALUE;
    if (v->type == ETF_FLOAT) {
        v->u.f = -v->u.f;
    } else if (v->type == ETF_INTEGER) {
        v->u.i = -v->u.i; /* the scanner's integers are >= 0 */
    } else {
        /* -2^63 fits in int64_t although 2^63 does not. */
        int min = v->n == 8 && v->u.bytes[7] == 0x80;
        for (size_t i = 0; i < 7 && min; i++)
            min = v->u.bytes[i] == 0;
        if (min)
            *v = etf_int(INT64_MIN);
        else
            v->flags = ETF_NEGATIVE;
    }
    return STEP_VALUE;
}

/* A string, and the strings right after it: "ab" "cd" is "abcd". */
static int string_value(parser *p, const token *t, etf_term *v)
{
    token n;
    for (;;) {
        if (lex(p, &n) != 0)
            return STEP_ERROR;
        if (n.kind != T_STRING)
            break;
    }
    unget(p, &n);
    return string_term(p, t->cp_start, t->pos, v) != 0 ? STEP_ERROR
                                                       : STEP_VALUE;
}

/* An atom where fun M:F/A wants one. */
static int fun_atom(parser *p, const token *t, const char *what, etf_term *v)
{
    char d[48];
    if (t->kind == T_QATOM || t->kind == T_ALIAS) {
        *v = t->v;
        return 0;
    }
    if (t->kind == T_ATOM && !is_reserved(p, t))
        return atom_term(p, p->s + t->pos, t->end - t->pos, t->pos, v);
    return syntax(p, t->pos, "expected the %s name in fun Module:Function/"
                  "Arity, found %s", what, describe(p, t, d, sizeof d));
}

/* fun M:F/A, after the word fun. */
static int export_value(parser *p, const token *fun, etf_term *v)
{
    token m, c, f, s, a;
    char d[48];
    etf_term *e = alloc(p, 2, sizeof *e);
    if (e == NULL || lex(p, &m) != 0)
        return STEP_ERROR;
    if (is_punct(&m, "("))
        return syntax(p, fun->pos, "only fun Module:Function/Arity can be "
                      "written as a term; other funs need eval");
    if (fun_atom(p, &m, "module", &e[0]) != 0 || lex(p, &c) != 0)
        return STEP_ERROR;
    if (is_punct(&c, "/"))
        return syntax(p, fun->pos, "a local fun (fun f/1) cannot be written "
                      "as a term; write fun Module:Function/Arity");
    if (!is_punct(&c, ":"))
        return syntax(p, c.pos, "expected ':' in fun Module:Function/Arity, "
                      "found %s", describe(p, &c, d, sizeof d));
    if (lex(p, &f) != 0 || fun_atom(p, &f, "function", &e[1]) != 0 ||
        lex(p, &s) != 0)
        return STEP_ERROR;
    if (!is_punct(&s, "/"))
        return syntax(p, s.pos, "expected '/' in fun Module:Function/Arity, "
                      "found %s", describe(p, &s, d, sizeof d));
    if (lex(p, &a) != 0)
        return STEP_ERROR;
    if (a.kind != T_INT || a.v.type != ETF_INTEGER || a.v.u.i > 255)
        return syntax(p, a.pos, "expected an arity from 0 to 255 in fun "
                      "Module:Function/Arity, found %s",
                      describe(p, &a, d, sizeof d));
    etf_term t = {.type = ETF_EXPORT, .n = (uint32_t)a.v.u.i};
    t.u.elems = e;
    *v = t;
    return STEP_VALUE;
}

/* An unquoted word: an atom, or fun M:F/A, or a misplaced reserved word. */
static int word_value(parser *p, const token *t, etf_term *v)
{
    size_t n = t->end - t->pos;
    const char *w = (const char *)p->s + t->pos;
    if (!is_reserved(p, t))
        return atom_term(p, p->s + t->pos, n, t->pos, v) != 0 ? STEP_ERROR
                                                              : STEP_VALUE;
    if (n == 3 && memcmp(w, "fun", 3) == 0)
        return export_value(p, t, v);
    return syntax(p, t->pos, "'%.*s' is a reserved word: quote it ('%.*s') "
                  "for the atom; expressions need eval", (int)n, w, (int)n, w);
}

/* What '#' can start: a map, or things that cannot be typed. */
static int hash_value(parser *p, const token *hash, etf_term *v)
{
    token t;
    char d[48];
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (is_punct(&t, "{"))
        return open(p, F_MAP, hash->pos, "}", v);
    size_t n = t.end - t.pos;
    const char *w = (const char *)p->s + t.pos;
    if (t.kind == T_ALIAS && n == 3 && memcmp(w, "Ref", 3) == 0)
        return syntax(p, hash->pos, "references cannot be typed; make one "
                      "with make_ref() in eval");
    if (t.kind == T_ALIAS && n == 4 && memcmp(w, "Port", 4) == 0)
        return syntax(p, hash->pos, "ports cannot be typed; use "
                      "list_to_port/1 in eval");
    if (t.kind == T_ALIAS && n == 3 && memcmp(w, "Fun", 3) == 0)
        return syntax(p, hash->pos, "funs cannot be typed, except as fun "
                      "Module:Function/Arity");
    if (t.kind == T_ALIAS && n == 3 && memcmp(w, "PID", 3) == 0)
        return syntax(p, hash->pos, "pids cannot be typed; use "
                      "list_to_pid(\"<0.1.2>\") in eval");
    if (t.kind == T_ATOM || t.kind == T_QATOM)
        return syntax(p, hash->pos, "records cannot be typed; write the "
                      "tuple {%s, ...}", describe(p, &t, d, sizeof d));
    return syntax(p, t.pos, "expected '{' after '#' for a map, found %s",
                  describe(p, &t, d, sizeof d));
}

/* Elixir's :ok, :"quoted atom", :'quoted atom', read from just after the
 * ':' (no space between). */
static int elixir_atom(parser *p, const token *colon, etf_term *v)
{
    size_t i = p->pos;
    uint32_t c;
    size_t n;
    char d[48];
    if (i < p->len && (p->s[i] == '"' || p->s[i] == '\'')) {
        size_t from = p->ncps;
        if (lex_quoted(p, p->s[i], "quoted atom") != 0)
            return STEP_ERROR;
        return atom_from_cps(p, from, colon->pos, v) != 0 ? STEP_ERROR
                                                          : STEP_VALUE;
    }
    if (i < p->len && (n = char_at(p, i, &c)) != 0 &&
        (is_lower(c) || is_upper(c) || c == '_')) {
        i = scan_name(p, i);
        if (i < p->len && (p->s[i] == '?' || p->s[i] == '!'))
            i++;
        p->pos = i;
        return atom_term(p, p->s + colon->end, i - colon->end, colon->pos,
                         v) != 0 ? STEP_ERROR : STEP_VALUE;
    }
    return syntax(p, colon->pos, "expected a term, found %s",
                  describe(p, colon, d, sizeof d));
}

/* What the innermost container expects, for "expected ..., found". */
static const char *element_name(const frame *f)
{
    if (f == NULL)
        return "a term";
    switch (f->kind) {
    case F_TUPLE: return "a tuple element";
    case F_LIST: return f->state == L_TAIL ? "the tail of the list after '|'"
                                           : "a list element";
    case F_MAP: return f->state == M_KEY ? "a map key" : "a map value";
    case F_BINARY: return "a binary segment";
    }
    return "a term";
}

/* A segment's value: a number, a string or a binary. */
static int segment(parser *p, etf_term *v)
{
    frame *f = top(p);
    token t;
    char d[48];
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    seg_value sv = {.pos = t.pos};
    switch (t.kind) {
    case T_EOF:
        return unterminated(p, f);
    case T_INT:
        sv.kind = SV_INT;
        sv.t = t.v;
        break;
    case T_FLOAT:
        sv.kind = SV_FLOAT;
        sv.t = t.v;
        break;
    case T_STRING: {
        token n;
        do {
            if (lex(p, &n) != 0)
                return STEP_ERROR;
        } while (n.kind == T_STRING);
        unget(p, &n);
        sv.kind = SV_STRING;
        sv.cp_start = t.cp_start;
        break;
    }
    default:
        if (is_punct(&t, "-") || is_punct(&t, "+")) {
            if (signed_number(p, &t, &sv.t) != STEP_VALUE)
                return STEP_ERROR;
            sv.kind = sv.t.type == ETF_FLOAT ? SV_FLOAT : SV_INT;
            break;
        }
        if (is_punct(&t, "<<")) {
            f->seg = t.pos;
            return open(p, F_BINARY, t.pos, ">>", v);
        }
        if (t.kind == T_VAR)
            return syntax(p, t.pos, "variables cannot be used in a term: "
                          "%s is not bound to anything",
                          describe(p, &t, d, sizeof d));
        if (is_expression(p, &t))
            return only_literals(p, &t);
        return syntax(p, t.pos, "expected a binary segment (a number, a "
                      "string or a binary), found %s",
                      describe(p, &t, d, sizeof d));
    }
    return segment_rest(p, &sv, v);
}

/* Reads the next element of the innermost container (or the whole term
 * when none is open). */
static int value(parser *p, etf_term *v)
{
    frame *f = top(p);
    token t;
    char d[48];
    if (f != NULL && f->kind == F_BINARY)
        return segment(p, v);
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    switch (t.kind) {
    case T_EOF:
        if (f != NULL)
            return unterminated(p, f);
        if (p->brace_comment)
            return syntax(p, t.pos, "no term ('%%' starts a comment; a map is "
                          "written #{key => value})");
        return syntax(p, t.pos, "no term");
    case T_INT:
    case T_FLOAT:
    case T_QATOM:
    case T_ALIAS:
        *v = t.v;
        return STEP_VALUE;
    case T_ATOM:
        return word_value(p, &t, v);
    case T_STRING:
        return string_value(p, &t, v);
    case T_VAR:
        return syntax(p, t.pos, "variables cannot be used in a term: %s is "
                      "not bound to anything (quote it for an atom)",
                      describe(p, &t, d, sizeof d));
    case T_PUNCT:
        break;
    }
    if (is_punct(&t, "-") || is_punct(&t, "+"))
        return signed_number(p, &t, v);
    if (is_punct(&t, "{"))
        return open(p, F_TUPLE, t.pos, "}", v);
    if (is_punct(&t, "["))
        return open(p, F_LIST, t.pos, "]", v);
    if (is_punct(&t, "<<"))
        return open(p, F_BINARY, t.pos, ">>", v);
    if (is_punct(&t, "#"))
        return hash_value(p, &t, v);
    if (is_punct(&t, ":"))
        return elixir_atom(p, &t, v);
    if (is_punct(&t, "<"))
        return syntax(p, t.pos, "pids cannot be typed; use "
                      "list_to_pid(\"<0.1.2>\") in eval");
    if (is_expression(p, &t))
        return only_literals(p, &t);
    return syntax(p, t.pos, "expected %s, found %s", element_name(f),
                  describe(p, &t, d, sizeof d));
}

/* After the list's tail, or a "| [...]" tail's own ']': only ']' may
 * follow, one for each '[' still open. */
static int list_end(parser *p, frame *f, etf_term *v)
{
    for (;;) {
        token t;
        char d[48];
        if (lex(p, &t) != 0)
            return STEP_ERROR;
        if (!is_punct(&t, "]")) {
            if (t.kind == T_EOF)
                return unterminated(p, f);
            if (is_expression(p, &t))
                return only_literals(p, &t);
            return syntax(p, t.pos, "expected ']' after the tail of a list, "
                          "found %s", describe(p, &t, d, sizeof d));
        }
        if (f->closers == 0)
            return close_list(p, v);
        f->closers--;
    }
}

/* A ']' in the list's elements: it closes the list, or the innermost
 * "| [" tail. */
static int list_bracket(parser *p, frame *f, etf_term *v)
{
    if (f->closers == 0)
        return close_list(p, v);
    f->closers--;
    f->state = L_END;
    return list_end(p, f, v);
}

/* Appends the elements of a string used as a list's tail. */
static int append_tail(parser *p, const etf_term *s)
{
    if (s->type == ETF_STRING) {
        for (uint32_t i = 0; i < s->n; i++) {
            etf_term c = etf_int(s->u.bytes[i]);
            if (push_val(p, &c) != 0)
                return -1;
        }
        return 0;
    }
    for (uint32_t i = 0; i < s->n; i++)
        if (push_val(p, &s->u.elems[i]) != 0)
            return -1;
    return 0;
}

static int list_after(parser *p, frame *f, etf_term *v)
{
    token t;
    if (f->state == L_TAIL) {
        /* The tail cannot be a list literal (those join the list at "| ["),
         * but it can be a string: then it joins the list too. */
        if (v->type == ETF_STRING || v->type == ETF_LIST) {
            if (append_tail(p, v) != 0)
                return STEP_ERROR;
        } else {
            f->tail = *v;
        }
        f->state = L_END;
        return list_end(p, f, v);
    }
    if (push_val(p, v) != 0 || lex(p, &t) != 0)
        return STEP_ERROR;
    if (is_punct(&t, ","))
        return STEP_MORE;
    if (is_punct(&t, "]"))
        return list_bracket(p, f, v);
    if (!is_punct(&t, "|"))
        return unexpected(p, f, &t, "',', '|' or ']'");
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (!is_punct(&t, "[")) {
        unget(p, &t);
        f->state = L_TAIL;
        return STEP_MORE;
    }
    /* [1, 2 | [3, 4]] is [1, 2, 3, 4]: go on in the same frame, owing one
     * more ']'. */
    f->closers++;
    if (lex(p, &t) != 0)
        return STEP_ERROR;
    if (is_punct(&t, "]"))
        return list_bracket(p, f, v);
    unget(p, &t);
    return STEP_MORE;
}

/* Hands the completed value v to the innermost container and reads what
 * follows it. */
static int after(parser *p, etf_term *v)
{
    frame *f = top(p);
    token t;
    char d[48];
    switch (f->kind) {
    case F_TUPLE:
        if (push_val(p, v) != 0 || lex(p, &t) != 0)
            return STEP_ERROR;
        if (is_punct(&t, ","))
            return STEP_MORE;
        if (is_punct(&t, "}"))
            return close_tuple(p, v);
        return unexpected(p, f, &t, "',' or '}'");

    case F_LIST:
        return list_after(p, f, v);

    case F_MAP:
        if (push_val(p, v) != 0 || lex(p, &t) != 0)
            return STEP_ERROR;
        if (f->state == M_KEY) {
            if (is_punct(&t, "=>")) {
                f->state = M_VALUE;
                return STEP_MORE;
            }
            if (is_punct(&t, ":="))
                return syntax(p, t.pos, "':=' updates a key of an existing "
                              "map and is not allowed in a map literal; use "
                              "'=>'");
            if (t.kind == T_EOF || is_expression(p, &t))
                return unexpected(p, f, &t, "'=>'");
            return syntax(p, t.pos, "expected '=>' after a map key, found %s",
                          describe(p, &t, d, sizeof d));
        }
        if (is_punct(&t, ",")) {
            f->state = M_KEY;
            return STEP_MORE;
        }
        if (is_punct(&t, "}"))
            return close_map(p, v);
        return unexpected(p, f, &t, "',' or '}'");

    case F_BINARY: {
        seg_value sv = {.kind = SV_BINARY, .t = *v, .pos = f->seg};
        return segment_rest(p, &sv, v);
    }
    }
    return STEP_ERROR;
}

int etf_parse(const char *text, size_t len, etf_arena *a, etf_term *out,
              etf_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.s = text != NULL ? (const uint8_t *)text : empty_bytes;
    p.len = text != NULL ? len : 0;
    p.a = a;
    p.err = err;
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->code = ETF_OK;
    }

    etf_term v;
    int step = STEP_MORE, r = -1;
    for (;;) {
        step = step == STEP_MORE ? value(&p, &v) : after(&p, &v);
        if (step == STEP_ERROR)
            goto done;
        if (step == STEP_VALUE && p.depth == 0)
            break;
    }

    /* The term, then an optional '.', then nothing. */
    token t;
    char d[48];
    if (lex(&p, &t) != 0)
        goto done;
    if (is_punct(&t, ".")) {
        if (lex(&p, &t) != 0)
            goto done;
        if (t.kind != T_EOF) {
            syntax(&p, t.pos, "unexpected %s after the final '.'",
                   describe(&p, &t, d, sizeof d));
            goto done;
        }
    } else if (t.kind != T_EOF) {
        if (is_expression(&p, &t))
            only_literals(&p, &t);
        else
            syntax(&p, t.pos, "unexpected %s after the term: give one term "
                   "(a list or a tuple holds several)",
                   describe(&p, &t, d, sizeof d));
        goto done;
    }
    *out = v;
    r = 0;

done:
    while (p.depth > 0)
        pop_frame(&p);
    free(p.frames);
    free(p.vals);
    free(p.cps);
    return r;
}
