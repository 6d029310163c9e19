/* The batch engine of BatchWriteItem and BatchGetItem (ddb_batch_write.c, ddb_batch_get.c),
 * for one table: the caller's list is cut into chunks of the service's limits, the chunks of a
 * round go out together through ddb_call_parallel, and whatever DynamoDB leaves unprocessed is
 * sent again after a backoff until nothing is left or the deadline passes. Nothing is dropped
 * silently: leftovers end in an error saying how many. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddb.h"
#include "ddb_batch.h"
#include "util/clock.h"

#define BATCH_WAVE_MAX 16 /* chunks handed to ddb_call_parallel at once */

/* A stall's deadline from now, cut to the request's (the same clock). */
static long
batch_deadline(const struct ddb_client *c, const struct retry_policy *policy)
{
    long deadline = clock_now_ms() + policy->total_ms;
    uint64_t request = ddb_client_deadline(c);

    return request != 0 && (long)request < deadline ? (long)request : deadline;
}

/* Appends a new reference to v. */
ddb_status
batch_append(json_object *array, json_object *v, struct ddb_error *err)
{
    if (json_object_array_add(array, json_object_get(v)) != 0) {
        json_object_put(v);
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory in a batch");
    }
    return DDB_OK;
}

/* Appends every element of src (an array, or NULL) to dst. */
ddb_status
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
ddb_status
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

/* Every table's entry of an Unprocessed* map is ours (we send one table), whatever
 * spelling of its name (name or ARN) the service answers with. pick is NULL to take the
 * entry itself (write requests), or the member holding the list ("Keys"). */
ddb_status
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
ddb_status
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
        if (clock_now_ms() + wait >= deadline) {
            st = ddb_error_set(err, DDB_ERR_THROTTLED,
                               "%s: %zu of %zu requests still unprocessed after %d rounds",
                               op->operation, left, total, rounds);
            goto done;
        }
        clock_sleep_ms(wait);
    }
done:
    json_object_put(leftovers);
    json_object_put(pending);
    return st;
}
