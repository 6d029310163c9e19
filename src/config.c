#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum config_kind { KIND_STRING, KIND_INT, KIND_LONG, KIND_MODE, KIND_LOG_LEVEL, KIND_TABLE_PREFIX };

/* One configuration variable: the table drives defaults, environment, flags and help. */
struct config_var {
    const char *name; /* environment variable; the flag is its lower-cased suffix */
    enum config_kind kind;
    size_t offset;
    size_t size; /* for strings: the buffer size */
    long min, max;
    const char *def;
    const char *help;
};

/* The default pool is dynamic: 8 spare workers when idle (up to 16), and at most 128, so
 * that 128 DynamoDB calls can be in flight: two cores serve about 10,000 requests a second,
 * which at 5 ms a call keeps 50 in flight, and 128 still cover calls of 12 ms at that rate.
 * A worker's proportional memory (Pss) measured 410 kB in a pool of 64 (750 kB in one of
 * 8), so 128 cost about 60 MB. */
#define CONFIG_SPARE_DEFAULT "8"
#define CONFIG_MAX_DEFAULT "128"

#define STR_VAR(n, field, d, h)                                                                    \
    {                                                                                              \
        n, KIND_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0, \
            d, h                                                                                   \
    }
#define NUM_VAR(n, kind, field, lo, hi, d, h)                                                      \
    {                                                                                              \
        n, kind, offsetof(struct config, field), sizeof(((struct config *)0)->field), lo, hi, d, h \
    }

static const struct config_var config_vars[] = {
    STR_VAR("SAVEALIFE_LISTEN", listen, "unix:/run/savealife/fcgi.sock",
            "unix:PATH or HOST:PORT; ignored when systemd hands a socket"),
    NUM_VAR("SAVEALIFE_SOCKET_MODE", KIND_MODE, socket_mode, 0, 0777, "0660",
            "mode of a unix socket it creates (octal)"),
    STR_VAR("SAVEALIFE_SOCKET_GROUP", socket_group, "",
            "group of a unix socket it creates (default: the process's group)"),
    /* php-fpm's and nginx's default; the kernel caps it at net.core.somaxconn. */
    NUM_VAR("SAVEALIFE_LISTEN_BACKLOG", KIND_INT, listen_backlog, 1, 65535, "511",
            "connections the socket queues before refusing more"),
    NUM_VAR("SAVEALIFE_WORKERS", KIND_INT, workers, 1, 1024, "",
            "a static pool of this many workers, instead of the dynamic one"),
    NUM_VAR("SAVEALIFE_WORKERS_MIN", KIND_INT, workers_min, 0, 1024, CONFIG_SPARE_DEFAULT,
            "spare workers a dynamic pool keeps idle (up to twice as many)"),
    NUM_VAR("SAVEALIFE_WORKERS_MAX", KIND_INT, workers_max, 0, 1024, CONFIG_MAX_DEFAULT,
            "most workers of a dynamic pool"),
    NUM_VAR("SAVEALIFE_MAX_REQUESTS", KIND_LONG, max_requests, 1, 1000000000L, "10000",
            "requests a worker serves before it is replaced"),
    NUM_VAR("SAVEALIFE_REQUEST_TIMEOUT", KIND_LONG, request_timeout, 1, 3600, "30",
            "seconds a request may run before its worker is replaced"),
    /* DynamoDB answers an item in milliseconds; an attempt still unanswered after this is
     * stalled and is retried, or stopped by the breaker (README, "When DynamoDB stalls").
     * Query, Scan and batch pages get DDB_PAGE_ATTEMPT_FACTOR times as long. */
    NUM_VAR("SAVEALIFE_DDB_ATTEMPT_TIMEOUT", KIND_LONG, ddb_attempt_timeout, 50, 60000, "500",
            "milliseconds one DynamoDB attempt may wait for its answer before it is retried"),
    NUM_VAR("SAVEALIFE_BODY_LIMIT", KIND_LONG, body_limit, 1, 16777216L, "65536",
            "largest request body, bytes"),
    {"SAVEALIFE_TABLE_PREFIX", KIND_TABLE_PREFIX, offsetof(struct config, table_prefix),
     sizeof(((struct config *)0)->table_prefix), 0, 0, "",
     "prefix of the table names (tables are <prefix>companies, <prefix>donors)"},
    STR_VAR("SAVEALIFE_SCHEMA_DIR", schema_dir, SAVEALIFE_SCHEMA_DIR,
            "where create-tables reads the CreateTable documents"),
    STR_VAR("SAVEALIFE_TOKENS_FILE", tokens_file, SAVEALIFE_TOKENS_FILE,
            "SHA-256 digests of admin tokens, one a line"),
    NUM_VAR("SAVEALIFE_LOG_LEVEL", KIND_LOG_LEVEL, log_level, 0, 0, "info",
            "debug, info, warn or error"),
};

