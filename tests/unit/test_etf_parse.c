/*
 * test_etf_parse.c -- unit tests of etf_parse, the reader of Erlang term
 * syntax.
 *
 * Each construct is checked against a real node: the vectors below pair a
 * text with the bytes OTP 25 gave for it (term_to_binary of the same text
 * evaluated by erl_eval, or, for edist's extensions -- Elixir aliases, node
 * names with dots -- of the Erlang expression in the comment), and the
 * parsed term must equal (=:=) the decoded one. Then come the parts of the
 * term's shape that =:= cannot see (STRING or LIST, INTEGER or BIGNUM,
 * bitstring bits, flattened lists, sorted map keys), and every class of
 * error with the line and column it reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etf/etf.h"

typedef struct vector {
    const char *text; /* what a person types */
    const char *hex;  /* term_to_binary(Term, [{minor_version, 2}]) */
} vector;

/* ---- helpers ------------------------------------------------------------ */

static etf_arena arena; /* each test's terms, released after it */

static int setup(void **state)
{
    (void)state;
    etf_arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    etf_arena_release(&arena);
    return 0;
}

static etf_term parse_ok(const char *text)
{
    etf_term t;
    etf_error err;
    if (etf_parse(text, strlen(text), &arena, &t, &err) != 0)
        fail_msg("parse of %s failed at %u:%u: %s", text, err.line,
                 err.column, err.message);
    return t;
}

/* Decodes hex ETF; the bytes live in the arena, as the term points into
 * them. */
static etf_term from_hex(const char *h)
{
    size_t n = strlen(h) / 2;
    uint8_t *b = etf_arena_alloc(&arena, n);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    etf_term t;
    etf_error err;
    if (etf_decode(b, n, NULL, &arena, &t, &err) != 0)
        fail_msg("bad test vector %s: %s", h, err.message);
    return t;
}

static const char *show(const etf_term *t, etf_buf *b)
{
    b->len = 0;
    if (etf_print(t, NULL, b) != 0 || b->data == NULL)
        return "(unprintable)";
    return (const char *)b->data;
}

static void check_vectors(const vector *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        etf_term got = parse_ok(v[i].text);
        etf_term want = from_hex(v[i].hex);
        if (!etf_equal(&got, &want)) {
            etf_buf a = {0}, b = {0};
            fail_msg("%s: parsed %s, the node says %s", v[i].text,
                     show(&got, &a), show(&want, &b));
        }
    }
}

#define CHECK_VECTORS(v) check_vectors((v), sizeof(v) / sizeof((v)[0]))

typedef struct bad {
    const char *text;
    unsigned line, column;
    const char *msg; /* a part of the message */
} bad;

static void check_errors(const bad *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        etf_term t;
        etf_error err;
        int r = etf_parse(b[i].text, strlen(b[i].text), &arena, &t, &err);
        if (r == 0) {
            etf_buf out = {0};
            fail_msg("%s: parsed as %s, expected an error", b[i].text,
                     show(&t, &out));
        }
        if (err.code != ETF_ERR_SYNTAX || err.line != b[i].line ||
            err.column != b[i].column ||
            strstr(err.message, b[i].msg) == NULL)
            fail_msg("%s: got %s at %u:%u: \"%s\"; "
                     "expected %u:%u: \"...%s...\"",
                     b[i].text, etf_strerror(err.code), err.line, err.column,
                     err.message, b[i].line, b[i].column, b[i].msg);
    }
}

#define CHECK_ERRORS(b) check_errors((b), sizeof(b) / sizeof((b)[0]))

/* ---- vectors from OTP 25 ------------------------------------------------ */

static const vector integers_vectors[] = {
    {"0", "836100"},
    {"42", "83612a"},
    {"-42", "8362ffffffd6"},
    {"+7", "836107"},
    {"- 5", "8362fffffffb"},
    {"255", "8361ff"},
    {"256", "836200000100"},
    {"16#ff", "8361ff"},
    {"-16#FF", "8362ffffff01"},
    {"2#1010", "83610a"},
    {"36#Zz", "83620000050f"},
    {"8#777", "8362000001ff"},
    {"1_000_000", "8362000f4240"},
    {"16#ff_ff", "83620000ffff"},
    {"2147483647", "83627fffffff"},
    {"2147483648", "836e040000000080"},
    {"-2147483649", "836e040101000080"},
    {"9223372036854775807", "836e0800ffffffffffffff7f"},
    {"-9223372036854775808", "836e08010000000000000080"},
    {"9223372036854775808", "836e08000000000000000080"},
    {"-9223372036854775809", "836e08010100000000000080"},
    {"18446744073709551616", "836e0900000000000000000001"},
    {"123456789012345678901234567890", "836e0d00d20a3f4eeee073c3f60fe98e01"},
    {"-123456789012345678901234567890", "836e0d01d20a3f4eeee073c3f60fe98e01"},
    {"16#1_0000_0000_0000_0000_0000", "836e0b000000000000000000000001"},
};

static const vector chars_vectors[] = {
    {"$a", "836161"},
    {"$\\n", "83610a"},
    {"$\\\\", "83615c"},
    {"$\\x{1F600}", "83620001f600"},
    {"$\\101", "836141"},
    {"$\\^A", "836101"},
    {"$ ", "836120"},
    {"$é", "8361e9"},
    {"$😀", "83620001f600"},
    {"$\\s", "836120"},
    {"$\\e", "83611b"},
    {"$\\d", "83617f"},
    {"$\\x41", "836141"},
    {"-$a", "8362ffffff9f"},
    {"$\\400", "836200000100"},
    {"$\\z", "83617a"},
};

static const vector floats_vectors[] = {
    {"1.5", "83463ff8000000000000"},
    {"-0.0", "83468000000000000000"},
    {"1.0e10", "83464202a05f20000000"},
    {"2.5E-3", "83463f647ae147ae147b"},
    {"1_000.5", "8346408f440000000000"},
    {"1.0e+2", "83464059000000000000"},
    {"0.1", "83463fb999999999999a"},
    {"-1.7976931348623157e308", "8346ffefffffffffffff"},
    {"5.0e-324", "83460000000000000001"},
    {"1.0e-400", "83460000000000000000"},
};

