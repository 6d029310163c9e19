/* Request parsing: params, path and query decoding, UTF-8, body bounds, request ids, logging.
 * Expected values are written out by hand from the rules (RFC 3986 percent-encoding, Unicode
 * table 3-7 for UTF-8), never taken from the parser's own output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/check_main.h"
#include "http/request.h"

#define LIMIT 64

/* A body source: hands out at most chunk bytes a call, then 0; -1 once fail_after bytes went. */
struct mem_reader {
    const char *data;
    size_t len, pos, chunk;
    long fail_after; /* -1: never */
    int calls;
};

static long
mem_read(void *ctx, char *buf, size_t len)
{
    struct mem_reader *r = ctx;
    size_t n = r->len - r->pos;

    r->calls++;
    if (r->fail_after >= 0 && r->pos >= (size_t)r->fail_after)
        return -1;
    if (n > len)
        n = len;
    if (r->chunk > 0 && n > r->chunk)
        n = r->chunk;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (long)n;
}

static struct mem_reader
reader_of(const char *data, size_t len)
{
    struct mem_reader r = {data, len, 0, 0, -1, 0};
    return r;
}

/* Params for a GET of uri (NULL: left out), with no body. */
static http_req_status
parse_uri(struct http_request *req, const char *uri)
{
    static char uri_param[1 << 18]; /* room for test_query_value_bound's 128 KB */
    char *params[] = {"REQUEST_METHOD=GET", uri_param, NULL};
    struct mem_reader r = reader_of("", 0);

    memset(req, 0, sizeof(*req));
    if (uri == NULL)
        params[1] = NULL;
    else
        snprintf(uri_param, sizeof(uri_param), "REQUEST_URI=%s", uri);
    return http_request_parse(req, params, mem_read, &r, LIMIT);
}

/* A POST of body with CONTENT_LENGTH clen (NULL: none). */
static http_req_status
parse_body(struct http_request *req, const char *clen, struct mem_reader *r, size_t limit)
{
    char clen_param[64];
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/api/donors", clen_param, NULL};

    memset(req, 0, sizeof(*req));
    if (clen == NULL)
        params[2] = NULL;
    else
        snprintf(clen_param, sizeof(clen_param), "CONTENT_LENGTH=%s", clen);
    return http_request_parse(req, params, mem_read, r, limit);
}

static int
is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (; *s != '\0'; s++)
        if (!strchr("0123456789abcdef", *s))
            return 0;
    return 1;
}

START_TEST(test_fields_from_params)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=PATCH",
                      "REQUEST_URI=/api/donors/a%40b.org?x=1",
                      "CONTENT_TYPE=application/json",
                      "HTTP_AUTHORIZATION=Bearer t0k",
                      "HTTP_IF_MATCH=\"3\"",
                      "REQUEST_ID=0123abcd",
                      "REMOTE_ADDR=127.0.0.1",
                      "CONTENT_LENGTH=2",
                      NULL};
    struct mem_reader r = reader_of("{}", 2);

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, mem_read, &r, LIMIT), HTTP_REQ_OK);
    ck_assert_str_eq(req.method, "PATCH");
    ck_assert_str_eq(req.uri, "/api/donors/a%40b.org?x=1");
    ck_assert_uint_eq(req.nsegments, 3);
    ck_assert_str_eq(req.segments[0], "api");
    ck_assert_str_eq(req.segments[1], "donors");
    ck_assert_str_eq(req.segments[2], "a@b.org");
    ck_assert_str_eq(req.content_type, "application/json");
    ck_assert_str_eq(req.authorization, "Bearer t0k");
    ck_assert_str_eq(req.if_match, "\"3\"");
    ck_assert_str_eq(req.remote_addr, "127.0.0.1");
    ck_assert_str_eq(req.request_id, "0123abcd");
    ck_assert_uint_eq(req.body_len, 2);
    ck_assert_str_eq(req.body, "{}");
    http_request_free(&req);
}
END_TEST

