/*
 * test_epmd.c -- unit tests of the EPMD codec: every request against the
 * bytes real OTP nodes send, every reply decoded from the bytes a real
 * epmd sent, every truncation of every reply, bad first bytes, and the
 * text of NAMES replies, well-formed and not.
 *
 * The byte vectors were captured with a logging proxy between real nodes
 * and epmd, on OTP 25.2.3 (Debian bookworm), 27 (trixie) and 29 (sid): the
 * three releases sent the same bytes apart from ports and creations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "epmd/epmd.h"

/* Hex text to bytes, in a static buffer (the tests are single-threaded). */
static size_t hex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void assert_bytes(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[4096];
    size_t wl = hex(want, w);
    assert_int_equal(len, wl);
    assert_memory_equal(got, w, wl);
}

/* ---- requests ------------------------------------------------------- */

static void names_req(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t len;
    epmd_error err;
    /* What `epmd -names` sends, on every release. */
    assert_int_equal(epmd_encode_names_req(out, sizeof out, &len, &err), 0);
    assert_bytes(out, len, "00016e");
    assert_int_equal(epmd_encode_names_req(out, 2, &len, &err), -1);
    assert_int_equal(err.code, EPMD_ERR_ARG);
}

static void port2_req(void **state)
{
    (void)state;
    uint8_t out[EPMD_MAX_REQUEST];
    size_t len;
    epmd_error err;
    /* net_adm:ping('capa_25@host') from an OTP 25 node. */
    assert_int_equal(epmd_encode_port2_req("capa_25", 7, out, sizeof out,
                                           &len, &err), 0);
    assert_bytes(out, len, "00087a636170615f3235");
    /* erl_epmd:port_please("nosuch", ...) */
    assert_int_equal(epmd_encode_port2_req("nosuch", 6, out, sizeof out,
                                           &len, &err), 0);
    assert_bytes(out, len, "00077a6e6f73756368");
    /* Too small a buffer is refused, not overrun. */
    assert_int_equal(epmd_encode_port2_req("nosuch", 6, out, 8, &len, &err),
                     -1);
    assert_int_equal(err.code, EPMD_ERR_ARG);
}

/* Names EPMD would drop without a word are refused with the reason. */
static void bad_names(void **state)
{
    (void)state;
    uint8_t out[EPMD_MAX_REQUEST];
    size_t len;
    epmd_error err;
    assert_int_equal(epmd_encode_port2_req("", 0, out, sizeof out, &len,
                                           &err), -1);
    assert_int_equal(err.code, EPMD_ERR_ARG);
    assert_non_null(strstr(err.message, "empty"));

    assert_int_equal(epmd_encode_port2_req("a\0b", 3, out, sizeof out, &len,
                                           &err), -1);
    assert_non_null(strstr(err.message, "NUL"));

    assert_int_equal(epmd_encode_port2_req("\xff\xfe", 2, out, sizeof out,
                                           &len, &err), -1);
    assert_non_null(strstr(err.message, "UTF-8"));

    assert_int_equal(epmd_encode_port2_req("foo@host", 8, out, sizeof out,
                                           &len, &err), -1);
    assert_non_null(strstr(err.message, "before the '@' ('foo')"));

    /* 255 characters are fine, even of 4 bytes each; 256 are not. */
    char name[1100];
    for (int i = 0; i < 255; i++)
        memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(epmd_encode_port2_req(name, 1020, out, sizeof out,
                                           &len, &err), 0);
    assert_int_equal(len, 1023);
    memset(name, 'a', 256);
    assert_int_equal(epmd_encode_port2_req(name, 256, out, sizeof out, &len,
                                           &err), -1);
    assert_non_null(strstr(err.message, "longer than 255"));
    assert_int_equal(epmd_encode_port2_req(name, 255, out, sizeof out, &len,
                                           &err), 0);
}

