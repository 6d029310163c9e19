/* AWS credentials chain: environment, shared credentials file, EC2 instance metadata (IMDSv2).
 * Secrets are copied only into struct creds and wiped from every buffer we own once used; no
 * error message ever carries a key, a secret, a session token or an IMDS token. */
#include "creds.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "endpoint.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_TOKEN_TTL_HEADER "X-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_TOKEN_HEADER "X-aws-ec2-metadata-token: "
#define IMDS_TOKEN_MAX 1024
#define IMDS_ROLE_MAX 64 /* IAM's limit on role names */
#define IMDS_RETRY_MAX_S 60
#define DEFAULT_IMDS_TIMEOUT_MS 1000
#define DEFAULT_REFRESH_MARGIN_S 300
/* Large enough for any line of a credentials file, so getline never reallocates (and never
 * frees a copy of a secret we could not wipe). */
#define FILE_LINE_INIT 8192

struct creds_provider {
    struct transport *t;
    long imds_timeout_ms;
    long refresh_margin_s;
    struct creds cur;    /* valid when have */
    int have;            /* a source was found and cur holds its credentials */
    int from_imds;       /* cur came from the metadata service and expires */
    time_t next_refresh; /* when to ask the metadata service again */
    /* Changes whenever cur does (a refresh, a wipe): users keep what they derive from the
     * credentials (a signing key, a header line) until it changes, and never compare secrets. */
    unsigned long generation;
};

/* What the shared file had for the profile, when it had no credentials to give. */
enum file_outcome { FILE_FOUND, FILE_NO_FILE, FILE_NO_PROFILE, FILE_NO_KEYS };

/* An empty variable counts as unset, as `AWS_PROFILE=` in an env file means "not set". */
static const char *
env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Whether s is ASCII text with no control character: what the session token, which becomes
 * the x-amz-security-token header line, may hold, so that it cannot end its line and add
 * another. */
static int
header_safe(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

/* Copies a NUL-terminated value into a fixed field; 0 if it does not fit. */
static int
copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

/* Formats a note for a later message; truncation is fine, it is only shown to people. */
static void __attribute__((format(printf, 3, 4)))
note_set(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(buf, size, fmt, ap) < 0 && size > 0)
        buf[0] = '\0';
    va_end(ap);
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *e = '\0';
    return s;
}

void
creds_wipe(struct creds *c)
{
    if (c == NULL)
        return;
    OPENSSL_cleanse(c, sizeof(*c));
    c->source = NULL;
}

/* --- environment --- */

