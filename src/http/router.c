/* The router: a request's decoded segments against a table of method + pattern. */
#include "http/router.h"

#include <string.h>

/* Whether pattern matches the request's segments; params receives the "{name}" values. A
 * pattern that is malformed (no leading '/', an empty or too long name, more than
 * ROUTER_MAX_PARAMS parameters) never matches, so a typo in the table is a 404, not a crash. */
static int
pattern_match(const char *pattern, const struct http_request *req, struct router_params *params)
{
    const char *p;
    size_t seg = 0;

    params->n = 0;
    if (pattern == NULL || pattern[0] != '/')
        return 0;
    p = pattern + 1;
    if (*p == '\0')
        return req->nsegments == 0;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len, vlen;
        const char *value;

        if (end == NULL)
            end = p + strlen(p);
        len = (size_t)(end - p);
        if (seg == req->nsegments)
            return 0;
        value = req->segments[seg];
        vlen = strlen(value);
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            size_t nlen = len - 2;

            if (nlen == 0 || nlen >= ROUTER_PARAM_NAME_MAX || params->n == ROUTER_MAX_PARAMS ||
                vlen == 0)
                return 0;
            memcpy(params->name_buf[params->n], p + 1, nlen);
            params->name_buf[params->n][nlen] = '\0';
            params->names[params->n] = params->name_buf[params->n];
            params->values[params->n] = value;
            params->n++;
        } else if (vlen != len || memcmp(value, p, len) != 0) {
            return 0;
        }
        seg++;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    return seg == req->nsegments;
}

/* Appends ", method" (or "method" first) when it fits whole; a method is never cut. Returns
 * -1 when it does not fit, so the list stays a prefix of the full one. */
static int
allow_append(char *allow, size_t allow_len, size_t *used, const char *method)
{
    size_t sep = *used > 0 ? 2 : 0, mlen = strlen(method);

    if (*used + sep + mlen + 1 > allow_len)
        return -1;
    if (sep > 0)
        memcpy(allow + *used, ", ", 2);
    memcpy(allow + *used + sep, method, mlen + 1);
    *used += sep + mlen;
    return 0;
}

/* Whether a route of this method serves the request's method: HEAD is answered by the GET
 * route of the path (RFC 9110 9.3.2: the same header fields, no content). */
static int
method_serves(const char *route_method, const char *method, int head)
{
    return strcmp(route_method, method) == 0 || (head && strcmp(route_method, "GET") == 0);
}

/* Whether a route of this method matches the request's path. */
static int
has_method(const struct router_route *routes, size_t nroutes, const struct http_request *req,
           const char *method)
{
    struct router_params scratch;

    for (size_t i = 0; i < nroutes; i++)
        if (routes[i].method != NULL && strcmp(routes[i].method, method) == 0 &&
            pattern_match(routes[i].pattern, req, &scratch))
            return 1;
    return 0;
}

router_status
router_match(const struct router_route *routes, size_t nroutes, const struct http_request *req,
             const struct router_route **route, struct router_params *params, char *allow,
             size_t allow_len)
{
    struct router_params scratch;
    struct router_params *out = params != NULL ? params : &scratch;
    int path_known = 0, head;
    size_t used = 0;

    if (route != NULL)
        *route = NULL;
    if (allow != NULL && allow_len > 0)
        allow[0] = '\0';
    if (routes == NULL || req == NULL)
        goto not_found;
    /* A HEAD route of the table's own comes first; otherwise the first GET route answers. */
    head = strcmp(req->method, "HEAD") == 0;
    for (size_t i = 0; head && i < nroutes; i++)
        if (routes[i].method != NULL && strcmp(routes[i].method, "HEAD") == 0 &&
            pattern_match(routes[i].pattern, req, out)) {
            if (route != NULL)
                *route = &routes[i];
            return ROUTER_FOUND;
        }
    for (size_t i = 0; i < nroutes; i++) {
        if (routes[i].method == NULL || !pattern_match(routes[i].pattern, req, out))
            continue;
        path_known = 1;
        if (method_serves(routes[i].method, req->method, head)) {
            if (route != NULL)
                *route = &routes[i];
            return ROUTER_FOUND;
        }
    }
    if (!path_known)
        goto not_found;
    for (size_t i = 0; allow != NULL && i < nroutes; i++) {
        int seen = 0;

        if (routes[i].method == NULL || !pattern_match(routes[i].pattern, req, &scratch))
            continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = routes[j].method != NULL && strcmp(routes[j].method, routes[i].method) == 0 &&
                   pattern_match(routes[j].pattern, req, &scratch);
        if (seen)
            continue;
        if (allow_append(allow, allow_len, &used, routes[i].method) != 0)
            break;
        /* HEAD goes with GET, unless the table names HEAD itself (listed then in its place). */
        if (strcmp(routes[i].method, "GET") == 0 && !has_method(routes, nroutes, req, "HEAD") &&
            allow_append(allow, allow_len, &used, "HEAD") != 0)
            break;
    }
    memset(out, 0, sizeof(*out));
    return ROUTER_METHOD_NOT_ALLOWED;
not_found:
    memset(out, 0, sizeof(*out));
    return ROUTER_NOT_FOUND;
}

const char *
router_param(const struct router_params *params, const char *name)
{
    if (params == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < params->n && i < ROUTER_MAX_PARAMS; i++)
        if (params->names[i] != NULL && strcmp(params->names[i], name) == 0)
            return params->values[i];
    return NULL;
}
