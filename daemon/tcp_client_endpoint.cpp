#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/address.h"
#include "daemon/tcp_endpoints.h"
#include "socket/resolve.h"

namespace oscbridge::daemon {

namespace {
// One attempt (name lookup and connect) gives up after this; then the backoff applies.
constexpr auto kConnectTimeout = std::chrono::seconds(5);
// A server that stays away is a warning when it starts failing and then once this often;
// every attempt is still logged at debug.
constexpr auto kFailureLogInterval = std::chrono::seconds(60);
}  // namespace

TcpClientEndpoint::TcpClientEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context),
      connector_(context.loop, context.resolver),
      backoff_(settings.tcp()->reconnect_min) {}

TcpClientEndpoint::~TcpClientEndpoint() {
  if (retry_timer_ != 0) context_.loop.cancel(retry_timer_);
}

std::string TcpClientEndpoint::open() {
  spdlog::info("{}: connecting to tcp {} ({} framing)", name(), config::to_string(*tcp().connect),
               config::to_string(tcp().framing));
  start_connect();
  return {};
}

bool TcpClientEndpoint::can_update_to(const config::Endpoint& next) const {
  return Endpoint::can_update_to(next) && same_stream_settings(tcp(), *next.tcp());
}

void TcpClientEndpoint::update_settings(const config::Endpoint& next) {
  Endpoint::update_settings(next);
  backoff_ = std::clamp(backoff_, tcp().reconnect_min, tcp().reconnect_max);
  if (!stream_) return;
  stream_->connection->set_queue_limit(tcp().queue_limit);
  stream_->idle.set_timeout(tcp().idle_timeout);
}

void TcpClientEndpoint::start_connect() {
  retry_timer_ = 0;
  socket::Connection::Handlers handlers;
  handlers.on_data = [this](socket::Connection&, std::string_view bytes) { on_data(bytes); };
  handlers.on_close = [this](socket::Connection&, std::error_code error) {
    disconnect(error == socket::Errc::peer_closed ? "closed by the server" : error.message());
  };
  connector_.connect(tcp().connect->host, tcp().connect->port, kConnectTimeout,
                     stream_limits(tcp()), std::move(handlers),
                     [this](socket::Connector::Result result) { on_connected(std::move(result)); });
}

void TcpClientEndpoint::on_connected(socket::Connector::Result result) {
  if (!result.connection) {
    last_error_ = result.message;
    ++failed_attempts_;
    auto now = std::chrono::steady_clock::now();
    // The message names the target: "cannot connect to mixer:3032: Connection refused".
    if (failing_since_ == std::chrono::steady_clock::time_point{}) {
      failing_since_ = failure_logged_ = now;
      spdlog::warn("{}: {}; retrying in {} ms", name(), result.message, backoff_.count());
    } else if (now - failure_logged_ >= kFailureLogInterval) {
      failure_logged_ = now;
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - failing_since_);
      spdlog::warn("{}: {}; still failing, {} attempts in {} s; retrying in {} ms", name(),
                   result.message, failed_attempts_, seconds.count(), backoff_.count());
    } else {
      spdlog::debug("{}: {}; retrying in {} ms", name(), result.message, backoff_.count());
    }
    return schedule_reconnect();
  }
  last_error_.clear();
  backoff_ = tcp().reconnect_min;
  stream_ = std::make_unique<TcpStream>(std::move(result.connection), tcp(), context_.loop);
  // A name is logged with the address it resolved to: "mixer:3032 (192.168.1.20:3032)".
  std::string target = config::to_string(*tcp().connect);
  if (!socket::is_literal_address(tcp().connect->host)) target += " (" + stream_->peer + ")";
  std::string recovered =
      failed_attempts_ > 0 ? " after " + std::to_string(failed_attempts_) + " failed attempts" : "";
  spdlog::info("{}: connected to {} from {}{}", name(), target,
               socket::format_address(stream_->connection->local()), recovered);
  failed_attempts_ = 0;
  failing_since_ = {};
  welcome([&](std::string_view packet) {
    stream_->send(*this, tcp().framing, OutgoingPacket{packet, 1, nullptr}, frame_buffer_);
  });
}

void TcpClientEndpoint::schedule_reconnect() {
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, tcp().reconnect_max);
  retry_at_ = std::chrono::steady_clock::now() + delay;
  retry_timer_ = context_.loop.run_after(delay, [this] { start_connect(); });
}

void TcpClientEndpoint::disconnect(std::string_view why) {
  if (!stream_) return;
  stream_->count_lost(*this, "the connection");
  // Destroyed last: disconnect() may run inside the connection's own callback.
  auto gone = std::move(stream_);
  last_error_ = std::string(why);
  // The start of a run of failures: the attempts that follow it warn only once a minute.
  failing_since_ = failure_logged_ = std::chrono::steady_clock::now();
  spdlog::warn("{}: disconnected from {} ({}); retrying in {} ms", name(),
               config::to_string(*tcp().connect), why, backoff_.count());
  schedule_reconnect();
}

void TcpClientEndpoint::on_data(std::string_view bytes) {
  TcpStream& stream = *stream_;
  bool usable = stream.framer.feed(
      bytes, [&](std::string_view packet) { deliver(packet, &stream.connection->peer()); },
      [&](DropReason reason, std::string_view detail) { drop_incoming(reason, detail); });
  if (!usable) return disconnect("stream framing lost");
  stream.idle.update(stream.framer.has_partial_frame(), [this] {
    disconnect("partial frame idle for " + std::to_string(tcp().idle_timeout.count()) + " ms");
  });
}

bool TcpClientEndpoint::send(const OutgoingPacket& packet) {
  if (!stream_) {
    drop(DropReason::disconnected, packet.messages,
         connector_.in_progress() ? "still connecting" : "waiting to reconnect");
    return false;
  }
  return stream_->send(*this, tcp().framing, packet, frame_buffer_);
}

EndpointState TcpClientEndpoint::state() const {
  EndpointState state;
  std::string target = "tcp " + config::to_string(*tcp().connect);
  if (stream_) {
    state.word = "connected";
    state.summary = "connected to " + target;
    state.peers.push_back(stream_->peer);
  } else if (connector_.in_progress()) {
    state.word = "connecting";
    state.summary = "connecting to " + target;
  } else {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        retry_at_ - std::chrono::steady_clock::now());
    state.word = "reconnecting";
    state.next_attempt = retry_at_;
    state.summary = "reconnecting to " + target + " in " +
                    std::to_string(std::max<std::int64_t>(0, wait.count())) + " ms (" +
                    last_error_ + ")";
  }
  return state;
}

}  // namespace oscbridge::daemon
