/* The DynamoDB client's state, shared by its lifecycle (ddb_client.c) and its calls
 * (ddb_call.c). Private to those two files: nothing else includes it. */
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

/* ddb_call.c: a signer's status as the client's, with a message. */
ddb_status ddb_status_from_sigv4(sigv4_status s, struct ddb_error *err);

#endif
