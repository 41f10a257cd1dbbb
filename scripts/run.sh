#!/usr/bin/env bash
# Runs the platform: installs what is missing, builds the server and the dashboard, loads the
# Anshan demo city into the embedded SQLite store (./data) the first time, creates the
# first accounts, starts `baotong serve` with the default configuration, and drives simulated
# trucks of the demo fleet against it so that positions flow at once. Ctrl-C stops both.
#
# Environment: BAOTONG_TRUCKS (default 50) simulated trucks; BAOTONG_TRUCKS=0 starts none.
#              BAOTONG_DEMO=0 skips the demo city (an empty platform).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BAOTONG_JOBS=${BAOTONG_JOBS:-$(nproc)} scripts/build.sh release
scripts/web-build.sh

mkdir -p data
if [[ ${BAOTONG_DEMO:-1} != 0 && ! -f data/registry.db ]]; then
  echo "Loading the demo city (演示数据: Anshan's real geography, invented records) into ./data"
  build/baotong demo --data-dir data >/dev/null
fi
# The first accounts, one per department role, each get their own generated one-time password,
# written to data/initial-passwords/<account> that only its owner can read (never printed); each
# account must change it at its first sign-in.
if [[ -z $(build/baotong user list --data-dir data) ]]; then
  create() {
    build/baotong user add --data-dir data --username "$1" \
      --one-time-password-file "data/initial-passwords/$1" "${@:2}" </dev/null >/dev/null
  }
  create admin --role admin --display-name 平台管理员
  create jiaotong --role transport --display-name 交通运输局用户
  create gongan --role police --display-name 公安局用户
  create weijian --role health --display-name 卫健委用户
  create tiedong --role district --district 铁东区 --display-name 铁东区用户
  create kakou --role checkpoint --display-name 卡口操作员
  echo "Created accounts admin, jiaotong, gongan, weijian, tiedong, kakou; each one's one-time" \
    "password is in data/initial-passwords/<account> (to be changed at the first sign-in)"
fi

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

build/baotong serve --config config/baotong.toml --auto-register --web-root web/dist &
server_pid=$!
for _ in $(seq 100); do
  curl -s --max-time 1 http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "baotong serve did not start" >&2; exit 1; }
  sleep 0.2
done

if ((trucks > 0)); then
  # The demo fleet's first trucks (terminals 013900000000...), one position every 5 s each, for
  # a day.
  # Like real terminals they keep their auth codes (data/sim-auth-codes): the gateway never
  # hands a registered terminal its code again. Demo data from before that file existed: the
  # codes are revoked once (audited) so that the trucks' next registration gets new ones.
  # One run for all of them (one audit entry each); trucks that never registered are skipped,
  # and any other failure is shown and stops the script.
  if [[ -f data/baotong.db && ! -f data/sim-auth-codes ]]; then
    phones=()
    for ((i = 0; i < trucks; i++)); do phones+=(--phone "$(printf '0139%08d' "$i")"); done
    build/baotong terminal reprovision --data-dir data "${phones[@]}" --skip-unknown \
      --await-registration --reason "演示车队 (demo fleet): auth codes file created" >/dev/null ||
      { echo "could not revoke the demo trucks' old auth codes (see above)" >&2; exit 1; }
  fi
  # With the demo city loaded, the trucks drive through its checkpoints: they wait outside, the
  # checkpoint cameras read their plates over the HTTP API (keys in data/checkpoint-keys/), those
  # with a pass drive across the city and leave at the far end, the others are turned back.
  demo_fleet=()
  if [[ -f data/demo-fleet.json ]]; then demo_fleet=(--demo-fleet data --http 127.0.0.1:8080); fi
  build/baotong sim --server 127.0.0.1:7808 --terminals "$trucks" --rate 0.2 --seconds 86400 \
    --auth-codes data/sim-auth-codes "${demo_fleet[@]}" >/dev/null 2>&1 &
  sim_pid=$!
fi

cat <<MSG

保通 Baotong is running.
  Dashboard 管理页面:   http://127.0.0.1:8080/   (accounts: see above; passwords in data/initial-passwords/)
  JT/T 808 terminals:  tcp 0.0.0.0:7808      (${trucks} simulated trucks connected)
  Metrics (loopback):  http://127.0.0.1:9108/metrics
  API description:     http://127.0.0.1:8080/api/openapi.json (bearer token from POST /api/auth/login)
  Data:                ./data (SQLite)
Press Ctrl-C to stop.
MSG
wait "$server_pid"
