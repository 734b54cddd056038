// Typed errors of the socket layer. System failures are std::error_code values in
// std::system_category() (errno); the layer's own conditions are Errc values in
// socket_category(). Code compares codes, never message strings; message() is for people.
#pragma once

#include <string>
#include <system_error>

namespace oscbridge::socket {

enum class Errc {
  peer_closed = 1,  // the peer ended the stream
  queue_full,       // output beyond the connection's queue limit
  closed,           // the connection was already closed
  timed_out,        // a connect or a name lookup took longer than allowed
  unresolved,       // the name does not resolve (to an address of the wanted family)
  cancelled,        // the owner gave up the request
};

const std::error_category& socket_category();

inline std::error_code make_error_code(Errc code) {
  return {static_cast<int>(code), socket_category()};
}

inline std::error_code system_error_code(int error_number) {
  return {error_number, std::system_category()};
}

}  // namespace oscbridge::socket

template <>
struct std::is_error_code_enum<oscbridge::socket::Errc> : std::true_type {};
