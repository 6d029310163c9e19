/* The worker's API: the route table and the order every request is decided in: parse status
 * (400/413), route (404, 405 + Allow), admin token (401), media type (415), then the
 * controller (JSON 400, validation 422, repository). */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "api/companies.h"
#include "api/donors.h"
#include "api/health.h"
#include "api/idempotency.h"
#include "api/reply.h"
#include "api/status.h"
#include "http/router.h"
#include "repo/repo.h"
#include "util/clock.h"

/* What a request's deadline leaves before SAVEALIFE_REQUEST_TIMEOUT, when the master kills
 * the worker: a tenth of it, within these bounds, for what runs outside DynamoDB calls
 * (reading the request, answering it, an attempt ending a little after its timeout). */
#define API_MARGIN_MIN_MS 500L
#define API_MARGIN_MAX_MS 2000L
/* A probe unanswered this long after the request timeout belongs to a killed worker. */
#define API_PROBE_GRACE_MS 1000L

struct api {
    struct auth *auth;
    struct repo repo;
    struct health_cache ready;
    struct status_source status;
    struct idempotency_repo idem;
    struct router *router; /* api_routes, compiled */
    /* The route of the request being served, matched once (api_match): the status page's
     * label and the dispatch both read it. */
    struct api_match {
        const struct http_request *req; /* which request it is of; NULL: none yet */
        router_status status;
        size_t index;
        struct router_params params;
        char allow[128]; /* on ROUTER_METHOD_NOT_ALLOWED */
    } match;
    struct api_pool pool; /* the pool's figures and breaker */
    int has_pool;         /* 0: no breaker, and the status page answers 503 */
    uint64_t timeout_ms;  /* SAVEALIFE_REQUEST_TIMEOUT */
    uint64_t budget_ms;   /* a request's time for its DynamoDB calls */
    uint64_t stale_ms;    /* the breaker's probe lifetime */
    /* The request being served and what the breaker decided for it, for the client's hooks;
     * NULL between requests. */
    const struct http_request *req;
    struct api_breaker_ticket *ticket;
};

/* Which part of the api a route's handler receives as its app. */
enum api_ctx { API_CTX_NONE, API_CTX_REPO, API_CTX_READY, API_CTX_STATUS };

/* What the dispatcher decides before a route's handler runs, and of its answer. */
enum {
    API_PUBLIC = 0,         /* anyone may call it; no body; the answer is never stored */
    API_ADMIN = 1 << 0,     /* a valid Bearer token, else 401 before anything else */
    API_JSON_BODY = 1 << 1, /* takes a JSON body: any other media type is 415 */
    /* The browser may keep the answer but asks again each time (Cache-Control: no-cache): the
     * public company reads, so that an admin who just changed a company reads it, and its
     * ETag for If-Match, fresh. Every other answer, donors' data and admin routes above all,
     * is no-store, and so are 404s, 405s and parse failures, which match no route. */
    API_REVALIDATE = 1 << 2,
};

/* One line a route: what the router matches, then what the dispatcher decides, and who
 * answers. */
struct api_route {
    struct router_route match; /* first: the router reads the table through it */
    enum api_ctx ctx;
    unsigned flags; /* API_ADMIN, API_JSON_BODY, API_REVALIDATE */
    router_handler handler;
};

