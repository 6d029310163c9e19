/* The client against a misbehaving DynamoDB (tests/tools/fault-server.js): what is retried
 * is retried, what is not is not (a write that may have been applied is never sent again),
 * and no call outlives its deadline. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../lib/check_main.h"
#include "../lib/control.h"
#include "ddb/ddb.h"
#include "ddb/ddb_test.h"

#define THROTTLE_BODY                                                                              \
    "{\"status\":400,\"body\":{\"__type\":\"com.amazonaws.dynamodb.v20120810#"                     \
    "ProvisionedThroughputExceededException\",\"message\":\"The level of configured provisioned "  \
    "throughput for the table was exceeded.\"}}"
#define ITEM_BODY "{\"status\":200,\"body\":{\"Item\":{\"id\":{\"S\":\"a\"}}}}"

/* What the fault server counted since its scenario was set. */
struct server_stats {
    long requests;
    long signed_requests;
    long hung;
};

static void
scenario(const char *json)
{
    char out[4096];

    control("POST", "/_control/scenario", json, out);
}

static struct server_stats
fetch_server_stats(void)
{
    struct server_stats s;
    char out[4096];
    json_object *obj;

    control("GET", "/_control/stats", NULL, out);
    obj = json_tokener_parse(out);
    ck_assert_msg(obj != NULL, "stats are not JSON: %s", out);
    s.requests = control_stat(obj, "requests");
    s.signed_requests = control_stat(obj, "signed");
    s.hung = control_stat(obj, "hung");
    json_object_put(obj);
    return s;
}

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A small policy, so persistent failures end quickly. */
static struct ddb_options
small_policy(void)
{
    struct ddb_options o;

    memset(&o, 0, sizeof(o));
    o.retry.max_attempts = 4;
    o.retry.base_ms = 10;
    o.retry.cap_ms = 100;
    o.retry.total_ms = 5000;
    return o;
}

/* The outcome of one GetItem through a fresh client. */
struct outcome {
    ddb_status status;
    struct ddb_error err;
    struct ddb_stats stats;
    json_object *response;
    long elapsed_ms;
};

static struct outcome
get_item(const struct ddb_options *opts)
{
    struct outcome o;
    struct ddb_client *c = NULL;
    struct ddb_error cerr;
    json_object *req;
    long t0;

    memset(&o, 0, sizeof(o));
    req = json_tokener_parse("{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(ddb_client_new(opts, &c, &cerr) == DDB_OK, "client: %s", cerr.message);
    t0 = now_ms();
    o.status = ddb_call(c, "GetItem", req, &o.response, &o.err);
    o.elapsed_ms = now_ms() - t0;
    ddb_client_stats(c, &o.stats);
    ddb_client_free(c);
    json_object_put(req);
    return o;
}

static void
assert_item(const struct outcome *o)
{
    json_object *item, *id, *s;

    ck_assert_msg(o->status == DDB_OK, "call failed: %s: %s", ddb_error_name(o->status),
                  o->err.message);
    ck_assert_ptr_nonnull(o->response);
    ck_assert(json_object_object_get_ex(o->response, "Item", &item));
    ck_assert(json_object_object_get_ex(item, "id", &id));
    ck_assert(json_object_object_get_ex(id, "S", &s));
    ck_assert_str_eq(json_object_get_string(s), "a");
}

static void
assert_server_saw(long requests)
{
    struct server_stats s = fetch_server_stats();

    ck_assert_msg(s.requests == requests, "the server saw %ld requests, want %ld", s.requests,
                  requests);
    ck_assert_msg(s.signed_requests == requests, "%ld of %ld requests were signed",
                  s.signed_requests, s.requests);
}

START_TEST(throttle_is_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[" THROTTLE_BODY "," THROTTLE_BODY "," ITEM_BODY "]}");
    o = get_item(&opts);
    assert_item(&o);
    assert_server_saw(3);
    ck_assert_int_eq(o.err.status, DDB_OK);
    ck_assert_int_eq(o.err.attempts, 3);
    ck_assert_uint_eq(o.stats.calls, 1);
    ck_assert_uint_eq(o.stats.attempts, 3);
    ck_assert_uint_eq(o.stats.retries, 2);
    ck_assert_uint_eq(o.stats.throttles, 2);
    json_object_put(o.response);
}
END_TEST

START_TEST(crc_mismatch_is_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":200,\"body\":{\"Item\":{\"id\":{\"S\":\"a\"}}},"
             "\"crc32\":\"wrong\"}," ITEM_BODY "]}");
    o = get_item(&opts);
    assert_item(&o);
    assert_server_saw(2);
    ck_assert_int_eq(o.err.attempts, 2);
    ck_assert_uint_eq(o.stats.retries, 1);
    ck_assert_uint_eq(o.stats.throttles, 0);
    json_object_put(o.response);
}
END_TEST

