#!/usr/bin/env python3
"""Delivers queue, bucket, table-stream and schedule events to functions the way Lambda's
event sources do.

For each source in the state file written by provision.py: receive a batch from its
queue, invoke the function through the Lambda Invoke API that `cargo lambda watch`
serves, then delete what succeeded. SQS sources (FIFO included: group and de-duplication
ids arrive in the record's attributes) get an SqsEvent and honour `batchItemFailures`
(ReportBatchItemFailures); a function error leaves the whole batch to be redelivered
after the visibility timeout, and the queue's redrive policy moves repeat failures to its
dead-letter queue. S3 sources get the S3 event the bucket published (AWS's one-off
s3:TestEvent is dropped). DynamoDB sources read the table's stream through the filter.
Schedule sources get EventBridge's "Scheduled Event" every LOCAL_SCHEDULE_SECONDS
(default 60; 0 turns them off) instead of at their real rate, retried like an
asynchronous invocation and then recorded on the on-failure queue."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(__file__))
import cfn  # noqa: E402
from provision import client  # noqa: E402


def invoke(invoke_url: str, function: str, event: dict, timeout: float) -> tuple[bool, dict | None]:
    """(succeeded, response payload)."""
    req = urllib.request.Request(
        f"{invoke_url}/2015-03-31/functions/{function}/invocations",
        data=json.dumps(event).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            failed = resp.headers.get("X-Amz-Function-Error") is not None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        log(function, f"invoke failed: {e}")
        return False, None
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "errorType" in payload:
        failed = True
    if failed:
        log(function, f"function error: {str(payload)[:200]}")
    return not failed, payload


def log(function: str, message: str):
    print(f"[events] {function}: {message}", flush=True)


def sqs_record(msg: dict, source: dict) -> dict:
    return {
        "messageId": msg["MessageId"],
        "receiptHandle": msg["ReceiptHandle"],
        "body": msg["Body"],
        "attributes": msg.get("Attributes", {}),
        "messageAttributes": {
            k: {"stringValue": v.get("StringValue"), "binaryValue": v.get("BinaryValue"),
                "stringListValues": [], "binaryListValues": [], "dataType": v["DataType"]}
            for k, v in (msg.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": msg.get("MD5OfBody") or hashlib.md5(msg["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": source["queue_arn"],
        "awsRegion": cfn.REGION,
    }


def s3_record(record: dict) -> dict:
    """The emulator's notification record, completed to the shape Lambda's S3 trigger sends."""
    r = dict(record)
    r.setdefault("eventVersion", "2.1")
    r.setdefault("eventSource", "aws:s3")
    r.setdefault("awsRegion", cfn.REGION)
    r.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
    r.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    r.setdefault("responseElements", {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"})
    s3 = dict(r.get("s3") or {})
    s3.setdefault("s3SchemaVersion", "1.0")
    s3.setdefault("configurationId", "local")
    bucket = dict(s3.get("bucket") or {})
    bucket.setdefault("ownerIdentity", {"principalId": "LOCAL"})
    bucket.setdefault("arn", f"arn:aws:s3:::{bucket.get('name', '')}")
    s3["bucket"] = bucket
    obj = dict(s3.get("object") or {})
    if "key" in obj:
        # AWS form-encodes keys but leaves "/" alone; the emulator encodes "/" too.
        obj["key"] = urllib.parse.quote_plus(urllib.parse.unquote_plus(obj["key"]), safe="/")
    s3["object"] = obj
    r["s3"] = s3
    return r


def matches(pattern: dict, event: dict) -> bool:
    """The subset of Lambda's event filter patterns the template uses: nested keys, each
    leaf a list of allowed values."""
    for key, want in pattern.items():
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(want, dict):
            if not isinstance(value, dict) or not matches(want, value):
                return False
        elif isinstance(want, list):
            if value not in want:
                return False
    return True


def stream_record(record: dict, source: dict) -> dict:
    """A DynamoDB Streams GetRecords record in the shape Lambda's event source sends."""
    d = dict(record["dynamodb"])
    created = d.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        d["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", cfn.REGION),
        "dynamodb": d,
        "eventSourceARN": source["stream_arn"],
    }


