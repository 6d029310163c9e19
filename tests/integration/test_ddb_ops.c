/* Every table and item operation of the DynamoDB client against the emulator that
 * AWS_ENDPOINT_URL_DYNAMODB points at (ops_dynalite.sh, ops_ddblocal.sh start one). Where
 * dynalite and DynamoDB Local answer differently, the tests expect AWS's behaviour, which
 * DynamoDB Local implements, and a comment says so.
 *
 * Tables are named savealife-ops-<pid>-...; the main one is created once, before the tests
 * fork, and every table of this run is deleted at the end. Each test makes its own client
 * and uses its own partition keys, so the tests do not depend on one another. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "ddb/ddb_test.h"

#include "../lib/check_main.h"

#define WAIT_MS 30000L
#define INDEX "by-g"

static char g_prefix[64];     /* this run's table names start with it */
static char g_table[96];      /* pk (S) HASH, sk (N) RANGE; GSI by-g: g (S) HASH, n (N) RANGE */
static char g_setup_err[700]; /* why the fixture could not make g_table, "" if it did */

#define ck_assert_ddb(st, want, err)                                                               \
    ck_assert_msg((st) == (want), "got %s (%s: %s), want %s", ddb_error_name(st), (err).type,      \
                  (err).message, ddb_error_name(want))

/* JSON text from a format, parsed; NULL on a bad document (callers assert). */
static json_object *json_vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static json_object *json_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_object *
json_vfmt(const char *fmt, va_list ap)
{
    va_list again;
    json_object *obj = NULL;

    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text != NULL) {
        vsnprintf(text, (size_t)n + 1, fmt, again);
        obj = json_tokener_parse(text);
    }
    va_end(again);
    free(text);
    return obj;
}

static json_object *
json_fmt(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    json_object *obj = json_vfmt(fmt, ap);
    va_end(ap);
    ck_assert_msg(obj != NULL, "bad JSON in the test: %s", fmt);
    return obj;
}

/* These tests create and delete tables: they only ever talk to a local emulator. */
static int
endpoint_is_loopback(const char *url)
{
    static const char *const ok[] = {"http://127.0.0.1:",  "http://localhost:",  "http://[::1]:",
                                     "https://127.0.0.1:", "https://localhost:", "https://[::1]:"};

    for (size_t i = 0; url != NULL && i < sizeof ok / sizeof ok[0]; i++)
        if (strncmp(url, ok[i], strlen(ok[i])) == 0)
            return 1;
    return 0;
}

/* A client for the emulator, or NULL (with why) if the endpoint is not a loopback one. */
static ddb_status
client_try(struct ddb_client **out, struct ddb_error *err)
{
    struct ddb_options opts = {0};

    *out = NULL;
    if (!endpoint_is_loopback(getenv("AWS_ENDPOINT_URL_DYNAMODB")))
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_ENDPOINT_URL_DYNAMODB is not a loopback emulator");
    ddb_status st = ddb_client_new(&opts, out, err);
    if (st == DDB_OK && !endpoint_is_loopback(ddb_client_endpoint(*out))) {
        ddb_client_free(*out);
        *out = NULL;
        return ddb_error_set(err, DDB_ERR_CONFIG, "the client resolved a non-loopback endpoint");
    }
    return st;
}

static struct ddb_client *
client_new(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;

    ddb_status st = client_try(&c, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_nonnull(c);
    return c;
}

static unsigned long
attempts_of(struct ddb_client *c)
{
    struct ddb_stats s;

    ddb_client_stats(c, &s);
    return s.attempts;
}

static unsigned long
calls_of(struct ddb_client *c)
{
    struct ddb_stats s;

    ddb_client_stats(c, &s);
    return s.calls;
}

static void
need_table(void)
{
    ck_assert_msg(g_setup_err[0] == '\0', "shared table not created: %s", g_setup_err);
}

static const char *
str_of(json_object *item, const char *name, const char *type)
{
    json_object *av = NULL, *v = NULL;

    if (item == NULL || !json_object_object_get_ex(item, name, &av) ||
        !json_object_object_get_ex(av, type, &v))
        return NULL;
    return json_object_get_string(v);
}

static long
num_of(json_object *item, const char *name)
{
    const char *s = str_of(item, name, "N");

    ck_assert_msg(s != NULL, "item has no number %s: %s", name,
                  item != NULL ? json_object_to_json_string(item) : "(null)");
    return strtol(s, NULL, 10);
}

static json_object *
key_of(const char *pk, long sk)
{
    return json_fmt("{\"pk\":{\"S\":\"%s\"},\"sk\":{\"N\":\"%ld\"}}", pk, sk);
}

/* The CreateTable input of a table shaped like the main one (with its GSI); NULL if the
 * document cannot be built. Does not assert: the unchecked fixture uses it. */
static json_object *
table_doc(const char *name)
{
    char text[1600];

    int n = snprintf(text, sizeof text,
                     "{\"TableName\":\"%s\","
                     "\"AttributeDefinitions\":["
                     "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                     "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
                     "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"},"
                     "{\"AttributeName\":\"n\",\"AttributeType\":\"N\"}],"
                     "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                     "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
                     "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"" INDEX "\","
                     "\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},"
                     "{\"AttributeName\":\"n\",\"KeyType\":\"RANGE\"}],"
                     "\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
                     "\"BillingMode\":\"PAY_PER_REQUEST\"}",
                     name);
    if (n < 0 || (size_t)n >= sizeof text)
        return NULL;
    return json_tokener_parse(text);
}