START_TEST(test_absent_headers_are_null)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "CONTENT_TYPE=", NULL};

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_ptr_null(req.content_type); /* nginx sends "" for an absent Content-Type */
    ck_assert_ptr_null(req.authorization);
    ck_assert_ptr_null(req.if_match);
    ck_assert_ptr_null(req.remote_addr);
    ck_assert_ptr_null(req.body);
    http_request_free(&req);
}
END_TEST

START_TEST(test_missing_uri_is_bad)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, NULL), HTTP_REQ_BAD);
    ck_assert_str_eq(req.method, "GET");
    ck_assert_ptr_nonnull(req.uri);
    ck_assert_str_eq(req.uri, "");
    ck_assert(is_hex32(req.request_id));
    http_request_free(&req);
}
END_TEST

START_TEST(test_missing_method_is_bad)
{
    struct http_request req;
    char *params[] = {"REQUEST_URI=/api/health", "REQUEST_ID=abc", NULL};

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_BAD);
    ck_assert_str_eq(req.method, "");
    ck_assert_str_eq(req.uri, "/api/health");
    ck_assert_str_eq(req.request_id, "abc");
    http_request_free(&req);
}
END_TEST

START_TEST(test_overlong_method_is_bad)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=AVERYLONGMETHODNAME", "REQUEST_URI=/", NULL};

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_BAD);
    ck_assert_str_eq(req.method, "");
    http_request_free(&req);
}
END_TEST

START_TEST(test_path_must_start_with_slash)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "api/health"), HTTP_REQ_BAD);
    ck_assert_str_eq(req.uri, "api/health");
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "*"), HTTP_REQ_BAD);
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "?a=b"), HTTP_REQ_BAD);
    http_request_free(&req);
}
END_TEST

START_TEST(test_root_has_no_segments)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 0);
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/?a=1"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 0);
    ck_assert_uint_eq(req.nquery, 1);
    http_request_free(&req);
}
END_TEST

START_TEST(test_encoded_slash_stays_in_segment)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/api/companies/a%2Fb"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 3);
    ck_assert_str_eq(req.segments[0], "api");
    ck_assert_str_eq(req.segments[1], "companies");
    ck_assert_str_eq(req.segments[2], "a/b");
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a%2f..%2Fb"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 1);
    ck_assert_str_eq(req.segments[0], "a/../b");
    http_request_free(&req);
}
END_TEST

START_TEST(test_hex_either_case)
{
    struct http_request req;

    /* U+00E9 is C3 A9 in UTF-8. */
    ck_assert_int_eq(parse_uri(&req, "/%c3%A9/%C3%a9/%41"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 3);
    ck_assert_str_eq(req.segments[0], "\xC3\xA9");
    ck_assert_str_eq(req.segments[1], "\xC3\xA9");
    ck_assert_str_eq(req.segments[2], "A");
    http_request_free(&req);
}
END_TEST

START_TEST(test_plus_stays_plus_in_path)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/a+b"), HTTP_REQ_OK);
    ck_assert_str_eq(req.segments[0], "a+b");
    http_request_free(&req);
}
END_TEST

START_TEST(test_trailing_slash_gives_empty_segment)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/api/companies/"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 3);
    ck_assert_str_eq(req.segments[2], "");
    http_request_free(&req);
}
END_TEST

static const char *const bad_escapes[] = {"/a%", "/a%4", "/a%zz", "/a%G0", "/%%41", "/a%4g/b"};

START_TEST(test_bad_escape_in_path)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, bad_escapes[_i]), HTTP_REQ_BAD);
    ck_assert_uint_eq(req.nsegments, 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_decoded_nul_in_path)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/api/companies/a%00b"), HTTP_REQ_BAD);
    http_request_free(&req);
}
END_TEST

