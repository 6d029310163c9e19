#!/bin/sh
# Socket activation with systemd's own tool: systemd-socket-activate makes the unix socket,
# waits for the first connection and execs `savealife serve` with the socket on fd 3
# (LISTEN_FDS, LISTEN_PID). nginx's requests go through it; serve says the socket came from
# systemd and never opens the address SAVEALIFE_LISTEN names; a reload keeps the very same
# socket; the notify protocol works alongside (READY=1 from that process); and when serve
# stops it leaves the socket file it did not make where it was.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
. "$TOP_SRCDIR/tests/integration/systemd_lib.sh"
harness_env

activate=$(command -v systemd-socket-activate)
if [ -z "$activate" ]; then
    echo "1..0 # SKIP systemd-socket-activate is not installed (Debian package systemd)"
    exit 0
fi

sl_prepare
sock=$HARNESS_DIR/activated.sock
# Set, so that a serve that ignored fd 3 would show itself by opening this one.
SAVEALIFE_LISTEN="unix:$HARNESS_DIR/configured.sock"
SAVEALIFE_LOG_LEVEL=info
NOTIFY_SOCKET=$HARNESS_DIR/notify.sock
export SAVEALIFE_LISTEN SAVEALIFE_LOG_LEVEL NOTIFY_SOCKET
NL=$HARNESS_DIR/notify.log
nl_start "$NL" "$NOTIFY_SOCKET" "$HARNESS_DIR/serve.log"

# The tool passes on only the variables it is told to (and PATH, HOME, ...).
flags=$(sl_env_flags AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_EC2_METADATA_DISABLED \
    AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL_DYNAMODB SAVEALIFE_TABLE_PREFIX \
    SAVEALIFE_SCHEMA_DIR SAVEALIFE_TOKENS_FILE SAVEALIFE_WORKERS SAVEALIFE_LISTEN \
    SAVEALIFE_LOG_LEVEL NOTIFY_SOCKET ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS)
# shellcheck disable=SC2086
"$activate" -l "$sock" $flags "$TOP_BUILDDIR/savealife" serve >"$HARNESS_DIR/serve.log" 2>&1 &
SERVE_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $SERVE_PID"
unset NOTIFY_SOCKET

pl_ok "systemd-socket-activate made the socket" pl_poll 10 [ -S "$sock" ]
# It makes it 0644; nginx's workers (nobody, when we are root) need to write to it, as the
# socket unit's SocketMode= and SocketGroup= allow them.
chmod 0666 "$sock"
inode=$(stat -c %i "$sock")
sl_start_nginx "$sock"
# The first connection makes the tool exec serve; nginx waits in the socket's queue meanwhile.
pl_ok "the first request through nginx answers 200" sl_poll 30 sl_health_ok
exe=$(readlink "/proc/$SERVE_PID/exe")
pl_ok "the tool's process is now savealife serve (exe $exe)" [ "$exe" = "$(readlink -f "$TOP_BUILDDIR/savealife")" ]
pl_ok "serve's log says the socket came from systemd, with its address" \
    grep -q -F "listening on fd 3 from systemd, unix:$sock:" "$HARNESS_DIR/serve.log"
pl_ok "SAVEALIFE_LISTEN's address was never opened" [ ! -e "$HARNESS_DIR/configured.sock" ]
pl_ok "READY=1 arrives from that process" pl_poll 10 nl_has "$NL" 'READY=1$'
pl_ok "(sent by pid $SERVE_PID: got $(nl_senders "$NL"))" [ "$(nl_senders "$NL")" = "$SERVE_PID " ]

pl_create_company Activated
code=$(pl_http_code "$BASE_URL/api/companies/activated")
pl_ok "a request that reads DynamoDB answers 200 (got $code)" [ "$code" = 200 ]

old=$(pl_workers)
kill -HUP "$SERVE_PID"
all_new() { pl_count_is 4 && pl_disjoint "$old" "$(pl_workers)" && pl_all_gone "$old"; }
pl_ok "a reload replaces every worker" pl_poll 20 all_new
code=$(pl_http_code "$BASE_URL/api/companies/activated")
pl_ok "requests answer after the reload (got $code)" [ "$code" = 200 ]
pl_ok "the reload kept the same socket (inode $inode)" [ "$(stat -c %i "$sock")" = "$inode" ]
no_socket_warning() { ! grep -q "listening socket's settings" "$HARNESS_DIR/serve.log"; }
pl_ok "and did not talk about socket settings, which are the socket unit's" no_socket_warning

harness_stop_serve 30
status=$?
pl_ok "serve exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "the socket file it did not make is still there, the same one" \
    eval '[ -S "$sock" ] && [ "$(stat -c %i "$sock")" = "$inode" ]'
pl_ok "STOPPING=1 arrived" nl_has "$NL" 'STOPPING=1$'
refused() { grep -q 'connect() to unix:.* failed' "$HARNESS_DIR/nginx/error.log"; }
pl_ok "nginx never failed to connect" eval '! refused'
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
