# Shared by the end-to-end tests of the cluster path (cluster_test.sh, crash_test.sh, …); sourced,
# never run. Starts real peers — redis-server, the test Kubernetes API server, the GitHub API
# double, opendepot itself — as children of the test, each with its log under $work, and
# stops every one of them on exit (by its own pid, never by name).
#   e2e_init NAME            temp dir $work, cleanup trap
#   start_redis PORT DIR     redis-server on 127.0.0.1:PORT, data in DIR, AOF on, no RDB
#   start_apiserver BIN      od_test_apiserver with chart/crds; writes $work/kubeconfig
#   start_double BIN ARGS…   od_github_double; sets $double_port
#   start_double_named NAME BIN ARGS…  any double (output $work/NAME.out); sets $port_of_double
#   start_opendepot [--tls CERT KEY] PROBE ARGS…  `$od_bin run ARGS…` on a free port; sets
#                            $http_port, $url and $od_pid
#   start_bg NAME CMD…       any command, output to $work/NAME.log; sets $last_pid
#   kc ARGS…                 the real kubectl against the test API server
#   stop_opendepot           SIGTERM to $od_pid; fails unless it exits cleanly within 10 s
#   apply_provider NAME OSES ARCHES  kubectl apply of Provider $ns/NAME for acme/NAME 1.0.0
#   wait_until SECS WHAT CMD…  polls CMD every 0.2 s; on timeout fails with WHAT, expanded
#                            then (give it in single quotes to show the state at that time)
# The tests exit 77 (ctest: skipped) when a peer they need is not installed.

e2e_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
e2e_pids=()
work=""

e2e_init() {
  work="$(mktemp -d "/tmp/od-$1.XXXXXX")"
  mkdir -p "$work/home" "$work/tmp"
  trap e2e_cleanup EXIT
}

# Stops one process: SIGTERM, up to 10 s, then SIGKILL. Quiet when it is already gone.
stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

