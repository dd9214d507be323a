# Sourced by infra/dev.sh and infra/local/served.sh (after emulator.sh): the pieces that
# serve the functions locally the way `make dev` does. Each start_* sets its *_PID.

# build_functions: one `cargo build --bins` of every function and the fake Zoho, so no
# request waits for a compiler. `cargo lambda watch` starts a function with `cargo run
# --bin <function>` in the same workspace, profile, target directory and environment, so
# it finds these binaries up to date and only starts them. Non-zero if some did not build.
build_functions() {
  local build_started
  build_started=$(date +%s)
  if cargo build --bins --keep-going; then
    echo "    built in $(( $(date +%s) - build_started )) s"
  else
    return 1
  fi
}

# build_failure_report LOG: the lines of a failed build that say why (errors, and the last
# lines, which name a killed linker), with the disk and memory left, on stderr.
build_failure_report() {
  {
    echo "the functions did not build; what the build said:"
    grep -E -A8 '^(error|warning: build failed)|Killed|signal: 9|No space left' "$1" | head -80 || true
    echo "--- last lines"
    tail -n 15 "$1"
    echo "--- disk and memory"
    df -h "$(cargo metadata --format-version 1 --no-deps 2>/dev/null | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" . 2>/dev/null || df -h .
    free -m 2>/dev/null || true
  } >&2
}

# start_events STATE INVOKE_URL LOG: delivers queue, bucket, stream and schedule events to
# the functions through watch's Lambda Invoke API (infra/local/events.py).
start_events() {
  "$VENV/bin/python" -u "$(dirname "${BASH_SOURCE[0]}")/events.py" --state "$1" --invoke-url "$2" >"$3" 2>&1 &
  EVENTS_PID=$!
}

# start_watch PORT ENV_FILE LOG [WATCH_ARGS...]: `cargo lambda watch` on 127.0.0.1:PORT
# with every function at its real path (the router in Cargo.toml); LOG "-" keeps its
# output on the terminal. Waits until it listens. Watch watches the directory it starts
# in for changes (one inotify watch per directory and function instance): WATCH_BASE
# (default: the workspace) chooses it.
start_watch() {
  local port="$1" env_file="$2" log="$3"
  shift 3
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [ "$log" = "-" ]; then log=/dev/stdout; fi
  (cd "${WATCH_BASE:-$root}" && PATH="$VENV/bin:$PATH" exec cargo lambda watch \
    --manifest-path "$root/Cargo.toml" --invoke-address 127.0.0.1 --invoke-port "$port" \
    --env-file "$env_file" "$@") >"$log" 2>&1 &
  WATCH_PID=$!
  for _ in $(seq 1 100); do port_in_use "$port" && return 0; sleep 0.2; done
  echo "cargo lambda watch did not listen on 127.0.0.1:$port within 20 s" >&2
  return 1
}

# start_gateway PORT WATCH_PORT LOG: the API's front door on 127.0.0.1:PORT (and [::1]),
# forwarding to watch, with request bodies delivered as API Gateway delivers them
# (infra/local/gateway.py); waits until it listens.
start_gateway() {
  local port="$1" watch_port="$2" log="$3"
  "$VENV/bin/python" -u "$(dirname "${BASH_SOURCE[0]}")/gateway.py" "$port" "$watch_port" \
    "$(dirname "${BASH_SOURCE[0]}")/../../Cargo.toml" >"$log" 2>&1 &
  GATEWAY_PID=$!
  for _ in $(seq 1 50); do port_in_use "$port" && return 0; sleep 0.2; done
  echo "the local gateway did not listen on 127.0.0.1:$port (log: $log)" >&2
  return 1
}
