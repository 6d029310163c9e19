#!/bin/sh
# The systemd notify protocol, received by a listener of ours bound where NOTIFY_SOCKET points
# (tests/tools/notify-listen: it stamps each message with CLOCK_MONOTONIC, the size the
# master's log had when the message came, and the sender's pid as the kernel reports it).
#   - STATUS=starting, then READY=1 once the workers accept: their "started" lines and the
#     master's "ready" line are in the log before it, and a request answers right after;
#   - STATUS= every few seconds with the pool's figures: its request count grows by exactly
#     the requests this test sends;
#   - SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 only once the log says the new
#     generation accepts, and the workers are new processes;
#   - a reload with a broken tokens file: RELOADING=1, then READY=1 with a STATUS saying it
#     was refused, the same workers serving;
#   - SIGTERM: STOPPING=1 while the master still runs, before its last log line;
#   - every message comes from the master, none from a worker, and no WATCHDOG=1 without
#     WATCHDOG_USEC;
#   - then two more masters: WATCHDOG_USEC=1000000 with an abstract '@' NOTIFY_SOCKET gets
#     WATCHDOG=1 at least every second; WATCHDOG_PID naming another process gets none.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
. "$TOP_SRCDIR/tests/integration/systemd_lib.sh"
harness_env

NL=$HARNESS_DIR/notify.log
nl_start "$NL" "$HARNESS_DIR/notify.sock" "$HARNESS_DIR/serve.log"
NOTIFY_SOCKET=$HARNESS_DIR/notify.sock
export NOTIFY_SOCKET
unset WATCHDOG_USEC WATCHDOG_PID
STACK_WORKERS=4
harness_start_stack
# Only serve itself may see NOTIFY_SOCKET.
unset NOTIFY_SOCKET

# ---- start
pl_ok "READY=1 arrives" pl_poll 20 nl_has "$NL" 'READY=1$'
ready=$(nl_first "$NL" 'READY=1$')
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "a request through nginx answers right after READY=1 (got $code)" [ "$code" = 200 ]
starting=$(nl_first "$NL" 'STATUS=starting 4 workers$')
pl_ok "STATUS=starting 4 workers came first (message ${starting:-none}, READY=1 in $ready)" \
    eval '[ -n "$starting" ] && [ "$starting" -lt "$ready" ]'
size=$(nl_field "$NL" "$ready" size)
started=$(sl_lines_before "$HARNESS_DIR/serve.log" "$size" 'started (generation 1)')
pl_ok "the log said 4 workers started before READY=1 (got $started)" [ "$started" -eq 4 ]
ready_line=$(sl_offset "$HARNESS_DIR/serve.log" 'ready: the 4 workers of generation 1 accept')
pl_ok "the log said the workers accept before READY=1 (line ends at ${ready_line:-none}, log was $size bytes)" \
    eval '[ -n "$ready_line" ] && [ "$ready_line" -le "$size" ]'
pl_ok "READY=1 came with a STATUS= line" [ -n "$(nl_value "$NL" "$ready" STATUS)" ]

# ---- STATUS= with the pool's figures: nothing else sends requests now, so between two
# reports the count grows by the requests sent here.
# status_after N: waits for a periodic STATUS= after message N; sets STATUS_MSG and COUNT.
status_after() {
    pl_poll 15 nl_has "$NL" 'STATUS=[0-9]+ workers?: ' "$1" || return 1
    STATUS_MSG=$(nl_first "$NL" 'STATUS=[0-9]+ workers?: ' "$1")
    COUNT=$(nl_value "$NL" "$STATUS_MSG" STATUS | sed -n 's/.*; \([0-9]*\) requests accepted.*/\1/p')
    [ -n "$COUNT" ]
}
pl_ok "a STATUS= line with the pool's figures comes within 15 s" status_after "$(nl_last "$NL")"
text=$(nl_value "$NL" "$STATUS_MSG" STATUS)
pl_note "STATUS=$text"
pl_ok "it counts the 4 workers the process table shows" \
    eval '[ "$(pl_worker_count)" -eq 4 ] && sl_matches "$text" "^4 workers: 0 busy, 4 idle; "'
before=$COUNT
K=7
i=0
while [ $i -lt $K ]; do
    pl_http_code "$BASE_URL/api/health" >/dev/null
    i=$((i + 1))
done
api_lines=$(grep -c '"GET /api/health HTTP/1.1" 200' "$HARNESS_DIR/nginx/access.log")
pl_ok "the next STATUS= line comes" status_after "$(nl_last "$NL")"
pl_note "requests accepted: $before -> $COUNT after $K requests (nginx logged $api_lines health checks in all)"
pl_ok "its request count grew by the $K requests sent (got $((COUNT - before)))" \
    [ "$((COUNT - before))" -eq "$K" ]
