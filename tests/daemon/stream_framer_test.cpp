// StreamFramer (TCP packets <-> stream bytes, SLIP or length prefix) and IdleGuard (closing a
// connection whose partial frame went stale), from daemon/tcp_endpoints.h.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/tcp_endpoints.h"
#include "tests/daemon/daemon_test_util.h"

namespace oscbridge::daemon {
namespace {

using testing::Blob;
using testing::bundle;
using testing::message;

// Packets whose bytes include SLIP's END (0xC0) and ESC (0xDB), so escaping is exercised.
std::vector<std::string> sample_packets() {
  return {message("/a", 1), message("/blob", Blob{"\xc0\xdb\xc0\xc0\xdb\xdc\xdd"}),
          bundle(osc::TimeTag(0xc0c0c0c0u, 0xdbdbdbdbu), {message("/x", 0.5f), message("/y")}),
          message("/end\xc0")};
}

std::string encoded_stream(config::Framing framing, const std::vector<std::string>& packets) {
  std::string stream;
  std::string frame;
  for (const auto& packet : packets) {
    StreamFramer::encode(framing, packet, frame);
    stream += frame;
  }
  return stream;
}

struct Fed {
  std::vector<std::string> packets;
  std::vector<DropReason> drops;
  bool usable = true;
};

void feed(StreamFramer& framer, std::string_view chunk, Fed& fed) {
  const bool ok = framer.feed(
      chunk, [&](std::string_view packet) { fed.packets.emplace_back(packet); },
      [&](DropReason reason, std::string_view detail) {
        EXPECT_FALSE(detail.empty()) << "a drop says why";
        fed.drops.push_back(reason);
      });
  fed.usable = fed.usable && ok;
}

class StreamFramerTest : public ::testing::TestWithParam<config::Framing> {};

INSTANTIATE_TEST_SUITE_P(Framings, StreamFramerTest,
                         ::testing::Values(config::Framing::slip, config::Framing::length),
                         [](const auto& info) {
                           return std::string(config::to_string(info.param));
                         });

TEST_P(StreamFramerTest, RoundTripsPacketsInOneChunk) {
  const auto packets = sample_packets();
  StreamFramer framer(GetParam(), config::kDefaultMaxFrame);
  Fed fed;
  feed(framer, encoded_stream(GetParam(), packets), fed);
  EXPECT_EQ(fed.packets, packets);
  EXPECT_TRUE(fed.drops.empty());
  EXPECT_TRUE(fed.usable);
  EXPECT_FALSE(framer.has_partial_frame());
}

TEST_P(StreamFramerTest, AFrameSplitAtAnyByteSurvives) {
  const auto packets = sample_packets();
  const std::string stream = encoded_stream(GetParam(), packets);
  for (std::size_t split = 1; split < stream.size(); ++split) {
    StreamFramer framer(GetParam(), config::kDefaultMaxFrame);
    Fed fed;
    feed(framer, std::string_view(stream).substr(0, split), fed);
    feed(framer, std::string_view(stream).substr(split), fed);
    EXPECT_EQ(fed.packets, packets) << "split at " << split;
    EXPECT_TRUE(fed.usable);
  }
}

TEST_P(StreamFramerTest, ByteByByteReportsThePartialFrame) {
  const std::string packet = message("/partial", 1, 2, 3);
  std::string frame;
  StreamFramer::encode(GetParam(), packet, frame);
  StreamFramer framer(GetParam(), config::kDefaultMaxFrame);
  Fed fed;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    feed(framer, std::string_view(frame).substr(i, 1), fed);
    // SLIP's leading END only ends an (empty) previous frame; a frame begins after it.
    if (GetParam() == config::Framing::length || i > 0) {
      EXPECT_TRUE(framer.has_partial_frame()) << "after byte " << i;
    }
  }
  EXPECT_TRUE(fed.packets.empty());
  feed(framer, std::string_view(frame).substr(frame.size() - 1), fed);
  EXPECT_EQ(fed.packets, std::vector<std::string>{packet});
  EXPECT_FALSE(framer.has_partial_frame());
}

TEST_P(StreamFramerTest, EncodeReplacesWhatTheBufferHeld) {
  std::string frame = "left over from before";
  StreamFramer::encode(GetParam(), message("/one"), frame);
  std::string again = frame;
  StreamFramer::encode(GetParam(), message("/one"), again);
  EXPECT_EQ(again, frame);
}

TEST_P(StreamFramerTest, AFrameExactlyAtTheLimitIsAccepted) {
  const std::string packet = message("/x", Blob{std::string(100, '\xc0')});
  StreamFramer framer(GetParam(), packet.size());
  Fed fed;
  feed(framer, encoded_stream(GetParam(), {packet}), fed);
  EXPECT_EQ(fed.packets, std::vector<std::string>{packet});
  EXPECT_TRUE(fed.drops.empty());
  EXPECT_TRUE(fed.usable);
}

TEST(StreamFramerEncodingTest, SlipFramesBetweenTwoEndsWithNoRawEndInside) {
  const std::string packet = message("/blob", Blob{"\xc0\xdb"});
  std::string frame;
  StreamFramer::encode(config::Framing::slip, packet, frame);
  ASSERT_GE(frame.size(), packet.size() + 2);
  EXPECT_EQ(frame.front(), '\xc0');
  EXPECT_EQ(frame.back(), '\xc0');
  EXPECT_EQ(frame.find('\xc0', 1), frame.size() - 1);
}

TEST(StreamFramerEncodingTest, LengthPrefixIsABigEndianInt32) {
  const std::string packet = message("/x", Blob{std::string(300, 'z')});
  std::string frame;
  StreamFramer::encode(config::Framing::length, packet, frame);
  ASSERT_EQ(frame.size(), packet.size() + 4);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(frame[i]); };
  EXPECT_EQ((std::size_t{byte(0)} << 24) | (std::size_t{byte(1)} << 16) |
                (std::size_t{byte(2)} << 8) | byte(3),
            packet.size());
  EXPECT_EQ(frame.substr(4), packet);
}

