/*
 * test_dist_frame.c -- unit tests of dist/frame.c: packets cut out of a
 * byte stream however it arrives, ticks, the pass-through form of a
 * message both ways, and what the reader refuses.
 *
 * The reply bytes are what an OTP 29.1.2 node sent to edist for
 * `edist ping` (captured with strace): SEND {2, '', Pid} + {Ref, yes}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dist/control.h"
#include "dist/dist.h"

static void test_packets_from_any_cut(void **state)
{
    (void)state;
    /* A tick, a 3-byte packet, a tick. */
    static const uint8_t stream[] = {0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c',
                                     0, 0, 0, 0};
    for (size_t step = 1; step <= sizeof stream; step++) {
        dist_reader r = {0};
        dist_error err;
        size_t lens[3], n = 0;
        for (size_t at = 0; at < sizeof stream; at += step) {
            size_t k = sizeof stream - at < step ? sizeof stream - at : step;
            assert_int_equal(dist_reader_feed(&r, stream + at, k, &err), 0);
            const uint8_t *p;
            size_t len;
            int got;
            while ((got = dist_reader_next(&r, &p, &len, &err)) == 1) {
                assert_true(n < 3);
                if (len == 3)
                    assert_memory_equal(p, "abc", 3);
                lens[n++] = len;
            }
            assert_int_equal(got, 0);
        }
        assert_int_equal(n, 3);
        assert_int_equal(lens[0], 0);
        assert_int_equal(lens[1], 3);
        assert_int_equal(lens[2], 0);
        dist_reader_release(&r);
    }
}

static void test_hostile_length_refused(void **state)
{
    (void)state;
    dist_reader r = {0};
    r.max_packet = 1000;
    dist_error err;
    static const uint8_t big[] = {0, 0, 3, 233}; /* 1001 */
    assert_int_equal(dist_reader_feed(&r, big, 4, &err), 0);
    const uint8_t *p;
    size_t len;
    assert_int_equal(dist_reader_next(&r, &p, &len, &err), -1);
    assert_int_equal(err.code, DIST_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "1001-byte packet"));
    /* Nothing was allocated for it beyond the 4 bytes given. */
    assert_true(r.cap <= 4096);
    dist_reader_release(&r);
}

static void test_message_round_trip(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term control = etf_tuple(&a, 4);
    control.u.elems[0] = etf_int(DOP_REG_SEND);
    control.u.elems[1] = etf_atom_z("from");
    control.u.elems[2] = etf_atom_z("");
    control.u.elems[3] = etf_atom_z("net_kernel");
    etf_term payload = etf_binary("hello", 5);
    etf_buf out = {0};
    dist_error err;
    assert_int_equal(dist_msg_encode(&control, &payload, &out, &err), 0);
    /* Length, then 112, then 131 and the control tuple. */
    assert_int_equal(out.data[4], DIST_PASS_THROUGH);
    assert_int_equal(out.data[5], 131);
    size_t n = (size_t)out.data[0] << 24 | (size_t)out.data[1] << 16 |
               (size_t)out.data[2] << 8 | out.data[3];
    assert_int_equal(n + 4, out.len);

    dist_msg m;
    assert_int_equal(dist_msg_decode(out.data + 4, n, &a, &m, &err), 0);
    assert_true(etf_equal(&m.control, &control));
    assert_true(m.has_payload);
    assert_true(etf_equal(&m.payload, &payload));

    /* Without a payload. */
    out.len = 0;
    assert_int_equal(dist_msg_encode(&control, NULL, &out, &err), 0);
    assert_int_equal(dist_msg_decode(out.data + 4, out.len - 4, &a, &m, &err),
                     0);
    assert_false(m.has_payload);
    etf_buf_release(&out);
    etf_arena_release(&a);
}

/* SEND {2, '', <pid>} + {#Ref, yes}: the packet (after its 4-byte
 * length) an OTP 29.1.2 node sent to `edist ping --name q_999_1@127.0.0.1`,
 * read off the socket with strace. */
static const uint8_t reply[] = {
    112, 131, 104, 3, 97, 2, 119, 0, 88, 119, 17, 113, 95, 57,
    57, 57, 95, 49, 64, 49, 50, 55, 46, 48, 46, 48, 46, 49,
    0, 0, 0, 1, 0, 0, 0, 0, 61, 189, 196, 70, 131, 104,
    2, 90, 0, 3, 119, 17, 113, 95, 57, 57, 57, 95, 49, 64,
    49, 50, 55, 46, 48, 46, 48, 46, 49, 61, 189, 196, 70, 0,
    0, 0, 2, 0, 0, 0, 0, 0, 67, 63, 145, 119, 3, 121,
    101, 115,
};

static void test_real_reply_decodes(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_msg m;
    dist_error err;
    assert_int_equal(dist_msg_decode(reply, sizeof reply, &a, &m, &err), 0);
    assert_int_equal(m.control.u.elems[0].u.i, DOP_SEND);
    assert_int_equal(m.control.u.elems[2].type, ETF_PID);
    assert_true(m.has_payload);
    assert_true(etf_atom_is(&m.payload.u.elems[1], "yes"));
    etf_arena_release(&a);
}

static void test_bad_messages_refused(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    dist_msg m;
    dist_error err;
    /* A distribution header (131, 68), which edist did not ask for. */
    static const uint8_t hdr[] = {131, 68, 0};
    assert_int_equal(dist_msg_decode(hdr, sizeof hdr, &a, &m, &err), -1);
    assert_non_null(strstr(err.message, "not the pass-through tag 112"));
    /* Control that is not a tuple. */
    static const uint8_t atom[] = {112, 131, 119, 1, 'x'};
    assert_int_equal(dist_msg_decode(atom, sizeof atom, &a, &m, &err), -1);
    assert_non_null(strstr(err.message, "operation number"));
    /* A payload without its version byte. */
    static const uint8_t nover[] = {112, 131, 104, 1, 97, 2, 119, 1, 'x'};
    assert_int_equal(dist_msg_decode(nover, sizeof nover, &a, &m, &err), -1);
    assert_non_null(strstr(err.message, "version byte 131"));
    /* A truncated control term. */
    static const uint8_t cut[] = {112, 131, 104, 3, 97, 2};
    assert_int_equal(dist_msg_decode(cut, sizeof cut, &a, &m, &err), -1);
    assert_int_equal(err.code, DIST_ERR_PROTOCOL);
    /* Trailing bytes after the payload. */
    static const uint8_t trail[] = {112, 131, 104, 1, 97, 2, 131, 106, 0};
    assert_int_equal(dist_msg_decode(trail, sizeof trail, &a, &m, &err), -1);
    assert_non_null(strstr(err.message, "after a message's payload"));
    etf_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packets_from_any_cut),
        cmocka_unit_test(test_hostile_length_refused),
        cmocka_unit_test(test_message_round_trip),
        cmocka_unit_test(test_real_reply_decodes),
        cmocka_unit_test(test_bad_messages_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
