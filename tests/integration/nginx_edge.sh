#!/bin/sh
# What nginx does for the site, checked with curl in both configurations: the local one
# (nginx/local.conf.in as scripts/run fills it in, X-Ddb-* hidden) and the production site
# (nginx/savealife.conf, run by a second nginx in front of the same service). In each: the
# security headers on every answer (static, API, errors; every location), gzip for text,
# ETag and no-cache on static files, Cache-Control on API answers (no-store for donors), every
# error nginx makes itself under /api/ a problem document with its X-Request-Id (400 bad
# escape, 414, headers too large, TRACE 405, 501, GET /api, 413, 504 from a service that does
# not answer, 502 from one that is gone), no donor email or listing query in the access log,
# and no Authorization header value in any log, even from requests nginx refuses.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env

# ---- a web root of the test's own: web/ and text files large enough to be compressed ----
WEB="$HARNESS_DIR/web"
cp -R "$TOP_SRCDIR/web" "$WEB" && mkdir -p "$WEB/edge" || harness_bail "cannot copy web/"
node -e '
    const fs = require("fs");
    const dir = process.argv[1];
    const line = (i) => `line ${i} of a file made to be compressed\n`;
    const many = (f) => Array.from({ length: 60 }, (_, i) => f(i)).join("");
    fs.writeFileSync(dir + "/site.css", many((i) => `.c${i} { margin: ${i}px; }\n`));
    fs.writeFileSync(dir + "/site.js", many((i) => `export const v${i} = ${i};\n`));
    fs.writeFileSync(dir + "/mark.svg", `<svg xmlns="http://www.w3.org/2000/svg">` +
        many((i) => `<rect x="${i}" y="${i}" width="1" height="1"/>`) + "</svg>\n");
    fs.writeFileSync(dir + "/data.json", JSON.stringify(many(line).split("\n")) + "\n");
' "$WEB/edge" || harness_bail "cannot write the test's web files"
chmod -R a+rX "$WEB" || harness_bail "cannot open $WEB to nginx's workers"

STACK_HIDE_DDB=1
STACK_WEB_ROOT=$WEB
harness_start_stack

# ---- the production site, on the same service ----
SITE_DIR="$HARNESS_DIR/site"
mkdir -p "$SITE_DIR/tmp" || harness_bail "cannot create $SITE_DIR"
SITE_PORT=$(harness_free_port) || harness_bail "no free port"
SITE_URL="http://127.0.0.1:$SITE_PORT"
harness_site_render "$SITE_DIR" "$SITE_PORT" "$HARNESS_DIR/fcgi.sock" "$WEB"
harness_site_conf "$SITE_DIR"
harness_site_test "$SITE_DIR" || harness_bail "nginx -t refuses the production site: $(cat "$SITE_DIR/t.log")"
harness_site_start "$SITE_DIR"

