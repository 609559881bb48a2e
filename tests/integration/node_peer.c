/*
 * node_peer.c -- a C node built on dist/node.h, driven by a real node,
 * for node.test: links, monitors, exits and spawn_request in both
 * directions, and a connection that goes quiet or drops.
 *
 *   node_peer NAME COOKIE EPMD_PORT NET_TICKTIME
 *
 * It registers NAME, prints "ready" and then runs one process, `ctl`,
 * that obeys messages {From, Command} and answers From with {Command,
 * Result}:
 *
 *   {From, new}                 a new process `victim` of ours: {new, Pid}
 *   {From, {exit, Pid, Reason}} our process Pid ends with Reason: ok
 *   {From, {link, Pid}}         ctl links to Pid: ok
 *   {From, {unlink, Pid}}       ctl unlinks Pid: ok
 *   {From, {monitor, Target}}   ctl monitors Target (a pid, or {Name,
 *                               Node}): {monitor, Ref}
 *   {From, {spawn, M, F, A, Opts}}  spawn_request on From's node with
 *                               Opts (link, monitor): {spawn, ReqId}
 *   {From, {hold, N}}           ctl takes the next N messages out of its
 *                               mailbox, keeps them all, then sends each
 *                               back to From as {held, Term}, in order;
 *                               then answers {hold, ok}. (Messages that
 *                               wait while others arrive: their memory
 *                               must not be the connection's.)
 *   {From, {blast, N, Size}}    sends From N binaries of Size bytes, the
 *                               i-th (from 0) all bytes i rem 251, as fast
 *                               as the connection takes them: {blast, ok}
 *   {From, {alias, Mode}}       an alias of ctl (Mode explicit or reply):
 *                               {alias, Alias}; commands sent through it
 *                               work as through ctl's pid or name
 *   {From, {unalias, Alias}}    ends it: {unalias, true | false}
 *   {From, {echo, Term}}        {echo, Term}
 *   {From, stop}                exits 0
 *
 * Other nodes may spawn node_peer:print/N (any N): a process that prints
 * each message it gets, its arguments first, as "spawned got TERM from
 * PID".
 *
 * Every other message ctl gets ({'EXIT', ...}, {'DOWN', ...},
 * {spawn_reply, ...}) is printed on stdout as "got TERM", and so are the
 * node's log lines ("log ..."), so that the test sees what the node saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/node.h"

static void log_line(void *arg, const char *line)
{
    (void)arg;
    printf("log %s\n", line);
    fflush(stdout);
}

static void print_term(const char *prefix, const etf_term *t)
{
    etf_buf b = {0};
    etf_print_opts po = {0};
    po.format = ETF_FORMAT_ERLANG;
    etf_print(t, &po, &b);
    printf("%s %s\n", prefix, b.data ? (const char *)b.data : "?");
    fflush(stdout);
    etf_buf_release(&b);
}

/* node_peer:print/N, spawned by other nodes. */
static void print_handler(dist_proc *p, const dist_message *m, void *arg)
{
    (void)p;
    (void)arg;
    etf_buf b = {0}, f = {0};
    etf_print_opts po = {0};
    po.format = ETF_FORMAT_ERLANG;
    etf_print(&m->msg, &po, &b);
    if (m->from.type != 0)
        etf_print(&m->from, &po, &f);
    printf("spawned got %s from %s\n", b.data ? (const char *)b.data : "?",
           f.data ? (const char *)f.data : "-");
    fflush(stdout);
    etf_buf_release(&b);
    etf_buf_release(&f);
}

