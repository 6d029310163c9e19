#!/bin/sh
# The systemd units, read by systemd's own tools and held against the program they run:
# - systemd-analyze security scores savealife.service 2.0 or lower, with the key sandboxing
#   directives passing and only the expected ones left open;
# - systemd-analyze verify is clean for both units as make install puts them in a DESTDIR
#   (and a broken copy is not: the check can fail);
# - the socket is the path the program and the nginx site use, owned by nginx's group, 0660;
# - the service's stop timeout leaves the program its request timeout plus its grace;
# - the sandbox does not forbid what the program needs: `savealife serve` is run under
#   strace, with its socket from systemd-socket-activate, a notify socket, DynamoDB over TLS
#   and nginx in front, through requests, a reload and a stop; every system call it makes
#   must be in the unit's SystemCallFilter (as systemd-analyze expands it), every socket in
#   RestrictAddressFamilies, and it must write no file and read no /proc entry or home
#   folder the unit hides from it.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env

for tool in systemd-analyze systemd-socket-activate strace openssl curl; do
    command -v $tool >/dev/null 2>&1 || harness_bail "$tool is not installed"
done
# systemd-analyze draws its table with ASCII marks, and names microseconds "us", in C.
LC_ALL=C
export LC_ALL

SERVICE="$TOP_SRCDIR/systemd/savealife.service"
SOCKET="$TOP_SRCDIR/systemd/savealife.socket"

echo "1..46"

