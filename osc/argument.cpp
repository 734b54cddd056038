#include "osc/argument.h"

#include <bit>
#include <cstring>

#include "osc/byte_order.h"

namespace oscbridge::osc {

using detail::load_be32;
using detail::load_be64;

int fixed_argument_size(char tag) {
  switch (tag) {
    case 'i':
    case 'f':
    case 'c':
    case 'r':
    case 'm':
      return 4;
    case 'h':
    case 't':
    case 'd':
      return 8;
    case 'T':
    case 'F':
    case 'N':
    case 'I':
    case '[':
    case ']':
      return 0;
    default:
      return -1;
  }
}

bool is_known_type_tag(char tag) {
  return fixed_argument_size(tag) >= 0 || tag == 's' || tag == 'S' || tag == 'b';
}

// Accessors check the raw size as well as the tag so that a hand-made Argument with too few
// bytes reads as zero instead of past its view.
std::int32_t Argument::as_int32() const {
  return tag_ == 'i' && raw_.size() >= 4 ? static_cast<std::int32_t>(load_be32(raw_.data())) : 0;
}

float Argument::as_float() const {
  return tag_ == 'f' && raw_.size() >= 4 ? std::bit_cast<float>(load_be32(raw_.data())) : 0.0f;
}

std::string_view Argument::as_string() const {
  if (tag_ != 's' && tag_ != 'S') return {};
  const std::size_t length = raw_.find('\0');
  return length == std::string_view::npos ? std::string_view{} : raw_.substr(0, length);
}

std::string_view Argument::as_blob() const {
  if (tag_ != 'b' || raw_.size() < 4) return {};
  const std::uint32_t size = load_be32(raw_.data());
  if (size > raw_.size() - 4) return {};
  return raw_.substr(4, size);
}

std::int64_t Argument::as_int64() const {
  return tag_ == 'h' && raw_.size() >= 8 ? static_cast<std::int64_t>(load_be64(raw_.data())) : 0;
}

TimeTag Argument::as_timetag() const {
  return tag_ == 't' && raw_.size() >= 8 ? TimeTag(load_be64(raw_.data())) : TimeTag(0);
}

double Argument::as_double() const {
  return tag_ == 'd' && raw_.size() >= 8 ? std::bit_cast<double>(load_be64(raw_.data())) : 0.0;
}

char Argument::as_char() const {
  return tag_ == 'c' && raw_.size() >= 4 ? static_cast<char>(load_be32(raw_.data()) & 0xFF) : '\0';
}

std::uint32_t Argument::as_rgba() const {
  return tag_ == 'r' && raw_.size() >= 4 ? load_be32(raw_.data()) : 0;
}

std::array<std::uint8_t, 4> Argument::as_midi() const {
  std::array<std::uint8_t, 4> bytes{};
  if (tag_ == 'm' && raw_.size() >= 4) std::memcpy(bytes.data(), raw_.data(), 4);
  return bytes;
}

bool Argument::as_bool() const {
  return tag_ == 'T';
}

std::optional<double> Argument::numeric_value() const {
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

std::optional<std::int64_t> Argument::integer_value() const {
  switch (tag_) {
    case 'i':
      return as_int32();
    case 'h':
      return as_int64();
    default:
      return std::nullopt;
  }
}

std::size_t ArgumentIterator::current_size() const {
  const char tag = tags_.front();
  const int fixed = fixed_argument_size(tag);
  if (fixed >= 0) return static_cast<std::size_t>(fixed);
  if (tag == 'b') return 4 + ((std::size_t{load_be32(data_)} + 3) & ~std::size_t{3});
  // 's' or 'S': validated to be NUL-terminated and padded within the message.
  return (std::strlen(data_) + 4) & ~std::size_t{3};
}

Argument ArgumentIterator::operator*() const {
  return Argument(tags_.front(), std::string_view(data_, current_size()));
}

ArgumentIterator& ArgumentIterator::operator++() {
  data_ += current_size();
  tags_.remove_prefix(1);
  return *this;
}

}  // namespace oscbridge::osc
