/* The route table: method + path pattern with {param} segments -> handler. Patterns are
 * matched against the decoded segments of a request, so a parameter may hold any character,
 * '/' included, and nothing a client encodes can add a segment. */
#ifndef SAVEALIFE_HTTP_ROUTER_H
#define SAVEALIFE_HTTP_ROUTER_H

#include <stddef.h>

#include "http/request.h"
#include "http/response.h"

#define ROUTER_MAX_PARAMS 4
#define ROUTER_PARAM_NAME_MAX 32 /* a "{name}" longer than 31 bytes never matches */

struct router_params {
    const char *names[ROUTER_MAX_PARAMS];  /* from the pattern ("id") */
    const char *values[ROUTER_MAX_PARAMS]; /* the request's decoded segments (borrowed) */
    size_t n;
    /* Where names point: a pattern's "{id}" holds no terminated "id" to borrow. names point
     * into this struct, so pass it by pointer rather than copying it. */
    char name_buf[ROUTER_MAX_PARAMS][ROUTER_PARAM_NAME_MAX];
};

/* A handler fills resp; app is what the caller passed to router_dispatch. */
typedef void (*router_handler)(void *app, const struct http_request *req,
                               const struct router_params *params, struct http_response *resp);

struct router_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/companies/{id}" */
    router_handler handler;
};

typedef enum {
    ROUTER_FOUND = 0,
    ROUTER_NOT_FOUND,          /* no pattern matches the path: 404 */
    ROUTER_METHOD_NOT_ALLOWED, /* a pattern matches, not with this method: 405 */
} router_status;

/* Finds the route for the request. On ROUTER_FOUND, *route and params are set; on
 * ROUTER_METHOD_NOT_ALLOWED, allow receives the methods the path takes ("GET, HEAD, POST")
 * for the Allow header. The first matching pattern in table order wins. HEAD is served by the
 * path's GET route (unless the table has a HEAD route for it), and so is listed after GET: the
 * caller answers it as GET without the body (http_response.head_only). */
router_status router_match(const struct router_route *routes, size_t nroutes,
                           const struct http_request *req, const struct router_route **route,
                           struct router_params *params, char *allow, size_t allow_len);

/* The parameter's value, or NULL. */
const char *router_param(const struct router_params *params, const char *name);

#endif
