/* BatchGetItem for one table: the keys are made unique (numbers compared by value), then
 * sent through the batch engine (ddb_batch.c) in chunks of 100, the items found gathered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb.h"
#include "ddb_batch.h"
#include "ddb_test.h"

#define BATCH_GET_MAX 100 /* keys in one BatchGetItem */

static ddb_status
batch_get_build(const struct batch_op *op, json_object *chunk, json_object **out,
                struct ddb_error *err)
{
    json_object *body = json_object_new_object();
    json_object *flag = NULL;

    if (body == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a batch");
    if (json_object_object_add(body, "Keys", json_object_get(chunk)) != 0) {
        json_object_put(chunk);
        goto nomem;
    }
    if (op->consistent) {
        if ((flag = json_object_new_boolean(1)) == NULL)
            goto nomem;
        if (json_object_object_add(body, "ConsistentRead", flag) != 0) {
            json_object_put(flag);
            goto nomem;
        }
    }
    return batch_wrap(op->table, body, out, err);
nomem:
    json_object_put(body);
    return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a batch");
}

static ddb_status
batch_get_absorb(const struct batch_op *op, json_object *resp, json_object *leftovers,
                 struct ddb_error *err)
{
    json_object *responses = NULL;
    ddb_status st;

    if (json_object_object_get_ex(resp, "Responses", &responses) && responses != NULL) {
        if (!json_object_is_type(responses, json_type_object))
            return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "Responses is not a map");
        json_object_object_foreach(responses, table, found)
        {
            (void)table;
            if ((st = batch_append_all(op->results, found, err)) != DDB_OK)
                return st;
        }
    }
    return batch_take_unprocessed(resp, "UnprocessedKeys", "Keys", leftovers, err);
}

/* Numbers equal in value are one key to DynamoDB ("1" and "1.0"): the canonical text is
 * 0.<significant digits>e<exponent>, without leading or trailing zeros. Text that is not a
 * number is kept as is (the service will reject it). */