static ddb_status
env_read(struct creds *out, int *found, struct ddb_error *err)
{
    const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    const char *token = env_nonempty("AWS_SESSION_TOKEN");

    *found = 0;
    if (id == NULL && secret == NULL)
        return DDB_OK;
    /* Half a pair is a mistake, not "no credentials": falling through to another source
     * would sign with credentials the operator did not mean. */
    if (id == NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (secret == NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    if (!copy_field(out->access_key_id, sizeof(out->access_key_id), id))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_ACCESS_KEY_ID is too long");
    if (!copy_field(out->secret_access_key, sizeof(out->secret_access_key), secret))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_SECRET_ACCESS_KEY is too long");
    if (token == NULL)
        token = "";
    if (!copy_field(out->session_token, sizeof(out->session_token), token))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_SESSION_TOKEN is too long");
    if (!header_safe(token))
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_SESSION_TOKEN holds a control or non-ASCII character");
    out->expiration = 0;
    out->source = "env";
    *found = 1;
    return DDB_OK;
}

/* --- shared credentials file --- */

/* A comment after a value starts at whitespace followed by '#' or ';' (as the AWS SDKs read
 * it); keys, secrets and tokens never contain whitespace, so nothing real is cut. */
static void
strip_inline_comment(char *v)
{
    for (char *p = v; *p != '\0'; p++) {
        if (isspace((unsigned char)p[0]) && (p[1] == '#' || p[1] == ';')) {
            *p = '\0';
            break;
        }
    }
}

/* Reads profile from path into out. Absences (no file, no profile, no keys) are DDB_OK with
 * *outcome saying which, so the chain can move on; anything malformed is an error. */
static ddb_status
file_read(const char *path, const char *profile, struct creds *out, enum file_outcome *outcome,
          struct ddb_error *err)
{
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = FILE_LINE_INIT;
    ssize_t len;
    unsigned long lineno = 0;
    int in_section = 0, in_profile = 0, seen_profile = 0;
    int have_id = 0, have_secret = 0;
    struct creds c;
    ddb_status st = DDB_OK;

    memset(&c, 0, sizeof(c));
    *outcome = FILE_NO_FILE;
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            goto done;
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    line = malloc(cap);
    if (line == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }

    while ((len = getline(&line, &cap, f)) != -1) {
        char *s = line;
        char *eq;
        char *key;
        char *val;
        char *field;
        size_t size;

        lineno++;
        if (lineno == 1 && (size_t)len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3; /* a UTF-8 byte order mark, as some editors write */
        if ((size_t)len != strlen(line)) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: NUL byte in line", path, lineno);
            goto done;
        }
        s = trim(s);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            char *rest;
            char *name;

            if (close == NULL) {
                st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: section without ']'", path,
                                   lineno);
                goto done;
            }
            rest = close + 1;
            while (isspace((unsigned char)*rest))
                rest++;
            *close = '\0';
            name = trim(s + 1);
            if ((*rest != '\0' && *rest != '#' && *rest != ';') || *name == '\0') {
                st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: malformed section name", path,
                                   lineno);
                goto done;
            }
            in_section = 1;
            in_profile = strcmp(name, profile) == 0;
            seen_profile |= in_profile;
            continue;
        }
        /* Nothing of the line is echoed from here on: it may hold a secret. */
        eq = strchr(s, '=');
        if (eq == NULL) {
            st =
                ddb_error_set(err, DDB_ERR_CREDENTIALS,
                              "%s:%lu: expected [profile], key = value or a comment", path, lineno);
            goto done;
        }
        if (!in_section) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: setting outside any [profile]",
                               path, lineno);
            goto done;
        }
        *eq = '\0';
        key = trim(s);
        val = eq + 1; /* split at the first '=': base64 values end in '=' */
        strip_inline_comment(val);
        val = trim(val);
        if (*key == '\0') {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: setting without a name", path,
                               lineno);
            goto done;
        }
        if (!in_profile)
            continue;
        /* Key names are case-insensitive, as Python's configparser (the AWS CLI) reads them. */
        if (strcasecmp(key, "aws_access_key_id") == 0) {
            field = c.access_key_id;
            size = sizeof(c.access_key_id);
            have_id = *val != '\0';
        } else if (strcasecmp(key, "aws_secret_access_key") == 0) {
            field = c.secret_access_key;
            size = sizeof(c.secret_access_key);
            have_secret = *val != '\0';
        } else if (strcasecmp(key, "aws_session_token") == 0) {
            field = c.session_token;
            size = sizeof(c.session_token);
        } else {
            continue; /* region, output and the like belong to other readers */
        }
        if (!copy_field(field, size, val)) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: %s is too long", path, lineno,
                               key);
            goto done;
        }
    }
    if (ferror(f)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "cannot read %s", path);
        goto done;
    }

    if (!seen_profile) {
        *outcome = FILE_NO_PROFILE;
    } else if (!have_id && !have_secret) {
        *outcome = FILE_NO_KEYS;
    } else if (!have_id) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s has aws_secret_access_key but no aws_access_key_id",
                           profile, path);
    } else if (!have_secret) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s has aws_access_key_id but no aws_secret_access_key",
                           profile, path);
    } else if (!header_safe(c.session_token)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s: aws_session_token holds a control or non-ASCII "
                           "character",
                           profile, path);
    } else {
        c.expiration = 0;
        c.source = "shared-file";
        *out = c;
        *outcome = FILE_FOUND;
    }

done:
    if (line != NULL) {
        OPENSSL_cleanse(line, cap);
        free(line);
    }
    if (f != NULL)
        fclose(f);
    creds_wipe(&c);
    return st;
}

ddb_status
creds_read_file(const char *path, const char *profile, struct creds *out, struct ddb_error *err)
{
    enum file_outcome outcome;
    ddb_status st;

    if (path == NULL || profile == NULL || out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_read_file: NULL argument");
    st = file_read(path, profile, out, &outcome, err);
    if (st != DDB_OK)
        return st;
    switch (outcome) {
    case FILE_FOUND:
        return DDB_OK;
    case FILE_NO_FILE:
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "no credentials file %s", path);
    case FILE_NO_PROFILE:
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "no profile [%s] in %s", profile, path);
    case FILE_NO_KEYS:
        break;
    }
    return ddb_error_set(err, DDB_ERR_CREDENTIALS,
                         "profile [%s] of %s has no aws_access_key_id or aws_secret_access_key",
                         profile, path);
}

/* The shared-file link of the chain. *found is 0 when it has nothing to give; why says what
 * was looked at, for the final "no credentials" message. */