static const vector atoms_vectors[] = {
    {"ok", "8377026f6b"},
    {"a@b", "837703614062"},
    {"'hello world'", "83770b68656c6c6f20776f726c64"},
    {"true", "83770474727565"},
    {"false", "83770566616c7365"},
    {"nil", "8377036e696c"},
    /* 'node@host.example' */
    {"node@host.example", "8377116e6f646540686f73742e6578616d706c65"},
    /* 'app@host.example.com' */
    {"app@host.example.com", "83771461707040686f73742e6578616d706c652e636f6d"},
    /* 'app@10.0.0.5' */
    {"app@10.0.0.5", "83770c6170704031302e302e302e35"},
    {"ßa", "837703c39f61"},
    {"ÿabc", "837705c3bf616263"},
    {"aÀ_9@", "83770661c3805f3940"},
    {"''", "837700"},
    {"'a\\nb\\x{1F600}'", "837707610a62f09f9880"},
    {"'\\s\\t\\'q\\''", "8377052009277127"},
    {"'case'", "83770463617365"},
    /* 'maybe' */
    {"maybe", "8377056d61796265"},
};

static const vector elixir_vectors[] = {
    /* 'Elixir.Foo' */
    {"Foo", "83770a456c697869722e466f6f"},
    /* 'Elixir.Foo.Bar' */
    {"Foo.Bar", "83770e456c697869722e466f6f2e426172"},
    /* 'Elixir.Enum' */
    {"Enum", "83770b456c697869722e456e756d"},
    /* 'Elixir.Foo' */
    {"Elixir.Foo", "83770a456c697869722e466f6f"},
    /* 'Elixir' */
    {"Elixir", "837706456c69786972"},
    /* ok */
    {":ok", "8377026f6b"},
    /* 'quoted atom' */
    {":\"quoted atom\"", "83770b71756f7465642061746f6d"},
    /* q */
    {":'q'", "83770171"},
    /* 'Foo' */
    {":Foo", "837703466f6f"},
    /* 'ok?' */
    {":ok?", "8377036f6b3f"},
    /* 'a_b@c!' */
    {":a_b@c!", "837706615f62406321"},
};

static const vector strings_vectors[] = {
    {"\"abc\"", "836b0003616263"},
    {"\"\"", "836a"},
    {"\"ab\" \"cd\"", "836b000461626364"},
    {"\"a\" \"\" \"b\"", "836b00026162"},
    {"\"\\b\\d\\e\\f\\n\\r\\s\\t\\v\\\\\\'\\\"\"",
     "836b000c087f1b0c0a0d20090b5c2722"},
    {"\"\\1234\\8\\0\"", "836b000453343800"},
    {"\"\\x41\\x{42}\\x{0000043}\"", "836b0003414243"},
    {"\"\\^a\\^@\\^_\\^?\"", "836b000401001f1f"},
    {"\"é\"", "836b0001e9"},
    {"\"é😀\"", "836c0000000261e9620001f6006a"},
    {"\"\\x{100}x\"", "836c00000002620000010061786a"},
    {"\"\\z\"", "836b00017a"},
};

static const vector binaries_vectors[] = {
    {"<<>>", "836d00000000"},
    {"<<1,2,3>>", "836d00000003010203"},
    {"<<\"abc\">>", "836d00000003616263"},
    {"<<\"é\">>", "836d00000001e9"},
    {"<<\"é\"/utf8>>", "836d00000002c3a9"},
    {"<<\"é😀\"/utf16>>", "836d0000000600e9d83dde00"},
    {"<<\"é😀\"/utf16-little>>", "836d00000006e9003dd800de"},
    {"<<\"é😀\"/utf32>>", "836d00000008000000e90001f600"},
    {"<<\"é😀\"/utf32-little>>", "836d00000008e900000000f60100"},
    {"<<$a, -$a>>", "836d00000002619f"},
    {"<<\"a\" \"b\", \"\">>", "836d000000026162"},
    {"<<1:3>>", "834d000000010320"},
    {"<<5:4, 3:4>>", "836d0000000153"},
    {"<<1:1,0:1,1:1,1:5,1:7>>", "834d0000000207a102"},
    {"<<1:16/big>>", "836d000000020001"},
    {"<<1:16/little>>", "836d000000020100"},
    {"<<-1:8/signed>>", "836d00000001ff"},
    {"<<256>>", "836d0000000100"},
    {"<<-1>>", "836d00000001ff"},
    {"<<-5:3>>", "834d000000010360"},
    {"<<16#ABC:12/little>>", "834d0000000204bca0"},
    {"<<16#ABC:12/big>>", "834d0000000204abc0"},
    {"<<-1:12/little>>", "834d0000000204fff0"},
    {"<<16#ABCDE:20/little>>", "834d0000000304debca0"},
    {"<<1:3/unit:8>>", "836d00000003000001"},
    {"<<1:2/integer-unit:3>>", "834d000000010604"},
    {"<<123456789012345678901234567890:100>>",
     "834d0000000d0418ee90ff6c373e0ee4e3f0ad20"},
    {"<<-123456789012345678901234567890:100/little>>",
     "834d0000000d042ef5c0b1111f8c3c09f01671e0"},
    {"<<-123456789012345678901234567890:70>>",
     "834d000000090624f2307c46c703d4b8"},
    {"<<1:0>>", "836d00000000"},
    {"<<\"ab\":4>>", "836d0000000112"},
    {"<<\"abc\":16/little>>", "836d00000006610062006300"},
    {"<<1:8/signed-little-integer-unit:1>>", "836d0000000101"},
    {"<<300/utf32>>", "836d000000040000012c"},
    {"<<1/signed-utf8>>", "836d0000000101"},
    {"<<16#1F600/utf8>>", "836d00000004f09f9880"},
};