#define CONFIG_NVARS (sizeof(config_vars) / sizeof(config_vars[0]))

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

/* "SAVEALIFE_MAX_REQUESTS" -> "max-requests". */
static void
flag_name(const struct config_var *v, char *buf, size_t len)
{
    const char *s = v->name + strlen("SAVEALIFE_");
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < len; i++)
        buf[i] = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
}

static int
parse_long(const char *s, int base, long *out)
{
    char *end;
    if (s[0] == '\0' || isspace((unsigned char)s[0]) || s[0] == '+' || s[0] == '-')
        return -1;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Table names allow [A-Za-z0-9_.-]; a prefix leaves room for the longest base name. */
static int
valid_table_prefix(const char *s)
{
    size_t n = strlen(s);
    if (n > 48)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return 0;
    }
    return 1;
}

static int
set_var(struct config *cfg, const struct config_var *v, const char *value, const char *source,
        char *errbuf, size_t errlen)
{
    char *field = (char *)cfg + v->offset;
    long n;

    switch (v->kind) {
    case KIND_TABLE_PREFIX:
        if (!valid_table_prefix(value)) {
            snprintf(errbuf, errlen,
                     "%s: \"%s\" is not a table name prefix (at most 48 of A-Z a-z 0-9 _ - .)",
                     source, value);
            return -1;
        }
        /* fall through */
    case KIND_STRING:
        if (strlen(value) >= v->size) {
            snprintf(errbuf, errlen, "%s: value is longer than %zu bytes", source, v->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case KIND_MODE:
        if (parse_long(value, 8, &n) != 0 || n < v->min || n > v->max) {
            snprintf(errbuf, errlen, "%s: \"%s\" is not an octal mode between 0 and 0777", source,
                     value);
            return -1;
        }
        *(unsigned *)(void *)field = (unsigned)n;
        return 0;
    case KIND_INT:
    case KIND_LONG:
        if (parse_long(value, 10, &n) != 0 || n < v->min || n > v->max) {
            snprintf(errbuf, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", source,
                     value, v->min, v->max);
            return -1;
        }
        if (v->kind == KIND_INT)
            *(int *)(void *)field = (int)n;
        else
            *(long *)(void *)field = n;
        return 0;
    case KIND_LOG_LEVEL:
        for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
            if (strcmp(value, log_level_names[i]) == 0) {
                *(enum config_log_level *)(void *)field = (enum config_log_level)i;
                return 0;
            }
        }
        snprintf(errbuf, errlen, "%s: \"%s\" is not one of debug, info, warn, error", source,
                 value);
        return -1;
    }
    return -1;
}

static const struct config_var *
find_flag(const char *arg, size_t len)
{
    char name[64];
    for (size_t i = 0; i < CONFIG_NVARS; i++) {
        flag_name(&config_vars[i], name, sizeof(name));
        if (strlen(name) == len && strncmp(name, arg, len) == 0)
            return &config_vars[i];
    }
    return NULL;
}

/* Static or dynamic, from what was set (set_*: given by the environment or a flag). */
static int
check_pool(struct config *cfg, int set_workers, int set_min, int set_max, char *errbuf,
           size_t errlen)
{
    /* 0 was how a static pool was asked for before the pool became dynamic by default. */
    set_min = set_min && cfg->workers_min != 0;
    set_max = set_max && cfg->workers_max != 0;
    if (set_workers && !set_min && !set_max) {
        cfg->workers_min = 0;
        cfg->workers_max = 0;
        return 0;
    }
    if (!set_max)
        cfg->workers_max = atoi(CONFIG_MAX_DEFAULT);
    if (!set_min)
        cfg->workers_min = atoi(CONFIG_SPARE_DEFAULT);
    if (cfg->workers_min > cfg->workers_max) {
        if (!set_min) {
            cfg->workers_min = cfg->workers_max;
            return 0;
        }
        snprintf(errbuf, errlen, "SAVEALIFE_WORKERS_MIN (%d) is above SAVEALIFE_WORKERS_MAX (%d)",
                 cfg->workers_min, cfg->workers_max);
        return -1;
    }
    return 0;
}

/* Records that the variable at this offset was set, for the pool's decision. */
static void
note_set(const struct config_var *v, int *set_workers, int *set_min, int *set_max)
{
    if (v->offset == offsetof(struct config, workers))
        *set_workers = 1;
    else if (v->offset == offsetof(struct config, workers_min))
        *set_min = 1;
    else if (v->offset == offsetof(struct config, workers_max))
        *set_max = 1;
}

int
config_load(struct config *cfg, int argc, char *const argv[], char *errbuf, size_t errlen)
{
    char source[96];
    int set_workers = 0, set_min = 0, set_max = 0;

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CONFIG_NVARS; i++) {
        const struct config_var *v = &config_vars[i];
        snprintf(source, sizeof(source), "default of %s", v->name);
        /* A number without a default stays 0: not set. */
        int no_default = v->def[0] == '\0' && (v->kind == KIND_INT || v->kind == KIND_LONG);
        if (!no_default && set_var(cfg, v, v->def, source, errbuf, errlen) != 0)
            return -1;
        const char *env = getenv(v->name);
        if (env != NULL) {
            if (set_var(cfg, v, env, v->name, errbuf, errlen) != 0)
                return -1;
            note_set(v, &set_workers, &set_min, &set_max);
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(errbuf, errlen, "unexpected argument \"%s\"", arg);
            return -1;
        }
        arg += 2;
        const char *eq = strchr(arg, '=');
        size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const struct config_var *v = find_flag(arg, len);
        if (v == NULL) {
            snprintf(errbuf, errlen, "unknown option \"%s\"", argv[i]);
            return -1;
        }
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            snprintf(errbuf, errlen, "option \"%s\" needs a value", argv[i]);
            return -1;
        }
        snprintf(source, sizeof(source), "--%.*s (%s)", (int)len, arg, v->name);
        if (set_var(cfg, v, value, source, errbuf, errlen) != 0)
            return -1;
        note_set(v, &set_workers, &set_min, &set_max);
    }
    return check_pool(cfg, set_workers, set_min, set_max, errbuf, errlen);
}

int
config_table_name(const struct config *cfg, const char *base, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%s", cfg->table_prefix, base);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
config_print_help(void *stream)
{
    FILE *out = stream;
    char flag[64];
    for (size_t i = 0; i < CONFIG_NVARS; i++) {
        flag_name(&config_vars[i], flag, sizeof(flag));
        fprintf(out, "  --%-16s %-26s %s (default: %s)\n", flag, config_vars[i].name,
                config_vars[i].help, config_vars[i].def[0] != '\0' ? config_vars[i].def : "none");
    }
}
