/*
 * etf.c -- the ETF codec benchmark: edist next to libei and the BEAM.
 *
 *   bench/etf CORPUS_DIR [BEAM_RESULTS] [SECONDS]
 *   bench/etf --loop CORPUS_DIR ITEM OP SECONDS
 *
 * The second form runs one operation (OP: dec-edist, dec-ei, dec-ei-copy,
 * enc-edist, enc-ei) on one item for SECONDS and nothing else, for
 * profilers: perf record -g bench/etf --loop build/corpus ctl_send
 * dec-edist 3.
 *
 * For every item of the corpus (CORPUS_DIR/index.txt names them, each in
 * CORPUS_DIR/NAME.etf, made by the BEAM with etf_bench:gen/1) it times:
 *
 *   decode  edist: etf_decode into an etf_arena, released every time;
 *           libei: ei_side_decode, a full walk with ei_get_type and the
 *                  ei_decode_* of each element into the same tree, in the
 *                  same arena (binaries pointed at, as edist does; a second
 *                  figure has them copied with ei_decode_binary);
 *   encode  edist: etf_encode of the decoded tree into an etf_buf whose
 *                  memory is kept between runs (len reset to 0);
 *           libei: ei_side_encode, a walk of the same tree calling
 *                  ei_x_encode_* into an ei_x_buff kept between runs.
 *
 * and reads the BEAM's binary_to_term / term_to_binary figures from
 * BEAM_RESULTS (written by etf_bench:measure/3 in the same run). MB/s is
 * the item's ETF size (10^6 bytes) over the time one term takes; terms/s
 * is the number of whole corpus items decoded or encoded per second.
 *
 * Before timing, every item is checked: etf_decode must accept it, libei's
 * tree must equal edist's (etf_equal), and both encoders must give back the
 * corpus bytes exactly -- a benchmark of a codec that gets it wrong would
 * measure nothing.
 *
 * Timing: each operation runs in batches sized to take about 2 ms; the
 * five operations of an item take turns (ten rounds), each getting SECONDS
 * (default 0.5) in all; the fastest batch is reported (see best_ns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etf/etf.h"
#include "bench/ei_side.h"

#define BATCH_NS   2e6
#define MAX_ITEMS  32
#define MAX_BATCHES 1024

/* Decode goals: edist at least this many times libei and the BEAM; encode
 * goal: at least libei. */
#define GOAL_DEC_EI   1.5
#define GOAL_DEC_BEAM 2.0
#define GOAL_ENC_EI   1.0
/* Run-to-run spread of a ratio on the 2-core test machine (see score). */
#define NOISE 0.03

typedef struct item {
    char name[64];
    uint8_t *bytes;
    size_t len;
    etf_term term;        /* edist's decode, the input of both encoders */
    etf_arena arena;
    /* nanoseconds per term; 0 = not measured */
    double dec_edist, dec_ei, dec_ei_copy, enc_edist, enc_ei;
    double dec_beam, enc_beam;
    /* term_to_binary gave the corpus bytes back: "yes", "order" (a large
     * map's keys in another order) or "no" */
    char beam_same[8];
} item;

/* ---- what is timed --------------------------------------------------- */

typedef struct job {
    const item *it;
    etf_arena arena;
    etf_buf out;
    ei_side_buf *ei;
    enum ei_side_binaries bins;
    unsigned long sink; /* keeps results observable */
} job;

typedef int (*op_fn)(job *j);

static int op_dec_edist(job *j)
{
    etf_term t;
    int r = etf_decode(j->it->bytes, j->it->len, NULL, &j->arena, &t, NULL);
    j->sink += t.type;
    etf_arena_release(&j->arena);
    return r;
}

static int op_dec_ei(job *j)
{
    etf_term t;
    int r = ei_side_decode(j->it->bytes, j->it->len, &j->arena, &t,
                           j->bins);
    j->sink += t.type;
    etf_arena_release(&j->arena);
    return r;
}

static int op_enc_edist(job *j)
{
    j->out.len = 0;
    int r = etf_encode(&j->it->term, 0, &j->out, NULL);
    j->sink += j->out.len;
    return r;
}

