/* The route table: method + path pattern with {param} segments. Patterns are compiled once per
 * process (router_new) and matched against the decoded segments of a request, so a parameter
 * may hold any character, '/' included, and nothing a client encodes can add a segment. */
#ifndef SAVEALIFE_HTTP_ROUTER_H
#define SAVEALIFE_HTTP_ROUTER_H

#include <stddef.h>

#include "http/request.h"
#include "http/response.h"

#define ROUTER_MAX_PARAMS 4
#define ROUTER_PARAM_NAME_MAX 32 /* a "{name}" of 32 bytes or more is refused by router_new */

struct router_params {
    const char *names[ROUTER_MAX_PARAMS];  /* from the pattern ("id"), owned by the router */
    const char *values[ROUTER_MAX_PARAMS]; /* the request's decoded segments (borrowed) */
    size_t n;
};

/* A handler fills resp; app is what its caller chose to give it. */
typedef void (*router_handler)(void *app, const struct http_request *req,
                               const struct router_params *params, struct http_response *resp);

/* What the router matches. A caller's table entry starts with it, and router_new is given the
 * entry's size, so each route's other fields (handler, who may call it) sit in the same line
 * of the same table. */
struct router_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/companies/{id}" */
};

struct router;

typedef enum {
    ROUTER_FOUND = 0,
    ROUTER_NOT_FOUND,          /* no pattern matches the path: 404 */
    ROUTER_METHOD_NOT_ALLOWED, /* a pattern matches, not with this method: 405 */
} router_status;

/* Compiles n entries of stride bytes each, every one starting with a struct router_route. A
 * malformed pattern (no leading '/', an empty or too long {name}, more than ROUTER_MAX_PARAMS
 * parameters or HTTP_MAX_SEGMENTS segments) or a missing method is refused with a message in
 * errbuf, so a typo in the table stops the service at start. The table must outlive the
 * router. Returns 0, or -1. */
int router_new(const void *table, size_t n, size_t stride, struct router **out, char *errbuf,
               size_t errlen);
/* Frees the router (not the table). NULL is allowed. */
void router_free(struct router *router);

/* Finds the route for the request. On ROUTER_FOUND, *index is the entry's place in the table
 * and params are set; on ROUTER_METHOD_NOT_ALLOWED, allow receives the methods the path takes
 * ("GET, HEAD, POST") for the Allow header. The first matching pattern in table order wins.
 * HEAD is served by the path's GET route (unless the table has a HEAD route for it), and so is
 * listed after GET: the caller answers it as GET without the body (http_response.head_only). */
router_status router_match(const struct router *router, const struct http_request *req,
                           size_t *index, struct router_params *params, char *allow,
                           size_t allow_len);

/* The parameter's value, or NULL. */
const char *router_param(const struct router_params *params, const char *name);

#endif
