/* AWS Signature Version 4 (header-based), for non-S3 services. */
#include "sigv4.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "util/hex.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_LEN 32

/* A growing NUL-terminated string; data is handed to the caller on success. */
struct sbuf {
    char *data;
    size_t len;
    size_t cap;
};

/* A span of an input string, not NUL-terminated. */
struct span {
    const char *p;
    size_t n;
};

/* One query parameter, both halves already in canonical (encoded) form. */
struct qparam {
    char *key;
    char *value;
};

/* One header to sign: lower-cased name, raw value, position for a stable sort. */
struct chdr {
    char *name;
    const char *value;
    size_t order;
};

static const char hexdigits_upper[] = "0123456789ABCDEF";

static sigv4_status
sbuf_reserve(struct sbuf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return SIGV4_ERR_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return SIGV4_OK;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return SIGV4_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return SIGV4_OK;
}

static sigv4_status
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    sigv4_status st = sbuf_reserve(b, n);
    if (st != SIGV4_OK)
        return st;
    if (n > 0)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SIGV4_OK;
}

static sigv4_status
sbuf_puts(struct sbuf *b, const char *s)
{
    return sbuf_add(b, s, strlen(s));
}

static sigv4_status
sbuf_putc(struct sbuf *b, char c)
{
    return sbuf_add(b, &c, 1);
}

static void
sbuf_free(struct sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* URI-encodes n bytes the SigV4 way: unreserved bytes as is, all others %XX. */
static sigv4_status
sbuf_add_encoded(struct sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3];
        sigv4_status st;
        if (is_unreserved(c)) {
            st = sbuf_putc(b, (char)c);
        } else {
            esc[0] = '%';
            esc[1] = hexdigits_upper[c >> 4];
            esc[2] = hexdigits_upper[c & 0x0f];
            st = sbuf_add(b, esc, sizeof(esc));
        }
        if (st != SIGV4_OK)
            return st;
    }
    return SIGV4_OK;
}

static int
is_ws(char c)
{
    /* CR and LF count as white space so that folded (multi-line) values fold to one. */
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 7230 tchar: what a method or header name may be made of. */
static int
is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* Region, service and key id go into the credential scope: no separators or controls. */
static int
is_scope_part(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == 0x7f || c == '/' || c == ',')
            return 0;
    }
    return 1;
}

static int
is_amz_date(const char *s)
{
    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

static struct span
trimmed(const char *s)
{
    struct span sp = {s, strlen(s)};
    while (sp.n > 0 && is_ws(sp.p[0])) {
        sp.p++;
        sp.n--;
    }
    while (sp.n > 0 && is_ws(sp.p[sp.n - 1]))
        sp.n--;
    return sp;
}

static int
span_equals(struct span sp, const char *s)
{
    return strlen(s) == sp.n && memcmp(sp.p, s, sp.n) == 0;
}

static sigv4_status
sha256(const void *data, size_t len, unsigned char md[SHA256_LEN])
{
    unsigned int mdlen = 0;
    if (EVP_Digest(data != NULL ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != SHA256_LEN)
        return SIGV4_ERR_CRYPTO;
    return SIGV4_OK;
}

static sigv4_status
hmac_sha256(const void *key, size_t key_len, const char *data, size_t len,
            unsigned char md[SHA256_LEN])
{
    unsigned int mdlen = 0;
    if (key_len > INT_MAX)
        return SIGV4_ERR_INVALID;
    if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, md, &mdlen) ==
            NULL ||
        mdlen != SHA256_LEN)
        return SIGV4_ERR_CRYPTO;
    return SIGV4_OK;
}

/* The HMAC chain from "AWS4" + secret down to the signing key. */
static sigv4_status
derive_key(const char *secret, const char *date8, const char *region, const char *service,
           unsigned char key[SHA256_LEN])
{
    sigv4_status st;
    size_t slen = strlen(secret);
    unsigned char k1[SHA256_LEN], k2[SHA256_LEN], k3[SHA256_LEN];
    char *ksecret = NULL;

    if (slen > SIZE_MAX - 5) {
        st = SIGV4_ERR_INVALID;
        goto done;
    }
    ksecret = malloc(slen + 5);
    if (ksecret == NULL) {
        st = SIGV4_ERR_NOMEM;
        goto done;
    }
    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, slen + 1);

    st = hmac_sha256(ksecret, slen + 4, date8, 8, k1);
    if (st == SIGV4_OK)
        st = hmac_sha256(k1, sizeof(k1), region, strlen(region), k2);
    if (st == SIGV4_OK)
        st = hmac_sha256(k2, sizeof(k2), service, strlen(service), k3);
    if (st == SIGV4_OK)
        st = hmac_sha256(k3, sizeof(k3), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);

