#!/bin/sh
# The Debian package under a real systemd: a Debian root made with debootstrap (the host's
# release and apt mirror, cached under the build tree) boots in systemd-nspawn with systemd as
# its PID 1; the .deb that tests/package/deb.sh left in $BUILDDIR/package/ is installed with
# dpkg and configured as README's Operations tells an operator; then savealife.socket alone is
# enabled, and socket activation, the notify protocol (READY, RELOADING, STATUS), the sandbox,
# reload, restart, stop and the security score are checked as systemd itself reports them.
#
#   tests/package/systemd_boot.sh [BUILDDIR]   (default: build/default; TAP on standard output)
#
# The container shares the host's network: dynalite runs on the host (tests/lib/harness.sh),
# nginx inside listens on a free loopback port, and requests come from the host. Its root is
# mounted read-only under a tmpfs overlay (--volatile=overlay), so every run starts from the
# same freshly made system and the cached root is never changed. Root and the capability to
# make namespaces are needed; without them every check is skipped, with the reason.
#
# Every step is bounded (timeout(1), bounded polls); the container is powered off through its
# own systemctl and waited for by pid, and killed by pid past a deadline, also on a bail-out.

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOP_BUILDDIR=${1:-${TOP_BUILDDIR:-$TOP_SRCDIR/build/default}}
export TOP_SRCDIR TOP_BUILDDIR
. "$TOP_SRCDIR/tests/lib/harness.sh"
. "$TOP_SRCDIR/tests/tools/process-lib.sh"

STARTED=$(date +%s)
# The service's static pool: small, and known, so systemd's STATUS= line can be checked.
WORKERS=4
# No worker is recycled during the test (the request loops stay far below this), so the
# worker pids seen change only through a reload or a restart.
MAX_REQUESTS=1000000