TEST(StreamFramerLimitTest, AnOverLimitLengthFrameMakesTheStreamUnusable) {
  const std::string packet = message("/x", Blob{std::string(100, 'z')});
  StreamFramer framer(config::Framing::length, packet.size() - 1);
  Fed fed;
  feed(framer, encoded_stream(config::Framing::length, {packet}), fed);
  EXPECT_FALSE(fed.usable) << "the connection must be closed";
  EXPECT_TRUE(fed.packets.empty());
  EXPECT_EQ(fed.drops, std::vector<DropReason>{DropReason::too_large});
  // Nothing after it is decoded: the stream has lost its frame boundaries.
  Fed later;
  feed(framer, encoded_stream(config::Framing::length, {message("/small")}), later);
  EXPECT_FALSE(later.usable);
  EXPECT_TRUE(later.packets.empty());
}

TEST(StreamFramerLimitTest, AnOverLimitLengthHeaderAloneIsEnough) {
  StreamFramer framer(config::Framing::length, 64);
  Fed fed;
  feed(framer, std::string("\x00\x00\x00\x41", 4), fed);  // announces 65 bytes
  EXPECT_FALSE(fed.usable);
  EXPECT_EQ(fed.drops, std::vector<DropReason>{DropReason::too_large});
}

TEST(StreamFramerLimitTest, AnOverLimitSlipFrameIsDroppedAndTheNextOneDecodes) {
  const std::string big = message("/x", Blob{std::string(100, 'z')});
  const std::string small = message("/ok", 1);
  StreamFramer framer(config::Framing::slip, big.size() - 1);
  Fed fed;
  feed(framer, encoded_stream(config::Framing::slip, {big, small}), fed);
  EXPECT_TRUE(fed.usable) << "SLIP resynchronises at the next END";
  EXPECT_EQ(fed.drops, std::vector<DropReason>{DropReason::too_large});
  EXPECT_EQ(fed.packets, std::vector<std::string>{small});
}

