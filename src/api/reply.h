/* What the controllers answer in common: an item with its ETag, a repository failure as a
 * problem document (logged when it is a 5xx), and the last-resort 500. */
#ifndef SAVEALIFE_API_REPLY_H
#define SAVEALIFE_API_REPLY_H

#include <json-c/json.h>

#include "http/request.h"
#include "http/response.h"
#include "repo/repo.h"

/* The HTTP status a repository status stands for. */
int reply_status_of(repo_status status);

/* A JSON body (reference taken over, NULL allowed) with the given status. On failure the
 * response becomes a 500. */
void reply_json(struct http_response *resp, const struct http_request *req, int status,
                json_object *body);

/* A listing's answer to the repository's status: a page, 200 {"items":[...],"next_cursor":
 * <next or null>}, or the failure as reply_repo_failure writes it (what names the listing).
 * items' reference is taken over either way; next stays the caller's. */
void reply_page(struct http_response *resp, const struct http_request *req, repo_status status,
                const struct repo_error *err, json_object *items, const char *next,
                const char *what);

/* An item (reference taken over) with ETag "\"<version>\"" from its version member. */
void reply_item(struct http_response *resp, const struct http_request *req, int status,
                json_object *item);

/* A problem document for a repository failure; 503 adds Retry-After, and every 5xx is
 * written to the request's error stream with the repository and DynamoDB status and the AWS
 * error type (never the AWS message: a signature error echoes signed headers). what names the
 * operation ("company create"). */
void reply_repo_failure(struct http_response *resp, const struct http_request *req,
                        repo_status status, const struct repo_error *err, const char *what);

/* A 500 for a failure of our own (out of memory), logged. */
void reply_internal(struct http_response *resp, const struct http_request *req, const char *what);

/* 201 with the item (reference taken over) and "Location: <prefix><key>", the key
 * percent-encoded as one path segment (everything but RFC 3986 unreserved characters); a 500
 * (logged with what) when the Location cannot be written. */
void reply_created(struct http_response *resp, const struct http_request *req, const char *prefix,
                   const char *key, json_object *item, const char *what);

#endif
