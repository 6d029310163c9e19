#!/bin/sh
# A dynamic pool (--workers-min 1 spare, --workers-max 5): it starts small, grows while a
# loop keeps 4 slow requests going (the proxy holds every GetItem for 300 ms), never beyond
# the maximum, and shrinks back once the load is gone, without a failed request.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
harness_start_stack --workers-min 1 --workers-max 5

start=$(pl_worker_count)
pl_ok "it starts small: the spare worker, at most one more (got $start)" [ "$start" -le 2 ]
pl_create_company Dynco
pl_proxy_delay GetItem 300 0
: >"$HARNESS_DIR/counts"
(
    while :; do
        pl_worker_count >>"$HARNESS_DIR/counts"
        sleep 0.05
    done
) &
SAMPLER_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $SAMPLER_PID"
pl_loop_start "$BASE_URL/api/companies/dynco" --concurrency 4

at_least() { [ "$(pl_worker_count)" -ge "$1" ]; }
pl_ok "under load it grows to 4 busy workers and a spare (5)" pl_poll 15 at_least 5
pl_poll 20 pl_loop_at_least 40 || pl_note "the loop is slow"
pl_loop_stop
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
most=$(sort -n "$HARNESS_DIR/counts" | tail -1)
pl_ok "it never went beyond the maximum (most seen: $most)" [ "$most" -le 5 ]
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "no request failed" [ "${failed:-1}" -eq 0 ]

at_most() { [ "$(pl_worker_count)" -le "$1" ]; }
pl_ok "without load it shrinks to twice the spare count (2)" pl_poll 20 at_most 2
pl_ok "and no further than the spare count" at_least 1
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "requests still succeed (got $code)" [ "$code" = 200 ]
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
