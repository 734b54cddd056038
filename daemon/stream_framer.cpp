#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/tcp_endpoints.h"

namespace oscbridge::daemon {

namespace {
std::variant<osc::SlipDecoder, osc::LengthPrefixDecoder> make_decoder(config::Framing framing,
                                                                      std::size_t max_frame) {
  if (framing == config::Framing::slip) {
    return std::variant<osc::SlipDecoder, osc::LengthPrefixDecoder>(
        std::in_place_type<osc::SlipDecoder>, max_frame);
  }
  return std::variant<osc::SlipDecoder, osc::LengthPrefixDecoder>(
      std::in_place_type<osc::LengthPrefixDecoder>, max_frame);
}
}  // namespace

StreamFramer::StreamFramer(config::Framing framing, std::size_t max_frame)
    : decoder_(make_decoder(framing, max_frame)) {}

socket::ConnectionLimits stream_limits(const config::TcpSettings& settings) {
  socket::ConnectionLimits limits;
  limits.read_chunk = 64 * 1024;
  limits.reads_per_wakeup = 1;
  limits.queue_limit = settings.queue_limit;
  return limits;
}

bool same_stream_settings(const config::TcpSettings& current, const config::TcpSettings& next) {
  return current.framing == next.framing && current.max_frame == next.max_frame &&
         current.connect == next.connect;
}

void PendingMessages::queued(std::size_t frame_bytes, std::size_t messages,
                             std::size_t still_queued) {
  queued_total_ += frame_bytes;
  forget_written(still_queued);
  frames_.push_back(Frame{queued_total_, messages});
}

std::uint64_t PendingMessages::unwritten(std::size_t still_queued) {
  forget_written(still_queued);
  std::uint64_t messages = 0;
  for (const Frame& frame : frames_) messages += frame.messages;
  return messages;
}

void PendingMessages::forget_written(std::size_t still_queued) {
  const std::uint64_t written = queued_total_ - still_queued;
  while (!frames_.empty() && frames_.front().end <= written) frames_.pop_front();
}

bool TcpStream::send(Endpoint& endpoint, config::Framing framing, const OutgoingPacket& packet,
                     std::string& frame_buffer) {
  StreamFramer::encode(framing, packet.bytes, frame_buffer);
  auto error = connection->send(frame_buffer);
  if (!error) {
    pending.queued(frame_buffer.size(), packet.messages, connection->queued_bytes());
    endpoint.counters().sent += packet.messages;
    return true;
  }
  if (error == socket::Errc::queue_full) {
    endpoint.drop(DropReason::queue_full, packet.messages, peer + " is not reading");
  } else {
    endpoint.drop(DropReason::send_failed, packet.messages, peer + ": " + error.message());
  }
  return false;
}

void TcpStream::count_lost(Endpoint& endpoint, std::string_view whose) {
  const std::size_t bytes = connection->queued_bytes();
  if (bytes == 0) return;
  // They were counted as sent when queued; they never left.
  const std::uint64_t lost = pending.unwritten(bytes);
  endpoint.counters().sent -= std::min(lost, endpoint.counters().sent);
  endpoint.drop(DropReason::disconnected, lost,
                std::to_string(lost) + " queued messages (" + std::to_string(bytes) +
                    " bytes) lost with " + std::string(whose));
}

bool StreamFramer::has_partial_frame() const {
  return std::visit([](const auto& decoder) { return decoder.has_partial_frame(); }, decoder_);
}

DropReason StreamFramer::drop_reason(const osc::Error& error) {
  return error.reason.find("maximum frame size") != std::string_view::npos ? DropReason::too_large
                                                                           : DropReason::malformed;
}

void StreamFramer::encode(config::Framing framing, std::string_view packet, std::string& out) {
  if (framing == config::Framing::length) {
    auto header = osc::length_prefix_header(static_cast<std::uint32_t>(packet.size()));
    out.assign(header.data(), header.size());
    out.append(packet);
    return;
  }
  out.resize(osc::slip_max_encoded_size(packet.size()));
  auto size = osc::slip_encode(packet, std::span<char>(out.data(), out.size()));
  out.resize(size ? *size : 0);
}

IdleGuard::IdleGuard(socket::EventLoop& loop, std::chrono::milliseconds timeout)
    : loop_(loop), timeout_(timeout) {}

IdleGuard::~IdleGuard() {
  cancel();
}

void IdleGuard::cancel() {
  if (timer_ != 0) loop_.cancel(timer_);
  timer_ = 0;
}

void IdleGuard::set_timeout(std::chrono::milliseconds timeout) {
  timeout_ = timeout;
  // The armed timer re-checks against timeout_ when it fires; a shorter limit fires sooner.
  if (timer_ != 0) {
    cancel();
    auto idle = std::chrono::steady_clock::now() - last_activity_;
    arm(idle >= timeout_ ? std::chrono::milliseconds(0)
                         : std::chrono::ceil<std::chrono::milliseconds>(timeout_ - idle));
  }
}

void IdleGuard::update(bool partial_frame, std::function<void()> on_expired) {
  last_activity_ = std::chrono::steady_clock::now();
  if (!partial_frame) return cancel();
  on_expired_ = std::move(on_expired);
  if (timer_ == 0) arm(timeout_);
}

void IdleGuard::arm(std::chrono::milliseconds delay) {
  timer_ = loop_.run_after(delay, [this] {
    timer_ = 0;
    auto idle = std::chrono::steady_clock::now() - last_activity_;
    if (idle >= timeout_) {
      // Held locally: the callback usually destroys this guard along with its connection.
      auto expired = std::move(on_expired_);
      if (expired) expired();
      return;
    }
    arm(std::chrono::ceil<std::chrono::milliseconds>(timeout_ - idle));
  });
}

}  // namespace oscbridge::daemon
