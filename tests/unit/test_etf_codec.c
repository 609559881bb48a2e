/*
 * test_etf_codec.c -- unit tests of the ETF decoder and encoder: one test
 * per tag with byte vectors that real nodes produced (OTP 25, 27 and 29,
 * term_to_binary), one per error class, and the encoder's canonical form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etf/etf.h"

typedef struct bytes {
    uint8_t *data;
    size_t len;
} bytes;

static bytes hex(const char *h)
{
    bytes b;
    size_t n = strlen(h) / 2;
    b.data = malloc(n ? n : 1);
    b.len = n;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        b.data[i] = (uint8_t)v;
    }
    return b;
}

/* Decodes hex, checks the type, and that re-encoding gives the same bytes
 * (when same_bytes) -- returns the printed Erlang text in *text. */
static etf_term decode_ok(etf_arena *a, bytes b, const char *h,
                          etf_type type, int same_bytes, char **text)
{
    etf_term t;
    etf_error err;
    int r = etf_decode(b.data, b.len, NULL, a, &t, &err);
    if (r != 0)
        fail_msg("decode of %s failed: %s", h, err.message);
    assert_int_equal(t.type, type);
    etf_buf enc = {0};
    assert_int_equal(etf_encode(&t, 0, &enc, &err), 0);
    if (same_bytes) {
        assert_int_equal(enc.len, b.len);
        assert_memory_equal(enc.data, b.data, b.len);
    }
    /* Whatever the input, our encoding decodes to an equal term. */
    etf_term t2;
    assert_int_equal(etf_decode(enc.data, enc.len, NULL, a, &t2, &err), 0);
    assert_true(etf_equal(&t, &t2));
    etf_buf out = {0};
    assert_int_equal(etf_print_erlang(&t, NULL, &out), 0);
    *text = strdup((char *)out.data);
    etf_buf_release(&out);
    etf_buf_release(&enc);
    return t;
}

static void check(const char *h, etf_type type, int same, const char *want)
{
    etf_arena a;
    etf_arena_init(&a);
    char *text;
    bytes b = hex(h);
    decode_ok(&a, b, h, type, same, &text);
    assert_string_equal(text, want);
    free(text);
    free(b.data);
    etf_arena_release(&a);
}

static void test_integers(void **state)
{
    (void)state;
    check("836100", ETF_INTEGER, 1, "0");                         /* 97 */
    check("8361ff", ETF_INTEGER, 1, "255");
    check("836200000100", ETF_INTEGER, 1, "256");                 /* 98 */
    check("8362ffffffff", ETF_INTEGER, 1, "-1");
    check("836280000000", ETF_INTEGER, 1, "-2147483648");
    check("836e040000000080", ETF_INTEGER, 1, "2147483648");      /* 110 */
    check("836e040101000080", ETF_INTEGER, 1, "-2147483649");
    check("836e0900000000000000000001", ETF_BIGNUM, 1,
          "18446744073709551616");
    check("836e0901000000000000000001", ETF_BIGNUM, 1,
          "-18446744073709551616");
    /* LARGE_BIG_EXT (111) of a small value: normalised to SMALL_INTEGER */
    check("836f00000001000a", ETF_INTEGER, 0, "10");
    /* 2^63 - 1 and -2^63 still fit in int64_t */
    check("836e0800ffffffffffffff7f", ETF_INTEGER, 1, "9223372036854775807");
    check("836e08010000000000000080", ETF_INTEGER, 1, "-9223372036854775808");
}

static void test_floats(void **state)
{
    (void)state;
    check("83463ff8000000000000", ETF_FLOAT, 1, "1.5");           /* 70 */
    check("83468000000000000000", ETF_FLOAT, 1, "-0.0");
    check("83467e37e43c8800759c", ETF_FLOAT, 1, "1.0e300");
    check("83460000000000000001", ETF_FLOAT, 1, "5.0e-324");
    /* FLOAT_EXT (99), minor_version 0: decoded, re-encoded as 70 */
    check("8363312e3530303030303030303030303030303030303030652b30300000000000",
          ETF_FLOAT, 0, "1.5");
}

