#!/usr/bin/env bash
# ctest load.smoke: lo-forwarder plus oscbridge-load for 1 s at a low rate; every
# message must arrive, and arrive exactly as the route plan says.
#   smoke.sh LO_FORWARDER OSCBRIDGE_LOAD
set -euo pipefail
forwarder=$1
load=$2
source "$(dirname "$0")/routers.sh"

workdir=$(mktemp -d)
trap 'stop_all_routers; rm -rf "$workdir"' EXIT

read -r router_port receiver_port < <("$load" free-ports 2)
# --max-seconds: the forwarder ends by itself even if this script is killed.
start_router "$workdir/forwarder.log" "$router_port" \
  "$forwarder" --port "$router_port" --send "127.0.0.1:$receiver_port" --max-seconds 30

status=0
"$load" run --target "127.0.0.1:$router_port" --listen "127.0.0.1:$receiver_port" \
  --rate 1000 --duration 1 --drain-ms 2000 --max-loss 0 || status=$?
stop_all_routers
cat "$workdir/forwarder.log" >&2
exit "$status"
