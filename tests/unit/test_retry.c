/* retry: defaults, full-jitter bounds, spread, overflow safety, seeding. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "../lib/check_main.h"
#include "ddb/retry.h"

/* The largest wait allowed for a retry, computed apart from the code under test. */
static long
expected_ceiling(long base, long cap, int retry)
{
    long double c = (long double)base;
    int i;

    for (i = 1; i < retry && c <= (long double)LONG_MAX; i++)
        c *= 2;
    if (cap > 0 && c > (long double)cap)
        return cap;
    return c > (long double)LONG_MAX ? LONG_MAX : (long)c;
}

START_TEST(test_defaults)
{
    struct retry_policy p;

    memset(&p, 0xff, sizeof(p));
    retry_policy_default(&p);
    ck_assert_int_eq(p.max_attempts, 10);
    ck_assert_int_eq(p.base_ms, 25);
    ck_assert_int_eq(p.cap_ms, 2000);
    ck_assert_int_eq(p.total_ms, 20000);
}
END_TEST

/* Every draw of every retry number stays in [0, min(cap, base * 2^(n-1))]. */
START_TEST(test_within_bounds)
{
    static const struct retry_policy policies[] = {
        {10, 25, 2000, 20000}, {4, 10, 1000, 5000}, {5, 1, 0, 0}, {3, 3000, 100, 0}};
    uint64_t rnd = 0x1234567;
    size_t k;
    int retry, draw;

    for (k = 0; k < sizeof(policies) / sizeof(policies[0]); k++) {
        const struct retry_policy *p = &policies[k];
        for (retry = 1; retry <= 70; retry++) {
            long ceiling = expected_ceiling(p->base_ms, p->cap_ms, retry);
            for (draw = 0; draw < 500; draw++) {
                long d = retry_backoff_ms(p, retry, &rnd);
                ck_assert_msg(d >= 0 && d <= ceiling, "policy %zu retry %d: %ld not in [0, %ld]", k,
                              retry, d, ceiling);
            }
        }
    }
}
END_TEST

/* Full jitter: the draws cover the whole range, both halves and both ends. */
START_TEST(test_jitter_spreads)
{
    struct retry_policy p;
    uint64_t rnd;
    int retry, draw;

    retry_policy_default(&p);
    retry_seed(&rnd);
    for (retry = 1; retry <= 10; retry++) {
        long ceiling = expected_ceiling(p.base_ms, p.cap_ms, retry);
        long lo = LONG_MAX, hi = -1;
        int low_half = 0, high_half = 0;
        for (draw = 0; draw < 1000; draw++) {
            long d = retry_backoff_ms(&p, retry, &rnd);
            if (d < lo)
                lo = d;
            if (d > hi)
                hi = d;
            if (d * 2 < ceiling)
                low_half++;
            else
                high_half++;
        }
        ck_assert_msg(low_half > 300 && high_half > 300, "retry %d: %d low, %d high", retry,
                      low_half, high_half);
        ck_assert_msg(lo <= ceiling / 10 && hi >= ceiling - ceiling / 10,
                      "retry %d: draws only in [%ld, %ld] of [0, %ld]", retry, lo, hi, ceiling);
    }
}
END_TEST

/* Both ends are reachable and the draw is even over a small range. */
START_TEST(test_small_range_uniform)
{
    struct retry_policy p = {10, 3, 2000, 20000};
    uint64_t rnd = 42;
    int counts[4] = {0, 0, 0, 0};
    int draw, v;

    for (draw = 0; draw < 4000; draw++) {
        long d = retry_backoff_ms(&p, 1, &rnd);
        ck_assert(d >= 0 && d <= 3);
        counts[d]++;
    }
    for (v = 0; v < 4; v++)
        ck_assert_msg(counts[v] > 850 && counts[v] < 1150, "value %d drawn %d times of 4000", v,
                      counts[v]);
}
END_TEST

/* Retry numbers far past any sane attempt count neither overflow (UBSan would say) nor go
 * negative nor past the cap. */
START_TEST(test_huge_retry_numbers)
{
    static const int retries[] = {31, 32, 62, 63, 64, 65, 1000, INT_MAX - 1, INT_MAX};
    struct retry_policy capped, uncapped = {10, 1, 0, 0}, big = {10, LONG_MAX / 2 + 1, 0, 0};
    uint64_t rnd = 7;
    size_t k;
    int draw;

    retry_policy_default(&capped);
    for (k = 0; k < sizeof(retries) / sizeof(retries[0]); k++) {
        for (draw = 0; draw < 200; draw++) {
            long d = retry_backoff_ms(&capped, retries[k], &rnd);
            ck_assert_msg(d >= 0 && d <= capped.cap_ms, "retry %d: %ld", retries[k], d);
            d = retry_backoff_ms(&uncapped, retries[k], &rnd);
            ck_assert_msg(d >= 0, "uncapped retry %d: %ld", retries[k], d);
            d = retry_backoff_ms(&big, retries[k], &rnd);
            ck_assert_msg(d >= 0, "big base retry %d: %ld", retries[k], d);
        }
        /* Without a random state the wait is the ceiling itself. */
        ck_assert_int_eq(retry_backoff_ms(&capped, retries[k], NULL), capped.cap_ms);
        ck_assert_int_eq(retry_backoff_ms(&uncapped, retries[k], NULL),
                         expected_ceiling(1, 0, retries[k]));
        ck_assert_int_eq(retry_backoff_ms(&big, retries[k], NULL), LONG_MAX);
    }
}
END_TEST

