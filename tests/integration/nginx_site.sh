#!/bin/sh
# The production site nginx/savealife.conf, run as it is (only its listen addresses, socket,
# web root and log paths replaced for this run) by a second real nginx in front of the
# service the harness started: nginx -t accepts it; the access log is one JSON object a line
# with the request id and the DynamoDB figures, which the client never sees; /api/status is
# for 127.0.0.1 and ::1 only (a client bound to 127.0.0.2 is refused); sign-ups are rate
# limited (429); nginx's own 403/413/429 are problem documents; a request that fails inside
# leaves its request id in the site's error log.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_stack


echo "1..30"

# ---- render the production site for this run ----
SITE_DIR="$HARNESS_DIR/site"
mkdir -p "$SITE_DIR/tmp" || harness_bail "cannot create $SITE_DIR"
SITE_PORT=$(harness_free_port) || harness_bail "no free port"
SITE_URL="http://127.0.0.1:$SITE_PORT"
# The IPv6 listen line is kept (on ::1) where the machine has IPv6 loopback.
if [ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
    v6_listen="listen [::1]:$SITE_PORT;"
    have_v6=1
else
    v6_listen=""
    have_v6=0
fi
harness_site_render "$SITE_DIR" "$SITE_PORT" "$HARNESS_DIR/fcgi.sock" "$TOP_SRCDIR/web" "$v6_listen"

# A production path left over would mean the site changed under this test's substitutions.
leftovers() {
    ! grep -v '^ *#' "$SITE_DIR/savealife.conf" |
        grep -E '/run/savealife|/var/log|/usr/share/savealife|listen +(80|\[::\]:80)'
}
check "every production path and port is replaced for the test" leftovers

harness_site_conf "$SITE_DIR"

if harness_site_test "$SITE_DIR"; then
    ok "nginx -t accepts the production site"
else
    not_ok "nginx -t accepts the production site"
    sed 's/^/# /' "$SITE_DIR/t.log"
fi

harness_site_start "$SITE_DIR"
i=0
code=000
while [ $i -lt 300 ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$SITE_URL/api/health" 2>/dev/null)
    [ "$code" = 200 ] && break
    kill -0 "$SITE_PID" 2>/dev/null ||
        harness_bail "the site's nginx exited: $(tail -5 "$SITE_DIR/main-error.log" "$SITE_DIR/stdout.log" 2>/dev/null)"
    sleep 0.1
    i=$((i + 1))
done
check "the site passes GET /api/health to the service ($code)" [ "$code" = 200 ]

# request URL [CURL_ARGS...] (harness_request): $code, $HARNESS_DIR/h and $HARNESS_DIR/b.
request() { harness_request "$@"; }
# The value of a response header of the last request (empty when absent).
header() { harness_header "$1" "$HARNESS_DIR/h"; }

# nginx_problem_ok STATUS: the last answer, made by nginx itself, is a problem document of
# that status whose request_id is its X-Request-Id.
nginx_problem_ok() {
    prid=$(header X-Request-Id)
    [ -n "$prid" ] || return 1
    case $(header Content-Type) in application/problem+json*) ;; *) return 1 ;; esac
    node -e '
        const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.exit(d.status === Number(process.argv[2]) && d.request_id === process.argv[3] &&
                     typeof d.title === "string" && d.title !== "Error" ? 0 : 1);' \
        "$HARNESS_DIR/b" "$1" "$prid"
}

# wait_for FILE TEXT: polls (5 s at most) until FILE contains TEXT; nginx writes a request's
# log lines after it has answered.
wait_for() {
    i=0
    while ! grep -qF "$2" "$1" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    grep -qF "$2" "$1" 2>/dev/null
}

request "$SITE_URL/"
check "the static root serves web/index.html ($code)" \
    sh -c "[ '$code' = 200 ] && cmp -s '$HARNESS_DIR/b' '$TOP_SRCDIR/web/index.html'"

# ---- the ops log and the hidden X-Ddb-* headers ----
# A missing company costs exactly one GetItem.
missing="missing-$$"
request "$BASE_URL/api/companies/$missing"
check "through the dev nginx the service sends X-Ddb-Calls: 1 (what the site must hide)" \
    [ "$(header X-Ddb-Calls)" = 1 ]

# A quote and a backslash in a logged header: only escape=json keeps the line valid JSON.
ua='probe "quoted" \ agent'
request "$SITE_URL/api/companies/$missing" -A "$ua"
rid=$(header X-Request-Id)
check "a missing company answers 404 through the site ($code)" [ "$code" = 404 ]
check "with the request id nginx made" [ -n "$rid" ]
check "and none of the X-Ddb-* headers" \
    sh -c "! grep -qi '^x-ddb-' '$HARNESS_DIR/h'"

wait_for "$SITE_DIR/savealife.access.log" "\"request_id\":\"$rid\""
# log_line_ok RID NODE_EXPRESSION: the access-log line of that request parses as JSON and the
# expression (over d, the parsed line) is true.
log_line_ok() {
    node -e '
        const [file, rid, expr] = process.argv.slice(1);
        const lines = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean);
        const found = lines.map((l) => JSON.parse(l)).filter((d) => d.request_id === rid);
        if (found.length !== 1) process.exit(1);
        const d = found[0];
        process.exit(eval(expr) ? 0 : 1);' "$SITE_DIR/savealife.access.log" "$1" "$2"
}
all_lines_json() {
    node -e '
        const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
        for (const l of lines) JSON.parse(l);
        process.exit(lines.length > 0 ? 0 : 1);' "$SITE_DIR/savealife.access.log"
}
check "every access-log line is one JSON object" all_lines_json
check "the request's line carries its method, URI and status" \
    log_line_ok "$rid" "d.method === 'GET' && d.uri === '/api/companies/$missing' && d.status === 404 && d.upstream_status === '404'"
