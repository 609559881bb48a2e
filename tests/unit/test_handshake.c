/*
 * test_handshake.c -- unit tests of handshake/: the digest, both roles of
 * the engine against each other in memory (v6, legacy v5, dynamic names,
 * every status), replays of handshakes captured between real nodes, every
 * malformed and truncated message, the flag tables, cookie discovery and
 * node names.
 *
 * The captured vectors. Two real nodes of the same release, A connecting
 * to B (cookie "sekrit"), with a relay in between that prints each
 * 2-byte-framed message in hex until the ack:
 *
 *   hs_peer proxy PPORT BPORT        (tests/integration/hs_peer.c)
 *   erl -sname a -setcookie sekrit -epmd_module hs_epmd -hs_epmd b PPORT 6 \
 *       -eval "net_kernel:connect_node('b@vm')"
 *
 * (hs_epmd.erl, next to hs_peer.c, makes A find B's name at the relay's
 * port.) OTP 25.2.3 for the static-name pair and the wrong cookie (A with
 * -setcookie wrong), OTP 29.1 with -sname undefined for the dynamic name.
 * The digests are also checked against erlang:md5([Cookie,
 * integer_to_list(Challenge)]) computed on an OTP 25 node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "handshake/hs.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

typedef struct bytes {
    uint8_t d[1024];
    size_t n;
} bytes;

static bytes hex(const char *h)
{
    bytes b;
    b.n = strlen(h) / 2;
    assert_true(b.n <= sizeof b.d);
    for (size_t i = 0; i < b.n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        b.d[i] = (uint8_t)v;
    }
    return b;
}

/* Everything the engine traced, to check that the cookie is never in it. */
static char traced[65536];
static void collect(void *arg, const char *line)
{
    (void)arg;
    size_t n = strlen(traced);
    snprintf(traced + n, sizeof traced - n, "%s\n", line);
}

static hs_config base_config(const char *name, const char *cookie)
{
    hs_config c;
    memset(&c, 0, sizeof c);
    c.node_name = name;
    c.creation = 7;
    c.cookie = cookie;
    c.cookie_len = strlen(cookie);
    c.alive_answer = 1;
    c.trace = collect;
    return c;
}

static hs_ctx *new_engine(hs_role role, const hs_config *cfg)
{
    hs_ctx *hs = malloc(sizeof *hs);
    assert_non_null(hs);
    int rc = hs_init(hs, role, cfg);
    if (rc != 0)
        fail_msg("hs_init: %s", hs_get_error(hs)->message);
    return hs;
}

static void free_engine(hs_ctx *hs)
{
    hs_clear(hs);
    free(hs);
}

/* Takes all of the engine's output. */
static bytes take(hs_ctx *hs)
{
    bytes b;
    size_t len;
    const uint8_t *p = hs_send_buf(hs, &len);
    assert_true(len <= sizeof b.d);
    memcpy(b.d, p, len);
    b.n = len;
    hs_send_ack(hs, len);
    return b;
}

static void expect_output(hs_ctx *hs, const char *want_hex)
{
    bytes got = take(hs), want = hex(want_hex);
    assert_int_equal(got.n, want.n);
    assert_memory_equal(got.d, want.d, want.n);
}

static void feed_all(hs_ctx *hs, const char *h)
{
    bytes b = hex(h);
    assert_int_equal(hs_feed(hs, b.d, b.n), b.n);
}

/* Runs two engines against each other in memory until neither moves. The
 * acceptor's decision is `decide` (HS_STATUS_NAMED: give the dynamic name
 * "given@<host>" with creation 99). */
static void pump(hs_ctx *a, hs_ctx *b, hs_status decide)
{
    for (int round = 0; round < 50; round++) {
        int moved = 0;
        hs_ctx *pair[2][2] = {{a, b}, {b, a}};
        for (int i = 0; i < 2; i++) {
            hs_ctx *from = pair[i][0], *to = pair[i][1];
            size_t len;
            const uint8_t *p = hs_send_buf(from, &len);
            if (len != 0) {
                size_t used = hs_feed(to, p, len);
                hs_send_ack(from, len);
                moved = 1;
                (void)used;
            }
            if (hs_state(to) & HS_DECIDE) {
                if (decide == HS_STATUS_NAMED) {
                    char name[300];
                    snprintf(name, sizeof name, "given@%s",
                             hs_get_result(to)->peer_name);
                    assert_int_equal(hs_decide_named(to, name, 99), 0);
                } else {
                    assert_int_equal(hs_decide(to, decide), 0);
                }
                moved = 1;
            }
        }
        if (!moved)
            return;
    }
    fail_msg("the engines keep talking");
}

/* The peer closed: what a caller does when read() returns 0. */
static void close_on(hs_ctx *hs)
{
    if (hs_state(hs) & HS_RECV)
        hs_recv_eof(hs);
}

static const char *COOKIE = "Zq-the-cookie-7";

static void assert_no_cookie(const hs_ctx *a, const hs_ctx *b)
{
    assert_null(strstr(traced, COOKIE));
    if (a)
        assert_null(strstr(hs_get_error(a)->message, COOKIE));
    if (b)
        assert_null(strstr(hs_get_error(b)->message, COOKIE));
}

static int setup(void **state)
{
    (void)state;
    traced[0] = 0;
    return 0;
}

/* ---------------------------------------------------------------------
 * Digest
 * ------------------------------------------------------------------- */

