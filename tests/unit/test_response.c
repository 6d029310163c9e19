/* Responses: the exact CGI bytes written, problem documents read back with json-c, header
 * checks and reason phrases (RFC 9110 section 15). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../lib/check_main.h"
#include "http/response.h"

/* Collects what http_response_write writes; fails every call after fail_after calls. */
struct sink {
    char data[16384];
    size_t len;
    int calls, fail_after; /* -1: never */
};

static int
sink_write(void *ctx, const char *data, size_t len)
{
    struct sink *s = ctx;

    if (s->fail_after >= 0 && s->calls >= s->fail_after)
        return -1;
    s->calls++;
    ck_assert_uint_le(s->len + len, sizeof(s->data) - 1);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = '\0';
    return 0;
}

static void
sink_init(struct sink *s)
{
    s->len = 0;
    s->data[0] = '\0';
    s->calls = 0;
    s->fail_after = -1;
}

/* The body after the blank line, or NULL. */
static const char *
sink_body(const struct sink *s)
{
    const char *p = strstr(s->data, "\r\n\r\n");

    return p != NULL ? p + 4 : NULL;
}

/* Parses text as strict JSON, refusing invalid UTF-8. */
static json_object *
parse_json(const char *text)
{
    json_tokener *tok = json_tokener_new();
    json_object *obj;

    ck_assert_ptr_nonnull(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
    ck_assert_msg(json_tokener_get_error(tok) == json_tokener_success, "not JSON: %s", text);
    json_tokener_free(tok);
    return obj;
}

static const char *
member_string(json_object *obj, const char *key)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "no member %s", key);
    ck_assert_msg(json_object_is_type(v, json_type_string), "%s is not a string", key);
    return json_object_get_string(v);
}

START_TEST(test_created_with_json_body)
{
    struct http_response resp;
    struct sink out;
    json_object *body = json_object_new_object();

    json_object_object_add(body, "id", json_object_new_string("acme"));
    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 201, body), 0);
    json_object_put(body); /* the response keeps its own copy */
    ck_assert_int_eq(http_response_header(&resp, "ETag", "\"1\""), 0);
    ck_assert_int_eq(http_response_header(&resp, "X-Ddb-Calls", "1"), 0);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "abc-123", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 201 Created\r\n"
                               "Content-Type: application/json; charset=utf-8\r\n"
                               "Content-Length: 13\r\n"
                               "ETag: \"1\"\r\n"
                               "X-Ddb-Calls: 1\r\n"
                               "X-Request-Id: abc-123\r\n"
                               "\r\n"
                               "{\"id\":\"acme\"}");
    http_response_free(&resp);
}
END_TEST

START_TEST(test_head_only_keeps_the_head)
{
    struct http_response resp;
    struct sink out;
    json_object *body = json_object_new_object();

    /* The head GET's answer would have, Content-Length of its body included; no body. */
    json_object_object_add(body, "id", json_object_new_string("acme"));
    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 200, body), 0);
    json_object_put(body);
    ck_assert_int_eq(http_response_header(&resp, "ETag", "\"3\""), 0);
    resp.head_only = 1;
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "h1", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 200 OK\r\n"
                               "Content-Type: application/json; charset=utf-8\r\n"
                               "Content-Length: 13\r\n"
                               "ETag: \"3\"\r\n"
                               "X-Request-Id: h1\r\n"
                               "\r\n");
    ck_assert_int_eq(out.calls, 1);
    /* An error answers HEAD the same way: its problem document's length, no document. */
    ck_assert_int_eq(http_response_problem(&resp, 404, "h2", NULL, "no such company"), 0);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "h2", sink_write, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "Content-Type: application/problem+json\r\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "Content-Length: "));
    ck_assert_str_eq(sink_body(&out), "");
    http_response_free(&resp);
}
END_TEST

START_TEST(test_no_content)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    http_response_empty(&resp, 204);
    ck_assert_int_eq(http_response_header(&resp, "X-Ddb-Ms", "4"), 0);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r1", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 204 No Content\r\n"
                               "X-Ddb-Ms: 4\r\n"
                               "X-Request-Id: r1\r\n"
                               "\r\n");
    http_response_free(&resp);
}
END_TEST