START_TEST(crc_mismatch_persisting_fails)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"default\":{\"status\":200,\"body\":{\"Item\":{}},\"crc32\":\"wrong\"}}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_CRC32, "got %s: %s", ddb_error_name(o.status), o.err.message);
    ck_assert_ptr_null(o.response);
    assert_server_saw(4);
    ck_assert_int_eq(o.err.attempts, 4);
}
END_TEST

START_TEST(validation_is_not_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":400,\"body\":{\"__type\":\"com.amazon.coral.validate#"
             "ValidationException\",\"message\":\"One or more parameter values were invalid: "
             "Missing the key id in the item\"}}],\"default\":" ITEM_BODY "}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_VALIDATION, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_int_eq(o.err.status, DDB_ERR_VALIDATION);
    ck_assert_int_eq(o.err.http_status, 400);
    ck_assert_str_eq(o.err.type, "ValidationException");
    ck_assert_ptr_nonnull(strstr(o.err.message, "Missing the key id"));
    ck_assert_ptr_null(o.response);
    assert_server_saw(1);
    ck_assert_int_eq(o.err.attempts, 1);
    ck_assert_uint_eq(o.stats.retries, 0);
    ck_assert_uint_eq(o.stats.errors[DDB_ERR_VALIDATION], 1);
}
END_TEST

START_TEST(conditional_failure_is_not_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":400,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request "
             "failed\"}}],\"default\":" ITEM_BODY "}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_CONDITIONAL, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_str_eq(o.err.type, "ConditionalCheckFailedException");
    assert_server_saw(1);
    ck_assert_int_eq(o.err.attempts, 1);
    ck_assert_uint_eq(o.stats.retries, 0);
}
END_TEST

/* A JSON InternalServerError, then a proxy's HTML 503, then the answer. */
START_TEST(server_errors_are_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":500,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#InternalServerError\",\"message\":\"Internal server error\"}},"
             "{\"status\":503,\"body\":\"<html><body>503 Service Unavailable</body></html>\","
             "\"headers\":{\"Content-Type\":\"text/html\"}}," ITEM_BODY "]}");
    o = get_item(&opts);
    assert_item(&o);
    assert_server_saw(3);
    ck_assert_int_eq(o.err.attempts, 3);
    ck_assert_uint_eq(o.stats.retries, 2);
    ck_assert_uint_eq(o.stats.throttles, 0);
    json_object_put(o.response);
}
END_TEST

/* A connection dropped without an answer is a transport error, and retried. */
START_TEST(dropped_connection_is_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"reset\":true}," ITEM_BODY "]}");
    o = get_item(&opts);
    assert_item(&o);
    assert_server_saw(2);
    ck_assert_int_eq(o.err.attempts, 2);
    json_object_put(o.response);
}
END_TEST

START_TEST(persistent_throttling_gives_up)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"default\":" THROTTLE_BODY "}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_THROTTLED, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_int_eq(o.err.status, DDB_ERR_THROTTLED);
    ck_assert_str_eq(o.err.type, "ProvisionedThroughputExceededException");
    ck_assert_ptr_null(o.response);
    assert_server_saw(4);
    ck_assert_int_eq(o.err.attempts, 4);
    ck_assert_uint_eq(o.stats.attempts, 4);
    ck_assert_uint_eq(o.stats.retries, 3);
    ck_assert_uint_eq(o.stats.throttles, 4);
    ck_assert_uint_eq(o.stats.errors[DDB_ERR_THROTTLED], 1);
    /* Three waits of at most 10, 20 and 40 ms: nowhere near a second. */
    ck_assert_msg(o.elapsed_ms < 1000, "took %ld ms", o.elapsed_ms);
}
END_TEST

/* Many attempts allowed but little time: the deadline ends the call, not the count. */
START_TEST(deadline_bounds_retries)
{
    struct ddb_options opts = small_policy();
    struct outcome o;
    struct server_stats s;

    opts.retry.max_attempts = 1000;
    opts.retry.base_ms = 200;
    opts.retry.cap_ms = 200;
    opts.retry.total_ms = 1000;
    scenario("{\"default\":{\"status\":503,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#ServiceUnavailable\",\"message\":\"unavailable\"}}}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_SERVICE, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    s = fetch_server_stats();
    ck_assert_msg(s.requests >= 2 && s.requests < 50, "%ld requests", s.requests);
    ck_assert_int_eq(o.err.attempts, (int)s.requests);
    ck_assert_msg(o.elapsed_ms <= 1000 + 250, "took %ld ms for a 1000 ms deadline", o.elapsed_ms);
}
END_TEST

/* A loopback port bound but not listening: connections are refused at once, every time. */
START_TEST(connection_refused)
{
    struct ddb_options opts = small_policy();
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char url[64];
    const char *saved;
    char *saved_copy;
    struct outcome o;
    int fd;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));

    saved = endpoint_url();
    saved_copy = strdup(saved);
    ck_assert_ptr_nonnull(saved_copy);
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", url, 1), 0);
    opts.retry.total_ms = 3000;
    o = get_item(&opts);
    /* Restored before any assertion, for runs without fork (CK_FORK=no). */
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", saved_copy, 1), 0);
    free(saved_copy);
    close(fd);

    ck_assert_msg(o.status == DDB_ERR_CONNECT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_int_eq(o.err.http_status, 0);
    ck_assert_int_eq(o.err.attempts, 4);
    ck_assert_msg(o.elapsed_ms < 3000, "took %ld ms for a 3000 ms deadline", o.elapsed_ms);
}
END_TEST

