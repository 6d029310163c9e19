/* The conditional writes, reads and pages of items both repositories are built from. Every write is
 * one conditional request (two when the first may have been applied: repo.h): there is no read
 * before a write, and the only read after one (a failed conditional update or delete with a version
 * match, or a repeated write) tells 404 from 412 and "mine" from another writer's; where the
 * service returns the item with the failure (ALL_OLD), not even that. */
#include "repo/repo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ddb/marshal.h"
#include "repo/cursor.h"
#include "repo/repo_item.h"
#include "util/jobj.h"

/* Room for "SET #f0 = :f0, ..., #u = :u, #v = #v + :one" and for the condition with
 * REPO_MATCH_MAX versions; tables have a handful of fields. */
#define REPO_EXPR_MAX 1024
#define REPO_FIELDS_MAX 16

static const char *const repo_bookkeeping[] = {"created_at", "updated_at", "version"};

/* The attribute holding the token of the last write; never copied into a plain item. */
#define REPO_TOKEN_ATTR "write_token"
/* Random bytes of a fresh token: 128 bits, as 32 hex digits. */
#define REPO_TOKEN_RANDOM 16

/* Which write a conditional failure belongs to. */
enum repo_op { REPO_OP_CREATE, REPO_OP_UPDATE, REPO_OP_DELETE };

/* Callers may pass a NULL err; the functions below always have one to fill. */
#define REPO_ERR(err, scratch) ((err) != NULL ? (err) : &(scratch))

static json_object *
repo_key(const struct repo_table *t, const char *key)
{
    json_object *map = json_object_new_object();

    if (map != NULL && jobj_add(map, t->fields[0].name, repo_av("S", key)) != 0) {
        json_object_put(map);
        return NULL;
    }
    return map;
}

static const struct repo_field *
repo_field_find(const struct repo_table *t, const char *name)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

/* A field's value has the field's type: a string, or an array of strings. */
static int
repo_value_ok(const struct repo_field *f, json_object *v)
{
    if (!f->is_list)
        return json_object_is_type(v, json_type_string);
    if (!json_object_is_type(v, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
            return 0;
    return 1;
}

/* The repo and table every operation needs. */
static repo_status
repo_check_table(struct repo *repo, const struct repo_table *t, struct ddb_error *err)
{
    if (repo == NULL || repo->ddb == NULL || t == NULL || t->name == NULL || t->nfields == 0 ||
        t->nfields > REPO_FIELDS_MAX)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "repository not initialised");
    return REPO_OK;
}

/* ... and the key of an item operation. */
static repo_status
repo_check(struct repo *repo, const struct repo_table *t, const char *key, struct ddb_error *err)
{
    repo_status rs = repo_check_table(repo, t, err);

    if (rs == REPO_OK && (key == NULL || key[0] == '\0'))
        rs = repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "the key is missing");
    return rs;
}

/* A plain object with exactly the table's members, in their order, taken from plain. */
static repo_status
repo_order(const struct repo_table *t, json_object *plain, json_object **out, struct ddb_error *err)
{
    json_object *obj = json_object_new_object(), *v = NULL;

    *out = NULL;
    if (obj == NULL)
        return repo_nomem(err);
    for (size_t i = 0; i < t->nfields + 3; i++) {
        const char *name = i < t->nfields ? t->fields[i].name : repo_bookkeeping[i - t->nfields];
        if (json_object_object_get_ex(plain, name, &v) &&
            jobj_add(obj, name, json_object_get(v)) != 0) {
            json_object_put(obj);
            return repo_nomem(err);
        }
    }
    *out = obj;
    return REPO_OK;
}

/* An item as DynamoDB sent it, as a plain object with the table's members in their order:
 * made in one pass, with the table's (static) names as keys. */