START_TEST(test_no_content_drops_a_body)
{
    struct http_response resp;
    struct sink out;
    json_object *body = json_object_new_string("x");

    /* A body set before turning into 204 or 304 is never sent. */
    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 200, body), 0);
    resp.status = 304;
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r2", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 304 Not Modified\r\nX-Request-Id: r2\r\n\r\n");
    json_object_put(body);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_empty_body_has_zero_length)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 200, NULL), 0);
    ck_assert_str_eq(resp.content_type, "");
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r3", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 200 OK\r\nContent-Length: 0\r\nX-Request-Id: r3\r\n\r\n");
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_with_errors)
{
    struct http_response resp;
    struct sink out;
    json_object *errors = json_object_new_array(), *e, *doc, *v = NULL, *arr = NULL;
    const char *body;
    char expect_head[256];

    e = json_object_new_object();
    json_object_object_add(e, "field", json_object_new_string("email"));
    json_object_object_add(e, "message", json_object_new_string("is not an address"));
    json_object_array_add(errors, e);
    e = json_object_new_object();
    json_object_object_add(e, "field", json_object_new_string("type"));
    json_object_object_add(e, "message", json_object_new_string("must be one of A+ ..."));
    json_object_array_add(errors, e);

    http_response_init(&resp);
    ck_assert_int_eq(
        http_response_problem(&resp, 422, "req-42", errors, "%d fields are invalid", 2), 0);
    ck_assert_int_eq(resp.status, 422);
    ck_assert_str_eq(resp.content_type, "application/problem+json");
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "req-42", sink_write, &out), 0);
    body = sink_body(&out);
    ck_assert_ptr_nonnull(body);
    snprintf(expect_head, sizeof(expect_head),
             "Status: 422 Unprocessable Content\r\n"
             "Content-Type: application/problem+json\r\n"
             "Content-Length: %zu\r\n"
             "X-Request-Id: req-42\r\n"
             "\r\n",
             strlen(body));
    ck_assert_int_eq(strncmp(out.data, expect_head, strlen(expect_head)), 0);
    ck_assert_uint_eq(strlen(expect_head) + strlen(body), out.len);

    doc = parse_json(body);
    ck_assert_str_eq(member_string(doc, "type"), "about:blank");
    ck_assert_str_eq(member_string(doc, "title"), "Unprocessable Content");
    ck_assert_str_eq(member_string(doc, "detail"), "2 fields are invalid");
    ck_assert_str_eq(member_string(doc, "request_id"), "req-42");
    ck_assert(json_object_object_get_ex(doc, "status", &v));
    ck_assert(json_object_is_type(v, json_type_int));
    ck_assert_int_eq(json_object_get_int(v), 422);
    ck_assert(json_object_object_get_ex(doc, "errors", &arr));
    ck_assert(json_object_is_type(arr, json_type_array));
    ck_assert_uint_eq(json_object_array_length(arr), 2);
    ck_assert_str_eq(member_string(json_object_array_get_idx(arr, 0), "field"), "email");
    ck_assert_str_eq(member_string(json_object_array_get_idx(arr, 0), "message"),
                     "is not an address");
    ck_assert_str_eq(member_string(json_object_array_get_idx(arr, 1), "field"), "type");
    ck_assert_int_eq(json_object_object_length(doc), 6);
    json_object_put(doc);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_without_errors)
{
    struct http_response resp;
    json_object *doc, *v = NULL;

    http_response_init(&resp);
    ck_assert_int_eq(http_response_problem(&resp, 404, "r9", NULL, "no company %s", "acme"), 0);
    doc = parse_json(resp.body);
    ck_assert_uint_eq(strlen(resp.body), resp.body_len);
    ck_assert_str_eq(member_string(doc, "title"), "Not Found");
    ck_assert_str_eq(member_string(doc, "detail"), "no company acme");
    ck_assert(!json_object_object_get_ex(doc, "errors", &v));
    ck_assert_int_eq(json_object_object_length(doc), 5);
    json_object_put(doc);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_request_id_null)
{
    struct http_response resp;
    json_object *doc, *v = NULL;

    http_response_init(&resp);
    ck_assert_int_eq(http_response_problem(&resp, 400, NULL, NULL, "bad"), 0);
    doc = parse_json(resp.body);
    ck_assert(json_object_object_get_ex(doc, "request_id", &v));
    ck_assert_ptr_null(v);
    json_object_put(doc);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_detail_made_valid_json)
{
    struct http_response resp;
    json_object *doc;
    char detail[2000];

    /* Invalid UTF-8 and control bytes in a detail still give valid JSON. */
    http_response_init(&resp);
    ck_assert_int_eq(http_response_problem(&resp, 400, "r", NULL,
                                           "bad \xC0\xAF \xED\xA0\x80 \"q\"\n caf\xC3\xA9"),
                     0);
    doc = parse_json(resp.body);
    ck_assert_str_eq(member_string(doc, "detail"), "bad ?? ??? \"q\"\n caf\xC3\xA9");
    json_object_put(doc);
    /* A very long detail is cut, and a character cut in half does not break the JSON. */
    memset(detail, 'a', sizeof(detail));
    for (size_t i = 1; i + 1 < sizeof(detail); i += 2) {
        detail[i - 1] = '\xC3';
        detail[i] = '\xA9';
    }
    detail[sizeof(detail) - 1] = '\0';
    ck_assert_int_eq(http_response_problem(&resp, 400, "r", NULL, "xy%s", detail), 0);
    doc = parse_json(resp.body);
    /* 1023 bytes kept: "xy", 510 characters, and the first byte of the next as '?'. */
    ck_assert_uint_eq(strlen(member_string(doc, "detail")), 1023);
    ck_assert_int_eq(member_string(doc, "detail")[1022], '?');
    ck_assert_int_eq(member_string(doc, "detail")[1021], '\xA9');
    json_object_put(doc);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_refuses_bad_status_and_frees_errors)
{
    struct http_response resp;
    json_object *errors = json_object_new_array();

    /* LSan reports errors as a leak if the refused call did not drop the reference. */
    http_response_init(&resp);
    ck_assert_int_eq(http_response_problem(&resp, 0, "r", errors, "x"), -1);
    ck_assert_int_eq(resp.status, 0);
    ck_assert_ptr_null(resp.body);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_problem_replaces_earlier_body)
{
    struct http_response resp;
    json_object *body = json_object_new_string("partial");
    json_object *doc;

    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 200, body), 0);
    json_object_put(body);
    ck_assert_int_eq(http_response_problem(&resp, 503, "r", NULL, "later"), 0);
    ck_assert_int_eq(resp.status, 503);
    ck_assert_str_eq(resp.content_type, "application/problem+json");
    doc = parse_json(resp.body);
    ck_assert_str_eq(member_string(doc, "title"), "Service Unavailable");
    json_object_put(doc);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_header_checks)
{
    struct http_response resp;
    char long_value[2100];

    memset(long_value, 'v', sizeof(long_value));
    long_value[2047] = '\0';
    http_response_init(&resp);
    ck_assert_int_eq(http_response_header(&resp, "X-A", "a\r\nSet-Cookie: x"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X-A", "a\nb"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X-A", "a\rb"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X-A", "a\x01"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X A", "v"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X-A:", "v"), -1);
    ck_assert_int_eq(http_response_header(&resp, "", "v"), -1);
    ck_assert_int_eq(http_response_header(&resp, "status", "200 OK"), -1);
    ck_assert_int_eq(http_response_header(&resp, "Content-Length", "5"), -1);
    ck_assert_int_eq(http_response_header(&resp, "content-type", "text/html"), -1);
    ck_assert_int_eq(http_response_header(&resp, "X-Request-Id", "forged"), -1);
    ck_assert_uint_eq(resp.nheaders, 0);
    ck_assert_int_eq(http_response_header(&resp, "X-Long", long_value), 0); /* 2047 bytes */
    long_value[2047] = 'v';
    long_value[2048] = '\0';
    ck_assert_int_eq(http_response_header(&resp, "X-Long", long_value), -1); /* 2048 */
    ck_assert_int_eq(http_response_header(&resp, "X-Tab", "a\tb"), 0);
    ck_assert_uint_eq(resp.nheaders, 2);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_header_repeated_and_bounded)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    http_response_empty(&resp, 204);
    ck_assert_int_eq(http_response_header(&resp, "Vary", "a"), 0);
    ck_assert_int_eq(http_response_header(&resp, "Vary", "b"), 0);
    for (int i = 2; i < HTTP_MAX_HEADERS; i++)
        ck_assert_int_eq(http_response_header(&resp, "X-N", "n"), 0);
    ck_assert_int_eq(http_response_header(&resp, "X-Over", "o"), -1);
    ck_assert_uint_eq(resp.nheaders, HTTP_MAX_HEADERS);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "\r\nVary: a\r\nVary: b\r\n"));
    ck_assert_ptr_null(strstr(out.data, "X-Over"));
    http_response_free(&resp);
}
END_TEST

