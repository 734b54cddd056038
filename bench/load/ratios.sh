#!/usr/bin/env bash
# Ratios that hold up on a noisy machine: runs bench/load/run.sh REPEAT times, each time the
# raw forwarder first and then the routers under test, at the same rates, and prints per router
# and rate the median (and the range) of "CPU per message / the raw forwarder's in that run".
# One run on a shared VM varies by +-25 %; the median of interleaved runs is the claim.
#   bench/load/ratios.sh BUILD_DIR [REPEAT (5)]
# Environment: LOAD_ROUTERS ("raw-epoll oscbridge oscbridge-slip"; raw is always added first),
#   LOAD_RATES ("100000 120000"), LOAD_SLIP_RATES (LOAD_RATES), LOAD_SECONDS (5).
set -euo pipefail
build=${1:?usage: bench/load/ratios.sh BUILD_DIR [REPEAT]}
repeat=${2:-5}
here=$(dirname "$0")
export LOAD_RATES=${LOAD_RATES:-100000 120000}
export LOAD_ROUTERS="raw ${LOAD_ROUTERS:-raw-epoll oscbridge oscbridge-slip}"
tables=$(mktemp)
trap 'rm -f "$tables"' EXIT
for ((i = 1; i <= repeat; i++)); do
  echo "run $i of $repeat" >&2
  bash "$here/run.sh" "$build" 2>/dev/null | grep -E '^\| [a-z]' | grep -v '^| router' >>"$tables" || true
done
echo "$repeat interleaved runs, $(nproc) CPUs, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| router | in → out | msg/s | CPU/msg vs raw, median | range | worst loss % |"
echo "|---|---|---:|---:|---:|---:|"
# Columns: | router | path | offered | sent | achieved | loss | p50 | p99 | cpu | ratio |
awk -F'|' '$2 !~ /^ *raw-forwarder *$/ {
    key = $2 "|" $3 "|" $4; gsub(/ +$|^ +/, "", key); gsub(/ *\| */, "|", key)
    ratio = $11; gsub(/[ x]/, "", ratio); loss = $7 + 0
    if (ratio == "-") next
    n[key]++; r[key, n[key]] = ratio + 0
    if (!(key in worst) || loss > worst[key]) worst[key] = loss
  }
  END {
    for (key in n) {
      m = n[key]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (r[key, j] < r[key, i]) {
        t = r[key, i]; r[key, i] = r[key, j]; r[key, j] = t }
      median = m % 2 ? r[key, (m + 1) / 2] : (r[key, m / 2] + r[key, m / 2 + 1]) / 2
      split(key, k, "|")
      printf "| %s | %s | %s | %.2fx | %.2fx-%.2fx | %.2f |\n", k[1], k[2], k[3], median,
             r[key, 1], r[key, m], worst[key]
    }
  }' "$tables" | sort