static repo_status
repo_plain(const struct repo_table *t, json_object *item, json_object **out, struct ddb_error *err)
{
    const char *names[REPO_FIELDS_MAX + 3];
    size_t n = 0;
    ddb_status st;

    *out = NULL;
    if (t->nfields > REPO_FIELDS_MAX)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "repository not initialised");
    for (size_t i = 0; i < t->nfields; i++)
        names[n++] = t->fields[i].name;
    for (size_t i = 0; i < sizeof(repo_bookkeeping) / sizeof(repo_bookkeeping[0]); i++)
        names[n++] = repo_bookkeeping[i];
    st = marshal_item_pick_from_av(item, names, n, out, err);
    if (st != DDB_OK)
        return st == DDB_ERR_NOMEM ? REPO_ERROR
                                   : repo_fail(err, REPO_ERROR, DDB_ERR_BAD_RESPONSE,
                                               "an item in the answer is not a valid item");
    return REPO_OK;
}

/* This write's token: the request's, or 32 random hex digits from getrandom(2). */
static repo_status
repo_token(const struct repo *repo, char token[sizeof(repo->write_token)], struct ddb_error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[REPO_TOKEN_RANDOM];
    ssize_t n;

    if (repo->write_token[0] != '\0') {
        memcpy(token, repo->write_token, sizeof(repo->write_token));
        token[sizeof(repo->write_token) - 1] = '\0';
        return REPO_OK;
    }
    do
        n = getrandom(rnd, sizeof(rnd), 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(rnd))
        return repo_fail(err, REPO_ERROR, DDB_ERR_CONFIG, "getrandom failed: no write token");
    for (size_t i = 0; i < sizeof(rnd); i++) {
        token[2 * i] = hex[rnd[i] >> 4];
        token[2 * i + 1] = hex[rnd[i] & 0x0f];
    }
    token[2 * sizeof(rnd)] = '\0';
    return REPO_OK;
}

/* Whether a raw item carries token. */
static int
repo_is_mine(json_object *item, const char *token)
{
    json_object *av = NULL, *s = NULL;

    return item != NULL && json_object_object_get_ex(item, REPO_TOKEN_ATTR, &av) &&
           json_object_object_get_ex(av, "S", &s) && json_object_is_type(s, json_type_string) &&
           strcmp(json_object_get_string(s), token) == 0;
}

/* One write, whichever its kind, as repo_write sends it. */
struct repo_write {
    enum repo_op op;
    const char *table;
    json_object *value;   /* the item (create) or the key */
    json_object *key;     /* the key (borrowed) */
    const char *update;   /* UpdateExpression (update) */
    struct ddb_cond cond; /* its old_item points at old */
    json_object *old;     /* the item the condition failed on, when the answer had it */
    json_object *attrs;   /* the item after an update (ALL_NEW) */
    int repeated;         /* the first attempt may have been applied: sent a second time */
};

static ddb_status
repo_write_once(struct repo *repo, struct repo_write *w, struct ddb_error *err)
{
    json_object_put(w->old);
    w->old = NULL;
    w->cond.old_item = &w->old;
    switch (w->op) {
    case REPO_OP_CREATE:
        return ddb_put_item(repo->ddb, w->table, w->value, &w->cond, NULL, NULL, err);
    case REPO_OP_UPDATE:
        return ddb_update_item(repo->ddb, w->table, w->value, w->update, &w->cond, "ALL_NEW",
                               &w->attrs, err);
    case REPO_OP_DELETE:
        break;
    }
    return ddb_delete_item(repo->ddb, w->table, w->value, &w->cond, NULL, NULL, err);
}

/* Sends the write and, when the client says its attempt may have been applied, once more with
 * the same token and condition: if the first one happened, this one fails its condition,
 * which repo_resolve then reads. A second uncertain attempt is not repeated (503), nor is the
 * repeat sent while the breaker is open (the client stops it at once: 503). Whatever else
 * keeps the repeat from answering leaves the first attempt's doubt: maybe_applied stays. */
static ddb_status
repo_write(struct repo *repo, struct repo_write *w, struct ddb_error *err)
{
    ddb_status st = repo_write_once(repo, w, err);

    if (st == DDB_OK || !err->maybe_applied)
        return st;
    w->repeated = 1;
    st = repo_write_once(repo, w, err);
    if (st != DDB_OK && st != DDB_ERR_CONDITIONAL)
        err->maybe_applied = 1;
    return st;
}

