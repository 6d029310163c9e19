/* BatchWriteItem for one table: the write requests are checked, then sent through the batch
 * engine (ddb_batch.c) in chunks of 25. */
#include <stdio.h>
#include <string.h>

#include "ddb.h"
#include "ddb_batch.h"
#include "marshal.h"

#define BATCH_WRITE_MAX 25 /* requests in one BatchWriteItem */

static ddb_status
batch_write_build(const struct batch_op *op, json_object *chunk, json_object **out,
                  struct ddb_error *err)
{
    return batch_wrap(op->table, json_object_get(chunk), out, err);
}

static ddb_status
batch_write_absorb(const struct batch_op *op, json_object *resp, json_object *leftovers,
                   struct ddb_error *err)
{
    (void)op;
    return batch_take_unprocessed(resp, "UnprocessedItems", NULL, leftovers, err);
}

/* One write request: exactly one of PutRequest {Item} or DeleteRequest {Key}. Put items are
 * size-checked here so an oversized item fails the batch before anything is sent. */
static ddb_status
batch_check_write(json_object *wr, size_t i, struct ddb_error *err)
{
    json_object *put = NULL, *del = NULL, *v = NULL;
    int has_put, has_del;

    if (!json_object_is_type(wr, json_type_object) || json_object_object_length(wr) != 1)
        return ddb_error_set(err, DDB_ERR_INVALID, "write request %zu is not one request", i);
    has_put = json_object_object_get_ex(wr, "PutRequest", &put);
    has_del = json_object_object_get_ex(wr, "DeleteRequest", &del);
    if (has_put) {
        if (!json_object_is_type(put, json_type_object) ||
            !json_object_object_get_ex(put, "Item", &v) ||
            !json_object_is_type(v, json_type_object) || json_object_object_length(v) == 0)
            return ddb_error_set(err, DDB_ERR_INVALID, "write request %zu: no Item", i);
        ddb_status st = marshal_check_item_size(v, err);
        if (st != DDB_OK) {
            size_t len = strlen(err->message);
            snprintf(err->message + len, sizeof err->message - len, " (write request %zu)", i);
        }
        return st;
    }
    if (has_del) {
        if (!json_object_is_type(del, json_type_object) ||
            !json_object_object_get_ex(del, "Key", &v) ||
            !json_object_is_type(v, json_type_object) || json_object_object_length(v) == 0)
            return ddb_error_set(err, DDB_ERR_INVALID, "write request %zu: no Key", i);
        return DDB_OK;
    }
    return ddb_error_set(err, DDB_ERR_INVALID,
                         "write request %zu is neither PutRequest nor DeleteRequest", i);
}

/* Order between requests is not kept (chunks go out in parallel and leftovers later), so
 * two requests for one item in a batch have no defined outcome; within one chunk DynamoDB
 * rejects them with a ValidationException. Put keys are not known without the table's key
 * schema, so this is the caller's to avoid, not checked here. */
ddb_status
ddb_batch_write(struct ddb_client *c, const char *table, json_object *requests,
                struct ddb_error *err)
{
    struct ddb_error scratch;
    ddb_status st;

    if (err == NULL)
        err = &scratch;
    ddb_error_clear(err);
    if (c == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no client");
    if (table == NULL || table[0] == '\0')
        return ddb_error_set(err, DDB_ERR_INVALID, "table name is missing");
    if (requests == NULL || !json_object_is_type(requests, json_type_array))
        return ddb_error_set(err, DDB_ERR_INVALID, "write requests are not an array");
    for (size_t i = 0; i < json_object_array_length(requests); i++)
        if ((st = batch_check_write(json_object_array_get_idx(requests, i), i, err)) != DDB_OK)
            return st;

    struct batch_op op = {
        .operation = "BatchWriteItem",
        .chunk_max = BATCH_WRITE_MAX,
        .build = batch_write_build,
        .absorb = batch_write_absorb,
        .table = table,
    };
    return batch_run(c, &op, requests, err);
}
