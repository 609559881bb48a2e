/*
 * cmd_etf.c -- `edist etf decode|encode`: External Term Format bytes to
 * text and back, with nothing but the etf/ layer. Useful on its own (what
 * is in this binary a node stored?) and as the way to see the codec work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etf/etf.h"
#include "tools/edist.h"

static const char etf_usage[] =
    "usage: edist etf decode [--hex] [FILE]\n"
    "       edist etf encode [--hex] [--compressed] TERM|-\n"
    "\n"
    "decode  reads External Term Format bytes (what term_to_binary/1 makes)\n"
    "        from FILE or standard input and prints the term.\n"
    "          --hex       the input is hex text (\"83 64 00 02 6f 6b\",\n"
    "                      white space ignored) or an Erlang byte list\n"
    "                      (<<131,100,0,2,111,107>>)\n"
    "          --format erlang|elixir|json, --oneline\n"
    "encode  parses TERM in Erlang syntax (- reads it from standard input)\n"
    "        and writes its External Term Format bytes to standard output.\n"
    "          --hex         write hex text instead of bytes\n"
    "          --compressed  zlib-compress, as term_to_binary(T, [compressed])\n"
    "\n"
    "TERM syntax: 42, 16#ff, $a, 1.5, ok, 'quoted atom', \"string\",\n"
    "<<\"binary\">>, <<1,2:4>>, {tuple, 1}, [list | tail], #{key => value},\n"
    "fun m:f/2; Elixir aliases (Foo.Bar) are atoms ('Elixir.Foo.Bar').\n"
    "\n"
    "Exit codes: 0 success, 1 the input is not a valid term, 2 usage error.\n";

/* Reads all of a stream. */
static int read_all(FILE *f, etf_buf *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        etf_buf_append(b, chunk, n);
    if (ferror(f) || b->failed)
        return -1;
    if (b->data == NULL)
        etf_buf_reserve(b, 0);
    return b->failed ? -1 : 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex text, or an Erlang byte list <<1,2,3>>, to bytes in place. */
static int unhex(etf_buf *b)
{
    char *s = (char *)b->data;
    size_t len = b->len, out = 0;
    char *p = s, *end = s + len;
    while (p < end && strchr(" \t\r\n", *p))
        p++;
    if (end - p >= 2 && p[0] == '<' && p[1] == '<') {
        /* <<131,100,...>> */
        p += 2;
        for (;;) {
            while (p < end && strchr(" \t\r\n", *p))
                p++;
            if (end - p >= 2 && p[0] == '>' && p[1] == '>')
                break;
            char *q;
            errno = 0;
            long v = strtol(p, &q, 10);
            if (q == p || errno || v < 0 || v > 255) {
                edist_error("--hex: expected a byte 0..255 at offset %zu of "
                            "the byte list", (size_t)(p - s));
                return -1;
            }
            b->data[out++] = (uint8_t)v;
            p = q;
            while (p < end && strchr(" \t\r\n", *p))
                p++;
            if (p < end && *p == ',')
                p++;
        }
        b->len = out;
        return 0;
    }
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (strchr(" \t\r\n:", c))
            continue;
        if (c == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
            hi < 0) {
            i++;
            continue;
        }
        int v = hexval((unsigned char)c);
        if (v < 0) {
            edist_error("--hex: '%c' at offset %zu is not a hex digit", c, i);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            b->data[out++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        edist_error("--hex: odd number of hex digits");
        return -1;
    }
    b->len = out;
    return 0;
}

/* What both subcommands' command lines hold. */
typedef struct etf_args {
    int hex;
    unsigned flags;      /* ETF_ENCODE_COMPRESSED (encode only) */
    const char *operand; /* FILE for decode, TERM for encode */
} etf_args;

/* Parses a subcommand's arguments. Returns -1 to go on, or the exit code
 * to stop with (after --help, or a usage error). */
static int parse_etf_args(const char *cmd, int argc, char **argv,
                          edist_opts *o, etf_args *a)
{
    int encode = strcmp(cmd, "encode") == 0;
    for (int i = 1; i < argc; i++) {
        int r = edist_common_option(o, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        const char *arg = argv[i];
        if (strcmp(arg, "--hex") == 0) {
            a->hex = 1;
        } else if (encode && strcmp(arg, "--compressed") == 0) {
            a->flags |= ETF_ENCODE_COMPRESSED;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(etf_usage, stdout);
            return EXIT_OK;
        } else if (!encode && arg[0] == '-' && arg[1] != 0) {
            /* Only decode: a TERM may start with '-', as -1 does. */
            edist_error("etf decode: unknown option '%s'", arg);
            return EXIT_USAGE;
        } else if (a->operand == NULL) {
            a->operand = arg;
        } else {
            if (encode)
                edist_error("etf encode: one TERM only (quote it for the "
                            "shell: edist etf encode '{a, 1}')");
            else
                edist_error("etf decode: one FILE at most");
            return EXIT_USAGE;
        }
    }
    return -1;
}

static int etf_decode_cmd(int argc, char **argv, edist_opts *o)
{
    etf_args args = {0, 0, NULL};
    int stop = parse_etf_args("decode", argc, argv, o, &args);
    if (stop >= 0)
        return stop;
    int hex = args.hex;
    const char *file = args.operand;
    FILE *f = stdin;
    if (file != NULL && strcmp(file, "-") != 0) {
        f = fopen(file, "rb");
        if (f == NULL) {
            edist_error("cannot open %s: %s", file, strerror(errno));
            return EXIT_USAGE;
        }
    }
    etf_buf in = {0};
    int r = read_all(f, &in);
    if (f != stdin)
        fclose(f);
    if (r != 0) {
        edist_error("cannot read %s", file ? file : "standard input");
        etf_buf_release(&in);
        return EXIT_REMOTE;
    }
    if (hex && unhex(&in) != 0) {
        etf_buf_release(&in);
        return EXIT_REMOTE;
    }
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    int code = EXIT_OK;
    if (etf_decode(in.data, in.len, NULL, &a, &t, &err) != 0) {
        edist_error("not a valid term: %s", err.message);
        code = EXIT_REMOTE;
    } else {
        etf_print_opts po = {o->format, o->oneline ? 0 : 80, 0, NULL};
        etf_buf text = {0};
        if (etf_print(&t, &po, &text) != 0) {
            edist_error("out of memory printing the term");
            code = EXIT_REMOTE;
        } else {
            fwrite(text.data, 1, text.len, stdout);
            fputc('\n', stdout);
        }
        etf_buf_release(&text);
    }
    etf_arena_release(&a);
    etf_buf_release(&in);
    return code;
}

static int etf_encode_cmd(int argc, char **argv, edist_opts *o)
{
    etf_args args = {0, 0, NULL};
    int stop = parse_etf_args("encode", argc, argv, o, &args);
    if (stop >= 0)
        return stop;
    int hex = args.hex;
    unsigned flags = args.flags;
    const char *text = args.operand;
    if (text == NULL) {
        edist_error("etf encode: which TERM? (see edist etf --help)");
        return EXIT_USAGE;
    }
    etf_buf src = {0};
    if (strcmp(text, "-") == 0) {
        if (read_all(stdin, &src) != 0) {
            edist_error("cannot read standard input");
            etf_buf_release(&src);
            return EXIT_USAGE;
        }
    } else {
        etf_buf_puts(&src, text);
    }
    if (!hex && isatty(STDOUT_FILENO)) {
        edist_error("etf encode: standard output is a terminal; use --hex, "
                    "or redirect the bytes to a file");
        etf_buf_release(&src);
        return EXIT_USAGE;
    }
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    etf_buf out = {0};
    int code = EXIT_OK;
    if (etf_parse((const char *)src.data, src.len, &a, &t, &err) != 0) {
        edist_error("TERM, line %u, column %u: %s", err.line, err.column,
                    err.message);
        code = EXIT_USAGE;
    } else if (etf_encode(&t, flags, &out, &err) != 0) {
        edist_error("cannot encode: %s", err.message);
        code = EXIT_REMOTE;
    } else if (hex) {
        for (size_t i = 0; i < out.len; i++)
            printf("%02x", out.data[i]);
        putchar('\n');
    } else {
        fwrite(out.data, 1, out.len, stdout);
    }
    if (fflush(stdout) != 0) {
        edist_error("cannot write standard output: %s", strerror(errno));
        code = EXIT_REMOTE;
    }
    etf_buf_release(&out);
    etf_arena_release(&a);
    etf_buf_release(&src);
    return code;
}

int cmd_etf(int argc, char **argv, edist_opts *o)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fputs(etf_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "decode") == 0)
        return etf_decode_cmd(argc - 1, argv + 1, o);
    if (strcmp(argv[1], "encode") == 0)
        return etf_encode_cmd(argc - 1, argv + 1, o);
    edist_error("etf: unknown subcommand '%s': decode or encode", argv[1]);
    return EXIT_USAGE;
}
