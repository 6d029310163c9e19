#!/bin/sh
# SIGUSR1 after the log file was renamed (as logrotate does): the master and every worker
# write to a new file of the old name, and the renamed file gets no new line.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=2
harness_start_stack

log=$HARNESS_DIR/serve.log
pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
workers=$(pl_workers)
mv "$log" "$log.1"

# on_new_log PIDS: every process's standard error is the file now named serve.log.
on_new_log() {
    [ -f "$log" ] || return 1
    for p in $1; do
        [ "$(readlink "/proc/$p/fd/2")" = "$log" ] || return 1
    done
}
pl_ok "before the signal, standard error is the renamed file" \
    [ "$(readlink "/proc/$SERVE_PID/fd/2")" = "$log.1" ]
kill -USR1 "$SERVE_PID"
pl_ok "after SIGUSR1 the master and both workers write to a new serve.log" \
    pl_poll 10 on_new_log "$SERVE_PID $workers"
pl_ok "the workers were not replaced for it" [ "$(pl_workers)" = "$workers" ]
mode=$(stat -c '%a' "$log")
pl_ok "the new file is not world-readable (mode $mode)" [ "$mode" = 640 ]
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "requests still succeed (got $code)" [ "$code" = 200 ]

# A lifecycle event now: a killed worker is logged by the master.
set -- $workers
kill -KILL "$1"
logged() { grep -q "worker $1 was killed" "$log"; }
pl_ok "the next event is written to the new file" pl_poll 10 logged "$1"
not_in_old() { ! grep -q "worker $1 was killed" "$log.1"; }
pl_ok "and not to the renamed one" not_in_old "$1"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" \
    sh -c '! cat "$0" "$0.1" | grep -E -q "AddressSanitizer|LeakSanitizer|runtime error:"' "$log"
pl_done
