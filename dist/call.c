/*
 * call.c -- calling a function on another node, as erpc:call/4 does,
 * and as rpc:call/4 did before erpc: the two ways a C node can run code
 * on an Erlang node.
 *
 * Since OTP 23 a call is a spawn request (dist/proc.c) of
 *
 *     erpc:execute_call(Tag, Module, Function, Args)
 *
 * with a monitor. That function runs apply(Module, Function, Args) and
 * ends its process with the outcome as the exit reason:
 *
 *     {Tag, return, Value}            it returned
 *     {Tag, throw, Term}              it threw
 *     {Tag, exit, Reason}             it exited
 *     {Tag, error, Reason, Stack}     it raised an error
 *     {Tag, error, {erpc, Reason}}    the arguments were not an MFA
 *
 * so the answer is the monitor's 'DOWN' message, and the four classes
 * stay apart, stack trace included. Anything else as the reason means
 * the process did not end by itself (killed, or `noconnection` when the
 * connection went down). We also link to the process, so that it dies
 * with our node: a call never outlives the program that made it.
 *
 * Before OTP 23 (no DFLAG_SPAWN), or when asked, the call goes to the
 * `rex` server that every node runs, as erl_call and libei's ei_rpc do:
 *
 *     {self(), {call, Module, Function, Args, GroupLeader}}  to rex
 *     {rex, Reply}                                           back
 *
 * where Reply is the value, or {badrpc, Reason} for an exception: a
 * throw cannot be told from a return there, and the process that runs
 * the call is rex's, which we cannot stop.
 *
 * The group leader of the call is the process its I/O requests go to
 * (io:format and the like): the caller's choice (dist/io_server.c is one).
 */
#include <string.h>

#include "dist/internal.h"
#include "dist/node_internal.h"