/* What a write's conditional failure means. Without a repeat or a token of the request
 * (a fresh random token cannot be on the item) it is what it was before tokens: a create found
 * the key taken, an update or delete without versions to match found no item, one with
 * versions reads the item to tell 404 from 412. Otherwise the item decides: with this write's
 * token on it, the write was "mine" (*mine is the item: success); for a repeated delete, no
 * item is the state asked for (success); else another writer's (409, 404, 412). The item is
 * the one the answer carried (w->old), else one strongly consistent read. */
static repo_status
repo_resolve(struct repo *repo, const struct repo_table *t, struct repo_write *w,
             const struct repo_match *match, const char *token, json_object **mine,
             struct ddb_error *err)
{
    int versioned = match != NULL && !match->any;
    int resolve = w->repeated || (w->op != REPO_OP_DELETE && repo->write_token[0] != '\0');
    json_object *item = NULL;
    repo_status rs;

    *mine = NULL;
    if (!resolve && w->op == REPO_OP_CREATE)
        return REPO_EXISTS;
    if (!resolve && !versioned)
        return REPO_NOT_FOUND;
    if (w->old != NULL) {
        item = w->old;
        w->old = NULL;
    } else {
        struct ddb_error gerr;
        ddb_status st;

        ddb_error_clear(&gerr);
        st = ddb_get_item(repo->ddb, t->name, w->key, 1, &item, &gerr);
        if (st != DDB_OK) {
            /* err keeps the conditional failure unless the read itself fails. */
            gerr.maybe_applied = w->repeated;
            *err = gerr;
            return repo_status_from_ddb(st);
        }
    }
    if (!resolve)
        rs = item == NULL ? REPO_NOT_FOUND : REPO_PRECONDITION;
    else if (w->op == REPO_OP_DELETE)
        rs = item == NULL ? REPO_OK : versioned ? REPO_PRECONDITION : REPO_UNAVAILABLE;
    else if (repo_is_mine(item, token)) {
        *mine = item;
        item = NULL;
        rs = REPO_OK;
    } else if (w->op == REPO_OP_CREATE)
        rs = REPO_EXISTS;
    else if (item == NULL)
        rs = REPO_NOT_FOUND;
    else if (versioned)
        rs = REPO_PRECONDITION;
    else
        /* Present, not mine, yet the condition failed: it changed under the repeat. */
        rs = w->repeated ? REPO_UNAVAILABLE : REPO_NOT_FOUND;
    if (rs == REPO_OK)
        ddb_error_clear(err);
    else if (rs == REPO_UNAVAILABLE) {
        ddb_error_set(err, DDB_ERR_CONDITIONAL,
                      "the write may have been applied and the item changed since");
        err->maybe_applied = 1;
    }
    json_object_put(item);
    return rs;
}

