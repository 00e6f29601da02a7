#!/usr/bin/env bash
# End to end on the embedded default (`make dev`'s path: scripts/dev.sh → `opendepot dev`):
# a private redis-server, the example manifests, filesystem storage, HTTPS with a generated
# certificate. Then a client that behaves like `tofu init` — discovery over HTTPS, list the
# versions, ask for the download, follow X-Terraform-Get, unpack, find the .tf files at the
# archive root — and, when the real `terraform` CLI is on PATH, `terraform init` itself.
# Finally a manifest edit (a version removed) must show up without a restart.
#   usage: dev_test.sh <opendepot binary>
set -euo pipefail
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/od-dev-test.XXXXXX)"
state="$work/state"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- dev log:" >&2; tail -n 60 "$work/dev.log" >&2 || true; exit 1; }

OPENDEPOT_BIN="$bin" OPENDEPOT_STATE="$state" "$repo/scripts/dev.sh" --port 0 >"$work/dev.log" 2>&1 &
pid=$!

# The banner names the URL (the port was picked at start).
url=""
for _ in $(seq 1 150); do
  url="$(grep -o 'https://127.0.0.1:[0-9]*' "$work/dev.log" | head -n 1 || true)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "opendepot dev exited at start"
  sleep 0.1
done
[ -n "$url" ] || fail "no URL in the dev banner"
host="${url#https://}"
ca="$state/tls/tls.crt"
[ -s "$ca" ] || fail "no certificate at $ca"
c() { curl -sS --cacert "$ca" "$@"; }

# A provider signing key was made for the dev registry (private, no Secret needed).
[ "$(stat -c %a "$state/signing.asc")" = 600 ] || fail "no private signing key at $state/signing.asc"
grep -q 'PGP PRIVATE KEY BLOCK' "$state/signing.asc" || fail "$state/signing.asc holds no secret key"
signed_by="$(grep -o 'signed with key [0-9A-F]*' "$work/dev.log" | head -n 1)"
[ -n "$signed_by" ] || fail "the dev registry does not sign provider SHA256SUMS"

# Discovery.
disc="$(c "$url/.well-known/terraform.json")"
echo "$disc" | grep -q '"modules.v1":"/opendepot/modules/v1/"' || fail "discovery: $disc"

# Both example versions become available (the pipeline: manifest → reconcile → worker → read model).
versions=""
for _ in $(seq 1 300); do
  versions="$(c "$url/opendepot/modules/v1/default/greeting/local/versions" || true)"
  if echo "$versions" | grep -q '"1.0.0"' && echo "$versions" | grep -q '"1.1.0"'; then break; fi
  kill -0 "$pid" 2>/dev/null || fail "opendepot dev died"
  sleep 0.1
done
echo "$versions" | grep -q '"1.1.0"' || fail "versions never listed both: $versions"

# Unknown module: 404 in the registry's error shape.
code="$(c -o "$work/err.json" -w '%{http_code}' "$url/opendepot/modules/v1/default/nope/local/versions")"
[ "$code" = 404 ] || fail "unknown module answered $code"
grep -q '"errors"' "$work/err.json" || fail "404 body is not {\"errors\":[...]}"

# Download: 204 + X-Terraform-Get, then the archive itself; v-prefixed versions resolve too.
for v in 1.1.0 v1.1.0; do
  hdrs="$(c -o /dev/null -D - "$url/opendepot/modules/v1/default/greeting/local/$v/download")"
  echo "$hdrs" | head -n 1 | grep -q ' 204' || fail "download of $v: $(echo "$hdrs" | head -n 1)"
done
get="$(echo "$hdrs" | tr -d '\r' | sed -n 's/^[Xx]-[Tt]erraform-[Gg]et: //p')"
[ -n "$get" ] || fail "no X-Terraform-Get header"
case "$get" in https://127.0.0.1:*) ;; *) fail "X-Terraform-Get is not on our URL: $get" ;; esac
c -o "$work/module.zip" "$get" || fail "archive download failed"
unzip -l "$work/module.zip" > "$work/listing" || fail "the archive is not a zip"
grep -qE ' main\.tf$' "$work/listing" || fail "main.tf is not at the archive root: $(cat "$work/listing")"
unzip -p "$work/module.zip" main.tf | grep -q punctuation || fail "1.1.0's main.tf has the wrong content"

