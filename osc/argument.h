// Typed views of OSC message arguments. An Argument points into the bytes of a validated message
// (see packet.h) and lives no longer than those caller-owned bytes. Arguments never allocate and
// are safe to read from any thread as long as the bytes are not modified.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>

#include "osc/byte_order.h"
#include "osc/timetag.h"

namespace oscbridge::osc {

class Message;

namespace detail {

// Per-character class of a type tag: a fixed data size (0, 4 or 8) or one of these codes.
enum TagCode : signed char {
  kUnknownTag = -1,
  kStringTag = -2,   // s S
  kBlobTag = -3,     // b
  kArrayOpen = -4,   // [
  kArrayClose = -5,  // ]
};

inline constexpr std::array<signed char, 256> kTagCodes = [] {
  std::array<signed char, 256> codes{};
  codes.fill(kUnknownTag);
  for (unsigned char tag : {'i', 'f', 'c', 'r', 'm'}) codes[tag] = 4;
  for (unsigned char tag : {'h', 't', 'd'}) codes[tag] = 8;
  for (unsigned char tag : {'T', 'F', 'N', 'I'}) codes[tag] = 0;
  codes['s'] = codes['S'] = kStringTag;
  codes['b'] = kBlobTag;
  codes['['] = kArrayOpen;
  codes[']'] = kArrayClose;
  return codes;
}();

constexpr int tag_code(char tag) {
  return kTagCodes[static_cast<unsigned char>(tag)];
}

// Size of the validated, 4-aligned OSC string at `p` with its NUL and padding: it ends with the
// first 4-byte word that holds a zero byte.
inline std::size_t padded_string_length(const char* p) {
  std::size_t size = 4;
  for (;; size += 4, p += 4) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    if (((word - 0x01010101u) & ~word & 0x80808080u) != 0) return size;
  }
}

}  // namespace detail

// Number of data bytes that follow type tag `tag`, for fixed-size tags; 0 for T F N I [ ];
// -1 for the variable-size s S b and for characters that are not OSC type tags.
constexpr int fixed_argument_size(char tag) {
  const int code = detail::tag_code(tag);
  if (code >= 0) return code;
  return code == detail::kArrayOpen || code == detail::kArrayClose ? 0 : -1;
}
constexpr bool is_known_type_tag(char tag) {
  return detail::tag_code(tag) != detail::kUnknownTag;
}

// One argument: its type tag and the bytes that encode it (empty for T F N I [ ]).
// Accessors for a tag other than the argument's return a zero or empty value; check tag() first.
// They also check the size of raw(), so a hand-made Argument never reads past its bytes.
// Defined inline: they sit on the router's per-message path.
class Argument {
 public:
  constexpr Argument() = default;
  constexpr Argument(char tag, std::string_view raw) : tag_(tag), raw_(raw) {}

  char tag() const { return tag_; }
  // The encoded bytes including padding (and a blob's size field): append these verbatim to copy
  // the argument into another message.
  std::string_view raw() const { return raw_; }

