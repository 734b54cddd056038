// oscbridge-midi-load: plays MIDI into a router at a fixed rate from a JACK client of its own
// and checks what comes out as OSC over UDP: every message, in order.
//
// Each MIDI message is a control change whose channel, controller and value spell a sequence
// number (4 + 7 + 7 bits), so the receiver knows exactly which message it got. Events are
// written in JACK's process callback at their frame position, so the rate is exact whatever
// the machine's load. Sending starts only once something is connected to the output port (and
// one more period has passed: JACK may drop what is written in the cycle a connection is made).
// Prints one line of key=value pairs for bench/load/midi_run.sh.
//   oscbridge-midi-load --rate MSG_PER_S --seconds S --receive UDP_PORT [--client NAME]
// Talks to the JACK server JACK_DEFAULT_SERVER names; starts none.
#include <arpa/inet.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/load/cli_options.h"

namespace {

constexpr std::uint64_t kMaxSequence = 16 * 128 * 128;

struct Sender {
  jack_client_t* client = nullptr;
  jack_port_t* port = nullptr;
  double rate = 0;
  std::uint64_t total = 0;
  std::atomic<bool> started{false};
  std::uint64_t start_frame = 0;  // process thread only
  bool start_frame_set = false;   // process thread only
  std::atomic<std::uint64_t> sent{0};
};

int process(jack_nframes_t frames, void* argument) {
  auto& sender = *static_cast<Sender*>(argument);
  void* buffer = jack_port_get_buffer(sender.port, frames);
  jack_midi_clear_buffer(buffer);
  if (!sender.started.load(std::memory_order_acquire)) return 0;
  const jack_nframes_t cycle_start = jack_last_frame_time(sender.client);
  if (!sender.start_frame_set) {
    sender.start_frame = cycle_start;
    sender.start_frame_set = true;
  }
  const double sample_rate = jack_get_sample_rate(sender.client);
  std::uint64_t next = sender.sent.load(std::memory_order_relaxed);
  for (jack_nframes_t offset = 0; offset < frames && next < sender.total; ++offset) {
    const double now = static_cast<double>(cycle_start - sender.start_frame + offset);
    // Every message due at or before this frame goes out at this frame.
    while (next < sender.total && static_cast<double>(next) * sample_rate / sender.rate <= now) {
      const std::uint64_t sequence = next % kMaxSequence;
      unsigned char event[3] = {static_cast<unsigned char>(0xB0 | (sequence >> 14)),
                                static_cast<unsigned char>((sequence >> 7) & 0x7F),
                                static_cast<unsigned char>(sequence & 0x7F)};
      if (jack_midi_event_write(buffer, offset, event, sizeof event) != 0) break;  // full
      ++next;
    }
  }
  sender.sent.store(next, std::memory_order_relaxed);
  return 0;
}

// "/midi/CH/cc/NUM" with one int32 argument, as the sequence number it spells; -1 otherwise.
long long decode(const char* data, std::size_t size) {
  const std::string_view packet(data, size);
  const auto address_end = packet.find('\0');
  if (address_end == std::string_view::npos) return -1;
  int channel = 0, controller = 0;
  char tail = 0;
  std::string address(packet.substr(0, address_end));
  if (std::sscanf(address.c_str(), "/midi/%d/cc/%d%c", &channel, &controller, &tail) != 2) {
    return -1;
  }
  const std::size_t tags = (address_end + 4) & ~std::size_t{3};
  if (packet.size() != tags + 4 + 4 || packet.substr(tags, 3) != std::string_view(",i\0", 3)) {
    return -1;
  }
  std::uint32_t raw;
  std::memcpy(&raw, data + tags + 4, 4);
  const auto value = static_cast<std::int32_t>(ntohl(raw));
  if (channel < 1 || channel > 16 || controller < 0 || controller > 127 || value < 0 ||
      value > 127) {
    return -1;
  }
  return (static_cast<long long>(channel - 1) << 14) | (controller << 7) | value;
}

}  // namespace

int main(int argc, char** argv) try {
  oscbridge::load::CliOptions options(argc, argv, 1, {"rate", "seconds", "receive", "client"});
  Sender sender;
  sender.rate = options.number("rate", 10000, 1, 1e6);
  const double seconds = options.number("seconds", 5, 0.1, 3600);
  sender.total = static_cast<std::uint64_t>(sender.rate * seconds);
  const auto receive_port = static_cast<std::uint16_t>(options.integer("receive", 0, 1, 65535));
  const std::string client_name = options.text("client", "midi-load");

  int receiver = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  local.sin_port = htons(receive_port);
  int buffer_bytes = 8 << 20;
  ::setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  if (::bind(receiver, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    throw std::runtime_error("cannot bind UDP 127.0.0.1:" + std::to_string(receive_port));
  }

  // The server may still be starting (run.sh starts it just before).
  auto server_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sender.client == nullptr) {
    jack_status_t status{};
    sender.client = jack_client_open(client_name.c_str(), JackNoStartServer, &status);
    if (sender.client != nullptr) break;
    if (std::chrono::steady_clock::now() > server_deadline) {
      throw std::runtime_error("no JACK server");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sender.port =
      jack_port_register(sender.client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
  if (sender.port == nullptr) throw std::runtime_error("cannot register the JACK port");
  jack_set_process_callback(sender.client, process, &sender);
  if (jack_activate(sender.client) != 0) throw std::runtime_error("cannot activate");
  std::fprintf(stderr, "midi-load: %s:out, waiting for a connection\n",
               jack_get_client_name(sender.client));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (jack_port_connected(sender.port) == 0) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("nobody connected");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto started = std::chrono::steady_clock::now();
  sender.started.store(true, std::memory_order_release);

  std::uint64_t received = 0, in_order = 0, malformed = 0;
  long long expected = 0;
  std::vector<char> datagram(65536);
  auto quiet_since = std::chrono::steady_clock::now();
  for (;;) {
    pollfd entry{receiver, POLLIN, 0};
    if (::poll(&entry, 1, 50) > 0) {
      ssize_t size = ::recv(receiver, datagram.data(), datagram.size(), 0);
      if (size <= 0) continue;
      quiet_since = std::chrono::steady_clock::now();
      const long long sequence = decode(datagram.data(), static_cast<std::size_t>(size));
      if (sequence < 0) {
        ++malformed;
        continue;
      }
      ++received;
      if (sequence == expected % static_cast<long long>(kMaxSequence)) ++in_order;
      expected = sequence + 1;
      continue;
    }
    const bool all_sent = sender.sent.load() >= sender.total;
    if (all_sent && (received >= sender.total ||
                     std::chrono::steady_clock::now() - quiet_since > std::chrono::seconds(1))) {
      break;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  jack_client_close(sender.client);
  std::printf(
      "offered=%.0f sent=%llu received=%llu in_order=%llu malformed=%llu loss_percent=%.3f "
      "elapsed_s=%.2f\n",
      sender.rate, static_cast<unsigned long long>(sender.sent.load()),
      static_cast<unsigned long long>(received), static_cast<unsigned long long>(in_order),
      static_cast<unsigned long long>(malformed),
      100.0 * static_cast<double>(sender.total - std::min(received, sender.total)) /
          static_cast<double>(sender.total),
      elapsed);
  return received == sender.total && in_order == received && malformed == 0 ? 0 : 1;
} catch (const std::exception& error) {
  std::fprintf(stderr, "oscbridge-midi-load: %s\n", error.what());
  return 2;
}
