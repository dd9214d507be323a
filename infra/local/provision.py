#!/usr/bin/env python3
"""Creates the local stack's resources on the AWS emulator from template.yaml's own
definitions: the table (keys, indexes, TTL), buckets (CORS, event notifications), queues
(FIFO, visibility, redrive to their dead-letter queues), secrets (generated like
CloudFormation's GenerateSecretString; `Metadata.LocalValue` secrets get a local value: a
fresh ES256 signing key, or OAuth credentials for the fake Zoho) and SES identities.

Writes two files: an env file with every Globals environment variable resolved to the
local resources (what `cargo lambda watch` and the tests load), and a state file naming
the event sources that infra/local/events.py delivers to functions."""

from __future__ import annotations

import argparse
import json
import re
import os
import secrets
import string
import sys

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
import cfn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
signing_key = __import__("signing-key")  # infra/signing-key.py

# Where the local stack's fake Zoho answers (infra/dev.sh starts it); its token endpoint
# accepts these credentials and names itself as the API domain.
FAKE_ZOHO_URL = os.environ.get("FAKE_ZOHO_URL", "http://127.0.0.1:9400")


def fake_zoho_credentials() -> str:
    return json.dumps({"client_id": "fake-client", "client_secret": "fake-secret",
                       "refresh_token": "fake-refresh", "accounts_url": FAKE_ZOHO_URL})


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=cfn.REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def random_string(length: int, exclude_punctuation: bool) -> str:
    alphabet = string.ascii_letters + string.digits
    if not exclude_punctuation:
        alphabet += "!#$%&()*+,-.:;<=>?[]^_{|}~"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def create_tables(r: cfn.Resolver, endpoint: str):
    ddb = client("dynamodb", endpoint)
    for logical, res in r.resources("AWS::DynamoDB::Table"):
        p = r.value(res["Properties"])
        name = p.get("TableName") or r.physical_name(logical)
        args = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if p.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        if p.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        out = ddb.create_table(**args)["TableDescription"]
        ttl = p.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        r.refs[logical] = name
        r.attrs[(logical, "Arn")] = out["TableArn"]
        if out.get("LatestStreamArn"):
            r.attrs[(logical, "StreamArn")] = out["LatestStreamArn"]


def create_buckets(r: cfn.Resolver, endpoint: str):
    s3 = client("s3", endpoint)
    for logical, res in r.resources("AWS::S3::Bucket"):
        p = r.value(res.get("Properties") or {})
        name = p.get("BucketName") or r.physical_name(logical)
        s3.create_bucket(Bucket=name)
        if p.get("CorsConfiguration"):
            # CloudFormation's CORS property names differ from the S3 API's.
            renames = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}
            rules = [{renames.get(k, k): v for k, v in rule.items()} for rule in p["CorsConfiguration"]["CorsRules"]]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        r.refs[logical] = name
        r.attrs[(logical, "Arn")] = f"arn:aws:s3:::{name}"


def queue_attributes(p: dict, r: cfn.Resolver) -> dict:
    attrs = {}
    for key, attr in [
        ("FifoQueue", "FifoQueue"),
        ("ContentBasedDeduplication", "ContentBasedDeduplication"),
        ("VisibilityTimeout", "VisibilityTimeout"),
        ("MessageRetentionPeriod", "MessageRetentionPeriod"),
        ("DelaySeconds", "DelaySeconds"),
        ("ReceiveMessageWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds"),
    ]:
        if key in p:
            v = p[key]
            attrs[attr] = str(v).lower() if isinstance(v, bool) else str(v)
    if "RedrivePolicy" in p:
        attrs["RedrivePolicy"] = json.dumps(p["RedrivePolicy"])
    return attrs


def create_queues(r: cfn.Resolver, endpoint: str):
    sqs = client("sqs", endpoint)
    pending = dict(r.resources("AWS::SQS::Queue"))
    while pending:
        progressed = False
        for logical, res in list(pending.items()):
            try:
                p = r.value(res.get("Properties") or {})
            except KeyError:
                continue  # its dead-letter queue is not created yet
            name = p.get("QueueName") or r.physical_name(logical)
            if p.get("FifoQueue") and not name.endswith(".fifo"):
                name += ".fifo"
            url = sqs.create_queue(QueueName=name, Attributes=queue_attributes(p, r))["QueueUrl"]
            r.refs[logical] = url
            r.attrs[(logical, "Arn")] = f"arn:aws:sqs:{cfn.REGION}:{cfn.ACCOUNT}:{name}"
            r.attrs[(logical, "QueueName")] = name
            r.attrs[(logical, "QueueUrl")] = url
            del pending[logical]
            progressed = True
        if not progressed:
            raise SystemExit(f"queues with unresolvable references: {sorted(pending)}")


