#!/usr/bin/env bash
# End to end on the cluster path: `opendepot run --roles=all` against a Kubernetes API server
# (od_test_apiserver with chart/crds), redis-server and the GitHub API double, driven by the
# real kubectl as a user would (issue 4, "module pipeline"):
#   - a Module with 3 versions → 3 Version resources, all synced with checksums; each archive
#     on disk has that checksum and holds the .tf files at its root (GitHub's wrapper folder
#     stripped); the registry lists the 3 and hands out a download that yields those bytes;
#     the Module's status says synced and names the latest version;
#   - a version added with `kubectl patch --type json` syncs;
#   - a version removed from spec.versions loses its Version resource and its artifact file;
#   - spec.forceSync: true syncs every version again (new facts on od:{ctl}:facts, same
#     files and checksums) and is reset to false;
#   - SIGTERM stops the process cleanly.
#   usage: cluster_test.sh <opendepot> <od_test_apiserver> <od_github_double>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
od_bin="$1"
api_bin="$2"
double_bin="$3"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed (the test drives the cluster with it)"
need redis-server redis-cli curl unzip openssl
e2e_init cluster

ns=e2e
store="$work/store"
artifacts="$store/modules/hello"  # directoryPath $store/modules, then the module's name
mkdir -p "$store"
write_fixture "$work/fixture"

start_double "$double_bin" --repo "acme/hello=$work/fixture" \
  --tags "acme/hello=v1.0.0,v1.1.0,v1.2.0,v2.0.0"
start_apiserver "$api_bin"
start_redis_anywhere "$work/redis"
rc() { redis-cli -p "$redis_port" "$@"; }

start_opendepot /.well-known/terraform.json --roles=all --kubeconfig "$work/kubeconfig" \
  --valkey-url "redis://127.0.0.1:$redis_port" --github-api-url "http://127.0.0.1:$double_port" \
  --storage-root "$store"
curl -fsS "$url/.well-known/terraform.json" | grep -q '"modules.v1"' || fail "no discovery document at $url"

kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"
cat >"$work/module.yaml" <<YAML
apiVersion: opendepot.defdev.io/v1alpha1
kind: Module
metadata:
  name: hello
  namespace: $ns
spec:
  moduleConfig:
    provider: aws
    repoOwner: acme
    fileFormat: zip
    storageConfig:
      fileSystem:
        directoryPath: $store/modules
  versions:
    - version: "1.0.0"
    - version: "1.1.0"
    - version: "1.2.0"
YAML
kc apply -f "$work/module.yaml" >"$work/apply.out" 2>&1 || fail "kubectl apply: $(cat "$work/apply.out")"

# "name version synced fileName checksum" per Version of the module, sorted by name.
versions_table() {
  kc get versions -n "$ns" -l "opendepot.defdev.io/module=hello" -o \
    jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.version}{" "}{.status.synced}{" "}{.spec.fileName}{" "}{.status.checksum}{"\n"}{end}' |
    sort
}
# True when exactly the given versions exist as Version resources, every one synced.
all_synced() {
  local table want got
  table="$(versions_table)" || return 1
  want="$(printf '%s\n' "$@" | sort | tr '\n' ' ')"
  got="$(echo "$table" | awk 'NF {print $2}' | sort | tr '\n' ' ')"
  [ "$want" = "$got" ] || return 1
  ! echo "$table" | awk 'NF && ($3 != "true" || $5 == "") {bad=1} END {exit !bad}'
}
module_field() { kc get module hello -n "$ns" -o "jsonpath={$1}"; }
registry_versions() { curl -fsS "$url/opendepot/modules/v1/$ns/hello/aws/versions"; }
registry_lists() {
  local body v
  body="$(registry_versions)" || return 1
  for v in "$@"; do echo "$body" | grep -q "\"version\":\"$v\"" || return 1; done
}

