/* The router: 404, 405 with Allow, {param} values, table order, exact segment matching,
 * HEAD served by GET routes.
 * Requests go through http_request_parse, as the server builds them. */
#include <stdio.h>
#include <string.h>

#include "../lib/check_main.h"
#include "http/router.h"

/* Handlers are only compared by address, never called. */
static void
h_list(void *app, const struct http_request *req, const struct router_params *params,
       struct http_response *resp)
{
    (void)app, (void)req, (void)params, (void)resp;
}

static void
h_get(void *app, const struct http_request *req, const struct router_params *params,
      struct http_response *resp)
{
    (void)app, (void)req, (void)params, (void)resp;
}

static void
h_other(void *app, const struct http_request *req, const struct router_params *params,
        struct http_response *resp)
{
    (void)app, (void)req, (void)params, (void)resp;
}

static const struct router_route routes[] = {
    {"GET", "/api/health", h_other},
    {"GET", "/api/companies", h_list},
    {"POST", "/api/companies", h_other},
    {"PUT", "/api/companies", h_other},
    {"DELETE", "/api/companies", h_other},
    {"GET", "/api/companies/{id}", h_get},
    {"PUT", "/api/companies/{id}", h_other},
    {"DELETE", "/api/companies/{id}", h_other},
    {"GET", "/api/companies/{id}", h_other}, /* shadowed: the first match wins */
    {"POST", "/api/donors", h_other},
    {"GET", "/api/donors/{email}/notes/{note}", h_get},
    {"GET", "/", h_list},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct http_request req;

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

static router_status
match(const struct router_route **route, struct router_params *params, char *allow,
      size_t allow_len)
{
    return router_match(routes, NROUTES, &req, route, params, allow, allow_len);
}

START_TEST(test_unknown_path_not_found)
{
    const struct router_route *route = routes;
    struct router_params params;
    char allow[64] = "junk";

    parse("GET", "/api/nothing");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_NOT_FOUND);
    ck_assert_ptr_null(route);
    ck_assert_uint_eq(params.n, 0);
    ck_assert_str_eq(allow, "");
}
END_TEST

START_TEST(test_segment_count_must_equal)
{
    const struct router_route *route;
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
    const struct router_route *route;
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
    ck_assert_ptr_eq(route, &routes[0]);
}
END_TEST

START_TEST(test_found_with_param)
{
    const struct router_route *route;
    struct router_params params;

    parse("GET", "/api/companies/acme");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[5]);
    ck_assert_ptr_eq(route->handler, h_get);
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
    const struct router_route *route;
    struct router_params params;

    parse("DELETE", "/api/companies/a%2Fb%20c");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[7]);
    ck_assert_str_eq(router_param(&params, "id"), "a/b c");
}
END_TEST

START_TEST(test_two_params)
{
    const struct router_route *route;
    struct router_params params;

    parse("GET", "/api/donors/a%40b.org/notes/7");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[10]);
    ck_assert_uint_eq(params.n, 2);
    ck_assert_str_eq(router_param(&params, "email"), "a@b.org");
    ck_assert_str_eq(router_param(&params, "note"), "7");
    ck_assert_str_eq(params.names[1], "note");
}
END_TEST

