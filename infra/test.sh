#!/usr/bin/env bash
# `make test`: every check, against a private AWS emulator on a free loopback port.
#   1. installs the local tooling if missing (infra/bootstrap.sh)
#   2. checks the formatting (cargo fmt), the lints (cargo clippy -D warnings; full runs
#      only) and template.yaml (cfn-lint)
#   3. starts moto's server, provisions it from template.yaml
#   4. runs `cargo test --workspace` (unit, handler, consistency and end-to-end tests; each
#      end-to-end test binary against a table of its own: infra/local/test-runner.sh);
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
EMULATOR_PID=""
cleanup() {
  stop_pid "$EMULATOR_PID"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port="$(free_port)"
stage "starting the AWS emulator on 127.0.0.1:$port"
# S3_UPLOAD_PART_MIN_SIZE (read by moto from its environment; S3's own minimum, and
# moto's default, is 5 MiB for every part but the last): the export tests upload 64 KiB
# parts to exercise the multipart upload and its continuation without 5 MiB of data; the
# worker itself uses 8 MiB parts. Only this emulator: `make dev` and the fuzz stack keep
# S3's minimum.
S3_UPLOAD_PART_MIN_SIZE=65536 start_emulator "$port" "$work/emulator.log"
"$VENV/bin/python" infra/local/provision.py --endpoint "http://127.0.0.1:$port" --stack portal-test \
  --param Stage=local --env-out "$work/env" --state-out "$work/state.json"

set -a
# shellcheck disable=SC1091
. "$work/env"
eval "$(aws_env_for "$port")"
set +a
export PORTAL_TEST_STATE="$work/state.json"
export PORTAL_PYTHON="$VENV/bin/python"
# Each end-to-end test binary gets a table of its own (infra/local/test-runner.sh).
host="$(rustc -vV | sed -n 's/^host: //p')"
export "CARGO_TARGET_$(echo "$host" | tr 'a-z-' 'A-Z_')_RUNNER=$root/infra/local/test-runner.sh"

stage "cargo test --workspace"
if [ $# -gt 0 ]; then cargo test "$@"; else cargo test --workspace --no-fail-fast --quiet; fi

# The fuzz stage brings its own emulator; this one's memory goes back first.
stop_pid "$EMULATOR_PID"
EMULATOR_PID=""

if [ $# -eq 0 ]; then
  stage "the served stage: API fuzzing and browser tests (infra/local/served.sh)"
  "$root/infra/local/served.sh"
fi
echo "==> all checks passed in $(( $(date +%s) - started )) s"
