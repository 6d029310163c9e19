#include "api/resource.h"

#include <string.h>

#include "api/reply.h"
#include "util/jobj.h"

/* The key of the path in its stored form (lower-cased into buf, len bytes, when the resource
 * says so), if it could be an item's; else answers 404, since no item can have it. */
static const char *
resource_key(const struct resource *res, const struct http_request *req,
             const struct router_params *params, char *buf, size_t len, struct http_response *resp)
{
    const char *key = router_param(params, res->param);
    char msg[VALIDATE_MSG_MAX];
    size_t n = key != NULL ? strlen(key) : 0;

    if (key == NULL || (res->key_lower && n >= len) || res->key_ok(key, n, msg, sizeof(msg)) != 0) {
        if (http_response_problem(resp, 404, req->request_id, NULL, "%s", res->not_found) != 0)
            reply_internal(resp, req, res->what.key);
        return NULL;
    }
    if (!res->key_lower)
        return key;
    memcpy(buf, key, n + 1);
    validate_ascii_lower(buf);
    return buf;
}

/* What a change is aimed at: the item's key and the If-Match condition. */
struct resource_target {
    char buf[RESOURCE_KEY_MAX];
    const char *key; /* buf, or the path's own segment */
    struct repo_match match;
    const struct repo_match *cond; /* &match when If-Match was sent, else NULL */
};

/* The key of the path, then its If-Match, in this order (a malformed If-Match is 400
 * whatever the body holds): VALIDATE_OK, or it answered (404, 400). */
static validate_status
resource_target(const struct resource *res, const struct http_request *req,
                const struct router_params *params, struct resource_target *t,
                struct http_response *resp)
{
    int present;

    t->key = resource_key(res, req, params, t->buf, sizeof(t->buf), resp);
    if (t->key == NULL || validate_if_match_or_reply(req, &t->match, &present, resp) != VALIDATE_OK)
        return VALIDATE_ANSWERED;
    t->cond = present ? &t->match : NULL;
    return VALIDATE_OK;
}

/* For an If-Match that was sent with no tag that can match (only weak or foreign tags):
 * answers 412 when the item exists and 404 when not, with no write, and returns 1. Returns 0,
 * answering nothing, for any other If-Match or none. */
static int
resource_unmatchable(const struct resource *res, struct repo *repo, const struct resource_target *t,
                     const struct http_request *req, struct http_response *resp)
{
    json_object *item = NULL;
    struct repo_error err;
    repo_status st;

    if (t->cond == NULL || t->match.any || t->match.n > 0)
        return 0;
    repo_error_clear(&err);
    st = res->get(repo, t->key, &item, &err);
    json_object_put(item);
    reply_repo_failure(resp, req, st == REPO_OK ? REPO_PRECONDITION : st, &err, res->what.match);
    return 1;
}

void
resource_create(const struct resource *res, struct repo *repo, const struct http_request *req,
                struct http_response *resp)
{
    json_object *body = NULL, *item = NULL;
    char key[RESOURCE_KEY_MAX];
    struct repo_error err;
    repo_status st;

    if (validate_body_or_reply(req, res->create_fields, res->create_nfields, &body, resp) !=
        VALIDATE_OK)
        return;
    if (res->create_key(body, key, sizeof(key), req, resp) != VALIDATE_OK)
        goto out;
    repo_error_clear(&err);
    st = res->create(repo, key, body, &item, &err);
    if (st != REPO_OK) {
        json_object_put(item);
        reply_repo_failure(resp, req, st, &err, res->what.create);
        goto out;
    }
    reply_created(resp, req, res->location, key, item, res->what.create);
out:
    json_object_put(body);
}

void
resource_get(const struct resource *res, struct repo *repo, const struct http_request *req,
             const struct router_params *params, struct http_response *resp)
{
    char buf[RESOURCE_KEY_MAX];
    const char *key = resource_key(res, req, params, buf, sizeof(buf), resp);
    json_object *item = NULL;
    struct repo_error err;
    repo_status st;

    if (key == NULL)
        return;
    repo_error_clear(&err);
    st = res->get(repo, key, &item, &err);
    if (st != REPO_OK) {
        json_object_put(item);
        reply_repo_failure(resp, req, st, &err, res->what.get);
        return;
    }
    reply_item(resp, req, 200, item);
}

void
resource_update(const struct resource *res, struct repo *repo, const struct http_request *req,
                const struct router_params *params, struct http_response *resp)
{
    struct resource_target t;
    json_object *body = NULL, *item = NULL;
    struct repo_error err;
    repo_status st;

    if (resource_target(res, req, params, &t, resp) != VALIDATE_OK)
        return;
    if (validate_body_or_reply(req, res->update_fields, res->update_nfields, &body, resp) !=
        VALIDATE_OK)
        return;
    if (json_object_object_length(body) == 0) {
        validate_reply_one(resp, req, "body", res->update_empty);
        goto out;
    }
    if (res->update_check != NULL && res->update_check(t.key, body, req, resp) != VALIDATE_OK)
        goto out;
    if (resource_unmatchable(res, repo, &t, req, resp))
        goto out;
    repo_error_clear(&err);
    st = res->update(repo, t.key, body, t.cond, &item, &err);
    if (st != REPO_OK) {
        json_object_put(item);
        reply_repo_failure(resp, req, st, &err, res->what.update);
        goto out;
    }
    reply_item(resp, req, 200, item);
out:
    json_object_put(body);
}

void
resource_delete(const struct resource *res, struct repo *repo, const struct http_request *req,
                const struct router_params *params, struct http_response *resp)
{
    struct resource_target t;
    json_object *body = NULL;
    struct repo_error err;
    repo_status st;

    if (resource_target(res, req, params, &t, resp) != VALIDATE_OK ||
        resource_unmatchable(res, repo, &t, req, resp))
        return;
    repo_error_clear(&err);
    st = res->remove(repo, t.key, t.cond, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, res->what.remove);
        return;
    }
    if (res->removed_member == NULL) {
        http_response_empty(resp, 204);
        return;
    }
    body = json_object_new_object();
    if (body == NULL || jobj_add(body, res->removed_member, json_object_new_string(t.key)) != 0) {
        json_object_put(body);
        reply_internal(resp, req, res->what.remove);
        return;
    }
    reply_json(resp, req, 200, body);
}
