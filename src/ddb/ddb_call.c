/* A DynamoDB call: the client signs each attempt, sends it on the kept-alive transport, checks and
 * parses the answer, and retries what may be retried within attempts and one deadline.
 *
 * A retry is a decision per operation (retry_repeatable): a read, or a delete that only asks
 * for an item to be gone, may be sent again after any retryable failure. A write is sent again
 * only when the failed attempt was certainly not applied: throttled, refused by the service
 * with an AWS error (a 5xx included), or never sent (a refused connection). An attempt that
 * may have been applied (sent, then timed out, lost, answered with a bad CRC or a body not
 * understood) ends the call with err->maybe_applied set: its caller knows how to tell whether
 * it happened (the repositories' write tokens), the client does not. The transport keeps curl
 * from re-sending such a write on its own (transport_request.once).
 *
 * Each attempt has its own timeout, far below the call's budget: DynamoDB answers an item in
 * milliseconds, so an attempt that has waited that long is stalled, and another (or the
 * owner's breaker) serves better than waiting on. The owner hears of every attempt (hooks:
 * reached DynamoDB or not) and is asked before every attempt whether to go on, so that a
 * pool-wide breaker stops calls that would only wait on a DynamoDB out of reach.
 *
 * A 2xx whose body is not a JSON object is DDB_ERR_BAD_RESPONSE and is not retried, as in
 * botocore: the operation was applied (a retried conditional write would then fail for the
 * wrong reason), and corruption in transit is caught before that by the x-amz-crc32 check
 * (DDB_ERR_CRC32) or by curl (a short body is a transport error), both retried where a repeat
 * is harmless. */
#include "ddb/ddb.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddb/creds.h"
#include "ddb/endpoint.h"
#include "ddb/sigv4.h"
#include "ddb/transport.h"
#include "ddb_client_state.h"
#include "util/clock.h"

/* A retry is only worth starting if at least this much time is left for it. */
#define DDB_MIN_ATTEMPT_MS 100L

/* The body of a 2xx, parsed strictly: one JSON object and nothing after it. */
static ddb_status
parse_body(struct ddb_client *c, const char *body, size_t len, json_object **out,
           struct ddb_error *err)
{
    struct json_tokener *tok = c->tok;
    json_object *obj = NULL;
    ddb_status st = DDB_OK;
    size_t end;

    *out = NULL;
    if (len == 0 || len > INT32_MAX) {
        st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "the answer's body is %s",
                           len == 0 ? "empty" : "too large");
        goto out;
    }
    /* The client's parser, made once; reset, it keeps its flags and its stack. */
    json_tokener_reset(tok);
    obj = json_tokener_parse_ex(tok, body, (int)len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "the answer is not valid JSON: %s",
                           json_tokener_error_desc(json_tokener_get_error(tok)));
        goto out;
    }
    for (end = json_tokener_get_parse_end(tok); end < len; end++)
        if (!isspace((unsigned char)body[end]))
            break;
    if (end != len || !json_object_is_type(obj, json_type_object)) {
        st = ddb_error_set(err, DDB_ERR_BAD_RESPONSE, "the answer is not one JSON object");
        goto out;
    }
    *out = obj;
    obj = NULL;
out:
    json_object_put(obj);
    return st;
}

/* Adds the service's request id to a failure's message, for support cases. */
static void
note_request_id(struct ddb_error *err, const char *request_id)
{
    size_t len = strlen(err->message);

    if (request_id[0] != '\0' && len + 16 + strlen(request_id) < sizeof(err->message))
        snprintf(err->message + len, sizeof(err->message) - len, " (request id %s)", request_id);
}

/* Tells the owner whether the attempt reached DynamoDB (tst is what the transport gave). */
static void
call_report(const struct ddb_client *c, ddb_status tst)
{
    int reached;

    if (c->hooks.attempt == NULL)
        return;
    switch (tst) {
    case DDB_OK:
    case DDB_ERR_CRC32: /* an answer, damaged on its way */
        reached = 1;
        break;
    case DDB_ERR_CONNECT:
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_TRANSPORT:
        reached = 0;
        break;
    default:
        return; /* a local failure (memory, TLS setup): nothing learnt about DynamoDB */
    }
    c->hooks.attempt(c->hooks.ctx, reached);
}

/* Ends a call the owner stopped: err says so, keeping what went wrong before and
 * maybe_applied. */
