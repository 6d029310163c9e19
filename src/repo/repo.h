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

#include "config.h"
#include "ddb/ddb.h"

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
    struct ddb_client *ddb; /* borrowed; the worker owns it */
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

/* Table names from the configuration. Returns 0, or -1 when a name does not fit. */
int repo_init(struct repo *repo, struct ddb_client *ddb, const struct config *cfg);

/* The status a DynamoDB failure stands for (conditional failures are decided by the caller). */
repo_status repo_status_from_ddb(ddb_status status);

/* Short stable name of a status, for logs and tests. */
const char *repo_status_name(repo_status status);

/* The current time as RFC 3339 UTC with milliseconds ("2026-11-21T10:00:00.123Z"). */
void repo_timestamp(char buf[32]);

#endif
