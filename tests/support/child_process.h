// A program the test starts, with its stdout and stderr captured through one pipe, so
// tests can read what it prints (with a deadline), signal it and collect its exit status.
// Owned by the test; the destructor kills a child that is still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace oscbridge::test {

class ChildProcess {
 public:
  // Starts program with args; extra_env entries ("NAME=value") are added to the
  // environment. Check running() for success.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::vector<std::string>& extra_env = {}) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
    env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> env;
    for (auto& entry : env_storage) env.push_back(entry.data());
    env.push_back(nullptr);
    if (::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    output_fd_ = pipe_fds[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exit_status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (output_fd_ >= 0) ::close(output_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0 && !exit_status_; }
  pid_t pid() const { return pid_; }
  void signal(int number) const {
    if (running()) ::kill(pid_, number);
  }

  // Reads output until regex matches somewhere in it (returning the match's first group,
  // or the whole match) or timeout_ms passes.
  std::optional<std::string> wait_for_output(const std::string& regex, int timeout_ms = 5000) {
    std::regex pattern(regex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      std::smatch match;
      std::string searched = output_.substr(consumed_);
      if (std::regex_search(searched, match, pattern)) {
        consumed_ += match.position(0) + match.length(0);
        return match.size() > 1 ? match[1].str() : match[0].str();
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !read_more(static_cast<int>(left))) return std::nullopt;
    }
  }

  // Waits for the child to exit; its exit code, or 128+signal, or nullopt on timeout.
  std::optional<int> wait_exit(int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!exit_status_) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      read_more(20);
    }
    while (read_more(0)) {
    }
    return exit_status_;
  }

  const std::string& output() {
    while (read_more(0)) {
    }
    return output_;
  }

 private:
  bool read_more(int timeout_ms) {
    pollfd entry{output_fd_, POLLIN, 0};
    if (output_fd_ < 0) return false;
    int ready;
    // A signal for this process (a library's, such as libjack's) is no reason to stop waiting.
    while ((ready = ::poll(&entry, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (ready <= 0) return false;
    char buffer[4096];
    ssize_t count = ::read(output_fd_, buffer, sizeof buffer);
    if (count <= 0) return false;
    output_.append(buffer, static_cast<std::size_t>(count));
    return true;
  }

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::size_t consumed_ = 0;
  std::optional<int> exit_status_;
};

}  // namespace oscbridge::test
