// An endpoint is one named entry of `endpoints:`: the sockets behind it, its counters, and
// the two directions of traffic. Received packets go to the context's on_packet (the
// router); routed packets come in through send().
//
// Ownership and threading: the Daemon owns every Endpoint and keeps it across reloads while
// its settings are unchanged. Everything runs on the daemon's EventLoop thread, except the
// threads a TCP client endpoint starts to connect, which hand their result to the loop.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "daemon/counters.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

class Endpoint;

// Threads that may outlive the endpoint that started them (a connect in progress during a
// reload) are parked here and joined when the daemon shuts down.
class ThreadReaper {
 public:
  ThreadReaper() = default;
  ThreadReaper(const ThreadReaper&) = delete;
  ThreadReaper& operator=(const ThreadReaper&) = delete;
  ~ThreadReaper() { join_all(); }
  void adopt(std::thread thread) { threads_.push_back(std::move(thread)); }
  void join_all() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

 private:
  std::vector<std::thread> threads_;
};

struct EndpointContext {
  socket::EventLoop& loop;
  ThreadReaper& reaper;
  // A packet (datagram or deframed TCP frame) arrived on the endpoint.
  std::function<void(Endpoint& source, std::string_view packet)> on_packet;
};

class Endpoint {
 public:
  Endpoint(const config::Endpoint& settings, EndpointContext& context);
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Binds, listens or starts connecting. Returns "" or what went wrong.
  virtual std::string open() = 0;
  // Sends one complete OSC packet to wherever this endpoint sends.
  virtual void send(std::string_view packet) = 0;

  const config::Endpoint& settings() const { return settings_; }
  const std::string& name() const { return settings_.name; }
  EndpointCounters& counters() { return counters_; }

  // Counts a dropped message and logs it, at most once per reason every few seconds with
  // the number dropped since, so a flood cannot flood the log too.
  void drop(DropReason reason, std::string_view detail);

  // Position in the current configuration; the router indexes endpoints by it.
  std::size_t index = 0;

 protected:
  void deliver(std::string_view packet) { context_.on_packet(*this, packet); }

  config::Endpoint settings_;
  EndpointContext& context_;
  EndpointCounters counters_;

 private:
  struct DropLog {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t unlogged = 0;
  };
  std::array<DropLog, kDropReasonCount> drop_logs_{};
};

// The endpoint kind the settings ask for, not yet opened. Returns nullptr and sets error for
// a kind this build cannot serve.
std::unique_ptr<Endpoint> make_endpoint(const config::Endpoint& settings, EndpointContext& context,
                                        std::string& error);

}  // namespace oscbridge::daemon
