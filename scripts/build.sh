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
    # g++'s ASan+UBSan, Debug; CI uses the clang sanitizer tree (fuzz) instead, this one is
    # for a second compiler's view.
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBAOTONG_SANITIZE=ON \
      -DBAOTONG_TESTS=ON -DBAOTONG_BENCH=OFF
    # The unit test programs only: the end-to-end tests run in the Release build.
    cmake --build build-asan -j "$jobs" --target unit_tests ;;
  fuzz)
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DBAOTONG_FUZZ=ON -DBAOTONG_SANITIZE=ON \
      -DBAOTONG_TESTS=ON -DBAOTONG_BENCH=OFF
    # The fuzz targets and the unit test programs (run under ASan+UBSan by scripts/test.sh):
    # one sanitizer build of the libraries serves both. The end-to-end tests and the server
    # are built and run in the Release build.
    cmake --build build-fuzz -j "$jobs" --target fuzz_targets unit_tests ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
