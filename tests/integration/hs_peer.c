/*
 * hs_peer.c -- the handshake engine over plain TCP sockets, for
 * handshake.test to play against real nodes.
 *
 *   hs_peer connect PORT [OPTIONS]   be the initiator toward 127.0.0.1:PORT
 *   hs_peer accept [OPTIONS]         listen on 127.0.0.1 (a free port, printed
 *                                    as "port N"), be the acceptor for one
 *                                    connection
 *   hs_peer flags                    print edist's DFLAG constants and sets
 *   hs_peer cookie [FILE]            find the cookie as edist does (from HOME,
 *                                    XDG_CONFIG_HOME, RELEASE_COOKIE, or FILE
 *                                    as --cookie-file) and print, instead of
 *                                    the cookie, MD5(cookie ++ "42") -- what a
 *                                    node computes for challenge 42
 *   hs_peer proxy PORT TARGET        relay 127.0.0.1:PORT to 127.0.0.1:TARGET
 *                                    for one connection and print each
 *                                    handshake message in hex (how the byte
 *                                    vectors of test_handshake.c were taken)
 * Options:
 *   --name NAME        our node name (alive@host)
 *   --dynamic HOST     connect: ask for a dynamic name, sending HOST
 *   --cookie COOKIE
 *   --peer NAME        connect: the node we expect to reach
 *   --v5               connect: send the v5 'n' name
 *   --flags HEX        the flags we offer (default HS_EDIST_FLAGS)
 *   --creation N
 *   --alive true|false connect: the answer to status alive
 *   --twice            connect: a second handshake under the same name while
 *                      the first connection stays open (the alive case);
 *                      then report whether the peer closed the first one
 *   --decide STATUS    accept: ok, ok_simultaneous, nok, not_allowed, alive
 *                      (a peer that asks for a name gets one, unless nok or
 *                      not_allowed)
 *   --hold SECONDS     after success, keep the connection for this long (or
 *                      until the peer closes it), answering ticks
 *   -v                 trace every handshake message on stderr
 *
 * Each handshake prints one line on stdout, "ok key=value..." or
 * "fail CODE exit=N status=S: message", and the exit status is 0 or
 * hs_error_exit_code's. The post-handshake part is the bare minimum (ticks
 * answered, everything else read and dropped): the real channel is dist/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "handshake/hs.h"

#define IO_TIMEOUT_MS 10000

typedef struct opts {
    const char *name, *dynamic, *cookie, *peer;
    int v5, twice, alive, verbose;
    uint64_t flags;
    uint32_t creation;
    const char *decide;
    int hold;
} opts;

static void trace_line(void *arg, const char *line)
{
    fprintf(stderr, "[%s] %s\n", (const char *)arg, line);
}

static int wait_fd(int fd, short ev, int ms)
{
    struct pollfd p = {fd, ev, 0};
    int r;
    do
        r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Drives the engine over fd until it is done or failed. Returns 0, or -1
 * on a socket error or timeout (printed). */
static int drive(int fd, hs_ctx *hs, const opts *o)
{
    for (;;) {
        unsigned st = hs_state(hs);
        if (st & HS_SEND) {
            size_t len;
            const uint8_t *p = hs_send_buf(hs, &len);
            ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
            if (n < 0) {
                /* The peer may have closed on us: let the read say so. */
                if (errno == EPIPE || errno == ECONNRESET) {
                    hs_send_ack(hs, len);
                    if (st & (HS_DONE | HS_FAILED))
                        return 0;
                    hs_recv_eof(hs);
                    continue;
                }
                printf("fail socket: send: %s\n", strerror(errno));
                return -1;
            }
            hs_send_ack(hs, (size_t)n);
            continue;
        }
        if (st & (HS_DONE | HS_FAILED))
            return 0;
        if (st & HS_DECIDE) {
            const hs_result *r = hs_get_result(hs);
            hs_status d = HS_STATUS_OK;
            const char *want = o->decide ? o->decide : "ok";
            if (strcmp(want, "ok_simultaneous") == 0) d = HS_STATUS_OK_SIMULTANEOUS;
            else if (strcmp(want, "nok") == 0) d = HS_STATUS_NOK;
            else if (strcmp(want, "not_allowed") == 0) d = HS_STATUS_NOT_ALLOWED;
            else if (strcmp(want, "alive") == 0) d = HS_STATUS_ALIVE;
            if (r->peer_dynamic && d != HS_STATUS_NOK &&
                d != HS_STATUS_NOT_ALLOWED) {
                uint32_t rnd;
                hs_challenge_random(&rnd);
                /* A name too long is hs_decide_named's to refuse. */
                char name[HS_MAX_NAME + 16];
                snprintf(name, sizeof name, "dyn%08x@%s", (unsigned)rnd,
                         r->peer_name);
                hs_decide_named(hs, name, (uint32_t)time(NULL) | 1);
            } else {
                hs_decide(hs, d);
            }
            continue;
        }
        size_t room;
        uint8_t *q = hs_recv_buf(hs, &room);
        if (wait_fd(fd, POLLIN, IO_TIMEOUT_MS) <= 0) {
            printf("fail timeout: no answer within %d ms\n", IO_TIMEOUT_MS);
            return -1;
        }
        ssize_t n = recv(fd, q, room, 0);
        if (n < 0 && errno == ECONNRESET)
            n = 0;
        if (n < 0) {
            printf("fail socket: recv: %s\n", strerror(errno));
            return -1;
        }
        if (n == 0)
            hs_recv_eof(hs);
        else
            hs_recv_ack(hs, (size_t)n);
    }
}

