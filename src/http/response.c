/* Responses: JSON bodies, RFC 9457 problem documents, and their CGI encoding for FastCGI. */
#include "http/response.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"
#include "util/jobj.h"
#include "util/utf8.h"

#define CONTENT_TYPE_JSON "application/json; charset=utf-8"
#define CONTENT_TYPE_PROBLEM "application/problem+json"
/* A detail is one sentence for a person; longer ones are cut. */
#define DETAIL_MAX 1024
/* Status line, the fixed headers (content type under 64, request id under 64) and
 * HTTP_MAX_HEADERS of at most 47 + 2047 bytes, with room to spare. */
#define HEAD_MAX 40960

/* Written by http_response_write itself: a handler adding one would duplicate or contradict
 * it, and a second Status would change the answer. */
static const char *const reserved_headers[] = {"Status", "Content-Type", "Content-Length",
                                               "X-Request-Id"};

void
http_response_init(struct http_response *resp)
{
    memset(resp, 0, offsetof(struct http_response, headers));
}

void
http_response_free(struct http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

static int
status_valid(int status)
{
    return status >= 200 && status <= 599;
}

/* RFC 9110 token characters. */
static int
is_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7F && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

/* Terminated within max bytes, and no CR or LF to end the header early (nor other controls,
 * which are not field content either). */
static int
field_value_safe(const char *value, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c == '\0')
            return 1;
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return 0;
    }
    return 0;
}

int
http_response_header(struct http_response *resp, const char *name, const char *value)
{
    size_t nlen, vlen;

    if (resp == NULL || name == NULL || value == NULL || resp->nheaders >= HTTP_MAX_HEADERS)
        return -1;
    nlen = strlen(name);
    vlen = strlen(value);
    if (nlen == 0 || nlen >= sizeof(resp->headers[0].name) ||
        vlen >= sizeof(resp->headers[0].value))
        return -1;
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char)name[i]))
            return -1;
    if (!field_value_safe(value, sizeof(resp->headers[0].value)))
        return -1;
    for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++)
        if (strcasecmp(name, reserved_headers[i]) == 0)
            return -1;
    memcpy(resp->headers[resp->nheaders].name, name, nlen + 1);
    memcpy(resp->headers[resp->nheaders].value, value, vlen + 1);
    resp->nheaders++;
    return 0;
}

/* Copies body[0..len) (and a NUL) as the body; the response is unchanged on failure. */
static int
set_body(struct http_response *resp, int status, const char *content_type, const char *body,
         size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL)
        return -1;
    memcpy(copy, body, len);
    copy[len] = '\0';
    free(resp->body);
    resp->body = copy;
    resp->body_len = len;
    resp->status = status;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s", content_type);
    return 0;
}

/* Serializes obj as the body; the response is unchanged on failure. */
static int
set_json_body(struct http_response *resp, int status, json_object *obj, const char *content_type)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

    if (text == NULL)
        return -1;
    return set_body(resp, status, content_type, text, len);
}

int
http_response_json(struct http_response *resp, int status, json_object *body)
{
    if (resp == NULL || !status_valid(status))
        return -1;
    if (body == NULL) {
        http_response_empty(resp, status);
        return 0;
    }
    return set_json_body(resp, status, body, CONTENT_TYPE_JSON);
}

int
http_response_text(struct http_response *resp, int status, const char *content_type,
                   const char *body, size_t len)
{
    /* The media type lands in a header: it must fit and carry no line break. */
    if (resp == NULL || !status_valid(status) || content_type == NULL || body == NULL ||
        strlen(content_type) >= sizeof(resp->content_type) || strpbrk(content_type, "\r\n"))
        return -1;
    return set_body(resp, status, content_type, body, len);
}

void
http_response_empty(struct http_response *resp, int status)
{
    if (resp == NULL)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    resp->content_type[0] = '\0';
    resp->status = status;
}

/* Replaces each byte that is not part of well-formed UTF-8 with '?', so the JSON written is
 * valid whatever went into the detail (and a cut at DETAIL_MAX may split a character). */
static void
utf8_sanitize(char *s)
{
    size_t len = strlen(s), i = 0;

    while (i < len) {
        size_t n = 1;

        if ((unsigned char)s[i] >= 0x80) {
            n = 0;
            for (size_t k = 2; k <= 4 && i + k <= len; k++)
                if (utf8_valid(s + i, k)) {
                    n = k;
                    break;
                }
            if (n == 0) {
                s[i] = '?';
                n = 1;
            }
        }
        i += n;
    }
}

