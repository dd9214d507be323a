#!/usr/bin/env bash
# cargo's runner for test binaries under `make test` (infra/test.sh sets it): an end-to-end
# test binary (tests/tests/<name>.rs) runs against a table of its own, a copy of the stack
# table's schema named `<table>-<name>`. The emulator answers index queries by reading the
# whole table, so a shared table would make every binary pay for all the others' data.
# Every other binary runs as it is.
set -euo pipefail
bin="$1"
name="$(basename "$bin")"
name="${name%-*}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Only test binaries (cargo puts them under deps/); a function binary run by `cargo lambda
# watch` in the same environment (the fuzz stack) keeps the stack's table.
if [ -n "${TABLE_NAME:-}" ] && [[ "$bin" == */deps/* ]] && [ -f "$root/tests/tests/$name.rs" ]; then
  table="$TABLE_NAME-$name"
  "$PORTAL_PYTHON" "$root/infra/local/own-table.py" --endpoint "$AWS_ENDPOINT_URL" \
    --source "$TABLE_NAME" --table "$table"
  export TABLE_NAME="$table"
  echo "test-runner: $name runs on table $table" >&2
fi
exec "$@"
