/* AWS credentials: environment, shared credentials file, EC2 instance metadata (IMDSv2). */
#ifndef SAVEALIFE_CREDS_H
#define SAVEALIFE_CREDS_H

#include <time.h>

#include "ddb_error.h"
#include "transport.h"

struct creds {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[4096]; /* "" when none */
    time_t expiration;        /* 0 when they do not expire */
    const char *source;       /* "env", "shared-file", "imds" */
};

struct creds_provider;

struct creds_options {
    long imds_timeout_ms;  /* each metadata request; 0: 1000 */
    long refresh_margin_s; /* refresh this long before Expiration; 0: 300 */
};

/* Creates a provider; nothing is read until the first creds_provider_get. The transport's
 * TRANSPORT_SLOT_IMDS handle is used for the metadata service; t must outlive the provider. */
ddb_status creds_provider_new(const struct creds_options *opts, struct transport *t,
                              struct creds_provider **out, struct ddb_error *err);

/* The current credentials, first found wins: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * (/AWS_SESSION_TOKEN); the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials, profile AWS_PROFILE or "default"); IMDSv2 (endpoint
 * AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254, skipped when
 * AWS_EC2_METADATA_DISABLED=true), refreshed refresh_margin_s before their Expiration.
 * DDB_ERR_CREDENTIALS when none are found. *out points at the provider's own credentials,
 * valid until the next call into the provider (a refresh rewrites them in place), and
 * *generation changes whenever they do, so what is derived from them (a signing key, a header
 * line) is kept while it stays the same. */
ddb_status creds_provider_current(struct creds_provider *p, const struct creds **out,
                                  unsigned long *generation, struct ddb_error *err);

/* Frees the provider and wipes the credentials it held. NULL is allowed. */
void creds_provider_free(struct creds_provider *p);

/* Overwrites the secret parts of c with zeros. */
void creds_wipe(struct creds *c);

#endif
