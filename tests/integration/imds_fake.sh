#!/bin/sh
# Credentials from EC2 instance metadata (IMDSv2) against our fake metadata service: token
# first, 403 without one, refresh before Expiration, nothing asked when disabled.
. "$TOP_SRCDIR/tests/lib/harness.sh"
harness_env
# test_imds sets the credential variables test by test; here the metadata service is on,
# and it is the fake one on loopback.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED
harness_start_node fake_imds "$TOP_SRCDIR/tests/tools/fake-imds.js"
FAKE_IMDS_URL="http://127.0.0.1:$fake_imds_PORT"
AWS_EC2_METADATA_SERVICE_ENDPOINT=$FAKE_IMDS_URL
export FAKE_IMDS_URL AWS_EC2_METADATA_SERVICE_ENDPOINT
harness_run "$TOP_BUILDDIR/tests/integration/test_imds"
