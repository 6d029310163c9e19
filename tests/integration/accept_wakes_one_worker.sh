#!/bin/sh
# One connection wakes one idle worker: with 64 idle workers, 200 requests through nginx
# cause about 200 accept() calls, not one per idle worker per connection (a shared poll of
# the listening socket made thousands, most of them finding nothing).
#
# How they are counted: strace attaches to every worker (-p each pid) and logs their
# accept/accept4 calls only; the lines of its log are the calls, each with its result
# ("= -1 EAGAIN" when another worker was faster). The pool's own counters (accept_attempts,
# accept_empty on the status page) must agree with it.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
WORKERS=64
REQUESTS=200
# Up to 5 % more: a connection the client closed before the worker took it costs a second try.
LIMIT=$((REQUESTS + REQUESTS / 20 + 5))

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

before_attempts=$(status_field accept_attempts)
before_empty=$(status_field accept_empty)
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

pl_loop_start "$BASE_URL/api/health" --count "$REQUESTS" --concurrency 4 --max-seconds 120
pl_ok "the $REQUESTS requests are answered" pl_poll 150 pl_loop_finished
failed=$(pl_loop_field failed)
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "none failed (failed: ${failed:-?})" [ "${failed:-1}" -eq 0 ]

kill -INT "$STRACE_PID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null
calls=$(grep -c 'accept4\?(' "$HARNESS_DIR/accept.trace")
empty=$(grep 'accept4\?(' "$HARNESS_DIR/accept.trace" | grep -c '= -1 EAGAIN')
pl_note "strace: $calls accept calls for $REQUESTS requests, $empty of them found nothing"
pl_ok "at least one accept a request ($calls >= $REQUESTS)" [ "$calls" -ge "$REQUESTS" ]
pl_ok "at most about one accept a request ($calls <= $LIMIT)" [ "$calls" -le "$LIMIT" ]

after_attempts=$(status_field accept_attempts)
after_empty=$(status_field accept_empty)
if [ -n "$before_attempts" ] && [ -n "$after_attempts" ]; then
    counted=$((after_attempts - before_attempts))
    counted_empty=$((after_empty - before_empty))
    pl_note "status page: $counted accept attempts, $counted_empty empty"
    # Its span is a little wider than strace's: the status requests around it.
    between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
    pl_ok "the status page counts as many ($REQUESTS <= $counted <= $LIMIT + 2)" \
        between "$counted" "$REQUESTS" $((LIMIT + 2))
    pl_ok "and the empty ones ($counted_empty, strace $empty)" \
        between "$counted_empty" "$empty" $((empty + 2))
else
    pl_ok "the status page has accept_attempts and accept_empty" false
fi

harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
