/* Region and endpoint resolution from the environment, and endpoint URL parsing. */
#include <stdlib.h>
#include <string.h>

#include "../lib/check_main.h"
#include "ddb/endpoint.h"

static const char *const env_vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION",
                                       "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"};

static void
env_clear(void)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        ck_assert_int_eq(unsetenv(env_vars[i]), 0);
}

static void
env_set(const char *name, const char *value)
{
    ck_assert_int_eq(setenv(name, value, 1), 0);
}

/* Resolves and expects success. */
static struct endpoint
resolve_ok(void)
{
    struct endpoint ep;
    struct ddb_error err;
    ddb_status st;

    memset(&ep, 0, sizeof(ep));
    ddb_error_clear(&err);
    st = endpoint_resolve(&ep, &err);
    ck_assert_msg(st == DDB_OK, "endpoint_resolve: %s: %s", ddb_error_name(st), err.message);
    return ep;
}

/* Resolves and expects DDB_ERR_CONFIG whose message contains `needle`. */
static void
resolve_fails(const char *needle)
{
    struct endpoint ep;
    struct ddb_error err;
    ddb_status st;

    ddb_error_clear(&err);
    st = endpoint_resolve(&ep, &err);
    ck_assert_int_eq(st, DDB_ERR_CONFIG);
    ck_assert_int_eq(err.status, DDB_ERR_CONFIG);
    ck_assert_msg(strstr(err.message, needle) != NULL, "message \"%s\" lacks \"%s\"", err.message,
                  needle);
}

/* Parses and expects success with the given url, host and tls. */
static void
parse_ok(const char *in, const char *url, const char *host, int tls)
{
    struct endpoint ep;
    struct ddb_error err;
    ddb_status st;

    memset(&ep, 0, sizeof(ep));
    ddb_error_clear(&err);
    st = endpoint_parse_url(in, &ep, &err);
    ck_assert_msg(st == DDB_OK, "%s: %s: %s", in, ddb_error_name(st), err.message);
    ck_assert_str_eq(ep.url, url);
    ck_assert_str_eq(ep.host, host);
    ck_assert_int_eq(ep.tls, tls);
}

static void
parse_fails(const char *in)
{
    struct endpoint ep;
    struct ddb_error err;
    ddb_status st;

    ddb_error_clear(&err);
    st = endpoint_parse_url(in, &ep, &err);
    ck_assert_msg(st == DDB_ERR_CONFIG, "%s accepted (%s)", in, ddb_error_name(st));
    ck_assert_msg(err.message[0] != '\0', "%s: no message", in);
}

START_TEST(test_default_endpoint_from_aws_region)
{
    env_clear();
    env_set("AWS_REGION", "eu-west-1");
    struct endpoint ep = resolve_ok();
    ck_assert_str_eq(ep.region, "eu-west-1");
    ck_assert_str_eq(ep.url, "https://dynamodb.eu-west-1.amazonaws.com");
    ck_assert_str_eq(ep.host, "dynamodb.eu-west-1.amazonaws.com");
    ck_assert_int_eq(ep.tls, 1);
}
END_TEST

START_TEST(test_default_region_is_second)
{
    env_clear();
    env_set("AWS_DEFAULT_REGION", "ap-southeast-2");
    struct endpoint ep = resolve_ok();
    ck_assert_str_eq(ep.region, "ap-southeast-2");
    ck_assert_str_eq(ep.url, "https://dynamodb.ap-southeast-2.amazonaws.com");

    env_set("AWS_REGION", "us-west-2");
    ep = resolve_ok();
    ck_assert_str_eq(ep.region, "us-west-2");
}
END_TEST

START_TEST(test_empty_region_counts_as_unset)
{
    env_clear();
    env_set("AWS_REGION", "");
    env_set("AWS_DEFAULT_REGION", "us-east-2");
    struct endpoint ep = resolve_ok();
    ck_assert_str_eq(ep.region, "us-east-2");
}
END_TEST

START_TEST(test_china_partition)
{
    env_clear();
    env_set("AWS_REGION", "cn-north-1");
    struct endpoint ep = resolve_ok();
    ck_assert_str_eq(ep.url, "https://dynamodb.cn-north-1.amazonaws.com.cn");
    ck_assert_str_eq(ep.host, "dynamodb.cn-north-1.amazonaws.com.cn");
}
END_TEST

