/* Region and endpoint resolution from the environment, as the AWS SDKs do it. */
#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

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

/* What a failure of curl's parser means for an endpoint. curl's messages name the part at
 * fault, never its text: nothing of the URL (which may hold a password) is echoed. */
static ddb_status
url_error(CURLUcode rc, struct ddb_error *err)
{
    switch (rc) {
    case CURLUE_OUT_OF_MEMORY:
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory parsing a URL");
    case CURLUE_BAD_SCHEME:
    case CURLUE_UNSUPPORTED_SCHEME:
    case CURLUE_BAD_SLASHES:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: scheme must be http or https");
    case CURLUE_NO_HOST:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: no host");
    case CURLUE_BAD_HOSTNAME:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: invalid character in host");
    case CURLUE_BAD_IPV6:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad IPv6 address");
    case CURLUE_BAD_PORT_NUMBER:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad port");
    default:
        return ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: %s", curl_url_strerror(rc));
    }
}

/* Whether part of u is present (even empty); *rc is set when curl failed otherwise. */
static int
url_has(CURLU *u, CURLUPart part, char **value, CURLUcode *rc)
{
    *value = NULL;
    *rc = curl_url_get(u, part, value, 0);
    if (*rc == CURLUE_OK)
        return 1;
    /* Each "no such part" code of 7.83 and later; anything else is a real failure. */
    if (*rc == CURLUE_NO_USER || *rc == CURLUE_NO_PASSWORD || *rc == CURLUE_NO_QUERY ||
        *rc == CURLUE_NO_FRAGMENT || *rc == CURLUE_NO_PORT || *rc == CURLUE_NO_ZONEID)
        *rc = CURLUE_OK;
    return 0;
}

/* Parsing is libcurl's (its URL API, the parser the transport itself uses); what is checked
 * here is what an endpoint may be beyond a valid URL: http or https, a host and an optional
 * port, no user info, path, query or fragment. Two forms curl takes are refused as before,
 * being more likely typos than meant: one or three slashes after the scheme, and a ':' with
 * no port after it. */
ddb_status
endpoint_parse_url(const char *url, struct endpoint *out, struct ddb_error *err)
{
    CURLU *u = NULL;
    CURLUcode rc;
    char *scheme = NULL, *part = NULL, *host = NULL, *port = NULL;
    const char *auth;
    size_t auth_len;
    long port_num = 0;
    int tls;
    char host_lc[sizeof(out->host)];
    char host_hdr[sizeof(out->host)];
    char full[sizeof(out->url)];
    ddb_status st = DDB_OK;
    int n;

    if (out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "endpoint_parse_url: NULL endpoint");
    if (url == NULL || url[0] == '\0')
        return ddb_error_set(err, DDB_ERR_CONFIG, "empty URL");
    u = curl_url();
    if (u == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory parsing a URL");
    /* PATH_AS_IS: "/." stays a path to refuse, not one curl quietly makes "/". */
    rc = curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0); /* lower-cased by curl */
    if (rc != CURLUE_OK) {
        st = url_error(rc, err);
        goto done;
    }
    if (strcmp(scheme, "https") == 0) {
        tls = 1;
    } else if (strcmp(scheme, "http") == 0) {
        tls = 0;
    } else {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: scheme must be http or https");
        goto done;
    }
    auth = url + strlen(scheme) + 3;
    if (strncmp(url + strlen(scheme), "://", 3) != 0 || *auth == '/') {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: scheme must be http or https");
        goto done;
    }

    /* Checked first: user info may hold a password, and a message is better about it. */
    if (url_has(u, CURLUPART_USER, &part, &rc) || url_has(u, CURLUPART_PASSWORD, &part, &rc)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: user info is not allowed");
        goto done;
    }
    if (rc == CURLUE_OK && url_has(u, CURLUPART_QUERY, &part, &rc)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: a query is not allowed");
        goto done;
    }
    if (rc == CURLUE_OK && url_has(u, CURLUPART_FRAGMENT, &part, &rc)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: a fragment is not allowed");
        goto done;
    }
    if (rc == CURLUE_OK && (rc = curl_url_get(u, CURLUPART_PATH, &part, 0)) == CURLUE_OK &&
        strcmp(part, "/") != 0) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: path must be empty or \"/\"");
        goto done;
    }
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (rc == CURLUE_OK)
        (void)url_has(u, CURLUPART_PORT, &port, &rc);
    if (rc != CURLUE_OK) {
        st = url_error(rc, err);
        goto done;
    }
    curl_free(part);
    part = NULL;

    /* curl decodes a percent-encoded host and takes an IPv6 zone ("%25eth0"): neither has a
     * place in an endpoint. */
    if (strchr(url, '%') != NULL) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: invalid character in host");
        goto done;
    }
    if (host[0] != '[') {
        for (const char *q = host; *q != '\0'; q++) {
            if (!host_char_valid((unsigned char)*q)) {
                st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: invalid character in host");
                goto done;
            }
        }
    }
    auth_len = strcspn(auth, "/?#");
    if (auth_len > 0 && auth[auth_len - 1] == ':') {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: bad port");
        goto done;
    }
    if (port != NULL) {
        port_num = strtol(port, NULL, 10); /* curl has checked it: digits, at most 65535 */
        if (port_num < 1 || port_num > 65535) {
            st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: port out of range");
            goto done;
        }
    }

    n = snprintf(host_lc, sizeof(host_lc), "%s", host);
    if (n < 0 || (size_t)n >= sizeof(host_lc)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: host too long");
        goto done;
    }
    /* Host names are case-insensitive; one spelling keeps the URL and Host header in step. */
    for (char *q = host_lc; *q != '\0'; q++)
        *q = (char)tolower((unsigned char)*q);

    if (port != NULL && port_num != (tls ? 443 : 80))
        n = snprintf(host_hdr, sizeof(host_hdr), "%s:%ld", host_lc, port_num);
    else
        n = snprintf(host_hdr, sizeof(host_hdr), "%s", host_lc);
    if (n < 0 || (size_t)n >= sizeof(host_hdr)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: host too long");
        goto done;
    }
    /* The URL keeps an explicit default port as written; curl and the Host header agree. */
    if (port != NULL)
        n = snprintf(full, sizeof(full), "%s://%s:%ld", scheme, host_lc, port_num);
    else
        n = snprintf(full, sizeof(full), "%s://%s", scheme, host_lc);
    if (n < 0 || (size_t)n >= sizeof(full)) {
        st = ddb_error_set(err, DDB_ERR_CONFIG, "malformed URL: too long");
        goto done;
    }
    /* Written only on success: a caller's endpoint is never left half-changed. */
    memcpy(out->url, full, sizeof(full));
    memcpy(out->host, host_hdr, sizeof(host_hdr));
    out->tls = tls;

done:
    curl_free(port);
    curl_free(host);
    curl_free(part);
    curl_free(scheme);
    curl_url_cleanup(u);
    return st;
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