int dist_call_start(dist_proc *p, const char *node, const char *module,
                    const char *function, const etf_term *args,
                    const etf_term *group_leader, unsigned flags,
                    dist_call *c, dist_error *err)
{
    memset(c, 0, sizeof *c);
    etf_arena_init(&c->arena);
    uint64_t peer_flags = dist_node_peer_flags(dist_proc_node(p), node);
    const etf_term *gl = group_leader != NULL ? group_leader : dist_self(p);
    int r;
    if (!(flags & DIST_CALL_REX) && (peer_flags & DFLAG_SPAWN)) {
        c->tag = dist_make_ref_node(dist_proc_node(p), &c->arena);
        etf_term a = etf_list(&c->arena, 4);
        if (a.u.elems == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        a.u.elems[0] = c->tag;
        a.u.elems[1] = etf_atom_z(module);
        a.u.elems[2] = etf_atom_z(function);
        a.u.elems[3] = *args;
        r = dist_spawn_request_gl(p, node, "erpc", "execute_call", &a,
                                  DIST_SPAWN_MONITOR | DIST_SPAWN_LINK, gl,
                                  &c->arena, &c->req_id, err);
    } else {
        /* {self(), {call, M, F, A, GroupLeader}} */
        c->rex = 1;
        etf_term call = etf_tuple(&c->arena, 5);
        etf_term msg = etf_tuple(&c->arena, 2);
        if (call.u.elems == NULL || msg.u.elems == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        call.u.elems[0] = etf_atom_z("call");
        call.u.elems[1] = etf_atom_z(module);
        call.u.elems[2] = etf_atom_z(function);
        call.u.elems[3] = *args;
        call.u.elems[4] = *gl;
        msg.u.elems[0] = *dist_self(p);
        msg.u.elems[1] = call;
        r = dist_send_named(p, node, "rex", &msg, err);
    }
    if (r != 0)
        etf_arena_release(&c->arena);
    return r;
}

/* t is {Tag, Class, ...} with our tag: the outcome erpc:execute_call/4
 * exited with. */
static int execute_call_outcome(const dist_call *c, const etf_term *t,
                                dist_call_result *r)
{
    if (t->type != ETF_TUPLE || t->n < 3 || t->n > 4 ||
        !etf_equal(&t->u.elems[0], &c->tag) ||
        t->u.elems[1].type != ETF_ATOM)
        return 0;
    const etf_term *class = &t->u.elems[1];
    r->value = t->u.elems[2];
    r->stack = etf_nil();
    if (t->n == 3 && etf_atom_is(class, "return"))
        r->class = DIST_CALL_RETURN;
    else if (t->n == 3 && etf_atom_is(class, "throw"))
        r->class = DIST_CALL_THROW;
    else if (t->n == 3 && etf_atom_is(class, "exit"))
        r->class = DIST_CALL_EXIT;
    else if (etf_atom_is(class, "error")) {
        r->class = DIST_CALL_ERROR;
        if (t->n == 4)
            r->stack = t->u.elems[3];
    } else
        return 0;
    return 1;
}

int dist_call_take(dist_call *c, const etf_term *msg, dist_call_result *r)
{
    dist_call_result scratch;
    if (r == NULL)
        r = &scratch;
    const etf_term *e = msg->type == ETF_TUPLE ? msg->u.elems : NULL;
    if (c->rex) {
        /* {rex, Reply}; {rex, {badrpc, Reason}} */
        if (e == NULL || msg->n != 2 || !etf_atom_is(&e[0], "rex"))
            return 0;
        const etf_term *reply = &e[1];
        r->stack = etf_nil();
        if (reply->type == ETF_TUPLE && reply->n == 2 &&
            etf_atom_is(&reply->u.elems[0], "badrpc")) {
            r->class = DIST_CALL_BADRPC;
            r->value = reply->u.elems[1];
        } else {
            r->class = DIST_CALL_RETURN;
            r->value = *reply;
        }
        return 2;
    }
    if (e == NULL)
        return 0;
    /* {spawn_reply, ReqId, ok, Pid} | {spawn_reply, ReqId, error, Why} */
    if (msg->n == 4 && etf_atom_is(&e[0], "spawn_reply") &&
        etf_equal(&e[1], &c->req_id)) {
        if (etf_atom_is(&e[2], "ok") && e[3].type == ETF_PID) {
            /* Kept past the message, to kill the call with. */
            if (!c->pid_known &&
                dist_copy_term(&e[3], &c->arena, &c->pid) == 0)
                c->pid_known = 1;
            return 1;
        }
        r->class = DIST_CALL_FAILED;
        r->value = e[3];
        r->stack = etf_nil();
        return 2;
    }
    /* {'DOWN', ReqId, process, Pid, Reason} */
    if (msg->n == 5 && etf_atom_is(&e[0], "DOWN") &&
        etf_equal(&e[1], &c->req_id)) {
        if (!execute_call_outcome(c, &e[4], r)) {
            r->class = DIST_CALL_FAILED;
            r->value = e[4];
            r->stack = etf_nil();
        }
        c->pid_known = 0;
        return 2;
    }
    /* {'EXIT', Pid, Reason} from the link: the 'DOWN' says the same. */
    if (msg->n == 3 && etf_atom_is(&e[0], "EXIT") && c->pid_known &&
        etf_equal(&e[1], &c->pid))
        return 1;
    return 0;
}

const etf_term *dist_call_pid(const dist_call *c)
{
    return c->pid_known ? &c->pid : NULL;
}

int dist_call_kill(dist_proc *p, dist_call *c, dist_error *err)
{
    if (!c->pid_known)
        return 0;
    etf_term kill = etf_atom_z("kill");
    return dist_exit(p, &c->pid, &kill, err);
}

void dist_call_release(dist_call *c)
{
    etf_arena_release(&c->arena);
}

static int match_call(const etf_term *msg, void *arg)
{
    return dist_call_take(arg, msg, NULL) != 0;
}

int dist_apply(dist_proc *p, const char *node, const char *module,
               const char *function, const etf_term *args, int timeout_ms,
               dist_message **out, dist_call_result *r, dist_error *err)
{
    dist_call c;
    if (dist_call_start(p, node, module, function, args, NULL, 0, &c,
                        err) != 0)
        return -1;
    int64_t deadline = timeout_ms >= 0 ? dist_now_ms() + timeout_ms : -1;
    for (;;) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - dist_now_ms();
            wait = left > 0 ? (int)left : 0;
        }
        dist_message *m;
        int got = dist_receive(p, match_call, &c, wait, &m, err);
        if (got < 0)
            break;
        if (got == 0) {
            dist_call_kill(p, &c, NULL);
            dist_fail(err, DIST_ERR_TIMEOUT, "no answer from %s in %d ms",
                      node, timeout_ms);
            break;
        }
        /* The spawn reply and the link's 'EXIT' are not the end. */
        if (dist_call_take(&c, &m->msg, r) == 2) {
            *out = m;
            dist_call_release(&c);
            return 0;
        }
        dist_message_free(m);
    }
    dist_call_release(&c);
    return -1;
}
