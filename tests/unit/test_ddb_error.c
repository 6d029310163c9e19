/* ddb_error: status names, formatting, and the parse of real DynamoDB error bodies. */
#include <stdio.h>
#include <string.h>

#include "../lib/check_main.h"
#include "ddb/ddb_error.h"

struct body_case {
    const char *what;
    int http_status;
    const char *body;
    ddb_status status;
    const char *type;
    const char *message;
    int retryable;
    int throttle;
};

/* Bodies observed from the emulators (curl, SigV4-shaped Authorization, 2026-01-01 date):
 * "dynalite" is node_modules/dynalite, "ddblocal" DynamoDB Local 2026-05-28. Dynalite says
 * "message", DynamoDB Local "Message". */
static const struct body_case real_bodies[] = {
    {"dynalite PutItem attribute_not_exists on an existing item", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
     "\"message\":\"The conditional request failed\"}",
     DDB_ERR_CONDITIONAL, "ConditionalCheckFailedException", "The conditional request failed", 0,
     0},
    {"ddblocal PutItem attribute_not_exists, ReturnValuesOnConditionCheckFailure ALL_OLD", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
     "\"Message\":\"The conditional request failed\",\"Item\":{\"id\":{\"S\":\"a\"}}}",
     DDB_ERR_CONDITIONAL, "ConditionalCheckFailedException", "The conditional request failed", 0,
     0},
    {"dynalite PutItem without the key attribute", 400,
     "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"One or more "
     "parameter values were invalid: Missing the key id in the item\"}",
     DDB_ERR_VALIDATION, "ValidationException",
     "One or more parameter values were invalid: Missing the key id in the item", 0, 0},
    {"ddblocal PutItem without the key attribute", 400,
     "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"Message\":\"One of the "
     "required keys was not given a value\"}",
     DDB_ERR_VALIDATION, "ValidationException", "One of the required keys was not given a value", 0,
     0},
    {"dynalite CreateTable with a two-letter name", 400,
     "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"TableName must "
     "be at least 3 characters long and at most 255 characters long\"}",
     DDB_ERR_VALIDATION, "ValidationException",
     "TableName must be at least 3 characters long and at most 255 characters long", 0, 0},
    {"ddblocal UpdateItem with an undefined expression attribute name", 400,
     "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"Message\":\"Invalid "
     "UpdateExpression: An expression attribute name used in the document path is not defined; "
     "attribute name: #x\"}",
     DDB_ERR_VALIDATION, "ValidationException",
     "Invalid UpdateExpression: An expression attribute name used in the document path is not "
     "defined; attribute name: #x",
     0, 0},
    {"dynalite GetItem with a truncated JSON request", 400,
     "{\"__type\":\"com.amazon.coral.service#SerializationException\"}", DDB_ERR_VALIDATION,
     "SerializationException", "HTTP 400 SerializationException (no message)", 0, 0},
    {"dynalite GetItem on a missing table", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\",\"message\":"
     "\"Requested resource not found\"}",
     DDB_ERR_NOT_FOUND, "ResourceNotFoundException", "Requested resource not found", 0, 0},
    {"dynalite DeleteTable on a missing table", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\",\"message\":"
     "\"Requested resource not found: Table: missing not found\"}",
     DDB_ERR_NOT_FOUND, "ResourceNotFoundException",
     "Requested resource not found: Table: missing not found", 0, 0},
    {"ddblocal GetItem on a missing table", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\",\"Message\":"
     "\"Cannot do operations on a non-existent table\"}",
     DDB_ERR_NOT_FOUND, "ResourceNotFoundException", "Cannot do operations on a non-existent table",
     0, 0},
    {"dynalite CreateTable of an existing table (empty message)", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceInUseException\",\"message\":\"\"}",
     DDB_ERR_IN_USE, "ResourceInUseException", "HTTP 400 ResourceInUseException (no message)", 0,
     0},
    {"ddblocal CreateTable of an existing table", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceInUseException\",\"Message\":"
     "\"Cannot create preexisting table\"}",
     DDB_ERR_IN_USE, "ResourceInUseException", "Cannot create preexisting table", 0, 0},
    {"dynalite ListTables without Authorization", 400,
     "{\"__type\":\"com.amazon.coral.service#MissingAuthenticationTokenException\",\"message\":"
     "\"Request is missing Authentication Token\"}",
     DDB_ERR_AUTH, "MissingAuthenticationTokenException", "Request is missing Authentication Token",
     0, 0},
    {"ddblocal ListTables without Authorization", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#MissingAuthenticationToken\",\"Message\":"
     "\"Request must contain either a valid (registered) AWS access key ID or X.509 "
     "certificate.\"}",
     DDB_ERR_AUTH, "MissingAuthenticationToken",
     "Request must contain either a valid (registered) AWS access key ID or X.509 certificate.", 0,
     0},
    {"ddblocal GetItem with a truncated JSON request (a 500, where AWS says 400)", 500,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalFailure\",\"Message\":\"The request "
     "processing has failed because of an unknown error, exception or failure.\"}",
     DDB_ERR_SERVICE, "InternalFailure",
     "The request processing has failed because of an unknown error, exception or failure.", 1, 0},
    {"dynalite unknown X-Amz-Target operation", 400,
     "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}", DDB_ERR_CLIENT,
     "UnknownOperationException", "HTTP 400 UnknownOperationException (no message)", 0, 0},
};

