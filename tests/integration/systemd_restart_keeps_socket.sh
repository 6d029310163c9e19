#!/bin/sh
# A restart of the service never refuses nginx a connection when the socket is systemd's:
# tests/tools/socket-holder plays systemd (it keeps the listening socket and hands it to
# `savealife serve` on fd 3; on SIGUSR2 it stops serve with SIGTERM, waits, and starts a new
# one). Requests run through nginx in a loop, more at once than there are workers, while serve
# is restarted three times: every one answers 200, not one 502, and each restart really put a
# new master in place of the old one, which exited 0 and left the socket file alone.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
. "$TOP_SRCDIR/tests/integration/systemd_lib.sh"
harness_env
[ -x "$SOCKET_HOLDER" ] || harness_bail "$SOCKET_HOLDER is not built"

STACK_WORKERS=3
sl_prepare
sock=$HARNESS_DIR/fcgi.sock
# A serve that ignored fd 3 would open this one instead.
SAVEALIFE_LISTEN="unix:$HARNESS_DIR/configured.sock"
export SAVEALIFE_LISTEN
HOLDER_LOG=$HARNESS_DIR/holder.log
"$SOCKET_HOLDER" "$sock" "$TOP_BUILDDIR/savealife" serve >"$HOLDER_LOG" 2>"$HARNESS_DIR/serve.log" &
HOLDER_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $HOLDER_PID"

# serve_pid: the master the holder started last.
serve_pid() {
    sed -n 's/^started \([0-9]*\)$/\1/p' "$HOLDER_LOG" | tail -n 1
}
# ready_count: how many masters have said their workers accept.
ready_count() {
    grep -c 'info: ready: the' "$HARNESS_DIR/serve.log"
}
ready_at_least() { [ "$(ready_count)" -ge "$1" ]; }

pl_poll 10 [ -S "$sock" ] || harness_bail "the holder made no socket: $(cat "$HARNESS_DIR/serve.log")"
inode=$(stat -c %i "$sock")
sl_start_nginx "$sock"
sl_poll 30 sl_health_ok || harness_bail "GET /api/health never answered 200: $(tail -5 "$HARNESS_DIR/serve.log")"
pl_poll 10 ready_at_least 1 || harness_bail "the first serve never became ready"
SERVE_PID=$(serve_pid)
pl_ok "serve took the holder's socket" \
    grep -q -F "listening on fd 3 from systemd, unix:$sock:" "$HARNESS_DIR/serve.log"

pl_create_company Keepsocket
pl_loop_start "$BASE_URL/api/companies/keepsocket" --concurrency 6 --max-seconds 90
pl_poll 20 pl_loop_at_least 20 || harness_bail "the request loop does not advance"

for round in 1 2 3; do
    old=$SERVE_PID
    kill -USR2 "$HOLDER_PID"
    exited() { grep -q "^exited $old " "$HOLDER_LOG"; }
    pl_ok "restart $round: the old master $old exits" pl_poll 40 exited
    status=$(sed -n "s/^exited $old \([0-9]*\)$/\1/p" "$HOLDER_LOG")
    pl_ok "restart $round: with status 0 (got ${status:-none})" [ "${status:-1}" -eq 0 ]
    pl_ok "restart $round: a new master becomes ready" pl_poll 20 ready_at_least $((round + 1))
    SERVE_PID=$(serve_pid)
    pl_note "restart $round: master $old -> $SERVE_PID"
    pl_ok "restart $round: it is another process" [ "$SERVE_PID" != "$old" ]
    at=$(pl_loop_done)
    pl_ok "restart $round: the loop goes on (20 more requests)" pl_poll 20 pl_loop_at_least $((at + 20))
    pl_ok "restart $round: the socket file is the holder's, untouched (inode $inode)" \
        eval '[ -S "$sock" ] && [ "$(stat -c %i "$sock")" = "$inode" ]'
done

pl_loop_stop
failed=$(pl_loop_field failed)
pl_note "loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $failed"
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "no request failed: every one answered 200" [ "${failed:-1}" -eq 0 ]
no_502() { ! grep -q '" 502 ' "$HARNESS_DIR/nginx/access.log"; }
pl_ok "nginx's access log has no 502" no_502
refused() { grep -q 'connect() to unix:.* failed' "$HARNESS_DIR/nginx/error.log"; }
pl_ok "nginx never failed to connect" eval '! refused'
pl_ok "SAVEALIFE_LISTEN's address was never opened" [ ! -e "$HARNESS_DIR/configured.sock" ]

sl_stop "$HOLDER_PID" 40
status=$?
pl_ok "the holder stopped the last master and exited 0 (got $status)" [ "$status" -eq 0 ]
pl_ok "the last master exited 0" grep -q "^exited $SERVE_PID 0\$" "$HOLDER_LOG"
pl_ok "no sanitizer report from the masters or their workers" pl_serve_log_clean
pl_done
