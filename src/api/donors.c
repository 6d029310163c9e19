#include "api/donors.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "api/resource.h"
#include "api/validate.h"
#include "repo/donor_repo.h"
#include "util/jobj.h"

static const struct validate_field donors_create_fields[] = {
    {"email", validate_email, 1},
    {"first_name", validate_name, 1},
    {"city", validate_name, 1},
    {"type", validate_blood_type, 1},
};

static const struct validate_field donors_update_fields[] = {
    {"email", validate_immutable, 0},
    {"first_name", validate_name, 0},
    {"city", validate_name, 0},
    {"type", validate_blood_type, 0},
};

#define DONORS_NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Validated: at most 254 bytes of ASCII. Stored lower-cased, so the same address in another
 * case is the same donor. */
static validate_status
donors_new_email(json_object *fields, char *email, size_t len, const struct http_request *req,
                 struct http_response *resp)
{
    json_object *sent = NULL;

    json_object_object_get_ex(fields, "email", &sent);
    snprintf(email, len, "%s", json_object_get_string(sent));
    validate_ascii_lower(email);
    if (jobj_add(fields, "email", json_object_new_string(email)) != 0) {
        reply_internal(resp, req, "donor create");
        return VALIDATE_ANSWERED;
    }
    return VALIDATE_OK;
}

/* The email is among the fields (donors_new_email put it there lower-cased). */
static repo_status
donors_repo_create(struct repo *repo, const char *email, json_object *fields, json_object **out,
                   struct repo_error *err)
{
    (void)email;
    return donor_repo_create(repo, fields, out, err);
}

static_assert(VALIDATE_EMAIL_MAX < RESOURCE_KEY_MAX, "an email fits a key's buffer");

static const struct resource donors_resource = {
    .param = "email",
    .key_ok = validate_email_text,
    .key_lower = 1, /* the same address in another case is the same donor */
    .not_found = "no such donor",
    .create_fields = donors_create_fields,
    .create_nfields = DONORS_NFIELDS(donors_create_fields),
    .create_key = donors_new_email,
    .create = donors_repo_create,
    .location = "/api/donors/",
    .get = donor_repo_get,
    .update_fields = donors_update_fields,
    .update_nfields = DONORS_NFIELDS(donors_update_fields),
    .update_empty = "give at least one of first_name, city, type",
    .update_check = NULL,
    .update = donor_repo_update,
    .remove = donor_repo_delete,
    .removed_member = NULL, /* 204 */
    .what = {"donor email", "donor create", "donor get", "donor match", "donor update",
             "donor delete"},
};

void
donors_create(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    (void)params;
    resource_create(&donors_resource, app, req, resp);
}

void
donors_get(void *app, const struct http_request *req, const struct router_params *params,
           struct http_response *resp)
{
    resource_get(&donors_resource, app, req, params, resp);
}

void
donors_list(void *app, const struct http_request *req, const struct router_params *params,
            struct http_response *resp)
{
    struct repo *repo = app;
    const char *city = http_request_query(req, "city");
    const char *type = http_request_query(req, "type");
    json_object *items = NULL;
    char *next = NULL, *stored = NULL;
    char msg[VALIDATE_MSG_MAX];
    struct repo_error err;
    size_t stored_len;
    int limit;
    repo_status st;

    (void)params;
    if (city == NULL) {
        validate_reply_one(resp, req, "city", "is required");
        return;
    }
    /* Cities are stored trimmed and in NFC: the query names one in any form. */
    switch (validate_text_normalize(city, strlen(city), VALIDATE_TEXT_MAX, &stored, &stored_len,
                                    msg, sizeof(msg))) {
    case 0:
        break;
    case -1:
        validate_reply_one(resp, req, "city", msg);
        return;
    default:
        reply_internal(resp, req, "donor list");
        return;
    }
    if (type != NULL && !validate_blood_type_text(type)) {
        /* A '+' in a query string is a space ("O+" arrives as "O "), hence the hint. */
        validate_reply_one(resp, req, "type",
                           "must be one of A+ A- B+ B- AB+ AB- O+ O- (send '+' as %2B)");
        goto out;
    }
    if (validate_limit_or_reply(req, &limit, resp) != VALIDATE_OK)
        goto out;
    repo_error_clear(&err);
    st = donor_repo_list_city(repo, stored, type, limit, http_request_query(req, "cursor"), &items,
                              &next, &err);
    reply_page(resp, req, st, &err, items, next, "donor list");
out:
    free(next);
    free(stored);
}

void
donors_update(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    resource_update(&donors_resource, app, req, params, resp);
}

void
donors_delete(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    resource_delete(&donors_resource, app, req, params, resp);
}
