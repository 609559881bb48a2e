/*
 * proc.c -- a C node's processes (dist/node.h): pids, mailboxes,
 * registered names, and what a process does: send, receive, link,
 * monitor, spawn_request, exit.
 *
 * Each call that concerns another node becomes one control message on
 * the connection to it (dist/control.h names them):
 *
 *   dist_send           SEND_SENDER {22, From, To} + Msg (SEND without
 *                       DFLAG_SEND_SENDER); ALIAS_SEND {33, From, Alias}
 *                       + Msg to an alias (ours are made in alias.c)
 *   dist_send_named     REG_SEND {6, From, '', Name} + Msg
 *   dist_link           LINK {1, From, To}
 *   dist_unlink         UNLINK_ID {35, Id, From, To}; the peer answers
 *                       UNLINK_ID_ACK
 *   dist_monitor        MONITOR_P {19, From, PidOrName, Ref}
 *   dist_demonitor      DEMONITOR_P {20, From, PidOrName, Ref}
 *   dist_spawn_request  SPAWN_REQUEST {29, ReqId, From, GroupLeader,
 *                       {M, F, Arity}, Opts} + Args
 *   a process ends      EXIT / PAYLOAD_EXIT to each linked process,
 *                       MONITOR_P_EXIT to each process monitoring it,
 *                       DEMONITOR_P for each of its monitors
 *
 * Between two of our own processes nothing goes on the wire: the message
 * is copied (encoded and decoded again, so that the receiver owns it) and
 * the signals are given directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/internal.h"
#include "dist/node_internal.h"
#include "handshake/dflags.h"

/* ---- keys ------------------------------------------------------------------ */

int dist_key_make(const etf_term *t, dist_key *k)
{
    etf_buf b = {0};
    etf_error e;
    if (etf_encode(t, 0, &b, &e) != 0 || b.failed) {
        etf_buf_release(&b);
        k->bytes = NULL;
        k->len = 0;
        return -1;
    }
    k->bytes = b.data;
    k->len = b.len;
    return 0;
}

int dist_key_eq(const dist_key *a, const dist_key *b)
{
    return a->len == b->len && a->len > 0 &&
           memcmp(a->bytes, b->bytes, a->len) == 0;
}

int dist_key_is(const dist_key *k, const etf_term *t)
{
    dist_key tk;
    if (dist_key_make(t, &tk) != 0)
        return 0;
    int eq = dist_key_eq(k, &tk);
    dist_key_free(&tk);
    return eq;
}

void dist_key_free(dist_key *k)
{
    free(k->bytes);
    k->bytes = NULL;
    k->len = 0;
}

int dist_key_term(const dist_key *k, etf_arena *a, etf_term *out)
{
    etf_error e;
    return etf_decode(k->bytes, k->len, NULL, a, out, &e);
}

int dist_copy_term(const etf_term *t, etf_arena *a, etf_term *out)
{
    dist_key k;
    if (dist_key_make(t, &k) != 0)
        return -1;
    uint8_t *bytes = etf_arena_alloc(a, k.len);
    int r = -1;
    if (bytes != NULL) {
        memcpy(bytes, k.bytes, k.len);
        etf_error e;
        r = etf_decode(bytes, k.len, NULL, a, out, &e);
    }
    dist_key_free(&k);
    return r;
}

/* ---- pids, references, names ---------------------------------------------- */

etf_term dist_make_ref_node(dist_node *n, etf_arena *a)
{
    etf_term t = {.type = ETF_REF};
    etf_ref *r = etf_arena_alloc(a, sizeof *r);
    if (r == NULL)
        return (etf_term){0};
    dist_ref_fill(r, &n->name_atom, n->creation, ++n->next_ref);
    t.u.ref = r;
    return t;
}

static int atom_eq(const etf_atom *a, const etf_atom *b)
{
    return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
}

int dist_is_local_pid(const dist_node *n, const etf_term *t)
{
    return t->type == ETF_PID && atom_eq(&t->u.pid->node, &n->name_atom) &&
           t->u.pid->creation == n->creation;
}

