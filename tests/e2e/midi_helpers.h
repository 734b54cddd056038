// MIDI peers for end-to-end tests: a private JACK server (jackd with its dummy driver, under a
// name of the test's own, so tests never meet another server) and RtMidi ports on it that play
// a control surface or a synth. Real JACK, real RtMidi: what the daemon sees is what a user's
// hardware or software would show it.
//
// Threading: a MidiPeer's input callback runs on RtMidi's thread; received() and wait_for()
// read under a mutex from the test thread.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <rtmidi/RtMidi.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oscbridge::e2e {

using MidiBytes = std::vector<std::uint8_t>;

// jackd -n NAME -r -d dummy, started for one test and stopped with it. Sets JACK_DEFAULT_SERVER
// and JACK_NO_START_SERVER in this process, so RtMidi here finds it and nothing autostarts.
//
// JACK keeps its servers in a registry of 8 entries and reclaims a dead server's entry only
// for a server of the same name, so the tests use a few fixed names, each owned through a lock
// file while a test runs: a server that died without unregistering (killed) costs nothing.
class JackServer {
 public:
  static constexpr int kSlots = 4;

  JackServer() {
    jack_set_error_function(+[](const char*) {});
    jack_set_info_function(+[](const char*) {});
    if (!take_slot()) return;
    ::setenv("JACK_NO_START_SERVER", "1", 1);
    ::setenv("JACK_DEFAULT_SERVER", name_.c_str(), 1);
    // A server under our name now is an orphan of a test that was killed: stop it first.
    if (answers()) {
      std::system(
          ("pkill -TERM -f '^" + std::string(JACKD_BINARY) + " -n " + name_ + " '").c_str());
      for (int i = 0; i < 200 && answers(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Quiet: its banner is noise in a test log; a failure shows as "never came up".
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(JACKD_BINARY, JACKD_BINARY, "-n", name_.c_str(), "-r", "-d", "dummy", "-r", "48000",
              "-p", "256", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers()) {
        up_ = true;
        return;
      }
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;  // it gave up (the registry full of other servers, ...)
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~JackServer() {
    if (pid_ > 0) {
      // A clean stop takes jackd about 2 s; only a clean stop frees its registry entry.
      ::kill(pid_, SIGTERM);
      bool exited = false;
      for (int i = 0; i < 400 && !exited; ++i) {
        exited = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
        if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!exited) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }
  JackServer(const JackServer&) = delete;
  JackServer& operator=(const JackServer&) = delete;

  bool up() const { return up_; }

  // Waits until the port called full_name ("client:port") has a connection, plus a few JACK
  // periods: events written in the cycle a connection is made can be lost.
  bool wait_connected(const std::string& full_name, int timeout_ms = 10000) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    jack_client_t* client = nullptr;
    // A loaded server can time a client out: ask again until the deadline.
    while (client == nullptr && std::chrono::steady_clock::now() < deadline) {
      jack_status_t status{};
      client = jack_client_open("e2e-watch", JackNoStartServer, &status);
      if (client == nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (client == nullptr) return false;
    bool connected = false;
    while (!connected && std::chrono::steady_clock::now() < deadline) {
      jack_port_t* port = jack_port_by_name(client, full_name.c_str());
      connected = port != nullptr && jack_port_connected(port) > 0;
      if (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    jack_client_close(client);
    if (connected) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return connected;
  }
  const std::string& name() const { return name_; }
  // For Daemon's environment.
  std::vector<std::string> env() const {
    return {"JACK_DEFAULT_SERVER=" + name_, "JACK_NO_START_SERVER=1"};
  }

 private:
  bool take_slot() {
    const std::string directory = "/tmp/oscbridge-test-ports";
    std::filesystem::create_directories(directory);
    for (int attempt = 0; attempt < 600; ++attempt) {  // up to a minute for a free slot
      for (int slot = 0; slot < kSlots; ++slot) {
        const std::string path = directory + "/jack-slot-" + std::to_string(slot);
        int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
          lock_fd_ = fd;
          name_ = "oscbridge-e2e-" + std::to_string(slot);
          return true;
        }
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  bool answers() const {
    jack_status_t status{};
    jack_client_t* probe = jack_client_open("e2e-probe", JackNoStartServer, &status);
    if (probe == nullptr) return false;
    jack_client_close(probe);
    return true;
  }

  std::string name_;
  int lock_fd_ = -1;
  pid_t pid_ = -1;
  bool up_ = false;
};

// A JACK (or ALSA) MIDI client playing a surface (out) or a synth (in): a virtual port of its own,
// which the daemon finds by name, or a connection to one of the daemon's virtual ports.
class MidiPeer {
 public:
  enum class Kind { out, in };
  MidiPeer(Kind kind, const std::string& client, RtMidi::Api api = RtMidi::UNIX_JACK)
      : kind_(kind) {
    if (kind == Kind::out) {
      out_ = std::make_unique<RtMidiOut>(api, client);
    } else {
      in_ = std::make_unique<RtMidiIn>(api, client, 1);
      in_->ignoreTypes(false, false, true);
      in_->setCallback(&MidiPeer::record, this);
    }
  }
  ~MidiPeer() {
    in_.reset();
    out_.reset();
  }

  RtMidi& api() { return out_ ? static_cast<RtMidi&>(*out_) : static_cast<RtMidi&>(*in_); }
  void open_virtual(const std::string& port) { api().openVirtualPort(port); }
  // Connects to the port whose full name contains `part`; false when there is none yet.
  bool open(const std::string& part) {
    for (unsigned i = 0; i < api().getPortCount(); ++i) {
      if (api().getPortName(i).find(part) != std::string::npos) {
        api().openPort(i, "peer");
        return true;
      }
    }
    return false;
  }
  // Polls open() until the port appears.
  bool open_when_there(const std::string& part, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (open(part)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void send(const MidiBytes& bytes) { out_->sendMessage(&bytes); }

  // Waits until `count` messages arrived (each as RtMidi delivered it); returns them all.
  std::vector<MidiBytes> wait_for(std::size_t count, int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return received_.size() >= count; });
    return received_;
  }

 private:
  static void record(double, std::vector<unsigned char>* message, void* self) {
    auto& peer = *static_cast<MidiPeer*>(self);
    std::lock_guard lock(peer.mutex_);
    peer.received_.emplace_back(message->begin(), message->end());
    peer.arrived_.notify_all();
  }

  Kind kind_;
  std::unique_ptr<RtMidiOut> out_;
  std::unique_ptr<RtMidiIn> in_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<MidiBytes> received_;
};

}  // namespace oscbridge::e2e
