/* AWS Signature Version 4 (header-based), for non-S3 services: the signer DynamoDB requests
 * go through, and the checks and digests it shares with the reference signer
 * (sigv4_reference.c). */
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

#include "sigv4_parts.h"
#include "sigv4_test.h"
#include "util/hex.h"

int
sigv4_is_ws(char c)
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

int
sigv4_is_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* Region, service and key id go into the credential scope: no separators or controls. */
int
sigv4_is_scope_part(const char *s)
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

int
sigv4_is_amz_date(const char *s)
{
    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

struct span
sigv4_trimmed(const char *s)
{
    struct span sp = {s, strlen(s)};
    while (sp.n > 0 && sigv4_is_ws(sp.p[0])) {
        sp.p++;
        sp.n--;
    }
    while (sp.n > 0 && sigv4_is_ws(sp.p[sp.n - 1]))
        sp.n--;
    return sp;
}

sigv4_status
sigv4_sha256(const void *data, size_t len, unsigned char md[SHA256_LEN])
{
    unsigned int mdlen = 0;
    if (EVP_Digest(data != NULL ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != SHA256_LEN)
        return SIGV4_ERR_CRYPTO;
    return SIGV4_OK;
}

sigv4_status
sigv4_hmac_sha256(const void *key, size_t key_len, const char *data, size_t len,
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
sigv4_status
sigv4_derive_key(const char *secret, const char *date8, const char *region, const char *service,
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

    st = sigv4_hmac_sha256(ksecret, slen + 4, date8, 8, k1);
    if (st == SIGV4_OK)
        st = sigv4_hmac_sha256(k1, sizeof(k1), region, strlen(region), k2);
    if (st == SIGV4_OK)
        st = sigv4_hmac_sha256(k2, sizeof(k2), service, strlen(service), k3);
    if (st == SIGV4_OK)
        st = sigv4_hmac_sha256(k3, sizeof(k3), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);

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
    if (!sigv4_is_scope_part(region) || !sigv4_is_scope_part(service) ||
        strlen(region) >= SIGNER_PART_MAX || strlen(service) >= SIGNER_PART_MAX)
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
    st = sigv4_derive_key(secret, date8, s->region, s->service, key);
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
    struct span sp = sigv4_trimmed(value);
    size_t i = 0;

    while (i < sp.n) {
        size_t j = i;

        while (j < sp.n && !sigv4_is_ws(sp.p[j]))
            j++;
        if (!md_add(md, sp.p + i, j - i))
            return 0;
        if (j == sp.n)
            break;
        while (sigv4_is_ws(sp.p[j])) /* trimmed: a non-space follows */
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
    if (s == NULL || req == NULL || creds == NULL || !sigv4_is_token(req->method) ||
        req->uri == NULL || (req->nheaders > 0 && req->headers == NULL) ||
        req->signed_headers == NULL || (req->body == NULL && req->body_len > 0) ||
        !sigv4_is_scope_part(creds->access_key_id) || creds->secret_access_key == NULL ||
        !sigv4_is_amz_date(amz_date))
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
