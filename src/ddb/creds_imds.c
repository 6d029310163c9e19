/* The EC2 instance metadata (IMDSv2) link of the chain: a session token, the role name, then
 * the role's credentials, refreshed before they expire. No token or secret is ever echoed. */
#include "creds.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "creds_chain.h"
#include "endpoint.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_TOKEN_TTL_HEADER "X-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_TOKEN_HEADER "X-aws-ec2-metadata-token: "
#define IMDS_TOKEN_MAX 1024
#define IMDS_ROLE_MAX 64 /* IAM's limit on role names */
#define IMDS_RETRY_MAX_S 60

/* --- EC2 instance metadata (IMDSv2) --- */

int
creds_imds_disabled(void)
{
    const char *v = getenv("AWS_EC2_METADATA_DISABLED");

    return v != NULL && strcasecmp(v, "true") == 0;
}

static int
two_digits(const char *s, int *out)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
        return 0;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

/* RFC 3339 date-time ("2026-01-02T03:04:05Z", fraction and numeric offset allowed). */
static int
parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm;
    int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0;
    long offset = 0;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (strlen(s) < 20)
        return 0;
    if (!two_digits(s, &y1) || !two_digits(s + 2, &y2) || s[4] != '-' || !two_digits(s + 5, &mo) ||
        s[7] != '-' || !two_digits(s + 8, &d) || (s[10] != 'T' && s[10] != 't') ||
        !two_digits(s + 11, &h) || s[13] != ':' || !two_digits(s + 14, &mi) || s[16] != ':' ||
        !two_digits(s + 17, &sec))
        return 0;
    s += 19;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        if (!two_digits(s + 1, &oh) || s[3] != ':' || !two_digits(s + 4, &om) || oh > 23 || om > 59)
            return 0;
        offset = (oh * 3600L + om * 60L) * (*s == '-' ? -1 : 1);
        s += 6;
    } else {
        return 0;
    }
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    tm.tm_year = y1 * 100 + y2 - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second: a second early is safe */
    t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* timegm normalises Feb 31 into March */
        return 0;
    *out = t - offset;
    return 1;
}

/* Role names go into a URL path: only IAM's own characters, which need no escaping. */
static int
role_valid(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > IMDS_ROLE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r[i];
        if (!isalnum(c) && strchr("+=,.@_-", c) == NULL)
            return 0;
    }
    return 1;
}

/* A token goes into a header line: printable ASCII only, so it cannot inject another. */
static int
token_valid(const char *s, size_t n)
{
    if (n == 0 || n >= IMDS_TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    }
    return 1;
}

static void
response_wipe_free(struct transport_response *resp)
{
    if (resp->body != NULL)
        OPENSSL_cleanse(resp->body, resp->body_len);
    transport_response_free(resp);
}

/* One metadata request. Any failure to get an HTTP answer means "no credentials from IMDS". */
static ddb_status
imds_request(struct creds_provider *p, const char *method, const char *url,
             const char *const *headers, size_t nheaders, struct transport_response *resp,
             struct ddb_error *err)
{
    struct transport_request req;
    struct ddb_error terr;
    ddb_status st;

    memset(&req, 0, sizeof(req));
    memset(&terr, 0, sizeof(terr));
    req.slot = TRANSPORT_SLOT_IMDS;
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.nheaders = nheaders;
    req.timeout_ms = p->imds_timeout_ms;
    st = transport_perform(p->t, &req, resp, &terr);
    if (st != DDB_OK) {
        response_wipe_free(resp);
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "instance metadata unreachable (%s: %s)",
                             ddb_error_name(st), terr.message);
    }
    return DDB_OK;
}

static ddb_status
imds_http_error(struct ddb_error *err, long status, const char *what)
{
    ddb_status st;

    if (status == 401 || status == 403)
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "instance metadata refused %s (HTTP %ld): IMDS is disabled, needs "
                           "a valid token, or denies this process",
                           what, status);
    else
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "instance metadata refused %s (HTTP %ld)",
                           what, status);
    if (err != NULL)
        err->http_status = (int)status;
    return st;
}

