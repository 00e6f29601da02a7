# Shared by the bench/run_*.sh scripts that take `[--quick] [build-dir]` and build their own
# binaries (sourced, never run on its own). The caller sets `set -euo pipefail` and $root (the
# repository).
#   parse_bench_args "$@"     sets $quick (1 with --quick, else 0) and $build (absolute;
#                             default $root/build-bench); exits 2 on an unknown option
#   build_bench_targets T…    configures $build as a Release build with the benchmarks and
#                             builds the targets T…

parse_bench_args() {
  quick=0
  build="$root/build-bench"
  local arg
  for arg in "$@"; do
    case "$arg" in
      --quick) quick=1 ;;
      -*) echo "usage: $0 [--quick] [build-dir]" >&2; exit 2 ;;
      *) build="$arg" ;;
    esac
  done
  case "$build" in /*) ;; *) build="$root/$build" ;; esac
}

build_bench_targets() {
  # -Wno-restrict: g++ 12 at -O3 reports a false -Wrestrict inside std::string (GCC bug 105329).
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOD_BUILD_BENCH=ON \
    -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
  cmake --build "$build" --target "$@" >/dev/null
}
