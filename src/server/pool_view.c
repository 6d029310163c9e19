/* The scoreboard in the api's terms. The api's enums name the same states in the same order
 * as the scoreboard's; each is still mapped by name, so that neither may drift unseen. */
#include "server/pool_view.h"

#include <stdlib.h>
#include <string.h>

#include "server/breaker.h"

static enum api_worker_state
pool_view_state(enum scoreboard_state s)
{
    switch (s) {
    case SCOREBOARD_FREE:
        return API_WORKER_FREE;
    case SCOREBOARD_STARTING:
        return API_WORKER_STARTING;
    case SCOREBOARD_IDLE:
        return API_WORKER_IDLE;
    case SCOREBOARD_READING:
        return API_WORKER_READING;
    case SCOREBOARD_BUSY:
        return API_WORKER_BUSY;
    case SCOREBOARD_EXITING:
        break;
    }
    return API_WORKER_EXITING;
}

static size_t
pool_view_capacity(const void *ctx)
{
    return scoreboard_capacity(ctx);
}

static int
pool_view_read(const void *ctx, struct api_pool_figures *pool, struct api_worker_row *rows,
               size_t cap, size_t *n, struct ddb_stats *ddb)
{
    const struct scoreboard *sb = ctx;
    struct scoreboard_worker *w = calloc(cap > 0 ? cap : 1, sizeof(*w));
    struct scoreboard_pool p;

    *n = 0;
    if (w == NULL)
        return -1;
    (void)scoreboard_read(sb, &p, w, cap, n);
    pool->start_time = p.start_time;
    pool->start_ms = p.start_ms;
    pool->accepted = p.accepted;
    pool->workers_target = p.workers_target;
    pool->active = p.active;
    pool->idle = p.idle;
    pool->total = p.total;
    pool->max_active = p.max_active;
    pool->max_children_reached = p.max_children_reached;
    pool->slow_requests = p.slow_requests;
    pool->accept_attempts = p.accept_attempts;
    pool->accept_empty = p.accept_empty;
    for (size_t i = 0; i < *n; i++) {
        rows[i].pid = w[i].pid;
        rows[i].generation = w[i].generation;
        rows[i].state = pool_view_state(w[i].state);
        rows[i].requests = w[i].requests;
        memcpy(rows[i].route, w[i].route, sizeof(rows[i].route));
        rows[i].request_ms = w[i].request_ms;
    }
    free(w);
    /* A master that reaps without pause leaves the best sum it had: the figures are counters,
     * a scrape later corrects them. */
    (void)scoreboard_read_ddb(sb, ddb);
    return 0;
}

static void
pool_view_breaker(const void *ctx, struct api_breaker_figures *out)
{
    struct breaker_figures b;

    breaker_read(ctx, &b);
    out->state = b.state == BREAKER_CLOSED ? API_BREAKER_CLOSED
                 : b.state == BREAKER_OPEN ? API_BREAKER_OPEN
                                           : API_BREAKER_HALF_OPEN;
    out->since_ms = b.since_ms;
    out->trips = b.trips;
}

/* Tickets cross between the two sets of names on every attempt: field by field, no lookup. */
static void
pool_view_ticket_in(const struct api_breaker_ticket *t, struct breaker_ticket *out)
{
    out->admit = t->admit == API_BREAKER_PASS    ? BREAKER_PASS
                 : t->admit == API_BREAKER_PROBE ? BREAKER_PROBE
                                                 : BREAKER_REJECT;
    out->probe = t->probe;
    out->retry_after_s = t->retry_after_s;
}

static void
pool_view_admit(void *ctx, uint64_t now_ms, uint64_t stale_ms, struct api_breaker_ticket *t)
{
    struct breaker_ticket s;

    breaker_admit(ctx, now_ms, stale_ms, &s);
    t->admit = s.admit == BREAKER_PASS    ? API_BREAKER_PASS
               : s.admit == BREAKER_PROBE ? API_BREAKER_PROBE
                                          : API_BREAKER_REJECT;
    t->probe = s.probe;
    t->retry_after_s = s.retry_after_s;
}

static int
pool_view_report(void *ctx, uint64_t now_ms, const struct api_breaker_ticket *t,
                 enum api_breaker_outcome outcome)
{
    struct breaker_ticket s;

    pool_view_ticket_in(t, &s);
    return breaker_report(ctx, now_ms, &s,
                          outcome == API_BREAKER_OK       ? BREAKER_OK
                          : outcome == API_BREAKER_FAILED ? BREAKER_FAILED
                                                          : BREAKER_NONE);
}

static int
pool_view_allows(const void *ctx, const struct api_breaker_ticket *t)
{
    struct breaker_ticket s;

    pool_view_ticket_in(t, &s);
    return breaker_allows(ctx, &s);
}

void
pool_view_fill(struct api_pool *out, struct scoreboard *sb)
{
    memset(out, 0, sizeof(*out));
    out->ctx = sb;
    out->capacity = pool_view_capacity;
    out->read = pool_view_read;
    out->breaker = pool_view_breaker;
    out->admit = pool_view_admit;
    out->report = pool_view_report;
    out->allows = pool_view_allows;
}
