// The liblo baseline's routing: the RoutePlan's routes served by one lo_server,
// written the way a liblo user would write a forwarder.
//
// Literal routes are liblo methods (liblo compares an incoming address with
// each method in turn). Pattern routes sit behind one catch-all method, which
// tries them in order with lo_pattern_match. liblo reports a match but not what
// the wildcards matched, so a capture is the whole path segment that holds the
// wildcard (exact for the plan's `*` segments). The float argument is scaled to
// an int and arguments 2 and 3 are passed on unchanged, in a new lo_message sent
// with lo_send_message_from, i.e. from the listening socket.
//
// liblo 0.31 cannot bind a server to one address, so the listening port is
// open on every interface while the forwarder runs.
//
// Threads: everything, including the handlers, runs on the thread calling serve().
#pragma once

#include <lo/lo.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace oscbridge::load {

struct ForwarderCounters {
  std::uint64_t received = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t no_route = 0;
  std::uint64_t bad_arguments = 0;  // a route matched but the arguments do not fit it
  std::uint64_t send_errors = 0;
};

class LoRouter {
 public:
  // Throws std::runtime_error if the server cannot be created (e.g. port in use).
  LoRouter(std::uint16_t listen_port, const LoopbackEndpoint& destination, const RoutePlan& plan);
  ~LoRouter();
  LoRouter(const LoRouter&) = delete;
  LoRouter& operator=(const LoRouter&) = delete;

  int port() const;
  // Receives and routes until `stop` is set (checked at least every 100 ms).
  void serve(const std::atomic<bool>& stop);
  const ForwarderCounters& counters() const { return counters_; }

 private:
  struct LiteralMethod {
    LoRouter* router;
    std::string output_address;
  };
  struct PatternRoute {
    std::string pattern;
    std::vector<std::size_t> wildcard_segments;  // capture N is segment wildcard_segments[N-1]
    std::string address_template;                // with {N}
  };

  static int on_literal(const char* path, const char* types, lo_arg** argv, int argc,
                        lo_message message, void* user_data);
  static int on_unmatched(const char* path, const char* types, lo_arg** argv, int argc,
                          lo_message message, void* user_data);
  bool render_pattern_address(const PatternRoute& route, std::string_view path);
  void forward(const char* output_address, const char* types, lo_arg** argv, int argc);

  lo_server server_ = nullptr;
  lo_address destination_ = nullptr;
  std::deque<LiteralMethod> literal_methods_;  // stable addresses: liblo holds pointers
  std::vector<PatternRoute> pattern_routes_;
  std::string address_buffer_;  // reused for every rendered address
  ForwarderCounters counters_;
};

}  // namespace oscbridge::load
