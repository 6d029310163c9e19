#!/bin/sh
# The company and donor repositories against DynamoDB Local, AWS's own implementation.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_ddblocal
harness_run "$TOP_BUILDDIR/tests/integration/test_repo"
