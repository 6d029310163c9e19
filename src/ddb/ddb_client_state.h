/* The DynamoDB client's state and a call's, shared by the client's lifecycle (ddb_client.c),
 * its calls (ddb_call.c) and their signing (ddb_sign.c). Private to those files: nothing else
 * includes it. */
#ifndef SAVEALIFE_DDB_CLIENT_STATE_H
#define SAVEALIFE_DDB_CLIENT_STATE_H

#include <stdint.h>

#include <json-c/json.h>

#include "ddb/creds.h"
#include "ddb/ddb.h"
#include "ddb/endpoint.h"
#include "ddb/retry.h"
#include "ddb/sigv4.h"
#include "ddb/transport.h"

#define DDB_HOST_HEADER "Host: "
#define DDB_TOKEN_HEADER "X-Amz-Security-Token: "

#define DDB_TARGET_PREFIX "DynamoDB_20120810."
#define DDB_MAX_OPERATION 64
/* Host, Content-Type, X-Amz-Target, X-Amz-Date, X-Amz-Security-Token, Authorization. */
#define DDB_MAX_HEADERS 6
#define DDB_TARGET_HEADER "X-Amz-Target: "
#define DDB_DATE_HEADER "X-Amz-Date: "
#define DDB_AUTHZ_HEADER "Authorization: "
/* "AWS4-HMAC-SHA256 Credential=" key id (< 128) "/" scope (< 150) ", SignedHeaders=" list
 * (< 70) ", Signature=" 64 hex digits. */
#define DDB_MAX_AUTHZ 512

/* One attempt of one call, signed and ready to send. The lines point into it and into the
 * client (the constant lines and the token's), so nothing is allocated per attempt. */
struct signed_req {
    const char *lines[DDB_MAX_HEADERS];
    size_t nlines;
    char target[sizeof(DDB_TARGET_HEADER DDB_TARGET_PREFIX) + DDB_MAX_OPERATION];
    char date[sizeof(DDB_DATE_HEADER) + 16];
    char authz[sizeof(DDB_AUTHZ_HEADER) + DDB_MAX_AUTHZ];
    struct transport_request req;
};

/* The state of one call across its attempts (ddb_call and each of ddb_call_parallel). */
struct call {
    char *body; /* the serialised request */
    size_t body_len;
    int attempts;
    int done;
    long wait_ms; /* backoff before its next attempt */
    json_object *response;
    json_object *failure_body; /* a write's ConditionalCheckFailed answer (may hold the Item) */
    int repeatable;            /* retry_repeatable(): may be sent again after any failure */
    int page;                  /* Query, Scan or a batch: a longer attempt timeout */
    struct ddb_error *err;
    struct signed_req sreq;
};

struct ddb_client {
    struct endpoint ep;
    char url[sizeof(((struct endpoint *)0)->url) + 1]; /* ep.url + "/" */
    long attempt_timeout_ms;
    struct retry_policy retry;
    struct transport *transport;
    struct creds_provider *creds;
    struct sigv4_signer *signer; /* scope, signing key and OpenSSL contexts, made once */
    char host_line[sizeof(DDB_HOST_HEADER) + sizeof(((struct endpoint *)0)->host)];
    /* "X-Amz-Security-Token: ..." of credentials generation token_generation, in
     * token_lines[token_cur], built only when they change ("" when they have no token). The
     * line of the generation before stays as it was: calls of a parallel round signed before a
     * refresh (which happens in call_sign) still point at it. Wiped with the client. */
    char token_lines[2][sizeof(DDB_TOKEN_HEADER) + sizeof(((struct creds *)0)->session_token)];
    int token_cur;
    unsigned long token_generation;
    int token_built;
    struct json_tokener *tok; /* the answers' parser, reset for each */
    uint64_t rnd;
    struct ddb_stats stats;
    uint64_t request_deadline_ms; /* CLOCK_MONOTONIC ms the request must end by; 0: none */
    struct ddb_hooks hooks;
};

/* ddb_sign.c: a signer's status as the client's, with a message. */
ddb_status ddb_status_from_sigv4(sigv4_status s, struct ddb_error *err);
/* ddb_sign.c: forgets an attempt's lines. */
void signed_req_free(struct signed_req *s);
/* ddb_sign.c: builds and signs one attempt of call with the current credentials and time. */
ddb_status call_sign(struct ddb_client *c, const char *operation, struct call *call,
                     long timeout_ms, struct ddb_error *err);

#endif
