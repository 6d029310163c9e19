/* The Idempotency-Key header's parse: Structured Field strings with their escapes, bare keys
 * as clients send them, the length limit, and every malformed form refused with a reason; and
 * which requests ask for idempotency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/check_main.h"
#include "api/idempotency.h"

struct good_case {
    const char *value;
    const char *key;
};

static const struct good_case good[] = {
    {"\"abc\"", "abc"},
    {"\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", "8e03978e-40d5-43e8-bc93-6894a57f9324"},
    {"8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"},
    {"abc", "abc"},                       /* bare: the same key as "abc" */
    {"  \"abc\"  ", "abc"},               /* spaces around are not part of it */
    {"\t abc \t", "abc"},                 /* likewise for a bare key */
    {"\"a b\"", "a b"},                   /* a space inside a string is allowed */
    {"\"say \\\"hi\\\"\"", "say \"hi\""}, /* escaped quotes */
    {"\"back\\\\slash\"", "back\\slash"}, /* an escaped backslash */
    {"\"a,b;c\"", "a,b;c"},               /* inside quotes, anything printable */
    {"dGVzdA+/=:_~.!", "dGVzdA+/=:_~.!"}, /* base64 and other printable bare */
};

START_TEST(test_parse_good)
{
    char key[IDEMPOTENCY_KEY_MAX + 1];
    const char *why = NULL;

    ck_assert_msg(idempotency_key_parse(good[_i].value, key, &why) == 0, "%s refused: %s",
                  good[_i].value, why != NULL ? why : "?");
    ck_assert_str_eq(key, good[_i].key);
}
END_TEST

struct bad_case {
    const char *value;
    const char *reason; /* a word the reason must contain */
};

static const struct bad_case bad[] = {
    {"", "empty"},
    {"   ", "empty"},
    {"\"\"", "empty"},
    {"\"abc", "not closed"},
    {"\"ab\\c\"", "backslash"},
    {"\"ab\\\"", "not closed"},
    {"\"a\tb\"", "printable"},
    {"\"caf\xc3\xa9\"", "printable"},
    {"\"abc\";p=1", "nothing after"},
    {"\"abc\", \"def\"", "nothing after"},
    {"abc def", "nothing after"},
    {"abc,def", "unquoted"},
    {"abc;p", "unquoted"},
    {"ab\"c", "unquoted"},
    {"ab\\c", "unquoted"},
    {"caf\xc3\xa9", "unquoted"},
};

START_TEST(test_parse_bad)
{
    char key[IDEMPOTENCY_KEY_MAX + 1];
    const char *why = NULL;

    ck_assert_msg(idempotency_key_parse(bad[_i].value, key, &why) == -1, "%s accepted",
                  bad[_i].value);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, bad[_i].reason) != NULL, "%s: reason \"%s\" lacks \"%s\"",
                  bad[_i].value, why, bad[_i].reason);
}
END_TEST

START_TEST(test_parse_missing)
{
    char key[IDEMPOTENCY_KEY_MAX + 1];
    const char *why = NULL;

    ck_assert_int_eq(idempotency_key_parse(NULL, key, &why), -1);
    ck_assert_ptr_nonnull(why);
}
END_TEST

/* 255 bytes are accepted, 256 refused, quoted or bare; an escape counts as one byte. */
START_TEST(test_parse_length)
{
    char value[IDEMPOTENCY_KEY_MAX + 8], key[IDEMPOTENCY_KEY_MAX + 1];
    const char *why = NULL;

    memset(value, 'k', IDEMPOTENCY_KEY_MAX);
    value[IDEMPOTENCY_KEY_MAX] = '\0';
    ck_assert_int_eq(idempotency_key_parse(value, key, &why), 0);
    ck_assert_uint_eq(strlen(key), IDEMPOTENCY_KEY_MAX);
    value[IDEMPOTENCY_KEY_MAX] = 'k';
    value[IDEMPOTENCY_KEY_MAX + 1] = '\0';
    ck_assert_int_eq(idempotency_key_parse(value, key, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "255"));

    value[0] = '"';
    memset(value + 1, 'q', IDEMPOTENCY_KEY_MAX - 1);
    memcpy(value + IDEMPOTENCY_KEY_MAX, "\\\"\"", 4); /* 254 q, an escaped quote: 255 */
    ck_assert_int_eq(idempotency_key_parse(value, key, &why), 0);
    ck_assert_uint_eq(strlen(key), IDEMPOTENCY_KEY_MAX);
    ck_assert_int_eq(key[IDEMPOTENCY_KEY_MAX - 1], '"');
    memcpy(value + IDEMPOTENCY_KEY_MAX, "q\\\"\"", 5); /* one more: 256 */
    ck_assert_int_eq(idempotency_key_parse(value, key, &why), -1);
    ck_assert_ptr_nonnull(strstr(why, "255"));
}
END_TEST

START_TEST(test_applies)
{
    struct http_request req;

    memset(&req, 0, sizeof(req));
    req.idempotency_key = "\"k\"";
    snprintf(req.method, sizeof(req.method), "POST");
    ck_assert(idempotency_applies(&req));
    snprintf(req.method, sizeof(req.method), "PUT");
    ck_assert(idempotency_applies(&req));
    snprintf(req.method, sizeof(req.method), "PATCH");
    ck_assert(idempotency_applies(&req));
    snprintf(req.method, sizeof(req.method), "GET");
    ck_assert(!idempotency_applies(&req));
    snprintf(req.method, sizeof(req.method), "DELETE");
    ck_assert(!idempotency_applies(&req));
    snprintf(req.method, sizeof(req.method), "POST");
    req.idempotency_key = NULL;
    ck_assert(!idempotency_applies(&req));
}
END_TEST

static Suite *
idempotency_suite(void)
{
    Suite *s = suite_create("idempotency");
    TCase *tc = tcase_create("idempotency");

    tcase_add_loop_test(tc, test_parse_good, 0, (int)(sizeof(good) / sizeof(good[0])));
    tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, test_parse_missing);
    tcase_add_test(tc, test_parse_length);
    tcase_add_test(tc, test_applies);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(idempotency_suite)