static void test_atoms(void **state)
{
    (void)state;
    check("837700", ETF_ATOM, 1, "''");                           /* 119 */
    check("83770161", ETF_ATOM, 1, "a");
    check("83770b68656c6c6f20776f726c64", ETF_ATOM, 1, "'hello world'");
    check("837702c3a9", ETF_ATOM, 1, "\xc3\xa9");                 /* é */
    check("8364000161", ETF_ATOM, 0, "a");                        /* 100 */
    check("83640001e9", ETF_ATOM, 0, "\xc3\xa9");                 /* Latin-1 */
    check("83730161", ETF_ATOM, 0, "a");                          /* 115 */
    check("8376000161", ETF_ATOM, 0, "a");                        /* 118 */
    check("837703616e64", ETF_ATOM, 1, "'and'");                  /* reserved */
}

static void test_containers(void **state)
{
    (void)state;
    check("836800", ETF_TUPLE, 1, "{}");                          /* 104 */
    check("8368027701616101", ETF_TUPLE, 1, "{a,1}");
    check("83690000000161ff", ETF_TUPLE, 0, "{255}");             /* 105 */
    check("836a", ETF_NIL, 1, "[]");                              /* 106 */
    check("836b0003616263", ETF_STRING, 1, "\"abc\"");            /* 107 */
    check("836c00000002610161026103", ETF_LIST, 1, "[1,2|3]");    /* 108 */
    check("836c0000000162000001006a", ETF_LIST, 1, "[256]");
    /* a LIST_EXT of bytes is re-encoded as STRING_EXT, as erts does */
    check("836c00000002616161616a", ETF_LIST, 0, "\"aa\"");
    check("836d00000003010203", ETF_BINARY, 1, "<<1,2,3>>");      /* 109 */
    check("836d00000000", ETF_BINARY, 1, "<<>>");
    check("834d000000010320", ETF_BINARY, 1, "<<1:3>>");          /* 77 */
    check("834d0000000201ff80", ETF_BINARY, 1, "<<255,1:1>>");
    check("837400000000", ETF_MAP, 1, "#{}");                     /* 116 */
    check("83740000000277016161017701626102", ETF_MAP, 1,
          "#{a => 1,b => 2}");
}

static void test_identifiers(void **state)
{
    (void)state;
    const char *node = "770d6e6f6e6f6465406e6f686f7374"; /* nonode@nohost */
    char h[256];
    snprintf(h, sizeof h, "8358%s000000090000000000000000", node); /* 88 */
    check(h, ETF_PID, 1, "<0.9.0>");
    snprintf(h, sizeof h, "8367%s000000090000000000", node); /* 103 */
    check(h, ETF_PID, 0, "<0.9.0>");
    snprintf(h, sizeof h, "835a0003%s0000000000036130797400025bdd1fa9",
             node); /* 90 */
    check(h, ETF_REF, 1, "#Ref<0.1541218217.2037645314.221488>");
    snprintf(h, sizeof h, "83720001%s0000000361", node); /* 114 */
    check(h, ETF_REF, 0, "#Ref<0.865>");
    snprintf(h, sizeof h, "8365%s0000036100", node); /* 101 */
    check(h, ETF_REF, 0, "#Ref<0.865>");
    snprintf(h, sizeof h, "8378%s000000000000000500000000", node); /* 120 */
    check(h, ETF_PORT, 1, "#Port<0.5>");
    snprintf(h, sizeof h, "8359%s0000000500000000", node); /* 89 */
    check(h, ETF_PORT, 0, "#Port<0.5>");
    snprintf(h, sizeof h, "8366%s0000000500", node); /* 102 */
    check(h, ETF_PORT, 0, "#Port<0.5>");
}

static void test_funs(void **state)
{
    (void)state;
    check("837177056c6973747377036d61706102", ETF_EXPORT, 1,
          "fun lists:map/2");                                     /* 113 */
    /* NEW_FUN_EXT (112) from a compiled module, OTP 27: kept verbatim */
    check("83700000004501f92311a4b1baf2928418713ccde717660000000000000000"
          "770376656361006207c9188d58770d6e6f6e6f6465406e6f686f7374000000"
          "000000000000000000",
          ETF_FUN, 1, "#Fun<vec.0.130619533>");
}