static void test_digest_known_answers(void **state)
{
    (void)state;
    static const struct {
        const char *cookie;
        uint32_t challenge;
        const char *md5;
    } v[] = {
        /* erlang:md5([Cookie, integer_to_list(Challenge)]) on OTP 25 */
        {"sekrit", 0, "8c4c66d25b20cca7f03b69bf8cc4ab8e"},
        {"sekrit", 1, "81aeaf1acc37b15c014c8596a48114bc"},
        {"sekrit", 4294967295u, "c38503c315a79e656c40184f444e59d6"},
        {"sekrit", 2147483648u, "35eec57041a59cd064bf4bde1dc460c1"},
        {"sekrit", 899739422, "4a723698f71a905925336ed8331fd116"},
        {"sekrit", 2142691717, "63ee5d8ef9b24f7e2bfadcd63a72213d"},
        {"wrong", 445639840, "c0c2d8ace0fac804d06762f8c06e4c13"},
        {"a b ~!", 123456789, "21b4ba3e637c19788e3c341057d734e1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t out[16];
        assert_int_equal(hs_digest((const uint8_t *)v[i].cookie,
                                   strlen(v[i].cookie), v[i].challenge, out), 0);
        bytes want = hex(v[i].md5);
        assert_memory_equal(out, want.d, 16);
        assert_true(hs_digest_equal(out, want.d));
        want.d[15] ^= 1;
        assert_false(hs_digest_equal(out, want.d));
    }
    /* The longest cookie, 255 x 'x', challenge 42. */
    char x[255];
    memset(x, 'x', sizeof x);
    uint8_t out[16];
    assert_int_equal(hs_digest((const uint8_t *)x, sizeof x, 42, out), 0);
    bytes want = hex("6392ed5dd8b6051944e7d968a8e0bc7c");
    assert_memory_equal(out, want.d, 16);
}

static void test_challenge_random(void **state)
{
    (void)state;
    uint32_t a, b, c;
    assert_int_equal(hs_challenge_random(&a), 0);
    assert_int_equal(hs_challenge_random(&b), 0);
    assert_int_equal(hs_challenge_random(&c), 0);
    assert_false(a == b && b == c);
}

/* ---------------------------------------------------------------------
 * Replays of real handshakes
 * ------------------------------------------------------------------- */

/* OTP 25.2.3: a@vm (creation 0x6b060c9f) connects to b@vm (creation
 * 0x6b060c9e); both offer 0xd07df7fbd. */
#define R25_NAME   "00134e0000000d07df7fbd6b060c9f00046140766d"
#define R25_STATUS "0003736f6b"
#define R25_CHAL   "00174e0000000d07df7fbd35a0ef1e6b060c9e00046240766d"
#define R25_REPLY  "0015727fb6e1854a723698f71a905925336ed8331fd116"
#define R25_ACK    "00116163ee5d8ef9b24f7e2bfadcd63a72213d"

static void test_replay_otp25_as_acceptor(void **state)
{
    (void)state;
    hs_config c = base_config("b@vm", "sekrit");
    c.creation = 0x6b060c9e;
    c.flags = UINT64_C(0xd07df7fbd);
    c.fixed_challenge = 1;
    c.challenge = 0x35a0ef1e;
    hs_ctx *b = new_engine(HS_ACCEPTOR, &c);
    assert_int_equal(hs_state(b), HS_RECV);
    feed_all(b, R25_NAME);
    assert_int_equal(hs_state(b), HS_DECIDE);
    const hs_result *r = hs_get_result(b);
    assert_string_equal(r->peer_name, "a@vm");
    assert_int_equal(r->peer_creation, 0x6b060c9f);
    assert_true(r->peer_flags == UINT64_C(0xd07df7fbd));
    assert_int_equal(hs_decide(b, HS_STATUS_OK), 0);
    /* Byte for byte what OTP's acceptor sent. */
    expect_output(b, R25_STATUS R25_CHAL);
    feed_all(b, R25_REPLY);
    expect_output(b, R25_ACK);
    assert_int_equal(hs_state(b), HS_DONE);
    assert_true(r->flags == UINT64_C(0xd07df7fbd));
    free_engine(b);
}

static void test_replay_otp25_as_initiator(void **state)
{
    (void)state;
    hs_config c = base_config("a@vm", "sekrit");
    c.creation = 0x6b060c9f;
    c.flags = UINT64_C(0xd07df7fbd);
    c.fixed_challenge = 1;
    c.challenge = 0x7fb6e185;
    c.peer_name = "b@vm";
    hs_ctx *a = new_engine(HS_INITIATOR, &c);
    assert_int_equal(hs_state(a), HS_SEND | HS_RECV);
    expect_output(a, R25_NAME);
    feed_all(a, R25_STATUS R25_CHAL);
    expect_output(a, R25_REPLY);
    feed_all(a, R25_ACK);
    assert_int_equal(hs_state(a), HS_DONE);
    const hs_result *r = hs_get_result(a);
    assert_string_equal(r->peer_name, "b@vm");
    assert_int_equal(r->peer_creation, 0x6b060c9e);
    assert_int_equal(r->status, HS_STATUS_OK);
    assert_int_equal(r->peer_version, 6);
    free_engine(a);
}

/* OTP 25.2.3, A started with -setcookie wrong: B closed after the reply. */
#define RW_NAME  "00134e0000000d07df7fbd6b060ca300046140766d"
#define RW_CHAL  "00174e0000000d07df7fbd1a8feca06b060ca300046240766d"
#define RW_REPLY "0015726a33d997c0c2d8ace0fac804d06762f8c06e4c13"

static void test_replay_wrong_cookie(void **state)
{
    (void)state;
    /* Our acceptor gets the reply made with the other cookie. */
    hs_config c = base_config("b@vm", "sekrit");
    c.creation = 0x6b060ca3;
    c.flags = UINT64_C(0xd07df7fbd);
    c.fixed_challenge = 1;
    c.challenge = 0x1a8feca0;
    hs_ctx *b = new_engine(HS_ACCEPTOR, &c);
    feed_all(b, RW_NAME);
    assert_int_equal(hs_decide(b, HS_STATUS_OK), 0);
    expect_output(b, R25_STATUS RW_CHAL);
    feed_all(b, RW_REPLY);
    /* Refused without a word, as OTP does. */
    assert_int_equal(hs_state(b), HS_FAILED);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_COOKIE);
    assert_int_equal(hs_error_exit_code(hs_get_error(b)), 4);
    assert_non_null(strstr(hs_get_error(b)->message, "a@vm"));
    free_engine(b);

    /* Our initiator with the wrong cookie sees the connection close. */
    hs_config ci = base_config("a@vm", "wrong");
    ci.creation = 0x6b060ca3;
    ci.flags = UINT64_C(0xd07df7fbd);
    ci.fixed_challenge = 1;
    ci.challenge = 0x6a33d997;
    hs_ctx *a = new_engine(HS_INITIATOR, &ci);
    expect_output(a, RW_NAME);
    feed_all(a, R25_STATUS RW_CHAL);
    expect_output(a, RW_REPLY);
    hs_recv_eof(a);
    assert_int_equal(hs_state(a), HS_FAILED);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_COOKIE);
    assert_int_equal(hs_error_exit_code(hs_get_error(a)), 4);
    assert_non_null(strstr(hs_get_error(a)->message, "cookie"));
    free_engine(a);
}

/* OTP 29.1: a node started with -sname undefined asks b@vm for a name and
 * gets 9QUP3D9KFQPL@vm, creation 0x177e13ed. */
#define R29_NAME   "00114e0000006f07df7fbc000000000002766d"
#define R29_NAMED  "001c736e616d65643a000f395155503344394b4651504c40766d177e13ed"
#define R29_CHAL   "00174e0000006f07df7fbcec2f0ec66b060ca100046240766d"
#define R29_REPLY  "0015729963d9f60478c2a1b6a7637c76306c98de0655d8"
#define R29_ACK    "0011619337f9a95f09a75001f58133655eb355"

