/* Credentials from EC2 instance metadata (IMDSv2), against tests/tools/fake-imds.js, whose
 * URL imds_fake.sh passes in FAKE_IMDS_URL. Each test resets the fake server first and reads
 * its counters after, so what the client sent is checked, not only what it returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "../lib/check_main.h"
#include "ddb/creds.h"
#include "ddb/creds_test.h"
#include "ddb/transport.h"

#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"

static const char *
fake_url(void)
{
    const char *u = getenv("FAKE_IMDS_URL");

    ck_assert_msg(u != NULL && u[0] != '\0', "FAKE_IMDS_URL is not set (run imds_fake.sh)");
    /* Loopback only: this test must never talk to a real metadata service. */
    ck_assert_msg(strncmp(u, "http://127.0.0.1:", 17) == 0, "FAKE_IMDS_URL %s is not loopback", u);
    return u;
}

/* One HTTP request straight to the fake server (not through the credentials code). Returns
 * the status; the body goes to body_out (malloc'd) when asked for. */
static long
http_call(const char *method, const char *path, const char *body, const char *header,
          char **body_out)
{
    struct transport *t = NULL;
    struct transport_request req;
    struct transport_response resp;
    struct ddb_error err;
    char url[512];
    const char *headers[1] = {header};
    long status;

    snprintf(url, sizeof(url), "%s%s", fake_url(), path);
    memset(&req, 0, sizeof(req));
    req.slot = TRANSPORT_SLOT_DDB;
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.nheaders = header != NULL ? 1 : 0;
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    req.timeout_ms = 5000;
    ck_assert_int_eq(transport_new(NULL, &t, &err), DDB_OK);
    ck_assert_msg(transport_perform(t, &req, &resp, &err) == DDB_OK, "%s %s: %s", method, path,
                  err.message);
    status = resp.status;
    if (body_out != NULL) {
        *body_out = resp.body;
        resp.body = NULL;
    }
    transport_response_free(&resp);
    transport_free(t);
    return status;
}

static void
fake_config(const char *json)
{
    ck_assert_int_eq(http_call("POST", "/_control/config", json, NULL, NULL), 200);
}

/* One counter of GET /_control/stats. */
static long
stat_get(const char *name)
{
    char *body = NULL;
    struct json_object *doc;
    struct json_object *v;
    long n;

    ck_assert_int_eq(http_call("GET", "/_control/stats", NULL, NULL, &body), 200);
    doc = json_tokener_parse(body);
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(json_object_object_get_ex(doc, name, &v), "no counter %s in %s", name, body);
    n = (long)json_object_get_int64(v);
    json_object_put(doc);
    free(body);
    return n;
}

static void
setup(void)
{
    static const char *const unset[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                        "AWS_EC2_METADATA_DISABLED"};

    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
        ck_assert_int_eq(unsetenv(unset[i]), 0);
    ck_assert_int_eq(setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1), 0);
    ck_assert_int_eq(setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_url(), 1), 0);
    ck_assert_int_eq(http_call("POST", "/_control/reset", "{}", NULL, NULL), 200);
}

/* A provider on its own transport, as a worker has one. */
struct client {
    struct transport *t;
    struct creds_provider *p;
};

static void
client_open(struct client *c, long timeout_ms, long margin_s)
{
    struct creds_options o = {.imds_timeout_ms = timeout_ms, .refresh_margin_s = margin_s};
    struct ddb_error err;

    ck_assert_int_eq(transport_new(NULL, &c->t, &err), DDB_OK);
    ck_assert_int_eq(creds_provider_new(&o, c->t, &c->p, &err), DDB_OK);
}

static void
client_close(struct client *c)
{
    creds_provider_free(c->p);
    transport_free(c->t);
}

static void
get_ok(struct client *c, struct creds *out)
{
    struct ddb_error err;
    ddb_status st;

    memset(out, 0, sizeof(*out));
    ddb_error_clear(&err);
    st = creds_provider_get(c->p, out, &err);
    ck_assert_msg(st == DDB_OK, "creds_provider_get: %s: %s", ddb_error_name(st), err.message);
}