static void test_compressed(void **state)
{
    (void)state;
    const char *h = "835000000067789ccb664849a4030000cccb26b4";
    etf_arena a;
    etf_arena_init(&a);
    bytes b = hex(h);
    etf_term t;
    etf_error err;
    assert_int_equal(etf_decode(b.data, b.len, NULL, &a, &t, &err), 0);
    assert_int_equal(t.type, ETF_STRING);
    assert_int_equal(t.n, 100);
    etf_buf enc = {0};
    assert_int_equal(etf_encode(&t, ETF_ENCODE_COMPRESSED, &enc, &err), 0);
    /* byte-identical to term_to_binary(lists:duplicate(100,$a),
     * [compressed]) on OTP 25 */
    assert_int_equal(enc.len, b.len);
    assert_memory_equal(enc.data, b.data, b.len);
    etf_buf_release(&enc);
    free(b.data);
    etf_arena_release(&a);
}

static void test_record(void **state)
{
    (void)state;
    /* OTP 29: #rt:one{a = 1} and #rt:pt{x = 1,y = 2,z = 3} */
    check("834300000001007702727477036f6e657701616101", ETF_RECORD, 1,
          "#rt:one{a = 1}");
    check("83430000000300770272747702707477017877017977017a610161026103",
          ETF_RECORD, 1, "#rt:pt{x = 1,y = 2,z = 3}");
    check("83430000000000770272747705656d707479", ETF_RECORD, 1,
          "#rt:empty{}");
}

static void test_atom_cache_ref(void **state)
{
    (void)state;
    /* {A0, A1} where the atoms come from a distribution header. */
    bytes b = hex("6802520052016a");
    etf_atom refs[2] = {{"hello", 5}, {"world", 5}};
    etf_decode_opts o = {refs, 2, 0, 0};
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    size_t used = 0;
    assert_int_equal(etf_decode_term(b.data, b.len, &o, &a, &t, &used, &err),
                     0);
    assert_int_equal(used, 6);
    assert_true(etf_atom_is(&t.u.elems[0], "hello"));
    assert_true(etf_atom_is(&t.u.elems[1], "world"));
    /* Entry 2 does not exist. */
    b.data[5] = 2;
    assert_int_equal(etf_decode_term(b.data, b.len, &o, &a, &t, &used, &err),
                     -1);
    assert_int_equal(err.code, ETF_ERR_ATOM_CACHE);
    /* Without a table the tag is refused. */
    assert_int_equal(etf_decode_term(b.data, b.len, NULL, &a, &t, &used, &err),
                     -1);
    assert_int_equal(err.code, ETF_ERR_ATOM_CACHE);
    free(b.data);

    /* A binary, then more bytes: etf_decode_term takes the binary. */
    const uint8_t bin[] = {109, 0, 0, 0, 2, 'h', 'i', 97, 1};
    assert_int_equal(etf_decode_term(bin, sizeof bin, NULL, &a, &t, &used,
                                     &err), 0);
    assert_int_equal(used, 7);
    assert_int_equal(t.type, ETF_BINARY);
    assert_int_equal(t.n, 2);
    assert_ptr_equal(t.u.bytes, bin + 5);
    assert_int_equal(err.code, ETF_OK);
    /* Cut short: the decoder's error, with its offset. */
    assert_int_equal(etf_decode_term(bin, 6, NULL, &a, &t, &used, &err), -1);
    assert_int_equal(err.code, ETF_ERR_TRUNCATED);
    assert_int_equal(err.offset, 0);
    etf_arena_release(&a);
}

static void test_local_ext(void **state)
{
    (void)state;
    check("83790102030405", ETF_LOCAL, 1, "#LocalExt<6 bytes>");
}

/* ---- errors ------------------------------------------------------------ */

