#!/bin/sh
# --request-timeout 1 with a request the proxy holds for 5 s: the master kills the stuck
# worker (nginx answers 502 for that request, well before the 5 s) and replaces it, and the
# next requests succeed.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=2
harness_start_stack --request-timeout 1

pl_create_company Stuckco
pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
before=$(pl_workers)

pl_proxy_delay GetItem 5000 1
out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 \
    "$BASE_URL/api/companies/stuckco" 2>/dev/null)
set -- $out
pl_note "the held request: $1 in $2 s"
pl_ok "nginx answers 502 for the request that outlived the timeout (got $1)" [ "$1" = 502 ]
pl_ok "it was cut before the proxy let it go (< 4.5 s)" awk -v t="$2" 'BEGIN { exit !(t < 4.5) }'
pl_ok "and not before the timeout (>= 0.9 s)" awk -v t="$2" 'BEGIN { exit !(t >= 0.9) }'

one_replaced() {
    now=$(pl_workers)
    gone=0
    for p in $before; do
        echo " $now " | grep -q " $p " || gone=$((gone + 1))
    done
    pl_count_is 2 && [ "$gone" -eq 1 ]
}
pl_ok "exactly one worker was replaced, and the pool is back to 2" pl_poll 10 one_replaced
pl_note "workers: $before -> $(pl_workers)"
ok=0
for i in 1 2 3 4 5 6; do
    [ "$(pl_http_code "$BASE_URL/api/health")" = 200 ] && ok=$((ok + 1))
done
pl_ok "the next requests succeed (6 of 6)" [ "$ok" -eq 6 ]
code=$(pl_http_code "$BASE_URL/api/companies/stuckco")
pl_ok "the same request succeeds once DynamoDB answers in time (got $code)" [ "$code" = 200 ]
pl_ok "the master still runs" pl_alive "$SERVE_PID"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
