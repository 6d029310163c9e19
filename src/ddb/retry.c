/* Retry policy: exponential backoff with full jitter. */
#include "retry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Any fixed non-zero value: xorshift never leaves the all-zero state. */
#define RETRY_STATE_NONZERO 0x9e3779b97f4a7c15ULL

void
retry_policy_default(struct retry_policy *p)
{
    if (p == NULL)
        return;
    p->max_attempts = 10;
    p->base_ms = 25;
    p->cap_ms = 2000;
    p->total_ms = 20000;
}

/* xorshift64* (Vigna): small, fast, and good enough to spread waits apart. */
static uint64_t
rnd_next(uint64_t *state)
{
    uint64_t x = *state;

    if (x == 0)
        x = RETRY_STATE_NONZERO;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, bound) without modulo bias: redraw the few values of the last, partial
 * block. bound > 0. */
static uint64_t
rnd_below(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    uint64_t r;

    do {
        r = rnd_next(state);
    } while (r < threshold);
    return r % bound;
}

/* min(limit, base * 2^(retry-1)), doubling with a check so no retry number overflows. */
static long
backoff_ceiling(long base, int retry, long limit)
{
    long ceiling = base < limit ? base : limit;
    int i;

    for (i = 1; i < retry && ceiling < limit; i++) {
        if (ceiling > limit / 2)
            return limit;
        ceiling *= 2;
    }
    return ceiling;
}

long
retry_backoff_ms(const struct retry_policy *p, int retry, uint64_t *rnd)
{
    long limit, ceiling;

    if (p == NULL || retry < 1 || p->base_ms <= 0)
        return 0;
    /* No cap configured: only the range of long bounds the wait (the deadline still does). */
    limit = p->cap_ms > 0 ? p->cap_ms : LONG_MAX;
    ceiling = backoff_ceiling(p->base_ms, retry, limit);
    /* Without a random state there is no jitter: the longest wait, never a shorter one. */
    if (rnd == NULL)
        return ceiling;
    return (long)rnd_below(rnd, (uint64_t)ceiling + 1);
}

/* splitmix64's finalizer: spreads weak inputs (pid, time) over all 64 bits. */
static uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int
read_urandom(uint64_t *out)
{
    unsigned char *p = (unsigned char *)out;
    size_t got = 0;
    int fd, ok = 0;

    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    while (got < sizeof(*out)) {
        ssize_t n = read(fd, p + got, sizeof(*out) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto done;
        got += (size_t)n;
    }
    ok = 1;
done:
    close(fd);
    return ok;
}

void
retry_seed(uint64_t *rnd)
{
    struct timespec ts = {0, 0};
    uint64_t urandom = 0, seed;

    if (rnd == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* The pid and the time always go in, so forked workers differ even without urandom. */
    seed = mix64((uint64_t)getpid() ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec);
    if (read_urandom(&urandom))
        seed ^= urandom;
    *rnd = seed != 0 ? seed : RETRY_STATE_NONZERO;
}

/* Operations that change nothing, or whose repeat changes nothing more. */
static const char *const retry_harmless_ops[] = {
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "DescribeTable",
    "ListTables",
    "DescribeTimeToLive",
    "TransactGetItems",
    "DescribeEndpoints",
    "DescribeLimits",
    "CreateTable",
};

/* A BatchWriteItem whose every request, for every table, is a DeleteRequest: deleting an item
 * twice leaves it as deleted as once. One PutRequest makes the batch a write to protect (a
 * repeat could overwrite a change made in between). */
static int
retry_batch_deletes_only(json_object *request)
{
    json_object *items = NULL;

    if (!json_object_object_get_ex(request, "RequestItems", &items) ||
        !json_object_is_type(items, json_type_object))
        return 0;
    json_object_object_foreach(items, table, list)
    {
        (void)table;
        if (list == NULL || !json_object_is_type(list, json_type_array))
            return 0;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *wr = json_object_array_get_idx(list, i);
            if (!json_object_is_type(wr, json_type_object) || json_object_object_length(wr) != 1 ||
                !json_object_object_get_ex(wr, "DeleteRequest", NULL))
                return 0;
        }
    }
    return 1;
}

/* A DeleteItem that asks only for the item to be gone: no condition (a repeat would fail it),
 * no old image (a repeat would return none). */
static int
retry_plain_delete(json_object *request)
{
    json_object *rv = NULL;

    if (json_object_object_get_ex(request, "ConditionExpression", NULL) ||
        json_object_object_get_ex(request, "Expected", NULL))
        return 0;
    return !json_object_object_get_ex(request, "ReturnValues", &rv) ||
           (json_object_is_type(rv, json_type_string) &&
            strcmp(json_object_get_string(rv), "NONE") == 0);
}

int
retry_repeatable(const char *operation, json_object *request)
{
    if (operation == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(retry_harmless_ops) / sizeof(retry_harmless_ops[0]); i++)
        if (strcmp(operation, retry_harmless_ops[i]) == 0)
            return 1;
    if (request == NULL || !json_object_is_type(request, json_type_object))
        return 0;
    if (strcmp(operation, "BatchWriteItem") == 0)
        return retry_batch_deletes_only(request);
    if (strcmp(operation, "DeleteItem") == 0)
        return retry_plain_delete(request);
    return 0;
}
