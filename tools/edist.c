/*
 * edist.c -- the edist command: global options and the dispatch to one
 * subcommand per file (cmd_*.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/edist.h"

static const char usage[] =
    "usage: edist [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "edist speaks the Erlang distribution protocol without Erlang installed.\n"
    "\n"
    "Commands:\n"
    "  names [HOST]           nodes registered at EPMD on HOST (localhost)\n"
    "  ping NODE              pong if NODE answers as net_adm:ping/1 wants\n"
    "  node [NAME]            run a node that prints what it receives and\n"
    "                         echoes {Pid, Term} back to Pid\n"
    "  etf decode [FILE]      print the term in External Term Format bytes\n"
    "  etf encode TERM        write the External Term Format bytes of TERM\n"
    "\n"
    "Options:\n"
    "  --cookie COOKIE               the cookie (default: --cookie-file, else\n"
    "                                RELEASE_COOKIE, else ~/.erlang.cookie)\n"
    "  --cookie-file FILE            read the cookie from FILE\n"
    "  --name NAME                   our node name (default: a unique hidden\n"
    "                                name, or one the node gives us)\n"
    "  --shortnames, --longnames     the kind of node names (default: from\n"
    "                                NODE's host part)\n"
    "  --port PORT                   the node's distribution port: no EPMD\n"
    "  --epmd-port PORT              EPMD's port (default: ERL_EPMD_PORT in\n"
    "                                the environment, else 4369)\n"
    "  --timeout MS|Ns               give up waiting for the network after\n"
    "                                MS milliseconds or N seconds (10s)\n"
    "  --format erlang|elixir|json   how terms are printed (default erlang)\n"
    "  --oneline                     print each term on one line\n"
    "  -v, --verbose                 say more on stderr: every protocol\n"
    "                                message, decoded\n"
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

/* An option that takes a value, as `--name VALUE` or `--name=VALUE`.
 * Returns 1 with *val set if argv[*i] is that option (advancing *i past a
 * separate value), 0 if it is not, -1 after printing an error if the
 * value is missing; `what` says what the value should be. */
static int option_value(const char *name, const char *what, int argc,
                        char **argv, int *i, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc) {
        edist_error("%s needs a value: %s", name, what);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

/* --timeout: milliseconds ("500"), or seconds with an s ("2s"); "ms" may
 * be written too. */
static int parse_timeout(const char *v, int *ms)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    long scale = 1;
    if (end == v || errno != 0 || n <= 0)
        return -1;
    if (strcmp(end, "s") == 0)
        scale = 1000;
    else if (strcmp(end, "ms") != 0 && *end != 0)
        return -1;
    if (n > INT_MAX / scale)
        return -1;
    *ms = (int)(n * scale);
    return 0;
}

