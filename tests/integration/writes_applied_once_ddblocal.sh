#!/bin/sh
# writes_applied_once.sh against DynamoDB Local, AWS's own implementation: there the item comes
# back with a failed condition (ReturnValuesOnConditionCheckFailure), so "mine" is told without
# a read. The answer closed and sent with a wrong CRC (the delay is proven against dynalite).
ONCE_EMULATOR=ddblocal
ONCE_MODES="close crc"
. "$TOP_SRCDIR/tests/integration/writes_applied_once.sh"