int dist_is_local_ref(const dist_node *n, const etf_term *t)
{
    return t->type == ETF_REF && atom_eq(&t->u.ref->node, &n->name_atom) &&
           t->u.ref->creation == n->creation;
}

dist_proc *dist_proc_by_pid(dist_node *n, const etf_term *pid)
{
    if (!dist_is_local_pid(n, pid))
        return NULL;
    for (dist_proc *p = n->procs; p != NULL; p = p->next)
        if (!p->dead && p->self_pid.id == pid->u.pid->id &&
            p->self_pid.serial == pid->u.pid->serial)
            return p;
    return NULL;
}

dist_proc *dist_proc_by_name(dist_node *n, const char *name, size_t len)
{
    if (len == 0 || len > ETF_MAX_ATOM_BYTES)
        return NULL;
    for (dist_proc *p = n->procs; p != NULL; p = p->next)
        if (!p->dead && strlen(p->regname) == len &&
            memcmp(p->regname, name, len) == 0)
            return p;
    return NULL;
}

/* ---- making processes --------------------------------------------------------- */

dist_proc *dist_proc_new_handler(dist_node *n, const char *reg_name,
                                 dist_handler handler, void *arg)
{
    if (reg_name != NULL &&
        (strlen(reg_name) > ETF_MAX_ATOM_BYTES ||
         dist_proc_by_name(n, reg_name, strlen(reg_name)) != NULL))
        return NULL;
    dist_proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->node = n;
    p->self_pid.node = n->name_atom;
    /* Pid numbers are 28 bits in OTP's own pids. */
    p->self_pid.id = n->next_pid++ & 0x0FFFFFFF;
    p->self_pid.serial = 0;
    p->self_pid.creation = n->creation;
    p->self.type = ETF_PID;
    p->self.u.pid = &p->self_pid;
    if (dist_key_make(&p->self, &p->key) != 0) {
        free(p);
        return NULL;
    }
    if (reg_name != NULL)
        strcpy(p->regname, reg_name);
    p->handler = handler;
    p->handler_arg = arg;
    p->next = n->procs;
    n->procs = p;
    return p;
}

dist_proc *dist_proc_new(dist_node *n, const char *reg_name)
{
    return dist_proc_new_handler(n, reg_name, NULL, NULL);
}

const etf_term *dist_self(const dist_proc *p) { return &p->self; }
dist_node *dist_proc_node(const dist_proc *p) { return p->node; }

/* ---- mailboxes ------------------------------------------------------------------- */

void dist_message_free(dist_message *m)
{
    if (m == NULL)
        return;
    etf_arena_release(&m->arena);
    free(m);
}

void dist_deliver(dist_proc *p, etf_arena *a, const etf_term *msg,
                  const etf_term *from)
{
    if (p->dead)
        return;
    dist_message *m = calloc(1, sizeof *m);
    if (m == NULL)
        return; /* a message lost for want of memory, as a BEAM would
                   rather crash; the node goes on */
    m->arena = *a;
    etf_arena_init(a);
    p->node->delivered++;
    m->msg = *msg;
    if (from != NULL)
        m->from = *from;
    if (p->handler == NULL) {
        if (p->mbox_tail != NULL)
            p->mbox_tail->next = m;
        else
            p->mbox_head = m;
        p->mbox_tail = m;
        return;
    }
    p->running++;
    p->handler(p, m, p->handler_arg);
    p->running--;
    dist_message_free(m);
    if (p->running == 0 && p->free_pending)
        dist_proc_exit(p, NULL);
}

/* ---- sending ---------------------------------------------------------------------- */