# wait_http URL PID: polls (30 s at most) until URL answers anything while PID lives.
wait_http() {
    i=0
    while [ $i -lt 300 ]; do
        c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null)
        [ "$c" != 000 ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
wait_http "$SITE_URL/" "$SITE_PID" ||
    harness_bail "the site's nginx did not answer: $(tail -5 "$SITE_DIR/main-error.log")"

# ---- a FastCGI socket that accepts and never answers, behind both configurations with a
# read timeout of 2 s (for nginx's 504) ----
cat >"$HARNESS_DIR/stall.js" <<'EOF'
const fs = require("fs");
const held = [];
const path = process.argv[2];
const server = require("net").createServer((c) => { held.push(c); c.on("data", () => {}); });
server.listen(path, () => {
    fs.chmodSync(path, 0o666);
    fs.writeFileSync(process.env.PORT_FILE, "0\n");
});
EOF
harness_start_node stall "$HARNESS_DIR/stall.js" "$HARNESS_DIR/stall.sock"
SLOW_LOCAL_DIR="$HARNESS_DIR/slow-local"
SLOW_SITE_DIR="$HARNESS_DIR/slow-site"
mkdir -p "$SLOW_LOCAL_DIR/tmp" "$SLOW_SITE_DIR/tmp" || harness_bail "cannot create the slow folders"
SLOW_LOCAL_PORT=$(harness_free_port) || harness_bail "no free port"
"$TOP_SRCDIR/scripts/nginx-conf" "$SLOW_LOCAL_DIR" "127.0.0.1:$SLOW_LOCAL_PORT" \
    "$HARNESS_DIR/stall.sock" 1m | sed 's/fastcgi_read_timeout [0-9]*s;/fastcgi_read_timeout 2s;/' \
    >"$SLOW_LOCAL_DIR/nginx.conf" || harness_bail "cannot write the slow local configuration"
/usr/sbin/nginx -p "$SLOW_LOCAL_DIR/" -c "$SLOW_LOCAL_DIR/nginx.conf" -e "$SLOW_LOCAL_DIR/error.log" \
    >"$SLOW_LOCAL_DIR/stdout.log" 2>&1 &
SLOW_LOCAL_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $SLOW_LOCAL_PID"
SLOW_SITE_PORT=$(harness_free_port) || harness_bail "no free port"
harness_site_render "$SLOW_SITE_DIR" "$SLOW_SITE_PORT" "$HARNESS_DIR/stall.sock" "$WEB"
sed -i 's/fastcgi_read_timeout [0-9]*s;/fastcgi_read_timeout 2s;/' "$SLOW_SITE_DIR/savealife.conf" ||
    harness_bail "cannot shorten the slow site's timeout"
harness_site_conf "$SLOW_SITE_DIR"
SLOW_SITE_STARTED=$SITE_PID
harness_site_start "$SLOW_SITE_DIR"
SLOW_SITE_PID=$SITE_PID
SITE_PID=$SLOW_SITE_STARTED
wait_http "http://127.0.0.1:$SLOW_LOCAL_PORT/" "$SLOW_LOCAL_PID" ||
    harness_bail "the slow local nginx did not answer: $(tail -5 "$SLOW_LOCAL_DIR/error.log")"
wait_http "http://127.0.0.1:$SLOW_SITE_PORT/" "$SLOW_SITE_PID" ||
    harness_bail "the slow site's nginx did not answer: $(tail -5 "$SLOW_SITE_DIR/main-error.log")"

# ---- helpers ----
CSP="default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
PERMS="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"

# request URL [CURL_ARGS...] (harness_request): $code, $HARNESS_DIR/h and $HARNESS_DIR/b.
request() { harness_request "$@"; }
# The value of a response header of the last request (empty when absent).
header() { harness_header "$1" "$HARNESS_DIR/h"; }

# count NAME: how many times the last answer carries that header.
count() {
    tr -d '\r' <"$HARNESS_DIR/h" | grep -ci "^$1:"
}

# secure: the last answer carries each security header once, with the site's values.
secure() {
    [ "$(header Content-Security-Policy)" = "$CSP" ] &&
        [ "$(header X-Content-Type-Options)" = nosniff ] &&
        [ "$(header Referrer-Policy)" = no-referrer ] &&
        [ "$(header Permissions-Policy)" = "$PERMS" ] &&
        [ "$(count Content-Security-Policy)" = 1 ] && [ "$(count X-Content-Type-Options)" = 1 ] &&
        [ "$(count Referrer-Policy)" = 1 ] && [ "$(count Permissions-Policy)" = 1 ]
}

# cache VALUE: the last answer has exactly one Cache-Control, VALUE.
cache() {
    [ "$(header Cache-Control)" = "$1" ] && [ "$(count Cache-Control)" = 1 ]
}

# problem STATUS: the last answer is a problem document of that status (title, detail, type),
# its request_id the one X-Request-Id header, never stored, with the security headers.
problem() {
    prid=$(header X-Request-Id)
    [ -n "$prid" ] && [ "$(count X-Request-Id)" = 1 ] && [ "$code" = "$1" ] || return 1
    case $(header Content-Type) in application/problem+json*) ;; *) return 1 ;; esac
    cache no-store && secure || return 1
    node -e '
        const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.exit(d.status === Number(process.argv[2]) && d.request_id === process.argv[3] &&
                     d.type === "about:blank" && typeof d.title === "string" &&
                     d.title !== "Error" && typeof d.detail === "string" ? 0 : 1);' \
        "$HARNESS_DIR/b" "$1" "$prid"
}

# gzipped FILE: the last answer is compressed, says so (Vary), and unpacks to FILE.
gzipped() {
    [ "$(header Content-Encoding)" = gzip ] && header Vary | grep -qi accept-encoding &&
        gzip -dc <"$HARNESS_DIR/b" | cmp -s - "$1"
}

# typed PREFIX: the last answer's Content-Type starts with PREFIX.
typed() {
    case $(header Content-Type) in "$1"*) return 0 ;; esac
    return 1
}

# no_ddb: none of the service's X-Ddb-* headers reached the client.
no_ddb() {
    ! tr -d '\r' <"$HARNESS_DIR/h" | grep -qi '^x-ddb-'
}

# wait_log FILE TEXT: polls (5 s at most) until FILE contains TEXT (nginx logs a request after
# answering it).
wait_log() {
    i=0
    while ! grep -qF "$2" "$1" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    grep -qF "$2" "$1" 2>/dev/null
}

