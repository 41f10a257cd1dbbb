#!/usr/bin/env bash
# Installs the Debian packages Baotong builds and tests with; a no-op when all are present.
# Used by scripts/run.sh and scripts/test.sh, so a fresh Debian 12 machine needs nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev clang-format   # libFuzzer targets and the format check
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libexpected-dev libspdlog-dev libfmt-dev
  libboost-dev libsqlite3-dev sqlite3 libtomlplusplus-dev   # gateway, HTTP, track store, config
  libssl-dev                        # HTTPS (Boost.Beast over OpenSSL 3)
  libsodium-dev libxlsxwriter-dev   # passwords (argon2id), pass signatures (Ed25519), Excel exports
  libqrencode-dev libpng-dev        # QR codes of entry passes (SVG and PNG)
  libgdal-dev                       # geodata files and .xlsx workbooks (GDAL/OGR)
  chromium fonts-wqy-microhei   # browser tests (playwright-core) and Chinese text in screenshots
)
# The dashboard is built with Node.js and npm; a machine that already has them (e.g. from
# NodeSource) keeps its own, since Debian's npm package conflicts with NodeSource's nodejs.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
