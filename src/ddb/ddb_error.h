/* DynamoDB client errors: one status type for the whole ddb layer. */
#ifndef SAVEALIFE_DDB_ERROR_H
#define SAVEALIFE_DDB_ERROR_H

#include <stddef.h>

/* Every ddb_ function that can fail returns one of these; DDB_OK is 0. */
typedef enum {
    DDB_OK = 0,
    DDB_ERR_NOMEM,          /* an allocation failed */
    DDB_ERR_INVALID,        /* the caller's input is invalid (checked locally, nothing sent) */
    DDB_ERR_ITEM_TOO_LARGE, /* item over 400 KB, rejected before sending */
    DDB_ERR_CONFIG,         /* region, endpoint or credentials missing or malformed */
    DDB_ERR_CREDENTIALS,    /* no credentials could be found or refreshed */
    DDB_ERR_CONNECT,        /* could not connect (refused, DNS, unreachable) */
    DDB_ERR_TIMEOUT,        /* the call ran past its deadline */
    DDB_ERR_TLS,            /* TLS handshake or certificate verification failed */
    DDB_ERR_TRANSPORT,      /* any other transport failure (reset, bad response) */
    DDB_ERR_CRC32,          /* x-amz-crc32 did not match the body (after retries) */
    DDB_ERR_BAD_RESPONSE,   /* the service's answer was not the JSON expected */
    DDB_ERR_CONDITIONAL,    /* ConditionalCheckFailedException */
    DDB_ERR_VALIDATION,     /* ValidationException */
    DDB_ERR_NOT_FOUND,      /* ResourceNotFoundException (table or index) */
    DDB_ERR_IN_USE,         /* ResourceInUseException (e.g. table exists) */
    DDB_ERR_THROTTLED,      /* throttling, still throttled after retries */
    DDB_ERR_TRANSACTION,    /* TransactionConflict/TransactionCanceled */
    DDB_ERR_AUTH,           /* signature, token or access errors (never retried) */
    DDB_ERR_SERVICE,        /* a 5xx from the service after retries */
    DDB_ERR_STOPPED,        /* the owner's go-on hook stopped the call (DynamoDB is out of
                               reach, its breaker says): nothing more was sent */
    DDB_ERR_CLIENT,         /* any other 4xx the service returned */
} ddb_status;

/* Details of the last failure of a call; filled by every ddb_ function that fails. */
struct ddb_error {
    ddb_status status;
    int http_status;   /* 0 when no HTTP answer was received */
    char type[128];    /* AWS error type, the part after '#' of __type; "" if none */
    char message[512]; /* AWS message, or a description of a local/transport failure */
    int attempts;      /* HTTP attempts made for the call (1 = no retry) */
    int maybe_applied; /* a write's attempt may have been applied although the call failed (sent,
                          then timed out, lost or answered with a bad CRC): its outcome is
                          unknown, so it was not sent again; status keeps what went wrong */
};

/* Short stable name of a status ("conditional", "throttled", ...), for logs and tests. */
const char *ddb_error_name(ddb_status status);

/* Clears an error to DDB_OK. */
void ddb_error_clear(struct ddb_error *err);

/* Sets status and a printf-style message; returns status for `return ddb_error_set(...)`. */
ddb_status ddb_error_set(struct ddb_error *err, ddb_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses an AWS JSON 1.0 error body (as sent with a non-2xx status) into err: type from
 * "__type" after the last '#', message from "message" or "Message", and status mapped from
 * the type and http_status. Unparseable bodies still yield a status from http_status. */
void ddb_error_from_response(struct ddb_error *err, int http_status, const char *body,
                             size_t body_len);

/* Whether a failed attempt with this error may be retried: throttling, 5xx, connection
 * and transport errors, CRC mismatches. Never conditional, validation and the like. */
int ddb_error_is_retryable(const struct ddb_error *err);

/* Whether a failed attempt may have been applied by the service: it was sent (sent is 0 only
 * when no byte of it left, as for a refused connection) and nothing in the answer says it was
 * refused: a timeout or a connection lost after sending, a CRC mismatch, a 2xx that was not
 * understood, a 5xx without an AWS error body (a proxy's page). Throttling, a 5xx with an AWS
 * error type and every 4xx are answers of the service: not applied. */
int ddb_error_maybe_applied(const struct ddb_error *err, int sent);

/* Whether the error type is a throttling one (for the client's throttle counter). */
int ddb_error_is_throttle(const struct ddb_error *err);

#endif
