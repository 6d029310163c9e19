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

struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none; the caller adds X-Amz-Security-Token */
};

typedef enum {
    SIGV4_OK = 0,
    SIGV4_ERR_NOMEM,
    SIGV4_ERR_INVALID, /* missing header, bad date, or malformed input */
    SIGV4_ERR_CRYPTO,  /* OpenSSL failed */
} sigv4_status;

/* A request whose canonical form the caller has built: uri already canonical ("/"), no query,
 * headers with lower-case names, sorted by name, each name once, and signed_headers those
 * names joined by ';'. Values are folded as the reference signer (sigv4_test.h) folds them,
 * and signing one gives exactly what it gives for the same request. */
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

/* Frees the signer, wiping its key. NULL is allowed. */
void sigv4_signer_free(struct sigv4_signer *s);

/* Formats t as an X-Amz-Date value into buf (at least 17 bytes). */
void sigv4_format_date(time_t t, char buf[17]);

#endif