static const vector binary_floats_vectors[] = {
    {"<<1.5/float>>", "836d000000083ff8000000000000"},
    {"<<1.5:32/float>>", "836d000000043fc00000"},
    {"<<1.5:16/float>>", "836d000000023e00"},
    {"<<1.5:64/float-little>>", "836d00000008000000000000f83f"},
    {"<<1.5:32/float-little>>", "836d000000040000c03f"},
    {"<<1/float>>", "836d000000083ff0000000000000"},
    {"<<1:16/float>>", "836d000000023c00"},
    {"<<-0.0/float>>", "836d000000088000000000000000"},
    {"<<1.5:4/float-unit:16>>", "836d000000083ff8000000000000"},
    {"<<\"ab\"/float>>", "836d0000001040584000000000004058800000000000"},
    {"<<1.0e300:32/float>>", "836d000000047f800000"},
    {"<<3.4028235e38:32/float>>", "836d000000047f7fffff"},
    {"<<3.4028236e38:32/float>>", "836d000000047f800000"},
    {"<<65519.99:16/float>>", "836d000000027bff"},
    {"<<65520.0:16/float>>", "836d000000027c00"},
    {"<<6.0e-8:16/float>>", "836d000000020001"},
    {"<<2.98e-8:16/float>>", "836d000000020000"},
    {"<<2.9802322387695312e-8:16/float>>", "836d000000020000"},
    {"<<8.940696716308594e-8:16/float>>", "836d000000020002"},
    {"<<1.0e-45:32/float>>", "836d0000000400000001"},
    {"<<7.0e-46:32/float>>", "836d0000000400000000"},
    {"<<-1.0e300:16/float>>", "836d00000002fc00"},
    {"<<1.1754942e-38:32/float>>", "836d00000004007fffff"},
    {"<<0.1:16/float>>", "836d000000022e66"},
    {"<<6.097555160522461e-5:16/float>>", "836d0000000203ff"},
};

static const vector nested_binaries_vectors[] = {
    {"<<<<1,2>>/binary>>", "836d000000020102"},
    {"<<<<1,2,3>>:2/binary>>", "836d000000020102"},
    {"<<<<1,2,3>>:9/bits>>", "834d00000002010100"},
    {"<<<<1:4>>/binary-unit:4>>", "834d000000010410"},
    {"<<<<1:4>>/bitstring>>", "834d000000010410"},
    {"<<<<>>/binary>>", "836d00000000"},
    {"<<<<1:1>>/bits, <<1:1>>/bits>>", "834d0000000102c0"},
    {"<<<<1,2>>:1/bytes>>", "836d0000000101"},
    {"<<0, <<1:3>>/bits, 7:5>>", "836d000000020027"},
    {"<<<<<<1>>/binary>>/binary, 2>>", "836d000000020102"},
};

static const vector containers_vectors[] = {
    {"{}", "836800"},
    {"{a, 1}", "8368027701616101"},
    {"{{{}}}", "83680168016800"},
    {"[]", "836a"},
    {"[1, 2]", "836b00020102"},
    {"[1 | 2]", "836c0000000161016102"},
    {"[1, 2 | [3]]", "836b0003010203"},
    {"[1 | [2 | [3 | [4 | 5]]]]", "836c0000000461016102610361046105"},
    {"[1 | []]", "836b000101"},
    {"[1 | \"ab\"]", "836b0003016162"},
    {"[1 | \"\"]", "836b000101"},
    {"[1 | \"\\x{100}\"]", "836c00000002610162000001006a"},
    {"[\"ab\" | 1]", "836c000000016b000261626101"},
    {"[[] | []]", "836c000000016a6a"},
    {"[1, 2 | [3 | [4]]]", "836b000401020304"},
    {"[1 | <<2>>]", "836c0000000161016d0000000102"},
};

static const vector maps_vectors[] = {
    {"#{}", "837400000000"},
    {"#{a => 1, \"k\" => [1]}", "83740000000277016161016b00016b6b000101"},
    {"#{b => 1, a => 2, b => 3}", "83740000000277016161027701626103"},
    {"#{1 => a, 1.0 => b}", "8374000000026101770161463ff0000000000000770162"},
    {"#{{a} => #{b => [c]}, <<1>> => 2.0}",
     "837400000002680177016174000000017701626c000000017701636a6d000000"
     "0101464000000000000000"},
};

static const vector funs_vectors[] = {
    {"fun m:f/2", "837177016d7701666102"},
    {"fun 'm':'f'/0", "837177016d7701666100"},
    {"fun lists:map/255", "837177056c6973747377036d617061ff"},
    /* fun 'Elixir.Enum':map/2 */
    {"fun Enum:map/2", "8371770b456c697869722e456e756d77036d61706102"},
    {"[a, b, {c, \"d\", <<\"e\">>}, #{f => 1.5}, fun erlang:'+'/2]",
     "836c0000000577016177016268037701636b0001646d00000001657400000001"
     "770166463ff800000000000071770665726c616e6777012b61026a"},
};

static void test_integers(void **state)
{
    (void)state;
    CHECK_VECTORS(integers_vectors);
}

static void test_chars(void **state)
{
    (void)state;
    CHECK_VECTORS(chars_vectors);
}

static void test_floats(void **state)
{
    (void)state;
    CHECK_VECTORS(floats_vectors);
}

static void test_atoms(void **state)
{
    (void)state;
    CHECK_VECTORS(atoms_vectors);
}

static void test_elixir(void **state)
{
    (void)state;
    CHECK_VECTORS(elixir_vectors);
}

static void test_strings(void **state)
{
    (void)state;
    CHECK_VECTORS(strings_vectors);
}

static void test_binaries(void **state)
{
    (void)state;
    CHECK_VECTORS(binaries_vectors);
}

static void test_binary_floats(void **state)
{
    (void)state;
    CHECK_VECTORS(binary_floats_vectors);
}

static void test_nested_binaries(void **state)
{
    (void)state;
    CHECK_VECTORS(nested_binaries_vectors);
}