# unit_values FILE SECTION KEY: the values KEY= takes in that section, one a line, in order.
unit_values() {
    awk -v section="[$2]" -v key="$3" '
        /^[ \t]*[#;]/ { next }
        /^\[/ { in_section = ($0 == section); next }
        in_section && index($0, key "=") == 1 { print substr($0, length(key) + 2) }' "$1"
}
unit_value() {
    unit_values "$@" | tail -n 1
}

# ---- systemd-analyze security ----
systemd-analyze security --offline=true --threshold=20 "$SERVICE" >"$HARNESS_DIR/security.txt" \
    2>"$HARNESS_DIR/security.err"
rc=$?
check "systemd-analyze security --threshold=20 (2.0) passes (exit $rc)" [ $rc -eq 0 ]
score=$(sed -n 's/.*Overall exposure level for savealife\.service: \([0-9.]*\) .*/\1/p' \
    "$HARNESS_DIR/security.txt")
check "its overall exposure, ${score:-none}, is 2.0 or lower" \
    awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'

systemd-analyze security --offline=true --json=short "$SERVICE" >"$HARNESS_DIR/security.json" \
    2>>"$HARNESS_DIR/security.err" || harness_bail "systemd-analyze security --json failed"
# One line a test: "pass NAME" or "open NAME".
node -e '
    for (const r of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")))
        console.log((r.set && !r.exposure ? "pass " : "open ") + r.name);' \
    "$HARNESS_DIR/security.json" >"$HARNESS_DIR/security.rows" ||
    harness_bail "cannot read systemd-analyze's JSON"
for name in "User=/DynamicUser=" "PrivateUsers=" "ProtectSystem=" "PrivateTmp=" \
    "PrivateDevices=" "NoNewPrivileges=" "CapabilityBoundingSet=~CAP_SYS_ADMIN" \
    "SystemCallFilter=~@privileged" "SystemCallFilter=~@resources" "SystemCallArchitectures=" \
    "RestrictAddressFamilies=~AF_NETLINK" "RestrictAddressFamilies=~AF_PACKET" \
    "RestrictNamespaces=~user" "MemoryDenyWriteExecute=" "ProtectKernelTunables=" \
    "ProtectProc=" "ProcSubset=" "UMask="; do
    check "systemd-analyze security passes $name" grep -qxF "pass $name" "$HARNESS_DIR/security.rows"
done
# What stays open, each for a reason: the service must reach DynamoDB and the metadata
# service over the network (PrivateNetwork, IPAddressDeny, AF_INET/AF_INET6) and its socket
# and the journal over AF_UNIX; it runs from the host's /usr (RootDirectory); ProtectClock
# allows reading the RTC (DeviceAllow); home folders are empty rather than inaccessible
# (ProtectHome=tmpfs).
cat >"$HARNESS_DIR/open.expected" <<'EOF'
open DeviceAllow=
open IPAddressDeny=
open PrivateNetwork=
open ProtectHome=
open RestrictAddressFamilies=~AF_(INET|INET6)
open RestrictAddressFamilies=~AF_UNIX
open RootDirectory=/RootImage=
EOF
grep '^open ' "$HARNESS_DIR/security.rows" | sort >"$HARNESS_DIR/open.found"
if cmp -s "$HARNESS_DIR/open.expected" "$HARNESS_DIR/open.found"; then
    ok "only the expected directives are left open"
else
    not_ok "only the expected directives are left open" \
        "$(diff "$HARNESS_DIR/open.expected" "$HARNESS_DIR/open.found")"
fi

# ---- systemd-analyze verify, on the units as installed ----
submake() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP_BUILDDIR" "$@"
}
cat >"$HARNESS_DIR/dirs.mk" <<'EOF' || harness_bail "cannot write dirs.mk"
savealife-print-dirs:
	@{ echo "sbindir='$(sbindir)'"; \
	   echo "mandir='$(mandir)'"; \
	   echo "systemdsystemunitdir='$(systemdsystemunitdir)'"; } >'$(SAVEALIFE_DIRS_OUT)'
EOF
submake -f Makefile -f "$HARNESS_DIR/dirs.mk" savealife-print-dirs \
    SAVEALIFE_DIRS_OUT="$HARNESS_DIR/dirs.sh" >"$HARNESS_DIR/dirs.log" 2>&1 ||
    harness_bail "cannot read the configured directories: $(tail -3 "$HARNESS_DIR/dirs.log")"
. "$HARNESS_DIR/dirs.sh"
DEST="$HARNESS_DIR/dest"
submake install DESTDIR="$DEST" >"$HARNESS_DIR/install.log" 2>&1 ||
    harness_bail "make install DESTDIR=... failed: $(tail -5 "$HARNESS_DIR/install.log")"

# verify DIR: systemd-analyze verify of the two units in DIR, with the man pages the DESTDIR
# holds (Documentation=man:savealife(8) is checked with man). Output in $HARNESS_DIR/verify.out.
verify() {
    MANPATH="$DEST$mandir" systemd-analyze verify "$1/savealife.service" "$1/savealife.socket" \
        >"$HARNESS_DIR/verify.out" 2>&1
}
if [ -n "$systemdsystemunitdir" ]; then
    # verify needs the programs of ExecStart and ExecReload where the unit says they are; make
    # install put them under DESTDIR, so that prefix is added to those two lines and nothing
    # else is changed.
    V="$HARNESS_DIR/verify"
    mkdir -p "$V" || harness_bail "cannot create $V"
    sed -e "s|^ExecStart=$sbindir/savealife |ExecStart=$DEST$sbindir/savealife |" \
        -e "s|^ExecReload=$sbindir/savealife |ExecReload=$DEST$sbindir/savealife |" \
        "$DEST$systemdsystemunitdir/savealife.service" >"$V/savealife.service"
    cp "$DEST$systemdsystemunitdir/savealife.socket" "$V/savealife.socket"
    changed=$(diff "$DEST$systemdsystemunitdir/savealife.service" "$V/savealife.service" |
        grep -c '^>')
    check "only ExecStart= and ExecReload= are moved into the DESTDIR ($changed lines)" \
        [ "$changed" -eq 2 ]
    verify "$V"
    rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$HARNESS_DIR/verify.out" ]; then
        ok "systemd-analyze verify is clean for both installed units"
    else
        not_ok "systemd-analyze verify is clean for both installed units (exit $rc)" \
            "$(cat "$HARNESS_DIR/verify.out")"
    fi
    # The same check fails on a unit whose program is missing, or whose man page is.
    B="$HARNESS_DIR/verify-broken"
    mkdir -p "$B" || harness_bail "cannot create $B"
    sed "s|^ExecStart=.*|ExecStart=$DEST$sbindir/savealife-missing serve|" \
        "$V/savealife.service" >"$B/savealife.service"
    cp "$V/savealife.socket" "$B/savealife.socket"
    verify "$B"
    rc=$?
    check "and reports a unit whose program is missing (exit $rc)" \
        sh -c "[ $rc -ne 0 ] && grep -q 'savealife-missing' '$HARNESS_DIR/verify.out'"
    MANPATH="$HARNESS_DIR/no-man" systemd-analyze verify "$V/savealife.service" \
        "$V/savealife.socket" >"$HARNESS_DIR/verify.out" 2>&1
    rc=$?
    check "and one whose man page is not installed (exit $rc)" \
        sh -c "[ $rc -ne 0 ] && grep -q 'man savealife(8)' '$HARNESS_DIR/verify.out'"
else
    for i in 1 2 3 4; do ok "# SKIP configured --with-systemdsystemunitdir=no: no units"; done
fi

# ---- the socket ----
"$TOP_BUILDDIR/savealife" --help >"$HARNESS_DIR/help" 2>&1 ||
    harness_bail "savealife --help failed"
help_default() { # VARIABLE: its default as --help gives it
    grep " $1 " "$HARNESS_DIR/help" | sed -n 's/.*(default: \(.*\))$/\1/p'
}
listen=$(unit_value "$SOCKET" Socket ListenStream)
check "the socket is the program's default SAVEALIFE_LISTEN ($listen)" \
    [ "unix:$listen" = "$(help_default SAVEALIFE_LISTEN)" ]
passes=$(grep -v '^ *#' "$TOP_SRCDIR/nginx/savealife.conf" | grep -c "fastcgi_pass unix:$listen;")
others=$(grep -v '^ *#' "$TOP_SRCDIR/nginx/savealife.conf" | grep 'fastcgi_pass' |
    grep -vc "fastcgi_pass unix:$listen;")
check "and every fastcgi_pass of the nginx site ($passes, $others others)" \
    sh -c "[ $passes -ge 1 ] && [ $others -eq 0 ]"
check "one listening socket for the whole service (Accept=no, no other Listen*=)" sh -c \
    "[ '$(unit_value "$SOCKET" Socket Accept)' = no ] &&
     [ $(grep -c '^Listen' "$SOCKET") -eq 1 ]"
# nginx's workers run as the user its main configuration names (Debian: www-data); the
# socket's group must be that user's group, and only owner and group may connect.
nginx_user=$(awk '$1 == "user" { sub(/;$/, "", $2); print $2; exit }' /etc/nginx/nginx.conf 2>/dev/null)
nginx_group=$(id -gn "${nginx_user:-www-data}" 2>/dev/null)
socket_group_ok() {
    [ -n "$nginx_group" ] && [ "$(unit_value "$SOCKET" Socket SocketGroup)" = "$nginx_group" ]
}
check "the socket's group is that of nginx's workers (${nginx_user:-?}: ${nginx_group:-?})" \
    socket_group_ok
check "owned by root, mode 0660" sh -c \
    "[ '$(unit_value "$SOCKET" Socket SocketUser)' = root ] &&
     [ '$(unit_value "$SOCKET" Socket SocketMode)' = 0660 ]"
check "its folder stays traversable for nginx (DirectoryMode=0755)" \
    [ "$(unit_value "$SOCKET" Socket DirectoryMode)" = 0755 ]
ordered_after_socket() {
    unit_values "$SERVICE" Unit Requires | tr ' ' '\n' | grep -qxF savealife.socket &&
        unit_values "$SERVICE" Unit After | tr ' ' '\n' | grep -qxF savealife.socket
}
check "the service requires the socket and starts after it" ordered_after_socket

# ---- the service's numbers against the program's ----
usec() { # TIMESPAN: microseconds, as systemd parses it
    systemd-analyze timespan "$1" 2>/dev/null | awk '$1 == "us:" { print $2 }'
}
stop_us=$(usec "$(unit_value "$SERVICE" Service TimeoutStopSec)")
timeout_s=$(help_default SAVEALIFE_REQUEST_TIMEOUT)
check "TimeoutStopSec (${stop_us:-?} us) is above the request timeout ($timeout_s s) plus 5 s" \
    sh -c "[ -n '$stop_us' ] && [ -n '$timeout_s' ] && [ '$stop_us' -gt $(((${timeout_s:-0} + 5) * 1000000)) ]"
watchdog_us=$(usec "$(unit_value "$SERVICE" Service WatchdogSec)")
check "a watchdog is set (${watchdog_us:-none} us), with Type=notify for the master alone" sh -c \
    "[ '${watchdog_us:-0}' -gt 0 ] && [ '$(unit_value "$SERVICE" Service Type)' = notify ] &&
     [ '$(unit_value "$SERVICE" Service NotifyAccess)' = main ]"
check "the stop signal goes to the master alone (KillMode=mixed); reload waits for its end (savealife reload)" sh -c \
    "[ '$(unit_value "$SERVICE" Service KillMode)' = mixed ] &&
     [ '$(unit_value "$SERVICE" Service ExecReload)' = '/usr/sbin/savealife reload \$MAINPID' ]"

# ---- the sandbox against the running program ----
# expand GROUP...: the system calls systemd puts in these groups, nested groups expanded.
expand() {
    for g in "$@"; do
        systemd-analyze syscall-filter "$g" 2>/dev/null |
            awk 'NR > 1 && NF > 0 && $1 !~ /^#/ { print $1 }' |
            while read -r s; do
                case $s in
                @*) expand "$s" ;;
                *) echo "$s" ;;
                esac
            done
    done
}
allow_groups=$(unit_values "$SERVICE" Service SystemCallFilter | grep -v '^~' | tr '\n' ' ')
deny_groups=$(unit_values "$SERVICE" Service SystemCallFilter | sed -n 's/^~//p' | tr '\n' ' ')
# shellcheck disable=SC2086
expand $allow_groups | sort -u >"$HARNESS_DIR/allow.raw"
# shellcheck disable=SC2086
expand $deny_groups | sort -u >"$HARNESS_DIR/deny"
comm -23 "$HARNESS_DIR/allow.raw" "$HARNESS_DIR/deny" >"$HARNESS_DIR/allowed"
# The filter is what it is meant to be: what the program uses is in, what it must not is out.
check "the unit's filter allows fork, prctl, ppoll, mmap and accept4 ($(wc -l <"$HARNESS_DIR/allowed") calls)" \
    sh -c "for s in clone fork prctl ppoll mmap accept4 sendmsg; do grep -qxF \$s '$HARNESS_DIR/allowed' || exit 1; done"
