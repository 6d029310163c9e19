/* DynamoDB item operations: put, get, update, delete, query and scan. Each checks its
 * arguments, builds the request, sends it through ddb_call and takes what the caller asked
 * for from the answer. */
#include <string.h>

#include "ddb.h"
#include "ddb_ops.h"
#include "marshal.h"

/* A map of attribute values: a non-empty object whose members are each {"T": value}. */
static ddb_status
ops_check_av_map(json_object *map, const char *what, size_t max_members, struct ddb_error *err)
{
    if (map == NULL || !json_object_is_type(map, json_type_object))
        return ddb_error_set(err, DDB_ERR_INVALID, "%s is not a map of attribute values", what);
    size_t n = (size_t)json_object_object_length(map);
    if (n == 0)
        return ddb_error_set(err, DDB_ERR_INVALID, "%s is empty", what);
    if (max_members != 0 && n > max_members)
        return ddb_error_set(err, DDB_ERR_INVALID, "%s has %zu attributes, at most %zu allowed",
                             what, n, max_members);
    json_object_object_foreach(map, name, av)
    {
        if (name[0] == '\0')
            return ddb_error_set(err, DDB_ERR_INVALID, "%s has an empty attribute name", what);
        if (av == NULL || !json_object_is_type(av, json_type_object) ||
            json_object_object_length(av) != 1)
            return ddb_error_set(err, DDB_ERR_INVALID,
                                 "%s: attribute \"%s\" is not an attribute value", what, name);
    }
    return DDB_OK;
}

/* A key has its partition attribute and at most a sort attribute. */
static ddb_status
ops_check_key(json_object *key, struct ddb_error *err)
{
    return ops_check_av_map(key, "key", 2, err);
}

/* NULL or an object: ExpressionAttributeNames/Values and ExclusiveStartKey. */
static ddb_status
ops_check_optional_map(json_object *map, const char *what, struct ddb_error *err)
{
    if (map == NULL)
        return DDB_OK;
    if (!json_object_is_type(map, json_type_object) || json_object_object_length(map) == 0)
        return ddb_error_set(err, DDB_ERR_INVALID, "%s must be a non-empty object", what);
    return DDB_OK;
}

/* NULL means "not given"; an empty expression is always a mistake (AWS rejects it). */
static ddb_status
ops_check_expression(const char *expr, const char *what, struct ddb_error *err)
{
    if (expr != NULL && expr[0] == '\0')
        return ddb_error_set(err, DDB_ERR_INVALID, "%s is empty", what);
    return DDB_OK;
}

/* has_other_expression: names and values may serve another expression (UpdateExpression);
 * without any expression AWS rejects them, so we do too, before sending. */
static ddb_status
ops_check_cond(const struct ddb_cond *cond, int has_other_expression, struct ddb_error *err)
{
    ddb_status st;

    if (cond == NULL)
        return DDB_OK;
    if ((st = ops_check_expression(cond->expression, "ConditionExpression", err)) != DDB_OK)
        return st;
    if ((st = ops_check_optional_map(cond->names, "ExpressionAttributeNames", err)) != DDB_OK)
        return st;
    if ((st = ops_check_optional_map(cond->values, "ExpressionAttributeValues", err)) != DDB_OK)
        return st;
    if (cond->expression == NULL && !has_other_expression &&
        (cond->names != NULL || cond->values != NULL))
        return ddb_error_set(err, DDB_ERR_INVALID,
                             "expression names or values given without an expression");
    return DDB_OK;
}

/* ReturnValues each operation accepts; put and delete only return old images. */
static const char *const ops_rv_put_delete[] = {"NONE", "ALL_OLD", NULL};
static const char *const ops_rv_update[] = {"NONE",    "ALL_OLD",     "UPDATED_OLD",
                                            "ALL_NEW", "UPDATED_NEW", NULL};

static ddb_status
ops_check_return_values(const char *rv, const char *const *allowed, struct ddb_error *err)
{
    if (rv == NULL)
        return DDB_OK;
    for (size_t i = 0; allowed[i] != NULL; i++)
        if (strcmp(rv, allowed[i]) == 0)
            return DDB_OK;
    return ddb_error_set(err, DDB_ERR_INVALID, "ReturnValues \"%s\" is not allowed here", rv);
}

