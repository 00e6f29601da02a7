#!/usr/bin/env bash
# End-to-end checks of the opendepot command line: exit codes and messages a user sees.
# Usage: cli_test.sh path/to/opendepot
set -u
bin=$1
fail=0
check() {  # check NAME EXPECTED_RC PATTERN -- command...
  local name=$1 want_rc=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want_rc" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: rc=$rc (want $want_rc), output:"
    echo "$out" | sed 's/^/    /'
    fail=1
  else
    echo "ok   $name"
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check version 0 '^opendepot [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" version
check help 0 'check-config' -- "$bin" --help
check no-command 106 'A subcommand is required' -- "$bin"
check missing-valkey 2 'valkey-url: is required' -- env -u OPENDEPOT_VALKEY_URL "$bin" check-config
check all-problems 2 'auth: must be anonymous.*|listen: must be host:port' -- \
  "$bin" check-config --auth magic --listen nowhere
check env-wins 0 'listen +127\.0\.0\.1:9 \[flag\]' -- env OPENDEPOT_LISTEN=0.0.0.0:1 \
  "$bin" check-config --valkey-url redis://127.0.0.1:6379 --public-url https://r.example --listen 127.0.0.1:9
printf 'valkeyUrl: redis://u:secret@127.0.0.1:6379\npublicUrl: https://r.example\n' > "$tmp/od.yaml"
check file-and-redaction 0 'valkey-url +redis://\*\*\*@127\.0\.0\.1:6379 \[file\]' -- \
  "$bin" check-config --config "$tmp/od.yaml"
check secret-not-printed 0 '^check-config: ok$' -- "$bin" check-config --config "$tmp/od.yaml"
if "$bin" check-config --config "$tmp/od.yaml" 2>&1 | grep -q secret; then
  echo "FAIL the Valkey password was printed"
  fail=1
fi
check missing-file 2 "cannot read --config file" -- "$bin" check-config --config "$tmp/nope.yaml"
printf 'valkeyURL: x\n' > "$tmp/typo.yaml"
check unknown-key 2 'valkeyURL: unknown key' -- "$bin" check-config --config "$tmp/typo.yaml"
check run-needs-valkey 2 'valkey-url: is required' -- env -u OPENDEPOT_VALKEY_URL "$bin" run
check run-unreachable-kube 1 'cannot start: .*kubeconfig' -- "$bin" run --roles reconcile \
  --valkey-url redis://127.0.0.1:1 --public-url https://r.example --kubeconfig "$tmp/none"
check dev-needs-manifests 106 'manifests is required' -- "$bin" dev
check dev-no-redis 1 'is not installed: run scripts/install-deps.sh, or give --valkey-url' -- \
  "$bin" dev --manifests "$tmp" --state-dir "$tmp/state" --redis-server /nonexistent/redis-server
check get-no-store 1 'opendepot get: .*opendepot dev' -- "$bin" get versions --state-dir "$tmp/nothing"
check get-bad-kind 105 'what: .*not in' -- "$bin" get pods --state-dir "$tmp"
exit $fail