int dist_send(dist_proc *from, const etf_term *to, const etf_term *msg,
              dist_error *err)
{
    dist_node *n = from->node;
    if (to->type != ETF_PID && to->type != ETF_REF)
        return dist_fail(err, DIST_ERR_USAGE,
                         "a message goes to a pid or an alias");
    if (dist_is_local_pid(n, to) || dist_is_local_ref(n, to)) {
        dist_proc *p = to->type == ETF_PID ? dist_proc_by_pid(n, to)
                                           : dist_alias_target(n, to);
        if (p == NULL)
            return 0; /* to a process or an alias that is gone: dropped,
                         as in Erlang */
        etf_arena a;
        etf_arena_init(&a);
        etf_term copy;
        if (dist_copy_term(msg, &a, &copy) != 0) {
            etf_arena_release(&a);
            return dist_fail(err, DIST_ERR_USAGE, "cannot copy a message");
        }
        dist_deliver(p, &a, &copy, &from->self);
        etf_arena_release(&a);
        return 0;
    }
    const etf_atom *node = to->type == ETF_PID ? &to->u.pid->node
                                               : &to->u.ref->node;
    dist_peer *peer = dist_peer_for(n, node, err);
    if (peer == NULL)
        return -1;
    dist_ctl c = {0};
    c.from = from->self;
    c.to = *to;
    if (to->type == ETF_REF) {
        if (!(peer->flags & DFLAG_ALIAS))
            return dist_fail(err, DIST_ERR_USAGE, "node %s has no aliases",
                             peer->name);
        c.op = DOP_ALIAS_SEND;
    } else {
        c.op = peer->flags & DFLAG_SEND_SENDER ? DOP_SEND_SENDER : DOP_SEND;
        if (c.op == DOP_SEND)
            c.from = (etf_term){0}; /* SEND has no sender */
    }
    c.has_payload = 1;
    return dist_peer_send(peer, &c, msg, from->self_pid.id, err);
}

int dist_send_named(dist_proc *from, const char *node, const char *name,
                    const etf_term *msg, dist_error *err)
{
    dist_node *n = from->node;
    if (node == NULL || strcmp(node, n->name) == 0) {
        dist_proc *p = dist_proc_by_name(n, name, strlen(name));
        if (p == NULL)
            return 0;
        return dist_send(from, &p->self, msg, err);
    }
    etf_atom na = {node, (uint32_t)strlen(node)};
    dist_peer *peer = dist_peer_for(n, &na, err);
    if (peer == NULL)
        return -1;
    dist_ctl c = {0};
    c.op = DOP_REG_SEND;
    c.from = from->self;
    c.to = etf_atom_z(name);
    c.has_payload = 1;
    return dist_peer_send(peer, &c, msg, from->self_pid.id, err);
}

/* ---- receiving -------------------------------------------------------------------- */

int dist_receive(dist_proc *p, int (*match)(const etf_term *msg, void *arg),
                 void *arg, int timeout_ms, dist_message **out,
                 dist_error *err)
{
    int64_t deadline = timeout_ms >= 0 ? dist_now_ms() + timeout_ms : -1;
    dist_message *seen = NULL; /* the messages before it were tried */
    for (;;) {
        dist_message *prev = seen;
        dist_message *m = seen ? seen->next : p->mbox_head;
        for (; m != NULL; prev = m, m = m->next) {
            if (match != NULL && !match(&m->msg, arg))
                continue;
            if (prev != NULL)
                prev->next = m->next;
            else
                p->mbox_head = m->next;
            if (p->mbox_tail == m)
                p->mbox_tail = prev;
            m->next = NULL;
            *out = m;
            return 1;
        }
        seen = p->mbox_tail;
        if (p->dead)
            return dist_fail(err, DIST_ERR_CLOSED,
                             "the process was killed by an exit signal");
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - dist_now_ms();
            if (left <= 0)
                return 0;
            wait = (int)left;
        }
        if (dist_node_poll(p->node, wait, err) != 0)
            return -1;
    }
}

/* ---- links -------------------------------------------------------------------------- */

int dist_link_find(const dist_proc *p, const etf_term *pid)
{
    dist_key k;
    if (dist_key_make(pid, &k) != 0)
        return -1;
    int found = -1;
    for (size_t i = 0; i < p->nlinks && found < 0; i++)
        if (dist_key_eq(&p->links[i].pid, &k))
            found = (int)i;
    dist_key_free(&k);
    return found;
}

