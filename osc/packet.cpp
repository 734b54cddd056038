#include "osc/packet.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "osc/byte_order.h"

namespace oscbridge::osc {

namespace {

constexpr std::string_view kBundleTag("#bundle\0", 8);
constexpr std::size_t kBundleHeaderSize = 16;  // "#bundle\0" and the timetag

std::size_t pad4(std::size_t size) {
  return (size + 3) & ~std::size_t{3};
}

bool zero_between(const char* data, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    if (data[i] != '\0') return false;
  }
  return true;
}

enum class StringScan { ok, unterminated, bad_padding };

// Finds the end of the OSC string at `pos` (4-aligned, like `size`). OSC strings end in the first
// 4-byte word holding a zero byte, whose later bytes must be zero too. On success `nul` is the
// offset of the terminating NUL and `end` the offset after the padding.
[[gnu::always_inline]] inline StringScan scan_string(const char* data, std::size_t pos,
                                                     std::size_t size, std::size_t& nul,
                                                     std::size_t& end) {
  if constexpr (std::endian::native == std::endian::little) {
    // Eight bytes per step while they are in bounds. The lowest flagged byte of the zero-byte
    // mask is exactly the first zero byte (flags above it may be false ones).
    for (; size - pos >= 8; pos += 8) {
      std::uint64_t word;
      std::memcpy(&word, data + pos, 8);
      const std::uint64_t zero_bytes = (word - 0x0101010101010101u) & ~word & 0x8080808080808080u;
      if (zero_bytes == 0) continue;
      const int k = std::countr_zero(zero_bytes) / 8;  // byte index of the NUL
      const std::size_t word_begin = pos + static_cast<std::size_t>(k & ~3);
      nul = pos + static_cast<std::size_t>(k);
      end = word_begin + 4;
      std::uint32_t last_word;  // the 4-byte word holding the NUL and its padding
      std::memcpy(&last_word, data + word_begin, 4);
      return (last_word >> (8 * (k & 3))) == 0 ? StringScan::ok : StringScan::bad_padding;
    }
    if (pos < size) {  // one 4-byte word left
      std::uint32_t word;
      std::memcpy(&word, data + pos, 4);
      const std::uint32_t zero_bytes = (word - 0x01010101u) & ~word & 0x80808080u;
      if (zero_bytes == 0) return StringScan::unterminated;
      const int k = std::countr_zero(zero_bytes) / 8;
      nul = pos + static_cast<std::size_t>(k);
      end = pos + 4;
      return (word >> (8 * k)) == 0 ? StringScan::ok : StringScan::bad_padding;
    }
    return StringScan::unterminated;
  } else {
    for (; pos < size; pos += 4) {
      std::size_t k = 0;
      while (k < 4 && data[pos + k] != '\0') ++k;
      if (k == 4) continue;
      nul = pos + k;
      end = pos + 4;
      return zero_between(data, nul + 1, end) ? StringScan::ok : StringScan::bad_padding;
    }
    return StringScan::unterminated;
  }
}

}  // namespace

namespace detail {

// The validator, and the only code that fills in views. One instance per parse_packet call;
// it records the first fault and stops. Views are filled in only for the top-level packet:
// elements inside bundles are only checked, and rebuilt cheaply by view_validated() later.
struct PacketAccess {
  int max_depth;
  Error error{};

