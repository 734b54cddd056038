// Zero-copy parsing of OSC packets (OSC 1.0 and 1.1). parse_packet() validates the WHOLE packet,
// every nested bundle and every message argument, before it returns anything, so a Message or
// Bundle view handed out is always well formed and its iterators need no error checks. Views
// point into the caller's bytes, never copy or allocate, and are valid only while those bytes
// live and stay unchanged. Views are plain values, safe to read from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include "osc/argument.h"
#include "osc/error.h"
#include "osc/limits.h"
#include "osc/timetag.h"

namespace oscbridge::osc {

namespace detail {
struct PacketAccess;  // the parser, the only maker of non-empty views
}

struct ParseOptions {
  // A top-level bundle is depth 1. Clamped to [1, kMaxBundleDepthLimit].
  int max_bundle_depth = kDefaultMaxBundleDepth;
};

class Message {
 public:
  Message() = default;  // an empty view with no address and no arguments

  std::string_view address() const { return std::string_view(data_, address_length_); }
  // Type tags without the leading ','; empty when the message has no arguments or when the
  // type-tag string is absent (OSC 1.0 allows that; such a message has no arguments).
  std::string_view type_tags() const {
    return has_type_tag_string_ ? std::string_view(data_ + tags_pos_ + 1, tags_length_)
                                : std::string_view{};
  }
  bool has_type_tag_string() const { return has_type_tag_string_; }
  // Argument bytes after the type-tag string. With no type-tag string, whatever followed the
  // address (uninterpreted).
  std::string_view argument_data() const {
    return std::string_view(data_ + data_pos_, size_ - data_pos_);
  }
  // Everything after the address: type-tag string and argument data, as rewrite_address copies it.
  std::string_view after_address() const {
    return std::string_view(data_ + tags_pos_, size_ - tags_pos_);
  }
  // The whole encoded message.
  std::string_view bytes() const { return std::string_view(data_, size_); }

  // One Argument per type tag, '[' and ']' included, in order.
  ArgumentRange arguments() const { return ArgumentRange(type_tags(), argument_data()); }
  // The argument at type-tag position `index` (brackets count), or nullopt past the end.
  // Walks from the first argument: O(index).
  std::optional<Argument> argument(std::size_t index) const;

 private:
  friend struct detail::PacketAccess;

  // Offsets rather than views keep a Packet small enough to fill and copy in a few moves: the
  // parser returns one per datagram. A packet is at most 4 GiB (parse_packet refuses more).
  const char* data_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t address_length_ = 0;
  std::uint32_t tags_pos_ = 0;     // offset of the ',' (or of the data when there is none)
  std::uint32_t tags_length_ = 0;  // tags after the ','; 0 when there is no type-tag string
  std::uint32_t data_pos_ = 0;     // offset of the argument data
  bool has_type_tag_string_ = false;
};

class Packet;

class BundleElementIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Packet;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = Packet;

  BundleElementIterator() = default;

  Packet operator*() const;
  BundleElementIterator& operator++();
  BundleElementIterator operator++(int) {
    BundleElementIterator before = *this;
    ++*this;
    return before;
  }
  friend bool operator==(const BundleElementIterator& a, const BundleElementIterator& b) {
    return a.remaining_.size() == b.remaining_.size();
  }

 private:
  friend class BundleElementRange;
  explicit BundleElementIterator(std::string_view remaining) : remaining_(remaining) {}

  std::string_view remaining_;  // size-prefixed elements, already validated
};

class BundleElementRange {
 public:
  BundleElementRange() = default;
  BundleElementIterator begin() const { return BundleElementIterator(elements_); }
  BundleElementIterator end() const {
    return BundleElementIterator(elements_.substr(elements_.size()));
  }
  bool empty() const { return elements_.empty(); }

 private:
  friend class Bundle;  // the only source of validated elements
  explicit BundleElementRange(std::string_view elements) : elements_(elements) {}

  std::string_view elements_;
};

class Bundle {
 public:
  Bundle() = default;

  TimeTag time() const { return time_; }
  // Each element is itself a packet view (message or nested bundle), already validated.
  BundleElementRange elements() const {
    return BundleElementRange(size_ < 16 ? std::string_view{}
                                         : std::string_view(data_ + 16, size_ - 16));
  }
  std::string_view bytes() const { return std::string_view(data_, size_); }

 private:
  friend struct detail::PacketAccess;

  const char* data_ = nullptr;
  std::uint32_t size_ = 0;
  TimeTag time_;
};

enum class PacketKind { message, bundle };

class Packet {
 public:
  Packet() = default;  // an empty message view

  PacketKind kind() const { return kind_; }
  bool is_message() const { return kind_ == PacketKind::message; }
  bool is_bundle() const { return kind_ == PacketKind::bundle; }
  // The view matching kind(); the other one is empty.
  const Message& message() const { return message_; }
  const Bundle& bundle() const { return bundle_; }
  std::string_view bytes() const { return is_bundle() ? bundle_.bytes() : message_.bytes(); }

 private:
  friend struct detail::PacketAccess;

  PacketKind kind_ = PacketKind::message;
  Message message_;
  Bundle bundle_;
};

// Validates `bytes` completely and returns a view of it, or the first fault with its offset.
Result<Packet> parse_packet(std::string_view bytes, const ParseOptions& options = {});

namespace detail {
template <class OnMessage>
void walk_messages(const Packet& packet, TimeTag time, OnMessage& on_message) {
  if (packet.is_message()) {
    on_message(packet.message(), time);
    return;
  }
  // Depth is bounded: parse_packet refused anything nested deeper than the limit.
  for (const Packet& element : packet.bundle().elements()) {
    walk_messages(element, packet.bundle().time(), on_message);
  }
}
}  // namespace detail

// What the router calls per datagram or frame: parses `bytes`, and only if the whole packet is
// valid calls on_message(const Message&, TimeTag) for every message in order, bundles unpacked
// recursively. The TimeTag is that of the innermost enclosing bundle, or immediately() for a
// bare message. On a malformed packet no message is delivered and the error is returned.
template <class OnMessage>
Status for_each_message(std::string_view bytes, OnMessage&& on_message,
                        const ParseOptions& options = {}) {
  Result<Packet> parsed = parse_packet(bytes, options);
  if (!parsed) return parsed.error();
  detail::walk_messages(*parsed, TimeTag::immediately(), on_message);
  return {};
}

}  // namespace oscbridge::osc