static void
call_stopped(struct ddb_error *err)
{
    if (err->status != DDB_OK) {
        char was[sizeof(err->message)];

        snprintf(was, sizeof(was), "%s", err->message);
        ddb_error_set(err, DDB_ERR_STOPPED,
                      "DynamoDB is out of reach (the breaker is open); not sent again after: %s",
                      was);
    } else {
        ddb_error_set(err, DDB_ERR_STOPPED, "DynamoDB is out of reach (the breaker is open)");
    }
}

/* Whether the owner lets the call make another attempt (or a round). */
static int
call_go_on(const struct ddb_client *c)
{
    return c->hooks.go_on == NULL || c->hooks.go_on(c->hooks.ctx);
}

/* Judges one attempt: tst and resp are what the transport gave. Fills call->response on
 * success, call->err otherwise. */
static ddb_status
call_outcome(struct ddb_client *c, struct call *call, ddb_status tst,
             struct transport_response *resp)
{
    struct ddb_error *err = call->err;
    ddb_status st = tst;

    c->stats.attempts++;
    call_report(c, tst);
    if (tst == DDB_OK) {
        if (resp->status >= 200 && resp->status <= 299) {
            st = parse_body(c, resp->body, resp->body_len, &call->response, err);
            if (st != DDB_OK)
                err->http_status = (int)resp->status;
        } else {
            ddb_error_from_response(err, (int)resp->status, resp->body, resp->body_len);
            st = err->status;
            if (st == DDB_OK) /* a non-2xx is never a success */
                st = ddb_error_set(err, DDB_ERR_SERVICE, "HTTP %ld", resp->status);
        }
    }
    if (st != DDB_OK) {
        note_request_id(err, resp->request_id);
        if (ddb_error_is_throttle(err))
            c->stats.throttles++;
        if (!call->repeatable && ddb_error_maybe_applied(err, resp->sent))
            err->maybe_applied = 1;
        /* Kept for the caller: with ReturnValuesOnConditionCheckFailure it holds the item. */
        if (st == DDB_ERR_CONDITIONAL && !call->repeatable) {
            struct ddb_error perr;

            json_object_put(call->failure_body);
            if (parse_body(c, resp->body, resp->body_len, &call->failure_body, &perr) != DDB_OK)
                call->failure_body = NULL;
        }
    }
    transport_response_free(resp);
    return st;
}

/* Whether a failed call gets another attempt, and after how long (call->wait_ms). */
static int
call_should_retry(struct ddb_client *c, struct call *call, long deadline)
{
    long left;

    if (!ddb_error_is_retryable(call->err) || call->err->maybe_applied ||
        call->attempts >= c->retry.max_attempts)
        return 0;
    call->wait_ms = retry_backoff_ms(&c->retry, call->attempts, &c->rnd);
    left = deadline - clock_now_ms();
    return left - call->wait_ms >= DDB_MIN_ATTEMPT_MS;
}

/* A call's deadline: its own budget from start, or the request's if that comes first. */
static long
call_deadline(const struct ddb_client *c, long start)
{
    long deadline = start + c->retry.total_ms;

    if (c->request_deadline_ms != 0 && (long)c->request_deadline_ms < deadline)
        deadline = (long)c->request_deadline_ms;
    return deadline;
}

/* Whether the deadline leaves too little for even one attempt: nothing is sent then. */
static int
call_out_of_time(long deadline, struct ddb_error *err)
{
    long left = deadline - clock_now_ms();

    if (left >= DDB_MIN_ATTEMPT_MS)
        return 0;
    ddb_error_set(err, DDB_ERR_TIMEOUT, "the request's deadline leaves %ld ms, too little to call",
                  left > 0 ? left : 0);
    return 1;
}

/* The time an attempt may take: its own limit, cut to what the deadline leaves. */
static long
attempt_timeout(const struct ddb_client *c, const struct call *call, long deadline)
{
    long left = deadline - clock_now_ms();
    long limit = c->attempt_timeout_ms;

    if (call->page)
        limit = limit <= LONG_MAX / DDB_PAGE_ATTEMPT_FACTOR ? limit * DDB_PAGE_ATTEMPT_FACTOR
                                                            : LONG_MAX;
    if (left < 1)
        left = 1;
    return left < limit ? left : limit;
}

/* Operations that read or write a page of items rather than one. */
static int
operation_is_page(const char *op)
{
    return strcmp(op, "Query") == 0 || strcmp(op, "Scan") == 0 || strcmp(op, "BatchGetItem") == 0 ||
           strcmp(op, "BatchWriteItem") == 0;
}

