/*
 * epmd_peer.c -- drives the epmd/ client from epmd.test, and plays a
 * misbehaving EPMD for the error paths a real one never takes.
 *
 *   epmd_peer names
 *       prints "epmd_port P" and one "NAME PORT" line per node
 *   epmd_peer port NAME
 *       PORT_PLEASE2: prints "port=P type=T proto=R high=H low=L
 *       name=NAME extra=E"
 *   epmd_peer register NAME PORT [HIGH LOW]
 *       ALIVE2: prints "creation=C", keeps the registration until its
 *       standard input ends, closes the socket, then prints "closed" and
 *       whether EPMD still lists the name ("gone" or "still registered")
 *   epmd_peer serve PORT silent|reset|reply HEX
 *       a fake EPMD on 127.0.0.1:PORT for one connection: read the
 *       request, then never answer, reset the connection, or send HEX and
 *       close. Prints "listening" once it accepts connections.
 *
 * EPMD's port and host come from ERL_EPMD_PORT and EPMD_HOST; the timeout
 * from EPMD_TIMEOUT_MS (default 5000). A failed call prints
 * "error (NAME): MESSAGE" on stderr and exits 1.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "epmd/epmd.h"

static int failed(const epmd_error *err)
{
    fprintf(stderr, "error (%s): %s\n", epmd_strerror(err->code),
            err->message);
    return 1;
}

static int client(epmd_client *c)
{
    epmd_error err;
    memset(c, 0, sizeof *c);
    if (epmd_port_from(NULL, getenv("ERL_EPMD_PORT"), &c->port, &err) != 0)
        return failed(&err);
    c->host = getenv("EPMD_HOST");
    const char *t = getenv("EPMD_TIMEOUT_MS");
    c->timeout_ms = t != NULL ? atoi(t) : 5000;
    return 0;
}

static int names(epmd_client *c)
{
    epmd_reply raw = {0};
    epmd_names_reply r;
    epmd_error err;
    if (epmd_names(c, &raw, &r, &err) != 0)
        return failed(&err);
    printf("epmd_port %u\n", (unsigned)r.epmd_port);
    size_t pos = 0;
    epmd_name_entry e;
    while (epmd_names_next(&r, &pos, &e))
        printf("%.*s %u\n", (int)e.name_len, e.name, e.port);
    epmd_reply_release(&raw);
    return 0;
}

static int port(epmd_client *c, const char *name)
{
    epmd_reply raw = {0};
    epmd_node_info n;
    epmd_error err;
    if (epmd_port_please(c, name, &raw, &n, &err) != 0) {
        epmd_reply_release(&raw);
        return failed(&err);
    }
    printf("port=%u type=%u proto=%u high=%u low=%u name=%.*s extra=%zu\n",
           n.port, n.node_type, n.protocol, n.highest_version,
           n.lowest_version, (int)n.name_len, n.name, n.extra_len);
    epmd_reply_release(&raw);
    return 0;
}

/* Is `name` in EPMD's list? 1 yes, 0 no, -1 could not ask. */
static int listed(epmd_client *c, const char *name)
{
    epmd_reply raw = {0};
    epmd_names_reply r;
    epmd_error err;
    if (epmd_names(c, &raw, &r, &err) != 0)
        return -1;
    size_t pos = 0;
    epmd_name_entry e;
    int found = 0;
    while (epmd_names_next(&r, &pos, &e))
        if (e.name_len == strlen(name) &&
            memcmp(e.name, name, e.name_len) == 0)
            found = 1;
    epmd_reply_release(&raw);
    return found;
}

static int reg(epmd_client *c, int argc, char **argv)
{
    epmd_node_info n = {0};
    n.name = argv[2];
    n.name_len = strlen(argv[2]);
    n.port = (uint16_t)atoi(argv[3]);
    n.node_type = EPMD_NODE_TYPE_HIDDEN;
    n.protocol = EPMD_PROTO_TCP;
    n.highest_version = argc > 5 ? (uint16_t)atoi(argv[4]) : EPMD_DIST_HIGH;
    n.lowest_version = argc > 5 ? (uint16_t)atoi(argv[5]) : EPMD_DIST_LOW;
    int fd;
    uint32_t creation;
    epmd_error err;
    if (epmd_register(c, &n, &fd, &creation, &err) != 0)
        return failed(&err);
    printf("creation=%u\n", (unsigned)creation);
    fflush(stdout);
    char buf[256];
    while (fread(buf, 1, sizeof buf, stdin) > 0)
        ;
    close(fd);
    printf("closed\n");
    /* EPMD notices the close at its next poll; give it two seconds. */
    int state = 1;
    for (int i = 0; i < 40 && state == 1; i++) {
        state = listed(c, n.name);
        if (state == 1) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    printf("%s\n", state == 0 ? "gone" : state == 1 ? "still registered"
                                                    : "cannot list");
    return state == 0 ? 0 : 1;
}

static int unhex(const char *h, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (; h[0] != 0 && h[1] != 0 && n < cap; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
    }
    *len = n;
    return 0;
}

static int serve(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const char *mode = argv[3];
    uint8_t reply[4096];
    size_t rlen = 0;
    if (strcmp(mode, "reply") == 0 &&
        (argc < 5 || unhex(argv[4], reply, sizeof reply, &rlen) != 0))
        return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[2]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1) != 0) {
        perror("epmd_peer serve");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    /* Never wait for ever, even if the client never comes. */
    struct pollfd lp = {s, POLLIN, 0};
    if (poll(&lp, 1, 20000) != 1)
        return 1;
    int c = accept(s, NULL, NULL);
    if (c < 0)
        return 1;
    uint8_t req[4096];
    ssize_t got = read(c, req, sizeof req);
    (void)got;
    if (strcmp(mode, "silent") == 0) {
        /* Hold the connection until the client gives up. */
        struct pollfd p = {c, POLLIN, 0};
        poll(&p, 1, 30000);
    } else if (strcmp(mode, "reset") == 0) {
        /* A zero linger time makes close() send RST, not FIN. */
        struct linger l = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else if (rlen > 0 && write(c, reply, rlen) != (ssize_t)rlen) {
        perror("epmd_peer serve");
    }
    close(c);
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    epmd_client c;
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    if (client(&c) != 0)
        return 1;
    if (argc == 2 && strcmp(argv[1], "names") == 0)
        return names(&c);
    if (argc == 3 && strcmp(argv[1], "port") == 0)
        return port(&c, argv[2]);
    if ((argc == 4 || argc == 6) && strcmp(argv[1], "register") == 0)
        return reg(&c, argc, argv);
    fprintf(stderr, "usage: see the top of tests/integration/epmd_peer.c\n");
    return 2;
}
