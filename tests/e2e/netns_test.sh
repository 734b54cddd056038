#!/usr/bin/env bash
# Multicast and broadcast need more than loopback: this runs the real daemon, oscsend and
# oscdump inside a private network namespace (unshare -n) with a veth pair, so no packet can
# leave the machine. Checks: a UDP endpoint listening on a multicast group receives what is
# sent to the group; a `send:` to a subnet's broadcast address reaches a listener.
#   netns_test.sh OSCBRIDGE OSCSEND OSCDUMP        (exit 77: skipped, no namespace allowed)
set -u
daemon=$1 oscsend=$2 oscdump=$3
if ! unshare -n true 2>/dev/null; then
  echo "skipped: cannot create a network namespace here (needs root or CAP_SYS_ADMIN)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export daemon oscsend oscdump work
unshare -n bash -s <<'INNER'
set -u
fail() { echo "FAIL: $*"; echo "--- daemon log"; cat "$work/daemon.log"; exit 1; }
ip link set lo up
ip route add 224.0.0.0/4 dev lo
ip link add v0 type veth peer name v1
ip addr add 10.9.0.1/24 brd + dev v0
ip link set v0 up
ip link set v1 up

cat > "$work/netns.yaml" <<YAML
endpoints:
  group: { protocol: udp, listen: 239.255.0.7:17001 }
  local: { protocol: udp, send: 127.0.0.1:17002 }
  in:    { protocol: udp, listen: 127.0.0.1:17003 }
  lan:   { protocol: udp, send: 10.9.0.255:17004 }
routes:
  - { from: group, to: local }
  - { from: in, to: lan }
YAML
"$daemon" run -c "$work/netns.yaml" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
stdbuf -oL "$oscdump" 17002 > "$work/multicast.out" 2>&1 &
dump1=$!
stdbuf -oL "$oscdump" 17004 > "$work/broadcast.out" 2>&1 &
dump2=$!
cleanup() { kill "$dump1" "$dump2" 2>/dev/null; kill -TERM "$daemon_pid" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q "ready: " "$work/daemon.log" && break; sleep 0.05; done
grep -q "ready: " "$work/daemon.log" || fail "daemon not ready"
sleep 0.2  # oscdump binds after it starts; nothing signals that
for _ in $(seq 20); do
  "$oscsend" 239.255.0.7 17001 /multicast/hello i 42
  "$oscsend" 127.0.0.1 17003 /broadcast/hello s lan
  sleep 0.1
  grep -q "/multicast/hello i 42" "$work/multicast.out" && grep -q '/broadcast/hello s "lan"' "$work/broadcast.out" && break
done
grep -q "/multicast/hello i 42" "$work/multicast.out" || fail "multicast group message not routed: $(cat "$work/multicast.out")"
grep -q '/broadcast/hello s "lan"' "$work/broadcast.out" || fail "broadcast send not received: $(cat "$work/broadcast.out")"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "daemon exit status $?"
trap - EXIT
kill "$dump1" "$dump2" 2>/dev/null
echo "multicast and broadcast: OK"
INNER
