/* The router: 404, 405 with Allow, {param} values, table order, exact segment matching,
 * HEAD served by GET routes.
 * Requests go through http_request_parse, as the server builds them. */
#include <stdio.h>
#include <string.h>

#include "../lib/check_main.h"
#include "http/router.h"

static const struct router_route routes[] = {
    {"GET", "/api/health"},
    {"GET", "/api/companies"},
    {"POST", "/api/companies"},
    {"PUT", "/api/companies"},
    {"DELETE", "/api/companies"},
    {"GET", "/api/companies/{id}"},
    {"PUT", "/api/companies/{id}"},
    {"DELETE", "/api/companies/{id}"},
    {"GET", "/api/companies/{id}"}, /* shadowed: the first match wins */
    {"POST", "/api/donors"},
    {"GET", "/api/donors/{email}/notes/{note}"},
    {"GET", "/"},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct http_request req;
static struct router *router;

/* Compiles a table of router_route lines (the test's tables have nothing else). */
static struct router *
compile(const struct router_route *table, size_t n)
{
    struct router *r = NULL;
    char err[256];

    ck_assert_msg(router_new(table, n, sizeof(table[0]), &r, err, sizeof(err)) == 0, "%s", err);
    return r;
}

static void
setup(void)
{
    router = compile(routes, NROUTES);
}

static void
parse(const char *method, const char *uri)
{
    char m[64], u[512];
    char *params[] = {m, u, NULL};

    snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
    snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, 0), HTTP_REQ_OK);
}

static void
teardown(void)
{
    http_request_free(&req);
}

static void
teardown_router(void)
{
    teardown();
    router_free(router);
    router = NULL;
}

static router_status
match(size_t *route, struct router_params *params, char *allow, size_t allow_len)
{
    return router_match(router, &req, route, params, allow, allow_len);
}

START_TEST(test_unknown_path_not_found)
{
    size_t route = 99;
    struct router_params params;
    char allow[64] = "junk";

    parse("GET", "/api/nothing");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_NOT_FOUND);
    ck_assert_uint_eq(route, 99); /* left alone */
    ck_assert_uint_eq(params.n, 0);
    ck_assert_str_eq(allow, "");
}
END_TEST

START_TEST(test_segment_count_must_equal)
{
    size_t route = 99;
    struct router_params params;

    parse("GET", "/api");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/api/health/x");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/api/companies/a/b");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    /* The trailing '/' is an empty segment, which no {param} takes. */
    parse("GET", "/api/companies/");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/api/health/");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(test_literal_exact)
{
    size_t route = 99;
    struct router_params params;

    parse("GET", "/API/health");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/api/healt");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/api/healthz");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    /* Literals compare with the decoded segment: "%68ealth" is "health". */
    parse("GET", "/api/%68ealth");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 0);
}
END_TEST

START_TEST(test_found_with_param)
{
    size_t route = 99;
    struct router_params params;

    parse("GET", "/api/companies/acme");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 5);
    ck_assert_uint_eq(params.n, 1);
    ck_assert_str_eq(params.names[0], "id");
    ck_assert_str_eq(params.values[0], "acme");
    ck_assert_str_eq(router_param(&params, "id"), "acme");
    ck_assert_ptr_null(router_param(&params, "email"));
    ck_assert_ptr_null(router_param(&params, "i"));
}
END_TEST

START_TEST(test_param_holds_encoded_slash)
{
    size_t route = 99;
    struct router_params params;

    parse("DELETE", "/api/companies/a%2Fb%20c");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 7);
    ck_assert_str_eq(router_param(&params, "id"), "a/b c");
}
END_TEST

START_TEST(test_two_params)
{
    size_t route = 99;
    struct router_params params;

    parse("GET", "/api/donors/a%40b.org/notes/7");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 10);
    ck_assert_uint_eq(params.n, 2);
    ck_assert_str_eq(router_param(&params, "email"), "a@b.org");
    ck_assert_str_eq(router_param(&params, "note"), "7");
    ck_assert_str_eq(params.names[1], "note");
}
END_TEST

