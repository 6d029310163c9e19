#!/bin/sh
# The client's signatures against an independent SigV4 verifier.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_node SIGV4 "$TOP_SRCDIR/tests/tools/sigv4-server.js"
AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$SIGV4_PORT"
export AWS_ENDPOINT_URL_DYNAMODB
harness_run "$TOP_BUILDDIR/tests/integration/test_signing"
