#include "osc/packet.h"

#include <algorithm>
#include <cstring>

#include "osc/byte_order.h"

namespace oscbridge::osc {

namespace {

constexpr std::string_view kBundleTag("#bundle\0", 8);
constexpr std::size_t kBundleHeaderSize = 16;  // "#bundle\0" and the timetag

std::size_t pad4(std::size_t size) {
  return (size + 3) & ~std::size_t{3};
}

bool all_zero(const char* begin, const char* end) {
  return std::all_of(begin, end, [](char c) { return c == '\0'; });
}

// Reads the OSC string starting at `pos`; returns the offset just past its padding.
Result<std::size_t> read_padded_string(std::string_view bytes, std::size_t pos, std::size_t base,
                                       std::string_view unterminated,
                                       std::string_view bad_padding) {
  const void* nul = std::memchr(bytes.data() + pos, '\0', bytes.size() - pos);
  if (nul == nullptr) return Error{unterminated, base + bytes.size()};
  const std::size_t nul_pos = static_cast<const char*>(nul) - bytes.data();
  const std::size_t end = pad4(nul_pos + 1);
  if (end > bytes.size()) return Error{unterminated, base + bytes.size()};
  if (!all_zero(bytes.data() + nul_pos + 1, bytes.data() + end)) {
    return Error{bad_padding, base + nul_pos + 1};
  }
  return end;
}

}  // namespace

namespace detail {

struct PacketAccess {
  static Result<Packet> parse(std::string_view bytes, std::size_t base, int depth, int max_depth);
  static Result<Message> parse_message(std::string_view bytes, std::size_t base);
  static Status check_type_tags(std::string_view tags, std::size_t base);
  static Status check_arguments(std::string_view tags, std::string_view data, std::size_t base);
  static Result<Bundle> parse_bundle(std::string_view bytes, std::size_t base, int depth,
                                     int max_depth);
  // For bytes parse() already accepted: rebuilds the view without checking again.
  static Packet view_validated(std::string_view bytes);
};

Result<Packet> PacketAccess::parse(std::string_view bytes, std::size_t base, int depth,
                                   int max_depth) {
  if (bytes.empty()) return Error{"empty packet", base};
  if (bytes.size() % 4 != 0) return Error{"packet size not a multiple of 4", base + bytes.size()};
  Packet packet;
  if (bytes.front() == '#' && bytes.substr(0, kBundleTag.size()) == kBundleTag) {
    Result<Bundle> bundle = parse_bundle(bytes, base, depth + 1, max_depth);
    if (!bundle) return bundle.error();
    packet.kind_ = PacketKind::bundle;
    packet.bundle_ = *bundle;
    return packet;
  }
  if (bytes.front() != '/')
    return Error{"not OSC: address must start with '/' or be #bundle", base};
  Result<Message> message = parse_message(bytes, base);
  if (!message) return message.error();
  packet.message_ = *message;
  return packet;
}

Result<Message> PacketAccess::parse_message(std::string_view bytes, std::size_t base) {
  Result<std::size_t> address_end = read_padded_string(bytes, 0, base, "address not NUL-terminated",
                                                       "non-zero padding after address");
  if (!address_end) return address_end.error();

  Message message;
  message.bytes_ = bytes;
  message.address_ = std::string_view(bytes.data(), std::strlen(bytes.data()));
  message.after_address_ = bytes.substr(*address_end);
  if (*address_end == bytes.size() || bytes[*address_end] != ',') {
    // OSC 1.0 lets old senders omit the type-tag string: no arguments, data left uninterpreted.
    message.argument_data_ = message.after_address_;
    return message;
  }
  Result<std::size_t> tags_end =
      read_padded_string(bytes, *address_end, base, "type tags not NUL-terminated",
                         "non-zero padding after type tags");
  if (!tags_end) return tags_end.error();
  const std::size_t tags_begin = *address_end + 1;
  message.has_type_tag_string_ = true;
  message.type_tags_ =
      std::string_view(bytes.data() + tags_begin, std::strlen(bytes.data() + tags_begin));
  message.argument_data_ = bytes.substr(*tags_end);
  if (Status tags = check_type_tags(message.type_tags_, base + tags_begin); !tags) {
    return tags.error();
  }
  if (Status arguments =
          check_arguments(message.type_tags_, message.argument_data_, base + *tags_end);
      !arguments) {
    return arguments.error();
  }
  return message;
}

Status PacketAccess::check_type_tags(std::string_view tags, std::size_t base) {
  int array_depth = 0;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const char tag = tags[i];
    if (!is_known_type_tag(tag)) return Error{"unknown type tag", base + i};
    if (tag == '[') ++array_depth;
    if (tag == ']' && --array_depth < 0) return Error{"unbalanced ']' in type tags", base + i};
  }
  if (array_depth != 0) return Error{"unbalanced '[' in type tags", base + tags.size()};
  return {};
}

Status PacketAccess::check_arguments(std::string_view tags, std::string_view data,
                                     std::size_t base) {
  std::size_t pos = 0;
  for (const char tag : tags) {
    const std::size_t remaining = data.size() - pos;
    const int fixed = fixed_argument_size(tag);
    if (fixed >= 0) {
      if (remaining < static_cast<std::size_t>(fixed)) {
        return Error{"argument data shorter than the type tags", base + data.size()};
      }
      pos += static_cast<std::size_t>(fixed);
    } else if (tag == 's' || tag == 'S') {
      if (remaining == 0) return Error{"argument data shorter than the type tags", base + pos};
      Result<std::size_t> end =
          read_padded_string(data, pos, base, "string argument not NUL-terminated",
                             "non-zero padding after string argument");
      if (!end) return end.error();
      pos = *end;
    } else {  // 'b'
      if (remaining < 4) return Error{"blob size missing", base + pos};
      const auto size = static_cast<std::int32_t>(detail::load_be32(data.data() + pos));
      if (size < 0) return Error{"negative blob size", base + pos};
      const std::size_t padded = pad4(static_cast<std::size_t>(size));
      if (padded > remaining - 4) return Error{"blob larger than what remains", base + pos};
      const char* payload_end = data.data() + pos + 4 + size;
      if (!all_zero(payload_end, data.data() + pos + 4 + padded)) {
        return Error{"non-zero padding after blob", base + pos + 4 + size};
      }
      pos += 4 + padded;
    }
  }
  if (pos != data.size()) return Error{"bytes left after the last argument", base + pos};
  return {};
}

Result<Bundle> PacketAccess::parse_bundle(std::string_view bytes, std::size_t base, int depth,
                                          int max_depth) {
  if (depth > max_depth) return Error{"bundles nested too deeply", base};
  if (bytes.size() < kBundleHeaderSize) return Error{"bundle shorter than 16 bytes", base};
  std::size_t pos = kBundleHeaderSize;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) return Error{"bundle element size missing", base + pos};
    const auto size = static_cast<std::int32_t>(detail::load_be32(bytes.data() + pos));
    if (size == 0) return Error{"bundle element of size 0", base + pos};
    if (size < 0) return Error{"negative bundle element size", base + pos};
    if (size % 4 != 0) return Error{"bundle element size not a multiple of 4", base + pos};
    if (static_cast<std::size_t>(size) > bytes.size() - pos - 4) {
      return Error{"bundle element larger than what remains", base + pos};
    }
    Result<Packet> element = parse(bytes.substr(pos + 4, size), base + pos + 4, depth, max_depth);
    if (!element) return element.error();
    pos += 4 + static_cast<std::size_t>(size);
  }
  Bundle bundle;
  bundle.bytes_ = bytes;
  bundle.time_ = TimeTag(detail::load_be64(bytes.data() + kBundleTag.size()));
  bundle.elements_ = bytes.substr(kBundleHeaderSize);
  return bundle;
}