/* Expects DDB_ERR_CREDENTIALS; the message must name `needle` and hold no secret. */
static void
get_fails(struct client *c, const char *needle, struct ddb_error *err)
{
    struct creds out;
    ddb_status st;

    ddb_error_clear(err);
    st = creds_provider_get(c->p, &out, err);
    ck_assert_msg(st == DDB_ERR_CREDENTIALS, "expected credentials error, got %s: %s",
                  ddb_error_name(st), err->message);
    ck_assert_int_eq(err->status, DDB_ERR_CREDENTIALS);
    ck_assert_msg(strstr(err->message, needle) != NULL, "\"%s\" lacks \"%s\"", err->message,
                  needle);
    ck_assert_ptr_null(strstr(err->message, "fakeSecret"));
    ck_assert_ptr_null(strstr(err->message, "fakeSessionToken"));
}

/* Waiting for the clock itself, nothing else to poll for. */
static void
wait_until(time_t t)
{
    struct timespec step = {0, 50 * 1000 * 1000};

    while (time(NULL) < t)
        nanosleep(&step, NULL);
}

START_TEST(test_fetch_with_token)
{
    struct client c;
    struct creds cr;
    time_t now;

    fake_config("{\"strict\":true}"); /* only a tokened request could get credentials */
    client_open(&c, 2000, 300);
    get_ok(&c, &cr);
    now = time(NULL);
    ck_assert_str_eq(cr.source, "imds");
    ck_assert_str_eq(cr.access_key_id, "ASIAFAKE0001");
    ck_assert_int_eq(strncmp(cr.secret_access_key, "fakeSecret/0001/", 16), 0);
    ck_assert_int_eq(strncmp(cr.session_token, "fakeSessionToken0001", 20), 0);
    ck_assert_int_ge(cr.expiration, now + 21600 - 2);
    ck_assert_int_le(cr.expiration, now + 21600);

    ck_assert_int_eq(stat_get("tokenRequests"), 1);
    ck_assert_int_eq(stat_get("lastTtl"), 21600);
    ck_assert_int_eq(stat_get("roleRequests"), 1);
    ck_assert_int_eq(stat_get("credentialRequests"), 1);
    ck_assert_int_eq(stat_get("withToken"), 2);
    ck_assert_int_eq(stat_get("withoutToken"), 0);
    ck_assert_int_eq(stat_get("rejected"), 0);

    /* Valid for hours: the next get is served from memory. */
    get_ok(&c, &cr);
    ck_assert_str_eq(cr.access_key_id, "ASIAFAKE0001");
    ck_assert_int_eq(stat_get("metadataRequests"), 3);
    client_close(&c);
}
END_TEST

START_TEST(test_server_403_without_token)
{
    char *token = NULL;
    char *role = NULL;
    char hdr[256];

    fake_config("{\"strict\":true}");
    ck_assert_int_eq(http_call("GET", ROLE_PATH, NULL, NULL, NULL), 403);
    ck_assert_int_eq(http_call("GET", ROLE_PATH, NULL, "X-aws-ec2-metadata-token: forged", NULL),
                     403);
    ck_assert_int_eq(http_call("GET", ROLE_PATH "savealife-test-role", NULL, NULL, NULL), 403);
    /* Control: the same request with a real token is answered. */
    ck_assert_int_eq(http_call("PUT", "/latest/api/token", NULL,
                               "X-aws-ec2-metadata-token-ttl-seconds: 60", &token),
                     200);
    snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", token);
    ck_assert_int_eq(http_call("GET", ROLE_PATH, NULL, hdr, &role), 200);
    ck_assert_str_eq(role, "savealife-test-role\n");
    ck_assert_int_eq(stat_get("rejected"), 3);
    free(token);
    free(role);
}
END_TEST

START_TEST(test_client_refused_token)
{
    static const char *const cfgs[] = {"{\"tokenStatus\":403}", "{\"tokenStatus\":401}"};
    static const int codes[] = {403, 401};
    struct client c;
    struct ddb_error err;

    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(http_call("POST", "/_control/reset", "{}", NULL, NULL), 200);
        fake_config(cfgs[i]);
        client_open(&c, 2000, 300);
        get_fails(&c, "session token", &err);
        ck_assert_int_eq(err.http_status, codes[i]);
        ck_assert_int_eq(stat_get("tokenRequests"), 1);
        ck_assert_int_eq(stat_get("credentialRequests"), 0);
        client_close(&c);
    }
}
END_TEST