static void
stats_record(struct ddb_client *c, ddb_status st, long elapsed_ms)
{
    static const long bounds[DDB_LATENCY_BUCKETS - 1] = {5, 10, 25, 50, 100, 250, 1000};
    int b = 0;

    c->stats.calls++;
    if (st != DDB_OK && (int)st >= 0 && (int)st <= (int)DDB_ERR_CLIENT)
        c->stats.errors[st]++;
    c->stats.total_ms += (double)elapsed_ms;
    while (b < DDB_LATENCY_BUCKETS - 1 && elapsed_ms > bounds[b])
        b++;
    c->stats.latency[b]++;
}

/* An operation name goes into a header: letters and digits only. */
static int
operation_valid(const char *op)
{
    size_t n = 0;

    if (op == NULL)
        return 0;
    for (; op[n] != '\0'; n++)
        if (!isalnum((unsigned char)op[n]) || n >= DDB_MAX_OPERATION)
            return 0;
    return n > 0;
}

/* Serialises a request once for every attempt: json-c's string belongs to the object and
 * would change under us if the same object were serialised again. */
static ddb_status
call_init(struct call *call, const char *operation, json_object *request, struct ddb_error *err)
{
    const char *s;
    size_t len;

    memset(call, 0, sizeof(*call));
    call->err = err;
    call->repeatable = retry_repeatable(operation, request);
    call->page = operation != NULL && operation_is_page(operation);
    ddb_error_clear(err);
    if (request != NULL && !json_object_is_type(request, json_type_object))
        return ddb_error_set(err, DDB_ERR_INVALID, "the request is not a JSON object");
    s = request != NULL ? json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN) : "{}";
    if (s == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory serialising the request");
    len = strlen(s);
    call->body = malloc(len + 1);
    if (call->body == NULL)
        return ddb_error_set(err, DDB_ERR_NOMEM, "out of memory serialising the request");
    memcpy(call->body, s, len + 1);
    call->body_len = len;
    return DDB_OK;
}

static void
call_cleanup(struct call *call)
{
    signed_req_free(&call->sreq);
    free(call->body);
    call->body = NULL;
    json_object_put(call->failure_body);
    call->failure_body = NULL;
}

ddb_status
ddb_call(struct ddb_client *c, const char *operation, json_object *request, json_object **response,
         struct ddb_error *err)
{
    struct transport_response resp;
    struct ddb_error local;
    struct call call;
    long start = clock_now_ms(), deadline;
    ddb_status st;

    if (err == NULL)
        err = &local;
    if (response != NULL)
        *response = NULL;
    st = call_init(&call, operation, request, err);
    if (st != DDB_OK)
        goto out;
    if (c == NULL || response == NULL || !operation_valid(operation)) {
        st = ddb_error_set(err, DDB_ERR_INVALID, "ddb_call: no client, response or operation");
        goto out;
    }
    deadline = call_deadline(c, start);
    if (call_out_of_time(deadline, err)) {
        st = DDB_ERR_TIMEOUT;
        goto out;
    }
    for (;;) {
        if (!call_go_on(c)) {
            call_stopped(err);
            st = DDB_ERR_STOPPED;
            break;
        }
        /* Signed afresh each time: a new date, and credentials that may have been renewed. */
        st = call_sign(c, operation, &call, attempt_timeout(c, &call, deadline), err);
        if (st != DDB_OK)
            break;
        call.attempts++;
        st = call_outcome(c, &call, transport_perform(c->transport, &call.sreq.req, &resp, err),
                          &resp);
        if (st == DDB_OK || !call_should_retry(c, &call, deadline))
            break;
        c->stats.retries++;
        clock_sleep_ms(call.wait_ms);
    }
    if (st == DDB_OK) {
        *response = call.response;
    } else if (st == DDB_ERR_CONDITIONAL) {
        *response = call.failure_body;
        call.failure_body = NULL;
    }
out:
    err->attempts = call.attempts;
    call_cleanup(&call);
    if (c != NULL)
        stats_record(c, st, clock_now_ms() - start);
    return st;
}

/* One round of ddb_call_parallel: signs and sends every pending call at once. */
static ddb_status
parallel_round(struct ddb_client *c, const char *operation, struct call *calls, size_t n,
               long deadline, size_t *pending, struct transport_request *reqs,
               struct transport_response *resps, ddb_status *results, struct ddb_error *terrs)
{
    size_t np = 0;