/* A server that takes the request and never answers: the call ends at its deadline. */
START_TEST(hung_server_times_out)
{
    struct ddb_options opts = small_policy();
    struct outcome o;
    struct server_stats s;

    opts.retry.total_ms = 1500;
    scenario("{\"default\":{\"hang\":true}}");
    o = get_item(&opts);
    ck_assert_msg(o.status == DDB_ERR_TIMEOUT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_ptr_null(o.response);
    ck_assert_msg(o.elapsed_ms >= 1500 - 150 && o.elapsed_ms < 2500,
                  "took %ld ms for a 1500 ms deadline", o.elapsed_ms);
    s = fetch_server_stats();
    ck_assert_msg(s.requests >= 1 && s.requests == s.hung, "%ld requests, %ld hung", s.requests,
                  s.hung);
}
END_TEST

/* One attempt's limit shorter than the deadline: the hung attempt is abandoned and the next
 * one answered. */
START_TEST(hung_attempt_is_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    opts.attempt_timeout_ms = 300;
    opts.retry.total_ms = 3000;
    scenario("{\"responses\":[{\"hang\":true}," ITEM_BODY "]}");
    o = get_item(&opts);
    assert_item(&o);
    assert_server_saw(2);
    ck_assert_msg(o.elapsed_ms >= 300 - 50 && o.elapsed_ms < 1500, "took %ld ms", o.elapsed_ms);
    json_object_put(o.response);
}
END_TEST

/* ---- the request's deadline (ddb_client_set_deadline) ---- */

/* One call of op with the client's request deadline `deadline_in` ms from now (0: none);
 * `clear` sets it and clears it again before the call. */
static struct outcome
call_by(const struct ddb_options *opts, const char *op, const char *request, long deadline_in,
        int clear)
{
    struct outcome o;
    struct ddb_client *c = NULL;
    struct ddb_error cerr;
    json_object *req;
    long t0;

    memset(&o, 0, sizeof(o));
    req = json_tokener_parse(request);
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(ddb_client_new(opts, &c, &cerr) == DDB_OK, "client: %s", cerr.message);
    t0 = now_ms();
    if (deadline_in != 0)
        ddb_client_set_deadline(c, (uint64_t)(t0 + deadline_in));
    if (clear)
        ddb_client_set_deadline(c, 0);
    ck_assert_uint_eq(ddb_client_deadline(c),
                      clear || deadline_in == 0 ? 0 : (uint64_t)(t0 + deadline_in));
    if (strcmp(op, "BatchWriteItem") == 0) {
        json_object *items;
        ck_assert(json_object_object_get_ex(req, "things", &items));
        o.status = ddb_batch_write(c, "things", items, &o.err);
    } else {
        o.status = ddb_call(c, op, req, &o.response, &o.err);
    }
    o.elapsed_ms = now_ms() - t0;
    ddb_client_stats(c, &o.stats);
    ddb_client_free(c);
    json_object_put(req);
    return o;
}

#define GET_THINGS "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}"

/* The call's own budget is 5 s, the request has 800 ms left: the hung attempt is cut there. */
START_TEST(request_deadline_cuts_a_hung_call)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"default\":{\"hang\":true}}");
    o = call_by(&opts, "GetItem", GET_THINGS, 800, 0);
    ck_assert_msg(o.status == DDB_ERR_TIMEOUT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_msg(o.elapsed_ms >= 800 - 100 && o.elapsed_ms <= 800 + 150,
                  "took %ld ms for an 800 ms request deadline", o.elapsed_ms);
}
END_TEST

