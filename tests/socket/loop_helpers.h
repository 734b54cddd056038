// Waiting on an EventLoop from a test thread without sleeping a fixed time.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "socket/event_loop.h"

namespace oscbridge::test {

// Runs pred on the loop thread until it holds or limit passes; state the loop's callbacks
// write is read only there, so the test needs no locks of its own.
inline bool eventually(socket::EventLoop& loop, const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool done = false;
    loop.run_sync([&] { done = pred(); });
    if (done) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace oscbridge::test
