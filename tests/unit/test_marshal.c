/* Unit tests for src/ddb/marshal.c: plain JSON <-> attribute values, exact numbers, the
 * rejections DynamoDB would make, and item sizes by the documented AWS rules. */
#include "../lib/check_main.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ddb/marshal.h"
#include "http/body.h"
#include "../lib/json_text.h"

static void
expect_message(const struct ddb_error *err, const char *part)
{
    ck_assert_msg(strstr(err->message, part) != NULL, "message \"%s\" lacks \"%s\"", err->message,
                  part);
}

/* plain -> AV (must read av_text) -> plain (must read as the plain text again). */
static void
round_trip(const char *plain_text, const char *av_text)
{
    struct ddb_error err;
    json_object *plain = parse(plain_text), *av = NULL, *back = NULL;

    ddb_error_clear(&err);
    ck_assert_msg(marshal_to_av(plain, &av, &err) == DDB_OK, "%s: %s", plain_text, err.message);
    ck_assert_str_eq(json(av), av_text);
    ck_assert_msg(marshal_from_av(av, &back, &err) == DDB_OK, "%s: %s", av_text, err.message);
    ck_assert_str_eq(json(back), plain_text);
    json_object_put(plain);
    json_object_put(av);
    json_object_put(back);
}

/* An item: plain -> AV item -> plain item, both texts exact. */
static void
item_round_trip(const char *plain_text, const char *av_text)
{
    struct ddb_error err;
    json_object *plain = parse(plain_text), *av = NULL, *back = NULL;

    ddb_error_clear(&err);
    ck_assert_msg(marshal_item_to_av(plain, &av, &err) == DDB_OK, "%s", err.message);
    ck_assert_str_eq(json(av), av_text);
    ck_assert_msg(marshal_item_from_av(av, &back, &err) == DDB_OK, "%s", err.message);
    ck_assert_str_eq(json(back), plain_text);
    json_object_put(plain);
    json_object_put(av);
    json_object_put(back);
}

