#include <sys/epoll.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/address.h"
#include "daemon/tcp_endpoints.h"

namespace oscbridge::daemon {

namespace {
// Bounds how long a connector thread can hold up shutdown.
constexpr int kConnectTimeoutMs = 3000;
}  // namespace

TcpClientEndpoint::TcpClientEndpoint(const config::Endpoint& settings, EndpointContext& context)
    : Endpoint(settings, context), backoff_(settings.reconnect_min) {}

TcpClientEndpoint::~TcpClientEndpoint() {
  *alive_ = false;  // a connect still in flight will find nobody to hand its client to
  if (retry_timer_ != 0) context_.loop.cancel(retry_timer_);
  if (watched_fd_ >= 0) context_.loop.unwatch(watched_fd_);
  if (connector_.joinable()) context_.reaper.adopt(std::move(connector_));
}

std::string TcpClientEndpoint::open() {
  spdlog::info("{}: connecting to tcp {} ({} framing)", name(),
               config::to_string(*settings_.connect), config::to_string(settings_.framing));
  start_connect();
  return {};
}

void TcpClientEndpoint::start_connect() {
  connecting_ = true;
  retry_timer_ = 0;
  std::string host = settings_.connect->host;
  std::uint16_t port = settings_.connect->port;
  socket::EventLoop& loop = context_.loop;
  std::weak_ptr<bool> alive = alive_;
  // create_client blocks up to its timeout, so it runs off the loop; its result comes back
  // through post(), and `alive` tells whether this endpoint still exists by then.
  // The previous attempt's thread posted its result as its last act, so this join is short.
  if (connector_.joinable()) connector_.join();
  connector_ = std::thread([this, host, port, &loop, alive] {
    auto result = socket::create_client(host, port, socket::Protocol::tcp, kConnectTimeoutMs);
    auto shared = std::make_shared<socket::ClientResult>(std::move(result));
    loop.post([this, alive, shared] {
      auto still_here = alive.lock();
      if (still_here && *still_here) on_connect_result(std::move(*shared));
    });
  });
}

void TcpClientEndpoint::on_connect_result(socket::ClientResult result) {
  connecting_ = false;
  if (!result.client) {
    spdlog::warn("{}: cannot connect to {}: {}; retrying in {} ms", name(),
                 config::to_string(*settings_.connect), result.error, backoff_.count());
    return schedule_reconnect();
  }
  client_ = std::move(result.client);
  backoff_ = settings_.reconnect_min;
  framer_ = std::make_unique<StreamFramer>(settings_.framing, settings_.max_frame);
  idle_ = std::make_unique<IdleGuard>(context_.loop, settings_.idle_timeout);
  out_.clear();
  out_start_ = 0;
  watched_fd_ = client_->native_handle();
  context_.loop.watch(watched_fd_, EPOLLIN | EPOLLRDHUP,
                      [this](std::uint32_t events) { on_ready(events); });
  spdlog::info("{}: connected to {} from {}:{}", name(), config::to_string(*settings_.connect),
               client_->local_address(), client_->local_port());
}

void TcpClientEndpoint::schedule_reconnect() {
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, settings_.reconnect_max);
  retry_timer_ = context_.loop.run_after(delay.count(), [this] { start_connect(); });
}

void TcpClientEndpoint::disconnect(const std::string& why) {
  if (watched_fd_ >= 0) context_.loop.unwatch(watched_fd_);
  watched_fd_ = -1;
  client_.reset();
  idle_.reset();
  // framer_ stays: disconnect() can run inside framer_->feed() (a routed packet came back to
  // this endpoint and its write failed); the next connection replaces it.
  if (!out_.empty()) {
    drop(DropReason::disconnected,
         std::to_string(out_.size() - out_start_) + " queued bytes lost with the connection");
  }
  out_.clear();
  out_start_ = 0;
  spdlog::warn("{}: disconnected from {} ({}); retrying in {} ms", name(),
               config::to_string(*settings_.connect), why, backoff_.count());
  schedule_reconnect();
}

void TcpClientEndpoint::on_ready(std::uint32_t events) {
  if (events & EPOLLOUT) {
    if (!flush()) return;
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
  auto [data, error] = client_->receive(socket::ReceiveMode::all(), 0);
  if (!data) {
    if (error != "timeout") disconnect(error);
    return;
  }
  bool usable = framer_->feed(
      *data, [&](std::string_view packet) { deliver(packet); },
      [&](DropReason reason, std::string_view detail) { drop(reason, detail); });
  if (!client_) return;  // a routed send found the connection broken
  if (!usable) return disconnect("stream framing lost");
  idle_->update(framer_->has_partial_frame(), [this] {
    disconnect("partial frame idle for " + std::to_string(settings_.idle_timeout.count()) + " ms");
  });
}

bool TcpClientEndpoint::flush() {
  while (out_start_ < out_.size()) {
    auto [written, error] = client_->write_some(std::string_view(out_).substr(out_start_));
    if (!error.empty()) {
      disconnect(error);
      return false;
    }
    if (written == 0) break;
    out_start_ += written;
  }
  if (out_start_ == out_.size()) {
    out_.clear();
    out_start_ = 0;
    context_.loop.modify(watched_fd_, EPOLLIN | EPOLLRDHUP);
  } else {
    context_.loop.modify(watched_fd_, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
  }
  return true;
}

void TcpClientEndpoint::send(std::string_view packet) {
  if (!client_) {
    return drop(DropReason::disconnected,
                connecting_ ? "still connecting" : "waiting to reconnect");
  }
  StreamFramer::encode(settings_.framing, packet, frame_buffer_);
  std::size_t queued = out_.size() - out_start_;
  if (queued > 0 && queued + frame_buffer_.size() > settings_.queue_limit) {
    return drop(DropReason::queue_full, "server is not reading");
  }
  out_.append(frame_buffer_);
  ++counters_.sent;
  if (queued == 0) flush();
}

}  // namespace oscbridge::daemon
