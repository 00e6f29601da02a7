#!/usr/bin/env bash
# Crash test of the module pipeline on the cluster path (issue 4): 200 versions of one Module
# sync while the worker is killed with SIGKILL several times and redis-server is restarted
# once. The roles run split as the Helm chart runs them: one process with
# watch,reconcile,status,serve and a separate worker process, which is the one killed.
# At the end:
#   - every Version is synced, and no Version's spec.fileName or status.checksum ever changed
#     during the run (sampled all along);
#   - each artifact was written once under its fixed key with one checksum: exactly one file
#     per Version in the store, each with its Version's checksum, and every ArtifactStored
#     fact of a Version names the same fileName and checksum;
#   - nothing was parked on od:{ctl}:dead and no temporary file is left (".od-sync-*",
#     ".od-extract-*" in the worker's work dir, ".od-tmp-*" in the store);
#   - the streams survived the redis-server restart (appendonly) and both processes are
#     still alive (the non-worker one never restarted).
# The worker is restarted as a container is after a crash: same host name and pid 1 (a pid
# and UTS namespace via `unshare`), so its consumer name in the "workers" group stays the same
# and it takes its own pending entries back at start. Without unshare (no privileges) every
# incarnation has a new name and the killed ones' entries are claimed after --claim-idle.
#   usage: crash_test.sh <opendepot> <od_test_apiserver> <od_github_double>
#   CRASH_VERSIONS (default 200), CRASH_KILLS (default 4), CRASH_STABLE_NAME=0 (no unshare)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
od_bin="$1"
api_bin="$2"
double_bin="$3"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed (the test drives the cluster with it)"
need redis-server redis-cli curl openssl
e2e_init crash

n="${CRASH_VERSIONS:-200}"
kills_wanted="${CRASH_KILLS:-4}"
ns=crash
store="$work/store"
artifacts="$store/modules/many"
mkdir -p "$store"
write_fixture "$work/fixture"

tags=""
for i in $(seq 0 $((n - 1))); do tags="$tags${tags:+,}v1.0.$i"; done
start_double "$double_bin" --repo "acme/many=$work/fixture" --tags "acme/many=$tags"
start_apiserver "$api_bin"
start_redis_anywhere "$work/redis"
rc() { redis-cli -p "$redis_port" "$@"; }
valkey="redis://127.0.0.1:$redis_port"
common=(--kubeconfig "$work/kubeconfig" --valkey-url "$valkey" --storage-root "$store"
  --github-api-url "http://127.0.0.1:$double_port" --allow-plain-http)

# The control process (never restarted).
for _ in 1 2 3; do
  http_port="$(pick_port)" || fail "no free port"
  url="http://127.0.0.1:$http_port"
  start_bg control "$od_bin" run --roles=watch,reconcile,status,serve "${common[@]}" \
    --public-url "$url" --listen "127.0.0.1:$http_port"
  control_pid=$last_pid
  for _ in $(seq 1 100); do
    curl -fsS "$url/.well-known/terraform.json" >/dev/null 2>&1 && break
    kill -0 "$control_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$control_pid" 2>/dev/null && break
  grep -q 'cannot start' "$work/control.log" || fail "the control process exited at start"
done
kill -0 "$control_pid" 2>/dev/null || fail "the control process did not start"