def pump_stream(source: dict, endpoint: str, invoke_url: str, timeout: float, stop: threading.Event):
    """Reads the table's stream like Lambda's DynamoDB event source: filter, invoke, retry
    from the first failed record up to MaximumRetryAttempts, then send the batch's details
    to the on-failure queue and move on."""
    streams = client("dynamodbstreams", endpoint)
    sqs = client("sqs", endpoint)
    fn = source["function"]
    shards = streams.describe_stream(StreamArn=source["stream_arn"])["StreamDescription"]["Shards"]
    iterators = {
        s["ShardId"]: streams.get_shard_iterator(
            StreamArn=source["stream_arn"], ShardId=s["ShardId"], ShardIteratorType=source["starting_position"]
        )["ShardIterator"]
        for s in shards
    }
    while not stop.is_set():
        idle = True
        for shard, iterator in list(iterators.items()):
            out = streams.get_records(ShardIterator=iterator, Limit=source["batch_size"])
            iterators[shard] = out.get("NextShardIterator") or iterator
            records = [stream_record(r, source) for r in out.get("Records", [])]
            if source["filters"]:
                records = [r for r in records if any(matches(p, r) for p in source["filters"])]
            if not records:
                continue
            idle = False
            pending, attempts = records, 0
            while pending and not stop.is_set():
                ok, payload = invoke(invoke_url, fn, {"Records": pending}, timeout)
                if ok:
                    failed = set()
                    if source.get("report_batch_item_failures") and isinstance(payload, dict):
                        failed = {f.get("itemIdentifier") for f in payload.get("batchItemFailures") or []}
                    positions = [i for i, r in enumerate(pending) if r["dynamodb"].get("SequenceNumber") in failed]
                    if not positions:
                        log(fn, f"delivered {len(pending)} stream record(s)")
                        break
                    pending = pending[positions[0]:]
                attempts += 1
                if attempts > source["max_retries"]:
                    log(fn, f"{len(pending)} stream record(s) failed after {attempts} attempts; sent to the on-failure queue")
                    if source.get("on_failure_queue_url"):
                        sqs.send_message(QueueUrl=source["on_failure_queue_url"], MessageBody=json.dumps({
                            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": fn},
                            "DDBStreamBatchInfo": {
                                "shardId": shard,
                                "startSequenceNumber": pending[0]["dynamodb"].get("SequenceNumber"),
                                "endSequenceNumber": pending[-1]["dynamodb"].get("SequenceNumber"),
                                "batchSize": len(pending),
                                "streamArn": source["stream_arn"],
                            },
                            "records": pending,
                        }, default=str))
                    break
                time.sleep(min(0.2 * 2 ** attempts, 5))
        if idle:
            time.sleep(0.3)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(source: dict) -> dict:
    """What an EventBridge schedule rule sends its target (or the rule's fixed Input)."""
    if source.get("input"):
        return json.loads(source["input"])
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": cfn.ACCOUNT,
        "time": utc_now(),
        "region": cfn.REGION,
        "resources": [source["rule_arn"]],
        "detail": {},
    }


def pump_schedule(source: dict, endpoint: str, invoke_url: str, timeout: float, period: float,
                  stop: threading.Event):
    """Invokes a scheduled function every `period` seconds. Like Lambda's asynchronous
    invocation: a failed run is retried up to the function's MaximumRetryAttempts (here
    after seconds, not minutes), then its event goes to the on-failure queue in the shape
    of Lambda's destination record."""
    fn = source["function"]
    if period <= 0:
        log(fn, f"{source['schedule']}: off locally (LOCAL_SCHEDULE_SECONDS=0)")
        return
    log(fn, f"{source['schedule']}: invoked every {period:g} s locally (LOCAL_SCHEDULE_SECONDS)")
    sqs = client("sqs", endpoint)
    while not stop.wait(period):
        event = scheduled_event(source)
        attempts, payload = 0, None
        while not stop.is_set():
            attempts += 1
            ok, payload = invoke(invoke_url, fn, event, timeout)
            if ok:
                log(fn, "scheduled run done")
                break
            if attempts > source["max_retries"]:
                log(fn, f"scheduled run failed {attempts} times; sent to the on-failure queue")
                if source.get("on_failure_queue_url"):
                    sqs.send_message(QueueUrl=source["on_failure_queue_url"], MessageBody=json.dumps({
                        "version": "1.0",
                        "timestamp": utc_now(),
                        "requestContext": {
                            "requestId": str(uuid.uuid4()),
                            "functionArn": f"arn:aws:lambda:{cfn.REGION}:{cfn.ACCOUNT}:function:{fn}:$LATEST",
                            "condition": "RetriesExhausted",
                            "approximateInvokeCount": attempts,
                        },
                        "requestPayload": event,
                        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                            "functionError": "Unhandled"},
                        "responsePayload": payload,
                    }, default=str))
                break
            stop.wait(min(2 ** attempts, 30))


