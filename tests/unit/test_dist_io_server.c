/*
 * test_dist_io_server.c -- unit tests of the group leader
 * (dist/io_server.c) with a client process of the same node, so that no
 * connection is involved: each I/O request of the io protocol gets the
 * reply OTP's own group leader (group.erl) gives, output reaches the
 * output fd as UTF-8, input is read from the input fd only while a
 * request wants it, and a request that waits keeps the later ones
 * queued, in order. Requests whose answer needs code run on the
 * requester's node ({put_chars, Enc, M, F, A}, get_until) are tested
 * against real nodes in tests/integration/rpc.test.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dist/node.h"

typedef struct fixture {
    dist_node *n;
    dist_proc *gl, *client;
    dist_io_server *io;
    int in[2], out[2];   /* pipes: [0] read end, [1] write end */
    etf_arena a;
    char text[4096];     /* the last reply, printed */
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    dist_node_opts o = {0};
    o.name = "io_test@localhost";
    o.cookie = "c";
    dist_error err;
    if (dist_node_new(&o, &f.n, &err) != 0 || pipe(f.in) != 0 ||
        pipe(f.out) != 0)
        return -1;
    fcntl(f.out[0], F_SETFL, O_NONBLOCK);
    f.gl = dist_proc_new(f.n, NULL);
    f.client = dist_proc_new(f.n, NULL);
    dist_io_opts io = {f.in[0], f.out[1], 0};
    f.io = f.gl ? dist_io_new(f.gl, &io) : NULL;
    etf_arena_init(&f.a);
    *state = &f;
    return f.io != NULL && f.client != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dist_io_free(f->io);
    dist_node_free(f->n);
    etf_arena_release(&f->a);
    close(f->in[0]);
    if (f->in[1] >= 0)
        close(f->in[1]);
    close(f->out[0]);
    close(f->out[1]);
    return 0;
}

static int receivable(const etf_term *msg, void *arg)
{
    return !(dist_io_busy(arg) && dist_io_is_request(msg));
}

/* Runs the group leader until its mailbox has nothing it can take. */
static void pump(fixture *f)
{
    for (int i = 0; i < 50; i++) {
        dist_message *m;
        dist_error err;
        int r = dist_receive(f->gl, receivable, f->io, 5, &m, &err);
        assert_true(r >= 0);
        if (r == 0)
            return;
        if (!dist_io_take(f->io, m))
            dist_message_free(m);
    }
}

/* Sends {io_request, Client, Tag, Request} (Request in Erlang syntax)
 * from the client to the group leader. */
static void send_request(fixture *f, int tag, const char *request)
{
    etf_term req, msg = etf_tuple(&f->a, 4);
    etf_error e;
    assert_int_equal(etf_parse(request, strlen(request), &f->a, &req, &e), 0);
    msg.u.elems[0] = etf_atom_z("io_request");
    msg.u.elems[1] = *dist_self(f->client);
    msg.u.elems[2] = etf_int(tag);
    msg.u.elems[3] = req;
    dist_error err;
    assert_int_equal(dist_send(f->client, dist_self(f->gl), &msg, &err), 0);
}

/* The client's next reply, which must carry `tag`, printed into f->text;
 * NULL if there is none. */
static const char *reply(fixture *f, int tag)
{
    dist_message *m;
    dist_error err;
    if (dist_receive(f->client, NULL, NULL, 0, &m, &err) != 1)
        return NULL;
    const etf_term *t = &m->msg;
    assert_int_equal(t->type, ETF_TUPLE);
    assert_int_equal(t->n, 3);
    assert_true(etf_atom_is(&t->u.elems[0], "io_reply"));
    assert_int_equal(t->u.elems[1].u.i, tag);
    etf_buf b = {0};
    assert_int_equal(etf_print(&t->u.elems[2], NULL, &b), 0);
    snprintf(f->text, sizeof f->text, "%s", (const char *)b.data);
    etf_buf_release(&b);
    dist_message_free(m);
    return f->text;
}

/* One request, served at once: its reply. */
static const char *ask(fixture *f, const char *request)
{
    send_request(f, 1, request);
    pump(f);
    const char *r = reply(f, 1);
    assert_non_null(r);
    return r;
}

