/*
 * ping.c -- what net_adm:ping/1 asks once the connection is up.
 *
 * net_adm:ping(Node) connects (the handshake is the real test: a wrong
 * cookie fails there) and then makes a gen_server call to net_kernel on
 * the other node:
 *
 *     gen_server:call({net_kernel, Node}, {is_auth, node()})
 *
 * On the wire that is one REG_SEND from a pid of ours to the name
 * net_kernel, carrying the call, and one message back to that pid, the
 * reply, tagged with the reference of the call:
 *
 *     -> {6, OurPid, '', net_kernel} + {'$gen_call', {OurPid, Ref},
 *                                       {is_auth, OurNode}}
 *     <- {22, NetKernelPid, OurPid} + {Ref, yes}     (SEND_SENDER; plain
 *                                                      SEND without it)
 *
 * Anything else that arrives meanwhile is not ours to answer and is
 * passed over.
 */
#include <string.h>

#include "dist/control.h"
#include "dist/dist.h"
#include "dist/internal.h"

static etf_term tuple2(etf_arena *a, etf_term x, etf_term y)
{
    etf_term t = etf_tuple(a, 2);
    if (t.u.elems != NULL) {
        t.u.elems[0] = x;
        t.u.elems[1] = y;
    }
    return t;
}

int dist_ping(dist_conn *c, int timeout_ms, dist_error *err)
{
    int64_t deadline = timeout_ms > 0 ? dist_now_ms() + timeout_ms : -1;
    etf_arena a;
    etf_arena_init(&a);
    etf_term self = dist_make_pid(c, &a);
    etf_term ref = dist_make_ref(c, &a);
    etf_term control = etf_tuple(&a, 4);
    etf_term call = etf_tuple(&a, 3);
    if (self.type == 0 || ref.type == 0 || control.u.elems == NULL ||
        call.u.elems == NULL) {
        etf_arena_release(&a);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    control.u.elems[0] = etf_int(DOP_REG_SEND);
    control.u.elems[1] = self;
    control.u.elems[2] = etf_atom_z("");
    control.u.elems[3] = etf_atom_z("net_kernel");
    call.u.elems[0] = etf_atom_z("$gen_call");
    call.u.elems[1] = tuple2(&a, self, ref);
    call.u.elems[2] = tuple2(&a, etf_atom_z("is_auth"),
                             etf_atom_z(c->peer.our_name));
    if (call.u.elems[1].u.elems == NULL || call.u.elems[2].u.elems == NULL) {
        etf_arena_release(&a);
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    }
    int r = dist_conn_send(c, &control, &call, err);
    while (r == 0) {
        dist_msg m;
        int wait = deadline < 0 ? -1 : (int)(deadline - dist_now_ms());
        if (deadline >= 0 && wait < 0)
            wait = 0;
        r = dist_conn_recv(c, wait, &m, err);
        if (r != 0)
            break;
        /* A message to our pid: SEND {2, _, To} or SEND_SENDER
         * {22, From, To}, whose payload is {Ref, Answer}. */
        int64_t op = m.control.u.elems[0].u.i;
        if ((op != DOP_SEND && op != DOP_SEND_SENDER) || !m.has_payload ||
            m.control.n != 3 || !etf_equal(&m.control.u.elems[2], &self))
            continue;
        const etf_term *p = &m.payload;
        if (p->type != ETF_TUPLE || p->n != 2 ||
            !etf_equal(&p->u.elems[0], &ref))
            continue;
        if (!etf_atom_is(&p->u.elems[1], "yes")) {
            etf_buf text = {0};
            etf_print_opts po = {0};
            po.format = ETF_FORMAT_ERLANG;
            etf_print(&p->u.elems[1], &po, &text);
            r = dist_fail(err, DIST_ERR_REMOTE,
                          "net_kernel on %s answered %.*s, not yes",
                          c->peer.peer_name, (int)text.len,
                          text.data ? (const char *)text.data : "");
            etf_buf_release(&text);
        }
        break;
    }
    etf_arena_release(&a);
    return r;
}