done:
    if (ksecret != NULL) {
        OPENSSL_cleanse(ksecret, slen + 5);
        free(ksecret);
    }
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    if (st != SIGV4_OK)
        OPENSSL_cleanse(key, SHA256_LEN);
    return st;
}

/* Fills key from the cache when its scope and secret match, else derives it and, when the
 * scope fits, refreshes the cache. */
static sigv4_status
signing_key(const char *secret, const char *date8, const char *region, const char *service,
            struct sigv4_key_cache *cache, unsigned char key[SHA256_LEN])
{
    sigv4_status st;
    unsigned char digest[SHA256_LEN];
    int cacheable = cache != NULL && strlen(region) < sizeof(cache->region) &&
                    strlen(service) < sizeof(cache->service);

    if (!cacheable) {
        st = derive_key(secret, date8, region, service, key);
        goto done;
    }
    st = sha256(secret, strlen(secret), digest);
    if (st != SIGV4_OK)
        goto done;
    if (cache->valid && memcmp(cache->date, date8, 8) == 0 && strcmp(cache->region, region) == 0 &&
        strcmp(cache->service, service) == 0 &&
        CRYPTO_memcmp(cache->secret_digest, digest, sizeof(digest)) == 0) {
        memcpy(key, cache->key, SHA256_LEN);
        cache->hits++;
        goto done;
    }

    /* Drop the old entry first, so a failure below leaves no stale key behind. */
    cache->valid = 0;
    OPENSSL_cleanse(cache->key, sizeof(cache->key));
    OPENSSL_cleanse(cache->secret_digest, sizeof(cache->secret_digest));
    st = derive_key(secret, date8, region, service, key);
    if (st != SIGV4_OK)
        goto done;
    memcpy(cache->date, date8, 8);
    cache->date[8] = '\0';
    strcpy(cache->region, region);
    strcpy(cache->service, service);
    memcpy(cache->secret_digest, digest, sizeof(digest));
    memcpy(cache->key, key, SHA256_LEN);
    cache->valid = 1;

done:
    OPENSSL_cleanse(digest, sizeof(digest));
    return st;
}

/* Canonical URI: dot segments removed (RFC 3986), empty segments dropped, a trailing slash
 * kept, each segment encoded. The raw path is not decoded first, so '%' becomes %25: the
 * double encoding SigV4 asks for outside S3. */
static sigv4_status
add_canonical_uri(struct sbuf *out, const char *path)
{
    sigv4_status st = SIGV4_OK;
    size_t max = 1, nseg = 0;
    struct span *seg = NULL;
    int trailing = 0;

    for (const char *p = path; *p; p++)
        if (*p == '/')
            max++;
    seg = calloc(max, sizeof(*seg));
    if (seg == NULL)
        return SIGV4_ERR_NOMEM;

    const char *p = path;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        int dot = n == 1 && p[0] == '.';
        int dotdot = n == 2 && p[0] == '.' && p[1] == '.';
        if (dotdot) {
            if (nseg > 0)
                nseg--;
        } else if (n > 0 && !dot) {
            seg[nseg].p = p;
            seg[nseg].n = n;
            nseg++;
        }
        if (end == NULL) {
            /* A path ending in "/", "/." or "/.." names a directory. */
            trailing = n == 0 || dot || dotdot;
            break;
        }
        p = end + 1;
    }

    for (size_t i = 0; i < nseg && st == SIGV4_OK; i++) {
        st = sbuf_putc(out, '/');
        if (st == SIGV4_OK)
            st = sbuf_add_encoded(out, seg[i].p, seg[i].n);
    }
    if (st == SIGV4_OK && (nseg == 0 || trailing))
        st = sbuf_putc(out, '/');
    free(seg);
    return st;
}

