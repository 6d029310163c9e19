/* What the company and donor repositories share: the tables they use, one status type, and
 * the If-Match condition. Items cross this boundary as plain JSON (marshal.h): the
 * repositories turn them into DynamoDB items, add the bookkeeping attributes (created_at,
 * updated_at, version, and write_token, which never leaves this layer) and make every write
 * conditional.
 *
 * Writes are applied once: each carries a token (repo.write_token, or a fresh random one),
 * stored on the item by creates and updates and part of their condition (an update needs a
 * token other than its own). When the client says an attempt may have been applied
 * (ddb_error.maybe_applied), the write is sent once more with the same token and condition;
 * a repeat of a write that happened then fails its condition, and the item (returned with the
 * failure where the service supports ReturnValuesOnConditionCheckFailure, else one strongly
 * consistent read) tells "mine" (the token is on it: success, with the item) from another
 * writer's (409, 412, 404 as without a repeat). A delete leaves no item to carry a token: a
 * repeated delete that finds the item gone succeeds, since the state asked for holds. */
#ifndef SAVEALIFE_REPO_H
#define SAVEALIFE_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ddb/ddb.h"
#include "ddb/ddb_stats.h"

typedef enum {
    REPO_OK = 0,
    REPO_NOT_FOUND,    /* no item with that key: 404 */
    REPO_EXISTS,       /* a create found the key taken: 409 */
    REPO_PRECONDITION, /* the item exists but its version matches no If-Match tag: 412 */
    REPO_BAD_CURSOR,   /* a cursor that was altered or belongs to another listing: 400 */
    REPO_INVALID,      /* input the database refused (its ValidationException, an item too
                          large): 4xx; the caller validates first, so this means a gap there */
    REPO_UNAVAILABLE,  /* throttled, unreachable, timed out or failing after retries: 503 */
    REPO_ERROR,        /* anything else (out of memory, an unexpected answer): 500 */
} repo_status;

/* The tables and the client of one worker. */
struct repo {
    struct ddb_client *ddb; /* repo_init: borrowed; repo_open: owned */
    int owns_ddb;           /* repo_close frees ddb */
    char companies[128];    /* table names with the configured prefix */
    char donors[128];
    /* This request's write token (set by the api per request, e.g. from an Idempotency-Key);
     * "" makes each write use a fresh random one. */
    char write_token[65];
};

/* An If-Match header, parsed: any (a "*") or a list of versions (strong ETags "\"7\"").
 * A NULL match pointer means no header: the write is only conditional on existence. */
#define REPO_MATCH_MAX 8
struct repo_match {
    int any;
    long long versions[REPO_MATCH_MAX];
    size_t n;
};

/* Why a repository call failed, as the layers above see it: every repository function that
 * fails fills it. The DynamoDB client's account is inside, for the repositories and their
 * tests; the layers above read it through repo_error_text. */
struct repo_error {
    struct ddb_error ddb;
};

/* The owner's view of the database's health (the pool's breaker), passed to the client: after
 * every attempt, whether it reached the database (reached 1) or not; before every attempt,
 * whether to go on (0 stops the call: REPO_UNAVAILABLE). Either may be NULL. */
struct repo_hooks {
    void (*attempt)(void *ctx, int reached);
    int (*go_on)(void *ctx);
    void *ctx;
};

/* Table names from the configuration, over a client the caller owns (tests, tools). Returns
 * 0, or -1 when a name does not fit. */
int repo_init(struct repo *repo, struct ddb_client *ddb, const struct config *cfg);

/* A worker's repositories: repo_init over a DynamoDB client of its own, made with the
 * configured attempt timeout and the hooks (copied; NULL: none). Nothing is sent. Returns 0,
 * or -1 with a message in errbuf. */
int repo_open(struct repo *repo, const struct config *cfg, const struct repo_hooks *hooks,
              char *errbuf, size_t errlen);

/* Frees the client repo_open made. A repo that was never opened is allowed. */
void repo_close(struct repo *repo);

/* The deadline of the request being served, CLOCK_MONOTONIC milliseconds (0: none): every
 * database call until it is cleared ends by then. */
void repo_set_deadline(struct repo *repo, uint64_t deadline_ms);

/* The client's figures so far (ddb/ddb_stats.h), for the status page and response headers. */
void repo_stats(const struct repo *repo, struct ddb_stats *out);

/* Readiness of one table, asked of the database (DescribeTable): REPO_OK with *active 1 when
 * it and its index (when index is not NULL) are ACTIVE, 0 when not yet; REPO_NOT_FOUND when it
 * does not exist; else the failure, with err filled. */
repo_status repo_table_ready(struct repo *repo, const char *table, const char *index, int *active,
                             struct repo_error *err);

/* Clears an error (no failure). */
void repo_error_clear(struct repo_error *err);

/* What went wrong below, for the log, into buf: "ddb throttled ThrottlingException, http 400,
 * 3 attempts" (never the database's message: a signature error echoes signed headers). */
void repo_error_text(const struct repo_error *err, char *buf, size_t len);

/* The status a DynamoDB failure stands for (conditional failures are decided by the caller). */
repo_status repo_status_from_ddb(ddb_status status);

/* Short stable name of a status, for logs and tests. */
const char *repo_status_name(repo_status status);

/* The current time as RFC 3339 UTC with milliseconds ("2026-11-21T10:00:00.123Z"). */
void repo_timestamp(char buf[32]);

#endif
