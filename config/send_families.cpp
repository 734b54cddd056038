#include "config/address.h"
#include "config/endpoints.h"

namespace oscbridge::config::detail {

// A udp endpoint that listens sends routed messages and replies from its listen socket
// (daemon/udp_endpoint.cpp), so the daemon refuses to start when a literal send address is of
// a family that socket cannot reach. Host names resolve where the daemon runs: not checked.
void check_send_families(const UdpSettings& udp, const std::vector<Position>& send_at,
                         Diagnostics& diagnostics) {
  if (!udp.listen) return;
  const HostPort& listen = *udp.listen;
  const auto listen_family = literal_family(listen.host);
  if (!listen_family) return;
  for (std::size_t i = 0; i < udp.send.size(); ++i) {
    const HostPort& send = udp.send[i];
    const auto send_family = literal_family(send.host);
    if (!send_family) continue;
    const std::string prefix = "send: " + to_string(send);
    const std::string why = ": replies and sends go out from the listen socket; ";
    if (*listen_family == AddressFamily::ipv4 && *send_family == AddressFamily::ipv6) {
      diagnostics.error(send_at[i], prefix + " is IPv6 but listen " + to_string(listen) +
                                        " is IPv4" + why +
                                        "listen on [::] or send to an IPv4 address");
    } else if (*listen_family == AddressFamily::ipv6 && !is_any_address(listen.host) &&
               carries_ipv4(send.host)) {
      const char* what = *send_family == AddressFamily::ipv4 ? " is IPv4" : " is IPv4-mapped";
      diagnostics.error(send_at[i],
                        prefix + what + " but listen " + to_string(listen) +
                            " is IPv6, and only an IPv6 socket bound to [::] reaches IPv4" + why +
                            "listen on [::] or an IPv4 address, or send to an IPv6 address");
    }
  }
}

}  // namespace oscbridge::config::detail
