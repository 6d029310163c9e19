#!/bin/sh
# The Debian package, built from the release tarball as a user of it would: `make dist` in a
# configured build tree, then `dpkg-buildpackage -us -uc -b` in a temporary folder. Checks
# what the .deb holds (dpkg-deb -c) and says (dpkg-deb -I) against the install layout, and
# that lintian finds no error. As root with apt-get (CI is), installs it for real, checks the
# machine, removes and purges it.
#
#   tests/package/deb.sh [BUILDDIR]      (default: build/default; TAP on standard output)
#
# The expected values come from the real things: the version from configure.ac, the schema
# and web files from the source tree, the shared libraries from the ELF binary and dpkg's
# database, the system uid range from adduser.conf. Every step is bounded by timeout(1).

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOP_BUILDDIR=${1:-${TOP_BUILDDIR:-$TOP_SRCDIR/build/default}}
export TOP_SRCDIR TOP_BUILDDIR
. "$TOP_SRCDIR/tests/lib/harness.sh"

# Nothing of the caller's make or of a test run's configuration reaches the package build.
unset MAKEFLAGS MFLAGS MAKELEVEL DEB_BUILD_OPTIONS
for var in $(env | sed -n 's/^\(SAVEALIFE_[A-Za-z0-9_]*\|AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

INSTALLED_BY_US=0
deb_cleanup() {
    if [ "$INSTALLED_BY_US" = 1 ]; then
        timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
            -o DPkg::Lock::Timeout=120 savealife >/dev/null 2>&1
    fi
    harness_cleanup
}
trap deb_cleanup EXIT

# Lines of a command's output as TAP diagnostics (at most 40).
diag() {
    sed -n '1,40s/^/# /p'
}

[ -f "$TOP_BUILDDIR/Makefile" ] || harness_bail "$TOP_BUILDDIR is not a configured build tree"
for tool in dpkg-buildpackage dpkg-deb dh lintian objdump; do
    command -v "$tool" >/dev/null 2>&1 ||
        harness_bail "$tool is not installed (scripts/lib.sh installs debhelper, lintian, dpkg-dev)"
done

version=$(sed -n 's/^AC_INIT(\[savealife\], *\[\([^]]*\)\].*/\1/p' "$TOP_SRCDIR/configure.ac")
[ -n "$version" ] || harness_bail "no version in configure.ac's AC_INIT"
arch=$(dpkg --print-architecture)
work=$HARNESS_DIR/pkg
mkdir -p "$work" || harness_bail "cannot create $work"
# apt reads a local .deb as its _apt user.
chmod 0755 "$HARNESS_DIR" "$work"

# ---- the release tarball ----
tarball=savealife-$version.tar.gz
if timeout 600 make -s -C "$TOP_BUILDDIR" dist >"$work/dist.log" 2>&1 &&
    cp "$TOP_BUILDDIR/$tarball" "$work/"; then
    ok "make dist makes $tarball"
else
    not_ok "make dist makes $tarball"
    diag <"$work/dist.log"
    harness_bail "no release tarball"
fi
tar -xzf "$work/$tarball" -C "$work" || harness_bail "cannot unpack $tarball"
src=$work/savealife-$version
# The tarball's own debian/ is the one that must build; it is compared file for file with the
# source tree's, so nothing in debian/ (or this test, which scripts/test runs) is left out of
# EXTRA_DIST.
# (Leftovers of a dpkg-buildpackage run in the source tree itself are not sources.)
missing=$(cd "$TOP_SRCDIR" && find debian tests/package \( -path debian/savealife \
    -o -path debian/tmp -o -path debian/.debhelper \) -prune -o -type f ! -name files \
    ! -name '*.substvars' ! -name '*debhelper*' -print | sort | while read -r f; do
    [ -f "$src/$f" ] || echo "$f"
done)
if [ -z "$missing" ]; then
    ok "the release tarball carries every file of debian/ and tests/package/"
else
    # shellcheck disable=SC2086 # one diagnostic line a missing file
    not_ok "the release tarball carries every file of debian/ and tests/package/" \
        "building with the source tree's debian/ instead; missing from EXTRA_DIST:" $missing
    rm -rf "$src/debian" && cp -R "$TOP_SRCDIR/debian" "$src/debian" ||
        harness_bail "cannot copy debian/"
fi

# ---- the build ----
# tests/package/systemd_boot.sh boots the package in a container: it finds it in
# $TOP_BUILDDIR/package/, copied there once it is built, so a stale one never stands in.
kept=$TOP_BUILDDIR/package
rm -f "$kept/savealife_${version}_$arch.deb"
if (cd "$src" && timeout 1500 dpkg-buildpackage -us -uc -b -J"$(nproc)") >"$work/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b builds the tarball"
else
    not_ok "dpkg-buildpackage -us -uc -b builds the tarball"
    tail -40 "$work/build.log" | diag
    harness_bail "the package did not build"
fi
deb=$work/savealife_${version}_$arch.deb
check "it makes savealife_${version}_$arch.deb" test -f "$deb"
[ -f "$deb" ] || harness_bail "no $deb: $(ls "$work")"
mkdir -p "$kept" && cp "$deb" "$kept/" || echo "# cannot copy the package to $kept"
# The unit tests ran inside the build (dh_auto_test), unless nocheck said otherwise.
if grep -q '^# PASS: *[1-9]' "$work/build.log" && grep -q '^# FAIL: *0' "$work/build.log"; then
    ok "the unit tests ran and passed during the build"
else
    not_ok "the unit tests ran and passed during the build"
fi

# ---- what it holds ----
# dpkg-deb -c: "mode owner/group size date time ./path[ -> target]".
dpkg-deb -c "$deb" >"$work/contents" || harness_bail "dpkg-deb -c failed"
awk '{ p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); print p }' "$work/contents" >"$work/paths"
mode_of() {
    awk -v p=".$1" '$6 == p { print $1 " " $2 }' "$work/contents"
}
# holds PATH [MODE OWNER]: the package has PATH (as a file), with that mode and owner if given.
holds() {
    got=$(mode_of "$1")
    if [ -z "$got" ]; then
        not_ok "the package holds $1"
    elif [ $# -ge 3 ] && [ "$got" != "$2 $3" ]; then
        not_ok "the package holds $1 as $2 $3" "got $got"
    else
        ok "the package holds $1${3:+ as $2 $3}"
    fi
}
holds /usr/sbin/savealife -rwxr-xr-x root/root
for f in "$TOP_SRCDIR"/schema/*.json; do
    holds "/usr/share/savealife/schema/${f##*/}"
done
for f in $(cd "$TOP_SRCDIR/web" && find . -type f | sed 's|^\./||' | sort); do
    holds "/usr/share/savealife/web/$f"
done
holds /lib/systemd/system/savealife.service -rw-r--r-- root/root
holds /lib/systemd/system/savealife.socket -rw-r--r-- root/root
holds /etc/nginx/sites-available/savealife.conf -rw-r--r-- root/root
holds /etc/savealife/savealife.env -rw------- root/root
holds /usr/share/doc/savealife/examples/savealife.env
holds /usr/share/man/man8/savealife.8.gz
holds /usr/share/doc/savealife/copyright
bad=$(grep -E '^/etc/(nginx/sites-enabled|systemd)(/|$)' "$work/paths")
[ -z "$bad" ] && ok "nothing is enabled by the package's files (no sites-enabled, no /etc/systemd)" ||
    not_ok "nothing is enabled by the package's files (no sites-enabled, no /etc/systemd)" $bad
bad=$(awk '$2 != "root/root" { print $6 " " $2 }' "$work/contents")
[ -z "$bad" ] && ok "every file is owned by root" || not_ok "every file is owned by root" "$bad"
# The tokens file is the operator's: postinst makes it, the package never ships it.
check "the package does not ship /etc/savealife/tokens" \
    test -z "$(grep -x /etc/savealife/tokens "$work/paths")"

# Paths inside the installed files name places the package fills.
dpkg-deb -x "$deb" "$work/root" || harness_bail "dpkg-deb -x failed"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$work/root/lib/systemd/system/savealife.service")
[ "$exec_start" = /usr/sbin/savealife ] && [ -x "$work/root$exec_start" ] &&
    ok "the service's ExecStart is the packaged /usr/sbin/savealife" ||
    not_ok "the service's ExecStart is the packaged /usr/sbin/savealife" "ExecStart=$exec_start"
web_root=$(sed -n 's/^ *root \([^;]*\);.*/\1/p' "$work/root/etc/nginx/sites-available/savealife.conf")
[ "$web_root" = /usr/share/savealife/web ] && [ -f "$work/root$web_root/index.html" ] &&
    ok "the nginx site's root is the packaged web folder" ||
    not_ok "the nginx site's root is the packaged web folder" "root $web_root"
env_file=$(sed -n 's/^EnvironmentFile=-\{0,1\}\(.*\)/\1/p' "$work/root/lib/systemd/system/savealife.service")
[ "$env_file" = /etc/savealife/savealife.env ] && [ -f "$work/root$env_file" ] &&
    ok "the service's EnvironmentFile is the packaged conffile" ||
    not_ok "the service's EnvironmentFile is the packaged conffile" "EnvironmentFile=$env_file"
cmp -s "$work/root/etc/savealife/savealife.env" \
    "$work/root/usr/share/doc/savealife/examples/savealife.env" &&
    ok "the conffile starts as the documented example" ||
    not_ok "the conffile starts as the documented example"

# ---- what it says ----
field() {
    dpkg-deb -f "$deb" "$1"
}
check "Package: savealife" test "$(field Package)" = savealife
[ "$(field Version)" = "$version" ] && ok "Version: $version (configure.ac's AC_INIT)" ||
    not_ok "Version: $version (configure.ac's AC_INIT)" "got $(field Version)"
check "Architecture: $arch" test "$(field Architecture)" = "$arch"
depends=$(field Depends)
echo "# Depends: $depends"
# dep_has NAME: NAME appears as a package in Depends (alone or in an alternative).
dep_has() {
    printf '%s\n' "$depends" | tr ',|' '\n\n' | sed 's/^ *//; s/[ (].*//' | grep -qx "$1"
}
check "Depends has adduser (postinst runs it)" dep_has adduser
# Every library the binary links is found (ldconfig), its package named by dpkg -S, and that
# package must be in Depends.
needed=$(objdump -p "$work/root/usr/sbin/savealife" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || not_ok "objdump lists the binary's shared libraries"
for lib in $needed; do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
    real=$(readlink -f "$path" 2>/dev/null)
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null)
    pkg=$(printf '%s\n' "$pkg" | head -n 1 | cut -d: -f1)
    if [ -n "$pkg" ] && dep_has "$pkg"; then
        ok "Depends has $pkg (for $lib)"
    else
        not_ok "Depends has the package of $lib" "library $path, package '${pkg:-none found}'"
    fi
done
recommends=$(field Recommends)
check "Recommends: nginx" test "$recommends" = nginx
dpkg-deb -I "$deb" conffiles >"$work/conffiles" 2>/dev/null
for c in /etc/savealife/savealife.env /etc/nginx/sites-available/savealife.conf; do
    check "conffiles lists $c" grep -qx "$c" "$work/conffiles"
done
check "conffiles lists nothing else" test "$(wc -l <"$work/conffiles")" -eq 2
# No maintainer script starts or enables a unit on its own: a running service may be
# try-restarted on upgrade, and deb-systemd-helper enables only a unit installed before
# ("debian-installed") that the operator had enabled ("was-enabled"), never on a first install.
dpkg-deb -e "$deb" "$work/control" || harness_bail "dpkg-deb -e failed"
starts=$(cat "$work/control/preinst" "$work/control/postinst" 2>/dev/null |
    grep -E 'deb-systemd-invoke (start|restart)|systemctl (start|restart|enable)')
enables=$(grep -c 'deb-systemd-helper enable' "$work/control/postinst")
guarded=$(grep -c 'deb-systemd-helper debian-installed' "$work/control/postinst")
if [ -z "$starts" ] && [ "$enables" -le "$guarded" ]; then
    ok "the maintainer scripts neither start nor enable a unit unasked"
else
    not_ok "the maintainer scripts neither start nor enable a unit unasked" "$starts" \
        "$enables deb-systemd-helper enable, $guarded under debian-installed"
fi

# ---- lintian ----
timeout 900 lintian --display-info --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1
sed 's/^/# lintian: /' "$work/lintian.log"
errors=$(grep -c '^E: ' "$work/lintian.log")
[ "$errors" -eq 0 ] && ok "lintian reports no error" ||
    not_ok "lintian reports no error ($errors)"

# ---- installed for real ----
skip() {
    n=$((n + 1))
    echo "ok $n # SKIP $1"
}
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    skip "install: needs root and apt-get"
elif dpkg-query -W -f='${Status}' savealife 2>/dev/null | grep -q 'install ok installed'; then
    # Never touch a machine's own installation.
    skip "install: savealife is already installed on this machine"
else
    apt_get() {
        timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
            -o DPkg::Lock::Timeout=120 "$@"
    }
    INSTALLED_BY_US=1
    if apt_get install --no-install-recommends "$deb" >"$work/install.log" 2>&1; then
        ok "apt-get install ./savealife_${version}_$arch.deb"
    else
        not_ok "apt-get install ./savealife_${version}_$arch.deb"
        tail -30 "$work/install.log" | diag
    fi

    pw=$(getent passwd savealife)
    gr=$(getent group savealife)
    uid=$(echo "$pw" | cut -d: -f3)
    gid=$(echo "$pw" | cut -d: -f4)
    shell=$(echo "$pw" | cut -d: -f7)
    first=$(sed -n 's/^FIRST_SYSTEM_UID=//p' /etc/adduser.conf 2>/dev/null)
    last=$(sed -n 's/^LAST_SYSTEM_UID=//p' /etc/adduser.conf 2>/dev/null)
    if [ -n "$uid" ] && [ "$uid" -ge "${first:-100}" ] && [ "$uid" -le "${last:-999}" ]; then
        ok "the user savealife exists, a system user (uid $uid)"
    else
        not_ok "the user savealife exists, a system user" "passwd: $pw"
    fi
    [ -n "$gr" ] && [ "$(echo "$gr" | cut -d: -f3)" = "$gid" ] &&
        ok "the group savealife exists and is the user's group" ||
        not_ok "the group savealife exists and is the user's group" "group: $gr" "passwd: $pw"
    case $shell in
    /usr/sbin/nologin | /sbin/nologin | /bin/false | /usr/bin/false)
        ok "savealife has no login shell ($shell)" ;;
    *) not_ok "savealife has no login shell" "shell: $shell" ;;
    esac
    check "savealife has no home folder" test ! -e "$(echo "$pw" | cut -d: -f6)"

    out=$(timeout 10 /usr/sbin/savealife version 2>&1)
    case $out in
    "savealife $version "*) ok "/usr/sbin/savealife version runs ($out)" ;;
    *) not_ok "/usr/sbin/savealife version runs" "$out" ;;
    esac
    check "the units are in /lib/systemd/system" \
        test -f /lib/systemd/system/savealife.service -a -f /lib/systemd/system/savealife.socket
    enabled=$(find /etc/systemd/system -name 'savealife*' 2>/dev/null)
    [ -z "$enabled" ] && ok "no unit is enabled (nothing under /etc/systemd/system)" ||
        not_ok "no unit is enabled (nothing under /etc/systemd/system)" $enabled
    if [ -d /run/systemd/system ]; then
        for u in savealife.socket savealife.service; do
            state=$(systemctl is-active "$u" 2>/dev/null)
            check "$u is not active ($state)" test "$state" != active
        done
    fi
    # Processes of the installed binary (tests elsewhere may run build trees' copies).
    running=$(for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/savealife ] && echo "${p#/proc/}"
    done)
    [ -z "$running" ] && ok "no savealife process is running" ||
        not_ok "no savealife process is running" "pids: $(echo $running)"
    site=$(find /etc/nginx/sites-enabled -name 'savealife*' 2>/dev/null)
    [ -z "$site" ] && ok "the nginx site is not enabled" || not_ok "the nginx site is not enabled" $site
    check "the nginx site is in sites-available" test -f /etc/nginx/sites-available/savealife.conf
    perms=$(stat -c '%a %U:%G %s' /etc/savealife/tokens 2>&1)
    [ "$perms" = "640 root:savealife 0" ] && ok "/etc/savealife/tokens is empty, 0640 root:savealife" ||
        not_ok "/etc/savealife/tokens is empty, 0640 root:savealife" "got $perms"
    perms=$(stat -c '%a %U:%G' /etc/savealife/savealife.env 2>&1)
    check "/etc/savealife/savealife.env is 0600 root:root" test "$perms" = "600 root:root"
    conffiles=$(dpkg-query -W -f='${Conffiles}\n' savealife)
    printf '%s\n' "$conffiles" | grep -q '^ /etc/savealife/savealife.env ' &&
        ok "dpkg knows savealife.env as a conffile" ||
        not_ok "dpkg knows savealife.env as a conffile" "$conffiles"

    # An operator's tokens survive a reinstall untouched, and a removal.
    digest=$(printf 'package-test-token' | sha256sum | cut -d' ' -f1)
    echo "$digest" >>/etc/savealife/tokens
    chmod 0600 /etc/savealife/tokens
    apt_get install --reinstall --no-install-recommends "$deb" >>"$work/install.log" 2>&1 ||
        not_ok "apt-get install --reinstall"
    [ "$(cat /etc/savealife/tokens)" = "$digest" ] &&
        [ "$(stat -c %a /etc/savealife/tokens)" = 600 ] &&
        ok "a reinstall keeps the operator's tokens file as it is" ||
        not_ok "a reinstall keeps the operator's tokens file as it is" \
            "$(stat -c '%a %U:%G %s' /etc/savealife/tokens)"
    apt_get remove savealife >"$work/remove.log" 2>&1 ||
        { not_ok "apt-get remove savealife"; diag <"$work/remove.log"; }
    [ ! -e /usr/sbin/savealife ] && [ "$(cat /etc/savealife/tokens 2>/dev/null)" = "$digest" ] &&
        [ -f /etc/savealife/savealife.env ] &&
        ok "apt-get remove takes the program and keeps the configuration" ||
        not_ok "apt-get remove takes the program and keeps the configuration"

    if apt_get purge savealife >"$work/purge.log" 2>&1; then
        INSTALLED_BY_US=0
        ok "apt-get purge savealife"
    else
        not_ok "apt-get purge savealife"
        diag <"$work/purge.log"
    fi
    left=$(ls -d /etc/savealife /etc/nginx/sites-available/savealife.conf /usr/sbin/savealife \
        /lib/systemd/system/savealife.service /lib/systemd/system/savealife.socket 2>/dev/null)
    [ -z "$left" ] && ok "purge leaves no /etc/savealife, site, program or unit" ||
        not_ok "purge leaves no /etc/savealife, site, program or unit" $left
    check "purge leaves the user savealife (Debian policy)" sh -c "getent passwd savealife >/dev/null"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
