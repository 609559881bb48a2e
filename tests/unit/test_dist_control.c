/*
 * test_dist_control.c -- unit tests of dist/control.c: every operation
 * built, checked and read back; every rule of the decoder broken once;
 * the one-line printer; and control messages that real nodes sent.
 *
 * The vectors at the end are whole packets (after the 4-byte length) that
 * OTP 25.2.3 (Debian bookworm), 27.3 (trixie) and 29 (sid, erts 17.1.1)
 * nodes sent to a C peer built on libedist, which offered them different
 * flag sets (mandatory only; + DIST_MONITOR(_NAME); + SEND_SENDER,
 * EXIT_PAYLOAD, SPAWN, ALIAS; + ALTACT_SIG) but never the distribution
 * header, so every packet is in the pass-through form 112, 131 Control,
 * [131 Payload]. The peer asked a process on the node to link, unlink,
 * exit, monitor, spawn_request, send to an alias, with and without a
 * seq_trace token, and sent its own MONITOR_P, SPAWN_REQUEST, UNLINK_ID,
 * read off the socket. Node names: n25@127.0.0.1, n27@..., n29@...; ours
 * edist@127.0.0.1 (creation 1234).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dist/control.h"

/* ---- terms for the tests ------------------------------------------------ */

static const etf_pid pid_a = {{"a@h", 3}, 80, 0, 1};
static const etf_pid pid_b = {{"b@h", 3}, 5, 0, 2};
static const etf_ref ref_a = {{"a@h", 3}, 7, 3, {1, 2, 3}};

static etf_term pid_term(const etf_pid *p)
{
    etf_term t = {.type = ETF_PID};
    t.u.pid = p;
    return t;
}

static etf_term A(void) { return pid_term(&pid_a); }
static etf_term B(void) { return pid_term(&pid_b); }

static etf_term R(void)
{
    etf_term t = {.type = ETF_REF};
    t.u.ref = &ref_a;
    return t;
}

static etf_term atom(const char *name) { return etf_atom_z(name); }

static etf_term tup(etf_arena *a, int n, ...)
{
    va_list ap;
    etf_term t = etf_tuple(a, (uint32_t)n);
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        t.u.elems[i] = va_arg(ap, etf_term);
    va_end(ap);
    return t;
}

/* A non-negative integer of `n` little-endian bytes, as a bignum. */
static etf_term big(const uint8_t *bytes, uint32_t n)
{
    etf_term t = {.type = ETF_BIGNUM, .n = n};
    t.u.bytes = bytes;
    return t;
}

/* Both missing, or both there and =:=. */
static int same(const etf_term *x, const etf_term *y)
{
    if (x->type == 0 || y->type == 0)
        return x->type == y->type;
    return etf_equal(x, y);
}

/* ---- names -------------------------------------------------------------- */

static void test_op_names_and_payloads(void **state)
{
    (void)state;
    /* OTP's dist.h, enum dop; 5 is the ancient NODE_LINK. */
    static const struct {
        int op;
        const char *name;
        int payload;
    } known[] = {
        {1, "LINK", 0},
        {2, "SEND", 1},
        {3, "EXIT", 0},
        {4, "UNLINK", -1},
        {5, "NODE_LINK", -1},
        {6, "REG_SEND", 1},
        {7, "GROUP_LEADER", 0},
        {8, "EXIT2", 0},
        {12, "SEND_TT", 1},
        {13, "EXIT_TT", 0},
        {16, "REG_SEND_TT", 1},
        {18, "EXIT2_TT", 0},
        {19, "MONITOR_P", 0},
        {20, "DEMONITOR_P", 0},
        {21, "MONITOR_P_EXIT", 0},
        {22, "SEND_SENDER", 1},
        {23, "SEND_SENDER_TT", 1},
        {24, "PAYLOAD_EXIT", 1},
        {25, "PAYLOAD_EXIT_TT", 1},
        {26, "PAYLOAD_EXIT2", 1},
        {27, "PAYLOAD_EXIT2_TT", 1},
        {28, "PAYLOAD_MONITOR_P_EXIT", 1},
        {29, "SPAWN_REQUEST", 1},
        {30, "SPAWN_REQUEST_TT", 1},
        {31, "SPAWN_REPLY", 0},
        {32, "SPAWN_REPLY_TT", 0},
        {33, "ALIAS_SEND", 1},
        {34, "ALIAS_SEND_TT", 1},
        {35, "UNLINK_ID", 0},
        {36, "UNLINK_ID_ACK", 0},
        {37, "ALTACT_SIG_SEND", 1},
    };
    size_t k = 0;
    for (int op = -2; op <= 40; op++) {
        if (k < sizeof known / sizeof *known && known[k].op == op) {
            assert_non_null(dist_op_name(op));
            assert_string_equal(dist_op_name(op), known[k].name);
            assert_int_equal(dist_op_payload(op), known[k].payload);
            k++;
        } else {
            assert_null(dist_op_name(op));
            assert_int_equal(dist_op_payload(op), -1);
        }
    }
    assert_int_equal(k, sizeof known / sizeof *known);
    assert_null(dist_op_name(99));
    assert_null(dist_op_name(1 << 30));

    /* The names are the macros' values. */
    assert_int_equal(DOP_LINK, 1);
    assert_int_equal(DOP_SEND, 2);
    assert_int_equal(DOP_REG_SEND, 6);
    assert_int_equal(DOP_SEND_SENDER, 22);
    assert_int_equal(DOP_PAYLOAD_MONITOR_P_EXIT, 28);
    assert_int_equal(DOP_ALTACT_SIG_SEND, 37);
    assert_int_equal(ERTS_DIST_SPAWN_FLAG_LINK, 1);
    assert_int_equal(ERTS_DIST_SPAWN_FLAG_MONITOR, 2);
    assert_int_equal(ERTS_DOP_ALTACT_SIG_FLG_PRIO, 1);
    assert_int_equal(ERTS_DOP_ALTACT_SIG_FLG_TOKEN, 2);
    assert_int_equal(ERTS_DOP_ALTACT_SIG_FLG_ALIAS, 4);
    assert_int_equal(ERTS_DOP_ALTACT_SIG_FLG_NAME, 8);
    assert_int_equal(ERTS_DOP_ALTACT_SIG_FLG_EXIT, 16);
}

/* ---- round trips -------------------------------------------------------- */

/* Every operation edist can send, with fields of the right types. */
static const int all_ops[] = {
    DOP_LINK, DOP_SEND, DOP_EXIT, DOP_REG_SEND, DOP_GROUP_LEADER, DOP_EXIT2,
    DOP_SEND_TT, DOP_EXIT_TT, DOP_REG_SEND_TT, DOP_EXIT2_TT, DOP_MONITOR_P,
    DOP_DEMONITOR_P, DOP_MONITOR_P_EXIT, DOP_SEND_SENDER, DOP_SEND_SENDER_TT,
    DOP_PAYLOAD_EXIT, DOP_PAYLOAD_EXIT_TT, DOP_PAYLOAD_EXIT2,
    DOP_PAYLOAD_EXIT2_TT, DOP_PAYLOAD_MONITOR_P_EXIT, DOP_SPAWN_REQUEST,
    DOP_SPAWN_REQUEST_TT, DOP_SPAWN_REPLY, DOP_SPAWN_REPLY_TT, DOP_ALIAS_SEND,
    DOP_ALIAS_SEND_TT, DOP_UNLINK_ID, DOP_UNLINK_ID_ACK, DOP_ALTACT_SIG_SEND,
};

static int is_tt(int op)
{
    switch (op) {
    case DOP_SEND_TT: case DOP_EXIT_TT: case DOP_REG_SEND_TT:
    case DOP_EXIT2_TT: case DOP_SEND_SENDER_TT: case DOP_PAYLOAD_EXIT_TT:
    case DOP_PAYLOAD_EXIT2_TT: case DOP_SPAWN_REQUEST_TT:
    case DOP_SPAWN_REPLY_TT: case DOP_ALIAS_SEND_TT:
        return 1;
    }
    return 0;
}

