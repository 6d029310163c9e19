#!/bin/sh
# The Idempotency-Key header through real nginx against dynalite, with the delaying proxy
# (tests/tools/slow-proxy.js) between the service and dynalite: a repeated key gets the first
# answer (same status, body, Location and ETag; one write), a key reused for another request
# 422, a key in flight 409, a malformed key 400; a record past its expiry or abandoned past its
# lease counts as absent; a 503 is not stored; /api/ready checks the records' table. Records
# are read and written straight in dynalite, not through the service.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
DIRECT_URL=$AWS_ENDPOINT_URL_DYNAMODB
harness_start_stack
TABLE="${SAVEALIFE_TABLE_PREFIX}idempotency"

# request NAME METHOD PATH [CURL_ARGS...]: status in $code, headers in $HARNESS_DIR/NAME.h,
# body in $HARNESS_DIR/NAME.b.
request() {
    _name=$1
    _method=$2
    _path=$3
    shift 3
    code=$(curl -s --max-time 60 -X "$_method" -D "$HARNESS_DIR/$_name.h" \
        -o "$HARNESS_DIR/$_name.b" -w '%{http_code}' "$@" "$BASE_URL$_path")
}
admin() { request "$@" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json'; }
public() { request "$@" -H 'Content-Type: application/json'; }
hdr() { harness_header "$2" "$HARNESS_DIR/$1.h"; }

# field NAME EXPR: a JavaScript expression on the JSON body `j` of response NAME.
field() {
    node -e 'let j;try{j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))}catch(e){console.log("unparseable");process.exit(0)}try{console.log(eval(process.argv[2]))}catch(e){console.log("missing")}' \
        "$HARNESS_DIR/$1.b" "$2"
}

# ddb TARGET JSON: one DynamoDB call straight to dynalite; the answer on standard output.
ddb() {
    curl -s --max-time 10 -X POST "$DIRECT_URL/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H "X-Amz-Target: DynamoDB_20120810.$1" \
        -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
        -d "$2"
}

# put_record KEY STATE FINGERPRINT LEASE_DELTA EXPIRES_DELTA: a record written as a worker
# would have left it, times relative to now (seconds).
put_record() {
    _now=$(date +%s)
    ddb PutItem "{\"TableName\":\"$TABLE\",\"Item\":{\"key\":{\"S\":\"$1\"},\"state\":{\"S\":\"$2\"},
        \"fingerprint\":{\"S\":\"$3\"},\"owner\":{\"S\":\"dead\"},
        \"lease_until\":{\"N\":\"$((_now + $4))\"},\"expires_at\":{\"N\":\"$((_now + $5))\"},
        \"status\":{\"N\":\"201\"},\"content_type\":{\"S\":\"application/json\"},
        \"body\":{\"S\":\"{}\"}}}" >"$HARNESS_DIR/put.out"
}

# record_absent KEY: dynalite holds no record of the key.
record_absent() {
    [ "$(ddb GetItem "{\"TableName\":\"$TABLE\",\"Key\":{\"key\":{\"S\":\"$1\"}},\"ConsistentRead\":true}")" = "{}" ]
}

# fingerprint METHOD PATH BODY: the service's digest of a request.
fingerprint() {
    printf '%s\n%s\n%s' "$1" "$2" "$3" | sha256sum | cut -d' ' -f1
}

# problem_ok NAME STATUS WORD: a problem document of that status, its request_id the
# response's X-Request-Id, its detail containing WORD.
problem_ok() {
    [ "$(field "$1" 'j.status')" = "$2" ] &&
        [ "$(field "$1" 'j.request_id')" = "$(hdr "$1" X-Request-Id)" ] &&
        field "$1" 'j.detail' | grep -q -- "$3"
}

co="Idem-$$"
id="idem-$$"
body="{\"name\":\"$co\",\"keywords\":[\"a\"]}"

# ---- a replayed create ----
admin c1 POST /api/companies -H "Idempotency-Key: \"create-$$\"" -d "$body"
check "a create with a key answers 201 ($code)" [ "$code" = 201 ]
check "and is not marked as a replay" [ -z "$(hdr c1 Idempotent-Replayed)" ]
admin c2 POST /api/companies -H "Idempotency-Key: \"create-$$\"" -d "$body"
check "the same key again answers 201, not 409 ($code)" [ "$code" = 201 ]
check "with the same body" cmp -s "$HARNESS_DIR/c1.b" "$HARNESS_DIR/c2.b"
check "the same Location ($(hdr c2 Location))" eval '[ -n "$(hdr c1 Location)" ] && [ "$(hdr c1 Location)" = "$(hdr c2 Location)" ]'
check "the same ETag ($(hdr c2 ETag))" eval '[ -n "$(hdr c1 ETag)" ] && [ "$(hdr c1 ETag)" = "$(hdr c2 ETag)" ]'
check "and Idempotent-Replayed: true" [ "$(hdr c2 Idempotent-Replayed)" = true ]
check "its own request id" [ "$(hdr c1 X-Request-Id)" != "$(hdr c2 X-Request-Id)" ]
admin c3 POST /api/companies -H "Idempotency-Key: create-$$" -d "$body"
check "the key unquoted is the same key: 201 replayed ($code)" eval '[ "$code" = 201 ] && [ "$(hdr c3 Idempotent-Replayed)" = true ]'
request g1 GET "/api/companies/$id"
check "one item is stored, at version 1 ($(field g1 j.version))" [ "$(field g1 j.version)" = 1 ]

# ---- the same key for another request ----
admin d1 POST /api/companies -H "Idempotency-Key: \"create-$$\"" -d "{\"name\":\"$co\",\"keywords\":[\"b\"]}"
check "the same key with another body answers 422 ($code)" [ "$code" = 422 ]
check "with a problem document that says why" problem_ok d1 422 "different request"
admin d2 PUT /api/companies -H "Idempotency-Key: \"create-$$\"" -d "$body"
check "the same key with another method answers 422 ($code)" [ "$code" = 422 ]
admin d3 POST /api/companies -H "Idempotency-Key: \"create-$$\"" -d "$body"
check "the first request's answer is still replayed ($code)" eval '[ "$code" = 201 ] && cmp -s "$HARNESS_DIR/c1.b" "$HARNESS_DIR/d3.b"'

# ---- malformed keys ----
for bad in '"unterminated' '""' '"a", "b"' 'a;b' "\"$(printf '%0256d' 0)\""; do
    admin m POST /api/companies -H "Idempotency-Key: $bad" -d "{\"name\":\"Bad-$$\"}"
    shown=$(printf '%.20s' "$bad")
    check "Idempotency-Key: $shown answers 400 ($code)" eval '[ "$code" = 400 ] && problem_ok m 400 Idempotency-Key'
done
request m GET "/api/companies/bad-$$"
check "and nothing was created ($code)" [ "$code" = 404 ]

# ---- the public sign-up, and a patch ----
email="idem.$$@example.org"
donor="{\"email\":\"$email\",\"first_name\":\"I\",\"city\":\"Lyon\",\"type\":\"O+\"}"
public s1 POST /api/donors -H "Idempotency-Key: \"signup-$$\"" -d "$donor"
public s2 POST /api/donors -H "Idempotency-Key: \"signup-$$\"" -d "$donor"
check "a repeated sign-up answers 201 twice with one body ($code)" eval '[ "$code" = 201 ] && cmp -s "$HARNESS_DIR/s1.b" "$HARNESS_DIR/s2.b"'
public s3 POST /api/donor/signup -H "Idempotency-Key: \"signup-$$\"" -d "$donor"
check "the same key on the other sign-up path answers 422 ($code)" [ "$code" = 422 ]
admin s4 POST /api/companies -H "Idempotency-Key: \"signup-$$\"" -d "{\"name\":\"Space-$$\"}"
check "keys of admin routes are not those of public ones: the same key creates ($code)" [ "$code" = 201 ]

admin p1 PATCH "/api/donors/$email" -H "Idempotency-Key: \"patch-$$\"" -d '{"city":"Paris"}'
admin p2 PATCH "/api/donors/$email" -H "Idempotency-Key: \"patch-$$\"" -d '{"city":"Paris"}'
check "a repeated patch answers 200 with one body ($code)" eval '[ "$code" = 200 ] && cmp -s "$HARNESS_DIR/p1.b" "$HARNESS_DIR/p2.b"'
request g2 GET "/api/donors/$email" -H "Authorization: Bearer $ADMIN_TOKEN"
check "and was applied once: version 2 ($(field g2 j.version))" [ "$(field g2 j.version)" = 2 ]

admin u1 PUT "/api/companies/$id" -H "Idempotency-Key: \"update-$$\"" -H 'If-Match: "1"' -d '{"keywords":["u"]}'
admin u2 PUT "/api/companies/$id" -H "Idempotency-Key: \"update-$$\"" -H 'If-Match: "1"' -d '{"keywords":["u"]}'
check "a repeated If-Match update answers 200, not 412 ($code)" eval '[ "$code" = 200 ] && cmp -s "$HARNESS_DIR/u1.b" "$HARNESS_DIR/u2.b"'
check "with the same ETag" [ "$(hdr u1 ETag)" = "$(hdr u2 ETag)" ]
request g3 GET "/api/companies/$id"
check "and was applied once: version 2 ($(field g3 j.version))" [ "$(field g3 j.version)" = 2 ]

# ---- a client error is stored too ----
admin v1 POST /api/companies -H "Idempotency-Key: \"invalid-$$\"" -d '{"name":""}'
admin v2 POST /api/companies -H "Idempotency-Key: \"invalid-$$\"" -d '{"name":""}'
check "a 422 is replayed ($code)" eval '[ "$code" = 422 ] && [ "$(hdr v2 Idempotent-Replayed)" = true ]'
check "with the replay's own request id in its problem document" problem_ok v2 422 ""

# ---- a request still in flight elsewhere ----
ups_before=$(pl_proxy_seen UpdateItem)
pl_proxy_delay UpdateItem 3000 1
admin f1 POST /api/companies -H "Idempotency-Key: \"flight-$$\"" -d "{\"name\":\"Flight-$$\"}" &
F1_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $F1_PID"
seen_update() { [ "$(pl_proxy_seen UpdateItem)" -gt "$ups_before" ]; }
pl_poll 10 seen_update || harness_bail "the proxy never saw the record's completing UpdateItem"
admin f2 POST /api/companies -H "Idempotency-Key: \"flight-$$\"" -d "{\"name\":\"Flight-$$\"}"
check "the key while its first request is in flight answers 409 ($code)" [ "$code" = 409 ]
check "with a problem document that says so" problem_ok f2 409 "still being processed"
check "and Retry-After" [ -n "$(hdr f2 Retry-After)" ]
wait "$F1_PID"
check "the first request then answers 201" [ "$(sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$HARNESS_DIR/f1.h")" = 201 ]
admin f3 POST /api/companies -H "Idempotency-Key: \"flight-$$\"" -d "{\"name\":\"Flight-$$\"}"
check "and a retry gets its 201 ($code)" eval '[ "$code" = 201 ] && cmp -s "$HARNESS_DIR/f1.b" "$HARNESS_DIR/f3.b"'
request g4 GET "/api/companies/flight-$$"
check "one write: version 1 ($(field g4 j.version))" [ "$(field g4 j.version)" = 1 ]

# ---- records past their expiry or their lease ----
put_record "admin:expired-$$" done 0000 -100 -10
admin e1 POST /api/companies -H "Idempotency-Key: \"expired-$$\"" -d "{\"name\":\"Expired-$$\"}"
check "a record past its expiry counts as absent: the write is done, 201 ($code)" eval '[ "$code" = 201 ] && [ -z "$(hdr e1 Idempotent-Replayed)" ] && [ "$(field e1 j.id)" = "expired-$$" ]'
b="{\"name\":\"Lease-$$\"}"
put_record "admin:lease-$$" in_flight "$(fingerprint POST /api/companies "$b")" 60 3600
admin l1 POST /api/companies -H "Idempotency-Key: \"lease-$$\"" -d "$b"
check "an in-flight record within its lease answers 409 ($code)" [ "$code" = 409 ]
put_record "admin:lease-$$" in_flight "$(fingerprint POST /api/companies "$b")" -1 3600
admin l2 POST /api/companies -H "Idempotency-Key: \"lease-$$\"" -d "$b"
check "past its lease it is taken over: 201 ($code)" eval '[ "$code" = 201 ] && [ "$(field l2 j.id)" = "lease-$$" ]'
put_record "admin:other-$$" in_flight "$(fingerprint POST /api/companies '{"name":"X"}')" -1 3600
admin l3 POST /api/companies -H "Idempotency-Key: \"other-$$\"" -d "{\"name\":\"Other-$$\"}"
check "but not by another request: 422 ($code)" [ "$code" = 422 ]

# ---- a 503 is not stored ----
ddb DeleteTable "{\"TableName\":\"${SAVEALIFE_TABLE_PREFIX}companies\"}" >/dev/null
admin x1 POST /api/companies -H "Idempotency-Key: \"down-$$\"" -d "{\"name\":\"Down-$$\"}"
check "a create whose table is gone answers 503 ($code)" eval '[ "$code" = 503 ] && [ -n "$(hdr x1 Retry-After)" ]'
check "and its record is released" record_absent "admin:down-$$"
"$TOP_BUILDDIR/savealife" create-tables >"$HARNESS_DIR/ct.log" 2>&1 || harness_bail "create-tables failed"
admin x2 POST /api/companies -H "Idempotency-Key: \"down-$$\"" -d "{\"name\":\"Down-$$\"}"
check "the retry performs the write: 201, not a replay ($code)" eval '[ "$code" = 201 ] && [ -z "$(hdr x2 Idempotent-Replayed)" ]'

request h GET /api/ready
check "/api/ready is 200 with every table ($code)" [ "$code" = 200 ]
ddb DeleteTable "{\"TableName\":\"$TABLE\"}" >/dev/null
not_ready() {
    request h GET /api/ready
    [ "$code" = 503 ] && field h j.detail | grep -q idempotency
}
check "/api/ready answers 503 naming the records' table once it is gone" pl_poll 15 not_ready
admin y1 POST /api/companies -H "Idempotency-Key: \"gone-$$\"" -d "{\"name\":\"Gone-$$\"}"
check "a key then answers 503 ($code)" [ "$code" = 503 ]
admin y2 POST /api/companies -d "{\"name\":\"Gone-$$\"}"
check "a write without a key still works ($code)" [ "$code" = 201 ]
check "no sanitizer report" pl_serve_log_clean

echo "1..$n"
exit $failed
