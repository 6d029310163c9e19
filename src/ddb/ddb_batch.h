/* The batch engine (ddb_batch.c) and the two operations it runs (ddb_batch_write.c,
 * ddb_batch_get.c). Private to those files: nothing else includes it. */
#ifndef SAVEALIFE_DDB_BATCH_H
#define SAVEALIFE_DDB_BATCH_H

#include <json-c/json.h>

#include "ddb.h"

/* What differs between the two operations. */
struct batch_op {
    const char *operation; /* "BatchWriteItem" ... */
    size_t chunk_max;
    /* A request body for one chunk (an array of requests or keys). */
    ddb_status (*build)(const struct batch_op *op, json_object *chunk, json_object **out,
                        struct ddb_error *err);
    /* Takes what one answer holds: results (gets only) and leftovers to send again. */
    ddb_status (*absorb)(const struct batch_op *op, json_object *resp, json_object *leftovers,
                         struct ddb_error *err);
    const char *table;
    int consistent;
    json_object *results; /* gets: the items found */
};

/* Appends a new reference to v. */
ddb_status batch_append(json_object *array, json_object *v, struct ddb_error *err);
/* Appends a new reference to each element of the array src. */
ddb_status batch_append_all(json_object *dst, json_object *src, struct ddb_error *err);
/* {"RequestItems": {table: body}}, taking ownership of body. */
ddb_status batch_wrap(const char *table, json_object *body, json_object **out,
                      struct ddb_error *err);
/* Appends to leftovers what the answer's Unprocessed* map (member) holds; pick is NULL for
 * the entry itself, or the member of the entry holding the list ("Keys"). */
ddb_status batch_take_unprocessed(json_object *resp, const char *member, const char *pick,
                                  json_object *leftovers, struct ddb_error *err);
/* Runs op over input (an array of requests or keys) until nothing is left or the deadline. */
ddb_status batch_run(struct ddb_client *c, const struct batch_op *op, json_object *input,
                     struct ddb_error *err);

#endif