def env_value(v: str) -> str:
    """A value for the env file, which bash sources and `cargo lambda watch --env-file`
    reads: plain when safe, else single-quoted (literal in both). `=` is not safe: watch's
    parser refuses a plain value holding one (`TIER_COMMISSION_RATES=gold=1000`)."""
    if re.fullmatch(r"[A-Za-z0-9_./:@,+-]*", v):
        return v
    if "'" in v:
        raise SystemExit(f"an environment value may not contain a single quote: {v!r}")
    return f"'{v}'"


def create_secrets(r: cfn.Resolver, endpoint: str, overrides: dict[str, str]):
    sm = client("secretsmanager", endpoint)
    values: dict[str, str] = {}
    # Secrets derived from another (public keys of the signing keys) come after it.
    ordered = sorted(
        r.resources("AWS::SecretsManager::Secret"),
        key=lambda lr: bool((lr[1].get("Metadata") or {}).get("PublicKeysOf")),
    )
    for logical, res in ordered:
        p = r.value(res.get("Properties") or {})
        name = p.get("Name") or r.physical_name(logical)
        meta = res.get("Metadata") or {}
        local_value = meta.get("LocalValue")
        if logical in overrides:
            value = overrides[logical]
        elif local_value == "es256-signing-key":
            value = signing_key.new_secret()
        elif local_value == "es256-public-keys":
            value = signing_key.public_keys(values[meta["PublicKeysOf"]])
        elif local_value == "fake-zoho-credentials":
            value = fake_zoho_credentials()
        elif local_value == "fake-strapi-token":
            value = json.dumps({"token": os.environ.get("FAKE_STRAPI_TOKEN", "fake-strapi-token")})
        elif local_value:
            raise SystemExit(f"{logical}: unknown Metadata.LocalValue {local_value!r}")
        elif "SecretString" in p:
            value = p["SecretString"]
        else:
            g = p.get("GenerateSecretString") or {}
            generated = random_string(int(g.get("PasswordLength", 32)), bool(g.get("ExcludePunctuation")))
            if g.get("GenerateStringKey"):
                doc = json.loads(g.get("SecretStringTemplate") or "{}")
                doc[g["GenerateStringKey"]] = generated
                value = json.dumps(doc)
            else:
                value = generated
        arn = sm.create_secret(Name=name, SecretString=value)["ARN"]
        r.refs[logical] = arn
        values[logical] = value


def create_email_identities(r: cfn.Resolver, endpoint: str):
    ses = client("ses", endpoint)
    for logical, res in r.resources("AWS::SES::EmailIdentity"):
        p = r.value(res["Properties"])
        ses.verify_email_identity(EmailAddress=p["EmailIdentity"])
        r.refs[logical] = p["EmailIdentity"]


