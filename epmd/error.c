/*
 * error.c -- errors as values: the code names and the two helpers that
 * fill an epmd_error.
 *
 * A message is built in two steps. The code that meets the problem says
 * what it saw ("connection refused by 127.0.0.1"); the caller that knows
 * what the connection was for puts that in front ("no EPMD at
 * localhost:4369"). That keeps tcp.c free of any idea of EPMD, so that
 * dist/ can use it for nodes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"

int epmd_fail(epmd_error *err, epmd_errcode code, const char *fmt, ...)
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

void epmd_prefix(epmd_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char old[sizeof err->message];
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* Then ": " and the old message, as much of it as fits. */
    size_t used = n < 0 ? 0 : (size_t)n;
    size_t cap = sizeof err->message;
    if (used + 3 >= cap)
        return;
    memcpy(err->message + used, ": ", 2);
    used += 2;
    size_t len = strlen(old);
    if (len > cap - 1 - used)
        len = cap - 1 - used;
    memcpy(err->message + used, old, len);
    err->message[used + len] = 0;
}

void epmd_host_port(char *out, size_t cap, const char *host, uint16_t port)
{
    if (host == NULL || host[0] == 0)
        host = "localhost";
    if (strchr(host, ':') != NULL && host[0] != '[')
        snprintf(out, cap, "[%s]:%u", host, (unsigned)port);
    else
        snprintf(out, cap, "%s:%u", host, (unsigned)port);
}

const char *epmd_strerror(epmd_errcode code)
{
    switch (code) {
    case EPMD_OK: return "no error";
    case EPMD_ERR_ARG: return "bad argument";
    case EPMD_ERR_TRUNCATED: return "truncated reply";
    case EPMD_ERR_BAD_REPLY: return "bad reply";
    case EPMD_ERR_RESOLVE: return "host not found";
    case EPMD_ERR_REFUSED: return "connection refused";
    case EPMD_ERR_CONNECT: return "cannot connect";
    case EPMD_ERR_TIMEOUT: return "timed out";
    case EPMD_ERR_RESET: return "connection reset";
    case EPMD_ERR_CLOSED: return "connection closed";
    case EPMD_ERR_IO: return "socket error";
    case EPMD_ERR_NOT_REGISTERED: return "name not registered";
    case EPMD_ERR_REGISTER: return "registration refused";
    case EPMD_ERR_NOMEM: return "out of memory";
    }
    return "unknown error";
}