/* What was written to the output fd since the last call. */
static const char *output(fixture *f)
{
    static char buf[4096];
    ssize_t n = read(f->out[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void input(fixture *f, const char *s)
{
    assert_int_equal(write(f->in[1], s, strlen(s)), (ssize_t)strlen(s));
}

static void input_eof(fixture *f)
{
    close(f->in[1]);
    f->in[1] = -1;
}

static void test_put_chars(void **state)
{
    fixture *f = *state;
    assert_string_equal(ask(f, "{put_chars, unicode, <<\"abc\\n\">>}"), "ok");
    assert_string_equal(output(f), "abc\n");
    /* Deep chardata: code points, binaries, an improper binary tail. */
    assert_string_equal(
        ask(f, "{put_chars, unicode, [$a, [233, <<\"\\x{65e5}\"/utf8>>] | <<\"z\">>]}"),
        "ok");
    assert_string_equal(output(f), "a\xc3\xa9\xe6\x97\xa5z");
    /* Latin-1: each byte is a character. */
    assert_string_equal(ask(f, "{put_chars, latin1, <<233>>}"), "ok");
    assert_string_equal(output(f), "\xc3\xa9");
    /* The form without the encoding (no DFLAG_UNICODE_IO): Latin-1. */
    assert_string_equal(ask(f, "{put_chars, \"old\"}"), "ok");
    assert_string_equal(output(f), "old");
}

static void test_put_chars_errors(void **state)
{
    fixture *f = *state;
    assert_string_equal(ask(f, "{put_chars, unicode, foo}"),
                        "{error,{put_chars,unicode,foo}}");
    assert_string_equal(ask(f, "{put_chars, latin1, [256]}"),
                        "{error,{put_chars,latin1,[256]}}");
    assert_string_equal(ask(f, "{put_chars, unicode, <<255>>}"),
                        "{error,{put_chars,unicode,<<\"\xc3\xbf\">>}}");
    assert_string_equal(output(f), "");
}

static void test_unknown_and_options(void **state)
{
    fixture *f = *state;
    assert_string_equal(ask(f, "foo"), "{error,request}");
    assert_string_equal(ask(f, "{nope, 1, 2}"), "{error,request}");
    assert_string_equal(ask(f, "{get_line}"), "{error,request}");
    assert_string_equal(ask(f, "{get_chars, unicode, '', x}"),
                        "{error,request}");
    assert_string_equal(ask(f, "getopts"),
                        "[{expand_fun,false},{echo,false},{binary,false},"
                        "{encoding,unicode}]");
    assert_string_equal(ask(f, "{setopts, [binary, {encoding, latin1}]}"),
                        "ok");
    assert_string_equal(ask(f, "getopts"),
                        "[{expand_fun,false},{echo,false},{binary,true},"
                        "{encoding,latin1}]");
    assert_string_equal(ask(f, "{setopts, [{tty, true}]}"),
                        "{error,enotsup}");
    /* A pipe is not a terminal: no geometry. */
    assert_string_equal(ask(f, "{get_geometry, columns}"), "{error,enotsup}");
}

static void test_requests(void **state)
{
    fixture *f = *state;
    assert_string_equal(
        ask(f, "{requests, [{put_chars, unicode, <<\"a\">>},"
               " {put_chars, unicode, <<\"b\">>}]}"),
        "ok");
    assert_string_equal(output(f), "ab");
    /* It stops at the first error: "c" is never written. */
    assert_string_equal(
        ask(f, "{requests, [{put_chars, unicode, bad},"
               " {put_chars, unicode, <<\"c\">>}]}"),
        "{error,{put_chars,unicode,bad}}");
    assert_string_equal(output(f), "");
}

static void test_get_line(void **state)
{
    fixture *f = *state;
    input(f, "one\nt\xc3\xa9o\nlast");
    input_eof(f);
    assert_string_equal(ask(f, "{get_line, unicode, \"p> \"}"), "\"one\\n\"");
    assert_string_equal(output(f), "p> ");
    assert_string_equal(ask(f, "{get_line, unicode, ''}"), "\"t\xc3\xa9o\\n\"");
    /* The last line has no newline: what is there, then eof. */
    assert_string_equal(ask(f, "{get_line, unicode, ''}"), "\"last\"");
    assert_string_equal(ask(f, "{get_line, unicode, ''}"), "eof");
    assert_string_equal(ask(f, "{get_chars, unicode, '', 1}"), "eof");
    assert_string_equal(ask(f, "{get_password, unicode}"), "eof");
}

static void test_get_chars_binary(void **state)
{
    fixture *f = *state;
    input(f, "\xc3\xa9xyz");
    assert_string_equal(ask(f, "{setopts, [binary]}"), "ok");
    /* Two characters, three bytes. */
    assert_string_equal(ask(f, "{get_chars, unicode, '', 2}"),
                        "<<\"\xc3\xa9x\"/utf8>>");
    assert_string_equal(ask(f, "{get_chars, unicode, '', 2}"), "<<\"yz\">>");
}

/* A request that waits for input keeps the next one queued: the output
 * comes after the line is read, and the replies in order. */
static void test_waiting_keeps_order(void **state)
{
    fixture *f = *state;
    send_request(f, 1, "{get_line, unicode, ''}");
    send_request(f, 2, "{put_chars, unicode, <<\"after\">>}");
    pump(f);
    assert_null(reply(f, 1));
    assert_string_equal(output(f), "");
    input(f, "now\n");
    pump(f);
    assert_string_equal(reply(f, 1), "\"now\\n\"");
    assert_string_equal(reply(f, 2), "ok");
    assert_string_equal(output(f), "after");
}

static void test_chardata(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error e;
    const char *s = "[<<\"x\">>, \"yz\", [[], 8364]]";
    assert_int_equal(etf_parse(s, strlen(s), &a, &t, &e), 0);
    etf_buf b = {0};
    assert_int_equal(dist_io_chardata(&t, 0, &b), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "xyz\xe2\x82\xac", 6);
    b.len = 0;
    const char *bad = "[1 | 2]";
    assert_int_equal(etf_parse(bad, strlen(bad), &a, &t, &e), 0);
    assert_int_equal(dist_io_chardata(&t, 0, &b), -1);
    /* Nested deeper than any text: refused, not a stack overflow. */
    etf_term deep = etf_nil();
    for (int i = 0; i < 100000; i++) {
        etf_term l = etf_list(&a, 1);
        l.u.elems[0] = deep;
        deep = l;
    }
    assert_int_equal(dist_io_chardata(&deep, 0, &b), -1);
    const char *sur = "[16#D800]";
    assert_int_equal(etf_parse(sur, strlen(sur), &a, &t, &e), 0);
    assert_int_equal(dist_io_chardata(&t, 0, &b), -1);
    etf_buf_release(&b);
    etf_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_chars_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_options, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_chars_binary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_waiting_keeps_order, setup,
                                        teardown),
        cmocka_unit_test(test_chardata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
