/* What the signer (sigv4.c) and the reference signer (sigv4_reference.c) share. Private to
 * those two files: nothing else includes it. */
#ifndef SAVEALIFE_SIGV4_PARTS_H
#define SAVEALIFE_SIGV4_PARTS_H

#include <stddef.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_LEN 32

/* A span of an input string, not NUL-terminated. */
struct span {
    const char *p;
    size_t n;
};

/* White space a header value may be folded at (CR and LF included). */
int sigv4_is_ws(char c);
/* Whether s is a non-empty RFC 7230 token: a method or a header name. */
int sigv4_is_token(const char *s);
/* Whether s may stand in a credential scope: non-empty, no separator or control. */
int sigv4_is_scope_part(const char *s);
/* Whether s is an X-Amz-Date value, YYYYMMDDTHHMMSSZ. */
int sigv4_is_amz_date(const char *s);
/* s without leading and trailing white space (is_ws). */
struct span sigv4_trimmed(const char *s);
/* SHA-256 of data. */
sigv4_status sigv4_sha256(const void *data, size_t len, unsigned char md[SHA256_LEN]);
/* HMAC-SHA256 of data under key. */
sigv4_status sigv4_hmac_sha256(const void *key, size_t key_len, const char *data, size_t len,
                               unsigned char md[SHA256_LEN]);
/* The HMAC chain from "AWS4" + secret down to the signing key of a day, region and service. */
sigv4_status sigv4_derive_key(const char *secret, const char *date8, const char *region,
                              const char *service, unsigned char key[SHA256_LEN]);

#endif
