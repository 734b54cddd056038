#include "midi/ports.h"

#include <jack/jack.h>
#include <rtmidi/RtMidi.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <regex>

namespace oscbridge::midi {

namespace {

constexpr const char* kAlsaSequencer = "/dev/snd/seq";
// RtMidi's own input queue is unused: input goes to the callback as it arrives.
constexpr unsigned kInputQueueSize = 1;

RtMidi::Api rtmidi_api(PortApi api) {
  return api == PortApi::jack ? RtMidi::UNIX_JACK : RtMidi::LINUX_ALSA;
}

void ignore_jack_message(const char*) {}

// libjack prints every failed connection attempt ("Cannot connect to server socket ...") on
// stderr; the reason we report says the same once, so its own lines are dropped, for the
// whole process (libjack has one handler).
void silence_jack() {
  static std::once_flag once;
  std::call_once(once, [] {
    jack_set_error_function(ignore_jack_message);
    jack_set_info_function(ignore_jack_message);
  });
}

std::string jack_server_name() {
  const char* name = std::getenv("JACK_DEFAULT_SERVER");
  return name != nullptr && *name != '\0' ? name : "default";
}

}  // namespace

std::string_view to_string(PortApi api) {
  return api == PortApi::jack ? "jack" : "alsa";
}

std::string unavailable_reason(PortApi api) {
  if (api == PortApi::alsa) {
    // Asked before RtMidi, which would throw after libasound printed its own complaint.
    if (::access(kAlsaSequencer, R_OK | W_OK) == 0) return "";
    return std::string("ALSA sequencer not available (") + kAlsaSequencer + ": " +
           std::strerror(errno) + "); use api: jack or load snd-seq";
  }
  silence_jack();
  // RtMidi only warns on stderr when there is no server and then shows no ports, which would
  // look like a missing port; a client of our own tells the two apart.
  jack_status_t status{};
  jack_client_t* probe = jack_client_open("oscbridge-probe", JackNoStartServer, &status);
  if (probe == nullptr) {
    return "JACK server '" + jack_server_name() +
           "' not running; start jackd (or set JACK_DEFAULT_SERVER) or use api: alsa";
  }
  jack_client_close(probe);
  return "";
}

std::optional<std::vector<std::string>> list_ports(PortApi api, Direction direction,
                                                   std::string& why) {
  auto connection = PortConnection::create(api, direction, "oscbridge-list", nullptr, why);
  if (!connection) return std::nullopt;
  return connection->port_names();
}

std::optional<std::size_t> find_port(const std::vector<std::string>& names,
                                     const std::string& pattern) {
  std::regex expression(pattern, std::regex::ECMAScript);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == pattern || std::regex_search(names[i], expression)) return i;
  }
  return std::nullopt;
}

PortConnection::PortConnection(Direction direction, OnBytes on_bytes)
    : direction_(direction), on_bytes_(std::move(on_bytes)) {}

PortConnection::~PortConnection() {
  // Stops RtMidi's thread before on_bytes_ goes.
  input_.reset();
}

std::unique_ptr<PortConnection> PortConnection::create(PortApi api, Direction direction,
                                                       const std::string& client_name,
                                                       OnBytes on_bytes, std::string& why) {
  why = unavailable_reason(api);
  if (!why.empty()) return nullptr;
  std::unique_ptr<PortConnection> connection(new PortConnection(direction, std::move(on_bytes)));
  try {
    if (direction == Direction::input) {
      auto input = std::make_unique<RtMidiIn>(rtmidi_api(api), client_name, kInputQueueSize);
      // Sysex and clock are routed; active sensing (FE) is a link keep-alive, not a message.
      input->ignoreTypes(false, false, true);
      input->setCallback(&PortConnection::on_input, connection.get());
      connection->input_ = std::move(input);
      connection->rtmidi_ = connection->input_.get();
    } else {
      connection->output_ = std::make_unique<RtMidiOut>(rtmidi_api(api), client_name);
      connection->rtmidi_ = connection->output_.get();
    }
  } catch (const RtMidiError& error) {
    why = error.getMessage();
    return nullptr;
  }
  // From here on RtMidi reports errors to the callback instead of throwing or printing.
  connection->rtmidi_->setErrorCallback(
      [](RtMidiError::Type, const std::string& text, void* self) {
        auto& connection = *static_cast<PortConnection*>(self);
        if (connection.last_error_.empty()) connection.last_error_ = text;
      },
      connection.get());
  return connection;
}

template <class Operation>
std::string PortConnection::checked(Operation&& operation) {
  last_error_.clear();
  try {
    operation();
  } catch (const RtMidiError& error) {
    if (last_error_.empty()) last_error_ = error.getMessage();
  }
  return std::move(last_error_);
}

std::vector<std::string> PortConnection::port_names() {
  std::vector<std::string> names;
  checked([&] {
    unsigned count = rtmidi_->getPortCount();
    names.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
      std::string name = rtmidi_->getPortName(i);
      // A port that went between the count and the name comes back empty.
      if (!name.empty()) names.push_back(std::move(name));
    }
  });
  return names;
}

std::string PortConnection::open(const std::string& name, const std::string& own_name) {
  close();
  std::string error = checked([&] {
    // By index, which may have moved since the caller listed the names: look again.
    unsigned count = rtmidi_->getPortCount();
    for (unsigned i = 0; i < count; ++i) {
      if (rtmidi_->getPortName(i) == name) {
        rtmidi_->openPort(i, own_name);
        return;
      }
    }
    last_error_ = "port '" + name + "' is gone";
  });
  if (!error.empty()) close();
  open_ = error.empty();
  return error;
}

std::string PortConnection::open_virtual(const std::string& name) {
  close();
  std::string error = checked([&] { rtmidi_->openVirtualPort(name); });
  if (!error.empty()) close();
  open_ = error.empty();
  return error;
}

void PortConnection::close() {
  checked([&] { rtmidi_->closePort(); });
  open_ = false;
}

std::string PortConnection::send(std::span<const std::uint8_t> bytes) {
  if (!output_) return "not an output";
  return checked([&] { output_->sendMessage(bytes.data(), bytes.size()); });
}

void PortConnection::on_input(double, std::vector<unsigned char>* message, void* self) {
  auto& connection = *static_cast<PortConnection*>(self);
  if (message != nullptr && !message->empty() && connection.on_bytes_) {
    connection.on_bytes_(std::span<const std::uint8_t>(message->data(), message->size()));
  }
}

}  // namespace oscbridge::midi
