#!/usr/bin/env bash
# End to end on the Depot path (issue 7): `opendepot run --roles=all` against the test
# Kubernetes API server, redis-server, the GitHub API double and the upstream provider registry
# double, driven with the real kubectl. The Depot is the combined example of the reference's
# docs/guides/depot.md, applied unchanged (tests/data/manifests/depot-my-team-depot.yaml):
# GitHub App auth (a real RSA key; the App Secret in the Depot's namespace), two modules, one
# provider, pollingIntervalMinutes: 60 — with --depot-poll-minute-ms 100 a "minute" lasts
# 100 ms here, so the Depot polls every 6 s.
#   - The doubles serve releases over several pages (--per-page-cap 3), with a 429 +
#     Retry-After on page 2 of one repository, pre-releases and a non-version tag among them:
#     the Depot ends with exactly the Modules, Providers and versions the constraints
#     allow, and its status lists them (Synced True).
#   - A new upstream release (GitHub) and a new provider version (registry) appear after the
#     next poll, with the Depot unchanged (generation 1).
#   - Garbage upstreams (HTML, truncated JSON, a 500) leave every Module and Provider as it
#     was and the Depot's status names each failing entry.
#   usage: depot_test.sh <opendepot> <od_test_apiserver> <od_github_double> <od_provider_registry_double>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
od_bin="$1"
api_bin="$2"
github_bin="$3"
registry_bin="$4"
[ -x /usr/bin/kubectl ] || skip "/usr/bin/kubectl is not installed (the test drives the cluster with it)"
need redis-server redis-cli curl openssl base64
e2e_init depot

ns=opendepot-system
depot_yaml="$e2e_repo/tests/data/manifests/depot-my-team-depot.yaml"
eks=terraform-aws-modules/terraform-aws-eks
aks=azure/terraform-azurerm-aks
store="$work/store"
mkdir -p "$store"
write_fixture "$work/fixture"

openssl genrsa -traditional -out "$work/app.pem" 2048 2>/dev/null || fail "openssl genrsa"
openssl rsa -in "$work/app.pem" -pubout -out "$work/app.pub" 2>/dev/null || fail "openssl rsa -pubout"
start_double_named github "$github_bin" --repo "$eks=$work/fixture" --repo "$aks=$work/fixture" \
  --tags "$eks=v21.9.0,v21.10.0,v21.10.1,v21.11.0,v21.12.0,v21.13.0,v21.14.0,v22.0.0-rc.1,nightly" \
  --tags "$aks=v9.2.0,v10.0.0,v10.1.0,v10.2.0-beta.1" \
  --app-public-key "$work/app.pub" --app-id 7 --installation-id 8 --per-page-cap 3 \
  --releases-fault "$eks=rate-limited@2x1"
gh="http://127.0.0.1:$port_of_double"
gh_port=$port_of_double
start_double_named registry "$registry_bin" --provider hashicorp/aws=5.79.0,5.80.0,5.81.0,6.0.0-beta1 \
  --platforms linux_amd64,linux_arm64
reg="http://127.0.0.1:$port_of_double"
reg_port=$port_of_double
start_apiserver "$api_bin"
start_redis_anywhere "$work/redis"

start_opendepot /readyz --roles=all --kubeconfig "$work/kubeconfig" \
  --valkey-url "redis://127.0.0.1:$redis_port" --github-api-url "$gh" --provider-registry-url "$reg" \
  --upstream-allow "127.0.0.1:$gh_port" --upstream-allow "127.0.0.1:$reg_port" \
  --storage-root "$store" --depot-poll-minute-ms 100
curl -fsS "$url/readyz" >/dev/null || fail "opendepot is not ready at $url"

kc create namespace "$ns" >/dev/null || fail "kubectl create namespace"
# The reference's App Secret: githubPrivateKey is the base64 of the PEM (so data holds it twice).
kc create secret generic opendepot-github-application-secret -n "$ns" \
  --from-literal=githubAppID=7 --from-literal=githubInstallID=8 \
  --from-literal=githubPrivateKey="$(base64 -w0 "$work/app.pem")" >/dev/null || fail "kubectl create secret"
kc apply -f "$depot_yaml" >"$work/apply.out" 2>&1 || fail "kubectl apply: $(cat "$work/apply.out")"

