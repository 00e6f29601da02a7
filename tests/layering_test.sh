#!/usr/bin/env bash
# Fails when an #include crosses the architecture's arrows (house style §1):
#   core <- events <- projections <- http;  adapters implement core's ports.
# Usage: layering_test.sh [repo-root]
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
fail=0
report() { echo "layering: $1"; fail=1; }

# check FOLDER PROJECT_REGEX ANGLE_REGEX: every "project" include must match PROJECT_REGEX,
# every <system> include must match ANGLE_REGEX.
check() {
  local folder=$1 allowed_project=$2 allowed_angle=$3
  [ -d "$folder" ] || return 0
  while IFS= read -r line; do
    local file=${line%%:*} rest=${line#*:}
    rest=${rest#*:}
    local target
    if [[ $rest =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      target=${BASH_REMATCH[1]}
      [[ $target =~ $allowed_project ]] || report "$file includes \"$target\" ($folder/ may not)"
    elif [[ $rest =~ \#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      target=${BASH_REMATCH[1]}
      [[ $target =~ $allowed_angle ]] || report "$file includes <$target> ($folder/ may not)"
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include' "$folder" --include='*.h' --include='*.cc')
}

std_only='^[a-z_0-9]+$'                      # <vector>, <cstdint>: standard headers have no extension
third_core="^(simdjson\.h)$"
third_events="^(simdjson\.h|spdlog/.*|fmt/.*)$"
check core "^core/" "${std_only}|${third_core}"
check events "^(core|events)/" "${std_only}|${third_events}"
check projections "^(core|events|projections)/" "${std_only}|${third_events}"
# http/: read side of projections only; no adapters/, no events/; libev, OpenSSL, http_parser,
# POSIX socket headers and Linux kernel interface headers (openat2's) are allowed.
check http "^(core/|http/|projections/read_model/)" \
  "${std_only}|${third_events}|^(ev\.h|http_parser\.h|openssl/.*|(sys|netinet|arpa|linux)/.*|[a-z_]+\.h)$"
# adapters/ (except main/) implement core's ports and may use events/ codecs.
for dir in adapters/*/; do
  dir=${dir%/}
  [ "$dir" = adapters/main ] && continue
  check "$dir" "^(core|events|adapters)/" '.*'
done
if [ $fail -ne 0 ]; then
  echo "layering: FAILED"
  exit 1
fi
echo "layering: ok"
