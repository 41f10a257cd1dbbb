#!/usr/bin/env bash
# Builds the dashboard (web/, TypeScript + Vite) into web/dist, which `baotong serve` serves from
# its web root. Installs the locked npm dependencies first when node_modules is missing or older
# than package-lock.json. Node.js and npm come from scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "web-build: node/npm not found; run scripts/install-deps.sh first (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

# npm writes node_modules/.package-lock.json on every install: older than the lock means stale.
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ||
      package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "web-build: npm ci (node $(node --version), npm $(npm --version))"
  npm ci --no-audit --no-fund
fi

npm run --silent build
echo "web-build: built $(pwd)/dist"