static dist_ctl sample(int op, etf_arena *a)
{
    dist_ctl c = {0};
    c.op = op;
    c.has_payload = dist_op_payload(op) == 1;
    if (is_tt(op)) {
        c.has_token = 1;
        c.token = tup(a, 5, etf_int(0), etf_int(7), etf_int(1), B(),
                      etf_int(0));
    }
    switch (op) {
    case DOP_SEND:
    case DOP_SEND_TT:
        c.to = A();
        break;
    case DOP_REG_SEND:
    case DOP_REG_SEND_TT:
        c.from = B();
        c.to = atom("net_kernel");
        break;
    case DOP_EXIT:
    case DOP_EXIT2:
    case DOP_EXIT_TT:
    case DOP_EXIT2_TT:
        c.from = B();
        c.to = A();
        c.reason = tup(a, 2, atom("shutdown"), etf_binary("why", 3));
        break;
    case DOP_MONITOR_P:
    case DOP_DEMONITOR_P:
        c.from = B();
        c.to = atom("victim");
        c.ref = R();
        break;
    case DOP_MONITOR_P_EXIT:
    case DOP_PAYLOAD_MONITOR_P_EXIT:
        c.from = atom("victim");
        c.to = A();
        c.ref = R();
        if (op == DOP_MONITOR_P_EXIT)
            c.reason = atom("noproc");
        break;
    case DOP_SPAWN_REQUEST:
    case DOP_SPAWN_REQUEST_TT: {
        c.ref = R();
        c.from = B();
        c.group_leader = A();
        c.module = (etf_atom){"erpc", 4};
        c.function = (etf_atom){"execute_call", 12};
        c.arity = 4;
        etf_term opts = etf_list(a, 2);
        opts.u.elems[0] = atom("monitor");
        opts.u.elems[1] = tup(a, 2, atom("priority"), atom("high"));
        c.opts = opts;
        break;
    }
    case DOP_SPAWN_REPLY:
    case DOP_SPAWN_REPLY_TT:
        c.ref = R();
        c.to = B();
        c.spawn_flags = ERTS_DIST_SPAWN_FLAG_LINK |
                        ERTS_DIST_SPAWN_FLAG_MONITOR;
        c.result = A();
        break;
    case DOP_ALIAS_SEND:
    case DOP_ALIAS_SEND_TT:
        c.from = B();
        c.to = R();
        break;
    case DOP_UNLINK_ID:
    case DOP_UNLINK_ID_ACK:
        c.id = UINT64_MAX; /* the top of the range: a bignum on the wire */
        c.from = B();
        c.to = A();
        break;
    case DOP_ALTACT_SIG_SEND:
        c.altact_flags = ERTS_DOP_ALTACT_SIG_FLG_PRIO |
                         ERTS_DOP_ALTACT_SIG_FLG_TOKEN |
                         ERTS_DOP_ALTACT_SIG_FLG_NAME;
        c.has_token = 1;
        c.token = atom("a_token");
        c.from = B();
        c.to = atom("some_name");
        break;
    default: /* LINK, GROUP_LEADER, SEND_SENDER(_TT), PAYLOAD_EXIT... */
        c.from = B();
        c.to = A();
        break;
    }
    return c;
}

static void assert_same_ctl(const dist_ctl *x, const dist_ctl *y)
{
    assert_int_equal(x->op, y->op);
    assert_true(same(&x->from, &y->from));
    assert_true(same(&x->to, &y->to));
    assert_true(same(&x->ref, &y->ref));
    assert_true(same(&x->reason, &y->reason));
    assert_int_equal(x->has_token, y->has_token);
    assert_true(same(&x->token, &y->token));
    assert_true(x->id == y->id);
    assert_true(same(&x->group_leader, &y->group_leader));
    assert_int_equal(x->module.len, y->module.len);
    assert_int_equal(x->function.len, y->function.len);
    if (x->module.len)
        assert_memory_equal(x->module.name, y->module.name, x->module.len);
    if (x->function.len)
        assert_memory_equal(x->function.name, y->function.name,
                            x->function.len);
    assert_int_equal(x->arity, y->arity);
    assert_true(same(&x->opts, &y->opts));
    assert_int_equal(x->spawn_flags, y->spawn_flags);
    assert_true(same(&x->result, &y->result));
    assert_true(x->altact_flags == y->altact_flags);
    assert_int_equal(x->has_payload, y->has_payload);
}

static void test_round_trip_every_op(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_ops / sizeof *all_ops; i++) {
        etf_arena a;
        etf_arena_init(&a);
        dist_ctl c = sample(all_ops[i], &a), back;
        etf_term control;
        dist_error err;
        if (dist_ctl_encode(&c, &a, &control, &err) != 0)
            fail_msg("%s: %s", dist_op_name(c.op), err.message);
        assert_int_equal(control.type, ETF_TUPLE);
        assert_int_equal(control.u.elems[0].u.i, c.op);

        /* Through bytes, as it would cross the wire. */
        etf_buf bytes = {0};
        etf_error ee;
        assert_int_equal(etf_encode(&control, 0, &bytes, &ee), 0);
        etf_term wire;
        assert_int_equal(etf_decode(bytes.data, bytes.len, NULL, &a, &wire,
                                    &ee),
                         0);
        if (dist_ctl_decode(&wire, c.has_payload, &back, &err) != 0)
            fail_msg("%s: %s", dist_op_name(c.op), err.message);
        assert_same_ctl(&c, &back);

        /* And the tuple built again from what was read is the same. */
        etf_term again;
        assert_int_equal(dist_ctl_encode(&back, &a, &again, &err), 0);
        assert_true(etf_equal(&again, &control));
        etf_buf_release(&bytes);
        etf_arena_release(&a);
    }
}

/* The shapes of the tuples, element by element, as erl_dist_protocol.md
 * gives them. */
static void test_tuple_shapes(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_error err;
    etf_term t;

    dist_ctl c = sample(DOP_SEND, &a);
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 3);
    assert_true(etf_atom_is(&t.u.elems[1], "")); /* the unused cookie */

    c = sample(DOP_REG_SEND_TT, &a);
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 5); /* {16, From, '', ToName, Token} */
    assert_true(etf_atom_is(&t.u.elems[2], ""));
    assert_true(etf_atom_is(&t.u.elems[3], "net_kernel"));
    assert_int_equal(t.u.elems[4].type, ETF_TUPLE);

    c = sample(DOP_EXIT_TT, &a); /* {13, From, To, Token, Reason} */
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 5);
    assert_true(same(&t.u.elems[3], &c.token));
    assert_true(same(&t.u.elems[4], &c.reason));

    c = sample(DOP_SPAWN_REQUEST_TT, &a);
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 7);
    assert_int_equal(t.u.elems[4].type, ETF_TUPLE); /* {M, F, A} */
    assert_true(etf_atom_is(&t.u.elems[4].u.elems[1], "execute_call"));
    assert_int_equal(t.u.elems[4].u.elems[2].u.i, 4);

    c = sample(DOP_UNLINK_ID, &a); /* {35, Id, From, To}, Id 2^64-1 */
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.u.elems[1].type, ETF_BIGNUM);
    assert_int_equal(t.u.elems[1].n, 8);

    c = sample(DOP_ALTACT_SIG_SEND, &a); /* the TOKEN flag: 5 elements */
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 5);
    assert_int_equal(t.u.elems[1].u.i, 1 | 2 | 8);
    c.altact_flags = ERTS_DOP_ALTACT_SIG_FLG_NAME; /* no token: 4 */
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 4);
    etf_arena_release(&a);
}

/* ---- what the decoder refuses ------------------------------------------- */

