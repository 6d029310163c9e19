#!/bin/sh
# The site in a real browser: the whole local stack as tests/lib/harness.sh starts it
# (dynalite, the tables, `savealife serve`, real nginx from nginx/local.conf.in), then Debian's
# chromium driven by puppeteer-core (tests/browser/main.mjs runs the test files beside it).
#
#   tests/browser/run.sh [BUILDDIR]      (default: build/default; TAP on standard output)
#
# Screenshots go to BUILDDIR/screenshots/. Every process is stopped by its pid at the end: the
# stack by the harness's cleanup, the browser by the pid main.mjs writes (also when node is
# killed by the time limit).

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOP_BUILDDIR=${1:-${TOP_BUILDDIR:-$TOP_SRCDIR/build/default}}
export TOP_SRCDIR TOP_BUILDDIR
. "$TOP_SRCDIR/tests/lib/harness.sh"

# Nothing may download a browser: puppeteer-core never does, and this says so to anything else.
PUPPETEER_SKIP_DOWNLOAD=1
PUPPETEER_SKIP_CHROME_DOWNLOAD=1
export PUPPETEER_SKIP_DOWNLOAD PUPPETEER_SKIP_CHROME_DOWNLOAD
BROWSER_PATH=${BROWSER_PATH:-/usr/bin/chromium}
export BROWSER_PATH

[ -x "$TOP_BUILDDIR/savealife" ] || harness_bail "no $TOP_BUILDDIR/savealife (build first)"
[ -x "$BROWSER_PATH" ] || harness_bail "no browser at $BROWSER_PATH (apt-get install chromium)"
[ -f "$NODE_MODULES_DIR/puppeteer-core/package.json" ] ||
    harness_bail "puppeteer-core is not installed in $NODE_MODULES_DIR (run npm ci)"

NODE_PID=""
browser_cleanup() {
    # node first (through timeout(1), which passes the signal on), so it starts nothing more.
    if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null
        i=0
        while kill -0 "$NODE_PID" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$NODE_PID" 2>/dev/null
        wait "$NODE_PID" 2>/dev/null
    fi
    # The browser runs in its own process group (puppeteer starts it detached): stop the group.
    if [ -s "$HARNESS_DIR/browser.pid" ]; then
        bpid=$(cat "$HARNESS_DIR/browser.pid")
        if kill -0 "$bpid" 2>/dev/null; then
            kill -TERM -- "-$bpid" 2>/dev/null || kill -TERM "$bpid" 2>/dev/null
            i=0
            while kill -0 "$bpid" 2>/dev/null && [ $i -lt 50 ]; do
                sleep 0.1
                i=$((i + 1))
            done
            kill -KILL -- "-$bpid" 2>/dev/null || kill -KILL "$bpid" 2>/dev/null
        fi
    fi
    harness_cleanup
}
trap browser_cleanup EXIT

harness_env
harness_start_stack

# The pages must work under the production policy. Until nginx/local.conf.in sends it itself,
# add it to this run's copy of the configuration (only the header) and reload nginx.
csp="default-src 'self'; frame-ancestors 'none'"
if ! curl -s -D - -o /dev/null --max-time 5 "$BASE_URL/" | grep -qi '^content-security-policy:'; then
    sed -i "s|^\( *\)root |\1add_header Content-Security-Policy \"$csp\" always;\n\1root |" \
        "$HARNESS_DIR/nginx/nginx.conf" || harness_bail "cannot add the CSP header"
    kill -HUP "$NGINX_PID" || harness_bail "cannot reload nginx"
    i=0
    until curl -s -D - -o /dev/null --max-time 2 "$BASE_URL/" | grep -qi '^content-security-policy:'; do
        [ $i -lt 100 ] || harness_bail "nginx did not send the CSP header after a reload"
        sleep 0.1
        i=$((i + 1))
    done
fi

SCREENSHOT_DIR="$TOP_BUILDDIR/screenshots"
mkdir -p "$SCREENSHOT_DIR" || harness_bail "cannot create $SCREENSHOT_DIR"
export SCREENSHOT_DIR HARNESS_DIR SERVE_PID NGINX_PID BASE_URL ADMIN_TOKEN NODE_MODULES_DIR

# The whole browser run is bounded; each step in it has its own limit too. In the background
# with wait, so that a signal to this script is handled at once (the trap stops everything).
timeout -k 10 "${BROWSER_TIMEOUT:-900}" node "$TOP_SRCDIR/tests/browser/main.mjs" &
NODE_PID=$!
wait "$NODE_PID"
rc=$?
NODE_PID=""
[ $rc -eq 124 ] && echo "Bail out! the browser tests did not finish within ${BROWSER_TIMEOUT:-900} s"
exit $rc
