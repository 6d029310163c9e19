/* The reference SigV4 signer: canonicalises any request as the specification says (URI
 * normalised and encoded, query sorted, headers folded), with a signing-key cache. DynamoDB
 * requests go through the signer of sigv4.c; the tests check that one against this one and
 * this one against AWS's test vectors. */
#include "sigv4.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "sigv4_parts.h"
#include "sigv4_test.h"
#include "util/hex.h"

/* A growing NUL-terminated string; data is handed to the caller on success. */
struct sbuf {
    char *data;
    size_t len;
    size_t cap;
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
span_equals(struct span sp, const char *s)
{
    return strlen(s) == sp.n && memcmp(sp.p, s, sp.n) == 0;
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
        st = sigv4_derive_key(secret, date8, region, service, key);
        goto done;
    }
    st = sigv4_sha256(secret, strlen(secret), digest);
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
    st = sigv4_derive_key(secret, date8, region, service, key);
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
    struct span sp = sigv4_trimmed(value);
    sigv4_status st = SIGV4_OK;
    for (size_t i = 0; i < sp.n && st == SIGV4_OK; i++) {
        if (!sigv4_is_ws(sp.p[i])) {
            st = sbuf_putc(out, sp.p[i]);
        } else if (!sigv4_is_ws(sp.p[i - 1])) {
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
        if (!sigv4_is_token(hd->name) || hd->value == NULL)
            return SIGV4_ERR_INVALID;
        struct span v = sigv4_trimmed(hd->value);
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
    if (req == NULL || creds == NULL || !sigv4_is_token(req->method) || req->path == NULL ||
        (req->body == NULL && req->body_len > 0) || !sigv4_is_scope_part(creds->access_key_id) ||
        creds->secret_access_key == NULL || !sigv4_is_scope_part(region) ||
        !sigv4_is_scope_part(service) || !sigv4_is_amz_date(amz_date)) {
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
    st = sigv4_hmac_sha256(key, sizeof(key), sts.data, sts.len, md);
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
