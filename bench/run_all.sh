#!/usr/bin/env bash
# Runs every benchmark; each script prints its own summary line. BUILD names the build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build-bench}
for script in bench/run_*.sh; do
  [ "$script" = bench/run_all.sh ] && continue
  echo "== $script"
  bash "$script" "$BUILD"
done
