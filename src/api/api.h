/* The API a worker serves: routes, admin authentication, controllers. One per worker process,
 * made after fork (its repositories own the worker's DynamoDB client) and kept for the
 * worker's life. */
#ifndef SAVEALIFE_API_H
#define SAVEALIFE_API_H

#include <stddef.h>

#include "api/pool.h"
#include "config.h"
#include "http/request.h"
#include "http/response.h"
#include "repo/repo.h"

struct api;

/* Opens the worker's repositories (and so its DynamoDB client) and loads the admin token
 * digests. pool is what GET /api/status reads and whose DynamoDB breaker every request that
 * needs the database goes through (copied; its ctx borrowed; NULL: the page answers 503, no
 * breaker). Returns 0, or -1 with a message in errbuf. */
int api_new(const struct config *cfg, const struct api_pool *pool, struct api **out, char *errbuf,
            size_t errlen);

/* Frees the api and its client. NULL is allowed. */
void api_free(struct api *api);

/* Answers one request into resp (initialised by the caller). parse is the status
 * http_request_parse returned: anything but HTTP_REQ_OK is answered with its error status
 * without routing. Its DynamoDB calls share one deadline, SAVEALIFE_REQUEST_TIMEOUT less a
 * margin from now; one that needs the database while the breaker is open is answered 503
 * with Retry-After at once. Adds X-Ddb-Calls, X-Ddb-Ms and X-Ddb-Retries (this request's share of
 * the client's figures) to every response; X-Request-Id is added when the response is written. */
void api_handle(struct api *api, const struct http_request *req, http_req_status parse,
                struct http_response *resp);

/* What the status page shows of a request: its method and the pattern of the route it
 * matches ("GET", "/api/donors/{email}"), or "(no route)" when none does or it did not parse;
 * a method that is not letters, '_' or '-' is "-". Never the path as sent (it may hold a
 * donor's email or bytes that are not UTF-8). Both are valid while api and req are. The
 * route is matched once: api_handle of the same request uses this match. */
void api_route_label(struct api *api, const struct http_request *req, http_req_status parse,
                     const char **method, const char **pattern);

/* The worker's DynamoDB client figures (ddb/ddb_stats.h, through repo/repo.h), for the
 * scoreboard and status page. */
void api_ddb_stats(const struct api *api, struct ddb_stats *out);

#endif