START_TEST(test_client_refused_credentials)
{
    static const char *const cfgs[] = {"{\"credsStatus\":403}", "{\"credsStatus\":401}"};
    static const int codes[] = {403, 401};
    struct client c;
    struct ddb_error err;

    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(http_call("POST", "/_control/reset", "{}", NULL, NULL), 200);
        fake_config(cfgs[i]);
        client_open(&c, 2000, 300);
        get_fails(&c, "savealife-test-role", &err);
        ck_assert_int_eq(err.http_status, codes[i]);
        ck_assert_int_eq(stat_get("credentialRequests"), 1);
        client_close(&c);
    }
}
END_TEST

START_TEST(test_no_role)
{
    struct client c;
    struct ddb_error err;

    fake_config("{\"roleStatus\":404}");
    client_open(&c, 2000, 300);
    get_fails(&c, "no IAM role", &err);
    ck_assert_int_eq(stat_get("credentialRequests"), 0);
    client_close(&c);
}
END_TEST

START_TEST(test_malformed_credentials)
{
    struct client c;
    struct ddb_error err;

    fake_config("{\"malformed\":true}");
    client_open(&c, 2000, 300);
    get_fails(&c, "malformed credentials", &err);
    client_close(&c);
}
END_TEST

START_TEST(test_refresh_after_margin)
{
    struct client c;
    struct creds first, cr;

    /* 4 s of life, refreshed 2 s before the end: the test takes about 2 s. */
    fake_config("{\"expiresIn\":4}");
    client_open(&c, 2000, 2);
    get_ok(&c, &first);
    ck_assert_int_eq(stat_get("credentialsServed"), 1);

    /* Inside the validity and before the margin: from memory, no request at all. */
    get_ok(&c, &cr);
    ck_assert_str_eq(cr.access_key_id, first.access_key_id);
    ck_assert_int_eq(stat_get("metadataRequests"), 3);

    wait_until(first.expiration - 2);
    get_ok(&c, &cr);
    ck_assert_msg(time(NULL) < first.expiration, "refreshed only after expiry");
    ck_assert_str_eq(cr.access_key_id, "ASIAFAKE0002");
    ck_assert_str_ne(cr.secret_access_key, first.secret_access_key);
    ck_assert_int_gt(cr.expiration, first.expiration);
    ck_assert_int_eq(stat_get("credentialsServed"), 2);
    ck_assert_int_eq(stat_get("tokenRequests"), 2); /* a fresh token for each fetch */

    get_ok(&c, &cr);
    ck_assert_str_eq(cr.access_key_id, "ASIAFAKE0002");
    ck_assert_int_eq(stat_get("metadataRequests"), 6);
    client_close(&c);
}
END_TEST

/* Credentials used in place: the same storage for their whole life, and a generation that
 * changes exactly when they do (a refresh, or their loss), never while they are served from
 * memory or kept through a failed refresh. */
START_TEST(test_current_generation_follows_refresh)
{
    struct client c;
    const struct creds *cur = NULL, *again = NULL;
    unsigned long gen = 0, gen2 = 0;
    struct ddb_error err;
    time_t expiration;

    fake_config("{\"expiresIn\":4}");
    client_open(&c, 2000, 2);
    ck_assert_int_eq(creds_provider_current(c.p, &cur, &gen, &err), DDB_OK);
    ck_assert_ptr_nonnull(cur);
    ck_assert_str_eq(cur->access_key_id, "ASIAFAKE0001");
    expiration = cur->expiration;
    ck_assert_int_eq(creds_provider_current(c.p, &again, &gen2, &err), DDB_OK);
    ck_assert_ptr_eq(again, cur);
    ck_assert_uint_eq(gen2, gen);
    ck_assert_int_eq(stat_get("credentialsServed"), 1);

    /* Inside the margin: refreshed in place, under a new generation. */
    wait_until(expiration - 2);
    ck_assert_int_eq(creds_provider_current(c.p, &again, &gen2, &err), DDB_OK);
    ck_assert_ptr_eq(again, cur);
    ck_assert_str_eq(again->access_key_id, "ASIAFAKE0002");
    ck_assert_uint_ne(gen2, gen);
    gen = gen2;
    expiration = again->expiration;

    /* A failed refresh keeps them, and their generation, while they are valid. */
    fake_config("{\"credsStatus\":500}");
    wait_until(expiration - 2);
    ck_assert_int_eq(creds_provider_current(c.p, &again, &gen2, &err), DDB_OK);
    ck_assert_str_eq(again->access_key_id, "ASIAFAKE0002");
    ck_assert_uint_eq(gen2, gen);

    /* Expired with no new ones: an error, and whatever was derived from them is stale. */
    wait_until(expiration);
    ck_assert_int_eq(creds_provider_current(c.p, &again, &gen2, &err), DDB_ERR_CREDENTIALS);
    ck_assert_ptr_null(again);
    ck_assert_uint_ne(gen2, gen);
    client_close(&c);
}
END_TEST