START_TEST(test_degenerate_inputs)
{
    struct retry_policy p;
    uint64_t rnd = 0; /* a zero state must still work: xorshift would stick at zero */
    int nonzero = 0, draw;

    retry_policy_default(&p);
    ck_assert_int_eq(retry_backoff_ms(&p, 0, &rnd), 0);
    ck_assert_int_eq(retry_backoff_ms(&p, -5, &rnd), 0);
    ck_assert_int_eq(retry_backoff_ms(NULL, 1, &rnd), 0);
    ck_assert_int_eq(retry_backoff_ms(&p, 1, NULL), 25);
    ck_assert_int_eq(retry_backoff_ms(&p, 4, NULL), 200);
    for (draw = 0; draw < 100; draw++)
        nonzero += retry_backoff_ms(&p, 8, &rnd) != 0;
    ck_assert_int_gt(nonzero, 90);
    p.base_ms = 0;
    ck_assert_int_eq(retry_backoff_ms(&p, 3, &rnd), 0);
    retry_policy_default(NULL);
}
END_TEST

/* The same state gives the same waits; seeds differ between calls. */
START_TEST(test_seeding)
{
    struct retry_policy p;
    uint64_t a = 99, b = 99, s1 = 0, s2 = 0;
    int draw, same = 0;

    retry_policy_default(&p);
    for (draw = 0; draw < 100; draw++)
        ck_assert_int_eq(retry_backoff_ms(&p, 9, &a), retry_backoff_ms(&p, 9, &b));
    retry_seed(&s1);
    retry_seed(&s2);
    ck_assert(s1 != 0 && s2 != 0);
    ck_assert(s1 != s2);
    a = s1;
    b = s2;
    for (draw = 0; draw < 100; draw++)
        same += retry_backoff_ms(&p, 9, &a) == retry_backoff_ms(&p, 9, &b);
    ck_assert_int_lt(same, 10);
    retry_seed(NULL);
}
END_TEST

static json_object *
parse(const char *text)
{
    json_object *o = json_tokener_parse(text);

    ck_assert_msg(o != NULL, "bad JSON in the test: %s", text);
    return o;
}

/* Which operations may be sent again after an attempt that may have been applied. */
START_TEST(test_repeatable_operations)
{
    static const struct {
        const char *op;
        const char *request; /* NULL: none */
        int want;
    } cases[] = {
        {"GetItem", "{\"TableName\":\"t\",\"Key\":{\"id\":{\"S\":\"a\"}}}", 1},
        {"Query", NULL, 1},
        {"Scan", "{}", 1},
        {"DescribeTable", "{\"TableName\":\"t\"}", 1},
        {"BatchGetItem", "{}", 1},
        {"ListTables", "{}", 1},
        {"CreateTable", "{}", 1},
        /* Writes: a repeat may apply them twice or fail their condition. */
        {"PutItem", "{\"TableName\":\"t\",\"Item\":{\"id\":{\"S\":\"a\"}}}", 0},
        {"PutItem", NULL, 0},
        {"UpdateItem", "{\"UpdateExpression\":\"SET v = v + :one\"}", 0},
        {"DeleteItem", "{\"ConditionExpression\":\"attribute_exists(id)\"}", 0},
        {"DeleteItem", "{\"Expected\":{}}", 0},
        {"DeleteItem", "{\"ReturnValues\":\"ALL_OLD\"}", 0},
        {"DeleteTable", "{}", 0},
        {"TransactWriteItems", "{}", 0},
        {"NoSuchOperation", "{}", 0},
        {NULL, "{}", 0},
        /* Deletes that only ask for the item to be gone. */
        {"DeleteItem", "{\"TableName\":\"t\",\"Key\":{\"id\":{\"S\":\"a\"}}}", 1},
        {"DeleteItem", "{\"ReturnValues\":\"NONE\"}", 1},
        {"BatchWriteItem",
         "{\"RequestItems\":{\"t\":[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}},"
         "{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"b\"}}}}]}}",
         1},
        {"BatchWriteItem",
         "{\"RequestItems\":{\"t\":[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}},"
         "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]}}",
         0},
        {"BatchWriteItem", "{\"RequestItems\":{\"t\":{}}}", 0},
        {"BatchWriteItem", "{}", 0},
        {"BatchWriteItem", NULL, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *req = cases[i].request != NULL ? parse(cases[i].request) : NULL;
        ck_assert_msg(retry_repeatable(cases[i].op, req) == cases[i].want, "%s %s",
                      cases[i].op != NULL ? cases[i].op : "(null)",
                      cases[i].request != NULL ? cases[i].request : "(none)");
        json_object_put(req);
    }
}
END_TEST

static Suite *
retry_suite(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("backoff");

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_within_bounds);
    tcase_add_test(tc, test_jitter_spreads);
    tcase_add_test(tc, test_small_range_uniform);
    tcase_add_test(tc, test_huge_retry_numbers);
    tcase_add_test(tc, test_degenerate_inputs);
    tcase_add_test(tc, test_seeding);
    tcase_add_test(tc, test_repeatable_operations);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(retry_suite)
