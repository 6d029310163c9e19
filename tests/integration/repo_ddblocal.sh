#!/bin/sh
# The company and donor repositories against DynamoDB Local, AWS's own implementation.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_ddblocal
# Which emulator: what it does with ReturnValuesOnConditionCheckFailure differs.
SAVEALIFE_TEST_EMULATOR=ddblocal
export SAVEALIFE_TEST_EMULATOR
harness_run "$TOP_BUILDDIR/tests/integration/test_repo"