static const char *const dot_paths[] = {"/.",          "/..",        "/a/./b",   "/a/../b",
                                        "/a/%2e%2e/b", "/a/%2E%2e",  "/a/%2e/b", "/.%2e/x",
                                        "/%2e./x",     "/api/../etc"};

START_TEST(test_dot_segment_refused)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, dot_paths[_i]), HTTP_REQ_BAD);
    http_request_free(&req);
}
END_TEST

START_TEST(test_dots_inside_segment_allowed)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/.a/.../a..b/%2e%2e%2e"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, 4);
    ck_assert_str_eq(req.segments[0], ".a");
    ck_assert_str_eq(req.segments[1], "...");
    ck_assert_str_eq(req.segments[2], "a..b");
    ck_assert_str_eq(req.segments[3], "...");
    http_request_free(&req);
}
END_TEST

START_TEST(test_invalid_utf8_in_path)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/a/%C0%AF"), HTTP_REQ_BAD); /* overlong '/' */
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a/\xC0\xAF"), HTTP_REQ_BAD); /* the same, raw */
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a/%ED%A0%80"), HTTP_REQ_BAD); /* U+D800 */
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a/%F4%90%80%80"), HTTP_REQ_BAD); /* U+110000 */
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a/%FF"), HTTP_REQ_BAD);
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/a/%F4%8F%BF%BF"), HTTP_REQ_OK); /* U+10FFFF */
    ck_assert_str_eq(req.segments[1], "\xF4\x8F\xBF\xBF");
    http_request_free(&req);
}
END_TEST

START_TEST(test_segment_count_bound)
{
    struct http_request req;
    char uri[128] = "";

    for (int i = 0; i < HTTP_MAX_SEGMENTS; i++)
        strcat(uri, "/s");
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nsegments, HTTP_MAX_SEGMENTS);
    http_request_free(&req);
    strcat(uri, "/s");
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_BAD);
    ck_assert_uint_eq(req.nsegments, 0);
    http_request_free(&req);
    /* An empty segment counts too: a trailing '/' after 16 segments is one too many. */
    uri[strlen(uri) - 1] = '\0';
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_BAD);
    http_request_free(&req);
}
END_TEST

START_TEST(test_query_split_and_decoded)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/q?city=New+York&type=A%2B&id=a&id=b&flag&x=1%3D2=3"),
                     HTTP_REQ_OK);
    ck_assert_uint_eq(req.nquery, 6);
    ck_assert_str_eq(req.query[0].name, "city");
    ck_assert_str_eq(req.query[0].value, "New York");
    ck_assert_str_eq(req.query[1].name, "type");
    ck_assert_str_eq(req.query[1].value, "A+");
    ck_assert_str_eq(req.query[2].name, "id");
    ck_assert_str_eq(req.query[2].value, "a");
    ck_assert_str_eq(req.query[3].name, "id");
    ck_assert_str_eq(req.query[3].value, "b");
    ck_assert_str_eq(req.query[4].name, "flag");
    ck_assert_str_eq(req.query[4].value, "");
    ck_assert_str_eq(req.query[5].name, "x");
    ck_assert_str_eq(req.query[5].value, "1=2=3");
    http_request_free(&req);
}
END_TEST

START_TEST(test_query_empty_pieces_skipped)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/q?&&a=1&&&b=&"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nquery, 2);
    ck_assert_str_eq(req.query[0].name, "a");
    ck_assert_str_eq(req.query[0].value, "1");
    ck_assert_str_eq(req.query[1].name, "b");
    ck_assert_str_eq(req.query[1].value, "");
    http_request_free(&req);
    ck_assert_int_eq(parse_uri(&req, "/q?"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nquery, 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_query_name_decoded)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/q?a+b%5B%5D=c+d&%C3%A9"), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nquery, 2);
    ck_assert_str_eq(req.query[0].name, "a b[]");
    ck_assert_str_eq(req.query[0].value, "c d");
    ck_assert_str_eq(req.query[1].name, "\xC3\xA9");
    http_request_free(&req);
}
END_TEST

