/*
 * alias.c -- aliases of our processes (OTP 24's erlang:alias/1).
 *
 * An alias is a reference that stands for a process as the destination
 * of a message. The process hands it out (typically inside a request),
 * and whoever holds it sends with `Alias ! Msg`; between nodes that is
 * ALIAS_SEND {33, FromPid, Alias} + Msg (DFLAG_ALIAS). Unlike a pid, an
 * alias can be switched off: once it is, messages sent to it are dropped
 * on arrival, so a late reply to a request that timed out never reaches
 * the mailbox. That is why erpc and gen_server:call use them.
 *
 * An alias ends in one of three ways, as in erts:
 *   - dist_unalias (erlang:unalias/1);
 *   - with DIST_ALIAS_REPLY, when the first message sent through it
 *     arrives (alias([reply]));
 *   - when its process ends.
 *
 * The node keeps its live aliases in one list (a C node has few of them
 * at a time); a message addressed to a reference looks its owner up there.
 */
#include <stdlib.h>

#include "dist/internal.h"
#include "dist/node_internal.h"

int dist_alias(dist_proc *p, enum dist_alias_mode mode, etf_arena *a,
               etf_term *alias, dist_error *err)
{
    dist_node *n = p->node;
    if (p->dead)
        return dist_fail(err, DIST_ERR_USAGE,
                         "alias: the process has ended");
    if (mode != DIST_ALIAS_EXPLICIT && mode != DIST_ALIAS_REPLY)
        return dist_fail(err, DIST_ERR_USAGE, "alias: unknown mode %d",
                         (int)mode);
    etf_term ref = dist_make_ref_node(n, a);
    dist_alias_entry *e = calloc(1, sizeof *e);
    if (ref.type != ETF_REF || e == NULL || dist_key_make(&ref, &e->ref) != 0) {
        free(e);
        return dist_fail(err, DIST_ERR_NOMEM, "alias: out of memory");
    }
    e->proc = p;
    e->reply = mode == DIST_ALIAS_REPLY;
    e->next = n->aliases;
    n->aliases = e;
    *alias = ref;
    return 0;
}

/* The entry for `ref` in the node's list (the link that points to it),
 * or NULL. */
static dist_alias_entry **find(dist_node *n, const etf_term *ref)
{
    if (ref->type != ETF_REF || n->aliases == NULL)
        return NULL;
    dist_key k;
    if (dist_key_make(ref, &k) != 0)
        return NULL;
    dist_alias_entry **pp = &n->aliases;
    while (*pp != NULL && !dist_key_eq(&(*pp)->ref, &k))
        pp = &(*pp)->next;
    dist_key_free(&k);
    return *pp != NULL ? pp : NULL;
}

static void drop(dist_alias_entry **pp)
{
    dist_alias_entry *e = *pp;
    *pp = e->next;
    dist_key_free(&e->ref);
    free(e);
}

int dist_unalias(dist_proc *p, const etf_term *alias)
{
    dist_alias_entry **pp = find(p->node, alias);
    if (pp == NULL || (*pp)->proc != p)
        return 0; /* not an alias of p's, or no longer active: false */
    drop(pp);
    return 1;
}

dist_proc *dist_alias_target(dist_node *n, const etf_term *ref)
{
    dist_alias_entry **pp = find(n, ref);
    if (pp == NULL)
        return NULL;
    dist_proc *p = (*pp)->proc;
    if ((*pp)->reply)
        drop(pp); /* alias([reply]): this message is the reply */
    return p->dead ? NULL : p;
}

void dist_alias_drop_proc(dist_node *n, const dist_proc *p)
{
    dist_alias_entry **pp = &n->aliases;
    while (*pp != NULL) {
        if ((*pp)->proc == p)
            drop(pp);
        else
            pp = &(*pp)->next;
    }
}
