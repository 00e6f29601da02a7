#!/usr/bin/env bash
# opendepot's HTTPS server against nginx serving the same bytes (issue 5: at least 80% of
# nginx's requests/s, p99 under 5 ms). Starts `opendepot dev` with one ~256 KiB module (see
# bench/http_lib.sh), copies the versions JSON and the archive it serves into a folder, and
# starts Debian's nginx with the same certificate and key serving those files as static
# files (sendfile, TLS 1.2 and 1.3 like opendepot — Debian's nginx 1.22 leaves TLS 1.3 out of
# its default — one worker per core like opendepot's one HTTP loop per core, one access-log
# line per request like opendepot's http.access line, unlimited keep-alive requests like
# opendepot).
# Then wrk runs side by side against both, case by case: the versions endpoint and the
# download of the archive, at 1 and 64 connections, ~10 s each (2 s in --quick).
# Prints one line per case and the summary line HTTP-SUMMARY. wrk shares the machine's
# cores with both servers, so the figures are for this machine, not absolute.
#   usage: bench/run_http.sh [--quick] [build-dir]     (default build dir: build-bench)
set -euo pipefail
source "$(dirname "$0")/http_lib.sh"
bench_init "$@"
trap bench_cleanup EXIT
bench_need wrk nginx curl

bin="$(bench_opendepot_bin)" || exit 1
bench_start_opendepot "$bin"

# The same bytes as static files.
www="$bench_work/www"
mkdir -p "$www" "$bench_work/nginx/logs"
bench_curl -o "$www/versions.json" "$od_url$od_versions_path" || bench_fail "versions fetch failed"
bench_curl -o "$www/module.zip" "$od_artifact_url" || bench_fail "archive fetch failed"
zip_bytes="$(stat -c %s "$www/module.zip")"
[ "$zip_bytes" -gt 200000 ] || bench_fail "the archive is only $zip_bytes bytes"
# nginx workers run as an unprivileged user when started by root: let them read the files.
chmod 755 "$bench_work" "$www"
chmod 644 "$www"/*

start_nginx() {
  local port="$1" conf="$bench_work/nginx/nginx.conf"
  cat > "$conf" <<NGINX
worker_processes $(nproc);
pid $bench_work/nginx/nginx.pid;
error_log $bench_work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $bench_work/nginx/logs/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $bench_work/nginx/body;
  proxy_temp_path $bench_work/nginx/proxy;
  fastcgi_temp_path $bench_work/nginx/fastcgi;
  uwsgi_temp_path $bench_work/nginx/uwsgi;
  scgi_temp_path $bench_work/nginx/scgi;
  types { application/json json; application/zip zip; }
  server {
    listen 127.0.0.1:$port ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $od_state/tls/tls.crt;
    ssl_certificate_key $od_state/tls/tls.key;
    root $www;
  }
}
NGINX
  nginx -p "$bench_work/nginx" -c "$conf" -e "$bench_work/nginx/logs/error.log" -g 'daemon off;' \
    >"$bench_work/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    curl -sS --fail --cacert "$od_state/tls/tls.crt" -o /dev/null "https://127.0.0.1:$port/versions.json" \
      2>/dev/null && return 0
    kill -0 "$nginx_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# A free port is not known in advance: try a few random ones.
nginx_url=""
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 30000))
  if start_nginx "$port"; then
    bench_pids+=("$nginx_pid")
    nginx_url="https://127.0.0.1:$port"
    break
  fi
  bench_stop_pid "$nginx_pid"
done
[ -n "$nginx_url" ] || bench_fail "nginx did not start: $(cat "$bench_work/nginx/logs/error.log" 2>/dev/null)"
cmp -s <(curl -sS --cacert "$od_state/tls/tls.crt" "$nginx_url/module.zip") "$www/module.zip" ||
  bench_fail "nginx does not serve the same archive"

secs=10
[ "$bench_quick" = 1 ] && secs=2
summary="HTTP-SUMMARY"
printf '%-9s %-5s %10s %9s %9s %11s %9s %9s %6s\n' case conns od_req/s od_p50 od_p99 nginx_req/s ng_p50 ng_p99 ratio
for target in versions download; do
  for conns in 1 64; do
    if [ "$target" = versions ]; then
      od="$od_url$od_versions_path"
      ng="$nginx_url/versions.json"
    else
      bench_resolve_artifact  # a fresh token for every case
      od="$od_artifact_url"
      ng="$nginx_url/module.zip"
    fi
    read -r od_rps od_p50 od_p99 od_err < <(wrk_case "$od" "$conns" "$secs") || exit 1
    read -r ng_rps ng_p50 ng_p99 ng_err < <(wrk_case "$ng" "$conns" "$secs") || exit 1
    ratio="$(awk -v a="$od_rps" -v b="$ng_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    printf '%-9s %-5s %10s %7sms %7sms %11s %7sms %7sms %6s\n' "$target" "$conns" "$od_rps" "$od_p50" \
      "$od_p99" "$ng_rps" "$ng_p50" "$ng_p99" "$ratio"
    if [ "$od_err" != 0 ] || [ "$ng_err" != 0 ]; then
      echo "  errors: opendepot $od_err, nginx $ng_err (socket errors + non-2xx answers)"
    fi
    summary+=" ${target}_c${conns}: od=${od_rps}/s p50=${od_p50}ms p99=${od_p99}ms nginx=${ng_rps}/s p50=${ng_p50}ms p99=${ng_p99}ms ratio=${ratio}"
    [ "$od_err" = 0 ] || summary+=" od_errors=$od_err"
    [ "$ng_err" = 0 ] || summary+=" nginx_errors=$ng_err"
    summary+=";"
  done
done
echo "archive: $zip_bytes bytes; ${secs}s per run; wrk 2 threads (1 with 1 connection); $(nproc) cores shared by wrk and the server"
echo "$summary"
