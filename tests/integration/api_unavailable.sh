#!/bin/sh
# With the emulator gone, reads and writes answer 503 with Retry-After and a problem document
# (after the client's bounded retries), readiness says 503, liveness still 200, the failure is
# written to nginx's error log with the request id, and the service keeps running.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_stack


# request METHOD PATH [CURL_ARGS...]: status in $code, headers in $HARNESS_DIR/h, body in
# $HARNESS_DIR/b.
request() {
    method=$1
    path=$2
    shift 2
    code=$(curl -s --max-time 60 -X "$method" -D "$HARNESS_DIR/h" -o "$HARNESS_DIR/b" \
        -w '%{http_code}' "$@" "$BASE_URL$path")
}

# The value of a response header of the last request.
header() {
    harness_header "$1" "$HARNESS_DIR/h"
}

# problem_ok STATUS: the body is a problem document of that status whose request_id is the
# X-Request-Id header.
problem_ok() {
    rid=$(header X-Request-Id)
    [ -n "$rid" ] || return 1
    case $(header Content-Type) in application/problem+json*) ;; *) return 1 ;; esac
    node -e '
        const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.exit(d.status === Number(process.argv[2]) && d.request_id === process.argv[3] &&
                     typeof d.detail === "string" ? 0 : 1);' "$HARNESS_DIR/b" "$1" "$rid"
}

echo "1..12"
name="down-$$"
request POST /api/companies -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN_TOKEN" -d "{\"name\":\"$name\"}"
check "a company is created while the database is up ($code)" [ "$code" = 201 ]

kill -TERM "$DYNALITE_PID"
i=0
while kill -0 "$DYNALITE_PID" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
wait "$DYNALITE_PID" 2>/dev/null
check "the emulator is stopped" sh -c "! kill -0 $DYNALITE_PID 2>/dev/null"

request GET "/api/companies/$name"
check "a read answers 503 ($code)" [ "$code" = 503 ]
check "with Retry-After" [ -n "$(header Retry-After)" ]
check "and a problem document carrying the request id" problem_ok 503
check "and the DynamoDB figures" [ -n "$(header X-Ddb-Calls)" ] && [ -n "$(header X-Ddb-Retries)" ]
read_rid=$(header X-Request-Id)

request POST /api/donors -H 'Content-Type: application/json' \
    -d "{\"email\":\"down.$$@example.org\",\"first_name\":\"D\",\"city\":\"C\",\"type\":\"O+\"}"
check "a sign-up answers 503 with Retry-After ($code)" [ "$code" = 503 ] && [ -n "$(header Retry-After)" ]

request GET /api/ready
check "readiness answers 503 with Retry-After ($code)" [ "$code" = 503 ] && [ -n "$(header Retry-After)" ]
check "as a problem document" problem_ok 503

request GET /api/health
check "liveness still answers 200 ($code)" [ "$code" = 200 ]

# The worker writes the failure to the FastCGI error stream; nginx puts it in its error log.
i=0
while ! grep -q "$read_rid" "$HARNESS_DIR/nginx/error.log" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "the 503 is in nginx's error log with its request id" grep -q "$read_rid" "$HARNESS_DIR/nginx/error.log"
check "savealife serve is still running" kill -0 "$SERVE_PID"
exit $failed
