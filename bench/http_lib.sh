# Shared by bench/run_http.sh and bench/run_slowloris.sh (sourced, never run on its own):
# argument parsing, the opendepot binary, an `opendepot dev` serving one ~256 KiB module, and
# a wrk runner that reports requests/s and p99. The caller sets `set -euo pipefail`, calls
# bench_init "$@" and installs `trap bench_cleanup EXIT`; everything started here is
# stopped by process id and the temporary folder is removed.
#   OPENDEPOT_BIN  use this binary instead of building `opendepot` into the build dir
#   KEEP=1         keep the temporary folder (logs) for a post-mortem

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_quick=0
bench_build="$bench_root/build-bench"
bench_work=""
bench_pids=()      # started here, stopped by bench_cleanup in reverse order
od_url=""          # https://127.0.0.1:PORT of opendepot dev
od_versions_path="/opendepot/modules/v1/default/bench/local/versions"
od_artifact_url="" # from the download's X-Terraform-Get
od_state=""

bench_init() {
  for arg in "$@"; do
    case "$arg" in
      --quick) bench_quick=1 ;;
      -*) echo "usage: $0 [--quick] [build-dir]" >&2; exit 2 ;;
      *) bench_build="$arg" ;;
    esac
  done
  case "$bench_build" in /*) ;; *) bench_build="$bench_root/$bench_build" ;; esac
  bench_work="$(mktemp -d /tmp/od-bench.XXXXXX)"
}

bench_fail() {
  echo "$(basename "$0"): $*" >&2
  if [ -n "$bench_work" ] && [ -f "$bench_work/dev.log" ]; then
    echo "--- opendepot dev log (tail):" >&2
    tail -n 30 "$bench_work/dev.log" >&2 || true
  fi
  exit 1
}

# Stops a process we started: TERM, up to 10 s, then KILL.
bench_stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local i
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do bench_stop_pid "${bench_pids[$i]}"; done
  bench_pids=()
  if [ -n "$bench_work" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$bench_work"; fi
}

bench_need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      bench_fail "$tool is missing: run 'scripts/install-deps.sh --bench' (make bench does)"
  done
}

# Configures the build dir as bench/run_eventlog.sh does (Release, benchmarks on) and builds
# the named target.
bench_build_target() {
  cmake -S "$bench_root" -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOD_BUILD_BENCH=ON \
    -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
  cmake --build "$bench_build" --target "$1" >/dev/null
}

# The opendepot binary: $OPENDEPOT_BIN, or built into the build dir.
bench_opendepot_bin() {
  if [ -n "${OPENDEPOT_BIN:-}" ]; then
    [ -x "$OPENDEPOT_BIN" ] || bench_fail "OPENDEPOT_BIN=$OPENDEPOT_BIN is not executable"
    echo "$OPENDEPOT_BIN"
    return
  fi
  bench_build_target opendepot
  echo "$bench_build/opendepot"
}

# Starts `opendepot dev` on a free port with one Module (default/bench/local, version 1.0.0)
# whose file:// source holds a main.tf and 255 KiB of random bytes, so the stored zip is
# ~256 KiB and gzip/deflate cannot shrink it. Waits until the version is listed and resolves
# the artifact URL. Sets od_url, od_artifact_url, od_state.
bench_start_opendepot() {
  local bin="$1"
  od_state="$bench_work/state"
  local src="$bench_work/src/1.0.0"
  mkdir -p "$src" "$bench_work/manifests" "$od_state/artifacts"
  printf 'variable "name" {\n  type = string\n}\n\noutput "greeting" {\n  value = "hello, ${var.name}"\n}\n' > "$src/main.tf"
  head -c $((255 * 1024)) /dev/urandom > "$src/payload.bin"
  cat > "$bench_work/manifests/bench.yaml" <<YAML
apiVersion: opendepot.defdev.io/v1alpha1
kind: Module
metadata:
  name: bench
  namespace: default
spec:
  moduleConfig:
    provider: local
    repoOwner: opendepot-bench
    repoUrl: file://$bench_work/src/{version}
    fileFormat: zip
    storageConfig:
      fileSystem:
        directoryPath: $od_state/artifacts/modules
  versions:
    - version: "1.0.0"
YAML
  "$bin" dev --manifests "$bench_work/manifests" --state-dir "$od_state" \
    --storage-root "$od_state/artifacts" --port 0 >"$bench_work/dev.log" 2>&1 &
  local pid=$!
  bench_pids+=("$pid")
  for _ in $(seq 1 300); do
    od_url="$(grep -so 'https://127.0.0.1:[0-9]*' "$bench_work/dev.log" | head -n 1 || true)"
    [ -n "$od_url" ] && break
    kill -0 "$pid" 2>/dev/null || bench_fail "opendepot dev exited at start"
    sleep 0.1
  done
  [ -n "$od_url" ] || bench_fail "no URL in the opendepot dev banner"
  local body=""
  for _ in $(seq 1 600); do
    body="$(bench_curl "$od_url$od_versions_path" 2>/dev/null || true)"
    echo "$body" | grep -q '"1.0.0"' && break
    kill -0 "$pid" 2>/dev/null || bench_fail "opendepot dev died"
    sleep 0.1
  done
  echo "$body" | grep -q '"1.0.0"' || bench_fail "1.0.0 was never listed: $body"
  bench_resolve_artifact
}

bench_curl() { curl -sS --fail --cacert "$od_state/tls/tls.crt" "$@"; }

# The artifact URL from a fresh download answer (its token expires after 10 minutes).
bench_resolve_artifact() {
  local hdrs
  hdrs="$(bench_curl -o /dev/null -D - "$od_url/opendepot/modules/v1/default/bench/local/1.0.0/download")" ||
    bench_fail "download request failed"
  od_artifact_url="$(echo "$hdrs" | tr -d '\r' | sed -n 's/^[Xx]-[Tt]erraform-[Gg]et: //p')"
  [ -n "$od_artifact_url" ] || bench_fail "no X-Terraform-Get in: $hdrs"
}

# wrk_case URL CONNECTIONS SECONDS → prints "RPS P50_MS P99_MS ERRORS" (errors: socket errors plus
# non-2xx answers). wrk needs at least as many connections as threads, so 1 connection
# runs 1 thread; more run 2.
wrk_case() {
  local url="$1" conns="$2" secs="$3" threads=2 out
  [ "$conns" -lt 2 ] && threads=1
  out="$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency --timeout 5s "$url" 2>&1)" ||
    bench_fail "wrk failed against $url: $out"
  echo "$out" >> "$bench_work/wrk.log"
  echo "$out" | awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v + 0
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Socket errors:/ { gsub(/,/, ""); errs += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { errs += $5 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errs }'
}