static void test_replay_otp29_dynamic_name(void **state)
{
    (void)state;
    hs_config c = base_config("vm", "sekrit");
    c.dynamic_name = 1;
    c.flags = UINT64_C(0x6d07df7fbd); /* PUBLISHED goes, NAME_ME comes */
    c.fixed_challenge = 1;
    c.challenge = 0x9963d9f6;
    hs_ctx *a = new_engine(HS_INITIATOR, &c);
    expect_output(a, R29_NAME);
    feed_all(a, R29_NAMED R29_CHAL);
    expect_output(a, R29_REPLY);
    feed_all(a, R29_ACK);
    assert_int_equal(hs_state(a), HS_DONE);
    const hs_result *r = hs_get_result(a);
    assert_string_equal(r->our_name, "9QUP3D9KFQPL@vm");
    assert_int_equal(r->our_creation, 0x177e13ed);
    assert_int_equal(r->status, HS_STATUS_NAMED);
    free_engine(a);

    hs_config cb = base_config("b@vm", "sekrit");
    cb.creation = 0x6b060ca1;
    cb.flags = UINT64_C(0x6d07df7fbd);
    cb.fixed_challenge = 1;
    cb.challenge = 0xec2f0ec6;
    hs_ctx *b = new_engine(HS_ACCEPTOR, &cb);
    feed_all(b, R29_NAME);
    assert_int_equal(hs_state(b), HS_DECIDE);
    assert_true(hs_get_result(b)->peer_dynamic);
    assert_string_equal(hs_get_result(b)->peer_name, "vm");
    /* A plain ok is not an answer to a request for a name. */
    hs_ctx *b2 = new_engine(HS_ACCEPTOR, &cb);
    feed_all(b2, R29_NAME);
    assert_int_equal(hs_decide(b2, HS_STATUS_OK), -1);
    assert_int_equal(hs_get_error(b2)->code, HS_ERR_USAGE);
    free_engine(b2);
    assert_int_equal(hs_decide_named(b, "9QUP3D9KFQPL@vm", 0x177e13ed), 0);
    expect_output(b, R29_NAMED R29_CHAL);
    feed_all(b, R29_REPLY);
    expect_output(b, R29_ACK);
    assert_int_equal(hs_state(b), HS_DONE);
    assert_string_equal(hs_get_result(b)->peer_name, "9QUP3D9KFQPL@vm");
    free_engine(b);
}

/* hs_feed takes nothing past the ack: what follows is the connection. */
static void test_feed_stops_at_the_end(void **state)
{
    (void)state;
    hs_config c = base_config("a@vm", "sekrit");
    c.creation = 0x6b060c9f;
    c.flags = UINT64_C(0xd07df7fbd);
    c.fixed_challenge = 1;
    c.challenge = 0x7fb6e185;
    hs_ctx *a = new_engine(HS_INITIATOR, &c);
    take(a);
    bytes b = hex(R25_STATUS R25_CHAL R25_ACK "00000000");
    /* One byte at a time, as a slow network would deliver them. */
    size_t used = 0;
    while (used < b.n && hs_feed(a, b.d + used, 1) == 1)
        used++;
    assert_int_equal(used, b.n - 4);
    assert_int_equal(hs_state(a) & HS_DONE, HS_DONE);
    /* The receive room was never more than the message needed. */
    size_t room;
    hs_recv_buf(a, &room);
    assert_int_equal(room, 0);
    free_engine(a);
}

/* ---------------------------------------------------------------------
 * Both roles in memory
 * ------------------------------------------------------------------- */

static void test_memory_v6(void **state)
{
    (void)state;
    hs_config ci = base_config("edist_1@host", COOKIE);
    ci.creation = 1234;
    ci.peer_name = "node@host";
    hs_config ca = base_config("node@host", COOKIE);
    ca.creation = 5678;
    ca.flags = UINT64_C(0xd07df7fbd);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_state(a), HS_DONE);
    assert_int_equal(hs_state(b), HS_DONE);
    const hs_result *ra = hs_get_result(a), *rb = hs_get_result(b);
    assert_string_equal(ra->peer_name, "node@host");
    assert_string_equal(rb->peer_name, "edist_1@host");
    assert_int_equal(ra->peer_creation, 5678);
    assert_int_equal(rb->peer_creation, 1234);
    assert_true(ra->flags == HS_EDIST_FLAGS);
    assert_true(rb->flags == HS_EDIST_FLAGS);
    assert_true(rb->peer_flags == HS_EDIST_FLAGS);
    assert_int_equal(rb->peer_version, 6);
    assert_no_cookie(a, b);
    assert_non_null(strstr(traced, "-> send_name 'N': name edist_1@host"));
    assert_non_null(strstr(traced, "V4_NC"));
    free_engine(a);
    free_engine(b);
}

static void test_memory_v5(void **state)
{
    (void)state;
    hs_config ci = base_config("old@host", COOKIE);
    ci.legacy_name = 1;
    ci.creation = 42;
    hs_config ca = base_config("node@host", COOKIE);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    /* The v5 name: 'n', version 5, the low 32 flag bits, the name. */
    bytes name = take(a);
    bytes want = hex("000f6e000507070f946f6c6440686f7374");
    assert_int_equal(name.n, want.n);
    assert_memory_equal(name.d, want.d, want.n);
    hs_feed(b, name.d, name.n);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_state(a), HS_DONE);
    assert_int_equal(hs_state(b), HS_DONE);
    const hs_result *rb = hs_get_result(b);
    assert_int_equal(rb->peer_version, 5);
    /* The complement brought the high flags and the creation. */
    assert_true(rb->peer_flags == HS_EDIST_FLAGS);
    assert_int_equal(rb->peer_creation, 42);
    assert_non_null(strstr(traced, "-> complement 'c'"));
    assert_no_cookie(a, b);
    free_engine(a);
    free_engine(b);
}

static void test_memory_dynamic(void **state)
{
    (void)state;
    hs_config ci = base_config("host.example.com", COOKIE);
    ci.dynamic_name = 1;
    hs_config ca = base_config("node@host.example.com", COOKIE);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_NAMED);
    assert_int_equal(hs_state(a), HS_DONE);
    assert_int_equal(hs_state(b), HS_DONE);
    assert_string_equal(hs_get_result(a)->our_name, "given@host.example.com");
    assert_int_equal(hs_get_result(a)->our_creation, 99);
    assert_string_equal(hs_get_result(b)->peer_name, "given@host.example.com");
    assert_true(hs_get_result(b)->peer_dynamic);
    assert_true(hs_get_result(a)->flags & DFLAG_NAME_ME);
    free_engine(a);
    free_engine(b);
}

static void test_status_ok_simultaneous(void **state)
{
    (void)state;
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK_SIMULTANEOUS);
    assert_int_equal(hs_state(a), HS_DONE);
    assert_int_equal(hs_get_result(a)->status, HS_STATUS_OK_SIMULTANEOUS);
    free_engine(a);
    free_engine(b);
}