static void expect_error(const char *h, etf_errcode code, size_t offset)
{
    bytes b = hex(h);
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    int r = etf_decode(b.data, b.len, NULL, &a, &t, &err);
    if (r == 0)
        fail_msg("%s decoded, expected error %s", h, etf_strerror(code));
    if (err.code != code || err.offset != offset)
        fail_msg("%s: got %s at %zu (%s), expected %s at %zu", h,
                 etf_strerror(err.code), err.offset, err.message,
                 etf_strerror(code), offset);
    assert_true(strlen(err.message) > 10);
    free(b.data);
    etf_arena_release(&a);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", ETF_ERR_TRUNCATED, 0);
    expect_error("8461", ETF_ERR_VERSION, 0);
    expect_error("836100ff", ETF_ERR_TRAILING, 3);
    expect_error("8361", ETF_ERR_TRUNCATED, 1);
    expect_error("83ee", ETF_ERR_TAG, 1);
    expect_error("8375", ETF_ERR_TAG, 1);                /* FUN_EXT */
    expect_error("836800" "50", ETF_ERR_TRAILING, 3);
    expect_error("836802" "5000", ETF_ERR_TAG, 3);       /* nested COMPRESSED */
    expect_error("837702c328", ETF_ERR_UTF8, 1);         /* bad UTF-8 */
    expect_error("837702eda080", ETF_ERR_UTF8, 1);       /* surrogate */
    expect_error("836cffffffff6a", ETF_ERR_ARITY, 1);    /* 4G elements */
    expect_error("8369ffffffff", ETF_ERR_ARITY, 1);
    expect_error("8374ffffffff", ETF_ERR_ARITY, 1);
    expect_error("836e0102ff", ETF_ERR_BIGNUM, 1);       /* sign byte 2 */
    expect_error("836fffffffff00", ETF_ERR_TRUNCATED, 1);
    expect_error("834d000000010900", ETF_ERR_VALUE, 1);  /* 9 bits */
    expect_error("834d0000000100ff", ETF_ERR_VALUE, 1);  /* 1 byte, 0 bits */
    expect_error("83467ff0000000000000", ETF_ERR_VALUE, 1); /* infinity */
    expect_error("83500000ffff789c0300", ETF_ERR_ZLIB, 1);
    /* zlib("abc"): the term 'b'... ends early inside the compressed data */
    expect_error("835000000003789c4b4c4a0600024d0127", ETF_ERR_TRAILING, 2);
    expect_error("835a0000770161000000", ETF_ERR_VALUE, 1); /* 0 words */
    expect_error("8352", ETF_ERR_TRUNCATED, 1);
    /* A binary root (decoded before the decoder is set up), cut short or
     * followed by more bytes, still gets the decoder's errors. */
    expect_error("836d000000030102", ETF_ERR_TRUNCATED, 1);
    expect_error("836d000000", ETF_ERR_TRUNCATED, 1);
    expect_error("836d000000010102", ETF_ERR_TRAILING, 7);
    expect_error("834300000001027702727477036f6e657701616101",
                 ETF_ERR_VALUE, 1);                      /* flags 2 */
    expect_error("83430000000200770272747701727701617701616101",
                 ETF_ERR_VALUE, 14);                     /* field twice */
}

static void test_truncations_never_crash(void **state)
{
    (void)state;
    /* Every proper prefix of a valid term is an error, never a crash. */
    bytes full = hex("836803770161740000000277016161017701626102"
                     "6c00000002610161026103");
    for (size_t n = 0; n < full.len; n++) {
        etf_arena a;
        etf_arena_init(&a);
        etf_term t;
        etf_error err;
        assert_int_equal(etf_decode(full.data, n, NULL, &a, &t, &err), -1);
        etf_arena_release(&a);
    }
    free(full.data);
}

static void test_atom_too_long(void **state)
{
    (void)state;
    /* 256 characters in ATOM_UTF8_EXT */
    uint8_t buf[4 + 256];
    buf[0] = 131;
    buf[1] = ATOM_UTF8_EXT;
    buf[2] = 1;
    buf[3] = 0;
    memset(buf + 4, 'x', 256);
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    assert_int_equal(etf_decode(buf, sizeof buf, NULL, &a, &t, &err), -1);
    assert_int_equal(err.code, ETF_ERR_ATOM);
    etf_arena_release(&a);
}

