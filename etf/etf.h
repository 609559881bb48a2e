/*
 * etf.h -- the term model and the External Term Format (ETF) codec.
 *
 * This is edist's bottom layer. Every message that crosses an Erlang
 * distribution connection carries terms in ETF, the format that
 * erlang:term_to_binary/1 produces. This layer turns ETF bytes into a tree of
 * etf_term values (etf_decode), turns such a tree back into bytes
 * (etf_encode), prints it in the syntax people read (Erlang, Elixir, JSON) and
 * parses the Erlang syntax people type (etf_parse). It does no I/O at all.
 *
 * Memory
 * ------
 * Decoded and parsed terms live in an etf_arena, a bump allocator that is
 * freed as a whole: one etf_arena_release() frees every term made in it, and
 * there is nothing to free per term. To avoid copying, a decoded term may
 * point into the input buffer (binaries, strings, bignum digits, UTF-8 atom
 * names): keep the input alive and unchanged for as long as the terms.
 *
 * Encoded bytes and printed text are written to an etf_buf, a growing byte
 * array owned by the caller (etf_buf_release frees it).
 *
 * Errors
 * ------
 * Functions that can fail return 0 on success and -1 on failure, and fill an
 * etf_error with a code, the byte offset (decoder) or line and column
 * (parser) where the problem is, and a message a person can act on. No input
 * makes this layer crash, abort or allocate more than the input justifies.
 */
#ifndef EDIST_ETF_H
#define EDIST_ETF_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * ETF tags, named as in OTP's erts/emulator/beam/external.h and
 * erts/doc/guides/erl_ext_dist.md.
 * ------------------------------------------------------------------- */
#define ETF_VERSION_MAGIC      131 /* first byte of every standalone term */
#define NEW_FLOAT_EXT           70
#define BIT_BINARY_EXT          77
#define COMPRESSED              80
#define ATOM_CACHE_REF          82
#define NEW_PID_EXT             88
#define NEW_PORT_EXT            89
#define NEWER_REFERENCE_EXT     90
#define SMALL_INTEGER_EXT       97
#define INTEGER_EXT             98
#define FLOAT_EXT               99
#define ATOM_EXT               100
#define REFERENCE_EXT          101
#define PORT_EXT               102
#define PID_EXT                103
#define SMALL_TUPLE_EXT        104
#define LARGE_TUPLE_EXT        105
#define NIL_EXT                106
#define STRING_EXT             107
#define LIST_EXT               108
#define BINARY_EXT             109
#define SMALL_BIG_EXT          110
#define LARGE_BIG_EXT          111
#define NEW_FUN_EXT            112
#define EXPORT_EXT             113
#define NEW_REFERENCE_EXT      114
#define SMALL_ATOM_EXT         115
#define MAP_EXT                116
#define FUN_EXT                117
#define ATOM_UTF8_EXT          118
#define SMALL_ATOM_UTF8_EXT    119
#define V4_PORT_EXT            120
#define LOCAL_EXT              121
#define RECORD_EXT              67 /* OTP 29 native records, see ETF_RECORD */

/* Limits of the format and of the BEAM. */
#define ETF_MAX_ATOM_CHARS     255  /* characters, not bytes */
#define ETF_MAX_ATOM_BYTES     1020 /* 255 characters of up to 4 UTF-8 bytes */
#define ETF_MAX_REF_WORDS      5
#define ETF_MAX_STRING_EXT     65535

/* ---------------------------------------------------------------------
 * The term model
 * ------------------------------------------------------------------- */

