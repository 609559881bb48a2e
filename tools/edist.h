/*
 * edist.h -- what the subcommands of the edist command share: exit codes,
 * the common options, and small output helpers.
 */
#ifndef EDIST_TOOLS_H
#define EDIST_TOOLS_H

#include <stdio.h>

#include "etf/etf.h"

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

/* Options every command understands. */
typedef struct edist_opts {
    etf_format format;
    int format_set;
    int oneline;
    int verbose;
} edist_opts;

/* Parses a common option at argv[*i] (advancing *i past its value). Returns
 * 1 if it was one, 0 if not, -1 after printing an error. */
int edist_common_option(edist_opts *o, int argc, char **argv, int *i);

/* Prints a message prefixed with "edist: " on stderr. */
void edist_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Subcommands: each returns an exit code. */
int cmd_etf(int argc, char **argv, edist_opts *o);

#endif
