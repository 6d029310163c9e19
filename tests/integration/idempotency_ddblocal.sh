#!/bin/sh
# Against DynamoDB Local, AWS's own implementation (stricter than dynalite: it refuses unused
# expression names and values, and it has UpdateTimeToLive): create-tables turns TTL on for
# the Idempotency-Key records (and says so again, unchanged, when run twice), and a key's
# record is taken, completed and replayed through nginx.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_ddblocal
STACK_DDB_ENDPOINT=$AWS_ENDPOINT_URL_DYNAMODB
harness_start_stack
TABLE="${SAVEALIFE_TABLE_PREFIX}idempotency"

out=$(cat "$HARNESS_DIR/create-tables.log")
case "$out" in
*"$TABLE: TTL on expires_at: enabled"*) ok "create-tables turns TTL on for $TABLE" ;;
*) not_ok "create-tables turns TTL on for $TABLE" "$out" ;;
esac
ttl=$(curl -s --max-time 10 -X POST "$AWS_ENDPOINT_URL_DYNAMODB/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.DescribeTimeToLive' \
    -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
    -d "{\"TableName\":\"$TABLE\"}")
case "$ttl" in
*'"TimeToLiveStatus":"ENABLED"'*'"AttributeName":"expires_at"'* | *'"AttributeName":"expires_at"'*'"TimeToLiveStatus":"ENABLED"'*)
    ok "DynamoDB Local says TTL is ENABLED on expires_at" ;;
*) not_ok "DynamoDB Local says TTL is ENABLED on expires_at" "$ttl" ;;
esac
out=$("$TOP_BUILDDIR/savealife" create-tables 2>&1)
rc=$?
case "$rc:$out" in
"0:"*"$TABLE: TTL on expires_at: enabled"*) ok "a second create-tables finds it on and succeeds" ;;
*) not_ok "a second create-tables finds it on and succeeds (rc $rc)" "$out" ;;
esac

# post NAME BODY: an admin create with the key "k-$$"; status in $code, body in NAME.b.
post() {
    code=$(curl -s --max-time 60 -X POST -o "$HARNESS_DIR/$1.b" -D "$HARNESS_DIR/$1.h" \
        -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: \"k-$$\"" -d "$2" \
        "$BASE_URL/api/companies")
}
post a '{"name":"Local"}'
check "a create with a key answers 201 ($code)" [ "$code" = 201 ]
post b '{"name":"Local"}'
check "the same key again answers 201 ($code)" [ "$code" = 201 ]
check "with the same body, replayed" eval 'cmp -s "$HARNESS_DIR/a.b" "$HARNESS_DIR/b.b" &&
    [ "$(harness_header Idempotent-Replayed "$HARNESS_DIR/b.h")" = true ]'
post c '{"name":"Other"}'
check "the same key with another body answers 422 ($code)" [ "$code" = 422 ]
# A 503 (the companies table gone) releases the record: DeleteItem on its condition.
curl -s --max-time 10 -X POST "$AWS_ENDPOINT_URL_DYNAMODB/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.DeleteTable' \
    -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
    -d "{\"TableName\":\"${SAVEALIFE_TABLE_PREFIX}companies\"}" >/dev/null
code=$(curl -s --max-time 60 -X POST -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: \"down-$$\"" -d '{"name":"Down"}' "$BASE_URL/api/companies")
check "a create whose table is gone answers 503 ($code)" [ "$code" = 503 ]
rec=$(curl -s --max-time 10 -X POST "$AWS_ENDPOINT_URL_DYNAMODB/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.GetItem' \
    -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
    -d "{\"TableName\":\"$TABLE\",\"Key\":{\"key\":{\"S\":\"admin:down-$$\"}},\"ConsistentRead\":true}")
check "and its record is released, not left in flight ($rec)" [ "$rec" = "{}" ]
check "no errors in the service's log" eval '! grep -q -i "validation" "$HARNESS_DIR/nginx/error.log"'

echo "1..$n"
exit $failed
