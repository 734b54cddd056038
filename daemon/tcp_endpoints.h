// TCP endpoints, framed with SLIP (OSC 1.1) or a length prefix (OSC 1.0):
//  - TcpServerEndpoint (`listen`): accepts up to max_clients from sources in `allow`; routed
//    packets go to every connected client, each with its own bounded output queue.
//  - TcpClientEndpoint (`connect`): keeps one connection to a server, made without blocking
//    the loop (socket::Connector: name on the Resolver, non-blocking connect); reconnects with
//    backoff; packets routed while disconnected are dropped and counted.
// Both are built on socket::Connection (bounded reads, one gathered write per loop round) and
// close a connection whose partial frame sits idle longer than idle_timeout.
// Loop thread only.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "daemon/endpoint.h"
#include "osc/length_prefix.h"
#include "osc/slip.h"
#include "socket/connection.h"
#include "socket/connector.h"

namespace oscbridge::daemon {

// Turns a TCP byte stream into packets for one connection, and packets into stream bytes.
class StreamFramer {
 public:
  StreamFramer(config::Framing framing, std::size_t max_frame);
  StreamFramer(const StreamFramer&) = delete;
  StreamFramer& operator=(const StreamFramer&) = delete;

  // Calls on_packet for each whole frame and on_drop(DropReason, detail) for each refused one.
  // Returns false when the stream cannot be decoded any further (close the connection).
  template <class OnPacket, class OnDrop>
  bool feed(std::string_view chunk, OnPacket&& on_packet, OnDrop&& on_drop);

  bool has_partial_frame() const;

  // too_large for a frame over max_frame (both deframers say "maximum frame size"), so the
  // counters point at the setting to raise; malformed for anything else.
  static DropReason drop_reason(const osc::Error& error);

  // Encodes packet as one frame into out (reused, so steady-state framing allocates nothing).
  static void encode(config::Framing framing, std::string_view packet, std::string& out);

 private:
  std::variant<osc::SlipDecoder, osc::LengthPrefixDecoder> decoder_;
};

// Closes a connection whose partial frame has seen no bytes for idle_timeout. Arms a loop
// timer only while a partial frame exists, so an idle daemon has no timer running.
class IdleGuard {
 public:
  IdleGuard(socket::EventLoop& loop, std::chrono::milliseconds timeout);
  ~IdleGuard();
  IdleGuard(const IdleGuard&) = delete;
  IdleGuard& operator=(const IdleGuard&) = delete;

  // After each chunk: whether a partial frame remains; on_expired runs if it goes stale.
  void update(bool partial_frame, std::function<void()> on_expired);
  void cancel();
  // A reload changed idle_timeout: a partial frame already waiting gets the new limit.
  void set_timeout(std::chrono::milliseconds timeout);

 private:
  void arm(std::chrono::milliseconds delay);

  socket::EventLoop& loop_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point last_activity_{};
  socket::EventLoop::TimerId timer_ = 0;
  std::function<void()> on_expired_;
};

// A stream speaks one framing from its first byte: changing framing or max_frame (or where a
// client connects) means new connections, so a reload reopens the endpoint rather than
// updating it in place.
bool same_stream_settings(const config::TcpSettings& current, const config::TcpSettings& next);

// How a TCP endpoint's connections read and queue. One 64 KiB read per connection per loop
// round: a connection with more pending is served again next round, after every other
// descriptor had its turn, so deframing a flood never holds routing up for long.
socket::ConnectionLimits stream_limits(const config::TcpSettings& settings);

// The messages in frames a connection has queued and not yet written, so that a connection
// closing with output pending counts the messages it loses rather than one drop for its bytes.
class PendingMessages {
 public:
  // A frame of frame_bytes carrying messages was queued; still_queued is the connection's
  // queued_bytes() after queueing it.
  void queued(std::size_t frame_bytes, std::size_t messages, std::size_t still_queued);
  // How many messages are in the still_queued bytes the connection never wrote.
  std::uint64_t unwritten(std::size_t still_queued);