/* Percent-decodes s[0..n) (RFC 3986: '+' stays '+') and re-encodes it into a new string. */
static sigv4_status
recode(const char *s, size_t n, char **res)
{
    sigv4_status st = SIGV4_OK;
    struct sbuf out = {0};
    char *raw = malloc(n + 1);
    size_t len = 0;

    *res = NULL;
    if (raw == NULL)
        return SIGV4_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            raw[len++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hex_value((unsigned char)s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value((unsigned char)s[i + 2]) : -1;
        if (lo < 0) {
            st = SIGV4_ERR_INVALID;
            goto done;
        }
        raw[len++] = (char)(hi << 4 | lo);
        i += 2;
    }
    st = sbuf_add_encoded(&out, raw, len);
    if (st == SIGV4_OK)
        st = sbuf_add(&out, "", 0); /* an empty key or value still needs a string */
    if (st == SIGV4_OK) {
        *res = out.data;
        out.data = NULL;
    }

done:
    sbuf_free(&out);
    free(raw);
    return st;
}

static int
qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

/* Canonical query: each key and value decoded and re-encoded, sorted by key then value. */
static sigv4_status
add_canonical_query(struct sbuf *out, const char *query)
{
    sigv4_status st = SIGV4_OK;
    struct qparam *params = NULL;
    size_t max = 1, n = 0;

    if (query == NULL || *query == '\0')
        return SIGV4_OK;
    for (const char *p = query; *p; p++)
        if (*p == '&')
            max++;
    params = calloc(max, sizeof(*params));
    if (params == NULL)
        return SIGV4_ERR_NOMEM;

    const char *p = query;
    for (;;) {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        /* "a&&b" or a trailing '&' holds no parameter. */
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq != NULL ? (size_t)(eq - p) : len;
            st = recode(p, klen, &params[n].key);
            if (st == SIGV4_OK)
                st = eq != NULL ? recode(eq + 1, len - klen - 1, &params[n].value)
                                : recode("", 0, &params[n].value);
            n++;
            if (st != SIGV4_OK)
                goto done;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }

    qsort(params, n, sizeof(*params), qparam_cmp);
    for (size_t i = 0; i < n && st == SIGV4_OK; i++) {
        if (i > 0)
            st = sbuf_putc(out, '&');
        if (st == SIGV4_OK)
            st = sbuf_puts(out, params[i].key);
        if (st == SIGV4_OK)
            st = sbuf_putc(out, '=');
        if (st == SIGV4_OK)
            st = sbuf_puts(out, params[i].value);
    }

done:
    for (size_t i = 0; i < n; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    return st;
}

static int
chdr_cmp(const void *a, const void *b)
{
    const struct chdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends value trimmed, with every run of white space (folds included) made one space. */
static sigv4_status
add_folded(struct sbuf *out, const char *value)
{
    struct span sp = trimmed(value);
    sigv4_status st = SIGV4_OK;
    for (size_t i = 0; i < sp.n && st == SIGV4_OK; i++) {
        if (!is_ws(sp.p[i])) {
            st = sbuf_putc(out, sp.p[i]);
        } else if (!is_ws(sp.p[i - 1])) {
            st = sbuf_putc(out, ' '); /* trimmed, so i > 0 and a non-space follows */
        }
    }
    return st;
}

/* Canonical headers ("name:value\n" each, sorted, repeats joined with ',') into out, and the
 * signed-headers list into names. token, when not NULL, is signed as x-amz-security-token. */
static sigv4_status
add_canonical_headers(struct sbuf *out, struct sbuf *names, const struct sigv4_request *req,
                      const char *token)
{
    sigv4_status st = SIGV4_OK;
    size_t n = req->nheaders + (token != NULL);
    struct chdr *h = calloc(n > 0 ? n : 1, sizeof(*h));

    if (h == NULL)
        return SIGV4_ERR_NOMEM;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *name = req->headers[i].name;
        h[i].name = malloc(strlen(name) + 1);
        if (h[i].name == NULL) {
            st = SIGV4_ERR_NOMEM;
            goto done;
        }
        size_t j = 0;
        for (; name[j]; j++)
            h[i].name[j] =
                (name[j] >= 'A' && name[j] <= 'Z') ? (char)(name[j] - 'A' + 'a') : name[j];
        h[i].name[j] = '\0';
        h[i].value = req->headers[i].value;
        h[i].order = i;
    }
    if (token != NULL) {
        h[n - 1].name = strdup("x-amz-security-token");
        if (h[n - 1].name == NULL) {
            st = SIGV4_ERR_NOMEM;
            goto done;
        }
        h[n - 1].value = token;
        h[n - 1].order = n - 1;
    }

    qsort(h, n, sizeof(*h), chdr_cmp);
    for (size_t i = 0; i < n && st == SIGV4_OK; i++) {
        int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        if (first) {
            if (i > 0) {
                st = sbuf_putc(out, '\n');
                if (st == SIGV4_OK)
                    st = sbuf_putc(names, ';');
            }
            if (st == SIGV4_OK)
                st = sbuf_puts(names, h[i].name);
            if (st == SIGV4_OK)
                st = sbuf_puts(out, h[i].name);
            if (st == SIGV4_OK)
                st = sbuf_putc(out, ':');
        } else {
            st = sbuf_putc(out, ',');
        }
        if (st == SIGV4_OK)
            st = add_folded(out, h[i].value);
    }
    if (st == SIGV4_OK && n > 0)
        st = sbuf_putc(out, '\n');

done:
    for (size_t i = 0; i < n; i++)
        free(h[i].name);
    free(h);
    return st;
}

/* Whether the security token can go on its header line as it is (RFC 9110 5.5: visible
 * characters, spaces and tabs): a CR or LF in it would end the line and start another header.
 * Other header values are the caller's own; the signing suite folds multi-line ones. */
static int
field_value_ok(const char *v)
{
    for (; *v != '\0'; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* Checks the headers: names are tokens, the token fits on a line, exactly one Host and
 * one X-Amz-Date (equal to amz_date), and a security token header, if any, equal to the
 * credentials'. Sets *add_token when the token must be signed without being among the headers. */
static sigv4_status
check_headers(const struct sigv4_request *req, const char *amz_date, const char *token,
              int *add_token)
{
    int nhost = 0, ndate = 0, ntoken = 0;

    if (req->nheaders > 0 && req->headers == NULL)
        return SIGV4_ERR_INVALID;
    if (token != NULL && !field_value_ok(token))
        return SIGV4_ERR_INVALID;
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct sigv4_header *hd = &req->headers[i];
        if (!is_token(hd->name) || hd->value == NULL)
            return SIGV4_ERR_INVALID;
        struct span v = trimmed(hd->value);
        if (strcasecmp(hd->name, "host") == 0) {
            if (v.n == 0)
                return SIGV4_ERR_INVALID;
            nhost++;
        } else if (strcasecmp(hd->name, "x-amz-date") == 0) {
            if (!span_equals(v, amz_date))
                return SIGV4_ERR_INVALID;
            ndate++;
        } else if (strcasecmp(hd->name, "x-amz-security-token") == 0) {
            if (token != NULL && !span_equals(v, token))
                return SIGV4_ERR_INVALID;
            ntoken++;
        }
    }
    if (nhost != 1 || ndate != 1 || ntoken > 1)
        return SIGV4_ERR_INVALID;
    *add_token = token != NULL && ntoken == 0;
    return SIGV4_OK;
}

static sigv4_status
build_canonical_request(const struct sigv4_request *req, const char *token, struct sbuf *creq,
                        struct sbuf *names)
{
    sigv4_status st;
    char body_hex[65];

    if (hex_sha256(req->body, req->body_len, body_hex) != 0)
        return SIGV4_ERR_CRYPTO;
    st = sbuf_puts(creq, req->method);
    if (st == SIGV4_OK)
        st = sbuf_putc(creq, '\n');
    if (st == SIGV4_OK)
        st = add_canonical_uri(creq, req->path);
    if (st == SIGV4_OK)
        st = sbuf_putc(creq, '\n');
    if (st == SIGV4_OK)
        st = add_canonical_query(creq, req->query);
    if (st == SIGV4_OK)
        st = sbuf_putc(creq, '\n');
    if (st == SIGV4_OK)
        st = add_canonical_headers(creq, names, req, token);
    if (st == SIGV4_OK)
        st = sbuf_putc(creq, '\n');
    if (st == SIGV4_OK)
        st = sbuf_add(creq, names->data, names->len);
    if (st == SIGV4_OK)
        st = sbuf_putc(creq, '\n');
    if (st == SIGV4_OK)
        st = sbuf_puts(creq, body_hex);
    return st;
}

sigv4_status
sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
           const char *region, const char *service, const char *amz_date,
           struct sigv4_key_cache *cache, struct sigv4_result *out)
{
    sigv4_status st;
    struct sbuf creq = {0}, names = {0}, sts = {0}, authz = {0};
    unsigned char key[SHA256_LEN], md[SHA256_LEN];
    char hex[65], date8[9];
    size_t scope_at, scope_len;
    int add_token = 0;

    memset(key, 0, sizeof(key));
    if (out == NULL)
        return SIGV4_ERR_INVALID;
    memset(out, 0, sizeof(*out));
    if (req == NULL || creds == NULL || !is_token(req->method) || req->path == NULL ||
        (req->body == NULL && req->body_len > 0) || !is_scope_part(creds->access_key_id) ||
        creds->secret_access_key == NULL || !is_scope_part(region) || !is_scope_part(service) ||
        !is_amz_date(amz_date)) {
        st = SIGV4_ERR_INVALID;
        goto done;
    }
    st = check_headers(req, amz_date, creds->session_token, &add_token);
    if (st != SIGV4_OK)
        goto done;
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';

    st = build_canonical_request(req, add_token ? creds->session_token : NULL, &creq, &names);
    if (st != SIGV4_OK)
        goto done;

    if (hex_sha256(creq.data, creq.len, hex) != 0) {
        st = SIGV4_ERR_CRYPTO;
        goto done;
    }
    st = sbuf_puts(&sts, SIGV4_ALGORITHM "\n");
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, amz_date);
    if (st == SIGV4_OK)
        st = sbuf_putc(&sts, '\n');
    /* The credential scope, written once here and copied into the Authorization below. */
    scope_at = sts.len;
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, date8);
    if (st == SIGV4_OK)
        st = sbuf_putc(&sts, '/');
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, region);
    if (st == SIGV4_OK)
        st = sbuf_putc(&sts, '/');
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, service);
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, "/" SIGV4_TERMINATOR);
    scope_len = sts.len - scope_at;
    if (st == SIGV4_OK)
        st = sbuf_putc(&sts, '\n');
    if (st == SIGV4_OK)
        st = sbuf_puts(&sts, hex);
    if (st != SIGV4_OK)
        goto done;

    st = signing_key(creds->secret_access_key, date8, region, service, cache, key);
    if (st != SIGV4_OK)
        goto done;
    st = hmac_sha256(key, sizeof(key), sts.data, sts.len, md);
    if (st != SIGV4_OK)
        goto done;
    hex_encode(md, sizeof(md), hex);

    st = sbuf_puts(&authz, SIGV4_ALGORITHM " Credential=");
    if (st == SIGV4_OK)
        st = sbuf_puts(&authz, creds->access_key_id);
    if (st == SIGV4_OK)
        st = sbuf_putc(&authz, '/');
    if (st == SIGV4_OK)
        st = sbuf_add(&authz, sts.data + scope_at, scope_len);
    if (st == SIGV4_OK)
        st = sbuf_puts(&authz, ", SignedHeaders=");
    if (st == SIGV4_OK)
        st = sbuf_add(&authz, names.data, names.len);
    if (st == SIGV4_OK)
        st = sbuf_puts(&authz, ", Signature=");
    if (st == SIGV4_OK)
        st = sbuf_puts(&authz, hex);
    if (st != SIGV4_OK)
        goto done;

    out->canonical_request = creq.data;
    out->string_to_sign = sts.data;
    out->authorization = authz.data;
    creq.data = sts.data = authz.data = NULL;

done:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(md, sizeof(md));
    sbuf_free(&creq);
    sbuf_free(&names);
    sbuf_free(&sts);
    sbuf_free(&authz);
    return st;
}

void
sigv4_result_free(struct sigv4_result *res)
{
    if (res == NULL)
        return;
    free(res->canonical_request);
    free(res->string_to_sign);
    free(res->authorization);
    memset(res, 0, sizeof(*res));
}

void
sigv4_format_date(time_t t, char buf[17])
{
    struct tm tm;
    /* An empty string on failure: sigv4_sign rejects it rather than sign a wrong date. */
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        buf[0] = '\0';
}

/* --- the signer: one shape of request, nothing computed twice --- */

#define SIGNER_PART_MAX 64 /* region, service */

struct sigv4_signer {
    EVP_MD *sha256;
    EVP_MD_CTX *md;
    EVP_MAC *hmac;
    EVP_MAC_CTX *mac; /* keyed with the signing key of date8 and generation once keyed */
    int keyed;
    char date8[9];
    unsigned long generation;
    char region[SIGNER_PART_MAX];
    char service[SIGNER_PART_MAX];
    /* "date8/region/service/aws4_request", rewritten when the day changes */
    char scope[8 + 1 + SIGNER_PART_MAX + SIGNER_PART_MAX + sizeof(SIGV4_TERMINATOR) + 1];
    size_t scope_len;
    unsigned long derivations;
};

