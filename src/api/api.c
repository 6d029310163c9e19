/* The worker's API: the route table and the order every request is decided in: parse status
 * (400/413), route (404, 405 + Allow), admin token (401), media type (415), then the
 * controller (JSON 400, validation 422, repository). */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/companies.h"
#include "api/donors.h"
#include "api/health.h"
#include "api/reply.h"
#include "api/status.h"
#include "http/router.h"
#include "repo/repo.h"

struct api {
    struct ddb_client *ddb;
    struct auth *auth;
    struct repo repo;
    struct health_cache ready;
    struct status_source status;
};

/* Which part of the api a route's handler receives as its app. */
enum api_ctx { API_CTX_NONE, API_CTX_REPO, API_CTX_READY, API_CTX_STATUS };

/* What the dispatcher decides before a handler runs, per route (parallel to api_routes). */
struct api_route_info {
    int admin; /* needs a valid Bearer token (401 before anything else is looked at) */
    int body;  /* takes a JSON body (415 for any other media type) */
    enum api_ctx ctx;
};

static const struct router_route api_routes[] = {
    {"GET", "/api/health", health_live},
    {"GET", "/api/ready", health_ready},
    {"GET", "/api/companies", companies_list},
    {"POST", "/api/companies", companies_create},
    {"PUT", "/api/companies", companies_create},
    {"DELETE", "/api/companies", companies_delete_many},
    {"GET", "/api/companies/{id}", companies_get},
    {"PUT", "/api/companies/{id}", companies_update},
    {"DELETE", "/api/companies/{id}", companies_delete},
    {"POST", "/api/donors", donors_create},
    {"GET", "/api/donors", donors_list},
    {"POST", "/api/donor/signup", donors_create},
    {"GET", "/api/donors/{email}", donors_get},
    {"PATCH", "/api/donors/{email}", donors_update},
    {"DELETE", "/api/donors/{email}", donors_delete},
    {"GET", "/api/status", status_page},
};

static const struct api_route_info api_route_infos[] = {
    {0, 0, API_CTX_NONE},   /* GET /api/health */
    {0, 0, API_CTX_READY},  /* GET /api/ready */
    {0, 0, API_CTX_REPO},   /* GET /api/companies */
    {1, 1, API_CTX_REPO},   /* POST /api/companies */
    {1, 1, API_CTX_REPO},   /* PUT /api/companies */
    {1, 0, API_CTX_REPO},   /* DELETE /api/companies */
    {0, 0, API_CTX_REPO},   /* GET /api/companies/{id} */
    {1, 1, API_CTX_REPO},   /* PUT /api/companies/{id} */
    {1, 0, API_CTX_REPO},   /* DELETE /api/companies/{id} */
    {0, 1, API_CTX_REPO},   /* POST /api/donors */
    {1, 0, API_CTX_REPO},   /* GET /api/donors */
    {0, 1, API_CTX_REPO},   /* POST /api/donor/signup */
    {1, 0, API_CTX_REPO},   /* GET /api/donors/{email} */
    {1, 1, API_CTX_REPO},   /* PATCH /api/donors/{email} */
    {1, 0, API_CTX_REPO},   /* DELETE /api/donors/{email} */
    {1, 0, API_CTX_STATUS}, /* GET /api/status */
};

_Static_assert(sizeof(api_routes) / sizeof(api_routes[0]) ==
                   sizeof(api_route_infos) / sizeof(api_route_infos[0]),
               "one api_route_info per route");

int
api_new(const struct config *cfg, const struct scoreboard *sb, struct api **out, char *errbuf,
        size_t errlen)
{
    struct api *api = NULL;
    struct ddb_options opts;
    struct ddb_error err;
    char authmsg[512];
    int rc = -1;

    *out = NULL;
    ddb_error_clear(&err);
    api = calloc(1, sizeof(*api));
    if (api == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    memset(&opts, 0, sizeof(opts));
    if (ddb_client_new(&opts, &api->ddb, &err) != DDB_OK) {
        snprintf(errbuf, errlen, "DynamoDB client: %s: %s", ddb_error_name(err.status),
                 err.message);
        goto out;
    }
    authmsg[0] = '\0';
    int loaded = auth_load(cfg->tokens_file, &api->auth, authmsg, sizeof(authmsg));
    if (loaded < 0) {
        snprintf(errbuf, errlen, "admin tokens: %s", authmsg);
        goto out;
    }
    if (loaded == 1)
        fprintf(stderr, "savealife: warning: admin tokens: %s\n", authmsg);
    if (repo_init(&api->repo, api->ddb, cfg) != 0) {
        snprintf(errbuf, errlen, "table names too long for prefix \"%s\"", cfg->table_prefix);
        goto out;
    }
    health_cache_init(&api->ready, &api->repo);
    api->status.sb = sb;
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
    ddb_client_free(api->ddb);
    free(api);
}

void
api_ddb_stats(const struct api *api, struct ddb_stats *out)
{
    ddb_client_stats(api->ddb, out);
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
                "malformed request: bad percent-encoding, invalid UTF-8 or a path or query "
                "that is not allowed");
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

static void
api_route(struct api *api, const struct http_request *req, struct http_response *resp)
{
    const struct router_route *route = NULL;
    struct router_params params;
    char allow[128];

    memset(&params, 0, sizeof(params));
    allow[0] = '\0';
    switch (router_match(api_routes, sizeof(api_routes) / sizeof(api_routes[0]), req, &route,
                         &params, allow, sizeof(allow))) {
    case ROUTER_NOT_FOUND:
        api_problem(resp, req, 404, "no such resource");
        return;
    case ROUTER_METHOD_NOT_ALLOWED:
        api_problem(resp, req, 405, "method not allowed on this resource");
        if (http_response_header(resp, "Allow", allow) != 0)
            reply_internal(resp, req, "Allow header");
        return;
    case ROUTER_FOUND:
        break;
    }

    const struct api_route_info *info = &api_route_infos[route - api_routes];
    if (info->admin && !auth_check(api->auth, req->authorization)) {
        api_problem(resp, req, 401, "a valid admin token is required (Authorization: Bearer)");
        if (http_response_header(resp, "WWW-Authenticate", "Bearer") != 0)
            reply_internal(resp, req, "WWW-Authenticate header");
        return;
    }
    if (info->body && req->body_len > 0 && !http_request_is_json(req)) {
        api_problem(resp, req, 415, "the body must be application/json");
        return;
    }
    route->handler(api_ctx_of(api, info->ctx), req, &params, resp);
    if (resp->status == 0)
        reply_internal(resp, req, "handler gave no answer");
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

void
api_handle(struct api *api, const struct http_request *req, http_req_status parse,
           struct http_response *resp)
{
    struct ddb_stats before, after;

    ddb_client_stats(api->ddb, &before);
    if (parse != HTTP_REQ_OK)
        api_parse_failure(resp, req, parse);
    else
        api_route(api, req, resp);
    ddb_client_stats(api->ddb, &after);
    api_ddb_headers(resp, &before, &after);
    /* The router answers HEAD with the GET route: the same head, no body. */
    resp->head_only = strcmp(req->method, "HEAD") == 0;
}
