/*
 * io_server.c -- a group leader on our node: what lets the output of a
 * remote call (io:format, IO.puts) reach our standard output, and its
 * input requests (io:get_line, IO.gets) read our standard input.
 *
 * Every Erlang process has a group leader, the process its I/O requests
 * go to. A call we start on another node (dist/call.c) can have one of
 * our processes as its group leader; then each io:format there sends us
 *
 *     {io_request, From, ReplyAs, Request}
 *
 * and From waits, blocked, until we send it {io_reply, ReplyAs, Reply}.
 * So every request gets a reply, whatever it is: {error, request} for
 * one we do not know. The requests (OTP's io_protocol.md, and group.erl,
 * the group leader of a shell, for what a real one answers):
 *
 *   {put_chars, Enc, Chars}             write Chars (chardata) -> ok
 *   {put_chars, Enc, M, F, A}           write apply(M, F, A): io:format
 *                                       sends io_lib:format and its
 *                                       arguments. A C node cannot run
 *                                       them, so we run them as a call on
 *                                       the requester's node, and write
 *                                       the text that comes back.
 *   {get_line, Enc, Prompt}             one line of input, or eof
 *   {get_chars, Enc, Prompt, N}         N characters, or fewer, or eof
 *   {get_until, Enc, Prompt, M, F, X}   M:F(Cont, Data, X...) on the
 *                                       requester's node, fed a line at a
 *                                       time until it says {done, R, Rest}
 *   {get_password, Enc}                 a line, no prompt
 *   {setopts, Opts}, getopts            binary/list mode, encoding, echo
 *   {get_geometry, columns | rows}      the terminal's size, if it is one
 *   {requests, [Request]}               each in turn, the last one's reply
 *
 * and the forms without Enc that nodes send when the connection lacks
 * DFLAG_UNICODE_IO (latin1 then).
 *
 * One request is served at a time, as a real group leader does: while
 * one waits (for a remote format or for input), the others stay in the
 * mailbox (dist_io_busy), so output keeps its order. Input is read only
 * while a request wants it: standard input is then watched by the node's
 * poll (dist_node_watch_fd), and what is read wakes the process with a
 * message to itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dist/internal.h"
#include "dist/node.h"

#define WAKE_ATOM "$edist_io_input"
#define READ_CHUNK 65536

enum io_wait { IO_IDLE, IO_WAIT_CALL, IO_WAIT_INPUT };

struct dist_io_server {
    dist_proc *p;
    int in_fd, out_fd;
    int binary;               /* read mode: 1 binaries, 0 lists */
    int latin1;               /* {encoding, latin1} was set */
    /* Input read and not given out yet (UTF-8 as read). */
    uint8_t *in;
    size_t in_len, in_cap;
    int in_eof;
    /* The request being served. */
    dist_message *req;
    etf_term from, reply_as;
    const etf_term *steps;    /* the requests: one, or those of requests */
    uint32_t nsteps, step;
    etf_term last;            /* the reply of the last step */
    etf_arena scratch;        /* replies built for the current request */
    enum io_wait wait;
    /* A call under way for the current step: a remote format, or a
     * get_until step; which, the step says. */
    dist_call call;
    int call_active;
    dist_message *until_msg;  /* the last get_until answer (its Cont) */
    etf_term until_cont;
};

/* ---- small helpers ------------------------------------------------------- */

