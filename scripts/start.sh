#!/usr/bin/env bash
# The README's main-job command: the local platform (API + ingest worker + ML service + dashboard) on
# this machine with embedded defaults: PGlite, an in-process queue, Postgres search, templated answers.
# Installs what is missing (idempotent), builds, loads a sample Jira export on first start, prints the
# URL and a login. Data stays in .local/ (delete it to start over). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npm run --silent build
exec node workloads/local/dist/main.js
