/* The status page: one read of the pool (figures, workers, DynamoDB totals), rendered as
 * JSON with php-fpm's field names, or as OpenMetrics text. */
#include "api/status.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "api/reply.h"
#include "util/jobj.h"

#define STATUS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The upper bounds of the client's latency buckets, ms (the last is +Inf). */
static const char *const status_le_ms[DDB_LATENCY_BUCKETS] = {"5",   "10",  "25",   "50",
                                                              "100", "250", "1000", "+Inf"};
static const char *const status_le_s[DDB_LATENCY_BUCKETS] = {"0.005", "0.01", "0.025", "0.05",
                                                             "0.1",   "0.25", "1.0",   "+Inf"};

/* One read of everything the page shows. */
struct status_snapshot {
    struct api_pool_figures pool;
    struct api_worker_row *workers;
    size_t nworkers;
    struct ddb_stats ddb;
    struct api_breaker_figures breaker;
    uint64_t now_ms;
};

static const char *
status_state_name(enum api_worker_state state)
{
    switch (state) {
    case API_WORKER_FREE:
        return "free";
    case API_WORKER_STARTING:
        return "starting";
    case API_WORKER_IDLE:
        return "idle";
    case API_WORKER_READING:
        return "reading";
    case API_WORKER_BUSY:
        return "busy";
    case API_WORKER_EXITING:
        return "exiting";
    }
    return "unknown";
}

/* Also the OpenMetrics stateset's values: keep them stable. */
static const char *const status_breaker_names[] = {"closed", "open", "half-open"};

static const char *
status_breaker_name(enum api_breaker_state state)
{
    return (size_t)state < sizeof(status_breaker_names) / sizeof(status_breaker_names[0])
               ? status_breaker_names[state]
               : "unknown";
}

static int
status_running(enum api_worker_state state)
{
    return state == API_WORKER_READING || state == API_WORKER_BUSY;
}

static double
status_seconds_since(uint64_t now_ms, uint64_t then_ms)
{
    return now_ms > then_ms ? (double)(now_ms - then_ms) / 1000.0 : 0.0;
}

/* Returns 0, or -1 when the worker rows could not be allocated. */
static int
status_read(const struct status_source *src, struct status_snapshot *snap)
{
    const struct api_pool *pool = src->pool;
    size_t cap = pool->capacity(pool->ctx);

    memset(snap, 0, sizeof(*snap));
    snap->workers = calloc(cap > 0 ? cap : 1, sizeof(*snap->workers));
    if (snap->workers == NULL)
        return -1;
    /* Every row fits, so the read is complete. */
    if (pool->read(pool->ctx, &snap->pool, snap->workers, cap, &snap->nworkers, &snap->ddb) != 0)
        return -1;
    pool->breaker(pool->ctx, &snap->breaker);
    snap->now_ms = src->now_ms();
    return 0;
}