static void test_containers(void **state)
{
    (void)state;
    CHECK_VECTORS(containers_vectors);
}

static void test_maps(void **state)
{
    (void)state;
    CHECK_VECTORS(maps_vectors);
}

static void test_funs(void **state)
{
    (void)state;
    CHECK_VECTORS(funs_vectors);
}

/* ---- the shape of parsed terms ------------------------------------------ */

static void test_integer_forms(void **state)
{
    (void)state;
    etf_term t = parse_ok("9223372036854775807");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_true(t.u.i == INT64_MAX);
    t = parse_ok("-9223372036854775808");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_true(t.u.i == INT64_MIN);
    t = parse_ok("-16#8000000000000000");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_true(t.u.i == INT64_MIN);

    t = parse_ok("9223372036854775808");
    assert_int_equal(t.type, ETF_BIGNUM);
    assert_int_equal(t.flags, 0);
    assert_int_equal(t.n, 8);
    assert_int_equal(t.u.bytes[7], 0x80);
    t = parse_ok("-9223372036854775809");
    assert_int_equal(t.type, ETF_BIGNUM);
    assert_int_equal(t.flags, ETF_NEGATIVE);
    assert_int_equal(t.n, 8);
    assert_int_equal(t.u.bytes[0], 0x01);

    /* Magnitude bytes little-endian, no high zero byte. */
    t = parse_ok("16#1_00");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_int_equal(t.u.i, 256);
    t = parse_ok("16#1_0000_0000_0000_0000"); /* 2^64 */
    assert_int_equal(t.type, ETF_BIGNUM);
    assert_int_equal(t.n, 9);
    assert_int_equal(t.u.bytes[8], 0x01);
    for (int i = 0; i < 8; i++)
        assert_int_equal(t.u.bytes[i], 0);

    /* A long one: 1000 hex digits f are 500 bytes 0xff. */
    char text[1010] = "16#";
    memset(text + 3, 'f', 1000);
    text[1003] = 0;
    t = parse_ok(text);
    assert_int_equal(t.type, ETF_BIGNUM);
    assert_int_equal(t.n, 500);
    for (int i = 0; i < 500; i++)
        assert_int_equal(t.u.bytes[i], 0xff);

    /* Characters are integers. */
    t = parse_ok("$\\x{10FFFF}");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_int_equal(t.u.i, 0x10FFFF);
}

static void test_float_forms(void **state)
{
    (void)state;
    etf_term t = parse_ok("-0.0");
    assert_int_equal(t.type, ETF_FLOAT);
    assert_true(t.u.f == 0.0 && signbit(t.u.f));
    t = parse_ok("0.0");
    assert_false(signbit(t.u.f));
    t = parse_ok("1_000.000_5e0_1");
    assert_true(t.u.f == 10000.005);
    /* 1. is the integer 1 and the final dot. */
    t = parse_ok("1.");
    assert_int_equal(t.type, ETF_INTEGER);
    assert_int_equal(t.u.i, 1);
}

static void test_string_forms(void **state)
{
    (void)state;
    etf_term t = parse_ok("\"abc\"");
    assert_int_equal(t.type, ETF_STRING);
    assert_int_equal(t.n, 3);
    assert_memory_equal(t.u.bytes, "abc", 3);
    t = parse_ok("\"\\xff\\x00\"");
    assert_int_equal(t.type, ETF_STRING);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.u.bytes[0], 0xff);
    assert_int_equal(t.u.bytes[1], 0);
    /* UTF-8 in the text is characters, not bytes. */
    t = parse_ok("\"é\"");
    assert_int_equal(t.type, ETF_STRING);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.u.bytes[0], 0xe9);
    /* A character above 255 makes it a list of integers. */
    t = parse_ok("\"a€\"");
    assert_int_equal(t.type, ETF_LIST);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.u.elems[0].u.i, 'a');
    assert_int_equal(t.u.elems[1].u.i, 0x20AC);
    assert_int_equal(t.u.elems[2].type, ETF_NIL);
    t = parse_ok("\"\"");
    assert_int_equal(t.type, ETF_NIL);
    t = parse_ok("\"\" \"\"");
    assert_int_equal(t.type, ETF_NIL);
    t = parse_ok("\"ab\"\n% between\n\"cd\"");
    assert_int_equal(t.type, ETF_STRING);
    assert_int_equal(t.n, 4);
    assert_memory_equal(t.u.bytes, "abcd", 4);
}

static void test_atom_forms(void **state)
{
    (void)state;
    etf_term t = parse_ok("'é'");
    assert_int_equal(t.type, ETF_ATOM);
    assert_int_equal(t.n, 2); /* UTF-8 */
    assert_memory_equal(t.u.atom, "\xc3\xa9", 2);
    static const struct {
        const char *text, *name;
    } names[] = {{"Foo.Bar", "Elixir.Foo.Bar"},
                 {"Elixir.Foo.Bar", "Elixir.Foo.Bar"},
                 {"Elixir", "Elixir"},
                 {"app@host.example.com.", "app@host.example.com"},
                 {"a.b.", "a.b"},
                 {":\"with space\"", "with space"},
                 {"''", ""}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        t = parse_ok(names[i].text);
        if (!etf_atom_is(&t, names[i].name))
            fail_msg("%s is not the atom '%s'", names[i].text, names[i].name);
    }

    /* 255 characters are allowed, counted as characters. */
    char text[2 * 256 + 3];
    text[0] = '\'';
    for (int i = 0; i < 255; i++)
        memcpy(text + 1 + 2 * i, "\xc3\xa9", 2);
    text[511] = '\'';
    text[512] = 0;
    t = parse_ok(text);
    assert_int_equal(t.n, 510);
    memset(text, 'a', 255);
    text[255] = 0;
    assert_int_equal(parse_ok(text).n, 255);
}

