/* The company and donor repositories against the emulator that AWS_ENDPOINT_URL_DYNAMODB
 * points at (repo_dynalite.sh, repo_ddblocal.sh start one). The tables are made from
 * schema/companies.json and schema/donors.json by create-tables' own code, with a prefix of
 * this run (savealife-repo-<pid>-), and all of this run's tables are deleted at the end. A
 * second pair (prefix ...-page-) holds only what the paging test puts there, so it can count
 * pages exactly.
 *
 * What a repository wrote is checked by reading the table with the DynamoDB client directly,
 * not through the repository under test. Each test uses its own keys. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "ddb/ddb_test.h"
#include "repo/company_repo.h"
#include "repo/cursor.h"
#include "repo/donor_repo.h"
#include "repo/repo.h"
#include "tables.h"

#include "../lib/check_main.h"

#define WAIT_MS 60000L

static char g_base[32];        /* every table of this run starts with it */
static char g_prefix[48];      /* the shared tables */
static char g_page_prefix[48]; /* the paging test's tables */
static char g_setup_err[700];  /* why the fixture could not make the tables, "" if it did */

#define ck_assert_repo(rs, want, err)                                                              \
    ck_assert_msg((rs) == (want), "got %s (%s: %s), want %s", repo_status_name(rs),                \
                  ddb_error_name((err).ddb.status), (err).ddb.message, repo_status_name(want))

static int
endpoint_is_loopback(const char *url)
{
    static const char *const ok[] = {"http://127.0.0.1:",  "http://localhost:",  "http://[::1]:",
                                     "https://127.0.0.1:", "https://localhost:", "https://[::1]:"};

    for (size_t i = 0; url != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strncmp(url, ok[i], strlen(ok[i])) == 0)
            return 1;
    return 0;
}

/* These tests create and delete tables: they only ever talk to a local emulator. */
static ddb_status
client_try(const struct ddb_options *opts, struct ddb_client **out, struct ddb_error *err)
{
    struct ddb_options defaults = {0};

    *out = NULL;
    if (!endpoint_is_loopback(getenv("AWS_ENDPOINT_URL_DYNAMODB")))
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_ENDPOINT_URL_DYNAMODB is not a loopback emulator");
    return ddb_client_new(opts != NULL ? opts : &defaults, out, err);
}

static struct ddb_client *
client_new(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;
    ddb_status st = client_try(NULL, &c, &err);

    ck_assert_msg(st == DDB_OK, "no client: %s", err.message);
    return c;
}

static void
repo_for(struct repo *repo, struct ddb_client *c, const char *prefix)
{
    struct config cfg;

    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.table_prefix, sizeof(cfg.table_prefix), "%s", prefix);
    ck_assert_int_eq(repo_init(repo, c, &cfg), 0);
}

static void
need_tables(void)
{
    ck_assert_msg(g_setup_err[0] == '\0', "tables not created: %s", g_setup_err);
}

/* A repository on the shared tables with a new client; free with ddb_client_free(r->ddb). */
static void
repo_shared_open(struct repo *r)
{
    need_tables();
    repo_for(r, client_new(), g_prefix);
}

/* Unchecked fixture: runs once in the parent before the tests fork, so it must not use
 * ck_assert; a failure is recorded and each test reports it. */
static void
tables_setup(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;
    struct config cfg;
    const char *top = getenv("TOP_SRCDIR");

    snprintf(g_base, sizeof(g_base), "savealife-repo-%ld-", (long)getpid());
    snprintf(g_prefix, sizeof(g_prefix), "%smain-", g_base);
    snprintf(g_page_prefix, sizeof(g_page_prefix), "%spage-", g_base);
    g_setup_err[0] = '\0';
    memset(&cfg, 0, sizeof(cfg));
    if (top == NULL) {
        snprintf(g_setup_err, sizeof(g_setup_err), "TOP_SRCDIR is not set");
        return;
    }
    snprintf(cfg.schema_dir, sizeof(cfg.schema_dir), "%s/schema", top);
    if (client_try(NULL, &c, &err) != DDB_OK)
        goto fail;
    snprintf(cfg.table_prefix, sizeof(cfg.table_prefix), "%s", g_prefix);
    if (tables_create_all(c, &cfg, WAIT_MS, stderr, &err) != 0)
        goto fail;
    snprintf(cfg.table_prefix, sizeof(cfg.table_prefix), "%s", g_page_prefix);
    if (tables_create_all(c, &cfg, WAIT_MS, stderr, &err) != 0)
        goto fail;
    ddb_client_free(c);
    return;
fail:
    snprintf(g_setup_err, sizeof(g_setup_err), "%s: %s", ddb_error_name(err.status), err.message);
    ddb_client_free(c);
}

/* Deletes every table of this run, including those a failed test left behind. */
static void
tables_teardown(void)
{
    struct ddb_client *c = NULL;
    struct ddb_error err;
    json_object *names = NULL;
    size_t plen = strlen(g_base);

    if (plen == 0 || client_try(NULL, &c, &err) != DDB_OK)
        return;
    if (ddb_list_tables(c, &names, &err) == DDB_OK) {
        for (size_t i = 0; i < json_object_array_length(names); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(names, i));
            if (strncmp(name, g_base, plen) == 0 && ddb_delete_table(c, name, &err) != DDB_OK)
                fprintf(stderr, "# could not delete %s: %s\n", name, err.message);
        }
    }
    json_object_put(names);
    ddb_client_free(c);
}

/* ---- reading the tables directly ---- */

static json_object *
parse(const char *text)
{
    json_object *o = json_tokener_parse(text);

    ck_assert_msg(o != NULL, "bad JSON in the test: %s", text);
    return o;
}

/* The raw item under {key_attr: {"S": key}}, read consistently; NULL when there is none. */
static json_object *
raw_get(struct repo *r, const char *table, const char *key_attr, const char *key)
{
    struct ddb_error err;
    json_object *keymap = json_object_new_object(), *av = json_object_new_object(), *item = NULL;

    json_object_object_add(av, "S", json_object_new_string(key));
    json_object_object_add(keymap, key_attr, av);
    ddb_status st = ddb_get_item(r->ddb, table, keymap, 1, &item, &err);
    ck_assert_msg(st == DDB_OK, "GetItem: %s", err.message);
    json_object_put(keymap);
    return item;
}

