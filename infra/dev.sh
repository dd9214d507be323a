#!/usr/bin/env bash
# `make dev`: the whole portal on this machine.
#   - installs the local tooling if missing (infra/bootstrap.sh)
#   - starts the AWS emulator (moto) on 127.0.0.1:${LOCAL_AWS_PORT:-4566}
#   - creates table, bucket, queues, secrets and the SES sender from template.yaml
#   - builds every function and the fake Zoho CRM in one `cargo build --bins`, so no
#     request waits for a compiler (later runs: seconds, only what changed)
#   - delivers queue, bucket, table-stream and schedule events to their functions
#     (infra/local/events.py; schedules every ${LOCAL_SCHEDULE_SECONDS:-60} s)
#   - starts the fake Zoho CRM (crate tests/fake-zoho) on 127.0.0.1:${FAKE_ZOHO_PORT:-9400}
#     (the CRM functions' OAuth and API server; it fires webhooks at the local Function URL path)
#   - runs `cargo lambda watch` (on a free port) with every API route at its real path, the
#     CRM webhook at its Function URL path; it runs the binaries built above
#   - serves the API on 127.0.0.1:${PORTAL_PORT:-9000} (and [::1]) through the local gateway
#     (infra/local/gateway.py): requests go on to watch, bodies as API Gateway delivers them
#   - builds the web portal (functions/web/app, npm; infra/local/web.sh), served at / by `web`
#   - seeds a demo admin, an approved demo partner and leads through the API, and the
#     partner's Vendors record in the fake Zoho (infra/local/seed.py)
#   - prints the URLs and "ready"
# Ctrl-C stops everything it started.
set -euo pipefail
started=$(date +%s)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
VENV="$root/.venv"
# shellcheck source=local/emulator.sh
. "$root/infra/local/emulator.sh"
# shellcheck source=local/stack.sh
. "$root/infra/local/stack.sh"

state_dir="$root/.local"
pidfile="$state_dir/dev.pid"
aws_port="${LOCAL_AWS_PORT:-4566}"
api_port="${PORTAL_PORT:-9000}"
zoho_port="${FAKE_ZOHO_PORT:-9400}"
strapi_port="${FAKE_STRAPI_PORT:-9401}"
# The local ZohoCredentialsSecret points the CRM functions here (infra/local/provision.py).
export FAKE_ZOHO_URL="http://127.0.0.1:$zoho_port"
mkdir -p "$state_dir"

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "make dev is already running (pid $(cat "$pidfile")); stop it with Ctrl-C in its terminal first." >&2
  exit 1
fi

"$root/infra/bootstrap.sh"
export PATH="$VENV/bin:$PATH"
# shellcheck source=local/web.sh
. "$root/infra/local/web.sh"
build_web

for port in "$aws_port" "$api_port" "$zoho_port" "$strapi_port"; do
  if port_in_use "$port"; then
    echo "port $port on 127.0.0.1 is already in use; free it or set LOCAL_AWS_PORT / PORTAL_PORT / FAKE_ZOHO_PORT / FAKE_STRAPI_PORT." >&2
    exit 1
  fi
done

echo $$ > "$pidfile"
EMULATOR_PID=""
EVENTS_PID=""
GATEWAY_PID=""
ZOHO_PID=""
WATCH_PID=""
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "==> stopping the local stack"
  stop_pid "$GATEWAY_PID"
  stop_pid "$WATCH_PID"
  stop_pid "$ZOHO_PID"
  stop_pid "$EVENTS_PID"
  stop_pid "$EMULATOR_PID"
  rm -f "$pidfile"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "==> starting the AWS emulator on 127.0.0.1:$aws_port"
start_emulator "$aws_port" "$state_dir/emulator.log"

echo "==> provisioning from template.yaml"
python infra/local/provision.py --endpoint "http://127.0.0.1:$aws_port" --stack portal-local \
  --param Stage=local --param 'RateLimits={"source_factor":100}' \
  --param "PortalUrl=http://127.0.0.1:$api_port" --param "AllowedOrigin=http://127.0.0.1:$api_port" \
  --param "StrapiUrl=http://127.0.0.1:$strapi_port" --env-out "$state_dir/env.template" --state-out "$state_dir/state.json"
{ cat "$state_dir/env.template"; aws_env_for "$aws_port"; echo "RUST_LOG=info"; echo "AWS_LAMBDA_LOG_FORMAT=Text"; } > "$state_dir/env"

