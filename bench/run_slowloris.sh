#!/usr/bin/env bash
# Slow clients against opendepot (issue 5: p99 rises less than 20% while ~300 connections
# trickle request heads). Starts `opendepot dev` (bench/http_lib.sh), measures wrk's p99 on
# the versions endpoint alone, then again while bench/slow_clients holds 300 TLS
# connections that each send one byte of a request head per second (the server's 10 s
# header timeout closes them; they reopen at once). wrk runs at 1 and 64 connections, ~10 s
# each (2 s and 40 slow clients in --quick). Prints one line per case and SLOWLORIS-SUMMARY.
#   usage: bench/run_slowloris.sh [--quick] [build-dir]     (default build dir: build-bench)
#   SLOW_CLIENTS_BIN  use this slow_clients binary instead of building it
set -euo pipefail
source "$(dirname "$0")/http_lib.sh"
bench_init "$@"
trap bench_cleanup EXIT
bench_need wrk curl

bin="$(bench_opendepot_bin)" || exit 1
slow="${SLOW_CLIENTS_BIN:-}"
if [ -z "$slow" ]; then
  bench_build_target slow_clients
  slow="$bench_build/bench/slow_clients"
fi
[ -x "$slow" ] || bench_fail "no slow_clients binary at $slow"
bench_start_opendepot "$bin"

secs=10 slow_count=300 ramp=5
[ "$bench_quick" = 1 ] && secs=2 slow_count=40 ramp=2
url="$od_url$od_versions_path"
port="${od_url##*:}"
conn_list=(1 64)

declare -A base_p50 base_p99 base_rps
for c in "${conn_list[@]}"; do
  read -r base_rps[$c] base_p50[$c] base_p99[$c] err < <(wrk_case "$url" "$c" "$secs") || exit 1
  [ "$err" = 0 ] || bench_fail "baseline wrk at $c connections saw $err errors"
done

# The slow clients outlive both measured runs.
attack=$((ramp + ${#conn_list[@]} * (secs + 1) + 3))
"$slow" 127.0.0.1 "$port" "$slow_count" "$attack" > "$bench_work/slow.log" 2>&1 &
slow_pid=$!
bench_pids+=("$slow_pid")
sleep "$ramp"
held="$(ss -Htn state established "( dport = :$port )" 2>/dev/null | wc -l || echo '?')"

summary="SLOWLORIS-SUMMARY slow_clients=$slow_count"
printf '%-6s %12s %10s %10s %12s %10s %10s %9s\n' conns alone_req/s alone_p50 alone_p99 slow_req/s slow_p50 slow_p99 p99_rise
for c in "${conn_list[@]}"; do
  read -r rps p50 p99 err < <(wrk_case "$url" "$c" "$secs") || exit 1
  rise="$(awk -v a="${base_p99[$c]}" -v b="$p99" 'BEGIN { printf "%+.0f%%", (a > 0 ? (b - a) * 100 / a : 0) }')"
  printf '%-6s %12s %8sms %8sms %12s %8sms %8sms %9s\n' "$c" "${base_rps[$c]}" "${base_p50[$c]}" \
    "${base_p99[$c]}" "$rps" "$p50" "$p99" "$rise"
  [ "$err" = 0 ] || echo "  wrk saw $err errors (socket errors + non-2xx answers) beside the slow clients"
  summary+=" c${c}: p99_alone=${base_p99[$c]}ms p99_slow=${p99}ms rise=${rise} p50_alone=${base_p50[$c]}ms p50_slow=${p50}ms rps_alone=${base_rps[$c]} rps_slow=${rps}"
  [ "$err" = 0 ] || summary+=" errors=$err"
  summary+=";"
done

wait "$slow_pid" || bench_fail "slow_clients failed: $(cat "$bench_work/slow.log")"
slow_line="$(grep '^SLOW-CLIENTS' "$bench_work/slow.log" || true)"
echo "established connections to the server ${ramp}s into the attack: $held (slow clients; wrk not yet running)"
echo "${slow_line:-slow_clients printed nothing}"
echo "$summary ${slow_line#SLOW-CLIENTS }"
