#!/bin/sh
# SIGHUP during a continuous request loop through nginx: every worker is replaced by a new
# one and not one request fails, twice in a row. The proxy in front of dynalite holds every
# GetItem for 150 ms, so that workers are always in the middle of requests when the reload
# comes, and the loop keeps more requests going than there are workers, so that some wait
# in the socket's queue. A reload with a broken tokens file is refused: the workers stay as
# they were and go on serving.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=4
harness_start_stack

pl_poll 10 pl_count_is 4 || harness_bail "the pool never had 4 workers: $(pl_workers)"
pl_create_company Reloadco
pl_proxy_delay GetItem 150 0
pl_loop_start "$BASE_URL/api/companies/reloadco" --concurrency 6
pl_poll 20 pl_loop_at_least 20 || harness_bail "the request loop does not advance"

# all_new "OLD": the pool is 4 workers, none of them in OLD, and every old one has exited.
all_new() {
    now=$(pl_workers)
    pl_count_is 4 && pl_disjoint "$1" "$now" && pl_all_gone "$1"
}

for round in 1 2; do
    old=$(pl_workers)
    kill -HUP "$SERVE_PID"
    pl_ok "reload $round: every worker is replaced by a new process" pl_poll 20 all_new "$old"
    pl_note "reload $round: $old -> $(pl_workers)"
    at=$(pl_loop_done)
    pl_ok "reload $round: the loop goes on (30 more requests)" pl_poll 20 pl_loop_at_least $((at + 30))
done

# A tokens file the service cannot load: the reload is refused and nothing changes. The
# master's log line only tells when it has acted; the assertions look at the processes.
cp "$HARNESS_DIR/tokens" "$HARNESS_DIR/tokens.good"
echo 'not-a-digest' >>"$HARNESS_DIR/tokens"
old=$(pl_workers)
refusals=$(grep -c 'reload refused' "$HARNESS_DIR/serve.log")
kill -HUP "$SERVE_PID"
refused() { [ "$(grep -c 'reload refused' "$HARNESS_DIR/serve.log")" -gt "$refusals" ]; }
pl_poll 10 refused || pl_note "the master did not log a refusal"
at=$(pl_loop_done)
pl_poll 20 pl_loop_at_least $((at + 30)) || pl_note "the loop stalled after the bad reload"
pl_ok "a reload with a broken tokens file keeps the same workers" [ "$(pl_workers)" = "$old" ]
cp "$HARNESS_DIR/tokens.good" "$HARNESS_DIR/tokens"

pl_loop_stop
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "no request failed" [ "${failed:-1}" -eq 0 ]
code=$(pl_http_code "$BASE_URL/api/donors?city=Oslo" -H "Authorization: Bearer $ADMIN_TOKEN")
pl_ok "the admin token still works after the reloads (got $code)" [ "$code" = 200 ]
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