repo_status
repo_item_create(struct repo *repo, const struct repo_table *t, json_object *fields,
                 json_object **out, struct ddb_error *err)
{
    struct ddb_error scratch;
    char ts[32], token[sizeof(repo->write_token)];
    json_object *plain = NULL, *item = NULL, *names = NULL, *key = NULL, *keymap = NULL;
    json_object *mine = NULL;
    struct repo_write w = {.op = REPO_OP_CREATE};
    repo_status rs;
    ddb_status st;

    err = REPO_ERR(err, scratch);
    ddb_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (fields == NULL || !json_object_is_type(fields, json_type_object) || t == NULL ||
        t->nfields == 0)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "the fields are not an object");
    if (!json_object_object_get_ex(fields, t->fields[0].name, &key) ||
        !json_object_is_type(key, json_type_string))
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "the key is missing");
    if ((rs = repo_check(repo, t, json_object_get_string(key), err)) != REPO_OK)
        return rs;
    if ((plain = json_object_new_object()) == NULL)
        return repo_nomem(err);

    /* Every field, each of its type, and nothing else: an item always has all its members. */
    if ((size_t)json_object_object_length(fields) != t->nfields) {
        rs = repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "an item needs every field");
        goto out;
    }
    json_object_object_foreach(fields, name, v)
    {
        const struct repo_field *f = repo_field_find(t, name);
        if (f == NULL || v == NULL || !repo_value_ok(f, v)) {
            rs = repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "a field is unknown or mistyped");
            goto out;
        }
        if (jobj_add(plain, name, json_object_get(v)) != 0) {
            rs = repo_nomem(err);
            goto out;
        }
    }
    repo_timestamp(ts);
    if (jobj_add(plain, "created_at", json_object_new_string(ts)) != 0 ||
        jobj_add(plain, "updated_at", json_object_new_string(ts)) != 0 ||
        jobj_add(plain, "version", json_object_new_int64(1)) != 0) {
        rs = repo_nomem(err);
        goto out;
    }
    if ((rs = repo_token(repo, token, err)) != REPO_OK)
        goto out;
    if ((st = marshal_item_to_av(plain, &item, err)) != DDB_OK) {
        rs = repo_status_from_ddb(st);
        goto out;
    }
    if (jobj_add(item, REPO_TOKEN_ATTR, repo_av("S", token)) != 0 ||
        (names = json_object_new_object()) == NULL ||
        jobj_add(names, "#k", json_object_new_string(t->fields[0].name)) != 0 ||
        (keymap = repo_key(t, json_object_get_string(key))) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    w.table = t->name;
    w.value = item;
    w.key = keymap;
    w.cond = (struct ddb_cond){.expression = "attribute_not_exists(#k)", .names = names};
    st = repo_write(repo, &w, err);
    if (st == DDB_ERR_CONDITIONAL) {
        rs = repo_resolve(repo, t, &w, NULL, token, &mine, err);
        if (rs == REPO_OK && out != NULL)
            rs = repo_plain(t, mine, out, err);
        goto out;
    }
    if (st != DDB_OK) {
        rs = repo_status_from_ddb(st);
        goto out;
    }
    rs = out != NULL ? repo_order(t, plain, out, err) : REPO_OK;
out:
    json_object_put(mine);
    json_object_put(w.old);
    json_object_put(keymap);
    json_object_put(names);
    json_object_put(item);
    json_object_put(plain);
    return rs;
}

repo_status
repo_item_get(struct repo *repo, const struct repo_table *t, const char *key, json_object **out,
              struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *keymap = NULL, *item = NULL;
    repo_status rs;
    ddb_status st;

    err = REPO_ERR(err, scratch);
    ddb_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if ((rs = repo_check(repo, t, key, err)) != REPO_OK)
        return rs;
    if ((keymap = repo_key(t, key)) == NULL)
        return repo_nomem(err);
    st = ddb_get_item(repo->ddb, t->name, keymap, 1, &item, err);
    if (st != DDB_OK)
        rs = repo_status_from_ddb(st);
    else if (item == NULL)
        rs = REPO_NOT_FOUND;
    else
        rs = out != NULL ? repo_plain(t, item, out, err) : REPO_OK;
    json_object_put(item);
    json_object_put(keymap);
    return rs;
}

/* The write condition into expr: the item exists and, with a version match, has one of the
 * versions (names get #k and #v, values :v0...); with a token (updates), the item's last
 * write was not this one (names get #w, values :w). values may be NULL when match has none
 * and there is no token. */
static repo_status
repo_condition(const struct repo_table *t, const struct repo_match *match, const char *token,
               json_object *names, json_object *values, char expr[REPO_EXPR_MAX],
               struct ddb_error *err)
{
    size_t len;

    if (jobj_add(names, "#k", json_object_new_string(t->fields[0].name)) != 0)
        return repo_nomem(err);
    len = (size_t)snprintf(expr, REPO_EXPR_MAX, "attribute_exists(#k)");
    if (token != NULL) {
        if (jobj_add(names, "#w", json_object_new_string(REPO_TOKEN_ATTR)) != 0 ||
            jobj_add(values, ":w", repo_av("S", token)) != 0)
            return repo_nomem(err);
        len += (size_t)snprintf(expr + len, REPO_EXPR_MAX - len,
                                " AND (attribute_not_exists(#w) OR #w <> :w)");
    }
    if (match == NULL || match->any)
        return REPO_OK;
    if (jobj_add(names, "#v", json_object_new_string("version")) != 0)
        return repo_nomem(err);
    len += (size_t)snprintf(expr + len, REPO_EXPR_MAX - len,
                            match->n == 1 ? " AND #v = " : " AND #v IN (");
    for (size_t i = 0; i < match->n; i++) {
        char name[24], num[32];
        snprintf(name, sizeof(name), ":v%zu", i);
        snprintf(num, sizeof(num), "%lld", match->versions[i]);
        if (jobj_add(values, name, repo_av("N", num)) != 0)
            return repo_nomem(err);
        len += (size_t)snprintf(expr + len, REPO_EXPR_MAX - len, "%s%s", i > 0 ? ", " : "", name);
    }
    if (match->n > 1)
        snprintf(expr + len, REPO_EXPR_MAX - len, ")");
    return REPO_OK;
}

