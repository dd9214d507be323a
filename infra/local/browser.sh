# Sourced by infra/local/served.sh: what the browser tests (tests/browser) need.

# install_browser: Chromium from Debian's packages (when missing; as root, or through
# sudo), and the tests' pinned npm packages (Playwright's driver, playwright-core, which
# downloads no browser; axe-core) when tests/browser/package-lock.json changed.
install_browser() {
  local root stamp want sudo=""
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [ -z "$(browser_executable)" ]; then
    echo "==> installing Chromium from Debian's packages (apt-get install chromium)"
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local started
    started=$(date +%s)
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        chromium fonts-liberation >/dev/null 2>&1; then
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        chromium fonts-liberation >/dev/null
    fi
    echo "    done in $(( $(date +%s) - started )) s"
  fi
  [ -n "$(browser_executable)" ] || { echo "Chromium is not installed and could not be" >&2; return 1; }
  stamp="$root/tests/browser/node_modules/.portal-lock.sha256"
  want="$(sha256sum "$root/tests/browser/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> installing the browser tests' packages (npm ci in tests/browser)"
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    echo "$want" > "$stamp"
  fi
}

# browser_executable: the Chromium the tests drive (CHROMIUM, else Debian's).
browser_executable() {
  local candidate
  for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
}
