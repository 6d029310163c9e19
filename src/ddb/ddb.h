/* The DynamoDB client: one per worker process, created after fork, kept for its lifetime.
 * Requests and answers are json-c objects in DynamoDB's own (attribute-value) form; marshal.h
 * converts plain JSON. Every function returns DDB_OK or fills err. */
#ifndef SAVEALIFE_DDB_H
#define SAVEALIFE_DDB_H

#include <json-c/json.h>

#include "ddb_error.h"
#include "ddb_stats.h"
#include "retry.h"

struct ddb_client;

struct ddb_options {
    const char *ca_file;     /* PEM CA bundle; NULL: AWS_CA_BUNDLE, else the system's */
    long connect_timeout_ms; /* 0: 3000 */
    /* One HTTP attempt of a single-item or table operation; 0: 10000 (create-tables' budget;
     * the service passes SAVEALIFE_DDB_ATTEMPT_TIMEOUT). A page (Query, Scan, BatchGetItem,
     * BatchWriteItem) may take DDB_PAGE_ATTEMPT_FACTOR times as long: it reads or writes up
     * to 1 MB where a single item is at most 400 KB and usually a few. */
    long attempt_timeout_ms;
    struct retry_policy retry; /* all zero: retry_policy_default() */
};

#define DDB_PAGE_ATTEMPT_FACTOR 4

/* The owner's view of DynamoDB's health (the api's pool-wide breaker); every field optional. */
struct ddb_hooks {
    /* After every HTTP attempt: reached is 1 when DynamoDB answered (any HTTP status, a bad
     * CRC included), 0 when the attempt could not connect, timed out or lost its connection.
     * Attempts that failed before sending (credentials, memory) are not reported. */
    void (*attempt)(void *ctx, int reached);
    /* Before every attempt, the first included, and every round of parallel calls: 0 ends
     * the call at once with DDB_ERR_STOPPED. maybe_applied keeps what earlier attempts left:
     * a write whose attempt may have been applied is not sent again in any case. */
    int (*go_on)(void *ctx);
    void *ctx;
};

/* Resolves region, endpoint and credentials source from the environment and creates the
 * transport (which initialises libcurl once per process). Nothing is sent. */
ddb_status ddb_client_new(const struct ddb_options *opts, struct ddb_client **out,
                          struct ddb_error *err);

/* Frees the client, its handles and wipes its credentials. NULL is allowed. */
void ddb_client_free(struct ddb_client *c);

/* The client's figures so far. */
void ddb_client_stats(const struct ddb_client *c, struct ddb_stats *out);

/* The request's deadline, on the CLOCK_MONOTONIC clock in milliseconds (0: none). Every
 * call, retry, backoff and batch round ends by the earlier of its own budget (the policy's
 * total_ms) and this deadline; a call with less than 100 ms left sends nothing and fails
 * with DDB_ERR_TIMEOUT. The api sets it when a request starts and clears it at its end. */
void ddb_client_set_deadline(struct ddb_client *c, uint64_t deadline_ms);
/* The deadline set, 0 when none. */
uint64_t ddb_client_deadline(const struct ddb_client *c);

/* Sets the hooks (copied; NULL removes them). */
void ddb_client_set_hooks(struct ddb_client *c, const struct ddb_hooks *hooks);

/* The resolved endpoint URL, for logs. */
const char *ddb_client_endpoint(const struct ddb_client *c);
/* The resolved region, for logs. */
const char *ddb_client_region(const struct ddb_client *c);

/* One operation ("PutItem", ...) with retries: signs, sends, checks the CRC, parses the
 * answer. *response is a new reference on success, and for a write that failed its condition
 * (DDB_ERR_CONDITIONAL) the error's body when there was one (it holds "Item" when
 * ReturnValuesOnConditionCheckFailure was asked and the service supports it). A write whose
 * attempt may have been applied is not sent again: err->maybe_applied says so (retry.h and
 * ddb_error.h say which operations and failures). */
ddb_status ddb_call(struct ddb_client *c, const char *operation, json_object *request,
                    json_object **response, struct ddb_error *err);

/* n calls of one operation at once (batch chunks), each retried on its own as ddb_call
 * would, within one deadline. responses[i] and errs[i] give each one's outcome; returns
 * DDB_OK when every call succeeded, else the status of the first that failed. */