/* Copies a string member of the credentials document into a field, then wipes json-c's copy
 * (its storage is ours to overwrite; only the pointer is const). 0 if absent or too long. */
static int
json_take(struct json_object *doc, const char *name, char *dst, size_t size)
{
    struct json_object *v;
    const char *s;
    size_t n;

    if (!json_object_object_get_ex(doc, name, &v) || !json_object_is_type(v, json_type_string))
        return 0;
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (n == 0 || n >= size || strlen(s) != n) {
        OPENSSL_cleanse((char *)s, n);
        return 0;
    }
    memcpy(dst, s, n + 1);
    OPENSSL_cleanse((char *)s, n);
    return 1;
}

/* Parses {Code, AccessKeyId, SecretAccessKey, Token, Expiration}. Never echoes the body.
 * json-c's tokener keeps scratch copies we cannot reach; the strings we can, we wipe. */
static ddb_status
imds_parse(const char *body, size_t len, const char *role, struct creds *out, struct ddb_error *err)
{
    struct json_tokener *tok = NULL;
    struct json_object *doc = NULL;
    struct json_object *code;
    char expiration[64];
    ddb_status st = DDB_OK;

    tok = json_tokener_new();
    if (tok == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory parsing instance metadata");
        goto done;
    }
    if (len > (size_t)INT_MAX)
        goto malformed;
    doc = json_tokener_parse_ex(tok, body, (int)len);
    if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(doc, json_type_object))
        goto malformed;
    if (!json_object_object_get_ex(doc, "Code", &code) ||
        !json_object_is_type(code, json_type_string) ||
        strcmp(json_object_get_string(code), "Success") != 0) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "instance metadata has no usable credentials for role %s (Code is "
                           "not Success)",
                           role);
        goto done;
    }
    if (!json_take(doc, "AccessKeyId", out->access_key_id, sizeof(out->access_key_id)) ||
        !json_take(doc, "SecretAccessKey", out->secret_access_key,
                   sizeof(out->secret_access_key)) ||
        !json_take(doc, "Token", out->session_token, sizeof(out->session_token)) ||
        !creds_header_safe(out->session_token) ||
        !json_take(doc, "Expiration", expiration, sizeof(expiration)) ||
        !parse_rfc3339(expiration, &out->expiration))
        goto malformed;
    out->source = "imds";
    goto done;

malformed:
    st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                       "instance metadata sent malformed credentials for role %s", role);
done:
    if (doc != NULL)
        json_object_put(doc);
    if (tok != NULL)
        json_tokener_free(tok);
    return st;
}

/* Token, role name, then the role's credentials: one fresh token per fetch, since fetches are
 * hours apart and a token kept that long would only be one more secret to hold. */
