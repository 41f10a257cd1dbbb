#!/usr/bin/env bash
# Runs every test: format check, Release unit and CLI tests, the dashboard's browser tests,
# benchmark smoke runs, a short libFuzzer run under
# ASan+UBSan (clang-14), and the unit tests again under ASan+UBSan (g++).
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

echo "== libFuzzer (clang-14, ASan+UBSan) =="
scripts/build.sh fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp fuzz/corpus/jt808/* "$work/corpus"/  # the fuzzer adds to its corpus; keep the repo's clean
if ! build-fuzz/fuzz/jt808_stream_fuzz -max_total_time="${BAOTONG_FUZZ_SECONDS:-60}" \
    -artifact_prefix=build-fuzz/ -print_final_stats=1 "$work/corpus" >"$work/fuzz.log" 2>&1; then
  tail -n 80 "$work/fuzz.log"
  echo "fuzzer found a failure; the input is saved under build-fuzz/" >&2
  exit 1
fi
tail -n 6 "$work/fuzz.log"

echo "== ASan+UBSan build and tests =="
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
