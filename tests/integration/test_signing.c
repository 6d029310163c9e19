/* The client's signatures, checked by an independent verifier (tests/tools/sigv4-server.js,
 * through signing.sh): every call of a kept client, with and without a session token, single
 * and in parallel, is signed as AWS checks it; a wrong secret is refused. This is what the
 * signing path that is prepared once per process (constant header lines, the signer's
 * scope and key, credentials used in place) must still produce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../lib/check_main.h"
#include "../lib/control.h"
#include "ddb/ddb.h"

#define KEY_ID "AKIDSIGNINGTEST"
#define SECRET "signing/test+secret/0123456789abcdefghij"
#define TOKEN "FQoGZXIvYXdzEXAMPLE//////////wEaDM token/with+odd=chars"

struct verifier_stats {
    long requests;
    long valid;
    long invalid;
    long with_token;
};

/* The verifier checks with these credentials from now on (and zeroes its counts). */
static void
verifier_expects(const char *token)
{
    char body[512], out[4096];

    snprintf(body, sizeof(body), "{\"keyId\":\"%s\",\"secret\":\"%s\",\"token\":%s%s%s}", KEY_ID,
             SECRET, token != NULL ? "\"" : "", token != NULL ? token : "null",
             token != NULL ? "\"" : "");
    control("POST", "/_control/expect", body, out);
}

static struct verifier_stats
verifier_stats(char last_error[256])
{
    struct verifier_stats s;
    char out[4096];
    json_object *obj, *e;

    control("GET", "/_control/stats", NULL, out);
    obj = json_tokener_parse(out);
    ck_assert_msg(obj != NULL, "stats are not JSON: %s", out);
    s.requests = control_stat(obj, "requests");
    s.valid = control_stat(obj, "valid");
    s.invalid = control_stat(obj, "invalid");
    s.with_token = control_stat(obj, "withToken");
    snprintf(last_error, 256, "%s",
             json_object_object_get_ex(obj, "lastError", &e) ? json_object_get_string(e) : "");
    json_object_put(obj);
    return s;
}

/* The client's credentials, from the environment as a worker reads them. */
static void
client_env(const char *secret, const char *token)
{
    ck_assert_int_eq(setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1), 0);
    ck_assert_int_eq(setenv("AWS_SECRET_ACCESS_KEY", secret, 1), 0);
    if (token != NULL)
        ck_assert_int_eq(setenv("AWS_SESSION_TOKEN", token, 1), 0);
    else
        ck_assert_int_eq(unsetenv("AWS_SESSION_TOKEN"), 0);
}

static struct ddb_client *
client_new(void)
{
    struct ddb_client *c = NULL;
    struct ddb_options o;
    struct ddb_error err;

    memset(&o, 0, sizeof(o));
    o.retry.max_attempts = 1; /* a refused signature is not retried anyway */
    ck_assert_msg(ddb_client_new(&o, &c, &err) == DDB_OK, "client: %s", err.message);
    return c;
}

/* A GetItem whose body has what a body hash must cover: UTF-8, spaces, escapes. */
static json_object *
get_request(int i)
{
    char text[256];
    json_object *req;

    snprintf(text, sizeof(text),
             "{\"TableName\":\"t-companies\",\"Key\":{\"id\":{\"S\":\"caf\\u00e9 %d \\\"q\\\"/\"}},"
             "\"ConsistentRead\":true}",
             i);
    req = json_tokener_parse(text);
    ck_assert_ptr_nonnull(req);
    return req;
}

static ddb_status
call_once(struct ddb_client *c, int i, struct ddb_error *err)
{
    json_object *req = get_request(i), *resp = NULL;
    ddb_status st = ddb_call(c, "GetItem", req, &resp, err);

    json_object_put(resp);
    json_object_put(req);
    return st;
}

/* n calls on one kept client (the key, the lines and the handle reused), then n in parallel:
 * the verifier finds every one valid. */
static void
all_valid(const char *token)
{
    enum { N = 5 };
    struct ddb_client *c;
    struct ddb_error err, errs[N];
    json_object *reqs[N], *resps[N];
    struct verifier_stats s;
    char why[256];

    verifier_expects(token);
    client_env(SECRET, token);
    c = client_new();
    for (int i = 0; i < N; i++) {
        ddb_status st = call_once(c, i, &err);
        ck_assert_msg(st == DDB_OK, "call %d: %s: %s", i, ddb_error_name(st), err.message);
    }
    for (int i = 0; i < N; i++)
        reqs[i] = get_request(100 + i);
    ck_assert_int_eq(ddb_call_parallel(c, "GetItem", reqs, N, resps, errs), DDB_OK);
    for (int i = 0; i < N; i++) {
        json_object_put(resps[i]);
        json_object_put(reqs[i]);
    }
    ddb_client_free(c);
    s = verifier_stats(why);
    ck_assert_msg(s.valid == 2 * N && s.invalid == 0, "%ld valid, %ld invalid of %ld: %s", s.valid,
                  s.invalid, s.requests, why);
    ck_assert_int_eq(s.with_token, token != NULL ? 2 * N : 0);
}

START_TEST(signed_without_token)
{
    all_valid(NULL);
}
END_TEST

START_TEST(signed_with_session_token)
{
    all_valid(TOKEN);
}
END_TEST

/* The verifier can fail: a client with another secret is refused, every time. */
START_TEST(wrong_secret_is_refused)
{
    struct ddb_client *c;
    struct ddb_error err;
    struct verifier_stats s;
    char why[256];

    verifier_expects(NULL);
    client_env("not-the-secret", NULL);
    c = client_new();
    ck_assert_int_eq(call_once(c, 1, &err), DDB_ERR_AUTH);
    ck_assert_int_eq(call_once(c, 2, &err), DDB_ERR_AUTH);
    ddb_client_free(c);
    s = verifier_stats(why);
    ck_assert_int_eq(s.valid, 0);
    ck_assert_int_eq(s.invalid, 2);
    ck_assert_str_eq(why, "signature mismatch");
}
END_TEST

static Suite *
signing_suite(void)
{
    Suite *s = suite_create("signing");
    TCase *tc = tcase_create("signing");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, signed_without_token);
    tcase_add_test(tc, signed_with_session_token);
    tcase_add_test(tc, wrong_secret_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(signing_suite)