static void test_bitstring_forms(void **state)
{
    (void)state;
    etf_term t = parse_ok("<<1:3>>");
    assert_int_equal(t.type, ETF_BINARY);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.bits, 3);
    assert_int_equal(t.u.bytes[0], 0x20);
    t = parse_ok("<<5:4, 3:4>>");
    assert_int_equal(t.n, 1);
    assert_int_equal(t.bits, 0);
    assert_int_equal(t.u.bytes[0], 0x53);
    /* Unused low bits are zero, even when cut out of a longer value. */
    t = parse_ok("<<<<255,255>>:9/bits>>");
    assert_int_equal(t.n, 2);
    assert_int_equal(t.bits, 1);
    assert_int_equal(t.u.bytes[0], 0xff);
    assert_int_equal(t.u.bytes[1], 0x80);
    t = parse_ok("<<-1:12/little>>");
    assert_int_equal(t.bits, 4);
    assert_int_equal(t.u.bytes[1], 0xf0);
    t = parse_ok("<<>>");
    assert_int_equal(t.type, ETF_BINARY);
    assert_int_equal(t.n, 0);
    assert_int_equal(t.bits, 0);
    assert_non_null(t.u.bytes);
    t = parse_ok("<<1:0, <<>>/binary>>");
    assert_int_equal(t.n, 0);
}

static void test_list_forms(void **state)
{
    (void)state;
    /* Tails that are list literals join the list. */
    etf_term t = parse_ok("[1, 2 | [3 | [4]]]");
    assert_int_equal(t.type, ETF_LIST);
    assert_int_equal(t.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(t.u.elems[i].u.i, i + 1);
    assert_int_equal(t.u.elems[4].type, ETF_NIL);
    t = parse_ok("[1 | \"ab\"]");
    assert_int_equal(t.type, ETF_LIST);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.u.elems[2].u.i, 'b');
    assert_int_equal(t.u.elems[3].type, ETF_NIL);
    t = parse_ok("[1 | []]");
    assert_int_equal(t.n, 1);
    assert_int_equal(t.u.elems[1].type, ETF_NIL);
    /* An improper list keeps its tail. */
    t = parse_ok("[1, 2 | [3 | x]]");
    assert_int_equal(t.n, 3);
    assert_true(etf_atom_is(&t.u.elems[3], "x"));
    t = parse_ok("[1 | <<>>]");
    assert_int_equal(t.n, 1);
    assert_int_equal(t.u.elems[1].type, ETF_BINARY);
    /* A list of bytes stays a list; it equals the string. */
    t = parse_ok("[104, 105]");
    assert_int_equal(t.type, ETF_LIST);
    etf_term s = parse_ok("\"hi\"");
    assert_true(etf_equal(&t, &s));
}

static void test_map_forms(void **state)
{
    (void)state;
    /* Keys in term order; a key given twice keeps its last value. */
    etf_term t = parse_ok("#{c => 1, 2.0 => x, b => 2, 1 => y, c => 3}");
    assert_int_equal(t.type, ETF_MAP);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.u.elems[0].u.i, 1);
    assert_int_equal(t.u.elems[2].type, ETF_FLOAT);
    assert_true(etf_atom_is(&t.u.elems[4], "b"));
    assert_true(etf_atom_is(&t.u.elems[6], "c"));
    assert_int_equal(t.u.elems[7].u.i, 3);
    t = parse_ok("#{}");
    assert_int_equal(t.type, ETF_MAP);
    assert_int_equal(t.n, 0);
    t = parse_ok("# {a => 1}");
    assert_int_equal(t.n, 1);
}

static void test_export_form(void **state)
{
    (void)state;
    etf_term t = parse_ok("fun erlang:'+'/2");
    assert_int_equal(t.type, ETF_EXPORT);
    assert_int_equal(t.n, 2);
    assert_true(etf_atom_is(&t.u.elems[0], "erlang"));
    assert_true(etf_atom_is(&t.u.elems[1], "+"));
    t = parse_ok("fun 'Elixir.Enum':map/0");
    assert_int_equal(t.n, 0);
}

static void test_space_comments_and_dot(void **state)
{
    (void)state;
    etf_term want = parse_ok("{a,b}");
    const char *same[] = {
        "{a,b}.", " \t{a , b}\n", "% a comment\n{a, % another\n b}",
        "{a,b} . % the end", "{a,b}\r\n.\r\n",
        "\302\240{a,\302\240b}" /* no-break spaces */,
        "{a,b}.\n% trailing comment", "{a,\n\n\tb\n}"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        etf_term t = parse_ok(same[i]);
        if (!etf_equal(&t, &want))
            fail_msg("%s is not {a,b}", same[i]);
    }
}

/* The text may go away: atoms, strings and bignums are copied. */
static void test_text_may_go_away(void **state)
{
    (void)state;
    const char *text = "{ok, 'x y', node@host, Foo, :bar, \"str\", \"€\", "
                       "<<\"bin\">>, 123456789012345678901234567890, "
                       "fun m:f/1, #{k => v}}";
    size_t n = strlen(text);
    char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, text, n);
    etf_term t;
    etf_error err;
    assert_int_equal(etf_parse(copy, n, &arena, &t, &err), 0);
    memset(copy, '?', n);
    free(copy);
    etf_term again = parse_ok(text);
    assert_true(etf_equal(&t, &again));
}

/* The length is the length: no NUL is needed, and a NUL is a character. */
static void test_length_is_exact(void **state)
{
    (void)state;
    etf_term t;
    etf_error err;
    assert_int_equal(etf_parse("12345", 2, &arena, &t, &err), 0);
    assert_int_equal(t.u.i, 12);
    assert_int_equal(etf_parse("\"ab", 3, &arena, &t, &err), -1);
    assert_int_equal(etf_parse("'a'\0'b'", 7, &arena, &t, &err), -1);
    assert_int_equal(err.column, 4);
    assert_int_equal(etf_parse("\"a\0b\"", 5, &arena, &t, &err), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.u.bytes[1], 0);
    assert_int_equal(etf_parse(NULL, 0, &arena, &t, &err), -1);
    assert_string_equal(err.message, "no term");
    /* err may be NULL. */
    assert_int_equal(etf_parse("{", 1, &arena, &t, NULL), -1);
    assert_int_equal(etf_parse("{}", 2, &arena, &t, NULL), 0);
}

