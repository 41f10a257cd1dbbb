#!/usr/bin/env bash
# Runs every test: format check, Release unit and CLI tests, the dashboard's browser tests,
# benchmark smoke runs, and one ASan+UBSan build (clang-14) for short libFuzzer runs and the
# unit tests again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== clang-format =="
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

echo "== Release build and tests =="
scripts/build.sh release
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== Dashboard build and browser tests (chromium + playwright-core) =="
scripts/web-build.sh
scripts/browser-test.sh

echo "== Benchmarks run (smoke, figures are in docs/PERFORMANCE.md) =="
build/bench/jt808_bench --benchmark_min_time=0.01 >/dev/null
build/bench/import_bench 2000 1 >/dev/null
build/bench/monitor_bench 1 1 >/dev/null

echo "== ASan+UBSan build (clang-14): fuzz targets and unit tests =="
scripts/build.sh fuzz

echo "== Unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-fuzz --output-on-failure -j "$(nproc)" -L unit

echo "== libFuzzer =="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Each target starts from the repository's seeds in a scratch copy (the fuzzer adds to its
# corpus; the repository's stays clean).
fuzz() {
  local target=$1 corpus=$2
  mkdir -p "$work/$target"
  cp "fuzz/corpus/$corpus"/* "$work/$target"/
  if ! "build-fuzz/fuzz/$target" -max_total_time="${BAOTONG_FUZZ_SECONDS:-30}" \
      -artifact_prefix=build-fuzz/ -print_final_stats=1 "$work/$target" >"$work/$target.log" 2>&1; then
    tail -n 80 "$work/$target.log"
    echo "fuzzer $target found a failure; the input is saved under build-fuzz/" >&2
    exit 1
  fi
  echo "$target:"
  tail -n 6 "$work/$target.log"
}
fuzz jt808_stream_fuzz jt808
fuzz registry_import_fuzz registry
fuzz indicators_import_fuzz indicators
fuzz json_depth_fuzz json
fuzz geodata_fuzz geodata
