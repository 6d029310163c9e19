/* The signed header lines of one attempt of a DynamoDB call: the constant lines made with the
 * client, the target, the date, the session token's line (built when the credentials change)
 * and the Authorization from the client's signer. */
#include "ddb/ddb.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ddb/creds.h"
#include "ddb/sigv4.h"
#include "ddb/transport.h"
#include "ddb_client_state.h"

#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"
#define DDB_CONTENT_TYPE_LINE "Content-Type: " DDB_CONTENT_TYPE
/* The signed headers, sorted, as signed (the header lines are sent in their own order). */
#define DDB_SIGNED_HEADERS "content-type;host;x-amz-date;x-amz-target"
#define DDB_SIGNED_HEADERS_TOKEN "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"

/* Forgets an attempt's lines: none is owned, and the token's line belongs to the client. */
void
signed_req_free(struct signed_req *s)
{
    s->nlines = 0;
    memset(&s->req, 0, sizeof(s->req));
}

ddb_status
ddb_status_from_sigv4(sigv4_status s, struct ddb_error *err)
{
    switch (s) {
    case SIGV4_OK:
        return DDB_OK;
    case SIGV4_ERR_NOMEM:
        return ddb_error_set(err, DDB_ERR_NOMEM, "signing: out of memory");
    case SIGV4_ERR_INVALID:
        return ddb_error_set(err, DDB_ERR_INVALID, "signing: the request could not be signed");
    default:
        return ddb_error_set(err, DDB_ERR_CONFIG, "signing: OpenSSL failed");
    }
}

/* The token's header line for the credentials of generation gen, built when they change. */
static ddb_status
token_line_update(struct ddb_client *c, const struct creds *cr, unsigned long gen,
                  struct ddb_error *err)
{
    char *line;
    int n;

    if (c->token_built && c->token_generation == gen)
        return DDB_OK;
    c->token_cur ^= 1; /* the other buffer: it held the generation before the last */
    line = c->token_lines[c->token_cur];
    explicit_bzero(line, sizeof(c->token_lines[0]));
    c->token_built = 0;
    if (cr->session_token[0] != '\0') {
        n = snprintf(line, sizeof(c->token_lines[0]), "%s%s", DDB_TOKEN_HEADER, cr->session_token);
        if (n < 0 || (size_t)n >= sizeof(c->token_lines[0])) {
            explicit_bzero(line, sizeof(c->token_lines[0]));
            return ddb_error_set(err, DDB_ERR_INVALID, "the session token is too long");
        }
    }
    c->token_generation = gen;
    c->token_built = 1;
    return DDB_OK;
}

/* Builds and signs one attempt with the current credentials (used in place) and time. The
 * constant lines were made with the client; only the target, date and signature are
 * written here. */
ddb_status
call_sign(struct ddb_client *c, const char *operation, struct call *call, long timeout_ms,
          struct ddb_error *err)
{
    struct signed_req *s = &call->sreq;
    struct sigv4_header hdrs[DDB_MAX_HEADERS - 1];
    struct sigv4_canonical canon;
    struct sigv4_credentials sc;
    const struct creds *cr = NULL;
    const char *token_line;
    unsigned long gen = 0;
    int has_token;
    size_t nh = 0;
    ddb_status st;

    signed_req_free(s);
    st = creds_provider_current(c->creds, &cr, &gen, err);
    if (st != DDB_OK)
        goto out;
    st = token_line_update(c, cr, gen, err);
    if (st != DDB_OK)
        goto out;
    token_line = c->token_lines[c->token_cur];
    has_token = token_line[0] != '\0';

    snprintf(s->target, sizeof(s->target), "%s%s%s", DDB_TARGET_HEADER, DDB_TARGET_PREFIX,
             operation);
    memcpy(s->date, DDB_DATE_HEADER, sizeof(DDB_DATE_HEADER) - 1);
    sigv4_format_date(time(NULL), s->date + sizeof(DDB_DATE_HEADER) - 1);

    /* In canonical order: lower-case names, sorted. */
    hdrs[nh++] = (struct sigv4_header){"content-type", DDB_CONTENT_TYPE};
    hdrs[nh++] = (struct sigv4_header){"host", c->ep.host};
    hdrs[nh++] = (struct sigv4_header){"x-amz-date", s->date + sizeof(DDB_DATE_HEADER) - 1};
    if (has_token)
        hdrs[nh++] = (struct sigv4_header){"x-amz-security-token",
                                           token_line + sizeof(DDB_TOKEN_HEADER) - 1};
    hdrs[nh++] = (struct sigv4_header){"x-amz-target", s->target + sizeof(DDB_TARGET_HEADER) - 1};
    canon = (struct sigv4_canonical){"POST",
                                     "/",
                                     hdrs,
                                     nh,
                                     has_token ? DDB_SIGNED_HEADERS_TOKEN : DDB_SIGNED_HEADERS,
                                     call->body,
                                     call->body_len};
    sc = (struct sigv4_credentials){cr->access_key_id, cr->secret_access_key,
                                    has_token ? cr->session_token : NULL};
    memcpy(s->authz, DDB_AUTHZ_HEADER, sizeof(DDB_AUTHZ_HEADER) - 1);
    st = ddb_status_from_sigv4(sigv4_signer_sign(c->signer, &canon, &sc, gen,
                                                 s->date + sizeof(DDB_DATE_HEADER) - 1,
                                                 s->authz + sizeof(DDB_AUTHZ_HEADER) - 1,
                                                 sizeof(s->authz) - (sizeof(DDB_AUTHZ_HEADER) - 1)),
                               err);
    if (st != DDB_OK)
        goto out;

    /* Sent in this order, as before: Host, Content-Type, X-Amz-Target, X-Amz-Date, the token,
     * Authorization. */
    s->lines[s->nlines++] = c->host_line;
    s->lines[s->nlines++] = DDB_CONTENT_TYPE_LINE;
    s->lines[s->nlines++] = s->target;
    s->lines[s->nlines++] = s->date;
    if (has_token)
        s->lines[s->nlines++] = token_line;
    s->lines[s->nlines++] = s->authz;
    s->req.slot = TRANSPORT_SLOT_DDB;
    s->req.method = "POST";
    s->req.url = c->url;
    s->req.headers = s->lines;
    s->req.nheaders = s->nlines;
    s->req.body = call->body;
    s->req.body_len = call->body_len;
    s->req.timeout_ms = timeout_ms;
    s->req.once = !call->repeatable;
out:
    if (st != DDB_OK)
        signed_req_free(s);
    return st;
}