static int op_enc_ei(job *j)
{
    int r = ei_side_encode(j->ei, &j->it->term);
    size_t len;
    ei_side_bytes(j->ei, &len);
    j->sink += len;
    return r;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_batch(op_fn op, job *j, long k)
{
    double t0 = now_ns();
    for (long i = 0; i < k; i++)
        if (op(j) != 0) {
            fprintf(stderr, "bench/etf: %s: an operation failed while "
                    "timing\n", j->it->name);
            exit(1);
        }
    return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The operations, in the order of the item's fields they fill. */
enum { OP_DEC_EDIST, OP_DEC_EI, OP_DEC_EI_COPY, OP_ENC_EDIST, OP_ENC_EI,
       N_OPS };

static const struct {
    const char *name;
    op_fn op;
    enum ei_side_binaries bins;
} ops[N_OPS] = {
    {"dec-edist", op_dec_edist, EI_SIDE_BIN_POINT},
    {"dec-ei", op_dec_ei, EI_SIDE_BIN_POINT},
    {"dec-ei-copy", op_dec_ei, EI_SIDE_BIN_COPY},
    {"enc-edist", op_enc_edist, EI_SIDE_BIN_POINT},
    {"enc-ei", op_enc_ei, EI_SIDE_BIN_POINT},
};

typedef struct timer {
    job j;
    long k;                     /* calls per batch */
    double times[MAX_BATCHES];  /* nanoseconds per batch */
    size_t n;
} timer;

/* Batch size for about BATCH_NS per batch (this also warms caches). */
static long calibrate(op_fn op, job *j)
{
    long k = 1;
    double t;
    while ((t = run_batch(op, j, k)) < BATCH_NS / 4)
        k *= 4;
    k = (long)(k * BATCH_NS / t);
    return k < 1 ? 1 : k;
}

/* Batches of one operation for about `ns` nanoseconds (at least one). */
static void run_for(timer *tm, op_fn op, double ns)
{
    double spent = 0;
    do {
        double t = run_batch(op, &tm->j, tm->k);
        if (tm->n < MAX_BATCHES)
            tm->times[tm->n++] = t;
        spent += t;
    } while (spent < ns);
}

/* Nanoseconds per call in the fastest batch. Other programs on the
 * machine can only add time to a batch, never take it away, so the
 * fastest of many short batches is the figure least disturbed by them. */
static double best_ns(timer *tm)
{
    qsort(tm->times, tm->n, sizeof tm->times[0], cmp_double);
    return tm->times[0] / (double)tm->k;
}

/* ---- the corpus -------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

static size_t load_corpus(const char *dir, item *items)
{
    char path[4096];
    int w = snprintf(path, sizeof path, "%s/index.txt", dir);
    if (w < 0 || (size_t)w >= sizeof path) {
        fprintf(stderr, "bench/etf: corpus path too long\n");
        exit(1);
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench/etf: cannot open %s (run etf_bench:gen "
                "first: make -C bench corpus)\n", path);
        exit(1);
    }
    size_t n = 0;
    char line[128];
    while (n < MAX_ITEMS && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0)
            continue;
        item *it = &items[n];
        memset(it, 0, sizeof *it);
        int w1 = snprintf(it->name, sizeof it->name, "%s", line);
        int w2 = snprintf(path, sizeof path, "%s/%s.etf", dir, it->name);
        if (w1 < 0 || (size_t)w1 >= sizeof it->name || w2 < 0 ||
            (size_t)w2 >= sizeof path) {
            fprintf(stderr, "bench/etf: item name or path too long: %s\n",
                    line);
            exit(1);
        }
        if ((it->bytes = read_file(path, &it->len)) == NULL) {
            fprintf(stderr, "bench/etf: cannot read %s\n", path);
            exit(1);
        }
        n++;
    }
    fclose(f);
    return n;
}

/* The checks that make the figures mean something. */
static void check(item *it)
{
    etf_error err;
    etf_arena_init(&it->arena);
    if (etf_decode(it->bytes, it->len, NULL, &it->arena, &it->term,
                   &err) != 0) {
        fprintf(stderr, "bench/etf: %s: etf_decode: %s\n", it->name,
                err.message);
        exit(1);
    }

    etf_buf out = {0};
    if (etf_encode(&it->term, 0, &out, &err) != 0 || out.len != it->len ||
        memcmp(out.data, it->bytes, it->len) != 0) {
        fprintf(stderr, "bench/etf: %s: etf_encode does not give back the "
                "BEAM's bytes\n", it->name);
        exit(1);
    }
    etf_buf_release(&out);

    for (int bins = EI_SIDE_BIN_POINT; bins <= EI_SIDE_BIN_COPY; bins++) {
        etf_arena a = {0};
        etf_term t;
        if (ei_side_decode(it->bytes, it->len, &a, &t,
                           (enum ei_side_binaries)bins) != 0 ||
            !etf_equal(&t, &it->term)) {
            fprintf(stderr, "bench/etf: %s: libei's decode differs from "
                    "edist's\n", it->name);
            exit(1);
        }
        etf_arena_release(&a);
    }

    ei_side_buf *eb = ei_side_buf_new();
    size_t len;
    const unsigned char *p;
    if (eb == NULL || ei_side_encode(eb, &it->term) != 0 ||
        (p = ei_side_bytes(eb, &len), len != it->len) ||
        memcmp(p, it->bytes, len) != 0) {
        fprintf(stderr, "bench/etf: %s: libei's encode does not give back "
                "the BEAM's bytes\n", it->name);
        exit(1);
    }
    ei_side_buf_free(eb);
}

/* The operations take turns, ROUNDS times each, so that a neighbour
 * that slows the machine down for a while (2 cores, shared) disturbs all
 * of them rather than one. */
#define ROUNDS 10

static void time_item(item *it, double seconds)
{
    static timer tms[N_OPS];
    for (int o = 0; o < N_OPS; o++) {
        timer *tm = &tms[o];
        memset(&tm->j, 0, sizeof tm->j);
        tm->j.it = it;
        tm->j.bins = ops[o].bins;
        etf_arena_init(&tm->j.arena);
        if ((tm->j.ei = ei_side_buf_new()) == NULL) {
            fprintf(stderr, "bench/etf: out of memory\n");
            exit(1);
        }
        tm->n = 0;
        tm->k = calibrate(ops[o].op, &tm->j);
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int o = 0; o < N_OPS; o++)
            run_for(&tms[o], ops[o].op, seconds * 1e9 / ROUNDS);
    double *field[N_OPS] = {&it->dec_edist, &it->dec_ei, &it->dec_ei_copy,
                            &it->enc_edist, &it->enc_ei};
    for (int o = 0; o < N_OPS; o++) {
        *field[o] = best_ns(&tms[o]);
        if (tms[o].j.sink == 42) /* never: it keeps `sink` alive */
            putchar(' ');
        etf_arena_release(&tms[o].j.arena);
        etf_buf_release(&tms[o].j.out);
        ei_side_buf_free(tms[o].j.ei);
    }
}

/* BEAM_RESULTS: name, bytes, decode ns, encode ns, identical. */
static void load_beam(const char *path, item *items, size_t n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench/etf: no BEAM figures (%s): BEAM columns "
                "left empty\n", path);
        return;
    }
    char name[128], same[8];
    size_t bytes;
    double dec, enc;
    while (fscanf(f, "%127s %zu %lf %lf %7s", name, &bytes, &dec, &enc,
                  same) == 5) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(items[i].name, name) != 0)
                continue;
            if (bytes != items[i].len) {
                fprintf(stderr, "bench/etf: %s: the BEAM timed %zu bytes, "
                        "the corpus has %zu: BEAM figures ignored\n", name,
                        bytes, items[i].len);
                break;
            }
            items[i].dec_beam = dec;
            items[i].enc_beam = enc;
            snprintf(items[i].beam_same, sizeof items[i].beam_same, "%s",
                     same);
        }
    }
    fclose(f);
}

