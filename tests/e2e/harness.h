// What end-to-end tests share: free loopback ports, the real oscbridge binary started on a
// generated YAML file (and reloaded, signalled, stopped), and a liblo server as a real peer
// that records what it receives. Everything is owned by the test that makes it.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.h"

namespace oscbridge::e2e {

// A port for the daemon to bind, free on 127.0.0.1 (or ::1) for UDP and TCP. Taken from
// below the kernel's ephemeral range (32768 and up), so no socket bound to port 0 meanwhile can
// be handed it, and reserved with a lock file held until this test process exits, so tests
// running in parallel never pick the same one.
inline std::uint16_t free_port(int type = SOCK_DGRAM, int family = AF_INET) {
  (void)type;  // checked for both protocols
  constexpr int kFirst = 20000;
  constexpr int kCount = 12000;
  static int next = kFirst + static_cast<int>(::getpid() * 7919L % kCount);
  std::filesystem::create_directories("/tmp/oscbridge-test-ports");
  auto bindable = [&](int socket_type, std::uint16_t port) {
    int fd = ::socket(family, socket_type | SOCK_CLOEXEC, 0);
    sockaddr_storage address{};
    socklen_t length;
    if (family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      v6->sin6_port = htons(port);
      length = sizeof *v6;
    } else {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      v4->sin_port = htons(port);
      length = sizeof *v4;
    }
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0;
    ::close(fd);
    return ok;
  };
  for (int tries = 0; tries < kCount; ++tries) {
    auto port = static_cast<std::uint16_t>(next);
    next = next + 1 < kFirst + kCount ? next + 1 : kFirst;
    std::string lock_path = "/tmp/oscbridge-test-ports/" + std::to_string(port);
    int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0) continue;
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0 || !bindable(SOCK_DGRAM, port) ||
        !bindable(SOCK_STREAM, port)) {
      ::close(lock);
      continue;
    }
    return port;  // the lock stays held (its descriptor open) until the process exits
  }
  ADD_FAILURE() << "no free port between " << kFirst << " and " << kFirst + kCount;
  return 0;
}

// A temporary directory removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/oscbridge-e2e-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// The real daemon: `oscbridge run -c <dir>/oscbridge.yaml`, with its log captured.
class Daemon {
 public:
  // wrapper, when given, runs the daemon (e.g. strace with its options); pid() is then the
  // wrapper's.
  explicit Daemon(const std::string& yaml, std::vector<std::string> extra_env = {},
                  std::vector<std::string> wrapper = {}) {
    write_file(config_path(), yaml);
    wrapper.insert(wrapper.end(), {OSCBRIDGE_BINARY, "run", "-c", config_path()});
    process_.emplace(wrapper, std::move(extra_env));
  }
  const std::string config_path() const { return dir_.file("oscbridge.yaml"); }

  // Waits for the "ready:" log line; false (with the log in the failure) if it never came.
  bool wait_ready(int timeout_ms = 5000) { return wait_log("ready: ", timeout_ms).has_value(); }

  // Waits for a log line matching regex (searched after what earlier waits consumed).
  std::optional<std::string> wait_log(const std::string& regex, int timeout_ms = 5000) {
    return process_->wait_for_output(regex, timeout_ms);
  }

  // Rewrites the configuration and sends SIGHUP; true when the daemon reported "reloaded".
  bool reload(const std::string& yaml, int timeout_ms = 5000) {
    write_file(config_path(), yaml);
    process_->signal(SIGHUP);
    auto outcome = wait_log("reloaded: |reload failed", timeout_ms);
    return outcome && *outcome == "reloaded: ";
  }

  void signal(int number) { process_->signal(number); }
  std::optional<int> stop(int signal_number = SIGTERM, int timeout_ms = 5000) {
    process_->signal(signal_number);
    return process_->wait_exit(timeout_ms);
  }
  const std::string& log() { return process_->output(); }
  pid_t pid() const { return process_->pid(); }

 private:
  TempDir dir_;
  std::optional<test::ChildProcess> process_;
};

// liblo's lo_arg pointers are only 4-byte aligned, so 8-byte members must not be read in
// place (undefined behaviour UBSan reports): copy the bytes out.
template <class T>
T lo_value(const lo_arg* arg) {
  T value;
  std::memcpy(&value, arg, sizeof value);
  return value;
}

// One OSC message as a liblo peer received it: address, type tags and arguments as text
// ("i:3", "f:0.5", "s:text", ...), so tests compare plain strings.
struct Received {
  std::string address;
  std::string types;
  std::vector<std::string> args;
};

// A liblo server (UDP or TCP) on a port; records every message, bundles unpacked by liblo.
class LoPeer {
 public:
  explicit LoPeer(std::uint16_t port, int protocol = LO_UDP) {
    server_ = lo_server_new_with_proto(std::to_string(port).c_str(), protocol, nullptr);
    if (server_ != nullptr) lo_server_add_method(server_, nullptr, nullptr, &LoPeer::record, this);
  }
  ~LoPeer() {
    if (server_ != nullptr) lo_server_free(server_);
  }
  LoPeer(const LoPeer&) = delete;
  LoPeer& operator=(const LoPeer&) = delete;

  bool ok() const { return server_ != nullptr; }
  std::uint16_t port() const { return static_cast<std::uint16_t>(lo_server_get_port(server_)); }

  // Serves until count messages arrived in total or timeout_ms passed.
  const std::vector<Received>& wait_for(std::size_t count, int timeout_ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (received_.size() < count && std::chrono::steady_clock::now() < deadline) {
      lo_server_recv_noblock(server_, 20);
    }
    return received_;
  }
  // Serves for duration_ms, for tests that check nothing arrives.
  const std::vector<Received>& serve_for(int duration_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms);
    while (std::chrono::steady_clock::now() < deadline) lo_server_recv_noblock(server_, 20);
    return received_;
  }
  const std::vector<Received>& received() const { return received_; }
  lo_server server() const { return server_; }

 private:
  static int record(const char* path, const char* types, lo_arg** argv, int argc, lo_message,
                    void* self) {
    Received message{path, types, {}};
    for (int i = 0; i < argc; ++i) {
      char text[64];
      switch (types[i]) {
        case 'i':
          std::snprintf(text, sizeof text, "i:%d", lo_value<std::int32_t>(argv[i]));
          break;
        case 'h':
          std::snprintf(text, sizeof text, "h:%lld",
                        static_cast<long long>(lo_value<std::int64_t>(argv[i])));
          break;
        case 'f':
          std::snprintf(text, sizeof text, "f:%g", lo_value<float>(argv[i]));
          break;
        case 'd':
          std::snprintf(text, sizeof text, "d:%g", lo_value<double>(argv[i]));
          break;
        case 's':
        case 'S':
          message.args.push_back(std::string(1, types[i]) + ":" +
                                 reinterpret_cast<const char*>(argv[i]));
          continue;
        default:
          std::snprintf(text, sizeof text, "%c", types[i]);
          break;
      }
      message.args.push_back(text);
    }
    static_cast<LoPeer*>(self)->received_.push_back(std::move(message));
    return 0;
  }

  lo_server server_ = nullptr;
  std::vector<Received> received_;
};

}  // namespace oscbridge::e2e