/* Retries and their backoff stop where the request's time ends, not the call's. */
START_TEST(request_deadline_bounds_retries)
{
    struct ddb_options opts = small_policy();
    struct outcome o;
    struct server_stats s;

    opts.retry.max_attempts = 1000;
    opts.retry.base_ms = 150;
    opts.retry.cap_ms = 150;
    opts.retry.total_ms = 10000;
    scenario("{\"default\":{\"status\":503,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#ServiceUnavailable\",\"message\":\"unavailable\"}}}");
    o = call_by(&opts, "GetItem", GET_THINGS, 700, 0);
    ck_assert_msg(o.status == DDB_ERR_SERVICE, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    s = fetch_server_stats();
    ck_assert_msg(s.requests >= 2, "%ld requests", s.requests);
    ck_assert_msg(o.elapsed_ms <= 700 + 100, "took %ld ms for a 700 ms request deadline",
                  o.elapsed_ms);
}
END_TEST

/* Too little left for an attempt: nothing is sent, the call fails as timed out. */
START_TEST(request_deadline_spent_sends_nothing)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"default\":" ITEM_BODY "}");
    o = call_by(&opts, "GetItem", GET_THINGS, 50, 0);
    ck_assert_msg(o.status == DDB_ERR_TIMEOUT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_int_eq(o.err.attempts, 0);
    ck_assert_uint_eq(o.stats.errors[DDB_ERR_TIMEOUT], 1);
    assert_server_saw(0);
}
END_TEST

/* A cleared deadline leaves the call its own budget (create-tables runs without one). */
START_TEST(request_deadline_cleared_keeps_the_call_budget)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    opts.retry.total_ms = 1200;
    scenario("{\"default\":{\"hang\":true}}");
    o = call_by(&opts, "GetItem", GET_THINGS, 300, 1);
    ck_assert_msg(o.status == DDB_ERR_TIMEOUT, "got %s", ddb_error_name(o.status));
    ck_assert_msg(o.elapsed_ms >= 1200 - 100 && o.elapsed_ms < 2000,
                  "took %ld ms for the call's own 1200 ms", o.elapsed_ms);
}
END_TEST

/* A batch whose rounds keep leaving an item unprocessed would go on for the batch's own 20 s
 * stall budget (restarted by every round that made progress); the request's deadline ends
 * it, progress or not. */
START_TEST(request_deadline_bounds_batch_rounds)
{
    struct ddb_options opts = small_policy();
    struct outcome o;
    struct server_stats s;

    scenario("{\"default\":{\"status\":200,\"delay_ms\":50,\"body\":{\"UnprocessedItems\":"
             "{\"things\":[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}}]}}}}");
    o = call_by(&opts, "BatchWriteItem",
                "{\"things\":[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}},"
                "{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"b\"}}}},"
                "{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"c\"}}}}]}",
                1000, 0);
    ck_assert_msg(o.status == DDB_ERR_THROTTLED || o.status == DDB_ERR_TIMEOUT, "got %s: %s",
                  ddb_error_name(o.status), o.err.message);
    s = fetch_server_stats();
    ck_assert_msg(s.requests >= 2, "only %ld rounds", s.requests);
    ck_assert_msg(o.elapsed_ms <= 1000 + 150, "took %ld ms for a 1000 ms request deadline",
                  o.elapsed_ms);
}
END_TEST

/* ---- writes: never sent again once they may have been applied ---- */

#define PUT_REQUEST "{\"TableName\":\"things\",\"Item\":{\"id\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}"
#define EMPTY_OK "{\"status\":200,\"body\":{}}"

/* How many requests of one operation the fault server saw. */
static long
server_saw_target(const char *target)
{
    char out[4096];
    json_object *obj, *targets, *n;
    long count = 0;

    control("GET", "/_control/stats", NULL, out);
    obj = json_tokener_parse(out);
    ck_assert_msg(obj != NULL, "stats are not JSON: %s", out);
    if (json_object_object_get_ex(obj, "targets", &targets) &&
        json_object_object_get_ex(targets, target, &n))
        count = (long)json_object_get_int64(n);
    json_object_put(obj);
    return count;
}

static struct ddb_client *
client_of(const struct ddb_options *opts)
{
    struct ddb_client *c = NULL;
    struct ddb_error cerr;

    ck_assert_msg(ddb_client_new(opts, &c, &cerr) == DDB_OK, "client: %s", cerr.message);
    return c;
}

/* One call of op with the request text on client c (a fresh one when c is NULL). */
static struct outcome
call_on(struct ddb_client *c, const struct ddb_options *opts, const char *op, const char *request)
{
    struct outcome o;
    int own = c == NULL;
    json_object *req = json_tokener_parse(request);
    long t0;

    memset(&o, 0, sizeof(o));
    ck_assert_ptr_nonnull(req);
    if (own)
        c = client_of(opts);
    t0 = now_ms();
    o.status = ddb_call(c, op, req, &o.response, &o.err);
    o.elapsed_ms = now_ms() - t0;
    ddb_client_stats(c, &o.stats);
    if (own)
        ddb_client_free(c);
    json_object_put(req);
    return o;
}

