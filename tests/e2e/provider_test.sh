#!/usr/bin/env bash
# End to end on the provider path (issue 6): `opendepot run --roles=all` against the test
# Kubernetes API server, redis-server and the upstream provider registry double
# (od_provider_registry_double: registry protocol, zips, SHA256SUMS signed with a real gpg
# key), driven with the real kubectl:
#   - a clean Provider with 2 platforms: both Versions synced, each zip stored under the
#     storage root with its status checksum, and each VersionSynced fact carries an h1 equal to
#     a recomputation here (unzip + sha256sum over every entry as stored); with terraform on
#     PATH, the real client accepts the stored zip against a lock file holding only that h1;
#   - the double's fault switches through the real binary: a zip tampered after signing, then
#     a SHA256SUMS signature over other bytes; each Provider's Versions end unsynced with a
#     status naming the failed check (written by the status role), a terminal
#     VersionSyncFailed fact, and nothing stored under the storage root for that provider.
#   usage: provider_test.sh <opendepot> <od_test_apiserver> <od_provider_registry_double>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
od_bin="$1"
api_bin="$2"
registry_bin="$3"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed (the test drives the cluster with it)"
need redis-server redis-cli curl unzip openssl sha256sum gpg
e2e_init provider

ns=e2e
store="$work/store"
mkdir -p "$store"

start_double "$registry_bin" --provider acme/demo=1.0.0 --provider acme/tampered=1.0.0 \
  --provider acme/badsig=1.0.0 --platforms linux_amd64,linux_arm64 --payload-bytes 200000
reg="http://127.0.0.1:$double_port"
start_apiserver "$api_bin"
start_redis_anywhere "$work/redis"
rc() { redis-cli -p "$redis_port" "$@"; }

start_opendepot /readyz --roles=all --kubeconfig "$work/kubeconfig" \
  --valkey-url "redis://127.0.0.1:$redis_port" --provider-registry-url "$reg" \
  --upstream-allow "127.0.0.1:$double_port" --storage-root "$store"
curl -fsS "$url/readyz" >/dev/null || fail "opendepot is not ready at $url"
kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"

# "name os arch synced fileName checksum" per Version of provider $1 (syncStatus separately).
versions_table() {
  kc get versions -n "$ns" -l "opendepot.defdev.io/provider=$1" -o \
    jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.operatingSystem}{" "}{.spec.architecture}{" "}{.status.synced}{" "}{.spec.fileName}{" "}{.status.checksum}{"\n"}{end}' |
    sort
}
sync_statuses() {
  kc get versions -n "$ns" -l "opendepot.defdev.io/provider=$1" -o \
    jsonpath='{range .items[*]}{.metadata.name}{": "}{.status.syncStatus}{"\n"}{end}'
}
both_synced() {
  local table
  table="$(versions_table "$1")" || return 1
  [ "$(echo "$table" | awk 'NF' | wc -l)" = 2 ] || return 1
  ! echo "$table" | awk 'NF && ($4 != "true" || $6 == "") {bad=1} END {exit !bad}'
}
# Both Versions of $1 unsynced with a syncStatus containing $2.
both_failed_with() {
  local statuses
  statuses="$(sync_statuses "$1")" || return 1
  [ "$(echo "$statuses" | grep -cF -- "$2")" = 2 ] || return 1
  ! versions_table "$1" | awk 'NF && $4 != "false" {bad=1} END {exit !bad}'
}
# The data of the last fact of TYPE about Version/$ns/NAME on od:{ctl}:facts.
fact_data() {
  rc --raw XRANGE 'od:{ctl}:facts' - + | awk -v want="$1" -v key="Version/$ns/$2" '
    $0 == "type" {getline; t = $0} $0 == "key" {getline; k = $0}
    $0 == "data" {getline; if (t == want && k == key) d = $0} END {print d}'
}
# Go's dirhash Hash1 of a zip, recomputed with unzip: every entry name as stored, sorted
# byte-wise, "<sha256 hex>  <name>\n" each, then base64 of the sha256 of those lines.
h1_of_zip() {
  local zip="$1" name
  unzip -Z1 "$zip" | LC_ALL=C sort | while IFS= read -r name; do
    printf '%s  %s\n' "$(unzip -p "$zip" "$name" | sha256sum | cut -d' ' -f1)" "$name"
  done | openssl dgst -sha256 -binary | base64 | sed 's/^/h1:/'
}

# 1. A clean provider: 2 platforms synced, zips stored, h1 in the facts.
apply_provider demo linux "amd64, arm64"
wait_until 60 'demo: both platforms synced: $(versions_table demo 2>&1 | tr "\n" ";") $(sync_statuses demo 2>&1 | tr "\n" ";")' \
  both_synced demo
