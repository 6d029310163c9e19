#include "api/reply.h"

#include <stdio.h>
#include <string.h>

int
reply_status_of(repo_status status)
{
    switch (status) {
    case REPO_OK:
        return 200;
    case REPO_NOT_FOUND:
        return 404;
    case REPO_EXISTS:
        return 409;
    case REPO_PRECONDITION:
        return 412;
    case REPO_BAD_CURSOR:
        return 400;
    case REPO_INVALID:
        return 422;
    case REPO_UNAVAILABLE:
        return 503;
    case REPO_ERROR:
        break;
    }
    return 500;
}

void
reply_internal(struct http_response *resp, const struct http_request *req, const char *what)
{
    http_request_log(req, "%s: internal error (out of memory)", what);
    if (http_response_problem(resp, 500, req->request_id, NULL, "internal error") != 0)
        http_response_empty(resp, 500);
}

void
reply_json(struct http_response *resp, const struct http_request *req, int status,
           json_object *body)
{
    int rc = http_response_json(resp, status, body);

    json_object_put(body);
    if (rc != 0)
        reply_internal(resp, req, "response");
}

void
reply_item(struct http_response *resp, const struct http_request *req, int status,
           json_object *item)
{
    json_object *version = NULL;
    char etag[48];

    if (!json_object_object_get_ex(item, "version", &version) ||
        !json_object_is_type(version, json_type_int)) {
        json_object_put(item);
        http_request_log(req, "item without a numeric version");
        if (http_response_problem(resp, 500, req->request_id, NULL, "internal error") != 0)
            http_response_empty(resp, 500);
        return;
    }
    snprintf(etag, sizeof(etag), "\"%lld\"", (long long)json_object_get_int64(version));
    if (http_response_header(resp, "ETag", etag) != 0) {
        json_object_put(item);
        reply_internal(resp, req, "ETag header");
        return;
    }
    reply_json(resp, req, status, item);
}

static const char *
reply_detail(repo_status status)
{
    switch (status) {
    case REPO_NOT_FOUND:
        return "no such item";
    case REPO_EXISTS:
        return "an item with this key already exists";
    case REPO_PRECONDITION:
        return "the item's version matches no entity tag in If-Match";
    case REPO_BAD_CURSOR:
        return "the cursor is not one this listing issued";
    case REPO_INVALID:
        return "the database refused the input";
    case REPO_UNAVAILABLE:
        return "the database is unavailable; retry later";
    case REPO_OK:
    case REPO_ERROR:
        break;
    }
    return "internal error";
}

void
reply_repo_failure(struct http_response *resp, const struct http_request *req, repo_status status,
                   const struct repo_error *err, const char *what)
{
    int code = reply_status_of(status);
    char below[256];

    if (code >= 500 || status == REPO_INVALID) {
        /* REPO_INVALID means our validation let through something DynamoDB refused: worth an
         * operator's look although the client gets a 4xx. */
        repo_error_text(err, below, sizeof(below));
        http_request_log(req, "%s: %s (%s)", what, repo_status_name(status), below);
    }
    if (http_response_problem(resp, code, req->request_id, NULL, "%s", reply_detail(status)) != 0) {
        http_response_empty(resp, 500);
        return;
    }
    if (code == 503 && http_response_header(resp, "Retry-After", "1") != 0)
        http_response_empty(resp, 500);
}

void
reply_page(struct http_response *resp, const struct http_request *req, repo_status status,
           const struct repo_error *err, json_object *items, const char *next, const char *what)
{
    json_object *body = NULL;
    json_object *cursor = NULL;

    if (status != REPO_OK) {
        json_object_put(items);
        reply_repo_failure(resp, req, status, err, what);
        return;
    }
    body = json_object_new_object();
    if (body == NULL || json_object_object_add(body, "items", items) != 0) {
        json_object_put(items);
        goto fail;
    }
    if (next != NULL && (cursor = json_object_new_string(next)) == NULL)
        goto fail;
    if (json_object_object_add(body, "next_cursor", cursor) != 0) {
        json_object_put(cursor);
        goto fail;
    }
    reply_json(resp, req, 200, body);
    return;
fail:
    json_object_put(body);
    reply_internal(resp, req, "list page");
}

static int
reply_location(struct http_response *resp, const char *prefix, const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    char buf[sizeof(resp->headers[0].value)];
    size_t o = strlen(prefix);

    if (o >= sizeof(buf))
        return -1;
    memcpy(buf, prefix, o);
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (o + (plain ? 1 : 3) >= sizeof(buf))
            return -1;
        if (plain) {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 0x0f];
        }
    }
    buf[o] = '\0';
    return http_response_header(resp, "Location", buf);
}

void
reply_created(struct http_response *resp, const struct http_request *req, const char *prefix,
              const char *key, json_object *item, const char *what)
{
    if (reply_location(resp, prefix, key) != 0) {
        json_object_put(item);
        reply_internal(resp, req, what);
        return;
    }
    reply_item(resp, req, 201, item);
}
