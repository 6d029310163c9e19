/* Retry policy: exponential backoff with full jitter, bounded by attempts and a deadline. */
#ifndef SAVEALIFE_RETRY_H
#define SAVEALIFE_RETRY_H

#include <stdint.h>

#include <json-c/json.h>

struct retry_policy {
    int max_attempts; /* total HTTP attempts, first one included (botocore standard: 3) */
    long base_ms;     /* backoff base (first retry waits up to base_ms) */
    long cap_ms;      /* no single wait is longer than this */
    long total_ms;    /* the whole call, retries and waits included, ends by then */
};

/* The defaults: 10 attempts (botocore's legacy DynamoDB figure), 25 ms base (the DynamoDB
 * base of botocore's standard mode and the Java SDK; legacy botocore waits 50 ms, 100 ms, ...
 * without jitter), 2 s cap, 20 s total. */
void retry_policy_default(struct retry_policy *p);

/* Delay before retry number `retry` (1 for the first retry): a uniformly random value in
 * [0, min(cap_ms, base_ms * 2^(retry-1))], using `rnd` as the random source state. */
long retry_backoff_ms(const struct retry_policy *p, int retry, uint64_t *rnd);

/* Whether sending request (an operation's input) again is harmless when an attempt of it may
 * have been applied: reads (GetItem, BatchGetItem, Query, Scan, Describe..., List...),
 * CreateTable (a repeat finds the table and says so), and deletes that only ask for an item
 * to be gone: a BatchWriteItem of DeleteRequests only, a DeleteItem without a condition or
 * old image. Any other write (PutItem, UpdateItem, conditional deletes, batch puts, unknown
 * operations) is not. */
int retry_repeatable(const char *operation, json_object *request);

/* Seeds a random state from the pid, time and /dev/urandom when available. */
void retry_seed(uint64_t *rnd);

#endif