set -a
# shellcheck disable=SC1091
. "$state_dir/env"
set +a

# One build of every binary in the workspace: the functions and the fake Zoho (the test
# crate has none, so it is not compiled). `make test` builds the same dependencies with
# the same features, so after it only the binaries themselves are compiled and linked here.
echo "==> building the functions and the fake Zoho CRM (cargo build --bins; minutes the first time, seconds later)"
if build_functions; then
  built="Every function is built; a changed one is rebuilt on its next request."
else
  echo "some binaries did not build (above): those functions compile on their first request, and fail it until fixed" >&2
  built="Some functions did not build (see above); they compile on their next request."
fi
target_dir="$(cargo metadata --format-version 1 --no-deps | python -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

# cargo lambda watch listens on a port of its own; clients call the gateway in front of it.
watch_port="$(free_port)"

echo "==> delivering queue, bucket, stream and schedule events to functions (log: .local/events.log)"
start_events "$state_dir/state.json" "http://127.0.0.1:$watch_port" "$state_dir/events.log"

# The fake Zoho sends its webhooks with the webhook secret the emulator generated.
webhook_secret="$(python - "$state_dir/state.json" <<'PY'
import json, sys
sys.path.insert(0, "infra/local")
from provision import client
state = json.load(open(sys.argv[1]))
sm = client("secretsmanager", state["endpoint"])
print(sm.get_secret_value(SecretId=state["resources"]["CrmWebhookSecret"])["SecretString"])
PY
)"

echo "==> starting the fake Zoho CRM on 127.0.0.1:$zoho_port and the fake Strapi on 127.0.0.1:$strapi_port (log: .local/fake-zoho.log)"
if [ -x "$target_dir/debug/fake-zoho" ]; then
  FAKE_ZOHO_ADDR="127.0.0.1:$zoho_port" \
  FAKE_STRAPI_ADDR="127.0.0.1:$strapi_port" \
  FAKE_ZOHO_WEBHOOK_URL="http://127.0.0.1:$api_port" \
  FAKE_ZOHO_WEBHOOK_SECRET="$webhook_secret" \
    "$target_dir/debug/fake-zoho" >"$state_dir/fake-zoho.log" 2>&1 &
  ZOHO_PID=$!
  for _ in $(seq 1 50); do port_in_use "$zoho_port" && break; sleep 0.2; done
  port_in_use "$zoho_port" || echo "the fake Zoho did not start (see .local/fake-zoho.log); CRM sync will fail locally" >&2
else
  echo "the fake Zoho did not build; the portal runs, CRM sync fails locally" >&2
fi

echo "==> starting cargo lambda watch on 127.0.0.1:$watch_port, the API on 127.0.0.1:$api_port (log: .local/gateway.log)"
start_watch "$watch_port" "$state_dir/env" -
start_gateway "$api_port" "$watch_port" "$state_dir/gateway.log"

PORTAL_PORT="$api_port" LAMBDA_INVOKE_URL="http://127.0.0.1:$watch_port" python infra/local/seed.py || echo "demo data not seeded (see above); the portal still runs" >&2

cat <<INFO

  Partner portal (local)
    Web portal    http://127.0.0.1:$api_port/   (partner: owner@demo-solar.partners.local / demo-owner-password;
                  operations: admin@demo.partners.local / demo-admin-password)
    API           http://127.0.0.1:$api_port/v1/health   (every route at its real path)
    Invoke API    http://127.0.0.1:$api_port/2015-03-31/functions/<function>/invocations
    AWS emulator  http://127.0.0.1:$aws_port   (moto; state: http://127.0.0.1:$aws_port/moto-api/)
    Fake Zoho     http://127.0.0.1:$zoho_port/__fake/records/Leads   (records; README "Zoho CRM locally")
    Fake Strapi   http://127.0.0.1:$strapi_port/api/resources   (token fake-strapi-token; README "Sales material")
    Schedules     crm-reconcile, resources-import, insight-nightly, reminders-daily and summary-weekly every ${LOCAL_SCHEDULE_SECONDS:-60} s (LOCAL_SCHEDULE_SECONDS; 0 = off)
    Env for tools .local/env   (e.g. set -a; . .local/env; set +a)
  $built
  Ctrl-C stops everything.

==> ready in $(( $(date +%s) - started )) s

INFO
wait "$WATCH_PID"
