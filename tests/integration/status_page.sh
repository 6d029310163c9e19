#!/bin/sh
# GET /api/status through real nginx: admin only, php-fpm's pool figures with their types, the
# page sees its own request, the counters follow what the test sends (the DynamoDB calls as a
# proxy in front of dynalite counts them), the OpenMetrics text parses, and the DynamoDB
# totals survive the recycling of the workers that made them.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
pl_start_proxy
STACK_WORKERS=2
# Recycled every 25 requests: the later loop of GETs runs until every first worker is gone.
harness_start_stack --max-requests 25

# sp_fetch FILE [QUERY]: the page as the admin into FILE; prints the status code.
sp_fetch() {
    curl -s -o "$1" -w '%{http_code}' --max-time 15 -H "Authorization: Bearer $ADMIN_TOKEN" \
        "$BASE_URL/api/status${2:-}" 2>/dev/null
}

# sp_js FILE EXPR: evaluates a JavaScript expression over the JSON document d of FILE.
sp_js() {
    node -e '
const fs = require("fs");
let d;
try { d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch (e) { process.exit(2); }
const v = eval(process.argv[2]);
process.stdout.write(typeof v === "object" ? JSON.stringify(v) : String(v));
' "$1" "$2"
}

# sp_true FILE EXPR: whether the expression is true of FILE's document.
sp_true() {
    [ "$(sp_js "$1" "$2")" = true ]
}

# sp_hits N: N GETs of a missing company through nginx, each a GetItem; all must answer 404.
sp_hits() {
    _sp_i=0
    while [ $_sp_i -lt "$1" ]; do
        _sp_c=$(pl_http_code "$BASE_URL/api/companies/nobody-$_sp_i")
        [ "$_sp_c" = 404 ] || return 1
        _sp_i=$((_sp_i + 1))
    done
}

# sp_total_is N: whether the page counts N processes.
sp_total_is() {
    [ "$(sp_fetch "$HARNESS_DIR/total.json")" = 200 ] &&
        [ "$(sp_js "$HARNESS_DIR/total.json" 'd.total_processes')" = "$1" ]
}

# --- admin only ---
code=$(pl_http_code "$BASE_URL/api/status")
pl_ok "without a token: 401 (got $code)" [ "$code" = 401 ]
code=$(curl -s -o /dev/null -D "$HARNESS_DIR/h401" -w '%{http_code}' --max-time 15 \
    -H 'Authorization: Bearer wrong' "$BASE_URL/api/status")
pl_ok "with a wrong token: 401 (got $code)" [ "$code" = 401 ]
pl_ok "the 401 carries WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' "$HARNESS_DIR/h401"
code=$(sp_fetch "$HARNESS_DIR/bad" '?format=xml')
pl_ok "an unknown format: 400 (got $code)" [ "$code" = 400 ]

# --- members and types ---
pl_ok "the pool counts $STACK_WORKERS processes, as configured" pl_poll 10 sp_total_is "$STACK_WORKERS"
code=$(curl -s -o "$HARNESS_DIR/s1.json" -D "$HARNESS_DIR/s1.h" -w '%{http_code}' --max-time 15 \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status")
pl_ok "with the token: 200 (got $code)" [ "$code" = 200 ]
pl_ok "the page is JSON" grep -qi '^Content-Type: application/json' "$HARNESS_DIR/s1.h"
f=$HARNESS_DIR/s1.json
pl_ok "start_time is RFC 3339 UTC" sp_true "$f" \
    '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(d.start_time) && Math.abs(Date.parse(d.start_time) / 1000 - Date.now() / 1000) < 600'
pl_ok "the pool's counters are non-negative integers" sp_true "$f" \
    '["start_since","accepted_conn","idle_processes","active_processes","total_processes","max_active_processes","max_children_reached","slow_requests","workers_target"].every(k => Number.isInteger(d[k]) && d[k] >= 0)'
pl_ok "idle + active <= total, workers_target is $STACK_WORKERS" sp_true "$f" \
    "d.idle_processes + d.active_processes <= d.total_processes && d.workers_target === $STACK_WORKERS"
pl_ok "ddb figures are numbers, errors named, 8 cumulative buckets ending at +Inf" sp_true "$f" \
    'const x = d.ddb; ["calls","attempts","retries","throttles","total_ms"].every(k => typeof x[k] === "number") && typeof x.errors.throttled === "number" && typeof x.errors.conditional === "number" && x.latency.length === 8 && x.latency.map(b => b.le).join() === "5,10,25,50,100,250,1000,+Inf" && x.latency.every((b, i) => i === 0 || b.count >= x.latency[i - 1].count) && x.latency[7].count <= x.calls'
pl_ok "one worker row per process, with pid, generation, state, requests, route" sp_true "$f" \
    "Array.isArray(d.workers) && d.workers.length === $STACK_WORKERS && d.workers.every(w => Number.isInteger(w.pid) && Number.isInteger(w.generation) && typeof w.state === 'string' && Number.isInteger(w.requests) && typeof w.route === 'string')"
kernel=$(pl_workers)
page=$(sp_js "$f" 'd.workers.map(w => w.pid).sort((a, b) => a - b).join(" ")')
pl_note "workers: kernel $kernel, page $page"
pl_ok "the rows' pids are the master's children" [ "$(echo $kernel)" = "$page" ]
pl_ok "the page sees itself: a busy row for GET /api/status with its duration" sp_true "$f" \
    'd.workers.some(w => w.state === "busy" && w.route === "GET /api/status" && typeof w.request_duration_s === "number" && w.request_duration_s >= 0)'

# --- a row shows the route a request matched, never what the client sent ---
# sp_route_seen PATH LABEL: a GET of PATH while the other worker is held in a listing, so
# that the other one serves PATH and the page asked afterwards goes to the first again (the
# first registered worker takes each connection it is free for): PATH's row stays as it was
# left. Whether a row shows LABEL. Every page read on the way must be UTF-8, hold no part of
# a path as sent, and show only routes of the table or "(no route)"; else it is false and
# the page is kept as rt.bad. About two seconds a try: the checks below try ten times.
sp_route_seen() {
    _sp_seen=$(pl_proxy_seen Scan)
    pl_proxy_delay Scan 1500 1 >/dev/null
    curl -s -o /dev/null --max-time 15 "$BASE_URL/api/companies" 2>/dev/null &
    _sp_hold=$!
    # Its own bounded wait (5 s) for the held Scan: pl_poll's counters are the caller's.
    _sp_w=0
    while [ "$(pl_proxy_seen Scan)" -le "$_sp_seen" ] && [ $_sp_w -lt 50 ]; do
        sleep 0.1
        _sp_w=$((_sp_w + 1))
    done
    curl -s -o /dev/null --max-time 15 "$BASE_URL$1" 2>/dev/null
    wait "$_sp_hold"
    [ "$(sp_fetch "$HARNESS_DIR/rt.json")" = 200 ] || return 1
    if ! iconv -f UTF-8 -t UTF-8 "$HARNESS_DIR/rt.json" >/dev/null 2>&1 ||
        grep -q 'example\|%' "$HARNESS_DIR/rt.json" ||
        ! sp_true "$HARNESS_DIR/rt.json" \
            'd.workers.every(w => w.route === "" || /^[A-Z]+ (\/api(\/[a-z]+|\/\{[a-z]+\})*|\(no route\))$/.test(w.route))'; then
        cp "$HARNESS_DIR/rt.json" "$HARNESS_DIR/rt.bad"
        return 1
    fi
    sp_true "$HARNESS_DIR/rt.json" "d.workers.some(w => w.route === '$2')"
}

long=/api/companies/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%C3%A9%C3%A9%C3%A9%C3%A9
pl_ok "a donor's path shows as GET /api/donors/{email}" \
    pl_poll 1 sp_route_seen /api/donors/ana%40example.org 'GET /api/donors/{email}'
pl_ok "a path cut in a character shows as its route" \
    pl_poll 1 sp_route_seen "$long" 'GET /api/companies/{id}'
pl_ok "a path of no route shows as GET (no route)" \
    pl_poll 1 sp_route_seen /api/nowhere/ana%40example.org 'GET (no route)'
pl_ok "a path that is not UTF-8 shows as GET (no route)" \
    pl_poll 1 sp_route_seen /api/companies/%FF%FE 'GET (no route)'
pl_ok "no page was invalid UTF-8 or showed a path as sent" [ ! -e "$HARNESS_DIR/rt.bad" ]

# --- counters follow the traffic ---
a1=$(sp_js "$f" 'd.accepted_conn')
pl_ok "10 health requests answer 200" sh -c '
    for i in 1 2 3 4 5 6 7 8 9 10; do
        [ "$(curl -s -o /dev/null -w "%{http_code}" --max-time 15 "$1/api/health")" = 200 ] || exit 1
    done' sh "$BASE_URL"
sp_fetch "$HARNESS_DIR/s2.json" >/dev/null
a2=$(sp_js "$HARNESS_DIR/s2.json" 'd.accepted_conn')
pl_note "accepted_conn $a1 -> $a2"
pl_ok "accepted_conn grew by at least the 11 requests in between" [ "$((a2 - a1))" -ge 11 ]

c1=$(sp_js "$HARNESS_DIR/s2.json" 'd.ddb.calls')
seen1=$(pl_proxy_seen GetItem)
pl_ok "8 GETs of missing companies answer 404" sp_hits 8
seen2=$(pl_proxy_seen GetItem)
sp_fetch "$HARNESS_DIR/s3.json" >/dev/null
c2=$(sp_js "$HARNESS_DIR/s3.json" 'd.ddb.calls')
pl_note "ddb.calls $c1 -> $c2; GetItem seen by the proxy $seen1 -> $seen2"
pl_ok "the proxy saw at least 8 GetItem calls" [ "$((seen2 - seen1))" -ge 8 ]
pl_ok "ddb.calls grew by at least the calls the proxy saw" [ "$((c2 - c1))" -ge "$((seen2 - seen1))" ]

# --- OpenMetrics ---
code=$(curl -s -o "$HARNESS_DIR/om.txt" -D "$HARNESS_DIR/om.h" -w '%{http_code}' --max-time 15 \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/api/status?format=openmetrics")
pl_ok "?format=openmetrics: 200 (got $code)" [ "$code" = 200 ]
pl_ok "its Content-Type is OpenMetrics 1.0.0" \
    grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$HARNESS_DIR/om.h"
node -e '
const fs = require("fs");
const lines = fs.readFileSync(process.argv[1], "utf8").split("\n");
const fail = (m) => { console.log("not ok - " + m); process.exitCode = 1; };
if (lines.pop() !== "") fail("the text does not end with a newline");
if (lines[lines.length - 1] !== "# EOF") fail("the last line is not # EOF");
const types = {}, samples = [];
for (const l of lines.slice(0, -1)) {
  let m;
  if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|info|stateset|unknown|gaugehistogram)$/.exec(l))) {
    if (types[m[1]]) fail("two TYPE lines for " + m[1]);
    types[m[1]] = m[2];
  } else if (/^# (HELP|UNIT) \S+ .*$/.test(l)) {
  } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(l))) {
    if (isNaN(Number(m[3]))) fail("not a number: " + l);
    samples.push({ name: m[1], labels: m[2] || "", value: Number(m[3]) });
  } else fail("cannot parse: " + JSON.stringify(l));
}
const familyOf = (s) => {
  for (const suf of ["_total", "_bucket", "_count", "_sum", "_created", ""]) {
    const base = suf && s.endsWith(suf) ? s.slice(0, -suf.length) : s;
    if ((suf === "" || s.endsWith(suf)) && types[base]) return base;
  }
  return null;
};
for (const s of samples) {
  const fam = familyOf(s.name);
  if (!fam) fail("no TYPE for " + s.name);
  else if (!s.name.startsWith("savealife_")) fail("not prefixed: " + s.name);
  else if (types[fam] === "counter" && !s.name.endsWith("_total") && !s.name.endsWith("_created")) fail("counter sample without _total: " + s.name);
}
const need = ["savealife_accepted_connections_total", "savealife_ddb_calls_total", "savealife_processes", "savealife_ddb_errors_total", "savealife_ddb_call_duration_seconds_count"];
for (const n of need) if (!samples.some(s => s.name === n)) fail("missing " + n);
if (types.savealife_ddb_call_duration_seconds !== "histogram") fail("the duration is not a histogram");
const buckets = samples.filter(s => s.name === "savealife_ddb_call_duration_seconds_bucket");
const les = buckets.map(b => /le="([^"]*)"/.exec(b.labels)[1]);
if (les[les.length - 1] !== "+Inf") fail("the last bucket is not +Inf: " + les);
for (let i = 1; i < buckets.length; i++) {
  if (buckets[i].value < buckets[i - 1].value) fail("buckets are not cumulative");
  if (les[i] !== "+Inf" && Number(les[i]) <= Number(les[i - 1])) fail("bounds do not grow");
}
const count = samples.find(s => s.name === "savealife_ddb_call_duration_seconds_count");
if (!count || buckets[buckets.length - 1].value !== count.value) fail("+Inf bucket != _count");
const procs = samples.filter(s => s.name === "savealife_processes").reduce((a, s) => a + s.value, 0);
console.log("# processes " + procs + ", calls " + samples.find(s => s.name === "savealife_ddb_calls_total").value);
if (procs !== Number(process.argv[2])) fail("savealife_processes does not sum to " + process.argv[2]);
' "$HARNESS_DIR/om.txt" "$STACK_WORKERS" >"$HARNESS_DIR/om.check" 2>&1
om_status=$?
sed 's/^/# /' "$HARNESS_DIR/om.check"
pl_ok "the OpenMetrics text parses: TYPE for every sample, cumulative buckets ending at +Inf = _count, # EOF last" \
    [ "$om_status" -eq 0 ]
