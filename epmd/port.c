/*
 * port.c -- which port EPMD listens on.
 *
 * erl finds EPMD at the port given by `-epmd_port`, else by the
 * ERL_EPMD_PORT environment variable, else at 4369; edist does the same
 * with `--epmd-port`. A bad value is an error rather than a silent
 * fallback to 4369: talking to the wrong EPMD would give a wrong answer
 * ("not registered") instead of a clear one.
 */
#include <stddef.h>
#include <stdint.h>

#include "epmd/epmd.h"
#include "epmd/internal.h"

/* A decimal port number 1..65535, digits only. */
static int parse_port(const char *s, uint16_t *port)
{
    uint32_t v = 0;
    if (s[0] == 0)
        return -1;
    for (const char *p = s; *p != 0; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int epmd_port_from(const char *option, const char *env, uint16_t *port,
                   epmd_error *err)
{
    if (option != NULL) {
        if (parse_port(option, port) != 0)
            return epmd_fail(err, EPMD_ERR_ARG,
                             "--epmd-port '%.64s' is not a port number "
                             "(1 to 65535)", option);
        return 0;
    }
    if (env != NULL && env[0] != 0) {
        if (parse_port(env, port) != 0)
            return epmd_fail(err, EPMD_ERR_ARG,
                             "ERL_EPMD_PORT='%.64s' in the environment is "
                             "not a port number (1 to 65535): fix or unset "
                             "it, or give --epmd-port", env);
        return 0;
    }
    *port = EPMD_PORT_NO;
    return 0;
}
