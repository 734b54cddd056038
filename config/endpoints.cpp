#include "config/endpoints.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "config/address.h"

namespace oscbridge::config::detail {
namespace {

// What an endpoint is, once protocol, listen and connect are known; decides which keys apply.
enum class Role { udp, tcp_listen, tcp_connect, tcp_undecided, midi, unknown };

enum RoleBit : unsigned {
  kUdp = 1u << 0,
  kTcpListen = 1u << 1,
  kTcpConnect = 1u << 2,
  kMidi = 1u << 3,
  kTcp = kTcpListen | kTcpConnect,
  kAll = kUdp | kTcp | kMidi,
};

struct KeyRule {
  std::string_view key;
  unsigned roles;
  std::string_view belongs;  // completes "it is for ..."
};

constexpr std::array kKeyRules = {
    KeyRule{"protocol", kAll, ""},
    KeyRule{"listen", kUdp | kTcpListen, "udp and tcp endpoints"},
    KeyRule{"connect", kTcpConnect, "tcp endpoints (a udp endpoint uses send)"},
    KeyRule{"send", kUdp, "udp endpoints (a tcp endpoint sends over its connections)"},
    KeyRule{"reply", kUdp, "udp endpoints (a tcp server always answers its clients)"},
    KeyRule{"allow", kUdp | kTcpListen, "endpoints that listen"},
    KeyRule{"framing", kTcp, "tcp endpoints (UDP datagrams need no framing)"},
    KeyRule{"port", kMidi,
            "midi endpoints (for udp and tcp the port is part of host:port, e.g. "
            "listen: 0.0.0.0:8000)"},
    KeyRule{"input", kMidi, "midi endpoints"},
    KeyRule{"output", kMidi, "midi endpoints"},
    KeyRule{"api", kMidi, "midi endpoints"},
    KeyRule{"virtual", kMidi, "midi endpoints"},
    KeyRule{"cc14", kMidi, "midi endpoints"},
    KeyRule{"nrpn", kMidi, "midi endpoints"},
    KeyRule{"rescan", kMidi, "midi endpoints"},
    KeyRule{"max_frame", kUdp | kTcp, "udp and tcp endpoints"},
    KeyRule{"max_bundle_depth", kUdp | kTcp, "udp and tcp endpoints"},
    KeyRule{"max_clients", kTcpListen, "tcp endpoints that listen"},
    KeyRule{"queue_limit", kTcp, "tcp endpoints"},
    KeyRule{"idle_timeout", kTcp, "tcp endpoints"},
    KeyRule{"reconnect_min", kTcpConnect, "tcp endpoints that connect"},
    KeyRule{"reconnect_max", kTcpConnect, "tcp endpoints that connect"},
    KeyRule{"reply_window", kUdp, "udp endpoints with reply: true"},
    KeyRule{"reply_max_peers", kUdp, "udp endpoints with reply: true"},
    KeyRule{"echo_window", kAll, ""},
    KeyRule{"keepalive", kAll, ""},
    KeyRule{"on_connect", kUdp | kTcp, "udp and tcp endpoints"},
    KeyRule{"schedule", kAll, ""},
    KeyRule{"schedule_queue", kAll, ""},
    KeyRule{"schedule_max", kAll, ""},
    KeyRule{"loop_guard", kAll, ""},
    KeyRule{"state", kUdp | kTcp, "udp and tcp endpoints (a midi port has no peers joining)"},
    KeyRule{"state_max", kUdp | kTcp, "udp and tcp endpoints"},
    KeyRule{"pace", kAll, ""},
    KeyRule{"pace_queue", kAll, ""},
};

constexpr std::array<std::string_view, kKeyRules.size()> key_names() {
  std::array<std::string_view, kKeyRules.size()> names{};
  for (std::size_t i = 0; i < kKeyRules.size(); ++i) names[i] = kKeyRules[i].key;
  return names;
}
constexpr auto kKeys = key_names();
constexpr std::array<std::string_view, 3> kProtocols = {"udp", "tcp", "midi"};
constexpr std::array<std::string_view, 2> kFramings = {"slip", "length"};

unsigned role_bits(Role role) {
  switch (role) {
    case Role::udp:
      return kUdp;
    case Role::tcp_listen:
      return kTcpListen;
    case Role::tcp_connect:
      return kTcpConnect;
    case Role::tcp_undecided:
      return kTcp;
    case Role::midi:
      return kMidi;
    case Role::unknown:
      return kAll;
  }
  return kAll;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::udp:
      return "a udp endpoint";
    case Role::tcp_listen:
      return "a tcp endpoint that listens";
    case Role::tcp_connect:
      return "a tcp endpoint that connects";
    case Role::midi:
      return "a midi endpoint";
    default:
      return "a tcp endpoint";
  }
}

bool is_valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string size_text(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KiB";
  return std::to_string(bytes);
}

// Reads one endpoint's settings; `read` counts the errors it reports through `diagnostics`.
class EndpointReader {
 public:
  EndpointReader(ReadEndpoint& out, Diagnostics& diagnostics)
      : out_(out), endpoint_(out.endpoint), diagnostics_(diagnostics) {}
  EndpointReader(const EndpointReader&) = delete;
  EndpointReader& operator=(const EndpointReader&) = delete;