check "and refuses setuid, setrlimit, mount, ptrace and reboot" \
    sh -c "for s in setuid setrlimit mount ptrace reboot; do ! grep -qxF \$s '$HARNESS_DIR/allowed' || exit 1; done"

if ! strace -f -qq -o /dev/null true >/dev/null 2>&1; then
    for i in 1 2 3 4 5 6 7 8 9; do ok "# SKIP strace cannot trace here (ptrace refused)"; done
    exit $failed
fi

# DynamoDB over TLS as in production, with a CA made for this run, named by host name.
pki="$HARNESS_DIR/pki"
mkdir -p "$pki" || harness_bail "cannot create $pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=savealife test ca" -keyout "$pki/ca.key" -out "$pki/ca.pem" \
    >"$pki/openssl.log" 2>&1 || harness_bail "openssl could not make a CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$pki/server.key" -out "$pki/server.csr" >"$pki/openssl.log" 2>&1 ||
    harness_bail "openssl could not make the server key"
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$pki/ext.cnf"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/ext.cnf" -out "$pki/server.pem" >"$pki/openssl.log" 2>&1 ||
    harness_bail "openssl could not sign the server certificate"
harness_start_dynalite --ssl --key "$(cat "$pki/server.key")" --cert "$(cat "$pki/server.pem")"
STACK_DDB_ENDPOINT="https://localhost:$DYNALITE_PORT"
AWS_CA_BUNDLE="$pki/ca.pem"
export AWS_CA_BUNDLE
harness_wait_ddb "$STACK_DDB_ENDPOINT" --cacert "$pki/ca.pem" ||
    harness_bail "dynalite (TLS) did not answer: $(tail -5 "$HARNESS_DIR/dynalite.log")"

