#!/usr/bin/env bash
# Runs the platform: installs what is missing, builds, and starts what exists so far.
# Today Baotong is the JT/T 808 codec and its operator tool; the server arrives with issue 3.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release

echo
echo "== build/baotong is ready. Decoding a sample 0x0200 location report: =="
build/baotong jt808 decode \
  7e0200002e202000129707001c0000000000001c0601a2f0a8091f0bf00000000000ed201103031733000000000000000000780000000018000000267e
echo
echo "Paste your own captured frames: build/baotong jt808 decode HEX [HEX...]"