/* The text of member name of type type ("S", "N") in a raw item, or NULL. */
static const char *
raw_str(json_object *item, const char *name, const char *type)
{
    json_object *av = NULL, *v = NULL;

    if (item == NULL || !json_object_object_get_ex(item, name, &av) ||
        json_object_object_length(av) != 1 || !json_object_object_get_ex(av, type, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* A write with no token of its request stores a fresh one: 32 lower-case hex digits. */
static void
expect_fresh_token(json_object *raw)
{
    const char *token = raw_str(raw, "write_token", "S");

    ck_assert_msg(token != NULL && strlen(token) == 32 && strspn(token, "0123456789abcdef") == 32,
                  "write_token %s", token != NULL ? token : "(none)");
}

static const char *
str_of(json_object *plain, const char *name)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(plain, name, &v) &&
                      json_object_is_type(v, json_type_string),
                  "no string %s in %s", name, json_object_to_json_string(plain));
    return json_object_get_string(v);
}

static long long
version_of(json_object *plain)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(plain, "version", &v) &&
                      json_object_is_type(v, json_type_int),
                  "version is not a JSON integer in %s", json_object_to_json_string(plain));
    return (long long)json_object_get_int64(v);
}

/* RFC 3339 UTC with milliseconds, e.g. 2026-11-21T10:00:00.123Z, within a minute of now. */
static void
expect_timestamp(const char *s)
{
    struct tm tm;
    int ms = -1, used = 0;

    ck_assert_ptr_nonnull(s);
    ck_assert_msg(strlen(s) == 24, "timestamp %s", s);
    memset(&tm, 0, sizeof(tm));
    ck_assert_msg(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) == 7 &&
                      used == 24,
                  "timestamp %s", s);
    for (int i = 0; i < 24; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && i != 19 && i != 23)
            ck_assert_msg(s[i] >= '0' && s[i] <= '9', "timestamp %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    time_t now = time(NULL);
    ck_assert_msg(t > now - 60 && t < now + 60, "timestamp %s is not now", s);
}

/* plain has exactly the members named (NULL-terminated). */
static void
expect_members(json_object *plain, const char *const *names)
{
    size_t n = 0;

    ck_assert_ptr_nonnull(plain);
    for (; names[n] != NULL; n++)
        ck_assert_msg(json_object_object_get_ex(plain, names[n], NULL), "no %s in %s", names[n],
                      json_object_to_json_string(plain));
    ck_assert_msg((size_t)json_object_object_length(plain) == n, "extra members in %s",
                  json_object_to_json_string(plain));
}

static const char *const company_members[] = {"id",         "name",    "keywords", "created_at",
                                              "updated_at", "version", NULL};
static const char *const donor_members[] = {"email",      "first_name", "city",    "type",
                                            "created_at", "updated_at", "version", NULL};

static json_object *
donor_fields(const char *email, const char *first_name, const char *city, const char *type)
{
    json_object *f = json_object_new_object();

    json_object_object_add(f, "email", json_object_new_string(email));
    json_object_object_add(f, "first_name", json_object_new_string(first_name));
    json_object_object_add(f, "city", json_object_new_string(city));
    json_object_object_add(f, "type", json_object_new_string(type));
    return f;
}

static void
company_put(struct repo *r, const char *id, const char *name)
{
    struct repo_error err;
    repo_status rs = company_repo_create(r, id, name, NULL, NULL, &err);

    ck_assert_repo(rs, REPO_OK, err);
}

static void
donor_put(struct repo *r, const char *email, const char *city, const char *type)
{
    struct repo_error err;
    json_object *f = donor_fields(email, "Ana", city, type);
    repo_status rs = donor_repo_create(r, f, NULL, &err);

    ck_assert_repo(rs, REPO_OK, err);
    json_object_put(f);
}

static struct repo_match
match_of(long long v)
{
    struct repo_match m = {.any = 0, .versions = {v}, .n = 1};
    return m;
}

/* ---- companies ---- */

