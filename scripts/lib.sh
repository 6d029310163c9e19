# Shared by scripts/run and scripts/test (sourced, bash): install what the project needs,
# build it. Every step is safe to repeat: it does only what is missing or out of date.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages: the build, the libraries, the test framework, the emulators' runtimes, and
# systemd (the ops tests run its tools), what the package tests need (dpkg-buildpackage,
# debhelper, lintian; debootstrap and systemd-nspawn to boot the package under systemd), the
# browser the site's tests drive (Debian's chromium, with a font to render text), and clang
# with its libFuzzer runtime for the fuzz targets.
DEB_PACKAGES="build-essential autoconf automake libtool pkg-config libfcgi-dev libjson-c-dev
libcurl4-openssl-dev libssl-dev zlib1g-dev libunistring-dev check openssl curl ca-certificates
default-jre-headless valgrind clang-format nginx-light wrk dpkg-dev debhelper lintian systemd
strace man-db groff-base debootstrap systemd-container chromium fonts-dejavu-core clang libclang-rt-dev"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

install_debian_packages() {
    local missing="" p
    local want="$DEB_PACKAGES"
    command -v node >/dev/null 2>&1 || want="$want nodejs"
    command -v npm >/dev/null 2>&1 || want="$want npm"
    for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages:$missing (and no apt-get)"
    say "installing Debian packages:$missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        die "apt-get update failed"
    # A package's own service (nginx on port 80) is not started: policy-rc.d refuses it while
    # we install, unless the machine already has a policy of its own.
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy"
    fi
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $missing >/dev/null
    local rc=$?
    [ -n "$policy" ] && as_root rm -f "$policy"
    [ $rc -eq 0 ] || die "apt-get install failed"
}

# The emulators and the browser-test tools (puppeteer-core, axe-core, lighthouse), from
# package-lock.json, into ./node_modules (only when it changed). The browser is Debian's: no
# package may download one of its own.
install_npm_packages() {
    local stamp="$ROOT/node_modules/.package-lock.json"
    if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/package-lock.json" ] &&
        [ -f "$ROOT/node_modules/dynalite/cli.js" ] &&
        [ -f "$ROOT/node_modules/puppeteer-core/package.json" ]; then
        return 0
    fi
    say "installing the local DynamoDB emulators and the browser-test tools (npm ci)"
    (cd "$ROOT" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci failed"
}

install_dependencies() {
    install_debian_packages
    install_npm_packages
}

# build NAME [CONFIGURE_ARGS...]: an out-of-tree build in build/NAME, configured once per
# change of its arguments or of the build files.
build() {
    local name=$1
    shift
    local dir="$ROOT/build/$name"
    if [ ! -x "$ROOT/configure" ] || [ "$ROOT/configure.ac" -nt "$ROOT/configure" ] ||
        [ "$ROOT/Makefile.am" -nt "$ROOT/configure" ]; then
        say "autoreconf"
        (cd "$ROOT" && autoreconf -fi >/dev/null 2>&1) || die "autoreconf failed"
    fi
    mkdir -p "$dir" || die "cannot create $dir"
    local args="$*"
    if [ ! -f "$dir/Makefile" ] || [ "$ROOT/configure" -nt "$dir/Makefile" ] ||
        [ "$(cat "$dir/.configure-args" 2>/dev/null)" != "$args" ]; then
        say "configure ($name)${args:+: $args}"
        (cd "$dir" && "$ROOT/configure" -q "$@") || die "configure failed in $dir"
        printf '%s' "$args" >"$dir/.configure-args"
    fi
    say "make ($name)"
    make -C "$dir" -s -j"$(nproc)" || die "build failed in $dir"
}
