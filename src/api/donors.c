#include "api/donors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
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

/* The {email} of the path, lower-cased into buf, if it could be a donor's; else answers 404,
 * since no donor can have it. */
static const char *
donors_path_email(const struct http_request *req, const struct router_params *params, char *buf,
                  size_t len, struct http_response *resp)
{
    const char *email = router_param(params, "email");
    char msg[VALIDATE_MSG_MAX];

    if (email == NULL || strlen(email) >= len ||
        validate_email_text(email, strlen(email), msg, sizeof(msg)) != 0) {
        if (http_response_problem(resp, 404, req->request_id, NULL, "no such donor") != 0)
            reply_internal(resp, req, "donor email");
        return NULL;
    }
    memcpy(buf, email, strlen(email) + 1);
    validate_ascii_lower(buf);
    return buf;
}

void
donors_create(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    struct repo *repo = app;
    json_object *body = NULL, *email = NULL, *item = NULL;
    struct repo_error err;
    char lowered[VALIDATE_EMAIL_MAX + 1];
    repo_status st;

    (void)params;
    if (validate_body_or_reply(req, donors_create_fields, DONORS_NFIELDS(donors_create_fields),
                               &body, resp) != VALIDATE_OK)
        return;
    json_object_object_get_ex(body, "email", &email);
    /* Validated: at most 254 bytes of ASCII. Stored lower-cased, so the same address in
     * another case is the same donor. */
    snprintf(lowered, sizeof(lowered), "%s", json_object_get_string(email));
    validate_ascii_lower(lowered);
    if (jobj_add(body, "email", json_object_new_string(lowered)) != 0) {
        reply_internal(resp, req, "donor create");
        goto out;
    }
    repo_error_clear(&err);
    st = donor_repo_create(repo, body, &item, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "donor create");
        goto out;
    }
    reply_created(resp, req, "/api/donors/", lowered, item, "donor create");
    item = NULL;
out:
    json_object_put(item);
    json_object_put(body);
}

void
donors_get(void *app, const struct http_request *req, const struct router_params *params,
           struct http_response *resp)
{
    char buf[VALIDATE_EMAIL_MAX + 1];
    const char *email = donors_path_email(req, params, buf, sizeof(buf), resp);

    if (email != NULL)
        reply_get_item(app, donor_repo_get, email, req, resp, "donor get");
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
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "donor list");
        goto out;
    }
    reply_page(resp, req, items, next);
    items = NULL;
out:
    json_object_put(items);
    free(next);
    free(stored);
}

void
donors_update(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    struct repo *repo = app;
    json_object *body = NULL, *item = NULL;
    struct repo_match match;
    struct repo_error err;
    char buf[VALIDATE_EMAIL_MAX + 1];
    const char *email = donors_path_email(req, params, buf, sizeof(buf), resp);
    int present;
    repo_status st;

    if (email == NULL)
        return;
    if (validate_if_match_or_reply(req, &match, &present, resp) != VALIDATE_OK)
        return;
    if (validate_body_or_reply(req, donors_update_fields, DONORS_NFIELDS(donors_update_fields),
                               &body, resp) != VALIDATE_OK)
        return;
    if (json_object_object_length(body) == 0) {
        validate_reply_one(resp, req, "body", "give at least one of first_name, city, type");
        goto out;
    }
    if (reply_if_unmatchable(repo, donor_repo_get, email, &match, present, req, resp,
                             "donor match"))
        goto out;
    repo_error_clear(&err);
    st = donor_repo_update(repo, email, body, present ? &match : NULL, &item, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "donor update");
        goto out;
    }
    reply_item(resp, req, 200, item);
out:
    json_object_put(body);
}

void
donors_delete(void *app, const struct http_request *req, const struct router_params *params,
              struct http_response *resp)
{
    struct repo *repo = app;
    struct repo_match match;
    struct repo_error err;
    char buf[VALIDATE_EMAIL_MAX + 1];
    const char *email = donors_path_email(req, params, buf, sizeof(buf), resp);
    int present;
    repo_status st;

    if (email == NULL)
        return;
    if (validate_if_match_or_reply(req, &match, &present, resp) != VALIDATE_OK)
        return;
    if (reply_if_unmatchable(repo, donor_repo_get, email, &match, present, req, resp,
                             "donor match"))
        return;
    repo_error_clear(&err);
    st = donor_repo_delete(repo, email, present ? &match : NULL, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "donor delete");
        return;
    }
    http_response_empty(resp, 204);
}
