/* What the DynamoDB table and item operations share (ddb_ops.c). Private to ddb_ops.c,
 * ddb_table_ops.c and ddb_item_ops.c: nothing else includes it. */
#ifndef SAVEALIFE_DDB_OPS_H
#define SAVEALIFE_DDB_OPS_H

#include <json-c/json.h>

#include "ddb.h"

/* Callers may pass a NULL err; the operations always have one to fill. */
#define OPS_ERR(err, scratch) ((err) != NULL ? (err) : &(scratch))

/* Adds val under the literal key, taking ownership of val in every case (NULL: out of memory). */
ddb_status ops_add(json_object *obj, const char *key, json_object *val, struct ddb_error *err);
/* Adds a new string s under key. */
ddb_status ops_add_string(json_object *obj, const char *key, const char *s, struct ddb_error *err);
/* Adds a caller's object under key; the caller keeps its own reference. */
ddb_status ops_add_borrowed(json_object *obj, const char *key, json_object *val,
                            struct ddb_error *err);
/* A table name or ARN: present and not longer than DynamoDB takes. */
ddb_status ops_check_table(const char *table, struct ddb_error *err);
/* A new request with TableName set. */
ddb_status ops_request_new(const char *table, json_object **out, struct ddb_error *err);
/* Member name of resp as a new reference (NULL when absent); another type is a bad answer. */
ddb_status ops_take(json_object *resp, const char *name, json_type type, json_object **out,
                    struct ddb_error *err);
/* Sends req and drops the answer. */
ddb_status ops_call_quiet(struct ddb_client *c, const char *op, json_object *req,
                          struct ddb_error *err);
/* The opening of every operation: err cleared (again: it may have been, to refuse an argument
 * first), a client there. */
ddb_status ops_begin(struct ddb_client *c, struct ddb_error *err);

#endif
