/*
 * edist.c -- the edist command: global options and the dispatch to one
 * subcommand per file (cmd_*.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/edist.h"

static const char usage[] =
    "usage: edist [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "edist speaks the Erlang distribution protocol without Erlang installed.\n"
    "\n"
    "Commands:\n"
    "  etf decode [FILE]      print the term in External Term Format bytes\n"
    "  etf encode TERM        write the External Term Format bytes of TERM\n"
    "\n"
    "Options:\n"
    "  --format erlang|elixir|json   how terms are printed (default erlang)\n"
    "  --oneline                     print each term on one line\n"
    "  -v, --verbose                 say more on stderr\n"
    "  -h, --help                    this text; COMMAND --help for a command\n"
    "  --version                     edist's version\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  the remote side answered with an error (badrpc, exception, pang);\n"
    "     for etf: the input is not a valid term\n"
    "  2  usage error\n"
    "  3  connection failure\n"
    "  4  authentication refused\n"
    "  5  timeout\n";

void edist_error(const char *fmt, ...)
{
    va_list ap;
    fputs("edist: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int edist_common_option(edist_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *val = NULL;
    if (strncmp(a, "--format=", 9) == 0) {
        val = a + 9;
    } else if (strcmp(a, "--format") == 0) {
        if (*i + 1 >= argc) {
            edist_error("--format needs a value: erlang, elixir or json");
            return -1;
        }
        val = argv[++*i];
    }
    if (val != NULL) {
        if (strcmp(val, "erlang") == 0)
            o->format = ETF_FORMAT_ERLANG;
        else if (strcmp(val, "elixir") == 0)
            o->format = ETF_FORMAT_ELIXIR;
        else if (strcmp(val, "json") == 0)
            o->format = ETF_FORMAT_JSON;
        else {
            edist_error("unknown --format '%s': use erlang, elixir or json",
                        val);
            return -1;
        }
        o->format_set = 1;
        return 1;
    }
    if (strcmp(a, "--oneline") == 0) {
        o->oneline = 1;
        return 1;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        o->verbose = 1;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    edist_opts o = {ETF_FORMAT_ERLANG, 0, 0, 0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            puts("edist " EDIST_VERSION);
            return EXIT_OK;
        }
        int r = edist_common_option(&o, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0) {
            edist_error("unknown option '%s' (see edist --help)", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "etf") == 0)
        return cmd_etf(argc - i, argv + i, &o);
    if (strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    edist_error("unknown command '%s' (see edist --help)", cmd);
    return EXIT_USAGE;
}