static const char *const bad_queries[] = {
    "/q?a=%",        "/q?a=%2",        "/q?a=%xy",
    "/q?%=1",        "/q?a=%00",       "/q?a%00=1",
    "/q?a=%C0%AF",   "/q?a=%ED%A0%80", "/q?a=%F4%90%80%80",
    "/q?ok=1&a=%FE", "/q?a=\xC0\xAF",
};

START_TEST(test_query_bad)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, bad_queries[_i]), HTTP_REQ_BAD);
    ck_assert_uint_eq(req.nquery, 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_query_count_bound)
{
    struct http_request req;
    char uri[1024] = "/q?";

    /* a bulk delete's 100 ids and a few more parameters fit */
    ck_assert_int_ge(HTTP_MAX_QUERY, 110);
    for (int i = 0; i < HTTP_MAX_QUERY; i++)
        strcat(uri, "k=v&");
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_OK);
    ck_assert_uint_eq(req.nquery, HTTP_MAX_QUERY);
    http_request_free(&req);
    strcat(uri, "k=v");
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_BAD);
    http_request_free(&req);
}
END_TEST

START_TEST(test_query_value_bound)
{
    struct http_request req;
    enum { DECODED = 65536, HALF = DECODED / 2 };
    char *uri = malloc(HALF * 3 + HALF + 16);
    size_t n;

    ck_assert_ptr_nonnull(uri);
    /* 64 KB decoded (a bulk delete's filter of 100 long ids), written as "%41"s and "B"s. */
    n = (size_t)sprintf(uri, "/q?v=");
    for (int i = 0; i < HALF; i++)
        n += (size_t)sprintf(uri + n, "%%41");
    memset(uri + n, 'B', HALF);
    uri[n + HALF] = '\0';
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_OK);
    ck_assert_uint_eq(strlen(req.query[0].value), DECODED);
    ck_assert_int_eq(req.query[0].value[0], 'A');
    ck_assert_int_eq(req.query[0].value[DECODED - 1], 'B');
    http_request_free(&req);
    strcat(uri, "B");
    ck_assert_int_eq(parse_uri(&req, uri), HTTP_REQ_BAD);
    http_request_free(&req);
    free(uri);
}
END_TEST