static int
status_append(json_object *arr, json_object *value)
{
    if (value == NULL)
        return -1;
    if (json_object_array_add(arr, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

static json_object *
status_u64(uint64_t v)
{
    /* json-c keeps integers as int64; a counter never gets near its top. */
    return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static json_object *
status_worker_json(const struct api_worker_row *w, uint64_t now_ms)
{
    json_object *o = json_object_new_object();
    int bad = o == NULL;

    bad = bad || jobj_add(o, "pid", json_object_new_int64((int64_t)w->pid));
    bad = bad || jobj_add(o, "generation", status_u64(w->generation));
    bad = bad || jobj_add(o, "state", json_object_new_string(status_state_name(w->state)));
    bad = bad || jobj_add(o, "requests", status_u64(w->requests));
    bad = bad || jobj_add(o, "route", json_object_new_string(w->route));
    if (!bad && status_running(w->state))
        bad = jobj_add(o, "request_duration_s",
                       json_object_new_double(status_seconds_since(now_ms, w->request_ms)));
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static json_object *
status_ddb_json(const struct ddb_stats *d)
{
    json_object *o = json_object_new_object();
    json_object *errors = json_object_new_object();
    json_object *latency = json_object_new_array();
    unsigned long cumulative = 0;
    int bad = o == NULL || errors == NULL || latency == NULL;

    for (int e = DDB_OK + 1; !bad && e <= DDB_ERR_CLIENT; e++)
        bad = jobj_add(errors, ddb_error_name((ddb_status)e), status_u64(d->errors[e]));
    for (size_t b = 0; !bad && b < DDB_LATENCY_BUCKETS; b++) {
        json_object *bucket = json_object_new_object();
        cumulative += d->latency[b];
        bad = bucket == NULL || jobj_add(bucket, "le", json_object_new_string(status_le_ms[b])) ||
              jobj_add(bucket, "count", status_u64(cumulative));
        if (bad)
            json_object_put(bucket);
        else
            bad = status_append(latency, bucket);
    }
    bad = bad || jobj_add(o, "calls", status_u64(d->calls));
    bad = bad || jobj_add(o, "attempts", status_u64(d->attempts));
    bad = bad || jobj_add(o, "retries", status_u64(d->retries));
    bad = bad || jobj_add(o, "throttles", status_u64(d->throttles));
    bad = bad || jobj_add(o, "total_ms", json_object_new_double(d->total_ms));
    if (!bad) {
        bad = jobj_add(o, "errors", errors);
        errors = NULL;
    }
    if (!bad) {
        bad = jobj_add(o, "latency", latency);
        latency = NULL;
    }
    json_object_put(errors);
    json_object_put(latency);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static json_object *
status_json(const struct status_snapshot *s)
{
    const struct api_pool_figures *p = &s->pool;
    json_object *o = json_object_new_object();
    json_object *workers = json_object_new_array();
    char start[32];
    struct tm tm;
    int bad = o == NULL || workers == NULL;

    if (gmtime_r(&p->start_time, &tm) == NULL ||
        strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(start, sizeof(start), "1970-01-01T00:00:00Z");
    bad = bad || jobj_add(o, "start_time", json_object_new_string(start));
    bad =
        bad || jobj_add(o, "start_since",
                        status_u64(s->now_ms > p->start_ms ? (s->now_ms - p->start_ms) / 1000 : 0));
    bad = bad || jobj_add(o, "accepted_conn", status_u64(p->accepted));
    bad = bad || jobj_add(o, "idle_processes", status_u64(p->idle));
    bad = bad || jobj_add(o, "active_processes", status_u64(p->active));
    bad = bad || jobj_add(o, "total_processes", status_u64(p->total));
    bad = bad || jobj_add(o, "max_active_processes", status_u64(p->max_active));
    bad = bad || jobj_add(o, "max_children_reached", status_u64(p->max_children_reached));
    bad = bad || jobj_add(o, "slow_requests", status_u64(p->slow_requests));
    bad = bad || jobj_add(o, "accept_attempts", status_u64(p->accept_attempts));
    bad = bad || jobj_add(o, "accept_empty", status_u64(p->accept_empty));
    bad = bad || jobj_add(o, "workers_target", status_u64(p->workers_target));
    bad = bad ||
          jobj_add(o, "ddb_breaker", json_object_new_string(status_breaker_name(s->breaker.state)));
    bad = bad || jobj_add(o, "ddb_breaker_since",
                          status_u64(s->now_ms > s->breaker.since_ms
                                         ? (s->now_ms - s->breaker.since_ms) / 1000
                                         : 0));
    bad = bad || jobj_add(o, "ddb_breaker_trips", status_u64(s->breaker.trips));
    for (size_t i = 0; !bad && i < s->nworkers; i++)
        bad = status_append(workers, status_worker_json(&s->workers[i], s->now_ms));
    if (!bad) {
        bad = jobj_add(o, "workers", workers);
        workers = NULL;
    }
    bad = bad || jobj_add(o, "ddb", status_ddb_json(&s->ddb));
    json_object_put(workers);
    if (bad) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* "# TYPE" and "# HELP" of one metric family. */
static void
status_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# TYPE savealife_%s %s\n# HELP savealife_%s %s\n", name, type, name, help);
}

static void
status_counter(FILE *f, const char *name, const char *help, unsigned long value)
{
    status_family(f, name, "counter", help);
    fprintf(f, "savealife_%s_total %lu\n", name, value);
}

static void
status_gauge(FILE *f, const char *name, const char *help, unsigned long value)
{
    status_family(f, name, "gauge", help);
    fprintf(f, "savealife_%s %lu\n", name, value);
}

static void
status_openmetrics_write(FILE *f, const struct status_snapshot *s)
{
    const struct api_pool_figures *p = &s->pool;
    const struct ddb_stats *d = &s->ddb;
    unsigned long cumulative = 0;

    status_family(f, "start_time_seconds", "gauge", "Wall-clock time the pool started.");
    fprintf(f, "savealife_start_time_seconds %lld\n", (long long)p->start_time);
    status_counter(f, "accepted_connections", "Requests accepted by the pool's workers.",
                   p->accepted);
    status_family(f, "processes", "gauge", "Worker processes by state.");
    fprintf(f, "savealife_processes{state=\"idle\"} %u\n", p->idle);
    fprintf(f, "savealife_processes{state=\"active\"} %u\n", p->active);
    fprintf(f, "savealife_processes{state=\"other\"} %u\n", p->total - p->idle - p->active);
    status_gauge(f, "processes_target", "Worker processes the master wants.", p->workers_target);
    status_gauge(f, "max_active_processes", "Most requests running at once since start.",
                 p->max_active);
    status_counter(f, "max_children_reached", "Times every worker became busy.",
                   p->max_children_reached);
    status_counter(f, "slow_requests", "Requests that ran past the request timeout.",
                   p->slow_requests);
    status_counter(f, "accept_attempts", "accept() calls on the listening socket.",
                   p->accept_attempts);
    status_counter(f, "accept_empty", "accept() calls that found no connection.", p->accept_empty);
    status_family(f, "worker_requests", "counter", "Requests each live worker has finished.");
    for (size_t i = 0; i < s->nworkers; i++)
        fprintf(f, "savealife_worker_requests_total{pid=\"%ld\"} %lu\n", (long)s->workers[i].pid,
                s->workers[i].requests);

    status_family(f, "ddb_breaker", "stateset", "State of the pool-wide DynamoDB breaker.");
    for (size_t i = 0; i < sizeof(status_breaker_names) / sizeof(status_breaker_names[0]); i++)
        fprintf(f, "savealife_ddb_breaker{savealife_ddb_breaker=\"%s\"} %d\n",
                status_breaker_names[i], (size_t)s->breaker.state == i);
    status_counter(f, "ddb_breaker_trips", "Times the DynamoDB breaker opened.", s->breaker.trips);
    status_counter(f, "ddb_calls", "DynamoDB calls made.", d->calls);
    status_counter(f, "ddb_attempts", "DynamoDB HTTP attempts (calls plus retries).", d->attempts);
    status_counter(f, "ddb_retries", "DynamoDB attempts retried.", d->retries);
    status_counter(f, "ddb_throttles", "Throttled DynamoDB answers seen.", d->throttles);
    status_family(f, "ddb_errors", "counter", "DynamoDB calls failed, by final error type.");
    for (int e = DDB_OK + 1; e <= DDB_ERR_CLIENT; e++)
        fprintf(f, "savealife_ddb_errors_total{type=\"%s\"} %lu\n", ddb_error_name((ddb_status)e),
                d->errors[e]);
    status_family(f, "ddb_call_duration_seconds", "histogram",
                  "Time DynamoDB calls took, retries included.");
    for (size_t b = 0; b < DDB_LATENCY_BUCKETS; b++) {
        cumulative += d->latency[b];
        fprintf(f, "savealife_ddb_call_duration_seconds_bucket{le=\"%s\"} %lu\n", status_le_s[b],
                cumulative);
    }
    fprintf(f, "savealife_ddb_call_duration_seconds_count %lu\n", cumulative);
    fprintf(f, "savealife_ddb_call_duration_seconds_sum %.6f\n", d->total_ms / 1000.0);
    fprintf(f, "# EOF\n");
}

/* The text into *out (malloc'd) and *len. Returns 0 or -1. */
static int
status_openmetrics(const struct status_snapshot *s, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    int rc = -1;

    *out = NULL;
    *len = 0;
    if (f == NULL)
        return -1;
    status_openmetrics_write(f, s);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed)
        goto out;
    *out = buf;
    *len = size;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    return rc;
}

void
status_page(void *app, const struct http_request *req, const struct router_params *params,
            struct http_response *resp)
{
    const struct status_source *src = app;
    const char *format = http_request_query(req, "format");
    struct status_snapshot snap;
    char *text = NULL;
    size_t len = 0;

    (void)params;
    memset(&snap, 0, sizeof(snap));
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "openmetrics") != 0) {
        if (http_response_problem(resp, 400, req->request_id, NULL,
                                  "format must be json or openmetrics") != 0)
            reply_internal(resp, req, "problem document");
        return;
    }
    if (src == NULL || src->pool == NULL) {
        if (http_response_problem(resp, 503, req->request_id, NULL,
                                  "this worker has no scoreboard to report") != 0)
            reply_internal(resp, req, "problem document");
        return;
    }
    if (status_read(src, &snap) != 0) {
        reply_internal(resp, req, "status snapshot");
        goto out;
    }
    if (format != NULL && strcmp(format, "openmetrics") == 0) {
        if (status_openmetrics(&snap, &text, &len) != 0 ||
            http_response_text(resp, 200, STATUS_OPENMETRICS_TYPE, text, len) != 0)
            reply_internal(resp, req, "status text");
        goto out;
    }
    json_object *body = status_json(&snap);
    if (body == NULL)
        reply_internal(resp, req, "status document");
    else
        reply_json(resp, req, 200, body);
out:
    free(text);
    free(snap.workers);
}