om_calls=$(sed -n 's/^savealife_ddb_calls_total \([0-9]*\)$/\1/p' "$HARNESS_DIR/om.txt")
pl_ok "its DynamoDB calls are at least the JSON's before it ($om_calls >= $c2)" [ "${om_calls:-0}" -ge "$c2" ]

# --- recycled workers keep their DynamoDB figures in the pool's totals ---
before=$(pl_workers)
prev=$c2
monotone=1
seen1=$(pl_proxy_seen GetItem)
# Requests go to whichever idle worker wins the accept, so how many rounds it takes for
# every first worker to reach 25 varies: go on until they are all gone (at least 6 rounds,
# at most 30).
i=0
hits_ok=1
while [ $i -lt 30 ]; do
    [ $i -ge 6 ] && pl_all_gone "$before" && break
    sp_hits 10 || { hits_ok=0; break; }
    sp_fetch "$HARNESS_DIR/r.json" >/dev/null
    now=$(sp_js "$HARNESS_DIR/r.json" 'd.ddb.calls')
    [ "${now:-0}" -ge "$prev" ] || monotone=0
    prev=${now:-0}
    i=$((i + 1))
done
seen2=$(pl_proxy_seen GetItem)
pl_note "$i rounds of 10 GETs"
pl_ok "every further GET of a missing company answers 404" [ "$hits_ok" -eq 1 ]
pl_ok "the pool is back to $STACK_WORKERS workers" pl_poll 10 pl_count_is "$STACK_WORKERS"
after=$(pl_workers)
pl_note "workers: $before -> $after"
pl_ok "every first worker was recycled" pl_disjoint "$before" "$after"
pl_ok "ddb.calls never went down while workers were recycled" [ "$monotone" -eq 1 ]
pl_note "ddb.calls $c2 -> $prev; GetItem seen by the proxy $seen1 -> $seen2"
pl_ok "ddb.calls grew by at least the calls the proxy saw" [ "$((prev - c2))" -ge "$((seen2 - seen1))" ]
sp_fetch "$HARNESS_DIR/r.json" >/dev/null
pl_ok "the page's generation-1 rows are gone, the workers are new" sp_true "$HARNESS_DIR/r.json" \
    "d.workers.every(w => !' $before '.includes(' ' + w.pid + ' '))"

harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
