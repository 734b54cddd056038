// What the TCP, reload and service end-to-end tests share beyond harness.h: OSC packets
// encoded and decoded by liblo (so the daemon's output is checked by code it shares nothing
// with), reference stream framings written out from the specifications, a TCP client of the
// daemon and a TCP server for the daemon to connect to (both from our socket layer, so the
// tests control every byte), and a systemd notification socket.
// Everything is owned by the test that makes it and used from the test's thread; StreamServer
// callbacks run on its own loop thread and share state with the test under a mutex.
#pragma once

#include <lo/lo.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "osc/length_prefix.h"
#include "osc/slip.h"
#include "socket/socket.h"
#include "tests/e2e/harness.h"

namespace oscbridge::e2e {

using Clock = std::chrono::steady_clock;

// The two stream framings of `framing:`.
enum class Framing { slip, length };

inline Clock::time_point deadline_after(int timeout_ms) {
  return Clock::now() + std::chrono::milliseconds(timeout_ms);
}

inline int ms_left(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Asks the daemon for its counters (SIGUSR1) until the `name` endpoint's line matches
// expected, or the timeout passes. Repeated because a signal and a datagram sent just before
// it may be handled in either order by the daemon's loop. Returns the last line seen.
inline std::string wait_counters(Daemon& daemon, const std::string& name,
                                 const std::string& expected, int timeout_ms = 5000) {
  auto deadline = deadline_after(timeout_ms);
  std::string line;
  while (ms_left(deadline) > 0) {
    daemon.signal(SIGUSR1);
    auto found = daemon.wait_log("endpoint " + name + ": ([^\n]*)", ms_left(deadline));
    if (!found) break;
    line = *found;
    if (std::regex_search(line, std::regex(expected))) break;
  }
  return line;
}

// An OSC message built with liblo: serialised for a stream, or sent over UDP.
class LoMessage {
 public:
  explicit LoMessage(std::string path) : path_(std::move(path)), message_(lo_message_new()) {}
  ~LoMessage() { lo_message_free(message_); }
  LoMessage(const LoMessage&) = delete;
  LoMessage& operator=(const LoMessage&) = delete;

  LoMessage& i(std::int32_t value) {
    lo_message_add_int32(message_, value);
    return *this;
  }
  LoMessage& f(float value) {
    lo_message_add_float(message_, value);
    return *this;
  }
  LoMessage& s(const std::string& value) {
    lo_message_add_string(message_, value.c_str());
    return *this;
  }

  std::string bytes() const {
    std::size_t size = 0;
    void* data = lo_message_serialise(message_, path_.c_str(), nullptr, &size);
    std::string packet(static_cast<const char*>(data), size);
    std::free(data);
    return packet;
  }

  // One datagram to 127.0.0.1:port; true when liblo handed it to the system.
  bool send_udp(std::uint16_t port) const {
    lo_address to = lo_address_new("127.0.0.1", std::to_string(port).c_str());
    int sent = lo_send_message(to, path_.c_str(), message_);
    lo_address_free(to);
    return sent > 0;
  }

 private:
  std::string path_;
  lo_message message_;
};

// An OSC packet as liblo reads it, in harness.h's Received form ("i:3", "f:0.5", "s:x");
// nullopt when liblo refuses the bytes.
inline std::optional<Received> lo_decode(std::string_view packet) {
  std::string copy(packet);  // liblo wants a mutable, aligned buffer
  int result = 0;
  lo_message message = lo_message_deserialise(copy.data(), copy.size(), &result);
  if (message == nullptr) return std::nullopt;
  Received decoded{lo_get_path(copy.data(), static_cast<ssize_t>(copy.size())),
                   lo_message_get_types(message),
                   {}};
  lo_arg** argv = lo_message_get_argv(message);
  for (int i = 0; i < lo_message_get_argc(message); ++i) {
    char type = decoded.types[static_cast<std::size_t>(i)];
    switch (type) {
      case 'i':
        decoded.args.push_back("i:" + std::to_string(lo_value<std::int32_t>(argv[i])));
        break;
      case 'f': {
        char text[32];
        std::snprintf(text, sizeof text, "f:%g", lo_value<float>(argv[i]));
        decoded.args.emplace_back(text);
        break;
      }
      case 's':
        decoded.args.push_back(std::string("s:") + reinterpret_cast<const char*>(argv[i]));
        break;
      default:
        decoded.args.emplace_back(1, type);
        break;
    }
  }
  lo_message_free(message);
  return decoded;
}

// RFC 1055 as OSC 1.1 sends it (END, escaped bytes, END), written out here rather than taken
// from osc/slip.h, so that the daemon's encoder is checked against the specification.
inline std::string reference_slip(std::string_view packet) {
  std::string out(1, osc::kSlipEnd);
  for (char byte : packet) {
    if (byte == osc::kSlipEnd) {
      out += {osc::kSlipEsc, osc::kSlipEscEnd};
    } else if (byte == osc::kSlipEsc) {
      out += {osc::kSlipEsc, osc::kSlipEscEsc};
    } else {
      out += byte;
    }
  }
  out += osc::kSlipEnd;
  return out;
}

// OSC 1.0 stream framing: a big-endian int32 size, then the packet.
inline std::string reference_length_frame(std::string_view packet) {
  auto size = static_cast<std::uint32_t>(packet.size());
  std::string out{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                  static_cast<char>(size >> 8), static_cast<char>(size)};
  out.append(packet);
  return out;
}

// A TCP client of the daemon (our socket layer): raw bytes in and out, and the frames they
// hold, split with the framing the test names.
class StreamPeer {
 public:
  StreamPeer(std::uint16_t port, Framing framing, const std::string& host = "127.0.0.1")
      : framing_(framing) {
    auto [client, error] = socket::create_client(host, port, socket::Protocol::tcp, 5000);
    client_ = std::move(client);
    error_ = error;
  }
  StreamPeer(const StreamPeer&) = delete;
  StreamPeer& operator=(const StreamPeer&) = delete;

  bool ok() const { return client_ != nullptr; }
  const std::string& error() const { return error_; }
  std::uint16_t local_port() const { return client_->local_port(); }
  // The daemon's log line for this client's arrival ("NAME: client 127.0.0.1:PORT connected").
  std::string connected_log(const std::string& endpoint) const {
    return endpoint + ": client 127\\.0\\.0\\.1:" + std::to_string(local_port()) + " connected";
  }
  std::string disconnected_log(const std::string& endpoint) const {
    return endpoint + ": client 127.0.0.1:" + std::to_string(local_port()) + " disconnected";
  }

  bool send(std::string_view bytes) { return client_->is_open() && client_->send(bytes).success; }

  // Waits until the daemon has sent `count` whole frames in total (all returned so far, in
  // order) or the timeout passed, or the connection ended.
  const std::vector<std::string>& wait_frames(std::size_t count, int timeout_ms = 5000) {
    auto deadline = deadline_after(timeout_ms);
    while (frames_.size() < count && read_some(deadline)) {
    }
    return frames_;
  }

  // Reads until the daemon closes the connection (true) or the timeout passes (false).
  bool wait_closed(int timeout_ms = 5000) {
    auto deadline = deadline_after(timeout_ms);
    while (read_some(deadline)) {
    }
    return closed_;
  }

  bool closed() const { return closed_; }
  const std::string& raw() const { return raw_; }
  const std::vector<std::string>& frames() const { return frames_; }

 private:
  // One receive; false once the deadline passed or the connection is gone.
  bool read_some(Clock::time_point deadline) {
    if (closed_ || !client_->is_open()) return false;
    int left = ms_left(deadline);
    if (left == 0) return false;
    auto [data, error] = client_->receive(socket::ReceiveMode::all(), left);
    if (!data) {
      if (error != "timeout") closed_ = true;
      return false;
    }
    raw_ += *data;
    auto on_frame = [&](std::string_view frame) { frames_.emplace_back(frame); };
    auto on_error = [&](const osc::Error& error) {
      ADD_FAILURE() << "the daemon sent a bad frame: " << error.reason;
    };
    if (framing_ == Framing::slip) {
      slip_.feed(*data, on_frame, on_error);
    } else {
      length_.feed(*data, on_frame, on_error);
    }
    return true;
  }

  Framing framing_;
  std::unique_ptr<socket::SocketClient> client_;
  std::string error_;
  std::string raw_;
  std::vector<std::string> frames_;
  osc::SlipDecoder slip_{osc::kMaxFrameSizeLimit};
  osc::LengthPrefixDecoder length_{osc::kMaxFrameSizeLimit};
  bool closed_ = false;
};

// The kernel's queues of one IPv4 TCP socket, from /proc/net/tcp: bytes sent and not yet
// acknowledged by the peer (tx), and bytes received and not yet read by the program (rx).
struct TcpQueues {
  std::uint32_t tx = 0;
  std::uint32_t rx = 0;
};

// The queues of the IPv4 socket connected from local_port to remote_port (both on
// loopback), whichever process owns it; nullopt when there is no such connection.
inline std::optional<TcpQueues> tcp_queues(std::uint16_t local_port, std::uint16_t remote_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    unsigned local_address = 0, local = 0, remote_address = 0, remote = 0, state = 0, tx = 0,
             rx = 0;
    if (std::sscanf(line.c_str(), " %*d: %8X:%4X %8X:%4X %2X %8X:%8X", &local_address, &local,
                    &remote_address, &remote, &state, &tx, &rx) != 7) {
      continue;
    }
    if (local == local_port && remote == remote_port && state == 1 /* ESTABLISHED */) {
      return TcpQueues{tx, rx};
    }
  }
  return std::nullopt;
}

// Waits until every byte a client on client_port sent to server_port has been read by the
// program that owns the server's end: first acknowledged (so it is in the server socket's
// receive queue), then gone from that queue. This is the observable point between two
// writes that makes them two reads for the daemon, however loaded the machine is.
inline bool wait_read_by_peer(std::uint16_t client_port, std::uint16_t server_port,
                              int timeout_ms = 10000) {
  auto deadline = deadline_after(timeout_ms);
  auto until = [&](auto done) {
    for (;;) {
      if (done()) return true;
      if (ms_left(deadline) == 0) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  // A connection that is gone (or closing) never gets there: false at once.
  bool gone = false;
  return until([&] {
           auto client = tcp_queues(client_port, server_port);
           gone = !client;
           return gone || client->tx == 0;
         }) &&
         !gone && until([&] {
           auto server = tcp_queues(server_port, client_port);
           gone = !server;
           return gone || server->rx == 0;
         }) &&
         !gone;
}

// A SLIP-framed TCP server for a daemon `connect:` endpoint to reach (our socket layer,
// serving on its own loop thread). Records the frames of every connection in arrival order.
class StreamServer {
 public:
  explicit StreamServer(std::uint16_t port) {
    auto [server, error] = socket::create_server("127.0.0.1", port, socket::Protocol::tcp);
    server_ = std::move(server);
    error_ = error;
    if (!server_) return;
    socket::NotifierTable table;
    table.socket_accepted = [this](socket::SocketClient& client) {
      std::lock_guard lock(mutex_);
      connection_ = &client;
      changed_.notify_all();
    };
    table.socket_message = [this](socket::SocketClient&, std::string_view bytes) {
      std::lock_guard lock(mutex_);
      decoder_.feed(
          bytes, [&](std::string_view frame) { frames_.emplace_back(frame); },
          [&](const osc::Error& error) { bad_frames_.emplace_back(error.reason); });
      changed_.notify_all();
    };
    table.socket_closed = [this](socket::SocketClient& client) {
      std::lock_guard lock(mutex_);
      if (connection_ == &client) connection_ = nullptr;
      changed_.notify_all();
    };
    server_->run(std::move(table));
  }
  ~StreamServer() { close(); }
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  bool ok() const { return server_ != nullptr; }
  const std::string& error() const { return error_; }

  // Closes the listening socket and every connection, as a server process that exits would.
  void close() {
    if (server_) server_->close();
    std::lock_guard lock(mutex_);
    connection_ = nullptr;
  }

  bool wait_connected(int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return connection_ != nullptr; });
  }

  std::vector<std::string> wait_frames(std::size_t count, int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return frames_.size() >= count; });
    return frames_;
  }

  std::vector<std::string> bad_frames() {
    std::lock_guard lock(mutex_);
    return bad_frames_;
  }

  // Sends bytes on the current connection (send() is safe from any thread on a server's
  // connection); false when there is none or it failed.
  bool send(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    return connection_ != nullptr && connection_->send(bytes).success;
  }

 private:
  std::string error_;
  std::mutex mutex_;
  std::condition_variable changed_;
  socket::SocketClient* connection_ = nullptr;
  osc::SlipDecoder decoder_{osc::kMaxFrameSizeLimit};
  std::vector<std::string> frames_;
  std::vector<std::string> bad_frames_;
  // Last, so it is destroyed first: its callbacks use the members above.
  std::unique_ptr<socket::SocketServer> server_;
};

// The socket systemd passes as NOTIFY_SOCKET: an AF_UNIX datagram socket at a path.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // The next datagram, or nullopt after timeout_ms.
  std::optional<std::string> next(int timeout_ms) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, timeout_ms) <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
    if (size < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(size));
  }

  // The next datagram that is not a watchdog ping (those come whenever their timer fires),
  // counting the pings skipped on the way.
  std::optional<std::string> next_state(int timeout_ms, int* pings = nullptr) {
    auto deadline = deadline_after(timeout_ms);
    for (;;) {
      auto message = next(ms_left(deadline));
      if (!message || *message != "WATCHDOG=1") return message;
      if (pings != nullptr) ++*pings;
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// "LINE:COL" (1-based) where needle starts in text, so a test checks an error's FILE:LINE:COL
// against the YAML it wrote rather than against numbers copied by hand.
inline std::string position_of(const std::string& text, const std::string& needle) {
  auto at = text.find(needle);
  if (at == std::string::npos) return "?:?";
  auto line_start = text.rfind('\n', at);
  auto column = line_start == std::string::npos ? at + 1 : at - line_start;
  auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  return std::to_string(line) + ":" + std::to_string(column);
}

inline std::string regex_escape(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

}  // namespace oscbridge::e2e
