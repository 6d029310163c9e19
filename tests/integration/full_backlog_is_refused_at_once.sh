#!/bin/sh
# A full listen backlog: with SAVEALIFE_LISTEN_BACKLOG=1 and the only worker held in a slow
# request (the proxy keeps its GetItem 3 s), nginx can queue two more connections on the
# unix socket; the next ones are refused by the kernel at once (EAGAIN), and nginx answers
# them 502 at once: nothing hangs. The queued ones are answered 200 once the worker is free,
# the slow request too, and the service goes on as before.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
EXTRA=6
harness_env
pl_start_proxy
STACK_WORKERS=1
SAVEALIFE_LISTEN_BACKLOG=1
export SAVEALIFE_LISTEN_BACKLOG
# 10 s DynamoDB attempts: the held GetItem must hold the worker, not be retried after the
# default 500 ms attempt timeout.
harness_start_stack --ddb-attempt-timeout 10000
pl_create_company Backlogco
pl_proxy_delay GetItem 3000 1

# timed_get NAME URL: its status and seconds into $HARNESS_DIR/NAME.out, in the background.
timed_get() {
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 20 "$2" \
        >"$HARNESS_DIR/$1.out" 2>/dev/null &
    HARNESS_PIDS="$HARNESS_PIDS $!"
}
timed_get slow "$BASE_URL/api/companies/backlogco"
held() { [ "$(pl_proxy_seen GetItem)" -ge 1 ]; }
pl_ok "the worker is held in the slow request" pl_poll 10 held
i=1
while [ $i -le $EXTRA ]; do
    timed_get "extra$i" "$BASE_URL/api/health"
    i=$((i + 1))
done
all_done() {
    for f in slow $(seq -f 'extra%g' 1 $EXTRA); do
        [ -s "$HARNESS_DIR/$f.out" ] || return 1
    done
}
pl_ok "every request is answered (none hangs)" pl_poll 25 all_done

read -r code secs <"$HARNESS_DIR/slow.out"
pl_ok "the slow request is answered 200 (got $code after $secs s)" [ "$code" = 200 ]
refused=0
queued=0
other=""
for f in $(seq -f 'extra%g' 1 $EXTRA); do
    read -r code secs <"$HARNESS_DIR/$f.out"
    pl_note "$f: $code after $secs s"
    case $code in
    502) node -e 'process.exit(Number(process.argv[1]) < 1 ? 0 : 1)' "$secs" &&
        refused=$((refused + 1)) || other="$other $f:502-slow($secs)" ;;
    200) queued=$((queued + 1)) ;;
    *) other="$other $f:$code" ;;
    esac
done
pl_ok "the requests beyond the backlog get 502 within 1 s ($refused)" [ "$refused" -ge 1 ]
pl_ok "the queued ones wait for the worker and get 200 ($queued, at most 2 queue)" \
    sh -c "[ $queued -ge 1 ] && [ $queued -le 2 ]"
pl_ok "nothing else (${other:-nothing})" [ -z "$other" ]
refusals=$(grep -c 'Resource temporarily unavailable) while connecting to upstream' \
    "$HARNESS_DIR/nginx/error.log")
pl_ok "nginx logs each refusal as EAGAIN while connecting ($refusals)" [ "$refusals" -eq "$refused" ]
code=$(pl_http_code "$BASE_URL/api/companies/backlogco")
pl_ok "afterwards the service answers as before (got $code)" [ "$code" = 200 ]
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