static int report(const hs_ctx *hs)
{
    if (hs_state(hs) & HS_DONE) {
        const hs_result *r = hs_get_result(hs);
        printf("ok version=%d status=%s peer=%s peer_creation=%u "
               "peer_flags=0x%llx flags=0x%llx our_name=%s our_creation=%u\n",
               r->peer_version, hs_status_name(r->status), r->peer_name,
               r->peer_creation, (unsigned long long)r->peer_flags,
               (unsigned long long)r->flags, r->our_name, r->our_creation);
        fflush(stdout);
        return 0;
    }
    const hs_error *e = hs_get_error(hs);
    const hs_result *r = hs_get_result(hs);
    printf("fail %s exit=%d status=%s version=%d: %s\n", hs_strerror(e->code),
           hs_error_exit_code(e), hs_status_name(e->status), r->peer_version,
           e->message);
    fflush(stdout);
    return hs_error_exit_code(e);
}

/* After the handshake: 4-byte frames; answer ticks (empty frames) with a
 * tick, drop the rest. Returns when the peer closes or time is up. */
static void hold(int fd, int seconds)
{
    time_t end = time(NULL) + seconds;
    uint8_t buf[65536];
    size_t have = 0;
    while (time(NULL) < end) {
        if (wait_fd(fd, POLLIN, 200) <= 0)
            continue;
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0) {
            printf("closed by peer\n");
            fflush(stdout);
            return;
        }
        have += (size_t)n;
        for (;;) {
            if (have < 4)
                break;
            size_t len = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
                         (size_t)buf[2] << 8 | buf[3];
            if (len == 0) {
                static const uint8_t tick[4] = {0, 0, 0, 0};
                if (send(fd, tick, 4, MSG_NOSIGNAL) != 4)
                    return;
            }
            if (len + 4 > sizeof buf) { /* too big for us: just drain */
                have = 0;
                break;
            }
            if (have < len + 4)
                break;
            memmove(buf, buf + 4 + len, have - 4 - len);
            have -= 4 + len;
        }
    }
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("fail socket: connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(3);
    }
    return fd;
}

static void fill_config(hs_config *cfg, const opts *o, const char *tag)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->node_name = o->dynamic ? o->dynamic : o->name;
    cfg->dynamic_name = o->dynamic != NULL;
    cfg->creation = o->creation ? o->creation : ((uint32_t)time(NULL) | 1);
    cfg->cookie = o->cookie;
    cfg->cookie_len = o->cookie ? strlen(o->cookie) : 0;
    cfg->flags = o->flags;
    cfg->peer_name = o->peer;
    cfg->legacy_name = o->v5;
    cfg->alive_answer = o->alive;
    if (o->verbose) {
        cfg->trace = trace_line;
        cfg->trace_arg = (void *)tag;
    }
}

static int one_handshake(int fd, hs_role role, const opts *o, const char *tag)
{
    hs_ctx *hs = malloc(sizeof *hs);
    hs_config cfg;
    fill_config(&cfg, o, tag);
    int rc;
    if (hs_init(hs, role, &cfg) != 0)
        rc = report(hs);
    else if (drive(fd, hs, o) != 0)
        rc = 3;
    else
        rc = report(hs);
    hs_clear(hs);
    free(hs);
    return rc;
}

