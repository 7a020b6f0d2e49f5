#!/usr/bin/env bash
# The README's test command: set up everything (idempotent), type-check and build, run every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[test] type-check and build" >&2
npm run --silent build
npm run --silent typecheck:tests
bash scripts/run-suites.sh
