#!/usr/bin/env bash
# od_provider_registry_double as a process: prints its port, serves the protocol, stops on SIGTERM.
# usage: double_process_test.sh <path to od_provider_registry_double>
set -euo pipefail
bin="$1"
work="$(mktemp -d /tmp/od-regproc-XXXXXX)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" --provider acme/thing=1.0.0,1.2.0 --provider hashicorp/null=3.0.0,3.1.0 --platforms linux_amd64,linux_arm64 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
  [[ -s "$work/out" ]] && break
  sleep 0.1
done
port="$(head -1 "$work/out")"
[[ "$port" =~ ^[0-9]+$ ]] || fail "no port printed: $(cat "$work/out" "$work/err")"
base="http://127.0.0.1:$port"

versions="$(curl -sf "$base/v1/providers/acme/thing/versions")"
[[ "$versions" == *'"version":"1.0.0"'* && "$versions" == *'"version":"1.2.0"'* ]] || fail "versions: $versions"
meta="$(curl -sf "$base/v1/providers/acme/thing/1.2.0/download/linux/arm64")"
[[ "$meta" == *'"filename":"terraform-provider-thing_1.2.0_linux_arm64.zip"'* ]] || fail "metadata: $meta"
[[ "$meta" == *'BEGIN PGP PUBLIC KEY BLOCK'* ]] || fail "no signing key: $meta"
curl -sf -o "$work/terraform-provider-thing_1.2.0_linux_arm64.zip" "$base/files/acme/thing/1.2.0/terraform-provider-thing_1.2.0_linux_arm64.zip"
curl -sf -o "$work/SHA256SUMS" "$base/files/acme/thing/1.2.0/SHA256SUMS"
(cd "$work" && grep '_linux_arm64.zip$' SHA256SUMS | sha256sum -c --quiet -) || fail "zip does not match SHA256SUMS"
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/providers/acme/thing/1.2.0/download/windows/amd64")"
[[ "$code" == 404 ]] || fail "unknown platform answered $code"

# The HashiCorp releases API list: newest first, `limit` bounded, `after` pages back in time.
page1="$(curl -sf "$base/v1/releases/terraform-provider-null?limit=1")"
[[ "$page1" == *'"version":"3.1.0"'* && "$page1" != *'"version":"3.0.0"'* ]] || fail "releases page 1: $page1"
after="$(sed -n 's/.*"timestamp_created":"\([^"]*\)".*/\1/p' <<<"$page1")"
page2="$(curl -sf "$base/v1/releases/terraform-provider-null?limit=1&after=$after")"
[[ "$page2" == *'"version":"3.0.0"'* ]] || fail "releases page 2 after $after: $page2"
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/releases/terraform-provider-null?limit=21")"
[[ "$code" == 400 ]] || fail "limit 21 answered $code"
# Control: publish a version while running, then a fault.
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/_double/providers/hashicorp/null/versions?version=3.2.0")"
[[ "$code" == 201 ]] || fail "publishing answered $code"
latest="$(curl -sf "$base/v1/releases/terraform-provider-null?limit=1")"
[[ "$latest" == *'"version":"3.2.0"'* ]] || fail "the new version is not the newest: $latest"
curl -sf -X POST "$base/_double/fault?name=releases-503&page=1&times=1" >/dev/null || fail "fault control"
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/releases/terraform-provider-null?limit=1")"
[[ "$code" == 503 ]] || fail "the releases fault answered $code"
curl -sf "$base/v1/releases/terraform-provider-null?limit=1" >/dev/null || fail "the fault did not end after one answer"
curl -sf -X POST "$base/_double/fault?name=versions-html" >/dev/null || fail "fault control"
curl -s "$base/v1/providers/acme/thing/versions" | grep -q '<html>' || fail "the fault did not apply"

kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
pid=""
echo "ok"