static void check_refusal(hs_status decide, int exit_code)
{
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, decide);
    /* The acceptor's refusal reached the initiator before the close. */
    assert_int_equal(hs_state(b), HS_FAILED);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_DECLINED);
    assert_int_equal(hs_state(a), HS_FAILED);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_REFUSED);
    assert_int_equal(hs_get_error(a)->status, decide);
    assert_int_equal(hs_error_exit_code(hs_get_error(a)), exit_code);
    assert_non_null(strstr(hs_get_error(a)->message, hs_status_name(decide)));
    free_engine(a);
    free_engine(b);
}

static void test_status_nok(void **state)
{
    (void)state;
    check_refusal(HS_STATUS_NOK, 3);
}

static void test_status_not_allowed(void **state)
{
    (void)state;
    check_refusal(HS_STATUS_NOT_ALLOWED, 4);
}

static void test_status_alive(void **state)
{
    (void)state;
    /* "true": go on. */
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_ALIVE);
    assert_int_equal(hs_state(a), HS_DONE);
    assert_int_equal(hs_state(b), HS_DONE);
    assert_int_equal(hs_get_result(a)->status, HS_STATUS_ALIVE);
    assert_non_null(strstr(traced, "-> status 's': true"));
    free_engine(a);
    free_engine(b);

    /* "false": both give up; the answer still goes out. */
    ci.alive_answer = 0;
    a = new_engine(HS_INITIATOR, &ci);
    b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_ALIVE);
    assert_int_equal(hs_state(a), HS_FAILED);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_REFUSED);
    assert_int_equal(hs_get_error(a)->status, HS_STATUS_ALIVE);
    assert_int_equal(hs_state(b), HS_FAILED);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_DECLINED);
    assert_non_null(strstr(hs_get_error(b)->message, "false"));
    free_engine(a);
    free_engine(b);
}

/* ---------------------------------------------------------------------
 * Mandatory flags
 * ------------------------------------------------------------------- */

static void check_missing(uint64_t offer, int legacy, uint64_t missing)
{
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    ci.flags = offer;
    ci.legacy_name = legacy;
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_state(b), HS_FAILED);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_FLAGS);
    assert_true(hs_get_error(b)->missing == missing);
    assert_int_equal(hs_get_result(b)->status, HS_STATUS_NOT_ALLOWED);
    char names[200];
    hs_flags_format(missing, names, sizeof names);
    assert_non_null(strstr(hs_get_error(b)->message, names));
    assert_int_equal(hs_state(a), HS_FAILED);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_REFUSED);
    assert_int_equal(hs_get_error(a)->status, HS_STATUS_NOT_ALLOWED);
    assert_int_equal(hs_error_exit_code(hs_get_error(a)), 4);
    free_engine(a);
    free_engine(b);
}

static void test_missing_mandatory_flags(void **state)
{
    (void)state;
    /* v6 without V4_NC: not_allowed right after the name. */
    check_missing(HS_EDIST_FLAGS & ~DFLAG_V4_NC, 0, DFLAG_V4_NC);
    /* Without MAP_TAG and without the digest bit that would stand for it. */
    check_missing(HS_EDIST_FLAGS & ~(DFLAG_MAP_TAG | DFLAG_MANDATORY_25_DIGEST),
                  0, DFLAG_MAP_TAG);
    /* v5 without a low flag: refused before the challenge. */
    check_missing(HS_EDIST_FLAGS & ~(DFLAG_UNLINK_ID), 1, DFLAG_UNLINK_ID);
    /* v5 without a high flag: seen only after the complement. */
    check_missing(HS_EDIST_FLAGS & ~DFLAG_V4_NC, 1, DFLAG_V4_NC);
    assert_non_null(strstr(traced, "-> complement 'c'"));

    /* The digest bit alone stands for the eleven flags of OTP 25. */
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    ci.flags = DFLAG_MANDATORY_25_DIGEST | DFLAG_DIST_MANDATORY_26;
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_state(b), HS_DONE);
    assert_true(hs_get_result(b)->flags == HS_EDIST_FLAGS);
    free_engine(a);
    free_engine(b);
}

static void test_initiator_requires_flags(void **state)
{
    (void)state;
    /* An acceptor that lacks what we need: we stop at its challenge. */
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    ca.flags = DFLAG_DIST_MANDATORY_25;
    ca.required = DFLAG_DIST_MANDATORY_25;
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_state(a), HS_FAILED);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_FLAGS);
    assert_true(hs_get_error(a)->missing == DFLAG_DIST_MANDATORY_26);
    assert_non_null(strstr(hs_get_error(a)->message, "UNLINK_ID|V4_NC"));
    assert_int_equal(hs_error_exit_code(hs_get_error(a)), 3);
    free_engine(a);
    free_engine(b);
}

static void test_wrong_cookie_in_memory(void **state)
{
    (void)state;
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", "other");
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_COOKIE);
    close_on(a); /* the acceptor closes */
    assert_int_equal(hs_get_error(a)->code, HS_ERR_COOKIE);
    assert_no_cookie(a, b);
    assert_null(strstr(traced, "other"));
    free_engine(a);
    free_engine(b);

    /* An acceptor that lies in its ack (a digest of the wrong cookie). */
    hs_config ci2 = base_config("a@vm", "sekrit");
    ci2.fixed_challenge = 1;
    ci2.challenge = 1;
    a = new_engine(HS_INITIATOR, &ci2);
    take(a);
    feed_all(a, R25_STATUS R25_CHAL);
    take(a);
    /* The digest of challenge 0, not 1. */
    feed_all(a, "0011618c4c66d25b20cca7f03b69bf8cc4ab8e");
    assert_int_equal(hs_get_error(a)->code, HS_ERR_COOKIE);
    assert_non_null(strstr(hs_get_error(a)->message, "wrong digest"));
    free_engine(a);
}

static void test_wrong_node(void **state)
{
    (void)state;
    hs_config ci = base_config("a@h", COOKIE), ca = base_config("b@h", COOKIE);
    ci.peer_name = "c@h";
    hs_ctx *a = new_engine(HS_INITIATOR, &ci), *b = new_engine(HS_ACCEPTOR, &ca);
    pump(a, b, HS_STATUS_OK);
    assert_int_equal(hs_get_error(a)->code, HS_ERR_WRONG_NODE);
    assert_non_null(strstr(hs_get_error(a)->message, "c@h"));
    assert_non_null(strstr(hs_get_error(a)->message, "b@h"));
    free_engine(a);
    free_engine(b);
}

/* ---------------------------------------------------------------------
 * Malformed and truncated messages
 * ------------------------------------------------------------------- */

/* The acceptor, fed `msg` (hex, framing included) as the peer's name. */
static void acceptor_rejects(const char *msg, const char *phrase)
{
    hs_config ca = base_config("b@h", COOKIE);
    hs_ctx *b = new_engine(HS_ACCEPTOR, &ca);
    bytes m = hex(msg);
    hs_feed(b, m.d, m.n);
    if (hs_state(b) != HS_FAILED)
        fail_msg("%s: accepted", msg);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_MALFORMED);
    if (strstr(hs_get_error(b)->message, phrase) == NULL)
        fail_msg("%s: '%s' lacks '%s'", msg, hs_get_error(b)->message, phrase);
    size_t len;
    hs_send_buf(b, &len);
    assert_int_equal(len, 0); /* OTP closes without a status */
    free_engine(b);
}

