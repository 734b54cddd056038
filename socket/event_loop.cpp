#include "socket/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace oscbridge::socket {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

struct EventLoop::State {
  struct Watch {
    int fd;
    IoHandler handler;
    bool active = true;
  };

  int epoll_fd = -1;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<std::thread::id> loop_thread_id{};

  std::mutex task_mutex;
  std::vector<Task> tasks;
  bool stopping = false;  // guarded by task_mutex; once set, post() drops tasks
  std::condition_variable exited_cv;
  bool exited = false;  // guarded by task_mutex

  // Loop-thread state.
  std::unordered_map<int, std::unique_ptr<Watch>> watches;
  // Watches removed during a dispatch round stay alive until the round ends, because
  // epoll may already have returned events that point at them.
  std::vector<std::unique_ptr<Watch>> retired;
  std::vector<Task> deferred;
  std::vector<Task> deferred_running;
  std::map<std::pair<Clock::time_point, TimerId>, Task> timers;
  std::unordered_map<TimerId, Clock::time_point> timer_due;
  TimerId next_timer_id = 1;

  void wake() const {
    std::uint64_t one = 1;
    // A full eventfd counter still wakes the loop, so a failed write loses nothing.
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd, &one, sizeof one);
  }

  int next_timeout_ms() const {
    if (timers.empty()) return -1;
    auto due = timers.begin()->first.first;
    auto now = Clock::now();
    if (due <= now) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(due - now).count();
    return ms > 1'000'000 ? 1'000'000 : static_cast<int>(ms);
  }

  void run_due_timers() {
    auto now = Clock::now();
    while (!timers.empty() && timers.begin()->first.first <= now) {
      auto node = timers.extract(timers.begin());
      timer_due.erase(node.key().second);
      node.mapped()();
    }
  }

  void run_deferred() {
    // Swapped out (capacity kept) so that a deferred task may defer another one.
    while (!deferred.empty()) {
      deferred_running.swap(deferred);
      for (auto& task : deferred_running) task();
      deferred_running.clear();
    }
  }

  // Returns false once the loop should end.
  bool run_tasks() {
    std::vector<Task> batch;
    bool stop_now;
    {
      std::lock_guard lock(task_mutex);
      batch.swap(tasks);
      stop_now = stopping;
    }
    for (auto& task : batch) task();
    return !stop_now;
  }

  void main_loop() {
    loop_thread_id.store(std::this_thread::get_id());
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    bool keep_running = true;
    while (keep_running) {
      int count = ::epoll_wait(epoll_fd, events, kMaxEvents, next_timeout_ms());
      if (count < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "epoll_wait");
      }
      for (int i = 0; i < count; ++i) {
        auto* watch = static_cast<Watch*>(events[i].data.ptr);
        if (watch == nullptr) {
          std::uint64_t drained;
          [[maybe_unused]] ssize_t ignored = ::read(wake_fd, &drained, sizeof drained);
          continue;
        }
        if (watch->active) watch->handler(events[i].events);
      }
      retired.clear();
      run_deferred();
      run_due_timers();
      keep_running = run_tasks();
      run_deferred();
    }
    // Tasks posted before stop() still run, so run_sync() callers are never stranded.
    run_tasks();
    retired.clear();
    std::lock_guard lock(task_mutex);
    exited = true;
    exited_cv.notify_all();
  }
};

EventLoop::EventLoop() : state_(std::make_unique<State>()) {
  state_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (state_->epoll_fd < 0) throw std::system_error(errno, std::generic_category(), "epoll");
  state_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state_->wake_fd < 0) {
    ::close(state_->epoll_fd);
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;
  ::epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, state_->wake_fd, &event);
  state_->thread = std::thread([state = state_.get()] { state->main_loop(); });
}

EventLoop::~EventLoop() {
  stop();
  ::close(state_->wake_fd);
  ::close(state_->epoll_fd);
}

void EventLoop::post(Task task) {
  {
    std::lock_guard lock(state_->task_mutex);
    if (state_->stopping) return;
    state_->tasks.push_back(std::move(task));
  }
  state_->wake();
}

void EventLoop::run_sync(const Task& task) {
  if (in_loop_thread()) {
    task();
    return;
  }
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  bool accepted = false;
  {
    std::lock_guard lock(state_->task_mutex);
    if (!state_->stopping) {
      accepted = true;
      state_->tasks.push_back([&] {
        task();
        std::lock_guard done_lock(done_mutex);
        done = true;
        done_cv.notify_one();
      });
    }
  }
  if (accepted) {
    state_->wake();
    std::unique_lock lock(done_mutex);
    done_cv.wait(lock, [&] { return done; });
    return;
  }
  // The loop is ending or gone: wait until its thread can no longer touch anything,
  // then do the work here.
  {
    std::unique_lock lock(state_->task_mutex);
    state_->exited_cv.wait(lock, [&] { return state_->exited; });
  }
  task();
}

bool EventLoop::in_loop_thread() const {
  return state_->loop_thread_id.load() == std::this_thread::get_id();
}

void EventLoop::stop() {
  {
    std::lock_guard lock(state_->task_mutex);
    state_->stopping = true;
  }
  state_->wake();
  if (!in_loop_thread() && state_->thread.joinable()) state_->thread.join();
}

void EventLoop::watch(int fd, std::uint32_t epoll_events, IoHandler handler) {
  auto watch = std::make_unique<State::Watch>(State::Watch{fd, std::move(handler)});
  epoll_event event{};
  event.events = epoll_events;
  event.data.ptr = watch.get();
  if (::epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
  }
  state_->watches[fd] = std::move(watch);
}

void EventLoop::modify(int fd, std::uint32_t epoll_events) {
  auto found = state_->watches.find(fd);
  if (found == state_->watches.end()) return;
  epoll_event event{};
  event.events = epoll_events;
  event.data.ptr = found->second.get();
  ::epoll_ctl(state_->epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

void EventLoop::unwatch(int fd) {
  auto found = state_->watches.find(fd);
  if (found == state_->watches.end()) return;
  ::epoll_ctl(state_->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  found->second->active = false;
  state_->retired.push_back(std::move(found->second));
  state_->watches.erase(found);
}

void EventLoop::defer(Task task) {
  state_->deferred.push_back(std::move(task));
}

EventLoop::TimerId EventLoop::run_after(std::int64_t delay_ms, Task task) {
  auto due = Clock::now() + std::chrono::milliseconds(delay_ms < 0 ? 0 : delay_ms);
  TimerId id = state_->next_timer_id++;
  state_->timers.emplace(std::make_pair(due, id), std::move(task));
  state_->timer_due.emplace(id, due);
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto found = state_->timer_due.find(id);
  if (found == state_->timer_due.end()) return;
  state_->timers.erase(std::make_pair(found->second, id));
  state_->timer_due.erase(found);
}

}  // namespace oscbridge::socket
