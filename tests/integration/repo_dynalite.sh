#!/bin/sh
# The company and donor repositories against dynalite, the default local DynamoDB.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
harness_start_dynalite
harness_wait_dynalite
# Which emulator: what it does with ReturnValuesOnConditionCheckFailure differs.
SAVEALIFE_TEST_EMULATOR=dynalite
export SAVEALIFE_TEST_EMULATOR
harness_run "$TOP_BUILDDIR/tests/integration/test_repo"
