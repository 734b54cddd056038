// A midi endpoint's input queue, with a real JACK server and a real RtMidi peer: MIDI that
// arrives while the loop is busy waits in the bounded queue, and what does not fit is counted
// as queue_full on the endpoint, never lost silently and never blocking RtMidi's thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "daemon/midi_endpoint.h"
#include "socket/event_loop.h"
#include "socket/resolver.h"
#include "tests/e2e/midi_helpers.h"

namespace oscbridge::daemon {
namespace {

using namespace std::chrono_literals;

TEST(MidiInputQueue, MidiFasterThanTheLoopRoutesIsCountedAsQueueFull) {
  e2e::JackServer jack;
  ASSERT_TRUE(jack.up());
  e2e::MidiPeer surface(e2e::MidiPeer::Kind::out, "flood");
  surface.open_virtual("faders");

  socket::EventLoop loop;
  socket::Resolver resolver(loop);
  std::atomic<std::uint64_t> routed{0};
  EndpointContext context{loop, resolver,
                          [&](const Origin&, std::string_view) { routed.fetch_add(1); }};
  config::MidiSettings midi;
  midi.port = "flood:faders";
  midi.output = false;
  midi.api = config::MidiApi::jack;
  config::Endpoint settings{"surface", midi};
  std::unique_ptr<MidiEndpoint> endpoint;
  loop.run_sync([&] {
    endpoint = std::make_unique<MidiEndpoint>(settings, context);
    EXPECT_EQ(endpoint->open(), "");
  });
  ASSERT_TRUE(jack.wait_connected("flood:faders"));

  // The loop is busy (a slow route, a huge reload) while a burst arrives.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  loop.post([released] { released.wait(); });
  constexpr std::uint64_t kBurst = 3 * MidiEndpoint::kInputQueueCapacity;
  for (std::uint64_t i = 0; i < kBurst; ++i) {
    surface.send(
        {0xB0, static_cast<std::uint8_t>(i % 128), static_cast<std::uint8_t>(i / 128 % 128)});
    // RtMidi's JACK output buffer holds about 2,000 messages: let a few periods take them.
    if (i % 500 == 499) std::this_thread::sleep_for(30ms);
  }
  // JACK hands the burst over in its process cycles (5.3 ms each); a second is ample even on
  // a loaded machine for far more than the queue holds to arrive while the loop is blocked.
  std::this_thread::sleep_for(1s);
  release.set_value();

  // What reached the endpoint is routed or counted as queue_full (and as received). JACK itself
  // may lose events of a cycle that a starved client missed (CI saw 1,000 of 12,288 go that
  // way), so the sum is bounded by the burst rather than equal to it.
  EndpointCounters counters;
  std::uint64_t accounted = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    const std::uint64_t before = accounted;
    std::this_thread::sleep_for(200ms);
    loop.run_sync([&] { counters = endpoint->counters(); });
    accounted = routed.load() + counters.drops(DropReason::queue_full);
    if (accounted == before && accounted > 0) break;  // settled
  } while (accounted < kBurst && std::chrono::steady_clock::now() < deadline);
  EXPECT_LE(accounted, kBurst);
  EXPECT_GT(counters.drops(DropReason::queue_full), 0u);
  EXPECT_GE(routed.load(), MidiEndpoint::kInputQueueCapacity);
  EXPECT_EQ(counters.received, counters.drops(DropReason::queue_full));

  loop.run_sync([&] { endpoint.reset(); });
  loop.stop();
}

}  // namespace
}  // namespace oscbridge::daemon