typedef enum etf_type {
    ETF_INTEGER = 1, /* u.i; every integer that fits in int64_t */
    ETF_BIGNUM,      /* u.bytes: n magnitude bytes, little-endian, no
                        high zero byte; flags & ETF_NEGATIVE for the sign.
                        Only integers that do not fit in int64_t. */
    ETF_FLOAT,       /* u.f, always finite */
    ETF_ATOM,        /* u.atom: n bytes of UTF-8, not NUL-terminated */
    ETF_TUPLE,       /* u.elems[0..n-1] */
    ETF_NIL,         /* [] */
    ETF_LIST,        /* non-empty list: u.elems[0..n-1] are the elements
                        and u.elems[n] is the tail: an ETF_NIL for a proper
                        list, anything else for an improper one */
    ETF_STRING,      /* non-empty proper list of n integers 0..255, kept
                        as the bytes u.bytes (STRING_EXT); same value as
                        the ETF_LIST of those integers */
    ETF_BINARY,      /* u.bytes[0..n-1]; if bits != 0 it is a bitstring
                        whose last byte holds only its `bits` high bits
                        (1..7) */
    ETF_MAP,         /* n associations: u.elems[2i] key, u.elems[2i+1]
                        value, in the order received or given */
    ETF_PID,         /* u.pid */
    ETF_PORT,        /* u.port */
    ETF_REF,         /* u.ref */
    ETF_EXPORT,      /* fun M:F/A: u.elems[0] module atom, u.elems[1]
                        function atom, n = arity */
    ETF_FUN,         /* a local fun (NEW_FUN_EXT): u.fun */
    ETF_RECORD,      /* an OTP 29 native record: u.record */
    ETF_LOCAL        /* LOCAL_EXT, kept opaque: u.bytes, n bytes from the
                        tag on, re-encoded unchanged */
} etf_type;

#define ETF_NEGATIVE 1 /* etf_term.flags of a negative ETF_BIGNUM */

typedef struct etf_term etf_term;

/* An atom's name: UTF-8 bytes, not NUL-terminated. */
typedef struct etf_atom {
    const char *name;
    uint32_t len;
} etf_atom;

typedef struct etf_pid {
    etf_atom node;
    uint32_t id, serial, creation;
} etf_pid;

typedef struct etf_port {
    etf_atom node;
    uint64_t id;
    uint32_t creation;
} etf_port;

typedef struct etf_ref {
    etf_atom node;
    uint32_t creation;
    uint32_t len;                   /* 1..ETF_MAX_REF_WORDS */
    uint32_t id[ETF_MAX_REF_WORDS]; /* in wire order */
} etf_ref;

/* A local fun as NEW_FUN_EXT carries it. Such a fun can only be called on a
 * node that has its module loaded; edist keeps it to show it and to send it
 * back unchanged. */
typedef struct etf_fun {
    uint8_t arity;
    uint8_t uniq[16];
    uint32_t index;
    uint32_t num_free;
    etf_atom module;
    int64_t old_index, old_uniq;
    etf_pid pid;
    etf_term *free_vars; /* num_free terms */
    /* The NEW_FUN_EXT bytes exactly as received (tag included), or NULL for
     * a fun that was built rather than decoded. The encoder writes these
     * back verbatim so that the fun stays byte-for-byte what the BEAM made. */
    const uint8_t *raw;
    uint32_t raw_len;
} etf_fun;

/* An OTP 29 native record, #Module:Name{Field = Value, ...}. On the wire
 * (RECORD_EXT, 67): [4] #Fields, [1] Flags, Module atom, Name atom, the
 * field names (atoms), then the values in the same order. */
typedef struct etf_record {
    etf_atom module;
    etf_atom name;
    uint8_t flags;     /* ETF_RECORD_EXPORTED or 0 */
    uint32_t nfields;
    etf_atom *fields;  /* field names, nfields of them, all different */
    etf_term *values;  /* field values, in the same order */
} etf_record;

#define ETF_RECORD_EXPORTED 1 /* made from an -export_record'ed definition */

/* One term: 16 bytes. `n` is a count whose meaning depends on the type
 * (element count, byte length, arity). */
struct etf_term {
    uint8_t type;  /* etf_type */
    uint8_t flags; /* ETF_NEGATIVE for a bignum */
    uint8_t bits;  /* ETF_BINARY: bits in the last byte, 0 = whole bytes */
    uint8_t reserved;
    uint32_t n;
    union {
        int64_t i;
        double f;
        const char *atom;
        etf_term *elems;
        const uint8_t *bytes;
        const etf_pid *pid;
        const etf_port *port;
        const etf_ref *ref;
        const etf_fun *fun;
        const etf_record *record;
    } u;
};

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