# Nothing of the caller's configuration reaches the commands run here or in the container.
for var in $(env | sed -n 's/^\(SAVEALIFE_[A-Za-z0-9_]*\|AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

# Lines of a command's output as TAP diagnostics (at most 40).
diag() {
    sed -n '1,40s/^/# /p'
}

# boot_poll SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds (0) or SECONDS have
# passed by the clock (1): bounded even when COMMAND itself takes a while (nsenter, systemctl).
boot_poll() {
    _bp_end=$(($(date +%s) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$_bp_end" ] && return 1
        sleep 0.2
    done
}

skip_all() {
    echo "ok 1 # SKIP $*"
    echo "1..1"
    exit 0
}

# ---- can this machine boot a container at all? ----
[ "$(id -u)" -eq 0 ] || skip_all "booting a container needs root (uid $(id -u))"
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
# CAP_SYS_ADMIN is bit 21: without it no mount or pid namespace can be made.
[ $((0x${capeff:-0} >> 21 & 1)) -eq 1 ] ||
    skip_all "booting a container needs CAP_SYS_ADMIN (CapEff $capeff)"
if ! err=$(timeout 20 unshare --mount --pid --fork true 2>&1); then
    skip_all "this machine cannot make mount and pid namespaces: $err"
fi
for tool in systemd-nspawn debootstrap nsenter unshare dpkg-deb pgrep node curl; do
    command -v "$tool" >/dev/null 2>&1 ||
        harness_bail "$tool is not installed (scripts/lib.sh installs systemd-container, debootstrap)"
done

version=$(sed -n 's/^AC_INIT(\[savealife\], *\[\([^]]*\)\].*/\1/p' "$TOP_SRCDIR/configure.ac")
[ -n "$version" ] || harness_bail "no version in configure.ac's AC_INIT"
arch=$(dpkg --print-architecture)
DEB=$TOP_BUILDDIR/package/savealife_${version}_$arch.deb
[ -f "$DEB" ] || harness_bail "no $DEB: tests/package/deb.sh $TOP_BUILDDIR builds it and leaves it there"

# ---- the container's lifetime ----
NSPAWN_PID=""
TIMEOUT_PID=""
CT_PID=""
MACHINE=savealife-test-$$

# ct COMMAND...: runs COMMAND inside the container (all its namespaces) as root, with a clean
# environment, as an operator's shell would; 60 s at most.
ct() {
    timeout -k 5 60 nsenter -t "$CT_PID" -a \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# ct_poweroff: systemctl poweroff inside, then the nspawn process waited for (30 s), then
# nspawn and the container's init SIGKILLed by pid if still there.
ct_poweroff() {
    if [ -z "$NSPAWN_PID" ]; then
        # nspawn never found (or gone): timeout(1) passes SIGTERM on to whatever it runs.
        [ -n "$TIMEOUT_PID" ] && kill -TERM "$TIMEOUT_PID" 2>/dev/null && wait "$TIMEOUT_PID"
        TIMEOUT_PID=""
        return 0
    fi
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
        if [ -z "$CT_PID" ] ||
            ! timeout 20 nsenter -t "$CT_PID" -a systemctl poweroff >/dev/null 2>&1; then
            # nspawn asks the container's init to halt on SIGTERM.
            echo "# systemctl poweroff failed inside the container: SIGTERM to nspawn"
            kill -TERM "$NSPAWN_PID" 2>/dev/null
            POWEROFF_CLEAN=0
        fi
        i=0
        while kill -0 "$NSPAWN_PID" 2>/dev/null && [ $i -lt 300 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            echo "# the container did not power off within 30 s: killed"
            [ -n "$CT_PID" ] && kill -KILL "$CT_PID" 2>/dev/null
            kill -KILL "$NSPAWN_PID" 2>/dev/null
            POWEROFF_CLEAN=0
        fi
    fi
    wait "$TIMEOUT_PID" 2>/dev/null
    NSPAWN_STATUS=$?
    NSPAWN_PID=""
    TIMEOUT_PID=""
}

boot_cleanup() {
    ct_poweroff
    harness_cleanup
}
trap boot_cleanup EXIT

# ---- the root: made once per release, mirror and package list, then reused ----
# The .deb is built on this host against its libraries, so the container runs the host's
# Debian release, from the mirror the host's apt uses.
suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || harness_bail "no VERSION_CODENAME in /etc/os-release: not a Debian host?"
# The first deb822 source (or sources.list line) carrying the suite itself.
mirror=${DEBOOTSTRAP_MIRROR:-$(
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk -v s="$suite" '
            function found() { if (uri != "" && has && deb && on) { print uri; exit } }
            BEGIN { on = 1 }
            /^[ \t]*$/ { found(); uri = ""; has = 0; deb = 0; on = 1; next }
            tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) has = 1 }
            tolower($1) == "enabled:" && tolower($2) == "no" { on = 0 }
            END { found() }' "$f"
    done | head -n 1
    [ -f /etc/apt/sources.list ] && sed -n "s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) $suite .*/\2/p" \
        /etc/apt/sources.list | head -n 1
)}
mirror=$(printf '%s\n' "$mirror" | head -n 1)
[ -n "$mirror" ] || harness_bail "no apt source for $suite on this host (set DEBOOTSTRAP_MIRROR)"

# systemd and what an operator's machine has for this service, plus every package the .deb
# depends on (the first of each alternative), so that dpkg -i needs no network.
depends=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g')
packages=$(printf '%s\n' systemd systemd-sysv dbus nginx-light curl adduser ca-certificates \
    $depends | sed '/^$/d' | sort -u | tr '\n' ',' | sed 's/,$//')
ROOT_DIR=$TOP_BUILDDIR/nsroot-$suite
# What the cached root was made from: a change to any of it makes it again.
key="debootstrap --variant=minbase --include=$packages $suite $mirror"

# One run at a time per build tree: another would remake the root under a booted container.
exec 9>"$ROOT_DIR.lock" || harness_bail "cannot open $ROOT_DIR.lock"
timeout 600 flock 9 || harness_bail "another run holds $ROOT_DIR.lock"

# remove_tree DIR: a root left by a killed debootstrap may still have /proc or /sys mounted.
remove_tree() {
    for m in $(awk -v d="$1" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$1"
}

if [ -x "$ROOT_DIR/usr/lib/systemd/systemd" ] && [ "$(cat "$ROOT_DIR.key" 2>/dev/null)" = "$key" ]; then
    ok "the Debian $suite root is cached ($ROOT_DIR)"
else
    t0=$(date +%s)
    remove_tree "$ROOT_DIR"
    remove_tree "$ROOT_DIR.new"
    rm -f "$ROOT_DIR.key"
    if timeout 600 debootstrap --variant=minbase --include="$packages" "$suite" "$ROOT_DIR.new" \
        "$mirror" >"$HARNESS_DIR/debootstrap.log" 2>&1 &&
        mv "$ROOT_DIR.new" "$ROOT_DIR" && printf '%s\n' "$key" >"$ROOT_DIR.key"; then
        ok "debootstrap makes a Debian $suite root in $(($(date +%s) - t0)) s"
    else
        not_ok "debootstrap makes a Debian $suite root" "$key"
        tail -20 "$HARNESS_DIR/debootstrap.log" | diag
        remove_tree "$ROOT_DIR.new"
        harness_bail "no root to boot"
    fi
fi
echo "# packages: $packages"

# ---- boot ----
timeout -k 15 600 systemd-nspawn --quiet -D "$ROOT_DIR" --volatile=overlay -b \
    --register=no --keep-unit --console=pipe --machine="$MACHINE" \
    </dev/null >"$HARNESS_DIR/nspawn.log" 2>&1 &
TIMEOUT_PID=$!
POWEROFF_CLEAN=1
nspawn_child() {
    NSPAWN_PID=$(pgrep -P "$TIMEOUT_PID" -x systemd-nspawn | head -n 1)
    [ -n "$NSPAWN_PID" ] && CT_PID=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n 1)
    [ -n "$CT_PID" ]
}
nspawn_exited() {
    ! kill -0 "$TIMEOUT_PID" 2>/dev/null
}
i=0
while ! nspawn_child; do
    if nspawn_exited || [ $i -ge 300 ]; then
        not_ok "systemd-nspawn boots the root with systemd as its init"
        diag <"$HARNESS_DIR/nspawn.log"
        harness_bail "no container"
    fi
    sleep 0.1
    i=$((i + 1))
done

# The manager answers once its private socket exists; "starting" until the boot is done.
state=""
boot_done() {
    state=$(ct systemctl is-system-running 2>/dev/null)
    case $state in running | degraded | maintenance | stopping | offline) return 0 ;; esac
    nspawn_exited && return 0
    return 1
}
t0=$(date +%s)
boot_end=$((t0 + 90))
while ! boot_done && [ "$(date +%s)" -lt "$boot_end" ]; do
    sleep 0.2
done
NGINX_FAILED_AT_BOOT=0
if [ "$state" = running ]; then
    ok "the container boots: systemd is-system-running says running ($(($(date +%s) - t0)) s)"
elif [ "$state" = degraded ]; then
    failed_units=$(ct systemctl list-units --failed --plain --no-legend 2>/dev/null | awk '{print $1}')
    echo "# is-system-running: degraded; failed units: $(echo $failed_units)"
    # nginx's default site listens on port 80 of the network the container shares with the
    # host: taken there, it fails. The test moves the site to a free port, so that alone is
    # not the package's fault; anything else is.
    if [ "$failed_units" = nginx.service ] &&
        ct journalctl -u nginx.service -b --no-pager 2>/dev/null | grep -q 'Address already in use'; then
        NGINX_FAILED_AT_BOOT=1
        ok "the container boots (degraded only because port 80 of the shared network is taken)"
    else
        not_ok "the container boots: systemd is-system-running says running" \
            "degraded; failed units: $(echo $failed_units)"
        for u in $failed_units; do
            ct systemctl status --no-pager -n 5 "$u" 2>&1 | diag
        done
    fi
else
    not_ok "the container boots: systemd is-system-running says running" "got '${state:-nothing}'"
    diag <"$HARNESS_DIR/nspawn.log"
    harness_bail "the container did not boot"
fi

# svc_show PROPERTY: one property of savealife.service as systemd has it.
svc_show() {
    ct systemctl show -p "$1" --value savealife.service
}
# journal: the service's journal since boot.
journal() {
    ct journalctl -u savealife.service -b --no-pager -o cat
}
# workers_of PID: the children of PID inside the container, sorted.
workers_of() {
    ct sh -c "grep -l '^PPid:[[:space:]]*$1\$' /proc/[0-9]*/status 2>/dev/null" |
        sed 's|/proc/\([0-9]*\)/status|\1|' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
svc_active() {
    [ "$(svc_show ActiveState)" = active ]
}
journal_has() {
    journal | grep -q -F "$1"
}

# ---- the package ----
ct sh -c 'cat >/root/savealife.deb' <"$DEB" || harness_bail "cannot copy the package into the container"
if ct env DEBIAN_FRONTEND=noninteractive dpkg -i /root/savealife.deb >"$HARNESS_DIR/dpkg.log" 2>&1; then
    ok "dpkg -i ${DEB##*/} installs it (its dependencies are in the root)"
else
    not_ok "dpkg -i ${DEB##*/} installs it"
    tail -20 "$HARNESS_DIR/dpkg.log" | diag
    harness_bail "the package is not installed"
fi
for u in savealife.socket savealife.service; do
    enabled=$(ct systemctl is-enabled "$u" 2>&1)
    active=$(ct systemctl is-active "$u" 2>&1)
    [ "$enabled" = disabled ] && [ "$active" = inactive ] &&
        ok "$u is installed, neither enabled nor active" ||
        not_ok "$u is installed, neither enabled nor active" "is-enabled: $enabled" "is-active: $active"
done
loaded="LoadState=$(svc_show LoadState) NeedDaemonReload=$(svc_show NeedDaemonReload)"
check "systemd has the new units loaded, no reload pending (postinst): $loaded" \
    test "$loaded" = "LoadState=loaded NeedDaemonReload=no"
# systemd's own checks of the installed units, executables included (man pages aside: the
# minimal root has no man-db).
if ct systemd-analyze verify --man=no /lib/systemd/system/savealife.socket \
    /lib/systemd/system/savealife.service >"$HARNESS_DIR/verify.log" 2>&1 &&
    [ ! -s "$HARNESS_DIR/verify.log" ]; then
    ok "systemd-analyze verify finds nothing wrong in the installed units"
else
    not_ok "systemd-analyze verify finds nothing wrong in the installed units"
    diag <"$HARNESS_DIR/verify.log"
fi
check "no savealife process runs" test -z "$(ct sh -c 'cat /proc/[0-9]*/comm' | grep -x savealife)"
pw=$(ct getent passwd savealife)
case $pw in
savealife:x:*:*::/nonexistent:/usr/sbin/nologin) ok "the user savealife exists, no home, no shell" ;;
*) not_ok "the user savealife exists, no home, no shell" "passwd: $pw" ;;
esac
SVC_UID=$(echo "$pw" | cut -d: -f3)
perms=$(ct stat -c '%a %U:%G' /etc/savealife/tokens 2>&1)
check "/etc/savealife/tokens is 0640 root:savealife ($perms)" test "$perms" = "640 root:savealife"

# ---- configured as an operator does (README: Configure, Start) ----
harness_start_dynalite
harness_wait_dynalite
DDB_URL=$AWS_ENDPOINT_URL_DYNAMODB
unset AWS_ENDPOINT_URL_DYNAMODB
# The site's port: free on the loopback addresses the container shares.
PORT=$(harness_free_port) || harness_bail "no free port"
BASE_URL=http://127.0.0.1:$PORT

printf '%s\n' '' '# savealife_boot test' AWS_REGION=us-east-1 \
    "AWS_ENDPOINT_URL_DYNAMODB=$DDB_URL" AWS_ACCESS_KEY_ID=AKIDLOCALTEST \
    AWS_SECRET_ACCESS_KEY=local-test-secret AWS_EC2_METADATA_DISABLED=true \
    "SAVEALIFE_WORKERS=$WORKERS" "SAVEALIFE_MAX_REQUESTS=$MAX_REQUESTS" |
    ct sh -c 'cat >>/etc/savealife/savealife.env' ||
    harness_bail "cannot write /etc/savealife/savealife.env"

ADMIN_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
printf '%s\n' "$ADMIN_TOKEN" | ct sh -c 'savealife hash-token >>/etc/savealife/tokens'
digest=$(printf '%s' "$ADMIN_TOKEN" | sha256sum | cut -d' ' -f1)
check "savealife hash-token wrote the token's SHA-256 (as sha256sum says) to the tokens file" \
    test "$(ct cat /etc/savealife/tokens)" = "$digest"

if ct sh -c 'set -a && . /etc/savealife/savealife.env && savealife create-tables' \
    >"$HARNESS_DIR/create-tables.log" 2>&1; then
    ok "savealife create-tables with the environment file exits 0"
else
    not_ok "savealife create-tables with the environment file exits 0"
    diag <"$HARNESS_DIR/create-tables.log"
fi
# ddb TARGET BODY: one DynamoDB call to dynalite from the host (it checks no signature).
ddb() {
    curl -s --max-time 10 -X POST "$DDB_URL/" -H 'Content-Type: application/x-amz-json-1.0' \
        -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'X-Amz-Date: 20260101T000000Z' \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
        -d "$2"
}
tables=$(ddb ListTables '{}')
for t in $(sed -n 's/^ *"TableName": *"\([^"]*\)".*/\1/p' "$TOP_SRCDIR"/schema/*.json); do
    case $tables in
    *"\"$t\""*) ok "dynalite on the host has the table $t" ;;
    *) not_ok "dynalite on the host has the table $t" "ListTables: $tables" ;;
    esac
done

# The site on the free port (loopback only), its log paths left as they are; the default
# site's link removed.
has_v6=0
[ -f /proc/net/if_inet6 ] && has_v6=1
ct sh -c "sed -i -e 's/^\([[:space:]]*\)listen 80;/\1listen 127.0.0.1:$PORT;/' \
    -e 's/^\([[:space:]]*\)listen \[::\]:80;/\1listen [::1]:$PORT;/' \
    /etc/nginx/sites-available/savealife.conf &&
    if [ $has_v6 = 0 ]; then sed -i '/listen \[::1\]/d' /etc/nginx/sites-available/savealife.conf; fi &&
    ln -s ../sites-available/savealife.conf /etc/nginx/sites-enabled/ &&
    rm /etc/nginx/sites-enabled/default" || harness_bail "cannot enable the nginx site"
listens=$(ct grep -c "listen .*:$PORT;" /etc/nginx/sites-available/savealife.conf)
check "the site listens on port $PORT only" \
    test "$listens" -ge 1 -a -z "$(ct grep -E 'listen[^;]*\b80;' /etc/nginx/sites-available/savealife.conf)"
if ct nginx -t >"$HARNESS_DIR/nginx-t.log" 2>&1; then
    ok "nginx -t accepts the site"
else
    not_ok "nginx -t accepts the site"
    diag <"$HARNESS_DIR/nginx-t.log"
fi
how=reloaded
if [ "$NGINX_FAILED_AT_BOOT" = 1 ]; then
    # Nothing runs to reload: started with the site instead.
    how=started
    ct systemctl restart nginx >"$HARNESS_DIR/nginx-reload.log" 2>&1
else
    ct systemctl reload nginx >"$HARNESS_DIR/nginx-reload.log" 2>&1
fi
rc=$?
index_served() {
    curl -s --max-time 2 "$BASE_URL/" 2>/dev/null | cmp -s - "$TOP_SRCDIR/web/index.html"
}
if [ $rc -eq 0 ] && pl_poll 10 index_served; then
    ok "nginx ($how) serves the packaged web/index.html on $BASE_URL"
else
    not_ok "nginx ($how) serves the packaged web/index.html on $BASE_URL" "systemctl: $rc"
    diag <"$HARNESS_DIR/nginx-reload.log"
    harness_bail "nginx does not serve the site"
fi
code=$(pl_http_code "$BASE_URL/api/health")
check "before the socket is enabled, /api/health answers 502 (got $code)" test "$code" = 502

# ---- socket activation ----
ct systemctl enable --now savealife.socket >"$HARNESS_DIR/enable.log" 2>&1
rc=$?
s_state=$(ct systemctl is-active savealife.socket)
s_enabled=$(ct systemctl is-enabled savealife.socket)
[ $rc -eq 0 ] && [ "$s_state" = active ] && [ "$s_enabled" = enabled ] &&
    ok "systemctl enable --now savealife.socket: enabled, listening" ||
    not_ok "systemctl enable --now savealife.socket: enabled, listening" "exit $rc, $s_state, $s_enabled"
svc=$(ct systemctl is-active savealife.service)
check "savealife.service is still inactive ($svc)" test "$svc" = inactive
sock=$(ct stat -c '%F %a %U:%G' /run/savealife/fcgi.sock 2>&1)
check "/run/savealife/fcgi.sock is a socket, 0660 root:www-data ($sock)" \
    test "$sock" = "socket 660 root:www-data"

out=$(curl -s --max-time 30 -w ' %{http_code}' "$BASE_URL/api/health")
check "the first request through nginx starts the service: GET /api/health ($out)" \
    test "$out" = '{"status":"ok"} 200'
if boot_poll 20 svc_active; then
    ok "savealife.service is active now (READY=1 came)"
else
    not_ok "savealife.service is active now (READY=1 came)" "ActiveState=$(svc_show ActiveState)"
    journal | tail -20 | diag
    harness_bail "the service did not start"
fi
MAIN=$(svc_show MainPID)
check "the master took systemd's socket (fd 3)" \
    journal_has "listening on fd 3 from systemd, unix:/run/savealife/fcgi.sock"
# journald took the line's "<6>" as its priority (it strips only what it parses) and adds
# the name and pid itself: the message is "[pid] info: ...", not "savealife[pid]: ...".
journal_prefix_ok() {
    ct journalctl -u savealife.service -b --no-pager -o cat -p info 2>/dev/null |
        grep -q -E "^\[$MAIN\] info: listening on fd 3 from systemd"
}
check "the journal filed the master's lines under their priority, without a second name" \
    journal_prefix_ok

# A sign-up (anyone) and a company (admin: the tokens file is read through the group).
email="boot-$$@example.org"
code=$(pl_http_code "$BASE_URL/api/donors" -X POST -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"first_name\":\"Ana\",\"city\":\"Porto\",\"type\":\"O+\"}")
check "POST /api/donors signs a donor up: 201 (got $code)" test "$code" = 201
company=Bootco$$
cid=$(echo "$company" | tr 'A-Z' 'a-z')
code=$(curl -s -o "$HARNESS_DIR/company.json" -D "$HARNESS_DIR/company.hdr" -w '%{http_code}' \
    --max-time 15 -X POST "$BASE_URL/api/companies" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"$company\"}")
check "POST /api/companies with the admin token: 201 (got $code)" test "$code" = 201
COMPANY_RID=$(harness_header X-Request-Id "$HARNESS_DIR/company.hdr")
scan=$(ddb Scan '{"TableName":"companies"}')
donors=$(ddb Scan '{"TableName":"donors"}')
case "$scan $donors" in
*"\"$cid\""*"\"$email\""*) ok "dynalite holds the company and the donor" ;;
*) not_ok "dynalite holds the company and the donor" "companies: $scan" "donors: $donors" ;;
esac

# The sandbox, as the kernel shows it for the master and one of its workers.
worker=$(workers_of "$MAIN" | cut -d' ' -f1)
for p in "$MAIN" "$worker"; do
    what=master
    [ "$p" = "$MAIN" ] || what=worker
    st=$(ct cat "/proc/$p/status" 2>/dev/null)
    field() { printf '%s\n' "$st" | awk -v f="$1:" '$1 == f { print $2 }'; }
    check "the $what ($p) runs as savealife (uid $SVC_UID): Uid $(field Uid)" \
        test -n "$SVC_UID" -a "$(field Uid)" = "$SVC_UID"
    check "the $what has NoNewPrivs 1" test "$(field NoNewPrivs)" = 1
    check "the $what has no effective capability (CapEff $(field CapEff))" \
        test "$(field CapEff)" = 0000000000000000
    check "the $what runs under a seccomp filter (Seccomp $(field Seccomp))" test "$(field Seccomp)" = 2
done

# The master's own view of the system: its mount and user namespaces.
mounts=$(ct cat "/proc/$MAIN/mountinfo" 2>/dev/null)
root_opts=$(printf '%s\n' "$mounts" | awk '$5 == "/" { o = $6 } END { print o }')
case $root_opts in
ro | ro,*) ok "the master sees / read-only (ProtectSystem=strict): $root_opts" ;;
*) not_ok "the master sees / read-only (ProtectSystem=strict)" "/ mounted ${root_opts:-?}" ;;
esac
home=$(printf '%s\n' "$mounts" | awk '$5 == "/home" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); exit } }')
check "the master's /home is an empty tmpfs (ProtectHome=tmpfs): ${home:-none}" test "$home" = tmpfs
# PrivateUsers=yes maps root and the service's user alone, one id each.
map=$(ct cat "/proc/$MAIN/uid_map" 2>/dev/null | awk '{ n++; s += $3 } END { print n + 0, s + 0 }')
check "the master's user namespace maps 2 uids, not the host's range (PrivateUsers): $map" \
    test "$map" = "2 2"

# The notify settings are the unit's.
unit=$(ct systemctl cat savealife.service)
unit_value() {
    printf '%s\n' "$unit" | sed -n "s/^$1=//p" | tail -n 1
}
wd=$(unit_value WatchdogSec)
case $wd in *[!0-9]*) ;; *) wd=${wd}s ;; esac
props=$(ct systemctl show -p Type -p NotifyAccess -p WatchdogUSec savealife.service | sort | tr '\n' ' ')
want="NotifyAccess=$(unit_value NotifyAccess) Type=$(unit_value Type) WatchdogUSec=$wd "
check "systemctl show: $props(the unit: $want)" test "$props" = "$want"

status_text=""
status_is_pool() {
    status_text=$(svc_show StatusText)
    case $status_text in "$WORKERS workers: "*) return 0 ;; esac
    return 1
}
if boot_poll 12 status_is_pool; then
    ok "StatusText is the master's STATUS= line: $status_text"
else
    not_ok "StatusText is the master's STATUS= line ($WORKERS workers: ...)" "got: $status_text"
fi
# accepted STATUS: the "N requests accepted" figure of a STATUS= line.
accepted() {
    printf '%s\n' "$1" | sed -n 's/.*; \([0-9]*\) requests accepted.*/\1/p'
}
first=$(accepted "$status_text")
for i in 1 2 3 4 5; do
    pl_http_code "$BASE_URL/api/health" >/dev/null
done
status_counts() {
    status_is_pool && [ "$(accepted "$status_text")" -ge $((${first:-0} + 5)) ]
}
if [ -n "$first" ] && boot_poll 12 status_counts; then
    ok "StatusText follows the requests: $status_text"
else
    not_ok "StatusText follows the 5 requests sent since (from $first accepted)" "now: $status_text"
fi

# ---- reload ----
old_workers=$(workers_of "$MAIN")
echo "# master $MAIN, workers $old_workers"
ERR_LINES=$(ct sh -c 'wc -l </var/log/nginx/savealife.error.log')
pl_loop_start "$BASE_URL/api/companies/$cid" --concurrency 2 --max-seconds 90
pl_poll 20 pl_loop_at_least 20 || harness_bail "the request loop does not advance"
t0=$(date +%s%N)
ct systemctl reload savealife >"$HARNESS_DIR/reload.log" 2>&1
rc=$?
new_workers=$(workers_of "$MAIN")
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 0 ]; then
    ok "systemctl reload savealife exits 0 ($ms ms)"
