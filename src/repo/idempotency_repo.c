/* Idempotency-Key records in their own table. An item:
 *   key (S, the hash key), state ("in_flight" or "done"), fingerprint, owner (the random id
 *   of the attempt that holds it), lease_until (N, while in flight), expires_at (N, epoch
 *   seconds, the TTL attribute), request_id, and once done: status (N), content_type,
 *   headers (L of S), body (S; absent when empty). */
#include "repo/idempotency_repo.h"
#include "repo/repo_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/hex.h"
#include "util/jobj.h"

#define IDEMPOTENCY_IN_FLIGHT_STATE "in_flight"
#define IDEMPOTENCY_DONE_STATE "done"
/* A lost race (a record taken over or expired between our put and our read) is tried again
 * this many times before the key is called busy. */
#define IDEMPOTENCY_BEGIN_TRIES 3

/* The key may be taken when it is free, expired (the TTL deletes late), or abandoned: in
 * flight past its lease (its worker died) for this same request. */
static const char idempotency_take_cond[] = "attribute_not_exists(#k) OR #e <= :now OR "
                                            "(#s = :in_flight AND #l <= :now AND #f = :fp)";

/* Every attribute through a name placeholder: "key" and "status" are reserved words. */
static const char *const idempotency_names[][2] = {
    {"#k", "key"},         {"#s", "state"},      {"#f", "fingerprint"}, {"#o", "owner"},
    {"#l", "lease_until"}, {"#e", "expires_at"}, {"#st", "status"},     {"#ct", "content_type"},
    {"#h", "headers"},     {"#b", "body"},       {"#r", "request_id"},
};

int
idempotency_repo_init(struct idempotency_repo *r, const struct repo *repo, const struct config *cfg)
{
    if (r == NULL || repo == NULL || cfg == NULL)
        return -1;
    memset(r, 0, sizeof(*r));
    r->ddb = repo->ddb;
    r->lease_s = cfg->request_timeout + IDEMPOTENCY_REPO_LEASE_MARGIN_S;
    return config_table_name(cfg, "idempotency", r->table, sizeof(r->table));
}

void
idempotency_answer_free(struct idempotency_answer *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nheaders; i++)
        free(a->headers[i]);
    free(a->body);
    memset(a, 0, sizeof(*a));
}

static json_object *
idempotency_av_n(long long n)
{
    char text[32];

    snprintf(text, sizeof(text), "%lld", n);
    return repo_av("N", text);
}

static json_object *
idempotency_av_s_len(const char *text, size_t len)
{
    json_object *av = json_object_new_object();

    if (av != NULL && jobj_add(av, "S", json_object_new_string_len(text, (int)len)) != 0) {
        json_object_put(av);
        return NULL;
    }
    return av;
}

static json_object *
idempotency_keymap(const char *key)
{
    json_object *map = json_object_new_object();

    if (map != NULL && jobj_add(map, "key", repo_av("S", key)) != 0) {
        json_object_put(map);
        return NULL;
    }
    return map;
}

/* 32 random hex digits: which attempt holds a record. */
static int
idempotency_owner(char owner[33])
{
    unsigned char raw[16];

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    hex_encode(raw, sizeof(raw), owner);
    return 0;
}

/* The string of an attribute {"S": ...} of item, or NULL. */
static const char *
idempotency_get_s(json_object *item, const char *name, size_t *len)
{
    json_object *av = NULL, *s = NULL;

    if (!json_object_object_get_ex(item, name, &av) || !json_object_object_get_ex(av, "S", &s) ||
        !json_object_is_type(s, json_type_string))
        return NULL;
    if (len != NULL)
        *len = (size_t)json_object_get_string_len(s);
    return json_object_get_string(s);
}

/* The number of an attribute {"N": ...} of item, or fallback. */
static long long
idempotency_get_n(json_object *item, const char *name, long long fallback)
{
    json_object *av = NULL, *n = NULL;
    char *end = NULL;
    long long v;

    if (!json_object_object_get_ex(item, name, &av) || !json_object_object_get_ex(av, "N", &n) ||
        !json_object_is_type(n, json_type_string))
        return fallback;
    v = strtoll(json_object_get_string(n), &end, 10);
    return end != NULL && *end == '\0' ? v : fallback;
}

