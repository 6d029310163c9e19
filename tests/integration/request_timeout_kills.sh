#!/bin/sh
# --request-timeout 1 with a FastCGI client that connects straight to the service's socket
# and stops in the middle of its request: a worker stuck there is out of the request
# deadline's reach (it bounds DynamoDB calls: request_deadline_answers_503.sh), so the master
# kills it at the timeout and replaces it, and the next requests succeed.
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"
harness_env
STACK_WORKERS=2
harness_start_stack --request-timeout 1

pl_create_company Stuckco
pl_poll 10 pl_count_is 2 || harness_bail "the pool never had 2 workers: $(pl_workers)"
before=$(pl_workers)

# FCGI_BEGIN_REQUEST (responder), then a PARAMS record announcing 100 bytes and sending 10:
# the worker waits for the rest. Prints how long the service kept the connection open.
held=$(node -e '
const net = require("net");
const t0 = Date.now();
const s = net.connect(process.argv[1], () => {
  const begin = Buffer.from([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const params = Buffer.from([1, 4, 0, 1, 0, 100, 0, 0]);
  s.write(Buffer.concat([begin, params, Buffer.alloc(10, 65)]));
});
s.on("error", () => {});
s.on("close", () => { console.log(Date.now() - t0); process.exit(0); });
setTimeout(() => { console.log("never"); process.exit(0); }, 10000);
' "$HARNESS_DIR/fcgi.sock")
pl_note "the half-sent request's connection was closed after $held ms"
pl_ok "the service closed it when its worker was killed (< 4.5 s)" \
    awk -v t="$held" 'BEGIN { exit !(t != "never" && t < 4500) }'
pl_ok "and not before the timeout (>= 0.9 s)" awk -v t="$held" 'BEGIN { exit !(t >= 900) }'
pl_ok "the master says it killed a worker past the timeout" \
    pl_poll 5 grep -q "ran past the 1 s timeout: killed" "$HARNESS_DIR/serve.log"

one_replaced() {
    now=$(pl_workers)
    gone=0
    for p in $before; do
        echo " $now " | grep -q " $p " || gone=$((gone + 1))
    done
    pl_count_is 2 && [ "$gone" -eq 1 ]
}
pl_ok "exactly one worker was replaced, and the pool is back to 2" pl_poll 10 one_replaced
pl_note "workers: $before -> $(pl_workers)"
ok=0
for i in 1 2 3 4 5 6; do
    [ "$(pl_http_code "$BASE_URL/api/health")" = 200 ] && ok=$((ok + 1))
done
pl_ok "the next requests succeed (6 of 6)" [ "$ok" -eq 6 ]
code=$(pl_http_code "$BASE_URL/api/companies/stuckco")
pl_ok "a request that needs DynamoDB succeeds too (got $code)" [ "$code" = 200 ]
pl_ok "the master still runs" pl_alive "$SERVE_PID"
harness_stop_serve 30
status=$?
pl_ok "the master exits 0 on SIGTERM (got $status)" [ "$status" -eq 0 ]
pl_ok "no sanitizer report from the master or its workers" pl_serve_log_clean
pl_done