START_TEST(company_create_get_update_delete)
{
    struct repo r;
    struct repo_error err;
    json_object *kw = parse("[\"blood\",\"drive\"]"), *out = NULL, *got = NULL, *raw;
    repo_status rs;

    repo_shared_open(&r);
    rs = company_repo_create(&r, "acme", "Acme", kw, &out, &err);
    ck_assert_repo(rs, REPO_OK, err);
    expect_members(out, company_members);
    ck_assert_str_eq(str_of(out, "id"), "acme");
    ck_assert_str_eq(str_of(out, "name"), "Acme");
    ck_assert(json_object_equal(json_object_object_get(out, "keywords"), kw));
    ck_assert_int_eq(version_of(out), 1);
    expect_timestamp(str_of(out, "created_at"));
    ck_assert_str_eq(str_of(out, "created_at"), str_of(out, "updated_at"));

    /* As stored: keywords a list of strings, version a number, every name as written. */
    raw = raw_get(&r, r.companies, "id", "acme");
    ck_assert_ptr_nonnull(raw);
    /* The six members and this write's token, which plain items never show. */
    ck_assert_int_eq(json_object_object_length(raw), 7);
    expect_fresh_token(raw);
    ck_assert_str_eq(raw_str(raw, "name", "S"), "Acme");
    ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(raw, "keywords"),
                                                    JSON_C_TO_STRING_PLAIN),
                     "{\"L\":[{\"S\":\"blood\"},{\"S\":\"drive\"}]}");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "1");
    ck_assert_str_eq(raw_str(raw, "created_at", "S"), str_of(out, "created_at"));
    json_object_put(raw);

    rs = company_repo_get(&r, "acme", &got, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_msg(json_object_equal(got, out), "get %s, create %s", json_object_to_json_string(got),
                  json_object_to_json_string(out));
    json_object_put(got);

    struct repo_match m = match_of(1);
    rs = company_repo_update(&r, "acme", "Acme Blood", NULL, &m, &got, &err);
    ck_assert_repo(rs, REPO_OK, err);
    expect_members(got, company_members);
    ck_assert_str_eq(str_of(got, "name"), "Acme Blood");
    ck_assert(json_object_equal(json_object_object_get(got, "keywords"), kw));
    ck_assert_int_eq(version_of(got), 2);
    ck_assert_str_eq(str_of(got, "created_at"), str_of(out, "created_at"));
    expect_timestamp(str_of(got, "updated_at"));
    ck_assert_int_ge(strcmp(str_of(got, "updated_at"), str_of(out, "created_at")), 0);
    json_object_put(got);

    /* keywords alone, without a match. */
    json_object *kw2 = parse("[]");
    rs = company_repo_update(&r, "acme", NULL, kw2, NULL, &got, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(version_of(got), 3);
    ck_assert_str_eq(str_of(got, "name"), "Acme Blood");
    ck_assert_int_eq(json_object_array_length(json_object_object_get(got, "keywords")), 0);
    json_object_put(got);
    json_object_put(kw2);
    raw = raw_get(&r, r.companies, "id", "acme");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "3");
    ck_assert_str_eq(raw_str(raw, "name", "S"), "Acme Blood");
    json_object_put(raw);

    m = match_of(3);
    rs = company_repo_delete(&r, "acme", &m, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_ptr_null(raw_get(&r, r.companies, "id", "acme"));
    rs = company_repo_get(&r, "acme", &got, &err);
    ck_assert_repo(rs, REPO_NOT_FOUND, err);
    ck_assert_ptr_null(got);

    json_object_put(out);
    json_object_put(kw);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(company_create_of_a_taken_id_is_exists)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL, *raw;

    repo_shared_open(&r);
    company_put(&r, "taken", "First");
    repo_status rs = company_repo_create(&r, "taken", "Second", NULL, &out, &err);
    ck_assert_repo(rs, REPO_EXISTS, err);
    ck_assert_ptr_null(out);
    raw = raw_get(&r, r.companies, "id", "taken");
    ck_assert_str_eq(raw_str(raw, "name", "S"), "First");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "1");
    json_object_put(raw);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(company_without_keywords_stores_an_empty_list)
{
    struct repo r;
    json_object *raw;

    repo_shared_open(&r);
    company_put(&r, "nokw", "No Keywords");
    raw = raw_get(&r, r.companies, "id", "nokw");
    ck_assert_str_eq(json_object_to_json_string_ext(json_object_object_get(raw, "keywords"),
                                                    JSON_C_TO_STRING_PLAIN),
                     "{\"L\":[]}");
    json_object_put(raw);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(update_and_delete_of_missing_are_not_found)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL, *fields = parse("{\"first_name\":\"Rui\"}");
    struct repo_match one = match_of(1), any = {.any = 1};
    const struct repo_match *matches[] = {NULL, &one, &any};

    repo_shared_open(&r);
    for (size_t i = 0; i < 3; i++) {
        repo_status rs = company_repo_update(&r, "ghost", "Ghost", NULL, matches[i], &out, &err);
        ck_assert_repo(rs, REPO_NOT_FOUND, err);
        ck_assert_ptr_null(out);
        rs = company_repo_delete(&r, "ghost", matches[i], &err);
        ck_assert_repo(rs, REPO_NOT_FOUND, err);
        rs = donor_repo_update(&r, "ghost@example.com", fields, matches[i], &out, &err);
        ck_assert_repo(rs, REPO_NOT_FOUND, err);
        rs = donor_repo_delete(&r, "ghost@example.com", matches[i], &err);
        ck_assert_repo(rs, REPO_NOT_FOUND, err);
    }
    /* The update did not create the item (no upsert). */
    ck_assert_ptr_null(raw_get(&r, r.companies, "id", "ghost"));
    ck_assert_ptr_null(raw_get(&r, r.donors, "email", "ghost@example.com"));
    json_object_put(fields);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(stale_version_is_precondition)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL, *raw;
    struct repo_match stale = match_of(1), several = {.versions = {7, 8, 1}, .n = 3};

    repo_shared_open(&r);
    company_put(&r, "stale", "Stale");
    struct repo_match now = match_of(1);
    repo_status rs = company_repo_update(&r, "stale", "Fresh", NULL, &now, &out, &err);
    ck_assert_repo(rs, REPO_OK, err);
    json_object_put(out);

    rs = company_repo_update(&r, "stale", "Lost", NULL, &stale, &out, &err);
    ck_assert_repo(rs, REPO_PRECONDITION, err);
    ck_assert_ptr_null(out);
    rs = company_repo_update(&r, "stale", "Lost", NULL, &several, &out, &err);
    ck_assert_repo(rs, REPO_PRECONDITION, err);
    rs = company_repo_delete(&r, "stale", &stale, &err);
    ck_assert_repo(rs, REPO_PRECONDITION, err);

    raw = raw_get(&r, r.companies, "id", "stale");
    ck_assert_str_eq(raw_str(raw, "name", "S"), "Fresh");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "2");
    json_object_put(raw);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(a_match_among_several_versions_hits)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL;
    struct repo_match m = {.versions = {5, 1, 9}, .n = 3};

    repo_shared_open(&r);
    company_put(&r, "several", "Several");
    repo_status rs = company_repo_update(&r, "several", "Hit", NULL, &m, &out, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(version_of(out), 2);
    json_object_put(out);
    m.versions[0] = 2;
    rs = company_repo_delete(&r, "several", &m, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_ptr_null(raw_get(&r, r.companies, "id", "several"));
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(any_matches_an_existing_item)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL;
    struct repo_match any = {.any = 1};

    repo_shared_open(&r);
    company_put(&r, "anyco", "Any");
    repo_status rs = company_repo_update(&r, "anyco", "Any Co", NULL, &any, &out, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(version_of(out), 2);
    json_object_put(out);
    rs = company_repo_delete(&r, "anyco", &any, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_ptr_null(raw_get(&r, r.companies, "id", "anyco"));
    ddb_client_free(r.ddb);
}
END_TEST

/* One racer: its own client (its own connection), waits for the start, updates with match
 * version 1 and reports the status byte on out. */
static void
race_child(int start, int out, int index, const char *name)
{
    struct ddb_client *c = NULL;
    struct repo_error err;
    struct repo r;
    struct config cfg;
    char go;
    unsigned char result[2] = {(unsigned char)index, 0xff};

    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.table_prefix, sizeof(cfg.table_prefix), "%s", g_prefix);
    if (client_try(NULL, &c, &err.ddb) == DDB_OK && repo_init(&r, c, &cfg) == 0 &&
        read(start, &go, 1) == 0) {
        struct repo_match m = match_of(1);
        result[1] = (unsigned char)company_repo_update(&r, "race", name, NULL, &m, NULL, &err);
    }
    /* One write of two bytes to a pipe is atomic: the parent reads whole reports. */
    if (write(out, result, 2) != 2)
        result[1] = 0xff;
    ddb_client_free(c);
    _exit(0);
}

START_TEST(two_updates_with_one_match_one_wins)
{
    struct repo r;
    int start[2], results[2];
    pid_t pids[2];
    unsigned char got[2] = {0xff, 0xff};
    const char *names[2] = {"Racer A", "Racer B"};

    repo_shared_open(&r);
    company_put(&r, "race", "Start");
    ck_assert_int_eq(pipe(start), 0);
    ck_assert_int_eq(pipe(results), 0);
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            close(start[1]);
            close(results[0]);
            race_child(start[0], results[1], i, names[i]);
        }
    }
    close(start[0]);
    close(results[1]);
    close(start[1]); /* both read end-of-file at once: go */
    for (int i = 0; i < 2; i++) {
        unsigned char report[2];
        ck_assert_int_eq(read(results[0], report, 2), 2);
        ck_assert_int_lt(report[0], 2);
        got[report[0]] = report[1];
    }
    close(results[0]);
    for (int i = 0; i < 2; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
    }

    int ok = (got[0] == REPO_OK) + (got[1] == REPO_OK);
    int pre = (got[0] == REPO_PRECONDITION) + (got[1] == REPO_PRECONDITION);
    ck_assert_msg(ok == 1 && pre == 1, "results %d and %d", got[0], got[1]);
    json_object *raw = raw_get(&r, r.companies, "id", "race");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "2");
    /* The racer that was told OK is the one whose name is stored. */
    ck_assert_str_eq(raw_str(raw, "name", "S"), got[0] == REPO_OK ? "Racer A" : "Racer B");
    json_object_put(raw);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(paging_250_companies_at_100)
{
    struct repo r;
    struct repo_error err;
    char id[16], *cursor = NULL;
    int seen[250] = {0}, pages = 0, sizes[8] = {0};

    need_tables();
    repo_for(&r, client_new(), g_page_prefix);
    for (int i = 0; i < 250; i++) {
        snprintf(id, sizeof(id), "p-%03d", i);
        company_put(&r, id, id);
    }
    do {
        json_object *items = NULL;
        char *next = NULL;
        repo_status rs = company_repo_list(&r, 100, cursor, &items, &next, &err);
        ck_assert_repo(rs, REPO_OK, err);
        ck_assert_int_lt(pages, 8);
        sizes[pages++] = (int)json_object_array_length(items);
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i);
            int n = -1;
            expect_members(it, company_members);
            ck_assert_int_eq(sscanf(str_of(it, "id"), "p-%d", &n), 1);
            ck_assert(n >= 0 && n < 250);
            seen[n]++;
        }
        json_object_put(items);
        free(cursor);
        cursor = next;
        if (cursor != NULL)
            ck_assert_int_le(strlen(cursor), CURSOR_MAX);
    } while (cursor != NULL);

    for (int i = 0; i < 250; i++)
        ck_assert_msg(seen[i] == 1, "p-%03d seen %d times", i, seen[i]);
    ck_assert_int_eq(pages, 3);
    ck_assert_int_eq(sizes[0], 100);
    ck_assert_int_eq(sizes[1], 100);
    ck_assert_int_eq(sizes[2], 50);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(delete_many_of_60_leaves_none)
{
    struct repo r;
    struct repo_error err;
    char *ids[60], buf[32];
    int n = 0;

    repo_shared_open(&r);
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof(buf), "dm-%02d", i);
        company_put(&r, buf, buf);
        ids[n++] = strdup(buf);
    }
    for (int i = 0; i < 15; i++) {
        snprintf(buf, sizeof(buf), "dm-missing-%02d", i);
        ids[n++] = strdup(buf);
    }
    for (int i = 0; i < 5; i++)
        ids[n++] = strdup(ids[i * 7]);
    ck_assert_int_eq(n, 60);
    company_put(&r, "dm-keep", "Keep");

    repo_status rs = company_repo_delete_many(&r, (const char *const *)ids, 60, &err);
    ck_assert_repo(rs, REPO_OK, err);
    for (int i = 0; i < 60; i++) {
        json_object *raw = raw_get(&r, r.companies, "id", ids[i]);
        ck_assert_msg(raw == NULL, "%s is still there", ids[i]);
        free(ids[i]);
    }
    json_object *keep = raw_get(&r, r.companies, "id", "dm-keep");
    ck_assert_ptr_nonnull(keep);
    json_object_put(keep);
    rs = company_repo_delete_many(&r, NULL, 0, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ddb_client_free(r.ddb);
}
END_TEST