typedef enum etf_errcode {
    ETF_OK = 0,
    ETF_ERR_TRUNCATED,  /* input ends inside a term */
    ETF_ERR_TRAILING,   /* bytes left after the term */
    ETF_ERR_VERSION,    /* first byte is not 131 */
    ETF_ERR_TAG,        /* unknown or unsupported tag */
    ETF_ERR_UTF8,       /* atom name is not valid UTF-8 */
    ETF_ERR_ATOM,       /* atom too long */
    ETF_ERR_ARITY,      /* a count larger than the bytes present allow */
    ETF_ERR_BIGNUM,     /* malformed or over-long bignum */
    ETF_ERR_VALUE,      /* a field out of its range (bits, ref length, ...) */
    ETF_ERR_DEPTH,      /* nesting deeper than the limit */
    ETF_ERR_ZLIB,       /* compressed term does not inflate as declared */
    ETF_ERR_ATOM_CACHE, /* ATOM_CACHE_REF with no such entry */
    ETF_ERR_NOMEM,      /* out of memory */
    ETF_ERR_SYNTAX,     /* etf_parse: not a term */
    ETF_ERR_UNSUPPORTED /* etf_encode: a term the format cannot carry */
} etf_errcode;

typedef struct etf_error {
    etf_errcode code;
    size_t offset;        /* byte offset in the input (decoder, encoder) */
    unsigned line, column; /* 1-based position (parser) */
    char message[160];
} etf_error;

/* A short fixed name for an error code ("truncated", "bad tag", ...). */
const char *etf_strerror(etf_errcode code);

/* ---------------------------------------------------------------------
 * Arena
 * ------------------------------------------------------------------- */

struct etf_arena_block;
struct etf_arena_owned;

/* A bump allocator. Initialise with etf_arena_init (or = {0}); memory is
 * taken from malloc in blocks and given back by etf_arena_release. */
typedef struct etf_arena {
    struct etf_arena_block *head;
    size_t total;  /* bytes obtained from malloc so far */
    size_t limit;  /* 0 = no limit; otherwise allocation fails past it */
    struct etf_arena_owned *owned; /* memory given by etf_arena_adopt */
} etf_arena;

void etf_arena_init(etf_arena *a);
/* Memory aligned for any term; NULL when out of memory or over the limit.
 * The memory is not zeroed. */
void *etf_arena_alloc(etf_arena *a, size_t size);
/* Frees every block. The arena may be used again afterwards. */
void etf_arena_release(etf_arena *a);
/* Frees every term but keeps the memory (folded into one block), so that a
 * connection decoding message after message of similar size does not go
 * back to malloc. */
void etf_arena_reset(etf_arena *a);
/* Makes `mem` part of the arena: it is given back with the arena's own
 * memory, by etf_arena_release or etf_arena_reset, through release(mem),
 * or free(mem) if release is NULL. This lets a buffer that already holds
 * a message's bytes (a reassembled fragmented message) become the memory
 * its decoded terms point into, without a copy, and go back where it
 * came from (a pool of buffers: dist/pool.c) when they are done.
 * Returns 0, or -1 when out of memory: `mem` is then still the
 * caller's. */
int etf_arena_adopt(etf_arena *a, void *mem, void (*release)(void *mem));

/* ---------------------------------------------------------------------
 * Output buffer
 * ------------------------------------------------------------------- */

/* A growing byte array for encoded terms and printed text. Start it as
 * {0}; data is malloc'ed and belongs to the caller, who frees it with
 * etf_buf_release. Printers keep data NUL-terminated (the NUL is not
 * counted in len). A failed allocation sets `failed` and further appends
 * are ignored, so a writer may check once at the end. */
