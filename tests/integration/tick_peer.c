/*
 * tick_peer.c -- holds an idle distribution connection open, for
 * tick.test: connects to NODE as NAME, receives for SECONDS (nothing
 * but ticks should come; dist_conn_recv answers them), then pings through the
 * same connection. Prints the number of ticks heard and "pong".
 *
 *   tick_peer NODE NAME COOKIE EPMD_PORT SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "handshake/hs.h"

static int ticks;

static void count(void *arg, const char *line)
{
    (void)arg;
    if (strstr(line, "<- tick") != NULL)
        ticks++;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: tick_peer NODE NAME COOKIE EPMD_PORT "
                        "SECONDS\n");
        return 2;
    }
    hs_node_name peer;
    hs_error he;
    if (hs_name_parse(argv[1], "localhost", HS_NAMES_AUTO, &peer, &he)) {
        fprintf(stderr, "%s\n", he.message);
        return 2;
    }
    dist_connect_opts o = {0};
    o.peer = &peer;
    o.epmd_port = (uint16_t)atoi(argv[4]);
    o.our_name = argv[2];
    o.creation = 1234;
    o.cookie = argv[3];
    o.cookie_len = strlen(argv[3]);
    o.timeout_ms = 10000;
    o.trace = count;
    dist_conn c;
    dist_error err;
    if (dist_connect(&c, &o, &err) != 0) {
        fprintf(stderr, "connect: %s\n", err.message);
        return 3;
    }
    dist_msg m;
    int r = dist_conn_recv(&c, atoi(argv[5]) * 1000, &m, &err);
    if (r == 0 || err.code != DIST_ERR_TIMEOUT) {
        fprintf(stderr, "while idle: %s\n",
                r == 0 ? "a message came" : err.message);
        dist_close(&c);
        return 1;
    }
    printf("ticks %d\n", ticks);
    if (dist_ping(&c, 10000, &err) != 0) {
        fprintf(stderr, "ping: %s\n", err.message);
        dist_close(&c);
        return 1;
    }
    puts("pong");
    dist_close(&c);
    return 0;
}
