/* Donors: email (S, key, lower-cased by the caller), first_name, city, type (blood type),
 * created_at, updated_at, version (N). The city-type index lists a city's donors. Items come
 * back as plain JSON objects with exactly those members. */
#ifndef SAVEALIFE_DONOR_REPO_H
#define SAVEALIFE_DONOR_REPO_H

#include <json-c/json.h>

#include "repo/repo.h"

/* The name of the donors table's index on city (HASH) and type (RANGE). */
#define DONOR_REPO_INDEX "city-type"

/* Signs up a donor unless the email is taken (REPO_EXISTS). fields holds email, first_name,
 * city and type, already valid (borrowed). *out is the stored item. */
repo_status donor_repo_create(struct repo *repo, json_object *fields, json_object **out,
                              struct repo_error *err);

/* *out is the donor (strongly consistent read), or REPO_NOT_FOUND. */
repo_status donor_repo_get(struct repo *repo, const char *email, json_object **out,
                           struct repo_error *err);

/* Sets the members of fields (any of first_name, city, type; at least one; borrowed),
 * updated_at and version+1 in one conditional UpdateItem: REPO_NOT_FOUND if missing,
 * REPO_PRECONDITION if match is given and no version of it matches. *out is the new item. */
repo_status donor_repo_update(struct repo *repo, const char *email, json_object *fields,
                              const struct repo_match *match, json_object **out,
                              struct repo_error *err);

/* Removes the donor if it exists (REPO_NOT_FOUND otherwise) and matches. */
repo_status donor_repo_delete(struct repo *repo, const char *email, const struct repo_match *match,
                              struct repo_error *err);

/* One page of a city's donors, of one blood type when type is not NULL (Query on the index),
 * limit 1..100, after cursor (NULL: first page). A cursor from another city, type or listing
 * is REPO_BAD_CURSOR. */
repo_status donor_repo_list_city(struct repo *repo, const char *city, const char *type, int limit,
                                 const char *cursor, json_object **items, char **next_cursor,
                                 struct repo_error *err);

#endif
