#include "api/companies.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "api/resource.h"
#include "api/validate.h"
#include "http/body.h"
#include "repo/company_repo.h"

static const struct validate_field companies_create_fields[] = {
    {"name", validate_name, 1},
    {"keywords", validate_keywords, 0},
};

static const struct validate_field companies_update_fields[] = {
    {"name", validate_name, 0},
    {"keywords", validate_keywords, 0},
};

#define COMPANIES_NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Whether a path's {id} could be a company's: a name in its stored form. */
static int
companies_id_ok(const char *s, size_t len, char *msg, size_t msglen)
{
    return validate_text(s, len, VALIDATE_TEXT_MAX, msg, msglen);
}

static_assert(4 * VALIDATE_TEXT_MAX < RESOURCE_KEY_MAX, "a company's id fits a key's buffer");

/* The id of a company named name, into id (len bytes): the name with its ASCII letters
 * lower-cased; other characters are kept as sent, so "Café" and "CAFé" are the same id but
 * "É" and "é" are not. 0, or -1 when it does not fit (not for a valid name: 100 characters). */
static int
companies_id_of(json_object *name, char *id, size_t len)
{
    const char *s = json_object_get_string(name);
    size_t n = strlen(s);

    if (n >= len)
        return -1;
    memcpy(id, s, n + 1);
    validate_ascii_lower(id);
    return 0;
}

static validate_status
companies_new_id(json_object *fields, char *id, size_t len, const struct http_request *req,
                 struct http_response *resp)
{
    json_object *name = NULL;

    json_object_object_get_ex(fields, "name", &name);
    if (companies_id_of(name, id, len) != 0) {
        reply_internal(resp, req, "company create");
        return VALIDATE_ANSWERED;
    }
    /* A client resolves "." and ".." in a URL's path (RFC 3986 dot segments): such a company's
     * Location would name the collection or its parent, never the company. */
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        validate_reply_one(resp, req, "name",
                           "must not be \".\" or \"..\" (its URL could not name the company)");
        return VALIDATE_ANSWERED;
    }
    return VALIDATE_OK;
}

static repo_status
companies_repo_create(struct repo *repo, const char *id, json_object *fields, json_object **out,
                      struct repo_error *err)
{
    json_object *name = NULL, *keywords = NULL;

    json_object_object_get_ex(fields, "name", &name);
    json_object_object_get_ex(fields, "keywords", &keywords);
    return company_repo_create(repo, id, json_object_get_string(name), keywords, out, err);
}

/* The id is the lower-cased name: a new name may change only its letter case, or the id
 * would no longer be what the name says. */
static validate_status
companies_update_check(const char *id, json_object *fields, const struct http_request *req,
                       struct http_response *resp)
{
    json_object *name = NULL;
    char lowered[RESOURCE_KEY_MAX];

    if (!json_object_object_get_ex(fields, "name", &name))
        return VALIDATE_OK;
    if (companies_id_of(name, lowered, sizeof(lowered)) != 0) {
        reply_internal(resp, req, "company update");
        return VALIDATE_ANSWERED;
    }
    if (strcmp(lowered, id) != 0) {
        validate_reply_one(resp, req, "name",
                           "may change only in letter case (the id is the lower-cased name); "
                           "create a new company to rename");
        return VALIDATE_ANSWERED;
    }
    return VALIDATE_OK;
}

static repo_status
companies_repo_update(struct repo *repo, const char *id, json_object *fields,
                      const struct repo_match *match, json_object **out, struct repo_error *err)
{
    json_object *name = NULL, *keywords = NULL;

    json_object_object_get_ex(fields, "name", &name);
    json_object_object_get_ex(fields, "keywords", &keywords);
    return company_repo_update(repo, id, name != NULL ? json_object_get_string(name) : NULL,
                               keywords, match, out, err);
}

static const struct resource companies_resource = {
    .param = "id",
    .key_ok = companies_id_ok,
    .key_lower = 0, /* a path's id is the stored one: "Acme" names no company */
    .not_found = "no such company",
    .create_fields = companies_create_fields,
    .create_nfields = COMPANIES_NFIELDS(companies_create_fields),
    .create_key = companies_new_id,
    .create = companies_repo_create,
    .location = "/api/companies/",
    .get = company_repo_get,
    .update_fields = companies_update_fields,
    .update_nfields = COMPANIES_NFIELDS(companies_update_fields),
    .update_empty = "give at least one of name, keywords",
    .update_check = companies_update_check,
    .update = companies_repo_update,
    .remove = company_repo_delete,
    .removed_member = "id",
    .what = {"company id", "company create", "company get", "company match", "company update",
             "company delete"},
};

void
companies_list(void *app, const struct http_request *req, const struct router_params *params,
               struct http_response *resp)
{
    struct repo *repo = app;
    json_object *items = NULL;
    char *next = NULL;
    struct repo_error err;
    int limit;
    repo_status st;

    (void)params;
    if (validate_limit_or_reply(req, &limit, resp) != VALIDATE_OK)
        return;
    repo_error_clear(&err);
    st = company_repo_list(repo, limit, http_request_query(req, "cursor"), &items, &next, &err);
    reply_page(resp, req, st, &err, items, next, "company list");
    free(next);
}

void
companies_get(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    resource_get(&companies_resource, app, req, params, resp);
}

