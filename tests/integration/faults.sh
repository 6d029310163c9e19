#!/bin/sh
# The client against a fake DynamoDB that throttles, fails, corrupts, drops and hangs.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_node FAULT "$TOP_SRCDIR/tests/tools/fault-server.js"
AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$FAULT_PORT"
export AWS_ENDPOINT_URL_DYNAMODB
harness_run "$TOP_BUILDDIR/tests/integration/test_faults"
