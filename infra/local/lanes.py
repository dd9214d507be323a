"""Runs the workspace's test binaries in lanes, each lane against an emulator of its own.

`make test` builds every test binary once (`cargo test --workspace --no-run
--message-format=json`, whose output this reads) and hands them to this script. The
emulator answers one request at a time, so one emulator keeps one core busy at most; each
lane has its own emulator and stack (the environment file `infra/test.sh` wrote for it),
so two lanes use both cores. Every binary runs as cargo would run it (from its package's
directory, through the test runner `infra/local/test-runner.sh`, which gives an end-to-end
binary a table of its own), and all of them run whatever fails (`--no-fail-fast`).

The end-to-end binaries go first, the largest first (their source size stands in for their
running time), so the many quick unit-test binaries fill the lanes at the end. Each
binary's output is printed whole when it ends, then the slowest binaries and any failures.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip().strip('"').strip("'")
    return env


def test_binaries(artifacts, root):
    """(weight, label, executable, package directory) of every test binary cargo built."""
    found = {}
    for line in Path(artifacts).read_text().splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
            continue
        if not msg.get("profile", {}).get("test"):
            continue
        pkg_dir = Path(msg["manifest_path"]).parent
        target = msg["target"]
        label = f"{pkg_dir.name}:{target['name']}" if target["name"] != pkg_dir.name else pkg_dir.name
        src = Path(target["src_path"])
        end_to_end = src.parent == root / "tests" / "tests"
        weight = src.stat().st_size if end_to_end else 0
        found[msg["executable"]] = (weight, label, msg["executable"], str(pkg_dir))
    return sorted(found.values(), key=lambda b: (-b[0], b[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--artifacts", required=True, help="cargo's JSON messages of the test build")
    ap.add_argument("--lane-env", action="append", required=True, help="one environment file per lane")
    ap.add_argument("--runner", required=True)
    ap.add_argument("--logs", required=True, help="directory for each binary's output")
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[2]
    binaries = test_binaries(args.artifacts, root)
    if not binaries:
        print("no test binaries in the build output", file=sys.stderr)
        return 1
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    work = queue.Queue()
    for b in binaries:
        work.put(b)
    printing = threading.Lock()
    results = []

    def lane(index, lane_env):
        env = dict(os.environ)
        env.update(lane_env)
        while True:
            try:
                _, label, exe, cwd = work.get_nowait()
            except queue.Empty:
                return
            log = logs / (label.replace(":", "-") + ".log")
            started = time.monotonic()
            with open(log, "wb") as out:
                code = subprocess.call([args.runner, exe, "-q"], cwd=cwd, env=env,
                                       stdout=out, stderr=subprocess.STDOUT)
            took = time.monotonic() - started
            with printing:
                results.append((took, label, code))
                verdict = "ok" if code == 0 else f"FAILED (exit {code})"
                print(f"--- {label}: {verdict} in {took:.0f} s (lane {index + 1})", flush=True)
                text = log.read_text(errors="replace").strip()
                if text:
                    print(text, flush=True)

    lanes = [read_env(p) for p in args.lane_env]
    print(f"    {len(binaries)} test binaries in {len(lanes)} lanes", flush=True)
    threads = [threading.Thread(target=lane, args=(i, e)) for i, e in enumerate(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slowest = sorted(results, reverse=True)[:8]
    print("    slowest: " + ", ".join(f"{label} {took:.0f} s" for took, label, _ in slowest))
    failed = [label for _, label, code in results if code != 0]
    if failed or len(results) != len(binaries):
        print(f"    FAILED: {', '.join(failed) or 'a lane stopped early'}", file=sys.stderr)
        return 1
    print(f"    all {len(results)} test binaries passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
