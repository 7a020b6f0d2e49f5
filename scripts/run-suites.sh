#!/usr/bin/env bash
# Runs every workspace's ava suite (TAP), then prints one line summing them all: "N passed, N failed[, N skipped]".
# A suite whose runner dies without reporting counts as one failure, so a crash can never read as green.
set -uo pipefail
cd "$(dirname "$0")/.."
suites=(test crds operator workloads/ml workloads/api workloads/backup workloads/model-cache workloads/local workloads/web infra charts e2e)
passed=0 failed=0 skipped=0 broken=()
for ws in "${suites[@]}"; do
  [[ -d "$ws/test" || -d "$ws/smoke" ]] || continue
  echo "=== suite: $ws"
  out=$(mktemp)
  (cd "$ws" && npx --no-install ava --tap) 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
  s=$(sed -n 's/^# skip \([0-9]*\)/\1/p' "$out" | tail -1)
  t=$(sed -n 's/^# todo \([0-9]*\)/\1/p' "$out" | tail -1)
  rm -f "$out"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0} + ${t:-0}))
  if [[ $rc -ne 0 && ${f:-0} -eq 0 ]]; then
    failed=$((failed + 1)); broken+=("$ws (exit $rc without a failing test: crash, timeout or no tests)")
  fi
done
for b in "${broken[@]}"; do echo "suite broken: $b"; done
summary="$passed passed, $failed failed"
((skipped > 0)) && summary+=", $skipped skipped"
echo "$summary"
((failed == 0))