int
http_response_problem(struct http_response *resp, int status, const char *request_id,
                      json_object *errors, const char *detail_fmt, ...)
{
    char detail[DETAIL_MAX];
    json_object *doc = NULL;
    va_list ap;
    int rc = -1;

    if (resp == NULL || !status_valid(status))
        goto out;
    detail[0] = '\0';
    if (detail_fmt != NULL) {
        va_start(ap, detail_fmt);
        if (vsnprintf(detail, sizeof(detail), detail_fmt, ap) < 0)
            detail[0] = '\0';
        va_end(ap);
    }
    utf8_sanitize(detail);
    doc = json_object_new_object();
    if (doc == NULL)
        goto out;
    if (jobj_add(doc, "type", json_object_new_string("about:blank")) != 0 ||
        jobj_add(doc, "title", json_object_new_string(http_status_reason(status))) != 0 ||
        jobj_add(doc, "status", json_object_new_int(status)) != 0 ||
        jobj_add(doc, "detail", json_object_new_string(detail)) != 0)
        goto out;
    /* NULL is JSON null: the member stays, so clients always find it. */
    if (json_object_object_add(doc, "request_id",
                               request_id != NULL ? json_object_new_string(request_id) : NULL) != 0)
        goto out;
    if (errors != NULL) {
        json_object *taken = errors;

        errors = NULL; /* the reference is the document's (or add_member's to drop) now */
        if (jobj_add(doc, "errors", taken) != 0)
            goto out;
    }
    rc = set_json_body(resp, status, doc, CONTENT_TYPE_PROBLEM);
out:
    json_object_put(errors);
    json_object_put(doc);
    return rc;
}

const char *
http_status_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

/* Appends the pieces (NULL-terminated list) to head; -1 when they do not fit. Plain copies:
 * the head is written for every response. */
static int
head_put(char *head, size_t *len, ...)
{
    const char *piece;
    va_list ap;
    int rc = 0;

    va_start(ap, len);
    while ((piece = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(piece);

        if (n >= HEAD_MAX - *len) {
            rc = -1;
            break;
        }
        memcpy(head + *len, piece, n);
        *len += n;
    }
    va_end(ap);
    return rc;
}

/* v in decimal into buf (at least 21 bytes); returns buf. */
static const char *
decimal(size_t v, char *buf)
{
    char *p = buf + 20;

    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return p;
}

/* The id goes into a header line: anything but visible ASCII would break or forge one. */
static void
copy_request_id(char *out, size_t out_len, const char *request_id)
{
    size_t n = 0;

    if (request_id == NULL || request_id[0] == '\0')
        request_id = "-";
    for (; request_id[n] != '\0' && n + 1 < out_len; n++) {
        unsigned char c = (unsigned char)request_id[n];

        out[n] = c > 0x20 && c < 0x7F ? (char)c : '?';
    }
    out[n] = '\0';
}

int
http_response_write(const struct http_response *resp, const char *request_id, http_writer writer,
                    void *ctx)
{
    char head[HEAD_MAX], rid[HTTP_REQUEST_ID_MAX], num[21];
    size_t len = 0;
    /* 204 and 304 have no content, and so no Content-Length (RFC 9110 8.6). */
    int no_content = resp != NULL && (resp->status == 204 || resp->status == 304);
    int has_body;

    if (resp == NULL || writer == NULL || !status_valid(resp->status))
        return -1;
    has_body = !no_content && resp->body != NULL && resp->body_len > 0;
    /* The struct's fields may have been set directly: nothing unchecked goes into the head. */
    if (!field_value_safe(resp->content_type, sizeof(resp->content_type)))
        return -1;
    for (size_t i = 0; i < resp->nheaders && i < HTTP_MAX_HEADERS; i++)
        if (!field_value_safe(resp->headers[i].name, sizeof(resp->headers[i].name)) ||
            !field_value_safe(resp->headers[i].value, sizeof(resp->headers[i].value)))
            return -1;
    copy_request_id(rid, sizeof(rid), request_id);
    if (head_put(head, &len, "Status: ", decimal((size_t)resp->status, num), " ",
                 http_status_reason(resp->status), "\r\n", (const char *)NULL) != 0)
        return -1;
    if (has_body && resp->content_type[0] != '\0' &&
        head_put(head, &len, "Content-Type: ", resp->content_type, "\r\n", (const char *)NULL) != 0)
        return -1;
    if (!no_content &&
        head_put(head, &len, "Content-Length: ", decimal(has_body ? resp->body_len : 0, num),
                 "\r\n", (const char *)NULL) != 0)
        return -1;
    for (size_t i = 0; i < resp->nheaders && i < HTTP_MAX_HEADERS; i++)
        if (head_put(head, &len, resp->headers[i].name, ": ", resp->headers[i].value, "\r\n",
                     (const char *)NULL) != 0)
            return -1;
    if (head_put(head, &len, "X-Request-Id: ", rid, "\r\n\r\n", (const char *)NULL) != 0)
        return -1;
    if (writer(ctx, head, len) != 0)
        return -1;
    if (has_body && !resp->head_only && writer(ctx, resp->body, resp->body_len) != 0)
        return -1;
    return 0;
}
