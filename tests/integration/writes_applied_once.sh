#!/bin/sh
# Writes applied once, through real nginx: DynamoDB (dynalite) applies each write and then its
# answer is lost (tests/tools/lossy-proxy.js: the connection closed, a wrong x-amz-crc32, the
# answer delayed past the client's attempt timeout, SAVEALIFE_DDB_ATTEMPT_TIMEOUT's 500 ms). For a create, an update with and
# without If-Match, a donor's PATCH and both deletes, the client sees exactly one success and
# the version the database holds went up by exactly one. Another writer's change in between is
# still 409 or 412: the write token does not hide a real conflict.
#
# ONCE_EMULATOR=ddblocal runs it against DynamoDB Local instead (which returns the item with a
# failed condition, so no read decides), and ONCE_MODES chooses the ways answers are lost.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
if [ "${ONCE_EMULATOR:-dynalite}" = ddblocal ]; then
    harness_start_ddblocal
else
    harness_start_dynalite
    harness_wait_dynalite
fi
DYNALITE_URL=$AWS_ENDPOINT_URL_DYNAMODB
UPSTREAM=$DYNALITE_URL
export UPSTREAM
harness_start_node LOSSY "$TOP_SRCDIR/tests/tools/lossy-proxy.js"
LOSSY_URL="http://127.0.0.1:$LOSSY_PORT"
STACK_DDB_ENDPOINT=$LOSSY_URL
harness_start_stack
COMPANIES="${SAVEALIFE_TABLE_PREFIX}companies"
DONORS="${SAVEALIFE_TABLE_PREFIX}donors"
# Reads after a repeat's failed condition: none where the item comes back with the failure.
READS=1
[ "${ONCE_EMULATOR:-dynalite}" = ddblocal ] && READS=0
# Past the client's attempt timeout (500 ms by default), so the client has given up when it
# comes; well within the request's budget, so the repeat and its read still have time.
DELAY_MS=1500

# raw OPERATION BODY: one call to dynalite itself, not through the proxy.
raw() {
    curl -s --max-time 5 -X POST "$DYNALITE_URL/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
        -d "$2"
}

# jsget PATH: the value at the dotted PATH of the JSON on standard input, "" when absent.
jsget() {
    node -e '
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", () => {
  let v;
  try { v = JSON.parse(s); } catch (e) { v = undefined; }
  for (const k of process.argv[1].split(".")) v = v == null ? undefined : v[k];
  process.stdout.write(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
});' "$1"
}

# stored TABLE KEY_ATTR KEY FIELD: a member (N or S) of the item as the database holds it, "none"
# without an item, "absent" without that member.
stored() {
    _item=$(raw GetItem \
        "{\"TableName\":\"$1\",\"Key\":{\"$2\":{\"S\":\"$3\"}},\"ConsistentRead\":true}" |
        jsget Item)
    if [ -z "$_item" ]; then
        echo none
        return
    fi
    _v=$(printf '%s' "$_item" | jsget "$4.N")
    [ -n "$_v" ] || _v=$(printf '%s' "$_item" | jsget "$4.S")
    echo "${_v:-absent}"
}

# lose TARGET MODE [THEN]: the proxy loses the answer of the next TARGET request, after THEN
# (another writer's request, {"target":..,"body":..}) if given.
lose() {
    _then=""
    [ -n "${3:-}" ] && _then=",\"then\":$3"
    curl -s -f -X POST "$LOSSY_URL/_control/lose" \
        -d "{\"target\":\"$1\",\"mode\":\"$2\",\"ms\":$DELAY_MS,\"count\":1$_then}" >/dev/null ||
        harness_bail "the proxy refused the rule"
}

proxy_reset() {
    curl -s -f -X POST "$LOSSY_URL/_control/reset" >/dev/null || harness_bail "proxy reset"
}

# proxy_stat PATH: a figure of the proxy's counters (0 when absent).
proxy_stat() {
    _v=$(curl -s "$LOSSY_URL/_control/stats" | jsget "$1")
    echo "${_v:-0}"
}

