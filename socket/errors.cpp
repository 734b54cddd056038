// The socket layer's error category: names and messages for Errc values.
#include "socket/errors.h"

namespace oscbridge::socket {

namespace {

class SocketCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "oscbridge.socket"; }

  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::peer_closed:
        return "disconnected";
      case Errc::queue_full:
        return "send queue full";
      case Errc::closed:
        return "socket is closed";
      case Errc::timed_out:
        return "timeout";
      case Errc::unresolved:
        return "cannot resolve";
      case Errc::cancelled:
        return "cancelled";
    }
    return "unknown socket error " + std::to_string(value);
  }

  // Lets callers compare with the portable conditions too (ec == std::errc::timed_out).
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<Errc>(value)) {
      case Errc::timed_out:
        return std::errc::timed_out;
      case Errc::cancelled:
        return std::errc::operation_canceled;
      default:
        return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& socket_category() {
  static const SocketCategory category;
  return category;
}

}  // namespace oscbridge::socket