/* Shapes AWS documents for errors the emulators never send (DynamoDB developer guide,
 * "Error handling with DynamoDB"; the messages are ours). */
static const struct body_case aws_bodies[] = {
    {"ProvisionedThroughputExceededException", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
     "\"message\":\"The level of configured provisioned throughput for the table was exceeded.\"}",
     DDB_ERR_THROTTLED, "ProvisionedThroughputExceededException",
     "The level of configured provisioned throughput for the table was exceeded.", 1, 1},
    {"ThrottlingException", 400,
     "{\"__type\":\"com.amazon.coral.availability#ThrottlingException\",\"message\":\"Rate of "
     "requests exceeds the allowed throughput.\"}",
     DDB_ERR_THROTTLED, "ThrottlingException", "Rate of requests exceeds the allowed throughput.",
     1, 1},
    {"RequestLimitExceeded", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded\",\"message\":"
     "\"Throughput exceeds the current throughput limit for your account.\"}",
     DDB_ERR_THROTTLED, "RequestLimitExceeded",
     "Throughput exceeds the current throughput limit for your account.", 1, 1},
    {"LimitExceededException (a throttle in botocore's standard mode)", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#LimitExceededException\",\"message\":"
     "\"Too many operations for a given subscriber.\"}",
     DDB_ERR_THROTTLED, "LimitExceededException", "Too many operations for a given subscriber.", 1,
     1},
    {"InternalServerError", 500,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"The "
     "server encountered an internal error trying to fulfill the request.\"}",
     DDB_ERR_SERVICE, "InternalServerError",
     "The server encountered an internal error trying to fulfill the request.", 1, 0},
    {"ServiceUnavailable", 503,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ServiceUnavailable\",\"message\":\"DynamoDB "
     "is currently unavailable.\"}",
     DDB_ERR_SERVICE, "ServiceUnavailable", "DynamoDB is currently unavailable.", 1, 0},
    {"UnrecognizedClientException", 400,
     "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\",\"message\":\"The "
     "security token included in the request is invalid.\"}",
     DDB_ERR_AUTH, "UnrecognizedClientException",
     "The security token included in the request is invalid.", 0, 0},
    {"InvalidSignatureException", 400,
     "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":\"The "
     "request signature we calculated does not match the signature you provided.\"}",
     DDB_ERR_AUTH, "InvalidSignatureException",
     "The request signature we calculated does not match the signature you provided.", 0, 0},
    {"ExpiredTokenException", 400,
     "{\"__type\":\"com.amazon.coral.service#ExpiredTokenException\",\"message\":\"The security "
     "token included in the request is expired\"}",
     DDB_ERR_AUTH, "ExpiredTokenException", "The security token included in the request is expired",
     0, 0},
    {"AccessDeniedException", 400,
     "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"Message\":\"User is not "
     "authorized to perform: dynamodb:PutItem\"}",
     DDB_ERR_AUTH, "AccessDeniedException", "User is not authorized to perform: dynamodb:PutItem",
     0, 0},
    {"TransactionConflictException (not retried: botocore does not)", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionConflictException\",\"message\":"
     "\"Transaction is ongoing for the item\"}",
     DDB_ERR_TRANSACTION, "TransactionConflictException", "Transaction is ongoing for the item", 0,
     0},
    {"TransactionCanceledException", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\",\"message\":"
     "\"Transaction cancelled, please refer cancellation reasons for specific reasons "
     "[ConditionalCheckFailed]\",\"CancellationReasons\":[{\"Code\":\"ConditionalCheckFailed\"}]}",
     DDB_ERR_TRANSACTION, "TransactionCanceledException",
     "Transaction cancelled, please refer cancellation reasons for specific reasons "
     "[ConditionalCheckFailed]",
     0, 0},
    {"ReplicatedWriteConflictException (modeled retryable)", 409,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ReplicatedWriteConflictException\","
     "\"message\":\"Replicated write conflict\"}",
     DDB_ERR_TRANSACTION, "ReplicatedWriteConflictException", "Replicated write conflict", 1, 0},
    {"TransactionInProgressException (a throttle in botocore)", 400,
     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionInProgressException\","
     "\"message\":\"Transaction is in progress\"}",
     DDB_ERR_THROTTLED, "TransactionInProgressException", "Transaction is in progress", 1, 1},
};

