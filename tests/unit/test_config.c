/* Configuration: defaults, environment, flags over environment, and refusals that name the
 * variable. */
#include <stdlib.h>
#include <string.h>

#include "../lib/check_main.h"
#include "config.h"

static const char *const vars[] = {
    "SAVEALIFE_LISTEN",       "SAVEALIFE_SOCKET_MODE",     "SAVEALIFE_SOCKET_GROUP",
    "SAVEALIFE_WORKERS",      "SAVEALIFE_WORKERS_MIN",     "SAVEALIFE_WORKERS_MAX",
    "SAVEALIFE_MAX_REQUESTS", "SAVEALIFE_REQUEST_TIMEOUT", "SAVEALIFE_BODY_LIMIT",
    "SAVEALIFE_TABLE_PREFIX", "SAVEALIFE_SCHEMA_DIR",      "SAVEALIFE_TOKENS_FILE",
    "SAVEALIFE_LOG_LEVEL",    "SAVEALIFE_LISTEN_BACKLOG",  "SAVEALIFE_DDB_ATTEMPT_TIMEOUT",
};

static void
clear_env(void)
{
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

static int
load(struct config *cfg, int argc, char *const argv[], char *errbuf)
{
    return config_load(cfg, argc, argv, errbuf, 256);
}

START_TEST(test_defaults)
{
    struct config cfg;
    char errbuf[256];
    clear_env();
    ck_assert_int_eq(load(&cfg, 0, NULL, errbuf), 0);
    ck_assert_str_eq(cfg.listen, "unix:/run/savealife/fcgi.sock");
    ck_assert_uint_eq(cfg.socket_mode, 0660);
    ck_assert_str_eq(cfg.socket_group, "");
    ck_assert_int_eq(cfg.listen_backlog, 511);
    /* A dynamic pool: 8 spare workers, 128 at most; no static size. */
    ck_assert_int_eq(cfg.workers, 0);
    ck_assert_int_eq(cfg.workers_min, 8);
    ck_assert_int_eq(cfg.workers_max, 128);
    ck_assert_int_eq(cfg.max_requests, 10000);
    ck_assert_int_eq(cfg.request_timeout, 30);
    ck_assert_int_eq(cfg.ddb_attempt_timeout, 500);
    ck_assert_int_eq(cfg.body_limit, 65536);
    ck_assert_str_eq(cfg.table_prefix, "");
    /* $(sysconfdir)/savealife/tokens: /etc/savealife/tokens in the Debian package, under the
     * configured prefix otherwise (tests/ops/install.sh checks the installed program). */
    ck_assert_str_eq(cfg.tokens_file, SAVEALIFE_TOKENS_FILE);
    ck_assert_ptr_nonnull(strstr(cfg.tokens_file, "/savealife/tokens"));
    ck_assert_str_eq(strstr(cfg.tokens_file, "/savealife/tokens"), "/savealife/tokens");
    ck_assert_int_eq(cfg.log_level, CONFIG_LOG_INFO);
}
END_TEST

START_TEST(test_environment_then_flags)
{
    struct config cfg;
    char errbuf[256];
    char *argv[] = {"--workers",   "3",     "--table-prefix=dev-",
                    "--log-level", "debug", "--ddb-attempt-timeout",
                    "800"};
    clear_env();
    setenv("SAVEALIFE_DDB_ATTEMPT_TIMEOUT", "2000", 1);
    setenv("SAVEALIFE_WORKERS", "5", 1);
    setenv("SAVEALIFE_BODY_LIMIT", "1024", 1);
    setenv("SAVEALIFE_SOCKET_MODE", "0600", 1);
    ck_assert_int_eq(load(&cfg, 7, argv, errbuf), 0);
    ck_assert_int_eq(cfg.ddb_attempt_timeout, 800);
    ck_assert_int_eq(cfg.workers, 3);
    ck_assert_int_eq(cfg.body_limit, 1024);
    ck_assert_uint_eq(cfg.socket_mode, 0600);
    ck_assert_str_eq(cfg.table_prefix, "dev-");
    ck_assert_int_eq(cfg.log_level, CONFIG_LOG_DEBUG);
    clear_env();
}
END_TEST

/* Each malformed value is refused with the variable's name in the message. */
static const struct {
    const char *var, *value;
} bad_values[] = {
    {"SAVEALIFE_WORKERS", "0"},
    {"SAVEALIFE_WORKERS", "eight"},
    {"SAVEALIFE_WORKERS", "8x"},
    {"SAVEALIFE_WORKERS", "-1"},
    {"SAVEALIFE_WORKERS", ""},
    {"SAVEALIFE_MAX_REQUESTS", "99999999999999999999"},
    {"SAVEALIFE_SOCKET_MODE", "0999"},
    {"SAVEALIFE_SOCKET_MODE", "01777"},
    {"SAVEALIFE_LOG_LEVEL", "loud"},
    {"SAVEALIFE_TABLE_PREFIX", "a b"},
    {"SAVEALIFE_BODY_LIMIT", " 10"},
    {"SAVEALIFE_REQUEST_TIMEOUT", "+5"},
    {"SAVEALIFE_LISTEN_BACKLOG", "0"},
    {"SAVEALIFE_LISTEN_BACKLOG", "65536"},
    {"SAVEALIFE_LISTEN_BACKLOG", ""},
    {"SAVEALIFE_WORKERS_MAX", "1025"},
    {"SAVEALIFE_DDB_ATTEMPT_TIMEOUT", "49"},
    {"SAVEALIFE_DDB_ATTEMPT_TIMEOUT", "60001"},
    {"SAVEALIFE_DDB_ATTEMPT_TIMEOUT", "0.5"},
};

START_TEST(test_bad_value_names_variable)
{
    struct config cfg;
    char errbuf[256];
    clear_env();
    setenv(bad_values[_i].var, bad_values[_i].value, 1);
    ck_assert_int_eq(load(&cfg, 0, NULL, errbuf), -1);
    ck_assert_msg(strstr(errbuf, bad_values[_i].var) != NULL, "%s=\"%s\": message \"%s\"",
                  bad_values[_i].var, bad_values[_i].value, errbuf);
    clear_env();
}
END_TEST

START_TEST(test_bad_flags)
{
    struct config cfg;
    char errbuf[256];
    char *unknown[] = {"--wrokers", "3"};
    char *missing[] = {"--workers"};
    char *positional[] = {"extra"};
    char *bad[] = {"--workers", "many"};
    clear_env();
    ck_assert_int_eq(load(&cfg, 2, unknown, errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "--wrokers"));
    ck_assert_int_eq(load(&cfg, 1, missing, errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "--workers"));
    ck_assert_int_eq(load(&cfg, 1, positional, errbuf), -1);
    ck_assert_int_eq(load(&cfg, 2, bad, errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "SAVEALIFE_WORKERS"));
}
END_TEST

/* Static when only SAVEALIFE_WORKERS is set; dynamic otherwise, with defaults for what is
 * not set. */
static const struct {
    const char *workers, *min, *max, *flag; /* NULL: not set */
    int want_workers, want_min, want_max;
} pools[] = {
    {NULL, NULL, NULL, NULL, 0, 8, 128},        /* the default: dynamic */
    {"5", NULL, NULL, NULL, 5, 0, 0},           /* static */
    {"5", "0", "0", NULL, 5, 0, 0},             /* static, as spelled before 0 meant a default */
    {NULL, NULL, NULL, "--workers=3", 3, 0, 0}, /* static from a flag */
    {"5", NULL, "16", NULL, 5, 8, 16},          /* dynamic wins; workers kept for a warning */
    {NULL, "2", NULL, NULL, 0, 2, 128},         /* the maximum's default */
    {NULL, NULL, "4", NULL, 0, 4, 4},           /* the spare default is capped by the maximum */
    {"5", NULL, NULL, "--workers-max=6", 5, 6, 6},
};

START_TEST(test_pool_kind)
{
    struct config cfg;
    char errbuf[256];
    char *argv[] = {(char *)pools[_i].flag};
    clear_env();
    if (pools[_i].workers != NULL)
        setenv("SAVEALIFE_WORKERS", pools[_i].workers, 1);
    if (pools[_i].min != NULL)
        setenv("SAVEALIFE_WORKERS_MIN", pools[_i].min, 1);
    if (pools[_i].max != NULL)
        setenv("SAVEALIFE_WORKERS_MAX", pools[_i].max, 1);
    ck_assert_msg(load(&cfg, pools[_i].flag != NULL ? 1 : 0, argv, errbuf) == 0, "%s", errbuf);
    ck_assert_int_eq(cfg.workers, pools[_i].want_workers);
    ck_assert_int_eq(cfg.workers_min, pools[_i].want_min);
    ck_assert_int_eq(cfg.workers_max, pools[_i].want_max);
    clear_env();
}
END_TEST

START_TEST(test_dynamic_pool_bounds)
{
    struct config cfg;
    char errbuf[256];
    clear_env();
    setenv("SAVEALIFE_WORKERS_MIN", "6", 1);
    setenv("SAVEALIFE_WORKERS_MAX", "4", 1);
    ck_assert_int_eq(load(&cfg, 0, NULL, errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "SAVEALIFE_WORKERS_MIN"));
    setenv("SAVEALIFE_WORKERS_MAX", "6", 1);
    ck_assert_int_eq(load(&cfg, 0, NULL, errbuf), 0);
    ck_assert_int_eq(cfg.workers_min, 6);
    ck_assert_int_eq(cfg.workers_max, 6);
    clear_env();
}
END_TEST

START_TEST(test_table_name)
{
    struct config cfg;
    char errbuf[256], name[16];
    clear_env();
    setenv("SAVEALIFE_TABLE_PREFIX", "dev-", 1);
    ck_assert_int_eq(load(&cfg, 0, NULL, errbuf), 0);
    ck_assert_int_eq(config_table_name(&cfg, "companies", name, sizeof(name)), 0);
    ck_assert_str_eq(name, "dev-companies");
    ck_assert_int_eq(config_table_name(&cfg, "a-much-longer-name", name, sizeof(name)), -1);
    clear_env();
}
END_TEST

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_environment_then_flags);
    tcase_add_loop_test(tc, test_bad_value_names_variable, 0,
                        (int)(sizeof(bad_values) / sizeof(bad_values[0])));
    tcase_add_test(tc, test_bad_flags);
    tcase_add_loop_test(tc, test_pool_kind, 0, (int)(sizeof(pools) / sizeof(pools[0])));
    tcase_add_test(tc, test_dynamic_pool_bounds);
    tcase_add_test(tc, test_table_name);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(config_suite)
