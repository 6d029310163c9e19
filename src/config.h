/* Configuration: environment variables, overridden by command-line flags of the same name.
 * Loaded once per process (the master re-loads it on SIGHUP); a per-process singleton. */
#ifndef SAVEALIFE_CONFIG_H
#define SAVEALIFE_CONFIG_H

#include <stddef.h>

enum config_log_level { CONFIG_LOG_DEBUG, CONFIG_LOG_INFO, CONFIG_LOG_WARN, CONFIG_LOG_ERROR };

struct config {
    char listen[256];                /* SAVEALIFE_LISTEN: "unix:PATH" or "HOST:PORT" */
    unsigned socket_mode;            /* SAVEALIFE_SOCKET_MODE, octal */
    char socket_group[64];           /* SAVEALIFE_SOCKET_GROUP; "" = the process's group */
    int listen_backlog;              /* SAVEALIFE_LISTEN_BACKLOG: connections queued unaccepted */
    int workers;                     /* SAVEALIFE_WORKERS: a static pool's size; 0 = not set */
    int workers_min;                 /* SAVEALIFE_WORKERS_MIN: spare workers; 0 = static pool */
    int workers_max;                 /* SAVEALIFE_WORKERS_MAX; 0 = static pool */
    long max_requests;               /* SAVEALIFE_MAX_REQUESTS */
    long request_timeout;            /* SAVEALIFE_REQUEST_TIMEOUT, seconds */
    long ddb_attempt_timeout;        /* SAVEALIFE_DDB_ATTEMPT_TIMEOUT, ms: one DynamoDB attempt */
    long body_limit;                 /* SAVEALIFE_BODY_LIMIT, bytes */
    char table_prefix[64];           /* SAVEALIFE_TABLE_PREFIX */
    char schema_dir[1024];           /* SAVEALIFE_SCHEMA_DIR */
    char tokens_file[1024];          /* SAVEALIFE_TOKENS_FILE */
    enum config_log_level log_level; /* SAVEALIFE_LOG_LEVEL */
};

/* Fills cfg from the defaults, then the environment, then the flags in argv[0..argc)
 * ("--workers 8" or "--workers=8" for SAVEALIFE_WORKERS). The pool is static (workers_min and
 * workers_max 0) when SAVEALIFE_WORKERS is set and neither SAVEALIFE_WORKERS_MIN nor
 * SAVEALIFE_WORKERS_MAX is (or they are 0); otherwise dynamic, between their values or
 * defaults. On an unknown flag or a malformed value returns -1 with a message naming the
 * variable or flag in errbuf. */
int config_load(struct config *cfg, int argc, char *const argv[], char *errbuf, size_t errlen);

/* The table name for a base name ("companies") with the configured prefix, into buf.
 * Returns -1 if it does not fit. */
int config_table_name(const struct config *cfg, const char *base, char *buf, size_t len);

/* Writes the variables, their flags and defaults as help text to the stream. */
void config_print_help(void *stream);

#endif