  void read(const std::vector<Entry>& entries);

 private:
  std::optional<Protocol> read_protocol(const Entry& entry);
  std::optional<HostPort> read_address(const Entry& entry);
  void read_setting(const Entry& entry);
  void check_combinations(const std::vector<Entry>& entries);

  // Settings are read into every kind they apply to (all of them while the protocol is
  // unknown, so a bad value is still reported) and the protocol's kind is kept at the end.
  ReadEndpoint& out_;
  Endpoint& endpoint_;
  Diagnostics& diagnostics_;
  Role role_ = Role::unknown;
  NetworkSettings network_;
  UdpSettings udp_;
  TcpSettings tcp_;
  MidiSettings midi_;
};

std::optional<Protocol> EndpointReader::read_protocol(const Entry& entry) {
  // kProtocols lists them in Protocol's order.
  const auto choice = read_choice(located(entry), kProtocols, "protocol", diagnostics_);
  if (!choice) return std::nullopt;
  return static_cast<Protocol>(*choice);
}

std::optional<HostPort> EndpointReader::read_address(const Entry& entry) {
  const auto text = read_string(located(entry), diagnostics_);
  if (!text) return std::nullopt;
  HostPortResult parsed = parse_host_port(*text);
  if (!parsed.address) diagnostics_.error(entry.value_at, entry.key + ": " + parsed.error);
  return parsed.address;
}

void EndpointReader::read(const std::vector<Entry>& entries) {
  const std::size_t errors_before = diagnostics_.count();
  reject_unknown_keys(entries, kKeys, "endpoint '" + endpoint_.name + "'", diagnostics_);
  const Entry* protocol = find(entries, "protocol");
  std::optional<Protocol> parsed_protocol;
  if (protocol) {
    parsed_protocol = read_protocol(*protocol);
  } else {
    diagnostics_.error(out_.name_at,
                       "endpoint '" + endpoint_.name + "' needs a protocol: " + one_of(kProtocols));
  }
  if (parsed_protocol) {
    const bool listens = find(entries, "listen") != nullptr;
    const bool connects = find(entries, "connect") != nullptr;
    switch (*parsed_protocol) {
      case Protocol::udp:
        role_ = Role::udp;
        break;
      case Protocol::midi:
        role_ = Role::midi;
        break;
      case Protocol::tcp:
        role_ = listens == connects ? Role::tcp_undecided
                                    : (listens ? Role::tcp_listen : Role::tcp_connect);
        break;
    }
  }
  for (const Entry& entry : entries) {
    const auto rule = std::find_if(kKeyRules.begin(), kKeyRules.end(),
                                   [&](const KeyRule& r) { return r.key == entry.key; });
    if (rule == kKeyRules.end() || rule->key == "protocol") continue;
    if ((rule->roles & role_bits(role_)) == 0) {
      diagnostics_.error(entry.key_at, "'" + entry.key + "' does not apply to " +
                                           std::string(role_name(role_)) + "; it is for " +
                                           std::string(rule->belongs));
      continue;
    }
    read_setting(entry);
  }
  static_cast<NetworkSettings&>(udp_) = network_;
  static_cast<NetworkSettings&>(tcp_) = network_;
  switch (parsed_protocol.value_or(Protocol::udp)) {
    case Protocol::udp:
      endpoint_.kind = udp_;
      break;
    case Protocol::tcp:
      endpoint_.kind = tcp_;
      break;
    case Protocol::midi:
      endpoint_.kind = midi_;
      break;
  }
  out_.protocol_known = parsed_protocol.has_value();
  if (parsed_protocol) check_combinations(entries);
  if (parsed_protocol) check_state_and_pace(entries, endpoint_, diagnostics_);
  if (parsed_protocol) check_schedule(entries, endpoint_, diagnostics_);
  out_.valid = diagnostics_.count() == errors_before;
}

void EndpointReader::read_setting(const Entry& entry) {
  if (read_midi_setting(entry, midi_, diagnostics_)) return;
  const Located value = located(entry);
  const std::string& key = entry.key;
  if (key == "listen") {
    out_.listen_at = entry.value_at;
    udp_.listen = tcp_.listen = read_address(entry);
  } else if (key == "connect") {
    out_.connect_at = entry.value_at;
    tcp_.connect = read_address(entry);
  } else if (key == "send") {
    for (const Text& item : read_one_or_list(value, diagnostics_).value_or(std::vector<Text>{})) {
      HostPortResult parsed = parse_host_port(item.text);
      if (parsed.address) {
        udp_.send.push_back(*parsed.address);
        out_.send_at.push_back(item.at);
      } else {
        diagnostics_.error(item.at, "send: " + parsed.error);
      }
    }
  } else if (key == "reply") {
    // true, false, or others (every peer but the one a message came from)
    if (scalar_kind(entry.value) == ScalarKind::boolean) {
      udp_.reply = read_bool(value, diagnostics_).value_or(false) ? Reply::all : Reply::off;
    } else if (scalar_kind(entry.value) == ScalarKind::string && entry.value.Scalar() == "others") {
      udp_.reply = Reply::others;
    } else {
      diagnostics_.error(entry.value_at,
                         "reply: expected true, false or others, got " + describe(entry.value));
    }
  } else if (key == "allow") {
    for (const Text& item : read_one_or_list(value, diagnostics_).value_or(std::vector<Text>{})) {
      CidrResult parsed = parse_cidr(item.text);
      if (parsed.cidr) {
        network_.allow.push_back(*parsed.cidr);
      } else {
        diagnostics_.error(item.at, "allow: " + parsed.error);
      }
    }
  } else if (key == "framing") {
    if (const auto choice = read_choice(value, kFramings, "framing", diagnostics_)) {
      tcp_.framing = *choice == 0 ? Framing::slip : Framing::length;
    }
  } else if (key == "max_frame") {
    const std::size_t max = role_ == Role::udp ? kMaxUdpFrame : kMaxTcpFrame;
    network_.max_frame = read_byte_size(value, 16, max, diagnostics_).value_or(kDefaultMaxFrame);
  } else if (key == "max_bundle_depth") {
    network_.max_bundle_depth =
        static_cast<int>(read_integer(value, 1, osc::kMaxBundleDepthLimit, diagnostics_)
                             .value_or(kDefaultMaxBundleDepth));
  } else if (key == "max_clients") {
    tcp_.max_clients = static_cast<std::size_t>(
        read_integer(value, 1, 65535, diagnostics_).value_or(kDefaultMaxClients));
  } else if (key == "queue_limit") {
    tcp_.queue_limit = read_byte_size(value, 1024, std::size_t{1} << 30, diagnostics_)
                           .value_or(kDefaultQueueLimit);
  } else if (key == "idle_timeout") {
    using std::chrono::hours, std::chrono::milliseconds;
    tcp_.idle_timeout = read_duration(value, milliseconds(100), hours(24), diagnostics_)
                            .value_or(kDefaultIdleTimeout);
  } else if (key == "reconnect_min") {
    using std::chrono::minutes, std::chrono::milliseconds;
    tcp_.reconnect_min = read_duration(value, milliseconds(10), minutes(1), diagnostics_)
                             .value_or(kDefaultReconnectMin);
  } else if (key == "reconnect_max") {
    using std::chrono::hours, std::chrono::milliseconds;
    tcp_.reconnect_max = read_duration(value, milliseconds(100), hours(1), diagnostics_)
                             .value_or(kDefaultReconnectMax);
  } else if (key == "reply_window") {
    using std::chrono::hours, std::chrono::seconds;
    udp_.reply_window =
        read_duration(value, seconds(1), hours(24), diagnostics_).value_or(kDefaultReplyWindow);
  } else if (key == "keepalive") {
    endpoint_.keepalive = read_keepalive(entry, diagnostics_);
  } else if (key == "on_connect") {
    endpoint_.on_connect =
        read_fixed_messages(value, diagnostics_).value_or(std::vector<FixedMessage>{});
  } else if (key == "echo_window") {
    // `0` (no unit) turns it off, like 0ms.
    if (scalar_kind(entry.value) == ScalarKind::integer && entry.value.Scalar() == "0") {
      endpoint_.echo_window = std::chrono::milliseconds(0);
    } else {
      using std::chrono::milliseconds, std::chrono::seconds;
      endpoint_.echo_window = read_duration(value, milliseconds(0), seconds(10), diagnostics_)
                                  .value_or(kDefaultEchoWindow);
    }
  } else if (read_state_or_pace(entry, endpoint_, diagnostics_)) {
  } else if (key == "reply_max_peers") {
    udp_.reply_max_peers = static_cast<std::size_t>(
        read_integer(value, 1, 65535, diagnostics_).value_or(kDefaultReplyMaxPeers));
  } else if (read_schedule_or_loop_guard(entry, endpoint_, diagnostics_)) {
  }
}

void EndpointReader::check_combinations(const std::vector<Entry>& entries) {
  const std::string& name = endpoint_.name;
  const Entry* listen = find(entries, "listen");
  const Entry* connect = find(entries, "connect");
  switch (endpoint_.protocol()) {
    case Protocol::udp:
      if (!listen && !find(entries, "send")) {
        diagnostics_.error(out_.name_at, "udp endpoint '" + name + "' needs listen, send or both");
      }
      if (const Entry* reply = find(entries, "reply");
          reply && udp_.reply != Reply::off && !listen) {
        diagnostics_.error(reply->key_at,
                           "reply: " + std::string(udp_.reply == Reply::all ? "true" : "others") +
                               " needs listen: replies go out from the listen "
                               "port to peers heard there");
      }
      if (const Entry* allow = find(entries, "allow"); allow && !listen) {
        diagnostics_.error(allow->key_at, "allow filters what arrives at listen, but endpoint '" +
                                              name + "' does not listen");
      }
      if (const Entry* greet = find(entries, "on_connect"); greet && udp_.reply == Reply::off) {
        diagnostics_.error(greet->key_at,
                           "on_connect on a udp endpoint needs reply: true: it greets each "
                           "reply peer the first time it is heard");
      }
      if (const Entry* window = find(entries, "reply_window"); window && udp_.reply == Reply::off) {
        diagnostics_.error(window->key_at, "reply_window needs reply: true");
      }
      if (const Entry* peers = find(entries, "reply_max_peers");
          peers && udp_.reply == Reply::off) {
        diagnostics_.error(peers->key_at, "reply_max_peers needs reply: true");
      }
      check_send_families(udp_, out_.send_at, diagnostics_);
      break;
    case Protocol::tcp:
      if (listen && connect) {
        diagnostics_.error(connect->key_at, "a tcp endpoint either listens or connects, not both");
      } else if (!listen && !connect) {
        diagnostics_.error(out_.name_at, "tcp endpoint '" + name +
                                             "' needs listen (to be a server) or connect (to be "
                                             "a client)");
      }
      break;
    case Protocol::midi:
      if (!find(entries, "port") && !midi_.virtual_port) {
        diagnostics_.error(out_.name_at, "midi endpoint '" + name +
                                             "' needs port: the name of a MIDI port (or a " +
                                             "regular expression), or virtual: true");
      }
      if (const Entry* port = find(entries, "port"); port && midi_.virtual_port) {
        diagnostics_.error(port->key_at,
                           "port does not apply with virtual: true: a virtual endpoint creates "
                           "its own ports, named '" +
                               name + "'");
      }
      if (!midi_.input && !midi_.output) {
        const Entry* at = find(entries, "input");
        diagnostics_.error(
            at ? at->key_at : find(entries, "output")->key_at,
            "input: false and output: false leave endpoint '" + name + "' nothing to do");
      }
      break;
  }
  if (tcp_.reconnect_min > tcp_.reconnect_max) {
    const Entry* at = find(entries, "reconnect_min");
    diagnostics_.error(at ? at->key_at : find(entries, "reconnect_max")->key_at,
                       "reconnect_min is longer than reconnect_max");
  }
  if (endpoint_.protocol() == Protocol::tcp && tcp_.queue_limit < network_.max_frame) {
    const Entry* at = find(entries, "queue_limit");
    diagnostics_.error(at ? at->key_at : find(entries, "max_frame")->key_at,
                       "queue_limit (" + size_text(tcp_.queue_limit) +
                           ") is smaller than max_frame (" + size_text(network_.max_frame) +
                           "): a full-size frame could never be queued");
  }
}

// Endpoints with other errors take part (fixing those must not reveal an overlap) as long as
// their protocol and listen address were read.
void check_listen_overlaps(std::vector<ReadEndpoint>& endpoints, Diagnostics& diagnostics) {
  for (std::size_t later = 0; later < endpoints.size(); ++later) {
    const Endpoint& b = endpoints[later].endpoint;
    if (!endpoints[later].protocol_known || !b.listen()) continue;
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const Endpoint& a = endpoints[earlier].endpoint;
      if (!endpoints[earlier].protocol_known || !a.listen() || a.protocol() != b.protocol()) {
        continue;
      }
      if (!listen_addresses_overlap(*a.listen(), *b.listen())) continue;
      diagnostics.error(endpoints[later].listen_at,
                        "listen: " + std::string(to_string(b.protocol())) + " " +
                            to_string(*b.listen()) + " overlaps " + to_string(*a.listen()) +
                            " of endpoint '" + a.name + "' (line " +
                            std::to_string(endpoints[earlier].listen_at.line) + ")");
      endpoints[later].valid = false;
      break;
    }
  }
}

}  // namespace

