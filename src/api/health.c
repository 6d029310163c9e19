#include "api/health.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/reply.h"
#include "repo/donor_repo.h"
#include "util/clock.h"
#include "util/jobj.h"

void
health_cache_init(struct health_cache *cache, struct repo *repo)
{
    memset(cache, 0, sizeof(*cache));
    cache->repo = repo;
}

void
health_live(void *app, const struct http_request *req, const struct router_params *params,
            struct http_response *resp)
{
    json_object *body = json_object_new_object();

    (void)app;
    (void)params;
    if (body == NULL || jobj_add(body, "status", json_object_new_string("ok")) != 0) {
        json_object_put(body);
        reply_internal(resp, req, "health");
        return;
    }
    reply_json(resp, req, 200, body);
}

/* Asks the database about one table; on a failure fills the cache's reason and logs it. */
static int
health_check_table(struct health_cache *cache, const struct http_request *req, const char *table,
                   const char *index)
{
    struct repo_error err;
    char below[256];
    int active = 0;
    repo_status st = repo_table_ready(cache->repo, table, index, &active, &err);

    if (st != REPO_OK) {
        repo_error_text(&err, below, sizeof(below));
        http_request_log(req, "ready: DescribeTable %s: %s", table, below);
        snprintf(cache->detail, sizeof(cache->detail), "table %s: %s", table,
                 st == REPO_NOT_FOUND ? "does not exist" : "the database did not answer");
        return 0;
    }
    if (!active) {
        http_request_log(req, "ready: table %s%s%s is not ACTIVE", table, index ? " or index " : "",
                         index ? index : "");
        snprintf(cache->detail, sizeof(cache->detail), "table %s is not active yet", table);
    }
    return active;
}

void
health_ready(void *app, const struct http_request *req, const struct router_params *params,
             struct http_response *resp)
{
    struct health_cache *cache = app;
    long long now = clock_now_ms();
    json_object *body = NULL;

    (void)params;
    if (!cache->checked || now - cache->at_ms >= HEALTH_READY_CACHE_MS || now < cache->at_ms) {
        cache->detail[0] = '\0';
        cache->ready = health_check_table(cache, req, cache->repo->companies, NULL) &&
                       health_check_table(cache, req, cache->repo->donors, DONOR_REPO_INDEX) &&
                       (cache->idempotency_table == NULL ||
                        health_check_table(cache, req, cache->idempotency_table, NULL));
        cache->checked = 1;
        cache->at_ms = clock_now_ms();
    }
    if (!cache->ready) {
        http_request_log(req, "ready: 503: %s", cache->detail);
        if (http_response_problem(resp, 503, req->request_id, NULL, "not ready: %s",
                                  cache->detail) != 0 ||
            http_response_header(resp, "Retry-After", "2") != 0)
            reply_internal(resp, req, "ready");
        return;
    }
    body = json_object_new_object();
    if (body == NULL || jobj_add(body, "status", json_object_new_string("ready")) != 0) {
        json_object_put(body);
        reply_internal(resp, req, "ready");
        return;
    }
    reply_json(resp, req, 200, body);
}