# The download was counted in the reference's stats:* keys (download event → stats projection).
vport="$(grep -o 'valkey redis://127.0.0.1:[0-9]*' "$work/dev.log" | head -n 1 | sed 's/.*://')"
[ -n "$vport" ] || fail "no Valkey port in the startup line"
total=""
for _ in $(seq 1 100); do
  total="$(redis-cli -p "$vport" GET stats:total)"
  [ -n "$total" ] && [ "$total" -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
[ -n "$total" ] && [ "$total" -ge 1 ] 2>/dev/null || fail "stats:total is '$total' after a download"
redis-cli -p "$vport" ZRANGE stats:leaderboard:default 0 -1 | grep -q 'default/module/greeting/' || \
  fail "the download is not on the namespace leaderboard"

# A forged token is refused.
forged="${get%/*}"; forged="${forged%/*}/AAAA${forged##*/}/x.zip"
code="$(c -o /dev/null -w '%{http_code}' "$forged")"
[ "$code" = 403 ] || [ "$code" = 404 ] || fail "a forged artifact URL answered $code"

# The dev store shows the Versions synced with checksums.
"$bin" get versions --state-dir "$state" > "$work/get.txt" || fail "opendepot get versions failed"
grep -q 'greeting-1-1-0' "$work/get.txt" || fail "get versions: $(cat "$work/get.txt")"

# The real client, when present.
if command -v terraform >/dev/null 2>&1; then
  mkdir -p "$work/tf"
  cat > "$work/tf/main.tf" <<TF
module "greeting" {
  source  = "$host/default/greeting/local"
  version = "~> 1.0"
}
output "greeting" { value = module.greeting.greeting }
TF
  (cd "$work/tf" && SSL_CERT_FILE="$ca" TF_IN_AUTOMATION=1 terraform init -input=false -no-color \
      > "$work/tf-init.log" 2>&1) || { cat "$work/tf-init.log" >&2; fail "terraform init failed"; }
  [ -f "$work/tf/.terraform/modules/greeting/main.tf" ] || fail "terraform did not unpack main.tf at the module root"
  grep -q punctuation "$work/tf/.terraform/modules/greeting/main.tf" || fail "terraform picked an older version than 1.1.0"
  echo "terraform init: ok ($(terraform version | head -n 1))"
else
  echo "terraform is not on PATH: the real-client step was skipped (the tofu-like checks above ran)"
fi

# Removing a version from the manifest removes it from the registry, live.
sed -i '/version: "1.0.0"/d' "$state/manifests/greeting.yaml"
for _ in $(seq 1 200); do
  versions="$(c "$url/opendepot/modules/v1/default/greeting/local/versions" || true)"
  echo "$versions" | grep -q '"1.0.0"' || break
  sleep 0.1
done
echo "$versions" | grep -q '"1.0.0"' && fail "1.0.0 is still listed after its removal: $versions"
echo "$versions" | grep -q '"1.1.0"' || fail "1.1.0 vanished too: $versions"
# ...and its Version and artifact go too (.od-meta holds the store's checksum side files).
stored() { find "$state/artifacts" -path '*/.od-meta' -prune -o -type f -name '*.zip' -print; }
for _ in $(seq 1 100); do
  [ "$(stored | wc -l)" = 1 ] && break
  sleep 0.1
done
[ "$(stored | wc -l)" = 1 ] || \
  fail "the removed version's artifact is still stored: $(find "$state/artifacts" -type f)"
"$bin" get versions --state-dir "$state" | grep -q 'greeting-1-0-0' && fail "the Version greeting-1-0-0 was not deleted"

# A clean shutdown takes the private redis-server with it.
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "opendepot dev did not stop on SIGTERM"
wait "$pid" || fail "opendepot dev exited with an error: $(tail -n 5 "$work/dev.log")"
pid=""
if pgrep -f "redis-server.*$state" >/dev/null; then fail "the private redis-server outlived opendepot dev"; fi

# A restart on the same state folder replays the streams: the registry serves at once, with
# the same artifacts (nothing is downloaded or rewritten again).
before="$("$bin" get versions --state-dir "$state" -o json)"
files_before="$(find "$state/artifacts" -type f | sort | xargs sha256sum)"
: > "$work/dev.log"
OPENDEPOT_BIN="$bin" OPENDEPOT_STATE="$state" "$repo/scripts/dev.sh" --port 0 >"$work/dev.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 150); do
  url="$(grep -o 'https://127.0.0.1:[0-9]*' "$work/dev.log" | head -n 1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "no URL after the restart"
grep -q "$signed_by" "$work/dev.log" || fail "the restart made another signing key (wanted: $signed_by)"
for _ in $(seq 1 100); do
  versions="$(c "$url/opendepot/modules/v1/default/greeting/local/versions" || true)"
  echo "$versions" | grep -q '"1.1.0"' && break
  sleep 0.1
done
echo "$versions" | grep -q '"1.1.0"' || fail "after the restart the registry does not list 1.1.0: $versions"
sleep 2
after="$("$bin" get versions --state-dir "$state" -o json)"
[ "$before" = "$after" ] || fail "the Versions changed across a restart"
files_after="$(find "$state/artifacts" -type f | sort | xargs sha256sum)"
[ "$files_before" = "$files_after" ] || fail "artifacts changed across a restart"
kill -TERM "$pid"
wait "$pid" || fail "opendepot dev exited with an error after the restart"
pid=""
echo "dev_test: ok"
