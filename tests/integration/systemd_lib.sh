# Shared by the systemd_*.sh tests (sourced after tests/lib/harness.sh and
# tests/tools/process-lib.sh, POSIX sh): the stack of harness_start_stack for a `serve` that
# something else starts (systemd-socket-activate, tests/tools/socket-holder), and readers of
# what tests/tools/notify-listen received. Every process is started in the background and
# added to HARNESS_PIDS, so the harness stops it by pid.

NOTIFY_LISTEN="$TOP_BUILDDIR/tests/tools/notify-listen"
SOCKET_HOLDER="$TOP_BUILDDIR/tests/tools/socket-holder"

# sl_prepare: dynalite, the tables with a per-run prefix, an admin token and the SAVEALIFE_*
# variables serve reads (SAVEALIFE_LISTEN is left to the caller). Sets ADMIN_TOKEN.
sl_prepare() {
    harness_start_dynalite
    harness_wait_dynalite
    SAVEALIFE_TABLE_PREFIX="t$$-"
    SAVEALIFE_SCHEMA_DIR="$TOP_SRCDIR/schema"
    export SAVEALIFE_TABLE_PREFIX SAVEALIFE_SCHEMA_DIR
    "$TOP_BUILDDIR/savealife" create-tables >"$HARNESS_DIR/create-tables.log" 2>&1 ||
        harness_bail "create-tables failed: $(tail -5 "$HARNESS_DIR/create-tables.log")"
    ADMIN_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    printf '# admin token of this test run\n%s\n' \
        "$(printf '%s' "$ADMIN_TOKEN" | sha256sum | cut -d' ' -f1)" >"$HARNESS_DIR/tokens"
    export ADMIN_TOKEN
    SAVEALIFE_TOKENS_FILE="$HARNESS_DIR/tokens"
    SAVEALIFE_WORKERS=${STACK_WORKERS:-4}
    export SAVEALIFE_TOKENS_FILE SAVEALIFE_WORKERS
    # nginx's workers run as nobody when we are root: they reach sockets through this folder.
    [ "$(id -u)" -eq 0 ] && chmod 0711 "$HARNESS_DIR"
    return 0
}

# sl_start_nginx SOCKET: real nginx on a free port with /api/ passed to SOCKET. Sets NGINX_PID,
# NGINX_PORT and BASE_URL.
sl_start_nginx() {
    command -v /usr/sbin/nginx >/dev/null 2>&1 || harness_bail "nginx is not installed"
    NGINX_PORT=$(harness_free_port) || harness_bail "no free port"
    mkdir -p "$HARNESS_DIR/nginx/tmp" || harness_bail "cannot create $HARNESS_DIR/nginx"
    "$TOP_SRCDIR/scripts/nginx-conf" "$HARNESS_DIR/nginx" "127.0.0.1:$NGINX_PORT" "$1" 1m \
        >"$HARNESS_DIR/nginx/nginx.conf" || harness_bail "cannot write the nginx configuration"
    /usr/sbin/nginx -p "$HARNESS_DIR/nginx/" -c "$HARNESS_DIR/nginx/nginx.conf" \
        -e "$HARNESS_DIR/nginx/error.log" >"$HARNESS_DIR/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $NGINX_PID"
    BASE_URL="http://127.0.0.1:$NGINX_PORT"
    export BASE_URL
}

# sl_health_ok: whether GET /api/health through nginx answers 200 within 2 s.
sl_health_ok() {
    [ "$(pl_http_code "$BASE_URL/api/health" --max-time 2)" = 200 ]
}

