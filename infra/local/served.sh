#!/usr/bin/env bash
# The served stage of `make test`: the real functions served the way `make dev` serves them,
# on free loopback ports, driven from outside by the API fuzzer and by a real browser.
#   1. starts a private AWS emulator and provisions it from template.yaml
#   2. builds the functions (cargo build --bins; only what changed), delivers their events
#      (infra/local/events.py), runs `cargo lambda watch` and the local gateway in front of it
#   3. fuzz (schemathesis, settings in infra/local/fuzz/schemathesis.toml): signs up a fresh
#      partner through the API and has it approved (infra/local/seed.py), then runs the
#      fuzzer over every non-admin operation of infra/openapi.yaml with that partner's
#      token: FUZZ_EXAMPLES (default 10) generated requests per operation, plus the
#      boundary cases of each constraint
#   4. browser: the web portal's tests in headless Chromium (tests/browser: Playwright's
#      driver and axe-core from the npm registry, Chromium from Debian's packages, installed
#      by infra/local/browser.sh); screenshots under target/browser/
#   5. prints every finding and exits non-zero if there is one; stops everything it started
# SERVED_STAGES="fuzz browser" (the default) picks the stages; arguments go to the fuzzer,
# e.g. `SERVED_STAGES=fuzz infra/local/served.sh --include-path-regex '^/v1/leads'`;
# BROWSER_TEST_PATTERN picks browser tests by name (a regular expression).
# `make test` runs it after the cargo tests (full runs only).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
VENV="$root/.venv"
# shellcheck source=emulator.sh
. "$root/infra/local/emulator.sh"
# shellcheck source=stack.sh
. "$root/infra/local/stack.sh"

started=$(date +%s)
"$root/infra/bootstrap.sh"
# shellcheck source=browser.sh
. "$root/infra/local/browser.sh"
if [[ " ${SERVED_STAGES:-fuzz browser} " == *" browser "* ]]; then install_browser; fi
# shellcheck source=web.sh
. "$root/infra/local/web.sh"
build_web

work="$(mktemp -d)"
EMULATOR_PID="" EVENTS_PID="" WATCH_PID="" GATEWAY_PID=""
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$GATEWAY_PID"
  stop_pid "$WATCH_PID"
  stop_pid "$EVENTS_PID"
  stop_pid "$EMULATOR_PID"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

aws_port="$(free_port)"
watch_port="$(free_port)"
api_port="$(free_port)"
# The CRM functions' Zoho: nothing listens there, so their pushes fail here (and never
# reach a fake Zoho that `make dev` may be running).
export FAKE_ZOHO_URL="http://127.0.0.1:$(free_port)"
start_emulator "$aws_port" "$work/emulator.log"
"$VENV/bin/python" infra/local/provision.py --endpoint "http://127.0.0.1:$aws_port" --stack portal-fuzz \
  --param Stage=local --param 'RateLimits={"source_factor":100}' \
  --param "PortalUrl=http://127.0.0.1:$api_port" --param "AllowedOrigin=http://127.0.0.1:$api_port" \
  --env-out "$work/env.template" --state-out "$work/state.json" >/dev/null
{ cat "$work/env.template"; aws_env_for "$aws_port"; echo "RUST_LOG=warn"; echo "AWS_LAMBDA_LOG_FORMAT=Text"; } > "$work/env"
set -a
# shellcheck disable=SC1091
. "$work/env"
set +a

echo "    building the functions (cargo build --bins)"
if ! build_functions >"$work/build.log" 2>&1; then
  # A linker killed for memory or a full disk fails a build that compiles elsewhere: say
  # which, then try once more one job at a time before giving up.
  build_failure_report "$work/build.log"
  echo "    building again, one job at a time"
  CARGO_BUILD_JOBS=1 build_functions >"$work/build.log" 2>&1 \
    || { build_failure_report "$work/build.log"; echo "the functions did not build" >&2; exit 1; }