static void alive2_req(void **state)
{
    (void)state;
    uint8_t out[EPMD_MAX_REQUEST];
    size_t len;
    epmd_error err;
    /* What `erl -sname capa_25` sent: port 43199, type 'M', protocol 0,
     * highest 6, lowest 5 (OTP 27 and 29 send 6 and 5 too), no Extra. */
    epmd_node_info n = {"capa_25", 7, 43199, EPMD_NODE_TYPE_NORMAL,
                        EPMD_PROTO_TCP, 6, 5, NULL, 0};
    assert_int_equal(epmd_encode_alive2_req(&n, out, sizeof out, &len, &err),
                     0);
    assert_bytes(out, len, "001478a8bf4d00000600050007636170615f32350000");

    /* With Extra, and a hidden node type. */
    n.extra = (const uint8_t *)"xy";
    n.extra_len = 2;
    n.node_type = EPMD_NODE_TYPE_HIDDEN;
    assert_int_equal(epmd_encode_alive2_req(&n, out, sizeof out, &len, &err),
                     0);
    assert_bytes(out, len,
                 "001678a8bf4800000600050007636170615f3235"
                 "00027879");

    /* The longest request fits EPMD_MAX_REQUEST exactly. */
    static uint8_t extra[EPMD_MAX_EXTRA + 1];
    char name[EPMD_MAX_NAME_BYTES];
    for (int i = 0; i < 255; i++)
        memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
    n.name = name;
    n.name_len = sizeof name;
    n.extra = extra;
    n.extra_len = EPMD_MAX_EXTRA;
    assert_int_equal(epmd_encode_alive2_req(&n, out, sizeof out, &len, &err),
                     0);
    assert_int_equal(len, EPMD_MAX_REQUEST);
    assert_int_equal(epmd_encode_alive2_req(&n, out, sizeof out - 1, &len,
                                            &err), -1);
    n.extra_len = EPMD_MAX_EXTRA + 1;
    assert_int_equal(epmd_encode_alive2_req(&n, out, sizeof out, &len, &err),
                     -1);
    assert_non_null(strstr(err.message, "Extra"));

    /* Port 0 is no port to be found at. */
    epmd_node_info z = {"a", 1, 0, 77, 0, 6, 5, NULL, 0};
    assert_int_equal(epmd_encode_alive2_req(&z, out, sizeof out, &len, &err),
                     -1);
    assert_int_equal(err.code, EPMD_ERR_ARG);
}

/* ---- ALIVE2 replies --------------------------------------------------- */

static void alive2_x_resp(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t n = hex("76006b060baf", b), used;
    epmd_alive2_reply r;
    epmd_error err;
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), 0);
    assert_int_equal(r.code, EPMD_ALIVE2_X_RESP);
    assert_int_equal(r.result, 0);
    assert_int_equal(r.creation, 0x6b060baf);
    assert_int_equal(used, 6);
    /* Bytes after the reply are not looked at. */
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), 0);
    b[6] = 0xff;
    assert_int_equal(epmd_decode_alive2_resp(b, 7, &r, &used, &err), 0);
    assert_int_equal(used, 6);
    /* Every shorter prefix is a truncation. */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(epmd_decode_alive2_resp(b, i, &r, &used, &err), -1);
        assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    }
}

static void alive2_resp(void **state)
{
    (void)state;
    uint8_t b[16];
    /* Highest version 5: the old reply with a 2-byte creation 1..3. */
    size_t n = hex("79000002", b), used;
    epmd_alive2_reply r;
    epmd_error err;
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), 0);
    assert_int_equal(r.code, EPMD_ALIVE2_RESP);
    assert_int_equal(r.result, 0);
    assert_int_equal(r.creation, 2);
    assert_int_equal(used, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(epmd_decode_alive2_resp(b, i, &r, &used, &err), -1);
        assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    }
}

static void alive2_refused(void **state)
{
    (void)state;
    uint8_t b[16];
    /* A name already taken: result 1, creation 99. */
    size_t n = hex("760100000063", b), used;
    epmd_alive2_reply r;
    epmd_error err;
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), 0);
    assert_int_equal(r.result, 1);
    assert_int_equal(r.creation, 99);
    n = hex("79010063", b);
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), 0);
    assert_int_equal(r.result, 1);
    assert_int_equal(r.creation, 99);
}

