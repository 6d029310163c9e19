#!/bin/sh
# The default pool (dynamic: 8 spare workers, 128 at most) from idle to 64 busy connections:
# the proxy holds every GetItem 100 ms, as a slow DynamoDB would, and the request loop keeps
# 64 requests going. Within about 2 s the pool has the 64 workers the load needs (the process
# table counts them every 0.1 s; the status page then shows 64 requests running at once),
# never more than its maximum, and no request fails.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
LOAD=64
# "About 2 s", with room for a shared machine.
LIMIT_MS=3000
# The test is about the pool, not about a slow DynamoDB: on a machine busy enough to stretch the
# proxy's 100 ms past the 500 ms attempt timeout, attempts would fail, the breaker would open and
# requests would be shed with 503.
export SAVEALIFE_DDB_ATTEMPT_TIMEOUT=5000
harness_env
pl_start_proxy
STACK_WORKERS=default
harness_start_stack

pl_ok "idle, the pool is its 8 spare workers" pl_poll 20 pl_count_is 8
pl_create_company Surgeco
pl_proxy_delay GetItem 100 0

now_ms() { echo $(($(date +%s%N) / 1000000)); }
: >"$HARNESS_DIR/counts"
start=$(now_ms)
pl_loop_start "$BASE_URL/api/companies/surgeco" --concurrency "$LOAD" --max-seconds 60
reached=""
while [ $(($(now_ms) - start)) -lt 10000 ]; do
    count=$(pl_worker_count)
    echo "$(($(now_ms) - start)) $count" >>"$HARNESS_DIR/counts"
    if [ -z "$reached" ] && [ "$count" -ge "$LOAD" ]; then
        reached=$(($(now_ms) - start))
        break
    fi
    sleep 0.1
done
pl_note "workers over time (ms count): $(tr '\n' ' ' <"$HARNESS_DIR/counts")"
within() { [ -n "$1" ] && [ "$1" -le "$2" ]; }
pl_ok "the pool reaches $LOAD workers within $LIMIT_MS ms (took ${reached:-more than 10000} ms)" \
    within "$reached" "$LIMIT_MS"

# status_field NAME: a number from the status page.
status_field() {
    curl -s --max-time 10 -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status" |
        node -e '
            let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
                try { const v = JSON.parse(s)[process.argv[1]]; if (v !== undefined) console.log(v); }
                catch (e) {} });' "$1"
}
# The loop's 64 and the status request itself.
all_running() { [ "$(status_field active_processes)" -ge "$LOAD" ] 2>/dev/null; }
pl_ok "the status page shows $LOAD requests running at once" pl_poll 10 all_running
most=$(pl_worker_count)
pl_note "workers under load: $most (status page: $(status_field total_processes) total, $(status_field idle_processes) idle)"
pl_ok "never beyond the maximum of 128 ($most)" [ "$most" -le 128 ]
pl_loop_stop
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "no request failed" [ "${failed:-1}" -eq 0 ]

fewer() { [ "$(pl_worker_count)" -lt "$1" ]; }
pl_ok "without load it starts shrinking" pl_poll 10 fewer "$most"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
