#!/bin/sh
# kill -9 of a worker while a request loop runs through nginx: the master replaces it with a
# new process at once, the loop goes on, and at most the killed worker's request fails. The
# proxy in front of dynalite holds every GetItem for 100 ms, so that the workers are busy
# when the kill comes.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=4
harness_start_stack

pl_poll 10 pl_count_is 4 || harness_bail "the pool never had 4 workers: $(pl_workers)"
before=$(pl_workers)
pl_note "workers before: $before"
pl_create_company Killco
pl_proxy_delay GetItem 100 0
pl_loop_start "$BASE_URL/api/companies/killco" --concurrency 4
pl_poll 20 pl_loop_at_least 20 || harness_bail "the request loop does not advance"

set -- $before
victim=$1
kill -KILL "$victim"
done_at_kill=$(pl_loop_done)
pl_note "killed worker $victim after $done_at_kill requests"

replaced() {
    now=$(pl_workers)
    pl_count_is 4 && ! echo " $now " | grep -q " $victim " && ! pl_disjoint "$before" "$now" &&
        [ "$(echo "$now" | wc -w)" -eq 4 ]
}
pl_ok "the killed worker is gone" pl_poll 10 pl_all_gone "$victim"
pl_ok "the pool is back to 4 workers with a new one in its place" pl_poll 10 replaced
after=$(pl_workers)
pl_note "workers after: $after"
new_pids=0
for p in $after; do
    echo " $before " | grep -q " $p " || new_pids=$((new_pids + 1))
done
pl_ok "exactly one worker is new" [ "$new_pids" -eq 1 ]
pl_ok "the other three workers were left alone" \
    [ "$(for p in $before; do echo " $after " | grep -q " $p " && echo "$p"; done | wc -l)" -eq 3 ]
pl_ok "the loop goes on after the kill (60 more requests)" \
    pl_poll 30 pl_loop_at_least $((done_at_kill + 60))
pl_loop_stop
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -le 1 ] || pl_loop_failures
pl_ok "at most one request failed" [ "${failed:-99}" -le 1 ]
pl_ok "the master still runs" pl_alive "$SERVE_PID"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
