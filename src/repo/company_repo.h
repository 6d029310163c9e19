/* Companies: id (S, the lower-cased name), name, keywords (list of strings), created_at,
 * updated_at, version (N, 1 on create, +1 on every update). Items come back as plain JSON
 * objects with exactly those members. Every function returns a repo_status and fills err with
 * the DynamoDB details of a failure (for the log). */
#ifndef SAVEALIFE_COMPANY_REPO_H
#define SAVEALIFE_COMPANY_REPO_H

#include <json-c/json.h>

#include "repo/repo.h"

/* Creates the company unless the id is taken (REPO_EXISTS). keywords is an array of strings
 * (borrowed) or NULL for none (stored as an empty list). *out is the stored item. */
repo_status company_repo_create(struct repo *repo, const char *id, const char *name,
                                json_object *keywords, json_object **out, struct repo_error *err);

/* *out is the item (strongly consistent read), or REPO_NOT_FOUND. */
repo_status company_repo_get(struct repo *repo, const char *id, json_object **out,
                             struct repo_error *err);

/* Sets name and/or keywords (NULL: unchanged; at least one is given), updated_at, version+1,
 * in one conditional UpdateItem: the item must exist (REPO_NOT_FOUND) and, with match, have
 * one of its versions (REPO_PRECONDITION). *out is the item after the update. */
repo_status company_repo_update(struct repo *repo, const char *id, const char *name,
                                json_object *keywords, const struct repo_match *match,
                                json_object **out, struct repo_error *err);

/* Deletes the item if it exists (REPO_NOT_FOUND otherwise) and matches. */
repo_status company_repo_delete(struct repo *repo, const char *id, const struct repo_match *match,
                                struct repo_error *err);

/* Deletes every id given (BatchWriteItem; ids that do not exist are no error; duplicates are
 * sent once). Unprocessed items are re-sent until done or the client's deadline. */
repo_status company_repo_delete_many(struct repo *repo, const char *const *ids, size_t n,
                                     struct repo_error *err);

/* One page of companies (Scan), limit 1..100, starting after cursor (NULL: the first page).
 * *items is a new array of plain items; *next_cursor a new string, or NULL on the last page.
 * A cursor that is not one of this listing's is REPO_BAD_CURSOR. */
repo_status company_repo_list(struct repo *repo, int limit, const char *cursor, json_object **items,
                              char **next_cursor, struct repo_error *err);

#endif
