#include "bench/load/load_codec.h"

#include <bit>
#include <cstring>

namespace oscbridge::load {
namespace {

std::size_t padded(std::size_t length_with_nul) {
  return (length_with_nul + 3) & ~std::size_t{3};
}

void append_padded_string(std::string& out, std::string_view text) {
  out.append(text);
  out.append(padded(text.size() + 1) - text.size(), '\0');
}

template <typename T>
void put_big_endian(std::byte* out, T value) {
  using Unsigned = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  auto bits = std::bit_cast<Unsigned>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<std::byte>(bits >> (8 * (sizeof(T) - 1 - i)));
  }
}

template <typename Unsigned>
Unsigned get_big_endian(const std::byte* in) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value = static_cast<Unsigned>((value << 8) | std::to_integer<Unsigned>(in[i]));
  }
  return value;
}

// Reads a NUL-terminated, 4-byte-padded OSC string starting at `offset`.
std::optional<std::string_view> read_string(std::span<const std::byte> packet,
                                            std::size_t& offset) {
  const char* start = reinterpret_cast<const char*>(packet.data()) + offset;
  const void* nul = std::memchr(start, '\0', packet.size() - offset);
  if (nul == nullptr) return std::nullopt;
  std::size_t length = static_cast<const char*>(nul) - start;
  std::size_t next = offset + padded(length + 1);
  if (next > packet.size()) return std::nullopt;
  offset = next;
  return std::string_view(start, length);
}

std::optional<double> read_number(char type, std::span<const std::byte> packet,
                                  std::size_t& offset) {
  std::size_t size = (type == 'i' || type == 'f') ? 4 : (type == 'h' || type == 'd') ? 8 : 0;
  if (size == 0 || offset + size > packet.size()) return std::nullopt;
  const std::byte* at = packet.data() + offset;
  offset += size;
  switch (type) {
    case 'i':
      return static_cast<std::int32_t>(get_big_endian<std::uint32_t>(at));
    case 'f':
      return std::bit_cast<float>(get_big_endian<std::uint32_t>(at));
    case 'h':
      return static_cast<double>(static_cast<std::int64_t>(get_big_endian<std::uint64_t>(at)));
    default:
      return std::bit_cast<double>(get_big_endian<std::uint64_t>(at));
  }
}

}  // namespace

LoadMessageTemplate::LoadMessageTemplate(std::string_view address) {
  append_padded_string(prefix_, address);
  append_padded_string(prefix_, ",fhh");
}

void LoadMessageTemplate::write(std::span<std::byte> out, float value, std::int64_t sequence,
                                std::int64_t timestamp_ns) const {
  std::memcpy(out.data(), prefix_.data(), prefix_.size());
  std::byte* arguments = out.data() + prefix_.size();
  put_big_endian(arguments, value);
  put_big_endian(arguments + 4, sequence);
  put_big_endian(arguments + 12, timestamp_ns);
}

std::optional<ForwardedMessage> decode_forwarded(std::span<const std::byte> packet) {
  if (packet.size() % 4 != 0 || packet.empty()) return std::nullopt;
  std::size_t offset = 0;
  auto address = read_string(packet, offset);
  if (!address || !address->starts_with('/')) return std::nullopt;
  if (offset == packet.size()) return std::nullopt;  // no type tags, so no arguments
  auto tags = read_string(packet, offset);
  if (!tags || tags->size() < 4 || (*tags)[0] != ',' || (*tags)[2] != 'h' || (*tags)[3] != 'h') {
    return std::nullopt;
  }
  ForwardedMessage message{.address = *address};
  auto value = read_number((*tags)[1], packet, offset);
  if (!value) return std::nullopt;
  message.value = *value;
  if (offset + 16 > packet.size()) return std::nullopt;
  message.sequence =
      static_cast<std::int64_t>(get_big_endian<std::uint64_t>(packet.data() + offset));
  message.timestamp_ns =
      static_cast<std::int64_t>(get_big_endian<std::uint64_t>(packet.data() + offset + 8));
  return message;
}

}  // namespace oscbridge::load
