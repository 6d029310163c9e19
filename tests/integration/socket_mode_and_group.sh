#!/bin/sh
# The unix socket has the configured mode (0660) and group (nogroup when the test runs as
# root, as nginx's workers do), nginx's workers reach it, and a user outside the group
# cannot connect.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=2
harness_start_stack

sock=$HARNESS_DIR/fcgi.sock
pl_ok "the socket exists and is a socket" [ -S "$sock" ]
mode=$(stat -c '%a' "$sock")
pl_ok "its mode is 660 (got $mode)" [ "$mode" = 660 ]
if [ "$(id -u)" -eq 0 ]; then
    want_group=nogroup
else
    want_group=$(id -gn)
fi
group=$(stat -c '%G' "$sock")
pl_ok "its group is $want_group (got $group)" [ "$group" = "$want_group" ]

code=$(pl_http_code "$BASE_URL/api/health")
pl_ok "a request through nginx reaches a worker (got $code)" [ "$code" = 200 ]
pl_ok "the answer came from the service" \
    grep -q '"GET /api/health HTTP/1.1" 200 .* 200 ddb_calls=0' "$HARNESS_DIR/nginx/access.log"
no_permission_error() { ! grep -q 'Permission denied' "$HARNESS_DIR/nginx/error.log"; }
pl_ok "nginx logged no permission error" no_permission_error

# connect_as USER GROUP: connects to the socket with that identity and no other groups.
connect_as() {
    setpriv --reuid="$1" --regid="$2" --clear-groups node -e '
        require("net").connect(process.argv[1])
            .on("connect", () => process.exit(0))
            .on("error", (e) => { console.log(e.code); process.exit(1); });' "$sock"
}
if [ "$(id -u)" -eq 0 ]; then
    users=$(ps -o user= --ppid "$NGINX_PID" | sort -u | tr '\n' ' ')
    pl_ok "nginx's workers run as nobody (got $users)" [ "$users" = "nobody " ]
    pl_ok "nobody:nogroup, as nginx's workers, may connect" connect_as nobody nogroup
    refused=$(connect_as daemon daemon)
    pl_ok "daemon:daemon, outside the group, is refused (got $refused)" [ "$refused" = EACCES ]
else
    PL_N=$((PL_N + 1))
    echo "ok $PL_N # SKIP nginx's user and other users: needs root"
fi
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "it removed its socket" [ ! -e "$sock" ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