# 1. Three versions, synced with checksums, within seconds.
start=$SECONDS
wait_until 30 'the 3 Versions synced: $(versions_table 2>&1 | tr "\n" ";")' all_synced 1.0.0 1.1.0 1.2.0
echo "3 versions synced in $((SECONDS - start))s"

# 2. Each archive on disk has its Version's checksum and the module at its root.
check_artifact() {
  local name="$1" file="$2" sum="$3" path="$artifacts/$2"
  [ -f "$path" ] || fail "$name: no artifact at $path (store: $(find "$store" -type f | tr '\n' ' '))"
  [ "$(b64sha "$path")" = "$sum" ] || fail "$name: $path has checksum $(b64sha "$path"), status says $sum"
  unzip -Z1 "$path" >"$work/listing" 2>/dev/null || fail "$name: $path is not a zip"
  grep -qx 'main.tf' "$work/listing" || fail "$name: main.tf is not at the root: $(tr '\n' ' ' <"$work/listing")"
  grep -qx 'versions.tf' "$work/listing" || fail "$name: versions.tf is not at the root"
  grep -qx 'modules/naming/main.tf' "$work/listing" || fail "$name: the subfolder is missing"
  if grep -q '^acme-hello-' "$work/listing"; then fail "$name: GitHub's wrapper folder is still there"; fi
  unzip -p "$path" main.tf | grep -q 'module.naming.full_name' || fail "$name: main.tf has other content"
}
versions_table >"$work/table1"
while read -r name version synced file sum; do
  case "$file" in *.zip) ;; *) fail "$name: spec.fileName '$file' is not a .zip" ;; esac
  check_artifact "$name" "$file" "$sum"
done <"$work/table1"
[ "$(find "$artifacts" -maxdepth 1 -type f | wc -l)" = 3 ] || fail "expected 3 files in $artifacts: $(ls -A "$artifacts")"

# 3. The registry lists them; the download link leads to the same bytes.
wait_until 10 'the registry lists 1.0.0, 1.1.0, 1.2.0: $(registry_versions 2>&1)' registry_lists 1.0.0 1.1.0 1.2.0
hdrs="$(curl -fsS -o /dev/null -D - "$url/opendepot/modules/v1/$ns/hello/aws/1.1.0/download")" ||
  fail "download of 1.1.0 failed"
