#!/usr/bin/env bash
# End-to-end load benchmark: oscbridge and the liblo baseline (lo-forwarder)
# route the same 100-route plan, one router at a time, at a ladder of rates;
# prints a markdown table. Builds nothing. See docs/benchmark-load.md.
#   bench/load/run.sh BUILD_DIR
# Environment: LOAD_RATES ("10000 50000 100000 200000"), LOAD_SECONDS (5),
#   LOAD_ROUTES (100), LOAD_ROUTERS ("oscbridge lo-forwarder"; oscbridge is
#   skipped with a note when BUILD_DIR/daemon/oscbridge does not exist).
set -euo pipefail
if (($# != 1)); then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
load=$build/bench/load/oscbridge-load
forwarder=$build/bench/load/lo-forwarder
daemon=$build/daemon/oscbridge
rates=${LOAD_RATES:-10000 50000 100000 200000}
seconds=${LOAD_SECONDS:-5}
routes=${LOAD_ROUTES:-100}
routers=${LOAD_ROUTERS:-oscbridge lo-forwarder}
drain_ms=1000

source "$(dirname "$0")/routers.sh"
for tool in "$load" "$forwarder"; do
  [[ -x $tool ]] || { echo "missing $tool: build the bench tree first (-DOSCBRIDGE_BENCH=ON)" >&2; exit 1; }
done

workdir=$(mktemp -d)
load_pid=
cleanup() {
  [[ -z $load_pid ]] || kill "$load_pid" 2>/dev/null || true
  stop_all_routers
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ticks_per_second=$(getconf CLK_TCK)
# utime + stime of every thread of PID, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# value KEY SUMMARY_LINE
value() { sed -nE "s/.*(^| )$1=([^ ]+).*/\\2/p" <<<"$2"; }

load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r router_port receiver_port < <("$load" free-ports 2)
"$load" config --in "127.0.0.1:$router_port" --out "127.0.0.1:$receiver_port" \
  --routes "$routes" >"$workdir/oscbridge.yaml"

rows=()
notes=()
# Runs the ladder against a router already listening as PID, after a short
# unrecorded warm-up (first-touch page faults, lazily built state).
measure() {
  local name=$1 pid=$2 rate before after summary received cpu_us
  "$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
    --routes "$routes" --rate 1000 --duration 0.5 --drain-ms 500 >/dev/null 2>&1 || true
  for rate in $rates; do
    before=$(cpu_ticks "$pid")
    # In the background so that a TERM or INT reaches the trap at once.
    "$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
      --routes "$routes" --rate "$rate" --duration "$seconds" --drain-ms "$drain_ms" \
      >"$workdir/summary" 2>"$workdir/load.err" &
    load_pid=$!
    wait "$load_pid" || {
      echo "oscbridge-load failed against $name at $rate msg/s:" >&2
      cat "$workdir/load.err" >&2
      return 1
    }
    load_pid=
    summary=$(<"$workdir/summary")
    kill -0 "$pid" 2>/dev/null || { echo "$name died at $rate msg/s" >&2; return 1; }
    after=$(cpu_ticks "$pid")
    received=$(value received "$summary")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$received" \
      'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "-" }')
    rows+=("$(awk -v name="$name" -v rate="$rate" -v s="$summary" -v cpu="$cpu_us" 'BEGIN {
      n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      printf "| %s | %d | %d | %d | %.2f | %.1f | %.1f | %s |", name, rate, v["send_rate"],
             v["achieved_rate"], v["loss_pct"], v["p50_us"], v["p99_us"], cpu }')")
    echo "  $name at $rate msg/s: $summary" >&2
  done
}

for router in $routers; do
  case $router in
    oscbridge)
      if [[ ! -x $daemon ]]; then
        notes+=("oscbridge: $daemon not built, skipped")
        continue
      fi
      if ! "$daemon" validate "$workdir/oscbridge.yaml" >"$workdir/validate.log" 2>&1; then
        echo "oscbridge rejects the generated config:" >&2
        cat "$workdir/validate.log" >&2
        exit 1
      fi
      start_router "$workdir/oscbridge.log" "$router_port" \
        "$daemon" run -c "$workdir/oscbridge.yaml"
      ;;
    lo-forwarder)
      start_router "$workdir/lo-forwarder.log" "$router_port" \
        "$forwarder" --port "$router_port" --send "127.0.0.1:$receiver_port" \
        --routes "$routes" --max-seconds 600
      ;;
    *)
      echo "unknown router '$router' in LOAD_ROUTERS" >&2
      exit 2
      ;;
  esac
  echo "== $router (pid $router_pid), $routes routes, ${seconds} s per rate" >&2
  measure "$router" "$router_pid"
  stop_router "$router_pid"
  tail -n 1 "$workdir/$router.log" | sed 's/^/  /' >&2
done

echo
echo "$routes routes, ${seconds} s per rate, $(nproc) CPUs ($(uname -r)), load average" \
  "before: $load_average_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| router | offered msg/s | sent msg/s | achieved msg/s | loss % | p50 µs | p99 µs | CPU µs/msg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
for note in "${notes[@]}"; do echo; echo "$note"; done
