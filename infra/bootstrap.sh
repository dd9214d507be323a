#!/usr/bin/env bash
# Installs the local tooling the two make targets need into the project's own .venv, from
# PyPI, pinned in infra/requirements.txt: moto's server (the local AWS), cargo-lambda (with
# zig), cfn-lint, the SAM CLI and schemathesis (the API fuzzer `make test` runs). Does
# nothing when the pinned set is already installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/infra/requirements.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 (3.10+) is required" >&2; exit 1; }
command -v cargo >/dev/null || { echo "a Rust toolchain (cargo) is required" >&2; exit 1; }
echo "==> installing local tooling into .venv (moto, cargo-lambda + zig, cfn-lint, SAM CLI, schemathesis)"
started=$(date +%s)
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/infra/requirements.txt"
echo "$want" > "$stamp"
echo "    done in $(( $(date +%s) - started )) s"