sigv4_status
sigv4_signer_new(const char *region, const char *service, struct sigv4_signer **out)
{
    struct sigv4_signer *s = NULL;
    sigv4_status st = SIGV4_ERR_CRYPTO;

    *out = NULL;
    if (!is_scope_part(region) || !is_scope_part(service) || strlen(region) >= SIGNER_PART_MAX ||
        strlen(service) >= SIGNER_PART_MAX)
        return SIGV4_ERR_INVALID;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return SIGV4_ERR_NOMEM;
    strcpy(s->region, region);
    strcpy(s->service, service);
    s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    s->md = EVP_MD_CTX_new();
    s->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (s->hmac != NULL)
        s->mac = EVP_MAC_CTX_new(s->hmac);
    if (s->sha256 == NULL || s->md == NULL || s->hmac == NULL || s->mac == NULL)
        goto out;
    *out = s;
    s = NULL;
    st = SIGV4_OK;
out:
    sigv4_signer_free(s);
    return st;
}

void
sigv4_signer_free(struct sigv4_signer *s)
{
    if (s == NULL)
        return;
    EVP_MAC_CTX_free(s->mac); /* it holds the key's pads; OpenSSL cleanses them */
    EVP_MAC_free(s->hmac);
    EVP_MD_CTX_free(s->md);
    EVP_MD_free(s->sha256);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

unsigned long
sigv4_signer_derivations(const struct sigv4_signer *s)
{
    return s != NULL ? s->derivations : 0;
}

/* Keys the MAC for date8 and generation unless it already is. */
static sigv4_status
signer_key(struct sigv4_signer *s, const char *secret, const char *date8, unsigned long generation)
{
    unsigned char key[SHA256_LEN];
    OSSL_PARAM params[2];
    sigv4_status st;
    int n;

    if (s->keyed && s->generation == generation && memcmp(s->date8, date8, 8) == 0)
        return SIGV4_OK;
    s->keyed = 0;
    st = derive_key(secret, date8, s->region, s->service, key);
    if (st != SIGV4_OK)
        return st;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(s->mac, key, sizeof(key), params) != 1)
        st = SIGV4_ERR_CRYPTO;
    OPENSSL_cleanse(key, sizeof(key));
    if (st != SIGV4_OK)
        return st;
    n = snprintf(s->scope, sizeof(s->scope), "%.8s/%s/%s/" SIGV4_TERMINATOR, date8, s->region,
                 s->service);
    if (n < 0 || (size_t)n >= sizeof(s->scope))
        return SIGV4_ERR_INVALID;
    s->scope_len = (size_t)n;
    memcpy(s->date8, date8, 8);
    s->date8[8] = '\0';
    s->generation = generation;
    s->keyed = 1;
    s->derivations++;
    return SIGV4_OK;
}