Packet PacketAccess::view_validated(std::string_view bytes) {
  Packet packet;
  if (bytes.front() == '#') {
    packet.kind_ = PacketKind::bundle;
    packet.bundle_.bytes_ = bytes;
    packet.bundle_.time_ = TimeTag(detail::load_be64(bytes.data() + kBundleTag.size()));
    packet.bundle_.elements_ = bytes.substr(kBundleHeaderSize);
    return packet;
  }
  Message& message = packet.message_;
  message.bytes_ = bytes;
  message.address_ = std::string_view(bytes.data(), std::strlen(bytes.data()));
  const std::size_t address_end = pad4(message.address_.size() + 1);
  message.after_address_ = bytes.substr(address_end);
  message.argument_data_ = message.after_address_;
  if (address_end < bytes.size() && bytes[address_end] == ',') {
    const char* tags = bytes.data() + address_end + 1;
    message.has_type_tag_string_ = true;
    message.type_tags_ = std::string_view(tags, std::strlen(tags));
    message.argument_data_ = bytes.substr(address_end + pad4(message.type_tags_.size() + 2));
  }
  return packet;
}

}  // namespace detail

std::optional<Argument> Message::argument(std::size_t index) const {
  if (index >= type_tags_.size()) return std::nullopt;
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
  const int max_depth = std::clamp(options.max_bundle_depth, 1, kMaxBundleDepthLimit);
  return detail::PacketAccess::parse(bytes, 0, 0, max_depth);
}

}  // namespace oscbridge::osc