static ddb_status
ops_add_cond(json_object *req, const struct ddb_cond *cond, struct ddb_error *err)
{
    ddb_status st = DDB_OK;

    if (cond == NULL)
        return DDB_OK;
    if (cond->expression != NULL &&
        (st = ops_add_string(req, "ConditionExpression", cond->expression, err)) != DDB_OK)
        return st;
    if (cond->names != NULL &&
        (st = ops_add_borrowed(req, "ExpressionAttributeNames", cond->names, err)) != DDB_OK)
        return st;
    if (cond->values != NULL &&
        (st = ops_add_borrowed(req, "ExpressionAttributeValues", cond->values, err)) != DDB_OK)
        return st;
    if (cond->old_item != NULL &&
        (st = ops_add_string(req, "ReturnValuesOnConditionCheckFailure", "ALL_OLD", err)) != DDB_OK)
        return st;
    return DDB_OK;
}

/* The write operations share one request shape: the table, the item (PutItem) or key under
 * member, an optional update expression, the condition, ReturnValues; Attributes come back. */
struct ops_write {
    const char *op;
    const char *member; /* "Item" or "Key" */
    json_object *value;
    const char *update_expression;
    const struct ddb_cond *cond;
    const char *return_values;
    const char *const *return_values_allowed;
};

/* Checks a write's arguments as DynamoDB would, so that a request it would refuse is not sent
 * and the caller's error is exact. */
static ddb_status
ops_check_write(const char *table, const struct ops_write *w, struct ddb_error *err)
{
    int is_item = strcmp(w->member, "Item") == 0;
    ddb_status st;

    /* update_expression may be NULL, as in AWS: the item is then created with its key only. */
    if ((st = ops_check_table(table, err)) != DDB_OK ||
        (st = is_item ? ops_check_av_map(w->value, "item", 0, err)
                      : ops_check_key(w->value, err)) != DDB_OK ||
        (st = ops_check_expression(w->update_expression, "UpdateExpression", err)) != DDB_OK ||
        (st = ops_check_cond(w->cond, w->update_expression != NULL, err)) != DDB_OK ||
        (st = ops_check_return_values(w->return_values, w->return_values_allowed, err)) != DDB_OK)
        return st;
    /* DynamoDB would refuse it anyway: a round trip saved, and the caller's error is exact. */
    return is_item ? marshal_check_item_size(w->value, err) : DDB_OK;
}

/* Checks and sends one write; when attributes is not NULL, hands back the answer's Attributes
 * map. Callers may pass a NULL err. */
static ddb_status
ops_write_item(struct ddb_client *c, const char *table, const struct ops_write *w,
               json_object **attributes, struct ddb_error *err)
{
    struct ddb_error scratch;
    ddb_status st;
    json_object *req = NULL, *resp = NULL;

    err = OPS_ERR(err, scratch);
    if (attributes != NULL)
        *attributes = NULL;
    if ((st = ops_begin(c, err)) != DDB_OK)
        return st;
    if ((st = ops_check_write(table, w, err)) != DDB_OK)
        return st;
    if (w->cond != NULL && w->cond->old_item != NULL)
        *w->cond->old_item = NULL;
    if ((st = ops_request_new(table, &req, err)) != DDB_OK ||
        (st = ops_add_borrowed(req, w->member, w->value, err)) != DDB_OK ||
        (st = ops_add_cond(req, w->cond, err)) != DDB_OK)
        goto done;
    if (w->update_expression != NULL &&
        (st = ops_add_string(req, "UpdateExpression", w->update_expression, err)) != DDB_OK)
        goto done;
    if (w->return_values != NULL &&
        (st = ops_add_string(req, "ReturnValues", w->return_values, err)) != DDB_OK)
        goto done;
    st = ddb_call(c, w->op, req, &resp, err);
    if (st == DDB_ERR_CONDITIONAL && resp != NULL && w->cond != NULL && w->cond->old_item != NULL) {
        struct ddb_error terr;

        /* A malformed Item is no worse than none: the caller then reads the item. */
        if (ops_take(resp, "Item", json_type_object, w->cond->old_item, &terr) != DDB_OK)
            *w->cond->old_item = NULL;
    }
    if (st != DDB_OK)
        goto done;
    if (attributes != NULL)
        st = ops_take(resp, "Attributes", json_type_object, attributes, err);
done:
    json_object_put(resp);
    json_object_put(req);
    return st;
}