static void
assert_uncertain(const struct outcome *o, ddb_status want)
{
    ck_assert_msg(o->status == want, "got %s: %s", ddb_error_name(o->status), o->err.message);
    ck_assert_msg(o->err.maybe_applied, "maybe_applied not set for %s", ddb_error_name(o->status));
    ck_assert_int_eq(o->err.status, want);
    ck_assert_int_eq(o->err.attempts, 1);
    ck_assert_uint_eq(o->stats.retries, 0);
    ck_assert_ptr_null(o->response);
}

/* The answer to a PutItem came back with a wrong x-amz-crc32: DynamoDB applied it, so it is
 * not sent again (a GetItem would be: crc_mismatch_is_retried). */
START_TEST(crc_mismatch_of_a_put_is_not_resent)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":200,\"body\":{},\"crc32\":\"wrong\"}],"
             "\"default\":" EMPTY_OK "}");
    o = call_on(NULL, &opts, "PutItem", PUT_REQUEST);
    assert_uncertain(&o, DDB_ERR_CRC32);
    assert_server_saw(1);
    ck_assert_int_eq(server_saw_target("PutItem"), 1);
}
END_TEST

/* The connection closes after the PutItem was sent, on a kept-alive connection: curl would
 * send it again on a new one by itself; the transport does not let it. A GetItem in its place
 * is sent again. */
START_TEST(lost_answer_on_a_kept_alive_connection_is_not_resent)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c = client_of(&opts);
    struct outcome o;

    scenario("{\"responses\":[" ITEM_BODY ",{\"reset\":true}],\"default\":" EMPTY_OK "}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    json_object_put(o.response);
    o = call_on(c, &opts, "PutItem", PUT_REQUEST);
    ck_assert_msg(o.status == DDB_ERR_TRANSPORT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert(o.err.maybe_applied);
    ck_assert_int_eq(o.err.attempts, 1);
    ck_assert_int_eq(server_saw_target("PutItem"), 1);
    assert_server_saw(2);

    scenario("{\"responses\":[" ITEM_BODY ",{\"reset\":true}," ITEM_BODY "]}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    json_object_put(o.response);
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    ck_assert(!o.err.maybe_applied);
    json_object_put(o.response);
    assert_server_saw(3);
    ddb_client_free(c);
}
END_TEST

/* An UpdateItem whose answer never comes: the attempt times out, and is not sent again. */
START_TEST(hung_update_is_not_resent)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    opts.attempt_timeout_ms = 300;
    opts.retry.total_ms = 3000;
    scenario("{\"responses\":[{\"hang\":true}],\"default\":" EMPTY_OK "}");
    o = call_on(NULL, &opts, "UpdateItem",
                "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}},"
                "\"UpdateExpression\":\"SET v = v + :one\","
                "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}");
    assert_uncertain(&o, DDB_ERR_TIMEOUT);
    ck_assert_msg(o.elapsed_ms < 1500, "took %ld ms", o.elapsed_ms);
    ck_assert_int_eq(server_saw_target("UpdateItem"), 1);
}
END_TEST

/* What the service refused was not applied: throttling and a 5xx with an AWS error are
 * retried for writes too. */
START_TEST(refused_writes_are_retried)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[" THROTTLE_BODY ",{\"status\":500,\"body\":{\"__type\":"
             "\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"Internal "
             "server error\"}}," EMPTY_OK "]}");
    o = call_on(NULL, &opts, "PutItem", PUT_REQUEST);
    ck_assert_msg(o.status == DDB_OK, "got %s: %s", ddb_error_name(o.status), o.err.message);
    ck_assert_int_eq(o.err.attempts, 3);
    ck_assert(!o.err.maybe_applied);
    ck_assert_int_eq(server_saw_target("PutItem"), 3);
    json_object_put(o.response);
}
END_TEST

/* A proxy's 502 page may come after it passed the write on: not sent again. */
START_TEST(unclear_5xx_of_a_write_is_not_resent)
{
    struct ddb_options opts = small_policy();
    struct outcome o;

    scenario("{\"responses\":[{\"status\":502,\"body\":\"<html>502 Bad Gateway</html>\","
             "\"headers\":{\"Content-Type\":\"text/html\"}}],\"default\":" EMPTY_OK "}");
    o = call_on(NULL, &opts, "DeleteItem",
                "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}},"
                "\"ConditionExpression\":\"attribute_exists(id)\"}");
    assert_uncertain(&o, DDB_ERR_SERVICE);
    ck_assert_int_eq(o.err.http_status, 502);
    assert_server_saw(1);
}
END_TEST

/* A batch of deletes only is harmless to repeat: its bad CRC is retried; one put in the batch
 * makes it a write that is not. */
START_TEST(batch_of_deletes_is_resent_batch_with_a_put_is_not)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c = client_of(&opts);
    struct ddb_error err;
    json_object *deletes =
        json_tokener_parse("[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}},"
                           "{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"b\"}}}}]");
    json_object *mixed = json_tokener_parse("[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"a\"}}}},"
                                            "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]");
    ddb_status st;

    ck_assert_ptr_nonnull(deletes);
    ck_assert_ptr_nonnull(mixed);
    scenario("{\"responses\":[{\"status\":200,\"body\":{\"UnprocessedItems\":{}},\"crc32\":"
             "\"wrong\"}],\"default\":{\"status\":200,\"body\":{\"UnprocessedItems\":{}}}}");
    st = ddb_batch_write(c, "things", deletes, &err);
    ck_assert_msg(st == DDB_OK, "got %s: %s", ddb_error_name(st), err.message);
    ck_assert_int_eq(server_saw_target("BatchWriteItem"), 2);

    scenario("{\"responses\":[{\"status\":200,\"body\":{\"UnprocessedItems\":{}},\"crc32\":"
             "\"wrong\"}],\"default\":{\"status\":200,\"body\":{\"UnprocessedItems\":{}}}}");
    st = ddb_batch_write(c, "things", mixed, &err);
    ck_assert_msg(st == DDB_ERR_CRC32, "got %s: %s", ddb_error_name(st), err.message);
    ck_assert(err.maybe_applied);
    ck_assert_int_eq(server_saw_target("BatchWriteItem"), 1);
    json_object_put(deletes);
    json_object_put(mixed);
    ddb_client_free(c);
}
END_TEST

