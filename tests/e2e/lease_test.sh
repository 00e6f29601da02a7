#!/usr/bin/env bash
# The status role loses its lease while Version statuses are waiting to be written, and wins
# it back: every Version must still get its status (ARCHITECTURE "One binary, many roles":
# single-active roles hold a lease in Valkey; a lost lease stops the role, which must pick up
# where it left off when it leads again).
#   1. opendepot with watch,reconcile,status,serve and a Module of 20 versions: the Versions
#      are created and their syncs requested; no worker runs yet.
#   2. The Kubernetes API server is frozen (SIGSTOP), a worker starts and syncs all 20: the
#      status role folds the facts and its /status patches hang.
#   3. The status lease is taken away (DEL od:{ctl}:lease:status): the next renewal finds it
#      gone and the role stands by. The API server is thawed (SIGCONT).
#   4. The role leads again; within 30 s every Version must be synced with its checksum.
#   usage: lease_test.sh <opendepot> <od_test_apiserver> <od_github_double>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
od_bin="$1"
api_bin="$2"
double_bin="$3"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed (the test drives the cluster with it)"
need redis-server redis-cli curl
e2e_init lease

n=20
ns=lease
store="$work/store"
artifacts="$store/modules/few"
mkdir -p "$store"
write_fixture "$work/fixture"
tags=""
for i in $(seq 0 $((n - 1))); do tags="$tags${tags:+,}v1.0.$i"; done
start_double "$double_bin" --repo "acme/few=$work/fixture" --tags "acme/few=$tags"
start_apiserver "$api_bin"
api_pid="${e2e_pids[-1]}"
start_redis_anywhere "$work/redis"
rc() { redis-cli -p "$redis_port" "$@"; }
common=(--kubeconfig "$work/kubeconfig" --valkey-url "redis://127.0.0.1:$redis_port"
  --storage-root "$store" --github-api-url "http://127.0.0.1:$double_port" --allow-plain-http)

for _ in 1 2 3; do
  http_port="$(pick_port)" || fail "no free port"
  start_bg control "$od_bin" run --roles=watch,reconcile,status,serve "${common[@]}" \
    --public-url "http://127.0.0.1:$http_port" --listen "127.0.0.1:$http_port"
  control_pid=$last_pid
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$http_port/.well-known/terraform.json" >/dev/null 2>&1 && break
    kill -0 "$control_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$control_pid" 2>/dev/null && break
  grep -q 'cannot start' "$work/control.log" || fail "the control process exited at start"
done
lead_lines() { grep -c 'role status: this process holds the lease' "$work/control.log" || true; }
leads_more_than() { [ "$(lead_lines)" -gt "$1" ]; }
wait_until 20 'the status role leads' leads_more_than 0

# 1. The Versions and their sync requests, with no worker.
kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"
{
  printf 'apiVersion: opendepot.defdev.io/v1alpha1\nkind: Module\nmetadata:\n  name: few\n  namespace: %s\n' "$ns"
  printf 'spec:\n  moduleConfig:\n    provider: aws\n    repoOwner: acme\n    fileFormat: zip\n'
  printf '    storageConfig:\n      fileSystem:\n        directoryPath: %s/modules\n  versions:\n' "$store"
  for i in $(seq 0 $((n - 1))); do printf '    - version: "1.0.%d"\n' "$i"; done
} >"$work/module.yaml"
kc apply -f "$work/module.yaml" >"$work/apply.out" 2>&1 || fail "kubectl apply: $(cat "$work/apply.out")"
versions_table() {
  kc get versions -n "$ns" -l "opendepot.defdev.io/module=few" -o \
    jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.synced}{" "}{.spec.fileName}{" "}{.status.checksum}{"\n"}{end}'
}
requests() { rc XLEN 'od:{ctl}:work'; }
requested() { [ "$(requests)" -ge "$n" ]; }
wait_until 30 '$n sync requests on od:{ctl}:work (has $(requests))' requested

# 2. The API server frozen, the worker syncs everything.
kill -STOP "$api_pid"
thawed=0
thaw() { if [ "$thawed" = 0 ]; then kill -CONT "$api_pid" 2>/dev/null || true; thawed=1; fi; }
trap 'thaw; e2e_cleanup' EXIT
TMPDIR="$work/tmp" start_bg worker "$od_bin" run --roles=worker "${common[@]}"
synced_facts() {
  rc --raw XRANGE 'od:{ctl}:facts' - + | awk '$0 == "type" {getline; if ($0 == "VersionSynced") n++} END {print n + 0}'
}
worker_done() { [ "$(synced_facts)" -ge "$n" ]; }
wait_until 30 'the worker synced $n versions (facts: $(synced_facts))' worker_done
sleep 1  # the status role folds the facts; its patches wait on the frozen API server

# 3. The lease taken away; the role notices at its next renewal (every 5 s).
leads_before="$(lead_lines)"
rc DEL 'od:{ctl}:lease:status' >/dev/null
wait_until 15 'the status role noticed the lost lease' grep -q 'role status: lease lost' "$work/control.log"
thaw

# 4. The role leads again and writes every status.
wait_until 20 'the status role leads again' leads_more_than "$leads_before"
all_synced() {
  local table
  table="$(versions_table)" || return 1
  [ "$(echo "$table" | awk '$2 == "true" && $4 != ""' | wc -l)" -ge "$n" ]
}
wait_until 30 'every Version synced after the status role led again; not synced: $(versions_table | awk '"'"'$2 != "true" {print $1}'"'"' | tr "\n" " ")' all_synced
while read -r name _ file sum; do
  [ "$(b64sha "$artifacts/$file")" = "$sum" ] || fail "$name: the status checksum is not the artifact's"
done < <(versions_table)
echo "lease_test: ok"
