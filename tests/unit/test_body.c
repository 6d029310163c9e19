/* Unit tests for src/http/body.c: the client's JSON body parsed strictly (RFC 8259), as
 * I-JSON (RFC 7493), with every number's exact text kept. */
#include "../lib/check_main.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "http/body.h"
#include "../lib/json_text.h"

static void
expect_why(const char *why, const char *part)
{
    ck_assert_msg(strstr(why, part) != NULL, "why \"%s\" lacks \"%s\"", why, part);
}

/* Numbers print as the client wrote them, beyond 64 bits too (json_tokener alone clamps
 * 18446744073709551616 to 18446744073709551615): marshal stores that text. */
START_TEST(test_parse_keeps_big_numbers)
{
    static const char *const same[] = {
        "[18446744073709551616]",
        "[-9223372036854775809]",
        "[123456789012345678901234567890]",
        "[18446744073709551616.0]",
        "[18446744073709551616.00]",
        "[18446744073709551616,{\"a\":-99999999999999999999}]",
        "[\"18446744073709551616\",\"\\\"18446744073709551616\\\\\"]",
        "{\"18446744073709551616\":18446744073709551616}",
        "[1.50,2.5e+3,0.1,0,18446744073709551615,-9223372036854775808]",
    };

    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        json_object *o = parse(same[i]);
        ck_assert_str_eq(json(o), same[i]);
        json_object_put(o);
    }
}
END_TEST

/* A surrogate pair escape is one code point, whichever plane: json-c 0.16 alone decodes those
 * of U+1D800..U+1DFFF to U+FFFD (found by the fuzz target). An escaped backslash before
 * "ud83d" is text, not an escape. */
START_TEST(test_parse_surrogate_pairs_whole)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"\"\\ud836\\ude01\"", "\xf0\x9d\xa8\x81"},
        {"\"\\ud837\\udfff\"", "\xf0\x9d\xbf\xbf"},
        {"\"\\ud800\\udc00\"", "\xf0\x90\x80\x80"},
        {"\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf"},
        {"\"a\\ud83d\\ude1e\\u00e9\\n\"", "a\xf0\x9f\x98\x9e\xc3\xa9\n"},
        {"\"\\\\ud83d\"", "\\ud83d"},
    };
    json_object *o, *v = NULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        o = parse(cases[i].text);
        ck_assert_str_eq(json_object_get_string(o), cases[i].want);
        json_object_put(o);
    }
    /* In a member name too. */
    o = parse("{\"\\ud836\\udc00\":1}");
    ck_assert(json_object_object_get_ex(o, "\xf0\x9d\xa0\x80", &v));
    json_object_put(o);
}
END_TEST

START_TEST(test_parse_null_arguments)
{
    json_object *out = NULL;
    char why[320];

    ck_assert_int_eq(http_body_parse_json("1", 1, NULL, why, sizeof(why)), HTTP_BODY_INVALID);
    ck_assert_int_eq(http_body_parse_json(NULL, 3, &out, why, sizeof(why)), HTTP_BODY_INVALID);
    /* No room for why: the status alone. */
    ck_assert_int_eq(http_body_parse_json("[1,]", 4, &out, NULL, 0), HTTP_BODY_INVALID);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_parse_is_strict)
{
    static const char *const bad[] = {"[1,]", "{'a':1}", "/*x*/1", "[1] x", "", "  ", "{\"a\"}",
                                      "01", "\"\xff\"", "[1",
                                      /* an encoded surrogate, an overlong '/' */
                                      "\"\xed\xa0\x80\"", "\"\xc0\xaf\""};
    char why[320];
    json_object *out;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = NULL;
        ck_assert_msg(http_body_parse_json(bad[i], strlen(bad[i]), &out, why, sizeof(why)) ==
                          HTTP_BODY_INVALID,
                      "%s should not parse", bad[i]);
        ck_assert_ptr_null(out);
        expect_why(why, "invalid JSON");
    }
    /* The literal null parses to json-c's NULL. */
    out = (json_object *)why;
    ck_assert_int_eq(http_body_parse_json("null", 4, &out, why, sizeof(why)), HTTP_BODY_OK);
    ck_assert_ptr_null(out);
    /* Not NUL-terminated: only len bytes are read. */
    ck_assert_int_eq(http_body_parse_json("[12]garbage", 4, &out, why, sizeof(why)), HTTP_BODY_OK);
    ck_assert_str_eq(json(out), "[12]");
    json_object_put(out);
}
END_TEST

/* RFC 7493 (I-JSON): what json-c alone would take, merge or change is refused. */
/* A literal with its length, NUL bytes included. */
#define IJSON_TEXT(s) s, sizeof(s) - 1