/* The stored answer of a done record. */
static repo_status
idempotency_answer_of(json_object *item, struct idempotency_answer *a, struct ddb_error *err)
{
    json_object *av = NULL, *list = NULL;
    const char *text;
    size_t len = 0;

    a->status = (int)idempotency_get_n(item, "status", 0);
    if (a->status < 100 || a->status > 599)
        return repo_fail(err, REPO_ERROR, DDB_ERR_BAD_RESPONSE,
                         "an idempotency record has no valid status");
    if ((text = idempotency_get_s(item, "content_type", NULL)) != NULL)
        snprintf(a->content_type, sizeof(a->content_type), "%s", text);
    if (json_object_object_get_ex(item, "headers", &av) &&
        json_object_object_get_ex(av, "L", &list) && json_object_is_type(list, json_type_array)) {
        for (size_t i = 0;
             i < json_object_array_length(list) && a->nheaders < IDEMPOTENCY_REPO_HEADERS_MAX;
             i++) {
            json_object *s = NULL, *el = json_object_array_get_idx(list, i);
            if (!json_object_object_get_ex(el, "S", &s) ||
                !json_object_is_type(s, json_type_string))
                continue;
            if ((a->headers[a->nheaders] = strdup(json_object_get_string(s))) == NULL)
                return repo_nomem(err);
            a->nheaders++;
        }
    }
    if ((text = idempotency_get_s(item, "body", &len)) != NULL) {
        if ((a->body = malloc(len + 1)) == NULL)
            return repo_nomem(err);
        memcpy(a->body, text, len);
        a->body[len] = '\0';
        a->body_len = len;
    }
    return REPO_OK;
}

/* Adds the name placeholders an expression uses (DynamoDB refuses unused ones). */
static json_object *
idempotency_names_for(const char *expr1, const char *expr2)
{
    json_object *names = json_object_new_object();
    size_t n = sizeof(idempotency_names) / sizeof(idempotency_names[0]);

    for (size_t i = 0; names != NULL && i < n; i++) {
        const char *p = idempotency_names[i][0];
        size_t len = strlen(p);
        int used = 0;
        for (const char *e = expr1; !used && e != NULL && (e = strstr(e, p)) != NULL; e += len)
            used = e[len] == ' ' || e[len] == ',' || e[len] == ')' || e[len] == '\0';
        for (const char *e = expr2; !used && e != NULL && (e = strstr(e, p)) != NULL; e += len)
            used = e[len] == ' ' || e[len] == ',' || e[len] == ')' || e[len] == '\0';
        if (used && jobj_add(names, p, json_object_new_string(idempotency_names[i][1])) != 0) {
            json_object_put(names);
            return NULL;
        }
    }
    return names;
}

/* The in-flight record of a claim. */
static json_object *
idempotency_in_flight_item(const struct idempotency_repo *r, const struct idempotency_claim *c,
                           long long now)
{
    json_object *item = json_object_new_object();

    if (item == NULL || jobj_add(item, "key", repo_av("S", c->key)) != 0 ||
        jobj_add(item, "state", repo_av("S", IDEMPOTENCY_IN_FLIGHT_STATE)) != 0 ||
        jobj_add(item, "fingerprint", repo_av("S", c->fingerprint)) != 0 ||
        jobj_add(item, "owner", repo_av("S", c->owner)) != 0 ||
        jobj_add(item, "lease_until", idempotency_av_n(now + r->lease_s)) != 0 ||
        jobj_add(item, "expires_at", idempotency_av_n(now + IDEMPOTENCY_REPO_KEEP_S)) != 0 ||
        jobj_add(item, "request_id",
                 repo_av("S", c->request_id != NULL && c->request_id[0] != '\0' ? c->request_id
                                                                                : "-")) != 0) {
        json_object_put(item);
        return NULL;
    }
    return item;
}

/* What the record found by the consistent read after a failed put means. *again: it is gone,
 * expired or abandoned by now, and the put may be tried once more. */
static repo_status
idempotency_decide(const struct idempotency_claim *c, json_object *found, long long now,
                   idempotency_outcome *outcome, struct idempotency_answer *stored,
                   long *retry_after_s, int *again, struct ddb_error *err)
{
    const char *state, *fingerprint;
    long long lease_until;

    *again = 0;
    if (found == NULL || idempotency_get_n(found, "expires_at", 0) <= now) {
        *again = 1;
        return REPO_OK;
    }
    state = idempotency_get_s(found, "state", NULL);
    fingerprint = idempotency_get_s(found, "fingerprint", NULL);
    if (fingerprint == NULL || strcmp(fingerprint, c->fingerprint) != 0) {
        *outcome = IDEMPOTENCY_MISMATCH;
        return REPO_OK;
    }
    if (state != NULL && strcmp(state, IDEMPOTENCY_DONE_STATE) == 0) {
        *outcome = IDEMPOTENCY_DONE;
        return idempotency_answer_of(found, stored, err);
    }
    lease_until = idempotency_get_n(found, "lease_until", 0);
    if (lease_until <= now) {
        *again = 1;
        return REPO_OK;
    }
    *outcome = IDEMPOTENCY_IN_FLIGHT;
    *retry_after_s = (long)(lease_until - now);
    return REPO_OK;
}

