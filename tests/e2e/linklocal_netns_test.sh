#!/usr/bin/env bash
# Scoped link-local IPv6 addresses ([fe80::1%lo]:port) for listen, send and connect, with the
# real daemon inside a private network namespace (unshare -n) whose `lo` gets fe80::1, so no
# packet can leave the machine. A UDP message sent to the daemon's link-local listen port goes
# out to a link-local `send:` and, through a TCP client connected to the daemon's own
# link-local TCP server, to a second one. Then: an unknown interface refuses the start, naming
# the interface, and `validate` (which may run on another machine) accepts the file.
#   linklocal_netns_test.sh OSCBRIDGE PYTHON3        (exit 77: skipped, no namespace allowed)
set -u
daemon=$1 python=$2
if ! unshare -n true 2>/dev/null; then
  echo "skipped: cannot create a network namespace here (needs root or CAP_SYS_ADMIN)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export daemon python work
unshare -n bash -s <<'INNER'
set -u
fail() { echo "FAIL: $*"; echo "--- daemon log"; cat "$work/daemon.log" 2>/dev/null; exit 1; }
ip link set lo up
# nodad: usable at once, without duplicate address detection's delay.
ip -6 addr add fe80::1/64 dev lo nodad || fail "cannot add a link-local address to lo"

cat > "$work/linklocal.yaml" <<'YAML'
endpoints:
  in:     { protocol: udp, listen: "[fe80::1%lo]:17101" }
  out:    { protocol: udp, send: "[fe80::1%lo]:17102" }
  server: { protocol: tcp, listen: "[fe80::1%lo]:17103" }
  client: { protocol: tcp, connect: "[fe80::1%lo]:17103" }
  out2:   { protocol: udp, send: "[fe80::1%lo]:17104" }
routes:
  - { from: in, to: [out, client] }
  - { from: server, to: out2 }
YAML
"$daemon" run -c "$work/linklocal.yaml" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
trap 'kill -TERM "$daemon_pid" 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "ready: " "$work/daemon.log" && break; sleep 0.05; done
grep -q "ready: " "$work/daemon.log" || fail "daemon not ready"

# The peers: receive on both link-local send addresses, send to the listen address until both
# have the message (the TCP client connects in the background), for up to 10 s.
"$python" - <<'PY' || fail "message not routed over link-local addresses"
import socket, sys, time
scope = socket.if_nametoindex("lo")
def bound(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("fe80::1", port, 0, scope))
    s.setblocking(False)
    return s
receivers = {17102: bound(17102), 17104: bound(17104)}
message = b"/linklocal\x00\x00,i\x00\x00\x00\x00\x00\x2a"
sender = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
got = {}
deadline = time.monotonic() + 10
while len(got) < 2 and time.monotonic() < deadline:
    sender.sendto(message, ("fe80::1", 17101, 0, scope))
    time.sleep(0.1)
    for port, s in receivers.items():
        try:
            data, peer = s.recvfrom(2048)
            if data == message:
                got[port] = peer
        except BlockingIOError:
            pass
print("received on", sorted(got))
sys.exit(0 if len(got) == 2 else 1)
PY
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "daemon exit status $?"
trap - EXIT

# An interface this machine does not have: run refuses to start and names it, for listen
# and for a literal send; validate accepts the file.
for line in 'a: { protocol: udp, listen: "[fe80::1%nosuch0]:17105" }' \
            'b: { protocol: udp, send: "[fe80::1%nosuch0]:17106" }'; do
  printf 'endpoints:\n  %s\n' "$line" > "$work/bad.yaml"
  "$daemon" validate "$work/bad.yaml" > "$work/validate.log" 2>&1 ||
    { cat "$work/validate.log"; fail "validate refused: $line"; }
  timeout 20 "$daemon" run -c "$work/bad.yaml" > "$work/daemon.log" 2>&1
  status=$?
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "run did not fail ($status): $line"
  grep -q "no network interface named 'nosuch0'" "$work/daemon.log" ||
    fail "the error does not name the interface: $line"
done
echo "link-local listen, send and connect: OK"
INNER