 private:
  void forget_written(std::size_t still_queued);

  struct Frame {
    std::uint64_t end;  // queued_total_ after this frame
    std::size_t messages;
  };
  std::deque<Frame> frames_;
  std::uint64_t queued_total_ = 0;
};

// One TCP stream of either endpoint kind: the connection, its deframer and its idle guard.
struct TcpStream {
  TcpStream(std::unique_ptr<socket::Connection> connection_, const config::TcpSettings& settings,
            socket::EventLoop& loop)
      : connection(std::move(connection_)),
        framer(settings.framing, settings.max_frame),
        idle(loop, settings.idle_timeout),
        peer(connection->peer_text()) {}
  std::unique_ptr<socket::Connection> connection;
  StreamFramer framer;
  IdleGuard idle;
  std::string peer;
  PendingMessages pending;

  // Frames packet into frame_buffer and queues it; counts what happened on endpoint.
  // Returns whether the connection took it.
  bool send(Endpoint& endpoint, config::Framing framing, const OutgoingPacket& packet,
            std::string& frame_buffer);
  // Counts the messages still queued as dropped (disconnected) rather than sent, as the
  // connection closes.
  void count_lost(Endpoint& endpoint, std::string_view whose);
};

class TcpServerEndpoint final : public Endpoint {
 public:
  TcpServerEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~TcpServerEndpoint() override;

  std::string open() override;
  bool send(const OutgoingPacket& packet) override;
  EndpointState state() const override;
  void update_settings(const config::Endpoint& next) override;
  bool can_update_to(const config::Endpoint& next) const override;

  std::size_t client_count() const { return clients_.size(); }

 private:
  const config::TcpSettings& tcp() const { return *settings_.tcp(); }
  void on_accept(std::unique_ptr<socket::Connection> connection);
  void on_data(socket::ConnectionId id, std::string_view bytes);
  void close_client(socket::ConnectionId id, std::string_view why);

  std::unique_ptr<socket::Listener> listener_;
  std::unordered_map<socket::ConnectionId, std::unique_ptr<TcpStream>> clients_;
  std::string frame_buffer_;
};

class TcpClientEndpoint final : public Endpoint {
 public:
  TcpClientEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~TcpClientEndpoint() override;

  std::string open() override;
  bool send(const OutgoingPacket& packet) override;
  EndpointState state() const override;
  void update_settings(const config::Endpoint& next) override;
  bool can_update_to(const config::Endpoint& next) const override;

  bool connected() const { return stream_ != nullptr; }

 private:
  const config::TcpSettings& tcp() const { return *settings_.tcp(); }
  void start_connect();
  void on_connected(socket::Connector::Result result);
  void on_data(std::string_view bytes);
  void disconnect(std::string_view why);
  void schedule_reconnect();

  socket::Connector connector_;
  std::unique_ptr<TcpStream> stream_;
  std::string frame_buffer_;
  std::chrono::milliseconds backoff_;
  socket::EventLoop::TimerId retry_timer_ = 0;
  std::chrono::steady_clock::time_point retry_at_{};
  std::string last_error_;
  // The current run of failures (since a disconnect or the first failed attempt): how many
  // attempts failed, and when one was last logged as a warning (the rest go to debug).
  std::uint64_t failed_attempts_ = 0;
  std::chrono::steady_clock::time_point failing_since_{};
  std::chrono::steady_clock::time_point failure_logged_{};
};

template <class OnPacket, class OnDrop>
bool StreamFramer::feed(std::string_view chunk, OnPacket&& on_packet, OnDrop&& on_drop) {
  auto on_error = [&](const osc::Error& error) { on_drop(drop_reason(error), error.reason); };
  std::visit([&](auto& decoder) { decoder.feed(chunk, on_packet, on_error); }, decoder_);
  auto* length = std::get_if<osc::LengthPrefixDecoder>(&decoder_);
  return length == nullptr || !length->unusable();  // SLIP always resynchronises
}

}  // namespace oscbridge::daemon
