/* DynamoDB table operations: create, describe, wait until active, delete, list. Each checks
 * its arguments, builds the request, sends it through ddb_call and takes what the caller
 * asked for from the answer. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ddb.h"
#include "ddb_ops.h"
#include "ddb_test.h"
#include "util/clock.h"

/* Growing interval between DescribeTable polls while waiting for a table. */
#define OPS_POLL_FIRST_MS 20
#define OPS_POLL_MAX_MS 1000

ddb_status
ddb_create_table(struct ddb_client *c, json_object *input, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *name = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    if ((st = ops_begin(c, err)) != DDB_OK)
        return st;
    if (input == NULL || !json_object_is_type(input, json_type_object) ||
        !json_object_object_get_ex(input, "TableName", &name) ||
        !json_object_is_type(name, json_type_string))
        return ddb_error_set(err, DDB_ERR_INVALID, "CreateTable input has no TableName");
    if ((st = ops_check_table(json_object_get_string(name), err)) != DDB_OK)
        return st;
    return ops_call_quiet(c, "CreateTable", input, err);
}

ddb_status
ddb_describe_table(struct ddb_client *c, const char *table, json_object **table_desc,
                   struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *req = NULL, *resp = NULL, *desc = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    if (table_desc != NULL)
        *table_desc = NULL;
    if ((st = ops_begin(c, err)) != DDB_OK || (st = ops_check_table(table, err)) != DDB_OK)
        return st;
    if ((st = ops_request_new(table, &req, err)) != DDB_OK)
        goto done;
    if ((st = ddb_call(c, "DescribeTable", req, &resp, err)) != DDB_OK)
        goto done;
    if ((st = ops_take(resp, "Table", json_type_object, &desc, err)) != DDB_OK)
        goto done;
    if (desc == NULL) {
        st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "DescribeTable answered without Table");
        goto done;
    }
    if (table_desc != NULL) {
        *table_desc = desc;
        desc = NULL;
    }
done:
    json_object_put(desc);
    json_object_put(resp);
    json_object_put(req);
    return st;
}

/* Whether member `name` of obj is the string `want`; anything else (absent, null, another
 * type) is not. */
static int
ops_member_is(json_object *obj, const char *name, const char *want)
{
    json_object *v = NULL;

    return json_object_object_get_ex(obj, name, &v) && json_object_is_type(v, json_type_string) &&
           strcmp(json_object_get_string(v), want) == 0;
}

/* Whether a table description says the table and each of its GSIs are ACTIVE. A missing
 * IndexStatus counts as not active: we keep polling rather than guess. */
static int
ops_table_active(json_object *desc)
{
    json_object *gsis = NULL;

    if (!ops_member_is(desc, "TableStatus", "ACTIVE"))
        return 0;
    if (!json_object_object_get_ex(desc, "GlobalSecondaryIndexes", &gsis) ||
        !json_object_is_type(gsis, json_type_array))
        return 1;
    for (size_t i = 0; i < json_object_array_length(gsis); i++)
        if (!ops_member_is(json_object_array_get_idx(gsis, i), "IndexStatus", "ACTIVE"))
            return 0;
    return 1;
}

/* The deadline is checked between polls: one DescribeTable in flight (bounded by the
 * client's own retry deadline) may end after it. */
ddb_status
ddb_wait_table_active(struct ddb_client *c, const char *table, long timeout_ms,
                      struct ddb_error *err)
{
    struct ddb_error scratch;
    ddb_status st;
    long interval = OPS_POLL_FIRST_MS;

    err = OPS_ERR(err, scratch);
    if ((st = ops_begin(c, err)) != DDB_OK || (st = ops_check_table(table, err)) != DDB_OK)
        return st;
    if (timeout_ms <= 0)
        return ddb_error_set(err, DDB_ERR_INVALID, "timeout must be positive");