/* marshal_to_av must refuse the plain value with a message containing part. */
static void
plain_rejected(json_object *plain, const char *part)
{
    struct ddb_error err;
    json_object *av = NULL;

    ddb_error_clear(&err);
    ck_assert_int_eq(marshal_to_av(plain, &av, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(av);
    ck_assert_int_eq(err.status, DDB_ERR_INVALID);
    expect_message(&err, part);
}

static void
plain_text_rejected(const char *plain_text, const char *part)
{
    json_object *plain = parse(plain_text);

    plain_rejected(plain, part);
    json_object_put(plain);
}

/* marshal_from_av must refuse the attribute value with a message containing part. */
static void
av_rejected(json_object *av, const char *part)
{
    struct ddb_error err;
    json_object *plain = NULL;

    ddb_error_clear(&err);
    ck_assert_int_eq(marshal_from_av(av, &plain, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(plain);
    expect_message(&err, part);
}

static void
av_text_rejected(const char *av_text, const char *part)
{
    json_object *av = parse(av_text);

    av_rejected(av, part);
    json_object_put(av);
}

/* The size of an item given as AV text. */
static size_t
item_size(const char *av_text)
{
    struct ddb_error err;
    json_object *item = parse(av_text);
    size_t size = 0;

    ddb_error_clear(&err);
    ck_assert_msg(marshal_item_size(item, &size, &err) == DDB_OK, "%s", err.message);
    json_object_put(item);
    return size;
}

/* An item {name: {"S": "xxx..."}} with len bytes of string. */
static json_object *
item_with_string(const char *name, size_t len)
{
    char *s = malloc(len);
    json_object *item = json_object_new_object(), *av = json_object_new_object();

    ck_assert_ptr_nonnull(s);
    memset(s, 'x', len);
    json_object_object_add(av, "S", json_object_new_string_len(s, (int)len));
    json_object_object_add(item, name, av);
    free(s);
    return item;
}

/* Round trips */

START_TEST(test_s_round_trip)
{
    round_trip("\"hello\"", "{\"S\":\"hello\"}");
    round_trip("\"\"", "{\"S\":\"\"}");
    round_trip("\"h\xc3\xa9llo \xe6\x97\xa5\"", "{\"S\":\"h\xc3\xa9llo \xe6\x97\xa5\"}");
}
END_TEST

START_TEST(test_n_round_trip_integers)
{
    round_trip("42", "{\"N\":\"42\"}");
    round_trip("-7", "{\"N\":\"-7\"}");
    round_trip("0", "{\"N\":\"0\"}");
    round_trip("9223372036854775807", "{\"N\":\"9223372036854775807\"}");
    round_trip("18446744073709551615", "{\"N\":\"18446744073709551615\"}");
}
END_TEST

START_TEST(test_n_round_trip_38_digits)
{
    round_trip("12345678901234567890123456789012345678",
               "{\"N\":\"12345678901234567890123456789012345678\"}");
    round_trip("-0.12345678901234567890123456789012345678",
               "{\"N\":\"-0.12345678901234567890123456789012345678\"}");
    round_trip("9.9999999999999999999999999999999999999E+125",
               "{\"N\":\"9.9999999999999999999999999999999999999E+125\"}");
}
END_TEST

START_TEST(test_n_round_trip_exponents_and_zeros)
{
    round_trip("-1.5E-130", "{\"N\":\"-1.5E-130\"}");
    round_trip("0.000", "{\"N\":\"0.000\"}");
    round_trip("1e125", "{\"N\":\"1e125\"}");
    round_trip("1E-130", "{\"N\":\"1E-130\"}");
    round_trip("1.50", "{\"N\":\"1.50\"}");
    round_trip("2.5e+3", "{\"N\":\"2.5e+3\"}");
    round_trip("0.1", "{\"N\":\"0.1\"}");
}
END_TEST

/* json_tokener clamps integers beyond 64 bits (18446744073709551616 reads as
 * 18446744073709551615, in strict mode too); the body parser keeps them exact, and marshal
 * stores the text it keeps. */
START_TEST(test_n_big_integers_kept_by_parse)
{
    json_object *clamped = json_tokener_parse("[18446744073709551616]");

    ck_assert_str_eq(json(clamped), "[18446744073709551615]");
    json_object_put(clamped);

    round_trip("18446744073709551616", "{\"N\":\"18446744073709551616\"}");
    round_trip("-9223372036854775809", "{\"N\":\"-9223372036854775809\"}");
    round_trip("123456789012345678901234567890", "{\"N\":\"123456789012345678901234567890\"}");
    /* Written with ".0" by the client: kept as written. */
    round_trip("18446744073709551616.0", "{\"N\":\"18446744073709551616.0\"}");
    round_trip("18446744073709551616.00", "{\"N\":\"18446744073709551616.00\"}");
    round_trip("[18446744073709551616,{\"a\":-99999999999999999999}]",
               "{\"L\":[{\"N\":\"18446744073709551616\"},{\"M\":{\"a\":{\"N\":"
               "\"-99999999999999999999\"}}}]}");
    /* Digits inside strings, keys and escaped quotes included, are left alone. */
    round_trip("\"18446744073709551616\"", "{\"S\":\"18446744073709551616\"}");
    round_trip("\"\\\"18446744073709551616\\\\\"", "{\"S\":\"\\\"18446744073709551616\\\\\"}");
    item_round_trip("{\"18446744073709551616\":18446744073709551616}",
                    "{\"18446744073709551616\":{\"N\":\"18446744073709551616\"}}");
}
END_TEST

/* A stored N comes back as a json-c number that prints exactly its text. */
START_TEST(test_n_from_av_keeps_text)
{
    struct ddb_error err;
    json_object *av = parse("{\"N\":\"1.50\"}"), *plain = NULL;

    ck_assert_int_eq(marshal_from_av(av, &plain, &err), DDB_OK);
    ck_assert(json_object_is_type(plain, json_type_double));
    ck_assert_str_eq(json_object_to_json_string(plain), "1.50");
    json_object_put(plain);
    json_object_put(av);

    av = parse("{\"N\":\"42\"}");
    ck_assert_int_eq(marshal_from_av(av, &plain, &err), DDB_OK);
    ck_assert(json_object_is_type(plain, json_type_int));
    ck_assert_int_eq(json_object_get_int64(plain), 42);
    json_object_put(plain);
    json_object_put(av);

    av = parse("{\"N\":\"12345678901234567890123\"}");
    ck_assert_int_eq(marshal_from_av(av, &plain, &err), DDB_OK);
    ck_assert_str_eq(json_object_to_json_string(plain), "12345678901234567890123");
    json_object_put(plain);
    json_object_put(av);
}
END_TEST

/* N texts DynamoDB accepts but JSON does not come out as the same value in JSON. */
START_TEST(test_n_from_av_non_json_forms)
{
    static const char *const cases[][2] = {
        {"+5", "5"},  {".5", "0.5"},           {"5.", "5"},
        {"007", "7"}, {"-00.50e3", "-0.50e3"}, {"-0", "-0"},
    };
    struct ddb_error err;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *av = json_object_new_object(), *plain = NULL;

        json_object_object_add(av, "N", json_object_new_string(cases[i][0]));
        ck_assert_int_eq(marshal_from_av(av, &plain, &err), DDB_OK);
        ck_assert_str_eq(json(plain), cases[i][1]);
        json_object_put(plain);
        json_object_put(av);
    }
}
END_TEST

START_TEST(test_b_round_trip)
{
    round_trip("{\"$binary\":\"aGVsbG8=\"}", "{\"B\":\"aGVsbG8=\"}");
    round_trip("{\"$binary\":\"\"}", "{\"B\":\"\"}");
    round_trip("{\"$binary\":\"+/8=\"}", "{\"B\":\"+/8=\"}");
    round_trip("{\"$binary\":\"AAAA\"}", "{\"B\":\"AAAA\"}");
}
END_TEST

START_TEST(test_bool_round_trip)
{
    round_trip("true", "{\"BOOL\":true}");
    round_trip("false", "{\"BOOL\":false}");
}
END_TEST

START_TEST(test_null_round_trip)
{
    struct ddb_error err;
    json_object *av = NULL, *back = (json_object *)&err;

    ck_assert_int_eq(marshal_to_av(NULL, &av, &err), DDB_OK);
    ck_assert_str_eq(json(av), "{\"NULL\":true}");
    ck_assert_int_eq(marshal_from_av(av, &back, &err), DDB_OK);
    ck_assert_ptr_null(back);
    json_object_put(av);
    round_trip("[null]", "{\"L\":[{\"NULL\":true}]}");
}
END_TEST

START_TEST(test_l_round_trip_nested)
{
    round_trip("[1,\"a\",[true,null],{\"k\":2},[]]",
               "{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"},{\"L\":[{\"BOOL\":true},{\"NULL\":true}]},"
               "{\"M\":{\"k\":{\"N\":\"2\"}}},{\"L\":[]}]}");
}
END_TEST

START_TEST(test_m_round_trip_nested)
{
    round_trip("{\"a\":{\"b\":{\"c\":[1,{\"d\":\"x\"}]}},\"e\":{}}",
               "{\"M\":{\"a\":{\"M\":{\"b\":{\"M\":{\"c\":{\"L\":[{\"N\":\"1\"},{\"M\":{\"d\":{"
               "\"S\":\"x\"}}}]}}}}},\"e\":{\"M\":{}}}}");
    /* Only one-member objects are tags: with a second member "$binary" is a map key. */
    round_trip("{\"$binary\":\"aGk=\",\"x\":1}",
               "{\"M\":{\"$binary\":{\"S\":\"aGk=\"},\"x\":{\"N\":\"1\"}}}");
}
END_TEST

START_TEST(test_ss_round_trip)
{
    round_trip("{\"$set\":[\"a\",\"b\",\"\"]}", "{\"SS\":[\"a\",\"b\",\"\"]}");
}
END_TEST

START_TEST(test_ns_round_trip)
{
    round_trip("{\"$set\":[1,2.50,-3e5,18446744073709551616]}",
               "{\"NS\":[\"1\",\"2.50\",\"-3e5\",\"18446744073709551616\"]}");
}
END_TEST

START_TEST(test_bs_round_trip)
{
    round_trip("{\"$set\":[{\"$binary\":\"AQ==\"},{\"$binary\":\"AQI=\"},{\"$binary\":\"\"}]}",
               "{\"BS\":[\"AQ==\",\"AQI=\",\"\"]}");
}
END_TEST

START_TEST(test_item_round_trip_all_types)
{
    item_round_trip("{\"id\":\"d-1\",\"amount\":12.50,\"photo\":{\"$binary\":\"aGk=\"},"
                    "\"active\":true,\"note\":null,\"tags\":[\"a\",1],\"address\":{\"city\":"
                    "\"Oslo\"},\"groups\":{\"$set\":[\"x\",\"y\"]},\"scores\":{\"$set\":[1,2]},"
                    "\"keys\":{\"$set\":[{\"$binary\":\"AA==\"}]}}",
                    "{\"id\":{\"S\":\"d-1\"},\"amount\":{\"N\":\"12.50\"},\"photo\":{\"B\":"
                    "\"aGk=\"},\"active\":{\"BOOL\":true},\"note\":{\"NULL\":true},\"tags\":{"
                    "\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]},\"address\":{\"M\":{\"city\":{\"S\":"
                    "\"Oslo\"}}},\"groups\":{\"SS\":[\"x\",\"y\"]},\"scores\":{\"NS\":[\"1\","
                    "\"2\"]},\"keys\":{\"BS\":[\"AA==\"]}}");
}
END_TEST

/* At item level every member is an attribute name, "$set" included. */
START_TEST(test_item_names_like_tags)
{
    item_round_trip("{\"$set\":[1]}", "{\"$set\":{\"L\":[{\"N\":\"1\"}]}}");
    item_round_trip("{}", "{}");
}
END_TEST

/* AWS accepts a scalar inside 31 lists or maps (level 32). */
START_TEST(test_depth_32_accepted)
{
    char *value = nested_lists(31, "1");
    char *item = malloc(strlen(value) + 8);
    struct ddb_error err;
    json_object *plain, *av = NULL, *back = NULL, *wrapper;
    int i;

    ck_assert_ptr_nonnull(item);
    sprintf(item, "{\"a\":%s}", value);
    plain = parse(item);
    ck_assert_int_eq(marshal_item_to_av(plain, &av, &err), DDB_OK);
    ck_assert_int_eq(marshal_item_from_av(av, &back, &err), DDB_OK);
    ck_assert_str_eq(json(back), item);
    json_object_put(plain);
    json_object_put(av);
    json_object_put(back);
    plain = parse(value);
    ck_assert_int_eq(marshal_to_av(plain, &av, &err), DDB_OK);
    json_object_put(plain);
    json_object_put(av);
    /* 31 maps around a number. */
    plain = parse("{\"a\":1}");
    for (i = 0; i < 30; i++) {
        wrapper = json_object_new_object();
        json_object_object_add(wrapper, "m", plain);
        plain = wrapper;
    }
    ck_assert_int_eq(marshal_to_av(plain, &av, &err), DDB_OK);
    json_object_put(plain);
    json_object_put(av);
    free(item);
    free(value);
}
END_TEST

/* The named members only, in the order of the names, equal to what marshal_item_from_av
 * gives them; a missing name is left out; every other member is still checked. */
START_TEST(test_item_pick)
{
    static const char *const names[] = {"id", "missing", "tags", "version"};
    struct ddb_error err;
    json_object *av = parse("{\"version\":{\"N\":\"3\"},\"extra\":{\"BOOL\":true},"
                            "\"tags\":{\"L\":[{\"S\":\"a\"},{\"N\":\"1.50\"}]},"
                            "\"id\":{\"S\":\"caf\\u00e9\"}}");
    json_object *bad = parse("{\"id\":{\"S\":\"x\"},\"extra\":{\"N\":\"1e999\"}}");
    json_object *out = NULL;

    ddb_error_clear(&err);
    ck_assert_msg(marshal_item_pick_from_av(av, names, 4, &out, &err) == DDB_OK, "%s", err.message);
    ck_assert_str_eq(json(out), "{\"id\":\"café\",\"tags\":[\"a\",1.50],\"version\":3}");
    json_object_put(av); /* what was taken from it stays valid */
    ck_assert_str_eq(json(out), "{\"id\":\"café\",\"tags\":[\"a\",1.50],\"version\":3}");
    json_object_put(out);

    /* A member not asked for is checked all the same. */
    out = NULL;
    ck_assert_int_eq(marshal_item_pick_from_av(bad, names, 4, &out, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(out);
    expect_message(&err, "extra");
    json_object_put(bad);

    ck_assert_int_eq(marshal_item_pick_from_av(NULL, names, 4, &out, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_item_pick_from_av(NULL, names, 4, NULL, &err), DDB_ERR_INVALID);
}
END_TEST

/* Numbers */

START_TEST(test_number_valid_forms)
{
    static const char *const ok[] = {
        "0",
        "-0",
        "0.000",
        "7",
        "-7",
        "1.5",
        "1e5",
        "1E+5",
        "1e-5",
        "+1",
        "+1.5e2",
        ".5",
        "5.",
        "007",
        "12345678901234567890123456789012345678",
        "0.00000000000000000000000000000000000000000001",
        "100000000000000000000000000000000000000000000000000000000000",
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "-1E-130",
        "10E-131",
        "0.01E127",
        "0E999999999999999999",
        "1.2345678901234567890123456789012345678000000",
    };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(marshal_number_valid(ok[i]), "%s should be valid", ok[i]);
}
END_TEST

START_TEST(test_number_invalid_forms)
{
    static const char *const bad[] = {
        "",    "-",   "+",        ".",         "e5",  "1e",  "1e+",      "1.2.3", "1..2",
        "--1", "+-1", "1-",       " 1",        "1 ",  "1 2", "0x10",     "0x1F",  "1f",
        "NaN", "nan", "Infinity", "-Infinity", "inf", "1,5", "\xd9\xa1", "1e5.5",
    };
    size_t i;

    ck_assert(!marshal_number_valid(NULL));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!marshal_number_valid(bad[i]), "\"%s\" should be invalid", bad[i]);
}
END_TEST

START_TEST(test_reject_39_digits)
{
    ck_assert(!marshal_number_valid("123456789012345678901234567890123456789"));
    ck_assert(!marshal_number_valid("1.00000000000000000000000000000000000001"));
    ck_assert(!marshal_number_valid("-0.000123456789012345678901234567890123456789"));
    plain_text_rejected("123456789012345678901234567890123456789",
                        "has more than 38 significant digits");
    plain_text_rejected("1.00000000000000000000000000000000000001",
                        "has more than 38 significant digits");
    av_text_rejected("{\"N\":\"123456789012345678901234567890123456789\"}",
                     "more than 38 significant digits");
}
END_TEST

START_TEST(test_reject_out_of_range)
{
    static const char *const bad[] = {
        "1e126", "-1E126", "10E125", "9.9E-131", "1e-131", "0.1e-130", "1e999999999999999999999"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!marshal_number_valid(bad[i]), "%s should be invalid", bad[i]);
    plain_text_rejected("1e126", "larger in magnitude");
    plain_text_rejected("-1e-131", "smaller in magnitude");
    av_text_rejected("{\"N\":\"1E126\"}", "larger in magnitude");
}
END_TEST

START_TEST(test_reject_nan_infinity)
{
    json_object *v;

    v = json_object_new_double(NAN);
    plain_rejected(v, "is not a decimal number");
    json_object_put(v);
    v = json_object_new_double(INFINITY);
    plain_rejected(v, "is not a decimal number");
    json_object_put(v);
    v = json_object_new_double(-INFINITY);
    plain_rejected(v, "is not a decimal number");
    json_object_put(v);
    /* json_tokener accepts NaN and Infinity literals; they must not reach DynamoDB. */
    v = json_tokener_parse("[NaN]");
    plain_rejected(v, "is not a decimal number");
    json_object_put(v);
    av_text_rejected("{\"N\":\"NaN\"}", "is not a decimal number");
    av_text_rejected("{\"N\":\"Infinity\"}", "is not a decimal number");
}
END_TEST

/* Sets */

START_TEST(test_reject_empty_sets)
{
    plain_text_rejected("{\"$set\":[]}", "a set must not be empty");
    av_text_rejected("{\"SS\":[]}", "a set must not be empty");
    av_text_rejected("{\"NS\":[]}", "a set must not be empty");
    av_text_rejected("{\"BS\":[]}", "a set must not be empty");
}
END_TEST

START_TEST(test_reject_duplicate_ss)
{
    plain_text_rejected("{\"$set\":[\"a\",\"b\",\"a\"]}", "duplicate string set member \"a\"");
    plain_text_rejected("{\"$set\":[\"\",\"\"]}", "duplicate string set member");
    av_text_rejected("{\"SS\":[\"x\",\"x\"]}", "duplicate string set member \"x\"");
    /* Case and bytes matter: these are distinct. */
    round_trip("{\"$set\":[\"a\",\"A\",\"a \"]}", "{\"SS\":[\"a\",\"A\",\"a \"]}");
}
END_TEST

/* NS members are compared as numbers, as DynamoDB does. */
START_TEST(test_reject_duplicate_ns_numerically)
{
    plain_text_rejected("{\"$set\":[1,1.0]}", "duplicate number set member \"1.0\"");
    plain_text_rejected("{\"$set\":[100,1E2]}", "duplicate number set member");
    plain_text_rejected("{\"$set\":[0,-0.0]}", "duplicate number set member");
    plain_text_rejected("{\"$set\":[2.5,25e-1,3]}", "duplicate number set member");
    av_text_rejected("{\"NS\":[\"1\",\"1.0\"]}", "duplicate number set member");
    av_text_rejected("{\"NS\":[\"0.10\",\"1e-1\"]}", "duplicate number set member");
    av_text_rejected("{\"NS\":[\"+5\",\"5\"]}", "duplicate number set member");
}
END_TEST

START_TEST(test_ns_close_values_are_distinct)
{
    round_trip("{\"$set\":[1,1.0000000000000000000000000000000000001,10,-1,0.1]}",
               "{\"NS\":[\"1\",\"1.0000000000000000000000000000000000001\",\"10\",\"-1\","
               "\"0.1\"]}");
}
END_TEST

START_TEST(test_reject_duplicate_bs)
{
    plain_text_rejected("{\"$set\":[{\"$binary\":\"AQ==\"},{\"$binary\":\"AQ==\"}]}",
                        "duplicate binary set member \"AQ==\"");
    av_text_rejected("{\"BS\":[\"AQI=\",\"AQ==\",\"AQI=\"]}", "duplicate binary set member");
}
END_TEST

START_TEST(test_reject_mixed_sets)
{
    plain_text_rejected("{\"$set\":[\"a\",1]}", "a set mixes string and number members");
    plain_text_rejected("{\"$set\":[1,{\"$binary\":\"AA==\"}]}",
                        "a set mixes number and binary members");
    plain_text_rejected("{\"$set\":[{\"$binary\":\"AA==\"},\"a\"]}",
                        "a set mixes binary and string members");
    plain_text_rejected("{\"$set\":[true]}", "a set member must be");
    plain_text_rejected("{\"$set\":[null]}", "a set member must be");
    plain_text_rejected("{\"$set\":[[1]]}", "a set member must be");
    plain_text_rejected("{\"$set\":[{\"x\":1}]}", "a set member must be");
    plain_text_rejected("{\"$set\":[{\"$binary\":1}]}", "a set member must be");
    av_text_rejected("{\"SS\":[\"a\",1]}", "SS members must be strings");
    av_text_rejected("{\"NS\":[1]}", "NS members must be strings");
    av_text_rejected("{\"NS\":[\"1\",\"x\"]}", "is not a decimal number");
}
END_TEST

/* Binary */

START_TEST(test_reject_bad_base64)
{
    static const char *const bad[] = {
        "abc",      "ab=c",     "a===",       "====",      "QR==", /* unused bits set */
        "QUJ=",     "aGVsbG8",  "aGVsbG8=\n", "aGVs bG8=", "aGVsbG8_",
        "aGVs-G8=", "=aGVsbG8", "aGVsbG8==",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_object *plain = json_object_new_object(), *av = json_object_new_object();

        json_object_object_add(plain, "$binary", json_object_new_string(bad[i]));
        plain_rejected(plain, "binary is not canonical padded base64");
        json_object_object_add(av, "B", json_object_new_string(bad[i]));
        av_rejected(av, "binary is not canonical padded base64");
        json_object_put(plain);
        json_object_put(av);
    }
    plain_text_rejected("{\"$set\":[{\"$binary\":\"AA==\"},{\"$binary\":\"abc\"}]}",
                        "binary is not canonical padded base64");
    av_text_rejected("{\"BS\":[\"AA==\",\"abc\"]}", "binary is not canonical padded base64");
}
END_TEST

/* Shapes */

START_TEST(test_reject_too_deep)
{
    char *value = nested_lists(32, "1");
    char *item = malloc(strlen(value) + 8);
    struct ddb_error err;
    json_object *plain, *av = NULL, *inner, *wrapper;
    int i;

    ck_assert_ptr_nonnull(item);
    sprintf(item, "{\"a\":%s}", value);
    plain = parse(item);
    ck_assert_int_eq(marshal_item_to_av(plain, &av, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(av);
    expect_message(&err, "nested deeper than 32 levels");
    json_object_put(plain);
    plain_text_rejected(value, "nested deeper than 32 levels");

    /* Maps count the same as lists: 32 maps around a number. */
    sprintf(item, "{\"a\":1}");
    plain = parse(item);
    for (i = 0; i < 31; i++) {
        wrapper = json_object_new_object();
        json_object_object_add(wrapper, "m", plain);
        plain = wrapper;
    }
    plain_rejected(plain, "nested deeper than 32 levels");
    json_object_put(plain);

    /* The AV side: 32 lists around a string. */
    inner = json_object_new_object();
    json_object_object_add(inner, "S", json_object_new_string("x"));
    for (i = 0; i < 32; i++) {
        wrapper = json_object_new_object();
        json_object_object_add(wrapper, "L", json_object_new_array());
        json_object_array_add(json_object_object_get(wrapper, "L"), inner);
        inner = wrapper;
    }
    av_rejected(inner, "nested deeper than 32 levels");
    json_object_put(inner);
    free(item);
    free(value);
}
END_TEST

/* A cycle built by hand is cut by the depth cap, not followed forever. */
START_TEST(test_cycle_does_not_hang)
{
    json_object *a = json_object_new_array();

    json_object_array_add(a, json_object_get(a));
    plain_rejected(a, "nested deeper than 32 levels");
    /* Break the cycle so the array can be freed. */
    json_object_array_put_idx(a, 0, NULL);
    json_object_put(a);
}
END_TEST

START_TEST(test_reject_non_object_item)
{
    static const char *const texts[] = {"[1]", "\"x\"", "5", "true", "null"};
    struct ddb_error err;
    json_object *v, *out;
    size_t i, size;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        v = parse(texts[i]);
        out = (json_object *)&err;
        ck_assert_int_eq(marshal_item_to_av(v, &out, &err), DDB_ERR_INVALID);
        ck_assert_ptr_null(out);
        expect_message(&err, "an item must be a JSON object");
        out = (json_object *)&err;
        ck_assert_int_eq(marshal_item_from_av(v, &out, &err), DDB_ERR_INVALID);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(marshal_item_size(v, &size, &err), DDB_ERR_INVALID);
        ck_assert_int_eq(marshal_check_item_size(v, &err), DDB_ERR_INVALID);
        json_object_put(v);
    }
}
END_TEST

START_TEST(test_reject_bad_attribute_values)
{
    static const char *const cases[][2] = {
        {"{}", "exactly one type member"},
        {"{\"S\":\"a\",\"N\":\"1\"}", "exactly one type member"},
        {"[\"S\",\"a\"]", "exactly one type member"},
        {"\"a\"", "exactly one type member"},
        {"{\"X\":\"a\"}", "unknown attribute value type \"X\""},
        {"{\"s\":\"a\"}", "unknown attribute value type"},
        {"{\"S\":1}", "S must be a string"},
        {"{\"N\":1}", "N must be a string"},
        {"{\"B\":null}", "B must be a string"},
        {"{\"BOOL\":\"true\"}", "BOOL must be true or false"},
        {"{\"NULL\":false}", "NULL must be true"},
        {"{\"NULL\":null}", "NULL must be true"},
        {"{\"L\":{}}", "L must be an array"},
        {"{\"M\":[]}", "M must be an object"},
        {"{\"SS\":\"a\"}", "SS must be an array"},
        {"{\"L\":[{\"S\":\"a\"},{\"Q\":1}]}", "[1]: unknown attribute value type"},
        {"{\"M\":{\"k\":{}}}", "k: an attribute value must be"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        av_text_rejected(cases[i][0], cases[i][1]);
    av_rejected(NULL, "exactly one type member");
}
END_TEST

START_TEST(test_reject_bad_tags)
{
    plain_text_rejected("{\"$binary\":5}", "\"$binary\" must be a base64 string");
    plain_text_rejected("{\"$binary\":null}", "\"$binary\" must be a base64 string");
    plain_text_rejected("{\"$set\":\"x\"}", "\"$set\" must be an array");
    plain_text_rejected("{\"$set\":{}}", "\"$set\" must be an array");
}
END_TEST

/* An M whose only key is a tag name would read back as B or a set. */
START_TEST(test_map_like_tag_has_no_plain_form)
{
    struct ddb_error err;
    json_object *item = parse("{\"m\":{\"M\":{\"$set\":{\"S\":\"x\"}}}}"), *plain = NULL;
    size_t size = 0;

    ck_assert_int_eq(marshal_item_from_av(item, &plain, &err), DDB_ERR_INVALID);
    ck_assert_ptr_null(plain);
    expect_message(&err, "m: a map whose only key is");
    /* Its size is still defined: 1 + (3 + (4 + 1 + 1)) = 10. */
    ck_assert_int_eq(marshal_item_size(item, &size, &err), DDB_OK);
    ck_assert_uint_eq(size, 10);
    json_object_put(item);
}
END_TEST

START_TEST(test_reject_invalid_utf8)
{
    static const char *const bad[] = {
        "\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
    struct ddb_error err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_object *s = json_object_new_string(bad[i]), *item = json_object_new_object();
        json_object *av = json_object_new_object(), *out = NULL;

        plain_rejected(s, "string is not valid UTF-8");
        json_object_object_add(item, bad[i], json_object_new_int(1));
        ck_assert_int_eq(marshal_item_to_av(item, &out, &err), DDB_ERR_INVALID);
        expect_message(&err, "attribute name is not valid UTF-8");
        json_object_object_add(av, "S", s);
        av_rejected(av, "string is not valid UTF-8");
        json_object_put(av);
        json_object_put(item);
    }
    /* The longest valid sequences pass. */
    round_trip("\"\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80\"",
               "{\"S\":\"\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80\"}");
}
END_TEST

/* Messages name where in the document the problem is. */
START_TEST(test_error_names_path)
{
    struct ddb_error err;
    json_object *plain = parse("{\"a\":{\"b\":[1,{\"$set\":[]}]}}"), *av = NULL;

    ck_assert_int_eq(marshal_item_to_av(plain, &av, &err), DDB_ERR_INVALID);
    ck_assert_str_eq(err.message, "a.b[1]: a set must not be empty");
    json_object_put(plain);

    plain = parse("{\"donor\":{\"amounts\":[1,2,1e999]}}");
    ck_assert_int_eq(marshal_item_to_av(plain, &av, &err), DDB_ERR_INVALID);
    expect_message(&err, "donor.amounts[2]: number 1e999 is larger in magnitude");
    json_object_put(plain);

    plain = parse("{\"s\":{\"SS\":[\"a\",\"b\",\"a\"]}}");
    ck_assert_int_eq(marshal_item_from_av(plain, &av, &err), DDB_ERR_INVALID);
    ck_assert_str_eq(err.message, "s[2]: duplicate string set member \"a\"");
    json_object_put(plain);
}
END_TEST

START_TEST(test_null_arguments)
{
    struct ddb_error err;
    json_object *v = parse("{\"a\":1}"), *out = NULL;

    ck_assert_int_eq(marshal_to_av(v, NULL, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_item_to_av(v, NULL, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_from_av(v, NULL, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_item_from_av(v, NULL, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_item_size(v, NULL, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_item_to_av(NULL, &out, &err), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_check_item_size(NULL, &err), DDB_ERR_INVALID);
    /* No error slot: the status alone. */
    ck_assert_int_eq(marshal_item_to_av(NULL, &out, NULL), DDB_ERR_INVALID);
    ck_assert_int_eq(marshal_from_av(v, &out, NULL), DDB_ERR_INVALID);
    json_object_put(v);
}
END_TEST

/* Item size. Rules from the DynamoDB developer guide, "DynamoDB item sizes and formats":
 * name UTF-8 bytes + value; S UTF-8 bytes; N ceil(significant digits / 2) + 1; B raw bytes;
 * BOOL, NULL 1; L, M 3 + per element (1 + element, with its key for M); sets sum. */

START_TEST(test_size_scalars)
{
    /* id: 2 + 3 = 5; n: 1 + (12345: 5 digits -> 3 + 1 = 4) = 5; ok: 2 + 1 = 3;
     * none: 4 + 1 = 5; b: 1 + 5 ("hello") = 6. Total 5 + 5 + 3 + 5 + 6 = 24. */
    ck_assert_uint_eq(item_size("{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"123.4500\"},"
                                "\"ok\":{\"BOOL\":true},\"none\":{\"NULL\":true},"
                                "\"b\":{\"B\":\"aGVsbG8=\"}}"),
                      24);
    ck_assert_uint_eq(item_size("{}"), 0);
}
END_TEST

START_TEST(test_size_numbers)
{
    /* Each: 1 (name "n") + ceil(significant digits / 2) + 1. */
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"0\"}}"), 1 + 0 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"0.000\"}}"), 1 + 0 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"7\"}}"), 1 + 1 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"12\"}}"), 1 + 1 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"123\"}}"), 1 + 2 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"1200\"}}"), 1 + 1 + 1);   /* "12" */
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"0.0012\"}}"), 1 + 1 + 1); /* "12" */
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"-123.4500\"}}"), 1 + 3 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"1e125\"}}"), 1 + 1 + 1);
    ck_assert_uint_eq(item_size("{\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}"),
                      1 + 19 + 1);
}
END_TEST

START_TEST(test_size_utf8_names_and_strings)
{
    /* "é" is 2 bytes, "日本" is 6: 2 + 6 = 8. */
    ck_assert_uint_eq(item_size("{\"\xc3\xa9\":{\"S\":\"\xe6\x97\xa5\xe6\x9c\xac\"}}"), 8);
}
END_TEST

START_TEST(test_size_binary_decoded)
{
    /* 1 + raw bytes: "" 0, "AQ==" 1, "AQI=" 2, "AQID" 3. */
    ck_assert_uint_eq(item_size("{\"b\":{\"B\":\"\"}}"), 1);
    ck_assert_uint_eq(item_size("{\"b\":{\"B\":\"AQ==\"}}"), 2);
    ck_assert_uint_eq(item_size("{\"b\":{\"B\":\"AQI=\"}}"), 3);
    ck_assert_uint_eq(item_size("{\"b\":{\"B\":\"AQID\"}}"), 4);
}
END_TEST

START_TEST(test_size_nested_lists_and_maps)
{
    /* doc: 3 + M(3 + a:(1 + N "1" 2 + 1) + list:(4 + L(3 + (2 + 1) + (1 + 1)) + 1))
     *    = 3 + (3 + 4 + (4 + 8 + 1)) = 3 + 20 = 23; e: 1 + 3 = 4. Total 27. */
    ck_assert_uint_eq(item_size("{\"doc\":{\"M\":{\"a\":{\"N\":\"1\"},\"list\":{\"L\":[{\"S\":"
                                "\"xy\"},{\"BOOL\":false}]}}},\"e\":{\"L\":[]}}"),
                      27);
    /* Empty map: 1 + 3 = 4. */
    ck_assert_uint_eq(item_size("{\"m\":{\"M\":{}}}"), 4);
}
END_TEST

START_TEST(test_size_sets)
{
    /* ss: 2 + (1 + 2) = 5; ns: 2 + ("1" 2 + "22.5" 3 + "-0.001" 2) = 9;
     * bs: 2 + (1 + 3) = 6. Total 20. */
    ck_assert_uint_eq(item_size("{\"ss\":{\"SS\":[\"a\",\"bc\"]},\"ns\":{\"NS\":[\"1\",\"22.5\","
                                "\"-0.001\"]},\"bs\":{\"BS\":[\"AQ==\",\"AQID\"]}}"),
                      20);
}
END_TEST

START_TEST(test_size_of_invalid_item)
{
    struct ddb_error err;
    json_object *item = parse("{\"a\":{\"X\":\"1\"}}");
    size_t size = 0;

    ck_assert_int_eq(marshal_item_size(item, &size, &err), DDB_ERR_INVALID);
    expect_message(&err, "a: unknown attribute value type");
    json_object_put(item);
}
END_TEST

/* 400 KB = 409600 bytes (AWS counts 1 KB as 1024 bytes). */
START_TEST(test_size_limit_boundary)
{
    struct ddb_error err;
    json_object *item;
    size_t size = 0;

    /* "k" 1 + 409599 bytes of S = 409600: accepted. */
    item = item_with_string("k", 409599);
    ck_assert_int_eq(marshal_item_size(item, &size, &err), DDB_OK);
    ck_assert_uint_eq(size, 409600);
    ck_assert_int_eq(marshal_check_item_size(item, &err), DDB_OK);
    json_object_put(item);

    /* 1 + 409600 = 409601: rejected. */
    item = item_with_string("k", 409600);
    ck_assert_int_eq(marshal_check_item_size(item, &err), DDB_ERR_ITEM_TOO_LARGE);
    ck_assert_int_eq(err.status, DDB_ERR_ITEM_TOO_LARGE);
    expect_message(&err, "409601 bytes");
    json_object_put(item);
}
END_TEST

/* The same boundary reached through L overhead: 1 ("l") + 3 (L) + 1 (element) + S. */
START_TEST(test_size_limit_boundary_nested)
{
    struct ddb_error err;
    json_object *item, *inner, *list, *l;

    inner = item_with_string("unused", 409595);
    list = json_object_new_array();
    json_object_array_add(list, json_object_get(json_object_object_get(inner, "unused")));
    l = json_object_new_object();
    json_object_object_add(l, "L", list);
    item = json_object_new_object();
    json_object_object_add(item, "l", l);
    ck_assert_int_eq(marshal_check_item_size(item, &err), DDB_OK);
    /* One more byte of name: 409601. */
    json_object_object_add(item, "xy", json_object_get(l));
    json_object_object_del(item, "l");
    ck_assert_int_eq(marshal_check_item_size(item, &err), DDB_ERR_ITEM_TOO_LARGE);
    expect_message(&err, "409601 bytes");
    json_object_put(item);
    json_object_put(inner);
}
END_TEST

static Suite *
marshal_suite(void)
{
    Suite *s = suite_create("marshal");
    TCase *rt = tcase_create("round_trip");
    TCase *num = tcase_create("numbers");
    TCase *sets = tcase_create("sets");
    TCase *shapes = tcase_create("shapes");
    TCase *size = tcase_create("size");

    tcase_add_test(rt, test_s_round_trip);
    tcase_add_test(rt, test_n_round_trip_integers);
    tcase_add_test(rt, test_n_round_trip_38_digits);
    tcase_add_test(rt, test_n_round_trip_exponents_and_zeros);
    tcase_add_test(rt, test_n_big_integers_kept_by_parse);
    tcase_add_test(rt, test_n_from_av_keeps_text);
    tcase_add_test(rt, test_n_from_av_non_json_forms);
    tcase_add_test(rt, test_b_round_trip);
    tcase_add_test(rt, test_bool_round_trip);
    tcase_add_test(rt, test_null_round_trip);
    tcase_add_test(rt, test_l_round_trip_nested);
    tcase_add_test(rt, test_m_round_trip_nested);
    tcase_add_test(rt, test_ss_round_trip);
    tcase_add_test(rt, test_ns_round_trip);
    tcase_add_test(rt, test_bs_round_trip);
    tcase_add_test(rt, test_item_round_trip_all_types);
    tcase_add_test(rt, test_item_names_like_tags);
    tcase_add_test(rt, test_depth_32_accepted);
    suite_add_tcase(s, rt);

    tcase_add_test(num, test_number_valid_forms);
    tcase_add_test(num, test_number_invalid_forms);
    tcase_add_test(num, test_reject_39_digits);
    tcase_add_test(num, test_reject_out_of_range);
    tcase_add_test(num, test_reject_nan_infinity);
    suite_add_tcase(s, num);

    tcase_add_test(sets, test_reject_empty_sets);
    tcase_add_test(sets, test_reject_duplicate_ss);
    tcase_add_test(sets, test_reject_duplicate_ns_numerically);
    tcase_add_test(sets, test_ns_close_values_are_distinct);
    tcase_add_test(sets, test_reject_duplicate_bs);
    tcase_add_test(sets, test_reject_mixed_sets);
    tcase_add_test(sets, test_reject_bad_base64);
    suite_add_tcase(s, sets);

    tcase_add_test(shapes, test_reject_too_deep);
    tcase_add_test(shapes, test_cycle_does_not_hang);
    tcase_add_test(shapes, test_reject_non_object_item);
    tcase_add_test(shapes, test_reject_bad_attribute_values);
    tcase_add_test(shapes, test_reject_bad_tags);
    tcase_add_test(shapes, test_map_like_tag_has_no_plain_form);
    tcase_add_test(shapes, test_reject_invalid_utf8);
    tcase_add_test(shapes, test_error_names_path);
    tcase_add_test(shapes, test_null_arguments);
    tcase_add_test(shapes, test_item_pick);
    suite_add_tcase(s, shapes);

    tcase_add_test(size, test_size_scalars);
    tcase_add_test(size, test_size_numbers);
    tcase_add_test(size, test_size_utf8_names_and_strings);
    tcase_add_test(size, test_size_binary_decoded);
    tcase_add_test(size, test_size_nested_lists_and_maps);
    tcase_add_test(size, test_size_sets);
    tcase_add_test(size, test_size_of_invalid_item);
    tcase_add_test(size, test_size_limit_boundary);
    tcase_add_test(size, test_size_limit_boundary_nested);
    suite_add_tcase(s, size);
    return s;
}

CHECK_MAIN(marshal_suite)