/* ---- nesting and limits ------------------------------------------------- */

static char *repeat3(const char *open, size_t times, const char *mid,
                     const char *close, size_t *len)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    size_t n = times * (lo + lc) + lm;
    char *s = malloc(n + 1), *q = s;
    assert_non_null(s);
    for (size_t i = 0; i < times; i++, q += lo)
        memcpy(q, open, lo);
    memcpy(q, mid, lm);
    q += lm;
    for (size_t i = 0; i < times; i++, q += lc)
        memcpy(q, close, lc);
    *q = 0;
    *len = n;
    return s;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n, depth = 200000;
    etf_term t;
    etf_error err;
    char *s = repeat3("{[", depth / 2, "<<<<1>>/binary>>", "]}", &n);
    assert_int_equal(etf_parse(s, n, &arena, &t, &err), 0);
    free(s);
    for (size_t i = 0; i < depth; i++) {
        assert_int_equal(t.type, i % 2 ? ETF_LIST : ETF_TUPLE);
        assert_int_equal(t.n, 1);
        t = t.u.elems[0];
    }
    assert_int_equal(t.type, ETF_BINARY);

    /* [1|[2|[3|...]]] is one flat list, however long. */
    s = repeat3("[1|", 100000, "[]", "]", &n);
    assert_int_equal(etf_parse(s, n, &arena, &t, &err), 0);
    free(s);
    assert_int_equal(t.type, ETF_LIST);
    assert_int_equal(t.n, 100000);

    /* Past the limit: an error, not a crash. */
    s = repeat3("[", ETF_DEFAULT_MAX_DEPTH + 1, "", "]", &n);
    assert_int_equal(etf_parse(s, n, &arena, &t, &err), -1);
    free(s);
    assert_int_equal(err.code, ETF_ERR_DEPTH);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, ETF_DEFAULT_MAX_DEPTH + 1);
    assert_non_null(strstr(err.message, "nested more than"));

    /* Unclosed, deeply. */
    s = repeat3("{", 100000, "", "", &n);
    assert_int_equal(etf_parse(s, n, &arena, &t, &err), -1);
    free(s);
    assert_int_equal(err.code, ETF_ERR_SYNTAX);
    assert_non_null(strstr(err.message, "unterminated tuple"));
}

static void test_limits(void **state)
{
    (void)state;
    etf_term t;
    etf_error err;
    size_t n = 100001;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, '7', n);
    assert_int_equal(etf_parse(s, n, &arena, &t, &err), -1);
    assert_int_equal(err.code, ETF_ERR_SYNTAX);
    assert_non_null(strstr(err.message, "100001 digits"));
    free(s);

    static const bad too_big[] = {
        {"<<0:134217729>>", 1, 3, "16 MiB"},
        {"<<1:99999999999999999999999>>", 1, 3, "16 MiB"},
        {"<<0:16777216/unit:8, 1>>", 1, 22, "16 MiB"},
    };
    CHECK_ERRORS(too_big);
    t = parse_ok("<<0:16777216/unit:8>>");
    assert_int_equal(t.n, 16777216);

    /* An arena with a limit: out of memory is an error too. */
    etf_arena small;
    etf_arena_init(&small);
    small.limit = 4096;
    char big[6000];
    big[0] = '"';
    memset(big + 1, 'x', 5000);
    big[5001] = '"';
    assert_int_equal(etf_parse(big, 5002, &small, &t, &err), -1);
    assert_int_equal(err.code, ETF_ERR_NOMEM);
    assert_int_equal(err.line, 1);
    etf_arena_release(&small);
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors_numbers(void **state)
{
    (void)state;
    static const bad b[] = {
        {"1__0", 1, 2, "'_' in a number must stand between two digits"},
        {"1_", 1, 2, "between two digits"},
        {"{16#ff_}", 1, 7, "between two digits"},
        {"16#", 1, 1, "expected base-16 digits after '16#'"},
        {"37#1", 1, 1, "base 37 is not between 2 and 36"},
        {"1#1", 1, 1, "base 1 is not between 2 and 36"},
        {"16#fg", 1, 5, "'g' is not a base-16 digit"},
        {"2#102", 1, 5, "'2' is not a base-2 digit"},
        {"2#1.0", 1, 1, "cannot have a fraction"},
        {"1.0e", 1, 4, "the exponent after 'e' needs digits"},
        {"1.5E+", 1, 4, "the exponent after 'E' needs digits"},
        {"1.0e400", 1, 1, "out of range"},
        {"[-1.0e309]", 1, 3, "out of range"},
        {"1.e5", 1, 3, "unexpected 'e5' after the final '.'"},
        {"- a", 1, 1, "'-' must be followed by a number"},
        {"-\"a\"", 1, 1, "'-' must be followed by a number"},
        {"--5", 1, 1, "only literal terms are accepted here"},
    };
    CHECK_ERRORS(b);
}

static void test_errors_text(void **state)
{
    (void)state;
    static const bad b[] = {
        {"\"abc", 1, 1, "unterminated string starting at line 1, column 1"},
        {"{a,\n  \"abc}", 2, 3,
         "unterminated string starting at line 2, column 3"},
        {"'abc", 1, 1, "unterminated quoted atom starting at line 1, "
                       "column 1"},
        {"\"ab\\", 1, 1, "unterminated string"},
        {"\"\\x4\"", 1, 2, "\\x needs two hex digits"},
        {"\"\\x4g\"", 1, 2, "\\x needs two hex digits"},
        {"\"\\x{}\"", 1, 2, "\\x{...} needs hex digits and a closing '}'"},
        {"\"\\x{41\"", 1, 2, "closing '}'"},
        {"\"\\x{110000}\"", 1, 2, "\\x{110000} is not a Unicode character"},
        {"'\\x{D800}'", 1, 2, "is not a Unicode character"},
        {"\"\\^", 1, 2, "incomplete \\^ escape"},
        {"$", 1, 1, "'$' at the end of the input"},
        {"$\\", 1, 1, "unterminated character literal"},
        {"\"a\xff\"", 1, 3, "invalid UTF-8 in string (byte 0xff)"},
        {"a\xc3", 1, 2, "invalid UTF-8 (byte 0xc3)"},
        {"$\xe2\x82", 1, 2, "invalid UTF-8"},
        {"\xce\xb1", 1, 1, "unexpected character U+03B1 (an atom with "
                           "characters beyond Latin-1 must be quoted)"},
        {"~", 1, 1, "unexpected character '~'"},
        {"{a,\x01}", 1, 4, "unexpected character U+0001"},
    };
    CHECK_ERRORS(b);
}

