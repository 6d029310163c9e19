#!/bin/sh
# scripts/check_layers: the real tree passes; small trees with an include that goes upward or
# sideways fail, naming the file, the line and the rule; includes found beside their file,
# the bottom (util/, config) and the top (main.c) are judged as the compiler resolves them.
. "$TOP_SRCDIR/tests/lib/harness.sh"

check() { sh "$TOP_SRCDIR/scripts/check_layers" "$@"; }
echo "1..9"

# tree NAME FILE=INCLUDE...: a tree under $HARNESS_DIR/NAME/src with one line per include.
tree() {
    name=$1
    shift
    for spec in "$@"; do
        f=$HARNESS_DIR/$name/src/${spec%%=*}
        mkdir -p "$(dirname "$f")" || harness_bail "mkdir"
        [ -z "${spec#*=}" ] || printf '#include <stdio.h>\n#include "%s"\n' "${spec#*=}" >>"$f"
        [ -n "${spec#*=}" ] || : >>"$f"
    done
}

# expect NUMBER NAME RC PATTERN: check_layers on tree NAME exits RC and prints PATTERN (an
# empty PATTERN: prints nothing).
expect() {
    check "$HARNESS_DIR/$2/src" >"$HARNESS_DIR/$2.out" 2>&1
    rc=$?
    if [ -z "$4" ]; then
        printed=$([ ! -s "$HARNESS_DIR/$2.out" ] && echo yes)
    else
        printed=$(grep -q -e "$4" "$HARNESS_DIR/$2.out" && echo yes)
    fi
    if [ "$rc" -eq "$3" ] && [ "$printed" = yes ]; then
        echo "ok $1 - $2"
    else
        echo "not ok $1 - $2: exit $rc, want $3 and \"$4\""
        sed 's/^/# /' "$HARNESS_DIR/$2.out"
    fi
}

check "$TOP_SRCDIR/src" >"$HARNESS_DIR/real.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$HARNESS_DIR/real.out" ]; then
    echo "ok 1 - the real tree keeps the layers"
else
    echo "not ok 1 - the real tree breaks the layers (exit $rc)"
    sed 's/^/# /' "$HARNESS_DIR/real.out"
fi

tree upward api/status.c=server/scoreboard.h server/scoreboard.h=
expect 2 upward 1 '^src/api/status.c:2: includes server/scoreboard.h (server/): api/ may include'

tree sideways http/request.c=ddb/ddb.h ddb/ddb.h=
expect 3 sideways 1 '^src/http/request.c:2: includes ddb/ddb.h (ddb/): http/ may include http, util'

# ddb/ includes its own headers without the folder: found beside the file, not at the top.
tree beside ddb/ddb.h=ddb_error.h ddb/ddb_error.h= repo/repo.h=ddb/ddb.h api/api.h=repo/repo.h
expect 4 beside 0 ''

# util/ and config.h are the bottom, usable by all; main.c is the top.
tree bottom util/clock.c=config.h config.h= ddb/ddb.c=util/clock.h util/clock.h= main.c=api/api.h \
    api/api.h=http/request.h http/request.h=
expect 5 bottom 0 ''

tree bottom_up util/clock.c=http/request.h http/request.h=
expect 6 bottom_up 1 'util/ and config may include only util and config'

tree nolayer core/x.c=config.h config.h=
expect 7 nolayer 1 '^src/core/x.c:2: includes config.h: src/core/x.c is in no layer'

tree repo_up repo/repo.c=api/api.h api/api.h= repo/cursor.c=http/request.h http/request.h=
expect 8 repo_up 1 '^2 includes across the layers'

# A header of a lower layer including a higher one fails as well as a .c file.
tree header ddb/ddb.h=repo/repo.h repo/repo.h=
expect 9 header 1 '^src/ddb/ddb.h:2: includes repo/repo.h (repo/): ddb/ may include ddb, util'