START_TEST(test_first_match_wins)
{
    static const struct router_route ordered[] = {
        {"GET", "/api/companies/{id}", h_get},
        {"GET", "/api/companies/export", h_other},
    };
    static const struct router_route reversed[] = {
        {"GET", "/api/companies/export", h_other},
        {"GET", "/api/companies/{id}", h_get},
    };
    const struct router_route *route;
    struct router_params params;

    parse("GET", "/api/companies/export");
    ck_assert_int_eq(router_match(ordered, 2, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &ordered[0]);
    ck_assert_str_eq(router_param(&params, "id"), "export");
    ck_assert_int_eq(router_match(reversed, 2, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &reversed[0]);
    ck_assert_uint_eq(params.n, 0);
    ck_assert_ptr_null(router_param(&params, "id"));
    teardown();
    /* In the main table, the shadowing GET comes first. */
    parse("GET", "/api/companies/x");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[5]);
}
END_TEST

START_TEST(test_method_not_allowed_lists_methods)
{
    const struct router_route *route = routes;
    struct router_params params;
    char allow[64];

    parse("PATCH", "/api/companies");
    ck_assert_int_eq(match(&route, &params, allow, sizeof(allow)), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_ptr_null(route);
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
        {"GET", "/a/{x}", h_get},    {"POST", "/a/b", h_other}, {"PUT", "/a/{y}", h_other},
        {"DELETE", "/a/c", h_other}, /* does not match "/a/b": left out */
        {"POST", "/a/{z}", h_other},
    };
    char allow[64];

    parse("PATCH", "/a/b");
    ck_assert_int_eq(router_match(table, 5, &req, NULL, NULL, allow, sizeof(allow)),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD, POST, PUT");
}
END_TEST

START_TEST(test_head_served_by_get)
{
    const struct router_route *route;
    struct router_params params;

    parse("HEAD", "/api/health");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[0]);
    teardown();
    /* The GET route's parameters, and the first GET in table order. */
    parse("HEAD", "/api/companies/acme");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[5]);
    ck_assert_str_eq(router_param(&params, "id"), "acme");
    teardown();
    parse("HEAD", "/api/donors/a%40b.org/notes/7");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[10]);
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
        {"GET", "/a/{x}", h_get},
        {"POST", "/a/{x}", h_other},
        {"HEAD", "/a/{y}", h_other},
    };
    const struct router_route *route;
    struct router_params params;
    char allow[64];

    /* A HEAD route wins over the GET one before it, and HEAD is listed once, in its place. */
    parse("HEAD", "/a/b");
    ck_assert_int_eq(router_match(table, 3, &req, &route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &table[2]);
    ck_assert_str_eq(router_param(&params, "y"), "b");
    teardown();
    parse("PUT", "/a/b");
    ck_assert_int_eq(router_match(table, 3, &req, &route, &params, allow, sizeof(allow)),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, POST, HEAD");
}
END_TEST

START_TEST(test_allow_never_cut_mid_method)
{
    const struct router_route *route;
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
    const struct router_route *route;
    struct router_params params;

    parse("GET", "/");
    ck_assert_int_eq(match(&route, &params, NULL, 0), ROUTER_FOUND);
    ck_assert_ptr_eq(route, &routes[11]);
    ck_assert_uint_eq(params.n, 0);
}
END_TEST

START_TEST(test_malformed_patterns_never_match)
{
    static const struct router_route bad[] = {
        {"GET", "a/{id}", h_get},
        {"GET", "/a/{}", h_get},
        {"GET", "/a/{a-name-that-is-much-longer-than-31}", h_get},
        {"GET", "/{a}/{b}/{c}/{d}/{e}", h_get},
        {"GET", NULL, h_get},
        {NULL, "/a/x", h_get},
    };
    const struct router_route *route;
    struct router_params params;

    parse("GET", "/a/x");
    ck_assert_int_eq(router_match(bad, 6, &req, &route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    parse("GET", "/a/b/c/d/e");
    ck_assert_int_eq(router_match(bad, 6, &req, &route, &params, NULL, 0), ROUTER_NOT_FOUND);
    teardown();
    /* A name of 31 bytes and four parameters are still fine. */
    {
        static const struct router_route edge[] = {
            {"GET", "/{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}", h_get},
            {"GET", "/{a}/{b}/{c}/{d}", h_other},
        };
        parse("GET", "/v");
        ck_assert_int_eq(router_match(edge, 2, &req, &route, &params, NULL, 0), ROUTER_FOUND);
        ck_assert_str_eq(router_param(&params, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "v");
        teardown();
        parse("GET", "/1/2/3/4");
        ck_assert_int_eq(router_match(edge, 2, &req, &route, &params, NULL, 0), ROUTER_FOUND);
        ck_assert_str_eq(router_param(&params, "d"), "4");
    }
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

    tcase_add_checked_fixture(tc, NULL, teardown);
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
    tcase_add_test(tc, test_malformed_patterns_never_match);
    tcase_add_test(tc, test_router_param_null_safe);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(router_suite)
