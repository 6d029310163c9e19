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

#include "../lib/check_main.h"

#define WAIT_MS 30000L
#define INDEX "by-g"

static char g_prefix[64];     /* this run's table names start with it */
static char g_table[96];      /* pk (S) HASH, sk (N) RANGE; GSI by-g: g (S) HASH, n (N) RANGE */
static char g_setup_err[700]; /* why the fixture could not make g_table, "" if it did */

#define ck_assert_ddb(st, want, err)                                                           \
    ck_assert_msg((st) == (want), "got %s (%s: %s), want %s", ddb_error_name(st), (err).type, \
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

static struct ddb_client *
client_new(void)
{
    struct ddb_options opts = {0};
    struct ddb_client *c = NULL;
    struct ddb_error err;

    ddb_status st = ddb_client_new(&opts, &c, &err);
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
    struct ddb_options opts = {0};
    struct ddb_client *c = NULL;
    struct ddb_error err;
    json_object *input = NULL;
    ddb_status st;

    snprintf(g_prefix, sizeof g_prefix, "savealife-ops-%ld", (long)getpid());
    snprintf(g_table, sizeof g_table, "%s-main", g_prefix);
    g_setup_err[0] = '\0';
    if ((st = ddb_client_new(&opts, &c, &err)) != DDB_OK)
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
    struct ddb_options opts = {0};
    struct ddb_client *c = NULL;
    struct ddb_error err;
    json_object *names = NULL;
    size_t plen = strlen(g_prefix);

    if (plen == 0 || ddb_client_new(&opts, &c, &err) != DDB_OK)
        return;
    if (ddb_list_tables(c, &names, &err) == DDB_OK) {
        for (size_t i = 0; i < json_object_array_length(names); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(names, i));
            if (strncmp(name, g_prefix, plen) == 0 &&
                ddb_delete_table(c, name, &err) != DDB_OK)
                fprintf(stderr, "# could not delete %s: %s\n", name, err.message);
        }
    }
    json_object_put(names);
    ddb_client_free(c);
}