int dist_link_add(dist_proc *p, const etf_term *pid)
{
    int i = dist_link_find(p, pid);
    if (i >= 0) {
        p->links[i].unlinking = 0;
        return 0;
    }
    if (p->nlinks == p->caplinks) {
        size_t cap = p->caplinks ? p->caplinks * 2 : 4;
        dist_link_entry *l = realloc(p->links, cap * sizeof *l);
        if (l == NULL)
            return -1;
        p->links = l;
        p->caplinks = cap;
    }
    dist_link_entry *e = &p->links[p->nlinks];
    memset(e, 0, sizeof *e);
    if (dist_key_make(pid, &e->pid) != 0)
        return -1;
    if (pid->type == ETF_PID && !dist_is_local_pid(p->node, pid)) {
        const etf_atom *na = &pid->u.pid->node;
        size_t len = na->len < HS_MAX_NAME ? na->len : HS_MAX_NAME;
        memcpy(e->peer, na->name, len);
        e->peer[len] = 0;
    }
    p->nlinks++;
    return 0;
}

void dist_link_remove(dist_proc *p, size_t i)
{
    dist_key_free(&p->links[i].pid);
    p->links[i] = p->links[--p->nlinks];
}

int dist_link(dist_proc *p, const etf_term *pid, dist_error *err)
{
    dist_node *n = p->node;
    if (pid->type != ETF_PID)
        return dist_fail(err, DIST_ERR_USAGE, "link: not a pid");
    int i = dist_link_find(p, pid);
    if (i >= 0 && p->links[i].unlinking == 0)
        return 0;
    if (dist_is_local_pid(n, pid)) {
        dist_proc *q = dist_proc_by_pid(n, pid);
        if (q == NULL) {
            etf_term noproc = etf_atom_z("noproc");
            dist_exit_signal(p, pid, &noproc, 0);
            return 0;
        }
        if (dist_link_add(p, pid) != 0 || dist_link_add(q, &p->self) != 0)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        return 0;
    }
    dist_peer *peer = dist_peer_for(n, &pid->u.pid->node, err);
    if (peer == NULL)
        return -1;
    dist_ctl c = {0};
    c.op = DOP_LINK;
    c.from = p->self;
    c.to = *pid;
    if (dist_peer_send(peer, &c, NULL, 0, err) != 0)
        return -1;
    if (dist_link_add(p, pid) != 0)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    return 0;
}

int dist_unlink(dist_proc *p, const etf_term *pid, dist_error *err)
{
    dist_node *n = p->node;
    int i = dist_link_find(p, pid);
    if (i < 0 || p->links[i].unlinking != 0)
        return 0;
    if (dist_is_local_pid(n, pid)) {
        dist_link_remove(p, (size_t)i);
        dist_proc *q = dist_proc_by_pid(n, pid);
        int j = q ? dist_link_find(q, &p->self) : -1;
        if (j >= 0)
            dist_link_remove(q, (size_t)j);
        return 0;
    }
    dist_peer *peer = dist_peer_find(n, pid->u.pid->node.name,
                                     pid->u.pid->node.len);
    if (peer == NULL) {
        dist_link_remove(p, (size_t)i);
        return 0;
    }
    /* The link stays, inactive, until the peer acknowledges: an exit
     * signal it sent before it saw our UNLINK_ID is then ignored. */
    dist_ctl c = {0};
    c.op = DOP_UNLINK_ID;
    c.id = n->next_unlink_id++;
    c.from = p->self;
    c.to = *pid;
    p->links[i].unlinking = c.id;
    return dist_peer_send(peer, &c, NULL, 0, err);
}

/* ---- monitors ------------------------------------------------------------------------ */

void dist_mon_free(dist_mon *m)
{
    dist_key_free(&m->ref);
    dist_key_free(&m->remote);
    dist_key_free(&m->name);
    free(m);
}

static void mon_unlink(dist_node *n, dist_mon *m)
{
    for (dist_mon **pp = &n->mons; *pp != NULL; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            return;
        }
}