else
    not_ok "systemctl reload savealife exits 0 (got $rc)"
    diag <"$HARNESS_DIR/reload.log"
    journal | grep -E 'reload|Reload|kill' | tail -10 | diag
fi
# The old workers may still finish requests in flight: count the ones that were not there.
added=$(for p in $new_workers; do pl_disjoint "$p" "$old_workers" && echo "$p"; done |
    tr '\n' ' ' | sed 's/ $//')
set -- $added
[ $# -eq "$WORKERS" ] && ok "when it returns, $WORKERS new workers are there: $added" ||
    not_ok "when it returns, $WORKERS new workers are there" "before: $old_workers" "after: $new_workers"
check "MainPID is the same master ($MAIN)" test "$(svc_show MainPID)" = "$MAIN"
reload_logged() {
    journal >"$HARNESS_DIR/journal.txt"
    grep -q '^Reloading savealife.service' "$HARNESS_DIR/journal.txt" &&
        grep -q '^Reloaded savealife.service' "$HARNESS_DIR/journal.txt" &&
        grep -q "info: reload: the $WORKERS workers of generation 2 accept connections" \
            "$HARNESS_DIR/journal.txt"
}
if boot_poll 5 reload_logged; then
    ok "the journal has systemd's Reloading/Reloaded and the master's generation 2 accepting"
else
    not_ok "the journal has systemd's Reloading/Reloaded and the master's generation 2 accepting"
    grep -i reload "$HARNESS_DIR/journal.txt" | tail -10 | diag
fi
old_gone() {
    [ "$(workers_of "$MAIN")" = "$added" ]
}
# (No new workers: nothing to wait for.)
if [ -n "$added" ] && boot_poll 20 old_gone; then
    ok "the old workers exit; the new ones alone remain"
else
    not_ok "the old workers exit; the new ones alone remain" "workers: $(workers_of "$MAIN")"
fi
at=$(pl_loop_done)
check "the request loop goes on after the reload" pl_poll 20 pl_loop_at_least $((at + 20))

# ---- restart, while requests run ----
t0=$(date +%s%N)
ct systemctl restart savealife >"$HARNESS_DIR/restart.log" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 0 ] && ok "systemctl restart savealife exits 0 ($ms ms)" ||
    { not_ok "systemctl restart savealife exits 0 (got $rc)"; diag <"$HARNESS_DIR/restart.log"; }