START_TEST(test_first_match_wins)
{
    static const struct router_route ordered[] = {
        {"GET", "/api/companies/{id}"},
        {"GET", "/api/companies/export"},
    };
    static const struct router_route reversed[] = {
        {"GET", "/api/companies/export"},
        {"GET", "/api/companies/{id}"},
    };
    size_t route = 99;
    struct router_params params;

    struct router *first = compile(ordered, 2), *second = compile(reversed, 2);

    parse("GET", "/api/companies/export");
    ck_assert_int_eq(router_match(first, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 0);
    ck_assert_str_eq(router_param(&params, "id"), "export");
    ck_assert_int_eq(router_match(second, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 0);
    ck_assert_uint_eq(params.n, 0);
    ck_assert_ptr_null(router_param(&params, "id"));
    router_free(first);
    router_free(second);
    teardown();
    /* In the main table, the shadowing GET comes first. */
    parse("GET", "/api/companies/x");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 5);
}
END_TEST

START_TEST(test_method_not_allowed_lists_methods)
{
    size_t route = 99;
    struct router_params params;
    char allow[64];

    parse("PATCH", "/api/companies");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_uint_eq(route, 99); /* left alone */
    ck_assert_uint_eq(params.n, 0);
    ck_assert_str_eq(allow, "GET, HEAD, POST, PUT, DELETE");
    teardown();
    /* Distinct methods only (GET appears twice for this path), table order, HEAD after GET. */
    parse("POST", "/api/companies/acme");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD, PUT, DELETE");
    teardown();
    parse("PUT", "/api/health");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD");
    teardown();
    /* No GET, no HEAD: HEAD is refused and not listed. */
    parse("HEAD", "/api/donors");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "POST");
    teardown();
    /* Methods compare exactly: "get" is not GET. */
    parse("get", "/api/health");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
}
END_TEST

START_TEST(test_allow_from_every_matching_pattern)
{
    static const struct router_route table[] = {
        {"GET", "/a/{x}"},  {"POST", "/a/b"},
        {"PUT", "/a/{y}"},  {"DELETE", "/a/c"}, /* does not match "/a/b": left out */
        {"POST", "/a/{z}"},
    };
    char allow[64];

    struct router *r = compile(table, 5);

    parse("PATCH", "/a/b");
    ck_assert_int_eq(router_match(r, &req, NULL, NULL, allow, sizeof(allow)),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD, POST, PUT");
    router_free(r);
}
END_TEST

START_TEST(test_head_served_by_get)
{
    size_t route = 99;
    struct router_params params;

    parse("HEAD", "/api/health");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 0);
    teardown();
    /* The GET route's parameters, and the first GET in table order. */
    parse("HEAD", "/api/companies/acme");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 5);
    ck_assert_str_eq(router_param(&params, "id"), "acme");
    teardown();
    parse("HEAD", "/api/donors/a%40b.org/notes/7");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 10);
    ck_assert_str_eq(router_param(&params, "note"), "7");
    teardown();
    parse("HEAD", "/api/nothing");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    /* Methods compare exactly: "head" is not HEAD. */
    parse("head", "/api/health");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_METHOD_NOT_ALLOWED);
}
END_TEST

