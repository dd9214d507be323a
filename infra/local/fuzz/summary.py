#!/usr/bin/env python3
"""One line per check of a schemathesis run (its NDJSON report): how many responses it
judged and how many failed it. Usage: summary.py EVENTS.ndjson"""

import json
import sys
from collections import Counter


def main(path: str) -> None:
    judged, failed, requests = Counter(), Counter(), 0
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        requests += sum(1 for i in (recorder.get("interactions") or {}).values() if i.get("response"))
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                judged[check["name"]] += 1
                if check["status"] != "success":
                    failed[check["name"]] += 1
    print(f"    {requests} requests; per check: judged / failed")
    for name in sorted(judged):
        print(f"      {name:52} {judged[name]:5} / {failed[name]}")


if __name__ == "__main__":
    main(sys.argv[1])
