/* Idempotency-Key: the header's parse, and the record taken around a write route's handler.
 * Which answers are stored: every answer below 500 (the item written, and the 4xx a retry
 * of the same request would get again); a 5xx is never stored and its record is released,
 * so the client may retry at once. A replay carries the stored status, body, Content-Type and
 * the handler's headers (Location, ETag) plus "Idempotent-Replayed: true"; a stored problem
 * document gets the replay's own request_id, as every problem document does. */
#include "api/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/reply.h"
#include "util/hex.h"

int
idempotency_key_parse(const char *value, char key[IDEMPOTENCY_KEY_MAX + 1], const char **why)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t n = 0;

    key[0] = '\0';
    if (p == NULL) {
        *why = "the header is missing";
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        /* An sf-string (RFC 8941 3.3.3): printable ASCII, '\' escaping only '"' and '\'. */
        for (p++;; p++) {
            unsigned char c = *p;
            if (c == '\0') {
                *why = "the quoted string is not closed";
                return -1;
            }
            if (c == '"') {
                p++;
                break;
            }
            if (c == '\\') {
                c = *++p;
                if (c != '"' && c != '\\') {
                    *why = "a backslash may only escape '\"' or '\\'";
                    return -1;
                }
            } else if (c < 0x20 || c > 0x7e) {
                *why = "a key may hold only printable ASCII characters";
                return -1;
            }
            if (n == IDEMPOTENCY_KEY_MAX) {
                *why = "the key is longer than 255 characters";
                return -1;
            }
            key[n++] = (char)c;
        }
    } else {
        /* Unquoted, as many clients send a UUID: taken as the string it spells. */
        for (; *p != '\0' && *p != ' ' && *p != '\t'; p++) {
            if (*p < 0x21 || *p > 0x7e || *p == '\\' || *p == '"' || *p == ',' || *p == ';') {
                *why = "an unquoted key may hold only printable ASCII without '\"', '\\', ',' or "
                       "';' (quote it: \"...\")";
                return -1;
            }
            if (n == IDEMPOTENCY_KEY_MAX) {
                *why = "the key is longer than 255 characters";
                return -1;
            }
            key[n++] = (char)*p;
        }
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0') {
        *why = "give one key, with nothing after it (no list, no parameters)";
        return -1;
    }
    if (n == 0) {
        *why = "the key is empty";
        return -1;
    }
    key[n] = '\0';
    return 0;
}

int
idempotency_applies(const struct http_request *req)
{
    return req->idempotency_key != NULL &&
           (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
            strcmp(req->method, "PATCH") == 0);
}

/* Hex SHA-256 of "<a>\n<b>\n<c>" (c may hold any bytes). */
static int
idempotency_digest(const char *a, const char *b, const char *c, size_t c_len,
                   char hex[HEX_SHA256_LEN + 1])
{
    size_t a_len = strlen(a), b_len = strlen(b);
    char *buf = malloc(a_len + b_len + c_len + 2);
    int rc;

    if (buf == NULL)
        return -1;
    memcpy(buf, a, a_len);
    buf[a_len] = '\n';
    memcpy(buf + a_len + 1, b, b_len);
    buf[a_len + 1 + b_len] = '\n';
    if (c_len > 0)
        memcpy(buf + a_len + b_len + 2, c, c_len);
    rc = hex_sha256(buf, a_len + b_len + 2 + c_len, hex);
    free(buf);
    return rc;
}

static void
idempotency_problem(struct http_response *resp, const struct http_request *req, int status,
                    const char *detail)
{
    if (http_response_problem(resp, status, req->request_id, NULL, "%s", detail) != 0)
        reply_internal(resp, req, "idempotency");
}

/* The stored answer, as it was, with this request's id in a problem document. */
static void
idempotency_replay(const struct idempotency_answer *a, const struct http_request *req,
                   struct http_response *resp)
{
    json_object *doc = NULL;
    int rc = 0;

    if (a->body != NULL && a->content_type[0] != '\0') {
        const char *body = a->body;
        size_t len = a->body_len;
        if (strncmp(a->content_type, "application/problem+json", 24) == 0 &&
            (doc = json_tokener_parse(a->body)) != NULL &&
            json_object_is_type(doc, json_type_object) &&
            json_object_object_add(doc, "request_id", json_object_new_string(req->request_id)) ==
                0) {
            body = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
            len = body != NULL ? strlen(body) : 0;
        }
        rc = body != NULL ? http_response_text(resp, a->status, a->content_type, body, len) : -1;
    } else {
        http_response_empty(resp, a->status);
    }
    for (size_t i = 0; rc == 0 && i < a->nheaders; i++) {
        char name[48];
        const char *colon = strchr(a->headers[i], ':');
        size_t nlen = colon != NULL ? (size_t)(colon - a->headers[i]) : 0;
        if (nlen == 0 || nlen >= sizeof(name))
            continue;
        memcpy(name, a->headers[i], nlen);
        name[nlen] = '\0';
        rc = http_response_header(resp, name, colon[1] == ' ' ? colon + 2 : colon + 1);
    }
    if (rc == 0)
        rc = http_response_header(resp, "Idempotent-Replayed", "true");
    json_object_put(doc);
    if (rc != 0) {
        http_response_free(resp);
        http_response_init(resp);
        reply_internal(resp, req, "idempotency replay");
    }
}