START_TEST(test_write_refuses_unset_status)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), -1);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(http_response_json(&resp, 99, NULL), -1);
    ck_assert_int_eq(http_response_json(&resp, 600, NULL), -1);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_write_reports_writer_failure)
{
    struct http_response resp;
    struct sink out;
    json_object *body = json_object_new_int(1);

    http_response_init(&resp);
    ck_assert_int_eq(http_response_json(&resp, 200, body), 0);
    json_object_put(body);
    sink_init(&out);
    out.fail_after = 0;
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), -1);
    sink_init(&out);
    out.fail_after = 1; /* the head goes, the body fails */
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), -1);
    http_response_free(&resp);
}
END_TEST

START_TEST(test_write_request_id_cannot_inject)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    http_response_empty(&resp, 204);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "a\r\nSet-Cookie: x", sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 204 No Content\r\nX-Request-Id: a??Set-Cookie:?x\r\n\r\n");
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, NULL, sink_write, &out), 0);
    ck_assert_str_eq(out.data, "Status: 204 No Content\r\nX-Request-Id: -\r\n\r\n");
    /* A header value set straight into the struct is still checked. */
    ck_assert_int_eq(http_response_header(&resp, "X-A", "ok"), 0);
    strcpy(resp.headers[0].value, "x\r\nY: z");
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), -1);
    ck_assert_uint_eq(out.len, 0);
    http_response_free(&resp);
}
END_TEST