NEW_MAIN=$(svc_show MainPID)
check "MainPID changed ($MAIN -> $NEW_MAIN)" test -n "$NEW_MAIN" -a "$NEW_MAIN" != 0 -a "$NEW_MAIN" != "$MAIN"
check "the old master is gone" test -z "$(ct sh -c "cat /proc/$MAIN/comm 2>/dev/null")"
MAIN=$NEW_MAIN
at=$(pl_loop_done)
check "the request loop goes on after the restart" pl_poll 20 pl_loop_at_least $((at + 20))
pl_loop_stop
lfailed=$(pl_loop_field failed)
echo "# loop: sent $(pl_loop_field sent), ok $(pl_loop_field ok), failed $lfailed"
if [ "${lfailed:-1}" -eq 0 ]; then
    ok "through the reload and the restart every request answered 200 (no 502)"
else
    not_ok "through the reload and the restart every request answered 200 (no 502)"
    pl_loop_failures
fi
refused=$(ct sh -c "tail -n +$((ERR_LINES + 1)) /var/log/nginx/savealife.error.log" |
    grep -c 'connect() to unix:/run/savealife/fcgi.sock failed')
check "nginx never failed to connect to the socket meanwhile ($refused times)" test "$refused" -eq 0

# ---- stop: the socket stays, the next request starts the service again ----
ct systemctl stop savealife >"$HARNESS_DIR/stop.log" 2>&1
rc=$?
result=$(svc_show Result)
state=$(svc_show ActiveState)
[ $rc -eq 0 ] && [ "$result" = success ] && [ "$state" = inactive ] &&
    ok "systemctl stop savealife: inactive, Result=success" ||
    not_ok "systemctl stop savealife: inactive, Result=success" "exit $rc, $state, Result=$result"
