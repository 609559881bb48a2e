/*
 * dist_edist.c -- the edist C node of bench/dist: the same command line
 * and the same protocol as dist_ei.c (read its top comment), built on
 * edist's node runtime (dist/node.h) instead of libei.
 *
 *   dist_edist DRIVER_NODE COOKIE OURNAME
 *
 * Receiving: every {data, Term} arrives decoded whole by the runtime
 * (dist_receive hands out the term tree: binaries point into the
 * message's bytes, atoms too), and is counted. Sending: Term, decoded
 * once, is encoded again for every {data, Term} by dist_send, as any
 * sender would. Ticks are answered by the runtime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/node.h"
#include "epmd/epmd.h"

static int fail(const char *what, const dist_error *err)
{
    fprintf(stderr, "dist_edist: %s: %s\n", what, err->message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dist_edist DRIVER_NODE COOKIE OURNAME\n");
        return 2;
    }
    uint16_t epmd_port = 0;
    epmd_error ee;
    if (epmd_port_from(NULL, getenv("ERL_EPMD_PORT"), &epmd_port, &ee) != 0) {
        fprintf(stderr, "dist_edist: %s\n", ee.message);
        return 2;
    }
    dist_node_opts o = {0};
    o.name = argv[3];
    o.cookie = argv[2];
    o.epmd_port = epmd_port;
    /* DIST_PLAIN_ATOMS=1: no atom-cache refs in what we send, to measure
     * what the cache is worth (bench/README.md). */
    const char *plain = getenv("DIST_PLAIN_ATOMS");
    o.plain_atoms = plain != NULL && strcmp(plain, "1") == 0;
    dist_node *n;
    dist_error err;
    if (dist_node_new(&o, &n, &err) != 0)
        return fail("node", &err);
    if (dist_node_connect(n, argv[1], 0, 10000, &err) != 0)
        return fail(argv[1], &err);
    dist_proc *me = dist_proc_new(n, NULL);

    etf_arena a;
    etf_arena_init(&a);
    etf_term hello = etf_tuple(&a, 2);
    hello.u.elems[0] = etf_atom_z("hello");
    hello.u.elems[1] = *dist_self(me);
    if (dist_send_named(me, argv[1], "bench", &hello, &err) != 0)
        return fail("hello", &err);
    etf_arena_release(&a);

    unsigned long count = 0;
    for (;;) {
        dist_message *m;
        int r = dist_receive(me, NULL, NULL, -1, &m, &err);
        if (r <= 0)
            return fail("receive", &err);
        const etf_term *t = &m->msg;
        if (etf_atom_is(t, "stop")) {
            dist_message_free(m);
            break;
        }
        if (t->type != ETF_TUPLE || t->n < 2) {
            fprintf(stderr, "dist_edist: unexpected message\n");
            return 1;
        }
        const etf_term *tag = &t->u.elems[0];
        if (etf_atom_is(tag, "data") && t->n == 2) {
            count++;
        } else if (etf_atom_is(tag, "done") && t->n == 2) {
            etf_arena_init(&a);
            etf_term reply = etf_tuple(&a, 2);
            reply.u.elems[0] = etf_atom_z("count");
            reply.u.elems[1] = etf_int((int64_t)count);
            count = 0;
            if (dist_send(me, &t->u.elems[1], &reply, &err) != 0)
                return fail("count", &err);
            etf_arena_release(&a);
        } else if (etf_atom_is(tag, "source") && t->n == 4 &&
                   t->u.elems[2].type == ETF_INTEGER) {
            const etf_term *to = &t->u.elems[1];
            int64_t times = t->u.elems[2].u.i;
            etf_arena_init(&a);
            etf_term data = etf_tuple(&a, 2);
            data.u.elems[0] = etf_atom_z("data");
            data.u.elems[1] = t->u.elems[3];
            for (int64_t i = 0; i < times; i++)
                if (dist_send(me, to, &data, &err) != 0)
                    return fail("data", &err);
            etf_term done = etf_tuple(&a, 2);
            done.u.elems[0] = etf_atom_z("done");
            done.u.elems[1] = *dist_self(me);
            if (dist_send(me, to, &done, &err) != 0)
                return fail("done", &err);
            etf_arena_release(&a);
        } else {
            fprintf(stderr, "dist_edist: unexpected message\n");
            return 1;
        }
        dist_message_free(m);
    }
    dist_node_free(n);
    return 0;
}