void
companies_create(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp)
{
    (void)params;
    resource_create(&companies_resource, app, req, resp);
}

void
companies_update(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp)
{
    resource_update(&companies_resource, app, req, params, resp);
}

void
companies_delete(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp)
{
    resource_delete(&companies_resource, app, req, params, resp);
}

/* Collects the ids of a bulk delete from ?filter={"id":[...]}: 0, or answers (400 for JSON
 * that does not parse, 422 on "filter" for any other shape). *doc keeps the strings alive. */
static validate_status
companies_filter_ids(const struct http_request *req, const char *filter, json_object **doc,
                     const char **ids, size_t *n, struct http_response *resp)
{
    json_object *list = NULL;
    http_body_status st;
    char why[320];
    size_t len;

    st = http_body_parse_json(filter, strlen(filter), doc, why, sizeof(why));
    if (st != HTTP_BODY_OK) {
        if (st == HTTP_BODY_NOMEM)
            reply_internal(resp, req, "bulk delete filter");
        else if (http_response_problem(resp, 400, req->request_id, NULL,
                                       "filter is not valid JSON: %s", why) != 0)
            reply_internal(resp, req, "bulk delete filter");
        return VALIDATE_ANSWERED;
    }
    if (!json_object_is_type(*doc, json_type_object) || json_object_object_length(*doc) != 1 ||
        !json_object_object_get_ex(*doc, "id", &list) ||
        !json_object_is_type(list, json_type_array)) {
        validate_reply_one(resp, req, "filter", "must be {\"id\":[ids]}");
        return VALIDATE_ANSWERED;
    }
    len = json_object_array_length(list);
    if (len > COMPANIES_BULK_MAX) {
        validate_reply_one(resp, req, "filter", "at most 100 ids at once");
        return VALIDATE_ANSWERED;
    }
    for (size_t i = 0; i < len; i++) {
        json_object *id = json_object_array_get_idx(list, i);
        if (!json_object_is_type(id, json_type_string) ||
            strlen(json_object_get_string(id)) != (size_t)json_object_get_string_len(id)) {
            validate_reply_one(resp, req, "filter", "every id must be a string");
            return VALIDATE_ANSWERED;
        }
        ids[(*n)++] = json_object_get_string(id);
    }
    return VALIDATE_OK;
}

void
companies_delete_many(void *app, const struct http_request *req, const struct router_params *params,
                      struct http_response *resp)
{
    struct repo *repo = app;
    const char *ids[COMPANIES_BULK_MAX];
    const char *filter = NULL;
    const char *field = "id";
    json_object *doc = NULL, *body = NULL, *deleted = NULL;
    struct repo_error err;
    char why[VALIDATE_MSG_MAX], msg[VALIDATE_MSG_MAX + 32];
    size_t n = 0, nfilters = 0, nid = 0, unique = 0;
    repo_status st;

    (void)params;
    for (size_t i = 0; i < req->nquery; i++) {
        if (strcmp(req->query[i].name, "filter") == 0) {
            filter = req->query[i].value;
            nfilters++;
        } else if (strcmp(req->query[i].name, "id") == 0) {
            if (nid < COMPANIES_BULK_MAX)
                ids[nid] = req->query[i].value;
            nid++;
        }
    }
    if (nfilters > 1 || (nfilters == 1 && nid > 0)) {
        validate_reply_one(resp, req, "filter", "give the ids either as id=... or as one filter");
        goto out;
    }
    if (nid > COMPANIES_BULK_MAX) {
        validate_reply_one(resp, req, "id", "at most 100 ids at once");
        goto out;
    }
    n = nid;
    if (filter != NULL) {
        field = "filter";
        if (companies_filter_ids(req, filter, &doc, ids, &n, resp) != VALIDATE_OK)
            goto out;
    }
    if (n == 0) {
        validate_reply_one(resp, req, field, "give at least one id");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (validate_text(ids[i], strlen(ids[i]), VALIDATE_TEXT_MAX, why, sizeof(why)) != 0) {
            snprintf(msg, sizeof(msg), "id %zu %s", i + 1, why);
            validate_reply_one(resp, req, field, msg);
            goto out;
        }
    }
    /* De-duplicated in the order given (n is at most 100, so quadratic is fine). */
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < unique && strcmp(ids[k], ids[i]) != 0)
            k++;
        if (k == unique)
            ids[unique++] = ids[i];
    }
    repo_error_clear(&err);
    st = company_repo_delete_many(repo, ids, unique, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "company bulk delete");
        goto out;
    }
    body = json_object_new_object();
    deleted = json_object_new_array();
    if (body == NULL || deleted == NULL) {
        reply_internal(resp, req, "company bulk delete");
        goto out;
    }
    for (size_t i = 0; i < unique; i++) {
        if (json_object_array_add(deleted, json_object_new_string(ids[i])) != 0) {
            reply_internal(resp, req, "company bulk delete");
            goto out;
        }
    }
    if (json_object_object_add(body, "deleted", deleted) != 0) {
        reply_internal(resp, req, "company bulk delete");
        goto out;
    }
    deleted = NULL;
    reply_json(resp, req, 200, body);
    body = NULL;
out:
    json_object_put(deleted);
    json_object_put(body);
    json_object_put(doc);
}
