# Shared by the process tests (sourced after tests/lib/harness.sh, POSIX sh): TAP lines, the
# master's worker pids as the process table shows them, polling with a bound, and the
# request loop (tests/tools/loop.js) started, watched and stopped by pid.

PL_N=0

# pl_ok DESCRIPTION COMMAND...: one TAP line, "ok" when the command succeeds.
pl_ok() {
    _pl_desc=$1
    shift
    PL_N=$((PL_N + 1))
    if "$@"; then
        echo "ok $PL_N - $_pl_desc"
    else
        echo "not ok $PL_N - $_pl_desc"
    fi
}

# pl_note TEXT...: a TAP comment.
pl_note() {
    echo "# $*"
}

# pl_done: the plan, last.
pl_done() {
    echo "1..$PL_N"
}

# pl_poll SECONDS COMMAND...: runs the command every 0.1 s until it succeeds (0) or the time
# is up (1).
pl_poll() {
    _pl_limit=$(($1 * 10))
    shift
    _pl_i=0
    while [ $_pl_i -lt $_pl_limit ]; do
        "$@" && return 0
        sleep 0.1
        _pl_i=$((_pl_i + 1))
    done
    return 1
}

# pl_workers: the master's children, as the kernel lists them, sorted, space-separated.
pl_workers() {
    pgrep -P "$SERVE_PID" 2>/dev/null | sort -n | tr '\n' ' '
}

pl_worker_count() {
    set -- $(pl_workers)
    echo $#
}

# pl_count_is N: whether the master has exactly N children.
pl_count_is() {
    [ "$(pl_worker_count)" -eq "$1" ]
}

# pl_disjoint "A" "B": whether no pid of list A is in list B.
pl_disjoint() {
    for _pl_a in $1; do
        for _pl_b in $2; do
            [ "$_pl_a" = "$_pl_b" ] && return 1
        done
    done
    return 0
}

# pl_all_gone "PIDS": whether none of the processes exists any more.
pl_all_gone() {
    for _pl_p in $1; do
        kill -0 "$_pl_p" 2>/dev/null && return 1
    done
    return 0
}

# pl_alive PID: whether the process runs (a zombie does not count).
pl_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    _pl_state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [ -n "$_pl_state" ] && [ "$_pl_state" != Z ]
}

# pl_serve_log_clean: no sanitizer report in the master's or workers' output.
pl_serve_log_clean() {
    ! grep -E -q 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$HARNESS_DIR/serve.log"
}

# pl_loop_start URL [LOOP_ARGS...]: starts the request loop; its lines go to
# $HARNESS_DIR/loop.log. Sets LOOP_PID.
pl_loop_start() {
    _pl_url=$1
    shift
    harness_node
    node "$TOP_SRCDIR/tests/tools/loop.js" --url "$_pl_url" "$@" >"$HARNESS_DIR/loop.log" 2>&1 &
    LOOP_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $LOOP_PID"
}

# pl_loop_done: requests the loop has finished so far.
pl_loop_done() {
    grep -c -E '^(ok|fail) ' "$HARNESS_DIR/loop.log" 2>/dev/null || true
}

# pl_loop_at_least N: whether the loop has finished N requests.
pl_loop_at_least() {
    [ "$(pl_loop_done)" -ge "$1" ]
}

# pl_loop_finished: whether the loop printed its summary.
pl_loop_finished() {
    grep -q '^summary ' "$HARNESS_DIR/loop.log" 2>/dev/null
}

# pl_loop_stop: stops the loop (SIGTERM; it finishes the requests in flight) and waits for
# its summary, 20 s at most.
pl_loop_stop() {
    kill -TERM "$LOOP_PID" 2>/dev/null
    pl_poll 20 pl_loop_finished
    wait "$LOOP_PID" 2>/dev/null
}

# pl_loop_field NAME: a number from the loop's summary ("ok", "failed", "sent").
pl_loop_field() {
    sed -n "s/^summary .*\"$1\":\([0-9]*\).*/\1/p" "$HARNESS_DIR/loop.log"
}

# pl_loop_failures: the loop's failed lines, for a diagnostic.
pl_loop_failures() {
    grep '^fail ' "$HARNESS_DIR/loop.log" | head -5 | sed 's/^/#   /'
}

# pl_http_code URL [CURL_ARGS...]: the status code of one request (000 if none came).
pl_http_code() {
    _pl_url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$@" "$_pl_url" 2>/dev/null
}

# pl_start_proxy: dynalite, and tests/tools/slow-proxy.js in front of it as the stack's
# DynamoDB endpoint. Sets PROXY_PORT, PROXY_URL and STACK_DDB_ENDPOINT.
pl_start_proxy() {
    harness_start_dynalite
    harness_wait_dynalite
    UPSTREAM=$AWS_ENDPOINT_URL_DYNAMODB
    export UPSTREAM
    harness_start_node PROXY "$TOP_SRCDIR/tests/tools/slow-proxy.js"
    PROXY_URL="http://127.0.0.1:$PROXY_PORT"
    STACK_DDB_ENDPOINT=$PROXY_URL
}

# pl_proxy_delay TARGET MS COUNT: the proxy holds the next COUNT requests of operation TARGET
# (0: all of them) for MS milliseconds.
pl_proxy_delay() {
    curl -s -f -X POST "$PROXY_URL/_control/delay" \
        -d "{\"target\":\"$1\",\"ms\":$2,\"count\":$3}" ||
        harness_bail "the proxy refused the delay"
}

# pl_proxy_seen TARGET: how many requests of operation TARGET the proxy has seen arrive.
pl_proxy_seen() {
    grep -c "^seen [0-9]* $1\$" "$HARNESS_DIR/PROXY.log"
}

# pl_create_company NAME: creates it through nginx as the admin (its id is NAME lower-cased).
pl_create_company() {
    _pl_code=$(pl_http_code "$BASE_URL/api/companies" -X POST \
        -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$1\"}")
    [ "$_pl_code" = 201 ] || harness_bail "creating the company $1 answered $_pl_code"
}
