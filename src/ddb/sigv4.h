/* AWS Signature Version 4 (header-based) with OpenSSL. */
#ifndef SAVEALIFE_SIGV4_H
#define SAVEALIFE_SIGV4_H

#include <stddef.h>
#include <time.h>

/* One request header as sent; names in any case, may repeat, values untrimmed. */
struct sigv4_header {
    const char *name;
    const char *value;
};

/* The request to sign. path is the raw path as on the request line (may hold UTF-8 or
 * spaces: it is normalised and URI-encoded as SigV4 says for non-S3 services). query is the
 * raw query string without '?', or NULL. headers must include Host and X-Amz-Date. */
struct sigv4_request {
    const char *method;
    const char *path;
    const char *query;
    const struct sigv4_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
};

struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none; the caller adds X-Amz-Security-Token */
};

/* Cached signing key, for one date, region, service and secret. Zero-initialise it. The
 * secret itself is not kept: only a SHA-256 digest of it, to tell when it changed. */
struct sigv4_key_cache {
    int valid;
    char date[9];
    char region[64];
    char service[64];
    unsigned char secret_digest[32];
    unsigned char key[32];
    unsigned long hits; /* for tests: signings that reused the cached key */
};

/* The products of signing; each string is malloc'd and NUL-terminated. */
struct sigv4_result {
    char *canonical_request;
    char *string_to_sign;
    char *authorization; /* the Authorization header value */
};

typedef enum {
    SIGV4_OK = 0,
    SIGV4_ERR_NOMEM,
    SIGV4_ERR_INVALID, /* missing header, bad date, or malformed input */
    SIGV4_ERR_CRYPTO,  /* OpenSSL failed */
} sigv4_status;

/* Signs req for region and service at amz_date ("YYYYMMDDTHHMMSSZ", which must equal the
 * X-Amz-Date header). cache may be NULL. On success fills out; free it with
 * sigv4_result_free. */
sigv4_status sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
                        const char *region, const char *service, const char *amz_date,
                        struct sigv4_key_cache *cache, struct sigv4_result *out);

/* A request whose canonical form the caller has built: uri already canonical ("/"), no query,
 * headers with lower-case names, sorted by name, each name once, and signed_headers those
 * names joined by ';'. Values are folded as sigv4_sign folds them. Signing one gives exactly
 * what sigv4_sign gives for the same request. */
struct sigv4_canonical {
    const char *method;
    const char *uri;
    const struct sigv4_header *headers;
    size_t nheaders;
    const char *signed_headers;
    const void *body;
    size_t body_len;
};

/* Signs the requests of one region and service with what is the same for each computed once:
 * OpenSSL's digest and MAC (fetched once, their contexts reused), the credential scope and the
 * signing key of a day and a generation of credentials. Wiped when freed. */
struct sigv4_signer;

/* A signer for region and service; SIGV4_ERR_INVALID if either cannot be in a scope. */
sigv4_status sigv4_signer_new(const char *region, const char *service, struct sigv4_signer **out);

/* Writes the Authorization value for req at amz_date (equal to its x-amz-date header) into
 * authz (authz_len bytes; SIGV4_ERR_INVALID if it does not fit). generation stands for the
 * credentials: the key is derived again when it or the day changes, so the caller must change
 * it whenever the secret changes. */
sigv4_status sigv4_signer_sign(struct sigv4_signer *s, const struct sigv4_canonical *req,
                               const struct sigv4_credentials *creds, unsigned long generation,
                               const char *amz_date, char *authz, size_t authz_len);

/* How many signing keys the signer has derived (for tests: once per day and generation). */
unsigned long sigv4_signer_derivations(const struct sigv4_signer *s);

/* Frees the signer, wiping its key. NULL is allowed. */
void sigv4_signer_free(struct sigv4_signer *s);

/* Frees the strings of a result and zeroes it. */
void sigv4_result_free(struct sigv4_result *res);

/* Formats t as an X-Amz-Date value into buf (at least 17 bytes). */
void sigv4_format_date(time_t t, char buf[17]);

#endif