    for (size_t i = 0; i < n; i++) {
        if (calls[i].done)
            continue;
        if (call_sign(c, operation, &calls[i], attempt_timeout(c, &calls[i], deadline),
                      calls[i].err) != DDB_OK) {
            calls[i].done = 1;
            continue;
        }
        pending[np] = i;
        reqs[np] = calls[i].sreq.req;
        np++;
    }
    if (np == 0)
        return DDB_OK;
    /* Per-call outcomes are in results; a failure of the multi machinery is in each. */
    (void)transport_perform_parallel(c->transport, reqs, np, resps, results, terrs);
    for (size_t j = 0; j < np; j++) {
        struct call *call = &calls[pending[j]];

        *call->err = terrs[j];
        call->attempts++;
        if (call_outcome(c, call, results[j], &resps[j]) == DDB_OK)
            call->done = 1;
    }
    return DDB_OK;
}

ddb_status
ddb_call_parallel(struct ddb_client *c, const char *operation, json_object *const *requests,
                  size_t n, json_object **responses, struct ddb_error *errs)
{
    struct call *calls = NULL;
    size_t *pending = NULL;
    struct transport_request *reqs = NULL;
    struct transport_response *resps = NULL;
    ddb_status *results = NULL, st = DDB_OK;
    struct ddb_error *terrs = NULL;
    long start = clock_now_ms(), deadline;
    size_t i;

    for (i = 0; i < n; i++) {
        responses[i] = NULL;
        ddb_error_clear(&errs[i]);
    }
    if (n == 0)
        return DDB_OK;
    if (c == NULL || !operation_valid(operation)) {
        for (i = 0; i < n; i++)
            ddb_error_set(&errs[i], DDB_ERR_INVALID, "ddb_call_parallel: no client or operation");
        return DDB_ERR_INVALID;
    }
    deadline = call_deadline(c, start);
    calls = calloc(n, sizeof(*calls));
    pending = calloc(n, sizeof(*pending));
    reqs = calloc(n, sizeof(*reqs));
    resps = calloc(n, sizeof(*resps));
    results = calloc(n, sizeof(*results));
    terrs = calloc(n, sizeof(*terrs));
    if (calls == NULL || pending == NULL || reqs == NULL || resps == NULL || results == NULL ||
        terrs == NULL) {
        for (i = 0; i < n; i++)
            ddb_error_set(&errs[i], DDB_ERR_NOMEM, "out of memory for parallel calls");
        st = DDB_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++)
        if (call_init(&calls[i], operation, requests[i], &errs[i]) != DDB_OK ||
            call_out_of_time(deadline, &errs[i]))
            calls[i].done = 1;

    for (;;) {
        long wait = 0;
        int again = 0;

        if (!call_go_on(c)) {
            for (i = 0; i < n; i++)
                if (!calls[i].done) {
                    call_stopped(calls[i].err);
                    calls[i].done = 1;
                }
            break;
        }
        parallel_round(c, operation, calls, n, deadline, pending, reqs, resps, results, terrs);
        /* Those that may retry wait together, as long as the longest backoff among them. */
        for (i = 0; i < n; i++) {
            if (calls[i].done)
                continue;
            if (call_should_retry(c, &calls[i], deadline)) {
                again = 1;
                if (calls[i].wait_ms > wait)
                    wait = calls[i].wait_ms;
            } else {
                calls[i].done = 1;
            }
        }
        if (!again || deadline - clock_now_ms() - wait < DDB_MIN_ATTEMPT_MS)
            break;
        for (i = 0; i < n; i++)
            if (!calls[i].done)
                c->stats.retries++;
        clock_sleep_ms(wait);
    }

    for (i = 0; i < n; i++) {
        ddb_status ci = calls[i].response != NULL ? DDB_OK : errs[i].status;

        if (ci == DDB_OK)
            ddb_error_clear(&errs[i]);
        else if (st == DDB_OK)
            st = ci;
        errs[i].attempts = calls[i].attempts;
        responses[i] = calls[i].response;
        stats_record(c, ci, clock_now_ms() - start);
    }
out:
    if (calls != NULL)
        for (i = 0; i < n; i++)
            call_cleanup(&calls[i]);
    free(calls);
    free(pending);
    free(reqs);
    free(resps);
    free(results);
    free(terrs);
    return st;
}
