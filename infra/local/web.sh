# Sourced by infra/dev.sh and infra/test.sh: the web portal's front end
# (functions/web/app: Preact + TypeScript, built by Vite) from the npm registry.

# build_web: installs the app's pinned packages (`npm ci`, only when package-lock.json
# changed) and builds it into functions/web/app/dist (types generated from
# infra/openapi.yaml and checked, then bundled; only when an input changed). The web
# function embeds dist/ when it is compiled.
build_web() {
  local root app stamp want
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  app="$root/functions/web/app"
  command -v npm >/dev/null || { echo "Node.js 20+ with npm is required for the web portal" >&2; return 1; }
  stamp="$app/node_modules/.portal-lock.sha256"
  want="$(sha256sum "$app/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> installing the web portal's packages (npm ci)"
    (cd "$app" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    echo "$want" > "$stamp"
  fi
  stamp="$app/dist/.inputs.sha256"
  # The generated API types are left out: they follow from infra/openapi.yaml, which is in.
  want="$( (cd "$app" && find src public index.html package-lock.json vite.config.ts tsconfig.json -type f \
      ! -path src/api/schema.d.ts -print0 | sort -z | xargs -0 sha256sum; sha256sum "$root/infra/openapi.yaml") \
      | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> building the web portal (npm run build: types from infra/openapi.yaml, checked, bundled)"
    (cd "$app" && npm run --silent build) || return 1
    echo "$want" > "$stamp"
  else
    echo "==> the web portal is built (functions/web/app/dist)"
  fi
}
