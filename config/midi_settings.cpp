#include <algorithm>
#include <array>
#include <regex>
#include <string>

#include "config/endpoints.h"

namespace oscbridge::config::detail {
namespace {

// In MidiApi's order.
constexpr std::array<std::string_view, 2> kMidiApis = {"alsa", "jack"};

void read_cc14(const Entry& entry, MidiSettings& midi, Diagnostics& diagnostics) {
  if (!entry.value.IsSequence()) {
    diagnostics.error(entry.value_at,
                      "cc14: expected a list of MSB controller numbers 0..31, such as [7, 10], "
                      "got " +
                          describe(entry.value));
    return;
  }
  for (std::size_t i = 0; i < entry.value.size(); ++i) {
    const YAML::Node item = entry.value[i];
    const Located value{item, position_of(item.Mark()), "cc14[" + std::to_string(i + 1) + "]"};
    const auto number = read_integer(value, 0, 31, diagnostics);
    if (!number) continue;
    const int controller = static_cast<int>(*number);
    if (std::find(midi.cc14.begin(), midi.cc14.end(), controller) != midi.cc14.end()) {
      diagnostics.error(
          value.at, value.what + ": controller " + std::to_string(controller) + " is listed twice");
      continue;
    }
    midi.cc14.push_back(controller);
  }
  std::sort(midi.cc14.begin(), midi.cc14.end());
}

// A port name is matched as a regular expression (a plain name matches itself), so one that
// does not compile is reported here rather than when the daemon looks for ports.
void read_port(const Entry& entry, MidiSettings& midi, Diagnostics& diagnostics) {
  // MIDI port names are free text and may look like numbers ("20:0", "2"), so any non-empty
  // scalar is taken as written.
  if (!entry.value.IsScalar() || entry.value.Scalar().empty()) {
    diagnostics.error(entry.value_at,
                      "port: expected a MIDI port name, got " + describe(entry.value));
    return;
  }
  midi.port = entry.value.Scalar();
  try {
    std::regex pattern(midi.port, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    diagnostics.error(entry.value_at, "port: '" + midi.port +
                                          "' is not a valid regular expression (" + error.what() +
                                          "); escape special characters such as \\( or \\[");
  }
}

}  // namespace

bool read_midi_setting(const Entry& entry, MidiSettings& midi, Diagnostics& diagnostics) {
  const Located value = located(entry);
  const std::string& key = entry.key;
  if (key == "port") {
    read_port(entry, midi, diagnostics);
  } else if (key == "input") {
    midi.input = read_bool(value, diagnostics).value_or(true);
  } else if (key == "output") {
    midi.output = read_bool(value, diagnostics).value_or(true);
  } else if (key == "virtual") {
    midi.virtual_port = read_bool(value, diagnostics).value_or(false);
  } else if (key == "nrpn") {
    midi.nrpn = read_bool(value, diagnostics).value_or(false);
  } else if (key == "api") {
    if (const auto choice = read_choice(value, kMidiApis, "MIDI API", diagnostics)) {
      midi.api = static_cast<MidiApi>(*choice);
    }
  } else if (key == "cc14") {
    read_cc14(entry, midi, diagnostics);
  } else if (key == "rescan") {
    using std::chrono::minutes, std::chrono::milliseconds;
    midi.rescan = read_duration(value, milliseconds(100), minutes(1), diagnostics)
                      .value_or(kDefaultMidiRescan);
  } else {
    return false;
  }
  return true;
}

}  // namespace oscbridge::config::detail
