// lo-forwarder: the liblo baseline that bench/load/run.sh measures beside oscbridge.
//   lo-forwarder --port P --send HOST:PORT [--routes 100] [--strips 8] [--max-seconds S]
// Routes the same RoutePlan as `oscbridge-load config` writes for oscbridge, until
// SIGINT/SIGTERM or --max-seconds, then prints its counters on stderr.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <thread>

#include "bench/load/cli_options.h"
#include "bench/load/lo_router.h"
#include "bench/load/loopback.h"
#include "bench/load/route_plan.h"

namespace {

using namespace oscbridge::load;

// Waits on a dedicated thread for a stop signal or the time limit, so that the
// serving loop only reads an atomic and no handler touches global state.
void wait_for_stop(sigset_t signals, std::uint64_t max_seconds, std::atomic<bool>& stop) {
  timespec limit{static_cast<time_t>(max_seconds), 0};
  while (true) {
    int received =
        max_seconds > 0 ? sigtimedwait(&signals, nullptr, &limit) : sigwaitinfo(&signals, nullptr);
    if (received < 0 && errno == EINTR) continue;
    break;  // a stop signal, or EAGAIN: the time limit
  }
  stop.store(true);
}

int run(int argc, char** argv) {
  CliOptions options(argc, argv, 1, {"port", "send", "routes", "strips", "max-seconds"});
  if (!options.has("port") || !options.has("send")) {
    throw std::invalid_argument(
        "usage: lo-forwarder --port P --send HOST:PORT [--routes 100] [--strips 8] "
        "[--max-seconds S]");
  }
  auto port = static_cast<std::uint16_t>(options.integer("port", 0, 1, 65535));
  LoopbackEndpoint destination = parse_loopback_endpoint(options.text("send", ""));
  RoutePlanOptions plan_options;
  plan_options.route_count = static_cast<std::uint32_t>(options.integer("routes", 100, 2, 100000));
  plan_options.strips_per_bank = static_cast<std::uint32_t>(options.integer("strips", 8, 1, 1000));
  std::uint64_t max_seconds = options.integer("max-seconds", 0, 0, 86400);
  RoutePlan plan(plan_options);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts

  LoRouter router(port, destination, plan);
  std::fprintf(stderr,
               "lo-forwarder: UDP port %d (every interface: liblo 0.31 binds no single "
               "address) -> %s, %zu routes\n",
               router.port(), destination.text().c_str(), plan.routes().size());

  std::atomic<bool> stop{false};
  std::thread stopper(wait_for_stop, stop_signals, max_seconds, std::ref(stop));
  router.serve(stop);
  stopper.join();

  const ForwarderCounters& counters = router.counters();
  std::fprintf(stderr,
               "lo-forwarder: received=%llu forwarded=%llu no_route=%llu bad_arguments=%llu "
               "send_errors=%llu\n",
               static_cast<unsigned long long>(counters.received),
               static_cast<unsigned long long>(counters.forwarded),
               static_cast<unsigned long long>(counters.no_route),
               static_cast<unsigned long long>(counters.bad_arguments),
               static_cast<unsigned long long>(counters.send_errors));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "lo-forwarder: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "lo-forwarder: %s\n", error.what());
    return 1;
  }
}
