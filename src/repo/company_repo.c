/* Companies: the shapes of the table's items and listing over the shared item operations. */
#include "repo/company_repo.h"

#include <stdlib.h>
#include <string.h>

#include "repo/cursor.h"
#include "repo/repo_item.h"
#include "util/jobj.h"

#define COMPANY_LISTING "companies"

static const struct repo_field company_fields[] = {
    {"id", 0},
    {"name", 0},
    {"keywords", 1},
};

static const struct cursor_attr company_cursor_attrs[] = {{"id", "S", NULL}};

static struct repo_table
company_table(const struct repo *repo)
{
    struct repo_table t = {
        .name = repo != NULL ? repo->companies : NULL,
        .fields = company_fields,
        .nfields = sizeof(company_fields) / sizeof(company_fields[0]),
    };
    return t;
}

static repo_status
company_fail(struct ddb_error *err, repo_status rs, ddb_status ds, const char *what)
{
    if (err != NULL)
        ddb_error_set(err, ds, "%s", what);
    return rs;
}

repo_status
company_repo_create(struct repo *repo, const char *id, const char *name, json_object *keywords,
                    json_object **out, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = company_table(repo);
    json_object *fields;
    repo_status rs;

    if (out != NULL)
        *out = NULL;
    if (id == NULL || name == NULL)
        return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "id and name are required");
    if ((fields = json_object_new_object()) == NULL)
        return company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
    if (jobj_add(fields, "id", json_object_new_string(id)) != 0 ||
        jobj_add(fields, "name", json_object_new_string(name)) != 0 ||
        jobj_add(fields, "keywords",
                 keywords != NULL ? json_object_get(keywords) : json_object_new_array()) != 0) {
        rs = company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    rs = repo_item_create(repo, &t, fields, out, err);
out:
    json_object_put(fields);
    return rs;
}

repo_status
company_repo_get(struct repo *repo, const char *id, json_object **out, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = company_table(repo);

    return repo_item_get(repo, &t, id, out, err);
}

repo_status
company_repo_update(struct repo *repo, const char *id, const char *name, json_object *keywords,
                    const struct repo_match *match, json_object **out, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = company_table(repo);
    json_object *fields;
    repo_status rs;

    if (out != NULL)
        *out = NULL;
    if (name == NULL && keywords == NULL)
        return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "nothing to update");
    if ((fields = json_object_new_object()) == NULL)
        return company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
    if ((name != NULL && jobj_add(fields, "name", json_object_new_string(name)) != 0) ||
        (keywords != NULL && jobj_add(fields, "keywords", json_object_get(keywords)) != 0)) {
        rs = company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    rs = repo_item_update(repo, &t, id, fields, match, out, err);
out:
    json_object_put(fields);
    return rs;
}

repo_status
company_repo_delete(struct repo *repo, const char *id, const struct repo_match *match,
                    struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = company_table(repo);

    return repo_item_delete(repo, &t, id, match, err);
}

/* {name: val}, taking val in every case; NULL when out of memory (or val is NULL). */
static json_object *
company_wrap(const char *name, json_object *val)
{
    json_object *obj = json_object_new_object();

    if (obj == NULL) {
        json_object_put(val);
        return NULL;
    }
    if (jobj_add(obj, name, val) != 0) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

static int
company_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

repo_status
company_repo_delete_many(struct repo *repo, const char *const *ids, size_t n,
                         struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct ddb_error scratch;
    const char **sorted = NULL;
    json_object *requests = NULL;
    repo_status rs;

    err = err != NULL ? err : &scratch;
    ddb_error_clear(err);
    if (repo == NULL || repo->ddb == NULL)
        return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "repository not initialised");
    if (n == 0)
        return REPO_OK;
    if (ids == NULL)
        return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "no ids");
    for (size_t i = 0; i < n; i++)
        if (ids[i] == NULL || ids[i][0] == '\0')
            return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "an id is empty");

    /* DynamoDB refuses a batch naming one key twice: sort, then send each id once. */
    if ((sorted = malloc(n * sizeof(*sorted))) == NULL ||
        (requests = json_object_new_array()) == NULL) {
        rs = company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(sorted, ids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), company_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
            continue;
        json_object *req = company_wrap(
            "DeleteRequest",
            company_wrap("Key",
                         company_wrap("id", company_wrap("S", json_object_new_string(sorted[i])))));
        if (req == NULL || json_object_array_add(requests, req) != 0) {
            json_object_put(req);
            rs = company_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    rs = repo_status_from_ddb(ddb_batch_write(repo->ddb, repo->companies, requests, err));
out:
    json_object_put(requests);
    free(sorted);
    return rs;
}

repo_status
company_repo_list(struct repo *repo, int limit, const char *cursor, json_object **items,
                  char **next_cursor, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = company_table(repo);
    json_object *start = NULL;
    repo_status rs;

    if (items != NULL)
        *items = NULL;
    if (next_cursor != NULL)
        *next_cursor = NULL;
    if (limit < 1 || limit > 100)
        return company_fail(err, REPO_INVALID, DDB_ERR_INVALID, "limit must be 1 to 100");
    if (cursor != NULL &&
        cursor_decode(COMPANY_LISTING, cursor, company_cursor_attrs,
                      sizeof(company_cursor_attrs) / sizeof(company_cursor_attrs[0]), &start) != 0)
        return company_fail(err, REPO_BAD_CURSOR, DDB_ERR_INVALID, "the cursor is not valid");
    struct ddb_page_request req = {
        .table = t.name,
        .limit = limit,
        .start_key = start,
        .consistent = 1,
    };
    rs = repo_item_page(repo, &t, &req, COMPANY_LISTING, items, next_cursor, err);
    json_object_put(start);
    return rs;
}
