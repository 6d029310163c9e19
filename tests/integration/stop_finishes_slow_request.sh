#!/bin/sh
# SIGTERM to the master while a request is held inside a worker (the proxy between the
# service and dynalite keeps its GetItem for 2 s): the request completes with its normal
# status, then the master exits 0, its workers are gone, its socket is removed, and nginx's
# next request fails.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=2
# 10 s DynamoDB attempts: the held GetItem must hold the worker, not be retried after the
# default 500 ms attempt timeout.
harness_start_stack --ddb-attempt-timeout 10000

pl_create_company Slowco
workers=$(pl_workers)

seen_getitem() { [ "$(pl_proxy_seen GetItem)" -gt "$1" ]; }
gets_before=$(pl_proxy_seen GetItem)
pl_proxy_delay GetItem 2000 1
curl -s -o "$HARNESS_DIR/slow.body" -w '%{http_code} %{time_total}' --max-time 30 \
    "$BASE_URL/api/companies/slowco" >"$HARNESS_DIR/slow.out" 2>/dev/null &
CURL_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $CURL_PID"
pl_poll 10 seen_getitem "$gets_before" || harness_bail "the proxy never saw the GetItem"
pl_ok "the master runs when the request is in flight" pl_alive "$SERVE_PID"
kill -TERM "$SERVE_PID"

wait "$CURL_PID"
read -r slow_code slow_time <"$HARNESS_DIR/slow.out"
pl_note "the held request: $slow_code in $slow_time s"
pl_ok "the request in flight completed with its normal status (200)" [ "$slow_code" = 200 ]
pl_ok "its body is the company" grep -q '"id":"slowco"' "$HARNESS_DIR/slow.body"
pl_ok "it was held past the SIGTERM (>= 1.9 s)" awk -v t="$slow_time" 'BEGIN { exit !(t >= 1.9) }'

stopped() { ! pl_alive "$SERVE_PID"; }
pl_ok "the master exits after it" pl_poll 20 stopped
wait "$SERVE_PID"
status=$?
pl_ok "with status 0 (got $status)" [ "$status" -eq 0 ]
pl_ok "its workers are gone" pl_all_gone "$workers"
pl_ok "its socket file is removed" [ ! -e "$HARNESS_DIR/fcgi.sock" ]
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "nginx's next request fails: the service is gone (got $code)" [ "$code" = 502 ]
pl_ok "nginx logged a 200 for the held request" \
    grep -q '"GET /api/companies/slowco HTTP/1.1" 200 ' "$HARNESS_DIR/nginx/access.log"
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
