// TCP endpoints, framed with SLIP (OSC 1.1) or a length prefix (OSC 1.0):
//  - TcpServerEndpoint (`listen`): accepts up to max_clients; routed packets go to every
//    connected client, each with its own bounded output queue (in the socket layer).
//  - TcpClientEndpoint (`connect`): keeps one connection to a server, made by a connector
//    thread with create_client (a new SocketClient each time) and handed to the loop;
//    reconnects with backoff; packets routed while disconnected are dropped and counted.
// Both close a connection whose partial frame sits idle longer than idle_timeout.
// Loop thread only, apart from the connector thread, which touches nothing but its result.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "daemon/endpoint.h"
#include "osc/length_prefix.h"
#include "osc/slip.h"
#include "socket/socket.h"

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

 private:
  void arm(std::chrono::milliseconds delay);

  socket::EventLoop& loop_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point last_activity_{};
  socket::EventLoop::TimerId timer_ = 0;
  std::function<void()> on_expired_;
};

class TcpServerEndpoint final : public Endpoint {
 public:
  TcpServerEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~TcpServerEndpoint() override;

  std::string open() override;
  void send(std::string_view packet) override;

  std::size_t client_count() const { return connections_.size(); }

 private:
  struct Connection {
    Connection(const config::Endpoint& settings, socket::EventLoop& loop)
        : framer(settings.framing, settings.max_frame), idle(loop, settings.idle_timeout) {}
    StreamFramer framer;
    IdleGuard idle;
  };

  void on_accepted(socket::SocketClient& client);
  void on_bytes(socket::SocketClient& client, std::string_view bytes);
  void on_closed(socket::SocketClient& client);

  std::unique_ptr<socket::SocketServer> server_;
  std::unordered_map<socket::SocketClient*, std::unique_ptr<Connection>> connections_;
  std::string frame_buffer_;
};

class TcpClientEndpoint final : public Endpoint {
 public:
  TcpClientEndpoint(const config::Endpoint& settings, EndpointContext& context);
  ~TcpClientEndpoint() override;

  std::string open() override;
  void send(std::string_view packet) override;

  bool connected() const { return client_ != nullptr; }

 private:
  void start_connect();
  void on_connect_result(socket::ClientResult result);
  void on_ready(std::uint32_t events);
  void disconnect(const std::string& why);
  void schedule_reconnect();
  bool flush();

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // loop thread only
  std::thread connector_;
  std::unique_ptr<socket::SocketClient> client_;
  int watched_fd_ = -1;
  std::unique_ptr<StreamFramer> framer_;
  std::unique_ptr<IdleGuard> idle_;
  std::string out_;  // framed bytes the kernel has not taken yet
  std::size_t out_start_ = 0;
  std::string frame_buffer_;
  std::chrono::milliseconds backoff_;
  socket::EventLoop::TimerId retry_timer_ = 0;
  bool connecting_ = false;
};

template <class OnPacket, class OnDrop>
bool StreamFramer::feed(std::string_view chunk, OnPacket&& on_packet, OnDrop&& on_drop) {
  auto on_error = [&](const osc::Error& error) { on_drop(drop_reason(error), error.reason); };
  std::visit([&](auto& decoder) { decoder.feed(chunk, on_packet, on_error); }, decoder_);
  auto* length = std::get_if<osc::LengthPrefixDecoder>(&decoder_);
  return length == nullptr || !length->unusable();  // SLIP always resynchronises
}

}  // namespace oscbridge::daemon