echo "$hdrs" | head -n 1 | grep -q ' 204' || fail "download answered $(echo "$hdrs" | head -n 1)"
get="$(echo "$hdrs" | tr -d '\r' | sed -n 's/^[Xx]-[Tt]erraform-[Gg]et: //p')"
case "$get" in "$url"/*) ;; *) fail "X-Terraform-Get is not on the public URL: '$get'" ;; esac
curl -fsS -o "$work/dl.zip" "$get" || fail "the artifact link $get failed"
sum_110="$(awk '$2 == "1.1.0" {print $5}' "$work/table1")"
[ "$(b64sha "$work/dl.zip")" = "$sum_110" ] || fail "the downloaded 1.1.0 has another checksum than its Version"

# 3b. A second `serve` replica over HTTPS builds its own read model from the same streams and
# redeems links the first one minted (the download-token key is shared through Valkey); the
# real terraform CLI, when present, installs the module from it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.crt" \
  >"$work/openssl.out" 2>&1 || fail "openssl could not make a test certificate: $(cat "$work/openssl.out")"
tls_pid=""
for _ in 1 2 3; do
  tls_port="$(pick_port)" || fail "no free port"
  turl="https://127.0.0.1:$tls_port"
  start_bg serve2 "$od_bin" run --roles=serve --valkey-url "redis://127.0.0.1:$redis_port" \
    --public-url "$turl" --listen "127.0.0.1:$tls_port" --storage-root "$store" \
    --tls-cert "$work/tls.crt" --tls-key "$work/tls.key"
  tls_pid=$last_pid
  for _ in $(seq 1 100); do
    curl -fsS --cacert "$work/tls.crt" "$turl/readyz" >/dev/null 2>&1 && break
    kill -0 "$tls_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$tls_pid" 2>/dev/null && break
done
curl -fsS --cacert "$work/tls.crt" "$turl/readyz" >/dev/null || fail "the HTTPS serve replica is not ready"
tlist="$(curl -fsS --cacert "$work/tls.crt" "$turl/opendepot/modules/v1/$ns/hello/aws/versions")"
for v in 1.0.0 1.1.0 1.2.0; do
  echo "$tlist" | grep -q "\"$v\"" || fail "the HTTPS replica does not list $v: $tlist"
done
other="${get/$url/$turl}"
curl -fsS --cacert "$work/tls.crt" -o "$work/dl2.zip" "$other" || fail "the second replica refused a link the first minted"
cmp -s "$work/dl.zip" "$work/dl2.zip" || fail "the two replicas served different bytes"
if command -v terraform >/dev/null 2>&1; then
  mkdir -p "$work/tf"
  cat >"$work/tf/main.tf" <<TF
module "hello" {
  source  = "127.0.0.1:$tls_port/$ns/hello/aws"
  version = "1.1.0"
}
TF
  (cd "$work/tf" && SSL_CERT_FILE="$work/tls.crt" TF_IN_AUTOMATION=1 terraform init -input=false -no-color \
    >"$work/tf-init.out" 2>&1) || fail "terraform init against the cluster setup failed: $(tail -n 20 "$work/tf-init.out")"
  [ -f "$work/tf/.terraform/modules/hello/main.tf" ] || fail "terraform did not unpack main.tf at the module root"
  echo "terraform init against the cluster setup: ok"
else
  echo "terraform is not on PATH: the real-client step was skipped"
fi

# 4. The Module's status.
module_status_is() { [ "$(module_field .status.synced)" = "$1" ] && [ "$(module_field .status.latestVersion)" = "$2" ]; }
wait_until 10 'Module status synced=true latestVersion=v1.2.0 (is $(module_field .status.synced) $(module_field .status.latestVersion))' \
  module_status_is true v1.2.0

# 5. A version added with a JSON patch syncs; the latest version follows.
kc patch module hello -n "$ns" --type json \
  -p '[{"op":"add","path":"/spec/versions/-","value":{"version":"2.0.0"}}]' >/dev/null || fail "kubectl patch (add)"
wait_until 30 '2.0.0 synced: $(versions_table 2>&1 | tr "\n" ";")' all_synced 1.0.0 1.1.0 1.2.0 2.0.0
versions_table >"$work/table2"
read -r name _ _ file sum < <(awk '$2 == "2.0.0"' "$work/table2")
check_artifact "$name" "$file" "$sum"
wait_until 10 "the registry lists 2.0.0" registry_lists 2.0.0
wait_until 10 'Module status synced=true latestVersion=v2.0.0 (is $(module_field .status.synced) $(module_field .status.latestVersion))' \
  module_status_is true v2.0.0
# The versions that were there are untouched.
for v in 1.0.0 1.1.0 1.2.0; do
  [ "$(awk -v v=$v '$2 == v' "$work/table1")" = "$(awk -v v=$v '$2 == v' "$work/table2")" ] ||
    fail "$v changed when 2.0.0 was added"
done

# 6. A version removed: its Version resource and its artifact go, the others stay.
[ "$(module_field '.spec.versions[0].version')" = 1.0.0 ] || fail "spec.versions[0] is not 1.0.0"
gone_name="$(awk '$2 == "1.0.0" {print $1}' "$work/table2")"
gone_file="$(awk '$2 == "1.0.0" {print $4}' "$work/table2")"
kc patch module hello -n "$ns" --type json -p '[{"op":"remove","path":"/spec/versions/0"}]' >/dev/null ||
  fail "kubectl patch (remove)"
version_gone() { ! kc get version "$1" -n "$ns" >/dev/null 2>&1; }
wait_until 30 "Version $gone_name deleted" version_gone "$gone_name"
wait_until 15 "artifact $artifacts/$gone_file deleted" test ! -e "$artifacts/$gone_file"
registry_lacks() { local body; body="$(registry_versions)" && ! echo "$body" | grep -q "\"version\":\"$1\""; }
wait_until 10 'the registry stops listing 1.0.0: $(registry_versions 2>&1)' registry_lacks 1.0.0
registry_lists 1.1.0 1.2.0 2.0.0 || fail "the registry lost other versions: $(registry_versions)"
all_synced 1.1.0 1.2.0 2.0.0 || fail "after the removal: $(versions_table | tr '\n' ';')"
[ "$(find "$artifacts" -maxdepth 1 -type f | wc -l)" = 3 ] || fail "expected 3 files after the removal: $(ls -A "$artifacts")"
[ ! -e "$store/.od-meta/modules/hello/$gone_file" ] || fail "the checksum side file of $gone_file is left"
[ "$(find "$store/.od-meta" -type f | wc -l)" = 3 ] || fail "expected 3 side files: $(find "$store/.od-meta" -type f)"

# 7. forceSync: every remaining version is synced again (one more VersionSynced fact each),
#    the flag goes back to false, nothing on disk or in the statuses changes.
synced_facts() {  # count of VersionSynced facts for Version/$ns/$1
  rc --raw XRANGE 'od:{ctl}:facts' - + | awk -v key="Version/$ns/$1" '
    $0 == "type" {getline; t = $0} $0 == "key" {getline; if (t == "VersionSynced" && $0 == key) n++}
    END {print n + 0}'
}
versions_table >"$work/table3"
declare -A before
while read -r name _; do before[$name]="$(synced_facts "$name")"; done <"$work/table3"
for name in "${!before[@]}"; do
  [ "${before[$name]}" -ge 1 ] || fail "no VersionSynced fact for $name on od:{ctl}:facts (is the facts format known?)"
done
kc patch module hello -n "$ns" --type merge -p '{"spec":{"forceSync":true}}' >/dev/null || fail "kubectl patch forceSync"
resynced() {
  local name
  for name in "${!before[@]}"; do [ "$(synced_facts "$name")" -gt "${before[$name]}" ] || return 1; done
}
wait_until 30 "every version synced again after forceSync" resynced
force_reset() { [ "$(module_field .spec.forceSync)" = false ]; }
wait_until 15 'spec.forceSync reset to false (is "$(module_field .spec.forceSync)")' force_reset
wait_until 10 'all synced after forceSync: $(versions_table 2>&1 | tr "\n" ";")' all_synced 1.1.0 1.2.0 2.0.0
versions_table >"$work/table4"
diff "$work/table3" "$work/table4" >/dev/null || fail "forceSync changed fileNames or checksums: $(diff "$work/table3" "$work/table4")"
while read -r name _ _ file sum; do check_artifact "$name" "$file" "$sum"; done <"$work/table4"
[ "$(module_field .status.synced)" = true ] || fail "Module not synced after forceSync"
[ "$(module_field .status.latestVersion)" = v2.0.0 ] || fail "latestVersion after forceSync: $(module_field .status.latestVersion)"

# 8. Nothing failed or was parked, no temporary files are left, and SIGTERM stops cleanly.
[ "$(rc XLEN 'od:{ctl}:dead')" = 0 ] || fail "entries were parked on od:{ctl}:dead: $(rc --raw XRANGE 'od:{ctl}:dead' - + | head -n 40)"
left="$(find "$store" "$work/tmp" \( -name '.od-sync-*' -o -name '.od-extract-*' -o -name '.od-tmp-*' \) -print)"
[ -z "$left" ] || fail "temporary files are left: $left"
stop_opendepot
if grep -E '\[(error|critical)\]' "$work/opendepot.log" >"$work/errors.txt"; then
  echo "note: the log has error lines:" && head -n 20 "$work/errors.txt"
fi
echo "cluster_test: ok"