START_TEST(test_parse_is_ijson)
{
    static const struct {
        const char *text;
        size_t len;
        const char *why;
    } bad[] = {
        {IJSON_TEXT("{\"name\":\"A\"}\0garbage"), "bytes after the value"},
        {IJSON_TEXT("{\"name\":\"A\"}\0"), "bytes after the value"},
        {IJSON_TEXT("{\"name\":5,\"name\":\"X\"}"), "a member name given twice"},
        {IJSON_TEXT("[{\"a\":{\"b\":1,\"b\":{\"c\":1}}}]"), "a member name given twice"},
        {IJSON_TEXT("{\"a\":{\"x\":1},\"a\":{}}"), "a member name given twice"},
        {IJSON_TEXT("{\"name\\u0000x\":1}"), "a member name holds \\u0000"},
        {IJSON_TEXT("{\"n\\u0000\" : 1}"), "a member name holds \\u0000"},
        {IJSON_TEXT("\"\\ud800\""), "a lone high surrogate escape"},
        {IJSON_TEXT("\"\\uDBFFx\""), "a lone high surrogate escape"},
        {IJSON_TEXT("\"\\ud800\\u0041\""), "a lone high surrogate escape"},
        {IJSON_TEXT("\"\\ud800\\ud800\""), "a lone high surrogate escape"},
        {IJSON_TEXT("\"\\udc00\""), "a lone low surrogate escape"},
        {IJSON_TEXT("{\"\\udfff\":1}"), "a lone low surrogate escape"},
        /* RFC 8259 itself, where json-c is lenient (found by the fuzz targets) */
        {IJSON_TEXT("[06.5]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("[00]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("[13.]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("{\"n\":-23.E24}"), "a number outside JSON's grammar"},
        {IJSON_TEXT("[1e]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("[-]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("{\"a\":\"x\\u0000y\"}"), "a string holds \\u0000"},
        {IJSON_TEXT("[\"\\u0000\"]"), "a string holds \\u0000"},
        {IJSON_TEXT("NaN"), "a word other than true, false or null"},
        {IJSON_TEXT("{\"n\":Infinity}"), "a word other than true, false or null"},
        {IJSON_TEXT("[-Infinity]"), "a number outside JSON's grammar"},
        {IJSON_TEXT("[True]"), "a word other than true, false or null"},
        {IJSON_TEXT("{\"a\":\"x\ty\"}"), "a control character not escaped in a string"},
        {IJSON_TEXT("{\"a\nb\":1}"), "a control character not escaped in a string"},
    };
    static const char *const good[] = {
        "{\"a\":\"\\ud83d\\ude00\"}",           /* a pair */
        "{\"a\":\"\\\\ud800\"}",                /* an escaped backslash, then text */
        "{\"a\":{\"b\":1},\"b\":{\"a\":1}} \n", /* same names in other objects */
        "[{\"a\":1},{\"a\":1}]",
        "{\"k\":\"a:b\",\"l\":\":\"}",
        "[0, -0, 0.5, -1.25e-3, 1E+5, 10, 123456789012345678901234567890]",
        "{\"a\":\"x\\ty\"}", /* an escaped tab */
        "[true, false, null, {\"NaN\":\"Infinity\"}]",
    };
    char why[320];
    json_object *out;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = NULL;
        ck_assert_msg(http_body_parse_json(bad[i].text, bad[i].len, &out, why, sizeof(why)) ==
                          HTTP_BODY_INVALID,
                      "bad[%zu] should not parse", i);
        ck_assert_ptr_null(out);
        expect_why(why, bad[i].why);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        out = NULL;
        ck_assert_msg(http_body_parse_json(good[i], strlen(good[i]), &out, why, sizeof(why)) ==
                          HTTP_BODY_OK,
                      "%s: %s", good[i], why);
        json_object_put(out);
    }
    /* The pair is one code point, U+1F600. */
    out = parse("\"\\ud83d\\ude00\"");
    ck_assert_str_eq(json_object_get_string(out), "\xf0\x9f\x98\x80");
    json_object_put(out);
}
END_TEST

START_TEST(test_parse_depth_capped)
{
    char *text = nested_lists(200, "1");
    char why[320];
    json_object *out = NULL;

    ck_assert_int_eq(http_body_parse_json(text, strlen(text), &out, why, sizeof(why)),
                     HTTP_BODY_INVALID);
    ck_assert_ptr_null(out);
    free(text);
}
END_TEST

static Suite *
body_suite(void)
{
    Suite *s = suite_create("body");
    TCase *parsing = tcase_create("parse");

    tcase_add_test(parsing, test_parse_is_strict);
    tcase_add_test(parsing, test_parse_is_ijson);
    tcase_add_test(parsing, test_parse_depth_capped);
    tcase_add_test(parsing, test_parse_keeps_big_numbers);
    tcase_add_test(parsing, test_parse_null_arguments);
    tcase_add_test(parsing, test_parse_surrogate_pairs_whole);
    suite_add_tcase(s, parsing);
    return s;
}

CHECK_MAIN(body_suite)
