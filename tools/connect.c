/*
 * connect.c -- from the command line's options to a connected,
 * authenticated dist_conn: the part every command that talks to a node
 * shares: a bare connection (ping), or a node of our own connected to
 * it (rpc, eval, trace).
 *
 * It decides, in order:
 *   - the target: NODE as typed ("name@host", or "name" for this host),
 *     short or long names from the host part unless --shortnames or
 *     --longnames says;
 *   - the cookie: --cookie, --cookie-file, RELEASE_COOKIE, then
 *     ~/.erlang.cookie (handshake/cookie.c has the rules); it is never
 *     printed, -v included;
 *   - our own name: --name if given; otherwise a unique hidden name
 *     "edist_<pid>_<random>@<our host>", and we ask the node to name us
 *     instead (DFLAG_NAME_ME) where it can (OTP 23 and later);
 *   - the port: --port skips EPMD; else --epmd-port, ERL_EPMD_PORT, 4369.
 * Every failure is printed here, with what to do about it, and turned
 * into the command's exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist/dist.h"
#include "dist/node.h"
#include "handshake/hs.h"
#include "tools/edist.h"

void edist_this_host(char *out, size_t size)
{
    snprintf(out, size, "localhost");
    gethostname(out, size - 1);
    out[size - 1] = 0;
}

int edist_parse_node(const edist_opts *o, const char *text,
                     hs_node_name *out)
{
    char this_host[256];
    hs_error he;
    edist_this_host(this_host, sizeof this_host);
    if (hs_name_parse(text, this_host, o->names_mode, out, &he) != 0) {
        edist_error("%s", he.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int edist_find_cookie(const edist_opts *o, hs_cookie *out)
{
    hs_error he;
    hs_cookie_env env = {o->cookie, o->cookie_file, getenv("RELEASE_COOKIE"),
                         getenv("HOME"), getenv("XDG_CONFIG_HOME")};
    if (hs_cookie_find(&env, out, &he) != 0) {
        edist_error("%s", he.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Our node name, into our[HS_MAX_NAME + 1]: --name if given, else a
 * unique hidden name on our host (*dynamic set: the node may name us
 * instead, DFLAG_NAME_ME). Returns EXIT_OK or EXIT_USAGE after printing
 * why. */
static int our_name(const edist_opts *o, const hs_node_name *peer,
                    uint32_t rnd, char *our, int *dynamic)
{
    hs_error he;
    char this_host[256];
    edist_this_host(this_host, sizeof this_host);
    *dynamic = 0;
    if (o->name != NULL) {
        hs_node_name mine;
        if (hs_name_parse(o->name, this_host,
                          peer->longnames ? HS_NAMES_LONG : HS_NAMES_SHORT,
                          &mine, &he) != 0) {
            edist_error("--name: %s (%s is a %s name, and a node only "
                        "talks to nodes of its own kind)", he.message,
                        peer->full, peer->longnames ? "long" : "short");
            return EXIT_USAGE;
        }
        snprintf(our, HS_MAX_NAME + 1, "%s", mine.full);
        return EXIT_OK;
    }
    char host[HS_MAX_NAME + 1], alive[64];
    if (hs_name_local_host(peer, this_host, host, sizeof host, &he)) {
        edist_error("%s", he.message);
        return EXIT_USAGE;
    }
    hs_name_unique(alive, sizeof alive, (unsigned long)getpid(), rnd);
    if (strlen(alive) + 1 + strlen(host) > HS_MAX_NAME) {
        edist_error("the host name %s is too long for a node name", host);
        return EXIT_USAGE;
    }
    size_t na = strlen(alive), nh = strlen(host);
    memcpy(our, alive, na);
    our[na] = '@';
    memcpy(our + na + 1, host, nh + 1);
    *dynamic = 1;
    return EXIT_OK;
}

/* Prints a failure to connect, with what to do, and returns its code. */
static int connect_fail(const dist_error *de)
{
    const char *hint = "";
    if (de->code == DIST_ERR_AUTH)
        hint = " (check the cookie: --cookie, --cookie-file, "
               "RELEASE_COOKIE or ~/.erlang.cookie)";
    else if (de->code == DIST_ERR_TIMEOUT)
        hint = " (--timeout to wait longer)";
    edist_error("%s%s", de->message, hint);
    return dist_exit_code(de);
}

/* What both ways of connecting need, worked out from the options: the
 * peer, the cookie (wipe it), our name, a random number for the
 * creation, EPMD's port. Returns EXIT_OK, or EXIT_USAGE after printing
 * why (nothing to wipe then). */
typedef struct target {
    hs_node_name peer;
    hs_cookie cookie;
    char our[HS_MAX_NAME + 1];
    int dynamic;
    uint32_t rnd;
    uint16_t epmd_port;
} target;

static int prepare(const edist_opts *o, const char *node, target *t)
{
    if (edist_parse_node(o, node, &t->peer) != EXIT_OK ||
        edist_find_cookie(o, &t->cookie) != EXIT_OK)
        return EXIT_USAGE;
    t->rnd = 0;
    hs_random_bytes(&t->rnd, sizeof t->rnd);
    epmd_client ec;
    if (our_name(o, &t->peer, t->rnd, t->our, &t->dynamic) != EXIT_OK ||
        edist_epmd_client(o, NULL, &ec) != 0) {
        hs_cookie_clear(&t->cookie);
        return EXIT_USAGE;
    }
    t->epmd_port = ec.port;
    return EXIT_OK;
}

int edist_connect(const edist_opts *o, const char *node, dist_conn *c)
{
    target t;
    if (prepare(o, node, &t) != EXIT_OK)
        return EXIT_USAGE;
    dist_connect_opts co = {0};
    co.peer = &t.peer;
    co.port = o->port;
    co.epmd_port = t.epmd_port;
    co.our_name = t.our;
    co.dynamic_name = t.dynamic;
    co.creation = t.rnd | 4; /* not 0, and not the 1..3 of old nodes */
    co.cookie = t.cookie.value;
    co.cookie_len = t.cookie.len;
    co.timeout_ms = o->timeout_ms;
    if (o->verbose)
        co.trace = edist_trace_stderr;
    dist_error de;
    int r = dist_connect(c, &co, &de);
    hs_cookie_clear(&t.cookie);
    return r != 0 ? connect_fail(&de) : EXIT_OK;
}

int edist_node_connect(const edist_opts *o, const char *node,
                       dist_node **out, char *peer_name)
{
    target t;
    if (prepare(o, node, &t) != EXIT_OK)
        return EXIT_USAGE;
    dist_node_opts no = {0};
    no.name = t.our;
    no.cookie = t.cookie.value;
    no.cookie_len = t.cookie.len;
    no.creation = t.rnd | 4;
    no.epmd_port = t.epmd_port;
    if (o->verbose) {
        no.trace = edist_trace_stderr;
        no.log = edist_trace_stderr;
    }
    dist_error de;
    dist_node *n;
    int r = dist_node_new(&no, &n, &de);
    hs_cookie_clear(&t.cookie);
    if (r != 0) {
        edist_error("%s", de.message);
        return dist_exit_code(&de);
    }
    if (dist_node_connect(n, t.peer.full, o->port, o->timeout_ms, &de) !=
        0) {
        dist_node_free(n);
        return connect_fail(&de);
    }
    snprintf(peer_name, HS_MAX_NAME + 1, "%s", t.peer.full);
    *out = n;
    return EXIT_OK;
}
