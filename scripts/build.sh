#!/usr/bin/env bash
# Configures and builds one flavour of the tree. Usage: scripts/build.sh release|asan|fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${BAOTONG_JOBS:-$(nproc)}

case "${1:-release}" in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBAOTONG_TESTS=ON -DBAOTONG_BENCH=ON
    cmake --build build -j "$jobs" ;;
  asan)
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBAOTONG_SANITIZE=ON \
      -DBAOTONG_TESTS=ON -DBAOTONG_BENCH=OFF
    # The unit test programs only: the end-to-end tests run in the Release build.
    cmake --build build-asan -j "$jobs" --target unit_tests ;;
  fuzz)
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DBAOTONG_FUZZ=ON -DBAOTONG_SANITIZE=ON \
      -DBAOTONG_TESTS=OFF -DBAOTONG_BENCH=OFF
    # The fuzz targets only: the server and the programs they do not link are built (and
    # tested) in the Release and ASan builds.
    cmake --build build-fuzz -j "$jobs" --target fuzz_targets ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