stable=0
if [ "${CRASH_STABLE_NAME:-1}" = 1 ] && unshare --pid --uts --fork --kill-child -- true >/dev/null 2>&1; then stable=1; fi
# A restarted worker sweeps every temporary file a killed one left (it is the only writer),
# and entries a dead incarnation held are claimed after 2 s of idleness.
worker_flags=(--temp-max-age 0 --claim-idle 2)
incarnation=0
worker_pid=""   # the opendepot worker process (the one killed)
worker_wrap=""  # its parent when it runs under unshare
start_worker() {
  incarnation=$((incarnation + 1))
  local log="worker-$incarnation"
  if [ "$stable" = 1 ]; then
    TMPDIR="$work/tmp" start_bg "$log" unshare --pid --uts --fork --kill-child -- \
      sh -c 'hostname od-worker-0 && exec "$@"' sh "$od_bin" run --roles=worker "${common[@]}" "${worker_flags[@]}"
    worker_wrap=$last_pid
    worker_pid=""
    for _ in $(seq 1 100); do
      worker_pid="$(pgrep -P "$worker_wrap" || true)"
      [ -n "$worker_pid" ] && break
      sleep 0.05
    done
    [ -n "$worker_pid" ] || fail "the worker did not start under unshare"
  else
    TMPDIR="$work/tmp" start_bg "$log" "$od_bin" run --roles=worker "${common[@]}" "${worker_flags[@]}"
    worker_wrap=""
    worker_pid=$last_pid
  fi
}
kill_worker() {
  kill -KILL "$worker_pid" 2>/dev/null || fail "the worker was not running when it was to be killed"
  wait "${worker_wrap:-$worker_pid}" 2>/dev/null || true
}
start_worker

# Every Version's "name synced fileName checksum".
versions_table() {
  kc get versions -n "$ns" -l "opendepot.defdev.io/module=many" -o \
    jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.synced}{" "}{.spec.fileName}{" "}{.status.checksum}{"\n"}{end}'
}
# Every half second, in the background, a snapshot of the table into $work/samples/.
start_sampler() {
  mkdir -p "$work/samples"
  (
    i=0
    while :; do
      i=$((i + 1))
      versions_table >"$work/samples/$(printf %06d $i).tmp" 2>/dev/null &&
        mv "$work/samples/$(printf %06d $i).tmp" "$work/samples/$(printf %06d $i).txt"
      sleep 0.5
    done
  ) >/dev/null 2>&1 &
  sampler_pid=$!
  e2e_pids+=("$sampler_pid")
}
# Records the first fileName and checksum seen of every Version in a table; fails when one
# changes.
declare -A first_file first_sum
check_sample() {
  local table name synced file sum
  table="$(cat "$1")"
  while read -r name synced file sum; do
    [ -n "$name" ] || continue
    if [ -n "$file" ]; then
      if [ -z "${first_file[$name]:-}" ]; then first_file[$name]="$file"
      elif [ "${first_file[$name]}" != "$file" ]; then fail "$name: spec.fileName changed from ${first_file[$name]} to $file"; fi
    fi
    if [ -n "$sum" ]; then
      if [ -z "${first_sum[$name]:-}" ]; then first_sum[$name]="$sum"
      elif [ "${first_sum[$name]}" != "$sum" ]; then fail "$name: status.checksum changed from ${first_sum[$name]} to $sum"; fi
    fi
  done <<<"$table"
}
# The worker's progress: artifacts in the store (a local count, also while Valkey is down).
stored_count() { if [ -d "$artifacts" ]; then find "$artifacts" -maxdepth 1 -name '*.zip' | wc -l; else echo 0; fi; }
# How many Versions have a VersionSynced fact.
synced_facts() {
  rc --raw XRANGE 'od:{ctl}:facts' - + 2>/dev/null | awk '
    $0 == "type" {getline; t = $0} $0 == "key" {getline; if (t == "VersionSynced") seen[$0] = 1}
    END {n = 0; for (k in seen) n++; print n}'
}

kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"
{
  printf 'apiVersion: opendepot.defdev.io/v1alpha1\nkind: Module\nmetadata:\n  name: many\n  namespace: %s\n' "$ns"
  printf 'spec:\n  moduleConfig:\n    provider: aws\n    repoOwner: acme\n    fileFormat: zip\n'
  printf '    storageConfig:\n      fileSystem:\n        directoryPath: %s/modules\n  versions:\n' "$store"
  for i in $(seq 0 $((n - 1))); do printf '    - version: "1.0.%d"\n' "$i"; done
} >"$work/module.yaml"
start=$SECONDS
kc apply -f "$work/module.yaml" >"$work/apply.out" 2>&1 || fail "kubectl apply: $(cat "$work/apply.out")"

