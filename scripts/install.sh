#!/usr/bin/env bash
# What both main commands need (idempotent): Node 20.19+, npm dependencies, and the Debian packages the
# sentiment model's build uses (a JDK and Maven fetch the encoder; unzip, tar and pip unpack its data;
# Python's venv holds the quantiser the build runs).
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (!(a===20&&b>=19 || a>=22)) { console.error(`Node ${process.versions.node} found; Node 20.19+ is needed`); process.exit(1) }'
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v unzip >/dev/null || missing+=(unzip)
command -v pip >/dev/null || missing+=(python3-pip)
# Debian's python3 lacks ensurepip without python3-venv, so `python3 -m venv` fails there.
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  echo "[install] Debian packages: ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# onnxruntime-node would otherwise download CUDA libraries at install; the CPU runtime ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "[install] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