/* A match must name at least one version (or be any) and fit its array. */
static repo_status
repo_check_match(const struct repo_match *match, struct ddb_error *err)
{
    if (match != NULL && !match->any && (match->n == 0 || match->n > REPO_MATCH_MAX))
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID,
                         "an If-Match needs 1 to 8 versions or *");
    return REPO_OK;
}

repo_status
repo_item_update(struct repo *repo, const struct repo_table *t, const char *key,
                 json_object *fields, const struct repo_match *match, json_object **out,
                 struct ddb_error *err)
{
    struct ddb_error scratch;
    char ts[32], update[REPO_EXPR_MAX], condition[REPO_EXPR_MAX], token[sizeof(repo->write_token)];
    json_object *keymap = NULL, *names = NULL, *values = NULL, *mine = NULL;
    struct repo_write w = {.op = REPO_OP_UPDATE};
    size_t len = 0, i = 0;
    repo_status rs;
    ddb_status st;

    err = REPO_ERR(err, scratch);
    ddb_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if ((rs = repo_check(repo, t, key, err)) != REPO_OK ||
        (rs = repo_check_match(match, err)) != REPO_OK)
        return rs;
    if (fields == NULL || !json_object_is_type(fields, json_type_object) ||
        json_object_object_length(fields) == 0)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "nothing to update");
    if ((keymap = repo_key(t, key)) == NULL || (names = json_object_new_object()) == NULL ||
        (values = json_object_new_object()) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }

    len = (size_t)snprintf(update, sizeof(update), "SET ");
    json_object_object_foreach(fields, name, v)
    {
        const struct repo_field *f = repo_field_find(t, name);
        char pn[24], pv[24];
        json_object *av = NULL;

        if (f == NULL || f == &t->fields[0] || v == NULL || !repo_value_ok(f, v)) {
            rs = repo_fail(err, REPO_INVALID, DDB_ERR_INVALID,
                           "a field is unknown, mistyped or the key");
            goto out;
        }
        snprintf(pn, sizeof(pn), "#f%zu", i);
        snprintf(pv, sizeof(pv), ":f%zu", i);
        if ((st = marshal_to_av(v, &av, err)) != DDB_OK) {
            rs = repo_status_from_ddb(st);
            goto out;
        }
        if (jobj_add(values, pv, av) != 0 ||
            jobj_add(names, pn, json_object_new_string(name)) != 0) {
            rs = repo_nomem(err);
            goto out;
        }
        /* Fields are distinct members of the table (at most REPO_FIELDS_MAX): this fits. */
        len += (size_t)snprintf(update + len, sizeof(update) - len, "%s = %s, ", pn, pv);
        i++;
    }
    snprintf(update + len, sizeof(update) - len, "#u = :u, #v = #v + :one, #w = :w");
    repo_timestamp(ts);
    if ((rs = repo_token(repo, token, err)) != REPO_OK)
        goto out;
    if (jobj_add(names, "#u", json_object_new_string("updated_at")) != 0 ||
        jobj_add(names, "#v", json_object_new_string("version")) != 0 ||
        jobj_add(values, ":u", repo_av("S", ts)) != 0 ||
        jobj_add(values, ":one", repo_av("N", "1")) != 0) {
        rs = repo_nomem(err);
        goto out;
    }
    if ((rs = repo_condition(t, match, token, names, values, condition, err)) != REPO_OK)
        goto out;

    w.table = t->name;
    w.value = keymap;
    w.key = keymap;
    w.update = update;
    w.cond = (struct ddb_cond){.expression = condition, .names = names, .values = values};
    st = repo_write(repo, &w, err);
    if (st == DDB_ERR_CONDITIONAL) {
        rs = repo_resolve(repo, t, &w, match, token, &mine, err);
        if (rs == REPO_OK && out != NULL)
            rs = repo_plain(t, mine, out, err);
    } else if (st != DDB_OK)
        rs = repo_status_from_ddb(st);
    else if (w.attrs == NULL)
        rs = repo_fail(err, REPO_ERROR, DDB_ERR_BAD_RESPONSE, "UpdateItem returned no item");
    else
        rs = out != NULL ? repo_plain(t, w.attrs, out, err) : REPO_OK;
