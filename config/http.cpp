#include "config/http.h"

#include <array>
#include <string_view>

#include "config/address.h"

namespace oscbridge::config::detail {

namespace {

constexpr std::array<std::string_view, 3> kHttpKeys = {"listen", "allow", "max_clients"};
// Each connection holds one server thread (daemon/http_server.h), so the bound stays modest.
constexpr std::int64_t kMaxHttpClients = 256;

}  // namespace

void read_http(const Entry& entry, Config& config, Diagnostics& diagnostics) {
  const Located value = located(entry);
  if (value.node.IsScalar()) {
    // `off` reads as the YAML 1.1 boolean false.
    const bool off =
        (scalar_kind(value.node) == ScalarKind::boolean && !value.node.as<bool>()) ||
        (scalar_kind(value.node) == ScalarKind::string && value.node.Scalar() == "off");
    if (off) {
      config.http.enabled = false;
      return;
    }
  }
  if (!value.node.IsMap()) {
    diagnostics.error(entry.value_at,
                      "http: expected a mapping such as { listen: 127.0.0.1:8080 }, or off; got " +
                          describe(value.node));
    return;
  }
  const std::vector<Entry> entries = read_mapping(value.node, diagnostics);
  reject_unknown_keys(entries, kHttpKeys, "http", diagnostics);
  HttpSettings http;
  http.enabled = true;
  if (const Entry* listen = find(entries, "listen")) {
    if (auto text = read_string(located(*listen), diagnostics)) {
      HostPortResult parsed = parse_host_port(*text);
      if (!parsed.address) {
        diagnostics.error(listen->value_at, "listen: " + parsed.error);
      } else if (!literal_family(parsed.address->host)) {
        diagnostics.error(listen->value_at,
                          "listen: expected an IP address such as 127.0.0.1:8080 or "
                          "\"[::1]:8080\", got the host name '" +
                              parsed.address->host + "'");
      } else if (*literal_family(parsed.address->host) != AddressFamily::ipv4) {
        // Debian's civetweb is built without IPv6 (daemon/http_server.h).
        diagnostics.error(listen->value_at,
                          "listen: the HTTP server listens on IPv4 addresses only, such as "
                          "127.0.0.1:8080 or 0.0.0.0:8080");
      } else {
        http.listen = *parsed.address;
      }
    }
  } else {
    diagnostics.error(entry.key_at, "http: missing 'listen', e.g. { listen: 127.0.0.1:8080 }");
  }
  if (const Entry* allow = find(entries, "allow")) {
    for (const Text& item :
         read_one_or_list(located(*allow), diagnostics).value_or(std::vector<Text>{})) {
      CidrResult parsed = parse_cidr(item.text);
      if (parsed.cidr) {
        http.allow.push_back(*parsed.cidr);
      } else {
        diagnostics.error(item.at, "allow: " + parsed.error);
      }
    }
  }
  if (const Entry* max_clients = find(entries, "max_clients")) {
    if (auto number = read_integer(located(*max_clients), 1, kMaxHttpClients, diagnostics)) {
      http.max_clients = static_cast<int>(*number);
    }
  }
  config.http = http;
}

}  // namespace oscbridge::config::detail