# The stack (tables, tokens, nginx) as the harness makes it; its own serve is then stopped
# and replaced by one under strace, which nginx reaches on the same socket path.
harness_start_stack
harness_stop_serve 30 || harness_bail "the first serve did not stop"
rm -f "$HARNESS_DIR/fcgi.sock"

# systemd-socket-activate passes on only the variables named with -E, as systemd passes only
# the unit's environment.
env_args=""
for v in $(env | sed -n 's/^\(\(SAVEALIFE\|AWS\|ASAN\|UBSAN\|LSAN\)_[A-Z_]*\)=.*/\1/p'); do
    env_args="$env_args -E $v"
done
# Nobody listens on this notify socket: the master's messages fail, but it still makes every
# call it makes under systemd.
NOTIFY_SOCKET="$HARNESS_DIR/notify.sock"
WATCHDOG_USEC=2000000
export NOTIFY_SOCKET WATCHDOG_USEC
TRACE="$HARNESS_DIR/trace"
# shellcheck disable=SC2086
(exec strace -f -qq -s 1024 -e signal=none -o "$TRACE" \
    systemd-socket-activate -l "$HARNESS_DIR/fcgi.sock" -E NOTIFY_SOCKET -E WATCHDOG_USEC \
    $env_args "$TOP_BUILDDIR/savealife" serve) >"$HARNESS_DIR/traced.log" 2>&1 &