long=$(head -c 9000 /dev/zero | tr '\0' a)
head -c 1100000 /dev/zero | tr '\0' a >"$HARNESS_DIR/big" || harness_bail "cannot write a body"
AUTH="Authorization: Bearer $ADMIN_TOKEN"
# Never sent as a token anywhere else: found in a log, it came from a refused header.
LONG_MARK="longtoken$$x"
long_auth="Authorization: Bearer $LONG_MARK$long"

for conf in local site; do
    if [ "$conf" = local ]; then
        U=$BASE_URL
        ACCESS_LOG="$HARNESS_DIR/nginx/access.log"
    else
        U=$SITE_URL
        ACCESS_LOG="$SITE_DIR/savealife.access.log"
    fi
    echo "# ---- $conf configuration ($U) ----"

    # -- static files: security headers, no-cache, ETag (304), gzip --
    request "$U/"
    check "$conf: / answers web/index.html ($code)" \
        eval '[ "$code" = 200 ] && cmp -s "$HARNESS_DIR/b" "$WEB/index.html"'
    check "$conf: / has the security headers" secure
    check "$conf: / is no-cache" cache no-cache
    etag=$(header ETag)
    check "$conf: / has an ETag ($etag)" [ -n "$etag" ]
    request "$U/" -H "If-None-Match: $etag"
    check "$conf: / with its ETag answers 304 ($code)" [ "$code" = 304 ]
    check "$conf: the 304 has the security headers" secure
    request "$U/" -H 'Accept-Encoding: gzip'
    check "$conf: / is compressed with gzip" gzipped "$WEB/index.html"
    for f in site.css:text/css site.js:application/javascript mark.svg:image/svg+xml \
        data.json:application/json; do
        name=${f%%:*}
        type=${f#*:}
        request "$U/edge/$name" -H 'Accept-Encoding: gzip'
        check "$conf: /edge/$name is $type ($code, $(header Content-Type))" \
            eval '[ "$code" = 200 ] && typed "$type"'
        check "$conf: /edge/$name is compressed with gzip" gzipped "$WEB/edge/$name"
        check "$conf: /edge/$name has the security headers, no-cache and an ETag" \
            eval 'secure && cache no-cache && [ -n "$(header ETag)" ]'
    done
    request "$U/edge/missing.html"
    check "$conf: a missing page is 404 ($code)" [ "$code" = 404 ]
    check "$conf: as an HTML page with the security headers and a request id" \
        eval 'secure && [ -n "$(header X-Request-Id)" ] && typed text/html'
    request "$U/" -X TRACE
    check "$conf: TRACE / is 405 as an HTML page with the security headers ($code)" \
        eval '[ "$code" = 405 ] && secure && typed text/html'
    request "$U/.savealife/problem"
    check "$conf: the error location is internal (404 to a client: $code)" \
        eval '[ "$code" = 404 ] && typed text/html'

    # -- the API: security headers in every location, Cache-Control, X-Ddb-* hidden --
    request "$U/api/health"
    check "$conf: /api/health has the security headers ($code)" eval '[ "$code" = 200 ] && secure'
    check "$conf: /api/health is no-store, one X-Request-Id" \
        eval 'cache no-store && [ "$(count X-Request-Id)" = 1 ]'
    check "$conf: the client sees no X-Ddb-* header" no_ddb
    rid=$(header X-Request-Id)
    if [ "$conf" = local ]; then
        wait_log "$ACCESS_LOG" "$rid"
        check "$conf: the access log still has the request's DynamoDB figures" \
            eval 'grep -F "$rid" "$ACCESS_LOG" | grep -q "ddb_calls=0 ddb_ms=[0-9]* ddb_retries=0"'
    else
        wait_log "$ACCESS_LOG" "\"request_id\":\"$rid\""
        check "$conf: the access log still has the request's DynamoDB figures" \
            eval 'grep -F "$rid" "$ACCESS_LOG" | grep -qF "\"ddb_calls\":\"0\""'
    fi

    company="edge-$conf-$$"
    request "$U/api/companies" -X POST -H 'Content-Type: application/json' -H "$AUTH" \
        -d "{\"name\":\"$company\",\"keywords\":[\"a keyword long enough to make the listing larger\",\"another keyword that is also rather long\",\"and a third one for good measure\"]}"
    check "$conf: an admin creates a company ($code), no-store" \
        eval '[ "$code" = 201 ] && cache no-store && secure'
    request "$U/api/companies/$company"
    check "$conf: a company read is no-cache ($code)" \
        eval '[ "$code" = 200 ] && cache no-cache && secure'
    request "$U/api/companies?limit=100" -H 'Accept-Encoding: gzip'
    check "$conf: the company listing is no-cache and compressed ($code)" \
        eval '[ "$code" = 200 ] && cache no-cache && [ "$(header Content-Encoding)" = gzip ]'
    check "$conf: and unpacks to JSON" eval 'gzip -dc <"$HARNESS_DIR/b" |
        node -e "JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"))"'

    email="Edge.$conf.$$@Example.org"
    lower=$(printf '%s' "$email" | tr 'A-Z' 'a-z')
    city="Edgecity$conf$$"
    request "$U/api/donors" -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"$email\",\"first_name\":\"Edge\",\"city\":\"$city\",\"type\":\"AB-\"}"
    check "$conf: a donor signs up ($code), no-store, security headers (nested location)" \
        eval '[ "$code" = 201 ] && cache no-store && secure'
    # (nginx compresses only answers of status 200, 403 and 404: not this one.)
    request "$U/api/donors" -X POST -H 'Content-Type: application/json' -d '{}'
    check "$conf: the service's 422 is no-store ($code)" eval '[ "$code" = 422 ] && cache no-store'
    request "$U/api/donors/$lower" -H "$AUTH"
    check "$conf: a donor read is no-store ($code)" \
        eval '[ "$code" = 200 ] && cache no-store && secure'
    request "$U/api/donors?city=$city&type=AB-" -H "$AUTH"
    check "$conf: a donor listing is no-store ($code)" eval '[ "$code" = 200 ] && cache no-store'
    lrid=$(header X-Request-Id)
    request "$U/api/status" -H "$AUTH"
    check "$conf: /api/status is no-store with the security headers ($code)" \
        eval '[ "$code" = 200 ] && cache no-store && secure'

    # -- the access log: no email, no listing query --
    wait_log "$ACCESS_LOG" "$lrid"
    check "$conf: the access log has the donor routes masked" \
        eval 'grep -qF "/api/donors/***" "$ACCESS_LOG" && grep -qF "/api/donors?***" "$ACCESS_LOG"'
    check "$conf: and neither the email nor the city" \
        eval '! grep -qiF "$lower" "$ACCESS_LOG" && ! grep -qF "$city" "$ACCESS_LOG"'

    # -- nginx's own errors under /api/: problem documents --
    request "$U/api/companies/%zz"
    check "$conf: a bad escape is a 400 problem document" problem 400
    request "$U/api/companies/$long"
    check "$conf: a URI too long is a 414 problem document" problem 414
    request "$U/api/companies" -H "X-Large: $long"
    check "$conf: a header too large is a 400 problem document" problem 400
    request "$U/api/companies" -X TRACE
    check "$conf: TRACE is a 405 problem document" problem 405
    request "$U/api/companies" -H 'Transfer-Encoding: gzip'
    check "$conf: an unknown Transfer-Encoding is a 501 problem document" problem 501
    request "$U/api"
    check "$conf: GET /api is a 404 problem document, not a redirect" problem 404
    request "$U/api/companies" -X POST -H 'Content-Type: application/json' -H "$AUTH" \
        --data-binary "@$HARNESS_DIR/big"
    check "$conf: a body over nginx's limit is a 413 problem document" problem 413
    request "$U/api/companies" -H "$AUTH" -H "Authorization: Bearer second-$$"
    check "$conf: two Authorization headers are a 400 problem document" problem 400
    request "$U/api/companies" -H "$long_auth"
    check "$conf: an Authorization header too large is a 400 problem document" problem 400
    srid=$(header X-Request-Id)
    wait_log "$ACCESS_LOG" "$srid"
done

# ---- 504: a service that does not answer in time ----
request "http://127.0.0.1:$SLOW_LOCAL_PORT/api/health"
check "local: a service that does not answer is a 504 problem document" problem 504
request "http://127.0.0.1:$SLOW_SITE_PORT/api/health"
check "site: a service that does not answer is a 504 problem document" problem 504

# ---- no log holds an Authorization header's value ----
logs=$(find "$HARNESS_DIR/nginx" "$SITE_DIR" "$SLOW_LOCAL_DIR" "$SLOW_SITE_DIR" -name '*.log')
check "no nginx log holds the admin token" eval '! grep -qF "$ADMIN_TOKEN" $logs'
check "nor the refused Authorization headers' values" \
    eval '! grep -qF "second-$$" $logs && ! grep -qF "$LONG_MARK" $logs'

# ---- 502: the service gone ----
harness_stop_serve 30
check "the service stops" [ $? -eq 0 ]
request "$BASE_URL/api/companies"
check "local: with the service gone, a 502 problem document" problem 502
request "$SITE_URL/api/companies"
check "site: with the service gone, a 502 problem document" problem 502

echo "1..$n"
exit $failed