static void alive2_bad_code(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t used;
    epmd_alive2_reply r;
    epmd_error err;
    /* A PORT2_RESP, or text, where ALIVE2's answer belongs. */
    size_t n = hex("7701", b);
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), -1);
    assert_int_equal(err.code, EPMD_ERR_BAD_REPLY);
    assert_non_null(strstr(err.message, "119"));
    n = hex("485454502f312e31", b); /* "HTTP/1.1" */
    assert_int_equal(epmd_decode_alive2_resp(b, n, &r, &used, &err), -1);
    assert_int_equal(err.code, EPMD_ERR_BAD_REPLY);
}

/* ---- PORT2_RESP ------------------------------------------------------- */

static void port2_found(void **state)
{
    (void)state;
    uint8_t b[64];
    /* epmd's answer for capa_25 (OTP 25.2.3). */
    size_t n = hex("7700a8bf4d00000600050007636170615f32350000", b), used;
    uint8_t result = 99;
    epmd_node_info node;
    epmd_error err;
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), 0);
    assert_int_equal(result, 0);
    assert_int_equal(used, n);
    assert_int_equal(node.port, 43199);
    assert_int_equal(node.node_type, EPMD_NODE_TYPE_NORMAL);
    assert_int_equal(node.protocol, EPMD_PROTO_TCP);
    assert_int_equal(node.highest_version, 6);
    assert_int_equal(node.lowest_version, 5);
    assert_int_equal(node.name_len, 7);
    assert_memory_equal(node.name, "capa_25", 7);
    assert_int_equal(node.extra_len, 0);
    /* The name points into the buffer: nothing was copied. */
    assert_ptr_equal(node.name, (const char *)b + 12);
    /* Every shorter prefix is a truncation, never a crash. */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(epmd_decode_port2_resp(b, i, &result, &node, &used,
                                                &err), -1);
        assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    }
}

static void port2_extra(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex("770004d248000006000600016100037879" "7a" "ff", b), used;
    uint8_t result;
    epmd_node_info node;
    epmd_error err;
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), 0);
    assert_int_equal(used, n - 1);
    assert_int_equal(node.port, 1234);
    assert_int_equal(node.node_type, EPMD_NODE_TYPE_HIDDEN);
    assert_int_equal(node.lowest_version, 6);
    assert_memory_equal(node.name, "a", 1);
    assert_int_equal(node.extra_len, 3);
    assert_memory_equal(node.extra, "xyz", 3);
    for (size_t i = 0; i < n - 1; i++) {
        assert_int_equal(epmd_decode_port2_resp(b, i, &result, &node, &used,
                                                &err), -1);
        assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    }
    /* Inside Extra the message says so. */
    assert_int_equal(epmd_decode_port2_resp(b, 17, &result, &node, &used,
                                            &err), -1);
    assert_non_null(strstr(err.message, "Extra"));
}

static void port2_not_found(void **state)
{
    (void)state;
    uint8_t b[8];
    /* The same 2 bytes on OTP 25, 27 and 29. */
    size_t n = hex("7701", b), used;
    uint8_t result = 0;
    epmd_node_info node;
    epmd_error err;
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), 0);
    assert_int_equal(result, 1);
    assert_int_equal(used, 2);
    assert_int_equal(epmd_decode_port2_resp(b, 1, &result, &node, &used,
                                            &err), -1);
    assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
}