# The crash schedule, by the worker's progress: SIGKILL the worker once it has stored a few
# artifacts, then again each time its successor has stored `step` more (restarting it at
# once), and restart redis-server once between the second and the third kill.
kills=0
kills_mid_run=0
redis_restarted=0
step=$((n / 12 > 5 ? n / 12 : 5))
next_kill=$((n / 20 > 2 ? n / 20 : 2))
next_redis=-1
start_sampler
deadline=$((SECONDS + (stable == 1 ? 100 : 260)))
while [ "$SECONDS" -lt "$deadline" ]; do
  done_n="$(stored_count)"
  if [ "$redis_restarted" = 0 ] && [ "$next_redis" -ge 0 ] && [ "$done_n" -ge "$next_redis" ]; then
    echo "t=$((SECONDS - start))s: redis-server restarted with $done_n/$n artifacts stored"
    stop_pid "$redis_pid"
    sleep 1
    for _ in 1 2 3 4 5; do start_redis "$redis_port" "$work/redis" && break; sleep 1; done
    [ "$(rc ping 2>/dev/null)" = PONG ] || fail "redis-server did not come back on port $redis_port"
    redis_restarted=1
  fi
  if [ "$kills" -lt "$kills_wanted" ] && [ "$done_n" -ge "$next_kill" ]; then
    kill_worker
    kills=$((kills + 1))
    if [ "$done_n" -lt "$n" ]; then kills_mid_run=$((kills_mid_run + 1)); fi
    echo "t=$((SECONDS - start))s: worker killed (SIGKILL) with $done_n/$n artifacts stored"
    sleep 0.3
    start_worker
    next_kill=$((done_n + step < n ? done_n + step : n))
    if [ "$kills" = 2 ]; then next_redis=$((done_n + step / 2)); fi
  fi
  if [ "$done_n" -ge "$n" ] && [ "$kills" -ge "$kills_wanted" ] && [ "$redis_restarted" = 1 ]; then
    synced="$(versions_table | awk '$2 == "true" && $4 != ""' | wc -l)"
    [ "$synced" -ge "$n" ] && break
  fi
  kill -0 "$control_pid" 2>/dev/null || fail "the control process died"
  sleep 0.1
done
echo "t=$((SECONDS - start))s: $(synced_facts)/$n versions have a VersionSynced fact; $kills kills ($kills_mid_run before the end), redis restarted: $redis_restarted"
[ "$kills" -ge "$kills_wanted" ] || fail "only $kills of $kills_wanted kills happened before the deadline"
[ "$redis_restarted" = 1 ] || fail "redis-server was never restarted (the run stopped short)"
[ "$kills_mid_run" -ge 3 ] || fail "only $kills_mid_run kills hit the run before every artifact was stored"

# All Versions synced, none changed its fileName or checksum.
stop_pid "$sampler_pid"
table="$(versions_table)"
echo "$table" >"$work/versions-final.txt"
samples=0
for f in "$work"/samples/*.txt "$work/versions-final.txt"; do
  [ -f "$f" ] || continue
  check_sample "$f"
  samples=$((samples + 1))
done
[ "$samples" -ge 5 ] || fail "only $samples samples of the Versions were taken"
total="$(echo "$table" | grep -c . || true)"
[ "$total" = "$n" ] || fail "$total Version resources instead of $n"
not_synced="$(echo "$table" | awk '$2 != "true" || $4 == "" {print $1}')"
if [ -n "$not_synced" ]; then
  rc --raw XRANGE 'od:{ctl}:facts' - + >"$work/facts.txt"
  with_fact=0
  for name in $not_synced; do
    if grep -qx "Version/$ns/$name" "$work/facts.txt"; then with_fact=$((with_fact + 1)); fi
  done
  fail "$(echo "$not_synced" | wc -l) Versions not synced at the end ($with_fact of them have facts on od:{ctl}:facts): $(echo "$not_synced" | head -n 10 | tr '\n' ' ')"
fi

# One file per Version, with its checksum; nothing else in the store but the side files and
# (checked below) no temporary files.
files="$(find "$artifacts" -maxdepth 1 -type f ! -name '.od-tmp-*' | wc -l)"
[ "$files" = "$n" ] || fail "$files files in $artifacts instead of $n"
metas="$(find "$store/.od-meta" -type f ! -name '.od-tmp-*' | wc -l)"
[ "$metas" = "$n" ] || fail "$metas checksum side files instead of $n"
while read -r name _ file sum; do
  [ -f "$artifacts/$file" ] || fail "$name: no file $artifacts/$file"
  [ "$(b64sha "$artifacts/$file")" = "$sum" ] || fail "$name: $file does not have the checksum $sum"
done <<<"$table"
others="$(find "$store" -type f ! -path "$artifacts/*" ! -path "$store/.od-meta/*" ! -name '.od-tmp-*' -print)"
[ -z "$others" ] || fail "unexpected files in the store: $others"

# Every ArtifactStored fact of a Version names one fileName and one checksum.
rc --raw XRANGE 'od:{ctl}:facts' - + | awk '
  $0 == "type" {getline; t = $0} $0 == "key" {getline; k = $0}
  $0 == "data" {getline; if (t == "ArtifactStored") {
    f = $0; sub(/.*"fileName":"/, "", f); sub(/".*/, "", f)
    c = $0; sub(/.*"checksum":"/, "", c); sub(/".*/, "", c)
    print k, f, c } }' | sort >"$work/stored-all.txt"
