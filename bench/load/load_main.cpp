// oscbridge-load: end-to-end load for an OSC router over loopback UDP, or TCP with SLIP framing.
//   oscbridge-load run --target HOST:PORT --listen HOST:PORT --rate N (--duration S | --count N)
//   oscbridge-load config --in HOST:PORT --out HOST:PORT      (the matching oscbridge YAML)
//   oscbridge-load free-ports N                               (for scripts that start routers)
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "bench/load/cli_options.h"
#include "bench/load/load_run.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace {

using namespace oscbridge::load;

constexpr const char* kUsage = R"(usage:
  oscbridge-load run --target HOST:PORT --listen HOST:PORT --rate MSGS_PER_S
                     (--duration SECONDS | --count MESSAGES)
                     [--routes 100] [--strips 8] [--drain-ms 1000] [--batch 64]
                     [--tick-us 100] [--max-loss PERCENT] [--transport udp|slip]
                     [--unrouted] [--connect-timeout-ms 5000]
      Sends the route plan's messages to the router at TARGET and checks what it
      forwards to LISTEN. Prints a key=value summary on stdout and a table on
      stderr. The sender wakes once per tick and sends what is due, so above
      1/tick msg/s messages leave in bursts of rate x tick. Exit 1 if loss
      exceeds --max-loss (default 100) or any message arrived wrong (misrouted,
      bad value, duplicate, malformed).
      --transport slip: TCP with SLIP framing (OSC 1.1) both ways. The tool
      listens on LISTEN and waits (--connect-timeout-ms) for the router to
      connect, then connects to the router at TARGET and sends.
      --unrouted: the router forwards messages unchanged (raw-forwarder), so
      each must arrive as it was sent instead of routed.
  oscbridge-load config --in HOST:PORT --out HOST:PORT [--routes 100] [--strips 8]
                        [--transport udp|slip]
      Prints the oscbridge YAML config that routes the same plan: UDP, a listen
      endpoint in and a send-only endpoint out; or slip, a TCP server in and a
      TCP client out, both with SLIP framing.
  oscbridge-load free-ports N
      Prints N ports on 127.0.0.1 that were free for both UDP and TCP a moment ago.
Every address must be loopback (127.0.0.0/8 or ::1).
)";

// Keeps a run's memory (a latency and a bitmap entry per message) bounded.
constexpr std::uint64_t kMaxMessages = 50'000'000;

Transport transport_from(const CliOptions& options) {
  std::string name = options.text("transport", "udp");
  if (name == "udp") return Transport::udp;
  if (name == "slip") return Transport::tcp_slip;
  throw std::invalid_argument("--transport " + name + ": expected udp or slip");
}

RoutePlan plan_from(const CliOptions& options) {
  RoutePlanOptions plan;
  plan.route_count = static_cast<std::uint32_t>(options.integer("routes", 100, 2, 100000));
  plan.strips_per_bank = static_cast<std::uint32_t>(options.integer("strips", 8, 1, 1000));
  return RoutePlan(plan);
}