/* RFC 9110 section 15 (413 and 422 under their RFC 9110 names). */
static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {299, "Unknown"},
    {0, "Unknown"},
};

START_TEST(test_reason_phrase)
{
    ck_assert_str_eq(http_status_reason(reasons[_i].status), reasons[_i].reason);
}
END_TEST

START_TEST(test_status_line_uses_reason)
{
    struct http_response resp;
    struct sink out;

    http_response_init(&resp);
    ck_assert_int_eq(http_response_problem(&resp, 413, "r", NULL, "too big"), 0);
    sink_init(&out);
    ck_assert_int_eq(http_response_write(&resp, "r", sink_write, &out), 0);
    ck_assert_int_eq(strncmp(out.data, "Status: 413 Content Too Large\r\n", 31), 0);
    http_response_free(&resp);
}
END_TEST

static Suite *
response_suite(void)
{
    Suite *s = suite_create("response");
    TCase *write = tcase_create("write");
    TCase *problem = tcase_create("problem");
    TCase *headers = tcase_create("headers");
    TCase *reason = tcase_create("reason");

    tcase_add_test(write, test_created_with_json_body);
    tcase_add_test(write, test_no_content);
    tcase_add_test(write, test_head_only_keeps_the_head);
    tcase_add_test(write, test_no_content_drops_a_body);
    tcase_add_test(write, test_empty_body_has_zero_length);
    tcase_add_test(write, test_write_refuses_unset_status);
    tcase_add_test(write, test_write_reports_writer_failure);
    tcase_add_test(write, test_write_request_id_cannot_inject);
    suite_add_tcase(s, write);

    tcase_add_test(problem, test_problem_with_errors);
    tcase_add_test(problem, test_problem_without_errors);
    tcase_add_test(problem, test_problem_request_id_null);
    tcase_add_test(problem, test_problem_detail_made_valid_json);
    tcase_add_test(problem, test_problem_refuses_bad_status_and_frees_errors);
    tcase_add_test(problem, test_problem_replaces_earlier_body);
    suite_add_tcase(s, problem);

    tcase_add_test(headers, test_header_checks);
    tcase_add_test(headers, test_header_repeated_and_bounded);
    suite_add_tcase(s, headers);

    tcase_add_loop_test(reason, test_reason_phrase, 0, (int)(sizeof(reasons) / sizeof(reasons[0])));
    tcase_add_test(reason, test_status_line_uses_reason);
    suite_add_tcase(s, reason);
    return s;
}

CHECK_MAIN(response_suite)
