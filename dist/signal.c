/*
 * signal.c -- what a C node does with each control message that arrives
 * (dist/node.h), and with a connection that goes down.
 *
 * A control message is a signal from a process on the other node to one
 * of ours: a message (SEND, SEND_SENDER, REG_SEND, ALIAS_SEND and their
 * _TT forms), a link or its removal (LINK, UNLINK_ID, UNLINK_ID_ACK), an
 * exit signal (EXIT through a link, EXIT2 from exit/2, their PAYLOAD_
 * forms), a monitor (MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT), a new group
 * leader, a spawn request or its reply, or OTP 28's ALTACT_SIG_SEND, which
 * carries a message or an exit signal to a pid, an alias or a name.
 *
 * As erts does, a signal to a process that does not exist is answered as
 * if the process had just died: a LINK gets an exit signal `noproc`, a
 * MONITOR_P a MONITOR_P_EXIT `noproc`; a message is dropped. A control
 * message that breaks the rules of its operation (dist_ctl_decode) makes
 * the caller drop the connection.
 *
 * When a connection goes down, each of our processes linked to a process
 * over there gets the exit signal `noconnection`, and each of our
 * monitors there fires with `noconnection`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/internal.h"
#include "dist/node_internal.h"
#include "handshake/dflags.h"

/* The term a pid's node is: must be the connection's peer. */
static int from_peer(const dist_peer *p, const etf_term *pid)
{
    const etf_atom *na = &pid->u.pid->node;
    return pid->type == ETF_PID && na->len == strlen(p->name) &&
           memcmp(na->name, p->name, na->len) == 0;
}

static int reply(dist_peer *p, dist_ctl *c, const etf_term *payload)
{
    return dist_peer_send(p, c, payload, 0, NULL);
}

/* The process a signal is for: a pid, a registered name, or an alias
 * (ALIAS_SEND, and ALTACT_SIG_SEND's targets). NULL if there is none
 * (any more). */
static dist_proc *target(dist_node *n, const etf_term *to)
{
    switch (to->type) {
    case ETF_PID: return dist_proc_by_pid(n, to);
    case ETF_ATOM: return dist_proc_by_name(n, to->u.atom, to->n);
    case ETF_REF: return dist_alias_target(n, to);
    default: return NULL;
    }
}

/* A LINK or MONITOR_P `c` for a process that does not exist: answered
 * as if it had just ended with reason noproc, by `op`, or its PAYLOAD_
 * form `payload_op` where the peer has DFLAG_EXIT_PAYLOAD. */
static void answer_noproc(dist_peer *p, const dist_ctl *c, int op,
                          int payload_op)
{
    dist_ctl e = {0};
    int payload = (p->flags & DFLAG_EXIT_PAYLOAD) != 0;
    etf_term noproc = etf_atom_z("noproc");
    e.op = payload ? payload_op : op;
    e.from = c->to;
    e.to = c->from;
    e.ref = c->ref; /* the monitor's; unused (type 0) for a link */
    if (!payload)
        e.reason = noproc;
    reply(p, &e, payload ? &noproc : NULL);
}

static void got_link(dist_peer *p, const dist_ctl *c)
{
    dist_proc *proc = dist_proc_by_pid(p->node, &c->to);
    if (proc != NULL)
        dist_link_add(proc, &c->from);
    else /* the linker gets an exit signal noproc */
        answer_noproc(p, c, DOP_EXIT, DOP_PAYLOAD_EXIT);
}

static void got_unlink_id(dist_peer *p, const dist_ctl *c)
{
    dist_proc *proc = dist_proc_by_pid(p->node, &c->to);
    if (proc != NULL) {
        int i = dist_link_find(proc, &c->from);
        if (i >= 0)
            dist_link_remove(proc, (size_t)i);
    }
    /* Acknowledged whether or not the link existed (erts does too). */
    dist_ctl ack = {0};
    ack.op = DOP_UNLINK_ID_ACK;
    ack.id = c->id;
    ack.from = c->to;
    ack.to = c->from;
    reply(p, &ack, NULL);
}

static void got_unlink_ack(dist_peer *p, const dist_ctl *c)
{
    dist_proc *proc = dist_proc_by_pid(p->node, &c->to);
    if (proc == NULL)
        return;
    int i = dist_link_find(proc, &c->from);
    if (i >= 0 && proc->links[i].unlinking == c->id)
        dist_link_remove(proc, (size_t)i);
}

/* EXIT and PAYLOAD_EXIT: the other end of a link ended. Without a link
 * (or while our unlink waits for its ack) the signal means nothing. */
