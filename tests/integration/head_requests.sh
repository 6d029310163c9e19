#!/bin/sh
# HEAD on the GET routes, through real nginx against dynalite: 200 with the head a GET has
# (Content-Type, Content-Length of GET's body, ETag), the same for a 404, 405 with Allow
# listing HEAD after GET, and HEAD refused where there is no GET. Straight on the FastCGI
# socket (tests/tools/fcgi-request.js), the service itself sends no body: through nginx that
# cannot be seen, as nginx drops a HEAD answer's body itself.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
STACK_WORKERS=2
harness_start_stack
SOCK=$HARNESS_DIR/fcgi.sock
echo "1..20"

# hr_get NAME URL [CURL_ARGS...]: GET into NAME.body and NAME.head; prints the status code.
hr_get() {
    _hr_n=$1
    shift
    curl -s --max-time 15 -o "$HARNESS_DIR/$_hr_n.body" -D "$HARNESS_DIR/$_hr_n.head" \
        -w '%{http_code}' "$@" 2>/dev/null
}
# hr_head NAME URL [CURL_ARGS...]: HEAD (curl -I) into NAME.head; prints the status code.
hr_head() {
    _hr_n=$1
    shift
    curl -s -I --max-time 15 -o /dev/null -D "$HARNESS_DIR/$_hr_n.head" \
        -w '%{http_code}' "$@" 2>/dev/null
}
h() { harness_header "$1" "$HARNESS_DIR/$2.head"; }
size() { wc -c <"$HARNESS_DIR/$1.body" | tr -d ' '; }
# hr_same NAME_GET NAME_HEAD HEADER: the header is present and equal in both answers.
hr_same() {
    [ -n "$(h "$3" "$1")" ] && [ "$(h "$3" "$1")" = "$(h "$3" "$2")" ]
}

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST "$BASE_URL/api/companies" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Head Corp","keywords":["head"]}')
[ "$code" = 201 ] || harness_bail "could not create the company (HTTP $code)"

# --- /api/health ---
g=$(hr_get g_health "$BASE_URL/api/health")
c=$(hr_head h_health "$BASE_URL/api/health")
check "HEAD /api/health: 200 (got $c; GET $g)" [ "$c/$g" = 200/200 ]
check "HEAD /api/health: GET's Content-Type" hr_same g_health h_health Content-Type
check "HEAD /api/health: Content-Length of GET's body ($(size g_health))" \
    [ "$(h Content-Length h_health)" = "$(size g_health)" ]

# --- /api/companies ---
g=$(hr_get g_list "$BASE_URL/api/companies")
c=$(hr_head h_list "$BASE_URL/api/companies")
check "HEAD /api/companies: 200 (got $c; GET $g)" [ "$c/$g" = 200/200 ]
check "HEAD /api/companies: GET's Content-Type" hr_same g_list h_list Content-Type
check "HEAD /api/companies: Content-Length of GET's body ($(size g_list))" \
    [ "$(h Content-Length h_list)" = "$(size g_list)" ]
check "HEAD /api/companies: one DynamoDB call, as GET" hr_same g_list h_list X-Ddb-Calls

# --- /api/companies/{id} ---
g=$(hr_get g_one "$BASE_URL/api/companies/head%20corp")
c=$(hr_head h_one "$BASE_URL/api/companies/head%20corp")
check "HEAD /api/companies/{id}: 200 (got $c; GET $g)" [ "$c/$g" = 200/200 ]
check "HEAD /api/companies/{id}: ETag equal to GET's ($(h ETag g_one))" hr_same g_one h_one ETag
check "HEAD /api/companies/{id}: GET's Content-Type" hr_same g_one h_one Content-Type
check "HEAD /api/companies/{id}: Content-Length of GET's body ($(size g_one))" \
    [ "$(h Content-Length h_one)" = "$(size g_one)" ]
g=$(hr_get g_missing "$BASE_URL/api/companies/nobody")
c=$(hr_head h_missing "$BASE_URL/api/companies/nobody")
check "HEAD of a missing company: 404, as GET (got $c; GET $g)" [ "$c/$g" = 404/404 ]
check "HEAD of a missing company: the problem document's type and length" \
    sh -c '[ "$1" = "$2" ] && [ "$3" = "$4" ]' - "$(h Content-Type g_missing)" \
    "$(h Content-Type h_missing)" "$(h Content-Length h_missing)" "$(size g_missing)"

# --- admin routes keep their order: 401 before anything ---
c=$(hr_head h_status "$BASE_URL/api/status")
check "HEAD /api/status without a token: 401 (got $c)" [ "$c" = 401 ]
c=$(hr_head h_status2 "$BASE_URL/api/status" -H "Authorization: Bearer $ADMIN_TOKEN")
check "HEAD /api/status with the token: 200 (got $c)" [ "$c" = 200 ]

# --- 405 and Allow ---
c=$(curl -s -o /dev/null -D "$HARNESS_DIR/p405.head" -w '%{http_code}' --max-time 15 \
    -X PATCH "$BASE_URL/api/companies/head%20corp")
check "PATCH /api/companies/{id}: 405 with Allow: GET, HEAD, PUT, DELETE (got $c, $(h Allow p405))" \
    [ "$c|$(h Allow p405)" = "405|GET, HEAD, PUT, DELETE" ]
c=$(hr_head h405 "$BASE_URL/api/donor/signup")
check "HEAD /api/donor/signup (POST only): 405 with Allow: POST (got $c, $(h Allow h405))" \
    [ "$c|$(h Allow h405)" = "405|POST" ]

# --- the service itself, without nginx ---
node "$TOP_SRCDIR/tests/tools/fcgi-request.js" "$SOCK" HEAD /api/companies/head%20corp \
    >"$HARNESS_DIR/raw_head" 2>"$HARNESS_DIR/raw_head.err"
rc=$?
node "$TOP_SRCDIR/tests/tools/fcgi-request.js" "$SOCK" GET /api/companies/head%20corp \
    >"$HARNESS_DIR/raw_get" 2>>"$HARNESS_DIR/raw_head.err"
rc=$((rc + $?))
# The CGI head ends at the first blank line: what follows is the body.
after_head() { awk 'found { print; next } /^\r?$/ { found = 1 }' "$1" | wc -c | tr -d ' '; }
raw_len() { tr -d '\r' <"$1" | awk -F': ' 'tolower($1) == "content-length" { print $2; exit }'; }
check "FastCGI HEAD: Status 200 and the Content-Length GET sends ($(raw_len "$HARNESS_DIR/raw_get"))" \
    sh -c '[ "$1" = 0 ] && head -n 1 "$2" | grep -q "^Status: 200" && [ -n "$3" ] && [ "$3" = "$4" ]' \
    - "$rc" "$HARNESS_DIR/raw_head" "$(raw_len "$HARNESS_DIR/raw_head")" "$(raw_len "$HARNESS_DIR/raw_get")"
check "FastCGI HEAD: the service sends no body (GET's is $(after_head "$HARNESS_DIR/raw_get") bytes)" \
    sh -c '[ "$1" = 0 ] && [ "$2" -gt 0 ]' - "$(after_head "$HARNESS_DIR/raw_head")" \
    "$(after_head "$HARNESS_DIR/raw_get")"

# nginx found nothing to complain about in what the service sent (a length without its body).
check "nginx's error log has no upstream error" \
    sh -c '! grep -E "\[(error|crit|alert|emerg)\]|upstream sent" "$1"' - "$HARNESS_DIR/nginx/error.log"

exit $failed