START_TEST(test_query_lookup)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/q?id=a&limit=5&id=b&empty"), HTTP_REQ_OK);
    ck_assert_str_eq(http_request_query(&req, "id"), "a");
    ck_assert_str_eq(http_request_query(&req, "limit"), "5");
    ck_assert_str_eq(http_request_query(&req, "empty"), "");
    ck_assert_ptr_null(http_request_query(&req, "cursor"));
    ck_assert_ptr_null(http_request_query(&req, "ID"));
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_at_limit_with_length)
{
    struct http_request req;
    char body[LIMIT];
    char clen[16];
    struct mem_reader r;

    memset(body, 'x', sizeof(body));
    r = reader_of(body, LIMIT);
    snprintf(clen, sizeof(clen), "%d", LIMIT);
    ck_assert_int_eq(parse_body(&req, clen, &r, LIMIT), HTTP_REQ_OK);
    ck_assert_uint_eq(req.body_len, LIMIT);
    ck_assert_int_eq(memcmp(req.body, body, LIMIT), 0);
    ck_assert_int_eq(req.body[LIMIT], '\0');
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_over_limit_announced)
{
    struct http_request req;
    char body[LIMIT + 1];
    char clen[16];
    struct mem_reader r;

    memset(body, 'x', sizeof(body));
    r = reader_of(body, sizeof(body));
    snprintf(clen, sizeof(clen), "%d", LIMIT + 1);
    ck_assert_int_eq(parse_body(&req, clen, &r, LIMIT), HTTP_REQ_TOO_LARGE);
    ck_assert_int_eq(r.calls, 0); /* refused before reading anything */
    ck_assert_ptr_null(req.body);
    ck_assert_str_eq(req.method, "POST");
    ck_assert_str_eq(req.uri, "/api/donors");
    ck_assert(is_hex32(req.request_id));
    http_request_free(&req);
    /* A length far beyond the limit but within size_t is too large, not malformed. */
    r = reader_of(body, sizeof(body));
    ck_assert_int_eq(parse_body(&req, "18446744073709551615", &r, LIMIT), HTTP_REQ_TOO_LARGE);
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_at_limit_without_length)
{
    struct http_request req;
    char body[LIMIT];
    struct mem_reader r;

    memset(body, 'y', sizeof(body));
    r = reader_of(body, LIMIT);
    ck_assert_int_eq(parse_body(&req, NULL, &r, LIMIT), HTTP_REQ_OK);
    ck_assert_uint_eq(req.body_len, LIMIT);
    ck_assert_int_eq(memcmp(req.body, body, LIMIT), 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_over_limit_without_length)
{
    struct http_request req;
    static char body[100000];
    struct mem_reader r;

    memset(body, 'z', sizeof(body));
    r = reader_of(body, LIMIT + 1);
    ck_assert_int_eq(parse_body(&req, NULL, &r, LIMIT), HTTP_REQ_TOO_LARGE);
    ck_assert_ptr_null(req.body);
    http_request_free(&req);
    /* A long stream is not read to its end: reading stops one byte past the limit. */
    r = reader_of(body, sizeof(body));
    ck_assert_int_eq(parse_body(&req, NULL, &r, LIMIT), HTTP_REQ_TOO_LARGE);
    ck_assert_uint_eq(r.pos, LIMIT + 1);
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_read_in_small_pieces)
{
    struct http_request req;
    static char body[10000];
    struct mem_reader r;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + i % 26);
    r = reader_of(body, sizeof(body));
    r.chunk = 7;
    ck_assert_int_eq(parse_body(&req, NULL, &r, 65536), HTTP_REQ_OK);
    ck_assert_uint_eq(req.body_len, sizeof(body));
    ck_assert_int_eq(memcmp(req.body, body, sizeof(body)), 0);
    http_request_free(&req);
    r = reader_of(body, sizeof(body));
    r.chunk = 1000;
    ck_assert_int_eq(parse_body(&req, "10000", &r, 65536), HTTP_REQ_OK);
    ck_assert_uint_eq(req.body_len, sizeof(body));
    ck_assert_int_eq(memcmp(req.body, body, sizeof(body)), 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_shorter_than_length)
{
    struct http_request req;
    struct mem_reader r = reader_of("12345", 5);

    ck_assert_int_eq(parse_body(&req, "10", &r, LIMIT), HTTP_REQ_BAD);
    ck_assert_ptr_null(req.body);
    ck_assert_uint_eq(req.body_len, 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_body_longer_than_length)
{
    struct http_request req;
    char body[LIMIT + 1];
    struct mem_reader r = reader_of("1234567890", 10);

    ck_assert_int_eq(parse_body(&req, "5", &r, LIMIT), HTTP_REQ_BAD);
    ck_assert_ptr_null(req.body);
    http_request_free(&req);
    /* A small announced length does not let a larger body past the limit. */
    memset(body, 'x', sizeof(body));
    r = reader_of(body, sizeof(body));
    ck_assert_int_eq(parse_body(&req, "5", &r, LIMIT), HTTP_REQ_TOO_LARGE);
    ck_assert_uint_eq(r.pos, LIMIT + 1);
    http_request_free(&req);
}
END_TEST

static const char *const bad_lengths[] = {"abc", "+5",   "-1",  " 5",
                                          "5 ",  "0x10", "1e3", "99999999999999999999999999"};

START_TEST(test_malformed_content_length)
{
    struct http_request req;
    struct mem_reader r = reader_of("", 0);

    ck_assert_int_eq(parse_body(&req, bad_lengths[_i], &r, LIMIT), HTTP_REQ_BAD);
    ck_assert_int_eq(r.calls, 0);
    http_request_free(&req);
}
END_TEST

START_TEST(test_empty_body)
{
    struct http_request req;
    struct mem_reader r = reader_of("", 0);

    ck_assert_int_eq(parse_body(&req, "0", &r, LIMIT), HTTP_REQ_OK);
    ck_assert_ptr_null(req.body);
    ck_assert_uint_eq(req.body_len, 0);
    http_request_free(&req);
    r = reader_of("", 0);
    ck_assert_int_eq(parse_body(&req, "", &r, LIMIT), HTTP_REQ_OK); /* nginx: no length */
    ck_assert_ptr_null(req.body);
    http_request_free(&req);
    r = reader_of("{}", 2);
    ck_assert_int_eq(parse_body(&req, "", &r, LIMIT), HTTP_REQ_OK);
    ck_assert_str_eq(req.body, "{}");
    http_request_free(&req);
}
END_TEST

START_TEST(test_zero_limit)
{
    struct http_request req;
    struct mem_reader r = reader_of("", 0);

    ck_assert_int_eq(parse_body(&req, NULL, &r, 0), HTTP_REQ_OK);
    http_request_free(&req);
    r = reader_of("x", 1);
    ck_assert_int_eq(parse_body(&req, NULL, &r, 0), HTTP_REQ_TOO_LARGE);
    http_request_free(&req);
}
END_TEST

START_TEST(test_reader_failure_is_io)
{
    struct http_request req;
    struct mem_reader r = reader_of("0123456789", 10);

    r.chunk = 4;
    r.fail_after = 4;
    ck_assert_int_eq(parse_body(&req, "10", &r, LIMIT), HTTP_REQ_IO);
    ck_assert_ptr_null(req.body);
    ck_assert_str_eq(req.uri, "/api/donors");
    http_request_free(&req);
}
END_TEST

START_TEST(test_request_id_passed_through)
{
    struct http_request req;
    char id63[80], param[96];
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", param, NULL};

    memset(id63, 'a', 63);
    id63[63] = '\0';
    id63[0] = 'Z';
    id63[1] = '9';
    id63[2] = '.';
    id63[3] = '_';
    id63[4] = '-';
    snprintf(param, sizeof(param), "REQUEST_ID=%s", id63);
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_str_eq(req.request_id, id63);
    http_request_free(&req);
}
END_TEST

static const char *const bad_ids[] = {
    "REQUEST_ID=",
    "REQUEST_ID=has space",
    "REQUEST_ID=a\r\nX-Injected: 1",
    "REQUEST_ID=semi;colon",
    "REQUEST_ID=\xC3\xA9",
    "REQUEST_ID=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    "NOT_A_REQUEST_ID=abc",
};

START_TEST(test_request_id_generated)
{
    struct http_request req, other;
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", (char *)bad_ids[_i], NULL};

    memset(&req, 0, sizeof(req));
    memset(&other, 0, sizeof(other));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_msg(is_hex32(req.request_id), "id \"%s\"", req.request_id);
    ck_assert_int_eq(http_request_parse(&other, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_str_ne(req.request_id, other.request_id);
    http_request_free(&req);
    http_request_free(&other);
}
END_TEST

START_TEST(test_request_id_set_on_bad)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/a/%zz", "REQUEST_ID=r-1", NULL};

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_BAD);
    ck_assert_str_eq(req.request_id, "r-1");
    ck_assert_str_eq(req.method, "GET");
    ck_assert_str_eq(req.uri, "/a/%zz");
    http_request_free(&req);
}
END_TEST

static const struct {
    const char *content_type;
    int json;
} json_types[] = {
    {"application/json", 1},
    {"application/json; charset=utf-8", 1},
    {"Application/JSON;charset=UTF-8", 1},
    {"application/json ; charset=utf-8", 1},
    {" application/json\t", 1},
    {"application/jsonp", 0},
    {"application/json-seq", 0},
    {"application/problem+json", 0},
    {"text/json", 0},
    {"text/plain", 0},
    {"application/x-www-form-urlencoded", 0},
    {"application/", 0},
    /* JSON is UTF-8: any other charset is another media type (415) */
    {"application/json; charset=\"utf-8\"", 1},
    {"application/json; charset=\"UTF-8\"; x=1", 1},
    {"application/json; foo=bar", 1},
    {"application/json; foo; charset=utf-8", 1},
    {"application/json; charset=latin1", 0},
    {"application/json; charset=ISO-8859-1", 0},
    {"application/json;charset=\"utf-16\"", 0},
    {"application/json; charset=utf-8; charset=latin1", 0},
    {"application/json; foo ; charset=latin1", 0},
    {"application/json; x=\"a;b\"; charset=utf-7", 0},
    {"application/json; charset=", 0},
    {"application/json; charset=utf-8x", 0},
};

START_TEST(test_is_json)
{
    struct http_request req;
    char param[128];
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", param, NULL};

    snprintf(param, sizeof(param), "CONTENT_TYPE=%s", json_types[_i].content_type);
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_msg(http_request_is_json(&req) == json_types[_i].json, "\"%s\"",
                  json_types[_i].content_type);
    http_request_free(&req);
}
END_TEST

START_TEST(test_is_json_without_type)
{
    struct http_request req;

    ck_assert_int_eq(parse_uri(&req, "/"), HTTP_REQ_OK);
    ck_assert_int_eq(http_request_is_json(&req), 0);
    http_request_free(&req);
}
END_TEST

struct log_capture {
    char line[4096];
    int count;
};

static void
capture_line(void *ctx, const char *line)
{
    struct log_capture *c = ctx;

    snprintf(c->line, sizeof(c->line), "%s", line);
    c->count++;
}

START_TEST(test_log_prefix_and_control_bytes)
{
    struct http_request req;
    struct log_capture cap = {"", 0};
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "REQUEST_ID=req-7", NULL};

    memset(&req, 0, sizeof(req));
    /* Set before the parse: the parse keeps the caller's error stream. */
    req.log_line = capture_line;
    req.log_ctx = &cap;
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    ck_assert_ptr_eq(req.log_ctx, &cap);
    http_request_log(&req, "ddb %s failed: %d", "put", 3);
    ck_assert_int_eq(cap.count, 1);
    ck_assert_str_eq(cap.line, "[req-7] ddb put failed: 3");
    http_request_log(&req, "a\r\nb\tc%c\x7f", 1);
    ck_assert_int_eq(cap.count, 2);
    ck_assert_str_eq(cap.line, "[req-7] a??b?c??");
    http_request_free(&req);
}
END_TEST

START_TEST(test_log_to_stderr_without_writer)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "REQUEST_ID=req-8", NULL};
    char buf[256];
    FILE *tmp = tmpfile();
    int saved;
    size_t n;

    ck_assert_ptr_nonnull(tmp);
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, NULL, NULL, LIMIT), HTTP_REQ_OK);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
    http_request_log(&req, "line\none");
    fflush(stderr);
    ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
    close(saved);
    rewind(tmp);
    n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    ck_assert_str_eq(buf, "[req-8] line?one\n");
    http_request_free(&req);
}
END_TEST