/* {'DOWN', Ref, process, Object, Reason} for the watcher of m. */
void dist_mon_down(dist_node *n, dist_mon *m, const etf_term *reason)
{
    (void)n;
    etf_arena a;
    etf_arena_init(&a);
    etf_term down = etf_tuple(&a, 5);
    etf_term object;
    if (down.u.elems == NULL)
        goto out;
    if (m->name.len > 0) {
        /* Watched by name: {Name, Node}. */
        object = etf_tuple(&a, 2);
        if (object.u.elems == NULL ||
            dist_key_term(&m->name, &a, &object.u.elems[0]) != 0)
            goto out;
        object.u.elems[1] = m->peer[0] ? etf_atom_z(m->peer)
                                       : etf_atom_n(n->name, strlen(n->name));
    } else if (dist_key_term(&m->remote, &a, &object) != 0) {
        goto out;
    }
    down.u.elems[0] = etf_atom_z("DOWN");
    if (dist_key_term(&m->ref, &a, &down.u.elems[1]) != 0)
        goto out;
    down.u.elems[2] = etf_atom_z("process");
    down.u.elems[3] = object;
    etf_term r;
    if (dist_copy_term(reason, &a, &r) != 0)
        goto out;
    down.u.elems[4] = r;
    /* peer[] and the atoms above live in m: copy the whole message so
     * that it owns everything. */
    etf_arena b;
    etf_arena_init(&b);
    etf_term msg;
    if (dist_copy_term(&down, &b, &msg) == 0)
        dist_deliver(m->local, &b, &msg, NULL);
    etf_arena_release(&b);
out:
    etf_arena_release(&a);
}

dist_mon *dist_mon_new(dist_node *n, dist_proc *local, int ours,
                       const etf_term *ref, const etf_term *remote,
                       const etf_term *name, const char *peer)
{
    dist_mon *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    if (dist_key_make(ref, &m->ref) != 0 ||
        (remote != NULL && dist_key_make(remote, &m->remote) != 0) ||
        (name != NULL && dist_key_make(name, &m->name) != 0)) {
        dist_mon_free(m);
        return NULL;
    }
    m->ours = ours;
    m->local = local;
    if (peer != NULL)
        snprintf(m->peer, sizeof m->peer, "%s", peer);
    m->next = n->mons;
    n->mons = m;
    return m;
}

int dist_monitor(dist_proc *p, const etf_term *target, const char *node,
                 etf_arena *a, etf_term *ref, dist_error *err)
{
    dist_node *n = p->node;
    if (target->type != ETF_PID && target->type != ETF_ATOM)
        return dist_fail(err, DIST_ERR_USAGE,
                         "monitor: a pid or a registered name");
    *ref = dist_make_ref_node(n, a);
    if (ref->type == 0)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");

    int local = target->type == ETF_PID
                    ? dist_is_local_pid(n, target)
                    : node == NULL || strcmp(node, n->name) == 0;
    dist_peer *peer = NULL;
    if (!local) {
        etf_atom na;
        if (target->type == ETF_PID) {
            na = target->u.pid->node;
        } else {
            na.name = node;
            na.len = (uint32_t)strlen(node);
        }
        peer = dist_peer_for(n, &na, err);
        if (peer == NULL)
            return -1;
    }
    dist_mon *m = dist_mon_new(n, p, 1, ref, NULL,
                               target->type == ETF_ATOM ? target : NULL,
                               peer ? peer->name : NULL);
    if (m == NULL)
        return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
    if (local) {
        dist_proc *q = target->type == ETF_PID
                           ? dist_proc_by_pid(n, target)
                           : dist_proc_by_name(n, target->u.atom,
                                               target->n);
        if (q == NULL) {
            if (target->type == ETF_PID)
                dist_key_make(target, &m->remote);
            etf_term noproc = etf_atom_z("noproc");
            mon_unlink(n, m);
            dist_mon_down(n, m, &noproc);
            dist_mon_free(m);
            return 0;
        }
        dist_key_make(&q->self, &m->remote);
        return 0;
    }
    if (target->type == ETF_PID)
        dist_key_make(target, &m->remote);
    dist_ctl c = {0};
    c.op = DOP_MONITOR_P;
    c.from = p->self;
    c.to = *target;
    c.ref = *ref;
    return dist_peer_send(peer, &c, NULL, 0, err);
}

