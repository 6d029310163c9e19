/* What the DynamoDB table (ddb_table_ops.c) and item (ddb_item_ops.c) operations share: building
 * a request with json-c, checking a table name, taking a member from the answer. */
#include <string.h>

#include "ddb.h"
#include "ddb_ops.h"
#include "util/jobj.h"

/* TableName takes a name (3..255) or, since 2024, a table ARN (up to 1024). */
#define OPS_TABLE_MAX 1024

/* Adds val under key, taking ownership of val in every case (NULL val: out of memory). */
ddb_status
ops_add(json_object *obj, const char *key, json_object *val, struct ddb_error *err)
{
    /* Every key here is a literal ("TableName", "Key", ...): json-c need not copy it. */
    if (jobj_add_literal(obj, key, val) != 0)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building %s", key);
    return DDB_OK;
}

ddb_status
ops_add_string(json_object *obj, const char *key, const char *s, struct ddb_error *err)
{
    return ops_add(obj, key, json_object_new_string(s), err);
}

/* Adds a caller's object under key; the caller keeps its own reference. */
ddb_status
ops_add_borrowed(json_object *obj, const char *key, json_object *val, struct ddb_error *err)
{
    return ops_add(obj, key, json_object_get(val), err);
}

ddb_status
ops_check_table(const char *table, struct ddb_error *err)
{
    if (table == NULL || table[0] == '\0')
        return ddb_error_set(err, DDB_ERR_INVALID, "table name is missing");
    if (strlen(table) > OPS_TABLE_MAX)
        return ddb_error_set(err, DDB_ERR_INVALID, "table name is longer than %d bytes",
                             OPS_TABLE_MAX);
    return DDB_OK;
}

/* A new request with TableName set. */
ddb_status
ops_request_new(const char *table, json_object **out, struct ddb_error *err)
{
    ddb_status st;
    json_object *req = json_object_new_object();

    *out = NULL;
    if (req == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a request");
    if ((st = ops_add_string(req, "TableName", table, err)) != DDB_OK) {
        json_object_put(req);
        return st;
    }
    *out = req;
    return DDB_OK;
}

/* Takes member `name` of resp as a new reference, NULL when absent or JSON null. A member of
 * another type than `type` means the answer is not what DynamoDB sends. */
ddb_status
ops_take(json_object *resp, const char *name, json_type type, json_object **out,
         struct ddb_error *err)
{
    json_object *v = NULL;

    *out = NULL;
    if (!json_object_is_type(resp, json_type_object))
        return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "the answer is not a JSON object");
    if (!json_object_object_get_ex(resp, name, &v) || v == NULL)
        return DDB_OK;
    if (!json_object_is_type(v, type))
        return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "%s in the answer has the wrong type",
                             name);
    *out = json_object_get(v);
    return DDB_OK;
}

/* Sends req and drops the answer: operations whose caller wants only the status. */
ddb_status
ops_call_quiet(struct ddb_client *c, const char *op, json_object *req, struct ddb_error *err)
{
    json_object *resp = NULL;
    ddb_status st = ddb_call(c, op, req, &resp, err);

    json_object_put(resp);
    return st;
}

ddb_status
ops_begin(struct ddb_client *c, struct ddb_error *err)
{
    ddb_error_clear(err);
    if (c == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no client");
    return DDB_OK;
}