typedef struct etf_buf {
    uint8_t *data;
    size_t len, cap;
    int failed;
} etf_buf;

int etf_buf_reserve(etf_buf *b, size_t extra);
void etf_buf_append(etf_buf *b, const void *p, size_t n);
void etf_buf_puts(etf_buf *b, const char *s);
void etf_buf_putc(etf_buf *b, char c);
void etf_buf_printf(etf_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void etf_buf_release(etf_buf *b);

/* ---------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------- */

typedef struct etf_decode_opts {
    /* Atoms that ATOM_CACHE_REF indexes refer to. The distribution layer
     * fills this from a message's distribution header; NULL for terms that
     * must not contain ATOM_CACHE_REF (then the tag is an error). The
     * atom names must outlive the decoded term. */
    const etf_atom *atom_refs;
    size_t atom_refs_len;
    /* Nesting limit; 0 means ETF_DEFAULT_MAX_DEPTH. */
    size_t max_depth;
    /* Largest uncompressed size accepted for a COMPRESSED term; 0 means
     * ETF_DEFAULT_MAX_INFLATE. */
    size_t max_inflate;
} etf_decode_opts;

#define ETF_DEFAULT_MAX_DEPTH   (1u << 20)
#define ETF_DEFAULT_MAX_INFLATE ((size_t)1 << 30)

/* Decode a standalone term: the version byte 131, then one term (which may
 * be COMPRESSED), and nothing after it. `opts` may be NULL. On success
 * fills *out and returns 0; terms are allocated in `a` and may point into
 * `buf`. On failure returns -1 and fills *err (if not NULL); whatever was
 * allocated stays in the arena until it is released. */
int etf_decode(const uint8_t *buf, size_t len, const etf_decode_opts *opts,
               etf_arena *a, etf_term *out, etf_error *err);

/* Decode one term without a version byte, as terms follow a distribution
 * header, and tell in *used how many bytes it took; trailing bytes are not
 * an error here. */
int etf_decode_term(const uint8_t *buf, size_t len,
                    const etf_decode_opts *opts, etf_arena *a,
                    etf_term *out, size_t *used, etf_error *err);

/* ---------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------- */

#define ETF_ENCODE_COMPRESSED 1 /* zlib-compress as term_to_binary(T,
                                   [compressed]) does, level 6, kept only
                                   when smaller */
#define ETF_ENCODE_NO_VERSION 2 /* omit the 131 byte (terms after a
                                   distribution header) */

/* Append the ETF of `t` to `out`, with the tags a modern peer expects
 * (byte-identical to term_to_binary(T, [{minor_version, 2}]) wherever the
 * BEAM's encoding is canonical): lists of bytes as STRING_EXT, integers in
 * the smallest form, maps of up to 32 keys in term order. Returns 0, or -1
 * with *err filled for a term that cannot be encoded (a malformed one built
 * by hand, or out of memory). */
int etf_encode(const etf_term *t, unsigned flags, etf_buf *out,
               etf_error *err);

/* The same, with atoms that a distribution header's atom cache carries
 * (dist/atom_cache_send.c): for each atom it is about to write, the
 * encoder calls ix->index; a result from 0 to 254 makes it write
 * ATOM_CACHE_REF with that index instead of the atom, -1 the atom
 * itself. ix NULL: etf_encode. */
typedef struct etf_atom_index {
    int (*index)(void *arg, const char *name, size_t len);
    void *arg;
} etf_atom_index;
int etf_encode_indexed(const etf_term *t, unsigned flags,
                       const etf_atom_index *ix, etf_buf *out,
                       etf_error *err);

/* ---------------------------------------------------------------------
 * Building terms by hand
 * ------------------------------------------------------------------- */

etf_term etf_int(int64_t i);
etf_term etf_float(double f);
/* The atom keeps a pointer to `name`, which must outlive the term. */
etf_term etf_atom_n(const char *name, size_t len);
etf_term etf_atom_z(const char *name);
etf_term etf_nil(void);
/* Binary pointing at `data` (not copied). */
etf_term etf_binary(const void *data, size_t len);
/* Containers whose elements are allocated (uninitialised) in `a`: fill
 * t.u.elems[...] afterwards. NULL elements (type 0) on OOM. */