int dist_demonitor(dist_proc *p, const etf_term *ref, dist_error *err)
{
    dist_node *n = p->node;
    for (dist_mon *m = n->mons; m != NULL; m = m->next) {
        if (!m->ours || m->local != p || !dist_key_is(&m->ref, ref))
            continue;
        mon_unlink(n, m);
        int r = 0;
        dist_peer *peer = m->peer[0] ? dist_peer_find(n, m->peer,
                                                      strlen(m->peer))
                                     : NULL;
        if (peer != NULL) {
            etf_arena a;
            etf_arena_init(&a);
            dist_ctl c = {0};
            c.op = DOP_DEMONITOR_P;
            c.from = p->self;
            c.ref = *ref;
            if (dist_key_term(m->name.len ? &m->name : &m->remote, &a,
                              &c.to) == 0)
                r = dist_peer_send(peer, &c, NULL, 0, err);
            etf_arena_release(&a);
        }
        dist_mon_free(m);
        return r;
    }
    return 0;
}

/* ---- spawn_request ------------------------------------------------------------------ */

int dist_spawn_request(dist_proc *p, const char *node, const char *module,
                       const char *function, const etf_term *args,
                       unsigned options, etf_arena *a, etf_term *req_id,
                       dist_error *err)
{
    return dist_spawn_request_gl(p, node, module, function, args, options,
                                 NULL, a, req_id, err);
}

int dist_spawn_request_gl(dist_proc *p, const char *node,
                          const char *module, const char *function,
                          const etf_term *args, unsigned options,
                          const etf_term *group_leader, etf_arena *a,
                          etf_term *req_id, dist_error *err)
{
    dist_node *n = p->node;
    uint32_t arity = 0;
    const etf_term *t = args;
    if (t->type == ETF_LIST) {
        if (t->u.elems[t->n].type != ETF_NIL)
            return dist_fail(err, DIST_ERR_USAGE,
                             "spawn_request: the arguments must be a "
                             "proper list");
        arity = t->n;
    } else if (t->type == ETF_STRING) {
        arity = t->n;
    } else if (t->type != ETF_NIL) {
        return dist_fail(err, DIST_ERR_USAGE,
                         "spawn_request: the arguments must be a list");
    }
    if (arity > 255)
        return dist_fail(err, DIST_ERR_USAGE,
                         "spawn_request: more than 255 arguments");
    etf_atom na = {node, (uint32_t)strlen(node)};
    dist_peer *peer = dist_peer_for(n, &na, err);
    if (peer == NULL)
        return -1;
    if (!(peer->flags & DFLAG_SPAWN))
        return dist_fail(err, DIST_ERR_USAGE,
                         "node %s cannot spawn on request (no DFLAG_SPAWN: "
                         "older than OTP 23)", peer->name);
    *req_id = dist_make_ref_node(n, a);
    etf_term opts = etf_nil();
    unsigned nopt = !!(options & DIST_SPAWN_LINK) +
                    !!(options & DIST_SPAWN_MONITOR);
    if (nopt > 0) {
        opts = etf_list(a, nopt);
        if (opts.u.elems == NULL)
            return dist_fail(err, DIST_ERR_NOMEM, "out of memory");
        unsigned k = 0;
        if (options & DIST_SPAWN_LINK)
            opts.u.elems[k++] = etf_atom_z("link");
        if (options & DIST_SPAWN_MONITOR)
            opts.u.elems[k++] = etf_atom_z("monitor");
    }
    dist_ctl c = {0};
    c.op = DOP_SPAWN_REQUEST;
    c.ref = *req_id;
    c.from = p->self;
    c.group_leader = group_leader != NULL ? *group_leader : p->self;
    if (c.group_leader.type != ETF_PID)
        return dist_fail(err, DIST_ERR_USAGE,
                         "spawn_request: the group leader must be a pid");
    c.module = (etf_atom){module, (uint32_t)strlen(module)};
    c.function = (etf_atom){function, (uint32_t)strlen(function)};
    c.arity = arity;
    c.opts = opts;
    c.has_payload = 1;
    return dist_peer_send(peer, &c, args, p->self_pid.id, err);
}

