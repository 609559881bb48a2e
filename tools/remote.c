/*
 * remote.c -- one call on a node, as `edist rpc` and `edist eval` make
 * it, and its outcome shown the way the node's own shell would show it.
 *
 * A session is a node of our own (tools/connect.c) with one process, which
 * both makes the call (dist/call.c) and is its group leader
 * (dist/io_server.c): the call's output comes to our stdout as it
 * happens, and its input requests read our stdin. The loop below hands
 * each message to the I/O server, to the call, or to the question "does
 * the node run Elixir?" that goes out at the same time as the call, so
 * that it costs no extra round trip.
 *
 * Exceptions are formatted on the node by the function its shell uses,
 * so that they read exactly as there: erl_error:format_exception/4 after
 * "** " for Erlang (OTP 24 and later), Exception.format/3 for Elixir.
 * The stack is trimmed first of the frames of the machinery that ran
 * the call (erpc, erl_eval, Elixir's evaluator), as the shells trim
 * their own.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/remote.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int edist_remote_open(const edist_opts *o, const char *node,
                      edist_remote *r)
{
    memset(r, 0, sizeof *r);
    int code = edist_node_connect(o, node, &r->n, r->node);
    if (code != EXIT_OK)
        return code;
    r->me = dist_proc_new(r->n, NULL);
    dist_io_opts io = {STDIN_FILENO, STDOUT_FILENO, 0};
    r->io = r->me ? dist_io_new(r->me, &io) : NULL;
    if (r->io == NULL) {
        edist_error("out of memory");
        dist_node_free(r->n);
        return EXIT_CONNECT;
    }
    r->elixir = o->format_set ? o->format == ETF_FORMAT_ELIXIR : -1;
    return EXIT_OK;
}

void edist_remote_close(edist_remote *r)
{
    dist_io_free(r->io);
    dist_node_free(r->n);
}

/* While the I/O server waits, I/O requests stay queued. */
static int receivable(const etf_term *msg, void *arg)
{
    const dist_io_server *io = arg;
    return !(dist_io_busy(io) && dist_io_is_request(msg));
}

static void detect_done(edist_remote *r, const dist_call_result *res)
{
    /* application:get_key(elixir, vsn): {ok, Vsn} where Elixir runs. */
    r->elixir = res->class == DIST_CALL_RETURN &&
                res->value.type == ETF_TUPLE && res->value.n == 2;
    if (r->elixir)
        dist_io_set_binary(r->io, 1);
}

int edist_remote_call(edist_remote *r, const edist_opts *o,
                      const char *module, const char *function,
                      const etf_term *args, unsigned flags,
                      dist_message **out, dist_call_result *res)
{
    dist_error err;
    dist_call call, detect;
    int detecting = 0, detect_started = 0;
    if (r->elixir > 0)
        dist_io_set_binary(r->io, 1);
    if (r->elixir < 0) {
        etf_arena a;
        etf_arena_init(&a);
        etf_term dargs = etf_list(&a, 2);
        if (dargs.u.elems != NULL) {
            dargs.u.elems[0] = etf_atom_z("elixir");
            dargs.u.elems[1] = etf_atom_z("vsn");
            detecting = dist_call_start(r->me, r->node, "application",
                                        "get_key", &dargs, NULL, flags,
                                        &detect, &err) == 0;
            detect_started = detecting;
        }
        etf_arena_release(&a);
        if (!detecting)
            r->elixir = 0;
    }
    if (dist_call_start(r->me, r->node, module, function, args, NULL,
                        flags, &call, &err) != 0) {
        if (detect_started)
            dist_call_release(&detect);
        edist_error("%s", err.message);
        return dist_exit_code(&err);
    }
    int64_t deadline = o->timeout_set ? now_ms() + o->timeout_ms : -1;
    dist_message *result = NULL;
    int code = EXIT_OK;
    while (result == NULL || detecting) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            wait = left > 0 ? (int)left : 0;
        }
        dist_message *m;
        int got = dist_receive(r->me, receivable, r->io, wait, &m, &err);
        if (got < 0) {
            edist_error("%s", err.message);
            code = dist_exit_code(&err);
            break;
        }
        if (got == 0) {
            /* Stop the call, and leave at once: the connection closing
             * ends what the call started too (it is linked to us). */
            dist_call_kill(r->me, &call, NULL);
            if (result == NULL) {
                edist_error("no answer from %s in %d ms: the call was "
                            "stopped (--timeout to wait longer)", r->node,
                            o->timeout_ms);
                code = EXIT_TIMEOUT;
            }
            break;
        }
        if (dist_io_take(r->io, m))
            continue;
        dist_call_result cr;
        int k;
        if (detecting && (k = dist_call_take(&detect, &m->msg, &cr)) != 0) {
            if (k == 2) {
                detect_done(r, &cr);
                detecting = 0;
            }
            dist_message_free(m);
            continue;
        }
        if (result == NULL && (k = dist_call_take(&call, &m->msg, res)) != 0) {
            if (k == 2)
                result = m;
            else
                dist_message_free(m);
            continue;
        }
        dist_message_free(m); /* not for us: a late 'EXIT', a stray */
    }
    if (detect_started)
        dist_call_release(&detect);
    if (r->elixir < 0)
        r->elixir = 0;
    dist_call_release(&call);
    if (code != EXIT_OK) {
        dist_message_free(result);
        return code;
    }
    *out = result;
    return EXIT_OK;
}

