/* The router: a request's decoded segments against a table compiled once per process. */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One segment of a compiled pattern: a literal to compare, or a parameter's name. Both point
 * into the router's own copy of the patterns, where each is terminated. */
struct router_segment {
    const char *text;
    int param;
};

struct router_entry {
    const char *method;
    size_t nsegments;
    struct router_segment segments[HTTP_MAX_SEGMENTS];
};

struct router {
    size_t n;
    char *text; /* the patterns, split: every '/' and the braces made NULs */
    struct router_entry *entries;
};

/* Splits pattern into e->segments, copying it to *text (advanced past the copy). */
static int
compile_pattern(const char *pattern, struct router_entry *e, char **text, char *errbuf,
                size_t errlen)
{
    size_t nparams = 0, len;
    char *p, *end;

    if (pattern == NULL || pattern[0] != '/') {
        snprintf(errbuf, errlen, "route pattern \"%s\" does not start with '/'",
                 pattern != NULL ? pattern : "(none)");
        return -1;
    }
    len = strlen(pattern);
    memcpy(*text, pattern, len + 1);
    p = *text + 1;
    *text += len + 1;
    e->nsegments = 0;
    if (*p == '\0')
        return 0; /* "/": no segment */
    for (;;) {
        struct router_segment *s;

        end = strchr(p, '/');
        if (end != NULL)
            *end = '\0';
        if (e->nsegments == HTTP_MAX_SEGMENTS) {
            snprintf(errbuf, errlen, "route pattern \"%s\" has too many segments", pattern);
            return -1;
        }
        s = &e->segments[e->nsegments++];
        len = strlen(p);
        s->param = len >= 2 && p[0] == '{' && p[len - 1] == '}';
        s->text = p;
        if (s->param) {
            if (len == 2 || len - 2 >= ROUTER_PARAM_NAME_MAX || nparams == ROUTER_MAX_PARAMS) {
                snprintf(errbuf, errlen,
                         "route pattern \"%s\": a {name} is empty, longer than %d bytes, or "
                         "one of more than %d",
                         pattern, ROUTER_PARAM_NAME_MAX - 1, ROUTER_MAX_PARAMS);
                return -1;
            }
            p[len - 1] = '\0';
            s->text = p + 1;
            nparams++;
        }
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

int
router_new(const void *table, size_t n, size_t stride, struct router **out, char *errbuf,
           size_t errlen)
{
    struct router *r = NULL;
    size_t text_len = 0;
    char *text;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct router_route *route =
            (const struct router_route *)((const char *)table + i * stride);

        if (route->method == NULL || route->method[0] == '\0') {
            snprintf(errbuf, errlen, "route %zu has no method", i);
            return -1;
        }
        text_len += route->pattern != NULL ? strlen(route->pattern) + 1 : 0;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        goto nomem;
    r->n = n;
    r->entries = calloc(n > 0 ? n : 1, sizeof(*r->entries));
    r->text = malloc(text_len > 0 ? text_len : 1);
    if (r->entries == NULL || r->text == NULL)
        goto nomem;
    text = r->text;
    for (size_t i = 0; i < n; i++) {
        const struct router_route *route =
            (const struct router_route *)((const char *)table + i * stride);

        r->entries[i].method = route->method;
        if (compile_pattern(route->pattern, &r->entries[i], &text, errbuf, errlen) != 0)
            goto fail;
    }
    *out = r;
    return 0;
nomem:
    snprintf(errbuf, errlen, "out of memory compiling the routes");
fail:
    router_free(r);
    return -1;
}

void
router_free(struct router *router)
{
    if (router == NULL)
        return;
    free(router->entries);
    free(router->text);
    free(router);
}

/* Whether e's pattern matches the request's segments; params receives the {name} values. */
static int
path_match(const struct router_entry *e, const struct http_request *req,
           struct router_params *params)
{
    params->n = 0;
    if (e->nsegments != req->nsegments)
        return 0;
    for (size_t i = 0; i < e->nsegments; i++) {
        const struct router_segment *s = &e->segments[i];
        const char *value = req->segments[i];

        if (!s->param) {
            if (strcmp(value, s->text) != 0)
                return 0;
            continue;
        }
        if (value[0] == '\0') /* an empty segment (a trailing '/') is no value */
            return 0;
        params->names[params->n] = s->text;
        params->values[params->n] = value;
        params->n++;
    }
    return 1;
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

/* Whether a route of this method matches the request's path. */
static int
has_method(const struct router *r, const struct http_request *req, const char *method,
           size_t before)
{
    struct router_params scratch;

    for (size_t i = 0; i < before; i++)
        if (strcmp(r->entries[i].method, method) == 0 && path_match(&r->entries[i], req, &scratch))
            return 1;
    return 0;
}

/* The 405's Allow list: each method whose pattern matches the path, once, in table order,
 * HEAD after GET unless the table names HEAD itself (listed then in its place). */
static void
allow_list(const struct router *r, const struct http_request *req, char *allow, size_t allow_len)
{
    struct router_params scratch;
    size_t used = 0;

    for (size_t i = 0; i < r->n; i++) {
        const char *method = r->entries[i].method;

        if (!path_match(&r->entries[i], req, &scratch) || has_method(r, req, method, i))
            continue;
        if (allow_append(allow, allow_len, &used, method) != 0)
            return;
        if (strcmp(method, "GET") == 0 && !has_method(r, req, "HEAD", r->n) &&
            allow_append(allow, allow_len, &used, "HEAD") != 0)
            return;
    }
}

router_status
router_match(const struct router *router, const struct http_request *req, size_t *index,
             struct router_params *params, char *allow, size_t allow_len)
{
    struct router_params scratch;
    struct router_params *out = params != NULL ? params : &scratch;
    int path_known = 0, head;
    size_t found = 0;

    if (allow != NULL && allow_len > 0)
        allow[0] = '\0';
    if (router == NULL || req == NULL)
        goto not_found;
    /* A HEAD route of the table's own comes first; otherwise the first GET route answers. */
    head = strcmp(req->method, "HEAD") == 0;
    for (found = 0; head && found < router->n; found++)
        if (strcmp(router->entries[found].method, "HEAD") == 0 &&
            path_match(&router->entries[found], req, out))
            goto found;
    for (found = 0; found < router->n; found++) {
        const char *method = router->entries[found].method;

        if (!path_match(&router->entries[found], req, out))
            continue;
        path_known = 1;
        if (strcmp(method, req->method) == 0 || (head && strcmp(method, "GET") == 0))
            goto found;
    }
    if (!path_known)
        goto not_found;
    memset(out, 0, sizeof(*out));
    if (allow != NULL)
        allow_list(router, req, allow, allow_len);
    return ROUTER_METHOD_NOT_ALLOWED;
found:
    if (index != NULL)
        *index = found;
    return ROUTER_FOUND;
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
