#!/bin/sh
# One deadline per request: with SAVEALIFE_REQUEST_TIMEOUT 3 (a 2.5 s budget), DynamoDB
# answering slower than the budget gives 503 with Retry-After within the timeout, never 502,
# and the worker is not replaced: a plain read, an update whose decision read would overrun
# (the update itself answers late, then the read after its failed condition hangs), and a
# bulk delete whose BatchWriteItem hangs. The DynamoDB attempt timeout is raised to 10 s
# (SAVEALIFE_DDB_ATTEMPT_TIMEOUT), so that one slow answer is cut by the request's deadline
# rather than by the attempt timeout and a retry (the service's default of 500 ms would
# answer the read 200 from its second attempt).
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=2
harness_start_stack --request-timeout 3 --ddb-attempt-timeout 10000

pl_create_company Slowco
pl_create_company Otherco
pl_create_company Bulkco
pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
before=$(pl_workers)

# timed NAME CURL_ARGS...: one request; status in $code, seconds in $secs, headers in
# $HARNESS_DIR/NAME.h.
timed() {
    _name=$1
    shift
    set -- $(curl -s -o /dev/null -D "$HARNESS_DIR/$_name.h" -w '%{http_code} %{time_total}' \
        --max-time 30 "$@" 2>/dev/null)
    code=${1:-000}
    secs=${2:-99}
}

# answered_in_time NAME: 503, Retry-After, within the timeout (3 s) and not before 2 s
# (the budget is 2.5 s: an answer much earlier would not have waited for DynamoDB at all).
answered_in_time() {
    pl_note "$1: $code in $secs s, Retry-After $(harness_header Retry-After "$HARNESS_DIR/$1.h")"
    pl_ok "$1: 503, not 502 (got $code)" [ "$code" = 503 ]
    pl_ok "$1: with Retry-After" [ -n "$(harness_header Retry-After "$HARNESS_DIR/$1.h")" ]
    pl_ok "$1: within the 3 s timeout, after the 2.5 s budget ($secs s)" \
        awk -v t="$secs" 'BEGIN { exit !(t >= 2.0 && t < 3.0) }'
}

# A success in between: DynamoDB answers again, and the breaker's run of failures ends.
served_again() {
    code=$(pl_http_code "$BASE_URL/api/companies/otherco")
    pl_ok "$1: the next read is served (got $code)" [ "$code" = 200 ]
}

pl_proxy_delay GetItem 10000 1
timed read "$BASE_URL/api/companies/slowco"
answered_in_time read
served_again read

# If-Match "999" fails the condition; the read that tells 412 from 404 then finds 1 s left
# and a DynamoDB that does not answer.
pl_proxy_delay UpdateItem 1500 1
pl_proxy_delay GetItem 10000 1
timed update "$BASE_URL/api/companies/slowco" -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -H 'If-Match: "999"' -d '{"name":"Slowco"}'
answered_in_time update
pl_ok "update: the decision read was sent" pl_poll 5 [ "$(pl_proxy_seen GetItem)" -ge 3 ]
served_again update

pl_proxy_delay BatchWriteItem 10000 0
timed bulk "$BASE_URL/api/companies?id=slowco&id=bulkco" -X DELETE \
    -H "Authorization: Bearer $ADMIN_TOKEN"
answered_in_time bulk
pl_proxy_delay BatchWriteItem 0 0
served_again bulk

pl_ok "no worker was replaced ($before -> $(pl_workers))" [ "$(pl_workers)" = "$before" ]
pl_ok "the master killed no worker" sh -c "! grep -q 'killed' '$HARNESS_DIR/serve.log'"
slow=$(curl -s --max-time 15 -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status" |
    sed -n 's/.*"slow_requests":\([0-9]*\).*/\1/p')
pl_ok "the status page counts no slow request (got $slow)" [ "$slow" = 0 ]
pl_ok "nginx logged no upstream timeout or reset" \
    sh -c "! grep -E -q 'upstream timed out|prematurely closed' '$HARNESS_DIR/nginx/error.log'"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
