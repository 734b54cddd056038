// Resolver: getaddrinfo on detached threads, results posted back to the loop.
#include "socket/resolver.h"

#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "socket/event_loop.h"
#include "socket/internal.h"

namespace oscbridge::socket {

// Shared by the Resolver and its lookup threads, which may outlive it.
struct Resolver::State {
  struct Pending {
    Callback callback;
    EventLoop::TimerId timer = 0;  // 0: none
  };

  explicit State(EventLoop& loop_) : loop(loop_), loop_for_threads(&loop_) {}

  EventLoop& loop;  // loop thread only

  std::mutex mutex;
  EventLoop* loop_for_threads;  // guarded by mutex; null once the Resolver is gone

  // Loop thread only.
  std::unordered_map<RequestId, Pending> pending;
  RequestId next_id = 1;

  static void deliver(const std::shared_ptr<State>& state, RequestId id, Resolution result) {
    auto found = state->pending.find(id);
    if (found == state->pending.end()) return;  // cancelled, timed out, or Resolver gone
    Pending entry = std::move(found->second);
    state->pending.erase(found);
    if (entry.timer != 0) state->loop.cancel(entry.timer);
    entry.callback(std::move(result));
  }
};

namespace {

Resolution to_resolution(const ResolveResult& resolved, int family, std::string_view host) {
  Resolution out;
  if (!resolved.error.empty()) {
    out.error = Errc::unresolved;
    out.message = resolved.error;
    return out;
  }
  out.addresses = addresses_for_family(resolved.addresses, family);
  if (out.addresses.empty()) {
    out.error = Errc::unresolved;
    out.message = "no " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address for '" +
                  std::string(host) + "'";
  }
  return out;
}

}  // namespace

Resolver::Resolver(EventLoop& loop) : state_(std::make_shared<State>(loop)) {}

Resolver::~Resolver() {
  {
    std::lock_guard lock(state_->mutex);
    state_->loop_for_threads = nullptr;
  }
  for (auto& [id, entry] : state_->pending) {
    if (entry.timer != 0) state_->loop.cancel(entry.timer);
  }
  state_->pending.clear();
}

Resolver::RequestId Resolver::resolve(std::string_view host, std::uint16_t port, Protocol protocol,
                                      int family, std::chrono::milliseconds timeout,
                                      Callback callback) {
  State& state = *state_;
  RequestId id = state.next_id++;
  state.pending[id].callback = std::move(callback);

  auto deliver_later = [this, id](Resolution result) {
    state_->loop.defer([state = state_, id, result = std::move(result)]() mutable {
      State::deliver(state, id, std::move(result));
    });
  };
  if (host.empty() || is_literal_address(host)) {
    deliver_later(to_resolution(resolve_here(host, port, protocol), family, host));
    return id;
  }

  if (timeout.count() >= 0) {
    std::string name(host);
    state.pending[id].timer =
        state.loop.run_after(timeout.count(), [state = state_, id, name, timeout] {
          auto found = state->pending.find(id);
          if (found == state->pending.end()) return;
          found->second.timer = 0;  // firing: nothing to cancel
          Resolution result;
          result.error = Errc::timed_out;
          result.message = "cannot resolve '" + name + "': timeout after " +
                           std::to_string(timeout.count()) + " ms";
          State::deliver(state, id, std::move(result));
        });
  }
  try {
    std::thread([state = state_, id, name = std::string(host), port, protocol, family] {
      Resolution result = to_resolution(resolve_here(name, port, protocol), family, name);
      // Posting under the mutex: the destructor, which clears loop_for_threads, cannot
      // finish while a post is on its way to the loop.
      std::lock_guard lock(state->mutex);
      if (state->loop_for_threads == nullptr) return;
      state->loop_for_threads->post([state, id, result = std::move(result)]() mutable {
        State::deliver(state, id, std::move(result));
      });
    }).detach();
  } catch (const std::system_error& error) {
    Resolution result;
    result.error = error.code();
    result.message = "cannot resolve '" + std::string(host) + "': " + error.what();
    deliver_later(std::move(result));
  }
  return id;
}

void Resolver::cancel(RequestId id) {
  auto found = state_->pending.find(id);
  if (found == state_->pending.end()) return;
  if (found->second.timer != 0) state_->loop.cancel(found->second.timer);
  state_->pending.erase(found);
}

}  // namespace oscbridge::socket
