// The typed form of oscbridge.yaml: plain value structs, every field with its default.
// They own all their data (no views into the YAML text), never parse themselves (load.h does),
// and are freely copyable; like any value type they are safe to share between threads only
// while nobody mutates them. operator== is defaulted everywhere so a reload can keep the
// sockets of endpoints whose settings did not change.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <sys/socket.h>

#include "osc/limits.h"

namespace oscbridge::config {

enum class LogLevel { trace, debug, info, warn, error, off };
enum class Protocol { udp, tcp, midi };
// Which peers heard at a udp endpoint's listen port also get what is routed to it. off: none
// (only send destinations). all: every reply peer. others: every reply peer except the one a
// message came from, when it came from this endpoint (peers of one endpoint kept in sync).
enum class Reply { off, all, others };
// slip: OSC 1.1 streams (RFC 1055, double END). length: OSC 1.0 int32 big-endian size prefix.
enum class Framing { slip, length };

// Reliability limits (DESIGN.md). Ranges accepted by the loader are in docs/configuration.md.
inline constexpr std::size_t kDefaultMaxFrame = osc::kDefaultMaxFrameSize;
inline constexpr std::size_t kMaxUdpFrame = 65536;  // the IP datagram limit, rounded up
inline constexpr std::size_t kMaxTcpFrame = osc::kMaxFrameSizeLimit;
inline constexpr int kDefaultMaxBundleDepth = osc::kDefaultMaxBundleDepth;
inline constexpr std::size_t kDefaultMaxClients = 64;
inline constexpr std::size_t kDefaultQueueLimit = 1024 * 1024;
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{30'000};
inline constexpr std::chrono::milliseconds kDefaultReconnectMin{100};
inline constexpr std::chrono::milliseconds kDefaultReconnectMax{10'000};
inline constexpr std::chrono::milliseconds kDefaultReplyWindow{60'000};
inline constexpr std::size_t kDefaultReplyMaxPeers = 64;
// Flow control (docs/configuration.md, "Flow control").
inline constexpr std::chrono::milliseconds kDefaultEchoWindow{100};
inline constexpr double kMaxRate = 10'000.0;  // rate: HZ, in (0, kMaxRate]
// Scheduled bundles and loop detection (docs/configuration.md, "Scheduled bundles", "Loops").
inline constexpr std::size_t kDefaultScheduleQueue = 1024;
inline constexpr std::chrono::milliseconds kDefaultScheduleMax{60'000};
inline constexpr std::uint32_t kDefaultLoopGuard = 250;  // returns per second per address
// State for late joiners and send pacing (docs/configuration.md, "State for late joiners and
// pacing").
inline constexpr std::size_t kDefaultStateMax = 10'000;  // addresses per endpoint
inline constexpr std::size_t kMaxStateMax = 1'000'000;
inline constexpr double kMaxPace = 100'000.0;             // pace: HZ, in (0, kMaxPace]
inline constexpr std::size_t kDefaultPaceQueue = 10'000;  // messages waiting per endpoint
inline constexpr std::size_t kMaxPaceQueue = 1'000'000;

// An unresolved address as the user wrote it: host is an IPv4 literal, an IPv6 literal without
// its brackets ("::1"), or a host name that the daemon resolves when it opens the socket. A
// link-local IPv6 literal keeps its scope in host ("fe80::1%eth0", or "fe80::1%2" by interface
// index); getaddrinfo turns it into sin6_scope_id when the socket is opened.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

enum class AddressFamily { ipv4, ipv6 };

// A source filter such as 192.168.1.0/24 or fd00::/8. Bits beyond prefix_length are zero.
struct Cidr {
  AddressFamily family = AddressFamily::ipv4;
  std::array<std::uint8_t, 16> address{};  // ipv4 uses the first 4 bytes, network order
  std::uint8_t prefix_length = 0;

  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4 address it carries,
  // because a dual-stack socket reports IPv4 peers that way. Other families never match.
  bool contains(const sockaddr_storage& peer) const;
  // 4 bytes (IPv4) or 16 bytes (IPv6), network order; any other size never matches.
  bool contains(std::span<const std::uint8_t> peer_address) const;
  bool operator==(const Cidr&) const = default;
};

// What udp and tcp endpoints share: the OSC packets they take in and their sources.
struct NetworkSettings {
  // Endpoints that listen: accepted source addresses. Empty accepts every source.
  std::vector<Cidr> allow;
  std::size_t max_frame = kDefaultMaxFrame;       // larger datagrams/frames are dropped
  int max_bundle_depth = kDefaultMaxBundleDepth;  // deeper bundles are malformed
  bool operator==(const NetworkSettings&) const = default;
};

struct UdpSettings : NetworkSettings {
  std::optional<HostPort> listen;  // bind and receive here
  // Where routed messages go. Empty means only reply peers (if reply) get them.
  std::vector<HostPort> send;
  // With listen: also send routed messages to every peer heard from within reply_window,
  // from the listen port (X32-style mixers answer to the port they were addressed from).
  // `reply: true` is Reply::all, `reply: others` leaves out the peer a message came from.
  Reply reply = Reply::off;
  std::chrono::milliseconds reply_window = kDefaultReplyWindow;
  // How many reply peers are remembered. A new source takes a free place or that of a peer
  // silent for longer than reply_window, at a bounded rate; otherwise its datagram is still
  // routed but its source is not answered (counted as a refused reply peer).
  std::size_t reply_max_peers = kDefaultReplyMaxPeers;
  bool operator==(const UdpSettings&) const = default;
};

// Exactly one of listen (a server) and connect (a client, reconnecting with backoff).
struct TcpSettings : NetworkSettings {
  std::optional<HostPort> listen;
  std::optional<HostPort> connect;
  Framing framing = Framing::slip;
  std::size_t max_clients = kDefaultMaxClients;                    // listen: the next is closed
  std::size_t queue_limit = kDefaultQueueLimit;                    // output per connection
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;    // partial frame idle
  std::chrono::milliseconds reconnect_min = kDefaultReconnectMin;  // connect: first delay,
  std::chrono::milliseconds reconnect_max = kDefaultReconnectMax;  // doubling up to this
  bool operator==(const TcpSettings&) const = default;
};

// Which MIDI system a midi endpoint uses (RtMidi's API).
enum class MidiApi { alsa, jack };
inline constexpr std::chrono::milliseconds kDefaultMidiRescan{2000};

struct MidiSettings {
  // The system port(s) to use: a name, or an ECMAScript regular expression matched against
  // the whole port name. Empty only with virtual_port.
  std::string port;
  bool input = true;   // take MIDI in from the port (`input: false` turns it off)
  bool output = true;  // send MIDI out to the port
  MidiApi api = MidiApi::alsa;
  // `virtual: true`: create ports named after the endpoint for other software to connect to.
  bool virtual_port = false;
  // MSB controllers (0..31) whose CC NUM and NUM+32 pair into one 14-bit value, ascending.
  std::vector<int> cc14;
  bool nrpn = false;  // CC 99/98 and 101/100 select (N)RPN parameters for CC 6/38/96/97
  // How often a port that is missing (absent at start, or unplugged) is looked for.
  std::chrono::milliseconds rescan = kDefaultMidiRescan;
  bool operator==(const MidiSettings&) const = default;
};

// One piece of an address or string template: fixed text, or the text that the route's match
// pattern captured (captures are numbered from 1 in the order their wildcards appear).
struct TemplatePart {
  enum class Kind { text, capture };
  Kind kind = Kind::text;
  std::string text;         // Kind::text, braces already unescaped
  std::size_t capture = 0;  // Kind::capture, 1-based
  bool operator==(const TemplatePart&) const = default;
};

// `address: /track/{1}/volume` becomes {text "/track/", capture 1, text "/volume"}.
struct AddressTemplate {
  std::string source;  // as written, for logs
  std::vector<TemplatePart> parts;
  bool operator==(const AddressTemplate&) const = default;
};

// Types an argument template may produce; the value is the OSC type tag.
enum class ArgType : char {
  int32 = 'i',
  float32 = 'f',
  float64 = 'd',
  int64 = 'h',
  string = 's',
  true_value = 'T',
  false_value = 'F',
  nil = 'N',
};

// `$N` or `{ arg: N }`: the message's N-th argument, whatever its type, unchanged.
struct IncomingArg {
  std::size_t arg = 1;  // 1-based
  bool operator==(const IncomingArg&) const = default;
};

// `{ capture: N, type: T }`: the captured text converted to T (int32, float32, float64, int64
// or string). Text that does not convert means the route does not apply to that message.
struct CaptureArg {
  std::size_t capture = 1;  // 1-based
  ArgType type = ArgType::string;
  bool operator==(const CaptureArg&) const = default;
};

// A string built from text and captures: `"{1}"`, `"ch {1}"`. Always type s.
struct TextArg {
  std::vector<TemplatePart> parts;
  bool operator==(const TextArg&) const = default;
};

// A constant. integer holds int32/int64 values, real holds float32/float64, text holds string;
// true_value, false_value and nil carry no value.
struct LiteralArg {
  ArgType type = ArgType::nil;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text;
  bool operator==(const LiteralArg&) const = default;
};

// in_lo..in_hi maps linearly onto out_lo..out_hi (either range may be descending).
struct Scale {
  double in_lo = 0.0;
  double in_hi = 1.0;
  double out_lo = 0.0;
  double out_hi = 1.0;
  bool operator==(const Scale&) const = default;
};

// `{ arg: N, scale: [...], type: T, clamp: true }`: the N-th argument read as a number (i, f,
// d, h, or T/F as 1/0), scaled when scale is set, clamped to the output range when clamp is
// set, then converted to type (integers round to nearest). A non-numeric argument means the
// route does not apply to that message.
struct ConvertedArg {
  std::size_t arg = 1;  // 1-based
  std::optional<Scale> scale;
  ArgType type = ArgType::float32;  // int32, float32, float64, int64 or string
  bool clamp = false;
  bool operator==(const ConvertedArg&) const = default;
};

using ArgTemplate = std::variant<IncomingArg, CaptureArg, TextArg, LiteralArg, ConvertedArg>;

// A message written out in full in the file (keepalive, on_connect): `[/xremote]`,
// `[/subscribe, "/ch/01/mix/fader", 10]`. Arguments are int32 (a YAML integer), float32 (a
// number with a point) or string.
struct FixedMessage {
  std::string address;
  std::vector<LiteralArg> args;
  bool operator==(const FixedMessage&) const = default;
};

// `keepalive: { every: 9s, send: [ [/xremote] ] }`: send is sent every `every`.
struct Keepalive {
  std::chrono::milliseconds every{0};
  std::vector<FixedMessage> send;
  bool operator==(const Keepalive&) const = default;
};

// One entry of `endpoints:`. Each kind has its own settings type, so a kind cannot carry keys
// that mean nothing to it; the variant's alternatives are in Protocol's order.
struct Endpoint {
  std::string name;  // the key under `endpoints:`; unique
  std::variant<UdpSettings, TcpSettings, MidiSettings> kind;
  // A message arriving from this endpoint that equals one the daemon sent to it within this
  // window (and that did not come from that same peer) is its echo, dropped. 0 turns it off.
  std::chrono::milliseconds echo_window = kDefaultEchoWindow;
  // Sent on a timer to wherever the endpoint sends (an X32 forgets a client after 10 s).
  std::optional<Keepalive> keepalive{};
  // Sent to a peer when it comes: each TCP connection (accepted or made) as it comes up, and
  // each UDP reply peer the first time it is heard.
  std::vector<FixedMessage> on_connect{};
  // `schedule: true`: a bundle arriving here with a future timetag is held and routed when
  // due (daemon/scheduler.h), at most schedule_queue bundles at a time; a timetag more than
  // schedule_max ahead is routed at once (counted as schedule_too_far).
  bool schedule = false;
  std::size_t schedule_queue = kDefaultScheduleQueue;
  std::chrono::milliseconds schedule_max = kDefaultScheduleMax;
  // Loop detection (daemon/loop_guard.h): an address the daemon sent to this endpoint that
  // comes back from it this many times within a second is taken for a loop and dropped from
  // this endpoint until it calms down. 0 (`loop_guard: off`) turns it off.
  std::uint32_t loop_guard = kDefaultLoopGuard;
  // `state: true`: the last message of every address sent here (at most state_max addresses,
  // the least recently updated forgotten) is replayed to each peer as it comes, after
  // on_connect (daemon/state_store.h).
  bool state = false;
  std::size_t state_max = kDefaultStateMax;
  // `pace: HZ`: at most this many messages per second leave the endpoint (0: unpaced); up to
  // pace_queue messages wait their turn, more are dropped as pace_full (daemon/pacer.h).
  double pace = 0.0;
  std::size_t pace_queue = kDefaultPaceQueue;

  Protocol protocol() const { return static_cast<Protocol>(kind.index()); }
  const UdpSettings* udp() const { return std::get_if<UdpSettings>(&kind); }
  const TcpSettings* tcp() const { return std::get_if<TcpSettings>(&kind); }
  const MidiSettings* midi() const { return std::get_if<MidiSettings>(&kind); }
  // udp and tcp: their NetworkSettings; midi: nullptr.
  const NetworkSettings* network() const;
  // The address it listens on (udp, tcp server), if any.
  const std::optional<HostPort>& listen() const;
  // The largest OSC packet it takes or sends: max_frame, or kDefaultMaxFrame for midi.
  std::size_t max_frame() const;
  // How deep the bundles it takes may nest: max_bundle_depth, or the default for midi.
  int max_bundle_depth() const;

  bool operator==(const Endpoint&) const = default;
};

struct Route {
  std::string name;                              // "route N" (1-based position) when not written
  std::vector<std::string> from;                 // endpoint names; empty means every endpoint
  std::optional<std::string> match;              // OSC address pattern; empty means every message
  std::vector<std::string> to;                   // endpoint names; never empty
  std::optional<AddressTemplate> address;        // empty: address unchanged
  std::optional<std::vector<ArgTemplate>> args;  // empty: arguments unchanged
  // When the route matches a message (from and match fit, whether or not its templates then
  // apply), later routes do not see that message.
  bool final = false;
  // Flow control, per destination endpoint and output address (daemon/flow_stages.h).
  // rate: at most this many messages per second, the newest value winning; 0 = unlimited.
  double rate = 0.0;
  // deadband: drop a message whose numeric arguments all differ by less than this from the
  // last one sent (its other arguments equal).
  std::optional<double> deadband;
  // on_change: drop a message equal to the last one sent. Triggers (no arguments, or only
  // T F N I) always pass, under deadband too.
  bool on_change = false;
  bool operator==(const Route&) const = default;
};

// `control: PATH | off`: the daemon's control socket (docs/control.md).
struct ControlSettings {
  bool enabled = true;              // false: `control: off`
  std::optional<std::string> path;  // nullopt: the default location
  bool operator==(const ControlSettings&) const = default;
};

// `http: { listen: HOST:PORT, allow: [CIDR, ...], max_clients: N }`: the read-only web
// dashboard and HTTP API (docs/http.md). Off unless configured.
struct HttpSettings {
  bool enabled = false;
  HostPort listen{"127.0.0.1", 8080};  // an IP literal: the server binds it as written
  std::vector<Cidr> allow;             // empty: every client that reaches listen
  int max_clients = 16;                // connections served at once; more get 503
  bool operator==(const HttpSettings&) const = default;
};

struct Config {
  LogLevel log_level = LogLevel::info;
  ControlSettings control;
  HttpSettings http;
  std::vector<Endpoint> endpoints;  // in file order
  std::vector<Route> routes;        // in file order; every route that matches applies, up to
                                    // the first final one
  bool operator==(const Config&) const = default;
};

// The configuration used when no file is given: endpoint "input" (udp, listen 127.0.0.1:9000),
// endpoint "output" (udp, send 127.0.0.1:9001) and route "forward" from input to output;
// the HTTP dashboard on 127.0.0.1:8080.
Config default_config();

// One line such as "3 endpoints (2 udp, 1 tcp), 5 routes", for `oscbridge validate` and STATUS.
std::string summary(const Config& config);

std::string_view to_string(LogLevel level);
std::string_view to_string(MidiApi api);
std::string_view to_string(Protocol protocol);
std::string_view to_string(Framing framing);
// "1.2.3.4:80", "[::1]:80", "host.name:80": the form the file accepts.
std::string to_string(const HostPort& address);
// "192.168.1.0/24", "fd00::/8".
std::string to_string(const Cidr& cidr);

}  // namespace oscbridge::config