  bool fail(std::string_view reason, std::size_t offset) {
    error = Error{reason, offset};
    return false;
  }
  bool packet(std::string_view bytes, std::size_t base, int depth, Packet* out);
  bool top_level(std::string_view bytes, Packet* out);
  [[gnu::always_inline]] bool message(std::string_view bytes, std::size_t base, Message* out);
  [[gnu::always_inline]] bool arguments(const char* data, std::size_t size, std::size_t pos,
                                        std::string_view tags, std::size_t tags_base,
                                        std::size_t base);
  bool bundle(std::string_view bytes, std::size_t base, int depth, Bundle* out);
  static Packet view_validated(std::string_view bytes);
};

bool PacketAccess::top_level(std::string_view bytes, Packet* out) {
  // Most datagrams are single messages: take them without the dispatch through packet().
  if (!bytes.empty() && bytes.front() == '/' && bytes.size() % 4 == 0) {
    return message(bytes, 0, &out->message_);
  }
  return packet(bytes, 0, 0, out);
}

bool PacketAccess::packet(std::string_view bytes, std::size_t base, int depth, Packet* out) {
  if (bytes.empty()) return fail("empty packet", base);
  if (bytes.size() % 4 != 0) return fail("packet size not a multiple of 4", base + bytes.size());
  if (bytes.front() == '/') return message(bytes, base, out ? &out->message_ : nullptr);
  if (bytes.size() >= kBundleTag.size() && std::memcmp(bytes.data(), kBundleTag.data(), 8) == 0) {
    if (out) out->kind_ = PacketKind::bundle;
    return bundle(bytes, base, depth + 1, out ? &out->bundle_ : nullptr);
  }
  return fail("not OSC: address must start with '/' or be #bundle", base);
}

inline bool PacketAccess::message(std::string_view bytes, std::size_t base, Message* out) {
  const char* data = bytes.data();
  const std::size_t size = bytes.size();  // a positive multiple of 4
  std::size_t address_length = 0;
  std::size_t tags_pos = 0;
  switch (scan_string(data, 0, size, address_length, tags_pos)) {
    case StringScan::ok:
      break;
    case StringScan::unterminated:
      return fail("address not NUL-terminated", base + size);
    case StringScan::bad_padding:
      return fail("non-zero padding after address", base + address_length + 1);
  }
  if (tags_pos == size || data[tags_pos] != ',') {
    // OSC 1.0 lets old senders omit the type-tag string: no arguments, data left uninterpreted.
    if (out) {
      out->data_ = data;
      out->size_ = static_cast<std::uint32_t>(size);
      out->address_length_ = static_cast<std::uint32_t>(address_length);
      out->tags_pos_ = out->data_pos_ = static_cast<std::uint32_t>(tags_pos);
    }
    return true;
  }
  std::size_t tags_nul = 0;
  std::size_t data_pos = 0;
  switch (scan_string(data, tags_pos, size, tags_nul, data_pos)) {
    case StringScan::ok:
      break;
    case StringScan::unterminated:
      return fail("type tags not NUL-terminated", base + size);
    case StringScan::bad_padding:
      return fail("non-zero padding after type tags", base + tags_nul + 1);
  }
  const std::string_view tags(data + tags_pos + 1, tags_nul - tags_pos - 1);
  if (!arguments(data, size, data_pos, tags, base + tags_pos + 1, base)) return false;
  if (out) {
    out->data_ = data;
    out->size_ = static_cast<std::uint32_t>(size);
    out->address_length_ = static_cast<std::uint32_t>(address_length);
    out->tags_pos_ = static_cast<std::uint32_t>(tags_pos);
    out->tags_length_ = static_cast<std::uint32_t>(tags.size());
    out->data_pos_ = static_cast<std::uint32_t>(data_pos);
    out->has_type_tag_string_ = true;
  }
  return true;
}

// Walks type tags and argument data together, so each tag is looked at once.
inline bool PacketAccess::arguments(const char* data, std::size_t size, std::size_t pos,
                                    std::string_view tags, std::size_t tags_base,
                                    std::size_t base) {
  int array_depth = 0;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const int code = tag_code(tags[i]);
    if (code >= 0) {
      // Fixed-size data is not read here, so its bounds are checked once: before the next
      // variable-size argument, or at the end.
      pos += static_cast<std::size_t>(code);
      continue;
    }
    if (pos > size) return fail("argument data shorter than the type tags", base + size);
    const std::size_t remaining = size - pos;
    switch (code) {
      case kStringTag: {
        std::size_t nul = 0;
        std::size_t end = 0;
        if (remaining == 0) return fail("argument data shorter than the type tags", base + pos);
        switch (scan_string(data, pos, size, nul, end)) {
          case StringScan::ok:
            break;
          case StringScan::unterminated:
            return fail("string argument not NUL-terminated", base + size);
          case StringScan::bad_padding:
            return fail("non-zero padding after string argument", base + nul + 1);
        }
        pos = end;
        break;
      }
      case kBlobTag: {
        if (remaining < 4) return fail("blob size missing", base + pos);
        const auto blob_size = static_cast<std::int32_t>(load_be32(data + pos));
        if (blob_size < 0) return fail("negative blob size", base + pos);
        const std::size_t padded = pad4(static_cast<std::size_t>(blob_size));
        if (padded > remaining - 4) return fail("blob larger than what remains", base + pos);
        const std::size_t payload_end = pos + 4 + static_cast<std::size_t>(blob_size);
        if (!zero_between(data, payload_end, pos + 4 + padded)) {
          return fail("non-zero padding after blob", base + payload_end);
        }
        pos += 4 + padded;
        break;
      }
      case kArrayOpen:
        ++array_depth;
        break;
      case kArrayClose:
        if (--array_depth < 0) return fail("unbalanced ']' in type tags", tags_base + i);
        break;
      default:
        return fail("unknown type tag", tags_base + i);
    }
  }
  if (pos > size) return fail("argument data shorter than the type tags", base + size);
  if (array_depth != 0) return fail("unbalanced '[' in type tags", tags_base + tags.size());
  if (pos != size) return fail("bytes left after the last argument", base + pos);
  return true;
}