/* Edge cases of the body itself. */
static const struct body_case odd_bodies[] = {
    {"__type without '#' (JSON 1.1 style)", 400,
     "{\"__type\":\"ValidationException\",\"message\":\"bad\"}", DDB_ERR_VALIDATION,
     "ValidationException", "bad", 0, 0},
    {"__type with a ':' URL suffix", 400,
     "{\"__type\":\"aws.protocoltests#ResourceNotFoundException:http://internal.amazon.com/"
     "coral/\",\"message\":\"gone\"}",
     DDB_ERR_NOT_FOUND, "ResourceNotFoundException", "gone", 0, 0},
    {"'#' at the very end", 400, "{\"__type\":\"com.example#\",\"message\":\"m\"}", DDB_ERR_CLIENT,
     "", "m", 0, 0},
    {"no __type, 400", 400, "{\"message\":\"only a message\"}", DDB_ERR_CLIENT, "",
     "only a message", 0, 0},
    {"no __type, 503", 503, "{\"Message\":\"try later\"}", DDB_ERR_SERVICE, "", "try later", 1, 0},
    {"no __type, 429", 429, "{\"message\":\"slow down\"}", DDB_ERR_THROTTLED, "", "slow down", 1,
     1},
    {"'message' wins over 'Message'", 400,
     "{\"__type\":\"x#ValidationException\",\"Message\":\"upper\",\"message\":\"lower\"}",
     DDB_ERR_VALIDATION, "ValidationException", "lower", 0, 0},
    {"non-string message falls back to 'Message'", 400,
     "{\"__type\":\"x#ValidationException\",\"message\":7,\"Message\":\"upper\"}",
     DDB_ERR_VALIDATION, "ValidationException", "upper", 0, 0},
    {"non-string __type", 400, "{\"__type\":42,\"message\":\"m\"}", DDB_ERR_CLIENT, "", "m", 0, 0},
    {"unknown type, 400", 400, "{\"__type\":\"x#BrandNewException\",\"message\":\"new\"}",
     DDB_ERR_CLIENT, "BrandNewException", "new", 0, 0},
    {"a 4xx type with a 5xx status is the service's fault", 502,
     "{\"__type\":\"x#ValidationException\",\"message\":\"odd\"}", DDB_ERR_SERVICE,
     "ValidationException", "odd", 1, 0},
    {"a throttle type survives a 5xx status for the counter", 503,
     "{\"__type\":\"x#ThrottlingException\",\"message\":\"busy\"}", DDB_ERR_SERVICE,
     "ThrottlingException", "busy", 1, 1},
    {"control characters in the message are blanked", 400,
     "{\"__type\":\"x#ValidationException\",\"message\":\"line1\\nline2\\u0000tail\"}",
     DDB_ERR_VALIDATION, "ValidationException", "line1 line2 tail", 0, 0},
    {"trailing white space is allowed", 400,
     "{\"__type\":\"x#ValidationException\",\"message\":\"ws\"} \r\n", DDB_ERR_VALIDATION,
     "ValidationException", "ws", 0, 0},
};