versions_of() {  # KIND NAME: spec.versions, one line
  kc get "$1" "$2" -n "$ns" -o jsonpath='{range .spec.versions[*]}{.version}{" "}{end}' 2>/dev/null
}
has_versions() {  # KIND NAME V...: exactly these, in this order
  local kind="$1" name="$2"
  shift 2
  [ "$(versions_of "$kind" "$name")" = "$* " ]
}
depot_field() { kc get depot my-team-depot -n "$ns" -o "jsonpath={$1}"; }
synced_condition() { kc get depot my-team-depot -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Synced")].'"$1"'}'; }
# Evaluated on every try of wait_until (a "$(...)" argument would be expanded only once).
field_is() { [ "$(depot_field "$1")" = "$2" ]; }
synced_is() { [ "$(synced_condition status)" = "$1" ]; }

# 1. Exactly the right Modules, Providers and versions. GitHub lists newest first, 3 a page:
# 21.14.0 is on page 1, 21.12.0 and 21.11.0 on page 2 (answered 429 once), 21.10.1 on page 3,
# so the exact list proves every page was read through the rate-limit answer.
start=$SECONDS
wait_until 60 'eks versions: $(versions_of module terraform-aws-eks)' \
  has_versions module terraform-aws-eks 21.14.0 21.12.0 21.11.0 21.10.1
wait_until 20 'aks versions: $(versions_of module terraform-azurerm-aks)' \
  has_versions module terraform-azurerm-aks 10.1.0 10.0.0
wait_until 20 'aws versions: $(versions_of provider aws)' has_versions provider aws 5.81.0 5.80.0
echo "the Depot's children are in place after $((SECONDS - start))s"
[ "$(kc get modules -n "$ns" -o name | sort | tr '\n' ' ')" = \
  "module.opendepot.defdev.io/terraform-aws-eks module.opendepot.defdev.io/terraform-azurerm-aks " ] ||
  fail "unexpected Modules: $(kc get modules -n "$ns" -o name | tr '\n' ' ')"
[ "$(kc get providers -n "$ns" -o name)" = "provider.opendepot.defdev.io/aws" ] ||
  fail "unexpected Providers: $(kc get providers -n "$ns" -o name | tr '\n' ' ')"
module_json="$(kc get module terraform-aws-eks -n "$ns" -o json)"
for want in '"fileFormat": "zip"' '"immutable": true' '"useAuthenticatedClient": true' \
  '"bucket": "opendepot-modules"' '"repoUrl": "https://github.com/terraform-aws-modules/terraform-aws-eks"'; do
  echo "$module_json" | grep -q "$want" || fail "terraform-aws-eks lacks $want (inherited from spec.global): $module_json"
done
echo "$module_json" | grep -q '"ownerReferences"' && fail "the Module has an owner reference (the reference sets none)"
provider_json="$(kc get provider aws -n "$ns" -o json)"
echo "$provider_json" | grep -q '"arm64"' || fail "the Provider lacks its architectures: $provider_json"
wait_until 20 'Depot status modules: $(depot_field .status.modules)' \
  field_is .status.modules '["terraform-aws-eks","terraform-azurerm-aks"]'
[ "$(depot_field .status.providers)" = '["aws"]' ] || fail "Depot status providers: $(depot_field .status.providers)"
wait_until 20 'Synced condition: $(synced_condition status) $(synced_condition message)' synced_is True
echo "Synced: $(synced_condition message)"

# 2. New upstream releases appear after the next poll; the Depot is not touched.
curl -fsS -X POST "$gh/_double/repos/$eks/releases?tag=v21.15.0" >/dev/null || fail "adding a GitHub release"
curl -fsS -X POST "$reg/_double/providers/hashicorp/aws/versions?version=5.82.0" >/dev/null ||
  fail "adding a provider version"
start=$SECONDS
wait_until 30 'eks after the new release: $(versions_of module terraform-aws-eks)' \
  has_versions module terraform-aws-eks 21.15.0 21.14.0 21.12.0 21.11.0 21.10.1
wait_until 15 'aws after the new version: $(versions_of provider aws)' \
  has_versions provider aws 5.82.0 5.81.0 5.80.0
echo "new upstream releases picked up after $((SECONDS - start))s"
[ "$(depot_field .metadata.generation)" = 1 ] || fail "the Depot changed: generation $(depot_field .metadata.generation)"

# 3. Garbage upstreams: HTML, truncated JSON, a 500. Nothing changes but the Depot's status.
before="$(versions_of module terraform-aws-eks)|$(versions_of module terraform-azurerm-aks)|$(versions_of provider aws)"
curl -fsS -X POST "$gh/_double/repos/$eks/fault?kind=html" >/dev/null || fail "fault control (html)"
curl -fsS -X POST "$gh/_double/repos/$aks/fault?kind=truncated" >/dev/null || fail "fault control (truncated)"
curl -fsS -X POST "$reg/_double/fault?name=versions-500" >/dev/null || fail "fault control (versions-500)"
says_all_failed() {
  local m
  m="$(synced_condition message)"
  [ "$(synced_condition status)" = False ] && [[ $m == *"Module terraform-aws-eks"* ]] &&
    [[ $m == *"Module terraform-azurerm-aks"* ]] && [[ $m == *"Provider aws"* ]]
}
wait_until 40 'the Depot names every failing entry: $(synced_condition status) $(synced_condition message)' \
  says_all_failed
echo "garbage upstreams: $(synced_condition message)"
after="$(versions_of module terraform-aws-eks)|$(versions_of module terraform-azurerm-aks)|$(versions_of provider aws)"
[ "$before" = "$after" ] || fail "garbage upstreams changed the children: $before -> $after"
[ "$(depot_field .status.modules)" = '["terraform-aws-eks","terraform-azurerm-aks"]' ] ||
  fail "the Depot stopped listing its Modules: $(depot_field .status.modules)"
# Another poll later, still nothing deleted.
sleep 7
after="$(versions_of module terraform-aws-eks)|$(versions_of module terraform-azurerm-aks)|$(versions_of provider aws)"
[ "$before" = "$after" ] || fail "a later poll changed the children: $before -> $after"

# 4. The upstreams recover: the status turns Synced again.
curl -fsS -X POST "$gh/_double/repos/$eks/fault?kind=none" >/dev/null || fail "fault control (none)"
curl -fsS -X POST "$gh/_double/repos/$aks/fault?kind=none" >/dev/null || fail "fault control (none)"
curl -fsS -X POST "$reg/_double/fault?name=none" >/dev/null || fail "fault control (none)"
wait_until 40 'Synced again: $(synced_condition status) $(synced_condition message)' synced_is True

stop_opendepot
echo "PASS depot"