pl_ok "and equals the requests nginx passed on, as its access log shows ($api_lines)" \
    [ "$COUNT" -eq "$api_lines" ]

# ---- reload
old=$(pl_workers)
mark=$(nl_last "$NL")
kill -HUP "$SERVE_PID"
pl_ok "SIGHUP: RELOADING=1 arrives" pl_poll 10 nl_has "$NL" 'RELOADING=1$' "$mark"
reloading=$(nl_first "$NL" 'RELOADING=1$' "$mark")
stamp=$(nl_value "$NL" "$reloading" MONOTONIC_USEC)
arrived=$(nl_field "$NL" "$reloading" usec)
prev_arrived=$(nl_field "$NL" "$mark" usec)
pl_ok "with MONOTONIC_USEC between the previous message's arrival and its own ($prev_arrived <= ${stamp:-none} <= $arrived)" \
    eval '[ -n "$stamp" ] && [ "$stamp" -ge "$prev_arrived" ] && [ "$stamp" -le "$arrived" ]'
pl_ok "then READY=1" pl_poll 20 nl_has "$NL" 'READY=1$' "$reloading"
ready=$(nl_first "$NL" 'READY=1$' "$reloading")
size=$(nl_field "$NL" "$ready" size)
accept_line=$(sl_offset "$HARNESS_DIR/serve.log" 'reload: the 4 workers of generation 2 accept')
pl_ok "READY=1 came after the log said generation 2 accepts (line ends at ${accept_line:-none}, log was $size bytes)" \
    eval '[ -n "$accept_line" ] && [ "$accept_line" -le "$size" ]'
pl_note "STATUS=$(nl_value "$NL" "$ready" STATUS)"
pl_ok "no READY=1 came between RELOADING=1 and that" \
    [ "$(nl_count "$NL" 'READY=1$' "$reloading")" -eq 1 ]
all_new() { pl_count_is 4 && pl_disjoint "$old" "$(pl_workers)" && pl_all_gone "$old"; }
pl_ok "the workers are new processes" pl_poll 20 all_new
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "requests answer after the reload (got $code)" [ "$code" = 200 ]

# ---- a reload with a tokens file the service cannot load
cp "$HARNESS_DIR/tokens" "$HARNESS_DIR/tokens.good"
echo 'not-a-digest' >>"$HARNESS_DIR/tokens"
old=$(pl_workers)
mark=$(nl_last "$NL")
kill -HUP "$SERVE_PID"
pl_ok "bad reload: RELOADING=1 arrives" pl_poll 10 nl_has "$NL" 'RELOADING=1$' "$mark"
reloading=$(nl_first "$NL" 'RELOADING=1$' "$mark")
pl_ok "bad reload: READY=1 follows" pl_poll 10 nl_has "$NL" 'READY=1$' "$reloading"
ready=$(nl_first "$NL" 'READY=1$' "$reloading")
text=$(nl_value "$NL" "$ready" STATUS)
pl_note "STATUS=$text"
pl_ok "its STATUS says the reload was refused" sl_matches "$text" '^reload refused: '
pl_ok "the same workers go on serving" [ "$(pl_workers)" = "$old" ]
pl_ok "the next STATUS= line still mentions the refusal" status_after "$ready"
text=$(nl_value "$NL" "$STATUS_MSG" STATUS)
pl_note "STATUS=$text"
pl_ok "(it says so)" sl_matches "$text" 'last reload refused'
cp "$HARNESS_DIR/tokens.good" "$HARNESS_DIR/tokens"

# ---- stop
mark=$(nl_last "$NL")
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
stopping=$(nl_first "$NL" 'STOPPING=1$' "$mark")
pl_ok "STOPPING=1 arrived" [ -n "$stopping" ]
size=$(nl_field "$NL" "${stopping:-0}" size)
stopped_line=$(sl_offset "$HARNESS_DIR/serve.log" ': info: stopped')
pl_ok "before the master's last line (\"stopped\" ends at ${stopped_line:-none}, log was ${size:-none} bytes)" \
    eval '[ -n "$stopped_line" ] && [ -n "$size" ] && [ "$size" -lt "$stopped_line" ]'
