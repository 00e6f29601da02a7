#!/usr/bin/env bash
# The read model at scale (issue 5: 100,000 module versions built in < 5 s and < 300 MB).
# Runs bench/read_model_bench twice, each in its own process since peak RSS is a per-process
# high-water mark: folding the records in memory, then reading them from a real
# redis-server through proj::ReadModelFeed until caughtUp(). Prints READMODEL-SUMMARY.
#   usage: bench/run_read_model.sh [--quick] [build-dir]     (default build dir: build-bench)
#   --quick: 20 modules x 50 versions (a smoke run)
#   READ_MODEL_BENCH_BIN  use this binary instead of building it
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/build_lib.sh"
parse_bench_args "$@"
bin="${READ_MODEL_BENCH_BIN:-}"
if [ -z "$bin" ]; then
  build_bench_targets read_model_bench
  bin="$build/bench/read_model_bench"
fi
size=(--modules 1000 --versions-per-module 100)
[ "$quick" = 1 ] && size=(--modules 20 --versions-per-module 50)
fold="$("$bin" --fold "${size[@]}")"
echo "$fold"
streams="$("$bin" --streams "${size[@]}")"
echo "$streams"
echo "READMODEL-SUMMARY fold: ${fold##*READMODEL-FOLD } | streams: ${streams##*READMODEL-STREAMS }"