static int write_all(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            poll(&pfd, 1, -1);
            continue;
        }
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int put_utf8(etf_buf *b, uint32_t c)
{
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6);
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12);
        u[1] = (char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18);
        u[1] = (char)(0x80 | (c >> 12 & 0x3F));
        u[2] = (char)(0x80 | (c >> 6 & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    etf_buf_append(b, u, n);
    return 0;
}

/* Chardata (a binary, or a possibly deep and improper list of
 * characters and binaries) as UTF-8, the way
 * unicode:characters_to_binary(Chars, In) reads it: with `latin1`,
 * binaries are bytes and characters must be below 256; else binaries
 * are UTF-8. Returns 0, or -1 if it is not chardata, or nested deeper
 * than CHARDATA_DEPTH (text never is; a hostile peer's list could be, a
 * million levels deep, and this recursion must not run out of stack). */
#define CHARDATA_DEPTH 1000

static int chardata(const etf_term *t, int latin1, etf_buf *out,
                    unsigned depth)
{
    if (depth > CHARDATA_DEPTH)
        return -1;
    switch (t->type) {
    case ETF_NIL:
        return 0;
    case ETF_INTEGER:
        if (t->u.i < 0 || (latin1 && t->u.i > 255))
            return -1;
        return put_utf8(out, (uint32_t)(t->u.i > 0x10FFFF ? 0x110000
                                                          : t->u.i));
    case ETF_BINARY:
        if (t->bits != 0)
            return -1;
        if (!latin1) {
            if (!etf_utf8_valid(t->u.bytes, t->n))
                return -1;
            etf_buf_append(out, t->u.bytes, t->n);
            return 0;
        }
        for (uint32_t i = 0; i < t->n; i++)
            put_utf8(out, t->u.bytes[i]);
        return 0;
    case ETF_STRING:
        for (uint32_t i = 0; i < t->n; i++)
            put_utf8(out, t->u.bytes[i]);
        return 0;
    case ETF_LIST:
        for (uint32_t i = 0; i < t->n; i++) {
            if (chardata(&t->u.elems[i], latin1, out, depth + 1) != 0)
                return -1;
        }
        /* An improper tail may only be a binary. */
        if (t->u.elems[t->n].type != ETF_NIL &&
            t->u.elems[t->n].type != ETF_BINARY)
            return -1;
        return chardata(&t->u.elems[t->n], latin1, out, depth + 1);
    default:
        return -1;
    }
}

int dist_io_chardata(const etf_term *t, int latin1, etf_buf *out)
{
    return chardata(t, latin1, out, 0);
}

static int is_encoding(const etf_term *t)
{
    return etf_atom_is(t, "unicode") || etf_atom_is(t, "latin1") ||
           etf_atom_is(t, "utf8");
}

/* Whether request r, a tuple, is Latin-1: it says latin1, or it has no
 * encoding at all (the forms of peers without DFLAG_UNICODE_IO). */
static int request_latin1(const etf_term *r)
{
    if (r->n >= 2 && is_encoding(&r->u.elems[1]))
        return etf_atom_is(&r->u.elems[1], "latin1");
    return 1;
}

static etf_term error_tuple(etf_arena *a, etf_term why)
{
    etf_term t = etf_tuple(a, 2);
    if (t.u.elems == NULL)
        return etf_atom_z("error");
    t.u.elems[0] = etf_atom_z("error");
    t.u.elems[1] = why;
    return t;
}

static etf_term error_atom(etf_arena *a, const char *why)
{
    return error_tuple(a, etf_atom_z(why));
}

/* ---- the server ---------------------------------------------------------- */

dist_io_server *dist_io_new(dist_proc *p, const dist_io_opts *o)
{
    dist_io_server *io = calloc(1, sizeof *io);
    if (io == NULL)
        return NULL;
    io->p = p;
    io->in_fd = o->in_fd;
    io->out_fd = o->out_fd;
    io->binary = o->binary != 0;
    io->in_eof = o->in_fd < 0;
    etf_arena_init(&io->scratch);
    return io;
}

void dist_io_set_binary(dist_io_server *io, int binary)
{
    io->binary = binary != 0;
}

static void end_request(dist_io_server *io)
{
    if (io->call_active)
        dist_call_release(&io->call);
    io->call_active = 0;
    dist_message_free(io->until_msg);
    io->until_msg = NULL;
    dist_message_free(io->req);
    io->req = NULL;
    etf_arena_reset(&io->scratch);
    io->wait = IO_IDLE;
}

void dist_io_free(dist_io_server *io)
{
    if (io == NULL)
        return;
    dist_node_watch_fd(dist_proc_node(io->p), -1, NULL, NULL);
    end_request(io);
    etf_arena_release(&io->scratch);
    free(io->in);
    free(io);
}

int dist_io_busy(const dist_io_server *io) { return io->req != NULL; }

int dist_io_is_request(const etf_term *msg)
{
    return msg->type == ETF_TUPLE && msg->n == 4 &&
           etf_atom_is(&msg->u.elems[0], "io_request");
}

/* ---- input --------------------------------------------------------------- */

static void on_input(void *arg, int fd)
{
    dist_io_server *io = arg;
    if (io->in_cap - io->in_len < READ_CHUNK) {
        size_t cap = io->in_len + READ_CHUNK;
        uint8_t *b = realloc(io->in, cap);
        if (b == NULL) {
            io->in_eof = 1;
            goto wake;
        }
        io->in = b;
        io->in_cap = cap;
    }
    ssize_t r = read(fd, io->in + io->in_len, READ_CHUNK);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0)
        io->in_eof = 1;
    else
        io->in_len += (size_t)r;
wake:
    /* Done reading for now: the process looks at it when it wakes. */
    dist_node_watch_fd(dist_proc_node(io->p), -1, NULL, NULL);
    etf_term w = etf_atom_z(WAKE_ATOM);
    dist_send(io->p, dist_self(io->p), &w, NULL);
}

