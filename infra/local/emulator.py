#!/usr/bin/env python3
"""Runs moto's server as the local AWS, with DynamoDB requests serialized.

moto applies TransactWriteItems by snapshotting whole tables and restoring the snapshot
when the transaction is cancelled, so any write that lands concurrently with a cancelled
transaction would be silently lost (seen as lost counter increments under parallel tests).
DynamoDB isolates transactions per item; serializing DynamoDB calls restores that guarantee
here. Other services stay concurrent, so SQS long polls never hold up table access.

Usage: emulator.py -H 127.0.0.1 -p PORT   (moto_server's own options)"""

import sys
import threading

from moto import server
from moto.dynamodb.responses import DynamoHandler

_dynamodb = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialized(self):
    with _dynamodb:
        return _call_action(self)


DynamoHandler.call_action = _serialized

if __name__ == "__main__":
    server.main(sys.argv[1:])
