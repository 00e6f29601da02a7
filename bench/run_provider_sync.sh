#!/usr/bin/env bash
# A large provider zip through the worker (issue 6: "a 500 MB provider zip syncs while the
# worker's RSS stays under 100 MB"). The upstream registry double builds one zip whose single
# entry is a stored (uncompressed) payload of pseudo-random bytes, signs SHA256SUMS with gpg,
# and serves it; `opendepot run --roles=worker` runs in its own process beside one running
# the other roles (test Kubernetes API server, redis-server), so the worker's VmHWM (peak RSS,
# /proc/<pid>/status) counts only the sync: resolve, verify the signature, download to disk
# while hashing, check SHA256SUMS, compute h1 over the zip (libarchive, streamed), store.
# Prints PROVIDER-SYNC-SUMMARY. Everything it made (zips, store, logs) is removed at the end.
#   usage: bench/run_provider_sync.sh [--quick] [build-dir]     (default build dir: build-bench)
#   --quick: a 20 MiB payload (a smoke run)
#   OPENDEPOT_BIN, APISERVER_BIN, REGISTRY_DOUBLE_BIN  use these binaries instead of building
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/build_lib.sh"
parse_bench_args "$@"
od_bin="${OPENDEPOT_BIN:-}"
api_bin="${APISERVER_BIN:-}"
reg_bin="${REGISTRY_DOUBLE_BIN:-}"
if [ -z "$od_bin" ] || [ -z "$api_bin" ] || [ -z "$reg_bin" ]; then
  build_bench_targets opendepot od_test_apiserver od_provider_registry_double
  od_bin="$build/opendepot"
  api_bin="$build/tests/kubeapi/od_test_apiserver"
  reg_bin="$build/tests/adapters/registry/od_provider_registry_double"
fi
source "$root/tests/e2e/lib.sh"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed"
need redis-server redis-cli curl gpg openssl
e2e_init bench-provider

payload=$((500 * 1000 * 1000))  # 500 MB of payload; the zip is a few hundred bytes more
[ "$quick" = 1 ] && payload=$((20 * 1024 * 1024))
goal_mb=100
ns=bench
store="$work/store"
mkdir -p "$store"

# The double builds its zip under $TMPDIR (inside $work, so the cleanup removes it).
build_start=$SECONDS
TMPDIR="$work/tmp" start_double "$reg_bin" --provider acme/big=1.0.0 --platforms linux_amd64 \
  --payload-bytes "$payload"
reg="http://127.0.0.1:$double_port"
echo "registry double: zip of $payload payload bytes built and signed in $((SECONDS - build_start)) s"
start_apiserver "$api_bin"
start_redis_anywhere "$work/redis"

common=(--kubeconfig "$work/kubeconfig" --valkey-url "redis://127.0.0.1:$redis_port"
  --provider-registry-url "$reg" --allow-plain-http --upstream-allow "127.0.0.1:$double_port"
  --storage-root "$store")
http_port="$(pick_port)" || fail "no free port"
url="http://127.0.0.1:$http_port"
TMPDIR="$work/tmp" start_bg control "$od_bin" run --roles=watch,reconcile,status,serve "${common[@]}" \
  --public-url "$url" --listen "127.0.0.1:$http_port"
worker_port="$(pick_port)" || fail "no free port"
TMPDIR="$work/tmp" start_bg worker "$od_bin" run --roles=worker "${common[@]}" \
  --public-url "http://127.0.0.1:$worker_port" --listen "127.0.0.1:$worker_port"
worker_pid=$last_pid
wait_until 30 "the control process is ready at $url" curl -fsS "$url/readyz"
wait_until 30 "the worker joined its consumer group" \
  bash -c "redis-cli -p $redis_port XINFO GROUPS 'od:{ctl}:work' 2>/dev/null | grep -q workers"
sleep 1
kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$worker_pid/status"; }
rss_idle_kb="$(kb VmHWM)"

kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"
start_ns=$(date +%s%N)
apply_provider big linux amd64
field() { kc get version big-1-0-0-linux-amd64 -n "$ns" -o "jsonpath={$1}" 2>/dev/null; }
synced() { [ "$(field .status.synced)" = true ]; }
wait_until 900 'big-1-0-0-linux-amd64 synced (status: $(field .status.syncStatus))' synced
end_ns=$(date +%s%N)
rss_peak_kb="$(kb VmHWM)"
kill -0 "$worker_pid" 2>/dev/null || fail "the worker process is gone"

file="$(field .spec.fileName)"
zip="$store/providers/big/$file"
[ -f "$zip" ] || fail "no stored zip at $zip"
[ "$(b64sha "$zip")" = "$(field .status.checksum)" ] || fail "the stored zip differs from its status checksum"
zip_bytes="$(stat -c %s "$zip")"
secs="$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.1f", (b - a) / 1e9}')"
mbps="$(awk -v n="$zip_bytes" -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.0f", n / 1e6 / ((b - a) / 1e9)}')"
idle_mb="$(awk -v k="$rss_idle_kb" 'BEGIN {printf "%.1f", k / 1024}')"
peak_mb="$(awk -v k="$rss_peak_kb" 'BEGIN {printf "%.1f", k / 1024}')"
verdict=ok
awk -v k="$rss_peak_kb" -v g="$goal_mb" 'BEGIN {exit !(k / 1024 < g)}' || verdict="OVER the goal"
echo "PROVIDER-SYNC-SUMMARY zip ${zip_bytes} bytes synced in ${secs} s (${mbps} MB/s, apply to status synced); worker peak RSS (VmHWM) ${peak_mb} MiB, ${idle_mb} MiB before the sync; goal < ${goal_mb} MiB: ${verdict}"
[ "$verdict" = ok ]
