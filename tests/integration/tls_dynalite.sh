#!/bin/sh
# dynalite over HTTPS with a CA made for this run: the client trusts it only when told to.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
command -v openssl >/dev/null 2>&1 || harness_bail "openssl is not installed"

pki="$HARNESS_DIR/pki"
mkdir -p "$pki" || harness_bail "cannot create $pki"
make_ca() { # NAME
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=savealife test $1" \
        -keyout "$pki/$1.key" -out "$pki/$1.pem" >"$pki/openssl.log" 2>&1 ||
        harness_bail "openssl could not make CA $1: $(tail -3 "$pki/openssl.log")"
}
make_ca ca
make_ca other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$pki/server.key" -out "$pki/server.csr" >"$pki/openssl.log" 2>&1 ||
    harness_bail "openssl could not make the server key"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$pki/ext.cnf"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/ext.cnf" -out "$pki/server.pem" >"$pki/openssl.log" 2>&1 ||
    harness_bail "openssl could not sign the server certificate"

harness_start_dynalite --ssl --key "$(cat "$pki/server.key")" --cert "$(cat "$pki/server.pem")"
AWS_ENDPOINT_URL_DYNAMODB="https://127.0.0.1:$DYNALITE_PORT"
export AWS_ENDPOINT_URL_DYNAMODB
harness_wait_ddb "$AWS_ENDPOINT_URL_DYNAMODB" --cacert "$pki/ca.pem" ||
    harness_bail "dynalite (TLS) did not answer: $(tail -5 "$HARNESS_DIR/dynalite.log")"

TLS_CA_FILE="$pki/ca.pem"
TLS_OTHER_CA_FILE="$pki/other-ca.pem"
export TLS_CA_FILE TLS_OTHER_CA_FILE
harness_run "$TOP_BUILDDIR/tests/integration/test_tls"