int edist_common_option(edist_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *val = NULL;
    int r = option_value("--format", "erlang, elixir or json", argc, argv,
                         i, &val);
    if (r < 0)
        return -1;
    if (r > 0) {
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
    r = option_value("--epmd-port", "EPMD's port number", argc, argv, i,
                     &val);
    if (r < 0)
        return -1;
    if (r > 0) {
        uint16_t port;
        epmd_error err;
        if (epmd_port_from(val, NULL, &port, &err) != 0) {
            edist_error("%s", err.message);
            return -1;
        }
        o->epmd_port = val;
        return 1;
    }
    r = option_value("--timeout", "milliseconds (500) or seconds (2s)",
                     argc, argv, i, &val);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (parse_timeout(val, &o->timeout_ms) != 0) {
            edist_error("--timeout '%s' is not a time: give milliseconds "
                        "(500) or seconds (2s), more than 0", val);
            return -1;
        }
        o->timeout_set = 1;
        return 1;
    }
    if (strcmp(a, "--oneline") == 0) {
        o->oneline = 1;
        return 1;
    }
    r = option_value("--cookie", "the cookie", argc, argv, i, &val);
    if (r != 0) {
        o->cookie = val;
        return r;
    }
    r = option_value("--cookie-file", "a file holding the cookie", argc,
                     argv, i, &val);
    if (r != 0) {
        o->cookie_file = val;
        return r;
    }
    r = option_value("--name", "our node name, name@host", argc, argv, i,
                     &val);
    if (r != 0) {
        o->name = val;
        return r;
    }
    r = option_value("--port", "the node's distribution port", argc, argv,
                     i, &val);
    if (r < 0)
        return -1;
    if (r > 0) {
        char *end;
        long p = strtol(val, &end, 10);
        if (end == val || *end != 0 || p < 1 || p > 65535) {
            edist_error("--port '%s' is not a TCP port (1..65535)", val);
            return -1;
        }
        o->port = (uint16_t)p;
        return 1;
    }
    if (strcmp(a, "--shortnames") == 0 || strcmp(a, "--longnames") == 0) {
        o->names_mode = a[2] == 's' ? HS_NAMES_SHORT : HS_NAMES_LONG;
        return 1;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        o->verbose = 1;
        return 1;
    }
    return 0;
}

void edist_trace_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

int edist_one_operand(int argc, char **argv, edist_opts *o, const char *cmd,
                      const char *help, const char *what, int required,
                      const char **operand)
{
    *operand = NULL;
    for (int i = 1; i < argc; i++) {
        int r = edist_common_option(o, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if (arg[0] == '-' && arg[1] != 0) {
            edist_error("%s: unknown option '%s' (see edist %s --help)", cmd,
                        arg, cmd);
            return EXIT_USAGE;
        }
        if (*operand != NULL) {
            edist_error("%s: one %s only (got '%s' and '%s')", cmd, what,
                        *operand, arg);
            return EXIT_USAGE;
        }
        *operand = arg;
    }
    if (required && *operand == NULL) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    return -1;
}

int edist_epmd_client(const edist_opts *o, const char *host,
                      epmd_client *c)
{
    epmd_error err;
    memset(c, 0, sizeof *c);
    if (epmd_port_from(o->epmd_port, getenv("ERL_EPMD_PORT"), &c->port,
                       &err) != 0) {
        edist_error("%s", err.message);
        return -1;
    }
    c->host = host;
    c->timeout_ms = o->timeout_ms;
    if (o->verbose)
        c->trace = edist_trace_stderr;
    return 0;
}

int edist_epmd_fail(const epmd_error *err)
{
    switch (err->code) {
    case EPMD_ERR_REFUSED:
        edist_error("%s (if EPMD listens on another port: --epmd-port or "
                    "ERL_EPMD_PORT)", err->message);
        return EXIT_CONNECT;
    case EPMD_ERR_TIMEOUT:
        edist_error("%s (--timeout to wait longer)", err->message);
        return EXIT_TIMEOUT;
    case EPMD_ERR_ARG:
        edist_error("%s", err->message);
        return EXIT_USAGE;
    default:
        edist_error("%s", err->message);
        return EXIT_CONNECT;
    }
}

int main(int argc, char **argv)
{
    edist_opts o = {0};
    o.format = ETF_FORMAT_ERLANG;
    o.timeout_ms = EDIST_DEFAULT_TIMEOUT_MS;
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
    if (strcmp(cmd, "names") == 0)
        return cmd_names(argc - i, argv + i, &o);
    if (strcmp(cmd, "ping") == 0)
        return cmd_ping(argc - i, argv + i, &o);
    if (strcmp(cmd, "node") == 0)
        return cmd_node(argc - i, argv + i, &o);
    if (strcmp(cmd, "rpc") == 0)
        return cmd_rpc(argc - i, argv + i, &o);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - i, argv + i, &o);
    if (strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    edist_error("unknown command '%s' (see edist --help)", cmd);
    return EXIT_USAGE;
}