out:
    json_object_put(mine);
    json_object_put(w.old);
    json_object_put(w.attrs);
    json_object_put(values);
    json_object_put(names);
    json_object_put(keymap);
    return rs;
}

repo_status
repo_item_delete(struct repo *repo, const struct repo_table *t, const char *key,
                 const struct repo_match *match, struct ddb_error *err)
{
    struct ddb_error scratch;
    char condition[REPO_EXPR_MAX];
    json_object *keymap = NULL, *names = NULL, *values = NULL, *mine = NULL;
    struct repo_write w = {.op = REPO_OP_DELETE};
    repo_status rs;
    ddb_status st;

    err = REPO_ERR(err, scratch);
    ddb_error_clear(err);
    if ((rs = repo_check(repo, t, key, err)) != REPO_OK ||
        (rs = repo_check_match(match, err)) != REPO_OK)
        return rs;
    if ((keymap = repo_key(t, key)) == NULL || (names = json_object_new_object()) == NULL ||
        (values = json_object_new_object()) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    /* No token: a deleted item keeps none (repo.h). */
    if ((rs = repo_condition(t, match, NULL, names, values, condition, err)) != REPO_OK)
        goto out;
    w.table = t->name;
    w.value = keymap;
    w.key = keymap;
    /* DynamoDB refuses an empty ExpressionAttributeValues. */
    w.cond = (struct ddb_cond){
        .expression = condition,
        .names = names,
        .values = json_object_object_length(values) > 0 ? values : NULL,
    };
    st = repo_write(repo, &w, err);
    if (st == DDB_ERR_CONDITIONAL)
        rs = repo_resolve(repo, t, &w, match, "", &mine, err);
    else
        rs = repo_status_from_ddb(st);
out:
    json_object_put(mine);
    json_object_put(w.old);
    json_object_put(values);
    json_object_put(names);
    json_object_put(keymap);
    return rs;
}

repo_status
repo_item_page(struct repo *repo, const struct repo_table *t, const struct ddb_page_request *req,
               const char *listing, json_object **items, char **next_cursor, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *raw = NULL, *last = NULL, *list = NULL;
    repo_status rs = REPO_OK;
    ddb_status st;

    err = REPO_ERR(err, scratch);
    ddb_error_clear(err);
    if (items == NULL || next_cursor == NULL)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no place for the page");
    *items = NULL;
    *next_cursor = NULL;
    if ((rs = repo_check_table(repo, t, err)) != REPO_OK)
        return rs;
    if (req == NULL || listing == NULL)
        return repo_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no page request");
    st = req->key_condition != NULL ? ddb_query(repo->ddb, req, &raw, &last, err)
                                    : ddb_scan(repo->ddb, req, &raw, &last, err);
    if (st != DDB_OK) {
        rs = repo_status_from_ddb(st);
        goto out;
    }
    if ((list = json_object_new_array()) == NULL) {
        rs = repo_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(raw); i++) {
        json_object *plain = NULL;
        if ((rs = repo_plain(t, json_object_array_get_idx(raw, i), &plain, err)) != REPO_OK)
            goto out;
        if (json_object_array_add(list, plain) != 0) {
            json_object_put(plain);
            rs = repo_nomem(err);
            goto out;
        }
    }
    if (last != NULL && cursor_encode(listing, last, next_cursor) != 0) {
        rs = repo_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "cannot make the next cursor");
        goto out;
    }
    *items = list;
    list = NULL;
out:
    json_object_put(list);
    json_object_put(last);
    json_object_put(raw);
    return rs;
}