static json_object *
table_input(const char *name)
{
    json_object *doc = table_doc(name);

    ck_assert_ptr_nonnull(doc);
    return doc;
}

/* Puts pk/sk items sk = 1..n with g = <g>, n = sk and odd = sk % 2, one call each. */
static void
put_items(struct ddb_client *c, const char *pk, const char *g, long n)
{
    struct ddb_error err;

    for (long i = 1; i <= n; i++) {
        json_object *item = json_fmt("{\"pk\":{\"S\":\"%s\"},\"sk\":{\"N\":\"%ld\"},"
                                     "\"g\":{\"S\":\"%s\"},\"n\":{\"N\":\"%ld\"},"
                                     "\"odd\":{\"BOOL\":%s}}",
                                     pk, i, g, i, i % 2 ? "true" : "false");
        ddb_status st = ddb_put_item(c, g_table, item, NULL, NULL, NULL, &err);
        json_object_put(item);
        ck_assert_ddb(st, DDB_OK, err);
    }
}

/* Polls DescribeTable (bounded) until the table is gone: AWS shows DELETING for a while
 * before NOT_FOUND; both emulators delete at once. */
static void
assert_table_gone(struct ddb_client *c, const char *table)
{
    struct ddb_error err;
    ddb_status st = DDB_OK;

    for (int i = 0; i < 200; i++) {
        st = ddb_describe_table(c, table, NULL, &err);
        if (st != DDB_OK)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
}

/* Whether names (an array of strings) holds name, and how many times. */
static int
count_name(json_object *names, const char *name)
{
    int n = 0;

    for (size_t i = 0; i < json_object_array_length(names); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name) == 0)
            n++;
    return n;
}

/* Unchecked fixture: runs once in the parent before the tests fork, so it must not use
 * ck_assert; a failure is recorded and each test reports it. */
static void
tables_setup(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;
    json_object *input = NULL;
    ddb_status st;

    snprintf(g_prefix, sizeof g_prefix, "savealife-ops-%ld", (long)getpid());
    snprintf(g_table, sizeof g_table, "%s-main", g_prefix);
    g_setup_err[0] = '\0';
    if ((st = client_try(&c, &err)) != DDB_OK)
        goto fail;
    input = table_doc(g_table);
    if (input == NULL) {
        snprintf(g_setup_err, sizeof g_setup_err, "bad CreateTable document");
        goto done;
    }
    if ((st = ddb_create_table(c, input, &err)) != DDB_OK)
        goto fail;
    if ((st = ddb_wait_table_active(c, g_table, WAIT_MS, &err)) != DDB_OK)
        goto fail;
    goto done;
fail:
    snprintf(g_setup_err, sizeof g_setup_err, "%s: %s", ddb_error_name(err.status), err.message);
done:
    json_object_put(input);
    ddb_client_free(c);
}

/* Deletes every table of this run, including those a failed test left behind. */
static void
tables_teardown(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;
    json_object *names = NULL;
    size_t plen = strlen(g_prefix);

    if (plen == 0 || client_try(&c, &err) != DDB_OK)
        return;
    if (ddb_list_tables(c, &names, &err) == DDB_OK) {
        for (size_t i = 0; i < json_object_array_length(names); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(names, i));
            if (strncmp(name, g_prefix, plen) == 0 && ddb_delete_table(c, name, &err) != DDB_OK)
                fprintf(stderr, "# could not delete %s: %s\n", name, err.message);
        }
    }
    json_object_put(names);
    ddb_client_free(c);
}

/* ---- tables ---- */

START_TEST(create_table_with_gsi_becomes_active)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    char name[128];
    json_object *desc = NULL, *v = NULL, *gsis = NULL, *gsi = NULL;

    snprintf(name, sizeof name, "%s-gsi", g_prefix);
    json_object *input = table_input(name);
    ddb_status st = ddb_create_table(c, input, &err);
    json_object_put(input);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_wait_table_active(c, name, WAIT_MS, &err);
    ck_assert_ddb(st, DDB_OK, err);

    st = ddb_describe_table(c, name, &desc, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert(json_object_object_get_ex(desc, "TableName", &v));
    ck_assert_str_eq(json_object_get_string(v), name);
    ck_assert(json_object_object_get_ex(desc, "TableStatus", &v));
    ck_assert_str_eq(json_object_get_string(v), "ACTIVE");
    ck_assert(json_object_object_get_ex(desc, "GlobalSecondaryIndexes", &gsis));
    ck_assert_uint_eq(json_object_array_length(gsis), 1);
    gsi = json_object_array_get_idx(gsis, 0);
    ck_assert(json_object_object_get_ex(gsi, "IndexName", &v));
    ck_assert_str_eq(json_object_get_string(v), INDEX);
    ck_assert(json_object_object_get_ex(gsi, "IndexStatus", &v));
    ck_assert_str_eq(json_object_get_string(v), "ACTIVE");
    json_object_put(desc);

    st = ddb_delete_table(c, name, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ddb_client_free(c);
}
END_TEST

START_TEST(create_existing_table_is_in_use)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *input = table_input(g_table);

    ddb_status st = ddb_create_table(c, input, &err);
    json_object_put(input);
    ck_assert_ddb(st, DDB_ERR_IN_USE, err);
    ck_assert_str_eq(err.type, "ResourceInUseException");
    ddb_client_free(c);
}
END_TEST