static void test_errors_atoms(void **state)
{
    (void)state;
    char long_atom[300];
    memset(long_atom, 'a', 256);
    long_atom[256] = 0;
    char long_quoted[300] = "'";
    memset(long_quoted + 1, 'b', 256);
    strcpy(long_quoted + 257, "'");
    char long_alias[300] = "A";
    memset(long_alias + 1, 'b', 248);
    long_alias[249] = 0; /* 249 + "Elixir." = 256 */
    const bad b[] = {
        {long_atom, 1, 1, "atom of 256 characters: the limit is 255"},
        {long_quoted, 1, 1, "atom of 256 characters"},
        {long_alias, 1, 1, "atom of 256 characters"},
        {"[x, case]", 1, 5, "'case' is a reserved word: quote it ('case')"},
        {"end", 1, 1, "reserved word"},
        {"Foo.bar", 1, 4, "each part of an Elixir alias starts with a "
                          "capital letter"},
        {"Foo@host", 1, 1, "'Foo@host' starts with a capital letter"},
        {"X", 1, 1, "expected a term"},
        {"_", 1, 1, "variables cannot be used in a term: '_'"},
        {"{_Var}", 1, 2, "variables cannot be used in a term: '_Var'"},
        {"\xc3\x84rger", 1, 1, "variables cannot be used"},
        {":", 1, 1, "expected a term, found ':'"},
        {": ok", 1, 1, "expected a term, found ':'"},
        {":1", 1, 1, "expected a term, found ':'"},
    };
    /* X alone is the atom 'Elixir.X': not an error. */
    etf_term x = parse_ok("X");
    assert_true(etf_atom_is(&x, "Elixir.X"));
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        if (strcmp(b[i].text, "X") != 0)
            check_errors(&b[i], 1);
}

static void test_errors_binaries(void **state)
{
    (void)state;
    static const bad b[] = {
        {"<<\"\\x{100}\">>", 1, 3, "character U+0100 in a binary string is "
                                   "not a byte; for UTF-8 write"},
        {"<<\"€\">>", 1, 3, "/utf8"},
        {"<<1.5>>", 1, 3, "a float in a binary needs /float"},
        {"<<<<1>>>>", 1, 3, "needs /binary or /bits"},
        {"<<\"a\"/binary>>", 1, 3, "a string in a binary is a list of "
                                   "characters"},
        {"<<1/binary>>", 1, 3, "/binary needs a binary value"},
        {"<<1/bits>>", 1, 3, "/bitstring needs a binary value"},
        {"<<1/unit:8>>", 1, 3, "a unit needs a size"},
        {"<<1:8/utf8>>", 1, 3, "a /utf8 segment takes no size or unit"},
        {"<<1/utf16-unit:8>>", 1, 3, "takes no size or unit"},
        {"<<1/integer-float>>", 1, 13, "conflicting type specifiers in "
                                       "binary segment: 'integer', then "
                                       "'float'"},
        {"<<1/big-little>>", 1, 9, "'big', then 'little'"},
        {"<<1:8/unsigned-signed>>", 1, 16, "'unsigned', then 'signed'"},
        {"<<1:8/unit:8-unit:4>>", 1, 14, "conflicting units"},
        {"<<1:12/float>>", 1, 3, "a float segment has 16, 32 or 64 bits, "
                                 "not 12"},
        {"<<1.5:0/float>>", 1, 3, "not 0"},
        {"<<1/foo>>", 1, 5, "unknown type specifier 'foo'"},
        {"<<<<1:4>>/binary>>", 1, 3, "binary of 4 bits is not a multiple "
                                     "of the unit, 8 bits"},
        {"<<<<1>>:2/binary>>", 1, 3, "segment of 16 bits, but the binary "
                                     "has only 8"},
        {"<<1:4/bits-unit:4>>", 1, 3, "the unit of /bits is always 1"},
        {"<<16#D800/utf8>>", 1, 3, "not a Unicode character"},
        {"<<-1/utf32>>", 1, 3, "not a Unicode character"},
        {"<<1.5/utf8>>", 1, 3, "/utf8 needs a character code or a string"},
        {"<<a>>", 1, 3, "expected a binary segment (a number, a string or "
                        "a binary), found 'a'"},
        {"<<_X/binary>>", 1, 3, "variables cannot be used"},
        {"<<1,>>", 1, 5, "expected a binary segment"},
        {"<<1:>>", 1, 5, "expected a size (an integer) after ':'"},
        {"<<1:a>>", 1, 5, "expected a size"},
        {"<<1/>>", 1, 5, "expected a type specifier"},
        {"<<1/unit:0>>", 1, 10, "a unit is an integer from 1 to 256"},
        {"<<1/unit:257>>", 1, 10, "a unit is an integer from 1 to 256"},
        {"<<1/unit 8>>", 1, 10, "expected ':' after 'unit'"},
        {"<<1 2>>", 1, 5, "expected ':', '/', ',' or '>>' in binary, "
                          "found '2'"},
        {"<<1:8 2>>", 1, 7, "expected '/', ',' or '>>' in binary"},
        {"<<1/big 2>>", 1, 9, "expected '-', ',' or '>>' in binary"},
        {"<<(1):8>>", 1, 3, "only literal terms are accepted here"},
        {"<<1", 1, 1, "unterminated binary starting at line 1, column 1"},
        {"<<1/", 1, 1, "unterminated binary"},
        {"<<1:", 1, 1, "unterminated binary"},
    };
    CHECK_ERRORS(b);
}