# api METHOD PATH BODY [CURL_ARGS...]: the status code as the admin; the body in $BODY.
BODY="$HARNESS_DIR/body.json"
api() {
    _m=$1
    _p=$2
    _b=$3
    shift 3
    if [ -n "$_b" ]; then
        set -- -d "$_b" "$@"
    fi
    curl -s -o "$BODY" -w '%{http_code}' --max-time 40 -X "$_m" \
        -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        "$@" "$BASE_URL$_p"
}

# answered DESC CODE WANT: the TAP line for one answer, with the body when it is wrong.
answered() {
    if [ "$2" = "$3" ]; then
        ok "$1 answers $3"
    else
        not_ok "$1 answers $3 (got $2)" "$(head -c 300 "$BODY" 2>/dev/null)"
    fi
}

# once_sent TARGET: the lost write went out twice (the first, and the service's one repeat)
# and was lost once.
once_sent() {
    [ "$(proxy_stat "seen.$1")" = 2 ] && [ "$(proxy_stat lost)" = 1 ]
}

run_mode() {
    mode=$1
    id="once-$mode"
    email="once-$mode@example.com"

    proxy_reset
    lose PutItem "$mode"
    code=$(api POST /api/companies "{\"name\":\"Once-$mode\",\"keywords\":[\"a\"]}")
    answered "$mode: a create whose answer was lost" "$code" 201
    check "$mode: the create's answer is the item at version 1" [ "$(jsget version <"$BODY")" = 1 ]
    check "$mode: the database holds version 1" [ "$(stored "$COMPANIES" id "$id" version)" = 1 ]
    check "$mode: the PutItem was lost once and sent twice" once_sent PutItem
    check "$mode: $READS read(s) told it was mine" [ "$(proxy_stat seen.GetItem)" = "$READS" ]

    proxy_reset
    lose UpdateItem "$mode"
    code=$(api PUT "/api/companies/$id" '{"keywords":["b"]}')
    answered "$mode: an update without If-Match whose answer was lost" "$code" 200
    check "$mode: its answer is version 2" [ "$(jsget version <"$BODY")" = 2 ]
    check "$mode: the database holds version 2" [ "$(stored "$COMPANIES" id "$id" version)" = 2 ]
    check "$mode: the UpdateItem was lost once and sent twice" once_sent UpdateItem

    proxy_reset
    lose UpdateItem "$mode"
    code=$(api PUT "/api/companies/$id" "{\"name\":\"ONCE-$mode\"}" -H 'If-Match: "2"')
    answered "$mode: an update with If-Match whose answer was lost" "$code" 200
    check "$mode: its answer is version 3 with the new name" \
        [ "$(jsget version <"$BODY") $(jsget name <"$BODY")" = "3 ONCE-$mode" ]
    check "$mode: the database holds version 3" [ "$(stored "$COMPANIES" id "$id" version)" = 3 ]

    code=$(api POST /api/donors \
        "{\"email\":\"$email\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O+\"}")
    [ "$code" = 201 ] || harness_bail "$mode: creating the donor answered $code"
    proxy_reset
    lose UpdateItem "$mode"
    code=$(api PATCH "/api/donors/$email" '{"city":"Braga"}' -H 'If-Match: "1"')
    answered "$mode: a donor's PATCH whose answer was lost" "$code" 200
    check "$mode: its answer is version 2 in Braga" \
        [ "$(jsget version <"$BODY") $(jsget city <"$BODY")" = "2 Braga" ]
    check "$mode: the database holds version 2" [ "$(stored "$DONORS" email "$email" version)" = 2 ]

    proxy_reset
    lose DeleteItem "$mode"
    code=$(api DELETE "/api/donors/$email" "")
    answered "$mode: a donor's DELETE whose answer was lost" "$code" 204
    check "$mode: the donor is gone" [ "$(stored "$DONORS" email "$email" version)" = none ]
    check "$mode: the DeleteItem was lost once and sent twice" once_sent DeleteItem

    proxy_reset
    lose DeleteItem "$mode"
    code=$(api DELETE "/api/companies/$id" "" -H 'If-Match: "3"')
    answered "$mode: a company's DELETE with If-Match whose answer was lost" "$code" 200
    check "$mode: the company is gone" [ "$(stored "$COMPANIES" id "$id" version)" = none ]
}