static void test_malformed_names(void **state)
{
    (void)state;
    acceptor_rejects("0000", "empty handshake message");
    acceptor_rejects("000178", "tag 'x'");
    acceptor_rejects("000100", "tag byte 0");
    /* 'N' shorter than its fixed part. */
    acceptor_rejects("000e4e0000000407070f940000000100", "at least 15");
    /* Name length beyond the message. */
    acceptor_rejects("00134e0000000407070f940000000100056140766d",
                     "claims a 5-byte name");
    acceptor_rejects("00124e0000000407070f94000000010003616263", "no '@'");
    acceptor_rejects("00144e0000000407070f940000000100056140624063",
                     "more than one");
    acceptor_rejects("00134e0000000407070f9400000001000440687374",
                     "nothing before");
    acceptor_rejects("00134e0000000407070f9400000001000461406200", "NUL");
    acceptor_rejects("00114e0000000407070f940000000100026140", "nothing after");
    /* A dynamic-name request must carry the host alone. */
    acceptor_rejects("00134e0000000607070f940000000000046140766d", "host only");
    /* 'n' too short, and with a bad name. */
    acceptor_rejects("00076e000507070f94", "at least 8");
    acceptor_rejects("000b6e000507070f9461626364", "no '@'");
    /* A name longer than an atom. */
    char big[2 * (15 + 300) + 8];
    int o = snprintf(big, sizeof big, "%04x4e0000000407070f9400000001%04x",
                     15 + 300, 300);
    for (int i = 0; i < 300; i++)
        o += snprintf(big + o, sizeof big - (size_t)o, "%s", i == 3 ? "40" : "61");
    acceptor_rejects(big, "longer than 255");
}

/* The initiator after its name, fed `msg`. */
static void initiator_rejects(const hs_config *c, const char *before,
                              const char *msg, hs_errcode code, const char *phrase)
{
    hs_ctx *a = new_engine(HS_INITIATOR, c);
    take(a);
    if (before != NULL)
        feed_all(a, before);
    take(a);
    bytes m = hex(msg);
    hs_feed(a, m.d, m.n);
    if (hs_state(a) != HS_FAILED)
        fail_msg("%s: accepted", msg);
    assert_int_equal(hs_get_error(a)->code, code);
    if (strstr(hs_get_error(a)->message, phrase) == NULL)
        fail_msg("%s: '%s' lacks '%s'", msg, hs_get_error(a)->message, phrase);
    free_engine(a);
}

static void test_malformed_initiator_side(void **state)
{
    (void)state;
    hs_config c = base_config("a@vm", "sekrit");
    hs_config dyn = base_config("vm", "sekrit");
    dyn.dynamic_name = 1;
    /* Status step. */
    initiator_rejects(&c, NULL, R25_CHAL, HS_ERR_MALFORMED, "expected a status");
    initiator_rejects(&c, NULL, "0004736f6b21", HS_ERR_MALFORMED,
                      "unknown status 'ok!'");
    initiator_rejects(&c, NULL, "0008736e616d65643a00", HS_ERR_MALFORMED,
                      "did not ask");
    initiator_rejects(&dyn, NULL, "0008736e616d65643a00", HS_ERR_MALFORMED,
                      "ends before");
    initiator_rejects(&dyn, NULL, "000d736e616d65643a00046140766d",
                      HS_ERR_MALFORMED, "only 4 bytes follow");
    initiator_rejects(&dyn, NULL, "0011736e616d65643a00046140787900000001",
                      HS_ERR_MALFORMED, "not the 'vm' we sent");
    initiator_rejects(&dyn, NULL, R25_STATUS, HS_ERR_MALFORMED, "named: was due");
    /* Challenge step. */
    initiator_rejects(&c, R25_STATUS, "00124e0000000d07df7fbd35a0ef1e6b060c9e00",
                      HS_ERR_MALFORMED, "at least 19");
    initiator_rejects(&c, R25_STATUS,
                      "00174e0000000d07df7fbd35a0ef1e6b060c9e00056240766d",
                      HS_ERR_MALFORMED, "claims a 5-byte name");
    initiator_rejects(&c, R25_STATUS, "0003736f6b", HS_ERR_MALFORMED,
                      "expected the challenge");
    initiator_rejects(&c, R25_STATUS, "000b6e000507070f9400000001",
                      HS_ERR_MALFORMED, "at least 12");
    /* An old node's 'n' challenge parses, but it lacks what OTP 26+ demand. */
    initiator_rejects(&c, R25_STATUS, "000f6e000507070f940000000162406868",
                      HS_ERR_FLAGS, "pre-OTP 23");
    /* Ack step. */
    initiator_rejects(&c, R25_STATUS R25_CHAL,
                      "00106163ee5d8ef9b24f7e2bfadcd63a7221", HS_ERR_MALFORMED,
                      "expected the challenge ack");
    initiator_rejects(&c, R25_STATUS R25_CHAL, R25_STATUS, HS_ERR_MALFORMED,
                      "expected the challenge ack");
}

static void test_malformed_acceptor_side(void **state)
{
    (void)state;
    hs_config ca = base_config("b@vm", "sekrit");
    /* Challenge reply of the wrong length or kind. */
    const char *bad_replies[] = {
        "0014727fb6e1854a723698f71a905925336ed8331fd1",
        "0016727fb6e1854a723698f71a905925336ed8331fd11600",
        "00116163ee5d8ef9b24f7e2bfadcd63a72213d",
    };
    for (size_t i = 0; i < 3; i++) {
        hs_ctx *b = new_engine(HS_ACCEPTOR, &ca);
        feed_all(b, R25_NAME);
        hs_decide(b, HS_STATUS_OK);
        take(b);
        bytes m = hex(bad_replies[i]);
        hs_feed(b, m.d, m.n);
        assert_int_equal(hs_get_error(b)->code, HS_ERR_MALFORMED);
        assert_non_null(
            strstr(hs_get_error(b)->message, "challenge reply ('r', 21"));
        free_engine(b);
    }
    /* After a v5 name, anything but a 9-byte complement. */
    hs_ctx *b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, "000b6e000507070f946140766d");
    hs_decide(b, HS_STATUS_OK);
    take(b);
    feed_all(b, R25_REPLY);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_MALFORMED);
    assert_non_null(strstr(hs_get_error(b)->message, "complement"));
    free_engine(b);
    /* An answer to alive that is neither true nor false. */
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R25_NAME);
    hs_decide(b, HS_STATUS_ALIVE);
    take(b);
    feed_all(b, "000473796573");
    assert_int_equal(hs_get_error(b)->code, HS_ERR_MALFORMED);
    assert_non_null(strstr(hs_get_error(b)->message, "syes"));
    free_engine(b);
}

