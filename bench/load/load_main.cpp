// oscbridge-load: end-to-end load for an OSC router over loopback UDP.
//   oscbridge-load run --target HOST:PORT --listen HOST:PORT --rate N (--duration S | --count N)
//   oscbridge-load config --in HOST:PORT --out HOST:PORT      (the matching oscbridge YAML)
//   oscbridge-load free-ports N                               (for scripts that start routers)
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
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
                     [--tick-us 100] [--max-loss PERCENT]
      Sends the route plan's messages to the router at TARGET and checks what it
      forwards to LISTEN. Prints a key=value summary on stdout and a table on
      stderr. The sender wakes once per tick and sends what is due, so above
      1/tick msg/s messages leave in bursts of rate x tick. Exit 1 if loss exceeds --max-loss (default 100) or any message
      arrived wrong (misrouted, bad value, duplicate, malformed).
  oscbridge-load config --in HOST:PORT --out HOST:PORT [--routes 100] [--strips 8]
      Prints the oscbridge YAML config that routes the same plan.
  oscbridge-load free-ports N
      Prints N UDP ports on 127.0.0.1 that were free a moment ago.
Every address must be loopback (127.0.0.0/8 or ::1).
)";

// Keeps a run's memory (a latency and a bitmap entry per message) bounded.
constexpr std::uint64_t kMaxMessages = 50'000'000;

RoutePlan plan_from(const CliOptions& options) {
  RoutePlanOptions plan;
  plan.route_count = static_cast<std::uint32_t>(options.integer("routes", 100, 2, 100000));
  plan.strips_per_bank = static_cast<std::uint32_t>(options.integer("strips", 8, 1, 1000));
  return RoutePlan(plan);
}

int run(int argc, char** argv) {
  CliOptions options(argc, argv, 2,
                     {"target", "listen", "rate", "duration", "count", "routes", "strips",
                      "drain-ms", "batch", "tick-us", "max-loss"});
  if (!options.has("target") || !options.has("listen") || !options.has("rate") ||
      options.has("duration") == options.has("count")) {
    throw std::invalid_argument(
        "run needs --target, --listen, --rate and one of --duration, --count");
  }
  RoutePlan plan = plan_from(options);
  LoadOptions load;
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
            << ", " << plan.routes().size() << " routes, " << plan.targets().size()
            << " addresses\n";
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
  CliOptions options(argc, argv, 2, {"in", "out", "routes", "strips"});
  if (!options.has("in") || !options.has("out")) {
    throw std::invalid_argument("config needs --in and --out");
  }
  RoutePlan plan = plan_from(options);
  LoopbackEndpoint in = parse_loopback_endpoint(options.text("in", ""));
  LoopbackEndpoint out = parse_loopback_endpoint(options.text("out", ""));
  std::cout << plan.to_yaml(in.text(), out.text());
  return 0;
}

int free_ports(int argc, char** argv) {
  if (argc != 3) throw std::invalid_argument("free-ports takes one number");
  int count = std::atoi(argv[2]);
  if (count < 1 || count > 16) throw std::invalid_argument("free-ports: 1..16");
  // Held open together so the kernel hands out distinct ports.
  std::vector<std::unique_ptr<UdpSocket>> sockets;
  LoopbackEndpoint any_port = parse_loopback_endpoint("127.0.0.1:0", true);
  for (int i = 0; i < count; ++i) {
    sockets.push_back(std::make_unique<UdpSocket>(AF_INET));
    sockets.back()->bind_to(any_port);
    std::cout << sockets.back()->local_port() << (i + 1 < count ? " " : "\n");
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
