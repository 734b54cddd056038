#include "socket/event_loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace oscbridge::socket {

namespace {
using Clock = std::chrono::steady_clock;

// Marks the loop's own descriptors in epoll data; watches carry a Watch pointer instead.
int kWakeTag;
int kTimerTag;
}  // namespace

struct EventLoop::State {
  Clock::time_point round_started = Clock::now();  // loop thread
  struct Watch {
    int fd;
    IoHandler handler;
    bool active = true;
  };
  struct Timer {
    Task task;
    std::chrono::nanoseconds interval{0};  // zero: one-shot
  };
  using TimerKey = std::pair<Clock::time_point, TimerId>;

  int epoll_fd = -1;
  int wake_fd = -1;
  int timer_fd = -1;
  std::thread thread;
  std::atomic<std::thread::id> loop_thread_id{};
  std::atomic<std::uint64_t> failures{0};

  std::mutex task_mutex;
  std::vector<Task> tasks;
  bool stopping = false;  // guarded by task_mutex; once set, post() drops tasks
  std::condition_variable exited_cv;
  bool exited = false;     // guarded by task_mutex
  ErrorReporter reporter;  // guarded by task_mutex (set from any thread)

  // Loop-thread state.
  std::unordered_map<int, std::unique_ptr<Watch>> watches;
  // Watches removed during a dispatch round stay alive until the round ends, because
  // epoll may already have returned events that point at them.
  std::vector<std::unique_ptr<Watch>> retired;
  std::vector<Task> deferred;
  std::vector<Task> deferred_running;
  std::vector<Task> batch;  // posted tasks being run; capacity kept between rounds
  std::map<TimerKey, Timer> timers;
  std::unordered_map<TimerId, Clock::time_point> timer_due;
  TimerId next_timer_id = 1;
  Clock::time_point armed_for = Clock::time_point::max();