static int cmd_connect(int port, const opts *o)
{
    int fd = connect_port(port);
    int rc = one_handshake(fd, HS_INITIATOR, o, "hs1");
    if (rc == 0 && o->twice) {
        /* Same name again while the first connection is up: the peer
         * answers alive; with "true" it drops the first connection. */
        int fd2 = connect_port(port);
        int rc2 = one_handshake(fd2, HS_INITIATOR, o, "hs2");
        if (wait_fd(fd, POLLIN, 5000) > 0) {
            char b[64];
            ssize_t n = recv(fd, b, sizeof b, 0);
            printf(n <= 0 ? "first connection closed by peer\n"
                          : "first connection still open\n");
        } else {
            printf("first connection still open\n");
        }
        if (rc2 == 0 && o->hold)
            hold(fd2, o->hold);
        close(fd2);
        rc = rc2;
    } else if (rc == 0 && o->hold) {
        hold(fd, o->hold);
    }
    close(fd);
    return rc;
}

static int cmd_accept(const opts *o)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(ls, 4) != 0 || getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        printf("fail socket: listen: %s\n", strerror(errno));
        return 3;
    }
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    if (wait_fd(ls, POLLIN, 30000) <= 0) {
        printf("fail timeout: nobody connected within 30 s\n");
        return 5;
    }
    int fd = accept(ls, NULL, NULL);
    close(ls);
    if (fd < 0) {
        printf("fail socket: accept: %s\n", strerror(errno));
        return 3;
    }
    int rc = one_handshake(fd, HS_ACCEPTOR, o, "acc");
    if (rc == 0 && o->hold)
        hold(fd, o->hold);
    close(fd);
    return rc;
}

