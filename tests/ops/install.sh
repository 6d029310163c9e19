#!/bin/sh
# make install into a DESTDIR from this build tree: every file of the layout lands where
# configure said (the directories are asked of the build's own Makefile), nothing else does;
# the installed files name the configured paths, not the Debian ones they carry in the
# source tree; the installed program runs and creates the tables from the installed schema;
# a real nginx accepts the installed site and serves the installed web root; the man page
# renders without a warning and documents every variable and command the program knows;
# make uninstall leaves no file behind.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env

for tool in groff man curl; do
    command -v $tool >/dev/null 2>&1 || harness_bail "$tool is not installed"
done
[ -x /usr/sbin/nginx ] || harness_bail "nginx is not installed"

# The make that runs this test must not hand its jobserver or flags to ours.
submake() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP_BUILDDIR" "$@"
}

# The configured directories, expanded by make from the build's Makefile.
# (Written to a file: make may print other things first, such as a configure re-run.)
cat >"$HARNESS_DIR/dirs.mk" <<'EOF' || harness_bail "cannot write dirs.mk"
savealife-print-dirs:
	@{ echo "prefix='$(prefix)'"; \
	   echo "sbindir='$(sbindir)'"; \
	   echo "sysconfdir='$(sysconfdir)'"; \
	   echo "pkgdatadir='$(pkgdatadir)'"; \
	   echo "docdir='$(docdir)'"; \
	   echo "mandir='$(mandir)'"; \
	   echo "nginxsitedir='$(nginxsitedir)'"; \
	   echo "systemdsystemunitdir='$(systemdsystemunitdir)'"; \
	   echo "version='$(PACKAGE_VERSION)'"; } >'$(SAVEALIFE_DIRS_OUT)'
EOF
submake -f Makefile -f "$HARNESS_DIR/dirs.mk" savealife-print-dirs \
    SAVEALIFE_DIRS_OUT="$HARNESS_DIR/dirs.sh" >"$HARNESS_DIR/dirs.log" 2>&1 ||
    harness_bail "cannot read the configured directories from $TOP_BUILDDIR/Makefile: $(tail -3 "$HARNESS_DIR/dirs.log")"
. "$HARNESS_DIR/dirs.sh"
[ -n "$prefix" ] && [ -n "$sbindir" ] && [ -n "$pkgdatadir" ] ||
    harness_bail "the configured directories are empty: $(cat "$HARNESS_DIR/dirs.sh")"

DEST="$HARNESS_DIR/dest"

# Every file of the source's web/, at its path under the web root (subfolders kept).
web_files=$(cd "$TOP_SRCDIR/web" && find . -type f | sed 's|^\./||' | sort)
[ -n "$web_files" ] || harness_bail "no file under $TOP_SRCDIR/web"
# One in a subfolder, if web/ has any: it must keep its folder.
web_sub=$(printf '%s\n' "$web_files" | grep / | head -n 1)

# ---- make install ----
if submake install DESTDIR="$DEST" >"$HARNESS_DIR/install.log" 2>&1; then
    ok "make install DESTDIR=... succeeds"
else
    not_ok "make install DESTDIR=... succeeds" "$(tail -5 "$HARNESS_DIR/install.log")"
fi

# The layout (see the install section of Makefile.am).
expected="$sbindir/savealife
$pkgdatadir/schema/companies.json
$pkgdatadir/schema/donors.json
$pkgdatadir/schema/idempotency.json
$nginxsitedir/savealife.conf
$docdir/examples/savealife.env
$mandir/man8/savealife.8"
if [ -n "$systemdsystemunitdir" ]; then
    expected="$expected