static void expect_refused(const etf_term *control, int has_payload,
                           const char *words)
{
    dist_ctl c;
    dist_error err = {0};
    if (dist_ctl_decode(control, has_payload, &c, &err) == 0)
        fail_msg("accepted; expected \"%s\"", words);
    assert_int_equal(err.code, DIST_ERR_PROTOCOL);
    if (strstr(err.message, words) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", err.message, words);
}

static void expect_accepted(const etf_term *control, int has_payload,
                            dist_ctl *c)
{
    dist_error err = {0};
    if (dist_ctl_decode(control, has_payload, c, &err) != 0)
        fail_msg("refused: %s", err.message);
}

static void test_refused_operations(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term t = atom("link");
    expect_refused(&t, 0, "the control message is an atom, not a tuple");
    t = etf_tuple(&a, 0);
    expect_refused(&t, 0, "{}, with no operation");
    t = tup(&a, 3, atom("link"), A(), B());
    expect_refused(&t, 0, "operation is an atom, not an integer");
    t = tup(&a, 3, etf_int(99), A(), B());
    expect_refused(&t, 0, "unknown operation 99");
    t = tup(&a, 1, etf_int(-1));
    expect_refused(&t, 0, "unknown operation -1");
    t = tup(&a, 1, etf_int(9));
    expect_refused(&t, 0, "unknown operation 9");
    t = tup(&a, 3, etf_int(DOP_UNLINK), A(), B());
    expect_refused(&t, 0, "UNLINK (4): the old link protocol, which OTP 26");
    t = tup(&a, 1, etf_int(DOP_NODE_LINK));
    expect_refused(&t, 0, "NODE_LINK (5)");
    etf_arena_release(&a);
}

static void test_refused_arity_and_payload(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term t = tup(&a, 2, etf_int(DOP_LINK), A());
    expect_refused(&t, 0, "LINK: a tuple of 2 elements, where LINK has 3: "
                          "{1, FromPid, ToPid}");
    t = tup(&a, 4, etf_int(DOP_LINK), A(), B(), atom("extra"));
    expect_refused(&t, 0, "LINK: a tuple of 4 elements");
    /* A _TT operation needs its token. */
    t = tup(&a, 4, etf_int(DOP_EXIT_TT), A(), B(), atom("reason"));
    expect_refused(&t, 0, "EXIT_TT: a tuple of 4 elements, where EXIT_TT "
                          "has 5");
    t = tup(&a, 3, etf_int(DOP_SEND_TT), atom(""), A());
    expect_refused(&t, 1, "SEND_TT: a tuple of 3 elements");
    t = tup(&a, 6, etf_int(DOP_SPAWN_REPLY_TT), R(), A(), etf_int(0),
            atom("badopt"), atom("x"));
    expect_accepted(&t, 0, &(dist_ctl){0});
    t.n = 5;
    expect_refused(&t, 0, "SPAWN_REPLY_TT: a tuple of 5 elements");
    t = tup(&a, 3, etf_int(DOP_ALTACT_SIG_SEND), etf_int(0), A());
    expect_refused(&t, 1, "where ALTACT_SIG_SEND has at least 4");

    /* Payloads. */
    t = tup(&a, 3, etf_int(DOP_SEND), atom(""), A());
    expect_refused(&t, 0, "SEND: no message follows the control tuple");
    t = tup(&a, 3, etf_int(DOP_PAYLOAD_EXIT), A(), B());
    expect_refused(&t, 0, "PAYLOAD_EXIT: no exit reason follows");
    t = tup(&a, 4, etf_int(DOP_ALTACT_SIG_SEND), etf_int(0), A(), B());
    expect_refused(&t, 0, "no message or exit reason follows");
    t = tup(&a, 3, etf_int(DOP_LINK), A(), B());
    expect_refused(&t, 1, "LINK: a second term follows the control tuple, "
                          "but LINK carries none");
    t = tup(&a, 5, etf_int(DOP_SPAWN_REPLY), R(), A(), etf_int(0), B());
    expect_refused(&t, 1, "SPAWN_REPLY carries none");
    etf_arena_release(&a);
}

static void test_refused_field_types(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;

    t = tup(&a, 4, etf_int(DOP_MONITOR_P), A(), tup(&a, 1, B()), R());
    expect_refused(&t, 0, "MONITOR_P: ToProc, the monitored process, is a "
                          "tuple, not a pid or an atom");
    t = tup(&a, 4, etf_int(DOP_MONITOR_P), atom("me"), B(), R());
    expect_refused(&t, 0, "MONITOR_P: FromPid, the monitoring process, is "
                          "an atom, not a pid");
    t = tup(&a, 4, etf_int(DOP_DEMONITOR_P), A(), B(), etf_int(1));
    expect_refused(&t, 0, "DEMONITOR_P: Ref is an integer, not a reference");
    t = tup(&a, 5, etf_int(DOP_MONITOR_P_EXIT), etf_binary("x", 1), A(), R(),
            atom("normal"));
    expect_refused(&t, 0, "MONITOR_P_EXIT: FromProc, the monitored process, "
                          "is a binary, not a pid or an atom");
    t = tup(&a, 4, etf_int(DOP_PAYLOAD_MONITOR_P_EXIT), B(), atom("a"), R());
    expect_refused(&t, 1, "ToPid, the monitoring process, is an atom");
    t = tup(&a, 3, etf_int(DOP_LINK), A(), R());
    expect_refused(&t, 0, "LINK: ToPid is a reference, not a pid");
    t = tup(&a, 3, etf_int(DOP_SEND), atom(""), atom("rex"));
    expect_refused(&t, 1, "SEND: ToPid is an atom, not a pid");
    t = tup(&a, 3, etf_int(DOP_SEND_SENDER), etf_nil(), A());
    expect_refused(&t, 1, "SEND_SENDER: FromPid is the empty list, not a pid");
    t = tup(&a, 4, etf_int(DOP_REG_SEND), A(), atom(""),
            etf_binary("rex", 3));
    expect_refused(&t, 1, "REG_SEND: ToName, the registered name, is a "
                          "binary, not an atom");
    t = tup(&a, 4, etf_int(DOP_REG_SEND), atom("x"), atom(""), atom("rex"));
    expect_refused(&t, 1, "REG_SEND: FromPid is an atom, not a pid");
    t = tup(&a, 3, etf_int(DOP_GROUP_LEADER), atom("user"), B());
    expect_refused(&t, 0, "GROUP_LEADER: FromPid, the new group leader, is "
                          "an atom, not a pid");
    t = tup(&a, 4, etf_int(DOP_EXIT2), etf_float(1.5), B(), atom("kill"));
    expect_refused(&t, 0, "EXIT2: FromPid is a float, not a pid");
    t = tup(&a, 3, etf_int(DOP_ALIAS_SEND), A(), B());
    expect_refused(&t, 1, "ALIAS_SEND: Alias is a pid, not a reference");
    etf_arena_release(&a);
}

static void test_refused_spawn(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term mfa = tup(&a, 3, atom("m"), atom("f"), etf_int(2));
    etf_term t = tup(&a, 6, etf_int(DOP_SPAWN_REQUEST), R(), A(), B(), mfa,
                     etf_nil());
    dist_ctl c;
    expect_accepted(&t, 1, &c);
    assert_int_equal(c.arity, 2);
    assert_int_equal(c.module.len, 1);
    assert_memory_equal(c.function.name, "f", 1);

    mfa.u.elems[2] = etf_int(255);
    expect_accepted(&t, 1, &c);
    mfa.u.elems[2] = etf_int(256);
    expect_refused(&t, 1, "SPAWN_REQUEST: the MFA's Arity is 256, not 0..255");
    mfa.u.elems[2] = etf_int(-1);
    expect_refused(&t, 1, "the MFA's Arity is -1");
    mfa.u.elems[2] = atom("two");
    expect_refused(&t, 1, "the MFA's Arity is an atom, not an integer");
    mfa.u.elems[2] = etf_int(2);
    mfa.u.elems[1] = etf_binary("f", 1);
    expect_refused(&t, 1, "the MFA's Function is a binary, not an atom");
    mfa.u.elems[1] = atom("f");
    mfa.u.elems[0] = etf_int(1);
    expect_refused(&t, 1, "the MFA's Module is an integer, not an atom");
    t.u.elems[4] = tup(&a, 2, atom("m"), atom("f"));
    expect_refused(&t, 1, "the MFA is a tuple of 2 elements");
    t.u.elems[4] = etf_nil();
    expect_refused(&t, 1, "the MFA is the empty list, not a tuple");
    mfa.u.elems[0] = atom("m");
    t.u.elems[4] = mfa;

    /* OptList: a proper list. */
    etf_term improper = etf_list(&a, 1);
    improper.u.elems[0] = atom("link");
    improper.u.elems[1] = atom("tail");
    t.u.elems[5] = improper;
    expect_refused(&t, 1, "SPAWN_REQUEST: OptList is an improper list, not a "
                          "proper list");
    t.u.elems[5] = atom("link");
    expect_refused(&t, 1, "OptList is an atom, not a proper list");
    t.u.elems[5] = etf_nil();

    t.u.elems[1] = A();
    expect_refused(&t, 1, "SPAWN_REQUEST: ReqId is a pid, not a reference");
    t.u.elems[1] = R();
    t.u.elems[3] = atom("user");
    expect_refused(&t, 1, "SPAWN_REQUEST: GroupLeader is an atom, not a pid");

    /* SPAWN_REPLY: Flags 0..2^27-1, Result a pid or an atom. */
    t = tup(&a, 5, etf_int(DOP_SPAWN_REPLY), R(), A(), etf_int(3), B());
    expect_accepted(&t, 0, &c);
    assert_int_equal(c.spawn_flags, 3);
    t.u.elems[3] = etf_int((1 << 27) - 1);
    expect_accepted(&t, 0, &c);
    t.u.elems[3] = etf_int(1 << 27);
    expect_refused(&t, 0, "SPAWN_REPLY: Flags is 134217728, not 0..2^27-1");
    t.u.elems[3] = etf_int(-1);
    expect_refused(&t, 0, "Flags is -1");
    t.u.elems[3] = atom("link");
    expect_refused(&t, 0, "SPAWN_REPLY: Flags is an atom, not an integer");
    t.u.elems[3] = etf_int(0);
    t.u.elems[4] = tup(&a, 2, atom("error"), atom("badopt"));
    expect_refused(&t, 0, "Result (the new pid or an error) is a tuple");
    t.u.elems[4] = atom("system_limit");
    expect_accepted(&t, 0, &c);
    etf_arena_release(&a);
}

static void test_unlink_id_range(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_ctl c;
    etf_term t = tup(&a, 4, etf_int(DOP_UNLINK_ID), etf_int(0), A(), B());
    expect_refused(&t, 0, "UNLINK_ID: Id is 0, which erts refuses");
    t.u.elems[1] = etf_int(-5);
    expect_refused(&t, 0, "UNLINK_ID: Id is negative");
    static const uint8_t neg_big[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    t.u.elems[1] = big(neg_big, 9);
    t.u.elems[1].flags = ETF_NEGATIVE;
    expect_refused(&t, 0, "Id is negative");
    static const uint8_t b65[] = {0, 0, 0, 0, 0, 0, 0, 0, 1}; /* 2^64 */
    t.u.elems[1] = big(b65, 9);
    expect_refused(&t, 0, "UNLINK_ID: Id is wider than 64 bits");
    t.u.elems[1] = atom("one");
    expect_refused(&t, 0, "UNLINK_ID: Id is an atom, not an integer");
    t.u.elems[1] = etf_int(1);
    t.u.elems[2] = atom("a");
    expect_refused(&t, 0, "UNLINK_ID: FromPid is an atom, not a pid");
    t.u.elems[2] = A();

    /* The whole range: 1 and 2^64-1 (a bignum of 8 bytes). */
    expect_accepted(&t, 0, &c);
    assert_true(c.id == 1);
    static const uint8_t top[] = {255, 255, 255, 255, 255, 255, 255, 255};
    t.u.elems[1] = big(top, 8);
    expect_accepted(&t, 0, &c);
    assert_true(c.id == UINT64_MAX);

    /* UNLINK_ID_ACK: erts does not look at 0 there (checked against an
     * OTP 29 node, which kept the connection). */
    t.u.elems[0] = etf_int(DOP_UNLINK_ID_ACK);
    t.u.elems[1] = etf_int(0);
    expect_accepted(&t, 0, &c);
    assert_true(c.id == 0);
    etf_arena_release(&a);
}

/* ALTACT_SIG_SEND is meant to grow: receivers take larger tuples and
 * ignore flag bits they do not know, even in a bignum. */
static void test_altact_flexible_form(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_ctl c;

    /* Unknown bits 0x40 and 0x100 kept, two elements more, NAME. */
    etf_term t = tup(&a, 6, etf_int(DOP_ALTACT_SIG_SEND),
                     etf_int(0x140 | ERTS_DOP_ALTACT_SIG_FLG_NAME), A(),
                     atom("logger"), atom("future"), etf_int(42));
    expect_accepted(&t, 1, &c);
    assert_true(c.altact_flags == (0x140 | ERTS_DOP_ALTACT_SIG_FLG_NAME));
    assert_false(c.has_token);
    assert_true(etf_atom_is(&c.to, "logger"));

    /* TOKEN: the fifth element is the token, the sixth ignored. */
    t.u.elems[1] = etf_int(ERTS_DOP_ALTACT_SIG_FLG_TOKEN);
    t.u.elems[3] = B();
    expect_accepted(&t, 1, &c);
    assert_true(c.has_token);
    assert_true(etf_atom_is(&c.token, "future"));

    /* Flags as a bignum of 9 bytes (2^64 + 2^8 + ALIAS): the low 64 bits
     * are kept. */
    static const uint8_t flags9[] = {ERTS_DOP_ALTACT_SIG_FLG_ALIAS, 1, 0, 0,
                                     0, 0, 0, 0, 1};
    t = tup(&a, 4, etf_int(DOP_ALTACT_SIG_SEND), big(flags9, 9), A(), R());
    expect_accepted(&t, 1, &c);
    assert_true(c.altact_flags == (0x100 | ERTS_DOP_ALTACT_SIG_FLG_ALIAS));
    assert_true(same(&c.to, &(etf_term){.type = ETF_REF, .u.ref = &ref_a}));

    /* EXIT|PRIO to a pid: an exit signal whose reason is the payload. */
    t = tup(&a, 4, etf_int(DOP_ALTACT_SIG_SEND),
            etf_int(ERTS_DOP_ALTACT_SIG_FLG_EXIT |
                    ERTS_DOP_ALTACT_SIG_FLG_PRIO),
            A(), B());
    expect_accepted(&t, 1, &c);

    /* What erts refuses. */
    t.u.elems[1] = etf_int(-1);
    expect_refused(&t, 1, "ALTACT_SIG_SEND: Flags is negative");
    t.u.elems[1] = atom("prio");
    expect_refused(&t, 1, "ALTACT_SIG_SEND: Flags is an atom, not an integer");
    t.u.elems[1] = etf_int(ERTS_DOP_ALTACT_SIG_FLG_TOKEN);
    expect_refused(&t, 1, "the TOKEN flag is set but the tuple has 4 "
                          "elements");
    t.u.elems[1] = etf_int(ERTS_DOP_ALTACT_SIG_FLG_ALIAS |
                           ERTS_DOP_ALTACT_SIG_FLG_NAME);
    t.u.elems[3] = R();
    expect_refused(&t, 1, "both the ALIAS and the NAME flag are set");
    t.u.elems[1] = etf_int(ERTS_DOP_ALTACT_SIG_FLG_ALIAS);
    t.u.elems[3] = B();
    expect_refused(&t, 1, "To (the ALIAS flag is set) is a pid, not a "
                          "reference");
    t.u.elems[1] = etf_int(ERTS_DOP_ALTACT_SIG_FLG_NAME);
    expect_refused(&t, 1, "To (the NAME flag is set) is a pid, not an atom");
    t.u.elems[1] = etf_int(0);
    t.u.elems[3] = atom("logger");
    expect_refused(&t, 1, "To (neither ALIAS nor NAME is set) is an atom, "
                          "not a pid");
    t.u.elems[3] = B();
    t.u.elems[2] = R();
    expect_refused(&t, 1, "ALTACT_SIG_SEND: SenderPid is a reference");

    /* A flags value above INT64_MAX is written as a bignum. */
    dist_ctl s = {0};
    s.op = DOP_ALTACT_SIG_SEND;
    s.altact_flags = UINT64_C(0x8000000000000000) |
                     ERTS_DOP_ALTACT_SIG_FLG_ALIAS;
    s.from = A();
    s.to = R();
    dist_error err;
    assert_int_equal(dist_ctl_encode(&s, &a, &t, &err), 0);
    assert_int_equal(t.u.elems[1].type, ETF_BIGNUM);
    expect_accepted(&t, 1, &c);
    assert_true(c.altact_flags == s.altact_flags);
    etf_arena_release(&a);
}

/* ---- what the encoder refuses ------------------------------------------- */

static void expect_not_encoded(const dist_ctl *c, const char *words)
{
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    dist_error err = {0};
    if (dist_ctl_encode(c, &a, &t, &err) == 0)
        fail_msg("encoded; expected \"%s\"", words);
    assert_int_equal(err.code, DIST_ERR_PROTOCOL);
    if (strstr(err.message, words) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", err.message, words);
    etf_arena_release(&a);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    dist_ctl c = {0};
    c.op = 99;
    expect_not_encoded(&c, "unknown operation 99");
    c.op = DOP_UNLINK;
    expect_not_encoded(&c, "UNLINK (4)");
    c.op = DOP_NODE_LINK;
    expect_not_encoded(&c, "NODE_LINK (5)");

    c.op = DOP_SEND; /* no receiver */
    expect_not_encoded(&c, "SEND: ToPid is missing, not a pid");
    c.op = DOP_EXIT;
    c.from = A();
    c.to = B();
    expect_not_encoded(&c, "EXIT: Reason is missing, not a term");
    c.op = DOP_EXIT_TT;
    c.reason = atom("normal");
    expect_not_encoded(&c, "EXIT_TT: TraceToken is missing");
    c.op = DOP_UNLINK_ID;
    c.id = 0;
    expect_not_encoded(&c, "UNLINK_ID: Id is 0");
    c.op = DOP_MONITOR_P;
    c.ref = atom("r");
    expect_not_encoded(&c, "MONITOR_P: Ref is an atom, not a reference");

    dist_ctl s = {0};
    s.op = DOP_SPAWN_REQUEST;
    s.ref = R();
    s.from = A();
    s.group_leader = B();
    s.module = (etf_atom){"m", 1};
    s.function = (etf_atom){"f", 1};
    s.arity = 256;
    s.opts = etf_nil();
    expect_not_encoded(&s, "the MFA's Arity is 256");
    s.arity = 1;
    s.module = (etf_atom){NULL, 0};
    expect_not_encoded(&s, "the MFA's Module is missing, not an atom");
    s.module = (etf_atom){"m", 1};
    s.opts = (etf_term){0};
    expect_not_encoded(&s, "OptList is missing, not a proper list");

    dist_ctl x = {0};
    x.op = DOP_ALTACT_SIG_SEND;
    x.altact_flags = ERTS_DOP_ALTACT_SIG_FLG_NAME;
    x.from = A();
    x.to = B();
    expect_not_encoded(&x, "To (the NAME flag is set) is a pid");
    x.altact_flags = ERTS_DOP_ALTACT_SIG_FLG_TOKEN;
    x.has_token = 1; /* but no token term */
    expect_not_encoded(&x, "ALTACT_SIG_SEND: Token is missing");

    dist_ctl r = {0};
    r.op = DOP_SPAWN_REPLY;
    r.ref = R();
    r.to = A();
    r.result = B();
    r.spawn_flags = 1u << 27;
    expect_not_encoded(&r, "Flags is 134217728");
}

/* ---- constructors ------------------------------------------------------- */

static void test_constructors(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_error err;
    etf_term t;

    dist_ctl c = dist_ctl_reg_send(A(), atom("rex"));
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.u.elems[0].u.i, DOP_REG_SEND);
    assert_true(etf_atom_is(&t.u.elems[3], "rex"));
    assert_true(c.has_payload);

    c = dist_ctl_send(A(), B());
    assert_int_equal(c.op, DOP_SEND_SENDER);
    c = dist_ctl_send((etf_term){0}, B());
    assert_int_equal(c.op, DOP_SEND);
    assert_int_equal(dist_ctl_encode(&c, &a, &t, &err), 0);

    /* The ack of an UNLINK_ID {35, 9, Them, Us} is {36, 9, Us, Them}. */
    etf_term u = tup(&a, 4, etf_int(DOP_UNLINK_ID), etf_int(9), B(), A());
    dist_ctl unlink;
    expect_accepted(&u, 0, &unlink);
    dist_ctl ack = dist_ctl_unlink_id_ack(&unlink);
    assert_int_equal(dist_ctl_encode(&ack, &a, &t, &err), 0);
    etf_term want = tup(&a, 4, etf_int(DOP_UNLINK_ID_ACK), etf_int(9), A(),
                        B());
    assert_true(etf_equal(&t, &want));
    etf_arena_release(&a);
}

/* ---- the printer -------------------------------------------------------- */

static void test_format(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    char line[256];

    dist_ctl c = dist_ctl_reg_send(A(), atom("net_kernel"));
    size_t n = dist_ctl_format(&c, line, sizeof line);
    assert_string_equal(line, "REG_SEND from <a@h.80.0> to net_kernel");
    assert_int_equal(n, strlen(line));

    /* With a home node, its pids show 0, as it prints them itself. */
    etf_atom home = {"a@h", 3};
    etf_print_opts po = {0};
    po.home_node = &home;
    c = sample(DOP_MONITOR_P_EXIT, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "MONITOR_P_EXIT from victim to <0.80.0> ref "
                              "#Ref<0.3.2.1> reason noproc");

    c = sample(DOP_SPAWN_REQUEST_TT, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line,
                        "SPAWN_REQUEST_TT req #Ref<0.3.2.1> from "
                        "<b@h.5.0> leader <0.80.0> erpc:execute_call/4 "
                        "opts [monitor,{priority,high}] token "
                        "{0,7,1,<b@h.5.0>,0}");

    c = sample(DOP_SPAWN_REPLY, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "SPAWN_REPLY req #Ref<0.3.2.1> to <b@h.5.0> "
                              "flags link|monitor result <0.80.0>");

    c = sample(DOP_UNLINK_ID, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "UNLINK_ID id 18446744073709551615 from "
                              "<b@h.5.0> to <0.80.0>");

    c = sample(DOP_ALTACT_SIG_SEND, &a);
    c.altact_flags |= 0x300;
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "ALTACT_SIG_SEND flags prio|token|name|0x300 "
                              "from <b@h.5.0> to some_name token a_token");

    c = sample(DOP_SEND, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "SEND to <0.80.0>");

    c = sample(DOP_GROUP_LEADER, &a);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    assert_string_equal(line, "GROUP_LEADER leader <b@h.5.0> for <0.80.0>");

    /* A long term is cut at 120 bytes, "..." included. */
    char longname[201];
    memset(longname, 'x', 200);
    longname[200] = '\0';
    c = sample(DOP_EXIT, &a);
    c.reason = atom(longname);
    n = dist_ctl_format_opts(&c, &po, line, sizeof line);
    const char *r = strstr(line, "reason ");
    assert_non_null(r);
    assert_int_equal(strlen(r + 7), 120);
    assert_string_equal(r + 7 + 117, "...");
    assert_int_equal(n, strlen(line));

    /* ... and never inside a UTF-8 character: in <<"x\xc3\xa9\xc3\xa9...">>
     * the 118th byte is the middle of a 2-byte character, so the cut
     * comes one byte earlier. */
    char accents[1 + 2 * 100] = {'x'};
    for (int i = 0; i < 100; i++)
        memcpy(accents + 1 + 2 * i, "\xc3\xa9", 2);
    c.reason = etf_binary(accents, sizeof accents);
    dist_ctl_format_opts(&c, &po, line, sizeof line);
    r = strstr(line, "reason ");
    assert_int_equal(etf_utf8_valid((const uint8_t *)r, strlen(r)), 1);
    assert_int_equal(strlen(r + 7), 116 + 3);
    assert_string_equal(r + 7 + 116, "...");

    /* snprintf's contract. */
    c = dist_ctl_reg_send(A(), atom("net_kernel"));
    size_t whole = dist_ctl_format(&c, NULL, 0);
    assert_int_equal(whole, strlen("REG_SEND from <a@h.80.0> to net_kernel"));
    char small[9];
    memset(small, '#', sizeof small);
    assert_int_equal(dist_ctl_format(&c, small, sizeof small), whole);
    assert_string_equal(small, "REG_SEND");
    char one[1] = {'#'};
    assert_int_equal(dist_ctl_format(&c, one, 1), whole);
    assert_int_equal(one[0], '\0');
    /* A cut in the middle of a character backs off to before it. */
    etf_term e_atom = etf_atom_n("\xc3\xa9t\xc3\xa9", 5);
    c = dist_ctl_reg_send(A(), e_atom);
    char cut[30]; /* room for "REG_SEND from <a@h.80.0> to " and the
                     first byte of the 2-byte character */
    dist_ctl_format(&c, cut, sizeof cut);
    assert_string_equal(cut, "REG_SEND from <a@h.80.0> to ");

    /* An unknown operation still makes a line. */
    dist_ctl u = {0};
    u.op = 99;
    dist_ctl_format(&u, line, sizeof line);
    assert_string_equal(line, "operation 99");
    etf_arena_release(&a);
}

/* ---- control messages real nodes sent ----------------------------------- */

typedef struct vector {
    const char *what;
    const uint8_t *pkt;
    size_t len;
    int op;
    const char *line; /* dist_ctl_format */
} vector;

#define VEC(a) a, sizeof a

/* OTP 25: link(P) */
static const uint8_t v25_link[] = {
    112, 131, 104, 3, 97, 1, 88, 119, 13, 110, 50, 53, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 85, 0, 0,
    0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210,
};

/* OTP 25: unlink(P) after link(P) */
static const uint8_t v25_unlink_id[] = {
    112, 131, 104, 4, 97, 35, 97, 1, 88, 119, 13, 110, 50, 53,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 85,
    0, 0, 0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    0, 1, 0, 0, 0, 0, 0, 0, 4, 210,
};

/* OTP 25: the answer to our UNLINK_ID */
static const uint8_t v25_unlink_id_ack[] = {
    112, 131, 104, 4, 97, 36, 97, 1, 88, 119, 13, 110, 50, 53,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 93,
    0, 0, 0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    0, 1, 0, 0, 0, 0, 0, 0, 4, 210,
};

/* OTP 25: exit(P, bye) */
static const uint8_t v25_exit2[] = {
    112, 131, 104, 4, 97, 8, 88, 119, 13, 110, 50, 53, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 85, 0, 0,
    0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 119, 3, 98, 121, 101,
};

/* OTP 25: a linked process dies with a seq_trace token */
static const uint8_t v25_exit_tt[] = {
    112, 131, 104, 5, 97, 13, 88, 119, 13, 110, 50, 53, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 89, 0, 0,
    0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 104, 5, 97, 0, 97, 7,
    97, 4, 88, 119, 13, 110, 50, 53, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 89, 0, 0, 0, 0, 107, 6,
    29, 211, 97, 3, 119, 4, 98, 111, 111, 109,
};

/* OTP 25: P ! hello with a seq_trace token */
static const uint8_t v25_send_tt[] = {
    112, 131, 104, 4, 97, 12, 119, 0, 88, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    0, 1, 0, 0, 0, 0, 0, 0, 4, 210, 104, 5, 97, 0,
    97, 7, 97, 1, 88, 119, 13, 110, 50, 53, 64, 49, 50, 55,
    46, 48, 46, 48, 46, 49, 0, 0, 0, 85, 0, 0, 0, 0,
    107, 6, 29, 211, 97, 0, 131, 119, 5, 104, 101, 108, 108, 111,
};

/* OTP 25: {edist_name, Node} ! hello with a token */
static const uint8_t v25_reg_send_tt[] = {
    112, 131, 104, 5, 97, 16, 88, 119, 13, 110, 50, 53, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 85, 0, 0,
    0, 0, 107, 6, 29, 211, 119, 0, 119, 10, 101, 100, 105, 115,
    116, 95, 110, 97, 109, 101, 104, 5, 97, 0, 97, 7, 97, 2,
    88, 119, 13, 110, 50, 53, 64, 49, 50, 55, 46, 48, 46, 48,
    46, 49, 0, 0, 0, 85, 0, 0, 0, 0, 107, 6, 29, 211,
    97, 0, 131, 119, 5, 104, 101, 108, 108, 111,
};

/* OTP 25: group_leader(W, P) */
static const uint8_t v25_group_leader[] = {
    112, 131, 104, 3, 97, 7, 88, 119, 13, 110, 50, 53, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 90, 0, 0,
    0, 0, 107, 6, 29, 211, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210,
};

/* OTP 25: our SPAWN_REQUEST with [monitor, link] */
static const uint8_t v25_spawn_reply[] = {
    112, 131, 104, 5, 97, 31, 90, 0, 3, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    4, 210, 0, 0, 0, 8, 0, 0, 0, 0, 0, 129, 178, 88,
    88, 119, 15, 101, 100, 105, 115, 116, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    4, 210, 97, 3, 88, 119, 13, 110, 50, 53, 64, 49, 50, 55,
    46, 48, 46, 48, 46, 49, 0, 0, 0, 95, 0, 0, 0, 0,
    107, 6, 29, 211,
};

/* OTP 25: our SPAWN_REQUEST with [bogus_option] */
static const uint8_t v25_spawn_reply_2[] = {
    112, 131, 104, 5, 97, 31, 90, 0, 3, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    4, 210, 0, 0, 0, 9, 0, 0, 0, 0, 0, 129, 182, 66,
    88, 119, 15, 101, 100, 105, 115, 116, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    4, 210, 97, 0, 119, 6, 98, 97, 100, 111, 112, 116,
};

/* OTP 27: the process we monitored by name dies */
static const uint8_t v27_monitor_p_exit[] = {
    112, 131, 104, 5, 97, 21, 119, 6, 118, 105, 99, 116, 105, 109,
    88, 119, 15, 101, 100, 105, 115, 116, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    4, 210, 90, 0, 3, 119, 15, 101, 100, 105, 115, 116, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 4, 210, 0, 0,
    0, 4, 0, 0, 0, 0, 0, 131, 137, 212, 104, 2, 119, 8,
    115, 104, 117, 116, 100, 111, 119, 110, 119, 4, 116, 101, 115, 116,
};

/* OTP 27: erlang:demonitor/1 of a monitor by name */
static const uint8_t v27_demonitor_p[] = {
    112, 131, 104, 4, 97, 20, 88, 119, 13, 110, 50, 55, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 80, 119, 10, 101, 100, 105, 115, 116, 95,
    110, 97, 109, 101, 90, 0, 3, 119, 13, 110, 50, 55, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 107, 6, 30, 80, 0, 3,
    201, 152, 202, 196, 0, 1, 95, 121, 232, 78,
};

/* OTP 27: our SPAWN_REQUEST_TT */
static const uint8_t v27_spawn_reply_tt[] = {
    112, 131, 104, 6, 97, 32, 90, 0, 3, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    4, 210, 0, 0, 0, 18, 0, 0, 0, 0, 0, 131, 197, 89,
    88, 119, 15, 101, 100, 105, 115, 116, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    4, 210, 97, 0, 88, 119, 13, 110, 50, 55, 64, 49, 50, 55,
    46, 48, 46, 48, 46, 49, 0, 0, 0, 107, 0, 0, 0, 0,
    107, 6, 30, 80, 104, 5, 97, 0, 97, 7, 97, 1, 88, 119,
    13, 110, 50, 55, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 107, 0, 0, 0, 0, 107, 6, 30, 80, 97, 0,
};

/* OTP 27: erlang:send(OurRef, hi_alias) */
static const uint8_t v27_alias_send[] = {
    112, 131, 104, 3, 97, 33, 88, 119, 13, 110, 50, 55, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 131, 90, 0, 3, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    4, 210, 0, 0, 0, 2, 0, 0, 0, 0, 0, 132, 52, 44,
    131, 119, 8, 104, 105, 95, 97, 108, 105, 97, 115,
};

/* OTP 27: the same with a token */
static const uint8_t v27_alias_send_tt[] = {
    112, 131, 104, 4, 97, 34, 88, 119, 13, 110, 50, 55, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 131, 90, 0, 3, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    4, 210, 0, 0, 0, 2, 0, 0, 0, 0, 0, 132, 52, 44,
    104, 5, 97, 0, 97, 7, 97, 7, 88, 119, 13, 110, 50, 55,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88,
    0, 0, 0, 0, 107, 6, 30, 131, 97, 6, 131, 119, 8, 104,
    105, 95, 97, 108, 105, 97, 115,
};

/* OTP 27: a linked process dies (DFLAG_EXIT_PAYLOAD) */
static const uint8_t v27_payload_exit[] = {
    112, 131, 104, 3, 97, 24, 88, 119, 13, 110, 50, 55, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 91, 0, 0,
    0, 0, 107, 6, 30, 131, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 131, 119, 4, 98, 111, 111,
    109,
};

/* OTP 29: erlang:monitor(process, P) */
static const uint8_t v29_monitor_p[] = {
    112, 131, 104, 4, 97, 19, 88, 119, 13, 110, 50, 57, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 228, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 90, 0, 3, 119, 13, 110,
    50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 107, 6,
    30, 228, 0, 1, 31, 144, 10, 196, 0, 1, 169, 187, 55, 78,
};

/* OTP 29: our MONITOR_P of a name nobody has */
static const uint8_t v29_payload_monitor_p_exit[] = {
    112, 131, 104, 4, 97, 28, 119, 15, 110, 111, 95, 115, 117, 99,
    104, 95, 112, 114, 111, 99, 101, 115, 115, 88, 119, 15, 101, 100,
    105, 115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 210, 90, 0, 3,
    119, 15, 101, 100, 105, 115, 116, 64, 49, 50, 55, 46, 48, 46,
    48, 46, 49, 0, 0, 4, 210, 0, 0, 0, 5, 0, 0, 0,
    0, 0, 133, 204, 66, 131, 119, 6, 110, 111, 112, 114, 111, 99,
};

/* OTP 29: exit(P, bye) (DFLAG_EXIT_PAYLOAD) */
static const uint8_t v29_payload_exit2[] = {
    112, 131, 104, 3, 97, 26, 88, 119, 13, 110, 50, 57, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 228, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 131, 119, 3, 98, 121, 101,
};

/* OTP 29: a linked process with a token dies */
static const uint8_t v29_payload_exit_tt[] = {
    112, 131, 104, 4, 97, 25, 88, 119, 13, 110, 50, 57, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 92, 0, 0,
    0, 0, 107, 6, 30, 228, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 104, 5, 97, 0, 97, 7,
    97, 4, 88, 119, 13, 110, 50, 57, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 92, 0, 0, 0, 0, 107, 6,
    30, 228, 97, 3, 131, 119, 4, 98, 111, 111, 109,
};

/* OTP 29: erlang:spawn_request(OurNode, m, f, [1, 2], [monitor, link]) */
static const uint8_t v29_spawn_request[] = {
    112, 131, 104, 6, 97, 29, 90, 0, 3, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 107, 6, 30, 228,
    0, 1, 31, 146, 10, 196, 0, 1, 169, 187, 55, 78, 88, 119,
    13, 110, 50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 88, 0, 0, 0, 0, 107, 6, 30, 228, 88, 119,
    13, 110, 50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 75, 0, 0, 0, 0, 107, 6, 30, 228, 104, 3,
    119, 1, 109, 119, 1, 102, 97, 2, 108, 0, 0, 0, 2, 119,
    7, 109, 111, 110, 105, 116, 111, 114, 119, 4, 108, 105, 110, 107,
    106, 131, 107, 0, 2, 1, 2,
};

/* OTP 29: the same with a token */
static const uint8_t v29_spawn_request_tt[] = {
    112, 131, 104, 7, 97, 30, 90, 0, 3, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 107, 6, 30, 228,
    0, 1, 31, 147, 10, 196, 0, 1, 169, 187, 55, 78, 88, 119,
    13, 110, 50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 88, 0, 0, 0, 0, 107, 6, 30, 228, 88, 119,
    13, 110, 50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 75, 0, 0, 0, 0, 107, 6, 30, 228, 104, 3,
    119, 1, 109, 119, 1, 102, 97, 2, 108, 0, 0, 0, 2, 119,
    7, 109, 111, 110, 105, 116, 111, 114, 119, 4, 108, 105, 110, 107,
    106, 104, 5, 97, 0, 97, 7, 97, 6, 88, 119, 13, 110, 50,
    57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0,
    88, 0, 0, 0, 0, 107, 6, 30, 228, 97, 1, 131, 107, 0,
    2, 1, 2,
};

/* OTP 29: P ! hello with a token (DFLAG_SEND_SENDER) */
static const uint8_t v29_send_sender_tt[] = {
    112, 131, 104, 4, 97, 23, 88, 119, 13, 110, 50, 57, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 228, 88, 119, 15, 101, 100, 105, 115, 116,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 4, 210, 104, 5, 97, 0, 97, 7,
    97, 1, 88, 119, 13, 110, 50, 57, 64, 49, 50, 55, 46, 48,
    46, 48, 46, 49, 0, 0, 0, 88, 0, 0, 0, 0, 107, 6,
    30, 228, 97, 0, 131, 119, 5, 104, 101, 108, 108, 111,
};

/* OTP 29: {edist_name, OurNode} ! hello */
static const uint8_t v29_reg_send[] = {
    112, 131, 104, 4, 97, 6, 88, 119, 13, 110, 50, 57, 64, 49,
    50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88, 0, 0,
    0, 0, 107, 6, 30, 228, 119, 0, 119, 10, 101, 100, 105, 115,
    116, 95, 110, 97, 109, 101, 131, 119, 5, 104, 101, 108, 108, 111,
};

/* OTP 29: erlang:send(OurRef, hi_alias) with a token (DFLAG_ALTACT_SIG) */
static const uint8_t v29_altact_sig_send[] = {
    112, 131, 104, 5, 97, 37, 97, 6, 88, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88,
    0, 0, 0, 0, 107, 6, 30, 228, 90, 0, 3, 119, 15, 101,
    100, 105, 115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 4, 210, 0, 0, 0, 2, 0, 0, 0, 0, 0, 133,
    175, 166, 104, 5, 97, 0, 97, 7, 97, 7, 88, 119, 13, 110,
    50, 57, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    0, 88, 0, 0, 0, 0, 107, 6, 30, 228, 97, 6, 131, 119,
    8, 104, 105, 95, 97, 108, 105, 97, 115,
};

/* OTP 29: erlang:send(OurRef, hi_prio, [priority]) */
static const uint8_t v29_altact_sig_send_2[] = {
    112, 131, 104, 4, 97, 37, 97, 5, 88, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88,
    0, 0, 0, 0, 107, 6, 30, 228, 90, 0, 3, 119, 15, 101,
    100, 105, 115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 4, 210, 0, 0, 0, 2, 0, 0, 0, 0, 0, 133,
    175, 166, 131, 119, 7, 104, 105, 95, 112, 114, 105, 111,
};

/* OTP 29: erlang:exit(P, prio_bye, [priority]) */
static const uint8_t v29_altact_sig_send_3[] = {
    112, 131, 104, 4, 97, 37, 97, 17, 88, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88,
    0, 0, 0, 0, 107, 6, 30, 228, 88, 119, 15, 101, 100, 105,
    115, 116, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0,
    0, 1, 0, 0, 0, 0, 0, 0, 4, 210, 131, 119, 8, 112,
    114, 105, 111, 95, 98, 121, 101,
};

/* OTP 29: erlang:send({edist_name, OurNode}, hi_prio_name, [priority]) */
static const uint8_t v29_altact_sig_send_4[] = {
    112, 131, 104, 4, 97, 37, 97, 9, 88, 119, 13, 110, 50, 57,
    64, 49, 50, 55, 46, 48, 46, 48, 46, 49, 0, 0, 0, 88,
    0, 0, 0, 0, 107, 6, 30, 228, 119, 10, 101, 100, 105, 115,
    116, 95, 110, 97, 109, 101, 131, 119, 12, 104, 105, 95, 112, 114,
    105, 111, 95, 110, 97, 109, 101,
};

static const vector vectors[] = {
    {"OTP 25 LINK", VEC(v25_link), DOP_LINK,
     "LINK from <'n25@127.0.0.1'.85.0> to <'edist@127.0.0.1'.1.0>"},
    {"OTP 25 UNLINK_ID", VEC(v25_unlink_id), DOP_UNLINK_ID,
     "UNLINK_ID id 1 from <'n25@127.0.0.1'.85.0> to"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 25 UNLINK_ID_ACK", VEC(v25_unlink_id_ack), DOP_UNLINK_ID_ACK,
     "UNLINK_ID_ACK id 1 from <'n25@127.0.0.1'.93.0> to"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 25 EXIT2", VEC(v25_exit2), DOP_EXIT2,
     "EXIT2 from <'n25@127.0.0.1'.85.0> to <'edist@127.0.0.1'.1.0>"
     " reason bye"},
    {"OTP 25 EXIT_TT", VEC(v25_exit_tt), DOP_EXIT_TT,
     "EXIT_TT from <'n25@127.0.0.1'.89.0> to <'edist@127.0.0.1'.1.0>"
     " reason boom token {0,7,4,<'n25@127.0.0.1'.89.0>,3}"},
    {"OTP 25 SEND_TT", VEC(v25_send_tt), DOP_SEND_TT,
     "SEND_TT to <'edist@127.0.0.1'.1.0> token"
     " {0,7,1,<'n25@127.0.0.1'.85.0>,0}"},
    {"OTP 25 REG_SEND_TT", VEC(v25_reg_send_tt), DOP_REG_SEND_TT,
     "REG_SEND_TT from <'n25@127.0.0.1'.85.0> to edist_name token"
     " {0,7,2,<'n25@127.0.0.1'.85.0>,0}"},
    {"OTP 25 GROUP_LEADER", VEC(v25_group_leader), DOP_GROUP_LEADER,
     "GROUP_LEADER leader <'n25@127.0.0.1'.90.0> for"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 25 SPAWN_REPLY", VEC(v25_spawn_reply), DOP_SPAWN_REPLY,
     "SPAWN_REPLY req #Ref<'edist@127.0.0.1'.8499800.0.8> to"
     " <'edist@127.0.0.1'.1.0> flags link|monitor result"
     " <'n25@127.0.0.1'.95.0>"},
    {"OTP 25 SPAWN_REPLY", VEC(v25_spawn_reply_2), DOP_SPAWN_REPLY,
     "SPAWN_REPLY req #Ref<'edist@127.0.0.1'.8500802.0.9> to"
     " <'edist@127.0.0.1'.1.0> flags 0 result badopt"},
    {"OTP 27 MONITOR_P_EXIT", VEC(v27_monitor_p_exit), DOP_MONITOR_P_EXIT,
     "MONITOR_P_EXIT from victim to <'edist@127.0.0.1'.1.0> ref"
     " #Ref<'edist@127.0.0.1'.8620500.0.4> reason {shutdown,test}"},
    {"OTP 27 DEMONITOR_P", VEC(v27_demonitor_p), DOP_DEMONITOR_P,
     "DEMONITOR_P from <'n27@127.0.0.1'.88.0> to edist_name ref"
     " #Ref<'n27@127.0.0.1'.1601824846.3401842689.248216>"},
    {"OTP 27 SPAWN_REPLY_TT", VEC(v27_spawn_reply_tt), DOP_SPAWN_REPLY_TT,
     "SPAWN_REPLY_TT req #Ref<'edist@127.0.0.1'.8635737.0.18> to"
     " <'edist@127.0.0.1'.1.0> flags 0 result"
     " <'n27@127.0.0.1'.107.0> token"
     " {0,7,1,<'n27@127.0.0.1'.107.0>,0}"},
    {"OTP 27 ALIAS_SEND", VEC(v27_alias_send), DOP_ALIAS_SEND,
     "ALIAS_SEND from <'n27@127.0.0.1'.88.0> to"
     " #Ref<'edist@127.0.0.1'.8664108.0.2>"},
    {"OTP 27 ALIAS_SEND_TT", VEC(v27_alias_send_tt), DOP_ALIAS_SEND_TT,
     "ALIAS_SEND_TT from <'n27@127.0.0.1'.88.0> to"
     " #Ref<'edist@127.0.0.1'.8664108.0.2> token"
     " {0,7,7,<'n27@127.0.0.1'.88.0>,6}"},
    {"OTP 27 PAYLOAD_EXIT", VEC(v27_payload_exit), DOP_PAYLOAD_EXIT,
     "PAYLOAD_EXIT from <'n27@127.0.0.1'.91.0> to"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 29 MONITOR_P", VEC(v29_monitor_p), DOP_MONITOR_P,
     "MONITOR_P from <'n29@127.0.0.1'.88.0> to"
     " <'edist@127.0.0.1'.1.0> ref"
     " #Ref<'n29@127.0.0.1'.2847618894.180617217.73616>"},
    {"OTP 29 PAYLOAD_MONITOR_P_EXIT", VEC(v29_payload_monitor_p_exit),
     DOP_PAYLOAD_MONITOR_P_EXIT,
     "PAYLOAD_MONITOR_P_EXIT from no_such_process to"
     " <'edist@127.0.0.1'.1.0> ref"
     " #Ref<'edist@127.0.0.1'.8768578.0.5>"},
    {"OTP 29 PAYLOAD_EXIT2", VEC(v29_payload_exit2), DOP_PAYLOAD_EXIT2,
     "PAYLOAD_EXIT2 from <'n29@127.0.0.1'.88.0> to"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 29 PAYLOAD_EXIT_TT", VEC(v29_payload_exit_tt), DOP_PAYLOAD_EXIT_TT,
     "PAYLOAD_EXIT_TT from <'n29@127.0.0.1'.92.0> to"
     " <'edist@127.0.0.1'.1.0> token"
     " {0,7,4,<'n29@127.0.0.1'.92.0>,3}"},
    {"OTP 29 SPAWN_REQUEST", VEC(v29_spawn_request), DOP_SPAWN_REQUEST,
     "SPAWN_REQUEST req"
     " #Ref<'n29@127.0.0.1'.2847618894.180617217.73618> from"
     " <'n29@127.0.0.1'.88.0> leader <'n29@127.0.0.1'.75.0> m:f/2"
     " opts [monitor,link]"},
    {"OTP 29 SPAWN_REQUEST_TT", VEC(v29_spawn_request_tt),
     DOP_SPAWN_REQUEST_TT,
     "SPAWN_REQUEST_TT req"
     " #Ref<'n29@127.0.0.1'.2847618894.180617217.73619> from"
     " <'n29@127.0.0.1'.88.0> leader <'n29@127.0.0.1'.75.0> m:f/2"
     " opts [monitor,link] token {0,7,6,<'n29@127.0.0.1'.88.0>,1}"},
    {"OTP 29 SEND_SENDER_TT", VEC(v29_send_sender_tt), DOP_SEND_SENDER_TT,
     "SEND_SENDER_TT from <'n29@127.0.0.1'.88.0> to"
     " <'edist@127.0.0.1'.1.0> token"
     " {0,7,1,<'n29@127.0.0.1'.88.0>,0}"},
    {"OTP 29 REG_SEND", VEC(v29_reg_send), DOP_REG_SEND,
     "REG_SEND from <'n29@127.0.0.1'.88.0> to edist_name"},
    {"OTP 29 ALTACT_SIG_SEND", VEC(v29_altact_sig_send), DOP_ALTACT_SIG_SEND,
     "ALTACT_SIG_SEND flags token|alias from <'n29@127.0.0.1'.88.0>"
     " to #Ref<'edist@127.0.0.1'.8761254.0.2> token"
     " {0,7,7,<'n29@127.0.0.1'.88.0>,6}"},
    {"OTP 29 ALTACT_SIG_SEND", VEC(v29_altact_sig_send_2), DOP_ALTACT_SIG_SEND,
     "ALTACT_SIG_SEND flags prio|alias from <'n29@127.0.0.1'.88.0>"
     " to #Ref<'edist@127.0.0.1'.8761254.0.2>"},
    {"OTP 29 ALTACT_SIG_SEND", VEC(v29_altact_sig_send_3), DOP_ALTACT_SIG_SEND,
     "ALTACT_SIG_SEND flags prio|exit from <'n29@127.0.0.1'.88.0> to"
     " <'edist@127.0.0.1'.1.0>"},
    {"OTP 29 ALTACT_SIG_SEND", VEC(v29_altact_sig_send_4), DOP_ALTACT_SIG_SEND,
     "ALTACT_SIG_SEND flags prio|name from <'n29@127.0.0.1'.88.0> to"
     " edist_name"},
};

static void test_real_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        const vector *v = &vectors[i];
        etf_arena a;
        etf_arena_init(&a);
        dist_msg m;
        dist_error err;
        if (dist_msg_decode(v->pkt, v->len, &a, &m, &err) != 0)
            fail_msg("%s: %s", v->what, err.message);
        dist_ctl c;
        if (dist_ctl_decode(&m.control, m.has_payload, &c, &err) != 0)
            fail_msg("%s: %s", v->what, err.message);
        assert_int_equal(c.op, v->op);

        char line[512];
        dist_ctl_format(&c, line, sizeof line);
        if (strcmp(line, v->line) != 0)
            fail_msg("%s: printed\n  %s\nnot\n  %s", v->what, line, v->line);

        /* Built again, the control term has the node's very bytes: they
         * follow 112, 131 in the packet. */
        etf_term again;
        if (dist_ctl_encode(&c, &a, &again, &err) != 0)
            fail_msg("%s: %s", v->what, err.message);
        etf_buf out = {0};
        etf_error ee;
        assert_int_equal(etf_encode(&again, ETF_ENCODE_NO_VERSION, &out, &ee),
                         0);
        etf_term ignored;
        size_t used;
        assert_int_equal(etf_decode_term(v->pkt + 2, v->len - 2, NULL, &a,
                                         &ignored, &used, &ee),
                         0);
        assert_int_equal(out.len, used);
        assert_memory_equal(out.data, v->pkt + 2, used);
        etf_buf_release(&out);
        etf_arena_release(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_names_and_payloads),
        cmocka_unit_test(test_round_trip_every_op),
        cmocka_unit_test(test_tuple_shapes),
        cmocka_unit_test(test_refused_operations),
        cmocka_unit_test(test_refused_arity_and_payload),
        cmocka_unit_test(test_refused_field_types),
        cmocka_unit_test(test_refused_spawn),
        cmocka_unit_test(test_unlink_id_range),
        cmocka_unit_test(test_altact_flexible_form),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_real_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