/* A write to a port that refuses connections: nothing was sent, so it is retried. */
START_TEST(refused_connection_write_is_retried)
{
    struct ddb_options opts = small_policy();
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char url[64];
    char *saved;
    struct outcome o;
    int fd;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    saved = strdup(endpoint_url());
    ck_assert_ptr_nonnull(saved);
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", url, 1), 0);
    o = call_on(NULL, &opts, "PutItem", PUT_REQUEST);
    ck_assert_int_eq(setenv("AWS_ENDPOINT_URL_DYNAMODB", saved, 1), 0);
    free(saved);
    close(fd);

    ck_assert_msg(o.status == DDB_ERR_CONNECT, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert(!o.err.maybe_applied);
    ck_assert_int_eq(o.err.attempts, 4);
}
END_TEST

/* ReturnValuesOnConditionCheckFailure: the item in the failure's body reaches the caller. */
START_TEST(conditional_failure_hands_back_the_old_item)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c = client_of(&opts);
    struct ddb_error err;
    json_object *item = json_tokener_parse("{\"id\":{\"S\":\"a\"}}"), *old = NULL, *v;
    struct ddb_cond cond = {.expression = "attribute_not_exists(id)", .old_item = &old};
    ddb_status st;

    scenario("{\"responses\":[{\"status\":400,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request "
             "failed\",\"Item\":{\"id\":{\"S\":\"a\"},\"write_token\":{\"S\":\"t1\"}}}}]}");
    st = ddb_put_item(c, "things", item, &cond, NULL, NULL, &err);
    ck_assert_int_eq(st, DDB_ERR_CONDITIONAL);
    ck_assert(!err.maybe_applied);
    ck_assert_ptr_nonnull(old);
    ck_assert(json_object_object_get_ex(old, "write_token", &v));
    ck_assert_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "{\"S\":\"t1\"}");
    json_object_put(old);
    assert_server_saw(1);

    /* No Item (no item, or a service that ignores the parameter): NULL. */
    scenario("{\"responses\":[{\"status\":400,\"body\":{\"__type\":\"com.amazonaws.dynamodb."
             "v20120810#ConditionalCheckFailedException\",\"message\":\"failed\"}}]}");
    st = ddb_put_item(c, "things", item, &cond, NULL, NULL, &err);
    ck_assert_int_eq(st, DDB_ERR_CONDITIONAL);
    ck_assert_ptr_null(old);
    json_object_put(item);
    ddb_client_free(c);
}
END_TEST

/* ---- the owner's hooks (ddb_client_set_hooks) ---- */

/* What the hooks saw; go_on says yes `allow` times, then no. */
static struct {
    int reached[16];
    int attempts;
    int asked;
    int allow;
} hook_log;

static void
hook_attempt(void *ctx, int reached)
{
    ck_assert_ptr_eq(ctx, &hook_log);
    if (hook_log.attempts < 16)
        hook_log.reached[hook_log.attempts] = reached;
    hook_log.attempts++;
}