    long deadline = clock_now_ms() + timeout_ms;
    for (;;) {
        json_object *desc = NULL;

        st = ddb_describe_table(c, table, &desc, err);
        if (st == DDB_OK) {
            int active = ops_table_active(desc);
            int deleting = ops_member_is(desc, "TableStatus", "DELETING");

            json_object_put(desc);
            if (active)
                return DDB_OK;
            if (deleting)
                return ddb_error_set(err, DDB_ERR_NOT_FOUND, "table %s is being deleted", table);
        } else if (st != DDB_ERR_NOT_FOUND) {
            /* Right after CreateTable, AWS may not know the table yet (it is eventually
             * consistent): not-found is worth another poll, anything else is final. */
            return st;
        }

        long left = deadline - clock_now_ms();
        if (left <= 0) {
            if (st == DDB_ERR_NOT_FOUND)
                return st;
            return ddb_error_set(err, DDB_ERR_TIMEOUT, "table %s not ACTIVE after %ld ms", table,
                                 timeout_ms);
        }
        clock_sleep_ms(interval < left ? interval : left);
        interval = interval * 3 / 2;
        if (interval > OPS_POLL_MAX_MS)
            interval = OPS_POLL_MAX_MS;
    }
}

ddb_status
ddb_delete_table(struct ddb_client *c, const char *table, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *req = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    if ((st = ops_begin(c, err)) != DDB_OK || (st = ops_check_table(table, err)) != DDB_OK)
        return st;
    if ((st = ops_request_new(table, &req, err)) != DDB_OK)
        goto done;
    st = ops_call_quiet(c, "DeleteTable", req, err);
done:
    json_object_put(req);
    return st;
}

/* Appends one page's TableNames to names. */
static ddb_status
ops_append_names(json_object *names, json_object *page, struct ddb_error *err)
{
    json_object *tn = NULL;

    if (!json_object_object_get_ex(page, "TableNames", &tn) ||
        !json_object_is_type(tn, json_type_array))
        return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "ListTables answered without TableNames");
    for (size_t i = 0; i < json_object_array_length(tn); i++) {
        json_object *name = json_object_array_get_idx(tn, i);

        if (!json_object_is_type(name, json_type_string))
            return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "a table name is not a string");
        if (json_object_array_add(names, json_object_get(name)) != 0) {
            json_object_put(name);
            return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory listing tables");
        }
    }
    return DDB_OK;
}

ddb_status
ddb_list_tables(struct ddb_client *c, json_object **names, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *all = NULL, *req = NULL, *resp = NULL, *last = NULL;
    ddb_status st;

    err = OPS_ERR(err, scratch);
    ddb_error_clear(err);
    if (names == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no place for the names");
    *names = NULL;
    if ((st = ops_begin(c, err)) != DDB_OK)
        return st;
    if ((all = json_object_new_array()) == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory listing tables");
        goto done;
    }
    for (;;) {
        json_object *next = NULL;

        if ((req = json_object_new_object()) == NULL) {
            st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory listing tables");
            goto done;
        }
        if (last != NULL &&
            (st = ops_add_borrowed(req, "ExclusiveStartTableName", last, err)) != DDB_OK)
            goto done;
        if ((st = ddb_call(c, "ListTables", req, &resp, err)) != DDB_OK)
            goto done;
        if ((st = ops_append_names(all, resp, err)) != DDB_OK)
            goto done;
        if ((st = ops_take(resp, "LastEvaluatedTableName", json_type_string, &next, err)) != DDB_OK)
            goto done;
        /* A server handing back the name it was given would loop us forever. */
        if (next != NULL && last != NULL &&
            strcmp(json_object_get_string(next), json_object_get_string(last)) == 0) {
            json_object_put(next);
            st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "ListTables does not advance");
            goto done;
        }
        json_object_put(last);
        last = next;
        json_object_put(resp);
        resp = NULL;
        json_object_put(req);
        req = NULL;
        if (last == NULL)
            break;
    }
    *names = all;
    all = NULL;
    st = DDB_OK;
done:
    json_object_put(last);
    json_object_put(resp);
    json_object_put(req);
    json_object_put(all);
    return st;
}