for mode in ${ONCE_MODES:-close crc delay}; do
    run_mode "$mode"
done

# The token stays inside: neither an item nor a listing shows it.
code=$(api POST /api/companies '{"name":"Tokenless"}')
[ "$code" = 201 ] || harness_bail "creating Tokenless answered $code"
check "the stored item has its write token" \
    [ "$(stored "$COMPANIES" id tokenless write_token | wc -c)" -eq 33 ]
code=$(api GET /api/companies/tokenless "")
check "GET shows no write token" sh -c "[ $code = 200 ] && ! grep -q write_token '$BODY'"
code=$(api GET '/api/companies?limit=100' "")
check "a listing shows no write token" sh -c "[ $code = 200 ] && ! grep -q write_token '$BODY'"

# Another writer between the lost write and its repeat: a real conflict, answered as before.
code=$(api POST /api/companies '{"name":"Contested"}')
[ "$code" = 201 ] || harness_bail "creating Contested answered $code"
proxy_reset
lose UpdateItem close "{\"target\":\"UpdateItem\",\"body\":{\"TableName\":\"$COMPANIES\",\
\"Key\":{\"id\":{\"S\":\"contested\"}},\"UpdateExpression\":\"SET #v = #v + :one, #w = :w\",\
\"ExpressionAttributeNames\":{\"#v\":\"version\",\"#w\":\"write_token\"},\
\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"},\":w\":{\"S\":\"another-writer\"}}}}"
code=$(api PUT /api/companies/contested '{"keywords":["mine"]}' -H 'If-Match: "1"')
answered "an If-Match update another writer followed before the repeat" "$code" 412
check "the other writer's change is the last (version 3: each write once)" \
    [ "$(stored "$COMPANIES" id contested version)" = 3 ]
check "and its token is on the item" \
    [ "$(stored "$COMPANIES" id contested write_token)" = another-writer ]

proxy_reset
lose PutItem close "{\"target\":\"PutItem\",\"body\":{\"TableName\":\"$COMPANIES\",\
\"Item\":{\"id\":{\"S\":\"taken\"},\"name\":{\"S\":\"Taken\"},\"keywords\":{\"L\":[]},\
\"created_at\":{\"S\":\"2026-01-01T00:00:00.000Z\"},\"updated_at\":{\"S\":\"2026-01-01T00:00:00.000Z\"},\
\"version\":{\"N\":\"1\"},\"write_token\":{\"S\":\"another-writer\"}}}}"
code=$(api POST /api/companies '{"name":"Taken"}')
answered "a create another writer replaced before the repeat" "$code" 409

# An Idempotency-Key's record is taken with a PutItem before the write: that answer lost, the
# record (naming this request) is found to be this request's own, so the create goes on
# instead of answering 503 and leaving the key taken until its lease ends.
proxy_reset
lose PutItem close
code=$(api POST /api/companies '{"name":"Keyed"}' -H 'Idempotency-Key: "once-keyed-1"')
answered "a keyed create whose record's answer was lost" "$code" 201
check "the record's PutItem was lost once; the company's went through" \
    [ "$(proxy_stat seen.PutItem) $(proxy_stat lost)" = "2 1" ]
code=$(api POST /api/companies '{"name":"Keyed"}' -H 'Idempotency-Key: "once-keyed-1"' -D "$HARNESS_DIR/keyed.h")
answered "the same key again" "$code" 201
check "it is the first answer replayed" grep -qi '^Idempotent-Replayed: true' "$HARNESS_DIR/keyed.h"
check "the database holds version 1" [ "$(stored "$COMPANIES" id keyed version)" = 1 ]

check "no sanitizer report from the master or its workers" pl_serve_log_clean
echo "1..$n"
exit $failed