def function_name(logical: str, res: dict) -> str:
    """The cargo-lambda binary (= package) a function resource builds."""
    binary = ((res.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
    return binary or os.path.basename(res["Properties"]["CodeUri"].rstrip("/"))


def wire_event_sources(r: cfn.Resolver, endpoint: str) -> list[dict]:
    """SQS sources are polled directly; S3 sources go bucket -> a local notification queue
    -> the function, the way Lambda's S3 trigger would deliver them; DynamoDB sources read
    the table's stream; Schedule sources are timers (infra/local/events.py)."""
    sqs = client("sqs", endpoint)
    s3 = client("s3", endpoint)
    sources = []
    notifications: dict[str, list] = {}

    def queue_url(destination) -> str | None:
        """The local URL of a `!GetAtt Queue.Arn` on-failure destination."""
        if not destination:
            return None
        return sqs.get_queue_url(QueueName=r.value(destination).rsplit(":", 1)[1])["QueueUrl"]

    for logical, res in r.resources("AWS::Serverless::Function"):
        fn = function_name(logical, res)
        for event_name, event in (res["Properties"].get("Events") or {}).items():
            props = event.get("Properties") or {}
            if event["Type"] == "SQS":
                arn = r.value(props["Queue"])
                queue_name = arn.rsplit(":", 1)[1]
                url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
                sources.append({
                    "kind": "sqs",
                    "function": fn,
                    "queue_url": url,
                    "queue_arn": arn,
                    "batch_size": int(props.get("BatchSize", 10)),
                    "report_batch_item_failures": "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                })
            elif event["Type"] == "DynamoDB":
                stream_arn = r.value(props["Stream"])
                on_failure = (((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
                dlq_url = queue_url(on_failure)
                sources.append({
                    "kind": "dynamodb",
                    "function": fn,
                    "stream_arn": stream_arn,
                    "starting_position": props.get("StartingPosition", "LATEST"),
                    "batch_size": int(props.get("BatchSize", 100)),
                    "max_retries": int(props.get("MaximumRetryAttempts", 3)),
                    "report_batch_item_failures": "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    "filters": [json.loads(f["Pattern"]) for f in ((props.get("FilterCriteria") or {}).get("Filters") or [])],
                    "on_failure_queue_url": dlq_url,
                })
            elif event["Type"] == "S3":
                bucket = r.value(props["Bucket"])
                queue_name = f"{r.stack}-s3-{fn}-{event_name}".lower()[:80]
                # A failed delivery is retried after the visibility timeout: seconds
                # locally, like Lambda's asynchronous retries (which wait minutes).
                url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
                qarn = f"arn:aws:sqs:{cfn.REGION}:{cfn.ACCOUNT}:{queue_name}"
                events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
                config = {"QueueArn": qarn, "Events": events}
                rules = ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules")
                if rules:
                    config["Filter"] = {"Key": {"FilterRules": rules}}
                notifications.setdefault(bucket, []).append(config)
                # S3 invokes asynchronously: EventInvokeConfig bounds the retries and names
                # the on-failure queue, as for schedules.
                invoke_config = res["Properties"].get("EventInvokeConfig") or {}
                on_failure = ((invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                sources.append({
                    "kind": "s3",
                    "function": fn,
                    "queue_url": url,
                    "bucket": bucket,
                    "max_retries": int(invoke_config.get("MaximumRetryAttempts", 2)),
                    "on_failure_queue_url": queue_url(on_failure),
                })
            elif event["Type"] == "Schedule":
                if props.get("Enabled") is False or props.get("State") == "DISABLED":
                    continue
                # An EventBridge rule invokes the function asynchronously: its
                # EventInvokeConfig bounds the retries and names the on-failure queue.
                invoke_config = res["Properties"].get("EventInvokeConfig") or {}
                on_failure = ((invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                sources.append({
                    "kind": "schedule",
                    "function": fn,
                    "schedule": r.value(props["Schedule"]),
                    "rule_arn": f"arn:aws:events:{cfn.REGION}:{cfn.ACCOUNT}:rule/{r.stack}-{logical}{event_name}"[:200],
                    "input": r.value(props["Input"]) if "Input" in props else None,
                    "max_retries": int(invoke_config.get("MaximumRetryAttempts", 2)),
                    "on_failure_queue_url": queue_url(on_failure),
                })
    for bucket, configs in notifications.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs}
        )
    return sources


def function_environment(r: cfn.Resolver) -> dict[str, str]:
    variables = (((r.template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get("Variables") or {}
    return {k: str(r.value(v)) for k, v in variables.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--template", default="template.yaml")
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stack", default="portal-local")
    ap.add_argument("--param", action="append", default=[], help="Name=Value parameter override")
    ap.add_argument("--secret", action="append", default=[], help="LogicalId=@file secret value override")
    ap.add_argument("--env-out", required=True)
    ap.add_argument("--state-out", required=True)
    args = ap.parse_args()

    params = dict(p.split("=", 1) for p in args.param)
    overrides = {}
    for s in args.secret:
        logical, path = s.split("=@", 1)
        with open(path, encoding="utf-8") as f:
            overrides[logical] = f.read()

    template = cfn.load(args.template)
    r = cfn.Resolver(template, args.stack, params)
    create_tables(r, args.endpoint)
    create_buckets(r, args.endpoint)
    create_queues(r, args.endpoint)
    create_secrets(r, args.endpoint, overrides)
    create_email_identities(r, args.endpoint)
    sources = wire_event_sources(r, args.endpoint)

    env = function_environment(r)
    os.makedirs(os.path.dirname(os.path.abspath(args.env_out)), exist_ok=True)
    with open(args.env_out, "w", encoding="utf-8") as f:
        for k, v in sorted(env.items()):
            f.write(f"{k}={env_value(str(v))}\n")
    with open(args.state_out, "w", encoding="utf-8") as f:
        json.dump({"endpoint": args.endpoint, "stack": args.stack, "sources": sources,
                   "resources": r.refs}, f, indent=2)
    print(f"provisioned {len(r.refs)} resources and {len(sources)} event sources from {args.template}")


if __name__ == "__main__":
    main()
