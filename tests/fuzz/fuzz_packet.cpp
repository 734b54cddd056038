// libFuzzer target for the packet parser. Beyond "no crash", it checks properties: a packet that
// parses can be walked, every argument read, every message re-encoded (verbatim arguments and a
// rewritten address) and the result parses again to the same arguments.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "osc/encoder.h"
#include "osc/packet.h"

namespace {

using namespace oscbridge::osc;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_message(const Message& message) {
  check(!message.address().empty() && message.address().front() == '/');
  std::size_t raw_total = 0;
  std::size_t count = 0;
  for (const Argument& a : message.arguments()) {
    raw_total += a.raw().size();
    ++count;
    // Read every accessor; the values only need to be readable.
    volatile double sink = a.numeric_value().value_or(0) + a.as_string().size() +
                           a.as_blob().size() + a.as_midi()[0] + a.as_rgba() + a.as_char() +
                           static_cast<double>(a.as_timetag().ntp()) + a.as_bool();
    (void)sink;
  }
  check(count == message.type_tags().size());
  if (message.has_type_tag_string()) check(raw_total == message.argument_data().size());

  static std::array<char, 1 << 17> out;
  MessageBuilder copy(out, message.address());
  for (const Argument& a : message.arguments()) copy.add_argument(a);
  Result<std::size_t> size = copy.finish();
  check(size.ok());
  Result<Packet> again = parse_packet(std::string_view(out.data(), *size));
  check(again.ok() && again->is_message());
  check(again->message().type_tags() == message.type_tags());
  if (message.has_type_tag_string()) {
    check(again->message().argument_data() == message.argument_data());
  }

  Result<std::size_t> rewritten = rewrite_address(message, "/rewritten", out);
  check(rewritten.ok());
  Result<Packet> reparsed = parse_packet(std::string_view(out.data(), *rewritten));
  check(reparsed.ok() && reparsed->message().address() == "/rewritten");
  check(reparsed->message().after_address() == message.after_address());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<Packet> parsed = parse_packet(bytes);
  Status walked = for_each_message(bytes, [](const Message& m, TimeTag) { check_message(m); });
  check(walked.ok() == parsed.ok());
  if (!parsed.ok()) {
    check(!parsed.error().reason.empty() && parsed.error().offset <= size);
  }
  // A tighter depth limit may only turn success into failure, never the reverse.
  Result<Packet> shallow = parse_packet(bytes, ParseOptions{2});
  if (shallow.ok()) check(parsed.ok());
  return 0;
}