static ddb_status
file_source(struct creds *out, int *found, char *why, size_t why_size, struct ddb_error *err)
{
    const char *path = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");
    const char *profile = env_nonempty("AWS_PROFILE");
    const char *home;
    char buf[4096];
    enum file_outcome outcome;
    ddb_status st;
    int n;

    *found = 0;
    if (path == NULL) {
        home = env_nonempty("HOME");
        if (home == NULL) {
            note_set(why, why_size, "no shared credentials file (HOME is not set)");
            return DDB_OK;
        }
        n = snprintf(buf, sizeof(buf), "%s/.aws/credentials", home);
        if (n < 0 || (size_t)n >= sizeof(buf))
            return ddb_error_set(err, DDB_ERR_CONFIG, "HOME is too long");
        path = buf;
    }
    /* A profile named in AWS_PROFILE is a demand: if it cannot be met that is an error, not
     * a reason to go on to the metadata service with other credentials. */
    if (profile != NULL) {
        st = creds_read_file(path, profile, out, err);
        if (st == DDB_OK)
            *found = 1;
        else if (err != NULL && st == DDB_ERR_CREDENTIALS) {
            char msg[sizeof(err->message)];
            snprintf(msg, sizeof(msg), "%s", err->message);
            st = ddb_error_set(err, st, "AWS_PROFILE=%s: %s", profile, msg);
        }
        return st;
    }
    st = file_read(path, "default", out, &outcome, err);
    if (st != DDB_OK)
        return st;
    switch (outcome) {
    case FILE_FOUND:
        *found = 1;
        break;
    case FILE_NO_FILE:
        note_set(why, why_size, "no file %s", path);
        break;
    case FILE_NO_PROFILE:
        note_set(why, why_size, "no profile [default] in %s", path);
        break;
    case FILE_NO_KEYS:
        note_set(why, why_size, "no keys in profile [default] of %s", path);
        break;
    }
    return DDB_OK;
}

/* --- EC2 instance metadata (IMDSv2) --- */

static int
imds_disabled(void)
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
        !header_safe(out->session_token) ||
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
    const char *base_env = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
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
static ddb_status
imds_get(struct creds_provider *p, struct ddb_error *err)
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

/* --- provider --- */

ddb_status
creds_provider_new(const struct creds_options *opts, struct transport *t,
                   struct creds_provider **out, struct ddb_error *err)
{
    struct creds_provider *p;

    if (out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_new: NULL out");
    *out = NULL;
    if (opts != NULL && (opts->imds_timeout_ms < 0 || opts->refresh_margin_s < 0))
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_new: negative option");
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory creating credentials provider");
    p->t = t;
    p->imds_timeout_ms =
        opts != NULL && opts->imds_timeout_ms > 0 ? opts->imds_timeout_ms : DEFAULT_IMDS_TIMEOUT_MS;
    p->refresh_margin_s = opts != NULL && opts->refresh_margin_s > 0 ? opts->refresh_margin_s
                                                                     : DEFAULT_REFRESH_MARGIN_S;
    *out = p;
    return DDB_OK;
}

/* Makes p->cur current: the chain walked on first use, metadata credentials refreshed when
 * due. */
static ddb_status
provider_refresh(struct creds_provider *p, struct ddb_error *err)
{
    struct creds c;
    char file_why[384] = "";
    char imds_why[sizeof(err->message)];
    int found = 0;
    ddb_status st;

    if (err != NULL)
        err->http_status = 0; /* set below only when the metadata service answered */
    /* Keys from the environment or a file do not change while we run (a worker is replaced
     * after max_requests anyway): read once, then served from memory. */
    if (p->have && !p->from_imds)
        return DDB_OK;
    if (p->have)
        return imds_get(p, err);

    memset(&c, 0, sizeof(c));
    st = env_read(&c, &found, err);
    if (st == DDB_OK && !found)
        st = file_source(&c, &found, file_why, sizeof(file_why), err);
    if (st != DDB_OK)
        goto done;
    if (found) {
        creds_wipe(&p->cur);
        p->cur = c;
        p->have = 1;
        p->from_imds = 0;
        p->generation++;
        goto done;
    }
    if (imds_disabled()) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "no AWS credentials: AWS_ACCESS_KEY_ID is not set, %s, and instance "
                           "metadata is disabled by AWS_EC2_METADATA_DISABLED",
                           file_why);
        goto done;
    }
    st = imds_get(p, err);
    if (st == DDB_ERR_CREDENTIALS && err != NULL) {
        int http_status = err->http_status;
        snprintf(imds_why, sizeof(imds_why), "%s", err->message);
        st = ddb_error_set(err, st, "no AWS credentials: AWS_ACCESS_KEY_ID is not set, %s, and %s",
                           file_why, imds_why);
        err->http_status = http_status;
    }
done:
    creds_wipe(&c);
    return st;
}

ddb_status
creds_provider_get(struct creds_provider *p, struct creds *out, struct ddb_error *err)
{
    ddb_status st;

    if (p == NULL || out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_get: NULL argument");
    st = provider_refresh(p, err);
    if (st == DDB_OK)
        *out = p->cur;
    return st;
}

ddb_status
creds_provider_current(struct creds_provider *p, const struct creds **out,
                       unsigned long *generation, struct ddb_error *err)
{
    ddb_status st;

    if (p == NULL || out == NULL || generation == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_current: NULL argument");
    *out = NULL;
    st = provider_refresh(p, err);
    if (st == DDB_OK)
        *out = &p->cur;
    *generation = p->generation;
    return st;
}

void
creds_provider_free(struct creds_provider *p)
{
    if (p == NULL)
        return;
    creds_wipe(&p->cur);
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}
