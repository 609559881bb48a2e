/*
 * etf_peer.c -- edist's side of the differential codec test.
 *
 * Reads a batch of terms that a real node wrote with term_to_binary (each
 * record: 4-byte big-endian length, then the ETF bytes), and for each one
 * writes, as length-prefixed records in the same order: our re-encoding,
 * then our Erlang text on one line, pretty at 80 columns, Elixir on one
 * line, Elixir pretty, and JSON. A decode error writes a single record
 * "!error text" instead. etf_diff.escript then checks each against the
 * node's own view of the term.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etf/etf.h"

static void put_record(FILE *out, const void *data, size_t len)
{
    unsigned char hdr[4] = {(unsigned char)(len >> 24),
                            (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8), (unsigned char)len};
    fwrite(hdr, 1, 4, out);
    fwrite(data, 1, len, out);
}

static void put_text(FILE *out, const etf_term *t, etf_format f,
                     unsigned width)
{
    etf_buf b = {0};
    etf_print_opts o = {f, width, 0, NULL};
    if (etf_print(t, &o, &b) != 0)
        put_record(out, "!print failed", 13);
    else
        put_record(out, b.data, b.len);
    etf_buf_release(&b);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: etf_peer IN OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) {
        perror("etf_peer");
        return 2;
    }
    unsigned char hdr[4];
    size_t count = 0;
    while (fread(hdr, 1, 4, in) == 4) {
        size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
                     (size_t)hdr[2] << 8 | hdr[3];
        unsigned char *buf = malloc(len ? len : 1);
        if (buf == NULL || fread(buf, 1, len, in) != len) {
            fprintf(stderr, "etf_peer: short record\n");
            return 2;
        }
        etf_arena a;
        etf_arena_init(&a);
        etf_term t;
        etf_error err;
        if (etf_decode(buf, len, NULL, &a, &t, &err) != 0) {
            char msg[200];
            int n = snprintf(msg, sizeof msg, "!%s", err.message);
            put_record(out, msg, (size_t)n);
        } else {
            etf_buf enc = {0};
            if (etf_encode(&t, 0, &enc, &err) != 0)
                put_record(out, "!encode failed", 14);
            else
                put_record(out, enc.data, enc.len);
            etf_buf_release(&enc);
            put_text(out, &t, ETF_FORMAT_ERLANG, 0);
            put_text(out, &t, ETF_FORMAT_ERLANG, 80);
            put_text(out, &t, ETF_FORMAT_ELIXIR, 0);
            put_text(out, &t, ETF_FORMAT_ELIXIR, 80);
            put_text(out, &t, ETF_FORMAT_JSON, 0);
        }
        etf_arena_release(&a);
        free(buf);
        count++;
    }
    fclose(in);
    if (fclose(out) != 0) {
        perror("etf_peer");
        return 2;
    }
    fprintf(stderr, "etf_peer: %zu terms\n", count);
    return 0;
}
