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

/* For an If-Match that was sent (present) with no tag that can match (only weak or foreign
 * tags): answers 412 when the item exists and 404 when not, with no write, and returns 1.
 * Returns 0, answering nothing, for any other If-Match or none. */
static int
resource_unmatchable(const struct resource *res, struct repo *repo, const char *key,
                     const struct repo_match *match, int present, const struct http_request *req,
                     struct http_response *resp)
{
    json_object *item = NULL;
    struct repo_error err;
    repo_status st;

    if (!present || match->any || match->n > 0)
        return 0;
    repo_error_clear(&err);
    st = res->get(repo, key, &item, &err);
    json_object_put(item);
    reply_repo_failure(resp, req, st == REPO_OK ? REPO_PRECONDITION : st, &err, res->what.match);
    return 1;
}

void
resource_get(const struct resource *res, struct repo *repo, const struct http_request *req,
             const struct router_params *params, struct http_response *resp)
{
    char buf[RESOURCE_LOWER_KEY_MAX];
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
    char buf[RESOURCE_LOWER_KEY_MAX];
    const char *key = resource_key(res, req, params, buf, sizeof(buf), resp);
    json_object *body = NULL, *item = NULL;
    struct repo_match match;
    struct repo_error err;
    int present;
    repo_status st;

    /* If-Match before the body: a malformed one is 400 whatever the body holds. */
    if (key == NULL || validate_if_match_or_reply(req, &match, &present, resp) != VALIDATE_OK)
        return;
    if (validate_body_or_reply(req, res->update_fields, res->update_nfields, &body, resp) !=
        VALIDATE_OK)
        return;
    if (json_object_object_length(body) == 0) {
        validate_reply_one(resp, req, "body", res->update_empty);
        goto out;
    }
    if (res->update_check != NULL && res->update_check(key, body, req, resp) != VALIDATE_OK)
        goto out;
    if (resource_unmatchable(res, repo, key, &match, present, req, resp))
        goto out;
    repo_error_clear(&err);
    st = res->update(repo, key, body, present ? &match : NULL, &item, &err);
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
    char buf[RESOURCE_LOWER_KEY_MAX];
    const char *key = resource_key(res, req, params, buf, sizeof(buf), resp);
    json_object *body = NULL;
    struct repo_match match;
    struct repo_error err;
    int present;
    repo_status st;

    if (key == NULL || validate_if_match_or_reply(req, &match, &present, resp) != VALIDATE_OK)
        return;
    if (resource_unmatchable(res, repo, key, &match, present, req, resp))
        return;
    repo_error_clear(&err);
    st = res->remove(repo, key, present ? &match : NULL, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, res->what.remove);
        return;
    }
    if (res->removed_member == NULL) {
        http_response_empty(resp, 204);
        return;
    }
    body = json_object_new_object();
    if (body == NULL || jobj_add(body, res->removed_member, json_object_new_string(key)) != 0) {
        json_object_put(body);
        reply_internal(resp, req, res->what.remove);
        return;
    }
    reply_json(resp, req, 200, body);
}