int run(int argc, char** argv) {
  CliOptions options(
      argc, argv, 2,
      {"target", "listen", "rate", "duration", "count", "routes", "strips", "drain-ms", "batch",
       "tick-us", "max-loss", "transport", "connect-timeout-ms"},
      {"unrouted"});
  if (!options.has("target") || !options.has("listen") || !options.has("rate") ||
      options.has("duration") == options.has("count")) {
    throw std::invalid_argument(
        "run needs --target, --listen, --rate and one of --duration, --count");
  }
  RoutePlan plan = plan_from(options);
  LoadOptions load;
  load.transport = transport_from(options);
  load.expectation = options.has("unrouted") ? Expectation::unchanged : Expectation::routed;
  load.connect_timeout =
      std::chrono::milliseconds(options.integer("connect-timeout-ms", 5000, 1, 60000));
  load.target = parse_loopback_endpoint(options.text("target", ""));
  load.listen = parse_loopback_endpoint(options.text("listen", ""));
  load.rate = options.number("rate", 0, 1, 10'000'000);
  load.count =
      options.has("count")
          ? options.integer("count", 0, 1, kMaxMessages)
          : static_cast<std::uint64_t>(options.number("duration", 0, 0.001, 3600) * load.rate);
  if (load.count < 1 || load.count > kMaxMessages) {
    throw std::invalid_argument("rate x duration must give 1.." + std::to_string(kMaxMessages) +
                                " messages");
  }
  load.drain = std::chrono::milliseconds(options.integer("drain-ms", 1000, 0, 60000));
  load.batch_size = static_cast<unsigned>(options.integer("batch", 64, 1, 1024));
  load.tick = std::chrono::microseconds(options.integer("tick-us", 100, 1, 100000));
  double max_loss = options.number("max-loss", 100, 0, 100);

  std::cerr << "oscbridge-load: " << load.target.text() << " -> router -> " << load.listen.text()
            << (load.transport == Transport::tcp_slip ? " (TCP, SLIP)" : " (UDP)")
            << (load.expectation == Expectation::unchanged ? ", unrouted" : "") << ", "
            << plan.routes().size() << " routes, " << plan.targets().size() << " addresses\n";
  LoadReport report = run_load(load, plan);
  std::cerr << report.table();
  std::cout << report.summary_line() << std::endl;

  if (report.wrong() > 0) {
    std::cerr << "oscbridge-load: FAIL: " << report.wrong()
              << " messages arrived other than the plan says\n";
    return 1;
  }
  if (report.loss_percent > max_loss) {
    std::cerr << "oscbridge-load: FAIL: loss " << report.loss_percent << " % is above " << max_loss
              << " %\n";
    return 1;
  }
  return 0;
}

int config(int argc, char** argv) {
  CliOptions options(argc, argv, 2, {"in", "out", "routes", "strips", "transport"});
  if (!options.has("in") || !options.has("out")) {
    throw std::invalid_argument("config needs --in and --out");
  }
  RoutePlan plan = plan_from(options);
  LoopbackEndpoint in = parse_loopback_endpoint(options.text("in", ""));
  LoopbackEndpoint out = parse_loopback_endpoint(options.text("out", ""));
  std::cout << plan.to_yaml(in.text(), out.text(),
                            transport_from(options) == Transport::tcp_slip
                                ? RoutePlan::Endpoints::tcp_slip
                                : RoutePlan::Endpoints::udp);
  return 0;
}

bool tcp_port_free(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  LoopbackEndpoint endpoint = parse_loopback_endpoint("127.0.0.1:" + std::to_string(port));
  bool bound =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) == 0;
  ::close(fd);
  return bound;
}

int free_ports(int argc, char** argv) {
  if (argc != 3) throw std::invalid_argument("free-ports takes one number");
  int count = std::atoi(argv[2]);
  if (count < 1 || count > 16) throw std::invalid_argument("free-ports: 1..16");
  // Held open together so the kernel hands out distinct ports; a UDP port is
  // kept only if TCP can bind it too (the TCP runs use the same ports).
  std::vector<std::unique_ptr<UdpSocket>> sockets;
  std::vector<std::uint16_t> ports;
  LoopbackEndpoint any_port = parse_loopback_endpoint("127.0.0.1:0", true);
  for (int attempt = 0; attempt < 100 && std::ssize(ports) < count; ++attempt) {
    sockets.push_back(std::make_unique<UdpSocket>(AF_INET));
    sockets.back()->bind_to(any_port);
    std::uint16_t port = sockets.back()->local_port();
    if (tcp_port_free(port)) ports.push_back(port);
  }
  if (std::ssize(ports) < count) throw std::runtime_error("free-ports: no free ports found");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    std::cout << ports[i] << (i + 1 < ports.size() ? " " : "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "";
  try {
    if (command == "run") return run(argc, argv);
    if (command == "config") return config(argc, argv);
    if (command == "free-ports") return free_ports(argc, argv);
    std::cerr << kUsage;
    return 2;
  } catch (const std::invalid_argument& error) {
    std::cerr << "oscbridge-load: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "oscbridge-load: " << error.what() << "\n";
    return 1;
  }
}