static void want_input(dist_io_server *io)
{
    io->wait = IO_WAIT_INPUT;
    dist_node_watch_fd(dist_proc_node(io->p), io->in_fd, on_input, io);
}

/* Length of the UTF-8 sequence that starts with byte b (1 for a byte
 * that starts none: it is then read as a Latin-1 character). */
static size_t seq_len(const uint8_t *s, size_t avail)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3
               : s[0] >= 0xC0 ? 2 : 1;
    if (n > avail)
        return 0; /* incomplete: wait for more */
    if (!etf_utf8_valid(s, n))
        return 1;
    return n;
}

/* Input text s[0..n) as the reply's data: a binary (UTF-8, or Latin-1
 * bytes) in binary mode, else a list of characters. */
static etf_term input_data(dist_io_server *io, const uint8_t *s, size_t n,
                           int latin1)
{
    etf_arena *a = &io->scratch;
    size_t chars = 0;
    for (size_t i = 0; i < n;) {
        size_t k = seq_len(s + i, n - i);
        i += k ? k : n - i;
        chars++;
    }
    uint32_t *cps = etf_arena_alloc(a, (chars ? chars : 1) * sizeof *cps);
    if (cps == NULL)
        return etf_atom_z("eof");
    size_t c = 0;
    int wide = 0;
    for (size_t i = 0; i < n; c++) {
        size_t k = seq_len(s + i, n - i);
        if (k == 0)
            k = 1;
        uint32_t cp = s[i];
        if (k == 2)
            cp = (uint32_t)(s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
        else if (k == 3)
            cp = (uint32_t)(s[i] & 0x0F) << 12 |
                 (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        else if (k == 4)
            cp = (uint32_t)(s[i] & 0x07) << 18 |
                 (uint32_t)(s[i + 1] & 0x3F) << 12 |
                 (uint32_t)(s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
        cps[c] = cp;
        wide |= cp > 255;
        i += k;
    }
    if (latin1 && wide)
        return error_tuple(a, etf_atom_z("no_translation"));
    if (io->binary) {
        if (!latin1)
            return etf_binary(s, n); /* s lives in the arena (take_input) */
        uint8_t *b = etf_arena_alloc(a, chars ? chars : 1);
        if (b == NULL)
            return etf_atom_z("eof");
        for (size_t i = 0; i < chars; i++)
            b[i] = (uint8_t)cps[i];
        return etf_binary(b, chars);
    }
    if (chars == 0)
        return etf_nil();
    etf_term l = etf_list(a, (uint32_t)chars);
    if (l.u.elems == NULL)
        return etf_atom_z("eof");
    for (size_t i = 0; i < chars; i++)
        l.u.elems[i] = etf_int(cps[i]);
    return l;
}

/* Takes n bytes off the front of the input, copied into the scratch
 * arena. */
static const uint8_t *take_input(dist_io_server *io, size_t n)
{
    uint8_t *copy = etf_arena_alloc(&io->scratch, n ? n : 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, io->in, n);
    memmove(io->in, io->in + n, io->in_len - n);
    io->in_len -= n;
    return copy;
}

/* Bytes of the first line of input, newline included: 0 if there is no
 * whole line yet (and not at eof). */
static size_t line_len(const dist_io_server *io)
{
    const uint8_t *nl = io->in_len ? memchr(io->in, '\n', io->in_len) : NULL;
    if (nl != NULL)
        return (size_t)(nl - io->in) + 1;
    return io->in_eof ? io->in_len : 0;
}

/* Bytes of the first `want` characters: 0 if there are not enough yet. */
static size_t chars_len(const dist_io_server *io, int64_t want)
{
    size_t i = 0;
    for (int64_t c = 0; c < want; c++) {
        if (i >= io->in_len)
            return io->in_eof ? i : 0;
        size_t k = seq_len(io->in + i, io->in_len - i);
        if (k == 0)
            return io->in_eof ? io->in_len : 0;
        i += k;
    }
    return i;
}

static void prompt(dist_io_server *io, const etf_term *t)
{
    etf_buf b = {0};
    if (t->type == ETF_ATOM) {
        etf_buf_append(&b, t->u.atom, t->n);
    } else if (dist_io_chardata(t, 0, &b) != 0) {
        b.len = 0;
    }
    if (b.len > 0)
        write_all(io->out_fd, b.data, b.len);
    etf_buf_release(&b);
}

/* ---- one request ----------------------------------------------------------- */

/* Starts a call for the current request on the requester's node. */
static int start_call(dist_io_server *io, const etf_term *m, const etf_term *f,
                      const etf_term *args)
{
    if (m->type != ETF_ATOM || f->type != ETF_ATOM ||
        m->n > ETF_MAX_ATOM_BYTES || f->n > ETF_MAX_ATOM_BYTES ||
        io->from.type != ETF_PID)
        return -1;
    char mod[ETF_MAX_ATOM_BYTES + 1], fun[ETF_MAX_ATOM_BYTES + 1];
    char node[ETF_MAX_ATOM_BYTES + 1];
    const etf_atom *na = &io->from.u.pid->node;
    if (na->len > ETF_MAX_ATOM_BYTES)
        return -1;
    memcpy(mod, m->u.atom, m->n);
    mod[m->n] = 0;
    memcpy(fun, f->u.atom, f->n);
    fun[f->n] = 0;
    memcpy(node, na->name, na->len);
    node[na->len] = 0;
    if (io->call_active)
        dist_call_release(&io->call);
    io->call_active = 0;
    dist_error err;
    if (dist_call_start(io->p, node, mod, fun, args, NULL, 0, &io->call,
                        &err) != 0)
        return -1;
    io->call_active = 1;
    io->wait = IO_WAIT_CALL;
    return 0;
}

/* get_until: calls M:F(Cont, Data, Extra...) with the next line. */
static int until_step(dist_io_server *io, int latin1)
{
    size_t n = line_len(io);
    if (n == 0 && !io->in_eof) {
        want_input(io);
        return 0;
    }
    etf_term data;
    if (n == 0) {
        data = etf_atom_z("eof");
    } else {
        const uint8_t *s = take_input(io, n);
        data = s ? input_data(io, s, n, latin1) : etf_atom_z("eof");
    }
    /* M, F and ExtraArgs are the request's last three elements. */
    const etf_term *req = &io->steps[io->step];
    const etf_term *mfa = &req->u.elems[req->n - 3];
    const etf_term *extra = &mfa[2];
    uint32_t nextra = extra->type == ETF_LIST ? extra->n
                      : extra->type == ETF_STRING ? extra->n : 0;
    etf_term args = etf_list(&io->scratch, 2 + nextra);
    if (args.u.elems == NULL)
        return -1;
    args.u.elems[0] = io->until_cont;
    args.u.elems[1] = data;
    for (uint32_t i = 0; i < nextra; i++)
        args.u.elems[2 + i] = extra->type == ETF_LIST
                                  ? extra->u.elems[i]
                                  : etf_int(extra->u.bytes[i]);
    return start_call(io, &mfa[0], &mfa[1], &args);
}

/* Serves `r`. Returns 1 done (io->last holds the reply), 0 waiting. */
static int serve(dist_io_server *io, const etf_term *r)
{
    etf_arena *a = &io->scratch;
    const etf_term *e = r->type == ETF_TUPLE ? r->u.elems : NULL;
    uint32_t n = e ? r->n : 0;
    /* The forms without the encoding (no DFLAG_UNICODE_IO) are Latin-1. */
    int has_enc = n >= 2 && is_encoding(&e[1]);
    int latin1 = e != NULL && request_latin1(r);
    const etf_term *args = e ? e + 1 + has_enc : NULL;
    uint32_t nargs = e ? n - 1 - (uint32_t)has_enc : 0;

    if (e != NULL && etf_atom_is(&e[0], "put_chars") && nargs == 1) {
        etf_buf b = {0};
        int ok = dist_io_chardata(&args[0], latin1, &b) == 0;
        if (ok && b.len > 0 && write_all(io->out_fd, b.data, b.len) != 0)
            io->last = error_atom(a, "terminated");
        else if (!ok) {
            /* As group.erl: {error, {put_chars, Enc, Chars}} */
            etf_term why = etf_tuple(a, 3);
            if (why.u.elems != NULL) {
                why.u.elems[0] = etf_atom_z("put_chars");
                why.u.elems[1] = etf_atom_z(latin1 ? "latin1" : "unicode");
                why.u.elems[2] = args[0];
            }
            io->last = error_tuple(a, why);
        } else
            io->last = etf_atom_z("ok");
        etf_buf_release(&b);
        return 1;
    }
    if (e != NULL && etf_atom_is(&e[0], "put_chars") && nargs == 3) {
        if (start_call(io, &args[0], &args[1], &args[2]) == 0)
            return 0;
        io->last = error_tuple(a, args[1]);
        return 1;
    }
    if ((e != NULL && etf_atom_is(&e[0], "get_line") && nargs == 1) ||
        (e != NULL && etf_atom_is(&e[0], "get_password") && nargs == 0 &&
         has_enc) ||
        etf_atom_is(r, "get_password")) {
        if (io->wait != IO_WAIT_INPUT && nargs == 1)
            prompt(io, &args[0]);
        size_t len = line_len(io);
        if (len == 0 && !io->in_eof) {
            want_input(io);
            return 0;
        }
        if (len == 0) {
            io->last = etf_atom_z("eof");
            return 1;
        }
        const uint8_t *s = take_input(io, len);
        io->last = s ? input_data(io, s, len, latin1) : etf_atom_z("eof");
        return 1;
    }
    if (e != NULL && etf_atom_is(&e[0], "get_chars") && nargs == 2 &&
        args[1].type == ETF_INTEGER) {
        if (io->wait != IO_WAIT_INPUT)
            prompt(io, &args[0]);
        int64_t want = args[1].u.i;
        size_t len = want > 0 ? chars_len(io, want) : 0;
        if (want > 0 && len == 0 && !io->in_eof) {
            want_input(io);
            return 0;
        }
        if (want > 0 && len == 0) {
            io->last = etf_atom_z("eof");
            return 1;
        }
        const uint8_t *s = take_input(io, len);
        io->last = s ? input_data(io, s, len, latin1) : etf_atom_z("eof");
        return 1;
    }
    if (e != NULL && etf_atom_is(&e[0], "get_until") && nargs == 4) {
        if (io->wait == IO_IDLE) {
            prompt(io, &args[0]);
            io->until_cont = etf_nil();
        }
        if (until_step(io, latin1) != 0) {
            io->last = error_atom(a, "request");
            return 1;
        }
        return 0;
    }
    if (e != NULL && etf_atom_is(&e[0], "setopts") && n == 2) {
        /* What group.erl accepts: binary/list, {binary, B}, encoding,
         * echo, expand_fun; anything else is enotsup. */
        const etf_term *l = &e[1];
        int binary = io->binary, latin = io->latin1, ok = 1;
        uint32_t k = l->type == ETF_LIST ? l->n : 0;
        if (l->type != ETF_LIST && l->type != ETF_NIL)
            ok = 0;
        for (uint32_t i = 0; ok && i < k; i++) {
            const etf_term *o = &l->u.elems[i];
            const etf_term *ov = o->type == ETF_TUPLE && o->n == 2
                                     ? o->u.elems : NULL;
            if (etf_atom_is(o, "binary"))
                binary = 1;
            else if (etf_atom_is(o, "list"))
                binary = 0;
            else if (ov && etf_atom_is(&ov[0], "binary") &&
                     (etf_atom_is(&ov[1], "true") ||
                      etf_atom_is(&ov[1], "false")))
                binary = etf_atom_is(&ov[1], "true");
            else if (ov && etf_atom_is(&ov[0], "encoding") &&
                     is_encoding(&ov[1]))
                latin = etf_atom_is(&ov[1], "latin1");
            else if (!(ov && (etf_atom_is(&ov[0], "echo") ||
                              etf_atom_is(&ov[0], "expand_fun"))))
                ok = 0;
        }
        if (ok) {
            io->binary = binary;
            io->latin1 = latin;
            io->last = etf_atom_z("ok");
        } else {
            io->last = error_atom(a, "enotsup");
        }
        return 1;
    }
    if (etf_atom_is(r, "getopts")) {
        etf_term l = etf_list(a, 4);
        static const char *keys[4] = {"expand_fun", "echo", "binary",
                                      "encoding"};
        for (int i = 0; l.u.elems != NULL && i < 4; i++) {
            etf_term kv = etf_tuple(a, 2);
            if (kv.u.elems == NULL)
                return io->last = error_atom(a, "enomem"), 1;
            kv.u.elems[0] = etf_atom_z(keys[i]);
            kv.u.elems[1] = etf_atom_z(
                i < 2 ? "false"
                : i == 2 ? (io->binary ? "true" : "false")
                         : (io->latin1 ? "latin1" : "unicode"));
            l.u.elems[i] = kv;
        }
        io->last = l.u.elems ? l : error_atom(a, "enomem");
        return 1;
    }
    if (e != NULL && etf_atom_is(&e[0], "get_geometry") && n == 2 &&
        (etf_atom_is(&e[1], "columns") || etf_atom_is(&e[1], "rows"))) {
        struct winsize ws;
        if (ioctl(io->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            io->last = etf_int(etf_atom_is(&e[1], "columns") ? ws.ws_col
                                                              : ws.ws_row);
        else
            io->last = error_atom(a, "enotsup");
        return 1;
    }
    io->last = error_atom(a, "request");
    return 1;
}

static void reply(dist_io_server *io, const etf_term *r)
{
    etf_term t = etf_tuple(&io->scratch, 3);
    if (t.u.elems == NULL)
        return;
    t.u.elems[0] = etf_atom_z("io_reply");
    t.u.elems[1] = io->reply_as;
    t.u.elems[2] = *r;
    dist_send(io->p, &io->from, &t, NULL);
}

/* Runs the steps of the current request from io->step on, until one
 * waits or all are done (then replies, and ends the request). A
 * `requests` list stops at the first step whose reply is not ok. */
static void run(dist_io_server *io)
{
    while (io->step < io->nsteps) {
        if (!serve(io, &io->steps[io->step]))
            return; /* waiting */
        io->wait = IO_IDLE;
        io->step++;
        if (io->nsteps > 1 && io->step < io->nsteps &&
            !etf_atom_is(&io->last, "ok"))
            break;
    }
    reply(io, &io->last);
    end_request(io);
}

/* The call of the current step answered. */
static void call_done(dist_io_server *io, dist_message *m,
                      const dist_call_result *r)
{
    etf_arena *a = &io->scratch;
    dist_call_release(&io->call);
    io->call_active = 0;
    io->wait = IO_IDLE;
    const etf_term *req = &io->steps[io->step];
    int latin1 = request_latin1(req);
    if (etf_atom_is(&req->u.elems[0], "put_chars")) {
        const etf_term *f = &req->u.elems[req->n - 2];
        etf_buf b = {0};
        if (r->class == DIST_CALL_RETURN &&
            dist_io_chardata(&r->value, latin1, &b) == 0) {
            io->last = b.len > 0 && write_all(io->out_fd, b.data, b.len)
                           ? error_atom(a, "terminated")
                           : etf_atom_z("ok");
        } else {
            io->last = error_tuple(a, *f);
        }
        etf_buf_release(&b);
        dist_message_free(m);
        io->step++;
        run(io);
        return;
    }
    /* get_until: {done, Result, Rest} or {more, Cont}. */
    const etf_term *v = &r->value;
    const etf_term *e = v->type == ETF_TUPLE ? v->u.elems : NULL;
    if (r->class == DIST_CALL_RETURN && e && v->n == 3 &&
        etf_atom_is(&e[0], "done")) {
        /* Rest goes back in front of the input. */
        etf_buf rest = {0};
        if (!etf_atom_is(&e[2], "eof") && dist_io_chardata(&e[2], latin1, &rest) == 0 &&
            rest.len > 0) {
            uint8_t *b = realloc(io->in, io->in_len + rest.len + 1);
            if (b != NULL) {
                memmove(b + rest.len, b, io->in_len);
                memcpy(b, rest.data, rest.len);
                io->in = b;
                io->in_len += rest.len;
                io->in_cap = io->in_len + 1;
            }
        }
        etf_buf_release(&rest);
        dist_message_free(io->until_msg);
        io->until_msg = m; /* Result points into it */
        io->last = e[1];
        io->step++;
        run(io);
        return;
    }
    if (r->class == DIST_CALL_RETURN && e && v->n == 2 &&
        etf_atom_is(&e[0], "more")) {
        dist_message_free(io->until_msg);
        io->until_msg = m;
        io->until_cont = e[1];
        if (until_step(io, latin1) != 0) {
            io->last = error_atom(a, "request");
            io->step++;
            run(io);
        }
        return;
    }
    dist_message_free(io->until_msg);
    io->until_msg = m;
    io->last = error_tuple(a, r->class == DIST_CALL_RETURN ? *v
                                                          : etf_atom_z("get_until"));
    io->step++;
    run(io);
}

int dist_io_take(dist_io_server *io, dist_message *m)
{
    const etf_term *t = &m->msg;
    if (etf_atom_is(t, WAKE_ATOM)) {
        dist_message_free(m);
        if (io->req != NULL && io->wait == IO_WAIT_INPUT)
            run(io);
        return 1;
    }
    if (io->call_active) {
        dist_call_result r;
        int k = dist_call_take(&io->call, t, &r);
        if (k == 1) {
            dist_message_free(m);
            return 1;
        }
        if (k == 2) {
            call_done(io, m, &r);
            return 1;
        }
    }
    if (!dist_io_is_request(t) || io->req != NULL)
        return 0;
    /* {io_request, From, ReplyAs, Request} */
    io->req = m;
    io->from = t->u.elems[1];
    io->reply_as = t->u.elems[2];
    const etf_term *r = &t->u.elems[3];
    if (r->type == ETF_TUPLE && r->n == 2 &&
        etf_atom_is(&r->u.elems[0], "requests") &&
        r->u.elems[1].type == ETF_LIST && r->u.elems[1].n > 0) {
        io->steps = r->u.elems[1].u.elems;
        io->nsteps = r->u.elems[1].n;
    } else {
        io->steps = r;
        io->nsteps = 1;
    }
    io->step = 0;
    io->last = etf_atom_z("ok");
    io->wait = IO_IDLE;
    if (io->from.type != ETF_PID) {
        end_request(io); /* nowhere to reply: nothing to do */
        return 1;
    }
    run(io);
    return 1;
}
