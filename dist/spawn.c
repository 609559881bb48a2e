/*
 * spawn.c -- spawn requests from other nodes: processes they start on
 * ours (erlang:spawn/4, spawn_link/4, spawn_monitor/4, spawn_request/5
 * with our node's name).
 *
 * Since OTP 23 a remote spawn is one control message,
 *
 *   SPAWN_REQUEST {29, ReqId, From, GroupLeader, {M, F, Arity}, Opts}
 *                 + Args
 *
 * answered by
 *
 *   SPAWN_REPLY {31, ReqId, From, Flags, Pid | ErrorAtom}
 *
 * where Flags says which of the options `link` and `monitor` the new
 * process set up (ERTS_DIST_SPAWN_FLAG_LINK, _MONITOR); a monitor's
 * reference is the ReqId. The reply goes out before anything the new
 * process sends, as erts orders it.
 *
 * A C node runs no Erlang code, so M:F/Arity names one of the handlers
 * the program registered with dist_node_spawnable: the new process runs
 * it, and gets Args, if there are any, as its first message. A request
 * for anything else is answered `notsup`, which is what erlang:spawn/4
 * expects of a node that cannot spawn (it then returns the pid of a
 * local process that reports the failure).
 *
 * Options other than link and monitor ({monitor, Opts} counts as
 * monitor) are accepted and ignored: they tune a BEAM process (heap
 * sizes, priority) and mean nothing here.
 */
#include <stdlib.h>
#include <string.h>

#include "dist/internal.h"
#include "dist/node_internal.h"

int dist_node_spawnable(dist_node *n, const char *module,
                        const char *function, int arity,
                        dist_handler handler, void *arg, dist_error *err)
{
    if (module == NULL || function == NULL || handler == NULL ||
        strlen(module) == 0 || strlen(module) > ETF_MAX_ATOM_BYTES ||
        strlen(function) == 0 || strlen(function) > ETF_MAX_ATOM_BYTES ||
        arity < -1 || arity > 255)
        return dist_fail(err, DIST_ERR_USAGE,
                         "spawnable: a module and a function (atoms), an "
                         "arity from 0 to 255 or -1, and a handler");
    dist_spawnable *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    strcpy(s->module, module);
    strcpy(s->function, function);
    s->arity = arity;
    s->handler = handler;
    s->arg = arg;
    s->next = n->spawnables;
    n->spawnables = s;
    return 0;
}

void dist_spawnables_free(dist_node *n)
{
    while (n->spawnables != NULL) {
        dist_spawnable *s = n->spawnables;
        n->spawnables = s->next;
        free(s);
    }
}

static int atom_is(const etf_atom *a, const char *s)
{
    return a->len == strlen(s) && memcmp(a->name, s, a->len) == 0;
}

static const dist_spawnable *lookup(const dist_node *n, const dist_ctl *c)
{
    for (const dist_spawnable *s = n->spawnables; s != NULL; s = s->next)
        if (atom_is(&c->module, s->module) &&
            atom_is(&c->function, s->function) &&
            (s->arity < 0 || (unsigned)s->arity == c->arity))
            return s;
    return NULL;
}

/* Which of `link` and `monitor` the options ask for. */
static unsigned wanted(const etf_term *opts)
{
    unsigned f = 0;
    if (opts->type != ETF_LIST)
        return 0; /* [] or a string: neither */
    for (uint32_t i = 0; i < opts->n; i++) {
        const etf_term *o = &opts->u.elems[i];
        if (etf_atom_is(o, "link"))
            f |= ERTS_DIST_SPAWN_FLAG_LINK;
        else if (etf_atom_is(o, "monitor") ||
                 (o->type == ETF_TUPLE && o->n == 2 &&
                  etf_atom_is(&o->u.elems[0], "monitor")))
            f |= ERTS_DIST_SPAWN_FLAG_MONITOR;
    }
    return f;
}

static void reply(dist_peer *p, const dist_ctl *req, unsigned flags,
                  const etf_term *result)
{
    dist_ctl r = {0};
    r.op = DOP_SPAWN_REPLY;
    r.ref = req->ref;
    r.to = req->from;
    r.spawn_flags = flags;
    r.result = *result;
    dist_peer_send(p, &r, NULL, 0, NULL);
}

void dist_spawn_in(dist_peer *p, const dist_ctl *c, const etf_term *args,
                   etf_arena *a)
{
    dist_node *n = p->node;
    const dist_spawnable *s = lookup(n, c);
    dist_proc *proc = s != NULL ? dist_proc_new_handler(n, NULL, s->handler,
                                                        s->arg)
                                : NULL;
    if (proc == NULL) {
        etf_term why = etf_atom_z(s == NULL ? "notsup" : "system_limit");
        reply(p, c, 0, &why);
        return;
    }
    dist_key_make(&c->group_leader, &proc->group_leader);

    unsigned flags = wanted(&c->opts);
    if ((flags & ERTS_DIST_SPAWN_FLAG_LINK) &&
        dist_link_add(proc, &c->from) != 0)
        flags &= ~(unsigned)ERTS_DIST_SPAWN_FLAG_LINK;
    if (flags & ERTS_DIST_SPAWN_FLAG_MONITOR) {
        /* The requester watches the new process; the ReqId is the
         * monitor's reference. */
        if (dist_mon_new(n, proc, 0, &c->ref, &c->from, NULL, p->name) ==
            NULL)
            flags &= ~(unsigned)ERTS_DIST_SPAWN_FLAG_MONITOR;
    }
    reply(p, c, flags, dist_self(proc));

    /* Then its arguments, as its first message (the message's arena `a`
     * goes with them): the handler may answer at once, and that must
     * follow the reply. */
    if (args != NULL && args->type != ETF_NIL)
        dist_deliver(proc, a, args, &c->from);
}
