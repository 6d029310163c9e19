#!/bin/sh
# The API through real nginx against dynalite: every route and status, validation, If-Match,
# pagination and concurrency (test_api.c). The body limit is lowered to 4096 bytes so that a
# 5000-byte body proves the service's own 413 (nginx lets up to 1 MB through).
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
STACK_BODY_LIMIT=4096
harness_start_stack
export HARNESS_DIR # test_api reads the logs to prove no token reached them
harness_run "$TOP_BUILDDIR/tests/integration/test_api"
