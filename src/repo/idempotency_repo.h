/* Idempotency-Key records: one item per key in the idempotency table, so that any worker on
 * any machine behind the same tables answers a retry. A record is taken (in flight, with a
 * lease) before the write it guards, then completed with the answer or released. An item past
 * its expires_at (epoch seconds, DynamoDB's TTL attribute) is treated as absent, since the
 * TTL deletes it only eventually. The layers above decide what a key and an answer are. */
#ifndef SAVEALIFE_REPO_IDEMPOTENCY_REPO_H
#define SAVEALIFE_REPO_IDEMPOTENCY_REPO_H

#include <stddef.h>

#include "config.h"
#include "ddb/ddb.h"
#include "repo/repo.h"

/* How long a completed record answers its key: the 24 hours clients are promised. */
#define IDEMPOTENCY_REPO_KEEP_S (24L * 3600L)
/* Beyond the request timeout, before an in-flight record counts as abandoned: the master ends
 * a worker at the timeout, so no live request still holds it; the margin covers clock
 * differences between machines. */
#define IDEMPOTENCY_REPO_LEASE_MARGIN_S 30L
#define IDEMPOTENCY_REPO_HEADERS_MAX 8

struct idempotency_repo {
    struct ddb_client *ddb; /* borrowed; the worker owns it */
    char table[128];        /* with the configured prefix */
    long lease_s;           /* SAVEALIFE_REQUEST_TIMEOUT + the margin */
};

/* A stored answer. Header lines are "Name: value". */
struct idempotency_answer {
    int status;
    char content_type[64];
    char *headers[IDEMPOTENCY_REPO_HEADERS_MAX]; /* owned */
    size_t nheaders;
    char *body; /* owned, NUL-terminated, NULL when there is none */
    size_t body_len;
};

/* One request's hold on a key. */
struct idempotency_claim {
    const char *key;         /* the record's key (borrowed) */
    const char *fingerprint; /* digest of the request (borrowed) */
    const char *request_id;  /* kept on the record for operators (borrowed) */
    char owner[33];          /* set by begin: this attempt's random id */
};

typedef enum {
    IDEMPOTENCY_OWNED,     /* the record is ours: do the write, then complete or release */
    IDEMPOTENCY_DONE,      /* answered before: the stored answer is filled in */
    IDEMPOTENCY_IN_FLIGHT, /* another request holds the key; retry_after_s says how long */
    IDEMPOTENCY_MISMATCH,  /* the key was used with another request (fingerprint) */
} idempotency_outcome;

/* Table name and lease from the configuration, over repo's client. Returns 0, or -1 when the
 * name does not fit. */
int idempotency_repo_init(struct idempotency_repo *r, const struct repo *repo,
                          const struct config *cfg);

/* Takes the key: a conditional PutItem of an in-flight record that succeeds when there is no
 * record, it has expired, or it is an abandoned in-flight one (lease over) of the same
 * request; otherwise one consistent read decides the outcome. stored (initialised empty by
 * the caller, freed with idempotency_answer_free) is filled on IDEMPOTENCY_DONE. */
repo_status idempotency_repo_begin(struct idempotency_repo *r, struct idempotency_claim *c,
                                   idempotency_outcome *outcome, struct idempotency_answer *stored,
                                   long *retry_after_s, struct repo_error *err);

/* Stores the answer and keeps it IDEMPOTENCY_REPO_KEEP_S, if the record is still ours and in
 * flight (else REPO_PRECONDITION: another request took it over). */
repo_status idempotency_repo_complete(struct idempotency_repo *r, const struct idempotency_claim *c,
                                      const struct idempotency_answer *a, struct repo_error *err);

/* Deletes the record if it is still ours and in flight, so the key may be retried at once. */
repo_status idempotency_repo_release(struct idempotency_repo *r, const struct idempotency_claim *c,
                                     struct repo_error *err);

/* Frees what an answer owns and empties it. */
void idempotency_answer_free(struct idempotency_answer *a);

#endif