static void got_link_exit(dist_peer *p, const dist_ctl *c,
                          const etf_term *reason)
{
    dist_proc *proc = dist_proc_by_pid(p->node, &c->to);
    if (proc == NULL)
        return;
    int i = dist_link_find(proc, &c->from);
    if (i < 0 || proc->links[i].unlinking != 0)
        return;
    dist_link_remove(proc, (size_t)i);
    dist_exit_signal(proc, &c->from, reason, 1);
}

static void got_monitor(dist_peer *p, const dist_ctl *c)
{
    dist_node *n = p->node;
    dist_proc *proc = target(n, &c->to); /* a pid or a name */
    if (proc == NULL) {
        answer_noproc(p, c, DOP_MONITOR_P_EXIT, DOP_PAYLOAD_MONITOR_P_EXIT);
        return;
    }
    dist_mon_new(n, proc, 0, &c->ref, &c->from,
                 c->to.type == ETF_ATOM ? &c->to : NULL, p->name);
}

/* DEMONITOR_P (theirs, on ours) and MONITOR_P_EXIT (ours, on theirs). */
static void got_monitor_end(dist_peer *p, const dist_ctl *c, int ours,
                            const etf_term *reason)
{
    dist_node *n = p->node;
    for (dist_mon **pp = &n->mons; *pp != NULL; pp = &(*pp)->next) {
        dist_mon *m = *pp;
        if (m->ours != ours || strcmp(m->peer, p->name) != 0 ||
            !dist_key_is(&m->ref, &c->ref))
            continue;
        *pp = m->next;
        if (ours)
            dist_mon_down(n, m, reason);
        dist_mon_free(m);
        return;
    }
}

static void got_group_leader(dist_peer *p, const dist_ctl *c)
{
    dist_proc *proc = dist_proc_by_pid(p->node, &c->to);
    if (proc == NULL)
        return;
    dist_key_free(&proc->group_leader);
    dist_key_make(&c->from, &proc->group_leader);
}

/* {spawn_reply, ReqId, ok, Pid} or {spawn_reply, ReqId, error, Reason},
 * as erlang:spawn_request/5 delivers it; the link and the monitor the
 * flags say were set up become ours. */
static void got_spawn_reply(dist_peer *p, const dist_ctl *c, etf_arena *a)
{
    dist_node *n = p->node;
    dist_proc *proc = dist_proc_by_pid(n, &c->to);
    if (proc == NULL)
        return;
    int ok = c->result.type == ETF_PID;
    if (ok && (c->spawn_flags & ERTS_DIST_SPAWN_FLAG_LINK))
        dist_link_add(proc, &c->result);
    if (ok && (c->spawn_flags & ERTS_DIST_SPAWN_FLAG_MONITOR))
        dist_mon_new(n, proc, 1, &c->ref, &c->result, NULL, p->name);
    etf_term t = etf_tuple(a, 4);
    if (t.u.elems == NULL)
        return;
    t.u.elems[0] = etf_atom_z("spawn_reply");
    t.u.elems[1] = c->ref;
    t.u.elems[2] = etf_atom_z(ok ? "ok" : "error");
    t.u.elems[3] = c->result;
    dist_deliver(proc, a, &t, NULL);
}

/* A message for one of our processes. */
static void got_message(dist_peer *p, etf_arena *a, const etf_term *to,
                        const etf_term *from, const etf_term *msg)
{
    dist_node *n = p->node;
    dist_proc *proc = target(n, to);
    if (proc == NULL) {
        dist_node_tracef(n, "dist: message from %s for no process of ours: "
                         "dropped", p->name);
        return;
    }
    dist_deliver(proc, a, msg, from != NULL && from->type == ETF_PID ? from
                                                                     : NULL);
}