TEST(StreamFramerLimitTest, ABadSlipEscapeIsMalformedAndTheNextFrameDecodes) {
  const std::string small = message("/ok", 1);
  StreamFramer framer(config::Framing::slip, config::kDefaultMaxFrame);
  Fed fed;
  feed(framer,
       std::string("\xc0/x\xdb\x01\xc0", 6) + encoded_stream(config::Framing::slip, {small}), fed);
  EXPECT_TRUE(fed.usable);
  EXPECT_EQ(fed.drops, std::vector<DropReason>{DropReason::malformed});
  EXPECT_EQ(fed.packets, std::vector<std::string>{small});
}

// IdleGuard runs on the loop thread: every call to it is made there through run_sync.
class IdleGuardTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  void make(std::chrono::milliseconds timeout) {
    loop_.run_sync([&] { guard_ = std::make_unique<IdleGuard>(loop_, timeout); });
  }
  // Reports a chunk; the guard's expiry fulfils expired_ with the time it happened.
  void update(bool partial) {
    loop_.run_sync([&] {
      guard_->update(partial, [this] {
        if (!fired_) expired_.set_value(Clock::now());
        fired_ = true;
      });
    });
  }
  void TearDown() override {
    loop_.run_sync([&] { guard_.reset(); });
  }

  socket::EventLoop loop_;
  std::unique_ptr<IdleGuard> guard_;
  std::promise<Clock::time_point> expired_;
  std::future<Clock::time_point> expiry_ = expired_.get_future();
  bool fired_ = false;  // loop thread only
};

TEST_F(IdleGuardTest, APartialFrameLeftIdleExpiresNoSoonerThanTheTimeout) {
  make(std::chrono::milliseconds(50));
  const auto start = Clock::now();
  update(true);
  ASSERT_EQ(expiry_.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_GE(expiry_.get() - start, std::chrono::milliseconds(50));
}

TEST_F(IdleGuardTest, ActivityPostponesExpiry) {
  // A timeout long enough that the second update comes well before the first would expire,
  // however loaded the machine (the thread would have to stall for over 1.7 s), and late
  // enough after the first that an unpostponed expiry would come 300 ms too soon.
  constexpr auto kTimeout = std::chrono::milliseconds(2000);
  make(kTimeout);
  update(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto last_activity = Clock::now();
  update(true);
  bool fired_before_activity = true;
  loop_.run_sync([&] { fired_before_activity = fired_; });
  ASSERT_FALSE(fired_before_activity) << "this thread stalled for longer than the timeout";
  ASSERT_EQ(expiry_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_GE(expiry_.get() - last_activity, kTimeout);
}

// A timer of the same loop armed after the guard's, with a later deadline, is the sentinel:
// once it has run, a guard timer that was still armed would have run too.
void wait_past(socket::EventLoop& loop, std::chrono::milliseconds delay) {
  auto passed = std::make_shared<std::promise<void>>();
  auto future = passed->get_future();
  loop.run_sync([&] { loop.run_after(delay.count(), [passed] { passed->set_value(); }); });
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  loop.run_sync([] {});  // whatever was due in the same round has run
}

TEST_F(IdleGuardTest, AWholeFrameCancelsTheTimer) {
  make(std::chrono::milliseconds(30));
  update(true);
  update(false);
  wait_past(loop_, std::chrono::milliseconds(300));
  EXPECT_EQ(expiry_.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
}

TEST_F(IdleGuardTest, NoPartialFrameNoExpiry) {
  make(std::chrono::milliseconds(30));
  update(false);
  wait_past(loop_, std::chrono::milliseconds(300));
  EXPECT_EQ(expiry_.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
}

// The sentinel proves something: without the whole frame, the same guard does expire.
TEST_F(IdleGuardTest, APartialFrameExpiresBeforeTheSentinel) {
  make(std::chrono::milliseconds(30));
  update(true);
  wait_past(loop_, std::chrono::milliseconds(300));
  EXPECT_EQ(expiry_.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
}

}  // namespace
}  // namespace oscbridge::daemon
