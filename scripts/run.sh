#!/usr/bin/env bash
# Runs the platform: installs what is missing, builds, starts `baotong serve` on the embedded
# SQLite store (./data) with the default configuration, and drives simulated trucks against it
# so that positions flow at once. Ctrl-C stops both.
#
# Environment: BAOTONG_TRUCKS (default 50) simulated trucks; BAOTONG_TRUCKS=0 starts none.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BAOTONG_JOBS=${BAOTONG_JOBS:-$(nproc)} scripts/build.sh release

trucks=${BAOTONG_TRUCKS:-50}
sim_pid=""
server_pid=""
cleanup() {
  # The simulator first, then the server, which commits what is queued before it exits.
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null || true
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build/baotong serve --config config/baotong.toml --auto-register &
server_pid=$!
for _ in $(seq 100); do
  curl -s --max-time 1 http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "baotong serve did not start" >&2; exit 1; }
  sleep 0.2
done

if ((trucks > 0)); then
  # Simulated trucks around Anshan, one position every 5 s each, for a day.
  build/baotong sim --server 127.0.0.1:7808 --terminals "$trucks" --rate 0.2 --seconds 86400 \
    >/dev/null 2>&1 &
  sim_pid=$!
fi

now_ms=$(date +%s%3N)
cat <<MSG

保通 Baotong is running.
  JT/T 808 terminals:  tcp 0.0.0.0:7808      (${trucks} simulated trucks connected)
  HTTP API, metrics:   http://127.0.0.1:8080/metrics
                       http://127.0.0.1:8080/api/positions/latest?limit=10
                       http://127.0.0.1:8080/api/track?terminal=013900000000&from=$((now_ms - 3600000))&to=$((now_ms + 3600000))
  Data:                ./data (SQLite)
Press Ctrl-C to stop.
MSG
wait "$server_pid"