static int
hook_go_on(void *ctx)
{
    ck_assert_ptr_eq(ctx, &hook_log);
    return hook_log.asked++ < hook_log.allow;
}

/* A client with the hooks, go_on allowing `allow` attempts or rounds. */
static struct ddb_client *
hooked_client(const struct ddb_options *opts, int allow)
{
    struct ddb_client *c = client_of(opts);
    struct ddb_hooks hooks = {hook_attempt, hook_go_on, &hook_log};

    memset(&hook_log, 0, sizeof(hook_log));
    hook_log.allow = allow;
    ddb_client_set_hooks(c, &hooks);
    return c;
}

/* Each attempt is reported: a hung one (cut at the attempt timeout) and a dropped one did not
 * reach DynamoDB; a throttle and an answer did. go_on is asked before every attempt. */
START_TEST(hooks_see_every_attempt)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c;
    struct outcome o;

    opts.attempt_timeout_ms = 300;
    c = hooked_client(&opts, 100);
    scenario("{\"responses\":[{\"hang\":true},{\"reset\":true}," THROTTLE_BODY "," ITEM_BODY "]}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    ck_assert_int_eq(o.err.attempts, 4);
    ck_assert_msg(o.elapsed_ms >= 300 - 50 && o.elapsed_ms < 1500, "took %ld ms", o.elapsed_ms);
    ck_assert_int_eq(hook_log.attempts, 4);
    ck_assert_int_eq(hook_log.reached[0], 0);
    ck_assert_int_eq(hook_log.reached[1], 0);
    ck_assert_int_eq(hook_log.reached[2], 1);
    ck_assert_int_eq(hook_log.reached[3], 1);
    ck_assert_int_eq(hook_log.asked, 4);
    assert_server_saw(4);
    json_object_put(o.response);

    /* Removed: nothing is reported any more. */
    ddb_client_set_hooks(c, NULL);
    scenario("{\"responses\":[" ITEM_BODY "]}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    ck_assert_int_eq(hook_log.attempts, 4);
    json_object_put(o.response);
    ddb_client_free(c);
}
END_TEST

/* go_on says no after the first attempt hung: no retry, DDB_ERR_STOPPED at once, and the
 * message keeps what went wrong. */
START_TEST(go_on_stops_retries)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c;
    struct outcome o;

    opts.attempt_timeout_ms = 300;
    c = hooked_client(&opts, 1);
    scenario("{\"responses\":[{\"hang\":true}],\"default\":" ITEM_BODY "}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    ck_assert_msg(o.status == DDB_ERR_STOPPED, "got %s: %s", ddb_error_name(o.status),
                  o.err.message);
    ck_assert_msg(strstr(o.err.message, "timed out") != NULL, "message: %s", o.err.message);
    ck_assert_int_eq(o.err.attempts, 1);
    ck_assert_msg(o.elapsed_ms >= 300 - 50 && o.elapsed_ms < 1000, "took %ld ms", o.elapsed_ms);
    ck_assert_int_eq(hook_log.attempts, 1);
    ck_assert_int_eq(hook_log.reached[0], 0);
    ck_assert_int_eq(hook_log.asked, 2);
    ck_assert_int_eq(o.stats.errors[DDB_ERR_STOPPED], 1);
    ck_assert_int_eq(server_saw_target("GetItem"), 1);

    /* A write stopped before its first attempt sends nothing and was not applied. */
    o = call_on(c, &opts, "PutItem", PUT_REQUEST);
    ck_assert_int_eq(o.status, DDB_ERR_STOPPED);
    ck_assert_int_eq(o.err.attempts, 0);
    ck_assert(!o.err.maybe_applied);
    ck_assert_int_eq(hook_log.attempts, 1);
    ck_assert_int_eq(server_saw_target("PutItem"), 0);
    ddb_client_free(c);
}
END_TEST

/* A write whose attempt timed out may have been applied: it ends there, maybe_applied, and
 * go_on is not even asked about a retry that cannot happen. */
START_TEST(go_on_leaves_an_uncertain_write_uncertain)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c;
    struct outcome o;

    opts.attempt_timeout_ms = 300;
    c = hooked_client(&opts, 100);
    scenario("{\"responses\":[{\"hang\":true}],\"default\":" EMPTY_OK "}");
    o = call_on(c, &opts, "PutItem", PUT_REQUEST);
    assert_uncertain(&o, DDB_ERR_TIMEOUT);
    ck_assert_int_eq(hook_log.asked, 1);
    ck_assert_int_eq(hook_log.attempts, 1);
    ck_assert_int_eq(hook_log.reached[0], 0);
    ck_assert_int_eq(server_saw_target("PutItem"), 1);
    ddb_client_free(c);
}
END_TEST