/* ---- donors ---- */

START_TEST(donor_create_get_update_delete)
{
    struct repo r;
    struct repo_error err;
    json_object *f = donor_fields("rita@example.pt", "Rita", "Aveiro", "B-"), *out = NULL;
    json_object *got = NULL, *raw;
    repo_status rs;

    repo_shared_open(&r);
    rs = donor_repo_create(&r, f, &out, &err);
    ck_assert_repo(rs, REPO_OK, err);
    expect_members(out, donor_members);
    ck_assert_str_eq(str_of(out, "email"), "rita@example.pt");
    ck_assert_str_eq(str_of(out, "first_name"), "Rita");
    ck_assert_str_eq(str_of(out, "city"), "Aveiro");
    ck_assert_str_eq(str_of(out, "type"), "B-");
    ck_assert_int_eq(version_of(out), 1);
    expect_timestamp(str_of(out, "created_at"));

    raw = raw_get(&r, r.donors, "email", "rita@example.pt");
    ck_assert_int_eq(json_object_object_length(raw), 8);
    expect_fresh_token(raw);
    ck_assert_str_eq(raw_str(raw, "city", "S"), "Aveiro");
    ck_assert_str_eq(raw_str(raw, "type", "S"), "B-");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "1");
    json_object_put(raw);

    rs = donor_repo_create(&r, f, &got, &err);
    ck_assert_repo(rs, REPO_EXISTS, err);

    rs = donor_repo_get(&r, "rita@example.pt", &got, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert(json_object_equal(got, out));
    json_object_put(got);

    /* city and type are reserved words in DynamoDB's expressions. */
    json_object *change = parse("{\"city\":\"Viseu\",\"type\":\"O-\"}");
    struct repo_match m = match_of(1);
    rs = donor_repo_update(&r, "rita@example.pt", change, &m, &got, &err);
    ck_assert_repo(rs, REPO_OK, err);
    expect_members(got, donor_members);
    ck_assert_str_eq(str_of(got, "city"), "Viseu");
    ck_assert_str_eq(str_of(got, "type"), "O-");
    ck_assert_str_eq(str_of(got, "first_name"), "Rita");
    ck_assert_int_eq(version_of(got), 2);
    json_object_put(got);
    json_object_put(change);

    /* The index follows: Viseu lists her, Aveiro no longer does. */
    json_object *items = NULL;
    char *next = NULL;
    rs = donor_repo_list_city(&r, "Viseu", "O-", 10, NULL, &items, &next, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(json_object_array_length(items), 1);
    ck_assert_str_eq(str_of(json_object_array_get_idx(items, 0), "email"), "rita@example.pt");
    json_object_put(items);
    free(next);
    rs = donor_repo_list_city(&r, "Aveiro", NULL, 10, NULL, &items, &next, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(json_object_array_length(items), 0);
    ck_assert_ptr_null(next);
    json_object_put(items);

    m = match_of(1);
    rs = donor_repo_delete(&r, "rita@example.pt", &m, &err);
    ck_assert_repo(rs, REPO_PRECONDITION, err);
    m = match_of(2);
    rs = donor_repo_delete(&r, "rita@example.pt", &m, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_ptr_null(raw_get(&r, r.donors, "email", "rita@example.pt"));
    rs = donor_repo_get(&r, "rita@example.pt", &got, &err);
    ck_assert_repo(rs, REPO_NOT_FOUND, err);

    json_object_put(out);
    json_object_put(f);
    ddb_client_free(r.ddb);
}
END_TEST

/* Every page of a city's listing; *count items, each checked to be of city (and type). */
static int
list_all(struct repo *r, const char *city, const char *type, int limit, json_object *emails)
{
    struct repo_error err;
    char *cursor = NULL;
    int pages = 0;

    do {
        json_object *items = NULL;
        char *next = NULL;
        repo_status rs = donor_repo_list_city(r, city, type, limit, cursor, &items, &next, &err);
        ck_assert_repo(rs, REPO_OK, err);
        ck_assert_int_le(json_object_array_length(items), (size_t)limit);
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i);
            expect_members(it, donor_members);
            ck_assert_str_eq(str_of(it, "city"), city);
            if (type != NULL)
                ck_assert_str_eq(str_of(it, "type"), type);
            json_object_array_add(emails, json_object_new_string(str_of(it, "email")));
        }
        json_object_put(items);
        free(cursor);
        cursor = next;
        ck_assert_int_lt(++pages, 100);
    } while (cursor != NULL);
    return pages;
}

static int
count_of(json_object *emails, const char *email)
{
    int n = 0;

    for (size_t i = 0; i < json_object_array_length(emails); i++)
        n += strcmp(json_object_get_string(json_object_array_get_idx(emails, i)), email) == 0;
    return n;
}

START_TEST(city_listing_returns_that_city_filtered_by_type)
{
    struct repo r;
    json_object *emails = json_object_new_array();

    repo_shared_open(&r);
    donor_put(&r, "l1@example.pt", "Lisboa", "O+");
    donor_put(&r, "l2@example.pt", "Lisboa", "A-");
    donor_put(&r, "l3@example.pt", "Lisboa", "O+");
    donor_put(&r, "p1@example.pt", "Porto", "O+");
    donor_put(&r, "p2@example.pt", "Lisboa ", "O+"); /* another city to DynamoDB */

    list_all(&r, "Lisboa", NULL, 100, emails);
    ck_assert_int_eq(json_object_array_length(emails), 3);
    ck_assert_int_eq(count_of(emails, "l1@example.pt"), 1);
    ck_assert_int_eq(count_of(emails, "l2@example.pt"), 1);
    ck_assert_int_eq(count_of(emails, "l3@example.pt"), 1);
    json_object_put(emails);

    emails = json_object_new_array();
    list_all(&r, "Lisboa", "O+", 100, emails);
    ck_assert_int_eq(json_object_array_length(emails), 2);
    ck_assert_int_eq(count_of(emails, "l1@example.pt"), 1);
    ck_assert_int_eq(count_of(emails, "l3@example.pt"), 1);
    json_object_put(emails);

    emails = json_object_new_array();
    ck_assert_int_eq(list_all(&r, "Porto", "A-", 100, emails), 1);
    ck_assert_int_eq(json_object_array_length(emails), 0);
    json_object_put(emails);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(paging_donors_of_a_city)
{
    struct repo r;
    char email[64];
    json_object *emails = json_object_new_array();

    need_tables();
    repo_for(&r, client_new(), g_page_prefix);
    for (int i = 0; i < 25; i++) {
        snprintf(email, sizeof(email), "b%02d@example.pt", i);
        donor_put(&r, email, "Braga", i % 2 == 0 ? "O+" : "A-");
    }
    donor_put(&r, "elsewhere@example.pt", "Guimarães", "O+");

    ck_assert_int_ge(list_all(&r, "Braga", NULL, 10, emails), 3);
    ck_assert_int_eq(json_object_array_length(emails), 25);
    for (int i = 0; i < 25; i++) {
        snprintf(email, sizeof(email), "b%02d@example.pt", i);
        ck_assert_msg(count_of(emails, email) == 1, "%s seen %d times", email,
                      count_of(emails, email));
    }
    json_object_put(emails);

    emails = json_object_new_array();
    ck_assert_int_ge(list_all(&r, "Braga", "O+", 5, emails), 3);
    ck_assert_int_eq(json_object_array_length(emails), 13);
    for (int i = 0; i < 25; i += 2) {
        snprintf(email, sizeof(email), "b%02d@example.pt", i);
        ck_assert_int_eq(count_of(emails, email), 1);
    }
    json_object_put(emails);
    ddb_client_free(r.ddb);
}
END_TEST

/* The first page's cursor of a listing of city (type) with limit 1. */
static char *
first_cursor(struct repo *r, const char *city, const char *type)
{
    struct repo_error err;
    json_object *items = NULL;
    char *next = NULL;
    repo_status rs = donor_repo_list_city(r, city, type, 1, NULL, &items, &next, &err);

    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_int_eq(json_object_array_length(items), 1);
    ck_assert_ptr_nonnull(next);
    json_object_put(items);
    return next;
}

static repo_status
list_with(struct repo *r, const char *city, const char *type, const char *cursor)
{
    struct repo_error err;
    json_object *items = NULL;
    char *next = NULL;
    repo_status rs = donor_repo_list_city(r, city, type, 1, cursor, &items, &next, &err);

    if (rs != REPO_OK) {
        ck_assert_ptr_null(items);
        ck_assert_ptr_null(next);
    }
    json_object_put(items);
    free(next);
    return rs;
}

START_TEST(a_cursor_of_another_listing_is_bad_cursor)
{
    struct repo r;
    struct repo_error err;
    json_object *items = NULL, *key = NULL;
    char *next = NULL, *forged = NULL;

    repo_shared_open(&r);
    for (int i = 0; i < 3; i++) {
        char email[32];
        snprintf(email, sizeof(email), "c%d@example.pt", i);
        donor_put(&r, email, "Coimbra", "O+");
        snprintf(email, sizeof(email), "f%d@example.pt", i);
        donor_put(&r, email, "Faro", "O+");
    }
    char *coimbra = first_cursor(&r, "Coimbra", NULL);
    char *coimbra_o = first_cursor(&r, "Coimbra", "O+");

    ck_assert_int_eq(list_with(&r, "Coimbra", NULL, coimbra), REPO_OK);
    ck_assert_int_eq(list_with(&r, "Coimbra", "O+", coimbra_o), REPO_OK);
    ck_assert_int_eq(list_with(&r, "Faro", NULL, coimbra), REPO_BAD_CURSOR);
    ck_assert_int_eq(list_with(&r, "Coimbra", "O+", coimbra), REPO_BAD_CURSOR);
    ck_assert_int_eq(list_with(&r, "Coimbra", NULL, coimbra_o), REPO_BAD_CURSOR);
    ck_assert_int_eq(list_with(&r, "Coimbra", NULL, "garbage"), REPO_BAD_CURSOR);
    ck_assert_int_eq(list_with(&r, "Coimbra", NULL, ""), REPO_BAD_CURSOR);

    /* A cursor whose listing says Faro but whose key is in Coimbra: a cursor proves nothing
     * about its origin, so the key itself must name the city queried. */
    const struct cursor_attr attrs[] = {
        {"email", "S", NULL}, {"city", "S", NULL}, {"type", "S", NULL}};
    ck_assert_int_eq(cursor_decode("donors\nCoimbra\n", coimbra, attrs, 3, &key), 0);
    ck_assert_int_eq(cursor_encode("donors\nFaro\n", key, &forged), 0);
    ck_assert_int_eq(list_with(&r, "Faro", NULL, forged), REPO_BAD_CURSOR);
    free(forged);
    ck_assert_int_eq(cursor_encode("donors\nCoimbra\nA-", key, &forged), 0);
    ck_assert_int_eq(list_with(&r, "Coimbra", "A-", forged), REPO_BAD_CURSOR);
    free(forged);
    json_object_put(key);

    /* Companies and donors cursors do not cross. */
    company_put(&r, "cross-1", "Cross 1");
    company_put(&r, "cross-2", "Cross 2");
    repo_status rs = company_repo_list(&r, 1, NULL, &items, &next, &err);
    ck_assert_repo(rs, REPO_OK, err);
    ck_assert_ptr_nonnull(next);
    json_object_put(items);
    ck_assert_int_eq(list_with(&r, "Coimbra", NULL, next), REPO_BAD_CURSOR);
    free(next);
    rs = company_repo_list(&r, 1, coimbra, &items, &next, &err);
    ck_assert_repo(rs, REPO_BAD_CURSOR, err);
    ck_assert_ptr_null(items);
    ck_assert_ptr_null(next);

    /* A company cursor with one character of its listing's name changed (a change inside
     * the key may well make another valid start: cursors claim no origin). */
    rs = company_repo_list(&r, 1, NULL, &items, &next, &err);
    ck_assert_repo(rs, REPO_OK, err);
    json_object_put(items);
    next[8] = next[8] == 'A' ? 'B' : 'A';
    char *tampered = next;
    rs = company_repo_list(&r, 1, tampered, &items, &next, &err);
    ck_assert_repo(rs, REPO_BAD_CURSOR, err);
    free(tampered);

    free(coimbra);
    free(coimbra_o);
    ddb_client_free(r.ddb);
}
END_TEST

/* ---- failures ---- */

START_TEST(unreachable_endpoint_is_unavailable)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char url[64];
    struct ddb_options opts = {0};
    struct ddb_client *c = NULL;
    struct repo_error err;
    struct repo r;
    json_object *out = NULL, *items = NULL;
    char *next = NULL;
    const char *ids[] = {"a", "b"};

    need_tables();
    /* Bound but not listening: connections to it are refused, and nobody else can take it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));

    char *saved = strdup(getenv("AWS_ENDPOINT_URL_DYNAMODB"));
    ck_assert_ptr_nonnull(saved);
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", url, 1), 0);
    opts.retry.max_attempts = 2;
    opts.retry.base_ms = 10;
    opts.retry.cap_ms = 50;
    opts.retry.total_ms = 2000;
    ddb_status st = client_try(&opts, &c, &err.ddb);
    /* Restored before any assertion, for runs without fork (CK_FORK=no). */
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", saved, 1), 0);
    free(saved);
    ck_assert_msg(st == DDB_OK, "no client: %s", err.ddb.message);
    repo_for(&r, c, g_prefix);

    ck_assert_repo(company_repo_get(&r, "acme", &out, &err), REPO_UNAVAILABLE, err);
    ck_assert_int_eq(err.ddb.status, DDB_ERR_CONNECT);
    ck_assert_ptr_null(out);
    ck_assert_repo(company_repo_create(&r, "acme", "Acme", NULL, &out, &err), REPO_UNAVAILABLE,
                   err);
    ck_assert_repo(company_repo_list(&r, 10, NULL, &items, &next, &err), REPO_UNAVAILABLE, err);
    ck_assert_ptr_null(items);
    ck_assert_repo(donor_repo_list_city(&r, "Lisboa", NULL, 10, NULL, &items, &next, &err),
                   REPO_UNAVAILABLE, err);
    ck_assert_repo(company_repo_delete_many(&r, ids, 2, &err), REPO_UNAVAILABLE, err);
    struct repo_match m = match_of(1);
    ck_assert_repo(company_repo_update(&r, "acme", "A", NULL, &m, &out, &err), REPO_UNAVAILABLE,
                   err);
    ck_assert_repo(company_repo_delete(&r, "acme", &m, &err), REPO_UNAVAILABLE, err);
    ddb_client_free(c);
    close(fd);
}
END_TEST

START_TEST(a_missing_table_is_unavailable)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL;
    char prefix[48];

    need_tables();
    snprintf(prefix, sizeof(prefix), "%snone-", g_base);
    repo_for(&r, client_new(), prefix);
    ck_assert_repo(company_repo_get(&r, "acme", &out, &err), REPO_UNAVAILABLE, err);
    ck_assert_int_eq(err.ddb.status, DDB_ERR_NOT_FOUND);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(bad_arguments_are_invalid_and_send_nothing)
{
    struct repo r;
    struct repo_error err;
    struct ddb_stats before, after;
    json_object *out = NULL, *items = NULL;
    char *next = NULL;
    json_object *key_change = parse("{\"email\":\"x@example.pt\"}");
    json_object *unknown = parse("{\"blood\":\"O+\"}");
    json_object *mistyped = parse("{\"city\":7}");
    json_object *empty = parse("{}");
    json_object *partial = parse("{\"email\":\"x@example.pt\",\"city\":\"Faro\"}");
    json_object *kw_numbers = parse("[1,2]");
    struct repo_match none = {.n = 0}, too_many = {.n = REPO_MATCH_MAX + 1};

    repo_shared_open(&r);
    ddb_client_stats(r.ddb, &before);
    ck_assert_repo(donor_repo_update(&r, "x@example.pt", key_change, NULL, &out, &err),
                   REPO_INVALID, err);
    ck_assert_repo(donor_repo_update(&r, "x@example.pt", unknown, NULL, &out, &err), REPO_INVALID,
                   err);
    ck_assert_repo(donor_repo_update(&r, "x@example.pt", mistyped, NULL, &out, &err), REPO_INVALID,
                   err);
    ck_assert_repo(donor_repo_update(&r, "x@example.pt", empty, NULL, &out, &err), REPO_INVALID,
                   err);
    ck_assert_repo(donor_repo_create(&r, partial, &out, &err), REPO_INVALID, err);
    ck_assert_repo(donor_repo_create(&r, unknown, &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_create(&r, "kw", "Kw", kw_numbers, &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_create(&r, NULL, "Kw", NULL, &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_update(&r, "kw", NULL, NULL, NULL, &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_update(&r, "kw", "Kw", NULL, &none, &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_delete(&r, "kw", &too_many, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_get(&r, "", &out, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_list(&r, 0, NULL, &items, &next, &err), REPO_INVALID, err);
    ck_assert_repo(company_repo_list(&r, 101, NULL, &items, &next, &err), REPO_INVALID, err);
    ck_assert_repo(donor_repo_list_city(&r, "Faro", NULL, 0, NULL, &items, &next, &err),
                   REPO_INVALID, err);
    ck_assert_repo(donor_repo_list_city(&r, "", NULL, 10, NULL, &items, &next, &err), REPO_INVALID,
                   err);
    ck_assert_repo(donor_repo_list_city(&r, NULL, NULL, 10, NULL, &items, &next, &err),
                   REPO_INVALID, err);
    ck_assert_ptr_null(out);
    ck_assert_ptr_null(items);
    ck_assert_ptr_null(next);
    ddb_client_stats(r.ddb, &after);
    ck_assert_int_eq(after.calls, before.calls);

    json_object_put(key_change);
    json_object_put(unknown);
    json_object_put(mistyped);
    json_object_put(empty);
    json_object_put(partial);
    json_object_put(kw_numbers);
    ddb_client_free(r.ddb);
}
END_TEST

START_TEST(status_mapping)
{
    static const struct {
        ddb_status ddb;
        repo_status repo;
    } cases[] = {
        {DDB_OK, REPO_OK},
        {DDB_ERR_THROTTLED, REPO_UNAVAILABLE},
        {DDB_ERR_CONNECT, REPO_UNAVAILABLE},
        {DDB_ERR_TIMEOUT, REPO_UNAVAILABLE},
        {DDB_ERR_TLS, REPO_UNAVAILABLE},
        {DDB_ERR_TRANSPORT, REPO_UNAVAILABLE},
        {DDB_ERR_CRC32, REPO_UNAVAILABLE},
        {DDB_ERR_SERVICE, REPO_UNAVAILABLE},
        {DDB_ERR_STOPPED, REPO_UNAVAILABLE},
        {DDB_ERR_CREDENTIALS, REPO_UNAVAILABLE},
        {DDB_ERR_AUTH, REPO_UNAVAILABLE},
        {DDB_ERR_CONFIG, REPO_UNAVAILABLE},
        {DDB_ERR_BAD_RESPONSE, REPO_UNAVAILABLE},
        {DDB_ERR_NOT_FOUND, REPO_UNAVAILABLE},
        {DDB_ERR_VALIDATION, REPO_INVALID},
        {DDB_ERR_ITEM_TOO_LARGE, REPO_INVALID},
        {DDB_ERR_INVALID, REPO_INVALID},
        {DDB_ERR_NOMEM, REPO_ERROR},
        {DDB_ERR_IN_USE, REPO_ERROR},
        {DDB_ERR_TRANSACTION, REPO_ERROR},
        {DDB_ERR_CLIENT, REPO_ERROR},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(repo_status_from_ddb(cases[i].ddb) == cases[i].repo, "%s gave %s",
                      ddb_error_name(cases[i].ddb),
                      repo_status_name(repo_status_from_ddb(cases[i].ddb)));
    for (int a = REPO_OK; a <= REPO_ERROR; a++)
        for (int b = a + 1; b <= REPO_ERROR; b++)
            ck_assert_str_ne(repo_status_name((repo_status)a), repo_status_name((repo_status)b));
    char ts[32];
    repo_timestamp(ts);
    expect_timestamp(ts);
}
END_TEST

/* An item the size limit refuses is a client's input problem (4xx), not a 500. */
START_TEST(an_oversized_item_is_invalid)
{
    struct repo r;
    struct repo_error err;
    json_object *kw = json_object_new_array(), *out = NULL;
    char word[1001];

    repo_shared_open(&r);
    memset(word, 'k', 1000);
    word[1000] = '\0';
    for (int i = 0; i < 420; i++)
        json_object_array_add(kw, json_object_new_string(word));
    ck_assert_repo(company_repo_create(&r, "huge", "Huge", kw, &out, &err), REPO_INVALID, err);
    ck_assert_int_eq(err.ddb.status, DDB_ERR_ITEM_TOO_LARGE);
    ck_assert_ptr_null(raw_get(&r, r.companies, "id", "huge"));
    json_object_put(kw);
    ddb_client_free(r.ddb);
}
END_TEST

/* A write token of the request (as an Idempotency-Key gives): the same write sent again with
 * it is "mine", answered as done and not applied twice; another token is still a conflict. */
START_TEST(a_request_token_makes_a_repeat_mine)
{
    struct repo r;
    struct repo_error err;
    json_object *out = NULL, *again = NULL, *raw, *kw = parse("[\"x\"]");
    struct repo_match m = match_of(1);

    repo_shared_open(&r);
    snprintf(r.write_token, sizeof(r.write_token), "%s", "request-create-1");
    ck_assert_repo(company_repo_create(&r, "mine", "Mine", NULL, &out, &err), REPO_OK, err);
    ck_assert_repo(company_repo_create(&r, "mine", "Mine", NULL, &again, &err), REPO_OK, err);
    ck_assert_msg(json_object_equal(out, again), "first %s, again %s",
                  json_object_to_json_string(out), json_object_to_json_string(again));
    expect_members(again, company_members);
    json_object_put(again);
    json_object_put(out);
    snprintf(r.write_token, sizeof(r.write_token), "%s", "request-create-2");
    ck_assert_repo(company_repo_create(&r, "mine", "Mine", NULL, &out, &err), REPO_EXISTS, err);
    ck_assert_ptr_null(out);

    /* An update with If-Match, and one without, each sent twice: applied once each. */
    snprintf(r.write_token, sizeof(r.write_token), "%s", "request-update-1");
    for (int i = 0; i < 2; i++) {
        ck_assert_repo(company_repo_update(&r, "mine", NULL, kw, &m, &out, &err), REPO_OK, err);
        ck_assert_int_eq(version_of(out), 2);
        expect_members(out, company_members);
        json_object_put(out);
    }
    snprintf(r.write_token, sizeof(r.write_token), "%s", "request-update-2");
    for (int i = 0; i < 2; i++) {
        ck_assert_repo(company_repo_update(&r, "mine", "MINE", NULL, NULL, &out, &err), REPO_OK,
                       err);
        ck_assert_int_eq(version_of(out), 3);
        ck_assert_str_eq(str_of(out, "name"), "MINE");
        json_object_put(out);
    }
    raw = raw_get(&r, r.companies, "id", "mine");
    ck_assert_str_eq(raw_str(raw, "version", "N"), "3");
    ck_assert_str_eq(raw_str(raw, "write_token", "S"), "request-update-2");
    json_object_put(raw);

    /* Another request's stale If-Match is still 412, and its update of a missing item 404. */
    snprintf(r.write_token, sizeof(r.write_token), "%s", "request-update-3");
    ck_assert_repo(company_repo_update(&r, "mine", "Lost", NULL, &m, &out, &err), REPO_PRECONDITION,
                   err);
    ck_assert_repo(company_repo_update(&r, "nobody", "Lost", NULL, NULL, &out, &err),
                   REPO_NOT_FOUND, err);
    ck_assert_repo(company_repo_update(&r, "nobody", "Lost", NULL, &m, &out, &err), REPO_NOT_FOUND,
                   err);

    /* A delete carries no token: a second one finds nothing (404). */
    ck_assert_repo(company_repo_delete(&r, "mine", NULL, &err), REPO_OK, err);
    ck_assert_repo(company_repo_delete(&r, "mine", NULL, &err), REPO_NOT_FOUND, err);
    json_object_put(kw);
    ddb_client_free(r.ddb);
}
END_TEST

/* ReturnValuesOnConditionCheckFailure: where the service returns the item with a failed
 * condition (DynamoDB Local, AWS), a stale If-Match costs one call; where it does not
 * (dynalite 4 ignores the parameter), one more, a consistent read. The emulator's name comes
 * from the script that runs this test. */
START_TEST(a_failed_condition_is_read_only_without_the_old_item)
{
    const char *emulator = getenv("SAVEALIFE_TEST_EMULATOR");
    struct ddb_stats before, after;
    struct repo r;
    struct repo_error err;
    json_object *out = NULL;
    struct repo_match stale = match_of(7);
    unsigned long calls;

    repo_shared_open(&r);
    company_put(&r, "allold", "All Old");
    ddb_client_stats(r.ddb, &before);
    ck_assert_repo(company_repo_update(&r, "allold", "X", NULL, &stale, &out, &err),
                   REPO_PRECONDITION, err);
    ck_assert_repo(company_repo_delete(&r, "allold", &stale, &err), REPO_PRECONDITION, err);
    ddb_client_stats(r.ddb, &after);
    calls = after.calls - before.calls;
    if (emulator != NULL && strcmp(emulator, "ddblocal") == 0)
        ck_assert_msg(calls == 2, "%lu calls for two refused writes", calls);
    else if (emulator != NULL && strcmp(emulator, "dynalite") == 0)
        ck_assert_msg(calls == 4, "%lu calls for two refused writes and their reads", calls);
    else
        ck_assert_msg(calls == 2 || calls == 4, "%lu calls", calls);
    ddb_client_free(r.ddb);
}
END_TEST

static Suite *
repo_suite(void)
{
    Suite *s = suite_create("repo");
    /* One case, so its unchecked fixture makes the tables once for every test and removes
     * this run's tables after the last one. */
    TCase *tc = tcase_create("repo");

    tcase_add_unchecked_fixture(tc, tables_setup, tables_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, company_create_get_update_delete);
    tcase_add_test(tc, company_create_of_a_taken_id_is_exists);
    tcase_add_test(tc, company_without_keywords_stores_an_empty_list);
    tcase_add_test(tc, update_and_delete_of_missing_are_not_found);
    tcase_add_test(tc, stale_version_is_precondition);
    tcase_add_test(tc, a_match_among_several_versions_hits);
    tcase_add_test(tc, any_matches_an_existing_item);
    tcase_add_test(tc, two_updates_with_one_match_one_wins);
    tcase_add_test(tc, paging_250_companies_at_100);
    tcase_add_test(tc, delete_many_of_60_leaves_none);
    tcase_add_test(tc, donor_create_get_update_delete);
    tcase_add_test(tc, city_listing_returns_that_city_filtered_by_type);
    tcase_add_test(tc, paging_donors_of_a_city);
    tcase_add_test(tc, a_cursor_of_another_listing_is_bad_cursor);
    tcase_add_test(tc, unreachable_endpoint_is_unavailable);
    tcase_add_test(tc, a_missing_table_is_unavailable);
    tcase_add_test(tc, bad_arguments_are_invalid_and_send_nothing);
    tcase_add_test(tc, status_mapping);
    tcase_add_test(tc, an_oversized_item_is_invalid);
    tcase_add_test(tc, a_request_token_makes_a_repeat_mine);
    tcase_add_test(tc, a_failed_condition_is_read_only_without_the_old_item);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(repo_suite)