std::vector<ReadEndpoint> read_endpoints(const Entry& entry, Diagnostics& diagnostics) {
  std::vector<ReadEndpoint> endpoints;
  if (!entry.value.IsMap()) {
    diagnostics.error(entry.value_at, "endpoints: expected a mapping of endpoint names to " +
                                          std::string("settings, got ") + describe(entry.value));
    return endpoints;
  }
  if (entry.value.size() == 0) {
    diagnostics.error(entry.value_at, "endpoints: at least one endpoint is needed");
  }
  for (const Entry& named : read_mapping(entry.value, diagnostics)) {
    ReadEndpoint& out = endpoints.emplace_back();
    out.endpoint.name = named.key;
    out.name_at = named.key_at;
    if (!is_valid_name(named.key)) {
      diagnostics.error(named.key_at, "endpoint name '" + named.key +
                                          "' may only contain letters, digits, '_', '-' and '.'");
      out.valid = false;
    }
    if (!named.value.IsMap()) {
      diagnostics.error(named.value_at, "endpoint '" + named.key + "': expected a mapping of " +
                                            "settings, got " + describe(named.value));
      out.valid = false;
      continue;
    }
    EndpointReader reader(out, diagnostics);
    const bool name_ok = out.valid;
    reader.read(read_mapping(named.value, diagnostics));
    out.valid = out.valid && name_ok;
  }
  check_listen_overlaps(endpoints, diagnostics);
  return endpoints;
}

std::string cannot_send(const Endpoint& endpoint) {
  if (const UdpSettings* udp = endpoint.udp();
      udp && udp->send.empty() && udp->reply == Reply::off) {
    return "udp endpoint '" + endpoint.name +
           "' has no send address and no reply: true, so a message routed to it could go nowhere";
  }
  if (const MidiSettings* midi = endpoint.midi(); midi && !midi->output) {
    return "midi endpoint '" + endpoint.name +
           "' has output: false, so a message routed to it could go nowhere";
  }
  return "";
}

std::string cannot_receive(const Endpoint& endpoint) {
  if (const MidiSettings* midi = endpoint.midi(); midi && !midi->input) {
    return "midi endpoint '" + endpoint.name + "' has input: false, so nothing comes from it";
  }
  return "";
}

}  // namespace oscbridge::config::detail