/* ---- the report -------------------------------------------------------- */

static double mbs(const item *it, double ns)
{
    return ns > 0 ? (double)it->len / ns * 1e3 : 0; /* bytes/ns * 1000 */
}

/* A zero-copy decode of the 1 MiB binary runs at terabytes per second:
 * such figures are printed in exponent form to keep the columns. */
static void cell_mbs(const item *it, double ns)
{
    double v = mbs(it, ns);
    if (ns <= 0)
        printf(" %9s", "-");
    else if (v >= 1e6)
        printf(" %9.2e", v);
    else
        printf(" %9.1f", v);
}

static void cell_ratio(double num_ns, double den_ns)
{
    if (num_ns > 0 && den_ns > 0)
        printf(" %7.2fx", den_ns / num_ns);
    else
        printf(" %8s", "-");
}

static void cell_rate(double ns)
{
    double r = ns > 0 ? 1e9 / ns : 0;
    if (r == 0)
        printf(" %9s", "-");
    else if (r >= 1e6)
        printf(" %8.2fM", r / 1e6);
    else if (r >= 1e3)
        printf(" %8.1fk", r / 1e3);
    else
        printf(" %9.1f", r);
}

#define GOAL_NAMES 512

typedef struct goal {
    const char *what;
    double want;
    int met, close, missed, unknown;
    char close_names[GOAL_NAMES], missed_names[GOAL_NAMES];
} goal;

