#!/usr/bin/env bash
# Conformance with the official Python SDK (pinned in requirements.txt): creates a venv,
# starts a release build of codeport on a free port over SQLite (and over a fresh
# PostgreSQL database when CODEPORT_TEST_POSTGRES_URL is set), runs test_sdk.py through the
# SDK, then stops the server with SIGTERM and checks it exits 0. Cleans up after itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/target/release/codeport"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import alibabacloud_aiworkspace20210204' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
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

run_against() { # $1 = label, $2 = database URL or ""
  local label="$1" db_url="$2" data="$work/$1" port
  port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$data"
  local args=(serve --listen "127.0.0.1:$port" --data-dir "$data")
  [ -n "$db_url" ] && args+=(--database-url "$db_url")
  "$bin" "${args[@]}" >"$data/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "== official SDK conformance ($label) on 127.0.0.1:$port"
  if [ -n "$db_url" ]; then export CODEPORT_DATABASE_URL="$db_url"; else unset CODEPORT_DATABASE_URL; fi
  CODEPORT_ENDPOINT="127.0.0.1:$port" CODEPORT_DATA_DIR="$data" CODEPORT_BIN="$bin" "$venv/bin/python" "$here/test_sdk.py"
  unset CODEPORT_DATABASE_URL
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  if [ "$status" -ne 0 ]; then echo "server exited with $status after SIGTERM"; cat "$data/server.log"; exit 1; fi
  # Secrets never reach the log.
  "$venv/bin/python" - "$data" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
log = (d / "server.log").read_text()
boot = json.loads((d / "bootstrap.json").read_text())
for k in ("accessKeySecret", "personalAccessToken"):
    assert boot[k] not in log, f"{k} leaked into the server log"
PY
}

run_against sqlite ""
if [ -n "${CODEPORT_TEST_POSTGRES_URL:-}" ]; then
  pg_db="codeport_sdk_$(date +%s)_$$"
  psql "$CODEPORT_TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  pg_url="$("$venv/bin/python" -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$CODEPORT_TEST_POSTGRES_URL" "$pg_db")"
  run_against postgres "$pg_url"
fi
echo "== official SDK conformance passed"