START_TEST(describe_missing_table_is_not_found)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *desc = NULL;
    char name[128];

    snprintf(name, sizeof name, "%s-missing", g_prefix);
    ddb_status st = ddb_describe_table(c, name, &desc, &err);
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
    ck_assert_str_eq(err.type, "ResourceNotFoundException");
    ck_assert_ptr_null(desc);
    ddb_client_free(c);
}
END_TEST

START_TEST(wait_for_missing_table_ends_by_its_timeout)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    struct timespec t0, t1;
    char name[128];

    snprintf(name, sizeof name, "%s-never", g_prefix);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ddb_status st = ddb_wait_table_active(c, name, 300, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_msg(ms >= 250 && ms < 5000, "waited %ld ms for a 300 ms timeout", ms);
    /* Polled more than once, with growing intervals: a few calls, not hundreds. */
    unsigned long calls = calls_of(c);
    ck_assert_msg(calls >= 3 && calls <= 20, "%lu DescribeTable calls in 300 ms", calls);
    ddb_client_free(c);
}
END_TEST

/* ListTables answers 100 names a page; 101 tables of our own make it page for real. */
#define LIST_TABLES 101

START_TEST(list_tables_follows_pages)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *names = NULL;
    char name[128];
    ddb_status st;

    for (int i = 0; i < LIST_TABLES; i++) {
        snprintf(name, sizeof name, "%s-list-%03d", g_prefix, i);
        json_object *input = json_fmt(
            "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
            "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":"
            "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
            name);
        st = ddb_create_table(c, input, &err);
        json_object_put(input);
        ck_assert_ddb(st, DDB_OK, err);
    }
    unsigned long before = calls_of(c);
    st = ddb_list_tables(c, &names, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_msg(calls_of(c) - before >= 2, "%lu ListTables pages for %zu names",
                  calls_of(c) - before, json_object_array_length(names));
    ck_assert_int_eq(count_name(names, g_table), 1);
    for (int i = 0; i < LIST_TABLES; i++) {
        snprintf(name, sizeof name, "%s-list-%03d", g_prefix, i);
        ck_assert_msg(count_name(names, name) == 1, "%s listed %d times", name,
                      count_name(names, name));
    }
    json_object_put(names);
    for (int i = 0; i < LIST_TABLES; i++) {
        snprintf(name, sizeof name, "%s-list-%03d", g_prefix, i);
        st = ddb_delete_table(c, name, &err);
        ck_assert_ddb(st, DDB_OK, err);
    }
    ddb_client_free(c);
}
END_TEST

START_TEST(delete_table_then_it_is_gone)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    char name[128];

    snprintf(name, sizeof name, "%s-del", g_prefix);
    json_object *input = table_input(name);
    ddb_status st = ddb_create_table(c, input, &err);
    json_object_put(input);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_wait_table_active(c, name, WAIT_MS, &err);
    ck_assert_ddb(st, DDB_OK, err);

    st = ddb_delete_table(c, name, &err);
    ck_assert_ddb(st, DDB_OK, err);
    assert_table_gone(c, name);
    st = ddb_delete_table(c, name, &err);
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
    ddb_client_free(c);
}
END_TEST

/* ---- items ---- */

