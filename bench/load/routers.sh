# Shell helpers shared by run.sh and smoke.sh (sourced, not run): start a router
# in the background, wait until it listens, stop it. Every router started here
# is recorded in router_pids so the caller's EXIT trap can stop them all.

router_pids=()

# True once something has UDP port $1 bound (IPv4 or IPv6 table; liblo binds
# dual-stack IPv6). Reads /proc so it needs no ss or netstat.
udp_port_bound() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v port="$hex" 'FNR > 1 && substr($2, length($2) - 4) == port { found = 1 }
                      END { exit !found }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# True once something listens on TCP port $1 (state 0A, LISTEN; IPv4 or IPv6).
tcp_port_listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v port="$hex" 'FNR > 1 && substr($2, length($2) - 4) == port && $4 == "0A" { found = 1 }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# port_ready PORT: PORT is a UDP port number, or tcp:NUMBER for a TCP listener.
port_ready() {
  case $1 in
    tcp:*) tcp_port_listening "${1#tcp:}" ;;
    *) udp_port_bound "$1" ;;
  esac
}

# start_router LOG PORT COMMAND...: runs COMMAND in the background with its
# output in LOG, waits up to 5 s for PORT (see port_ready), and sets router_pid.
start_router() {
  local log=$1 port=$2
  shift 2
  "$@" >"$log" 2>&1 &
  router_pid=$!
  router_pids+=("$router_pid")
  local tries=0
  until port_ready "$port"; do
    if ! kill -0 "$router_pid" 2>/dev/null; then
      echo "router exited before listening on port $port: $*" >&2
      cat "$log" >&2
      return 1
    fi
    if ((++tries > 100)); then
      echo "router not listening on port $port after 5 s: $*" >&2
      return 1
    fi
    sleep 0.05
  done
}

# stop_router PID: SIGTERM, then SIGKILL after 3 s.
stop_router() {
  local pid=$1 tries=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((tries++ < 60)); do sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all_routers() {
  local pid
  for pid in "${router_pids[@]}"; do stop_router "$pid"; done
  router_pids=()
}