$systemdsystemunitdir/savealife.service
$systemdsystemunitdir/savealife.socket"
fi
expected="$expected
$(printf '%s\n' "$web_files" | sed "s|^|$pkgdatadir/web/|")"
printf '%s\n' "$expected" | sort >"$HARNESS_DIR/expected"
(cd "$DEST" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$HARNESS_DIR/installed"

while read -r path; do
    check "installs $path" test -f "$DEST$path"
done <"$HARNESS_DIR/expected"
if [ -z "$systemdsystemunitdir" ]; then
    ok "# SKIP configured --with-systemdsystemunitdir=no: no units"
    ok "# SKIP configured --with-systemdsystemunitdir=no: no units"
fi
if cmp -s "$HARNESS_DIR/expected" "$HARNESS_DIR/installed"; then
    ok "and nothing else"
else
    not_ok "and nothing else" "$(diff "$HARNESS_DIR/expected" "$HARNESS_DIR/installed")"
fi
check "the program is executable" test -x "$DEST$sbindir/savealife"
same_web() {
    for f in $web_files; do
        cmp -s "$DEST$pkgdatadir/web/$f" "$TOP_SRCDIR/web/$f" || { echo "# differs: $f"; return 1; }
    done
}
check "the web root is the source's web/, file for file" same_web
check "the schema documents are the source's" sh -c \
    "cmp -s '$DEST$pkgdatadir/schema/companies.json' '$TOP_SRCDIR/schema/companies.json' &&
     cmp -s '$DEST$pkgdatadir/schema/donors.json' '$TOP_SRCDIR/schema/donors.json' &&
     cmp -s '$DEST$pkgdatadir/schema/idempotency.json' '$TOP_SRCDIR/schema/idempotency.json'"

# ---- the paths inside the installed files are the configured ones ----
unit="$DEST$systemdsystemunitdir/savealife.service"
site="$DEST$nginxsitedir/savealife.conf"
envfile="$DEST$docdir/examples/savealife.env"
has_line() { # FILE LINE: FILE has exactly that line
    grep -qxF "$2" "$1"
}
if [ -n "$systemdsystemunitdir" ]; then
    check "the service runs $sbindir/savealife" has_line "$unit" "ExecStart=$sbindir/savealife serve"
    check "with its environment from $sysconfdir/savealife/savealife.env" \
        has_line "$unit" "EnvironmentFile=$sysconfdir/savealife/savealife.env"
    check "the socket unit is installed as it is in the source" \
        cmp -s "$DEST$systemdsystemunitdir/savealife.socket" "$TOP_SRCDIR/systemd/savealife.socket"
else
    ok "# SKIP no units"
    ok "# SKIP no units"
    ok "# SKIP no units"
fi
site_root_ok() {
    sed 's/^ *//' "$site" | grep -qxF "root $pkgdatadir/web;"
}
check "the nginx site's root is $pkgdatadir/web" site_root_ok
check "the example environment names $sysconfdir/savealife/tokens" \
    has_line "$envfile" "#SAVEALIFE_TOKENS_FILE=$sysconfdir/savealife/tokens"
check "and $pkgdatadir/schema" has_line "$envfile" "#SAVEALIFE_SCHEMA_DIR=$pkgdatadir/schema"

# A Debian path whose configured counterpart differs must not survive in an installed file.
leftovers() {
    files="$site $envfile"
    [ -n "$systemdsystemunitdir" ] && files="$files $unit"
    bad=""
    [ "$sbindir" != /usr/sbin ] && bad="$bad /usr/sbin/savealife"
    [ "$pkgdatadir" != /usr/share/savealife ] && bad="$bad /usr/share/savealife/"
    [ "$sysconfdir" != /etc ] && bad="$bad /etc/savealife/"
    for path in $bad; do
        # shellcheck disable=SC2086
        # Not inside a longer path: /usr/local/etc/savealife/ is no leftover of /etc/savealife/.
        if grep -nE "(^|[^A-Za-z0-9_./-])$path" $files >"$HARNESS_DIR/leftovers"; then
            sed 's/^/# /' "$HARNESS_DIR/leftovers"
            return 1
        fi
    done
    return 0
}
check "no Debian path is left where the configuration differs (prefix $prefix)" leftovers

# ---- the installed program ----
program="$DEST$sbindir/savealife"
out=$("$program" version 2>&1)
check "the installed program runs: $out" [ "${out#savealife "$version" }" != "$out" ]
"$program" --help >"$HARNESS_DIR/help" 2>&1
help_default() { # VARIABLE VALUE: --help gives VALUE as the variable's default
    grep " $1 " "$HARNESS_DIR/help" | grep -qF "(default: $2)"
}
check "its default tokens file is $sysconfdir/savealife/tokens" \
    help_default SAVEALIFE_TOKENS_FILE "$sysconfdir/savealife/tokens"
check "its default schema folder is $pkgdatadir/schema" \
    help_default SAVEALIFE_SCHEMA_DIR "$pkgdatadir/schema"

# The installed schema documents, read by the installed program, make real tables.
harness_start_dynalite
harness_wait_dynalite
SAVEALIFE_TABLE_PREFIX="inst$$-" SAVEALIFE_SCHEMA_DIR="$DEST$pkgdatadir/schema" \
    "$program" create-tables >"$HARNESS_DIR/create.log" 2>&1
rc=$?
check "create-tables with the installed schema exits 0 ($rc)" [ $rc -eq 0 ]
curl -s --max-time 10 -X POST "$AWS_ENDPOINT_URL_DYNAMODB/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000' \
    -d '{}' >"$HARNESS_DIR/tables.json"
check "and the emulator lists inst$$-companies and inst$$-donors" node -e '
    const names = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).TableNames;
    const p = process.argv[2];
    process.exit(names.includes(p + "companies") && names.includes(p + "donors") ? 0 : 1);' \
    "$HARNESS_DIR/tables.json" "inst$$-"

# ---- nginx accepts the installed site and serves the installed web root ----
SITE_DIR="$HARNESS_DIR/site"
mkdir -p "$SITE_DIR/tmp" || harness_bail "cannot create $SITE_DIR"
SITE_PORT=$(harness_free_port) || harness_bail "no free port"
# For this run: a loopback port, a socket and logs of the test's own, and the web root where
# DESTDIR put it. Everything else is the installed file as it is.
sed -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$SITE_PORT;|" \
    -e "s|^\( *\)listen \[::\]:80;||" \
    -e "s|unix:/run/savealife/fcgi.sock|unix:$HARNESS_DIR/fcgi.sock|g" \
    -e "s|^\( *\)root $pkgdatadir/web;|\1root $DEST$pkgdatadir/web;|" \
    -e "s|/var/log/nginx/|$SITE_DIR/|g" \
    "$site" >"$SITE_DIR/savealife.conf" || harness_bail "cannot render the installed site"