s_state=$(ct systemctl is-active savealife.socket)
sock=$(ct stat -c %F /run/savealife/fcgi.sock 2>&1)
check "savealife.socket stays active, its socket in place ($s_state, $sock)" \
    test "$s_state" = active -a "$sock" = socket
code=$(pl_http_code "$BASE_URL/api/companies/$cid")
check "the next request starts the service again: GET /api/companies/$cid 200 (got $code)" \
    test "$code" = 200
if boot_poll 20 svc_active && [ "$(svc_show MainPID)" != "$MAIN" ]; then
    ok "savealife.service is active again with a new master ($(svc_show MainPID))"
else
    not_ok "savealife.service is active again with a new master" "$(svc_show ActiveState)"
fi

# ---- the security score, as the live system computes it ----
ct systemd-analyze security --no-pager savealife.service >"$HARNESS_DIR/security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for savealife\.service: \([0-9.]*\).*/\1/p' \
    "$HARNESS_DIR/security.log")
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    ok "systemd-analyze security savealife.service: $score (at most 2.0)"
else
    not_ok "systemd-analyze security savealife.service: at most 2.0" "got '${score:-none}'"
    grep -v '✓' "$HARNESS_DIR/security.log" | diag
fi

# ---- the logs ----
line=$(ct grep -F "\"request_id\":\"$COMPANY_RID\"" /var/log/nginx/savealife.access.log | head -n 1)
printf '%s\n' "$line" >"$HARNESS_DIR/access.json"
logged=$(node -e '
    const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const ok = l.status === 201 && l.method === "POST" && /^[1-9][0-9]*$/.test(l.ddb_calls) &&
        /^[0-9]+$/.test(l.ddb_ms) && l.ddb_retries === "0";
    console.log((ok ? "ok " : "bad ") + JSON.stringify({ status: l.status,
        ddb_calls: l.ddb_calls, ddb_ms: l.ddb_ms, ddb_retries: l.ddb_retries }));
' "$HARNESS_DIR/access.json" 2>&1)
case $logged in
"ok "*) ok "the access log's JSON line of the company's POST has the DynamoDB figures ${logged#ok }" ;;
*) not_ok "the access log's JSON line of the company's POST has the DynamoDB figures" \
    "request id $COMPANY_RID: $logged" "$line" ;;
