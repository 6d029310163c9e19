/* Region and endpoint resolution from the environment, as the AWS SDKs do it. */
#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An empty variable counts as unset, so `AWS_ENDPOINT_URL=` in an env file disables it. */
static const char *
env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Region names are DNS labels in the default hostname and part of the signing scope; AWS uses
 * only lower-case letters, digits and inner hyphens, so anything else is a typo. */
static int
region_valid(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n >= sizeof(((struct endpoint *)0)->region))
        return 0;
    if (r[0] == '-' || r[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r[i];
        if (!(islower(c) || isdigit(c) || c == '-'))
            return 0;
    }
    return 1;
}

/* reg-name hosts: letters, digits, '-', '.', '_' (no percent-encoding, no spaces). */
static int
host_char_valid(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_';
}

static int
ipv6_char_valid(unsigned char c)
{
    return isxdigit(c) || c == ':' || c == '.';
}

ddb_status
endpoint_parse_url(const char *url, struct endpoint *out, struct ddb_error *err)
{
    const char *p;
    const char *auth;
    const char *auth_end;
    const char *host_end;
    const char *port = NULL;
    size_t host_len;
    size_t port_len = 0;
    long port_num = 0;
    int tls;
    char host[sizeof(out->host)];
    char host_hdr[sizeof(out->host)];
    char full[sizeof(out->url)];
    int n;

    if (out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "endpoint_parse_url: NULL endpoint");
    if (url == NULL || url[0] == '\0')
        return ddb_error_set(err, DDB_ERR_CONFIG, "empty URL");
    /* Schemes are case-insensitive (RFC 3986 3.1); we write them back lower-cased. */
    if (strncasecmp(url, "https://", 8) == 0) {
        tls = 1;
        auth = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        tls = 0;
        auth = url + 7;
    } else {
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: scheme must be http or https");
    }

    auth_end = auth + strcspn(auth, "/?#");
    /* Checked before anything is echoed: user info may hold a password. */
    if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: user info is not allowed");

    p = auth_end;
    if (*p == '/')
        p++;
    if (*p == '?')
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: a query is not allowed");
    if (*p == '#')
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: a fragment is not allowed");
    if (*p != '\0')
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: path must be empty or \"/\"");

    if (auth < auth_end && *auth == '[') {
        const char *close = memchr(auth, ']', (size_t)(auth_end - auth));
        if (close == NULL || close == auth + 1)
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad IPv6 address");
        for (const char *q = auth + 1; q < close; q++) {
            if (!ipv6_char_valid((unsigned char)*q))
                return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad IPv6 address");
        }
        host_end = close + 1;
        if (host_end < auth_end && *host_end != ':')
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad IPv6 address");
    } else {
        host_end = memchr(auth, ':', (size_t)(auth_end - auth));
        if (host_end == NULL)
            host_end = auth_end;
        for (const char *q = auth; q < host_end; q++) {
            if (!host_char_valid((unsigned char)*q))
                return ddb_error_set(err, DDB_ERR_CONFIG,
                                     "malformed URL: invalid character in host");
        }
    }
    host_len = (size_t)(host_end - auth);
    if (host_len == 0)
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: no host");

    if (host_end < auth_end) {
        port = host_end + 1;
        port_len = (size_t)(auth_end - port);
        if (port_len == 0 || port_len > 5)
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad port");
        for (size_t i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i]))
                return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad port");
            port_num = port_num * 10 + (port[i] - '0');
        }
        if (port_num < 1 || port_num > 65535)
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: port out of range");
    }

    if (host_len >= sizeof(host))
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: host too long");
    /* Host names are case-insensitive; one spelling keeps the URL and Host header in step. */
    for (size_t i = 0; i < host_len; i++)
        host[i] = (char)tolower((unsigned char)auth[i]);
    host[host_len] = '\0';

    if (port != NULL && port_num != (tls ? 443 : 80)) {
        n = snprintf(host_hdr, sizeof(host_hdr), "%s:%ld", host, port_num);
        if (n < 0 || (size_t)n >= sizeof(host_hdr))
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: host too long");
    } else {
        n = snprintf(host_hdr, sizeof(host_hdr), "%s", host);
        if (n < 0 || (size_t)n >= sizeof(host_hdr))
            return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: host too long");
    }
    /* The URL keeps an explicit default port as written; curl and the Host header agree. */
    if (port != NULL)
        n = snprintf(full, sizeof(full), "%s://%s:%ld", tls ? "https" : "http", host, port_num);
    else
        n = snprintf(full, sizeof(full), "%s://%s", tls ? "https" : "http", host);
    if (n < 0 || (size_t)n >= sizeof(full))
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: too long");
    /* Written only on success: a caller's endpoint is never left half-changed. */
    memcpy(out->url, full, sizeof(full));
    memcpy(out->host, host_hdr, sizeof(host_hdr));
    out->tls = tls;
    return DDB_OK;
}

ddb_status
endpoint_resolve(struct endpoint *out, struct ddb_error *err)
{
    static const char *const url_vars[] = {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"};
    const char *region_var = "AWS_REGION";
    const char *region = env_nonempty(region_var);
    const char *url = NULL;
    const char *url_var = NULL;
    char buf[sizeof(out->url)];
    struct endpoint ep;
    ddb_status st;
    int n;

    memset(&ep, 0, sizeof(ep));
    if (region == NULL) {
        region_var = "AWS_DEFAULT_REGION";
        region = env_nonempty(region_var);
    }
    if (region == NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "no region: set AWS_REGION (or AWS_DEFAULT_REGION)");
    if (!region_valid(region))
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "%s: malformed region (lower-case letters, digits and hyphens, "
                             "at most %zu characters, such as us-east-1)",
                             region_var, sizeof(ep.region) - 1);
    memcpy(ep.region, region, strlen(region) + 1);

    for (size_t i = 0; i < sizeof(url_vars) / sizeof(url_vars[0]) && url == NULL; i++) {
        url_var = url_vars[i];
        url = env_nonempty(url_var);
    }
    if (url != NULL) {
        st = endpoint_parse_url(url, &ep, err);
        if (st != DDB_OK) {
            /* Prefix the variable's name: the operator must know which one to fix. */
            char why[sizeof(err->message)];
            snprintf(why, sizeof(why), "%s", err->message);
            return ddb_error_set(err, st, "%s: %s", url_var, why);
        }
    } else {
        /* The China partition has its own DNS suffix; everything else is amazonaws.com. */
        const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
        n = snprintf(buf, sizeof(buf), "https://dynamodb.%s.%s", region, suffix);
        if (n < 0 || (size_t)n >= sizeof(buf))
            return ddb_error_set(err, DDB_ERR_CONFIG, "%s: region too long", region_var);
        st = endpoint_parse_url(buf, &ep, err);
        if (st != DDB_OK)
            return st;
    }
    *out = ep;
    return DDB_OK;
}