static void
check_case(const struct body_case *c)
{
    struct ddb_error err;

    memset(&err, 0x5a, sizeof(err));
    err.attempts = 3;
    ddb_error_from_response(&err, c->http_status, c->body, strlen(c->body));
    ck_assert_msg(err.status == c->status, "%s: status %s, want %s", c->what,
                  ddb_error_name(err.status), ddb_error_name(c->status));
    ck_assert_int_eq(err.http_status, c->http_status);
    ck_assert_str_eq(err.type, c->type);
    ck_assert_str_eq(err.message, c->message);
    ck_assert_msg(err.attempts == 3, "%s: attempts changed", c->what);
    ck_assert_msg(ddb_error_is_retryable(&err) == c->retryable, "%s: retryable %d", c->what,
                  ddb_error_is_retryable(&err));
    ck_assert_msg(ddb_error_is_throttle(&err) == c->throttle, "%s: throttle %d", c->what,
                  ddb_error_is_throttle(&err));
}

START_TEST(test_real_bodies)
{
    check_case(&real_bodies[_i]);
}
END_TEST

START_TEST(test_aws_bodies)
{
    check_case(&aws_bodies[_i]);
}
END_TEST

START_TEST(test_odd_bodies)
{
    check_case(&odd_bodies[_i]);
}
END_TEST

#define LIT(s) s, sizeof(s) - 1

/* Bodies that are not an AWS JSON error object: the status comes from HTTP alone. */
static const struct {
    int http_status;
    const char *body;
    size_t len;
    ddb_status status;
} garbage[] = {
    {502, LIT("<html><body><h1>502 Bad Gateway</h1></body></html>"), DDB_ERR_SERVICE},
    {400, LIT("not json at all"), DDB_ERR_CLIENT},
    {500, LIT("{\"__type\":\"x#ValidationException\""), DDB_ERR_SERVICE},
    {400, LIT("{\"__type\":\"x#ValidationException\",\"message\":\"m\"} trailing"), DDB_ERR_CLIENT},
    {400, LIT("{\"__type\":\"x#ValidationException\"}{\"again\":1}"), DDB_ERR_CLIENT},
    {400, LIT("[\"__type\",\"x#ValidationException\"]"), DDB_ERR_CLIENT},
    {400, LIT("\"x#ValidationException\""), DDB_ERR_CLIENT},
    {400, LIT("null"), DDB_ERR_CLIENT},
    {429, LIT("Too Many Requests"), DDB_ERR_THROTTLED},
    {400, LIT("{'__type':'x#ValidationException'}"), DDB_ERR_CLIENT},      /* strict: no ' quotes */
    {400, LIT("{\"__type\":\"x#ValidationException\",}"), DDB_ERR_CLIENT}, /* trailing comma */
    {400, LIT("{\"__type\":\"x#ValidationException\"}\0{}"), DDB_ERR_CLIENT},
    {503, LIT("\xff\xfe\x00garbage"), DDB_ERR_SERVICE},
};