int dist_signal_in(dist_peer *p, etf_arena *a, const dist_msg *m,
                   dist_error *err)
{
    dist_node *n = p->node;
    dist_ctl c;
    if (dist_ctl_decode(&m->control, m->has_payload, &c, err) != 0)
        return -1;
    const etf_term *payload = m->has_payload ? &m->payload : NULL;
    if (n->watch != NULL || n->trace != NULL) {
        char line[1024];
        dist_ctl_format(&c, line, sizeof line);
        dist_node_tracef(n, "dist: <- %s: %s%s", p->name, line,
                         payload ? " + payload" : "");
        if (n->watch != NULL)
            n->watch(n->watch_arg, p->name, line, payload);
    }

    /* Signals that name a sender pid must come from the peer's node
     * (erts checks the same). */
    switch (c.op) {
    case DOP_LINK: case DOP_UNLINK_ID: case DOP_UNLINK_ID_ACK:
    case DOP_EXIT: case DOP_EXIT_TT: case DOP_PAYLOAD_EXIT:
    case DOP_PAYLOAD_EXIT_TT:
        if (!from_peer(p, &c.from))
            return dist_fail(err, DIST_ERR_PROTOCOL,
                             "%s from a pid of another node than %s",
                             dist_op_name(c.op), p->name);
        break;
    default:
        break;
    }

    switch (c.op) {
    case DOP_SEND: case DOP_SEND_TT:
        got_message(p, a, &c.to, NULL, payload);
        break;
    case DOP_SEND_SENDER: case DOP_SEND_SENDER_TT:
    case DOP_REG_SEND: case DOP_REG_SEND_TT:
    case DOP_ALIAS_SEND: case DOP_ALIAS_SEND_TT:
        got_message(p, a, &c.to, &c.from, payload);
        break;
    case DOP_LINK:
        got_link(p, &c);
        break;
    case DOP_UNLINK_ID:
        got_unlink_id(p, &c);
        break;
    case DOP_UNLINK_ID_ACK:
        got_unlink_ack(p, &c);
        break;
    case DOP_EXIT: case DOP_EXIT_TT:
        got_link_exit(p, &c, &c.reason);
        break;
    case DOP_PAYLOAD_EXIT: case DOP_PAYLOAD_EXIT_TT:
        got_link_exit(p, &c, payload);
        break;
    case DOP_EXIT2: case DOP_EXIT2_TT:
    case DOP_PAYLOAD_EXIT2: case DOP_PAYLOAD_EXIT2_TT: {
        dist_proc *proc = dist_proc_by_pid(n, &c.to);
        if (proc != NULL)
            dist_exit_signal(proc, &c.from,
                             c.op == DOP_EXIT2 || c.op == DOP_EXIT2_TT
                                 ? &c.reason : payload, 0);
        break;
    }
    case DOP_MONITOR_P:
        got_monitor(p, &c);
        break;
    case DOP_DEMONITOR_P:
        got_monitor_end(p, &c, 0, NULL);
        break;
    case DOP_MONITOR_P_EXIT:
        got_monitor_end(p, &c, 1, &c.reason);
        break;
    case DOP_PAYLOAD_MONITOR_P_EXIT:
        got_monitor_end(p, &c, 1, payload);
        break;
    case DOP_GROUP_LEADER:
        got_group_leader(p, &c);
        break;
    case DOP_SPAWN_REQUEST: case DOP_SPAWN_REQUEST_TT:
        dist_spawn_in(p, &c, payload, a);
        break;
    case DOP_SPAWN_REPLY: case DOP_SPAWN_REPLY_TT:
        got_spawn_reply(p, &c, a);
        break;
    case DOP_ALTACT_SIG_SEND:
        if (c.altact_flags & ERTS_DOP_ALTACT_SIG_FLG_EXIT) {
            dist_proc *proc = target(n, &c.to);
            if (proc != NULL && payload != NULL)
                dist_exit_signal(proc, &c.from, payload, 0);
        } else {
            got_message(p, a, &c.to, &c.from, payload);
        }
        break;
    default:
        return dist_fail(err, DIST_ERR_PROTOCOL,
                         "control message %d is not one edist handles",
                         c.op);
    }
    return 0;
}

void dist_signal_nodedown(dist_node *n, const char *peer)
{
    etf_term noconnection = etf_atom_z("noconnection");
    etf_arena a;
    etf_arena_init(&a);
    for (dist_proc *p = n->procs; p != NULL; p = p->next) {
        for (size_t i = 0; i < p->nlinks;) {
            if (strcmp(p->links[i].peer, peer) != 0) {
                i++;
                continue;
            }
            /* The link goes first, then the signal; `other` points into
             * the link's key, so it is taken out of the array first. */
            dist_link_entry l = p->links[i];
            p->links[i] = p->links[--p->nlinks];
            etf_term other;
            if (l.unlinking == 0 && dist_key_term(&l.pid, &a, &other) == 0)
                dist_exit_signal(p, &other, &noconnection, 1);
            dist_key_free(&l.pid);
        }
    }
    for (dist_mon **pp = &n->mons; *pp != NULL;) {
        dist_mon *m = *pp;
        if (strcmp(m->peer, peer) != 0) {
            pp = &m->next;
            continue;
        }
        *pp = m->next;
        if (m->ours)
            dist_mon_down(n, m, &noconnection);
        dist_mon_free(m);
    }
    etf_arena_release(&a);
}
