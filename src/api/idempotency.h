/* The Idempotency-Key request header (IETF httpapi draft) on the write routes: a repeated key
 * gets the first request's answer, a key reused for another request 422, a key still in flight
 * 409. The record lives in DynamoDB (repo/idempotency_repo.h), so any worker answers. */
#ifndef SAVEALIFE_API_IDEMPOTENCY_H
#define SAVEALIFE_API_IDEMPOTENCY_H

#include <stddef.h>

#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "repo/idempotency_repo.h"
#include "repo/repo.h"

/* The longest key accepted, in bytes (after unquoting). */
#define IDEMPOTENCY_KEY_MAX 255

/* Parses a header value into key: a Structured Field string ("abc", with \" and \\ escapes)
 * or, as many clients send it, a bare key of visible ASCII without '"', '\\', ',' or ';'
 * (abc and "abc" are the same key); spaces around it are ignored, 1 to IDEMPOTENCY_KEY_MAX
 * bytes. Returns 0, or -1 with *why saying what is wrong. */
int idempotency_key_parse(const char *value, char key[IDEMPOTENCY_KEY_MAX + 1], const char **why);

/* Whether the request asks for idempotency: a POST, PUT or PATCH with the header. */
int idempotency_applies(const struct http_request *req);

/* Runs handler(app, req, params, resp) at most once per key: takes the key's record, sets
 * repo->write_token for the write (and "" again after it), then stores the answer (any status
 * below 500) or releases the record (5xx). admin: the route needs the admin token; keys of
 * admin routes and of public ones are separate, so no anonymous client reaches an admin's
 * record. */
void idempotency_serve(struct idempotency_repo *store, struct repo *repo, int admin,
                       router_handler handler, void *app, const struct http_request *req,
                       const struct router_params *params, struct http_response *resp);

#endif
