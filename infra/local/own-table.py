"""Creates a table with the keys, indexes, stream and TTL of another (read from the emulator).

`make test` gives each end-to-end test binary a table of its own (infra/local/test-runner.sh):
the emulator answers an index query by reading the whole table, so one shared table makes
every binary pay for every other binary's data."""
import argparse

import boto3


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--table", required=True)
    args = ap.parse_args()
    ddb = boto3.client("dynamodb", endpoint_url=args.endpoint)
    source = ddb.describe_table(TableName=args.source)["Table"]
    create = {
        "TableName": args.table,
        "AttributeDefinitions": source["AttributeDefinitions"],
        "KeySchema": source["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if source.get("GlobalSecondaryIndexes"):
        create["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in source["GlobalSecondaryIndexes"]
        ]
    if source.get("StreamSpecification", {}).get("StreamEnabled"):
        create["StreamSpecification"] = source["StreamSpecification"]
    try:
        ddb.create_table(**create)
    except ddb.exceptions.ResourceInUseException:
        return  # a rerun of the same binary: the table is there
    ttl = ddb.describe_time_to_live(TableName=args.source)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") == "ENABLED":
        ddb.update_time_to_live(
            TableName=args.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )


if __name__ == "__main__":
    main()