repo_status
idempotency_repo_begin(struct idempotency_repo *r, struct idempotency_claim *c,
                       idempotency_outcome *outcome, struct idempotency_answer *stored,
                       long *retry_after_s, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    json_object *names = NULL, *values = NULL, *item = NULL, *keymap = NULL, *found = NULL;
    repo_status rs = REPO_OK;

    *outcome = IDEMPOTENCY_IN_FLIGHT;
    *retry_after_s = 1;
    if (r == NULL || r->ddb == NULL || c == NULL || c->key == NULL || c->fingerprint == NULL)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no idempotency claim");
    if (idempotency_owner(c->owner) != 0)
        return repo_fail(err, REPO_ERROR, DDB_ERR_INVALID, "getrandom failed");
    if ((names = idempotency_names_for(idempotency_take_cond, NULL)) == NULL ||
        (keymap = idempotency_keymap(c->key)) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    for (int tries = 0; tries < IDEMPOTENCY_BEGIN_TRIES; tries++) {
        long long now = (long long)time(NULL);
        int again = 0;

        json_object_put(values);
        json_object_put(item);
        json_object_put(found);
        found = NULL;
        values = json_object_new_object();
        item = idempotency_in_flight_item(r, c, now);
        if (values == NULL || item == NULL ||
            jobj_add(values, ":now", idempotency_av_n(now)) != 0 ||
            jobj_add(values, ":in_flight", repo_av("S", IDEMPOTENCY_IN_FLIGHT_STATE)) != 0 ||
            jobj_add(values, ":fp", repo_av("S", c->fingerprint)) != 0) {
            rs = repo_nomem(err);
            goto out;
        }
        struct ddb_cond cond = {
            .expression = idempotency_take_cond, .names = names, .values = values};
        ddb_status st = ddb_put_item(r->ddb, r->table, item, &cond, NULL, NULL, err);
        if (st == DDB_OK) {
            *outcome = IDEMPOTENCY_OWNED;
            goto out;
        }
        /* A put whose answer was lost may have taken the key: the record then names this
         * claim's owner, and the claim is ours. Left untold, the client's retry would find the
         * key in flight until the lease ends. */
        int uncertain = st != DDB_ERR_CONDITIONAL && err->maybe_applied;
        if (st != DDB_ERR_CONDITIONAL && !uncertain) {
            rs = repo_status_from_ddb(st);
            goto out;
        }
        ddb_error_clear(err);
        st = ddb_get_item(r->ddb, r->table, keymap, 1, &found, err);
        if (st != DDB_OK) {
            rs = repo_status_from_ddb(st);
            goto out;
        }
        if (uncertain && found != NULL) {
            const char *owner = idempotency_get_s(found, "owner", NULL);
            if (owner != NULL && strcmp(owner, c->owner) == 0) {
                *outcome = IDEMPOTENCY_OWNED;
                goto out;
            }
        }
        rs = idempotency_decide(c, found, now, outcome, stored, retry_after_s, &again, err);
        if (rs != REPO_OK || !again)
            goto out;
    }
    /* Taken and lost three times in a row: someone else is working on it. */
    *outcome = IDEMPOTENCY_IN_FLIGHT;
    *retry_after_s = 1;
out:
    json_object_put(found);
    json_object_put(item);
    json_object_put(keymap);
    json_object_put(values);
    json_object_put(names);
    return rs;
}

/* The values of the completing update. */
static int
idempotency_done_values(const struct idempotency_claim *c, const struct idempotency_answer *a,
                        json_object *values)
{
    json_object *list = NULL;

    if (jobj_add(values, ":done", repo_av("S", IDEMPOTENCY_DONE_STATE)) != 0 ||
        jobj_add(values, ":in_flight", repo_av("S", IDEMPOTENCY_IN_FLIGHT_STATE)) != 0 ||
        jobj_add(values, ":o", repo_av("S", c->owner)) != 0 ||
        jobj_add(values, ":st", idempotency_av_n(a->status)) != 0 ||
        jobj_add(values, ":e", idempotency_av_n((long long)time(NULL) + IDEMPOTENCY_REPO_KEEP_S)) !=
            0)
        return -1;
    if (a->content_type[0] != '\0' && jobj_add(values, ":ct", repo_av("S", a->content_type)) != 0)
        return -1;
    if (a->body != NULL && a->body_len > 0 &&
        jobj_add(values, ":b", idempotency_av_s_len(a->body, a->body_len)) != 0)
        return -1;
    if (a->nheaders > 0) {
        json_object *av = json_object_new_object();
        if (av == NULL || jobj_add(values, ":h", av) != 0 ||
            jobj_add(av, "L", list = json_object_new_array()) != 0)
            return -1;
        for (size_t i = 0; i < a->nheaders; i++) {
            json_object *el = repo_av("S", a->headers[i]);
            if (el == NULL || json_object_array_add(list, el) != 0) {
                json_object_put(el);
                return -1;
            }
        }
    }
    return 0;
}

/* A conditional write's outcome on the record: a failed condition is 412, unless it failed
 * on a repeat of an attempt that may have been applied (the first attempt did the work). */
static repo_status
idempotency_write_status(ddb_status st, int repeated)
{
    if (st == DDB_ERR_CONDITIONAL)
        return repeated ? REPO_OK : REPO_PRECONDITION;
    return st == DDB_OK ? REPO_OK : repo_status_from_ddb(st);
}

repo_status
idempotency_repo_complete(struct idempotency_repo *r, const struct idempotency_claim *c,
                          const struct idempotency_answer *a, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    json_object *names = NULL, *values = NULL, *keymap = NULL;
    char update[256];
    repo_status rs = REPO_OK;
    static const char cond_expr[] = "#s = :in_flight AND #o = :o";

    if (r == NULL || r->ddb == NULL || c == NULL || a == NULL)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no idempotency claim");
    snprintf(update, sizeof(update), "SET #s = :done, #st = :st, #e = :e%s%s%s REMOVE #l",
             a->content_type[0] != '\0' ? ", #ct = :ct" : "",
             a->body != NULL && a->body_len > 0 ? ", #b = :b" : "",
             a->nheaders > 0 ? ", #h = :h" : "");
    if ((values = json_object_new_object()) == NULL || idempotency_done_values(c, a, values) != 0 ||
        (names = idempotency_names_for(update, cond_expr)) == NULL ||
        (keymap = idempotency_keymap(c->key)) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    struct ddb_cond cond = {.expression = cond_expr, .names = names, .values = values};
    ddb_status st = ddb_update_item(r->ddb, r->table, keymap, update, &cond, NULL, NULL, err);
    int repeated = 0;
    /* An attempt that may have been applied (its answer timed out or was lost) is sent once
     * more: its condition makes the repeat harmless, and without it the record would stay
     * in flight, answering the client's retries 409, until its lease ends. A repeat that
     * fails its condition finds the record no longer ours in flight: most likely done by
     * the first attempt, and in any case nothing more for this request to do. */
    if (st != DDB_OK && err->maybe_applied) {
        repeated = 1;
        st = ddb_update_item(r->ddb, r->table, keymap, update, &cond, NULL, NULL, err);
    }
    rs = idempotency_write_status(st, repeated);
out:
    json_object_put(keymap);
    json_object_put(names);
    json_object_put(values);
    return rs;
}

repo_status
idempotency_repo_release(struct idempotency_repo *r, const struct idempotency_claim *c,
                         struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    json_object *names = NULL, *values = NULL, *keymap = NULL;
    repo_status rs = REPO_OK;
    static const char cond_expr[] = "#s = :in_flight AND #o = :o";

    if (r == NULL || r->ddb == NULL || c == NULL)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no idempotency claim");
    if ((values = json_object_new_object()) == NULL ||
        jobj_add(values, ":in_flight", repo_av("S", IDEMPOTENCY_IN_FLIGHT_STATE)) != 0 ||
        jobj_add(values, ":o", repo_av("S", c->owner)) != 0 ||
        (names = idempotency_names_for(cond_expr, NULL)) == NULL ||
        (keymap = idempotency_keymap(c->key)) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    struct ddb_cond cond = {.expression = cond_expr, .names = names, .values = values};
    ddb_status st = ddb_delete_item(r->ddb, r->table, keymap, &cond, NULL, NULL, err);
    rs = idempotency_write_status(st, 0);
out:
    json_object_put(keymap);
    json_object_put(names);
    json_object_put(values);
    return rs;
}
