// An endpoint is one named entry of `endpoints:`: the sockets (or ports) behind it, its
// counters, and the two directions of traffic. Whatever arrives is handed, one OSC packet at a
// time and with its Origin, to the context's on_packet (the router); whatever is routed to it
// comes in through output() and then send(), one complete OSC packet (a message, or a bundle of
// messages routed together) that knows where its messages came from and how many it carries.
// Nothing here is UDP- or TCP-shaped: each kind (udp_endpoint.h, tcp_endpoints.h, later MIDI)
// reads its own settings and keeps its own connections.
//
// Ownership and threading: the Runtime owns every Endpoint and keeps it across reloads while
// its socket settings are unchanged (then update_settings() applies the rest in place).
// Everything runs on the daemon's EventLoop thread; other threads reach an endpoint only
// through the loop (a BoundedQueue or post()).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "daemon/counters.h"
#include "socket/event_loop.h"
#include "socket/resolver.h"

namespace oscbridge::daemon {

class Endpoint;
class Scheduler;
class StateStore;   // daemon/state_store.h
class PacedOutput;  // daemon/pacer.h

// Where a packet came from: the endpoint, and the peer that sent it (a UDP source, a TCP
// client or server). A value, so that a stage holding a message can keep its origin too.
struct Origin {
  Endpoint* endpoint = nullptr;
  sockaddr_storage peer{};  // ss_family AF_UNSPEC: no peer address (not a network endpoint)
};

// One complete OSC packet for an endpoint to send. Every message in it has the same origin.
struct OutgoingPacket {
  std::string_view bytes;
  std::size_t messages = 1;        // 1, or the number of messages in a bundle (for counters)
  const Origin* origin = nullptr;  // null when the packet did not come from an endpoint
};

struct EndpointContext {
  socket::EventLoop& loop;
  socket::Resolver& resolver;
  // A packet (datagram or deframed TCP frame) arrived on the endpoint.
  std::function<void(const Origin& origin, std::string_view packet)> on_packet;
};

// What an endpoint is doing right now, for status and logs.
struct EndpointState {
  std::string summary;             // "listening on udp 127.0.0.1:9000", "reconnecting in 400 ms"
  std::vector<std::string> peers;  // connected clients or reply peers, "1.2.3.4:5678"
  // One word for scripts and the status table: listening, sending, connected, connecting,
  // reconnecting, unresolved (a send host not resolved yet), port_missing (MIDI).
  std::string word = {};
  // reconnecting: when the next attempt is due.
  std::optional<std::chrono::steady_clock::time_point> next_attempt = {};
};

class Endpoint {
 public:
  Endpoint(const config::Endpoint& settings, EndpointContext& context);
  virtual ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Binds, listens or starts connecting. Returns "" or what went wrong; on failure nothing
  // stays open. Never blocks: names resolve and connections complete later, on the loop.
  virtual std::string open() = 0;
  // Sends one complete OSC packet to wherever this endpoint sends. Counts `sent` once per
  // message per receiver, or the drops (once per message) where it cannot. Returns whether
  // any receiver took it (queued for sending): a route counts it as sent only then.
  virtual bool send(const OutgoingPacket& packet) = 0;
  virtual EndpointState state() const = 0;

  // Whether next can be served by this endpoint's open sockets (same kind and the same
  // listen address; kinds add their own conditions), so a reload may keep it and call
  // update_settings().
  virtual bool can_update_to(const config::Endpoint& next) const;
  // Applies settings that need no new socket (send destinations, allow, limits, timeouts...)
  // without dropping connections. Only called when can_update_to(next).
  virtual void update_settings(const config::Endpoint& next);

  const config::Endpoint& settings() const { return settings_; }
  const std::string& name() const { return settings_.name; }
  EndpointCounters& counters() { return counters_; }
  const EndpointCounters& counters() const { return counters_; }

