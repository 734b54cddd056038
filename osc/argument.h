// Typed views of OSC message arguments. An Argument points into the bytes of a validated message
// (see packet.h) and lives no longer than those caller-owned bytes. Arguments never allocate and
// are safe to read from any thread as long as the bytes are not modified.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include "osc/timetag.h"

namespace oscbridge::osc {

class Message;

// One argument: its type tag and the bytes that encode it (empty for T F N I [ ]).
// Accessors for a tag other than the argument's return a zero or empty value; check tag() first.
class Argument {
 public:
  constexpr Argument() = default;
  constexpr Argument(char tag, std::string_view raw) : tag_(tag), raw_(raw) {}

  char tag() const { return tag_; }
  // The encoded bytes including padding (and a blob's size field): append these verbatim to copy
  // the argument into another message.
  std::string_view raw() const { return raw_; }

  std::int32_t as_int32() const;       // i
  float as_float() const;              // f
  std::string_view as_string() const;  // s and S, without the terminating NUL
  std::string_view as_blob() const;    // b, the payload without size field and padding
  std::int64_t as_int64() const;       // h
  TimeTag as_timetag() const;          // t
  double as_double() const;            // d
  char as_char() const;                // c (sent as 32 bits, the character in the last byte)
  std::uint32_t as_rgba() const;       // r, 0xRRGGBBAA
  std::array<std::uint8_t, 4> as_midi() const;  // m: port id, status, data1, data2
  bool as_bool() const;                         // T is true; everything else false

  // i h f d as a double, for scaling; nullopt for any other tag.
  std::optional<double> numeric_value() const;
  // i h as an integer; nullopt for any other tag.
  std::optional<std::int64_t> integer_value() const;

 private:
  char tag_ = 'N';
  std::string_view raw_;
};

// Number of data bytes that follow type tag `tag`, for fixed-size tags; 0 for T F N I [ ];
// -1 for the variable-size s S b and for characters that are not OSC type tags.
int fixed_argument_size(char tag);
bool is_known_type_tag(char tag);

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

  Argument operator*() const;
  ArgumentIterator& operator++();
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
  ArgumentIterator(std::string_view tags, const char* data) : tags_(tags), data_(data) {}
  std::size_t current_size() const;

  std::string_view tags_;
  const char* data_ = nullptr;
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
