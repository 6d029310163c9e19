/* DynamoDB client errors: names, formatting, and the parse of AWS JSON 1.0 error bodies. */
#include "ddb_error.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/* What an AWS error type means to us. The retry and throttle flags follow botocore: its
 * standard mode's throttling codes (retries/standard.py) and its legacy DynamoDB policies
 * (data/_retry.json). TransactionConflictException is in neither, nor modeled retryable in
 * the DynamoDB service model, so it is not retried. */
struct error_kind {
    const char *type;
    ddb_status status;
    int retryable;
    int throttle;
};

static const struct error_kind error_kinds[] = {
    {"ConditionalCheckFailedException", DDB_ERR_CONDITIONAL, 0, 0},
    {"ValidationException", DDB_ERR_VALIDATION, 0, 0},
    {"SerializationException", DDB_ERR_VALIDATION, 0, 0},
    {"ResourceNotFoundException", DDB_ERR_NOT_FOUND, 0, 0},
    {"ResourceInUseException", DDB_ERR_IN_USE, 0, 0},
    {"ProvisionedThroughputExceededException", DDB_ERR_THROTTLED, 1, 1},
    {"ThrottlingException", DDB_ERR_THROTTLED, 1, 1},
    {"Throttling", DDB_ERR_THROTTLED, 1, 1},
    {"ThrottledException", DDB_ERR_THROTTLED, 1, 1},
    {"RequestThrottledException", DDB_ERR_THROTTLED, 1, 1},
    {"TooManyRequestsException", DDB_ERR_THROTTLED, 1, 1},
    {"RequestLimitExceeded", DDB_ERR_THROTTLED, 1, 1},
    {"LimitExceededException", DDB_ERR_THROTTLED, 1, 1},
    /* Same ClientRequestToken still running: botocore retries it as a throttle. */
    {"TransactionInProgressException", DDB_ERR_THROTTLED, 1, 1},
    {"TransactionConflictException", DDB_ERR_TRANSACTION, 0, 0},
    {"TransactionCanceledException", DDB_ERR_TRANSACTION, 0, 0},
    /* Global tables (MRSC): modeled retryable, and in botocore's legacy DynamoDB policy. */
    {"ReplicatedWriteConflictException", DDB_ERR_TRANSACTION, 1, 0},
    {"UnrecognizedClientException", DDB_ERR_AUTH, 0, 0},
    {"InvalidSignatureException", DDB_ERR_AUTH, 0, 0},
    {"IncompleteSignatureException", DDB_ERR_AUTH, 0, 0},
    {"MissingAuthenticationToken", DDB_ERR_AUTH, 0, 0},
    {"MissingAuthenticationTokenException", DDB_ERR_AUTH, 0, 0},
    {"AccessDeniedException", DDB_ERR_AUTH, 0, 0},
    {"ExpiredTokenException", DDB_ERR_AUTH, 0, 0},
    {"InternalServerError", DDB_ERR_SERVICE, 1, 0},
    {"InternalFailure", DDB_ERR_SERVICE, 1, 0},
    {"ServiceUnavailable", DDB_ERR_SERVICE, 1, 0},
    {"ServiceUnavailableException", DDB_ERR_SERVICE, 1, 0},
};

#define N_ERROR_KINDS (sizeof(error_kinds) / sizeof(error_kinds[0]))

static const char *const status_names[] = {
    [DDB_OK] = "ok",
    [DDB_ERR_NOMEM] = "nomem",
    [DDB_ERR_INVALID] = "invalid",
    [DDB_ERR_ITEM_TOO_LARGE] = "item_too_large",
    [DDB_ERR_CONFIG] = "config",
    [DDB_ERR_CREDENTIALS] = "credentials",
    [DDB_ERR_CONNECT] = "connect",
    [DDB_ERR_TIMEOUT] = "timeout",
    [DDB_ERR_TLS] = "tls",
    [DDB_ERR_TRANSPORT] = "transport",
    [DDB_ERR_CRC32] = "crc32",
    [DDB_ERR_BAD_RESPONSE] = "bad_response",
    [DDB_ERR_CONDITIONAL] = "conditional",
    [DDB_ERR_VALIDATION] = "validation",
    [DDB_ERR_NOT_FOUND] = "not_found",
    [DDB_ERR_IN_USE] = "in_use",
    [DDB_ERR_THROTTLED] = "throttled",
    [DDB_ERR_TRANSACTION] = "transaction",
    [DDB_ERR_AUTH] = "auth",
    [DDB_ERR_SERVICE] = "service",
    [DDB_ERR_STOPPED] = "stopped",
    [DDB_ERR_CLIENT] = "client",
};

/* How much of an unparseable body is quoted in the message, to tell a proxy's page apart. */
#define BODY_QUOTE_MAX 64

const char *
ddb_error_name(ddb_status status)
{
    if ((unsigned)status >= sizeof(status_names) / sizeof(status_names[0]) ||
        status_names[status] == NULL)
        return "unknown";
    return status_names[status];
}

void
ddb_error_clear(struct ddb_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
    err->status = DDB_OK;
}

/* Only status and message change: http_status, type and attempts belong to the caller. */
ddb_status
ddb_error_set(struct ddb_error *err, ddb_status status, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return status;
    err->status = status;
    err->message[0] = '\0';
    if (fmt == NULL)
        return status;
    va_start(ap, fmt);
    /* vsnprintf truncates and always terminates; a negative result leaves "". */
    if (vsnprintf(err->message, sizeof(err->message), fmt, ap) < 0)
        err->message[0] = '\0';
    va_end(ap);
    return status;
}

