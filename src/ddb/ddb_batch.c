/* BatchWriteItem and BatchGetItem for one table: the caller's list is cut into chunks of the
 * service's limits, the chunks of a round go out together through ddb_call_parallel, and
 * whatever DynamoDB leaves unprocessed is sent again after a backoff until nothing is left
 * or the deadline passes. Nothing is dropped silently: leftovers end in an error saying how
 * many. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddb.h"
#include "ddb_test.h"
#include "marshal.h"

#define BATCH_WRITE_MAX 25 /* requests in one BatchWriteItem */
#define BATCH_GET_MAX 100  /* keys in one BatchGetItem */
#define BATCH_WAVE_MAX 16  /* chunks handed to ddb_call_parallel at once */

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

static long
batch_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A stall's deadline from now, cut to the request's (the same clock). */
static long
batch_deadline(const struct ddb_client *c, const struct retry_policy *policy)
{
    long deadline = batch_now_ms() + policy->total_ms;
    uint64_t request = ddb_client_deadline(c);

    return request != 0 && (long)request < deadline ? (long)request : deadline;
}

static void
batch_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Appends a new reference to v. */
static ddb_status
batch_append(json_object *array, json_object *v, struct ddb_error *err)
{
    if (json_object_array_add(array, json_object_get(v)) != 0) {
        json_object_put(v);
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
    }
    return DDB_OK;
}

/* Appends every element of src (an array, or NULL) to dst. */
static ddb_status
batch_append_all(json_object *dst, json_object *src, struct ddb_error *err)
{
    ddb_status st;

    if (src == NULL)
        return DDB_OK;
    if (!json_object_is_type(src, json_type_array))
        return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "a batch answer holds a non-array");
    for (size_t i = 0; i < json_object_array_length(src); i++)
        if ((st = batch_append(dst, json_object_array_get_idx(src, i), err)) != DDB_OK)
            return st;
    return DDB_OK;
}

/* {"RequestItems": {table: body}}, taking ownership of body. */
static ddb_status
batch_wrap(const char *table, json_object *body, json_object **out, struct ddb_error *err)
{
    json_object *req = NULL, *items = NULL;
    ddb_status st = DDB_OK;

    *out = NULL;
    if (body == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a batch");
    if ((req = json_object_new_object()) == NULL || (items = json_object_new_object()) == NULL)
        goto nomem;
    if (json_object_object_add(items, table, body) != 0)
        goto nomem;
    body = NULL;
    if (json_object_object_add(req, "RequestItems", items) != 0)
        goto nomem;
    items = NULL;
    *out = req;
    return DDB_OK;
nomem:
    st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a batch");
    json_object_put(body);
    json_object_put(items);
    json_object_put(req);
    return st;
}

static ddb_status
batch_write_build(const struct batch_op *op, json_object *chunk, json_object **out,
                  struct ddb_error *err)
{
    return batch_wrap(op->table, json_object_get(chunk), out, err);
}

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

/* Every table's entry of an Unprocessed* map is ours (we send one table), whatever
 * spelling of its name (name or ARN) the service answers with. pick is NULL to take the
 * entry itself (write requests), or the member holding the list ("Keys"). */
static ddb_status
batch_take_unprocessed(json_object *resp, const char *member, const char *pick,
                       json_object *leftovers, struct ddb_error *err)
{
    json_object *map = NULL;
    ddb_status st;

    if (!json_object_object_get_ex(resp, member, &map) || map == NULL)
        return DDB_OK;
    if (!json_object_is_type(map, json_type_object))
        return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "%s is not a map", member);
    json_object_object_foreach(map, table, entry)
    {
        json_object *list = entry;

        (void)table;
        if (pick != NULL && (entry == NULL || !json_object_object_get_ex(entry, pick, &list)))
            return ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "%s has no %s", member, pick);
        if ((st = batch_append_all(leftovers, list, err)) != DDB_OK)
            return st;
    }
    return DDB_OK;
}

