/*
 * cmd_node.c -- `edist node [NAME]`: edist as a node that real nodes
 * connect to.
 *
 * It registers NAME with this host's EPMD, accepts connections (the
 * handshake in the acceptor role, v6 or the legacy v5 of older peers),
 * and prints every message that arrives: from which node, the control
 * message decoded, and the payload as a term. Two processes run on it:
 *
 *   net_kernel  answers {is_auth, Node} with yes, so that
 *               net_adm:ping/1 from a real node gets pong (every node of
 *               dist/node.h has it: dist/net_kernel.c);
 *   echo        sends any {Pid, Term} it gets back to Pid as Term.
 *
 * Other nodes can also start more echo processes on it, as edist:echo/0
 * (spawn/4, spawn_link/4, spawn_monitor/4: SPAWN_REQUEST, dist/spawn.c).
 *
 * It is a way to watch the protocol (with -v, down to the ticks and the
 * flags agreed), and the peer that tests of other implementations can
 * talk to. Ctrl-C or SIGTERM stops it: the connections close, the name
 * leaves EPMD.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist/node.h"
#include "handshake/hs.h"
#include "tools/edist.h"

static const char node_usage[] =
    "usage: edist node [OPTIONS] [NAME]\n"
    "\n"
    "Runs edist as a hidden node named NAME (name@host, or name for this\n"
    "host; default: edist): registers it with EPMD, accepts connections\n"
    "from other nodes, and prints every message that arrives, decoded.\n"
    "Two processes run on it: net_kernel answers net_adm:ping/1 (pong),\n"
    "and echo sends any {Pid, Term} back to Pid as Term:\n"
    "\n"
    "    (app@host)1> net_adm:ping('edist@host').\n"
    "    pong\n"
    "    (app@host)2> {echo, 'edist@host'} ! {self(), hello}, flush().\n"
    "    Shell got hello\n"
    "\n"
    "More echo processes start on request, as edist:echo/0:\n"
    "\n"
    "    (app@host)3> P = spawn('edist@host', edist, echo, []).\n"
    "    (app@host)4> P ! {self(), hi}, flush().\n"
    "    Shell got hi\n"
    "\n"
    "Runs until Ctrl-C or SIGTERM.\n"
    "\n"
    "Options (before or after the command):\n"
    "  --cookie COOKIE       the cookie (default: --cookie-file, else the\n"
    "                        RELEASE_COOKIE environment variable, else\n"
    "                        ~/.erlang.cookie)\n"
    "  --cookie-file FILE    read the cookie from FILE\n"
    "  --port PORT           listen on PORT (default: any free port)\n"
    "  --epmd-port PORT      EPMD's port (default: ERL_EPMD_PORT, else 4369)\n"
    "  --shortnames, --longnames\n"
    "                        the kind of name, when NAME has no host part\n"
    "  --format erlang|elixir|json\n"
    "                        how terms are printed (default: erlang)\n"
    "  --oneline             each term on one line\n"
    "  -v                    also print handshakes, ticks and every message\n"
    "                        sent, on stderr\n"
    "\n"
    "Exit codes: 0 stopped by a signal; 2 usage error; 3 no EPMD or the\n"
    "name is taken.\n";

#define NODE_MAX_PRINT 4000

static dist_node *running_node;

static void on_signal(int sig)
{
    (void)sig;
    if (running_node != NULL)
        dist_node_stop(running_node);
}

typedef struct node_out {
    const edist_opts *o;
    const etf_atom *home;
} node_out;

static void log_line(void *arg, const char *line)
{
    (void)arg;
    printf("* %s\n", line);
    fflush(stdout);
}

static void trace_line(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s\n", line);
}

/* Every message that arrives: the node, the control message, the
 * payload. */
