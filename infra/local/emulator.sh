# Sourced by infra/dev.sh and infra/test.sh: start and stop moto's server on loopback.

# free_port: prints a free TCP port on 127.0.0.1.
free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT.
port_in_use() {
  "$VENV/bin/python" -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1",int(sys.argv[1])))==0 else 1)' "$1"
}

# start_emulator PORT LOG: starts moto's server (infra/local/emulator.py), sets
# EMULATOR_PID, waits until it answers.
start_emulator() {
  local port="$1" log="$2"
  "$VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/emulator.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  EMULATOR_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "the AWS emulator exited during start-up; its log:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "the AWS emulator did not answer on 127.0.0.1:$port within 20 s; its log: $log" >&2
  return 1
}

# stop_pid PID: stops a background process and waits for it.
stop_pid() {
  if [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# aws_env_for PORT: the SDK settings that point every client at the emulator.
aws_env_for() {
  cat <<ENV
AWS_ENDPOINT_URL=http://127.0.0.1:$1
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_EC2_METADATA_DISABLED=true
ENV
}
