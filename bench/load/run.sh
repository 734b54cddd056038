#!/usr/bin/env bash
# End-to-end load benchmark: the raw forwarder (the floor: recvmmsg/sendmmsg, no
# routing), oscbridge over UDP, the liblo baseline (lo-forwarder), oscbridge
# over TCP with SLIP framing and oscbridge from a JACK MIDI port to UDP (on a
# JACK server of its own, dummy driver), one router at a time, each at a ladder of rates;
# the routers route the same 100-route plan. Prints a markdown table whose last
# column is each row's CPU per message over the raw forwarder's at the same
# rate, in the same run. Builds nothing. See docs/benchmark-load.md.
#   bench/load/run.sh BUILD_DIR
# Environment:
#   LOAD_ROUTERS ("raw raw-epoll oscbridge lo-forwarder oscbridge-slip"; add oscbridge-midi
#     for the MIDI row; the oscbridge rows are skipped with a note when the daemon
#     binary does not exist)
#   LOAD_RATES ("10000 50000 100000 120000 200000", msg/s, the UDP rows)
#   LOAD_SLIP_RATES (LOAD_RATES, the TCP SLIP rows)
#   LOAD_MIDI_RATES ("10000", the MIDI rows: one control change per message)
#   LOAD_SECONDS (5), LOAD_ROUTES (100)
#   LOAD_DAEMON (BUILD_DIR/daemon/oscbridge): the oscbridge binary to measure
set -euo pipefail
if (($# != 1)); then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
load=$build/bench/load/oscbridge-load
forwarder=$build/bench/load/lo-forwarder
raw=$build/bench/load/raw-forwarder
daemon=${LOAD_DAEMON:-$build/daemon/oscbridge}
rates=${LOAD_RATES:-10000 50000 100000 120000 200000}
slip_rates=${LOAD_SLIP_RATES:-$rates}
midi_rates=${LOAD_MIDI_RATES:-10000}
midi_load=$build/bench/load/oscbridge-midi-load
jack_pid=
seconds=${LOAD_SECONDS:-5}
routes=${LOAD_ROUTES:-100}
routers=${LOAD_ROUTERS:-raw raw-epoll oscbridge lo-forwarder oscbridge-slip}
drain_ms=1000

source "$(dirname "$0")/routers.sh"
for tool in "$load" "$forwarder" "$raw" "$midi_load"; do
  [[ -x $tool ]] || { echo "missing $tool: build the bench tree first (-DOSCBRIDGE_BENCH=ON)" >&2; exit 1; }
done

workdir=$(mktemp -d)
load_pid=
cleanup() {
  [[ -z $load_pid ]] || kill "$load_pid" 2>/dev/null || true
  stop_all_routers
  [[ -z $jack_pid ]] || stop_router "$jack_pid"
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

# How long the bench's own forwarders may live: the longest ladder with its
# warm-up, drains and slack, so that they end by themselves even if this
# script is killed before its EXIT trap runs.
router_seconds=$(awk -v a="$(wc -w <<<"$rates")" -v b="$(wc -w <<<"$slip_rates")" -v s="$seconds" \
  'BEGIN { n = a > b ? a : b; printf "%d", n * (s + 10) + 60 }')

load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)
# One port where routers listen (UDP, or TCP for the SLIP rows) and one where
# the load tool receives what they forward.
read -r router_port receiver_port < <("$load" free-ports 2)
"$load" config --in "127.0.0.1:$router_port" --out "127.0.0.1:$receiver_port" \
  --routes "$routes" >"$workdir/oscbridge.yaml"
"$load" config --in "127.0.0.1:$router_port" --out "127.0.0.1:$receiver_port" \
  --routes "$routes" --transport slip >"$workdir/oscbridge-slip.yaml"

# One entry per measured row: "name|path|rate|send_rate|achieved|loss|p50|p99|cpu",
# turned into the table at the end, when the raw forwarder's CPU per message
# at every rate is known.
rows=()
notes=()
failed=0
declare -A raw_cpu=()

# measure NAME PID PATH RATES LOAD_ARGS...: runs the ladder against a router
# already listening as PID, after a short unrecorded warm-up (first-touch page
# faults, lazily built state, the TCP connections' first setup). A rate whose
# run fails is reported and skipped; the ladder goes on.
measure() {
  local name=$1 pid=$2 path=$3 ladder=$4 rate before after summary received cpu_us status
  shift 4
  "$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
    --routes "$routes" --rate 1000 --duration 0.5 --drain-ms 500 "$@" >/dev/null 2>&1 || true
  for rate in $ladder; do
    before=$(cpu_ticks "$pid")
    # In the background so that a TERM or INT reaches the trap at once.
    "$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
      --routes "$routes" --rate "$rate" --duration "$seconds" --drain-ms "$drain_ms" "$@" \
      >"$workdir/summary" 2>"$workdir/load.err" &
    load_pid=$!
    status=0
    wait "$load_pid" || status=$?
    load_pid=
    kill -0 "$pid" 2>/dev/null || { echo "$name died at $rate msg/s" >&2; return 1; }
    after=$(cpu_ticks "$pid")
    summary=$(<"$workdir/summary")
    if ((status != 0)); then
      failed=1
      echo "oscbridge-load failed against $name at $rate msg/s:" >&2
      grep -v '^  ' "$workdir/load.err" >&2 || true
      notes+=("$name ($path) at $rate msg/s: $(grep -E 'FAIL|oscbridge-load: [a-z]' \
        "$workdir/load.err" | grep -v ' -> router -> ' | tail -n 1 || true)")
      if [[ -z $summary ]]; then
        rows+=("$name|$path|$rate|failed|-|-|-|-|-")
        continue
      fi
    fi
    received=$(value received "$summary")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$received" \
      'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "-" }')
    rows+=("$(awk -v name="$name" -v path="$path" -v rate="$rate" -v s="$summary" -v cpu="$cpu_us" 'BEGIN {
      n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      printf "%s|%s|%d|%d|%d|%.2f|%.1f|%.1f|%s", name, path, rate, v["send_rate"],
             v["achieved_rate"], v["loss_pct"], v["p50_us"], v["p99_us"], cpu }')")
    [[ $name != raw-forwarder ]] || raw_cpu[$rate]=$cpu_us
    echo "  $name at $rate msg/s: $summary" >&2
  done
}

# measure_midi PID: the MIDI ladder, played by oscbridge-midi-load from its JACK port into
# the daemon's midi endpoint; what comes out over UDP must be complete and in order.
measure_midi() {
  local pid=$1 rate before after summary received cpu_us status
  for rate in $midi_rates; do
    before=$(cpu_ticks "$pid")
    "$midi_load" --rate "$rate" --seconds "$seconds" --receive "$receiver_port" \
      >"$workdir/summary" 2>"$workdir/load.err" &
    load_pid=$!
    status=0
    wait "$load_pid" || status=$?
    load_pid=
    after=$(cpu_ticks "$pid")
    summary=$(<"$workdir/summary")
    if ((status != 0)); then
      failed=1
      notes+=("oscbridge (MIDI → UDP) at $rate msg/s: incomplete or out of order: ${summary:-$(tail -n 1 "$workdir/load.err")}")
      [[ -n $summary ]] || { rows+=("oscbridge|MIDI (JACK) → UDP|$rate|failed|-|-|-|-|-"); continue; }
    fi
    received=$(value received "$summary")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$received" \
      'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "-" }')
    rows+=("$(awk -v rate="$rate" -v s="$summary" -v cpu="$cpu_us" -v secs="$seconds" 'BEGIN {
      n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      printf "oscbridge|MIDI (JACK) → UDP|%d|%d|%d|%.2f|-|-|%s", rate, v["sent"] / secs,
             v["received"] / secs, v["loss_percent"], cpu }')")
    echo "  oscbridge (MIDI) at $rate msg/s: $summary" >&2
  done
}

# check_daemon YAML: true if the daemon exists and accepts YAML.
check_daemon() {
  if [[ ! -x $daemon ]]; then
    notes+=("$router: $daemon not built, skipped")
    return 1
  fi
  if ! "$daemon" validate "$1" >"$workdir/validate.log" 2>&1; then
    echo "oscbridge rejects the generated config $(basename "$1"):" >&2
    cat "$workdir/validate.log" >&2
    exit 1
  fi
}

for router in $routers; do
  case $router in
    raw)
      name=raw-forwarder path="UDP → UDP" ladder=$rates load_args=(--unrouted)
      start_router "$workdir/$router.log" "$router_port" \
        "$raw" --listen "127.0.0.1:$router_port" --send "127.0.0.1:$receiver_port" \
        --max-seconds "$router_seconds"
      ;;
    raw-epoll)
      name=raw-forwarder-epoll path="UDP → UDP" ladder=$rates load_args=(--unrouted)
      start_router "$workdir/$router.log" "$router_port" \
        "$raw" --listen "127.0.0.1:$router_port" --send "127.0.0.1:$receiver_port" \
        --max-seconds "$router_seconds" --epoll
      ;;
    oscbridge)
      name=oscbridge path="UDP → UDP" ladder=$rates load_args=()
      check_daemon "$workdir/oscbridge.yaml" || continue
      start_router "$workdir/$router.log" "$router_port" \
        "$daemon" run -c "$workdir/oscbridge.yaml"
      ;;
    lo-forwarder)
      name=lo-forwarder path="UDP → UDP" ladder=$rates load_args=()
      start_router "$workdir/$router.log" "$router_port" \
        "$forwarder" --port "$router_port" --send "127.0.0.1:$receiver_port" \
        --routes "$routes" --max-seconds "$router_seconds"
      ;;
    oscbridge-slip)
      name=oscbridge path="TCP SLIP → TCP SLIP" ladder=$slip_rates load_args=(--transport slip)
      check_daemon "$workdir/oscbridge-slip.yaml" || continue
      start_router "$workdir/$router.log" "tcp:$router_port" \
        "$daemon" run -c "$workdir/oscbridge-slip.yaml"
      ;;
    oscbridge-midi)
      printf '%s\n' 'endpoints:' \
        "  midi: { protocol: midi, api: jack, port: 'midi-load:out', output: false, rescan: 100ms }" \
        "  out: { protocol: udp, send: 127.0.0.1:$receiver_port }" \
        'routes:' '  - { from: midi, to: out }' >"$workdir/oscbridge-midi.yaml"
      check_daemon "$workdir/oscbridge-midi.yaml" || continue
      export JACK_DEFAULT_SERVER=oscbridge-bench-$$ JACK_NO_START_SERVER=1
      jackd -n "$JACK_DEFAULT_SERVER" -r -d dummy -r 48000 -p 256 >"$workdir/jackd.log" 2>&1 &
      jack_pid=$!
      "$daemon" run -c "$workdir/oscbridge-midi.yaml" >"$workdir/$router.log" 2>&1 &
      router_pid=$!
      router_pids+=("$router_pid")
      echo "== oscbridge, MIDI (JACK) → UDP (pid $router_pid), ${seconds} s per rate" >&2
      measure_midi "$router_pid" || failed=1
      stop_router "$router_pid"
      stop_router "$jack_pid"
      jack_pid=
      continue
      ;;
    *)
      echo "unknown router '$router' in LOAD_ROUTERS (raw raw-epoll oscbridge lo-forwarder oscbridge-slip oscbridge-midi)" >&2
      exit 2
      ;;
  esac
  echo "== $name, $path (pid $router_pid), $routes routes, ${seconds} s per rate" >&2
  measure "$name" "$router_pid" "$path" "$ladder" "${load_args[@]}" || failed=1
  stop_router "$router_pid"
  tail -n 1 "$workdir/$router.log" | sed 's/^/  /' >&2
done

echo
echo "$routes routes, ${seconds} s per rate, $(nproc) CPUs ($(uname -r)), load average" \
  "before: $load_average_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| router | in → out | offered msg/s | sent msg/s | achieved msg/s | loss % | p50 µs | p99 µs | CPU µs/msg | CPU/msg vs raw |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS='|' read -r name path rate send achieved loss p50 p99 cpu <<<"$row"
  ratio=$(awk -v cpu="$cpu" -v raw="${raw_cpu[$rate]:--}" 'BEGIN {
    if (cpu != "-" && raw != "-" && raw + 0 > 0) printf "%.2fx", cpu / raw; else print "-" }')
  echo "| $name | $path | $rate | $send | $achieved | $loss | $p50 | $p99 | $cpu | $ratio |"
done
for note in "${notes[@]}"; do echo; echo "$note"; done
exit "$failed"