static void watch(void *arg, const char *from_node, const char *control,
                  const etf_term *payload)
{
    node_out *out = arg;
    printf("<- %s: %s\n", from_node, control);
    if (payload != NULL) {
        etf_buf text = {0};
        etf_print_opts po = {0};
        po.format = out->o->format;
        po.width = out->o->oneline ? 0 : 80;
        po.column = 5;
        po.home_node = out->home;
        /* A person reads the start of a 10 MiB binary, not all of it. */
        if (etf_print(payload, &po, &text) == 0 && text.data != NULL) {
            if (text.len <= NODE_MAX_PRINT)
                printf("   %s\n", (const char *)text.data);
            else
                printf("   %.*s...\n   (%zu more bytes of text)\n",
                       NODE_MAX_PRINT, (const char *)text.data,
                       text.len - NODE_MAX_PRINT);
        }
        etf_buf_release(&text);
    }
    fflush(stdout);
}

/* echo: {Pid, Term} -> Pid ! Term. */
static void echo(dist_proc *p, const dist_message *m, void *arg)
{
    (void)arg;
    const etf_term *t = &m->msg;
    if (t->type != ETF_TUPLE || t->n != 2 ||
        (t->u.elems[0].type != ETF_PID && t->u.elems[0].type != ETF_REF))
        return;
    dist_error err;
    if (dist_send(p, &t->u.elems[0], &t->u.elems[1], &err) != 0)
        printf("* echo: %s\n", err.message);
}

int cmd_node(int argc, char **argv, edist_opts *o)
{
    const char *name_arg;
    int code = edist_one_operand(argc, argv, o, "node", node_usage, "NAME",
                                 0, &name_arg);
    if (code >= 0)
        return code;

    hs_node_name name;
    hs_cookie cookie;
    if (edist_parse_node(o, name_arg ? name_arg : "edist", &name) !=
            EXIT_OK ||
        edist_find_cookie(o, &cookie) != EXIT_OK)
        return EXIT_USAGE;
    epmd_client ec;
    if (edist_epmd_client(o, NULL, &ec) != 0) {
        hs_cookie_clear(&cookie);
        return EXIT_USAGE;
    }

    node_out out = {o, NULL};
    dist_node_opts no = {0};
    no.name = name.full;
    no.cookie = cookie.value;
    no.cookie_len = cookie.len;
    no.epmd_port = ec.port;
    no.log = log_line;
    no.trace = o->verbose ? trace_line : NULL;
    dist_node *n;
    dist_error err;
    int r = dist_node_new(&no, &n, &err);
    hs_cookie_clear(&cookie);
    if (r != 0) {
        edist_error("%s", err.message);
        return dist_exit_code(&err);
    }
    out.home = dist_node_name(n);
    if (dist_proc_new_handler(n, "echo", echo, NULL) == NULL) {
        edist_error("out of memory");
        dist_node_free(n);
        return EXIT_CONNECT;
    }
    if (dist_node_spawnable(n, "edist", "echo", 0, echo, NULL, &err) != 0) {
        edist_error("%s", err.message);
        dist_node_free(n);
        return dist_exit_code(&err);
    }
    if (dist_node_listen(n, o->port, 1, 0, &err) != 0) {
        /* No EPMD here: a node cannot be found without one. */
        edist_error("%s%s", err.message,
                    strstr(err.message, "no EPMD") != NULL
                        ? " (start one with `epmd -daemon`, or point "
                          "--epmd-port / ERL_EPMD_PORT at yours)"
                        : "");
        dist_node_free(n);
        return dist_exit_code(&err);
    }
    dist_node_watch(n, watch, &out);
    printf("* node %s up on port %u; processes: echo, net_kernel; "
           "spawnable: edist:echo/0; Ctrl-C stops it\n", name.full,
           dist_node_port(n));
    fflush(stdout);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running_node = n;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    r = dist_node_run(n, -1, &err);
    running_node = NULL;
    printf("* node %s stopped\n", name.full);
    dist_node_free(n);
    if (r != 0) {
        edist_error("%s", err.message);
        return dist_exit_code(&err);
    }
    return EXIT_OK;
}
