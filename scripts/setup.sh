#!/usr/bin/env bash
# One-time (idempotent) set-up for the tests: what the local platform needs (scripts/install.sh), then
# the real test environment (test/env/up).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash test/env/up