START_TEST(test_free_then_parse_again)
{
    struct http_request req;
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/a/b?c=d", "CONTENT_LENGTH=3", NULL};
    struct mem_reader r = reader_of("abc", 3);

    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(http_request_parse(&req, params, mem_read, &r, LIMIT), HTTP_REQ_OK);
    http_request_free(&req);
    ck_assert_ptr_null(req.body);
    ck_assert_uint_eq(req.nsegments, 0);
    ck_assert_uint_eq(req.nquery, 0);
    http_request_free(&req); /* twice is harmless */
    r = reader_of("xyz", 3);
    ck_assert_int_eq(http_request_parse(&req, params, mem_read, &r, LIMIT), HTTP_REQ_OK);
    ck_assert_str_eq(req.body, "xyz");
    ck_assert_str_eq(req.segments[1], "b");
    http_request_free(&req);
}
END_TEST

static Suite *
request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *params = tcase_create("params");
    TCase *path = tcase_create("path");
    TCase *query = tcase_create("query");
    TCase *body = tcase_create("body");
    TCase *misc = tcase_create("misc");

    tcase_add_test(params, test_fields_from_params);
    tcase_add_test(params, test_absent_headers_are_null);
    tcase_add_test(params, test_missing_uri_is_bad);
    tcase_add_test(params, test_missing_method_is_bad);
    tcase_add_test(params, test_overlong_method_is_bad);
    tcase_add_test(params, test_request_id_passed_through);
    tcase_add_loop_test(params, test_request_id_generated, 0,
                        (int)(sizeof(bad_ids) / sizeof(bad_ids[0])));
    tcase_add_test(params, test_request_id_set_on_bad);
    suite_add_tcase(s, params);

    tcase_add_test(path, test_path_must_start_with_slash);
    tcase_add_test(path, test_root_has_no_segments);
    tcase_add_test(path, test_encoded_slash_stays_in_segment);
    tcase_add_test(path, test_hex_either_case);
    tcase_add_test(path, test_plus_stays_plus_in_path);
    tcase_add_test(path, test_trailing_slash_gives_empty_segment);
    tcase_add_loop_test(path, test_bad_escape_in_path, 0,
                        (int)(sizeof(bad_escapes) / sizeof(bad_escapes[0])));
    tcase_add_test(path, test_decoded_nul_in_path);
    tcase_add_loop_test(path, test_dot_segment_refused, 0,
                        (int)(sizeof(dot_paths) / sizeof(dot_paths[0])));
    tcase_add_test(path, test_dots_inside_segment_allowed);
    tcase_add_test(path, test_invalid_utf8_in_path);
    tcase_add_test(path, test_segment_count_bound);
    suite_add_tcase(s, path);

    tcase_add_test(query, test_query_split_and_decoded);
    tcase_add_test(query, test_query_empty_pieces_skipped);
    tcase_add_test(query, test_query_name_decoded);
    tcase_add_loop_test(query, test_query_bad, 0,
                        (int)(sizeof(bad_queries) / sizeof(bad_queries[0])));
    tcase_add_test(query, test_query_count_bound);
    tcase_add_test(query, test_query_value_bound);
    tcase_add_test(query, test_query_lookup);
    suite_add_tcase(s, query);

    tcase_add_test(body, test_body_at_limit_with_length);
    tcase_add_test(body, test_body_over_limit_announced);
    tcase_add_test(body, test_body_at_limit_without_length);
    tcase_add_test(body, test_body_over_limit_without_length);
    tcase_add_test(body, test_body_read_in_small_pieces);
    tcase_add_test(body, test_body_shorter_than_length);
    tcase_add_test(body, test_body_longer_than_length);
    tcase_add_loop_test(body, test_malformed_content_length, 0,
                        (int)(sizeof(bad_lengths) / sizeof(bad_lengths[0])));
    tcase_add_test(body, test_empty_body);
    tcase_add_test(body, test_zero_limit);
    tcase_add_test(body, test_reader_failure_is_io);
    suite_add_tcase(s, body);

    tcase_add_loop_test(misc, test_is_json, 0, (int)(sizeof(json_types) / sizeof(json_types[0])));
    tcase_add_test(misc, test_is_json_without_type);
    tcase_add_test(misc, test_log_prefix_and_control_bytes);
    tcase_add_test(misc, test_log_to_stderr_without_writer);
    tcase_add_test(misc, test_free_then_parse_again);
    suite_add_tcase(s, misc);
    return s;
}

CHECK_MAIN(request_suite)