START_TEST(test_garbage_bodies)
{
    struct ddb_error err;
    const char *body = garbage[_i].body;
    size_t len = garbage[_i].len;

    memset(&err, 0x5a, sizeof(err));
    ddb_error_from_response(&err, garbage[_i].http_status, body, len);
    ck_assert_msg(err.status == garbage[_i].status, "body %zu: status %s, want %s", (size_t)_i,
                  ddb_error_name(err.status), ddb_error_name(garbage[_i].status));
    ck_assert_int_eq(err.http_status, garbage[_i].http_status);
    ck_assert_str_eq(err.type, "");
    ck_assert_msg(strstr(err.message, "not understood") != NULL, "message: %s", err.message);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "raw body bytes in: %s", err.message);
}
END_TEST

START_TEST(test_empty_body)
{
    struct ddb_error err;

    memset(&err, 0x5a, sizeof(err));
    ddb_error_from_response(&err, 500, "", 0);
    ck_assert_int_eq(err.status, DDB_ERR_SERVICE);
    ck_assert_str_eq(err.type, "");
    ck_assert_ptr_nonnull(strstr(err.message, "not understood"));
    ck_assert_ptr_nonnull(strstr(err.message, "500"));
    ck_assert(ddb_error_is_retryable(&err));

    memset(&err, 0x5a, sizeof(err));
    ddb_error_from_response(&err, 400, NULL, 0);
    ck_assert_int_eq(err.status, DDB_ERR_CLIENT);
    ck_assert_str_eq(err.type, "");
    ck_assert_ptr_nonnull(strstr(err.message, "not understood"));
    ck_assert(!ddb_error_is_retryable(&err));

    memset(&err, 0x5a, sizeof(err));
    ddb_error_from_response(&err, 400, "{}", 2);
    ck_assert_int_eq(err.status, DDB_ERR_CLIENT);
    ck_assert_str_eq(err.type, "");
    ck_assert_str_eq(err.message, "HTTP 400 (no message)");
}
END_TEST

/* The struct sits between guards: a write past message or type would show there. */
struct guarded {
    unsigned char before[32];
    struct ddb_error err;
    unsigned char after[32];
};

static void
assert_guards(const struct guarded *g)
{
    size_t i;

    for (i = 0; i < sizeof(g->before); i++) {
        ck_assert_int_eq(g->before[i], 0xa5);
        ck_assert_int_eq(g->after[i], 0xa5);
    }
}

START_TEST(test_long_message_truncated)
{
    static char body[8192];
    struct guarded g;
    size_t n;

    memset(&g, 0xa5, sizeof(g));
    n = (size_t)snprintf(body, sizeof(body), "{\"__type\":\"com.example#");
    memset(body + n, 'T', 300);
    n += 300;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\",\"message\":\"");
    memset(body + n, 'm', 4000);
    n += 4000;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "END\"}");

    ddb_error_from_response(&g.err, 400, body, n);
    assert_guards(&g);
    ck_assert_int_eq(g.err.status, DDB_ERR_CLIENT);
    ck_assert_uint_eq(strlen(g.err.message), sizeof(g.err.message) - 1);
    ck_assert_uint_eq(strlen(g.err.type), sizeof(g.err.type) - 1);
    ck_assert_int_eq(g.err.message[0], 'm');
    ck_assert_int_eq(g.err.type[0], 'T');
}
END_TEST

START_TEST(test_long_garbage_quoted_briefly)
{
    static char body[4096];
    struct guarded g;

    memset(&g, 0xa5, sizeof(g));
    memset(body, '<', sizeof(body));
    ddb_error_from_response(&g.err, 502, body, sizeof(body));
    assert_guards(&g);
    ck_assert_int_eq(g.err.status, DDB_ERR_SERVICE);
    ck_assert_ptr_nonnull(strstr(g.err.message, "4096 bytes"));
    ck_assert_uint_lt(strlen(g.err.message), 200);
}
END_TEST