START_TEST(put_then_get_returns_the_item)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *got = NULL;
    json_object *item = json_fmt("{\"pk\":{\"S\":\"roundtrip\"},\"sk\":{\"N\":\"1\"},"
                                 "\"name\":{\"S\":\"Ana \\u00e9\"},\"big\":{\"N\":\"12345678901234"
                                 "567890123456789012345678\"},\"ok\":{\"BOOL\":true},"
                                 "\"tags\":{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"}]},"
                                 "\"m\":{\"M\":{\"x\":{\"NULL\":true}}},\"ss\":{\"SS\":[\"b\"]}}");
    json_object *key = key_of("roundtrip", 1);

    ddb_status st = ddb_put_item(c, g_table, item, NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_get_item(c, g_table, key, 1, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(json_object_equal(got, item), "got %s", json_object_to_json_string(got));
    json_object_put(got);
    json_object_put(key);
    json_object_put(item);
    ddb_client_free(c);
}
END_TEST

START_TEST(get_missing_item_is_ok_and_null)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *sentinel = json_object_new_object(), *got = sentinel;
    json_object *key = key_of("nobody", 404);

    ddb_status st = ddb_get_item(c, g_table, key, 0, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(got); /* overwritten, not left as it was */
    json_object_put(sentinel);
    json_object_put(key);
    ddb_client_free(c);
}
END_TEST

START_TEST(conditional_create_of_existing_item_fails)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    struct ddb_cond cond = {.expression = "attribute_not_exists(pk)"};
    json_object *first = json_fmt("{\"pk\":{\"S\":\"create\"},\"sk\":{\"N\":\"1\"},"
                                  "\"v\":{\"S\":\"first\"}}");
    json_object *second = json_fmt("{\"pk\":{\"S\":\"create\"},\"sk\":{\"N\":\"1\"},"
                                   "\"v\":{\"S\":\"second\"}}");
    json_object *key = key_of("create", 1), *got = NULL;

    ddb_status st = ddb_put_item(c, g_table, first, &cond, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_put_item(c, g_table, second, &cond, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_CONDITIONAL, err);
    ck_assert_str_eq(err.type, "ConditionalCheckFailedException");
    /* Not retried: a condition failing again would not change its mind. */
    ck_assert_int_le(err.attempts, 1);
    st = ddb_get_item(c, g_table, key, 1, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_str_eq(str_of(got, "v", "S"), "first");
    json_object_put(got);
    json_object_put(key);
    json_object_put(second);
    json_object_put(first);
    ddb_client_free(c);
}
END_TEST

START_TEST(put_returns_the_old_item)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *old = NULL;
    json_object *v1 = json_fmt("{\"pk\":{\"S\":\"putold\"},\"sk\":{\"N\":\"1\"},"
                               "\"v\":{\"N\":\"1\"}}");
    json_object *v2 = json_fmt("{\"pk\":{\"S\":\"putold\"},\"sk\":{\"N\":\"1\"},"
                               "\"v\":{\"N\":\"2\"}}");

    ddb_status st = ddb_put_item(c, g_table, v1, NULL, "ALL_OLD", &old, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(old);
    st = ddb_put_item(c, g_table, v2, NULL, "ALL_OLD", &old, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_msg(json_object_equal(old, v1), "old: %s",
                  old ? json_object_to_json_string(old) : "(null)");
    json_object_put(old);
    json_object_put(v2);
    json_object_put(v1);
    ddb_client_free(c);
}
END_TEST

START_TEST(update_returns_all_new)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *item = json_fmt("{\"pk\":{\"S\":\"update\"},\"sk\":{\"N\":\"1\"},"
                                 "\"version\":{\"N\":\"1\"},\"keep\":{\"S\":\"k\"}}");
    json_object *key = key_of("update", 1), *attrs = NULL;
    json_object *names = json_fmt("{\"#v\":\"version\",\"#name\":\"name\"}");
    json_object *values = json_fmt("{\":one\":{\"N\":\"1\"},\":name\":{\"S\":\"Bea\"},"
                                   "\":expect\":{\"N\":\"1\"}}");
    struct ddb_cond cond = {
        .expression = "attribute_exists(pk) AND #v = :expect", .names = names, .values = values};

    ddb_status st = ddb_put_item(c, g_table, item, NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_update_item(c, g_table, key, "SET #v = #v + :one, #name = :name", &cond, "ALL_NEW",
                         &attrs, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_nonnull(attrs);
    ck_assert_int_eq(num_of(attrs, "version"), 2);
    ck_assert_str_eq(str_of(attrs, "name", "S"), "Bea");
    ck_assert_str_eq(str_of(attrs, "keep", "S"), "k");
    ck_assert_str_eq(str_of(attrs, "pk", "S"), "update");
    json_object_put(attrs);
    attrs = NULL;

    /* The same update again: version is 2 now, so the If-Match style condition fails. */
    st = ddb_update_item(c, g_table, key, "SET #v = #v + :one, #name = :name", &cond, "ALL_NEW",
                         &attrs, &err);
    ck_assert_ddb(st, DDB_ERR_CONDITIONAL, err);
    ck_assert_ptr_null(attrs);
    json_object_put(values);
    json_object_put(names);
    json_object_put(key);
    json_object_put(item);
    ddb_client_free(c);
}
END_TEST

START_TEST(update_of_missing_item_with_attribute_exists_fails)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *key = key_of("update-missing", 1), *got = NULL;
    json_object *values = json_fmt("{\":x\":{\"S\":\"x\"}}");
    struct ddb_cond cond = {.expression = "attribute_exists(pk)", .values = values};

    ddb_status st = ddb_update_item(c, g_table, key, "SET x = :x", &cond, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_CONDITIONAL, err);
    /* And no item was made by the failed update. */
    st = ddb_get_item(c, g_table, key, 1, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(got);
    json_object_put(values);
    json_object_put(key);
    ddb_client_free(c);
}
END_TEST

START_TEST(delete_of_missing_item_with_attribute_exists_fails)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    struct ddb_cond cond = {.expression = "attribute_exists(pk)"};
    json_object *key = key_of("delete-missing", 1);

    ddb_status st = ddb_delete_item(c, g_table, key, &cond, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_CONDITIONAL, err);
    ck_assert_str_eq(err.type, "ConditionalCheckFailedException");
    json_object_put(key);
    ddb_client_free(c);
}
END_TEST

START_TEST(delete_returns_the_old_item)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    struct ddb_cond cond = {.expression = "attribute_exists(pk)"};
    json_object *item = json_fmt("{\"pk\":{\"S\":\"delete\"},\"sk\":{\"N\":\"1\"},"
                                 "\"v\":{\"S\":\"gone\"}}");
    json_object *key = key_of("delete", 1), *old = NULL, *got = NULL;

    ddb_status st = ddb_put_item(c, g_table, item, NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_delete_item(c, g_table, key, &cond, "ALL_OLD", &old, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_msg(json_object_equal(old, item), "old: %s",
                  old ? json_object_to_json_string(old) : "(null)");
    st = ddb_get_item(c, g_table, key, 1, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(got);
    json_object_put(old);
    json_object_put(key);
    json_object_put(item);
    ddb_client_free(c);
}
END_TEST

/* A string attribute of `bytes` bytes in a pk/sk item. */
static json_object *
big_item(const char *pk, long sk, size_t bytes)
{
    json_object *item = key_of(pk, sk);
    json_object *av = json_object_new_object();
    char *blob = malloc(bytes + 1);

    ck_assert_ptr_nonnull(av);
    ck_assert_ptr_nonnull(blob);
    memset(blob, 'x', bytes);
    blob[bytes] = '\0';
    ck_assert_int_eq(json_object_object_add(av, "S", json_object_new_string_len(blob, (int)bytes)),
                     0);
    ck_assert_int_eq(json_object_object_add(item, "blob", av), 0);
    free(blob);
    return item;
}

START_TEST(oversized_put_is_rejected_without_a_request)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *item = big_item("big", 1, 401 * 1024);

    unsigned long before = attempts_of(c);
    ddb_status st = ddb_put_item(c, g_table, item, NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_ITEM_TOO_LARGE, err);
    ck_assert_uint_eq(attempts_of(c), before);
    ck_assert_uint_eq(calls_of(c), 0);
    json_object_put(item);
    ddb_client_free(c);
}
END_TEST

START_TEST(bad_expression_is_a_validation_error)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *key = key_of("badexpr", 1);
    json_object *values = json_fmt("{\":x\":{\"S\":\"x\"}}");
    struct ddb_cond cond = {.values = values};

    ddb_status st = ddb_update_item(c, g_table, key, "SET = :x", &cond, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_VALIDATION, err);
    ck_assert_str_eq(err.type, "ValidationException");
    ck_assert_int_le(err.attempts, 1);
    json_object_put(values);
    json_object_put(key);
    ddb_client_free(c);
}
END_TEST

START_TEST(invalid_arguments_are_rejected_without_a_request)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *key = key_of("invalid", 1), *empty = json_fmt("{}"), *got = NULL;
    json_object *items = NULL, *last = NULL;
    json_object *three = json_fmt("{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"2\"},\"c\":{\"S\":\"3\"}}");
    json_object *not_av = json_fmt("{\"pk\":\"plain\"}");
    struct ddb_cond bare_values = {.values = three};
    struct ddb_page_request no_kc = {.table = g_table};
    struct ddb_page_request scan_kc = {.table = g_table, .key_condition = "pk = :p"};
    struct ddb_page_request neg = {.table = g_table, .limit = -1};
    ddb_status st;

    st = ddb_get_item(c, NULL, key, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_get_item(c, "", key, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_get_item(c, g_table, empty, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_get_item(c, g_table, NULL, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_get_item(c, g_table, three, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_get_item(c, g_table, not_av, 0, &got, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_put_item(c, g_table, empty, NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_put_item(c, g_table, key, NULL, "ALL_NEW", NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_put_item(c, g_table, key, &bare_values, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_delete_item(c, g_table, key, NULL, "UPDATED_NEW", NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_update_item(c, g_table, key, "", NULL, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_query(c, &no_kc, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_scan(c, &scan_kc, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_scan(c, &neg, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_describe_table(c, NULL, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_create_table(c, empty, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_wait_table_active(c, g_table, 0, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_list_tables(c, NULL, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_batch_write(c, g_table, empty, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    st = ddb_batch_get(c, g_table, empty, 0, &items, &err);
    ck_assert_ddb(st, DDB_ERR_INVALID, err);
    ck_assert_ptr_null(got);
    ck_assert_ptr_null(items);
    ck_assert_uint_eq(calls_of(c), 0);
    ck_assert_uint_eq(attempts_of(c), 0);
    json_object_put(not_av);
    json_object_put(three);
    json_object_put(empty);
    json_object_put(key);
    ddb_client_free(c);
}
END_TEST

/* ---- query and scan ---- */

START_TEST(query_on_the_table_by_key_range_both_ways)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *items = NULL, *last = NULL;
    json_object *values = json_fmt("{\":p\":{\"S\":\"q-order\"},\":lo\":{\"N\":\"2\"},"
                                   "\":hi\":{\"N\":\"4\"}}");
    struct ddb_page_request req = {.table = g_table,
                                   .key_condition = "pk = :p AND sk BETWEEN :lo AND :hi",
                                   .values = values,
                                   .consistent = 1};

    put_items(c, "q-order", "q-order-g", 5);
    ddb_status st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(last);
    ck_assert_uint_eq(json_object_array_length(items), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(num_of(json_object_array_get_idx(items, i), "sk"), (long)i + 2);
    json_object_put(items);

    req.descending = 1;
    st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_uint_eq(json_object_array_length(items), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(num_of(json_object_array_get_idx(items, i), "sk"), 4 - (long)i);
    json_object_put(items);
    json_object_put(values);
    ddb_client_free(c);
}
END_TEST

START_TEST(query_on_a_gsi_with_a_filter)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *items = NULL, *last = NULL;
    json_object *names = json_fmt("{\"#odd\":\"odd\"}");
    json_object *values = json_fmt("{\":g\":{\"S\":\"gsi-filter\"},\":lo\":{\"N\":\"3\"},"
                                   "\":yes\":{\"BOOL\":true}}");
    struct ddb_page_request req = {.table = g_table,
                                   .index = INDEX,
                                   .key_condition = "g = :g AND n >= :lo",
                                   .filter = "#odd = :yes",
                                   .names = names,
                                   .values = values};

    /* Items of two partitions share one GSI partition. */
    put_items(c, "gsi-a", "gsi-filter", 6);
    put_items(c, "gsi-b", "gsi-other", 6);
    /* GSIs are eventually consistent on AWS (never ConsistentRead); both emulators update
     * them at once, so one query sees the writes. */
    ddb_status st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(last);
    /* n >= 3 and odd: 3 and 5, in index order. */
    ck_assert_uint_eq(json_object_array_length(items), 2);
    ck_assert_int_eq(num_of(json_object_array_get_idx(items, 0), "n"), 3);
    ck_assert_int_eq(num_of(json_object_array_get_idx(items, 1), "n"), 5);
    ck_assert_str_eq(str_of(json_object_array_get_idx(items, 0), "pk", "S"), "gsi-a");
    json_object_put(items);

    /* A strongly consistent read of a GSI is refused by DynamoDB. */
    req.consistent = 1;
    st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_VALIDATION, err);
    ck_assert_ptr_null(items);
    json_object_put(values);
    json_object_put(names);
    ddb_client_free(c);
}
END_TEST

START_TEST(query_of_a_missing_index_is_a_validation_error)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *items = NULL, *last = NULL;
    json_object *values = json_fmt("{\":g\":{\"S\":\"x\"}}");
    struct ddb_page_request req = {
        .table = g_table, .index = "no-such-index", .key_condition = "g = :g", .values = values};

    ddb_status st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_VALIDATION, err);
    json_object_put(values);
    ddb_client_free(c);
}
END_TEST

START_TEST(query_of_a_missing_table_is_not_found)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *items = NULL, *last = NULL;
    json_object *values = json_fmt("{\":p\":{\"S\":\"x\"}}");
    char name[128];

    snprintf(name, sizeof name, "%s-missing", g_prefix);
    struct ddb_page_request req = {.table = name, .key_condition = "pk = :p", .values = values};
    ddb_status st = ddb_query(c, &req, &items, &last, &err);
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
    json_object_put(values);
    ddb_client_free(c);
}
END_TEST

#define PAGE_ITEMS 30
#define PAGE_LIMIT 7

/* Counts items of partition pk by sk into seen[1..PAGE_ITEMS]; the test fails on others. */
static void
tally(json_object *items, const char *pk, int *seen)
{
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *p = str_of(it, "pk", "S");

        ck_assert_msg(p != NULL && strcmp(p, pk) == 0, "foreign item %s",
                      json_object_to_json_string(it));
        long sk = num_of(it, "sk");
        ck_assert_msg(sk >= 1 && sk <= PAGE_ITEMS, "sk %ld out of range", sk);
        seen[sk]++;
    }
}

static void
assert_each_once(const int *seen)
{
    for (int i = 1; i <= PAGE_ITEMS; i++)
        ck_assert_msg(seen[i] == 1, "item %d seen %d times", i, seen[i]);
}

START_TEST(query_pages_through_every_item_once)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *values = json_fmt("{\":p\":{\"S\":\"q-pages\"}}");
    json_object *start = NULL;
    int seen[PAGE_ITEMS + 1] = {0}, pages = 0;
    struct ddb_page_request req = {
        .table = g_table, .key_condition = "pk = :p", .values = values, .limit = PAGE_LIMIT};

    put_items(c, "q-pages", "q-pages-g", PAGE_ITEMS);
    do {
        json_object *items = NULL, *last = NULL;

        req.start_key = start;
        ddb_status st = ddb_query(c, &req, &items, &last, &err);
        ck_assert_ddb(st, DDB_OK, err);
        ck_assert_uint_le(json_object_array_length(items), PAGE_LIMIT);
        tally(items, "q-pages", seen);
        json_object_put(items);
        json_object_put(start);
        start = last;
        ck_assert_int_lt(++pages, 20);
    } while (start != NULL);
    assert_each_once(seen);
    /* 30 items by 7: 5 pages (AWS may add an empty sixth when a page ends exactly). */
    ck_assert_int_ge(pages, 5);
    json_object_put(values);
    ddb_client_free(c);
}
END_TEST

START_TEST(scan_pages_through_every_item_once)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *values = json_fmt("{\":p\":{\"S\":\"s-pages\"}}");
    json_object *start = NULL;
    int seen[PAGE_ITEMS + 1] = {0}, pages = 0;
    /* Limit counts items read before the filter: pages hold 0..7 of ours, and the scan
     * walks the whole shared table. */
    struct ddb_page_request req = {
        .table = g_table, .filter = "pk = :p", .values = values, .limit = PAGE_LIMIT};

    put_items(c, "s-pages", "s-pages-g", PAGE_ITEMS);
    do {
        json_object *items = NULL, *last = NULL;

        req.start_key = start;
        ddb_status st = ddb_scan(c, &req, &items, &last, &err);
        ck_assert_ddb(st, DDB_OK, err);
        ck_assert_uint_le(json_object_array_length(items), PAGE_LIMIT);
        tally(items, "s-pages", seen);
        json_object_put(items);
        json_object_put(start);
        start = last;
        ck_assert_int_lt(++pages, 10000);
    } while (start != NULL);
    assert_each_once(seen);
    ck_assert_int_ge(pages, 5);
    json_object_put(values);
    ddb_client_free(c);
}
END_TEST

/* ---- batches ---- */

#define BATCH_N 60

/* n PutRequests of pk/sk 0..n-1 with v = "v<sk>". */
static json_object *
put_requests(const char *pk, int n)
{
    json_object *reqs = json_object_new_array();

    ck_assert_ptr_nonnull(reqs);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(
            json_object_array_add(reqs, json_fmt("{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"%s\"},"
                                                 "\"sk\":{\"N\":\"%d\"},\"v\":{\"S\":\"v%d\"}}}}",
                                                 pk, i, i)),
            0);
    return reqs;
}

START_TEST(batch_write_of_60_then_all_are_readable)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("bw", BATCH_N);

    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_OK, err);
    /* 60 requests: 3 chunks of at most 25. */
    ck_assert_uint_eq(calls_of(c), 3);
    for (int i = 0; i < BATCH_N; i++) {
        json_object *key = key_of("bw", i), *got = NULL;
        char want[16];

        st = ddb_get_item(c, g_table, key, 1, &got, &err);
        ck_assert_ddb(st, DDB_OK, err);
        ck_assert_msg(got != NULL, "item %d missing after the batch", i);
        snprintf(want, sizeof want, "v%d", i);
        ck_assert_str_eq(str_of(got, "v", "S"), want);
        json_object_put(got);
        json_object_put(key);
    }
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(batch_write_deletes)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("bd", 30), *dels = json_object_new_array();
    json_object *items = NULL, *last = NULL;
    json_object *values = json_fmt("{\":p\":{\"S\":\"bd\"}}");
    struct ddb_page_request q = {
        .table = g_table, .key_condition = "pk = :p", .values = values, .consistent = 1};

    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_OK, err);
    for (int i = 0; i < 30; i++)
        ck_assert_int_eq(json_object_array_add(
                             dels, json_fmt("{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"bd\"},"
                                            "\"sk\":{\"N\":\"%d\"}}}}",
                                            i)),
                         0);
    st = ddb_batch_write(c, g_table, dels, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_query(c, &q, &items, &last, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_uint_eq(json_object_array_length(items), 0);
    json_object_put(items);
    json_object_put(values);
    json_object_put(dels);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(batch_get_of_60_returns_each_once)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("bg", BATCH_N), *keys = json_object_new_array();
    json_object *items = NULL;
    int seen[BATCH_N] = {0};

    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_OK, err);
    for (int i = 0; i < BATCH_N; i++)
        ck_assert_int_eq(json_object_array_add(keys, key_of("bg", i)), 0);
    /* Repeats, one spelled differently ("5.0" is 5, members in another order). A request
     * with a key twice is a ValidationException, so each key is sent once. The emulators
     * differ on numbers equal in value: dynalite rejects {"N":"5"} with {"N":"5.0"} as
     * duplicates, DynamoDB Local accepts them and returns the item twice. Both read "5.0"
     * as 5 (GetItem finds it), so we treat them as one key and the answer holds it once. */
    ck_assert_int_eq(json_object_array_add(keys, key_of("bg", 7)), 0);
    ck_assert_int_eq(json_object_array_add(keys, json_fmt("{\"sk\":{\"N\":\"5.0\"},"
                                                          "\"pk\":{\"S\":\"bg\"}}")),
                     0);
    /* A key with no item is simply absent from the answer. */
    ck_assert_int_eq(json_object_array_add(keys, key_of("bg", 999)), 0);

    unsigned long before = calls_of(c);
    st = ddb_batch_get(c, g_table, keys, 1, &items, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_uint_eq(calls_of(c) - before, 1); /* 61 distinct keys: one chunk */
    ck_assert_uint_eq(json_object_array_length(items), BATCH_N);
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        json_object *it = json_object_array_get_idx(items, i);
        long sk = num_of(it, "sk");
        char want[16];

        ck_assert(sk >= 0 && sk < BATCH_N);
        seen[sk]++;
        snprintf(want, sizeof want, "v%ld", sk);
        ck_assert_str_eq(str_of(it, "v", "S"), want);
    }
    for (int i = 0; i < BATCH_N; i++)
        ck_assert_msg(seen[i] == 1, "item %d returned %d times", i, seen[i]);
    json_object_put(items);
    json_object_put(keys);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(batch_get_of_more_than_100_keys_is_chunked)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("bg250", 250), *keys = json_object_new_array();
    json_object *items = NULL;

    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_OK, err);
    for (int i = 0; i < 250; i++)
        ck_assert_int_eq(json_object_array_add(keys, key_of("bg250", i)), 0);
    unsigned long before = calls_of(c);
    st = ddb_batch_get(c, g_table, keys, 0, &items, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_uint_eq(calls_of(c) - before, 3);
    ck_assert_uint_eq(json_object_array_length(items), 250);
    json_object_put(items);
    json_object_put(keys);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

/* One BatchGetItem answer holds at most 16 MB on AWS and DynamoDB Local: 60 items of 350 KB
 * (21 MB) make the service hand keys back as UnprocessedKeys, which must be asked for again.
 * dynalite cuts its answers much sooner (at 1 MB plus one item's worth, about 4 such items),
 * so there it takes many rounds: the same code path, taken more often. */
START_TEST(batch_get_resends_unprocessed_keys)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = json_object_new_array(), *keys = json_object_new_array();
    json_object *items = NULL;
    int seen[BATCH_N] = {0};

    for (int i = 0; i < BATCH_N; i++) {
        json_object *put = json_object_new_object();
        ck_assert_int_eq(json_object_object_add(put, "Item", big_item("huge", i, 350 * 1024)), 0);
        json_object *wr = json_object_new_object();
        ck_assert_int_eq(json_object_object_add(wr, "PutRequest", put), 0);
        ck_assert_int_eq(json_object_array_add(reqs, wr), 0);
        ck_assert_int_eq(json_object_array_add(keys, key_of("huge", i)), 0);
    }
    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_OK, err);

    unsigned long before = calls_of(c);
    st = ddb_batch_get(c, g_table, keys, 0, &items, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_msg(calls_of(c) - before >= 2, "one call answered %zu items of 350 KB",
                  json_object_array_length(items));
    ck_assert_uint_eq(json_object_array_length(items), BATCH_N);
    for (size_t i = 0; i < json_object_array_length(items); i++)
        seen[num_of(json_object_array_get_idx(items, i), "sk")]++;
    for (int i = 0; i < BATCH_N; i++)
        ck_assert_msg(seen[i] == 1, "item %d returned %d times", i, seen[i]);
    json_object_put(items);
    json_object_put(keys);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(batch_with_an_oversized_item_sends_nothing)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("bbig", 3), *put = json_object_new_object();
    json_object *wr = json_object_new_object(), *got = NULL, *key = key_of("bbig", 0);

    ck_assert_int_eq(json_object_object_add(put, "Item", big_item("bbig", 3, 401 * 1024)), 0);
    ck_assert_int_eq(json_object_object_add(wr, "PutRequest", put), 0);
    ck_assert_int_eq(json_object_array_add(reqs, wr), 0);
    ddb_status st = ddb_batch_write(c, g_table, reqs, &err);
    ck_assert_ddb(st, DDB_ERR_ITEM_TOO_LARGE, err);
    ck_assert_uint_eq(attempts_of(c), 0);
    st = ddb_get_item(c, g_table, key, 1, &got, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_null(got);
    json_object_put(key);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(batch_write_to_a_missing_table_is_not_found)
{
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *reqs = put_requests("nt", 30);
    char name[128];

    snprintf(name, sizeof name, "%s-missing", g_prefix);
    ddb_status st = ddb_batch_write(c, name, reqs, &err);
    ck_assert_ddb(st, DDB_ERR_NOT_FOUND, err);
    /* The error says the batch is not whole, so no caller believes it was written. */
    ck_assert_msg(strstr(err.message, "of 30") != NULL, "message: %s", err.message);
    json_object_put(reqs);
    ddb_client_free(c);
}
END_TEST

START_TEST(empty_batches_send_nothing)
{
    need_table();
    struct ddb_client *c = client_new();
    struct ddb_error err;
    json_object *none = json_object_new_array(), *items = NULL;

    ddb_status st = ddb_batch_write(c, g_table, none, &err);
    ck_assert_ddb(st, DDB_OK, err);
    st = ddb_batch_get(c, g_table, none, 0, &items, &err);
    ck_assert_ddb(st, DDB_OK, err);
    ck_assert_ptr_nonnull(items);
    ck_assert_uint_eq(json_object_array_length(items), 0);
    ck_assert_uint_eq(attempts_of(c), 0);
    json_object_put(items);
    json_object_put(none);
    ddb_client_free(c);
}
END_TEST

static Suite *
ddb_ops_suite(void)
{
    Suite *s = suite_create("ddb_ops");
    /* One case, so its unchecked fixture makes the shared table once for every test and
     * removes this run's tables after the last one. */
    TCase *tc = tcase_create("ops");

    tcase_add_unchecked_fixture(tc, tables_setup, tables_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, create_table_with_gsi_becomes_active);
    tcase_add_test(tc, create_existing_table_is_in_use);
    tcase_add_test(tc, describe_missing_table_is_not_found);
    tcase_add_test(tc, wait_for_missing_table_ends_by_its_timeout);
    tcase_add_test(tc, list_tables_follows_pages);
    tcase_add_test(tc, delete_table_then_it_is_gone);
    tcase_add_test(tc, put_then_get_returns_the_item);
    tcase_add_test(tc, get_missing_item_is_ok_and_null);
    tcase_add_test(tc, conditional_create_of_existing_item_fails);
    tcase_add_test(tc, put_returns_the_old_item);
    tcase_add_test(tc, update_returns_all_new);
    tcase_add_test(tc, update_of_missing_item_with_attribute_exists_fails);
    tcase_add_test(tc, delete_of_missing_item_with_attribute_exists_fails);
    tcase_add_test(tc, delete_returns_the_old_item);
    tcase_add_test(tc, oversized_put_is_rejected_without_a_request);
    tcase_add_test(tc, bad_expression_is_a_validation_error);
    tcase_add_test(tc, invalid_arguments_are_rejected_without_a_request);
    tcase_add_test(tc, query_on_the_table_by_key_range_both_ways);
    tcase_add_test(tc, query_on_a_gsi_with_a_filter);
    tcase_add_test(tc, query_of_a_missing_index_is_a_validation_error);
    tcase_add_test(tc, query_of_a_missing_table_is_not_found);
    tcase_add_test(tc, query_pages_through_every_item_once);
    tcase_add_test(tc, scan_pages_through_every_item_once);
    tcase_add_test(tc, batch_write_of_60_then_all_are_readable);
    tcase_add_test(tc, batch_write_deletes);
    tcase_add_test(tc, batch_get_of_60_returns_each_once);
    tcase_add_test(tc, batch_get_of_more_than_100_keys_is_chunked);
    tcase_add_test(tc, batch_get_resends_unprocessed_keys);
    tcase_add_test(tc, batch_with_an_oversized_item_sends_nothing);
    tcase_add_test(tc, batch_write_to_a_missing_table_is_not_found);
    tcase_add_test(tc, empty_batches_send_nothing);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ddb_ops_suite)