/* Every prefix of every message, then the connection closes: a clean
 * "closed" error (or "cookie" while waiting for the ack), never a crash. */
static void test_truncated_messages(void **state)
{
    (void)state;
    const char *init_seq[] = {R25_STATUS, R25_CHAL, R25_ACK};
    const char *acc_seq[] = {R25_NAME, R25_REPLY};
    for (int step = 0; step < 3; step++) {
        bytes m = hex(init_seq[step]);
        for (size_t cut = 0; cut < m.n; cut++) {
            hs_config c = base_config("a@vm", "sekrit");
            c.fixed_challenge = 1;
            c.challenge = 0x7fb6e185;
            hs_ctx *a = new_engine(HS_INITIATOR, &c);
            take(a);
            for (int s = 0; s < step; s++)
                feed_all(a, init_seq[s]);
            take(a);
            hs_feed(a, m.d, cut);
            hs_recv_eof(a);
            assert_int_equal(hs_state(a), HS_FAILED);
            assert_int_equal(hs_get_error(a)->code,
                             step == 2 ? HS_ERR_COOKIE : HS_ERR_CLOSED);
            if (cut > 0)
                assert_non_null(strstr(hs_get_error(a)->message, "middle"));
            free_engine(a);
        }
    }
    for (int step = 0; step < 2; step++) {
        bytes m = hex(acc_seq[step]);
        for (size_t cut = 0; cut < m.n; cut++) {
            hs_config c = base_config("b@vm", "sekrit");
            hs_ctx *b = new_engine(HS_ACCEPTOR, &c);
            if (step == 1) {
                feed_all(b, R25_NAME);
                hs_decide(b, HS_STATUS_OK);
                take(b);
            }
            hs_feed(b, m.d, cut);
            hs_recv_eof(b);
            assert_int_equal(hs_state(b), HS_FAILED);
            assert_int_equal(hs_get_error(b)->code, HS_ERR_CLOSED);
            free_engine(b);
        }
    }
}

/* ---------------------------------------------------------------------
 * Usage errors
 * ------------------------------------------------------------------- */

static void config_rejected(hs_role role, const hs_config *c, const char *phrase)
{
    hs_ctx *hs = malloc(sizeof *hs);
    assert_int_equal(hs_init(hs, role, c), -1);
    assert_int_equal(hs_state(hs), HS_FAILED);
    assert_int_equal(hs_get_error(hs)->code, HS_ERR_USAGE);
    if (strstr(hs_get_error(hs)->message, phrase) == NULL)
        fail_msg("'%s' lacks '%s'", hs_get_error(hs)->message, phrase);
    assert_null(strstr(hs_get_error(hs)->message, COOKIE));
    free_engine(hs);
}

static void test_usage_errors(void **state)
{
    (void)state;
    hs_config c = base_config("a@h", COOKIE);
    c.creation = 0;
    config_rejected(HS_INITIATOR, &c, "creation");
    c = base_config("a@h", COOKIE);
    c.cookie_len = 0;
    config_rejected(HS_INITIATOR, &c, "no cookie");
    c = base_config("a@h", COOKIE);
    c.cookie_len = 256;
    config_rejected(HS_INITIATOR, &c, "255");
    c = base_config("ah", COOKIE);
    config_rejected(HS_INITIATOR, &c, "no '@'");
    c = base_config("a@h", COOKIE);
    c.dynamic_name = 1;
    config_rejected(HS_INITIATOR, &c, "host only");
    c = base_config("h", COOKIE);
    c.dynamic_name = 1;
    c.legacy_name = 1;
    config_rejected(HS_INITIATOR, &c, "static name only");
    c = base_config("h", COOKIE);
    c.dynamic_name = 1;
    config_rejected(HS_ACCEPTOR, &c, "only an initiator");

    /* Decisions out of turn or that do not fit. */
    hs_config ca = base_config("b@vm", "sekrit");
    hs_ctx *b = new_engine(HS_ACCEPTOR, &ca);
    assert_int_equal(hs_decide(b, HS_STATUS_OK), -1);
    assert_int_equal(hs_get_error(b)->code, HS_ERR_USAGE);
    free_engine(b);
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R25_NAME);
    assert_int_equal(hs_decide_named(b, "x@vm", 5), -1);
    free_engine(b);
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R25_NAME);
    assert_int_equal(hs_decide(b, HS_STATUS_NAMED), -1);
    free_engine(b);
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R29_NAME);
    assert_int_equal(hs_decide_named(b, "x@other", 5), -1);
    assert_non_null(strstr(hs_get_error(b)->message, "host"));
    free_engine(b);
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R29_NAME);
    assert_int_equal(hs_decide_named(b, "x@vm", 0), -1);
    free_engine(b);
    /* A dynamic peer may still be refused. */
    b = new_engine(HS_ACCEPTOR, &ca);
    feed_all(b, R29_NAME);
    assert_int_equal(hs_decide(b, HS_STATUS_NOT_ALLOWED), 0);
    expect_output(b, "000c736e6f745f616c6c6f776564");
    assert_int_equal(hs_get_error(b)->code, HS_ERR_DECLINED);
    free_engine(b);
}

/* ---------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------- */

static void test_flags(void **state)
{
    (void)state;
    assert_true(DFLAG_DIST_MANDATORY_25 == UINT64_C(0x1070f94));
    assert_true(DFLAG_DIST_MANDATORY == UINT64_C(0x403070f94));
    assert_true(HS_EDIST_FLAGS == UINT64_C(0x407070f94));
    assert_true(hs_mandatory_flags(25) == UINT64_C(0x1070f94));
    for (int r = 26; r <= 29; r++)
        assert_true(hs_mandatory_flags(r) == UINT64_C(0x403070f94));
    assert_true(hs_mandatory_flags(24) == 0);
    assert_true(hs_flags_expand(DFLAG_MANDATORY_25_DIGEST) ==
                (DFLAG_MANDATORY_25_DIGEST | DFLAG_DIST_MANDATORY_25));
    assert_true(hs_flags_expand(DFLAG_SPAWN) == DFLAG_SPAWN);
    assert_string_equal(hs_flag_name(DFLAG_V4_NC), "V4_NC");
    assert_string_equal(hs_flag_name(DFLAG_ALTACT_SIG), "ALTACT_SIG");
    assert_string_equal(hs_flag_name(DFLAG_NATIVE_RECORDS), "NATIVE_RECORDS");
    assert_null(hs_flag_name(DFLAG_RESERVED));
    assert_null(hs_flag_name(DFLAG_SPAWN | DFLAG_ALIAS));
    /* Every bit that OTP 29 offers has a name. */
    for (int bit = 0; bit < 64; bit++) {
        uint64_t f = UINT64_C(1) << bit;
        if (UINT64_C(0x6d07df7fbd) & f)
            assert_non_null(hs_flag_name(f));
    }
    char buf[300];
    assert_int_equal(hs_flags_format(0, buf, sizeof buf), 4);
    assert_string_equal(buf, "none");
    size_t n = hs_flags_format(DFLAG_PUBLISHED | DFLAG_V4_NC | (UINT64_C(1) << 50),
                               buf, sizeof buf);
    assert_string_equal(buf, "PUBLISHED|V4_NC|bit 50");
    assert_int_equal(n, strlen(buf));
    /* Cut like snprintf, but the whole length is returned. */
    char small[8];
    n = hs_flags_format(DFLAG_PUBLISHED | DFLAG_V4_NC, small, sizeof small);
    assert_int_equal(n, strlen("PUBLISHED|V4_NC"));
    assert_string_equal(small, "PUBLISH");
    assert_int_equal(hs_flags_format(DFLAG_V4_NC, NULL, 0), 5);
}