/* ---- exits ------------------------------------------------------------------------------ */

int dist_exit(dist_proc *p, const etf_term *to, const etf_term *reason,
              dist_error *err)
{
    dist_node *n = p->node;
    if (to->type != ETF_PID)
        return dist_fail(err, DIST_ERR_USAGE, "exit/2 needs a pid");
    if (dist_is_local_pid(n, to)) {
        dist_proc *q = dist_proc_by_pid(n, to);
        if (q != NULL)
            dist_exit_signal(q, &p->self, reason, 0);
        return 0;
    }
    dist_peer *peer = dist_peer_for(n, &to->u.pid->node, err);
    if (peer == NULL)
        return -1;
    /* EXIT2 carries the reason in the control message; with
     * DFLAG_EXIT_PAYLOAD (OTP 22) it travels as the payload instead. */
    int payload = (peer->flags & DFLAG_EXIT_PAYLOAD) != 0;
    dist_ctl c = {0};
    c.op = payload ? DOP_PAYLOAD_EXIT2 : DOP_EXIT2;
    c.from = p->self;
    c.to = *to;
    c.has_payload = payload;
    if (!payload)
        c.reason = *reason;
    return dist_peer_send(peer, &c, payload ? reason : NULL,
                          p->self_pid.id, err);
}

static void proc_end(dist_proc *p, const etf_term *reason);

/* An exit signal for p. Our processes trap exits: it becomes the message
 * {'EXIT', From, Reason}, except `kill` sent with exit/2 (not through a
 * link), which nothing traps: the process ends with reason `killed`. */
void dist_exit_signal(dist_proc *p, const etf_term *from,
                      const etf_term *reason, int linked)
{
    if (p->dead)
        return;
    if (!linked && etf_atom_is(reason, "kill")) {
        etf_term killed = etf_atom_z("killed");
        proc_end(p, &killed);
        return;
    }
    etf_arena a;
    etf_arena_init(&a);
    etf_term t = etf_tuple(&a, 3);
    if (t.u.elems != NULL) {
        t.u.elems[0] = etf_atom_z("EXIT");
        t.u.elems[1] = *from;
        t.u.elems[2] = *reason;
        etf_term msg;
        etf_arena b;
        etf_arena_init(&b);
        if (dist_copy_term(&t, &b, &msg) == 0)
            dist_deliver(p, &b, &msg, NULL);
        etf_arena_release(&b);
    }
    etf_arena_release(&a);
}

