#!/bin/sh
# `savealife create-tables` and `savealife version`, as a user runs them, against dynalite.
# What the tables look like is asked of dynalite directly, not through our client.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_dynalite
harness_wait_dynalite

bin="$TOP_BUILDDIR/savealife"

# describe TABLE: DescribeTable straight from dynalite, JSON on standard output.
describe() {
    curl -s --max-time 5 -X POST "$AWS_ENDPOINT_URL_DYNAMODB/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.DescribeTable' \
        -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
        -d "{\"TableName\":\"$1\"}"
}
# field JSON EXPR: evaluates a JavaScript expression on the parsed JSON `j`.
field() {
    printf '%s' "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let j;try{j=JSON.parse(s)}catch(e){console.log("unparseable");return}try{console.log(eval(process.argv[1]))}catch(e){console.log("missing")}})' "$2"
}

export SAVEALIFE_SCHEMA_DIR="$TOP_SRCDIR/schema"
export SAVEALIFE_TABLE_PREFIX="ct$$-"

out=$("$bin" create-tables 2>"$HARNESS_DIR/ct1.err")
rc=$?
[ $rc -eq 0 ] && ok "create-tables exits 0" || not_ok "create-tables exits 0 (got $rc)" "$(cat "$HARNESS_DIR/ct1.err")"

for t in companies donors idempotency; do
    d=$(describe "ct$$-$t")
    st=$(field "$d" 'j.Table.TableStatus')
    [ "$st" = ACTIVE ] && ok "table ct$$-$t is ACTIVE" || not_ok "table ct$$-$t is ACTIVE (got $st)" "$d"
done

d=$(describe "ct$$-donors")
idx=$(field "$d" 'j.Table.GlobalSecondaryIndexes.map(i=>i.IndexName+":"+i.KeySchema.map(k=>k.AttributeName+"/"+k.KeyType).join(",")+":"+i.Projection.ProjectionType).join(";")')
[ "$idx" = "city-type:city/HASH,type/RANGE:ALL" ] && ok "donors has the city-type index" || not_ok "donors has the city-type index (got $idx)"
key=$(field "$(describe "ct$$-companies")" 'j.Table.KeySchema.map(k=>k.AttributeName+"/"+k.KeyType).join(",")')
[ "$key" = "id/HASH" ] && ok "companies is keyed by id" || not_ok "companies is keyed by id (got $key)"

key=$(field "$(describe "ct$$-idempotency")" 'j.Table.KeySchema.map(k=>k.AttributeName+"/"+k.KeyType).join(",")')
[ "$key" = "key/HASH" ] && ok "idempotency is keyed by key" || not_ok "idempotency is keyed by key (got $key)"

case "$out" in
*"ct$$-companies: created"*"ct$$-donors: created"*"ct$$-idempotency: created"*) ok "create-tables reports each table created" ;;
*) not_ok "create-tables reports each table created" "$out" ;;
esac
# dynalite has no UpdateTimeToLive: said plainly, and not a failure.
case "$out" in
*"ct$$-idempotency: TTL not supported by this endpoint"*) ok "create-tables says TTL is not supported here" ;;
*) not_ok "create-tables says TTL is not supported here" "$out" ;;
esac
case "$out" in
*"companies: TTL"* | *"donors: TTL"*) not_ok "TTL is asked for only where a schema wants it" "$out" ;;
*) ok "TTL is asked for only where a schema wants it" ;;
esac

out=$("$bin" create-tables 2>"$HARNESS_DIR/ct2.err")
rc=$?
case "$rc:$out" in
"0:"*"ct$$-companies: exists"*"ct$$-donors: exists"*) ok "a second create-tables keeps the existing tables and succeeds" ;;
*) not_ok "a second create-tables keeps the existing tables and succeeds (rc $rc)" "$out" "$(cat "$HARNESS_DIR/ct2.err")" ;;
esac

SAVEALIFE_SCHEMA_DIR="$HARNESS_DIR/no-such-folder" "$bin" create-tables >/dev/null 2>"$HARNESS_DIR/ct3.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "no-such-folder" "$HARNESS_DIR/ct3.err"; then
    ok "a missing schema folder fails and names the folder"
else
    not_ok "a missing schema folder fails and names the folder (rc $rc)" "$(cat "$HARNESS_DIR/ct3.err")"
fi

SAVEALIFE_TABLE_PREFIX='bad prefix!' "$bin" create-tables >/dev/null 2>"$HARNESS_DIR/ct4.err"
rc=$?
if [ $rc -eq 2 ] && grep -q SAVEALIFE_TABLE_PREFIX "$HARNESS_DIR/ct4.err"; then
    ok "a malformed variable stops the program and is named"
else
    not_ok "a malformed variable stops the program and is named (rc $rc)" "$(cat "$HARNESS_DIR/ct4.err")"
fi

v=$("$bin" version)
case "$v" in
"savealife "[0-9]*) ok "version prints the version" ;;
*) not_ok "version prints the version" "$v" ;;
esac

echo "1..$n"
[ $failed -eq 0 ]