  std::int32_t as_int32() const {  // i
    return is(4, 'i') ? static_cast<std::int32_t>(detail::load_be32(raw_.data())) : 0;
  }
  float as_float() const {  // f
    return is(4, 'f') ? std::bit_cast<float>(detail::load_be32(raw_.data())) : 0.0f;
  }
  std::string_view as_string() const {  // s and S, without the terminating NUL
    // The NUL lies in the last 4-byte word of a parsed string; no scan of the text is needed.
    if ((tag_ != 's' && tag_ != 'S') || raw_.size() < 4 || raw_.size() % 4 != 0) return {};
    const std::size_t last_word = raw_.size() - 4;
    for (std::size_t i = last_word; i < raw_.size(); ++i) {
      if (raw_[i] == '\0') return raw_.substr(0, i);
    }
    return {};
  }
  std::string_view as_blob() const {  // b, the payload without size field and padding
    if (!is(4, 'b')) return {};
    const std::uint32_t size = detail::load_be32(raw_.data());
    return size > raw_.size() - 4 ? std::string_view{} : raw_.substr(4, size);
  }
  std::int64_t as_int64() const {  // h
    return is(8, 'h') ? static_cast<std::int64_t>(detail::load_be64(raw_.data())) : 0;
  }
  TimeTag as_timetag() const {  // t
    return is(8, 't') ? TimeTag(detail::load_be64(raw_.data())) : TimeTag(0);
  }
  double as_double() const {  // d
    return is(8, 'd') ? std::bit_cast<double>(detail::load_be64(raw_.data())) : 0.0;
  }
  char as_char() const {  // c (sent as 32 bits, the character in the last byte)
    return is(4, 'c') ? raw_[3] : '\0';
  }
  std::uint32_t as_rgba() const {  // r, 0xRRGGBBAA
    return is(4, 'r') ? detail::load_be32(raw_.data()) : 0;
  }
  std::array<std::uint8_t, 4> as_midi() const {  // m: port id, status, data1, data2
    if (!is(4, 'm')) return {};
    return {static_cast<std::uint8_t>(raw_[0]), static_cast<std::uint8_t>(raw_[1]),
            static_cast<std::uint8_t>(raw_[2]), static_cast<std::uint8_t>(raw_[3])};
  }
  bool as_bool() const { return tag_ == 'T'; }  // T is true; everything else false

  // i h f d as a double, for scaling; nullopt for any other tag.
  std::optional<double> numeric_value() const {
    switch (tag_) {
      case 'i':
        return as_int32();
      case 'h':
        return static_cast<double>(as_int64());
      case 'f':
        return as_float();
      case 'd':
        return as_double();
      default:
        return std::nullopt;
    }
  }
  // i h as an integer; nullopt for any other tag.
  std::optional<std::int64_t> integer_value() const {
    switch (tag_) {
      case 'i':
        return as_int32();
      case 'h':
        return as_int64();
      default:
        return std::nullopt;
    }
  }

 private:
  bool is(std::size_t size, char tag) const { return tag_ == tag && raw_.size() >= size; }

  char tag_ = 'N';
  std::string_view raw_;
};

// Walks the type tags and argument bytes of a validated message in step. Only a Message makes
// these with non-empty input, so the data is known to be well formed.
class ArgumentIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Argument;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = Argument;

  ArgumentIterator() = default;

  Argument operator*() const { return Argument(tags_.front(), std::string_view(data_, size_)); }
  ArgumentIterator& operator++() {
    data_ += size_;
    tags_.remove_prefix(1);
    size_ = current_size();
    return *this;
  }
  ArgumentIterator operator++(int) {
    ArgumentIterator before = *this;
    ++*this;
    return before;
  }
  // Iterators over one message compare by remaining tag count.
  friend bool operator==(const ArgumentIterator& a, const ArgumentIterator& b) {
    return a.tags_.size() == b.tags_.size();
  }

 private:
  friend class ArgumentRange;
  ArgumentIterator(std::string_view tags, const char* data)
      : tags_(tags), data_(data), size_(current_size()) {}
  // Bytes of the argument at the front of tags_; 0 past the end.
  std::size_t current_size() const {
    if (tags_.empty()) return 0;
    const int code = detail::tag_code(tags_.front());
    if (code >= 0) return static_cast<std::size_t>(code);
    if (code == detail::kStringTag) return detail::padded_string_length(data_);
    if (code == detail::kBlobTag) {
      return 4 + ((std::size_t{detail::load_be32(data_)} + 3) & ~std::size_t{3});
    }
    return 0;  // [ ]
  }

  std::string_view tags_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;  // of the current argument, computed once per step
};

class ArgumentRange {
 public:
  ArgumentRange() = default;
  ArgumentIterator begin() const { return ArgumentIterator(tags_, data_.data()); }
  ArgumentIterator end() const { return ArgumentIterator(tags_.substr(tags_.size()), nullptr); }
  bool empty() const { return tags_.empty(); }

 private:
  friend class Message;  // the only source of validated tags and data
  ArgumentRange(std::string_view tags, std::string_view data) : tags_(tags), data_(data) {}

  std::string_view tags_;
  std::string_view data_;
};

}  // namespace oscbridge::osc