static int cmd_flags(void)
{
    static const struct {
        const char *name;
        uint64_t value;
    } c[] = {
#define F(x) {#x, x}
        F(DFLAG_PUBLISHED), F(DFLAG_ATOM_CACHE), F(DFLAG_EXTENDED_REFERENCES),
        F(DFLAG_DIST_MONITOR), F(DFLAG_FUN_TAGS), F(DFLAG_DIST_MONITOR_NAME),
        F(DFLAG_HIDDEN_ATOM_CACHE), F(DFLAG_NEW_FUN_TAGS),
        F(DFLAG_EXTENDED_PIDS_PORTS), F(DFLAG_EXPORT_PTR_TAG),
        F(DFLAG_BIT_BINARIES), F(DFLAG_NEW_FLOATS), F(DFLAG_UNICODE_IO),
        F(DFLAG_DIST_HDR_ATOM_CACHE), F(DFLAG_SMALL_ATOM_TAGS),
        F(DFLAG_ETS_COMPRESSED), F(DFLAG_UTF8_ATOMS), F(DFLAG_MAP_TAG),
        F(DFLAG_BIG_CREATION), F(DFLAG_SEND_SENDER),
        F(DFLAG_BIG_SEQTRACE_LABELS), F(DFLAG_PENDING_CONNECT),
        F(DFLAG_EXIT_PAYLOAD), F(DFLAG_FRAGMENTS), F(DFLAG_HANDSHAKE_23),
        F(DFLAG_UNLINK_ID), F(DFLAG_MANDATORY_25_DIGEST), F(DFLAG_RESERVED),
        F(DFLAG_SPAWN), F(DFLAG_NAME_ME), F(DFLAG_V4_NC), F(DFLAG_ALIAS),
        F(DFLAG_LOCAL_EXT), F(DFLAG_ALTACT_SIG), F(DFLAG_NATIVE_RECORDS),
#undef F
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        printf("const %s %llu\n", c[i].name, (unsigned long long)c[i].value);
    for (int rel = 25; rel <= 29; rel++)
        printf("mandatory %d %llu\n", rel,
               (unsigned long long)hs_mandatory_flags(rel));
    for (int bit = 0; bit < 64; bit++) {
        const char *n = hs_flag_name(UINT64_C(1) << bit);
        if (n != NULL)
            printf("bit %d %s\n", bit, n);
    }
    printf("edist %llu\n", (unsigned long long)HS_EDIST_FLAGS);
    return 0;
}

static int cmd_cookie(const char *file)
{
    hs_cookie_env env = {NULL, file, getenv("RELEASE_COOKIE"), getenv("HOME"),
                         getenv("XDG_CONFIG_HOME")};
    hs_cookie c;
    hs_error e;
    if (hs_cookie_find(&env, &c, &e) != 0) {
        printf("fail: %s\n", e.message);
        return 1;
    }
    uint8_t d[16];
    hs_digest((const uint8_t *)c.value, c.len, 42, d);
    printf("ok md5=");
    for (int i = 0; i < 16; i++)
        printf("%02x", d[i]);
    printf(" source=%s\n", c.source);
    hs_cookie_clear(&c);
    return 0;
}

/* ---- proxy: one connection, handshake messages printed in hex ------------ */

typedef struct dir {
    const char *label;
    uint8_t buf[70000];
    size_t have;
    int done; /* after the ack: 4-byte framing, no more printing */
} dir;

static void parse_dir(dir *d, dir *other)
{
    while (!d->done && d->have >= 2) {
        size_t len = (size_t)d->buf[0] << 8 | d->buf[1];
        if (d->have < 2 + len)
            return;
        printf("%s ", d->label);
        for (size_t i = 0; i < 2 + len; i++)
            printf("%02x", d->buf[i]);
        printf("\n");
        fflush(stdout);
        if (len > 0 && d->buf[2] == 'a') {
            d->done = 1;
            other->done = 1;
        }
        memmove(d->buf, d->buf + 2 + len, d->have - 2 - len);
        d->have -= 2 + len;
    }
}

static int cmd_proxy(int port, int target)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0) {
        perror("proxy: listen");
        return 3;
    }
    int c = accept(ls, NULL, NULL);
    int s = connect_port(target);
    static dir up = {"A->B", {0}, 0, 0}, down = {"B->A", {0}, 0, 0};
    time_t end = time(NULL) + 15;
    while (time(NULL) < end) {
        struct pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
        if (poll(p, 2, 500) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int from = i == 0 ? c : s, to = i == 0 ? s : c;
            dir *d = i == 0 ? &up : &down;
            uint8_t b[4096];
            ssize_t n = recv(from, b, sizeof b, 0);
            if (n <= 0) {
                printf("%s closed\n", d->label);
                return 0;
            }
            send(to, b, (size_t)n, MSG_NOSIGNAL);
            if (!d->done && d->have + (size_t)n <= sizeof d->buf) {
                memcpy(d->buf + d->have, b, (size_t)n);
                d->have += (size_t)n;
                parse_dir(d, i == 0 ? &down : &up);
            }
        }
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: hs_peer connect PORT [OPTIONS] | accept [OPTIONS] "
            "| flags | cookie [FILE] | proxy PORT TARGET (see hs_peer.c)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    opts o = {0};
    o.alive = 1;
    const char *cmd = argv[1];
    int first = 2, port = 0;
    if (strcmp(cmd, "flags") == 0)
        return cmd_flags();
    if (strcmp(cmd, "cookie") == 0)
        return cmd_cookie(argc > 2 ? argv[2] : NULL);
    if (strcmp(cmd, "proxy") == 0) {
        if (argc != 4)
            usage();
        return cmd_proxy(atoi(argv[2]), atoi(argv[3]));
    }
    if (strcmp(cmd, "connect") == 0) {
        if (argc < 3)
            usage();
        port = atoi(argv[2]);
        first = 3;
    } else if (strcmp(cmd, "accept") != 0) {
        usage();
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-v") == 0) { o.verbose = 1; continue; }
        if (strcmp(a, "--v5") == 0) { o.v5 = 1; continue; }
        if (strcmp(a, "--twice") == 0) { o.twice = 1; continue; }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--name") == 0) o.name = v;
        else if (strcmp(a, "--dynamic") == 0) o.dynamic = v;
        else if (strcmp(a, "--cookie") == 0) o.cookie = v;
        else if (strcmp(a, "--peer") == 0) o.peer = v;
        else if (strcmp(a, "--flags") == 0) o.flags = strtoull(v, NULL, 16);
        else if (strcmp(a, "--creation") == 0)
            o.creation = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--alive") == 0) o.alive = strcmp(v, "true") == 0;
        else if (strcmp(a, "--decide") == 0) o.decide = v;
        else if (strcmp(a, "--hold") == 0) o.hold = atoi(v);
        else usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return strcmp(cmd, "connect") == 0 ? cmd_connect(port, &o) : cmd_accept(&o);
}
