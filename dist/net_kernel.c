/*
 * net_kernel.c -- the one request every node answers: net_adm:ping/1.
 *
 * net_adm:ping(Node) connects to Node, then makes a gen_server call to
 * the process registered there as net_kernel:
 *
 *     {'$gen_call', {From, Tag}, {is_auth, CallerNode}}
 *
 * and says pong if the answer {Tag, yes} comes back, pang otherwise
 * (also when no process of that name exists: the call's monitor fires
 * noproc). So each node of dist/node.h runs a small process under that
 * name, made by dist_node_new, that answers yes: the handshake has
 * already proved the caller knows the cookie.
 */
#include "dist/node_internal.h"

/* net_kernel: {'$gen_call', {From, Tag}, {is_auth, Node}} -> yes, the
 * answer net_adm:ping/1 waits for. A tag [alias|Ref] (OTP 24 and later)
 * means the answer goes to the alias, as gen:reply/2 sends it. */
void dist_net_kernel(dist_proc *p, const dist_message *m, void *arg)
{
    (void)arg;
    const etf_term *t = &m->msg;
    if (t->type != ETF_TUPLE || t->n != 3 ||
        !etf_atom_is(&t->u.elems[0], "$gen_call"))
        return;
    const etf_term *from = &t->u.elems[1], *req = &t->u.elems[2];
    if (from->type != ETF_TUPLE || from->n != 2 || req->type != ETF_TUPLE ||
        req->n != 2 || !etf_atom_is(&req->u.elems[0], "is_auth"))
        return;
    const etf_term *to = &from->u.elems[0], *tag = &from->u.elems[1];
    if (tag->type == ETF_LIST && tag->n == 1 &&
        etf_atom_is(&tag->u.elems[0], "alias") &&
        tag->u.elems[1].type == ETF_REF)
        to = &tag->u.elems[1]; /* the improper list's tail */
    etf_arena a;
    etf_arena_init(&a);
    etf_term answer = etf_tuple(&a, 2);
    if (answer.u.elems != NULL) {
        answer.u.elems[0] = *tag;
        answer.u.elems[1] = etf_atom_z("yes");
        dist_error err;
        if (dist_send(p, to, &answer, &err) != 0)
            dist_node_logf(dist_proc_node(p), "net_kernel: %s", err.message);
    }
    etf_arena_release(&a);
}