STRACE_PID=$!
HARNESS_PIDS="$HARNESS_PIDS $STRACE_PID"
# systemd-socket-activate makes the socket 0644; nginx's workers (nobody when the test runs
# as root) need to write to it, as www-data may to the 0660 one of savealife.socket. The
# folder above it already limits who reaches it.
i=0
while [ ! -S "$HARNESS_DIR/fcgi.sock" ] && [ $i -lt 100 ]; do
    kill -0 "$STRACE_PID" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
chmod 0666 "$HARNESS_DIR/fcgi.sock" ||
    harness_bail "systemd-socket-activate made no socket: $(tail -3 "$HARNESS_DIR/traced.log")"
# strace's child: systemd-socket-activate now, the master once it has exec'd. It is stopped by
# pid on the way out too (strace, stopped, would only detach from it).
master=$(ps -o pid= --ppid "$STRACE_PID" | tr -d ' ' | head -n 1)
[ -n "$master" ] || harness_bail "no process under strace"
HARNESS_PIDS="$master $HARNESS_PIDS"

# The first connection makes systemd-socket-activate start serve; nginx's request waits in
# the socket's backlog meanwhile.
request() { # URL [CURL_ARGS...]: status in $code
    url=$1
    shift
    code=$(curl -s --max-time 10 -o "$HARNESS_DIR/body" -w '%{http_code}' "$@" "$url")
}
i=0
code=000
while [ $i -lt 300 ]; do
    request "$BASE_URL/api/health"
    [ "$code" = 200 ] && break
    kill -0 "$STRACE_PID" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
