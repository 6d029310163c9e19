/* The DynamoDB client of a worker: made once after fork from the environment (region,
 * endpoint, credentials source), with its transport, signer and answer parser; its
 * figures, hooks and deadline. Calls go through it in ddb_call.c. */
#include "ddb/ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_client_state.h"

#define DDB_DEFAULT_ATTEMPT_MS 10000L
#define DDB_SERVICE "dynamodb"
/* Items nest 32 levels, each two JSON objects deep ({"M":{...}}), inside the answer's own. */
#define DDB_JSON_DEPTH 128

/* Fills each unset (non-positive) field of the retry policy from the defaults. */
static void
policy_complete(struct retry_policy *p, const struct retry_policy *given)
{
    struct retry_policy d;

    retry_policy_default(&d);
    *p = d;
    if (given == NULL)
        return;
    if (given->max_attempts > 0)
        p->max_attempts = given->max_attempts;
    if (given->base_ms > 0)
        p->base_ms = given->base_ms;
    if (given->cap_ms > 0)
        p->cap_ms = given->cap_ms;
    if (given->total_ms > 0)
        p->total_ms = given->total_ms;
}

ddb_status
ddb_client_new(const struct ddb_options *opts, struct ddb_client **out, struct ddb_error *err)
{
    struct transport_options topts;
    struct ddb_client *c = NULL;
    const char *ca_file;
    ddb_status st;

    ddb_error_clear(err);
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory for the client");
        goto out;
    }
    policy_complete(&c->retry, opts != NULL ? &opts->retry : NULL);
    c->attempt_timeout_ms = opts != NULL && opts->attempt_timeout_ms > 0 ? opts->attempt_timeout_ms
                                                                         : DDB_DEFAULT_ATTEMPT_MS;
    retry_seed(&c->rnd);

    st = endpoint_resolve(&c->ep, err);
    if (st != DDB_OK)
        goto out;
    snprintf(c->url, sizeof(c->url), "%s/", c->ep.url);
    snprintf(c->host_line, sizeof(c->host_line), "%s%s", DDB_HOST_HEADER, c->ep.host);
    st = ddb_status_from_sigv4(sigv4_signer_new(c->ep.region, DDB_SERVICE, &c->signer), err);
    if (st != DDB_OK)
        goto out;
    c->tok = json_tokener_new_ex(DDB_JSON_DEPTH);
    if (c->tok == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory for the JSON parser");
        goto out;
    }
    json_tokener_set_flags(c->tok, JSON_TOKENER_STRICT);

    ca_file = opts != NULL ? opts->ca_file : NULL;
    if (ca_file == NULL || ca_file[0] == '\0')
        ca_file = getenv("AWS_CA_BUNDLE");
    memset(&topts, 0, sizeof(topts));
    topts.ca_file = ca_file != NULL && ca_file[0] != '\0' ? ca_file : NULL;
    topts.connect_timeout_ms = opts != NULL ? opts->connect_timeout_ms : 0;
    /* Also runs curl_global_init, once per process. */
    st = transport_new(&topts, &c->transport, err);
    if (st != DDB_OK)
        goto out;
    st = creds_provider_new(NULL, c->transport, &c->creds, err);
    if (st != DDB_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    ddb_client_free(c);
    return st;
}

void
ddb_client_free(struct ddb_client *c)
{
    if (c == NULL)
        return;
    creds_provider_free(c->creds);
    transport_free(c->transport);
    sigv4_signer_free(c->signer); /* wipes the signing key */
    if (c->tok != NULL)
        json_tokener_free(c->tok);
    /* The token's line is a copy of a secret. */
    explicit_bzero(c, sizeof(*c));
    free(c);
}

void
ddb_client_stats(const struct ddb_client *c, struct ddb_stats *out)
{
    if (c == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = c->stats;
}

void
ddb_client_set_hooks(struct ddb_client *c, const struct ddb_hooks *hooks)
{
    if (c == NULL)
        return;
    if (hooks != NULL)
        c->hooks = *hooks;
    else
        memset(&c->hooks, 0, sizeof(c->hooks));
}

void
ddb_client_set_deadline(struct ddb_client *c, uint64_t deadline_ms)
{
    if (c != NULL)
        c->request_deadline_ms = deadline_ms;
}

uint64_t
ddb_client_deadline(const struct ddb_client *c)
{
    return c != NULL ? c->request_deadline_ms : 0;
}

const char *
ddb_client_endpoint(const struct ddb_client *c)
{
    return c != NULL ? c->ep.url : "";
}

const char *
ddb_client_region(const struct ddb_client *c)
{
    return c != NULL ? c->ep.region : "";
}