e2e_cleanup() {
  local i
  for ((i = ${#e2e_pids[@]} - 1; i >= 0; i--)); do stop_pid "${e2e_pids[$i]}"; done
  if [ -n "$work" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
  if [ -n "$work" ] && [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; fi
}

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$work"/*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $(basename "$f"):" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

skip() {
  echo "SKIPPED: $*"
  exit 77
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
  done
}

# A TCP port on 127.0.0.1 nobody listens on right now (a random high one; callers retry when
# the bind still fails, since another test may take it in between).
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

start_bg() {
  local name="$1"
  shift
  "$@" >"$work/$name.log" 2>&1 &
  last_pid=$!
  e2e_pids+=("$last_pid")
}

# redis-server in the foreground of its own child, so the test holds its pid. Sets $redis_pid.
start_redis() {
  local port="$1" dir="$2"
  mkdir -p "$dir"
  start_bg redis redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
    --appendonly yes --appendfsync always --daemonize no --protected-mode no
  redis_pid=$last_pid
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$redis_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Tries a few ports until redis-server binds one. Sets $redis_port.
start_redis_anywhere() {
  local dir="$1"
  for _ in 1 2 3 4 5; do
    redis_port="$(pick_port)" || fail "no free port for redis-server"
    start_redis "$redis_port" "$dir" && return 0
  done
  fail "redis-server did not start"
}

start_apiserver() {
  local bin="$1"
  "$bin" --crds "$e2e_repo/chart/crds" --kubeconfig "$work/kubeconfig" --bookmark-interval-ms 1000 \
    >"$work/apiserver.out" 2>"$work/apiserver.log" &
  e2e_pids+=("$!")
  for _ in $(seq 1 200); do
    grep -q '^listening ' "$work/apiserver.out" 2>/dev/null && [ -s "$work/kubeconfig" ] && return 0
    sleep 0.1
  done
  fail "od_test_apiserver did not start"
}

# A double as a child; its port is the first line of $work/NAME.out. Sets $port_of_double.
start_double_named() {
  local name="$1" bin="$2"
  shift 2
  "$bin" --port 0 "$@" >"$work/$name.out" 2>"$work/$name.log" &
  e2e_pids+=("$!")
  for _ in $(seq 1 300); do
    port_of_double="$(head -n 1 "$work/$name.out" 2>/dev/null || true)"
    case "$port_of_double" in '' | *[!0-9]*) ;; *) return 0 ;; esac
    sleep 0.1
  done
  fail "$(basename "$bin") did not start"
}

start_double() {
  start_double_named double "$@"
  double_port=$port_of_double
}

# `$od_bin run ARGS…` listening on a free port of 127.0.0.1 (retried when another process
# took it in between) with --public-url, --allow-plain-http and, with --tls, --tls-cert and
# --tls-key (https, probed with CERT as the CA). Returns once PROBE (a path) answers, or the
# process is gone for another reason than its port (the caller checks). Output in
# $work/opendepot.log; TMPDIR is $work/tmp. Sets $http_port, $url and $od_pid.
start_opendepot() {
  local scheme=http tls=() probe_ca=()
  if [ "$1" = --tls ]; then
    scheme=https tls=(--tls-cert "$2" --tls-key "$3") probe_ca=(--cacert "$2")
    shift 3
  fi
  local probe="$1"
  shift
  od_pid=""
  for _ in 1 2 3; do
    http_port="$(pick_port)" || fail "no free port"
    url="$scheme://127.0.0.1:$http_port"
    TMPDIR="$work/tmp" start_bg opendepot "$od_bin" run "$@" --allow-plain-http \
      --public-url "$url" --listen "127.0.0.1:$http_port" "${tls[@]}"
    od_pid=$last_pid
    for _ in $(seq 1 100); do
      curl -fsS "${probe_ca[@]}" "$url$probe" >/dev/null 2>&1 && break
      kill -0 "$od_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$od_pid" 2>/dev/null && break
    grep -q 'cannot start' "$work/opendepot.log" || fail "opendepot run exited at start"
  done
}

kc() {
  env HOME="$work/home" KUBECONFIG="$work/kubeconfig" KUBECACHEDIR="$work/kcache" /usr/bin/kubectl "$@"
}

stop_opendepot() {
  kill -TERM "$od_pid"
  for _ in $(seq 1 100); do kill -0 "$od_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$od_pid" 2>/dev/null && fail "opendepot run did not stop on SIGTERM"
  wait "$od_pid" || fail "opendepot run exited with an error"
}

# A Provider $ns/NAME for acme/NAME 1.0.0 on OSES x ARCHES (YAML flow lists, e.g.
# "linux, darwin"), stored under $store/providers; its manifest is $work/NAME.yaml.
apply_provider() {
  local name="$1" oses="$2" arches="$3"
  cat >"$work/$name.yaml" <<YAML
apiVersion: opendepot.defdev.io/v1alpha1
kind: Provider
metadata:
  name: $name
  namespace: $ns
spec:
  providerConfig:
    name: $name
    namespace: acme
    operatingSystems: [$oses]
    architectures: [$arches]
    storageConfig:
      fileSystem:
        directoryPath: $store/providers
  versions:
    - version: "1.0.0"
YAML
  kc apply -f "$work/$name.yaml" >"$work/apply.out" 2>&1 || fail "kubectl apply $name: $(cat "$work/apply.out")"
}

wait_until() {
  local secs="$1" what="$2"
  shift 2
  local end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  "$@" >/dev/null 2>&1 || fail "after ${secs}s: $(eval "echo \"$what\"")"
}

# Base64 of the SHA-256 of a file (the form of status.checksum).
b64sha() {
  openssl dgst -sha256 -binary "$1" | base64
}

# A small Terraform module as the fixture of the GitHub double: .tf files and a subfolder.
write_fixture() {
  local dir="$1"
  mkdir -p "$dir/modules/naming"
  cat >"$dir/main.tf" <<'TF'
variable "name" {
  type    = string
  default = "world"
}

module "naming" {
  source = "./modules/naming"
  name   = var.name
}

output "greeting" {
  value = "hello, ${module.naming.full_name}"
}
TF
  cat >"$dir/versions.tf" <<'TF'
terraform {
  required_version = ">= 1.3"
}
TF
  cat >"$dir/modules/naming/main.tf" <<'TF'
variable "name" { type = string }
output "full_name" { value = upper(var.name) }
TF
  printf '# hello\nAn end-to-end test fixture.\n' >"$dir/README.md"
}
