#!/bin/sh
# SIGUSR2 (php-fpm's reload signal) reloads like SIGHUP: a new generation replaces every
# worker while a request loop runs, and not one request fails. Every other signal the master
# does not use (ALRM, PIPE, IO, PROF, VTALRM, STKFLT, PWR, XCPU, XFSZ, WINCH, URG and the
# realtime ones) leaves it running and serving, and its workers too; the faults (SEGV, BUS,
# FPE, ILL, ABRT, TRAP, SYS) keep their default action.
#
# A stray signal is proven survived by a SIGUSR1 sent after it: the master logs "log
# reopened" only after returning from the signal's delivery, where a pending fatal signal
# would have ended it first.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=2
# The loop is fast: no worker may be recycled while the test watches the same ones.
SAVEALIFE_MAX_REQUESTS=1000000000
export SAVEALIFE_MAX_REQUESTS
harness_start_stack
log=$HARNESS_DIR/serve.log

pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
pl_loop_start "$BASE_URL/api/health" --concurrency 3
pl_poll 20 pl_loop_at_least 20 || harness_bail "the request loop does not advance"

# all_new "OLD": the pool is 2 workers, none of them in OLD, and every old one has exited.
all_new() {
    pl_count_is 2 && pl_disjoint "$1" "$(pl_workers)" && pl_all_gone "$1"
}
old=$(pl_workers)
kill -USR2 "$SERVE_PID"
pl_ok "SIGUSR2: every worker is replaced by a new process" pl_poll 20 all_new "$old"
generation2() { grep -q "reload: the 2 workers of generation 2 accept connections" "$log"; }
pl_ok "the master logged the reload to generation 2" pl_poll 10 generation2
at=$(pl_loop_done)
pl_ok "the loop goes on (30 more requests)" pl_poll 20 pl_loop_at_least $((at + 30))

# sig_mask_has MASK NUMBER: whether bit NUMBER-1 is set in a /proc status mask (hex).
sig_mask_has() {
    node -e 'process.exit((BigInt("0x" + process.argv[1]) >> BigInt(process.argv[2] - 1)) & 1n ? 0 : 1)' \
        "$1" "$2"
}
# The signals by number (Linux): the realtime ones are 34 (glibc's SIGRTMIN) to 64.
stray="14 13 29 27 26 16 30 24 25 28 23"
rt=34
while [ $rt -le 64 ]; do
    stray="$stray $rt"
    rt=$((rt + 1))
done
faults="11 7 8 4 6 5 31"

ignored=$(awk '/^SigIgn:/ {print $2}' "/proc/$SERVE_PID/status")
missing=""
for s in $stray; do sig_mask_has "$ignored" "$s" || missing="$missing $s"; done
pl_ok "the master ignores every stray signal (not ignored:${missing:- none})" [ -z "$missing" ]
wrong=""
for s in $faults; do sig_mask_has "$ignored" "$s" && wrong="$wrong $s"; done
pl_ok "and no fault (ignored:${wrong:- none})" [ -z "$wrong" ]
caught=$(awk '/^SigCgt:/ {print $2}' "/proc/$SERVE_PID/status")
pl_ok "it handles USR2 (12) as it does HUP (1)" sh -c \
    "node -e 'const m = BigInt(\"0x$caught\"); process.exit((m >> 11n) & (m >> 0n) & 1n ? 0 : 1)'"

workers=$(pl_workers)
reopened() { [ "$(grep -c 'info: log reopened' "$log")" -gt "$1" ]; }
survived=""
died=""
for s in $stray; do
    n=$(grep -c 'info: log reopened' "$log")
    /bin/kill -s "$s" "$SERVE_PID" 2>/dev/null
    kill -USR1 "$SERVE_PID" 2>/dev/null
    if pl_poll 10 reopened "$n" && pl_alive "$SERVE_PID"; then
        survived="$survived $s"
    else
        died="$died $s"
        break
    fi
done
pl_note "survived:$survived"
pl_ok "the master survives every stray signal (ended by:${died:- none})" [ -z "$died" ]
pl_ok "it still has the same workers" [ "$(pl_workers)" = "$workers" ]

# The workers inherit the master's ignored signals: one of them gets them all and serves on.
set -- $workers
# Many rounds, while the loop keeps both workers busy: a signal that could interrupt a read
# or write of a request would fail one of them.
round=0
while [ $round -lt 50 ]; do
    for s in $stray 12; do kill -s "$s" "$1" 2>/dev/null; done
    round=$((round + 1))
done
# Ignored, or caught (USR1 reopens the log; its handler runs only between requests).
wignored=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null)
wmissing=""
for s in $stray 12; do
    sig_mask_has "${wignored:-0}" "$s" || wmissing="$wmissing $s"
done
# Caught, a stray signal would interrupt a read or write of the request in hand (libfcgi's
# SIGPIPE handler, installed without SA_RESTART, once made a request in 45,000 a 502 here).
pl_ok "a worker ignores them too (not ignored:${wmissing:- none})" [ -z "$wmissing" ]
at=$(pl_loop_done)
pl_ok "the loop goes on (30 more requests)" pl_poll 20 pl_loop_at_least $((at + 30))
pl_ok "and that worker is still there" pl_alive "$1"

pl_loop_stop
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "no request failed" [ "${failed:-1}" -eq 0 ]
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
