// The load tool's own OSC encoding and decoding.
//
// Deliberately independent of osc/, the code under test: a bug there has to
// show up here as a wrong message, not cancel out against the same bug on the
// measuring side. It knows only the messages this benchmark uses: sent as
// `ADDRESS ,fhh value sequence timestamp`, received as any message whose
// argument 1 is numeric and arguments 2 and 3 are `h`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace oscbridge::load {

// The bytes of one address and its `,fhh` type tags, encoded once so that each
// message costs only its 20 argument bytes.
class LoadMessageTemplate {
 public:
  explicit LoadMessageTemplate(std::string_view address);

  std::size_t size() const { return prefix_.size() + kArgumentBytes; }
  // Writes the whole message; `out` must hold size() bytes.
  void write(std::span<std::byte> out, float value, std::int64_t sequence,
             std::int64_t timestamp_ns) const;

 private:
  static constexpr std::size_t kArgumentBytes = 4 + 8 + 8;
  std::string prefix_;
};

struct ForwardedMessage {
  std::string_view address;  // points into the decoded packet
  double value = 0;
  std::int64_t sequence = 0;
  std::int64_t timestamp_ns = 0;
};

// nullopt when the packet is not an OSC message of the expected shape
// (a bundle counts as malformed: the routers forward single messages).
std::optional<ForwardedMessage> decode_forwarded(std::span<const std::byte> packet);

}  // namespace oscbridge::load
