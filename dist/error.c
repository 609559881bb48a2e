/*
 * error.c -- dist/'s errors, and the exit codes the command gives them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dist/dist.h"
#include "dist/internal.h"

int dist_fail(dist_error *err, dist_errcode code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int dist_exit_code(const dist_error *err)
{
    switch (err->code) {
    case DIST_OK: return 0;
    case DIST_ERR_USAGE: return 2;
    case DIST_ERR_AUTH: return 4;
    case DIST_ERR_TIMEOUT: return 5;
    case DIST_ERR_REMOTE: return 1;
    case DIST_ERR_CONNECT:
    case DIST_ERR_CLOSED:
    case DIST_ERR_PROTOCOL:
    case DIST_ERR_NOMEM: return 3;
    }
    return 3;
}
