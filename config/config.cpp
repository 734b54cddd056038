#include "config/config.h"

#include <array>
#include <type_traits>

namespace oscbridge::config {
namespace {

std::string counted(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

}  // namespace

static_assert(
    std::variant_size_v<decltype(Endpoint::kind)> == 3 &&
        std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Protocol::udp),
                                                  decltype(Endpoint::kind)>,
                       UdpSettings> &&
        std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Protocol::tcp),
                                                  decltype(Endpoint::kind)>,
                       TcpSettings> &&
        std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Protocol::midi),
                                                  decltype(Endpoint::kind)>,
                       MidiSettings>,
    "Endpoint::protocol() relies on the variant following Protocol's order");

const NetworkSettings* Endpoint::network() const {
  if (const auto* settings = udp()) return settings;
  if (const auto* settings = tcp()) return settings;
  return nullptr;
}

const std::optional<HostPort>& Endpoint::listen() const {
  static const std::optional<HostPort> kNone;
  if (const auto* settings = udp()) return settings->listen;
  if (const auto* settings = tcp()) return settings->listen;
  return kNone;
}

std::size_t Endpoint::max_frame() const {
  const NetworkSettings* settings = network();
  return settings ? settings->max_frame : kDefaultMaxFrame;
}

int Endpoint::max_bundle_depth() const {
  const NetworkSettings* settings = network();
  return settings ? settings->max_bundle_depth : kDefaultMaxBundleDepth;
}

Config default_config() {
  // Two endpoints rather than one that sends to itself: a program at 9001 that answers the
  // sender would otherwise have its answers forwarded back to it, a loop.
  Config config;
  UdpSettings input;
  input.listen = HostPort{"127.0.0.1", 9000};
  UdpSettings output;
  output.send = {HostPort{"127.0.0.1", 9001}};
  config.endpoints = {Endpoint{"input", input}, Endpoint{"output", output}};
  Route forward;
  forward.name = "forward";
  forward.from = {"input"};
  forward.to = {"output"};
  config.routes = {forward};
  // The dashboard, on loopback only (HttpSettings' default listen).
  config.http.enabled = true;
  return config;
}

std::string summary(const Config& config) {
  constexpr std::array kProtocols = {Protocol::udp, Protocol::tcp, Protocol::midi};
  std::string by_protocol;
  for (Protocol protocol : kProtocols) {
    std::size_t count = 0;
    for (const Endpoint& endpoint : config.endpoints) count += endpoint.protocol() == protocol;
    if (count == 0) continue;
    if (!by_protocol.empty()) by_protocol += ", ";
    by_protocol += std::to_string(count) + " " + std::string(to_string(protocol));
  }
  std::string line = counted(config.endpoints.size(), "endpoint");
  if (!by_protocol.empty()) line += " (" + by_protocol + ")";
  return line + ", " + counted(config.routes.size(), "route");
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::off:
      return "off";
  }
  return "?";
}

std::string_view to_string(MidiApi api) {
  return api == MidiApi::alsa ? "alsa" : "jack";
}

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::udp:
      return "udp";
    case Protocol::tcp:
      return "tcp";
    case Protocol::midi:
      return "midi";
  }
  return "?";
}

std::string_view to_string(Framing framing) {
  switch (framing) {
    case Framing::slip:
      return "slip";
    case Framing::length:
      return "length";
  }
  return "?";
}

}  // namespace oscbridge::config