ddb_status
ddb_put_item(struct ddb_client *c, const char *table, json_object *item,
             const struct ddb_cond *cond, const char *return_values, json_object **attributes,
             struct ddb_error *err)
{
    const struct ops_write w = {.op = "PutItem",
                                .member = "Item",
                                .value = item,
                                .cond = cond,
                                .return_values = return_values,
                                .return_values_allowed = ops_rv_put_delete};

    return ops_write_item(c, table, &w, attributes, err);
}

ddb_status
ddb_get_item(struct ddb_client *c, const char *table, json_object *key, int consistent,
             json_object **item, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *req = NULL, *resp = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    ddb_error_clear(err);
    if (item == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no place for the item");
    *item = NULL;
    if ((st = ops_begin(c, err)) != DDB_OK)
        return st;
    if ((st = ops_check_table(table, err)) != DDB_OK || (st = ops_check_key(key, err)) != DDB_OK)
        return st;

    if ((st = ops_request_new(table, &req, err)) != DDB_OK ||
        (st = ops_add_borrowed(req, "Key", key, err)) != DDB_OK)
        goto done;
    if (consistent &&
        (st = ops_add(req, "ConsistentRead", json_object_new_boolean(1), err)) != DDB_OK)
        goto done;
    if ((st = ddb_call(c, "GetItem", req, &resp, err)) != DDB_OK)
        goto done;
    /* No Item member (the answer is {}) is how DynamoDB says there is none. */
    st = ops_take(resp, "Item", json_type_object, item, err);
done:
    json_object_put(resp);
    json_object_put(req);
    return st;
}

ddb_status
ddb_update_item(struct ddb_client *c, const char *table, json_object *key,
                const char *update_expression, const struct ddb_cond *cond,
                const char *return_values, json_object **attributes, struct ddb_error *err)
{
    const struct ops_write w = {.op = "UpdateItem",
                                .member = "Key",
                                .value = key,
                                .update_expression = update_expression,
                                .cond = cond,
                                .return_values = return_values,
                                .return_values_allowed = ops_rv_update};

    return ops_write_item(c, table, &w, attributes, err);
}

ddb_status
ddb_delete_item(struct ddb_client *c, const char *table, json_object *key,
                const struct ddb_cond *cond, const char *return_values, json_object **attributes,
                struct ddb_error *err)
{
    const struct ops_write w = {.op = "DeleteItem",
                                .member = "Key",
                                .value = key,
                                .cond = cond,
                                .return_values = return_values,
                                .return_values_allowed = ops_rv_put_delete};

    return ops_write_item(c, table, &w, attributes, err);
}

static ddb_status
ops_check_page(const struct ddb_page_request *req, int query, struct ddb_error *err)
{
    ddb_status st;

    if (req == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no page request");
    if ((st = ops_check_table(req->table, err)) != DDB_OK)
        return st;
    if (req->index != NULL && req->index[0] == '\0')
        return ddb_error_set(err, DDB_ERR_INVALID, "index name is empty");
    if (query && req->key_condition == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "a query needs a key condition");
    /* Query-only fields on a scan are a caller's mistake, not something to drop quietly. */
    if (!query && (req->key_condition != NULL || req->descending))
        return ddb_error_set(err, DDB_ERR_INVALID, "key condition or order given to a scan");
    if ((st = ops_check_expression(req->key_condition, "KeyConditionExpression", err)) != DDB_OK ||
        (st = ops_check_expression(req->filter, "FilterExpression", err)) != DDB_OK ||
        (st = ops_check_optional_map(req->names, "ExpressionAttributeNames", err)) != DDB_OK ||
        (st = ops_check_optional_map(req->values, "ExpressionAttributeValues", err)) != DDB_OK)
        return st;
    if (req->key_condition == NULL && req->filter == NULL &&
        (req->names != NULL || req->values != NULL))
        return ddb_error_set(err, DDB_ERR_INVALID,
                             "expression names or values given without an expression");
    if (req->limit < 0)
        return ddb_error_set(err, DDB_ERR_INVALID, "limit is negative");
    if (req->start_key != NULL &&
        (st = ops_check_av_map(req->start_key, "start key", 0, err)) != DDB_OK)
        return st;
    return DDB_OK;
}

static ddb_status
ops_page_request(const struct ddb_page_request *pr, int query, json_object **out,
                 struct ddb_error *err)
{
    json_object *req = NULL;
    ddb_status st;

    if ((st = ops_request_new(pr->table, &req, err)) != DDB_OK)
        goto done;
    if (pr->index != NULL && (st = ops_add_string(req, "IndexName", pr->index, err)) != DDB_OK)
        goto done;
    if (query &&
        (st = ops_add_string(req, "KeyConditionExpression", pr->key_condition, err)) != DDB_OK)
        goto done;
    if (pr->filter != NULL &&
        (st = ops_add_string(req, "FilterExpression", pr->filter, err)) != DDB_OK)
        goto done;
    if (pr->names != NULL &&
        (st = ops_add_borrowed(req, "ExpressionAttributeNames", pr->names, err)) != DDB_OK)
        goto done;
    if (pr->values != NULL &&
        (st = ops_add_borrowed(req, "ExpressionAttributeValues", pr->values, err)) != DDB_OK)
        goto done;
    if (pr->limit > 0 &&
        (st = ops_add(req, "Limit", json_object_new_int(pr->limit), err)) != DDB_OK)
        goto done;
    if (pr->start_key != NULL &&
        (st = ops_add_borrowed(req, "ExclusiveStartKey", pr->start_key, err)) != DDB_OK)
        goto done;
    if (query && pr->descending &&
        (st = ops_add(req, "ScanIndexForward", json_object_new_boolean(0), err)) != DDB_OK)
        goto done;
    if (pr->consistent &&
        (st = ops_add(req, "ConsistentRead", json_object_new_boolean(1), err)) != DDB_OK)
        goto done;
    *out = req;
    req = NULL;
done:
    json_object_put(req);
    return st;
}

/* Query and Scan share everything but the operation name and the query-only fields. */
static ddb_status
ops_page(struct ddb_client *c, const struct ddb_page_request *pr, int query, json_object **items,
         json_object **last_key, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *req = NULL, *resp = NULL, *its = NULL, *last = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    ddb_error_clear(err);
    if (last_key != NULL)
        *last_key = NULL;
    if (items == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no place for the items");
    *items = NULL;
    if ((st = ops_begin(c, err)) != DDB_OK)
        return st;
    if ((st = ops_check_page(pr, query, err)) != DDB_OK)
        return st;

    if ((st = ops_page_request(pr, query, &req, err)) != DDB_OK)
        goto done;
    if ((st = ddb_call(c, query ? "Query" : "Scan", req, &resp, err)) != DDB_OK)
        goto done;
    if ((st = ops_take(resp, "Items", json_type_array, &its, err)) != DDB_OK ||
        (st = ops_take(resp, "LastEvaluatedKey", json_type_object, &last, err)) != DDB_OK)
        goto done;
    if (its == NULL) {
        st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "%s answered without Items",
                           query ? "Query" : "Scan");
        goto done;
    }
    *items = its;
    its = NULL;
    if (last_key != NULL) {
        *last_key = last;
        last = NULL;
    }
done:
    json_object_put(last);
    json_object_put(its);
    json_object_put(resp);
    json_object_put(req);
    return st;
}

ddb_status
ddb_query(struct ddb_client *c, const struct ddb_page_request *req, json_object **items,
          json_object **last_key, struct ddb_error *err)
{
    return ops_page(c, req, 1, items, last_key, err);
}

ddb_status
ddb_scan(struct ddb_client *c, const struct ddb_page_request *req, json_object **items,
         json_object **last_key, struct ddb_error *err)
{
    return ops_page(c, req, 0, items, last_key, err);
}
