#!/usr/bin/env bash
# One-time (idempotent) set-up: npm dependencies, then the real test environment (test/env/up).
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (!(a===20&&b>=19 || a>=22)) { console.error(`Node ${process.versions.node} found; Node 20.19+ is needed`); process.exit(1) }'
# onnxruntime-node would otherwise download CUDA libraries at install; the CPU runtime ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash test/env/up
