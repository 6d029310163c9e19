#!/bin/sh
# One connection wakes one idle worker: with 64 idle workers, 200 requests through nginx
# cause about 200 accept() calls, not one per idle worker per connection (a shared poll of
# the listening socket made thousands, most of them finding nothing).
#
# How they are counted, twice:
# - by the pool's own counters (accept_attempts and accept_empty on the status page), over a
#   first batch of requests: at most 5 % more calls than requests;
# - by strace, over a second batch: it attaches to every worker (-p each pid) and logs their
#   accept/accept4 calls only, each with its result ("= -1 EAGAIN" when another worker was
#   faster). strace stops every worker at each of its system calls, which widens the moment
#   when a worker back from a request sees a connection that a woken one is taking: up to
#   25 % more calls are allowed there. The old shared poll made 22 times as many.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
WORKERS=64
REQUESTS=200
# Up to 5 % more (a worker back from a request may try for a connection a woken one takes);
# under strace, 25 %.
LIMIT=$((REQUESTS + REQUESTS / 20 + 5))
TRACED_LIMIT=$((REQUESTS + REQUESTS / 4 + 5))

command -v strace >/dev/null 2>&1 || harness_bail "strace is not installed"
harness_env
STACK_WORKERS=$WORKERS
harness_start_stack

# status_field NAME: a number from the status page (empty when it has no such field).
status_field() {
    curl -s --max-time 10 -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status" |
        node -e '
            let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
                try { const v = JSON.parse(s)[process.argv[1]]; if (v !== undefined) console.log(v); }
                catch (e) {} });' "$1"
}
# All but the one serving the status request wait for a connection.
all_idle() { [ "$(status_field idle_processes)" -ge $((WORKERS - 1)) ] 2>/dev/null; }
pl_ok "the $WORKERS workers are up and idle" pl_poll 60 all_idle

between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# run_batch: REQUESTS requests, 4 at a time; whether none failed.
run_batch() {
    pl_loop_start "$BASE_URL/api/health" --count "$REQUESTS" --concurrency 4 --max-seconds 120
    pl_poll 150 pl_loop_finished || return 1
    wait "$LOOP_PID" 2>/dev/null
    _failed=$(pl_loop_field failed)
    [ "${_failed:-1}" -eq 0 ] || pl_loop_failures
    [ "${_failed:-1}" -eq 0 ]
}

# ---- by the pool's counters ----
before_attempts=$(status_field accept_attempts)
before_empty=$(status_field accept_empty)
pl_ok "the $REQUESTS requests of the first batch succeed" run_batch
after_attempts=$(status_field accept_attempts)
after_empty=$(status_field accept_empty)
if [ -n "$before_attempts" ] && [ -n "$after_attempts" ]; then
    # The span includes the status request that reads the figures after the batch.
    counted=$((after_attempts - before_attempts - 1))
    counted_empty=$((after_empty - before_empty))
    pl_note "status page: $counted accept attempts for $REQUESTS requests, $counted_empty empty"
    pl_ok "the pool counts about one accept a request ($REQUESTS <= $counted <= $LIMIT)" \
        between "$counted" "$REQUESTS" "$LIMIT"
else
    pl_ok "the status page has accept_attempts and accept_empty" false
fi

# ---- by strace ----
workers=$(pl_workers)
set -- $workers
pl_ok "the master has $WORKERS workers (got $#)" [ $# -eq "$WORKERS" ]
args=""
for pid in $workers; do args="$args -p $pid"; done
# shellcheck disable=SC2086
strace -qq -e trace=accept,accept4 -o "$HARNESS_DIR/accept.trace" $args \
    2>"$HARNESS_DIR/strace.log" &
STRACE_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $STRACE_PID"
traced() {
    for pid in $workers; do
        [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = "$STRACE_PID" ] ||
            return 1
    done
}
pl_ok "strace follows every worker" pl_poll 30 traced
pl_ok "the $REQUESTS requests of the second batch succeed" run_batch
kill -INT "$STRACE_PID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null
# A call strace saw interrupted by another's line is split into "accept(... <unfinished ...>"
# and "<... accept resumed> ... = result": count the calls by their first line, the results
# wherever they are.
calls=$(grep -c 'accept4\?(' "$HARNESS_DIR/accept.trace")
empty=$(grep -c '= -1 EAGAIN' "$HARNESS_DIR/accept.trace")
pl_note "strace: $calls accept calls for $REQUESTS requests, $empty of them found nothing"
pl_ok "about one accept a request under strace ($REQUESTS <= $calls <= $TRACED_LIMIT)" \
    between "$calls" "$REQUESTS" "$TRACED_LIMIT"

harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
