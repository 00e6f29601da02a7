#!/usr/bin/env bash
# `make dev`: starts a working registry on embedded defaults — a private redis-server, the
# manifests in .opendepot/manifests (seeded once from examples/dev/manifests), artifacts in
# .opendepot/artifacts, HTTPS with a generated self-signed certificate — and prints how to
# point tofu/terraform at it. Extra arguments go to `opendepot dev` (see `opendepot dev --help`).
#   OPENDEPOT_BIN   the binary (default build/opendepot)
#   OPENDEPOT_STATE the state folder (default .opendepot)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${OPENDEPOT_BIN:-$repo/build/opendepot}"
state="${OPENDEPOT_STATE:-$repo/.opendepot}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
if [ ! -x "$bin" ]; then
  echo "dev: $bin is missing: run 'make build' first (make dev does)" >&2
  exit 1
fi
if [ ! -d "$state/manifests" ]; then
  mkdir -p "$state/manifests"
  for f in "$repo"/examples/dev/manifests/*.yaml; do
    sed -e "s|@REPO@|$repo|g" -e "s|@STORAGE@|$state/artifacts|g" "$f" > "$state/manifests/$(basename "$f")"
  done
  echo "dev: seeded $state/manifests from examples/dev/manifests (edit or add manifests there; changes are picked up live)"
fi
exec "$bin" dev --manifests "$state/manifests" --state-dir "$state" --storage-root "$state/artifacts" "$@"