/* Stores the handler's answer, or releases the record when it is a 5xx (or none). A failure
 * here leaves the record in flight until its lease ends; the client has its answer. */
static void
idempotency_finish(struct idempotency_repo *store, const struct idempotency_claim *claim,
                   const struct http_request *req, const struct http_response *resp)
{
    struct idempotency_answer a;
    struct repo_error err;
    repo_status st;
    char below[256];
    char line[sizeof(resp->headers[0].name) + sizeof(resp->headers[0].value) + 2];

    memset(&a, 0, sizeof(a));
    repo_error_clear(&err);
    if (resp->status == 0 || resp->status >= 500) {
        st = idempotency_repo_release(store, claim, &err);
        if (st != REPO_OK) {
            repo_error_text(&err, below, sizeof(below));
            http_request_log(req, "idempotency record not released: %s (%s)", repo_status_name(st),
                             below);
        }
        return;
    }
    a.status = resp->status;
    snprintf(a.content_type, sizeof(a.content_type), "%s", resp->content_type);
    a.body = resp->body; /* borrowed: never freed here */
    a.body_len = resp->body_len;
    st = REPO_OK;
    for (size_t i = 0; i < resp->nheaders && a.nheaders < IDEMPOTENCY_REPO_HEADERS_MAX; i++) {
        snprintf(line, sizeof(line), "%s: %s", resp->headers[i].name, resp->headers[i].value);
        if ((a.headers[a.nheaders] = strdup(line)) == NULL) {
            st = REPO_ERROR;
            break;
        }
        a.nheaders++;
    }
    if (st == REPO_OK)
        st = idempotency_repo_complete(store, claim, &a, &err);
    if (st != REPO_OK) {
        repo_error_text(&err, below, sizeof(below));
        http_request_log(req, "idempotency record not completed: %s (%s)", repo_status_name(st),
                         below);
    }
    for (size_t i = 0; i < a.nheaders; i++)
        free(a.headers[i]);
}

void
idempotency_serve(struct idempotency_repo *store, struct repo *repo, int admin,
                  router_handler handler, void *app, const struct http_request *req,
                  const struct router_params *params, struct http_response *resp)
{
    char key[IDEMPOTENCY_KEY_MAX + 1], record_key[IDEMPOTENCY_KEY_MAX + 8];
    char fingerprint[65], token[65], detail[256];
    struct idempotency_claim claim;
    struct idempotency_answer stored;
    idempotency_outcome outcome;
    struct repo_error err;
    const char *why = NULL;
    long retry_after = 1;
    repo_status st;

    memset(&stored, 0, sizeof(stored));
    if (idempotency_key_parse(req->idempotency_key, key, &why) != 0) {
        snprintf(detail, sizeof(detail),
                 "Idempotency-Key: %s; send one quoted string of 1 to %d characters, such as "
                 "Idempotency-Key: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"",
                 why, IDEMPOTENCY_KEY_MAX);
        idempotency_problem(resp, req, 400, detail);
        return;
    }
    snprintf(record_key, sizeof(record_key), "%s:%s", admin ? "admin" : "public", key);
    if (idempotency_digest(req->method, req->uri, req->body != NULL ? req->body : "", req->body_len,
                           fingerprint) != 0 ||
        idempotency_digest(record_key, req->method, req->uri, strlen(req->uri), token) != 0) {
        reply_internal(resp, req, "idempotency digest");
        return;
    }
    memset(&claim, 0, sizeof(claim));
    claim.key = record_key;
    claim.fingerprint = fingerprint;
    claim.request_id = req->request_id;
    repo_error_clear(&err);
    st = idempotency_repo_begin(store, &claim, &outcome, &stored, &retry_after, &err);
    if (st != REPO_OK) {
        reply_repo_failure(resp, req, st, &err, "idempotency record");
        goto out;
    }
    switch (outcome) {
    case IDEMPOTENCY_MISMATCH:
        idempotency_problem(resp, req, 422,
                            "this Idempotency-Key was already used for a different request "
                            "(another method, path or body); use a new key for a new request");
        break;
    case IDEMPOTENCY_IN_FLIGHT:
        snprintf(detail, sizeof(detail),
                 "a request with this Idempotency-Key is still being processed; retry once it "
                 "has finished (if its worker died, the key is free again within %ld s)",
                 retry_after);
        idempotency_problem(resp, req, 409, detail);
        if (http_response_header(resp, "Retry-After", "1") != 0)
            reply_internal(resp, req, "Retry-After header");
        break;
    case IDEMPOTENCY_DONE:
        idempotency_replay(&stored, req, resp);
        break;
    case IDEMPOTENCY_OWNED:
        /* The same key and request give the same token, so a write this key already applied
         * (its worker died before completing the record) is recognised as this request's. */
        memcpy(repo->write_token, token, sizeof(repo->write_token));
        handler(app, req, params, resp);
        repo->write_token[0] = '\0';
        idempotency_finish(store, &claim, req, resp);
        break;
    }
out:
    idempotency_answer_free(&stored);
}
