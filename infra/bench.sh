#!/usr/bin/env bash
# `make bench`: the performance budgets, each a ratio against a baseline measured in the same
# run on this machine (README "Benchmarks"). Not part of `make test`; loopback only; stops
# by itself; prints one table and writes target/bench/results.json.
#   1. builds the measured functions and the baselines (tests/bench/baseline: a hello-world
#      function and a bare-SDK function) with the release profile, as deployed, and zips
#      each binary as `bootstrap` the way `cargo lambda build --output-format zip` does
#   2. starts a private AWS emulator provisioned from template.yaml, and the fake Zoho
#   3. runs the harness (tests/bench): function binaries under a Lambda Runtime API stub,
#      handlers in-process, seeded data, counted DynamoDB calls
# BENCH_ONLY=cold,overhead,ingest,writes,scale picks sections, BENCH_COLD_SET=me,... the
# cold-started functions and BENCH_BIN_DIR where their binaries are; BENCH_SIZES=all builds and
# sizes every function (about 2 minutes of linking each with the release profile's
# whole-program LTO on this machine); BENCH_CLEAN_BUILD=1 also times a clean build of the
# workspace in a target directory of its own (tens of minutes; removed afterwards).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
VENV="$root/.venv"
# shellcheck source=local/emulator.sh
. "$root/infra/local/emulator.sh"

started=$(date +%s)
"$root/infra/bootstrap.sh"
export PATH="$VENV/bin:$PATH"
# shellcheck source=local/web.sh
. "$root/infra/local/web.sh"
build_web

target_dir="$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
out="$target_dir/bench"
mkdir -p "$out"
rm -f "$out/sizes.json" "$out/build.json" "$out/results.json"

# The functions the cold-start, overhead and ingestion figures need, and the likely largest.
measured="health me leads-get leads-list leads-create dashboard crm-inbound crm-webhook email-sender export-worker web"
if [ "${BENCH_SIZES:-}" = "all" ]; then
  measured="$(ls functions | tr '\n' ' ')"
fi

"$VENV/bin/python" - "$out/functions.json" <<'PY'
import json, os, sys
sys.path.insert(0, "infra/local")
import cfn
t = cfn.load("template.yaml")
g = t.get("Globals", {}).get("Function", {})
out = {}
for logical, res in t["Resources"].items():
    if res.get("Type") != "AWS::Serverless::Function":
        continue
    p = res.get("Properties", {})
    name = os.path.basename(str(p.get("CodeUri", "")))
    out[name] = {
        "logical_id": logical,
        "memory": p.get("MemorySize", g.get("MemorySize", 128)),
        "arch": (p.get("Architectures") or g.get("Architectures") or ["x86_64"])[0],
        "timeout": p.get("Timeout", g.get("Timeout", 3)),
    }
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True)
PY

echo "==> building $(echo "$measured" | wc -w) functions and the baselines with the release profile (only what changed)"
packages=()
for f in $measured; do packages+=(-p "$f"); done
build_started=$(date +%s)
cargo build --release --bins "${packages[@]}" -p bench-baseline
release_seconds=$(( $(date +%s) - build_started ))
echo "    done in $release_seconds s"

echo "==> building the harness (tests/bench; the test profile, which make test has built)"
cargo build --bins -p portal-bench -p fake-zoho

arch="$(uname -m)"
"$VENV/bin/python" - "$out" "$target_dir/release" "$arch" $measured <<'PY'
import json, os, sys, zipfile
out, bins, arch, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
zips = {}
for name in names:
    path = os.path.join(bins, name)
    if not os.path.exists(path):
        continue
    z = os.path.join(out, "zips", f"{name}.zip")
    os.makedirs(os.path.dirname(z), exist_ok=True)
    # As `cargo lambda build --output-format zip` packs it: the binary as `bootstrap`, deflated.
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        f.writestr(info, open(path, "rb").read())
    zips[name] = os.path.getsize(z)
json.dump({"profile": "release", "target": f"{arch} (no aarch64 standard library can be installed here)" if arch != "aarch64" else arch,
           "zips": zips, "binaries": {n: os.path.getsize(os.path.join(bins, n)) for n in zips}}, open(os.path.join(out, "sizes.json"), "w"), indent=1)
PY

target_bytes=$(du -sb "$target_dir" 2>/dev/null | cut -f1)
build_json="{\"release build of the measured functions, this run (s)\": $release_seconds, \"target directory (GB)\": \"$(awk "BEGIN{printf \"%.1f GB\", $target_bytes/1e9}")\""
if [ "${BENCH_CLEAN_BUILD:-}" = "1" ]; then
  clean="$out/clean-target"
  rm -rf "$clean"
  echo "==> timing a clean debug build of the workspace (cargo build --workspace --all-targets) in $clean"
  t0=$(date +%s)
  CARGO_TARGET_DIR="$clean" CARGO_INCREMENTAL=0 cargo build --workspace --all-targets --quiet
  debug_clean=$(( $(date +%s) - t0 ))
  echo "==> timing a clean release build of health (dependencies and one function)"
  t0=$(date +%s)
  CARGO_TARGET_DIR="$clean" cargo build --release -p health --quiet
  release_clean=$(( $(date +%s) - t0 ))
  clean_bytes=$(du -sb "$clean" | cut -f1)
  rm -rf "$clean"
  build_json="$build_json, \"clean debug build of the workspace (s)\": $debug_clean, \"clean release build, dependencies and one function (s)\": $release_clean, \"clean target directory after both (GB)\": \"$(awk "BEGIN{printf \"%.1f GB\", $clean_bytes/1e9}")\""
fi
echo "$build_json}" > "$out/build.json"

work="$(mktemp -d)"
EMULATOR_PID="" ZOHO_PID=""
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$ZOHO_PID"
  stop_pid "$EMULATOR_PID"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

aws_port="$(free_port)"
zoho_port="$(free_port)"
export FAKE_ZOHO_URL="http://127.0.0.1:$zoho_port"
echo "==> starting a private AWS emulator on 127.0.0.1:$aws_port and the fake Zoho on 127.0.0.1:$zoho_port"
start_emulator "$aws_port" "$work/emulator.log"
"$VENV/bin/python" infra/local/provision.py --endpoint "http://127.0.0.1:$aws_port" --stack portal-bench \
  --param Stage=local --env-out "$work/env" --state-out "$work/state.json" >/dev/null
FAKE_ZOHO_ADDR="127.0.0.1:$zoho_port" FAKE_STRAPI_ADDR="127.0.0.1:$(free_port)" \
  "$target_dir/debug/fake-zoho" >"$work/fake-zoho.log" 2>&1 &
ZOHO_PID=$!

set -a
# shellcheck disable=SC1091
. "$work/env"
eval "$(aws_env_for "$aws_port")"
set +a
export RUST_LOG="${RUST_LOG:-info}" AWS_LAMBDA_LOG_FORMAT=JSON
export BENCH_BIN_DIR="${BENCH_BIN_DIR:-$target_dir/release}" BENCH_OUT="$out"

echo "==> measuring (sections: ${BENCH_ONLY:-all})"
"$target_dir/debug/portal-bench"
echo "==> make bench took $(( $(date +%s) - started )) s"
