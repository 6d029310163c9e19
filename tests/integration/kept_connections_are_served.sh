#!/bin/sh
# nginx with fastcgi_keep_conn and upstream keepalive: the next request comes on the
# connection a worker kept, not through the listening socket. 200 requests are all answered
# over a few connections (at most half as many accepts as requests, where without keep_conn
# each request is one; nginx may close a connection when both its workers want the one it
# caches, which on a loaded machine happens often: 6 to 13 accepts alone, up to 62 beside
# the rest of the suite), and a SIGTERM still stops the workers waiting on kept connections at once.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
REQUESTS=200
harness_env
STACK_WORKERS=4
harness_start_stack

# A second nginx in front of the same socket, keeping its connections (one cached per nginx
# worker process: no more than the service's workers, each of which serves one connection).
KEPT_DIR=$HARNESS_DIR/nginx-kept
KEPT_PORT=$(harness_free_port) || harness_bail "no free port"
mkdir -p "$KEPT_DIR/tmp" || harness_bail "cannot create $KEPT_DIR"
"$TOP_SRCDIR/scripts/nginx-conf" "$KEPT_DIR" "127.0.0.1:$KEPT_PORT" "$HARNESS_DIR/fcgi.sock" 1m |
    sed -e "s|fastcgi_pass unix:$HARNESS_DIR/fcgi.sock;|fastcgi_pass savealife_kept; fastcgi_keep_conn on;|" \
        -e "s|^http {|http {\n    upstream savealife_kept { server unix:$HARNESS_DIR/fcgi.sock; keepalive 1; }|" \
        >"$KEPT_DIR/nginx.conf" || harness_bail "cannot write the nginx configuration"
grep -q 'fastcgi_keep_conn on' "$KEPT_DIR/nginx.conf" || harness_bail "the configuration has no keep_conn"
/usr/sbin/nginx -p "$KEPT_DIR/" -c "$KEPT_DIR/nginx.conf" -e "$KEPT_DIR/error.log" \
    >"$KEPT_DIR/stdout.log" 2>&1 &
KEPT_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $KEPT_PID"
KEPT_URL="http://127.0.0.1:$KEPT_PORT"
answers() { [ "$(pl_http_code "$KEPT_URL/api/health")" = 200 ]; }
pl_ok "the keep_conn nginx answers" pl_poll 20 answers

status_field() {
    curl -s --max-time 10 -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status" |
        node -e '
            let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
                try { const v = JSON.parse(s)[process.argv[1]]; if (v !== undefined) console.log(v); }
                catch (e) {} });' "$1"
}
before=$(status_field accept_attempts)
pl_ok "the status page counts accepts" [ -n "$before" ]
pl_loop_start "$KEPT_URL/api/health" --count "$REQUESTS" --concurrency 2 --max-seconds 120
pl_ok "the $REQUESTS requests are answered" pl_poll 150 pl_loop_finished
failed=$(pl_loop_field failed)
[ "${failed:-1}" -eq 0 ] || pl_loop_failures
pl_ok "none failed (failed: ${failed:-?})" [ "${failed:-1}" -eq 0 ]
after=$(status_field accept_attempts)
accepts=$((${after:-0} - ${before:-0}))
pl_note "$accepts accepts for $REQUESTS requests"
pl_ok "they came on kept connections: far fewer accepts ($accepts) than requests" \
    [ "$accepts" -le $((REQUESTS / 2)) ]

# The workers now wait on their kept connections: a stop must not wait for nginx to close them.
t0=$(date +%s)
harness_stop_serve 30
status=$?
took=$(($(date +%s) - t0))
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "at once, kept connections or not (${took} s)" [ "$took" -le 3 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