/* Tells everything linked to or monitoring p that it ended. */
static void exit_signals(dist_proc *p, const etf_term *reason)
{
    dist_node *n = p->node;
    etf_arena a;
    etf_arena_init(&a);

    while (p->nlinks > 0) {
        dist_link_entry *l = &p->links[p->nlinks - 1];
        etf_term other;
        if (l->unlinking == 0 && dist_key_term(&l->pid, &a, &other) == 0) {
            if (l->peer[0] == 0) {
                dist_proc *q = dist_proc_by_pid(n, &other);
                int j = q ? dist_link_find(q, &p->self) : -1;
                if (j >= 0) {
                    dist_link_remove(q, (size_t)j);
                    dist_exit_signal(q, &p->self, reason, 1);
                }
            } else {
                dist_peer *peer = dist_peer_find(n, l->peer,
                                                 strlen(l->peer));
                if (peer != NULL) {
                    dist_ctl c = {0};
                    int payload = (peer->flags & DFLAG_EXIT_PAYLOAD) != 0;
                    c.op = payload ? DOP_PAYLOAD_EXIT : DOP_EXIT;
                    c.from = p->self;
                    c.to = other;
                    c.has_payload = payload;
                    if (!payload)
                        c.reason = *reason;
                    dist_peer_send(peer, &c, payload ? reason : NULL, 0,
                                   NULL);
                }
            }
        }
        dist_link_remove(p, p->nlinks - 1);
    }

    for (dist_mon **pp = &n->mons; *pp != NULL;) {
        dist_mon *m = *pp;
        int mine = m->local == p;
        int watched_here = m->ours && m->peer[0] == 0 &&
                           dist_key_eq(&m->remote, &p->key);
        if (!mine && !watched_here) {
            pp = &m->next;
            continue;
        }
        *pp = m->next;
        dist_peer *peer = m->peer[0] ? dist_peer_find(n, m->peer,
                                                      strlen(m->peer))
                                     : NULL;
        etf_term ref, other;
        if (watched_here && !mine) {
            dist_mon_down(n, m, reason); /* a process of ours watched p */
        } else if (peer != NULL && dist_key_term(&m->ref, &a, &ref) == 0) {
            dist_ctl c = {0};
            c.ref = ref;
            if (m->ours) {
                /* p watched a remote process: the monitor goes. */
                c.op = DOP_DEMONITOR_P;
                c.from = p->self;
                if (dist_key_term(m->name.len ? &m->name : &m->remote, &a,
                                  &c.to) == 0)
                    dist_peer_send(peer, &c, NULL, 0, NULL);
            } else if (dist_key_term(&m->remote, &a, &other) == 0) {
                /* A remote process watched p: its monitor fires. */
                int payload = (peer->flags & DFLAG_EXIT_PAYLOAD) != 0;
                c.op = payload ? DOP_PAYLOAD_MONITOR_P_EXIT
                               : DOP_MONITOR_P_EXIT;
                if (m->name.len == 0 ||
                    dist_key_term(&m->name, &a, &c.from) != 0)
                    c.from = p->self;
                c.to = other;
                c.has_payload = payload;
                if (!payload)
                    c.reason = *reason;
                dist_peer_send(peer, &c, payload ? reason : NULL, 0, NULL);
            }
        }
        dist_mon_free(m);
    }
    etf_arena_release(&a);
}

/* The process is no more: no name, no messages, and its links and
 * monitors told. Its memory stays until dist_proc_exit or the node's end,
 * because its owner may still hold it. */
static void proc_end(dist_proc *p, const etf_term *reason)
{
    if (p->dead)
        return;
    etf_term normal = etf_atom_z("normal");
    p->dead = 1;
    p->regname[0] = 0;
    dist_alias_drop_proc(p->node, p);
    exit_signals(p, reason ? reason : &normal);
}

static void proc_free(dist_proc *p)
{
    dist_node *n = p->node;
    for (dist_proc **pp = &n->procs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    while (p->mbox_head != NULL) {
        dist_message *m = p->mbox_head;
        p->mbox_head = m->next;
        dist_message_free(m);
    }
    while (p->nlinks > 0)
        dist_link_remove(p, p->nlinks - 1);
    free(p->links);
    dist_alias_drop_proc(n, p);
    dist_key_free(&p->group_leader);
    dist_key_free(&p->key);
    free(p);
}

void dist_proc_exit(dist_proc *p, const etf_term *reason)
{
    proc_end(p, reason);
    /* Freed now, unless its handler is running (then when it returns),
     * or it is a mailbox process killed by a signal (then when its owner
     * calls this, or with the node). */
    if (p->running > 0)
        p->free_pending = 1;
    else
        proc_free(p);
}

void dist_proc_free_all(dist_node *n)
{
    while (n->procs != NULL) {
        dist_proc *p = n->procs;
        if (!p->dead) {
            p->dead = 1;
            etf_term shutdown = etf_atom_z("shutdown");
            exit_signals(p, &shutdown);
        }
        proc_free(p);
    }
}