etf_term etf_tuple(etf_arena *a, uint32_t arity);
etf_term etf_list(etf_arena *a, uint32_t len); /* tail set to [] */
etf_term etf_map(etf_arena *a, uint32_t arity);

/* ---------------------------------------------------------------------
 * Comparing
 * ------------------------------------------------------------------- */

/* Erlang's term order, as erlang:'<'/2 and friends see it, for the exact
 * comparison (=:=) flavour when `exact` is non-zero: then 1 and 1.0 differ
 * and integers sort before floats of the same value, which is the order the
 * BEAM keeps the keys of small maps in. Returns <0, 0 or >0. An ETF_STRING
 * and the ETF_LIST of the same integers compare equal. */
int etf_compare(const etf_term *a, const etf_term *b, int exact);

/* a =:= b. */
int etf_equal(const etf_term *a, const etf_term *b);

/* ---------------------------------------------------------------------
 * Printing
 * ------------------------------------------------------------------- */

typedef enum etf_format {
    ETF_FORMAT_ERLANG,
    ETF_FORMAT_ELIXIR,
    ETF_FORMAT_JSON
} etf_format;

typedef struct etf_print_opts {
    etf_format format;
    /* Line width for pretty-printing; 0 prints everything on one line. */
    unsigned width;
    /* Column the first character is printed at (for indentation after a
     * prompt); 0 or 1 both mean the start of a line. */
    unsigned column;
    /* Node whose pids, ports and references print with node number 0, as
     * that node itself shows them; NULL: every node. */
    const etf_atom *home_node;
} etf_print_opts;

/* Append the text of `t` to `out` (no trailing newline). `opts` may be NULL
 * for Erlang syntax on one line. Returns 0, or -1 if memory ran out. */
int etf_print(const etf_term *t, const etf_print_opts *opts, etf_buf *out);

int etf_print_erlang(const etf_term *t, const etf_print_opts *opts,
                     etf_buf *out);
int etf_print_elixir(const etf_term *t, const etf_print_opts *opts,
                     etf_buf *out);
int etf_print_json(const etf_term *t, const etf_print_opts *opts,
                   etf_buf *out);

/* Shortest text that reads back as the same double, in Erlang's float
 * syntax ("1.0", "0.1", "1.0e20"); writes at most 32 bytes and a NUL. */
size_t etf_format_float(double f, char out[32]);

/* Decimal text of an integer term (ETF_INTEGER or ETF_BIGNUM). */
int etf_format_integer(const etf_term *t, etf_buf *out);

/* ---------------------------------------------------------------------
 * Parsing Erlang term syntax
 * ------------------------------------------------------------------- */

/* Parse one Erlang term from `text` (len bytes of UTF-8), optionally
 * followed by a '.', surrounded by white space and comments. Accepts
 * integers in every base (16#ff, -2#101, 1_000), $c characters, floats,
 * atoms (quoted or not), strings with every escape, binaries, tuples,
 * lists (improper too), maps, `fun M:F/A`, and Elixir aliases: a word that
 * starts with a capital letter, such as Foo.Bar, is the atom
 * 'Elixir.Foo.Bar'. Terms are allocated in `a`; strings and atoms are
 * copied, so `text` may go away afterwards. On failure *err holds the line
 * and column. */
int etf_parse(const char *text, size_t len, etf_arena *a, etf_term *out,
              etf_error *err);

/* ---------------------------------------------------------------------
 * Small helpers shared by the layers above
 * ------------------------------------------------------------------- */

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int etf_utf8_valid(const uint8_t *s, size_t len);

/* Number of characters in valid UTF-8 text. */
size_t etf_utf8_count(const uint8_t *s, size_t len);

/* Atom name comparison with a C string. */
int etf_atom_is(const etf_term *t, const char *name);

#endif
