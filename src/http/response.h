/* One HTTP response: status, headers and a body, written to FastCGI's stdout as a CGI
 * response ("Status: 201 Created", headers, blank line, body). Errors are RFC 9457 problem
 * documents carrying the request id. */
#ifndef SAVEALIFE_HTTP_RESPONSE_H
#define SAVEALIFE_HTTP_RESPONSE_H

#include <stddef.h>

#include <json-c/json.h>

#define HTTP_MAX_HEADERS 16

struct http_header {
    char name[48];
    char value[2048];
};

struct http_response {
    int status;            /* 0 until set */
    char content_type[64]; /* "" when there is no body */
    size_t nheaders;
    char *body; /* owned, may be NULL */
    size_t body_len;
    int head_only; /* an answer to HEAD: the same head, Content-Length included, no body */
    /* Last, so that http_response_init clears everything before it and not these 33 kB, of
     * which only the first nheaders are ever read. */
    struct http_header headers[HTTP_MAX_HEADERS];
};

/* Writes len bytes; returns 0, or -1 when the connection failed. */
typedef int (*http_writer)(void *ctx, const char *data, size_t len);

/* An empty response (status 0, no headers, no body). */
void http_response_init(struct http_response *resp);

/* Frees the body; the struct can be used again after http_response_init. */
void http_response_free(struct http_response *resp);

/* Adds a header (a second one of the same name is added, not replaced). Values with CR, LF
 * or beyond 2047 bytes are refused (a percent-encoded Location of a
 * 100-character id fits). Returns 0 or -1. */
int http_response_header(struct http_response *resp, const char *name, const char *value);

/* Sets status and a JSON body, "application/json; charset=utf-8" (body may be NULL: "null"
 * is not sent, the response has no body). Returns 0 or -1 (out of memory). */
int http_response_json(struct http_response *resp, int status, json_object *body);

/* Sets status and a body of len bytes (copied) of the given media type, which must fit
 * content_type and hold no CR or LF. Returns 0 or -1 (refused, or out of memory). */
int http_response_text(struct http_response *resp, int status, const char *content_type,
                       const char *body, size_t len);

/* Sets status with no body (204, 304). */
void http_response_empty(struct http_response *resp, int status);

/* An "application/problem+json" error: {"type":"about:blank","title":<reason phrase>,
 * "status","detail","request_id"} plus "errors" when given (an array of {"field","message"},
 * reference taken over). detail is printf-style. Returns 0 or -1. */
int http_response_problem(struct http_response *resp, int status, const char *request_id,
                          json_object *errors, const char *detail_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *http_status_reason(int status);

/* Writes the response as CGI output: "Status:", Content-Type, Content-Length, the headers,
 * "X-Request-Id: <request_id>", a blank line, the body (left out when head_only is set).
 * Returns 0 or -1. */
int http_response_write(const struct http_response *resp, const char *request_id,
                        http_writer writer, void *ctx);

#endif
