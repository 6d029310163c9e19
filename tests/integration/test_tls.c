/* The client over HTTPS: it reaches a server whose CA it is given, and refuses, at once and
 * with a clear error, one it cannot verify. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/check_main.h"
#include "ddb/ddb.h"

static const char *
env_or_fail(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v != NULL && v[0] != '\0', "%s is not set (run through tls_dynalite.sh)", name);
    return v;
}

/* ListTables through a new client with the given CA file; returns the status. */
static ddb_status
list_tables(const char *ca_file, struct ddb_error *err)
{
    struct ddb_options opts;
    struct ddb_client *c = NULL;
    json_object *req = json_object_new_object();
    json_object *resp = NULL;

    memset(&opts, 0, sizeof(opts));
    opts.ca_file = ca_file;
    opts.retry.max_attempts = 3;
    opts.retry.base_ms = 10;
    opts.retry.cap_ms = 100;
    opts.retry.total_ms = 5000;
    ck_assert_ptr_nonnull(req);
    ck_assert_int_eq(ddb_client_new(&opts, &c, err), DDB_OK);
    ddb_status st = ddb_call(c, "ListTables", req, &resp, err);
    if (st == DDB_OK) {
        json_object *names;
        ck_assert(json_object_object_get_ex(resp, "TableNames", &names));
        ck_assert(json_object_is_type(names, json_type_array));
    }
    json_object_put(resp);
    json_object_put(req);
    ddb_client_free(c);
    return st;
}

START_TEST(test_trusted_ca_reaches_server)
{
    struct ddb_error err;
    ddb_status st = list_tables(env_or_fail("TLS_CA_FILE"), &err);
    ck_assert_msg(st == DDB_OK, "%s: %s", ddb_error_name(st), err.message);
}
END_TEST

START_TEST(test_ca_bundle_from_environment)
{
    struct ddb_error err;
    ck_assert_int_eq(setenv("AWS_CA_BUNDLE", env_or_fail("TLS_CA_FILE"), 1), 0);
    ddb_status st = list_tables(NULL, &err);
    unsetenv("AWS_CA_BUNDLE");
    ck_assert_msg(st == DDB_OK, "%s: %s", ddb_error_name(st), err.message);
}
END_TEST

static void
assert_refused(const char *ca_file)
{
    struct ddb_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ddb_status st = list_tables(ca_file, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(st == DDB_ERR_TLS, "expected a TLS error, got %s: %s", ddb_error_name(st),
                  err.message);
    ck_assert_int_eq(err.status, DDB_ERR_TLS);
    ck_assert_msg(strstr(err.message, "certificate") != NULL,
                  "message does not say what failed: %s", err.message);
    /* A certificate that cannot be verified will not verify on a second try. */
    ck_assert_int_eq(err.attempts, 1);
    ck_assert_msg(secs < 3.0, "refusal took %.2f s", secs);
}

START_TEST(test_untrusted_certificate_refused)
{
    unsetenv("AWS_CA_BUNDLE");
    assert_refused(NULL);
}
END_TEST

START_TEST(test_other_ca_refused)
{
    assert_refused(env_or_fail("TLS_OTHER_CA_FILE"));
}
END_TEST

static Suite *
tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("dynalite-https");
    tcase_add_test(tc, test_trusted_ca_reaches_server);
    tcase_add_test(tc, test_ca_bundle_from_environment);
    tcase_add_test(tc, test_untrusted_certificate_refused);
    tcase_add_test(tc, test_other_ca_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(tls_suite)
