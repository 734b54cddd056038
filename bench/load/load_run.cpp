#include "bench/load/load_run.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "bench/load/clocks.h"
#include "bench/load/load_receiver.h"
#include "bench/load/load_sender.h"
#include "bench/load/tcp_load.h"

namespace oscbridge::load {
namespace {

// Nearest-rank percentile of sorted values, in microseconds.
double percentile_us(const std::vector<std::int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[rank]) / 1000.0;
}

std::string format(const char* pattern, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

// Runs `receiver` on a second thread while this one sends, then lets the
// receiver drain until the deadline. Returns what was sent.
template <typename Receiver, typename Sender>
SendSummary drive(Receiver& receiver, Sender& sender, const LoadOptions& options) {
  std::exception_ptr receive_failure;
  std::thread receiving([&] {
    try {
      receiver.run();
    } catch (...) {
      receive_failure = std::current_exception();
    }
  });
  SendSummary sent;
  try {
    sent = sender.run(options.rate, options.count);
  } catch (...) {
    receiver.finish_by(0);
    receiving.join();
    throw;
  }
  receiver.finish_by(monotonic_ns() +
                     std::chrono::duration_cast<std::chrono::nanoseconds>(options.drain).count());
  receiving.join();
  if (receive_failure) std::rethrow_exception(receive_failure);
  return sent;
}

LoadReport report_of(const LoadOptions& options, const SendSummary& sent, ReceiveTally tally) {
  LoadReport report;
  report.offered_rate = options.rate;
  report.sent = sent.sent;
  report.received = tally.received;
  report.duplicates = tally.duplicates;
  report.misrouted = tally.misrouted;
  report.bad_values = tally.bad_values;
  report.malformed = tally.malformed;
  report.foreign = tally.foreign;
  report.unstamped = tally.unstamped;
  report.send_seconds = sent.seconds;
  if (sent.seconds > 0) report.send_rate = static_cast<double>(sent.sent) / sent.seconds;
  double window = static_cast<double>(tally.last_receive_ns - sent.first_send_ns) / 1e9;
  if (tally.received > 0 && window > 0) {
    report.achieved_rate = static_cast<double>(tally.received) / window;
  }
  if (sent.sent > 0) {
    report.loss_percent =
        100.0 * static_cast<double>(sent.sent - tally.received) / static_cast<double>(sent.sent);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  report.tool_cpu_seconds =
      static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
      static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::vector<std::int64_t>& latencies = tally.latencies_ns;
  std::sort(latencies.begin(), latencies.end());
  report.p50_us = percentile_us(latencies, 0.50);
  report.p90_us = percentile_us(latencies, 0.90);
  report.p99_us = percentile_us(latencies, 0.99);
  report.max_us = latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1000.0;
  return report;
}

// After the router's outgoing connection is accepted, the time it is given to
// see that connection as open before messages for it arrive (it drops what it
// routes to a destination that is not connected).
constexpr std::chrono::milliseconds kConnectSettle{50};

}  // namespace

LoadReport run_load(const LoadOptions& options, const RoutePlan& plan) {
  if (options.transport == Transport::tcp_slip) {
    SlipLoadReceiver receiver(options.listen, plan, options.count, options.expectation);
    receiver.accept_router(options.connect_timeout);
    std::this_thread::sleep_for(kConnectSettle);
    // Connected after the router's own connection, and kept open until the
    // drain is over so that the router never sees its input close early.
    SlipLoadSender sender(options.target, plan, options.batch_size, options.tick);
    SendSummary sent = drive(receiver, sender, options);
    LoadReport report = report_of(options, sent, receiver.tally());
    report.reconnections = receiver.reconnections();
    return report;
  }
  LoadReceiver receiver(options.listen, plan, options.count, options.expectation);
  LoadSender sender(options.target, plan, options.batch_size, options.tick);
  SendSummary sent = drive(receiver, sender, options);
  return report_of(options, sent, receiver.tally());
}

std::string LoadReport::summary_line() const {
  return format(
             "offered_rate=%.0f sent=%llu received=%llu loss_pct=%.3f send_rate=%.0f "
             "achieved_rate=%.0f ",
             offered_rate, static_cast<unsigned long long>(sent),
             static_cast<unsigned long long>(received), loss_percent, send_rate, achieved_rate) +
         format("p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f ", p50_us, p90_us, p99_us,
                max_us) +
         format("tool_cpu_s=%.2f unstamped=%llu reconnections=%llu ", tool_cpu_seconds,
                static_cast<unsigned long long>(unstamped),
                static_cast<unsigned long long>(reconnections)) +
         format("duplicates=%llu misrouted=%llu bad_values=%llu malformed=%llu foreign=%llu",
                static_cast<unsigned long long>(duplicates),
                static_cast<unsigned long long>(misrouted),
                static_cast<unsigned long long>(bad_values),
                static_cast<unsigned long long>(malformed),
                static_cast<unsigned long long>(foreign));
}

std::string LoadReport::table() const {
  std::string out;
  out += format("  %-22s %12.0f msg/s\n", "offered", offered_rate);
  out += format("  %-22s %12llu in %.3f s (%.0f msg/s)\n", "sent",
                static_cast<unsigned long long>(sent), send_seconds, send_rate);
  out += format("  %-22s %12llu (loss %.3f %%)\n", "received",
                static_cast<unsigned long long>(received), loss_percent);
  out += format("  %-22s %12.0f msg/s\n", "achieved", achieved_rate);
  out += format("  %-22s %12.1f / %.1f / %.1f / %.1f us\n", "latency p50/p90/p99/max", p50_us,
                p90_us, p99_us, max_us);
  out += format(
      "  %-22s %12llu (duplicates %llu, misrouted %llu, bad values %llu, "
      "malformed %llu, foreign %llu)\n",
      "wrong", static_cast<unsigned long long>(wrong()),
      static_cast<unsigned long long>(duplicates), static_cast<unsigned long long>(misrouted),
      static_cast<unsigned long long>(bad_values), static_cast<unsigned long long>(malformed),
      static_cast<unsigned long long>(foreign));
  return out;
}

}  // namespace oscbridge::load
