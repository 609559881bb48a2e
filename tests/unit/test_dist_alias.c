/*
 * test_dist_alias.c -- unit tests of aliases (dist/alias.c) between the
 * processes of one node, where no connection is involved: dist_send to an
 * alias of ours delivers to its process while the alias is active, and
 * drops the message once it has ended (dist_unalias, the first message
 * through a reply alias, the process's end). Aliases sent through a real
 * connection (ALIAS_SEND) are tested in tests/integration/node.test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dist/node.h"

typedef struct fixture {
    dist_node *n;
    dist_proc *owner, *sender;
    etf_arena a;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    dist_node_opts o = {0};
    o.name = "alias_test@localhost";
    o.cookie = "c";
    o.cookie_len = 1;
    dist_error err;
    if (dist_node_new(&o, &f.n, &err) != 0)
        return -1;
    f.owner = dist_proc_new(f.n, NULL);
    f.sender = dist_proc_new(f.n, NULL);
    etf_arena_init(&f.a);
    *state = &f;
    return f.owner != NULL && f.sender != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    etf_arena_release(&f->a);
    dist_node_free(f->n);
    return 0;
}

/* Sends the integer i to `to` from f->sender. */
static void send_int(fixture *f, const etf_term *to, int64_t i)
{
    etf_term msg = etf_int(i);
    dist_error err;
    assert_int_equal(dist_send(f->sender, to, &msg, &err), 0);
}

/* The next message in p's mailbox: its integer, or -1 if there is none. */
static int64_t next_int(dist_proc *p)
{
    dist_message *m;
    dist_error err;
    int r = dist_receive(p, NULL, NULL, 0, &m, &err);
    assert_true(r >= 0);
    if (r == 0)
        return -1;
    assert_int_equal(m->msg.type, ETF_INTEGER);
    int64_t i = m->msg.u.i;
    dist_message_free(m);
    return i;
}

static void test_explicit_until_unalias(void **state)
{
    fixture *f = *state;
    etf_term al;
    dist_error err;
    assert_int_equal(dist_alias(f->owner, DIST_ALIAS_EXPLICIT, &f->a, &al,
                                &err), 0);
    assert_int_equal(al.type, ETF_REF);
    /* A reference of our node, like any other of ours. */
    const etf_atom *name = dist_node_name(f->n);
    assert_int_equal(al.u.ref->node.len, name->len);
    assert_memory_equal(al.u.ref->node.name, name->name, name->len);
    assert_int_equal(al.u.ref->creation, dist_node_creation(f->n));

    send_int(f, &al, 1);
    send_int(f, &al, 2);
    assert_int_equal(next_int(f->owner), 1);
    assert_int_equal(next_int(f->owner), 2);
    assert_int_equal(next_int(f->sender), -1);

    /* Only its owner ends it. */
    assert_int_equal(dist_unalias(f->sender, &al), 0);
    send_int(f, &al, 3);
    assert_int_equal(next_int(f->owner), 3);
    assert_int_equal(dist_unalias(f->owner, &al), 1);
    assert_int_equal(dist_unalias(f->owner, &al), 0);
    send_int(f, &al, 4); /* dropped, not an error */
    assert_int_equal(next_int(f->owner), -1);
}

static void test_reply_ends_with_first(void **state)
{
    fixture *f = *state;
    etf_term al;
    dist_error err;
    assert_int_equal(dist_alias(f->owner, DIST_ALIAS_REPLY, &f->a, &al,
                                &err), 0);
    send_int(f, &al, 10);
    send_int(f, &al, 11);
    assert_int_equal(next_int(f->owner), 10);
    assert_int_equal(next_int(f->owner), -1);
    assert_int_equal(dist_unalias(f->owner, &al), 0);

    /* A reply alias ended by its owner before any reply. */
    assert_int_equal(dist_alias(f->owner, DIST_ALIAS_REPLY, &f->a, &al,
                                &err), 0);
    assert_int_equal(dist_unalias(f->owner, &al), 1);
    send_int(f, &al, 12);
    assert_int_equal(next_int(f->owner), -1);
}

static void test_several_and_foreign(void **state)
{
    fixture *f = *state;
    etf_term a1, a2, plain;
    dist_error err;
    assert_int_equal(dist_alias(f->owner, DIST_ALIAS_EXPLICIT, &f->a, &a1,
                                &err), 0);
    assert_int_equal(dist_alias(f->sender, DIST_ALIAS_EXPLICIT, &f->a, &a2,
                                &err), 0);
    assert_false(etf_equal(&a1, &a2));
    send_int(f, &a2, 20);
    send_int(f, &a1, 21);
    assert_int_equal(next_int(f->sender), 20);
    assert_int_equal(next_int(f->owner), 21);

    /* A reference of ours that is no alias: nothing arrives anywhere. */
    plain = dist_make_ref_node(f->n, &f->a);
    send_int(f, &plain, 22);
    assert_int_equal(next_int(f->owner), -1);
    assert_int_equal(next_int(f->sender), -1);
    assert_int_equal(dist_unalias(f->owner, &plain), 0);
    assert_int_equal(dist_unalias(f->owner, &a2), 0); /* not its own */
    assert_int_equal(dist_unalias(f->sender, &a2), 1);
}

static void test_ends_with_process(void **state)
{
    fixture *f = *state;
    etf_term al;
    dist_error err;
    dist_proc *p = dist_proc_new(f->n, NULL);
    assert_non_null(p);
    assert_int_equal(dist_alias(p, DIST_ALIAS_EXPLICIT, &f->a, &al, &err),
                     0);
    dist_proc_exit(p, NULL);
    send_int(f, &al, 30); /* its process is gone: dropped */
    assert_int_equal(next_int(f->owner), -1);
    /* An unknown mode. */
    assert_int_equal(dist_alias(f->owner, 7, &f->a, &al, &err), -1);
    assert_int_equal(err.code, DIST_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_explicit_until_unalias, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_ends_with_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_several_and_foreign, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ends_with_process, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
