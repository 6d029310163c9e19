#!/bin/sh
# Every client operation against DynamoDB Local, AWS's own implementation (conformance).
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_ddblocal
harness_run "$TOP_BUILDDIR/tests/integration/test_ddb_ops"
