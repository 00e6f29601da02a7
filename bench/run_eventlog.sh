#!/usr/bin/env bash
# Builds and runs the EventLog benchmark (ValkeyEventLog append/consume vs redis-benchmark's
# raw XADD on the same redis-server) and prints one summary line.
# usage: bench/run_eventlog.sh [build-dir]     (default: build-bench)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
# -Wno-restrict: g++ 12 at -O3 reports a false -Wrestrict inside std::string (GCC bug 105329).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOD_BUILD_BENCH=ON \
  -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
cmake --build "$build" --target eventlog_bench >/dev/null
out="$("$build/bench/eventlog_bench" --benchmark_min_time=1 --benchmark_color=false 2>&1)"
echo "$out" | grep -v '^EVENTLOG-SUMMARY' >&2
echo "$out" | grep '^EVENTLOG-SUMMARY'