etf_format edist_remote_format(const edist_remote *r, const edist_opts *o)
{
    if (o->format_set)
        return o->format;
    return r->elixir > 0 ? ETF_FORMAT_ELIXIR : ETF_FORMAT_ERLANG;
}

void edist_remote_print(const edist_remote *r, const edist_opts *o,
                        const etf_term *t, FILE *f)
{
    etf_buf text = {0};
    etf_print_opts po = {0};
    po.format = edist_remote_format(r, o);
    po.width = o->oneline || po.format == ETF_FORMAT_JSON ? 0 : 80;
    /* Pids of the node print as its shell prints them: <0.85.0>. */
    etf_atom home = {r->node, (uint32_t)strlen(r->node)};
    po.home_node = &home;
    if (etf_print(t, &po, &text) == 0 && text.data != NULL)
        fprintf(f, "%s\n", (const char *)text.data);
    else
        edist_error("out of memory printing the result");
    etf_buf_release(&text);
}

/* ---- exceptions ------------------------------------------------------------ */

/* Frames of what ran the call rather than of the code called. */
static int machinery(const etf_term *frame)
{
    static const char *const mods[] = {
        "erpc", "erl_eval", "elixir", "elixir_eval", "elixir_compiler",
        "elixir_lexical", "elixir_dispatch", "Elixir.Code",
        "Elixir.Code.Evaluator", "Elixir.Module.ParallelChecker"};
    if (frame->type != ETF_TUPLE || frame->n < 3)
        return 0;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (etf_atom_is(&frame->u.elems[0], mods[i]))
            return 1;
    return 0;
}

static const char *class_name(dist_call_class c)
{
    return c == DIST_CALL_THROW ? "throw" : c == DIST_CALL_EXIT ? "exit"
                                                                : "error";
}

/* The shell's text for the exception, from the node; 0 with *text, or
 * -1 if the node could not format it (an old release). */