def deliver_once(sqs, source: dict, invoke_url: str, wait: int, timeout: float) -> int:
    """Receives one batch and delivers it; returns how many messages were received."""
    batch = min(int(source.get("batch_size", 10)), 10)
    out = sqs.receive_message(
        QueueUrl=source["queue_url"],
        MaxNumberOfMessages=batch,
        WaitTimeSeconds=wait,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages = out.get("Messages", [])
    if not messages:
        return 0
    fn = source["function"]
    if source["kind"] == "s3":
        records, keep = [], []
        for m in messages:
            body = json.loads(m["Body"])
            if body.get("Event") == "s3:TestEvent":
                continue
            records.extend(s3_record(x) for x in body.get("Records", []))
            keep.append(m)
        delete = messages if not records else []
        if records:
            event = {"Records": records}
            ok, payload = invoke(invoke_url, fn, event, timeout)
            delete = messages if ok else [m for m in messages if m not in keep]
            if not ok:
                # Asynchronous invocation: after MaximumRetryAttempts retries the event goes
                # to the on-failure destination (as Lambda sends it), not back to the bucket.
                attempts = max(int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")) for m in keep)
                if attempts > int(source.get("max_retries", 2)):
                    if source.get("on_failure_queue_url"):
                        sqs.send_message(QueueUrl=source["on_failure_queue_url"], MessageBody=json.dumps({
                            "version": "1.0",
                            "requestContext": {"functionArn": fn, "condition": "RetriesExhausted",
                                               "approximateInvokeCount": attempts},
                            "requestPayload": event,
                            "responseContext": {"functionError": "Unhandled"},
                            "responsePayload": payload,
                        }, default=str))
                        log(fn, "retries exhausted; the event went to the on-failure queue")
                    delete = messages
    else:
        ok, payload = invoke(invoke_url, fn, {"Records": [sqs_record(m, source) for m in messages]}, timeout)
        delete = []
        if ok:
            failed = set()
            if source.get("report_batch_item_failures") and isinstance(payload, dict):
                failed = {f.get("itemIdentifier") for f in payload.get("batchItemFailures") or []}
            delete = [m for m in messages if m["MessageId"] not in failed]
            if failed:
                log(fn, f"{len(failed)} of {len(messages)} messages failed; they will be retried")
    if delete:
        sqs.delete_message_batch(
            QueueUrl=source["queue_url"],
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(delete)],
        )
    log(fn, f"delivered {len(messages)} {source['kind']} message(s), {len(delete)} done")
    return len(messages)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--state", required=True)
    ap.add_argument("--invoke-url", default="http://127.0.0.1:9000")
    ap.add_argument("--wait", type=int, default=2, help="long-poll seconds per receive")
    ap.add_argument("--timeout", type=float, default=600, help="seconds to wait for one invocation "
                    "(the first one may wait for cargo lambda watch to compile the function)")
    ap.add_argument("--schedule-seconds", type=float,
                    default=float(os.environ.get("LOCAL_SCHEDULE_SECONDS") or 60),
                    help="period of Schedule sources locally (default LOCAL_SCHEDULE_SECONDS or 60; 0 = off)")
    args = ap.parse_args()

    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    sources = state["sources"]
    if not sources:
        log("-", "no event sources in the template; nothing to deliver")
    stop = threading.Event()

    def pump(source):
        if source["kind"] == "schedule":
            while not stop.is_set():
                try:
                    pump_schedule(source, state["endpoint"], args.invoke_url, args.timeout,
                                  args.schedule_seconds, stop)
                    return
                except Exception as e:
                    log(source["function"], f"schedule error: {e}")
                    time.sleep(1)
            return
        if source["kind"] == "dynamodb":
            while not stop.is_set():
                try:
                    pump_stream(source, state["endpoint"], args.invoke_url, args.timeout, stop)
                except Exception as e:
                    log(source["function"], f"stream error: {e}")
                    time.sleep(1)
            return
        sqs = client("sqs", state["endpoint"])
        while not stop.is_set():
            try:
                deliver_once(sqs, source, args.invoke_url, args.wait, args.timeout)
            except Exception as e:  # keep delivering; the emulator may be restarting
                log(source["function"], f"delivery error: {e}")
                time.sleep(1)

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in sources]
    for t in threads:
        t.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
