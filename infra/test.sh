#!/usr/bin/env bash
# `make test`: every check, against a private AWS emulator on a free loopback port.
#   1. installs the local tooling if missing (infra/bootstrap.sh)
#   2. checks the formatting (cargo fmt), the lints (cargo clippy -D warnings; full runs
#      only) and template.yaml (cfn-lint)
#   3. starts moto's server (one per lane), provisions it from template.yaml
#   4. builds every test binary once (`cargo test --workspace --no-run`) and runs them all
#      (unit, handler, consistency and end-to-end tests) in two lanes, each against an
#      emulator of its own (infra/local/lanes.py; each end-to-end test binary against a table
#      of its own: infra/local/test-runner.sh), then the doc tests;
#      `infra/test.sh <cargo test args>` runs a subset instead, e.g. `-p portal-tests --test identity`
#   5. fuzzes the API against infra/openapi.yaml (infra/local/served.sh: schemathesis against
#      the functions served as `make dev` serves them, on a stack of its own; full runs only)
#   6. stops everything it started, whatever happened; exits non-zero on any failure
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
VENV="$root/.venv"
# shellcheck source=local/emulator.sh
. "$root/infra/local/emulator.sh"

started=$(date +%s)
# Each stage's heading says when it started, so a slow run shows where its time went.
stage() { echo "==> $* (at $(( $(date +%s) - started )) s)"; }
"$root/infra/bootstrap.sh"
# shellcheck source=local/web.sh
. "$root/infra/local/web.sh"
build_web

stage "cargo fmt --check"
cargo fmt --all --check
echo "    the code is formatted"

if [ $# -eq 0 ]; then
  stage "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  echo "    no lints"
fi

stage "cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml
echo "    template.yaml is clean"

work="$(mktemp -d)"
EMULATOR_PIDS=()
cleanup() {
  for pid in "${EMULATOR_PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A full run tests in lanes, each against an emulator and stack of its own
# (infra/local/lanes.py): the emulator answers one request at a time, so one of them keeps
# one core busy at most. A subset runs in one lane. TEST_LANES overrides the count.
lanes="${TEST_LANES:-2}"
[ $# -gt 0 ] && lanes=1
# start_lane N: an emulator on a free port, provisioned from template.yaml in the
# background (PROVISION_PIDS); the lane's whole environment goes to $work/laneN.env.
PROVISION_PIDS=()
start_lane() {
  local n="$1" port
  port="$(free_port)"
  echo "    lane $n: the AWS emulator on 127.0.0.1:$port"
  # S3_UPLOAD_PART_MIN_SIZE (read by moto from its environment; S3's own minimum, and
  # moto's default, is 5 MiB for every part but the last): the export tests upload 64 KiB
  # parts to exercise the multipart upload and its continuation without 5 MiB of data; the
  # worker itself uses 8 MiB parts. Only these emulators: `make dev` and the fuzz stack
  # keep S3's minimum.
  S3_UPLOAD_PART_MIN_SIZE=65536 start_emulator "$port" "$work/emulator-$n.log"
  EMULATOR_PIDS+=("$EMULATOR_PID")
  (
    "$VENV/bin/python" infra/local/provision.py --endpoint "http://127.0.0.1:$port" \
      --stack "portal-test-$n" --param Stage=local --env-out "$work/stack-$n.env" \
      --state-out "$work/state-$n.json" >"$work/provision-$n.log" 2>&1 \
      || { echo "provisioning lane $n failed; its log:" >&2; cat "$work/provision-$n.log" >&2; exit 1; }
    {
      cat "$work/stack-$n.env"
      aws_env_for "$port"
      echo "PORTAL_TEST_STATE=$work/state-$n.json"
      echo "PORTAL_PYTHON=$VENV/bin/python"
    } >"$work/lane$n.env"
  ) &
  PROVISION_PIDS+=($!)
}
stage "starting $lanes AWS emulator(s), provisioned from template.yaml"
for n in $(seq 1 "$lanes"); do start_lane "$n"; done
wait_provisioned() {
  local pid
  for pid in "${PROVISION_PIDS[@]}"; do wait "$pid"; done
  PROVISION_PIDS=()
}

export PORTAL_PYTHON="$VENV/bin/python"
if [ $# -gt 0 ]; then
  wait_provisioned
  set -a
  # shellcheck disable=SC1091
  . "$work/lane1.env"
  set +a
  # Each end-to-end test binary gets a table of its own (infra/local/test-runner.sh).
  host="$(rustc -vV | sed -n 's/^host: //p')"
  export "CARGO_TARGET_$(echo "$host" | tr 'a-z-' 'A-Z_')_RUNNER=$root/infra/local/test-runner.sh"
  stage "cargo test $*"
  cargo test "$@"
else
  stage "cargo test --workspace --no-run (every test binary, built once)"
  cargo test --workspace --no-run --quiet --message-format=json-render-diagnostics >"$work/tests.json"
  wait_provisioned
  stage "the test binaries in $lanes lanes (infra/local/lanes.py)"
  lane_envs=()
  for n in $(seq 1 "$lanes"); do lane_envs+=(--lane-env "$work/lane$n.env"); done
  "$VENV/bin/python" infra/local/lanes.py --artifacts "$work/tests.json" "${lane_envs[@]}" \
    --runner "$root/infra/local/test-runner.sh" --logs "$work/test-logs"
  stage "cargo test --workspace --doc"
  (set -a; . "$work/lane1.env"; set +a; cargo test --workspace --doc --quiet)
fi

# The fuzz stage brings its own emulator; these ones' memory goes back first.
for pid in "${EMULATOR_PIDS[@]}"; do stop_pid "$pid"; done
EMULATOR_PIDS=()

if [ $# -eq 0 ]; then
  stage "the served stage: API fuzzing and browser tests (infra/local/served.sh)"
  "$root/infra/local/served.sh"
fi
echo "==> all checks passed in $(( $(date +%s) - started )) s"
