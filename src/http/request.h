/* One HTTP request as nginx hands it over FastCGI: the parse of untrusted bytes lives here and
 * nowhere else. Everything a handler sees is decoded, bounded and valid UTF-8. */
#ifndef SAVEALIFE_HTTP_REQUEST_H
#define SAVEALIFE_HTTP_REQUEST_H

#include <stddef.h>

#define HTTP_REQUEST_ID_MAX 64
#define HTTP_MAX_SEGMENTS 16
/* Query parameters of one request: a bulk delete's 100 ids (repeated id=), with room for
 * others. */
#define HTTP_MAX_QUERY 128

typedef enum {
    HTTP_REQ_OK = 0,
    HTTP_REQ_BAD,       /* malformed: bad percent-encoding, NUL, invalid UTF-8, dot segment,
                           missing method or URI, too many segments or query parameters: 400 */
    HTTP_REQ_TOO_LARGE, /* body (announced or read) beyond the limit: 413 */
    HTTP_REQ_IO,        /* the connection failed while reading the body */
    HTTP_REQ_NOMEM,
} http_req_status;

/* Reads up to len bytes of body into buf; returns the count, 0 at end, -1 on error. */
typedef long (*http_body_reader)(void *ctx, char *buf, size_t len);

/* Writes one line to the request's error stream (nginx's error_log under FastCGI). */
typedef void (*http_error_writer)(void *ctx, const char *line);

struct http_query_param {
    char *name;  /* decoded ('+' is a space), valid UTF-8, no NUL */
    char *value; /* decoded likewise */
};

struct http_request {
    char method[16];                   /* "GET", ... as sent */
    char *uri;                         /* REQUEST_URI as sent (path and query), for logs */
    char *segments[HTTP_MAX_SEGMENTS]; /* the path split on '/', each percent-decoded;
                                          "/api/companies/a%2Fb" is "api","companies","a/b" */
    size_t nsegments;                  /* a trailing '/' gives an empty last segment */
    struct http_query_param query[HTTP_MAX_QUERY]; /* in order, repeated names kept */
    size_t nquery;
    const char *content_type;             /* CONTENT_TYPE or NULL (points into params) */
    const char *authorization;            /* HTTP_AUTHORIZATION or NULL */
    const char *if_match;                 /* HTTP_IF_MATCH or NULL */
    const char *idempotency_key;          /* HTTP_IDEMPOTENCY_KEY or NULL, as sent */
    const char *remote_addr;              /* REMOTE_ADDR or NULL */
    const char *request_start;            /* REQUEST_START (nginx's $msec, "1700000000.123",
                                             when it passed the request on) or NULL */
    char request_id[HTTP_REQUEST_ID_MAX]; /* REQUEST_ID if it is 1-63 of [A-Za-z0-9._-], else
                                             32 random hex digits */
    char *body; /* NUL-terminated (the NUL is not counted), NULL when empty */
    size_t body_len;
    http_error_writer log_line; /* may be NULL: lines then go to standard error */
    void *log_ctx;
};

/* Parses a request from FastCGI params (a NULL-terminated "NAME=value" array, as libfcgi's
 * envp) and reads its body through reader, at most body_limit bytes: more than that, announced
 * by CONTENT_LENGTH or actually sent, is HTTP_REQ_TOO_LARGE. The body is read in full even when
 * CONTENT_LENGTH is absent or wrong. On any status but NOMEM/IO, req is filled far enough to
 * answer (method, uri and request_id are always set). Free with http_request_free. */
http_req_status http_request_parse(struct http_request *req, char *const *params,
                                   http_body_reader reader, void *reader_ctx, size_t body_limit);

/* The first value of a query parameter, or NULL. */
const char *http_request_query(const struct http_request *req, const char *name);

/* Whether the body's media type is application/json (any letter case, any parameters but a
 * charset other than utf-8, quoted or not, in any case). */
int http_request_is_json(const struct http_request *req);

/* Writes a printf-style line prefixed with the request id to the request's error stream. */
void http_request_log(const struct http_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees what the request owns; the struct can be parsed into again. */
void http_request_free(struct http_request *req);

#endif
