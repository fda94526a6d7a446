#!/usr/bin/env bash
# Conformance with the official MCP server alibabacloud-devops-mcp-server (pinned in
# package.json / package-lock.json): installs it with `npm ci`, starts a release build of
# codeport on a free port over SQLite (and over a fresh PostgreSQL database when
# CODEPORT_TEST_POSTGRES_URL is set), drives the MCP over stdio with test_mcp.mjs in the region
# and the central edition, then stops the server with SIGTERM, checks it exits 0 and that the
# token never reached its log. Cleans up after itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/target/release/codeport"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)

command -v node >/dev/null || { echo "node (>= 20) is required for the MCP conformance test"; exit 1; }
command -v npm >/dev/null || { echo "npm is required for the MCP conformance test"; exit 1; }
# npm ci when node_modules is missing, or older than the lockfile, or holds another version.
stamp="$here/node_modules/.package-lock.json"
mcp_pkg="$here/node_modules/alibabacloud-devops-mcp-server/package.json"
want="$(node -p 'require(process.argv[1]).dependencies["alibabacloud-devops-mcp-server"]' "$here/package.json")"
have="$( [ -f "$mcp_pkg" ] && node -p 'require(process.argv[1]).version' "$mcp_pkg" || echo none)"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] || [ "$have" != "$want" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

work="$(mktemp -d)"
server_pid=""
pg_db=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "$pg_db" ]; then psql "$CODEPORT_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
boot_key() { # $1 = bootstrap.json, $2 = key
  node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=b[process.argv[2]];if(!v){process.exit(1)}console.log(v)' "$1" "$2"
}

run_against() { # $1 = label, $2 = database URL or ""
  local label="$1" db_url="$2" data="$work/$1" port
  port="$(free_port)"
  mkdir -p "$data"
  local base="http://127.0.0.1:$port"
  local args=(serve --listen "127.0.0.1:$port" --data-dir "$data" --external-url "$base")
  [ -n "$db_url" ] && args+=(--database-url "$db_url")
  "$bin" "${args[@]}" >"$data/server.log" 2>&1 &
  server_pid=$!
  local up=""
  for _ in $(seq 1 150); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$up" ]; then echo "codeport did not become healthy on $base"; cat "$data/server.log"; exit 1; fi

  local token org
  token="$(boot_key "$data/bootstrap.json" personalAccessToken)"
  org="$(boot_key "$data/bootstrap.json" organizationId)"

  for edition in region central; do
    echo "== official MCP conformance ($label, $edition edition) on 127.0.0.1:$port"
    if ! CODEPORT_URL="$base" CODEPORT_TOKEN="$token" CODEPORT_ORG="$org" EDITION="$edition" \
        node "$here/test_mcp.mjs"; then
      echo "--- codeport log (last 60 lines) ---"; tail -n 60 "$data/server.log"
      exit 1
    fi
  done

  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  if [ "$status" -ne 0 ]; then echo "server exited with $status after SIGTERM"; cat "$data/server.log"; exit 1; fi
  # Secrets never reach the log.
  if grep -qF -- "$token" "$data/server.log"; then echo "personalAccessToken leaked into the server log"; exit 1; fi
}

run_against sqlite ""
if [ -n "${CODEPORT_TEST_POSTGRES_URL:-}" ]; then
  pg_db="codeport_mcp_$(date +%s)_$$"
  psql "$CODEPORT_TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  pg_url="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$CODEPORT_TEST_POSTGRES_URL" "$pg_db")"
  run_against postgres "$pg_url"
fi
echo "== official MCP conformance passed"
