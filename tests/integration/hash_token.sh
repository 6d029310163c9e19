#!/bin/sh
# `savealife hash-token`: the digest it prints is sha256sum's of the token (the tokens file the
# API tests use is made with sha256sum), without the line end; unusable tokens are refused.
. "$TOP_SRCDIR/tests/lib/harness.sh"

bin="$TOP_BUILDDIR/savealife"

token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
want=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)

got=$(printf '%s\n' "$token" | "$bin" hash-token)
[ "$got" = "$want" ] && ok "the digest of a token with a newline is sha256sum's of the token" ||
    not_ok "the digest of a token with a newline is sha256sum's of the token" "got $got" "want $want"
got=$(printf '%s' "$token" | "$bin" hash-token)
[ "$got" = "$want" ] && ok "a token without a final newline gives the same digest" ||
    not_ok "a token without a final newline gives the same digest" "got $got"
got=$(printf '%s\r\n' "$token" | "$bin" hash-token)
[ "$got" = "$want" ] && ok "a CRLF line end is not part of the token" ||
    not_ok "a CRLF line end is not part of the token" "got $got"
lines=$(printf '%s\n' "$token" | "$bin" hash-token | wc -l)
[ "$lines" -eq 1 ] && ok "one line of output" || not_ok "one line of output (got $lines)"

# refused NAME INPUT: exit status 2, nothing on standard output, a message on standard error.
refused() {
    out=$(printf "$2" | "$bin" hash-token 2>"$HARNESS_DIR/err")
    rc=$?
    if [ $rc -eq 2 ] && [ -z "$out" ] && [ -s "$HARNESS_DIR/err" ]; then
        ok "$1 is refused"
    else
        not_ok "$1 is refused" "rc $rc, out '$out'" "$(cat "$HARNESS_DIR/err")"
    fi
}
refused "empty input" ''
refused "an empty line" '\n'
refused "a token with a space" 'two words\n'
refused "a token with a tab" 'a\tb\n'
refused "a token with a control byte" 'a\001b\n'
refused "a token over 4096 bytes" "$(head -c 5000 /dev/zero | tr '\0' 'a')\n"

out=$(printf 'x\n' | "$bin" hash-token --workers 2 2>"$HARNESS_DIR/err")
[ $? -eq 2 ] && [ -z "$out" ] && ok "options are refused" || not_ok "options are refused"

echo "1..$n"