check "the test's substitutions replaced the root, the listen lines and the logs" sh -c \
    "grep -qF 'root $DEST$pkgdatadir/web;' '$SITE_DIR/savealife.conf' &&
     ! grep -v '^ *#' '$SITE_DIR/savealife.conf' | grep -qE '/var/log|/run/savealife|listen +(80|\\[::\\]:80);'"
harness_site_conf "$SITE_DIR"
# nginx's workers (nobody when the test runs as root) must reach the installed web root.
[ "$(id -u)" -eq 0 ] && chmod 0755 "$HARNESS_DIR"
if harness_site_test "$SITE_DIR"; then
    ok "nginx -t accepts the installed site"
else
    not_ok "nginx -t accepts the installed site" "$(cat "$SITE_DIR/t.log")"
fi
harness_site_start "$SITE_DIR"
i=0
code=000
while [ $i -lt 100 ]; do
    code=$(curl -s -o "$HARNESS_DIR/index" -w '%{http_code}' --max-time 2 \
        "http://127.0.0.1:$SITE_PORT/" 2>/dev/null)
    [ "$code" = 200 ] && break
    kill -0 "$SITE_PID" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
check "nginx serves the installed index.html at / ($code)" \
    sh -c "[ '$code' = 200 ] && cmp -s '$HARNESS_DIR/index' '$DEST$pkgdatadir/web/index.html'"
if [ -n "$web_sub" ]; then
    code=$(curl -s -o "$HARNESS_DIR/sub" -w '%{http_code}' --max-time 5 \
        "http://127.0.0.1:$SITE_PORT/$web_sub")
    check "and web/$web_sub at /$web_sub, its folder kept ($code)" \
        sh -c "[ '$code' = 200 ] && cmp -s '$HARNESS_DIR/sub' '$TOP_SRCDIR/web/$web_sub'"
else
    ok "# SKIP web/ has no subfolder yet"
fi

# ---- the man page ----
page="$DEST$mandir/man8/savealife.8"
groff -man -ww -z -Tutf8 "$page" >"$HARNESS_DIR/groff.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$HARNESS_DIR/groff.log" ]; then
    ok "groff -man -ww renders the man page without a warning"
else
    not_ok "groff -man -ww renders the man page without a warning" "$(head -5 "$HARNESS_DIR/groff.log")"
fi
MANWIDTH=80 man -l "$page" >"$HARNESS_DIR/man.txt" 2>"$HARNESS_DIR/man.err"
rc=$?
check "man -l shows it ($rc)" sh -c "[ $rc -eq 0 ] && grep -q '^SAVEALIFE(8)' '$HARNESS_DIR/man.txt'"
sections_ok() {
    for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT SIGNALS FILES \
        "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -qx "$s" "$HARNESS_DIR/man.txt" || { echo "# no section $s"; return 1; }
    done
}
check "with every section" sections_ok

# Every variable the installed program's --help names, documented in the page and the example
# environment file; every command it lists, in the page.
grep -oE '\b(SAVEALIFE|AWS)_[A-Z0-9_]+' "$HARNESS_DIR/help" | sort -u >"$HARNESS_DIR/vars"
documents_all() { # FILE
    missing=""
    while read -r v; do
        grep -qE "(^|[^A-Z_])$v([^A-Z_]|\$)" "$1" || missing="$missing $v"
    done <"$HARNESS_DIR/vars"
    [ -z "$missing" ] || { echo "# not documented:$missing"; return 1; }
}
check "the help names at least 20 variables ($(wc -l <"$HARNESS_DIR/vars"))" \
    [ "$(wc -l <"$HARNESS_DIR/vars")" -ge 20 ]
check "the man page documents every one of them" documents_all "$HARNESS_DIR/man.txt"
check "the example environment file has every one of them" documents_all "$envfile"
commands_ok() {
    for c in serve create-tables hash-token version; do
        grep -q "^  $c " "$HARNESS_DIR/help" || { echo "# --help has no $c"; return 1; }
        grep -qE "^ +$c\$|^ +$c " "$HARNESS_DIR/man.txt" || { echo "# no $c in the page"; return 1; }
    done
}
check "the man page has every command --help lists" commands_ok

# ---- make uninstall ----
if submake uninstall DESTDIR="$DEST" >"$HARNESS_DIR/uninstall.log" 2>&1; then
    ok "make uninstall DESTDIR=... succeeds"
else
    not_ok "make uninstall DESTDIR=... succeeds" "$(tail -5 "$HARNESS_DIR/uninstall.log")"
fi
left=$(cd "$DEST" && find . -type f -o -type l)
check "and leaves no file behind" [ -z "$left" ]
echo "1..$n"
exit $failed
