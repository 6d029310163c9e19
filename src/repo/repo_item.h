/* What the repositories (company_repo.c, donor_repo.c, idempotency_repo.c) are built from:
 * tables as they see them and the conditional item operations of repo_item.c, with the small
 * helpers of repo.c. Private to repo/: only the .c files of repo/ include it; the layers above call
 * repo.h and the repositories' own headers. */
#ifndef SAVEALIFE_REPO_ITEM_H
#define SAVEALIFE_REPO_ITEM_H

#include <stddef.h>

#include <json-c/json.h>

#include "ddb/ddb.h"
#include "repo/repo.h"

/* A local failure: err says why (status ds), the repo status rs says what it means. */
repo_status repo_fail(struct ddb_error *err, repo_status rs, ddb_status ds, const char *what);
/* repo_fail for an allocation that failed. */
repo_status repo_nomem(struct ddb_error *err);
/* An attribute value {"<type>": text}, or NULL when out of memory. */
json_object *repo_av(const char *type, const char *text);

/* One data member of a table's items: a string (S), or a list of strings (L of S). */
struct repo_field {
    const char *name;
    int is_list;
};

/* A table as the repositories see it. fields[0] is the key (a string); items come back with
 * the fields in order, then created_at, updated_at and version. */
struct repo_table {
    const char *name;
    const struct repo_field *fields;
    size_t nfields;
};

/* PutItem of fields (plain, borrowed: the key and data members only) with created_at =
 * updated_at = now and version 1, conditional on the key being free (REPO_EXISTS). *out is
 * the stored plain item. */
repo_status repo_item_create(struct repo *repo, const struct repo_table *t, json_object *fields,
                             json_object **out, struct ddb_error *err);

/* Strongly consistent GetItem; REPO_NOT_FOUND when there is none. */
repo_status repo_item_get(struct repo *repo, const struct repo_table *t, const char *key,
                          json_object **out, struct ddb_error *err);

/* One conditional UpdateItem setting fields (plain, borrowed, at least one, not the key),
 * updated_at and version+1; REPO_NOT_FOUND or REPO_PRECONDITION as company_repo_update says.
 * *out is the item after the update. */
repo_status repo_item_update(struct repo *repo, const struct repo_table *t, const char *key,
                             json_object *fields, const struct repo_match *match, json_object **out,
                             struct ddb_error *err);

/* One conditional DeleteItem; REPO_NOT_FOUND or REPO_PRECONDITION as for an update. */
repo_status repo_item_delete(struct repo *repo, const struct repo_table *t, const char *key,
                             const struct repo_match *match, struct ddb_error *err);

/* One page: a Query when req->key_condition is set, else a Scan. *items is a new array of
 * plain items; *next_cursor a new cursor of the listing, or NULL on the last page. */
repo_status repo_item_page(struct repo *repo, const struct repo_table *t,
                           const struct ddb_page_request *req, const char *listing,
                           json_object **items, char **next_cursor, struct ddb_error *err);

#endif