fi
grep -h "built in" "$work/build.log" || true
start_events "$work/state.json" "http://127.0.0.1:$watch_port" "$work/events.log"
# The binaries built above, as they are: no reload when a file changes during the run, and
# no watching of the workspace (every function instance would watch each of its
# directories, .venv's thousands included, and ~40 instances exceed the inotify limit).
WATCH_BASE="$work" start_watch "$watch_port" "$work/env" "$work/watch.log" --ignore-changes
start_gateway "$api_port" "$watch_port" "$work/gateway.log"
ready=$(date +%s)

stages="${SERVED_STAGES:-fuzz browser}"
status=0

if [[ " $stages " == *" fuzz "* ]]; then
  echo "    fuzzing the API"
  PORTAL_PORT="$api_port" "$VENV/bin/python" infra/local/seed.py --fresh-partner "$work/partner.json" \
    >"$work/seed.log" 2>&1 || { cat "$work/seed.log" >&2; echo "no partner to fuzz with" >&2; exit 1; }
  FUZZ_EMAIL="$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["email"])' "$work/partner.json")"
  export FUZZ_EMAIL FUZZ_PASSWORD="fuzz-owner-password"
  fuzz_started=$(date +%s)
  fuzz_status=0
  # From the work directory: the fuzzer's own cache stays out of the tree.
  (cd "$work" && PYTHONPATH="$root/infra/local/fuzz" "$VENV/bin/schemathesis" --no-color \
    --config-file "$root/infra/local/fuzz/schemathesis.toml" run "$root/infra/openapi.yaml" \
    --url "http://127.0.0.1:$api_port" \
    --max-examples "${FUZZ_EXAMPLES:-10}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance,missing_required_header,ignored_auth,schema_valid_requests_are_not_refused_as_malformed \
    --report ndjson --report-ndjson-path "$work/events.ndjson" \
    "$@") >"$work/fuzz.log" 2>&1 || fuzz_status=$?
  cat "$work/fuzz.log"
  if [ "$fuzz_status" -ne 0 ]; then
    kill -0 "$WATCH_PID" 2>/dev/null || echo "    cargo lambda watch is no longer running" >&2
    echo "    the last lines of cargo lambda watch's log:" >&2
    tail -n 40 "$work/watch.log" >&2
    status=$fuzz_status
  fi
  [ -s "$work/events.ndjson" ] && "$VENV/bin/python" infra/local/fuzz/summary.py "$work/events.ndjson"
  echo "    partner approved in $(( fuzz_started - ready )) s, fuzzed in $(( $(date +%s) - fuzz_started )) s"
fi

if [[ " $stages " == *" browser "* ]]; then
  echo "    testing the web portal in headless Chromium (tests/browser)"
  browser_started=$(date +%s)
  browser_status=0
  target_dir="$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  (cd "$root/tests/browser" && PORTAL_URL="http://127.0.0.1:$api_port" \
    AWS_EMULATOR_URL="http://127.0.0.1:$aws_port" PORTAL_PYTHON="$VENV/bin/python" \
    PORTAL_SEED="$root/infra/local/seed.py" CHROMIUM="$(browser_executable)" \
    SCREENSHOTS="$target_dir/browser" npm test --silent -- ${BROWSER_TEST_PATTERN:+--test-name-pattern="$BROWSER_TEST_PATTERN"}) \
    || browser_status=$?
  if [ "$browser_status" -ne 0 ]; then
    echo "    the last lines of cargo lambda watch's log:" >&2
    tail -n 40 "$work/watch.log" >&2
    status=$browser_status
  fi
  echo "    browser tests in $(( $(date +%s) - browser_started )) s (screenshots: $target_dir/browser)"
fi

if [ -n "${FUZZ_KEEP:-}" ]; then cp -r "$work" "$FUZZ_KEEP"; fi
echo "    stack ready in $(( ready - started )) s"
exit "$status"