/* go_on is asked before each round of a batch: a throttled first round is not followed by a
 * second once it says no. */
START_TEST(go_on_stops_batch_rounds)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c = hooked_client(&opts, 1);
    struct ddb_error err;
    json_object *keys = json_tokener_parse("[{\"id\":{\"S\":\"a\"}},{\"id\":{\"S\":\"b\"}}]");
    json_object *items = NULL;
    ddb_status st;

    ck_assert_ptr_nonnull(keys);
    scenario("{\"responses\":[" THROTTLE_BODY "],\"default\":{\"status\":200,\"body\":"
             "{\"Responses\":{\"things\":[]},\"UnprocessedKeys\":{}}}}");
    st = ddb_batch_get(c, "things", keys, 0, &items, &err);
    ck_assert_msg(st == DDB_ERR_STOPPED, "got %s: %s", ddb_error_name(st), err.message);
    ck_assert_int_eq(server_saw_target("BatchGetItem"), 1);
    ck_assert_int_eq(hook_log.attempts, 1);
    ck_assert_int_eq(hook_log.reached[0], 1);
    json_object_put(items);
    json_object_put(keys);
    ddb_client_free(c);
}
END_TEST

/* A page (Query) may take DDB_PAGE_ATTEMPT_FACTOR attempt timeouts; a single item one. */
START_TEST(page_attempts_get_longer)
{
    struct ddb_options opts = small_policy();
    struct ddb_client *c;
    struct outcome o;

    opts.attempt_timeout_ms = 200;
    c = client_of(&opts);
    scenario("{\"responses\":[{\"delay_ms\":500,\"status\":200,\"body\":{\"Items\":[],"
             "\"Count\":0}}]}");
    o = call_on(c, &opts, "Query",
                "{\"TableName\":\"things\",\"KeyConditionExpression\":\"id = :a\","
                "\"ExpressionAttributeValues\":{\":a\":{\"S\":\"a\"}}}");
    ck_assert_msg(o.status == DDB_OK, "got %s: %s", ddb_error_name(o.status), o.err.message);
    ck_assert_int_eq(o.err.attempts, 1);
    json_object_put(o.response);

    scenario("{\"responses\":[{\"delay_ms\":500,\"status\":200,\"body\":{}}],\"default\":" ITEM_BODY
             "}");
    o = call_on(c, &opts, "GetItem", "{\"TableName\":\"things\",\"Key\":{\"id\":{\"S\":\"a\"}}}");
    assert_item(&o);
    ck_assert_int_eq(o.err.attempts, 2);
    ck_assert_msg(o.elapsed_ms >= 200 - 50 && o.elapsed_ms < 500, "took %ld ms", o.elapsed_ms);
    json_object_put(o.response);
    ddb_client_free(c);
}
END_TEST

static Suite *
faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, throttle_is_retried);
    tcase_add_test(tc, crc_mismatch_is_retried);
    tcase_add_test(tc, crc_mismatch_persisting_fails);
    tcase_add_test(tc, validation_is_not_retried);
    tcase_add_test(tc, conditional_failure_is_not_retried);
    tcase_add_test(tc, server_errors_are_retried);
    tcase_add_test(tc, dropped_connection_is_retried);
    tcase_add_test(tc, persistent_throttling_gives_up);
    tcase_add_test(tc, deadline_bounds_retries);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, hung_server_times_out);
    tcase_add_test(tc, hung_attempt_is_retried);
    tcase_add_test(tc, request_deadline_cuts_a_hung_call);
    tcase_add_test(tc, request_deadline_bounds_retries);
    tcase_add_test(tc, request_deadline_spent_sends_nothing);
    tcase_add_test(tc, request_deadline_cleared_keeps_the_call_budget);
    tcase_add_test(tc, request_deadline_bounds_batch_rounds);
    tcase_add_test(tc, crc_mismatch_of_a_put_is_not_resent);
    tcase_add_test(tc, lost_answer_on_a_kept_alive_connection_is_not_resent);
    tcase_add_test(tc, hung_update_is_not_resent);
    tcase_add_test(tc, refused_writes_are_retried);
    tcase_add_test(tc, unclear_5xx_of_a_write_is_not_resent);
    tcase_add_test(tc, batch_of_deletes_is_resent_batch_with_a_put_is_not);
    tcase_add_test(tc, refused_connection_write_is_retried);
    tcase_add_test(tc, conditional_failure_hands_back_the_old_item);
    tcase_add_test(tc, hooks_see_every_attempt);
    tcase_add_test(tc, go_on_stops_retries);
    tcase_add_test(tc, go_on_leaves_an_uncertain_write_uncertain);
    tcase_add_test(tc, go_on_stops_batch_rounds);
    tcase_add_test(tc, page_attempts_get_longer);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(faults_suite)