#define MAX_VICTIMS 64

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: node_peer NAME COOKIE EPMD_PORT "
                        "NET_TICKTIME\n");
        return 2;
    }
    dist_node_opts o = {0};
    o.name = argv[1];
    o.cookie = argv[2];
    o.epmd_port = (uint16_t)atoi(argv[3]);
    o.net_ticktime = (unsigned)atoi(argv[4]);
    o.log = log_line;
    dist_node *n;
    dist_error err;
    if (dist_node_new(&o, &n, &err) != 0 ||
        dist_node_listen(n, 0, 1, 1, &err) != 0) {
        fprintf(stderr, "node_peer: %s\n", err.message);
        return 3;
    }
    dist_proc *ctl = dist_proc_new(n, "ctl");
    if (dist_node_spawnable(n, "node_peer", "print", -1, print_handler, NULL,
                            &err) != 0) {
        fprintf(stderr, "node_peer: %s\n", err.message);
        return 3;
    }
    dist_proc *victims[MAX_VICTIMS];
    int nvictims = 0;
    printf("ready\n");
    fflush(stdout);

    for (;;) {
        dist_message *m;
        int r = dist_receive(ctl, NULL, NULL, -1, &m, &err);
        if (r < 0) {
            fprintf(stderr, "node_peer: %s\n", err.message);
            return 3;
        }
        const etf_term *t = &m->msg;
        if (t->type != ETF_TUPLE || t->n != 2 ||
            t->u.elems[0].type != ETF_PID) {
            print_term("got", t);
            dist_message_free(m);
            continue;
        }
        const etf_term *from = &t->u.elems[0], *cmd = &t->u.elems[1];
        etf_arena a;
        etf_arena_init(&a);
        etf_term result = etf_atom_z("ok");
        etf_term name = *cmd;
        const etf_term *arg = NULL;
        if (cmd->type == ETF_TUPLE && cmd->n >= 2) {
            name = cmd->u.elems[0];
            arg = &cmd->u.elems[1];
        }
        int fail = 0;
        if (etf_atom_is(&name, "stop")) {
            dist_message_free(m);
            etf_arena_release(&a);
            dist_node_free(n);
            return 0;
        } else if (etf_atom_is(&name, "new") && nvictims < MAX_VICTIMS) {
            dist_proc *v = dist_proc_new(n, NULL);
            victims[nvictims++] = v;
            result = *dist_self(v);
        } else if (etf_atom_is(&name, "exit") && cmd->n == 3) {
            for (int i = 0; i < nvictims; i++)
                if (victims[i] != NULL &&
                    etf_equal(dist_self(victims[i]), arg)) {
                    dist_proc_exit(victims[i], &cmd->u.elems[2]);
                    victims[i] = NULL;
                }
        } else if (etf_atom_is(&name, "link") && arg != NULL) {
            fail = dist_link(ctl, arg, &err);
        } else if (etf_atom_is(&name, "unlink") && arg != NULL) {
            fail = dist_unlink(ctl, arg, &err);
        } else if (etf_atom_is(&name, "monitor") && arg != NULL) {
            const etf_term *target = arg;
            char node[256] = {0};
            if (arg->type == ETF_TUPLE && arg->n == 2) {
                target = &arg->u.elems[0];
                snprintf(node, sizeof node, "%.*s",
                         (int)arg->u.elems[1].n, arg->u.elems[1].u.atom);
            }
            fail = dist_monitor(ctl, target, node[0] ? node : NULL, &a,
                                &result, &err);
        } else if (etf_atom_is(&name, "spawn") && cmd->n == 5) {
            char mod[256], fun[256], node[256];
            snprintf(mod, sizeof mod, "%.*s", (int)cmd->u.elems[1].n,
                     cmd->u.elems[1].u.atom);
            snprintf(fun, sizeof fun, "%.*s", (int)cmd->u.elems[2].n,
                     cmd->u.elems[2].u.atom);
            snprintf(node, sizeof node, "%.*s",
                     (int)from->u.pid->node.len, from->u.pid->node.name);
            unsigned opts = 0;
            const etf_term *ol = &cmd->u.elems[4];
            for (uint32_t i = 0; ol->type == ETF_LIST && i < ol->n; i++) {
                if (etf_atom_is(&ol->u.elems[i], "link"))
                    opts |= DIST_SPAWN_LINK;
                if (etf_atom_is(&ol->u.elems[i], "monitor"))
                    opts |= DIST_SPAWN_MONITOR;
            }
            fail = dist_spawn_request(ctl, node, mod, fun, &cmd->u.elems[3],
                                      opts, &a, &result, &err);
        } else if (etf_atom_is(&name, "alias") && arg != NULL) {
            enum dist_alias_mode mode = etf_atom_is(arg, "reply")
                                            ? DIST_ALIAS_REPLY
                                            : DIST_ALIAS_EXPLICIT;
            fail = dist_alias(ctl, mode, &a, &result, &err);
        } else if (etf_atom_is(&name, "unalias") && arg != NULL) {
            result = etf_atom_z(dist_unalias(ctl, arg) ? "true" : "false");
        } else if (etf_atom_is(&name, "echo") && arg != NULL) {
            result = *arg;
        } else if (etf_atom_is(&name, "hold") && arg != NULL &&
                   arg->type == ETF_INTEGER && arg->u.i > 0 &&
                   arg->u.i <= 1000) {
            int want = (int)arg->u.i, have = 0;
            dist_message **held = calloc((size_t)want, sizeof *held);
            while (held != NULL && have < want &&
                   dist_receive(ctl, NULL, NULL, -1, &held[have], &err) == 1)
                have++;
            for (int i = 0; i < have; i++) {
                etf_term back = etf_tuple(&a, 2);
                back.u.elems[0] = etf_atom_z("held");
                back.u.elems[1] = held[i]->msg;
                if (!fail)
                    fail = dist_send(ctl, from, &back, &err);
                dist_message_free(held[i]);
            }
            free(held);
        } else if (etf_atom_is(&name, "blast") && cmd->n == 3 &&
                   arg->type == ETF_INTEGER &&
                   cmd->u.elems[2].type == ETF_INTEGER &&
                   arg->u.i > 0 && arg->u.i <= 10000 &&
                   cmd->u.elems[2].u.i >= 0 &&
                   cmd->u.elems[2].u.i <= (1 << 24)) {
            size_t size = (size_t)cmd->u.elems[2].u.i;
            uint8_t *bytes = malloc(size + 1);
            for (int64_t i = 0; bytes != NULL && i < arg->u.i && !fail;
                 i++) {
                memset(bytes, (int)(i % 251), size);
                etf_term bin = etf_binary(bytes, size);
                fail = dist_send(ctl, from, &bin, &err);
            }
            free(bytes);
        } else {
            result = etf_atom_z("unknown_command");
        }
        if (fail) {
            result = etf_tuple(&a, 2);
            result.u.elems[0] = etf_atom_z("error");
            result.u.elems[1] = etf_binary(err.message,
                                           strlen(err.message));
        }
        etf_term answer = etf_tuple(&a, 2);
        answer.u.elems[0] = name;
        answer.u.elems[1] = result;
        if (dist_send(ctl, from, &answer, &err) != 0)
            fprintf(stderr, "node_peer: %s\n", err.message);
        dist_message_free(m);
        etf_arena_release(&a);
    }
}