static void port2_hostile(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t used;
    uint8_t result;
    epmd_node_info node;
    epmd_error err;
    /* A name length of 65535 with 2 bytes of name behind it. */
    size_t n = hex("770004d24d000006000affff6162", b);
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), -1);
    assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    assert_non_null(strstr(err.message, "node name"));
    /* An Extra length of 65535. */
    n = hex("770004d24d0000060005000161ffff00", b);
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), -1);
    assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    /* Not a PORT2_RESP at all. */
    n = hex("76006b060baf", b);
    assert_int_equal(epmd_decode_port2_resp(b, n, &result, &node, &used,
                                            &err), -1);
    assert_int_equal(err.code, EPMD_ERR_BAD_REPLY);
    assert_int_equal(epmd_decode_port2_resp(b, 0, &result, &node, &used,
                                            &err), -1);
    assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
}

/* ---- NAMES ------------------------------------------------------------ */

static void names_reply(void **state)
{
    (void)state;
    uint8_t b[256];
    /* epmd on port 39836 with two nodes, as OTP 25's epmd sent it. */
    size_t n = hex("00009b9c"
                   "6e616d6520636170625f323520617420706f72742034353831370a"
                   "6e616d6520636170615f323520617420706f72742034333139390a",
                   b);
    epmd_names_reply r;
    epmd_error err;
    assert_int_equal(epmd_decode_names_resp(b, n, &r, &err), 0);
    assert_int_equal(r.epmd_port, 39836);
    assert_int_equal(r.text_len, n - 4);
    assert_memory_equal(r.text,
                        "name capb_25 at port 45817\n"
                        "name capa_25 at port 43199\n", n - 4);
    size_t pos = 0;
    epmd_name_entry e;
    assert_int_equal(epmd_names_next(&r, &pos, &e), 1);
    assert_int_equal(e.name_len, 7);
    assert_memory_equal(e.name, "capb_25", 7);
    assert_int_equal(e.port, 45817);
    assert_int_equal(epmd_names_next(&r, &pos, &e), 1);
    assert_memory_equal(e.name, "capa_25", 7);
    assert_int_equal(e.port, 43199);
    assert_int_equal(epmd_names_next(&r, &pos, &e), 0);
    assert_int_equal(epmd_names_next(&r, &pos, &e), 0);
}

static void names_empty_and_short(void **state)
{
    (void)state;
    uint8_t b[8];
    epmd_names_reply r;
    epmd_error err;
    /* No node registered: the port alone. */
    size_t n = hex("00001111", b);
    assert_int_equal(epmd_decode_names_resp(b, n, &r, &err), 0);
    assert_int_equal(r.epmd_port, 4369);
    assert_int_equal(r.text_len, 0);
    size_t pos = 0;
    epmd_name_entry e;
    assert_int_equal(epmd_names_next(&r, &pos, &e), 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(epmd_decode_names_resp(b, i, &r, &err), -1);
        assert_int_equal(err.code, EPMD_ERR_TRUNCATED);
    }
}

/* Lines that are not "name NAME at port PORT" are skipped, as
 * erl_epmd.erl skips them. */
static void names_malformed_lines(void **state)
{
    (void)state;
    static const char text[] =
        "garbage\n"
        "name  at port 1\n"          /* empty name */
        "name a at port\n"           /* no number */
        "name b at port 65536\n"     /* not a port */
        "name c at port 12x\n"       /* not a number */
        "name d at port -1\n"
        "name e at  port 5\n"        /* two spaces */
        "name two words at port 9\n" /* NAME ends at the first space */
        "\n"
        "name ok at port 65535\n"
        "name caf\xc3\xa9 at port 7\n" /* UTF-8 */
        "name last at port 8";         /* no newline: skipped */
    epmd_names_reply r = {4369, text, sizeof text - 1};
    size_t pos = 0;
    epmd_name_entry e;
    assert_int_equal(epmd_names_next(&r, &pos, &e), 1);
    assert_int_equal(e.name_len, 2);
    assert_memory_equal(e.name, "ok", 2);
    assert_int_equal(e.port, 65535);
    assert_int_equal(epmd_names_next(&r, &pos, &e), 1);
    assert_int_equal(e.name_len, 5);
    assert_memory_equal(e.name, "caf\xc3\xa9", 5);
    assert_int_equal(e.port, 7);
    assert_int_equal(epmd_names_next(&r, &pos, &e), 0);
}