  void wake() const {
    std::uint64_t one = 1;
    // A full eventfd counter still wakes the loop, so a failed write loses nothing.
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd, &one, sizeof one);
  }

  void report(std::string_view message) {
    ErrorReporter copy;
    {
      std::lock_guard lock(task_mutex);
      copy = reporter;
    }
    if (copy) {
      try {
        copy(message);
        return;
      } catch (...) {
      }
    }
    std::fprintf(stderr, "event loop: %.*s\n", static_cast<int>(message.size()), message.data());
  }

  // Runs one callback so that nothing it throws can end the loop.
  template <class Callable>
  void contain(const char* what, Callable&& callable) {
    try {
      callable();
    } catch (const std::exception& error) {
      ++failures;
      report(std::string(what) + " failed: " + error.what());
    } catch (...) {
      ++failures;
      report(std::string(what) + " failed with an unknown exception");
    }
  }

  // Points the timerfd at the earliest due timer, touching it only when that changed.
  void arm_timer() {
    auto due = timers.empty() ? Clock::time_point::max() : timers.begin()->first.first;
    if (due == armed_for) return;
    armed_for = due;
    itimerspec spec{};
    if (due != Clock::time_point::max()) {
      // steady_clock is CLOCK_MONOTONIC on Linux, so its epoch is the timerfd's.
      auto since_epoch =
          std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch());
      auto ns = since_epoch.count();
      if (ns <= 0) ns = 1;  // zero would disarm
      spec.it_value.tv_sec = ns / 1'000'000'000;
      spec.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (::timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
      report(std::string("timerfd_settime: ") + std::strerror(errno));
    }
  }

  void run_due_timers() {
    auto now = Clock::now();
    while (!timers.empty() && timers.begin()->first.first <= now) {
      auto node = timers.extract(timers.begin());
      TimerId id = node.key().second;
      auto interval = node.mapped().interval;
      if (interval.count() == 0) {
        timer_due.erase(id);
        contain("timer", node.mapped().task);
        continue;
      }
      contain("timer", node.mapped().task);
      auto still = timer_due.find(id);
      if (still == timer_due.end()) continue;  // cancelled from inside its callback
      // Next due from the previous due (no drift), skipping rounds already missed.
      auto next = node.key().first + interval;
      if (next <= now) next += interval * ((now - next) / interval + 1);
      node.key().first = next;
      still->second = next;
      timers.insert(std::move(node));  // the node is reused: no allocation
    }
  }

  void run_deferred() {
    // Swapped out (capacity kept) so that a deferred task may defer another one.
    while (!deferred.empty()) {
      deferred_running.swap(deferred);
      for (auto& task : deferred_running) contain("deferred task", task);
      deferred_running.clear();
    }
  }

  // Returns false once the loop should end.
  bool run_tasks() {
    bool stop_now;
    {
      std::lock_guard lock(task_mutex);
      batch.swap(tasks);
      stop_now = stopping;
    }
    for (auto& task : batch) contain("posted task", task);
    batch.clear();
    return !stop_now;
  }

  void dispatch(const epoll_event& event) {
    if (event.data.ptr == &kWakeTag) {
      std::uint64_t drained;
      [[maybe_unused]] ssize_t ignored = ::read(wake_fd, &drained, sizeof drained);
      return;
    }
    if (event.data.ptr == &kTimerTag) {
      std::uint64_t expirations;
      [[maybe_unused]] ssize_t ignored = ::read(timer_fd, &expirations, sizeof expirations);
      armed_for = Clock::time_point::max();  // it fired: arm again whatever is due next
      return;
    }
    auto* watch = static_cast<Watch*>(event.data.ptr);
    if (watch->active) contain("I/O handler", [&] { watch->handler(event.events); });
  }

  void main_loop() {
    loop_thread_id.store(std::this_thread::get_id());
    // Named so that `top -H`, `ps -L` and tests can tell loop threads from others.
    ::pthread_setname_np(::pthread_self(), kLoopThreadName);
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    bool keep_running = true;
    while (keep_running) {
      arm_timer();
      int count = ::epoll_wait(epoll_fd, events, kMaxEvents, -1);
      round_started = Clock::now();
      if (count < 0 && errno != EINTR) {
        ++failures;
        report(std::string("epoll_wait: ") + std::strerror(errno));
        // Whatever failed, do not spin on it.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      for (int i = 0; i < count; ++i) dispatch(events[i]);
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

  void add_own(int fd, void* tag) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = tag;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
  }
};

EventLoop::EventLoop() : state_(std::make_unique<State>()) {
  auto fail = [this](const char* what) {
    int error = errno;
    for (int fd : {state_->timer_fd, state_->wake_fd, state_->epoll_fd}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::system_error(error, std::generic_category(), what);
  };
  state_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (state_->epoll_fd < 0) fail("epoll_create1");
  state_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state_->wake_fd < 0) fail("eventfd");
  state_->timer_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (state_->timer_fd < 0) fail("timerfd_create");
  try {
    state_->add_own(state_->wake_fd, &kWakeTag);
    state_->add_own(state_->timer_fd, &kTimerTag);
  } catch (const std::system_error&) {
    fail("epoll_ctl");
  }
  state_->thread = std::thread([state = state_.get()] { state->main_loop(); });
}

EventLoop::~EventLoop() {
  stop();
  ::close(state_->timer_fd);
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
  std::exception_ptr failure;
  {
    std::lock_guard lock(state_->task_mutex);
    if (!state_->stopping) {
      accepted = true;
      state_->tasks.push_back([&] {
        // The caller waits for this task, so what it throws belongs to the caller.
        try {
          task();
        } catch (...) {
          failure = std::current_exception();
        }
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
    if (failure) std::rethrow_exception(failure);
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

void EventLoop::set_error_reporter(ErrorReporter reporter) {
  std::lock_guard lock(state_->task_mutex);
  state_->reporter = std::move(reporter);
}

std::uint64_t EventLoop::callback_failures() const {
  return state_->failures.load();
}

std::error_code EventLoop::watch(int fd, std::uint32_t epoll_events, IoHandler handler) {
  auto watch = std::make_unique<State::Watch>(State::Watch{fd, std::move(handler)});
  epoll_event event{};
  event.events = epoll_events;
  event.data.ptr = watch.get();
  if (::epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    return {errno, std::system_category()};
  }
  state_->watches[fd] = std::move(watch);
  return {};
}

void EventLoop::modify(int fd, std::uint32_t epoll_events) {
  auto found = state_->watches.find(fd);
  if (found == state_->watches.end()) return;
  epoll_event event{};
  event.events = epoll_events;
  event.data.ptr = found->second.get();
  if (::epoll_ctl(state_->epoll_fd, EPOLL_CTL_MOD, fd, &event) != 0) {
    state_->report(std::string("epoll_ctl modify: ") + std::strerror(errno));
  }
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

std::chrono::steady_clock::time_point EventLoop::round_started() const {
  return state_->round_started;
}

EventLoop::TimerId EventLoop::run_after(std::chrono::nanoseconds delay, Task task) {
  auto due = Clock::now() + (delay.count() < 0 ? std::chrono::nanoseconds(0) : delay);
  TimerId id = state_->next_timer_id++;
  state_->timers.emplace(std::make_pair(due, id), State::Timer{std::move(task), {}});
  state_->timer_due.emplace(id, due);
  return id;
}

EventLoop::TimerId EventLoop::run_every(std::chrono::nanoseconds interval, Task task) {
  if (interval.count() <= 0) interval = std::chrono::nanoseconds(1);
  auto due = Clock::now() + interval;
  TimerId id = state_->next_timer_id++;
  state_->timers.emplace(std::make_pair(due, id), State::Timer{std::move(task), interval});
  state_->timer_due.emplace(id, due);
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto found = state_->timer_due.find(id);
  if (found == state_->timer_due.end()) return;
  // Absent from timers while its own callback runs; erasing timer_due is what stops it.
  state_->timers.erase(std::make_pair(found->second, id));
  state_->timer_due.erase(found);
}

// --- RoundEndTask ---

RoundEndTask::RoundEndTask(EventLoop& loop, std::function<void()> task)
    : loop_(loop), task_(std::move(task)), slot_(new Slot{this}) {}

RoundEndTask::~RoundEndTask() {
  if (slot_->scheduled) {
    slot_->owner = nullptr;  // the pending call frees the slot
  } else {
    delete slot_;
  }
}

void RoundEndTask::schedule() {
  if (slot_->scheduled) return;
  slot_->scheduled = true;
  loop_.defer([slot = slot_] {
    RoundEndTask* owner = slot->owner;
    if (owner == nullptr) {
      delete slot;
      return;
    }
    slot->scheduled = false;
    owner->task_();
  });
}

// --- IoWatch ---

namespace {
std::uint32_t epoll_mask(unsigned interest) {
  std::uint32_t mask = EPOLLRDHUP;
  if (interest & IoWatch::readable) mask |= EPOLLIN;
  if (interest & IoWatch::writable) mask |= EPOLLOUT;
  return mask;
}
}  // namespace

IoWatch::IoWatch(EventLoop& loop, int fd, unsigned interest, Handler handler)
    : fd_(fd), interest_(interest) {
  error_ = loop.watch(fd, epoll_mask(interest), [handler = std::move(handler)](std::uint32_t ev) {
    Ready ready;
    ready.readable = (ev & EPOLLIN) != 0;
    ready.writable = (ev & EPOLLOUT) != 0;
    ready.hangup = (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    handler(ready);
  });
  if (!error_) loop_ = &loop;
}

IoWatch::~IoWatch() {
  reset();
}

IoWatch::IoWatch(IoWatch&& other) noexcept
    : loop_(other.loop_), fd_(other.fd_), interest_(other.interest_), error_(other.error_) {
  other.loop_ = nullptr;
}

IoWatch& IoWatch::operator=(IoWatch&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = other.loop_;
    fd_ = other.fd_;
    interest_ = other.interest_;
    error_ = other.error_;
    other.loop_ = nullptr;
  }
  return *this;
}

void IoWatch::set_interest(unsigned interest) {
  if (loop_ == nullptr || interest == interest_) return;
  interest_ = interest;
  loop_->modify(fd_, epoll_mask(interest));
}

void IoWatch::reset() {
  if (loop_ != nullptr) loop_->unwatch(fd_);
  loop_ = nullptr;
}

}  // namespace oscbridge::socket