/* A ratio short of the goal by less than NOISE is a tie, not a miss: it is
 * within what the same code measures from one run to the next. */
static void score(goal *g, const item *it, double edist_ns, double other_ns)
{
    if (edist_ns <= 0 || other_ns <= 0) {
        g->unknown++;
        return;
    }
    double ratio = other_ns / edist_ns;
    if (ratio >= g->want) {
        g->met++;
        return;
    }
    char *names = g->missed_names;
    if (ratio >= g->want * (1 - NOISE)) {
        g->close++;
        names = g->close_names;
    } else {
        g->missed++;
    }
    size_t used = strlen(names);
    snprintf(names + used, GOAL_NAMES - used, "%s%s (%.2fx)",
             used ? ", " : "", it->name, ratio);
}

static void report(const item *items, size_t n)
{
    printf("\nDECODE  (MB/s = 10^6 bytes of ETF per second; ratio = edist "
           "speed / other speed)\n");
    printf("%-15s %9s %9s %9s %9s %9s %8s %8s %9s %9s %9s\n", "item",
           "bytes", "edist", "libei", "libei+cp", "BEAM", "/libei",
           "/BEAM", "edist t/s", "libei t/s", "BEAM t/s");
    for (size_t i = 0; i < n; i++) {
        const item *it = &items[i];
        printf("%-15s %9zu", it->name, it->len);
        cell_mbs(it, it->dec_edist);
        cell_mbs(it, it->dec_ei);
        cell_mbs(it, it->dec_ei_copy);
        cell_mbs(it, it->dec_beam);
        cell_ratio(it->dec_edist, it->dec_ei);
        cell_ratio(it->dec_edist, it->dec_beam);
        cell_rate(it->dec_edist);
        cell_rate(it->dec_ei);
        cell_rate(it->dec_beam);
        printf("\n");
    }

    printf("\nENCODE  (same units; the output is the corpus bytes, "
           "byte for byte, for all three)\n");
    printf("%-15s %9s %9s %9s %9s %8s %8s %9s %9s %9s\n", "item", "bytes",
           "edist", "libei", "BEAM", "/libei", "/BEAM", "edist t/s",
           "libei t/s", "BEAM t/s");
    for (size_t i = 0; i < n; i++) {
        const item *it = &items[i];
        printf("%-15s %9zu", it->name, it->len);
        cell_mbs(it, it->enc_edist);
        cell_mbs(it, it->enc_ei);
        cell_mbs(it, it->enc_beam);
        cell_ratio(it->enc_edist, it->enc_ei);
        cell_ratio(it->enc_edist, it->enc_beam);
        cell_rate(it->enc_edist);
        cell_rate(it->enc_ei);
        cell_rate(it->enc_beam);
        if (it->enc_beam > 0 && strcmp(it->beam_same, "order") == 0)
            printf("  (BEAM: other key order, *)");
        else if (it->enc_beam > 0 && strcmp(it->beam_same, "yes") != 0)
            printf("  (BEAM bytes differ!)");
        printf("\n");
    }

    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].beam_same, "order") == 0) {
            printf("  * the BEAM orders a map of more than 32 keys by a hash "
                   "of atom-table\n    indexes: a fresh VM writes the same "
                   "term, same size, keys in another order\n");
            break;
        }

    goal goals[3] = {
        {.what = "decode >= 1.5x libei", .want = GOAL_DEC_EI},
        {.what = "decode >= 2x the BEAM", .want = GOAL_DEC_BEAM},
        {.what = "encode >= libei", .want = GOAL_ENC_EI},
    };
    for (size_t i = 0; i < n; i++) {
        score(&goals[0], &items[i], items[i].dec_edist, items[i].dec_ei);
        score(&goals[1], &items[i], items[i].dec_edist, items[i].dec_beam);
        score(&goals[2], &items[i], items[i].enc_edist, items[i].enc_ei);
    }
    printf("\nGOALS\n");
    for (int g = 0; g < 3; g++) {
        const goal *gl = &goals[g];
        const char *verdict = gl->missed ? "MISSED"
                              : gl->unknown ? "not measured"
                                            : "met";
        printf("  %-24s %-7s (met on %d of %zu items", gl->what, verdict,
               gl->met, n);
        if (gl->close)
            printf(", within noise of it on %d: %s", gl->close,
                   gl->close_names);
        printf(")");
        if (gl->missed)
            printf("; missed: %s", gl->missed_names);
        printf("\n");
    }
}

