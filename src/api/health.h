/* Liveness and readiness: GET /api/health (no database call) and GET /api/ready (the tables
 * and the donors index ACTIVE, asked with DescribeTable and remembered briefly per worker). */
#ifndef SAVEALIFE_API_HEALTH_H
#define SAVEALIFE_API_HEALTH_H

#include "http/router.h"
#include "repo/repo.h"

/* How long a worker keeps the readiness answer, milliseconds. */
#define HEALTH_READY_CACHE_MS 2000

/* The readiness answer a worker remembers; part of the worker's api. */
struct health_cache {
    struct repo *repo; /* borrowed */
    int checked;       /* whether at_ms and ready hold an answer */
    long long at_ms;   /* monotonic time of the answer */
    int ready;
    int status;       /* the status answered when not ready (503) */
    char detail[160]; /* why not ready, for the problem document */
    /* The Idempotency-Key records' table, checked too (borrowed; NULL: not checked). */
    const char *idempotency_table;
};

/* An empty cache over the worker's repository. */
void health_cache_init(struct health_cache *cache, struct repo *repo);

/* GET /api/health: 200 {"status":"ok"}. app is unused. */
void health_live(void *app, const struct http_request *req, const struct router_params *params,
                 struct http_response *resp);

/* GET /api/ready: 200 {"status":"ready"} or 503 with Retry-After. app is a struct
 * health_cache. */
void health_ready(void *app, const struct http_request *req, const struct router_params *params,
                  struct http_response *resp);

#endif