/* ---- pretty-printing ------------------------------------------------------
 *
 * Expected texts come from real nodes: io:format("~tp", [T]) on OTP 25
 * (the same on 27 and 29) and inspect(T, pretty: true, width: 80) on
 * Elixir 1.18. tests/integration/etf_diff.escript and etf_diff.exs compare
 * some 900 more terms against the nodes themselves. */

typedef struct pretty_case {
    const char *term; /* Erlang syntax, for etf_parse */
    const char *text; /* the expected text at width 80 */
} pretty_case;

static const pretty_case erlang_cases[] = {
    {"{error,{badmatch,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
     "20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]}}",
     "{error,{badmatch,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
     "20,21,22,23,\n"
     "                  24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]}}"},
    {"#{config => #{db => #{host => \"db.example.internal\",pool => [1,2"
     ",3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],port => 5432}},na"
     "me => <<\"service\">>}",
     "#{config =>\n"
     "      #{db =>\n"
     "            #{host => \"db.example.internal\",\n"
     "              pool => [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,1"
     "8,19,20],\n"
     "              port => 5432}},\n"
     "  name => <<\"service\">>}"},
    {"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25"
     ",26,27,28,29,30|tail]",
     "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25"
     ",26,27,28,\n"
     " 29,30|tail]"},
    {"{tag12,{tag11,{tag10,{tag9,{tag8,{tag7,{tag6,{tag5,{tag4,{tag3,{ta"
     "g2,{tag1,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}}}"
     "}}}}}}}",
     "{tag12,\n"
     " {tag11,\n"
     "  {tag10,\n"
     "   {tag9,\n"
     "    {tag8,\n"
     "     {tag7,\n"
     "      {tag6,\n"
     "       {tag5,\n"
     "        {tag4,\n"
     "         {tag3,\n"
     "          {tag2,\n"
     "           {tag1,\n"
     "            [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}}}}}}}}}}"},
    {"<<200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,"
     "1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,"
     "200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,"
     "255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,20"
     "0,1,255,200,1,255,200,1,255,200,1,255>>",
     "<<200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,"
     "1,255,200,1,\n"
     "  255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,"
     "200,1,255,\n"
     "  200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,"
     "1,255,200,1,\n"
     "  255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255>>"},
    {"[{name,\"edist\"},{applications,[kernel,stdlib,crypto,ssl]},{env,["
     "{port,4369},{timeout,5000}]}]",
     "[{name,\"edist\"},\n"
     " {applications,[kernel,stdlib,crypto,ssl]},\n"
     " {env,[{port,4369},{timeout,5000}]}]"}
};

/* etf_parse puts map keys in term order, so the map's text is Elixir's
 * with the custom_options: [sort_maps: true] option. */
static const pretty_case elixir_cases[] = {
    {"{error,{badmatch,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
     "20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]}}",
     "{:error,\n"
     " {:badmatch,\n"
     "  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, "
     "19, 20, 21,\n"
     "   22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40]}}"},
    {"#{name => <<\"service\">>,config => #{db => #{port => 5432,host =>"
     " \"db.example.internal\",pool => [1,2,3,4,5,6,7,8,9,10,11,12,13,14"
     ",15,16,17,18,19,20]}}}",
     "%{\n"
     "  config: %{\n"
     "    db: %{\n"
     "      host: ~c\"db.example.internal\",\n"
     "      pool: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,\n"
     "       20],\n"
     "      port: 5432\n"
     "    }\n"
     "  },\n"
     "  name: \"service\"\n"
     "}"},
    {"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25"
     ",26,27,28,29,30|tail]",
     "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19"
     ", 20, 21, 22,\n"
     " 23, 24, 25, 26, 27, 28, 29, 30 | :tail]"},
    {"{tag12,{tag11,{tag10,{tag9,{tag8,{tag7,{tag6,{tag5,{tag4,{tag3,{ta"
     "g2,{tag1,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}}}"
     "}}}}}}}",
     "{:tag12,\n"
     " {:tag11,\n"
     "  {:tag10,\n"
     "   {:tag9,\n"
     "    {:tag8,\n"
     "     {:tag7,\n"
     "      {:tag6,\n"
     "       {:tag5,\n"
     "        {:tag4,\n"
     "         {:tag3,\n"
     "          {:tag2,\n"
     "           {:tag1,\n"
     "            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16"
     ", 17, 18, 19,\n"
     "             20]}}}}}}}}}}}}"},
    {"<<200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,"
     "1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,"
     "200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,"
     "255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,200,1,255,20"
     "0,1,255,200,1,255,200,1,255,200,1,255>>",
     "<<200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255,"
     " 200, 1, 255,\n"
     "  200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255,"
     " 200, 1, 255,\n"
     "  200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255,"
     " 200, 1, 255,\n"
     "  200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255,"
     " 200, 1, 255,\n"
     "  200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255, 200, 1, 255>>"},
    {"[{name,\"edist\"},{applications,[kernel,stdlib,crypto,ssl]},{env,["
     "{port,4369},{timeout,5000}]}]",
     "[\n"
     "  name: ~c\"edist\",\n"
     "  applications: [:kernel, :stdlib, :crypto, :ssl],\n"
     "  env: [port: 4369, timeout: 5000]\n"
     "]"}
};

