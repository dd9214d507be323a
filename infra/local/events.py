#!/usr/bin/env python3
"""Delivers queue and bucket events to functions the way Lambda's event sources do.

For each source in the state file written by provision.py: receive a batch from its
queue, invoke the function through the Lambda Invoke API that `cargo lambda watch`
serves, then delete what succeeded. SQS sources get an SqsEvent and honour
`batchItemFailures` (ReportBatchItemFailures); a function error leaves the whole batch
to be redelivered after the visibility timeout, and the queue's redrive policy moves
repeat failures to its dead-letter queue. S3 sources get the S3 event the bucket
published (AWS's one-off s3:TestEvent is dropped)."""

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
            ok, _ = invoke(invoke_url, fn, {"Records": records}, timeout)
            delete = messages if ok else [m for m in messages if m not in keep]
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
    args = ap.parse_args()

    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    sources = state["sources"]
    if not sources:
        log("-", "no event sources in the template; nothing to deliver")
    stop = threading.Event()

    def pump(source):
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
