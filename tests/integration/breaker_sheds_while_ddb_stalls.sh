#!/bin/sh
# When DynamoDB stalls, the pool does not fill with requests that will fail anyway: dynalite
# is frozen (SIGSTOP) for BREAKER_FREEZE_S seconds (default 30, the issue's figure; the test
# takes about that plus 15 s) while 12 clients (three times the 4 workers) keep asking for a
# company, then thawed (SIGCONT). SAVEALIFE_REQUEST_TIMEOUT is 3 s (a 2.5 s budget); the
# DynamoDB attempt timeout is the default.
#   - every request answers 200 or 503 within the 3 s timeout: no 502, no 504, no worker
#     killed or replaced;
#   - the breaker opens within a second or two of the freeze (status page and OpenMetrics),
#     the requests behind it answer 503 with Retry-After at once;
#   - /api/health, polled every 0.15 s from a background loop that starts before the freeze,
#     answers 200 within 1 s at EVERY poll of the freeze, its very start included: the
#     workers that are inside a DynamoDB attempt when it stops are freed by the attempt
#     timeout and the breaker, not by the request budget;
#   - service is back within 2 s of DynamoDB's return, and the breaker closes.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
FREEZE_S=${BREAKER_FREEZE_S:-30}
STACK_WORKERS=4
harness_start_stack --request-timeout 3
ADMIN_AUTH="Authorization: Bearer $ADMIN_TOKEN"

pl_create_company Frozenco
pl_poll 10 pl_count_is 4 || harness_bail "the pool never had 4 workers: $(pl_workers)"
before=$(pl_workers)

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# status_js EXPR: EXPR of the status page's JSON d ("" if it could not be read).
status_js() {
    curl -s --max-time 5 -H "$ADMIN_AUTH" "$BASE_URL/api/status" >"$HARNESS_DIR/st.json" 2>/dev/null
    node -e 'try { const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
                   console.log(String(eval(process.argv[2]))); } catch (e) { console.log(""); }' \
        "$HARNESS_DIR/st.json" "$1"
}

# om_breaker FILE: the breaker's state in an OpenMetrics text (the stateset's member at 1).
om_breaker() {
    curl -s --max-time 5 -H "$ADMIN_AUTH" "$BASE_URL/api/status?format=openmetrics" >"$1" 2>/dev/null
    sed -n 's/^savealife_ddb_breaker{savealife_ddb_breaker="\([a-z-]*\)"} 1$/\1/p' "$1"
}

pl_ok "the breaker starts closed" [ "$(status_js 'd.ddb_breaker + " " + d.ddb_breaker_trips')" = "closed 0" ]
pl_ok "OpenMetrics says so" [ "$(om_breaker "$HARNESS_DIR/om0.txt")" = closed ]

pl_loop_start "$BASE_URL/api/companies/frozenco" --concurrency 12 --pause-ms 100 \
    --timeout-ms 20000 --max-seconds $((FREEZE_S + 60))
pl_poll 10 pl_loop_at_least 24 || harness_bail "the request loop does not run"

# health_poller: every 0.15 s until $HARNESS_DIR/health.stop exists (or 120 s past the
# freeze's end at most), one line "MS_SINCE_START CODE MS" per /api/health request.
health_poller() {
    while [ ! -e "$HARNESS_DIR/health.stop" ] &&
        [ $(($(now_ms) - hp_start)) -lt $(((FREEZE_S + 120) * 1000)) ]; do
        _hp_at=$(($(now_ms) - hp_start))
        set -- $(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
            "$BASE_URL/api/health" 2>/dev/null)
        echo "$_hp_at ${1:-000} $(awk -v t="${2:-99}" 'BEGIN { printf "%d", t * 1000 }')"
        sleep 0.15
    done
}
hp_start=$(now_ms)
health_poller >"$HARNESS_DIR/health.log" 2>&1 &
HEALTH_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $HEALTH_PID"
pl_poll 10 sh -c "[ -s '$HARNESS_DIR/health.log' ]" || harness_bail "the health poller does not run"

kill -STOP "$DYNALITE_PID" || harness_bail "cannot stop dynalite"
frozen=$(now_ms)
pl_note "dynalite $DYNALITE_PID frozen for $FREEZE_S s"
open_at=""
om_open=""
trips_open=""
while [ $(($(now_ms) - frozen)) -lt $((FREEZE_S * 1000)) ]; do
    if [ -z "$open_at" ]; then
        case $(status_js d.ddb_breaker) in
        open | half-open) open_at=$(($(now_ms) - frozen)) ;;
        esac
    fi
    if [ -n "$open_at" ] && [ -z "$om_open" ]; then
        om_open=$(om_breaker "$HARNESS_DIR/om1.txt")
        trips_open=$(sed -n 's/^savealife_ddb_breaker_trips_total \([0-9]*\)$/\1/p' "$HARNESS_DIR/om1.txt")
    fi
    sleep 0.2