/* ---------------------------------------------------------------------
 * Cookie
 * ------------------------------------------------------------------- */

static void test_cookie_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* NULL: error with `phrase` */
        const char *phrase;
    } v[] = {
        /* Checked against erl (OTP 25, auth:check_cookie/2). */
        {"abc", "abc", NULL},
        {"abc\n", "abc", NULL},
        {"abc\r\n \n", "abc", NULL},
        {"abc \n", "abc ", NULL},
        {"a b c", "a b c", NULL},
        {"ab\ncd", NULL, "Bad characters"},
        {"\tabc", NULL, "Bad characters"},
        {"ab\xc3\xa9", NULL, "Bad characters"},
        {"", NULL, "Too short"},
        {"\n\n", NULL, "Too short"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hs_cookie c;
        hs_error e;
        int rc = hs_cookie_parse((const uint8_t *)v[i].text, strlen(v[i].text),
                                 "FILE", &c, &e);
        if (v[i].want != NULL) {
            assert_int_equal(rc, 0);
            assert_string_equal(c.value, v[i].want);
            assert_int_equal(c.len, strlen(v[i].want));
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(e.message, v[i].phrase));
            assert_non_null(strstr(e.message, "FILE"));
        }
    }
    char big[300];
    memset(big, 'k', sizeof big);
    hs_cookie c;
    hs_error e;
    assert_int_equal(hs_cookie_parse((uint8_t *)big, 255, "F", &c, &e), 0);
    assert_int_equal(hs_cookie_parse((uint8_t *)big, 256, "F", &c, &e), -1);
    assert_non_null(strstr(e.message, "at most 255"));
    assert_null(strstr(e.message, "kkk"));
}