static const struct api_route api_routes[] = {
    {{"GET", "/api/health"}, API_CTX_NONE, API_PUBLIC, health_live},
    {{"GET", "/api/ready"}, API_CTX_READY, API_PUBLIC, health_ready},
    {{"GET", "/api/companies"}, API_CTX_REPO, API_REVALIDATE, companies_list},
    {{"POST", "/api/companies"}, API_CTX_REPO, API_ADMIN | API_JSON_BODY, companies_create},
    {{"PUT", "/api/companies"}, API_CTX_REPO, API_ADMIN | API_JSON_BODY, companies_create},
    {{"DELETE", "/api/companies"}, API_CTX_REPO, API_ADMIN, companies_delete_many},
    {{"GET", "/api/companies/{id}"}, API_CTX_REPO, API_REVALIDATE, companies_get},
    {{"PUT", "/api/companies/{id}"}, API_CTX_REPO, API_ADMIN | API_JSON_BODY, companies_update},
    {{"DELETE", "/api/companies/{id}"}, API_CTX_REPO, API_ADMIN, companies_delete},
    {{"POST", "/api/donors"}, API_CTX_REPO, API_JSON_BODY, donors_create},
    {{"GET", "/api/donors"}, API_CTX_REPO, API_ADMIN, donors_list},
    {{"POST", "/api/donor/signup"}, API_CTX_REPO, API_JSON_BODY, donors_create},
    {{"GET", "/api/donors/{email}"}, API_CTX_REPO, API_ADMIN, donors_get},
    {{"PATCH", "/api/donors/{email}"}, API_CTX_REPO, API_ADMIN | API_JSON_BODY, donors_update},
    {{"DELETE", "/api/donors/{email}"}, API_CTX_REPO, API_ADMIN, donors_delete},
    {{"GET", "/api/status"}, API_CTX_STATUS, API_ADMIN, status_page},
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

/* When the request started, on the monotonic clock: when nginx passed it on (REQUEST_START,
 * its $msec on the same wall clock), so that time queued for a busy pool counts, or now when
 * it is absent or not plausible (in the future, or older than the timeout: another clock). */
static uint64_t
api_request_start(const struct api *api, const struct http_request *req, uint64_t now)
{
    const char *s = req->request_start;
    uint64_t sent = 0, wall;
    struct timespec ts;
    int frac = 0;

    if (s == NULL || *s < '0' || *s > '9' || clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return now;
    for (; *s >= '0' && *s <= '9' && sent < UINT64_MAX / 10000; s++)
        sent = sent * 10 + (uint64_t)(*s - '0');
    sent *= 1000;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9' && frac < 3; s++, frac++)
            sent += (uint64_t)(*s - '0') * (frac == 0 ? 100u : frac == 1 ? 10u : 1u);
    wall = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    if (sent > wall || wall - sent >= api->timeout_ms || wall - sent > now)
        return now;
    return now - (wall - sent);
}

/* The request budget: the timeout less its margin. */
static uint64_t
api_budget_ms(long timeout_s)
{
    long timeout_ms = timeout_s * 1000L;
    long margin = timeout_ms / 10;

    if (margin < API_MARGIN_MIN_MS)
        margin = API_MARGIN_MIN_MS;
    if (margin > API_MARGIN_MAX_MS)
        margin = API_MARGIN_MAX_MS;
    /* A timeout under twice the minimum margin (1 s) still leaves half of it. */
    if (margin > timeout_ms / 2)
        margin = timeout_ms / 2;
    return (uint64_t)(timeout_ms - margin);
}

/* The monotonic clock of deadlines and of the pool's times, in milliseconds. */
static uint64_t
api_now_ms(void)
{
    return (uint64_t)clock_now_ms();
}

static void api_breaker_report(struct api *api, const struct http_request *req,
                               const struct api_breaker_ticket *ticket,
                               enum api_breaker_outcome outcome);

/* The client's hooks: each attempt of the request tells the breaker whether DynamoDB was
 * reached, and an attempt is made only while the breaker lets the request go on. */
static void
api_ddb_attempt(void *ctx, int reached)
{
    struct api *api = ctx;

    if (api->ticket == NULL || api->ticket->admit == API_BREAKER_REJECT)
        return;
    api_breaker_report(api, api->req, api->ticket, reached ? API_BREAKER_OK : API_BREAKER_FAILED);
}

static int
api_ddb_go_on(void *ctx)
{
    struct api *api = ctx;

    return api->ticket == NULL || api->pool.allows(api->pool.ctx, api->ticket);
}

int
api_new(const struct config *cfg, const struct api_pool *pool, struct api **out, char *errbuf,
        size_t errlen)
{
    struct api *api = NULL;
    struct repo_hooks hooks;
    char authmsg[512];
    int rc = -1;

    *out = NULL;
    api = calloc(1, sizeof(*api));
    if (api == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    if (pool != NULL) {
        api->pool = *pool;
        api->has_pool = 1;
    }
    /* Each attempt of a request tells the pool's breaker whether the database was reached. */
    hooks.attempt = api_ddb_attempt;
    hooks.go_on = api_ddb_go_on;
    hooks.ctx = api;
    if (repo_open(&api->repo, cfg, api->has_pool ? &hooks : NULL, errbuf, errlen) != 0)
        goto out;
    authmsg[0] = '\0';
    int loaded = auth_load(cfg->tokens_file, &api->auth, authmsg, sizeof(authmsg));
    if (loaded < 0) {
        snprintf(errbuf, errlen, "admin tokens: %s", authmsg);
        goto out;
    }
    if (loaded == 1)
        fprintf(stderr, "savealife: warning: admin tokens: %s\n", authmsg);
    if (idempotency_repo_init(&api->idem, &api->repo, cfg) != 0) {
        snprintf(errbuf, errlen, "table names too long for prefix \"%s\"", cfg->table_prefix);
        goto out;
    }
    if (router_new(api_routes, API_NROUTES, sizeof(api_routes[0]), &api->router, errbuf, errlen) !=
        0)
        goto out;
    health_cache_init(&api->ready, &api->repo);
    api->ready.idempotency_table = api->idem.table;
    api->status.pool = api->has_pool ? &api->pool : NULL;
    api->status.now_ms = api_now_ms;
    api->timeout_ms = (uint64_t)cfg->request_timeout * 1000u;
    api->budget_ms = api_budget_ms(cfg->request_timeout);
    api->stale_ms = api->timeout_ms + API_PROBE_GRACE_MS;
    *out = api;
    api = NULL;
    rc = 0;
out:
    api_free(api);
    return rc;
}

void
api_free(struct api *api)
{
    if (api == NULL)
        return;
    auth_free(api->auth);
    router_free(api->router);
    repo_close(&api->repo);
    free(api);
}

void
api_ddb_stats(const struct api *api, struct ddb_stats *out)
{
    repo_stats(&api->repo, out);
}

static void
api_problem(struct http_response *resp, const struct http_request *req, int status,
            const char *detail)
{
    if (status >= 500)
        http_request_log(req, "%d: %s", status, detail);
    if (http_response_problem(resp, status, req->request_id, NULL, "%s", detail) != 0)
        http_response_empty(resp, 500);
}

static void
api_parse_failure(struct http_response *resp, const struct http_request *req, http_req_status parse)
{
    switch (parse) {
    case HTTP_REQ_TOO_LARGE:
        api_problem(resp, req, 413, "the request body is larger than this service accepts");
        return;
    case HTTP_REQ_NOMEM:
        api_problem(resp, req, 500, "out of memory while reading the request");
        return;
    case HTTP_REQ_IO:
        api_problem(resp, req, 400, "the request body could not be read");
        return;
    case HTTP_REQ_BAD:
    case HTTP_REQ_OK:
        break;
    }
    api_problem(resp, req, 400,
                "malformed request: bad percent-encoding, invalid UTF-8, a path or query "
                "that is not allowed, or too many query parameters");
}

static void *
api_ctx_of(struct api *api, enum api_ctx ctx)
{
    switch (ctx) {
    case API_CTX_REPO:
        return &api->repo;
    case API_CTX_READY:
        return &api->ready;
    case API_CTX_STATUS:
        return &api->status;
    case API_CTX_NONE:
        break;
    }
    return NULL;
}

/* The breaker refused the request: 503 at once, with the time left before it probes. */
static void
api_shed(struct http_response *resp, const struct http_request *req, unsigned retry_after_s)
{
    char value[16];

    if (http_response_problem(resp, 503, req->request_id, NULL,
                              "the database is not answering; retry later") != 0) {
        http_response_empty(resp, 500);
        return;
    }
    snprintf(value, sizeof(value), "%u", retry_after_s > 0 ? retry_after_s : 1u);
    if (http_response_header(resp, "Retry-After", value) != 0)
        http_response_empty(resp, 500);
}

/* The request's route, matched once per request whoever asks first. */
static const struct api_match *
api_match(struct api *api, const struct http_request *req)
{
    struct api_match *m = &api->match;

    if (m->req != req) {
        m->req = req;
        m->allow[0] = '\0';
        m->status =
            router_match(api->router, req, &m->index, &m->params, m->allow, sizeof(m->allow));
    }
    return m;
}

/* Routes and answers one request. *ticket says what the breaker decided for it (PASS for a
 * request that needs no database); *matched is the route found (left NULL for 404/405). */
static void
api_route(struct api *api, const struct http_request *req, struct http_response *resp,
          struct api_breaker_ticket *ticket, const struct api_route **matched)
{
    const struct api_match *m = api_match(api, req);
    const struct router_params *params = &m->params;
    const struct api_route *route;

    switch (m->status) {
    case ROUTER_NOT_FOUND:
        api_problem(resp, req, 404, "no such resource");
        return;
    case ROUTER_METHOD_NOT_ALLOWED:
        api_problem(resp, req, 405, "method not allowed on this resource");
        if (http_response_header(resp, "Allow", m->allow) != 0)
            reply_internal(resp, req, "Allow header");
        return;
    case ROUTER_FOUND:
        break;
    }
    route = &api_routes[m->index];
    *matched = route;
    if ((route->flags & API_ADMIN) != 0 && !auth_check(api->auth, req->authorization)) {
        api_problem(resp, req, 401, "a valid admin token is required (Authorization: Bearer)");
        if (http_response_header(resp, "WWW-Authenticate", "Bearer") != 0)
            reply_internal(resp, req, "WWW-Authenticate header");
        return;
    }
    if ((route->flags & API_JSON_BODY) != 0 && req->body_len > 0 && !http_request_is_json(req)) {
        api_problem(resp, req, 415, "the body must be application/json (in UTF-8)");
        return;
    }
    if (api->has_pool && (route->ctx == API_CTX_REPO || route->ctx == API_CTX_READY)) {
        api->pool.admit(api->pool.ctx, api_now_ms(), api->stale_ms, ticket);
        if (ticket->admit == API_BREAKER_REJECT) {
            api_shed(resp, req, ticket->retry_after_s);
            return;
        }
    }
    if (idempotency_applies(req))
        idempotency_serve(&api->idem, &api->repo, (route->flags & API_ADMIN) != 0, route->handler,
                          api_ctx_of(api, route->ctx), req, params, resp);
    else
        route->handler(api_ctx_of(api, route->ctx), req, params, resp);
    if (resp->status == 0)
        reply_internal(resp, req, "handler gave no answer");
}

/* The route's Cache-Control (API_REVALIDATE); no-store where none matched. An answer that would
 * go out without it becomes a 500 that carries it. */
static void
api_cache_control(struct http_response *resp, const struct http_request *req,
                  const struct api_route *route)
{
    const char *value = "no-store";

    if (route != NULL && (route->flags & API_REVALIDATE) != 0)
        value = "no-cache";
    if (http_response_header(resp, "Cache-Control", value) == 0)
        return;
    http_response_free(resp);
    http_response_init(resp);
    api_problem(resp, req, 500, "no room left for the Cache-Control header");
    if (http_response_header(resp, "Cache-Control", "no-store") != 0)
        http_response_empty(resp, 500);
}

/* This request's share of the client's figures, as response headers. A header that does not
 * fit is left out: the answer itself matters more than its bookkeeping. */
static void
api_ddb_headers(struct http_response *resp, const struct ddb_stats *before,
                const struct ddb_stats *after)
{
    char value[32];
    double ms = after->total_ms - before->total_ms;

    snprintf(value, sizeof(value), "%lu", after->calls - before->calls);
    http_response_header(resp, "X-Ddb-Calls", value);
    snprintf(value, sizeof(value), "%lu", ms > 0 ? (unsigned long)(ms + 0.5) : 0UL);
    http_response_header(resp, "X-Ddb-Ms", value);
    snprintf(value, sizeof(value), "%lu", after->retries - before->retries);
    http_response_header(resp, "X-Ddb-Retries", value);
}

/* Tells the breaker what an attempt of the request told (or, NONE, that a probe made none);
 * the request that moves it says so in the log. */
static void
api_breaker_report(struct api *api, const struct http_request *req,
                   const struct api_breaker_ticket *ticket, enum api_breaker_outcome outcome)
{
    struct api_breaker_figures b;

    if (!api->pool.report(api->pool.ctx, api_now_ms(), ticket, outcome))
        return;
    api->pool.breaker(api->pool.ctx, &b);
    if (b.state == API_BREAKER_CLOSED)
        http_request_log(req, "DynamoDB breaker closed: a probe reached DynamoDB");
    else if (ticket->admit == API_BREAKER_PROBE)
        http_request_log(req, "DynamoDB breaker open again: a probe could not reach DynamoDB");
    else
        http_request_log(req,
                         "DynamoDB breaker open (trip %lu): attempts in a row could not reach "
                         "DynamoDB; requests that need it answer 503 until a probe does",
                         b.trips);
}

/* Whether a method is what nginx passes on (letters, '_' and '-'), safe to show as sent. */
static int
api_method_shown(const char *m)
{
    if (*m == '\0')
        return 0;
    for (; *m != '\0'; m++)
        if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || *m == '_' || *m == '-'))
            return 0;
    return 1;
}

void
api_route_label(struct api *api, const struct http_request *req, http_req_status parse,
                const char **method, const char **pattern)
{
    *method = api_method_shown(req->method) ? req->method : "-";
    *pattern = "(no route)";
    api->match.req = NULL; /* a new request, though it may sit where the last one did */
    if (parse == HTTP_REQ_OK && api_match(api, req)->status == ROUTER_FOUND)
        *pattern = api_routes[api->match.index].match.pattern;
}

void
api_handle(struct api *api, const struct http_request *req, http_req_status parse,
           struct http_response *resp)
{
    struct api_breaker_ticket ticket = {.admit = API_BREAKER_PASS};
    const struct api_route *route = NULL;
    struct ddb_stats before, after;

    api->req = req;
    api->ticket = &ticket;
    /* One deadline for every DynamoDB call of the request, from its start. */
    repo_set_deadline(&api->repo, api_request_start(api, req, api_now_ms()) + api->budget_ms);
    repo_stats(&api->repo, &before);
    if (parse != HTTP_REQ_OK)
        api_parse_failure(resp, req, parse);
    else
        api_route(api, req, resp, &ticket, &route);
    repo_stats(&api->repo, &after);
    repo_set_deadline(&api->repo, 0);
    /* Attempts were reported as they ended; a probe that made none gives its place back. */
    if (api->has_pool && ticket.admit == API_BREAKER_PROBE)
        api_breaker_report(api, req, &ticket, API_BREAKER_NONE);
    api->req = NULL;
    api->ticket = NULL;
    api->match.req = NULL;
    api_cache_control(resp, req, route);
    api_ddb_headers(resp, &before, &after);
    /* The router answers HEAD with the GET route: the same head, no body. */
    resp->head_only = strcmp(req->method, "HEAD") == 0;
}