static void check_pretty(const pretty_case *c, size_t n, etf_format fmt)
{
    for (size_t i = 0; i < n; i++) {
        etf_arena a;
        etf_arena_init(&a);
        etf_term t;
        etf_error err;
        if (etf_parse(c[i].term, strlen(c[i].term), &a, &t, &err) != 0)
            fail_msg("cannot parse %s: %s", c[i].term, err.message);
        etf_buf out = {0};
        etf_print_opts o = {fmt, 80, 0, NULL};
        assert_int_equal(etf_print(&t, &o, &out), 0);
        if (strcmp((char *)out.data, c[i].text) != 0)
            fail_msg("%s printed\n%s\ninstead of\n%s", c[i].term,
                     (char *)out.data, c[i].text);
        etf_buf_release(&out);
        etf_arena_release(&a);
    }
}

static void test_pretty_erlang(void **state)
{
    (void)state;
    check_pretty(erlang_cases, sizeof erlang_cases / sizeof *erlang_cases,
                 ETF_FORMAT_ERLANG);
}

static void test_pretty_elixir(void **state)
{
    (void)state;
    check_pretty(elixir_cases, sizeof elixir_cases / sizeof *elixir_cases,
                 ETF_FORMAT_ELIXIR);
}


static void test_deep_nesting(void **state)
{
    (void)state;
    /* [[[...]]] 100 000 deep: legal, decodes, encodes, prints. */
    const size_t depth = 100000;
    size_t len = 1 + depth * 5 + 1 + depth;
    uint8_t *buf = malloc(len);
    size_t p = 0;
    buf[p++] = 131;
    for (size_t i = 0; i < depth; i++) {
        buf[p++] = LIST_EXT;
        buf[p++] = 0;
        buf[p++] = 0;
        buf[p++] = 0;
        buf[p++] = 1;
    }
    buf[p++] = NIL_EXT;
    for (size_t i = 0; i < depth; i++)
        buf[p++] = NIL_EXT;
    assert_int_equal(p, len);
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error err;
    assert_int_equal(etf_decode(buf, len, NULL, &a, &t, &err), 0);
    etf_buf enc = {0};
    assert_int_equal(etf_encode(&t, 0, &enc, &err), 0);
    assert_int_equal(enc.len, len);
    assert_memory_equal(enc.data, buf, len);
    etf_buf text = {0};
    etf_print_opts po = {ETF_FORMAT_ERLANG, 80, 0, NULL};
    assert_int_equal(etf_print(&t, &po, &text), 0);
    assert_int_equal(text.len, 2 * (depth + 1));
    /* Broken over lines in every format, without deep recursion: past
     * PRETTY_MAX_DEPTH levels the rest is written on one line. */
    for (int f = ETF_FORMAT_ERLANG; f <= ETF_FORMAT_JSON; f++) {
        etf_buf b = {0};
        etf_print_opts wo = {(etf_format)f, 80, 0, NULL};
        assert_int_equal(etf_print(&t, &wo, &b), 0);
        assert_true(b.len >= 2 * (depth + 1));
        etf_buf_release(&b);
    }
    assert_true(etf_equal(&t, &t));
    /* With a lower limit the same input is refused cleanly. */
    etf_decode_opts o = {NULL, 0, 1000, 0};
    assert_int_equal(etf_decode(buf, len, &o, &a, &t, &err), -1);
    assert_int_equal(err.code, ETF_ERR_DEPTH);
    etf_buf_release(&enc);
    etf_buf_release(&text);
    etf_arena_release(&a);
    free(buf);
}