ddb_status ddb_call_parallel(struct ddb_client *c, const char *operation,
                             json_object *const *requests, size_t n, json_object **responses,
                             struct ddb_error *errs);

/* Conditions and expression parameters shared by the write operations. */
struct ddb_cond {
    const char *expression; /* ConditionExpression, or NULL */
    json_object *names;     /* ExpressionAttributeNames, or NULL (borrowed) */
    json_object *values;    /* ExpressionAttributeValues, or NULL (borrowed) */
    /* Not NULL: ReturnValuesOnConditionCheckFailure ALL_OLD is asked, and when the condition
     * fails *old_item is the item as it was (a new reference), or NULL when the answer has
     * none: no item, or a service that ignores the parameter (dynalite 4 does; DynamoDB and
     * DynamoDB Local return it). */
    json_object **old_item;
};

/* CreateTable from a CreateTable input document (borrowed). */
ddb_status ddb_create_table(struct ddb_client *c, json_object *input, struct ddb_error *err);
/* DescribeTable; *table_desc (may be NULL to ignore) receives its Table member. */
ddb_status ddb_describe_table(struct ddb_client *c, const char *table, json_object **table_desc,
                              struct ddb_error *err);
/* Polls until the table and its GSIs are ACTIVE; DDB_ERR_NOT_FOUND if it never appeared
 * (or is being deleted), DDB_ERR_TIMEOUT if it was still not active after timeout_ms. */
ddb_status ddb_wait_table_active(struct ddb_client *c, const char *table, long timeout_ms,
                                 struct ddb_error *err);

/* Item operations. item and key are maps of attribute values (borrowed). return_values is
 * NULL or "NONE", "ALL_OLD", "ALL_NEW", ...; *attributes (may be NULL to ignore) receives the
 * returned Attributes map or NULL. The item size limit is checked before a put is sent. */
ddb_status ddb_put_item(struct ddb_client *c, const char *table, json_object *item,
                        const struct ddb_cond *cond, const char *return_values,
                        json_object **attributes, struct ddb_error *err);
/* *item is the item, or NULL when there is none. */
ddb_status ddb_get_item(struct ddb_client *c, const char *table, json_object *key, int consistent,
                        json_object **item, struct ddb_error *err);
/* UpdateItem; update_expression NULL creates the item with its key only, as in AWS. */
ddb_status ddb_update_item(struct ddb_client *c, const char *table, json_object *key,
                           const char *update_expression, const struct ddb_cond *cond,
                           const char *return_values, json_object **attributes,
                           struct ddb_error *err);
/* DeleteItem. */
ddb_status ddb_delete_item(struct ddb_client *c, const char *table, json_object *key,
                           const struct ddb_cond *cond, const char *return_values,
                           json_object **attributes, struct ddb_error *err);

/* One page of a Query or Scan. */
struct ddb_page_request {
    const char *table;
    const char *index;         /* IndexName or NULL */
    const char *key_condition; /* Query only */
    const char *filter;        /* FilterExpression or NULL */
    json_object *names;        /* borrowed, or NULL */
    json_object *values;       /* borrowed, or NULL */
    int limit;                 /* 0: none */
    json_object *start_key;    /* ExclusiveStartKey (borrowed) or NULL */
    int descending;            /* Query only: ScanIndexForward=false */
    int consistent;
};
/* Query: *items is a new array of items; *last_key the LastEvaluatedKey (new reference) or
 * NULL. */
ddb_status ddb_query(struct ddb_client *c, const struct ddb_page_request *req, json_object **items,
                     json_object **last_key, struct ddb_error *err);
/* Scan, as ddb_query. */
ddb_status ddb_scan(struct ddb_client *c, const struct ddb_page_request *req, json_object **items,
                    json_object **last_key, struct ddb_error *err);

/* BatchWriteItem for one table: requests is an array of {"PutRequest":{...}} or
 * {"DeleteRequest":{...}} (borrowed). Split into chunks of 25 sent in parallel; unprocessed
 * items are re-sent with backoff until done or the deadline. */
ddb_status ddb_batch_write(struct ddb_client *c, const char *table, json_object *requests,
                           struct ddb_error *err);

#endif