# sl_poll SECONDS COMMAND...: runs the command every 0.1 s until it succeeds (0) or SECONDS
# have passed by the clock (1): bounded even when the command itself waits.
sl_poll() {
    _sl_end=$(($(date +%s) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$_sl_end" ] && return 1
        sleep 0.1
    done
}

# sl_wait_exit PID [SECONDS]: waits for a child of this shell to exit and returns its exit
# status; 124 when it was still running after SECONDS (default 30) and had to be killed.
sl_wait_exit() {
    if ! sl_poll "${2:-30}" eval "! pl_alive $1"; then
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        return 124
    fi
    wait "$1"
}

# sl_stop PID [SECONDS]: SIGTERM to a child of this shell, then as sl_wait_exit.
sl_stop() {
    kill -TERM "$1" 2>/dev/null
    sl_wait_exit "$@"
}

# sl_env_flags VAR...: "-E VAR" for each variable that is set, for systemd-socket-activate,
# which passes the launched program only the variables it is told to.
sl_env_flags() {
    for _sl_v in "$@"; do
        eval "[ -n \"\${$_sl_v+set}\" ]" && printf -- '-E %s ' "$_sl_v"
    done
    return 0
}

# ---- what notify-listen received. Its lines are
#   MESSAGE MONOTONIC_USEC WATCH_SIZE SENDER_PID KEY=VALUE
# one for each line of each message.

# nl_start LOG SOCKET [WATCH_FILE]: starts a listener writing to LOG and waits until it is
# bound. Sets NL_PID.
nl_start() {
    [ -x "$NOTIFY_LISTEN" ] || harness_bail "$NOTIFY_LISTEN is not built"
    "$NOTIFY_LISTEN" "$2" ${3:+"$3"} >"$1" 2>"$1.err" &
    NL_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $NL_PID"
    pl_poll 10 grep -q '^listening ' "$1" ||
        harness_bail "notify-listen did not bind $2: $(cat "$1.err")"
}

# nl_first LOG REGEX [AFTER]: the number of the first message after message AFTER (default 0)
# with a KEY=VALUE line matching REGEX (anchored at its start); empty when none came.
nl_first() {
    awk -v re="^($2)" -v after="${3:-0}" '
        $1 ~ /^[0-9]+$/ && $1 + 0 > after + 0 {
            kv = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", kv)
            if (kv ~ re) { print $1; exit }
        }' "$1"
}

# nl_has LOG REGEX [AFTER]: whether such a message came.
nl_has() {
    [ -n "$(nl_first "$@")" ]
}

# nl_count LOG REGEX [AFTER]: how many lines after message AFTER match.
nl_count() {
    awk -v re="^($2)" -v after="${3:-0}" '
        $1 ~ /^[0-9]+$/ && $1 + 0 > after + 0 {
            kv = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", kv)
            if (kv ~ re) n++
        }
        END { print n + 0 }' "$1"
}

# nl_last LOG: the number of the last message received (0 if none).
nl_last() {
    awk '$1 ~ /^[0-9]+$/ { n = $1 } END { print n + 0 }' "$1"
}

# nl_field LOG MESSAGE usec|size|pid: when message MESSAGE arrived, the watched file's size
# then, or its sender.
nl_field() {
    case $3 in
    usec) _nl_col=2 ;;
    size) _nl_col=3 ;;
    pid) _nl_col=4 ;;
    *) harness_bail "nl_field: unknown field $3" ;;
    esac
    awk -v m="$2" -v c="$_nl_col" '$1 == m { print $c; exit }' "$1"
}

# nl_value LOG MESSAGE KEY: the value of KEY= in message MESSAGE.
nl_value() {
    awk -v m="$2" -v key="$3=" '
        $1 == m {
            kv = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", kv)
            if (index(kv, key) == 1) { print substr(kv, length(key) + 1); exit }
        }' "$1"
}

# nl_senders LOG: the distinct sender pids, space-separated.
nl_senders() {
    awk '$1 ~ /^[0-9]+$/ { print $4 }' "$1" | sort -u | tr '\n' ' '
}

# sl_offset FILE FIXED_STRING: the byte offset just past the first line containing the string
# (empty when there is none), to compare with a message's WATCH_SIZE.
sl_offset() {
    LC_ALL=C awk -v s="$2" '{ off += length($0) + 1 } index($0, s) { print off; exit }' "$1"
}

# sl_lines_before FILE SIZE FIXED_STRING: how many lines of the first SIZE bytes of FILE hold
# the string.
sl_lines_before() {
    head -c "$2" "$1" | grep -c -F -- "$3"
}

# sl_matches TEXT ERE: whether the text matches the extended regular expression.
sl_matches() {
    printf '%s\n' "$1" | grep -E -q -- "$2"
}
