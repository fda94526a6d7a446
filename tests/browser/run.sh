#!/usr/bin/env bash
# Browser tests of the web console: Debian's chromium (never a downloaded browser) driven by
# Python playwright, against a release build of codeport over SQLite. Seeds an organization
# with groups, a pushed repository, a second user and a workspace, then runs
# test_console.py. Screenshots of a failing test's page go to target/browser-test-output/;
# with CODEPORT_SCREENSHOT_DIR set, the walk also saves a screenshot of every page it visits.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/target/release/codeport"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
chromium_bin="${CODEPORT_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
  echo "browser tests need Debian's chromium at $chromium_bin: apt-get install -y chromium" >&2
  exit 1
fi

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import playwright, alibabacloud_aiworkspace20210204' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
data="$work/data"
mkdir -p "$data"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "== browser tests (chromium) on 127.0.0.1:$port"
out="$root/target/browser-test-output"
rm -rf "$out" && mkdir -p "$out"
status=0
CODEPORT_ENDPOINT="127.0.0.1:$port" CODEPORT_DATA_DIR="$data" CODEPORT_BIN="$bin" CODEPORT_CHROMIUM="$chromium_bin" \
  CODEPORT_TEST_OUTPUT="$out" "$venv/bin/python" "$here/test_console.py" || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser tests failed; screenshots in $out"
  tail -50 "$work/server.log"
  exit "$status"
fi
# No secret reaches the server log.
"$venv/bin/python" - "$data" "$work/server.log" <<'PY'
import json, sys, pathlib
boot = json.loads((pathlib.Path(sys.argv[1]) / "bootstrap.json").read_text())
log = pathlib.Path(sys.argv[2]).read_text()
for k in ("accessKeySecret", "personalAccessToken", "adminPassword"):
    assert boot[k] not in log, f"{k} leaked into the server log"
PY
echo "== browser tests passed"