done
kill -CONT "$DYNALITE_PID" || harness_bail "cannot thaw dynalite"
thawed=$(now_ms)
back=""
while [ $(($(now_ms) - thawed)) -lt 10000 ]; do
    if [ "$(pl_http_code "$BASE_URL/api/companies/frozenco")" = 200 ]; then
        back=$(($(now_ms) - thawed))
        break
    fi
    sleep 0.1
done
: >"$HARNESS_DIR/health.stop"
pl_poll 10 sh -c "! kill -0 $HEALTH_PID 2>/dev/null"
kill "$HEALTH_PID" 2>/dev/null
wait "$HEALTH_PID" 2>/dev/null
# The polls that started during the freeze: their times are relative to the poller's start.
hp_from=$((frozen - hp_start))
hp_to=$((thawed - hp_start))
awk -v from="$hp_from" -v to="$hp_to" '
    $1 + $3 >= from && $1 <= to { n++; if ($2 != 200) bad++; if ($3 > max) max = $3;
                                   if ($1 <= from + 3000 && $3 > first) first = $3 }
    END { printf "%d %d %d %d\n", n, bad, max, first }' "$HARNESS_DIR/health.log" >"$HARNESS_DIR/health.sum"
read -r polls health_bad health_max health_first <"$HARNESS_DIR/health.sum"

pl_note "breaker seen open ${open_at:-never} ms into the freeze; OpenMetrics then: $om_open, trips $trips_open"
pl_note "/api/health during the freeze: $polls polls, $health_bad not 200, slowest $health_max ms, slowest in its first 3 s $health_first ms"
pl_note "a read served again ${back:-never} ms after DynamoDB's return"
# Seen through the status page, which itself waits for a free worker.
pl_ok "the breaker was seen open within 2 s of the freeze (${open_at:-never} ms)" \
    [ "${open_at:-99999}" -lt 2000 ]
om_showed_open() {
    case $om_open in open | half-open) [ "${trips_open:-0}" -ge 1 ] ;; *) return 1 ;; esac
}
pl_ok "OpenMetrics showed it open, with a trip ($om_open, ${trips_open:-none})" om_showed_open
pl_ok "/api/health was polled throughout the freeze ($polls polls)" [ "$polls" -ge $((FREEZE_S * 2)) ]
pl_ok "/api/health answered 200 every time ($health_bad failures in $polls)" [ "$health_bad" -eq 0 ]
pl_ok "within 1 s at every poll of the freeze, its start included ($health_max ms)" \
    [ "$health_max" -lt 1000 ]
pl_ok "service was back within 2 s of DynamoDB's return (${back:-never} ms)" \
    [ "${back:-99999}" -lt 2000 ]
breaker_closed() {
    [ "$(status_js d.ddb_breaker)" = closed ]
}
pl_ok "the breaker closed again" pl_poll 5 breaker_closed
state=$(status_js 'd.ddb_breaker + " " + d.ddb_breaker_trips')
pl_note "status page after: $state"
pl_ok "the status page shows it closed, after at least one trip ($state)" \
    sh -c "case '$state' in 'closed '[1-9]*) exit 0 ;; *) exit 1 ;; esac"
pl_ok "OpenMetrics shows it closed" [ "$(om_breaker "$HARNESS_DIR/om2.txt")" = closed ]
pl_ok "nginx's error log says when it opened" \
    grep -q "DynamoDB breaker open (trip 1)" "$HARNESS_DIR/nginx/error.log"
pl_ok "and when it closed" grep -q "DynamoDB breaker closed" "$HARNESS_DIR/nginx/error.log"

pl_loop_stop
sent=$(pl_loop_field sent)
# Every line: "ok|fail N STATUS MS".
awk '$1 == "ok" || $1 == "fail" { n++; s[$3]++; if ($4 > max) max = $4; if ($3 != 200 && $3 != 503) bad++ }
     END { printf "%d %d %d %d %d\n", n, s[200], s[503], bad, max }' "$HARNESS_DIR/loop.log" >"$HARNESS_DIR/loop.sum"
read -r total n200 n503 nbad maxms <"$HARNESS_DIR/loop.sum"
pl_note "the 12 clients: $total requests ($sent sent), $n200 x 200, $n503 x 503, $nbad other, slowest $maxms ms"
pl_ok "every request answered 200 or 503: no 502, no 504 ($nbad others)" [ "$nbad" -eq 0 ]
pl_ok "each within the 3 s timeout (slowest $maxms ms)" [ "$maxms" -lt 3000 ]
pl_ok "503s were answered during the freeze ($n503)" [ "$n503" -gt 0 ]
pl_ok "no worker was killed or replaced ($before -> $(pl_workers))" [ "$(pl_workers)" = "$before" ]
pl_ok "the master killed no worker" sh -c "! grep -q 'killed' '$HARNESS_DIR/serve.log'"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
