#!/bin/sh
# A second `savealife serve` on the socket path of a running one refuses to start with a
# clear message and a non-zero status, and leaves the first one, its socket and its workers
# as they were.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=2
harness_start_stack

sock=$HARNESS_DIR/fcgi.sock
inode=$(stat -c '%i' "$sock")
pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
workers=$(pl_workers)

# Same environment as the first: the same socket path.
timeout 20 "$TOP_BUILDDIR/savealife" serve >"$HARNESS_DIR/second.log" 2>&1
status=$?
pl_note "second serve: status $status: $(head -3 "$HARNESS_DIR/second.log")"
# refused STATUS: exited by itself (not killed by timeout) with a failure status.
refused() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ]; }
pl_ok "the second serve exits at once with a non-zero status" refused "$status"
pl_ok "its message names the variable and says the socket is in use" \
    grep -q 'SAVEALIFE_LISTEN: .*fcgi.sock is in use' "$HARNESS_DIR/second.log"
pl_ok "the socket file is still the first one's" [ "$(stat -c '%i' "$sock")" = "$inode" ]
pl_ok "the first master still runs" pl_alive "$SERVE_PID"
pl_ok "with the same workers" [ "$(pl_workers)" = "$workers" ]
code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "requests through nginx still succeed (got $code)" [ "$code" = 200 ]

# Something that is not a socket at the path is never removed.
other=$HARNESS_DIR/not-a-socket
echo keep >"$other"
SAVEALIFE_LISTEN=unix:$other timeout 20 "$TOP_BUILDDIR/savealife" serve \
    >"$HARNESS_DIR/third.log" 2>&1
status=$?
pl_ok "a serve on a regular file refuses to start (got $status)" refused "$status"
pl_ok "and leaves the file as it was" [ "$(cat "$other")" = keep ]

harness_stop_serve 30
status=$?
pl_ok "the first master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