START_TEST(test_set_formats_and_truncates)
{
    char big[2000];
    struct guarded g;

    memset(&g, 0xa5, sizeof(g));
    ddb_error_clear(&g.err);
    g.err.http_status = 418;
    strcpy(g.err.type, "KeepMe");
    g.err.attempts = 2;
    ck_assert_int_eq(
        ddb_error_set(&g.err, DDB_ERR_CONNECT, "connect %s:%d: %s", "127.0.0.1", 9, "refused"),
        DDB_ERR_CONNECT);
    ck_assert_int_eq(g.err.status, DDB_ERR_CONNECT);
    ck_assert_str_eq(g.err.message, "connect 127.0.0.1:9: refused");
    ck_assert_int_eq(g.err.http_status, 418);
    ck_assert_str_eq(g.err.type, "KeepMe");
    ck_assert_int_eq(g.err.attempts, 2);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(ddb_error_set(&g.err, DDB_ERR_TRANSPORT, "%s and more", big),
                     DDB_ERR_TRANSPORT);
    assert_guards(&g);
    ck_assert_uint_eq(strlen(g.err.message), sizeof(g.err.message) - 1);

    ck_assert_int_eq(ddb_error_set(NULL, DDB_ERR_NOMEM, "no error slot"), DDB_ERR_NOMEM);
}
END_TEST

START_TEST(test_clear)
{
    struct ddb_error err;

    memset(&err, 0x5a, sizeof(err));
    ddb_error_clear(&err);
    ck_assert_int_eq(err.status, DDB_OK);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_int_eq(err.attempts, 0);
    ck_assert_str_eq(err.type, "");
    ck_assert_str_eq(err.message, "");
    ck_assert(!ddb_error_is_retryable(&err));
    ck_assert(!ddb_error_is_throttle(&err));
    ddb_error_clear(NULL);
}
END_TEST

START_TEST(test_names)
{
    int s, t;

    ck_assert_str_eq(ddb_error_name(DDB_OK), "ok");
    ck_assert_str_eq(ddb_error_name(DDB_ERR_CONDITIONAL), "conditional");
    ck_assert_str_eq(ddb_error_name(DDB_ERR_THROTTLED), "throttled");
    ck_assert_str_eq(ddb_error_name(DDB_ERR_CLIENT), "client");
    ck_assert_str_eq(ddb_error_name((ddb_status)(DDB_ERR_CLIENT + 1)), "unknown");
    ck_assert_str_eq(ddb_error_name((ddb_status)-1), "unknown");
    for (s = DDB_OK; s <= DDB_ERR_CLIENT; s++) {
        ck_assert_str_ne(ddb_error_name((ddb_status)s), "unknown");
        for (t = s + 1; t <= DDB_ERR_CLIENT; t++)
            ck_assert_str_ne(ddb_error_name((ddb_status)s), ddb_error_name((ddb_status)t));
    }
}
END_TEST

/* Which statuses are retried, whatever the type: the header's list and nothing else. */
START_TEST(test_retryable_by_status)
{
    struct ddb_error err;
    int s;

    for (s = DDB_OK; s <= DDB_ERR_CLIENT; s++) {
        int want = s == DDB_ERR_THROTTLED || s == DDB_ERR_SERVICE || s == DDB_ERR_CONNECT ||
                   s == DDB_ERR_TIMEOUT || s == DDB_ERR_TRANSPORT || s == DDB_ERR_CRC32;
        ddb_error_clear(&err);
        ddb_error_set(&err, (ddb_status)s, "x");
        ck_assert_msg(ddb_error_is_retryable(&err) == want, "%s", ddb_error_name(s));
        ck_assert_msg(ddb_error_is_throttle(&err) == (s == DDB_ERR_THROTTLED), "%s",
                      ddb_error_name(s));
    }
    ck_assert(!ddb_error_is_retryable(NULL));
    ck_assert(!ddb_error_is_throttle(NULL));
}
END_TEST

/* Which failed attempts may have been applied: sent, and no answer of the service refused
 * them. Nothing sent is never applied, whatever the status. */
