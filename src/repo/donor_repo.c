/* Donors: the shapes of the table's items and of the city-type listing over the shared item
 * operations. */
#include "repo/donor_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/cursor.h"
#include "repo/repo_item.h"
#include "util/jobj.h"

static const struct repo_field donor_fields[] = {
    {"email", 0},
    {"first_name", 0},
    {"city", 0},
    {"type", 0},
};

/* A query on a GSI pages by the table's key and the index's keys. */
static struct repo_table
donor_table(const struct repo *repo)
{
    struct repo_table t = {
        .name = repo != NULL ? repo->donors : NULL,
        .fields = donor_fields,
        .nfields = sizeof(donor_fields) / sizeof(donor_fields[0]),
    };
    return t;
}

static repo_status
donor_fail(struct ddb_error *err, repo_status rs, ddb_status ds, const char *what)
{
    if (err != NULL)
        ddb_error_set(err, ds, "%s", what);
    return rs;
}

repo_status
donor_repo_create(struct repo *repo, json_object *fields, json_object **out,
                  struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = donor_table(repo);

    return repo_item_create(repo, &t, fields, out, err);
}

repo_status
donor_repo_get(struct repo *repo, const char *email, json_object **out, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = donor_table(repo);

    return repo_item_get(repo, &t, email, out, err);
}

repo_status
donor_repo_update(struct repo *repo, const char *email, json_object *fields,
                  const struct repo_match *match, json_object **out, struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = donor_table(repo);

    return repo_item_update(repo, &t, email, fields, match, out, err);
}

repo_status
donor_repo_delete(struct repo *repo, const char *email, const struct repo_match *match,
                  struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = donor_table(repo);

    return repo_item_delete(repo, &t, email, match, err);
}

repo_status
donor_repo_list_city(struct repo *repo, const char *city, const char *type, int limit,
                     const char *cursor, json_object **items, char **next_cursor,
                     struct repo_error *rerr)
{
    struct ddb_error *err = rerr != NULL ? &rerr->ddb : NULL;
    struct repo_table t = donor_table(repo);
    json_object *start = NULL, *names = NULL, *values = NULL;
    char *listing = NULL;
    repo_status rs;

    if (items != NULL)
        *items = NULL;
    if (next_cursor != NULL)
        *next_cursor = NULL;
    if (city == NULL || city[0] == '\0' || (type != NULL && type[0] == '\0'))
        return donor_fail(err, REPO_INVALID, DDB_ERR_INVALID, "city (and type if given) needed");
    if (limit < 1 || limit > 100)
        return donor_fail(err, REPO_INVALID, DDB_ERR_INVALID, "limit must be 1 to 100");

    /* A newline cannot occur in a valid city or type, so each query has its own listing. */
    size_t len = strlen("donors\n\n") + strlen(city) + (type != NULL ? strlen(type) : 0) + 1;
    if ((listing = malloc(len)) == NULL)
        return donor_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
    snprintf(listing, len, "donors\n%s\n%s", city, type != NULL ? type : "");

    if (cursor != NULL) {
        /* The city-type index's key, in this query's partition (and of its type, if given):
         * any other start key DynamoDB would refuse. */
        const struct cursor_attr attrs[] = {
            {"email", "S", NULL},
            {"city", "S", city},
            {"type", "S", type},
        };
        if (cursor_decode(listing, cursor, attrs, sizeof(attrs) / sizeof(attrs[0]), &start) != 0) {
            rs = donor_fail(err, REPO_BAD_CURSOR, DDB_ERR_INVALID, "the cursor is not valid");
            goto out;
        }
    }
    if ((names = json_object_new_object()) == NULL || (values = json_object_new_object()) == NULL ||
        jobj_add(names, "#c", json_object_new_string("city")) != 0 ||
        jobj_add(values, ":c", repo_av("S", city)) != 0 ||
        (type != NULL && (jobj_add(names, "#t", json_object_new_string("type")) != 0 ||
                          jobj_add(values, ":t", repo_av("S", type)) != 0))) {
        rs = donor_fail(err, REPO_ERROR, DDB_ERR_NOMEM, "out of memory");
        goto out;
    }
    struct ddb_page_request req = {
        .table = t.name,
        .index = DONOR_REPO_INDEX,
        .key_condition = type != NULL ? "#c = :c AND #t = :t" : "#c = :c",
        .names = names,
        .values = values,
        .limit = limit,
        .start_key = start,
    };
    rs = repo_item_page(repo, &t, &req, listing, items, next_cursor, err);
out:
    json_object_put(values);
    json_object_put(names);
    json_object_put(start);
    free(listing);
    return rs;
}