START_TEST(test_head_route_of_its_own)
{
    static const struct router_route table[] = {
        {"GET", "/a/{x}"},
        {"POST", "/a/{x}"},
        {"HEAD", "/a/{y}"},
    };
    size_t route = 99;
    struct router_params params;
    char allow[64];

    /* A HEAD route wins over the GET one before it, and HEAD is listed once, in its place. */
    struct router *r = compile(table, 3);

    parse("HEAD", "/a/b");
    ck_assert_int_eq(router_match(r, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 2);
    ck_assert_str_eq(router_param(&params, "y"), "b");
    teardown();
    parse("PUT", "/a/b");
    ck_assert_int_eq(router_match(r, &req, &route, &params, allow, sizeof(allow)),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, POST, HEAD");
    router_free(r);
}
END_TEST

START_TEST(test_allow_never_cut_mid_method)
{
    size_t route = 99;
    struct router_params params;
    char allow[12];

    /* "GET, HEAD, POST, PUT, DELETE" does not fit in 12: whole methods only. */
    parse("PATCH", "/api/companies");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD");
    /* Exactly "GET, HEAD" and its NUL (10 bytes) fits; one byte less keeps only "GET". */
    ck_assert_int_eq(match(&route, &params, allow, 10), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD");
    ck_assert_int_eq(match(&route, &params, allow, 9), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_METHOD_NOT_ALLOWED);
}
END_TEST

START_TEST(test_root_pattern)
{
    size_t route = 99;
    struct router_params params;

    parse("GET", "/");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 11);
    ck_assert_uint_eq(params.n, 0);
}
END_TEST

START_TEST(test_malformed_patterns_refused)
{
    static const struct router_route bad[][1] = {
        {{"GET", "a/{id}"}},
        {{"GET", "/a/{}"}},
        {{"GET", "/a/{a-name-that-is-much-longer-than-31}"}},
        {{"GET", "/{a}/{b}/{c}/{d}/{e}"}},
        {{"GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17"}},
        {{"GET", NULL}},
        {{NULL, "/a/x"}},
        {{"", "/a/x"}},
    };
    static const struct router_route edge[] = {
        {"GET", "/{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"},
        {"GET", "/{a}/{b}/{c}/{d}"},
        {"GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16"},
    };
    struct router *r;
    size_t route = 99;
    struct router_params params;
    char err[256];

    /* A typo in the table stops the service at start, with a message that names it. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = (struct router *)&route;
        err[0] = '\0';
        ck_assert_int_eq(router_new(bad[i], 1, sizeof(bad[i][0]), &r, err, sizeof(err)), -1);
        ck_assert_ptr_null(r);
        ck_assert_msg(err[0] != '\0', "no message for table %zu", i);
    }
    /* A name of 31 bytes, four parameters and 16 segments are still fine. */
    r = compile(edge, 3);
    parse("GET", "/v");
    ck_assert_int_eq(router_match(r, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 0);
    ck_assert_str_eq(router_param(&params, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "v");
    teardown();
    parse("GET", "/1/2/3/4");
    ck_assert_int_eq(router_match(r, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 1);
    ck_assert_str_eq(router_param(&params, "d"), "4");
    teardown();
    parse("GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16");
    ck_assert_int_eq(router_match(r, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_uint_eq(route, 2);
    router_free(r);
}
END_TEST

START_TEST(test_empty_table_and_null_router)
{
    struct router *r = compile(routes, 0);
    size_t route = 99;

    parse("GET", "/api/health");
    ck_assert_int_eq(router_match(r, &req, &route, NULL, NULL, 0), ROUTER_NOT_FOUND);
    ck_assert_int_eq(router_match(NULL, &req, &route, NULL, NULL, 0), ROUTER_NOT_FOUND);
    ck_assert_uint_eq(route, 99);
    router_free(r);
    router_free(NULL);
}
END_TEST

START_TEST(test_router_param_null_safe)
{
    ck_assert_ptr_null(router_param(NULL, "id"));
}
END_TEST

static Suite *
router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("match");

    tcase_add_checked_fixture(tc, setup, teardown_router);
    tcase_add_test(tc, test_unknown_path_not_found);
    tcase_add_test(tc, test_segment_count_must_equal);
    tcase_add_test(tc, test_literal_exact);
    tcase_add_test(tc, test_found_with_param);
    tcase_add_test(tc, test_param_holds_encoded_slash);
    tcase_add_test(tc, test_two_params);
    tcase_add_test(tc, test_first_match_wins);
    tcase_add_test(tc, test_method_not_allowed_lists_methods);
    tcase_add_test(tc, test_allow_from_every_matching_pattern);
    tcase_add_test(tc, test_allow_never_cut_mid_method);
    tcase_add_test(tc, test_head_served_by_get);
    tcase_add_test(tc, test_head_route_of_its_own);
    tcase_add_test(tc, test_root_pattern);
    tcase_add_test(tc, test_malformed_patterns_refused);
    tcase_add_test(tc, test_empty_table_and_null_router);
    tcase_add_test(tc, test_router_param_null_safe);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(router_suite)