static int
md_add(EVP_MD_CTX *md, const char *p, size_t n)
{
    return EVP_DigestUpdate(md, p, n) == 1;
}

/* Adds value as add_folded writes it: trimmed, each run of white space one space. */
static int
md_add_folded(EVP_MD_CTX *md, const char *value)
{
    struct span sp = trimmed(value);
    size_t i = 0;

    while (i < sp.n) {
        size_t j = i;

        while (j < sp.n && !is_ws(sp.p[j]))
            j++;
        if (!md_add(md, sp.p + i, j - i))
            return 0;
        if (j == sp.n)
            break;
        while (is_ws(sp.p[j])) /* trimmed: a non-space follows */
            j++;
        if (!md_add(md, " ", 1))
            return 0;
        i = j;
    }
    return 1;
}

/* The lower-case hex SHA-256 of the canonical request, streamed: nothing is assembled. */
static sigv4_status
signer_canonical_hash(struct sigv4_signer *s, const struct sigv4_canonical *req, char hex[65])
{
    unsigned char md[SHA256_LEN];
    char body_hex[65];
    unsigned int mdlen = 0;
    int ok;

    ok = EVP_DigestInit_ex2(s->md, s->sha256, NULL) == 1 &&
         EVP_DigestUpdate(s->md, req->body != NULL ? req->body : "", req->body_len) == 1 &&
         EVP_DigestFinal_ex(s->md, md, &mdlen) == 1 && mdlen == SHA256_LEN;
    if (!ok)
        return SIGV4_ERR_CRYPTO;
    hex_encode(md, sizeof(md), body_hex);

    ok = EVP_DigestInit_ex2(s->md, s->sha256, NULL) == 1 &&
         md_add(s->md, req->method, strlen(req->method)) && md_add(s->md, "\n", 1) &&
         md_add(s->md, req->uri, strlen(req->uri)) && md_add(s->md, "\n\n", 2);
    for (size_t i = 0; ok && i < req->nheaders; i++)
        ok = md_add(s->md, req->headers[i].name, strlen(req->headers[i].name)) &&
             md_add(s->md, ":", 1) && md_add_folded(s->md, req->headers[i].value) &&
             md_add(s->md, "\n", 1);
    ok = ok && md_add(s->md, "\n", 1) &&
         md_add(s->md, req->signed_headers, strlen(req->signed_headers)) &&
         md_add(s->md, "\n", 1) && md_add(s->md, body_hex, 64) &&
         EVP_DigestFinal_ex(s->md, md, &mdlen) == 1 && mdlen == SHA256_LEN;
    if (!ok)
        return SIGV4_ERR_CRYPTO;
    hex_encode(md, sizeof(md), hex);
    return SIGV4_OK;
}

