/* What only the tests use of the SigV4 code: the reference signer of sigv4_reference.c, which
 * canonicalises any request as the specification says, and a count of the signer's key
 * derivations. Included by sigv4*.c and the tests, never by the service's other code. */
#ifndef SAVEALIFE_SIGV4_TEST_H
#define SAVEALIFE_SIGV4_TEST_H

#include <stddef.h>

#include "sigv4.h"

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

/* Signs req for region and service at amz_date ("YYYYMMDDTHHMMSSZ", which must equal the
 * X-Amz-Date header). cache may be NULL. On success fills out; free it with
 * sigv4_result_free. */
sigv4_status sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
                        const char *region, const char *service, const char *amz_date,
                        struct sigv4_key_cache *cache, struct sigv4_result *out);

/* Frees the strings of a result and zeroes it. */
void sigv4_result_free(struct sigv4_result *res);

/* How many signing keys the signer has derived (for tests: once per day and generation). */
unsigned long sigv4_signer_derivations(const struct sigv4_signer *s);

#endif