/* --loop CORPUS_DIR ITEM OP SECONDS */
static int loop_one(char **argv)
{
    static item items[MAX_ITEMS];
    size_t n = load_corpus(argv[0], items);
    item *it = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, argv[1]) == 0)
            it = &items[i];
    size_t o = 0;
    while (o < N_OPS && strcmp(ops[o].name, argv[2]) != 0)
        o++;
    if (it == NULL || o == N_OPS) {
        fprintf(stderr, "bench/etf: no item %s or no operation %s\n",
                argv[1], argv[2]);
        return 2;
    }
    check(it);
    job j = {0};
    j.it = it;
    j.bins = ops[o].bins;
    if ((j.ei = ei_side_buf_new()) == NULL)
        return 1;
    long k = calibrate(ops[o].op, &j);
    double start = now_ns(), end = start + atof(argv[3]) * 1e9, t;
    long calls = 0;
    do {
        run_batch(ops[o].op, &j, k);
        calls += k;
    } while ((t = now_ns()) < end);
    printf("%s %s: %ld calls, %.1f ns per call\n", it->name, ops[o].name,
           calls, (t - start) / (double)calls);
    if (j.sink == 42)
        putchar(' ');
    etf_arena_release(&j.arena);
    etf_buf_release(&j.out);
    ei_side_buf_free(j.ei);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--loop") == 0)
        return loop_one(argv + 2);
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s CORPUS_DIR [BEAM_RESULTS] [SECONDS]\n"
                "       %s --loop CORPUS_DIR ITEM OP SECONDS\n", argv[0],
                argv[0]);
        return 2;
    }
    double seconds = argc > 3 ? atof(argv[3]) : 0.5;
    if (seconds <= 0)
        seconds = 0.5;

    static item items[MAX_ITEMS];
    size_t n = load_corpus(argv[1], items);
    for (size_t i = 0; i < n; i++)
        check(&items[i]);
    printf("corpus: %zu items checked (edist and libei decode to equal "
           "trees and re-encode the BEAM's bytes exactly)\n", n);

    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "timing %s...\n", items[i].name);
        time_item(&items[i], seconds);
    }
    if (argc > 2)
        load_beam(argv[2], items, n);
    report(items, n);

    for (size_t i = 0; i < n; i++) {
        etf_arena_release(&items[i].arena);
        free(items[i].bytes);
    }
    return 0;
}