/* ---- the port --------------------------------------------------------- */

static void port_choice(void **state)
{
    (void)state;
    uint16_t p = 0;
    epmd_error err;
    assert_int_equal(epmd_port_from(NULL, NULL, &p, &err), 0);
    assert_int_equal(p, 4369);
    assert_int_equal(epmd_port_from(NULL, "", &p, &err), 0);
    assert_int_equal(p, 4369);
    assert_int_equal(epmd_port_from(NULL, "4370", &p, &err), 0);
    assert_int_equal(p, 4370);
    assert_int_equal(epmd_port_from("1", "4370", &p, &err), 0);
    assert_int_equal(p, 1);
    assert_int_equal(epmd_port_from("65535", NULL, &p, &err), 0);
    assert_int_equal(p, 65535);
    /* The option is checked even when the environment is fine, and the
     * message names the one at fault. */
    static const char *bad[] = {"0", "65536", "12a", "", "-1", " 1", "1 ",
                                "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(epmd_port_from(bad[i], "4370", &p, &err), -1);
        assert_int_equal(err.code, EPMD_ERR_ARG);
        assert_non_null(strstr(err.message, "--epmd-port"));
        if (bad[i][0] != 0) {
            assert_int_equal(epmd_port_from(NULL, bad[i], &p, &err), -1);
            assert_non_null(strstr(err.message, "ERL_EPMD_PORT"));
        }
    }
}

static void strerror_names(void **state)
{
    (void)state;
    for (int c = EPMD_OK; c <= EPMD_ERR_NOMEM; c++)
        assert_true(strlen(epmd_strerror((epmd_errcode)c)) > 0);
    assert_string_equal(epmd_strerror(EPMD_ERR_REFUSED),
                        "connection refused");
}

/* ---- random bytes ------------------------------------------------------ */

/* Every decoder, fed random bytes that start with its own code, answers
 * 0 or -1 and stays inside the buffer (AddressSanitizer checks). */
static void random_replies(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (int round = 0; round < 200000; round++) {
        uint8_t b[40];
        size_t n = (size_t)(round % 40);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
        }
        /* Small lengths, so that they often fit. */
        if (n > 11)
            b[10] = 0;
        if (n > 0)
            b[0] = "wvyw"[round % 4];
        uint8_t *h = malloc(n ? n : 1);
        memcpy(h, b, n);
        size_t used = 0;
        uint8_t result;
        epmd_node_info node;
        epmd_alive2_reply a;
        epmd_names_reply r;
        epmd_error err;
        if (epmd_decode_port2_resp(h, n, &result, &node, &used, &err) == 0) {
            assert_true(used <= n);
            if (result == 0)
                assert_true(node.name + node.name_len <= (char *)h + n &&
                            node.extra + node.extra_len <= h + n);
        }
        if (epmd_decode_alive2_resp(h, n, &a, &used, &err) == 0)
            assert_true(used <= n);
        if (epmd_decode_names_resp(h, n, &r, &err) == 0) {
            size_t pos = 0;
            epmd_name_entry e;
            while (epmd_names_next(&r, &pos, &e))
                assert_true(e.name + e.name_len <= (char *)h + n);
        }
        free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_req),
        cmocka_unit_test(port2_req),
        cmocka_unit_test(bad_names),
        cmocka_unit_test(alive2_req),
        cmocka_unit_test(alive2_x_resp),
        cmocka_unit_test(alive2_resp),
        cmocka_unit_test(alive2_refused),
        cmocka_unit_test(alive2_bad_code),
        cmocka_unit_test(port2_found),
        cmocka_unit_test(port2_extra),
        cmocka_unit_test(port2_not_found),
        cmocka_unit_test(port2_hostile),
        cmocka_unit_test(names_reply),
        cmocka_unit_test(names_empty_and_short),
        cmocka_unit_test(names_malformed_lines),
        cmocka_unit_test(port_choice),
        cmocka_unit_test(strerror_names),
        cmocka_unit_test(random_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
