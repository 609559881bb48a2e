/*
 * remote.h -- a call on a node with edist as its group leader, and its
 * outcome shown as the node's shell shows it (tools/remote.c): what
 * `edist rpc` and `edist eval` share.
 */
#ifndef EDIST_TOOLS_REMOTE_H
#define EDIST_TOOLS_REMOTE_H

#include <stdio.h>

#include "dist/node.h"
#include "tools/edist.h"

typedef struct edist_remote {
    dist_node *n;
    dist_proc *me;        /* the caller, and the calls' group leader */
    dist_io_server *io;   /* stdin and stdout for the calls */
    char node[HS_MAX_NAME + 1]; /* the target's full name */
    int elixir;           /* the target runs Elixir: 1, 0, -1 not known */
} edist_remote;

/* Connects to NODE as the options say. Returns EXIT_OK, or the exit code
 * after printing why. */
int edist_remote_open(const edist_opts *o, const char *node,
                      edist_remote *r);
void edist_remote_close(edist_remote *r);

/* Calls Module:Function(Args) (flags: DIST_CALL_REX or 0), serving its
 * I/O meanwhile, for at most --timeout if one was given (then the call is
 * killed). Returns EXIT_OK with *out (free it) holding *res's terms, or
 * the exit code after printing why. The first call also finds out
 * whether the node runs Elixir, unless --format said how to print. */
int edist_remote_call(edist_remote *r, const edist_opts *o,
                      const char *module, const char *function,
                      const etf_term *args, unsigned flags,
                      dist_message **out, dist_call_result *res);

/* How terms are printed: --format, else Elixir on an Elixir node. */
etf_format edist_remote_format(const edist_remote *r, const edist_opts *o);

/* Prints t and a newline on f, in that format. */
void edist_remote_print(const edist_remote *r, const edist_opts *o,
                        const etf_term *t, FILE *f);

/* Shows the outcome: a value on stdout (exit 0); an exception as the
 * node's shell shows it, on stderr (exit 1); a lost connection (exit 3).
 * Returns the exit code. */
int edist_remote_show(edist_remote *r, const edist_opts *o,
                      const dist_call_result *res);

#endif
