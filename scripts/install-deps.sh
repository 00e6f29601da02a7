#!/usr/bin/env bash
# Installs the Debian packages OpenDepot needs to build, test and run, and nothing else.
# Idempotent and quiet when everything is present. Needs root (or sudo) only when something
# is missing.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also the benchmark baselines (wrk, nginx)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libhiredis-dev libev-dev libcurl4-openssl-dev libsimdjson-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libgpgme-dev libarchive-dev libssl-dev libhttp-parser-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools gpg gpgv openssl ca-certificates curl procps unzip
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk nginx)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system-wide redis-server; tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl stop redis-server || true
fi
echo "install-deps: done"