START_TEST(test_missing_region)
{
    env_clear();
    resolve_fails("AWS_REGION");
    /* Even with an endpoint: the region is part of every signature. */
    env_set("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    resolve_fails("AWS_REGION");
}
END_TEST

START_TEST(test_malformed_region_names_variable)
{
    static const char *const bad[] = {
        "US-EAST-1",          "us east 1",
        "us_east_1",          "-us-east-1",
        "us-east-1-",         "us-east-1/",
        "us-east-1.evil.com", "0123456789012345678901234567890123456789012345678901234567890123"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env_clear();
        env_set("AWS_REGION", bad[i]);
        resolve_fails("AWS_REGION");
        env_clear();
        env_set("AWS_DEFAULT_REGION", bad[i]);
        resolve_fails("AWS_DEFAULT_REGION");
    }
}
END_TEST

START_TEST(test_endpoint_url_precedence)
{
    env_clear();
    env_set("AWS_REGION", "us-east-1");
    env_set("AWS_ENDPOINT_URL", "http://127.0.0.1:4567");
    struct endpoint ep = resolve_ok();
    ck_assert_str_eq(ep.url, "http://127.0.0.1:4567");
    ck_assert_str_eq(ep.host, "127.0.0.1:4567");
    ck_assert_int_eq(ep.tls, 0);
    ck_assert_str_eq(ep.region, "us-east-1");

    env_set("AWS_ENDPOINT_URL_DYNAMODB", "https://localhost:8443/");
    ep = resolve_ok();
    ck_assert_str_eq(ep.url, "https://localhost:8443");
    ck_assert_str_eq(ep.host, "localhost:8443");
    ck_assert_int_eq(ep.tls, 1);

    /* Empty means unset: falls back to AWS_ENDPOINT_URL. */
    env_set("AWS_ENDPOINT_URL_DYNAMODB", "");
    ep = resolve_ok();
    ck_assert_str_eq(ep.url, "http://127.0.0.1:4567");
}
END_TEST

START_TEST(test_malformed_url_names_variable)
{
    env_clear();
    env_set("AWS_REGION", "us-east-1");
    env_set("AWS_ENDPOINT_URL", "ftp://example.com");
    resolve_fails("AWS_ENDPOINT_URL:");
    env_set("AWS_ENDPOINT_URL_DYNAMODB", "http://example.com/path");
    resolve_fails("AWS_ENDPOINT_URL_DYNAMODB:");
}
END_TEST

START_TEST(test_user_info_is_not_echoed)
{
    struct endpoint ep;
    struct ddb_error err;

    env_clear();
    env_set("AWS_REGION", "us-east-1");
    env_set("AWS_ENDPOINT_URL_DYNAMODB", "https://admin:hunter2@example.com");
    ddb_error_clear(&err);
    ck_assert_int_eq(endpoint_resolve(&ep, &err), DDB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_ENDPOINT_URL_DYNAMODB"));
    ck_assert_ptr_nonnull(strstr(err.message, "user info"));
    ck_assert_ptr_null(strstr(err.message, "hunter2"));
}
END_TEST

START_TEST(test_parse_host_and_port)
{
    parse_ok("http://localhost:8000", "http://localhost:8000", "localhost:8000", 0);
    parse_ok("http://localhost:8000/", "http://localhost:8000", "localhost:8000", 0);
    parse_ok("https://example.com", "https://example.com", "example.com", 1);
    parse_ok("https://example.com/", "https://example.com", "example.com", 1);
    /* The scheme's default port is left out of Host, as clients send it. */
    parse_ok("https://example.com:443", "https://example.com:443", "example.com", 1);
    parse_ok("http://example.com:80", "http://example.com:80", "example.com", 0);
    parse_ok("http://example.com:443", "http://example.com:443", "example.com:443", 0);
    parse_ok("https://example.com:80", "https://example.com:80", "example.com:80", 1);
    parse_ok("HTTPS://DynamoDB.US-East-1.AmazonAWS.com", "https://dynamodb.us-east-1.amazonaws.com",
             "dynamodb.us-east-1.amazonaws.com", 1);
    parse_ok("http://[::1]:8000", "http://[::1]:8000", "[::1]:8000", 0);
    parse_ok("http://[fd00:ec2::254]", "http://[fd00:ec2::254]", "[fd00:ec2::254]", 0);
    parse_ok("http://169.254.169.254", "http://169.254.169.254", "169.254.169.254", 0);
    parse_ok("http://dynamodb-local_1:8000", "http://dynamodb-local_1:8000",
             "dynamodb-local_1:8000", 0);
    parse_ok("http://h:1", "http://h:1", "h:1", 0);
    parse_ok("http://h:65535", "http://h:65535", "h:65535", 0);
    parse_ok("HTTP://[FD00:EC2::254]:80", "http://[fd00:ec2::254]:80", "[fd00:ec2::254]", 0);
    parse_ok("http://example.com:08000", "http://example.com:8000", "example.com:8000", 0);
    /* curl's URL API writes an IPv4 address in its usual form (127.1 is 127.0.0.1, as
     * inet_aton reads it): the Host header then names the address curl connects to. */
    parse_ok("http://127.1:8000", "http://127.0.0.1:8000", "127.0.0.1:8000", 0);
}
END_TEST

START_TEST(test_parse_rejects_malformed)
{
    static const char *const bad[] = {
        "",
        "localhost:8000",
        "ftp://example.com",
        "http:/example.com",
        "http://",
        "http:///",
        "http://:8000",
        "http://user@example.com",
        "http://user:pw@example.com",
        "http://example.com/path",
        "http://example.com//",
        "http://example.com?x=1",
        "http://example.com/?x=1",
        "http://example.com#frag",
        "http://example.com:",
        "http://example.com:0",
        "http://example.com:65536",
        "http://example.com:123456",
        "http://example.com:80a",
        "http://example.com:-1",
        "http://exa mple.com",
        "http://example.com\n",
        "http://exa%6dple.com",
        "http://[::1",
        "http://[]",
        "http://[zz::1]",
        "http://[::1]x",
        "http://a:b:c",
        /* Forms curl's parser takes that an endpoint still may not be. */
        "http:///example.com",
        "http:example.com",
        "http://@example.com",
        "http://:pw@example.com",
        "http://example.com/.",
        "http://[fe80::1%25eth0]:8000",
        "http://exa~mple.com",
        "http://example.com:00",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_fails(bad[i]);
}
END_TEST

START_TEST(test_parse_too_long)
{
    char url[700];

    memcpy(url, "http://", 7);
    memset(url + 7, 'a', sizeof(url) - 8);
    url[sizeof(url) - 1] = '\0';
    parse_fails(url);
}
END_TEST

START_TEST(test_parse_leaves_region)
{
    struct endpoint ep;
    struct ddb_error err;

    memset(&ep, 0, sizeof(ep));
    memcpy(ep.region, "xx-test-1", 10);
    ck_assert_int_eq(endpoint_parse_url("http://127.0.0.1:9", &ep, &err), DDB_OK);
    ck_assert_str_eq(ep.region, "xx-test-1");
}
END_TEST

START_TEST(test_failure_leaves_output)
{
    struct endpoint ep;
    struct ddb_error err;

    env_clear();
    memset(&ep, 0, sizeof(ep));
    memcpy(ep.url, "keep", 5);
    env_set("AWS_REGION", "us-east-1");
    env_set("AWS_ENDPOINT_URL", "http://bad/path");
    ck_assert_int_eq(endpoint_resolve(&ep, &err), DDB_ERR_CONFIG);
    ck_assert_str_eq(ep.url, "keep");
}
END_TEST

static Suite *
endpoint_suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *resolve = tcase_create("resolve");
    TCase *parse = tcase_create("parse");

    tcase_add_test(resolve, test_default_endpoint_from_aws_region);
    tcase_add_test(resolve, test_default_region_is_second);
    tcase_add_test(resolve, test_empty_region_counts_as_unset);
    tcase_add_test(resolve, test_china_partition);
    tcase_add_test(resolve, test_missing_region);
    tcase_add_test(resolve, test_malformed_region_names_variable);
    tcase_add_test(resolve, test_endpoint_url_precedence);
    tcase_add_test(resolve, test_malformed_url_names_variable);
    tcase_add_test(resolve, test_user_info_is_not_echoed);
    tcase_add_test(resolve, test_failure_leaves_output);
    suite_add_tcase(s, resolve);

    tcase_add_test(parse, test_parse_host_and_port);
    tcase_add_test(parse, test_parse_rejects_malformed);
    tcase_add_test(parse, test_parse_too_long);
    tcase_add_test(parse, test_parse_leaves_region);
    suite_add_tcase(s, parse);
    return s;
}

CHECK_MAIN(endpoint_suite)
