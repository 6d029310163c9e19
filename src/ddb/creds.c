/* The AWS credentials chain and its first link, the environment; the shared credentials file
 * (creds_file.c) and EC2 instance metadata, IMDSv2 (creds_imds.c), are the others.
 * Secrets are copied only into struct creds and wiped from every buffer we own once used; no
 * error message ever carries a key, a secret, a session token or an IMDS token. */
#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "creds_chain.h"
#include "creds_test.h"

#define DEFAULT_IMDS_TIMEOUT_MS 1000
#define DEFAULT_REFRESH_MARGIN_S 300

/* An empty variable counts as unset, as `AWS_PROFILE=` in an env file means "not set". */
const char *
creds_env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Whether s is ASCII text with no control character: what the session token, which becomes
 * the x-amz-security-token header line, may hold, so that it cannot end its line and add
 * another. */
int
creds_header_safe(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

/* Copies a NUL-terminated value into a fixed field; 0 if it does not fit. */
int
creds_copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

void
creds_wipe(struct creds *c)
{
    if (c == NULL)
        return;
    OPENSSL_cleanse(c, sizeof(*c));
    c->source = NULL;
}

/* --- environment --- */

static ddb_status
env_read(struct creds *out, int *found, struct ddb_error *err)
{
    const char *id = creds_env("AWS_ACCESS_KEY_ID");
    const char *secret = creds_env("AWS_SECRET_ACCESS_KEY");
    const char *token = creds_env("AWS_SESSION_TOKEN");

    *found = 0;
    if (id == NULL && secret == NULL)
        return DDB_OK;
    /* Half a pair is a mistake, not "no credentials": falling through to another source
     * would sign with credentials the operator did not mean. */
    if (id == NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (secret == NULL)
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    if (!creds_copy_field(out->access_key_id, sizeof(out->access_key_id), id))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_ACCESS_KEY_ID is too long");
    if (!creds_copy_field(out->secret_access_key, sizeof(out->secret_access_key), secret))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_SECRET_ACCESS_KEY is too long");
    if (token == NULL)
        token = "";
    if (!creds_copy_field(out->session_token, sizeof(out->session_token), token))
        return ddb_error_set(err, DDB_ERR_CONFIG, "AWS_SESSION_TOKEN is too long");
    if (!creds_header_safe(token))
        return ddb_error_set(err, DDB_ERR_CONFIG,
                             "AWS_SESSION_TOKEN holds a control or non-ASCII character");
    out->expiration = 0;
    out->source = "env";
    *found = 1;
    return DDB_OK;
}

/* --- provider --- */

ddb_status
creds_provider_new(const struct creds_options *opts, struct transport *t,
                   struct creds_provider **out, struct ddb_error *err)
{
    struct creds_provider *p;

    if (out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_new: NULL out");
    *out = NULL;
    if (opts != NULL && (opts->imds_timeout_ms < 0 || opts->refresh_margin_s < 0))
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_new: negative option");
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory creating credentials provider");
    p->t = t;
    p->imds_timeout_ms =
        opts != NULL && opts->imds_timeout_ms > 0 ? opts->imds_timeout_ms : DEFAULT_IMDS_TIMEOUT_MS;
    p->refresh_margin_s = opts != NULL && opts->refresh_margin_s > 0 ? opts->refresh_margin_s
                                                                     : DEFAULT_REFRESH_MARGIN_S;
    *out = p;
    return DDB_OK;
}

/* Makes p->cur current: the chain walked on first use, metadata credentials refreshed when
 * due. */
static ddb_status
provider_refresh(struct creds_provider *p, struct ddb_error *err)
{
    struct creds c;
    char file_why[384] = "";
    char imds_why[sizeof(err->message)];
    int found = 0;
    ddb_status st;

    if (err != NULL)
        err->http_status = 0; /* set below only when the metadata service answered */
    /* Keys from the environment or a file do not change while we run (a worker is replaced
     * after max_requests anyway): read once, then served from memory. */
    if (p->have && !p->from_imds)
        return DDB_OK;
    if (p->have)
        return creds_imds_get(p, err);

    memset(&c, 0, sizeof(c));
    st = env_read(&c, &found, err);
    if (st == DDB_OK && !found)
        st = creds_file_source(&c, &found, file_why, sizeof(file_why), err);
    if (st != DDB_OK)
        goto done;
    if (found) {
        creds_wipe(&p->cur);
        p->cur = c;
        p->have = 1;
        p->from_imds = 0;
        p->generation++;
        goto done;
    }
    if (creds_imds_disabled()) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "no AWS credentials: AWS_ACCESS_KEY_ID is not set, %s, and instance "
                           "metadata is disabled by AWS_EC2_METADATA_DISABLED",
                           file_why);
        goto done;
    }
    st = creds_imds_get(p, err);
    if (st == DDB_ERR_CREDENTIALS && err != NULL) {
        int http_status = err->http_status;
        snprintf(imds_why, sizeof(imds_why), "%s", err->message);
        st = ddb_error_set(err, st, "no AWS credentials: AWS_ACCESS_KEY_ID is not set, %s, and %s",
                           file_why, imds_why);
        err->http_status = http_status;
    }
done:
    creds_wipe(&c);
    return st;
}

ddb_status
creds_provider_get(struct creds_provider *p, struct creds *out, struct ddb_error *err)
{
    ddb_status st;

    if (p == NULL || out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_get: NULL argument");
    st = provider_refresh(p, err);
    if (st == DDB_OK)
        *out = p->cur;
    return st;
}

ddb_status
creds_provider_current(struct creds_provider *p, const struct creds **out,
                       unsigned long *generation, struct ddb_error *err)
{
    ddb_status st;

    if (p == NULL || out == NULL || generation == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_provider_current: NULL argument");
    *out = NULL;
    st = provider_refresh(p, err);
    if (st == DDB_OK)
        *out = &p->cur;
    *generation = p->generation;
    return st;
}

void
creds_provider_free(struct creds_provider *p)
{
    if (p == NULL)
        return;
    creds_wipe(&p->cur);
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}
