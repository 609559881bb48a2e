/*
 * cmd_ping.c -- `edist ping NODE`: what net_adm:ping/1 answers, from a
 * machine without Erlang.
 *
 * pong means what it means to net_adm:ping/1: EPMD knew the node, the
 * handshake succeeded with our cookie, and the node's net_kernel answered
 * the is_auth call (dist/ping.c). Anything else is pang, with the reason
 * on stderr and an exit code that tells the reasons apart for scripts.
 */
#include <stdio.h>
#include <string.h>

#include "dist/dist.h"
#include "tools/edist.h"

static const char ping_usage[] =
    "usage: edist ping [OPTIONS] NODE\n"
    "\n"
    "Connects to NODE (name@host, or name for a node on this host) as a\n"
    "hidden node and does what net_adm:ping/1 does. Prints pong and exits\n"
    "0 if the node answers; otherwise prints pang, says why on stderr, and\n"
    "exits with the code below.\n"
    "\n"
    "Options (before or after the command):\n"
    "  --cookie COOKIE       the cookie (default: --cookie-file, else the\n"
    "                        RELEASE_COOKIE environment variable, else\n"
    "                        ~/.erlang.cookie)\n"
    "  --cookie-file FILE    read the cookie from FILE\n"
    "  --name NAME           our node name (default: the node names us, or\n"
    "                        edist_<pid>_<random>@<this host>)\n"
    "  --shortnames, --longnames\n"
    "                        force the kind of node names (default: from\n"
    "                        NODE's host part: a dot or an address is long)\n"
    "  --port PORT           the node's distribution port: skip EPMD\n"
    "  --epmd-port PORT      EPMD's port (default: ERL_EPMD_PORT, else 4369)\n"
    "  --timeout MS|Ns       give up after MS milliseconds or N seconds (10s)\n"
    "  -v                    print every EPMD, handshake and distribution\n"
    "                        message, decoded, on stderr (never the cookie)\n"
    "\n"
    "Exit codes: 0 pong; 1 the node answered, but not yes; 2 usage error;\n"
    "3 no EPMD, node not registered, connection refused or lost; 4 cookie\n"
    "rejected or connection not allowed; 5 timeout.\n";

int cmd_ping(int argc, char **argv, edist_opts *o)
{
    const char *node;
    int code = edist_one_operand(argc, argv, o, "ping", ping_usage, "NODE", 1,
                                 &node);
    if (code >= 0)
        return code;
    dist_conn c;
    code = edist_connect(o, node, &c);
    if (code != EXIT_OK) {
        if (code != EXIT_USAGE)
            puts("pang");
        return code;
    }
    dist_error err;
    if (dist_ping(&c, o->timeout_ms, &err) != 0) {
        puts("pang");
        edist_error("%s", err.message);
        dist_close(&c);
        return dist_exit_code(&err);
    }
    puts("pong");
    dist_close(&c);
    return EXIT_OK;
}