static const struct error_kind *
error_kind_find(const char *type)
{
    size_t i;

    if (type == NULL || type[0] == '\0')
        return NULL;
    for (i = 0; i < N_ERROR_KINDS; i++) {
        if (strcmp(error_kinds[i].type, type) == 0)
            return &error_kinds[i];
    }
    return NULL;
}

/* Copies at most len bytes of src into dst (size n), control characters made spaces so
 * a service's message cannot forge log lines. */
static void
copy_printable(char *dst, size_t n, const char *src, size_t len)
{
    size_t i;

    if (n == 0)
        return;
    if (len > n - 1)
        len = n - 1;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    dst[len] = '\0';
}

/* The error code in a "__type": as the AWS JSON protocols define it, drop anything from
 * the first ':' (a URL some services append), then keep what follows the last '#'. */
static void
type_from_wire(char *dst, size_t n, const char *wire, size_t len)
{
    const char *colon = memchr(wire, ':', len);
    const char *start = wire;
    size_t i;

    if (colon != NULL)
        len = (size_t)(colon - wire);
    for (i = 0; i < len; i++) {
        if (wire[i] == '#')
            start = wire + i + 1;
    }
    copy_printable(dst, n, start, len - (size_t)(start - wire));
}

static ddb_status
status_from_http(int http_status)
{
    if (http_status >= 500 && http_status <= 599)
        return DDB_ERR_SERVICE;
    if (http_status == 429)
        return DDB_ERR_THROTTLED;
    return DDB_ERR_CLIENT;
}

/* Parses body strictly as one JSON object and nothing after it but white space. Returns
 * the object (a new reference) or NULL. */
static json_object *
parse_object(const char *body, size_t body_len)
{
    json_tokener *tok = NULL;
    json_object *obj = NULL;
    size_t end;

    if (body == NULL || body_len == 0 || body_len > (size_t)INT_MAX)
        goto fail;
    /* json-c stops at a NUL; a body with one is not JSON. */
    if (memchr(body, '\0', body_len) != NULL)
        goto fail;
    tok = json_tokener_new();
    if (tok == NULL)
        goto fail;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, body, (int)body_len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(obj, json_type_object))
        goto fail;
    for (end = json_tokener_get_parse_end(tok); end < body_len; end++) {
        char ch = body[end];
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
            goto fail;
    }
    json_tokener_free(tok);
    return obj;

fail:
    json_object_put(obj);
    if (tok != NULL) /* json_tokener_free does not take NULL */
        json_tokener_free(tok);
    return NULL;
}

static int
get_string(json_object *obj, const char *key, const char **s, size_t *len)
{
    json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return 0;
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    return 1;
}

void
ddb_error_from_response(struct ddb_error *err, int http_status, const char *body, size_t body_len)
{
    const struct error_kind *kind;
    json_object *obj;
    const char *s;
    size_t len;
    char quote[BODY_QUOTE_MAX + 1];

    if (err == NULL)
        return;
    err->http_status = http_status;
    err->type[0] = '\0';
    err->message[0] = '\0';

    obj = parse_object(body, body_len);
    if (obj == NULL) {
        copy_printable(quote, sizeof(quote), body != NULL ? body : "", body != NULL ? body_len : 0);
        ddb_error_set(err, status_from_http(http_status),
                      "HTTP %d: the response body was not understood (%zu bytes%s%s)", http_status,
                      body != NULL ? body_len : 0, body_len > 0 ? ": " : "",
                      body_len > 0 ? quote : "");
        return;
    }

    if (get_string(obj, "__type", &s, &len))
        type_from_wire(err->type, sizeof(err->type), s, len);
    if (get_string(obj, "message", &s, &len) || get_string(obj, "Message", &s, &len))
        copy_printable(err->message, sizeof(err->message), s, len);

    kind = error_kind_find(err->type);
    if (kind != NULL)
        err->status = kind->status;
    else
        err->status = status_from_http(http_status);
    /* A 5xx is the service's fault whatever the type says, and is retried as such. */
    if (http_status >= 500 && http_status <= 599)
        err->status = DDB_ERR_SERVICE;

    if (err->message[0] == '\0')
        snprintf(err->message, sizeof(err->message), "HTTP %d%s%s (no message)", http_status,
                 err->type[0] != '\0' ? " " : "", err->type);
    json_object_put(obj);
}

int
ddb_error_is_retryable(const struct ddb_error *err)
{
    const struct error_kind *kind;

    if (err == NULL)
        return 0;
    switch (err->status) {
    case DDB_ERR_THROTTLED:
    case DDB_ERR_SERVICE:
    case DDB_ERR_CONNECT:
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_TRANSPORT:
    case DDB_ERR_CRC32:
        return 1;
    case DDB_ERR_TRANSACTION:
        /* Only the write conflicts botocore retries, never a cancelled transaction. */
        kind = error_kind_find(err->type);
        return kind != NULL && kind->retryable;
    default:
        return 0;
    }
}

int
ddb_error_maybe_applied(const struct ddb_error *err, int sent)
{
    if (err == NULL || !sent)
        return 0;
    switch (err->status) {
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_TRANSPORT:
    case DDB_ERR_CRC32:
    case DDB_ERR_BAD_RESPONSE:
    case DDB_ERR_NOMEM: /* the answer could not be kept */
        return 1;
    case DDB_ERR_SERVICE:
        /* With an AWS error type it is DynamoDB's own refusal; without one, whatever answered
         * (a proxy, a load balancer's 502 or 504) may have passed the request on. */
        return err->type[0] == '\0';
    default:
        return 0;
    }
}

int
ddb_error_is_throttle(const struct ddb_error *err)
{
    const struct error_kind *kind;

    if (err == NULL)
        return 0;
    if (err->status == DDB_ERR_THROTTLED)
        return 1;
    kind = error_kind_find(err->type);
    return kind != NULL && kind->throttle;
}