esac
journal >"$HARNESS_DIR/journal.txt"
deaths=$(grep -E 'warn: worker|error:|code=killed|code=dumped|[Ww]atchdog timeout|Failed with result' \
    "$HARNESS_DIR/journal.txt")
if [ -z "$deaths" ]; then
    ok "the journal has no worker death, crash or watchdog timeout"
else
    not_ok "the journal has no worker death, crash or watchdog timeout"
    printf '%s\n' "$deaths" | diag
fi
check "systemd restarted nothing on failure (NRestarts $(svc_show NRestarts))" \
    test "$(svc_show NRestarts)" = 0
# Kept for a look afterwards (HARNESS_KEEP=1): the whole journal of the boot.
ct journalctl -b --no-pager -o short-monotonic >"$HARNESS_DIR/journal-boot.txt" 2>&1

# ---- power off ----
t0=$(date +%s)
ct_poweroff
[ "$POWEROFF_CLEAN" = 1 ] && [ "$NSPAWN_STATUS" -eq 0 ] &&
    ok "the container powers off through systemctl poweroff ($(($(date +%s) - t0)) s)" ||
    not_ok "the container powers off through systemctl poweroff" "systemd-nspawn exit $NSPAWN_STATUS"
echo "# this test took $(($(date +%s) - STARTED)) s"
echo "1..$n"
[ "$failed" -eq 0 ]