static ddb_status
batch_canon_number(const char *s, char **out, struct ddb_error *err)
{
    const char *p = s;
    int neg = 0, seen_point = 0, any = 0;
    long exp10 = 0, shift = 0;
    size_t cap = strlen(s) + 32, nd = 0;
    char *digits = malloc(cap), *canon = NULL;

    *out = NULL;
    if (digits == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    for (; *p != '\0'; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
        } else if (*p >= '0' && *p <= '9') {
            any = 1;
            if (nd == 0 && *p == '0') {
                if (seen_point)
                    shift--; /* a zero between the point and the first digit */
                continue;
            }
            digits[nd++] = *p;
            if (!seen_point)
                shift++;
        } else {
            break;
        }
    }
    if (*p == 'e' || *p == 'E') {
        char *end = NULL;

        errno = 0;
        exp10 = strtol(p + 1, &end, 10);
        /* Far beyond DynamoDB's range: not worth canonicalizing, and no overflow below. */
        if (end == p + 1 || *end != '\0' || errno != 0 || exp10 > 100000 || exp10 < -100000)
            any = 0;
    } else if (*p != '\0') {
        any = 0;
    }
    while (nd > 0 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    if (any && (canon = malloc(cap)) != NULL) {
        if (nd == 0)
            snprintf(canon, cap, "0");
        else
            snprintf(canon, cap, "%s0.%se%ld", neg ? "-" : "", digits, shift + exp10);
    } else if (!any) {
        canon = strdup(s);
    }
    free(digits);
    if (canon == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
    *out = canon;
    return DDB_OK;
}

/* A text that is the same for two keys exactly when DynamoDB deems them one key: members
 * sorted by name, numbers canonical. */
static int
batch_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends val, taking ownership of it (NULL: out of memory). */
static ddb_status
batch_append_new(json_object *array, json_object *val, struct ddb_error *err)
{
    if (val == NULL || json_object_array_add(array, val) != 0) {
        json_object_put(val);
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
    }
    return DDB_OK;
}

/* key has one or two members (checked by the caller). */
static ddb_status
batch_key_text(json_object *key, json_object **out, struct ddb_error *err)
{
    const char *names[2];
    size_t n = 0;
    json_object *parts = NULL;
    ddb_status st = DDB_OK;

    *out = NULL;
    json_object_object_foreach(key, name, av)
    {
        (void)av;
        if (n < 2)
            names[n++] = name;
    }
    qsort(names, n, sizeof names[0], batch_cmp_names);
    if ((parts = json_object_new_array()) == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *av = json_object_object_get(key, names[i]);

        if ((st = batch_append_new(parts, json_object_new_string(names[i]), err)) != DDB_OK)
            goto done;
        json_object_object_foreach(av, type, value)
        {
            json_object *part = NULL;
            char *num = NULL;

            if ((st = batch_append_new(parts, json_object_new_string(type), err)) != DDB_OK)
                goto done;
            if (strcmp(type, "N") == 0 && json_object_is_type(value, json_type_string)) {
                if ((st = batch_canon_number(json_object_get_string(value), &num, err)) != DDB_OK)
                    goto done;
                part = json_object_new_string(num);
                free(num);
            } else {
                /* S and B compare by their exact text (B as sent, base64). */
                part = json_object_new_string(
                    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
            }
            if ((st = batch_append_new(parts, part, err)) != DDB_OK)
                goto done;
        }
    }
    *out = parts;
    parts = NULL;
done:
    json_object_put(parts);
    return st;
}

/* Two equal keys in one BatchGetItem are a ValidationException. We drop repeats instead of
 * rejecting: the answer is a set of items anyway, so asking twice means the same as once,
 * and callers passing ids from users need not dedupe first. Numbers equal in value count as
 * one key: dynalite rejects "1" with "1.0" as duplicates, DynamoDB Local accepts them and
 * answers the item twice; either way the caller would not get a set. Keys are checked here
 * too. */
static ddb_status
batch_unique_keys(json_object *keys, json_object **out, struct ddb_error *err)
{
    json_object *seen = NULL, *unique = NULL;
    ddb_status st = DDB_OK;

    *out = NULL;
    if ((seen = json_object_new_object()) == NULL || (unique = json_object_new_array()) == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
        goto done;
    }
    for (size_t i = 0; i < json_object_array_length(keys); i++) {
        json_object *key = json_object_array_get_idx(keys, i);
        json_object *text = NULL;
        size_t members =
            json_object_is_type(key, json_type_object) ? (size_t)json_object_object_length(key) : 0;

        if (members == 0 || members > 2) {
            st = ddb_error_set(err, DDB_ERR_INVALID, "key %zu is not a key", i);
            goto done;
        }
        json_object_object_foreach(key, name, av)
        {
            if (av == NULL || !json_object_is_type(av, json_type_object) ||
                json_object_object_length(av) != 1) {
                st = ddb_error_set(err, DDB_ERR_INVALID,
                                   "key %zu: \"%s\" is not an attribute value", i, name);
                goto done;
            }
        }
        if ((st = batch_key_text(key, &text, err)) != DDB_OK)
            goto done;
        const char *t = json_object_to_json_string_ext(text, JSON_C_TO_STRING_PLAIN);
        if (t == NULL) {
            json_object_put(text);
            st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
            goto done;
        }
        if (json_object_object_get_ex(seen, t, NULL)) {
            json_object_put(text);
            continue;
        }
        if (json_object_object_add(seen, t, NULL) != 0) {
            json_object_put(text);
            st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
            goto done;
        }
        json_object_put(text);
        if ((st = batch_append(unique, key, err)) != DDB_OK)
            goto done;
    }
    *out = unique;
    unique = NULL;
done:
    json_object_put(unique);
    json_object_put(seen);
    return st;
}

ddb_status
ddb_batch_get(struct ddb_client *c, const char *table, json_object *keys, int consistent,
              json_object **items, struct ddb_error *err)
{
    struct ddb_error scratch;
    json_object *unique = NULL, *results = NULL;
    ddb_status st;

    if (err == NULL)
        err = &scratch;
    ddb_error_clear(err);
    if (items == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no place for the items");
    *items = NULL;
    if (c == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "no client");
    if (table == NULL || table[0] == '\0')
        return ddb_error_set(err, DDB_ERR_INVALID, "table name is missing");
    if (keys == NULL || !json_object_is_type(keys, json_type_array))
        return ddb_error_set(err, DDB_ERR_INVALID, "keys are not an array");

    if ((st = batch_unique_keys(keys, &unique, err)) != DDB_OK)
        goto done;
    if ((results = json_object_new_array()) == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
        goto done;
    }
    struct batch_op op = {
        .operation = "BatchGetItem",
        .chunk_max = BATCH_GET_MAX,
        .build = batch_get_build,
        .absorb = batch_get_absorb,
        .table = table,
        .consistent = consistent,
        .results = results,
    };
    if ((st = batch_run(c, &op, unique, err)) != DDB_OK)
        goto done;
    *items = results;
    results = NULL;
done:
    json_object_put(results);
    json_object_put(unique);
    return st;
}