  // Counts dropped messages and logs them, at most once per reason every few seconds, so a
  // flood cannot flood the log too: the first drop after a quiet spell at once, the rest of
  // a burst as one summary ("dropped N messages (REASON) in the last 5 s; latest: DETAIL")
  // from a timer when the interval ends. The timer is armed only while drops wait to be
  // told, and cancelled with the endpoint.
  void drop(DropReason reason, std::string_view detail) { drop(reason, 1, detail); }
  void drop(DropReason reason, std::uint64_t messages, std::string_view detail);
  // A packet that arrived and was refused before routing (malformed, too_large, acl): it
  // counts as one message received and one dropped.
  void drop_incoming(DropReason reason, std::string_view detail) {
    ++counters_.received;
    drop(reason, 1, detail);
  }
  // A connection refused as it was accepted (acl, max_clients): counted as a drop of that
  // reason and logged like drop(), but as "refused client PEER: WHY (REASON)".
  void refuse_client(DropReason reason, std::string_view peer, std::string_view why);
  // Why the latest drop happened: a route whose message send() refused counts that reason.
  DropReason last_drop_reason() const { return last_drop_reason_; }

  // Position in the current configuration; the router indexes endpoints by it.
  std::size_t index = 0;

  // `on_connect`, encoded: what a kind sends to each peer as it comes (a TCP connection up, in
  // either direction; a UDP reply peer heard for the first time).
  const std::vector<std::string>& greeting() const { return greeting_; }

  // `schedule: true`: where this endpoint's future bundles wait (scheduler.h). Made at the
  // first call and kept as long as the endpoint, so held bundles survive a reload that keeps it
  // (a new schedule_queue applies as the new bound).
  Scheduler& scheduler();
  // State for late joiners and send pacing (`state`, `pace`). What the router and the
  // keepalive timer send goes through output(): a routed packet's messages are kept as the
  // endpoint's state (state: true), then the packet is paced (pace: HZ) or sent at once.
  // Returns what send() returns, or true when the packet waits its turn.
  enum class Output { routed, own };  // own: keepalive, never kept as state
  bool output(const OutgoingPacket& packet, Output kind = Output::routed);
  // What a kind sends to a peer as it comes (a TCP connection up, a UDP reply peer heard for
  // the first time): the on_connect messages, then the kept state, least recently updated
  // first, one message per call of send_one.
  void welcome(const std::function<void(std::string_view packet)>& send_one);
  const StateStore* state_store() const { return state_.get(); }
  const PacedOutput* paced() const { return paced_.get(); }

 protected:
  // peer: where the packet came from, or nullptr when that has no address.
  void deliver(std::string_view packet, const sockaddr_storage* peer);

  config::Endpoint settings_;
  EndpointContext& context_;
  EndpointCounters counters_;

 private:
  enum class DropKind { message, client };
  struct DropLog {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t unlogged = 0;
    DropKind kind = DropKind::message;  // of the latest unlogged drop
    std::string latest;                 // its detail (reused, so a flood allocates nothing)
    socket::EventLoop::TimerId summary_timer = 0;
  };
  void record_drop(DropReason reason, DropKind kind, std::uint64_t messages,
                   std::string_view detail);
  void log_drops(DropReason reason);

  std::array<DropLog, kDropReasonCount> drop_logs_{};
  DropReason last_drop_reason_ = DropReason::send_failed;
  std::vector<std::string> greeting_;
  std::unique_ptr<Scheduler> scheduler_;

  void apply_state_and_pace(const config::Endpoint& previous);
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<PacedOutput> paced_;
  bool state_full_logged_ = false;
};

// The endpoint kind the settings ask for, not yet opened. Returns nullptr and sets error for
// a kind this build cannot serve.
std::unique_ptr<Endpoint> make_endpoint(const config::Endpoint& settings, EndpointContext& context,
                                        std::string& error);

// Whether a source address passes an `allow` list (empty: every source).
bool allowed_source(const std::vector<config::Cidr>& allow, const sockaddr_storage& source);

}  // namespace oscbridge::daemon
