/*
 * edist.h -- what the subcommands of the edist command share: exit codes,
 * the common options, and small output helpers.
 */
#ifndef EDIST_TOOLS_H
#define EDIST_TOOLS_H

#include <stdio.h>

#include "dist/dist.h"
#include "dist/node.h"
#include "epmd/epmd.h"
#include "etf/etf.h"
#include "handshake/hs.h"

/* Exit codes, part of the interface (edist --help, README). */
enum {
    EXIT_OK = 0,
    EXIT_REMOTE = 1,  /* the remote side answered with an error; for etf:
                         the input is not a valid term */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_CONNECT = 3, /* connection failure */
    EXIT_AUTH = 4,    /* authentication refused */
    EXIT_TIMEOUT = 5  /* timed out */
};

/* How long a command waits for the network when --timeout is not given. */
#define EDIST_DEFAULT_TIMEOUT_MS 10000

/* The --help lines of the options that say how to reach a node, for the
 * commands that connect to one. */
#define EDIST_CONNECT_HELP                                                   \
    "  --cookie COOKIE       the cookie (default: --cookie-file, else the\n" \
    "                        RELEASE_COOKIE environment variable, else\n"    \
    "                        ~/.erlang.cookie)\n"                            \
    "  --cookie-file FILE    read the cookie from FILE\n"                    \
    "  --name NAME           our node name (default: edist_<pid>_<random>)\n"\
    "  --shortnames, --longnames\n"                                          \
    "                        force the kind of node names (default: from\n" \
    "                        NODE's host part)\n"                            \
    "  --port PORT           the node's distribution port: skip EPMD\n"     \
    "  --epmd-port PORT      EPMD's port (default: ERL_EPMD_PORT, else 4369)\n" \
    "  -v                    print every protocol message on stderr\n"

/* Options every command understands. */
typedef struct edist_opts {
    etf_format format;
    int format_set;
    int oneline;
    int verbose;
    const char *epmd_port; /* --epmd-port's value (already checked), or
                              NULL: then ERL_EPMD_PORT, else 4369 */
    int timeout_ms;        /* --timeout; 0 until main sets the default */
    int timeout_set;       /* --timeout was given */
    /* Talking to a node (tools/connect.c). */
    const char *cookie;      /* --cookie, or NULL */
    const char *cookie_file; /* --cookie-file, or NULL */
    const char *name;        /* --name: our node name, or NULL */
    hs_name_mode names_mode; /* --shortnames / --longnames, else auto */
    uint16_t port;           /* --port: the node's port, 0: ask EPMD */
} edist_opts;

/* Parses a common option at argv[*i] (advancing *i past its value). Returns
 * 1 if it was one, 0 if not, -1 after printing an error. */
int edist_common_option(edist_opts *o, int argc, char **argv, int *i);

/* Fills an EPMD client for HOST (NULL: localhost) from the options: the
 * EPMD port (--epmd-port, ERL_EPMD_PORT, 4369), the timeout, and with -v
 * a trace of every EPMD message on stderr. Returns 0, or -1 after printing
 * the error (a bad ERL_EPMD_PORT): then exit with EXIT_USAGE. */
int edist_epmd_client(const edist_opts *o, const char *host,
                      epmd_client *c);

/* Prints an EPMD error, with a hint about edist's options where one
 * helps, and returns its exit code: EXIT_TIMEOUT for a timeout, EXIT_USAGE
 * for a bad argument, EXIT_CONNECT for everything else. */
int edist_epmd_fail(const epmd_error *err);

/* The arguments of a command that takes one operand (names HOST, ping
 * NODE): common options anywhere, -h/--help (prints `help` on stdout),
 * and at most one operand, which stays NULL if absent and `required` is
 * 0 (with `required`, a missing operand prints `help` on stderr).
 * Returns -1 to go on, or the exit code to stop with. */
int edist_one_operand(int argc, char **argv, edist_opts *o, const char *cmd,
                      const char *help, const char *what, int required,
                      const char **operand);

/* A trace callback (epmd_trace_fn, hs_config.trace, dist) that writes each
 * line on stderr: what -v does. */
void edist_trace_stderr(void *ctx, const char *line);

/* Prints a message prefixed with "edist: " on stderr. */
void edist_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* This machine's host name (gethostname), "localhost" if it has none. */
void edist_this_host(char *out, size_t size);

/* A node name as typed ("name@host", or "name" for this host), short or
 * long as the options say. Returns EXIT_OK, or EXIT_USAGE after printing
 * why. */
int edist_parse_node(const edist_opts *o, const char *text,
                     hs_node_name *out);

/* The cookie from --cookie, --cookie-file, RELEASE_COOKIE or
 * ~/.erlang.cookie (handshake/cookie.c). Returns EXIT_OK, or EXIT_USAGE
 * after printing why. Wipe it with hs_cookie_clear. */
int edist_find_cookie(const edist_opts *o, hs_cookie *out);

/* Connects to NODE as the options say (cookie, names, ports, timeout, -v)
 * and authenticates: tools/connect.c. Returns EXIT_OK with *c connected
 * (dist_close it), or the exit code after printing the error. */
int edist_connect(const edist_opts *o, const char *node, dist_conn *c);

/* The same, as a node of our own (dist/node.h) with that one connection:
 * what commands that run processes use (rpc, eval). Returns EXIT_OK with
 * *out (dist_node_free it) and the peer's full name in
 * peer_name[HS_MAX_NAME + 1], or the exit code after printing why. */
int edist_node_connect(const edist_opts *o, const char *node,
                       dist_node **out, char *peer_name);

/* Subcommands: each returns an exit code. */
int cmd_etf(int argc, char **argv, edist_opts *o);
int cmd_names(int argc, char **argv, edist_opts *o);
int cmd_ping(int argc, char **argv, edist_opts *o);
int cmd_node(int argc, char **argv, edist_opts *o);
int cmd_rpc(int argc, char **argv, edist_opts *o);
int cmd_eval(int argc, char **argv, edist_opts *o);

#endif