check "and its DynamoDB figures: 1 call, its milliseconds, 0 retries" \
    log_line_ok "$rid" "d.ddb_calls === '1' && /^[0-9]+$/.test(d.ddb_ms) && d.ddb_retries === '0'"
check "and the client's header, escaped as JSON" \
    log_line_ok "$rid" "d.user_agent === 'probe \"quoted\" \\\\ agent'"
check "and its times and size" \
    log_line_ok "$rid" "typeof d.request_time === 'number' && /^[0-9.]+$/.test(d.upstream_response_time) && d.bytes > 0 && /^[0-9]{4}-/.test(d.time)"

# ---- /api/status: loopback only ----
request "$SITE_URL/api/status"
check "/api/status from 127.0.0.1 is passed on, not refused ($code)" \
    sh -c "[ '$code' != 403 ] && [ '$code' != 000 ]"
if [ "$have_v6" = 1 ]; then
    request "http://[::1]:$SITE_PORT/api/status" -g
    check "/api/status from ::1 is passed on, not refused ($code)" \
        sh -c "[ '$code' != 403 ] && [ '$code' != 000 ]"
else
    ok "# SKIP no IPv6 loopback on this machine"
fi
# 127.0.0.2 is on the loopback interface but not in the allow list: a client the site must
# refuse, without changing the file.
request "$SITE_URL/api/status" --interface 127.0.0.2
check "/api/status from 127.0.0.2 is refused with 403 ($code)" [ "$code" = 403 ]
check "as a problem document with its request id" nginx_problem_ok 403
request "$SITE_URL/api/health" --interface 127.0.0.2
hrid=$(header X-Request-Id)
check "while 127.0.0.2 reaches the rest of the API ($code)" [ "$code" = 200 ]
wait_for "$SITE_DIR/savealife.access.log" "\"request_id\":\"$hrid\""
check "and the log shows that client's address" log_line_ok "$hrid" "d.remote_addr === '127.0.0.2'"

# ---- sign-ups are rate limited ----
# signup PATH I: one sign-up of a new donor, its status in $code.
signup() {
    request "$SITE_URL$1" -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"burst.$2.$$@example.org\",\"first_name\":\"B\",\"city\":\"Burst$$\",\"type\":\"O+\"}"
}
created=0
limited=0
first=""
j=0
while [ $j -lt 12 ]; do
    signup /api/donors "$j"
    [ -z "$first" ] && first=$code
    [ "$code" = 201 ] && created=$((created + 1))
    [ "$code" = 429 ] && limited=$((limited + 1))
    j=$((j + 1))
done
check "the first sign-up of a burst is created ($first)" [ "$first" = 201 ]
check "a burst of 12 sign-ups gets 429s ($created created, $limited limited)" \
    sh -c "[ $limited -ge 1 ] && [ $((created + limited)) -eq 12 ]"
signup /api/donor/signup x
check "the tutorial's sign-up route shares the limit ($code)" [ "$code" = 429 ]
check "as a problem document with its request id" nginx_problem_ok 429
request "$SITE_URL/api/donors?city=Burst$$" -H "Authorization: Bearer $ADMIN_TOKEN"
check "reads of /api/donors are not limited ($code)" [ "$code" = 200 ]

# ---- the body limit is nginx's: one byte over 64k is refused before the service ----
head -c 65537 /dev/zero | tr '\0' a >"$HARNESS_DIR/big" || harness_bail "cannot write a body"
request "$SITE_URL/api/companies" -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN_TOKEN" --data-binary "@$HARNESS_DIR/big"
check "a body of 65537 bytes is refused with 413 ($code)" [ "$code" = 413 ]
check "as a problem document with its request id" nginx_problem_ok 413
rid413=$(header X-Request-Id)
wait_for "$SITE_DIR/savealife.access.log" "\"request_id\":\"$rid413\""
check "by nginx: the service never saw it" log_line_ok "$rid413" "d.status === 413 && d.upstream_status === ''"

# ---- a failure inside reaches the site's error log with its request id ----
kill -TERM "$DYNALITE_PID"
i=0
while kill -0 "$DYNALITE_PID" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
wait "$DYNALITE_PID" 2>/dev/null
request "$SITE_URL/api/companies/$missing"
frid=$(header X-Request-Id)
check "with the emulator stopped a read answers 503 ($code)" [ "$code" = 503 ]
if [ -n "$frid" ] && wait_for "$SITE_DIR/savealife.error.log" "$frid"; then
    ok "the site's error log has a line with that request id"
else
    not_ok "the site's error log has a line with that request id ($frid)"
fi
check "written from the service's FastCGI error stream" \
    sh -c "grep -F '$frid' '$SITE_DIR/savealife.error.log' | grep -q 'FastCGI sent in stderr'"
exit $failed
