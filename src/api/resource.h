/* The items of a collection, each addressed by a key (POST /api/<collection>, then GET, PUT or
 * PATCH and DELETE of /api/<collection>/{key}): the steps their controllers take, written
 * once. Each collection describes itself in a constant struct resource; the steps are, in
 * this order: the key of the path (404), If-Match (400), the body (400, 422), an If-Match
 * that can never match (412 or 404, no write), the repository, the answer. */
#ifndef SAVEALIFE_API_RESOURCE_H
#define SAVEALIFE_API_RESOURCE_H

#include <stddef.h>

#include <json-c/json.h>

#include "api/validate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "repo/repo.h"

/* Bytes of a key with its NUL: an email is at most 254, a company's id 100 characters of at
 * most 4 bytes. */
#define RESOURCE_KEY_MAX 512

/* What a collection says of its items. Every member is required unless it says NULL. */
struct resource {
    const char *param; /* the pattern's parameter that holds the key ("id") */
    /* Whether a path's key could be an item's key: 0, or -1 (then no item has it: 404). */
    int (*key_ok)(const char *s, size_t len, char *msg, size_t msglen);
    /* Keys are stored with ASCII letters lower-cased (emails): a path's key is lower-cased
     * into a buffer of RESOURCE_KEY_MAX bytes, and a longer one names no item. */
    int key_lower;
    const char *not_found; /* the 404's detail for a key no item can have */
    const struct validate_field *create_fields;
    size_t create_nfields;
    /* A new item's key from its valid fields, into key (len bytes; the fields may change to
     * match it): VALIDATE_OK, or it answered. */
    validate_status (*create_key)(json_object *fields, char *key, size_t len,
                                  const struct http_request *req, struct http_response *resp);
    repo_status (*create)(struct repo *repo, const char *key, json_object *fields,
                          json_object **out, struct repo_error *err);
    const char *location; /* a new item's Location is this and its key ("/api/donors/") */
    repo_status (*get)(struct repo *repo, const char *key, json_object **out,
                       struct repo_error *err);
    const struct validate_field *update_fields;
    size_t update_nfields;
    const char *update_empty; /* the 422's message on "body" for a change of no field */
    /* A valid change checked against its key (NULL: none): VALIDATE_OK, or it answered. */
    validate_status (*update_check)(const char *key, json_object *fields,
                                    const struct http_request *req, struct http_response *resp);
    /* The change (match: If-Match's condition, NULL when none was sent). */
    repo_status (*update)(struct repo *repo, const char *key, json_object *fields,
                          const struct repo_match *match, json_object **out,
                          struct repo_error *err);
    repo_status (*remove)(struct repo *repo, const char *key, const struct repo_match *match,
                          struct repo_error *err);
    const char *removed_member; /* a removal answers 200 {"<member>":key}; NULL: 204 */
    /* What each step is called in the error log ("company get"). */
    struct {
        const char *key, *create, *get, *match, *update, *remove;
    } what;
};

/* POST (or PUT of the collection): 201 with the item, its ETag and Location. */
void resource_create(const struct resource *res, struct repo *repo, const struct http_request *req,
                     struct http_response *resp);

/* GET: 200 with the item and its ETag. */
void resource_get(const struct resource *res, struct repo *repo, const struct http_request *req,
                  const struct router_params *params, struct http_response *resp);

/* PUT or PATCH: the fields the body gives change, under If-Match; 200 with the item. */
void resource_update(const struct resource *res, struct repo *repo, const struct http_request *req,
                     const struct router_params *params, struct http_response *resp);

/* DELETE, under If-Match; 200 or 204 as res->removed_member says. */
void resource_delete(const struct resource *res, struct repo *repo, const struct http_request *req,
                     const struct router_params *params, struct http_response *resp);

#endif