bool PacketAccess::bundle(std::string_view bytes, std::size_t base, int depth, Bundle* out) {
  if (depth > max_depth) return fail("bundles nested too deeply", base);
  if (bytes.size() < kBundleHeaderSize) return fail("bundle shorter than 16 bytes", base);
  std::size_t pos = kBundleHeaderSize;
  while (pos < bytes.size()) {
    // bytes.size() - pos >= 4: both are multiples of 4.
    const auto size = static_cast<std::int32_t>(load_be32(bytes.data() + pos));
    if (size == 0) return fail("bundle element of size 0", base + pos);
    if (size < 0) return fail("negative bundle element size", base + pos);
    if (size % 4 != 0) return fail("bundle element size not a multiple of 4", base + pos);
    if (static_cast<std::size_t>(size) > bytes.size() - pos - 4) {
      return fail("bundle element larger than what remains", base + pos);
    }
    if (!packet(bytes.substr(pos + 4, size), base + pos + 4, depth, nullptr)) return false;
    pos += 4 + static_cast<std::size_t>(size);
  }
  if (out) {
    out->data_ = bytes.data();
    out->size_ = static_cast<std::uint32_t>(bytes.size());
    out->time_ = TimeTag(load_be64(bytes.data() + kBundleTag.size()));
  }
  return true;
}

Packet PacketAccess::view_validated(std::string_view bytes) {
  Packet packet;
  const auto size = static_cast<std::uint32_t>(bytes.size());
  if (bytes.front() == '#') {
    packet.kind_ = PacketKind::bundle;
    packet.bundle_.data_ = bytes.data();
    packet.bundle_.size_ = size;
    packet.bundle_.time_ = TimeTag(load_be64(bytes.data() + kBundleTag.size()));
    return packet;
  }
  Message& message = packet.message_;
  message.data_ = bytes.data();
  message.size_ = size;
  message.address_length_ = static_cast<std::uint32_t>(std::strlen(bytes.data()));
  const auto tags_pos = static_cast<std::uint32_t>(pad4(message.address_length_ + 1));
  message.tags_pos_ = message.data_pos_ = tags_pos;
  if (tags_pos < size && bytes[tags_pos] == ',') {
    message.has_type_tag_string_ = true;
    message.tags_length_ = static_cast<std::uint32_t>(std::strlen(bytes.data() + tags_pos + 1));
    message.data_pos_ = tags_pos + static_cast<std::uint32_t>(pad4(message.tags_length_ + 2));
  }
  return packet;
}

}  // namespace detail

std::optional<Argument> Message::argument(std::size_t index) const {
  if (index >= type_tags().size()) return std::nullopt;
  ArgumentIterator it = arguments().begin();
  for (std::size_t i = 0; i < index; ++i) ++it;
  return *it;
}

Packet BundleElementIterator::operator*() const {
  const std::uint32_t size = detail::load_be32(remaining_.data());
  return detail::PacketAccess::view_validated(remaining_.substr(4, size));
}

BundleElementIterator& BundleElementIterator::operator++() {
  remaining_.remove_prefix(4 + std::size_t{detail::load_be32(remaining_.data())});
  return *this;
}

Result<Packet> parse_packet(std::string_view bytes, const ParseOptions& options) {
  detail::PacketAccess parser{std::clamp(options.max_bundle_depth, 1, kMaxBundleDepthLimit)};
  // One result object, filled in place and returned without a copy.
  Result<Packet> result{Packet()};
  if (bytes.size() > UINT32_MAX) {
    result = Error{"packet larger than 4 GiB", 0};
  } else if (!parser.top_level(bytes, &*result)) {
    result = parser.error;
  }
  return result;
}

}  // namespace oscbridge::osc