START_TEST(test_failed_refresh_keeps_valid_credentials)
{
    struct client c;
    struct creds first, cr;
    struct ddb_error err;

    fake_config("{\"expiresIn\":4}");
    client_open(&c, 2000, 2);
    get_ok(&c, &first);
    fake_config("{\"credsStatus\":500}");

    wait_until(first.expiration - 2);
    get_ok(&c, &cr); /* the refresh fails; the old credentials are still good */
    ck_assert_str_eq(cr.access_key_id, first.access_key_id);
    ck_assert_int_eq(stat_get("credentialRequests"), 2);
    get_ok(&c, &cr); /* and the failing service is not asked again at once */
    ck_assert_int_eq(stat_get("credentialRequests"), 2);

    wait_until(first.expiration);
    get_fails(&c, "HTTP 500", &err); /* expired, and still no new ones */

    fake_config("{\"credsStatus\":200}");
    get_ok(&c, &cr);
    ck_assert_str_eq(cr.access_key_id, "ASIAFAKE0002");
    client_close(&c);
}
END_TEST

START_TEST(test_disabled_makes_no_request)
{
    struct client c;
    struct ddb_error err;

    ck_assert_int_eq(setenv("AWS_EC2_METADATA_DISABLED", "true", 1), 0);
    client_open(&c, 2000, 300);
    get_fails(&c, "AWS_EC2_METADATA_DISABLED", &err);
    ck_assert_int_eq(stat_get("metadataRequests"), 0);
    client_close(&c);
}
END_TEST

START_TEST(test_environment_comes_first)
{
    struct client c;
    struct creds cr;

    ck_assert_int_eq(setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1), 0);
    ck_assert_int_eq(setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1), 0);
    client_open(&c, 2000, 300);
    get_ok(&c, &cr);
    ck_assert_str_eq(cr.source, "env");
    ck_assert_int_eq(stat_get("metadataRequests"), 0);
    client_close(&c);
}
END_TEST

START_TEST(test_unresponsive_times_out)
{
    struct client c;
    struct ddb_error err;
    struct timespec a, b;
    long ms;

    fake_config("{\"delayMs\":5000}");
    client_open(&c, 300, 300);
    clock_gettime(CLOCK_MONOTONIC, &a);
    get_fails(&c, "instance metadata", &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ms = (b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L;
    ck_assert_msg(ms < 2000, "took %ld ms for a 300 ms timeout", ms);
    client_close(&c);
}
END_TEST

static Suite *
imds_suite(void)
{
    Suite *s = suite_create("imds");
    TCase *tc = tcase_create("imds");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fetch_with_token);
    tcase_add_test(tc, test_server_403_without_token);
    tcase_add_test(tc, test_client_refused_token);
    tcase_add_test(tc, test_client_refused_credentials);
    tcase_add_test(tc, test_no_role);
    tcase_add_test(tc, test_malformed_credentials);
    tcase_add_test(tc, test_refresh_after_margin);
    tcase_add_test(tc, test_failed_refresh_keeps_valid_credentials);
    tcase_add_test(tc, test_current_generation_follows_refresh);
    tcase_add_test(tc, test_disabled_makes_no_request);
    tcase_add_test(tc, test_environment_comes_first);
    tcase_add_test(tc, test_unresponsive_times_out);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(imds_suite)