START_TEST(test_maybe_applied_by_status)
{
    struct ddb_error err;
    int s;

    for (s = DDB_OK; s <= DDB_ERR_CLIENT; s++) {
        int want = s == DDB_ERR_TIMEOUT || s == DDB_ERR_TRANSPORT || s == DDB_ERR_CRC32 ||
                   s == DDB_ERR_BAD_RESPONSE || s == DDB_ERR_NOMEM || s == DDB_ERR_SERVICE;
        ddb_error_clear(&err);
        ddb_error_set(&err, (ddb_status)s, "x");
        ck_assert_msg(ddb_error_maybe_applied(&err, 1) == want, "%s sent", ddb_error_name(s));
        ck_assert_msg(!ddb_error_maybe_applied(&err, 0), "%s not sent", ddb_error_name(s));
    }
    ck_assert(!ddb_error_maybe_applied(NULL, 1));
    ddb_error_clear(&err);
    ck_assert_int_eq(err.maybe_applied, 0);
}
END_TEST

/* A 5xx is DynamoDB's refusal when it carries an AWS error type; a proxy's page is not. */
START_TEST(test_maybe_applied_5xx)
{
    static const char aws500[] =
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\","
        "\"message\":\"Internal server error\"}";
    static const char aws503[] = "{\"__type\":\"com.amazon.coral.availability#"
                                 "ThrottlingException\",\"message\":\"slow down\"}";
    static const char html[] = "<html><body>502 Bad Gateway</body></html>";
    struct ddb_error err;

    ddb_error_clear(&err);
    ddb_error_from_response(&err, 500, aws500, strlen(aws500));
    ck_assert_int_eq(err.status, DDB_ERR_SERVICE);
    ck_assert(ddb_error_is_retryable(&err));
    ck_assert(!ddb_error_maybe_applied(&err, 1));

    ddb_error_clear(&err);
    ddb_error_from_response(&err, 503, aws503, strlen(aws503));
    ck_assert(!ddb_error_maybe_applied(&err, 1));

    ddb_error_clear(&err);
    ddb_error_from_response(&err, 502, html, strlen(html));
    ck_assert_int_eq(err.status, DDB_ERR_SERVICE);
    ck_assert(ddb_error_maybe_applied(&err, 1));
    ddb_error_clear(&err);
    ddb_error_from_response(&err, 504, "", 0);
    ck_assert(ddb_error_maybe_applied(&err, 1));

    /* Throttling and every 4xx: the service said no. */
    ddb_error_clear(&err);
    ddb_error_from_response(&err, 429, "", 0);
    ck_assert_int_eq(err.status, DDB_ERR_THROTTLED);
    ck_assert(!ddb_error_maybe_applied(&err, 1));
    ddb_error_clear(&err);
    ddb_error_from_response(&err, 400, html, strlen(html));
    ck_assert(!ddb_error_maybe_applied(&err, 1));
}
END_TEST

static Suite *
ddb_error_suite(void)
{
    Suite *s = suite_create("ddb_error");
    TCase *tc = tcase_create("bodies");
    TCase *tc2 = tcase_create("api");

    tcase_add_loop_test(tc, test_real_bodies, 0, sizeof(real_bodies) / sizeof(real_bodies[0]));
    tcase_add_loop_test(tc, test_aws_bodies, 0, sizeof(aws_bodies) / sizeof(aws_bodies[0]));
    tcase_add_loop_test(tc, test_odd_bodies, 0, sizeof(odd_bodies) / sizeof(odd_bodies[0]));
    tcase_add_loop_test(tc, test_garbage_bodies, 0, sizeof(garbage) / sizeof(garbage[0]));
    tcase_add_test(tc, test_empty_body);
    tcase_add_test(tc, test_long_message_truncated);
    tcase_add_test(tc, test_long_garbage_quoted_briefly);
    suite_add_tcase(s, tc);

    tcase_add_test(tc2, test_set_formats_and_truncates);
    tcase_add_test(tc2, test_clear);
    tcase_add_test(tc2, test_names);
    tcase_add_test(tc2, test_retryable_by_status);
    tcase_add_test(tc2, test_maybe_applied_by_status);
    tcase_add_test(tc2, test_maybe_applied_5xx);
    suite_add_tcase(s, tc2);
    return s;
}

CHECK_MAIN(ddb_error_suite)