[ "$code" = 200 ] ||
    harness_bail "the traced serve never answered (last $code): $(tail -5 "$HARNESS_DIR/traced.log")"
logged=$(sed -n 's/^savealife\[\([0-9]*\)\]: info: listening .*/\1/p' "$HARNESS_DIR/traced.log" | head -n 1)
[ "$logged" = "$master" ] ||
    harness_bail "the master ($logged) is not strace's child ($master): $(head -5 "$HARNESS_DIR/traced.log")"
grep -q "listening on fd 3" "$HARNESS_DIR/traced.log" ||
    harness_bail "serve did not take its socket from systemd-socket-activate: $(head -3 "$HARNESS_DIR/traced.log")"

auth="Authorization: Bearer $ADMIN_TOKEN"
json='Content-Type: application/json'
served=0
traffic() { # TAG: a few requests of every kind that reaches DynamoDB; counts the right answers
    request "$BASE_URL/api/companies" -X POST -H "$auth" -H "$json" \
        -d "{\"name\":\"Sandbox $1 $$\",\"keywords\":[\"strace\"]}"
    [ "$code" = 201 ] && served=$((served + 1))
    request "$BASE_URL/api/companies/sandbox%20$1%20$$"
    [ "$code" = 200 ] && served=$((served + 1))
    request "$BASE_URL/api/companies?limit=5"
    [ "$code" = 200 ] && served=$((served + 1))
    request "$BASE_URL/api/donors" -X POST -H "$json" \
        -d "{\"email\":\"$1.$$@example.org\",\"first_name\":\"S\",\"city\":\"Trace\",\"type\":\"O+\"}"
    [ "$code" = 201 ] && served=$((served + 1))
    request "$BASE_URL/api/donors?city=Trace" -H "$auth"
    [ "$code" = 200 ] && served=$((served + 1))
    request "$BASE_URL/api/status" -H "$auth"
    [ "$code" = 200 ] && served=$((served + 1))
    request "$BASE_URL/api/ready"
    [ "$code" = 200 ] && served=$((served + 1))
}
traffic before
# A reload as ExecReload asks for it (the master answers the asker): new workers, which must
# then serve too.
timeout 60 "$TOP_BUILDDIR/savealife" reload "$master" >"$HARNESS_DIR/reload.out" 2>&1 ||
    harness_bail "savealife reload failed: $(cat "$HARNESS_DIR/reload.out")"
grep -q "workers of generation 2 accept connections" "$HARNESS_DIR/traced.log" ||
    harness_bail "the reload did not complete: $(tail -3 "$HARNESS_DIR/traced.log")"
traffic after
check "the traced service answered all 14 requests before and after a reload ($served)" \
    [ $served -eq 14 ]