static void test_errors_containers(void **state)
{
    (void)state;
    static const bad b[] = {
        {"{1, 2]", 1, 6, "expected ',' or '}' in tuple, found ']'"},
        {"{a b}", 1, 4, "expected ',' or '}' in tuple, found 'b'"},
        {"{1,}", 1, 4, "expected a tuple element, found '}'"},
        {"[1,]", 1, 4, "expected a list element, found ']'"},
        {"[1 2]", 1, 4, "expected ',', '|' or ']' in list, found '2'"},
        {"[|1]", 1, 2, "expected a list element, found '|'"},
        {"[1|]", 1, 4, "expected the tail of the list after '|', found ']'"},
        {"[1 | 2, 3]", 1, 7, "expected ']' after the tail of a list, "
                             "found ','"},
        {"[1 | [], 2]", 1, 8, "expected ']' after the tail of a list"},
        {"[1 | [2]", 1, 1, "unterminated list starting at line 1, column 1"},
        {"#{a := 1}", 1, 5, "':=' updates a key of an existing map and is "
                            "not allowed in a map literal; use '=>'"},
        {"#{a}", 1, 4, "expected '=>' after a map key, found '}'"},
        {"#{a => }", 1, 8, "expected a map value, found '}'"},
        {"#{a => 1,}", 1, 10, "expected a map key, found '}'"},
        {"#{a => 1 b}", 1, 10, "expected ',' or '}' in map, found 'b'"},
        {"#a", 1, 1, "records cannot be typed; write the tuple {'a', ...}"},
        {"#rec{a = 1}", 1, 1, "records cannot be typed"},
        {"#[1]", 1, 2, "expected '{' after '#' for a map, found '['"},
        {"{\n  [1,\n   2\n", 2, 3, "unterminated list starting at line 2, "
                                    "column 3"},
        /* Columns count characters, not bytes. */
        {"{\n  {é, ü]\n}", 2, 8, "expected ',' or '}' in tuple, found ']'"},
        {"\n\n   #{", 3, 4, "unterminated map starting at line 3, column 4"},
        {"{1, 2", 1, 1, "unterminated tuple starting at line 1, column 1"},
        {"[[[[", 1, 4, "unterminated list starting at line 1, column 4"},
    };
    CHECK_ERRORS(b);
}

static void test_errors_funs(void **state)
{
    (void)state;
    static const bad b[] = {
        {"fun foo/1", 1, 1, "a local fun (fun f/1) cannot be written"},
        {"fun (X) -> X end", 1, 1, "only fun Module:Function/Arity can be "
                                   "written as a term"},
        {"fun m:f/256", 1, 9, "expected an arity from 0 to 255"},
        {"fun m:f/-1", 1, 9, "expected an arity from 0 to 255"},
        {"fun m:f/a", 1, 9, "expected an arity"},
        {"fun m:f", 1, 8, "expected '/' in fun Module:Function/Arity, "
                          "found end of input"},
        {"fun m f/1", 1, 7, "expected ':' in fun Module:Function/Arity"},
        {"fun 1:f/1", 1, 5, "expected the module name"},
        {"fun m:end/1", 1, 7, "expected the function name"},
        {"fun", 1, 4, "expected the module name"},
    };
    CHECK_ERRORS(b);
}

/* Expressions are not literals: the error says what to use instead. */
static void test_errors_expressions(void **state)
{
    (void)state;
    static const char *msg = "only literal terms are accepted here; use "
                             "eval for expressions";
    const bad b[] = {
        {"1+2", 1, 2, msg},
        {"{1 + 2}", 1, 4, msg},
        {"[a ++ b]", 1, 4, msg},
        {"#{a => 1 * 2}", 1, 10, msg},
        {"foo(1)", 1, 4, msg},
        {"lists:seq(1, 3)", 1, 6, msg},
        {"x = 1", 1, 3, msg},
        {"(1)", 1, 1, msg},
        {"1 div 2", 1, 3, msg},
        {"{a} == {a}", 1, 5, msg},
        {"self() ! hi", 1, 5, msg},
        {"not true", 1, 1, "'not' is a reserved word"},
        {"<0.1.2>", 1, 1, "pids cannot be typed; use list_to_pid(\"<0.1.2>\") "
                          "in eval"},
        {"{ok, <0.1.2>}", 1, 6, "pids cannot be typed"},
        {"#PID<0.1.2>", 1, 1, "pids cannot be typed"},
        {"#Ref<0.1.2.3>", 1, 1, "references cannot be typed"},
        {"#Port<0.5>", 1, 1, "ports cannot be typed"},
        {"#Fun<erl_eval.6.1>", 1, 1, "funs cannot be typed"},
    };
    CHECK_ERRORS(b);
}

static void test_errors_ends(void **state)
{
    (void)state;
    static const bad b[] = {
        {"", 1, 1, "no term"},
        {"   \n  ", 2, 3, "no term"},
        {"% only a comment", 1, 17, "no term"},
        {"%{a => 1}", 1, 10, "'%' starts a comment; a map is written "
                             "#{key => value}"},
        {".", 1, 1, "expected a term, found '.'"},
        {"ok. x", 1, 5, "unexpected 'x' after the final '.'"},
        {"ok..", 1, 4, "after the final '.'"},
        {"1 2", 1, 3, "unexpected '2' after the term: give one term"},
        {"a\nb", 2, 1, "unexpected 'b' after the term"},
        {"{} []", 1, 4, "unexpected '[' after the term"},
    };
    CHECK_ERRORS(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atoms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elixir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_binaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_containers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_funs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atom_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bitstring_forms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_space_comments_and_dot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text_may_go_away, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_length_is_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_atoms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_binaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_containers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_funs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_expressions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_ends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