static int format_on_node(edist_remote *r, const dist_call_result *res,
                          etf_buf *text)
{
    etf_arena a;
    etf_arena_init(&a);
    etf_term stack = res->stack;
    if (stack.type == ETF_LIST && stack.u.elems[stack.n].type == ETF_NIL) {
        uint32_t n = stack.n;
        while (n > 0 && machinery(&stack.u.elems[n - 1]))
            n--;
        if (n == 0) {
            stack = etf_nil();
        } else if (n < stack.n) {
            etf_term t = etf_list(&a, n);
            if (t.u.elems != NULL) {
                memcpy(t.u.elems, stack.u.elems, n * sizeof *t.u.elems);
                stack = t;
            }
        }
    }
    etf_term args;
    const char *mod, *fun;
    if (r->elixir > 0) {
        /* Exception.format(Kind, Reason, Stack) */
        args = etf_list(&a, 3);
        mod = "Elixir.Exception";
        fun = "format";
    } else {
        /* erl_error:format_exception(Class, Reason, Stack, #{column => 4}) */
        args = etf_list(&a, 4);
        mod = "erl_error";
        fun = "format_exception";
    }
    etf_term opts = etf_map(&a, 1);
    if (args.u.elems == NULL || opts.u.elems == NULL) {
        etf_arena_release(&a);
        return -1;
    }
    args.u.elems[0] = etf_atom_z(class_name(res->class));
    args.u.elems[1] = res->value;
    args.u.elems[2] = stack;
    if (r->elixir <= 0) {
        opts.u.elems[0] = etf_atom_z("column");
        opts.u.elems[1] = etf_int(4);
        args.u.elems[3] = opts;
    }
    dist_message *m = NULL;
    dist_call_result fr;
    dist_error err;
    int ok = dist_apply(r->me, r->node, mod, fun, &args, 10000, &m, &fr,
                        &err) == 0 &&
             fr.class == DIST_CALL_RETURN;
    if (ok) {
        /* chardata: a binary, or a deep list of characters and binaries */
        ok = dist_io_chardata(&fr.value, 0, text) == 0;
    }
    dist_message_free(m);
    etf_arena_release(&a);
    return ok ? 0 : -1;
}

int edist_remote_show(edist_remote *r, const edist_opts *o,
                      const dist_call_result *res)
{
    switch (res->class) {
    case DIST_CALL_RETURN:
        edist_remote_print(r, o, &res->value, stdout);
        return EXIT_OK;
    case DIST_CALL_THROW:
    case DIST_CALL_ERROR:
    case DIST_CALL_EXIT: {
        fflush(stdout);
        etf_buf text = {0};
        if (format_on_node(r, res, &text) == 0) {
            const char *t = text.data ? (const char *)text.data : "";
            size_t n = text.len;
            while (n > 0 && t[n - 1] == '\n')
                n--;
            /* IEx's text starts with "** (", the Erlang shell's not. */
            fprintf(stderr, "%s%.*s\n", strncmp(t, "** ", 3) ? "** " : "",
                    (int)n, t);
        } else {
            fprintf(stderr, "** exception %s: ", class_name(res->class));
            edist_remote_print(r, o, &res->value, stderr);
            if (res->stack.type == ETF_LIST) {
                fprintf(stderr, "   stack: ");
                edist_remote_print(r, o, &res->stack, stderr);
            }
        }
        etf_buf_release(&text);
        return EXIT_REMOTE;
    }
    case DIST_CALL_BADRPC: {
        /* rex says {badrpc, {'EXIT', {Reason, Stack}}} for an error and
         * {badrpc, {'EXIT', Reason}} for an exit: shown as those. */
        const etf_term *v = &res->value;
        if (v->type == ETF_TUPLE && v->n == 2 &&
            etf_atom_is(&v->u.elems[0], "EXIT")) {
            const etf_term *x = &v->u.elems[1];
            dist_call_result as = {DIST_CALL_EXIT, *x, etf_nil()};
            if (x->type == ETF_TUPLE && x->n == 2 &&
                x->u.elems[1].type == ETF_LIST &&
                x->u.elems[1].u.elems[0].type == ETF_TUPLE) {
                as.class = DIST_CALL_ERROR;
                as.value = x->u.elems[0];
                as.stack = x->u.elems[1];
            }
            return edist_remote_show(r, o, &as);
        }
        fflush(stdout);
        fprintf(stderr, "** {badrpc, ...}: the call failed on %s:\n   ",
                r->node);
        edist_remote_print(r, o, &res->value, stderr);
        return EXIT_REMOTE;
    }
    case DIST_CALL_FAILED:
        fflush(stdout);
        if (etf_atom_is(&res->value, "noconnection")) {
            edist_error("the connection to %s went down during the call",
                        r->node);
            return EXIT_CONNECT;
        }
        fprintf(stderr, "** the call's process on %s ended: ", r->node);
        edist_remote_print(r, o, &res->value, stderr);
        return EXIT_REMOTE;
    }
    return EXIT_REMOTE;
}
