#!/usr/bin/env bash
# ctest load.smoke: each path of the benchmark for about a second at a low rate;
# every message must arrive, and arrive exactly as expected:
#   - lo-forwarder, UDP, routed by the plan;
#   - raw-forwarder, UDP, forwarded unchanged (--unrouted);
#   - oscbridge, TCP with SLIP framing both ways (its config from
#     `oscbridge-load config --transport slip`, checked by `oscbridge validate`).
#   smoke.sh LO_FORWARDER OSCBRIDGE_LOAD RAW_FORWARDER OSCBRIDGE
# OSCBRIDGE may be "none" in a tree without the daemon: that part is skipped.
set -euo pipefail
if (($# != 4)); then
  echo "usage: $0 LO_FORWARDER OSCBRIDGE_LOAD RAW_FORWARDER OSCBRIDGE|none" >&2
  exit 2
fi
forwarder=$1
load=$2
raw=$3
daemon=$4
source "$(dirname "$0")/routers.sh"

workdir=$(mktemp -d)
trap 'stop_all_routers; rm -rf "$workdir"' EXIT

read -r router_port receiver_port < <("$load" free-ports 2)
status=0

# smoke_run NAME LOAD_ARGS...: one short checked run against the router started last.
smoke_run() {
  local name=$1
  shift
  echo "== $name" >&2
  "$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
    --rate 1000 --duration 1 --drain-ms 2000 --max-loss 0 "$@" || {
    echo "load.smoke: FAIL: $name" >&2
    status=1
  }
  stop_all_routers
}

# --max-seconds, timeout: the routers end by themselves even if this script is killed.
start_router "$workdir/lo-forwarder.log" "$router_port" \
  "$forwarder" --port "$router_port" --send "127.0.0.1:$receiver_port" --max-seconds 30
smoke_run "lo-forwarder (UDP)"
cat "$workdir/lo-forwarder.log" >&2

start_router "$workdir/raw-forwarder.log" "$router_port" \
  "$raw" --listen "127.0.0.1:$router_port" --send "127.0.0.1:$receiver_port" --max-seconds 30
smoke_run "raw-forwarder (UDP, unrouted)" --unrouted
cat "$workdir/raw-forwarder.log" >&2

start_router "$workdir/raw-forwarder-epoll.log" "$router_port" \
  "$raw" --listen "127.0.0.1:$router_port" --send "127.0.0.1:$receiver_port" --max-seconds 30 \
  --epoll
smoke_run "raw-forwarder --epoll (UDP, unrouted)" --unrouted
cat "$workdir/raw-forwarder-epoll.log" >&2

if [[ $daemon == none ]]; then
  echo "load.smoke: no daemon in this tree, oscbridge TCP SLIP skipped" >&2
else
  [[ -x $daemon ]] || { echo "load.smoke: FAIL: $daemon is not built" >&2; exit 1; }
  "$load" config --in "127.0.0.1:$router_port" --out "127.0.0.1:$receiver_port" \
    --transport slip >"$workdir/slip.yaml"
  "$daemon" validate "$workdir/slip.yaml" >&2 || {
    echo "load.smoke: FAIL: oscbridge rejects the generated TCP SLIP config" >&2
    exit 1
  }
  start_router "$workdir/oscbridge.log" "tcp:$router_port" \
    timeout 30 "$daemon" run -c "$workdir/slip.yaml"
  smoke_run "oscbridge (TCP SLIP)" --transport slip
  cat "$workdir/oscbridge.log" >&2
fi
exit "$status"
