#!/usr/bin/env python3
"""Runs moto's server as the local AWS, with two DynamoDB fidelity fixes.

1. DynamoDB requests are serialised. moto applies TransactWriteItems one operation at a
   time and undoes a cancelled transaction by restoring a snapshot, so a write landing
   concurrently with a cancelled transaction would be lost (seen as lost counter
   increments under parallel tests). DynamoDB isolates transactions; serialising the
   emulator's DynamoDB calls restores that guarantee. Other services stay concurrent.
2. That snapshot is a deep copy of every table the transaction touches, so each
   transaction costs time proportional to the table's size and a test suite that writes
   thousands of items slows quadratically. Instead, the items the transaction addresses
   (and the stream's length) are saved before it runs and put back if it is cancelled,
   which undoes exactly what the cancelled transaction wrote, stream records included.

Usage: emulator.py -H 127.0.0.1 -p PORT   (moto_server's own options)"""

import copy
import sys
import threading

from moto import server
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.responses import DynamoHandler

_dynamodb = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialized(self):
    with _dynamodb:
        return _call_action(self)


DynamoHandler.call_action = _serialized


class _CopyWithoutTables:
    """moto's `copy` module, except that copying a whole table is skipped (see 2.)."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(obj, memo=None):
        if isinstance(obj, dynamodb_models.Table):
            return obj
        return copy.deepcopy(obj, memo)


dynamodb_models.copy = _CopyWithoutTables()
_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _key_of(table, op_type, op):
    attrs = op["Item"] if op_type == "Put" else op["Key"]
    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _transact_with_item_rollback(self, transact_items):
    saved, streams = [], {}
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = self.tables.get(op.get("TableName"))
        if table is None or op_type == "ConditionCheck":
            continue
        try:
            hash_key, range_key = _key_of(table, op_type, op)
        except KeyError:
            continue  # malformed: moto rejects it before writing anything
        current = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table, len(table.stream_shard.items)))
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, hash_key, range_key, old in reversed(saved):
            if range_key is not None:
                bucket = table.items.setdefault(hash_key, {})
                if old is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = old
            elif old is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = old
        for table, length in streams.values():
            del table.stream_shard.items[length:]
        raise


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_with_item_rollback

if __name__ == "__main__":
    server.main(sys.argv[1:])