kill -TERM "$master"
i=0
while kill -0 "$STRACE_PID" 2>/dev/null && [ $i -lt 400 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -0 "$STRACE_PID" 2>/dev/null && harness_bail "the traced serve did not stop in 40 s"
wait "$STRACE_PID"
check "and stopped on SIGTERM" grep -q "info: stopped" "$HARNESS_DIR/traced.log"

# What the program did, from its exec on (systemd-socket-activate's own calls come first, in
# the same process, and are not the service's).
awk -v prog="$TOP_BUILDDIR/savealife" '
    !started && index($0, "execve(\"" prog "\"") { started = 1 }
    started' "$TRACE" >"$HARNESS_DIR/trace.service"
lines=$(wc -l <"$HARNESS_DIR/trace.service")
check "the trace has the service's calls from its exec ($lines lines)" [ "$lines" -gt 100 ]

# System call names: "PID name(args) = ret", "PID name(args <unfinished ...>"; the
# "<... name resumed>" halves are the same calls.
awk '{ $1 = ""; sub(/^ /, "") } /^<\.\.\./ { next } match($0, /^[a-z0-9_]+\(/) { print substr($0, 1, RLENGTH - 1) }' \
    "$HARNESS_DIR/trace.service" | sort -u >"$HARNESS_DIR/calls"
comm -23 "$HARNESS_DIR/calls" "$HARNESS_DIR/allowed" >"$HARNESS_DIR/refused"
if [ ! -s "$HARNESS_DIR/refused" ] && [ -s "$HARNESS_DIR/calls" ]; then
    ok "every one of its $(wc -l <"$HARNESS_DIR/calls") system calls is in the unit's SystemCallFilter"
else
    not_ok "every one of its system calls is in the unit's SystemCallFilter" \
        "refused: $(tr '\n' ' ' <"$HARNESS_DIR/refused")"
fi

families=$(unit_value "$SERVICE" Service RestrictAddressFamilies)
grep -oE '(socket|socketpair)\(AF_[A-Z0-9]+' "$HARNESS_DIR/trace.service" |
    sed 's/.*(//' | sort -u >"$HARNESS_DIR/families"
bad_families=""
while read -r f; do
    case " $families " in *" $f "*) continue ;; esac
    if [ "$f" = AF_NETLINK ]; then
        # glibc's getaddrinfo asks the kernel for the host's addresses over netlink to sort
        # results; refused (EAFNOSUPPORT) it assumes both IPv4 and IPv6 and goes on.
        echo "# AF_NETLINK used (glibc's address sorting: it copes with a refusal)"
    else
        bad_families="$bad_families $f"
    fi
done <"$HARNESS_DIR/families"
check "its sockets ($(tr '\n' ' ' <"$HARNESS_DIR/families")) are all in RestrictAddressFamilies" \
    sh -c "[ -s '$HARNESS_DIR/families' ] && [ -z '$bad_families' ]"

# ProtectSystem=strict: nothing is writable but /dev's few nodes and the private /tmp. The
# test's own paths are under /tmp, so a write there would pass; none is expected anyway.
writes=$(grep -E '(open|openat|creat)\(' "$HARNESS_DIR/trace.service" |
    grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC' | grep -oE '"[^"]*"' |
    grep -vE '^"/dev/(null|zero|full|u?random|tty)"$|^"/tmp/|^"/var/tmp/' | sort -u | tr '\n' ' ')
check "it opens no file for writing outside /dev and /tmp (ProtectSystem=strict)" [ -z "$writes" ]
[ -z "$writes" ] || echo "# written: $writes"
changes=$(grep -E '^[0-9]+ +(mkdir|mkdirat|unlink|unlinkat|rename|renameat2?|link|linkat|symlink|symlinkat|chmod|fchmodat|truncate)\(' \
    "$HARNESS_DIR/trace.service" | grep -oE '"[^"]*"' | grep -vE '^"/tmp/' | sort -u | tr '\n' ' ')
check "and changes nothing in the file system outside /tmp" [ -z "$changes" ]
[ -z "$changes" ] || echo "# changed: $changes"

# ProcSubset=pid and ProtectProc=invisible: only its own processes under /proc.
procs=$(grep -oE '"/proc/[^"]*"' "$HARNESS_DIR/trace.service" |
    grep -vE '^"/proc/(self|thread-self|[0-9]+)(/|")' | sort -u | tr '\n' ' ')
check "it reads nothing under /proc but its own processes (ProcSubset=pid)" [ -z "$procs" ]
[ -z "$procs" ] || echo "# /proc: $procs"
homes=$(grep -oE '"(/home|/root|/run/user)(/[^"]*)?"' "$HARNESS_DIR/trace.service" | sort -u |
    tr '\n' ' ')
check "and nothing under /home, /root or /run/user (ProtectHome=)" [ -z "$homes" ]
[ -z "$homes" ] || echo "# homes: $homes"
exit $failed