pl_note "STATUS=$(nl_value "$NL" "${stopping:-0}" STATUS)"
senders=$(nl_senders "$NL")
pl_ok "every message came from the master $SERVE_PID (senders: $senders)" [ "$senders" = "$SERVE_PID " ]
pl_ok "no WATCHDOG=1 without WATCHDOG_USEC" [ "$(nl_count "$NL" 'WATCHDOG=1$')" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean

# ---- the watchdog: two masters at once, straight on their own sockets (no nginx needed).
# serve_with NAME NOTIFY_SOCKET [VAR=VALUE...]: starts a master; sets its pid in ${NAME}_PID.
serve_with() {
    _name=$1
    _notify=$2
    shift 2
    env NOTIFY_SOCKET="$_notify" SAVEALIFE_WORKERS=2 SAVEALIFE_LISTEN="unix:$HARNESS_DIR/$_name.sock" \
        "$@" "$TOP_BUILDDIR/savealife" serve >"$HARNESS_DIR/$_name.serve.log" 2>&1 &
    eval "${_name}_PID=$!"
    HARNESS_PIDS="$HARNESS_PIDS $!"
}
abstract="@savealife-test-$$-wd"
WD=$HARNESS_DIR/wd.log
OTHER=$HARNESS_DIR/other.log
nl_start "$WD" "$abstract" "$HARNESS_DIR/wd.serve.log"
nl_start "$OTHER" "$HARNESS_DIR/other.sock.notify" "$HARNESS_DIR/other.serve.log"
serve_with wd "$abstract" WATCHDOG_USEC=1000000
serve_with other "$HARNESS_DIR/other.sock.notify" WATCHDOG_USEC=1000000 WATCHDOG_PID=1

pl_ok "an abstract NOTIFY_SOCKET gets READY=1" pl_poll 20 nl_has "$WD" 'READY=1$'
wd_after_ready() { [ "$(nl_count "$WD" 'WATCHDOG=1$' "$(nl_first "$WD" 'READY=1$')")" -ge 3 ]; }
pl_ok "WATCHDOG_USEC=1000000: WATCHDOG=1 keeps coming (3 after READY=1 within 5 s)" \
    pl_poll 5 wd_after_ready
gaps=$(awk '$5 == "WATCHDOG=1" { if (prev) print $2 - prev; prev = $2 }' "$WD" | sort -n | tail -1)
pl_ok "never more than the interval between two of them (longest gap ${gaps:-none} us)" \
    eval '[ -n "$gaps" ] && [ "$gaps" -lt 1000000 ]'
pl_ok "they come from that master" [ "$(nl_senders "$WD")" = "$wd_PID " ]
pl_ok "WATCHDOG_PID=1: READY=1 arrives" pl_poll 20 nl_has "$OTHER" 'READY=1$'
# A STATUS= report comes 5 s after READY=1: the master's loop ran for that long.
pl_ok "WATCHDOG_PID=1: a STATUS= report comes later" \
    pl_poll 15 nl_has "$OTHER" 'STATUS=[0-9]+ workers?: ' "$(nl_first "$OTHER" 'READY=1$')"
pl_ok "WATCHDOG_PID=1 (another process): no WATCHDOG=1 meanwhile" \
    [ "$(nl_count "$OTHER" 'WATCHDOG=1$')" -eq 0 ]
for name in wd other; do
    eval "pid=\$${name}_PID"
    sl_stop "$pid" 30
    status=$?
    pl_ok "$name: the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
    pl_ok "$name: no sanitizer report" \
        eval "! grep -E -q 'AddressSanitizer|LeakSanitizer|runtime error:' '$HARNESS_DIR/$name.serve.log'"
done

# ---- masters that cannot serve: systemd is told why, and never READY=1.
printf 'not-a-digest\n' >"$HARNESS_DIR/broken-tokens"
BROKEN=$HARNESS_DIR/broken.log
NOLISTEN=$HARNESS_DIR/nolisten.log
nl_start "$BROKEN" "$HARNESS_DIR/broken.notify"
nl_start "$NOLISTEN" "$HARNESS_DIR/nolisten.notify"
serve_with broken "$HARNESS_DIR/broken.notify" SAVEALIFE_TOKENS_FILE="$HARNESS_DIR/broken-tokens"
serve_with nolisten "$HARNESS_DIR/nolisten.notify" \
    SAVEALIFE_LISTEN="unix:$HARNESS_DIR/no-such-folder/fcgi.sock"
sl_wait_exit "$broken_PID" 40
status=$?
pl_ok "workers that cannot start: the master gives up with status 1 (got $status)" [ "$status" -eq 1 ]
stopping=$(nl_first "$BROKEN" 'STOPPING=1$')
text=$(nl_value "$BROKEN" "${stopping:-0}" STATUS)
pl_note "STATUS=$text"
pl_ok "(STOPPING=1 with a STATUS saying so)" sl_matches "$text" 'workers cannot start: giving up'
pl_ok "(and no READY=1)" eval '! nl_has "$BROKEN" "READY=1\$"'
sl_wait_exit "$nolisten_PID" 20
status=$?
pl_ok "a socket that cannot be made: the master exits 1 (got $status)" [ "$status" -eq 1 ]
text=$(nl_value "$NOLISTEN" "$(nl_first "$NOLISTEN" 'STATUS=cannot start: ')" STATUS)
pl_note "STATUS=$text"
pl_ok "(its last STATUS says why)" sl_matches "$text" '^cannot start: SAVEALIFE_LISTEN: '
pl_ok "(and no READY=1)" eval '! nl_has "$NOLISTEN" "READY=1\$"'
pl_done
