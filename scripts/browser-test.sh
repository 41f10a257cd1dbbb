#!/usr/bin/env bash
# Browser tests of the dashboard (after web/tests/unsafe-html.test.mjs, a static check of the
# sources): starts its own `baotong serve` on a fresh demo city, drives
# /usr/bin/chromium through playwright-core (web/tests/browser.test.mjs) and saves a screenshot
# per step under $ARTIFACTS_DIR (default build/browser-artifacts/).
#
# Environment: BAOTONG (default build/baotong), ARTIFACTS_DIR, CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f web/dist/index.html || ! -d web/node_modules ]]; then
  scripts/web-build.sh
fi
# The static check first (a second): data reaches the page only as text (no innerHTML, Leaflet
# content from DOM nodes, no inline script), which the browser test then exercises.
node web/tests/unsafe-html.test.mjs
# dom.ts safeUrl against javascript: spelled the ways a browser still runs (a tab, a control byte).
node web/tests/safe-url.test.mjs
# datum.ts: the GCJ-02 display shift against published conversion pairs.
node web/tests/datum.test.mjs
export BAOTONG=${BAOTONG:-build/baotong}
export ARTIFACTS_DIR=${ARTIFACTS_DIR:-build/browser-artifacts}
if [[ ! -x $BAOTONG ]]; then
  echo "browser-test: $BAOTONG not found; build it first (scripts/build.sh release)" >&2
  exit 1
fi

# The test runs in its own process group, so that whatever it started (server, simulator,
# chromium) goes with it even if it is killed before its own cleanup runs.
test_pid=""
cleanup() {
  if [[ -n $test_pid ]] && kill -0 "$test_pid" 2>/dev/null; then
    kill -TERM -- "-$test_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$test_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setsid node web/tests/browser.test.mjs &
test_pid=$!
status=0
wait "$test_pid" || status=$?
test_pid=""
echo "browser-test: screenshots in $(cd "$ARTIFACTS_DIR" 2>/dev/null && pwd || echo "$ARTIFACTS_DIR")"
exit "$status"