static ddb_status
imds_fetch(struct creds_provider *p, struct creds *out, struct ddb_error *err)
{
    const char *base_env = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    struct endpoint ep;
    struct transport_response resp;
    char url[sizeof(ep.url) + 128];
    char token_hdr[sizeof(IMDS_TOKEN_HEADER) + IMDS_TOKEN_MAX];
    char role[IMDS_ROLE_MAX + 1];
    const char *ttl_hdr[] = {IMDS_TOKEN_TTL_HEADER};
    const char *tok_hdr[] = {token_hdr};
    const char *body;
    size_t n;
    ddb_status st;

    memset(&resp, 0, sizeof(resp));
    memset(token_hdr, 0, sizeof(token_hdr));
    if (p->t == NULL)
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "no transport for instance metadata");
    st = endpoint_parse_url(base_env != NULL ? base_env : IMDS_DEFAULT_ENDPOINT, &ep, err);
    if (st != DDB_OK) {
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "%s", err != NULL ? err->message : "");
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_EC2_METADATA_SERVICE_ENDPOINT: %s", msg);
    }

    snprintf(url, sizeof(url), "%s/latest/api/token", ep.url);
    st = imds_request(p, "PUT", url, ttl_hdr, 1, &resp, err);
    if (st != DDB_OK)
        goto done;
    if (resp.status != 200) {
        st = imds_http_error(err, resp.status, "a session token");
        goto done;
    }
    body = resp.body != NULL ? resp.body : "";
    n = resp.body != NULL ? resp.body_len : 0;
    while (n > 0 && isspace((unsigned char)body[n - 1]))
        n--;
    if (!token_valid(body, n)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "instance metadata sent a malformed token");
        goto done;
    }
    memcpy(token_hdr, IMDS_TOKEN_HEADER, sizeof(IMDS_TOKEN_HEADER) - 1);
    memcpy(token_hdr + sizeof(IMDS_TOKEN_HEADER) - 1, body, n);
    response_wipe_free(&resp);

    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", ep.url);
    st = imds_request(p, "GET", url, tok_hdr, 1, &resp, err);
    if (st != DDB_OK)
        goto done;
    if (resp.status == 404) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "no IAM role is attached to this instance (instance metadata: HTTP "
                           "404)");
        if (err != NULL)
            err->http_status = 404;
        goto done;
    }
    if (resp.status != 200) {
        st = imds_http_error(err, resp.status, "the role name");
        goto done;
    }
    body = resp.body != NULL ? resp.body : "";
    n = strcspn(body, "\r\n"); /* an instance has one role; it is the first line */
    while (n > 0 && isspace((unsigned char)body[n - 1]))
        n--;
    if (n > IMDS_ROLE_MAX) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "instance metadata sent a malformed role");
        goto done;
    }
    memcpy(role, body, n);
    role[n] = '\0';
    if (!role_valid(role)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "instance metadata sent a malformed role");
        goto done;
    }
    response_wipe_free(&resp);

    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s", ep.url, role);
    st = imds_request(p, "GET", url, tok_hdr, 1, &resp, err);
    if (st != DDB_OK)
        goto done;
    if (resp.status != 200) {
        char what[IMDS_ROLE_MAX + 32];
        snprintf(what, sizeof(what), "the credentials of role %s", role);
        st = imds_http_error(err, resp.status, what);
        goto done;
    }
    st = imds_parse(resp.body != NULL ? resp.body : "", resp.body != NULL ? resp.body_len : 0, role,
                    out, err);

done:
    response_wipe_free(&resp);
    OPENSSL_cleanse(token_hdr, sizeof(token_hdr));
    return st;
}

/* How long to wait before asking again when the margin cannot be kept: half the remaining
 * life, between 1 s and a minute, so a struggling metadata service is not asked on every
 * request. */
static time_t
retry_delay(time_t remaining)
{
    time_t d = remaining / 2;

    if (d < 1)
        d = 1;
    if (d > IMDS_RETRY_MAX_S)
        d = IMDS_RETRY_MAX_S;
    return d;
}

/* Metadata credentials into p->cur: kept until refresh_margin_s before Expiration, then
 * fetched anew. */
ddb_status
creds_imds_get(struct creds_provider *p, struct ddb_error *err)
{
    struct creds fresh;
    time_t now = time(NULL);
    ddb_status st;

    if (p->have && now < p->next_refresh)
        return DDB_OK;
    memset(&fresh, 0, sizeof(fresh));
    st = imds_fetch(p, &fresh, err);
    if (st == DDB_OK && fresh.expiration <= now)
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "instance metadata sent credentials that have already expired");
    if (st == DDB_OK) {
        creds_wipe(&p->cur);
        p->cur = fresh;
        p->have = 1;
        p->from_imds = 1;
        p->generation++;
        p->next_refresh = fresh.expiration - p->refresh_margin_s;
        if (p->next_refresh <= now)
            p->next_refresh = now + retry_delay(fresh.expiration - now);
        goto done;
    }
    if (p->have && now < p->cur.expiration) {
        /* As botocore does: a failed refresh keeps the old credentials while they are still
         * valid, so a metadata hiccup inside the margin fails no request. Try again later. */
        p->next_refresh = now + retry_delay(p->cur.expiration - now);
        if (err != NULL)
            ddb_error_clear(err);
        st = DDB_OK;
        goto done;
    }
    if (p->have) {
        creds_wipe(&p->cur);
        p->have = 0;
        p->from_imds = 0;
        p->generation++;
    }
done:
    creds_wipe(&fresh);
    return st;
}