versions_table demo >"$work/demo.table"
while read -r name os arch _ file sum; do
  zip="$(find "$store" -type f -name "$file" -print -quit)"
  [ -n "$zip" ] || fail "$name: no stored file $file under $store: $(find "$store" -type f | tr '\n' ' ')"
  case "$zip" in "$store/providers/"*) ;; *) fail "$name: stored outside the directoryPath: $zip" ;; esac
  [ "$(b64sha "$zip")" = "$sum" ] || fail "$name: $zip has checksum $(b64sha "$zip"), status says $sum"
  upstream="$work/up-$os-$arch.zip"
  curl -fsS -o "$upstream" "$reg/files/acme/demo/1.0.0/terraform-provider-demo_1.0.0_${os}_${arch}.zip" ||
    fail "the double does not serve the $os/$arch zip"
  cmp -s "$zip" "$upstream" || fail "$name: the stored zip is not the upstream zip"
  data="$(fact_data VersionSynced "$name")"
  fact_h1="$(echo "$data" | grep -o '"h1":"h1:[^"]*"' | cut -d'"' -f4)" || true
  [ -n "$fact_h1" ] || fail "$name: the VersionSynced fact has no h1: $data"
  want_h1="$(h1_of_zip "$zip")"
  [ "$fact_h1" = "$want_h1" ] || fail "$name: the fact's $fact_h1 differs from the recomputed $want_h1"
  echo "$name ($os/$arch): $fact_h1"
  [ "$os/$arch" = linux/amd64 ] && { amd64_zip="$zip"; amd64_h1="$fact_h1"; }
done <"$work/demo.table"

# 1b. The real client checks a zip against h1 when it installs from a filesystem mirror with
# a lock file; one holding only our h1 must be accepted.
if command -v terraform >/dev/null 2>&1 && [ "$(uname -m)" = x86_64 ]; then
  mirror="$work/mirror/registry.example/acme/demo"
  mkdir -p "$mirror" "$work/tf"
  cp "$amd64_zip" "$mirror/terraform-provider-demo_1.0.0_linux_amd64.zip"
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$work/mirror" >"$work/tf.rc"
  cat >"$work/tf/main.tf" <<'TF'
terraform {
  required_providers {
    demo = { source = "registry.example/acme/demo", version = "1.0.0" }
  }
}
TF
  cat >"$work/tf/.terraform.lock.hcl" <<HCL
provider "registry.example/acme/demo" {
  version     = "1.0.0"
  constraints = "1.0.0"
  hashes = [
    "$amd64_h1",
  ]
}
HCL
  (cd "$work/tf" && HOME="$work/home" TF_CLI_CONFIG_FILE="$work/tf.rc" TF_IN_AUTOMATION=1 \
    terraform init -input=false -no-color >"$work/tf-init.out" 2>&1) ||
    fail "terraform refused the stored zip against the fact's h1: $(tail -n 15 "$work/tf-init.out")"
  echo "terraform init accepts the stored zip against the fact's h1: ok"
else
  echo "terraform is not on PATH (or not x86_64): the real-client h1 check was skipped"
fi

# 2. A zip tampered after signing: both Versions unsynced, the status names the check.
curl -fsS -X POST "$reg/_double/fault?name=tampered-zip" >/dev/null || fail "fault control (tampered-zip)"
apply_provider tampered linux "amd64, arm64"
wait_until 60 'tampered: both Versions failed on SHA256SUMS: $(sync_statuses tampered 2>&1 | tr "\n" ";")' \
  both_failed_with tampered "in SHA256SUMS"
sync_statuses tampered >"$work/tampered.statuses"
head -n 1 "$work/tampered.statuses"

# 3. A signature over other bytes.
curl -fsS -X POST "$reg/_double/fault?name=bad-signature" >/dev/null || fail "fault control (bad-signature)"
apply_provider badsig linux "amd64, arm64"
wait_until 60 'badsig: both Versions failed on the signature: $(sync_statuses badsig 2>&1 | tr "\n" ";")' \
  both_failed_with badsig "SHA256SUMS signature does not verify"
sync_statuses badsig >"$work/badsig.statuses"
head -n 1 "$work/badsig.statuses"

# 4. The failures are terminal facts, nothing of theirs is stored, nothing was parked.
for p in tampered badsig; do
  while read -r name _ _ _ file _; do
    data="$(fact_data VersionSyncFailed "$name")"
    echo "$data" | grep -q '"retryable":false' || fail "$name: no terminal VersionSyncFailed fact: $data"
    [ -z "$(fact_data VersionSynced "$name")" ] || fail "$name: a VersionSynced fact was written"
    [ -z "$(find "$store" -name "$file" -print -quit)" ] || fail "$name: $file was stored"
  done < <(versions_table "$p")
  [ ! -e "$store/providers/$p" ] || [ -z "$(find "$store/providers/$p" -type f)" ] ||
    fail "files stored for $p: $(find "$store/providers/$p" -type f)"
done
stored_zips() { find "$store" -path "$store/.od-meta" -prune -o -type f -name '*.zip' -print; }
[ "$(stored_zips | wc -l)" = 2 ] || fail "expected only demo's 2 zips under $store: $(stored_zips | tr '\n' ' ')"
[ -z "$(find "$store" -path '*/tampered/*' -o -path '*/badsig/*')" ] ||
  fail "something was written for the failed providers: $(find "$store" -path '*/tampered/*' -o -path '*/badsig/*')"
[ "$(rc XLEN 'od:{ctl}:dead')" = 0 ] || fail "entries were parked: $(rc --raw XRANGE 'od:{ctl}:dead' - + | head -n 20)"
left="$(find "$store" "$work/tmp" -name '.od-sync-*' -print)"
[ -z "$left" ] || fail "temporary downloads are left: $left"

stop_opendepot
echo "provider_test: ok"