sort -u "$work/stored-all.txt" >"$work/stored.txt"
again="$(awk '{print $1}' "$work/stored-all.txt" | uniq -d | wc -l)"
swept="$(cat "$work"/worker-*.log | sed -n 's/.*removed \([0-9]*\) files a previous worker left.*/\1/p' | awk '{s += $1} END {print s + 0}')"
echo "$again Versions have more than one ArtifactStored fact (all with one name and checksum); the restarted workers swept $swept files of interrupted syncs"
stored_keys="$(awk '{print $1}' "$work/stored.txt" | sort -u | wc -l)"
[ "$stored_keys" = "$n" ] || fail "ArtifactStored facts name $stored_keys Versions instead of $n"
dups="$(awk '{print $1}' "$work/stored.txt" | uniq -d | head -n 5)"
[ -z "$dups" ] || fail "Versions stored under different names or checksums: $(grep -F "$dups" "$work/stored.txt" | head -n 10)"
while read -r key file sum; do
  name="${key##*/}"
  [ "${first_file[$name]:-}" = "$file" ] || fail "$key: ArtifactStored names $file, the Version ${first_file[$name]:-nothing}"
  [ "${first_sum[$name]:-}" = "$sum" ] || fail "$key: ArtifactStored has $sum, the Version ${first_sum[$name]:-nothing}"
done <"$work/stored.txt"

# The registry (the read model, which followed the streams through the restart) lists all.
listed="$(curl -fsS "$url/opendepot/modules/v1/$ns/many/aws/versions" | grep -o '"version":"[^"]*"' | sort -u | wc -l)"
[ "$listed" = "$n" ] || fail "the registry lists $listed versions instead of $n"

# Nothing parked; no temporary files anywhere.
dead="$(rc XLEN 'od:{ctl}:dead')"
[ "$dead" = 0 ] || fail "$dead entries parked on od:{ctl}:dead: $(rc --raw XRANGE 'od:{ctl}:dead' - + | grep -A1 '^dead.reason$' | head -n 10)"
left="$(find "$work/tmp" \( -name '.od-sync-*' -o -name '.od-extract-*' -o -name '.od-tmp-*' \) -print)"
[ -z "$left" ] || fail "temporary files are left in the worker's work dir: $left"
left="$(find "$store" -name '.od-tmp-*' -print)"
[ -z "$left" ] || fail "temporary files of the store are left (a killed worker's puts; nothing swept them): $left"

# Both processes are still up and stop cleanly.
kill -0 "$control_pid" 2>/dev/null || fail "the control process died"
kill -0 "$worker_pid" 2>/dev/null || fail "the last worker died"
kill -TERM "$worker_pid"
stop_pid "$control_pid"
wait "${worker_wrap:-$worker_pid}" 2>/dev/null || true
echo "crash_test: ok ($n versions in $((SECONDS - start))s, $kills worker kills, 1 redis-server restart, stable worker name: $stable)"