static char tmpdir[64];

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static int cookie_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hs_cookie_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int cookie_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_cookie_find(void **state)
{
    (void)state;
    char home[128], xdg[128], path[256], rel[256];
    snprintf(home, sizeof home, "%s/home", tmpdir);
    snprintf(xdg, sizeof xdg, "%s/xdg", tmpdir);
    mkdir(home, 0700);
    mkdir(xdg, 0700);
    hs_cookie c;
    hs_error e;

    /* Nothing anywhere: the message names every place and the options. */
    hs_cookie_env env = {NULL, NULL, "", home, xdg};
    assert_int_equal(hs_cookie_find(&env, &c, &e), -1);
    snprintf(path, sizeof path, "%s/.erlang.cookie", home);
    assert_non_null(strstr(e.message, path));
    snprintf(path, sizeof path, "%s/erlang/.erlang.cookie", xdg);
    assert_non_null(strstr(e.message, path));
    assert_non_null(strstr(e.message, "--cookie"));
    assert_non_null(strstr(e.message, "RELEASE_COOKIE"));
    /* Without XDG_CONFIG_HOME, erl looks in ~/.config. */
    hs_cookie_env env2 = {NULL, NULL, NULL, home, NULL};
    assert_int_equal(hs_cookie_find(&env2, &c, &e), -1);
    assert_non_null(strstr(e.message, "/home/.config/erlang/.erlang.cookie"));
    hs_cookie_env env3 = {NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(hs_cookie_find(&env3, &c, &e), -1);
    assert_non_null(strstr(e.message, "HOME"));

    /* The XDG file alone. */
    snprintf(path, sizeof path, "%s/erlang", xdg);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/erlang/.erlang.cookie", xdg);
    write_file(path, "xdgcookie\n", 0400);
    assert_int_equal(hs_cookie_find(&env, &c, &e), 0);
    assert_string_equal(c.value, "xdgcookie");
    assert_string_equal(c.source, path);

    /* ~/.erlang.cookie comes first; a group-readable one is refused. */
    snprintf(path, sizeof path, "%s/.erlang.cookie", home);
    write_file(path, "homecookie", 0644);
    assert_int_equal(hs_cookie_find(&env, &c, &e), -1);
    assert_non_null(strstr(e.message, "chmod 400"));
    assert_non_null(strstr(e.message, "644"));
    assert_null(strstr(e.message, "homecookie"));
    chmod(path, 0600);
    assert_int_equal(hs_cookie_find(&env, &c, &e), 0);
    assert_string_equal(c.value, "homecookie");

    /* A directory where the file should be. */
    char dirhome[160];
    snprintf(dirhome, sizeof dirhome, "%s/dirhome", tmpdir);
    mkdir(dirhome, 0700);
    snprintf(path, sizeof path, "%s/.erlang.cookie", dirhome);
    mkdir(path, 0700);
    hs_cookie_env envd = {NULL, NULL, NULL, dirhome, xdg};
    assert_int_equal(hs_cookie_find(&envd, &c, &e), -1);
    assert_non_null(strstr(e.message, "not a regular file"));

    /* RELEASE_COOKIE before the files. */
    env.release_cookie = "relcookie";
    assert_int_equal(hs_cookie_find(&env, &c, &e), 0);
    assert_string_equal(c.value, "relcookie");
    assert_string_equal(c.source, "RELEASE_COOKIE");

    /* --cookie-file before that; its mode is not checked (an Elixir
     * release's releases/COOKIE is usually 0644), its text is. */
    snprintf(rel, sizeof rel, "%s/COOKIE", tmpdir);
    write_file(rel, "filecookie", 0644);
    env.cookie_file = rel;
    assert_int_equal(hs_cookie_find(&env, &c, &e), 0);
    assert_string_equal(c.value, "filecookie");
    write_file(rel, "bad\tcookie", 0644);
    assert_int_equal(hs_cookie_find(&env, &c, &e), -1);
    assert_non_null(strstr(e.message, rel));
    assert_null(strstr(e.message, "bad"));
    snprintf(path, sizeof path, "%s/missing", tmpdir);
    env.cookie_file = path;
    assert_int_equal(hs_cookie_find(&env, &c, &e), -1);
    assert_non_null(strstr(e.message, "does not exist"));

    /* --cookie before everything. */
    env.cookie = "given";
    assert_int_equal(hs_cookie_find(&env, &c, &e), 0);
    assert_string_equal(c.value, "given");
    assert_string_equal(c.source, "--cookie");
    env.cookie = "";
    assert_int_equal(hs_cookie_find(&env, &c, &e), -1);
    hs_cookie_clear(&c);
    assert_int_equal(c.len, 0);
}

/* ---------------------------------------------------------------------
 * Node names
 * ------------------------------------------------------------------- */

static void name_ok(const char *text, const char *this_host, hs_name_mode mode,
                    const char *full, int longnames)
{
    hs_node_name n;
    hs_error e;
    if (hs_name_parse(text, this_host, mode, &n, &e) != 0)
        fail_msg("%s: %s", text, e.message);
    assert_string_equal(n.full, full);
    assert_int_equal(n.longnames, longnames);
    const char *at = strchr(full, '@');
    assert_int_equal(strlen(n.alive), (size_t)(at - full));
    assert_string_equal(n.host, at + 1);
}

static void name_bad(const char *text, const char *this_host, hs_name_mode mode,
                     const char *phrase)
{
    hs_node_name n;
    hs_error e;
    assert_int_equal(hs_name_parse(text, this_host, mode, &n, &e), -1);
    assert_int_equal(e.code, HS_ERR_USAGE);
    if (strstr(e.message, phrase) == NULL)
        fail_msg("%s: '%s' lacks '%s'", text, e.message, phrase);
}

static void test_names(void **state)
{
    (void)state;
    name_ok("foo@vm", "vm", HS_NAMES_AUTO, "foo@vm", 0);
    name_ok("foo@vm.example.com", "vm", HS_NAMES_AUTO, "foo@vm.example.com", 1);
    name_ok("foo@127.0.0.1", NULL, HS_NAMES_AUTO, "foo@127.0.0.1", 1);
    name_ok("foo@::1", NULL, HS_NAMES_AUTO, "foo@::1", 1);
    name_ok("foo", "vm", HS_NAMES_AUTO, "foo@vm", 0);
    name_ok("foo", "vm.example.com", HS_NAMES_AUTO, "foo@vm", 0);
    name_ok("foo", "vm.example.com", HS_NAMES_LONG, "foo@vm.example.com", 1);
    name_ok("Foo_bar-9", "vm", HS_NAMES_SHORT, "Foo_bar-9@vm", 0);
    name_bad("foo@vm.example.com", "vm", HS_NAMES_SHORT, "short names were asked");
    name_bad("foo@vm", "vm", HS_NAMES_LONG, "long names were asked");
    name_bad("foo", "vm", HS_NAMES_LONG, "not fully qualified");
    name_bad("foo", NULL, HS_NAMES_AUTO, "give NAME@HOST");
    name_bad("", "vm", HS_NAMES_AUTO, "no node name");
    name_bad("a@b@c", "vm", HS_NAMES_AUTO, "more than one");
    name_bad("@vm", "vm", HS_NAMES_AUTO, "letters, digits");
    name_bad("fo o@vm", "vm", HS_NAMES_AUTO, "letters, digits");
    name_bad("foo@", "vm", HS_NAMES_AUTO, "must not be empty");
    name_bad("foo@v m", "vm", HS_NAMES_AUTO, "spaces");
    char big[300];
    memset(big, 'a', sizeof big);
    big[sizeof big - 1] = 0;
    big[10] = '@';
    name_bad(big, "vm", HS_NAMES_AUTO, "255");

    /* Our own host for a given target. */
    hs_node_name t;
    hs_error e;
    char host[256];
    assert_int_equal(hs_name_parse("n@vm", NULL, HS_NAMES_AUTO, &t, &e), 0);
    assert_int_equal(
        hs_name_local_host(&t, "box.example.com", host, sizeof host, &e), 0);
    assert_string_equal(host, "box");
    assert_int_equal(hs_name_parse("n@127.0.0.1", NULL, HS_NAMES_AUTO, &t, &e), 0);
    assert_int_equal(
        hs_name_local_host(&t, "box.example.com", host, sizeof host, &e), 0);
    assert_string_equal(host, "box.example.com");
    assert_int_equal(hs_name_local_host(&t, "box", host, sizeof host, &e), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(
        hs_name_parse("n@db.example.com", NULL, HS_NAMES_AUTO, &t, &e), 0);
    assert_int_equal(hs_name_local_host(&t, "box", host, sizeof host, &e), -1);
    assert_non_null(strstr(e.message, "--name"));

    char u[64];
    hs_name_unique(u, sizeof u, 4242, 0xdeadbeef);
    assert_string_equal(u, "edist_4242_deadbeef");
    assert_true(hs_host_is_long("10.0.0.1"));
    assert_true(hs_host_is_long("fe80::1"));
    assert_false(hs_host_is_long("vm"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_digest_known_answers, setup),
        cmocka_unit_test_setup(test_challenge_random, setup),
        cmocka_unit_test_setup(test_replay_otp25_as_acceptor, setup),
        cmocka_unit_test_setup(test_replay_otp25_as_initiator, setup),
        cmocka_unit_test_setup(test_replay_wrong_cookie, setup),
        cmocka_unit_test_setup(test_replay_otp29_dynamic_name, setup),
        cmocka_unit_test_setup(test_feed_stops_at_the_end, setup),
        cmocka_unit_test_setup(test_memory_v6, setup),
        cmocka_unit_test_setup(test_memory_v5, setup),
        cmocka_unit_test_setup(test_memory_dynamic, setup),
        cmocka_unit_test_setup(test_status_ok_simultaneous, setup),
        cmocka_unit_test_setup(test_status_nok, setup),
        cmocka_unit_test_setup(test_status_not_allowed, setup),
        cmocka_unit_test_setup(test_status_alive, setup),
        cmocka_unit_test_setup(test_missing_mandatory_flags, setup),
        cmocka_unit_test_setup(test_initiator_requires_flags, setup),
        cmocka_unit_test_setup(test_wrong_cookie_in_memory, setup),
        cmocka_unit_test_setup(test_wrong_node, setup),
        cmocka_unit_test_setup(test_malformed_names, setup),
        cmocka_unit_test_setup(test_malformed_initiator_side, setup),
        cmocka_unit_test_setup(test_malformed_acceptor_side, setup),
        cmocka_unit_test_setup(test_truncated_messages, setup),
        cmocka_unit_test_setup(test_usage_errors, setup),
        cmocka_unit_test_setup(test_flags, setup),
        cmocka_unit_test_setup(test_cookie_parse, setup),
        cmocka_unit_test_setup_teardown(test_cookie_find, cookie_setup,
                                        cookie_teardown),
        cmocka_unit_test_setup(test_names, setup),
    };
    return cmocka_run_group_tests_name("handshake", tests, NULL, NULL);
}
