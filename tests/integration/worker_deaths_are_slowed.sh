#!/bin/sh
# A storm of worker deaths (every worker killed as soon as it appears, for 4 s) is slowed
# and logged, never a fork loop; once it stops, the pool is whole again. And workers that
# cannot start at all (a broken tokens file) make the master give up with status 1 instead
# of forking for ever.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
# No request reaches DynamoDB here: the client is made, never used.
AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9
export AWS_ENDPOINT_URL_DYNAMODB
printf '%s\n' "$(printf 'token' | sha256sum | cut -d' ' -f1)" >"$HARNESS_DIR/tokens"
SAVEALIFE_TOKENS_FILE=$HARNESS_DIR/tokens
export SAVEALIFE_TOKENS_FILE
sock=$HARNESS_DIR/storm.sock

"$TOP_BUILDDIR/savealife" serve --listen "unix:$sock" --workers 2 >"$HARNESS_DIR/serve.log" 2>&1 &
SERVE_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $SERVE_PID"
pl_poll 20 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(tail -3 "$HARNESS_DIR/serve.log")"

: >"$HARNESS_DIR/killed"
end=$(($(date +%s) + 4))
while [ "$(date +%s)" -lt "$end" ]; do
    for p in $(pl_workers); do
        kill -KILL "$p" 2>/dev/null && echo "$p" >>"$HARNESS_DIR/killed"
    done
done
killed=$(sort -u "$HARNESS_DIR/killed" | wc -l)
pl_note "$killed workers killed in 4 s"
pl_ok "deaths happened (>= 6 workers killed)" [ "$killed" -ge 6 ]
# At once, the master would replace a worker within milliseconds: hundreds in 4 s. Slowed
# (after 5 deaths, 100 ms doubling to 5 s between starts) it makes a few dozen at most.
pl_ok "respawning was slowed (<= 30 workers started in 4 s)" [ "$killed" -le 30 ]
pl_ok "the slowdown was logged" grep -q 'workers are dying fast' "$HARNESS_DIR/serve.log"
pl_ok "the master survived the storm" pl_alive "$SERVE_PID"
pl_ok "once the deaths stop, the pool is whole again" pl_poll 30 pl_count_is 2
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean

# Workers that cannot make their API: the master stops by itself, with a failure status.
echo 'not-a-digest' >"$HARNESS_DIR/tokens"
"$TOP_BUILDDIR/savealife" serve --listen "unix:$sock" --workers 2 >"$HARNESS_DIR/serve.log" 2>&1 &
SERVE_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $SERVE_PID"
stopped() { ! pl_alive "$SERVE_PID"; }
pl_ok "workers that cannot start make the master stop (within 20 s)" pl_poll 20 stopped
wait "$SERVE_PID"
status=$?
pl_ok "with status 1 (got $status)" [ "$status" -eq 1 ]
pl_ok "it says why" grep -q 'tokens' "$HARNESS_DIR/serve.log"
pl_ok "its socket is removed" [ ! -e "$sock" ]
leftover() { ! pgrep -f "unix:$sock" >/dev/null; }
pl_ok "no worker is left behind" pl_poll 10 leftover
pl_done
