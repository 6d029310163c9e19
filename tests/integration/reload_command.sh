#!/bin/sh
# `savealife reload PID`, systemd's ExecReload: it returns only once the reload is over, so
# `systemctl reload` (which, before systemd 253, ends with this command) returns with the new
# workers in place. Its exit status tells a refused reload from a done one, and it fails
# cleanly on a process that is not there or goes away.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=4
harness_start_stack

pl_poll 10 pl_count_is 4 || harness_bail "the pool never had 4 workers: $(pl_workers)"

# new_since "OLD": the workers now running that were not in OLD.
new_since() {
    for p in $(pl_workers); do
        pl_disjoint "$p" "$1" && echo "$p"
    done | tr '\n' ' '
}

for round in 2 3; do
    old=$(pl_workers)
    "$TOP_BUILDDIR/savealife" reload "$SERVE_PID" >"$HARNESS_DIR/reload.out" 2>&1
    rc=$?
    # Looked at at once, without waiting: that is the command's promise.
    added=$(new_since "$old")
    logged=$(grep -c "reload: the 4 workers of generation $round accept connections" \
        "$HARNESS_DIR/serve.log")
    pl_ok "reload $round: the command exits 0 (got $rc)" [ "$rc" -eq 0 ]
    set -- $added
    pl_ok "reload $round: when it returns, 4 new workers are there (new: $added; before: $old)" \
        [ $# -eq 4 ]
    pl_ok "reload $round: and the master has already logged generation $round accepting" \
        [ "$logged" -eq 1 ]
done
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "requests answer after the reloads (got $code)" [ "$code" = 200 ]

# A tokens file the service cannot load: refused, said on standard error, exit 1.
cp "$HARNESS_DIR/tokens" "$HARNESS_DIR/tokens.good"
echo 'not-a-digest' >>"$HARNESS_DIR/tokens"
old=$(pl_workers)
"$TOP_BUILDDIR/savealife" reload "$SERVE_PID" >"$HARNESS_DIR/reload.out" 2>&1
rc=$?
pl_note "$(cat "$HARNESS_DIR/reload.out")"
pl_ok "a refused reload: the command exits 1 (got $rc)" [ "$rc" -eq 1 ]
pl_ok "and says the reload was refused" grep -q "reload refused" "$HARNESS_DIR/reload.out"
pl_ok "the same workers go on serving" [ "$(pl_workers)" = "$old" ]
cp "$HARNESS_DIR/tokens.good" "$HARNESS_DIR/tokens"

# A plain SIGHUP still reloads (operators' habit, and kill -HUP from older units).
old=$(pl_workers)
kill -HUP "$SERVE_PID"
all_new() { pl_count_is 4 && pl_disjoint "$old" "$(pl_workers)"; }
pl_ok "kill -HUP still reloads: 4 new workers" pl_poll 20 all_new

# Bad arguments and missing processes: a clear message and a non-zero status, never a hang.
"$TOP_BUILDDIR/savealife" reload notapid >"$HARNESS_DIR/reload.out" 2>&1
rc=$?
pl_ok "reload notapid: exit 2 (got $rc)" [ "$rc" -eq 2 ]
"$TOP_BUILDDIR/savealife" reload >"$HARNESS_DIR/reload.out" 2>&1
rc=$?
pl_ok "reload without a pid: exit 2 (got $rc)" [ "$rc" -eq 2 ]
# A pid that is free: the highest the kernel hands out is never in use here.
max=$(cat /proc/sys/kernel/pid_max)
timeout 10 "$TOP_BUILDDIR/savealife" reload "$max" >"$HARNESS_DIR/reload.out" 2>&1
rc=$?
pl_ok "reload of a process that does not exist: exit 1 at once (got $rc)" [ "$rc" -eq 1 ]
pl_ok "and says it cannot signal it" grep -q "cannot signal process" "$HARNESS_DIR/reload.out"
# A process that a SIGHUP ends instead of reloading: the command sees it gone and says so.
# Its parent waits for it, so it leaves no zombie that would still answer kill -0.
(
    sleep 60 &
    echo $! >"$HARNESS_DIR/victim.pid"
    wait
) &
WAITER=$!
pl_poll 5 test -s "$HARNESS_DIR/victim.pid" || harness_bail "the stand-in process did not start"
victim=$(cat "$HARNESS_DIR/victim.pid")
timeout 20 "$TOP_BUILDDIR/savealife" reload "$victim" >"$HARNESS_DIR/reload.out" 2>&1
rc=$?
pl_note "$(cat "$HARNESS_DIR/reload.out")"
pl_ok "reload of a process that exits meanwhile: exit 1 (got $rc, not 124: no hang)" [ "$rc" -eq 1 ]
pl_ok "and says it exited before the reload ended" \
    grep -q "exited before the reload ended" "$HARNESS_DIR/reload.out"
kill "$victim" 2>/dev/null
kill "$WAITER" 2>/dev/null
wait "$WAITER" 2>/dev/null

harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