static void test_small_map_order(void **state)
{
    (void)state;
    /* Built as #{1.0 => b, 2 => c, a => x}: the BEAM writes integer keys
     * before float keys, then atoms (checked on OTP 25:
     * term_to_binary(#{1.0=>a, 2=>b})). */
    etf_arena a;
    etf_arena_init(&a);
    etf_term m = etf_map(&a, 3);
    m.u.elems[0] = etf_float(1.0);
    m.u.elems[1] = etf_atom_z("b");
    m.u.elems[2] = etf_atom_z("a");
    m.u.elems[3] = etf_atom_z("x");
    m.u.elems[4] = etf_int(2);
    m.u.elems[5] = etf_atom_z("c");
    etf_buf enc = {0};
    etf_error err;
    assert_int_equal(etf_encode(&m, 0, &enc, &err), 0);
    /* 2 first, then 1.0, then a */
    assert_int_equal(enc.data[6], SMALL_INTEGER_EXT);
    assert_int_equal(enc.data[7], 2);
    assert_int_equal(enc.data[11], NEW_FLOAT_EXT);
    etf_buf_release(&enc);
    etf_arena_release(&a);
}

/* A release function for adopted buffers that counts its calls. */
static int released;
static void count_release(void *mem)
{
    released++;
    free(mem);
}

/* The arena: small and large allocations, reset, and buffers it adopts
 * (freed with it: the leak checker of the sanitizer build would report
 * one that is not, and a double free would be caught too). */
static void test_arena(void **state)
{
    (void)state;
    etf_arena a;
    etf_arena_init(&a);
    for (size_t size = 1; size <= ((size_t)1 << 22); size *= 4) {
        uint8_t *p = etf_arena_alloc(&a, size);
        assert_non_null(p);
        memset(p, 0x5A, size);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    }
    char *mine = malloc(100);
    assert_non_null(mine);
    strcpy(mine, "adopted");
    assert_int_equal(etf_arena_adopt(&a, mine, NULL), 0);
    assert_string_equal(mine, "adopted"); /* still ours to read */
    etf_arena_reset(&a);                  /* frees it */
    assert_non_null(etf_arena_alloc(&a, 64));
    assert_int_equal(etf_arena_adopt(&a, malloc(10), NULL), 0);
    assert_int_equal(etf_arena_adopt(&a, malloc(1 << 20), NULL), 0);
    etf_arena_release(&a);                /* frees both */
    assert_null(a.head);
    assert_null(a.owned);

    /* A buffer adopted with a release function goes back through it,
     * once, at reset as at release. */
    released = 0;
    assert_int_equal(etf_arena_adopt(&a, malloc(32), count_release), 0);
    assert_int_equal(etf_arena_adopt(&a, malloc(32), count_release), 0);
    etf_arena_reset(&a);
    assert_int_equal(released, 2);
    assert_int_equal(etf_arena_adopt(&a, malloc(32), count_release), 0);
    etf_arena_release(&a);
    assert_int_equal(released, 3);

    /* Over its limit an arena says no, adopting included. */
    a.limit = 512;
    assert_null(etf_arena_alloc(&a, 4096));
    char *x = malloc(8);
    assert_int_equal(etf_arena_adopt(&a, x, NULL), -1); /* x is still ours */
    free(x);
    etf_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_atoms),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_funs),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_atom_cache_ref),
        cmocka_unit_test(test_local_ext),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_truncations_never_crash),
        cmocka_unit_test(test_atom_too_long),
        cmocka_unit_test(test_pretty_erlang),
        cmocka_unit_test(test_pretty_elixir),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_small_map_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