static ddb_status
batch_write_absorb(const struct batch_op *op, json_object *resp, json_object *leftovers,
                   struct ddb_error *err)
{
    (void)op;
    return batch_take_unprocessed(resp, "UnprocessedItems", NULL, leftovers, err);
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

/* Sends one wave: the chunks of pending[from .. from+count) each of at most chunk_max.
 * Leftovers (unprocessed by the service, or whole chunks still throttled after the
 * client's own retries) go to leftovers. Any other failure ends the batch. */
static ddb_status
batch_wave(struct ddb_client *c, const struct batch_op *op, json_object *pending, size_t from,
           size_t count, json_object *leftovers, struct ddb_error *err)
{
    json_object *chunks[BATCH_WAVE_MAX] = {0};
    json_object *reqs[BATCH_WAVE_MAX] = {0};
    json_object *resps[BATCH_WAVE_MAX] = {0};
    struct ddb_error errs[BATCH_WAVE_MAX];
    size_t n = 0, i;
    ddb_status st = DDB_OK, all;

    for (size_t at = from; at < from + count; at += op->chunk_max, n++) {
        size_t end = at + op->chunk_max < from + count ? at + op->chunk_max : from + count;

        if ((chunks[n] = json_object_new_array()) == NULL) {
            st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory building a batch");
            goto done;
        }
        for (i = at; i < end; i++)
            if ((st = batch_append(chunks[n], json_object_array_get_idx(pending, i), err)) !=
                DDB_OK)
                goto done;
        if ((st = op->build(op, chunks[n], &reqs[n], err)) != DDB_OK)
            goto done;
        ddb_error_clear(&errs[n]);
    }

    all = ddb_call_parallel(c, op->operation, reqs, n, resps, errs);
    int any_failed = 0;
    for (i = 0; i < n; i++) {
        if (errs[i].status == DDB_OK && resps[i] != NULL) {
            if ((st = op->absorb(op, resps[i], leftovers, err)) != DDB_OK)
                goto done;
            continue;
        }
        any_failed = 1;
        if (errs[i].status == DDB_ERR_THROTTLED) {
            /* Still throttled after the client's retries: the whole chunk waits for the
             * next round, which backs off further. */
            if ((st = batch_append_all(leftovers, chunks[i], err)) != DDB_OK)
                goto done;
            continue;
        }
        *err = errs[i];
        if (err->status == DDB_OK)
            ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "%s: no answer", op->operation);
        st = err->status;
        goto done;
    }
    /* The machinery failed before any call could report on its own. */
    if (all != DDB_OK && !any_failed) {
        st = ddb_error_set(err, all, "%s: parallel call failed", op->operation);
        goto done;
    }
    st = DDB_OK;
done:
    for (i = 0; i < BATCH_WAVE_MAX; i++) {
        json_object_put(chunks[i]);
        json_object_put(reqs[i]);
        json_object_put(resps[i]);
    }
    return st;
}

/* Runs rounds until nothing is pending. Within a round, waves of up to BATCH_WAVE_MAX chunks
 * go out one after the other. Before a round that re-sends leftovers comes a backoff from
 * the default retry policy (the client's own policy is not exposed): it grows with each
 * round in a row that got nothing done, and starts small again after one that made
 * progress, because leftovers are also how DynamoDB cuts an answer at its size limit, with
 * no throttling involved. The policy's total_ms bounds a stall: a batch that made no
 * progress for that long ends with DDB_ERR_THROTTLED; one still moving goes on (at most one
 * round per request, since each such round gets at least one done), but never past the
 * request's deadline (ddb_client_set_deadline), which progress does not move. */
static ddb_status
batch_run(struct ddb_client *c, const struct batch_op *op, json_object *input,
          struct ddb_error *err)
{
    struct retry_policy policy;
    uint64_t rnd;
    json_object *pending = NULL, *leftovers = NULL;
    size_t total = json_object_array_length(input);
    ddb_status st = DDB_OK;
    int stalled = 0, rounds = 0;

    retry_policy_default(&policy);
    retry_seed(&rnd);
    long deadline = batch_deadline(c, &policy);

    pending = json_object_get(input);
    while (json_object_array_length(pending) > 0) {
        size_t n = json_object_array_length(pending);
        size_t wave = op->chunk_max * BATCH_WAVE_MAX;

        if ((leftovers = json_object_new_array()) == NULL) {
            st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
            goto done;
        }
        rounds++;
        for (size_t from = 0; from < n; from += wave)
            if ((st = batch_wave(c, op, pending, from, n - from < wave ? n - from : wave, leftovers,
                                 err)) != DDB_OK) {
                /* Say how much may be unwritten, so a caller never assumes all went in. */
                size_t left = n - from + json_object_array_length(leftovers);
                size_t len = strlen(err->message);
                snprintf(err->message + len, sizeof err->message - len,
                         " (%zu of %zu requests may not have been processed)", left, total);
                goto done;
            }
        size_t left = json_object_array_length(leftovers);
        json_object_put(pending);
        pending = leftovers;
        leftovers = NULL;
        if (left == 0)
            break;

        if (left < n) {
            stalled = 1;
            deadline = batch_deadline(c, &policy);
        } else {
            stalled++;
        }
        long wait = retry_backoff_ms(&policy, stalled, &rnd);
        if (batch_now_ms() + wait >= deadline) {
            st = ddb_error_set(err, DDB_ERR_THROTTLED,
                               "%s: %zu of %zu requests still unprocessed after %d rounds",
                               op->operation, left, total, rounds);
            goto done;
        }
        batch_sleep_ms(wait);
    }
done:
    json_object_put(leftovers);
    json_object_put(pending);
    return st;
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