/* Appends n bytes at *at in buf of len bytes, keeping room for the NUL; 0 when full. */
static int
put(char *buf, size_t len, size_t *at, const char *p, size_t n)
{
    if (n >= len - *at)
        return 0;
    memcpy(buf + *at, p, n);
    *at += n;
    buf[*at] = '\0';
    return 1;
}

sigv4_status
sigv4_signer_sign(struct sigv4_signer *s, const struct sigv4_canonical *req,
                  const struct sigv4_credentials *creds, unsigned long generation,
                  const char *amz_date, char *authz, size_t authz_len)
{
    unsigned char md[SHA256_LEN];
    char creq_hex[65], sig[65];
    size_t mdlen = 0, at = 0;
    sigv4_status st;

    if (authz == NULL || authz_len == 0)
        return SIGV4_ERR_INVALID;
    authz[0] = '\0';
    if (s == NULL || req == NULL || creds == NULL || !is_token(req->method) || req->uri == NULL ||
        (req->nheaders > 0 && req->headers == NULL) || req->signed_headers == NULL ||
        (req->body == NULL && req->body_len > 0) || !is_scope_part(creds->access_key_id) ||
        creds->secret_access_key == NULL || !is_amz_date(amz_date))
        return SIGV4_ERR_INVALID;
    st = signer_key(s, creds->secret_access_key, amz_date, generation);
    if (st != SIGV4_OK)
        return st;
    st = signer_canonical_hash(s, req, creq_hex);
    if (st != SIGV4_OK)
        return st;

    /* The string to sign goes straight into the MAC, keyed once for the day. */
    if (EVP_MAC_init(s->mac, NULL, 0, NULL) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)SIGV4_ALGORITHM "\n",
                       sizeof(SIGV4_ALGORITHM)) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)amz_date, 16) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)"\n", 1) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)s->scope, s->scope_len) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)"\n", 1) != 1 ||
        EVP_MAC_update(s->mac, (const unsigned char *)creq_hex, 64) != 1 ||
        EVP_MAC_final(s->mac, md, &mdlen, sizeof(md)) != 1 || mdlen != SHA256_LEN) {
        OPENSSL_cleanse(md, sizeof(md));
        return SIGV4_ERR_CRYPTO;
    }
    hex_encode(md, sizeof(md), sig);
    OPENSSL_cleanse(md, sizeof(md));

    if (!put(authz, authz_len, &at,
             SIGV4_ALGORITHM " Credential=", sizeof(SIGV4_ALGORITHM " Credential=") - 1) ||
        !put(authz, authz_len, &at, creds->access_key_id, strlen(creds->access_key_id)) ||
        !put(authz, authz_len, &at, "/", 1) ||
        !put(authz, authz_len, &at, s->scope, s->scope_len) ||
        !put(authz, authz_len, &at, ", SignedHeaders=", 16) ||
        !put(authz, authz_len, &at, req->signed_headers, strlen(req->signed_headers)) ||
        !put(authz, authz_len, &at, ", Signature=", 12) || !put(authz, authz_len, &at, sig, 64)) {
        authz[0] = '\0';
        return SIGV4_ERR_INVALID;
    }
    return SIGV4_OK;
}
