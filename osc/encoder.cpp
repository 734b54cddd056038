#include "osc/encoder.h"

#include <bit>
#include <cstring>
#include <limits>

#include "osc/byte_order.h"

namespace oscbridge::osc {

namespace {

constexpr std::string_view kTooSmall = "output buffer too small";
constexpr std::size_t kInitialTagCapacity = 16;  // ",", up to 14 tags, NUL

// Writes `text`, its NUL and zero padding at `at`; the caller checked the room.
void write_padded_string(char* at, std::string_view text) {
  const std::size_t padded = padded_string_size(text.size());
  std::memcpy(at, text.data(), text.size());
  std::memset(at + text.size(), 0, padded - text.size());
}

// What the encoder itself needs: a received address with an empty level is still encoded as
// it came (address_problem() below is the stricter check for addresses a program composes).
const char* check_address(std::string_view address) {
  if (address.empty() || address.front() != '/') return "address must start with '/'";
  if (address.find('\0') != std::string_view::npos) return "address contains NUL";
  return nullptr;
}

}  // namespace

std::string_view address_problem(std::string_view address) {
  if (const char* problem = check_address(address)) return problem;
  if (address.find("//") != std::string_view::npos) return "address has an empty level ('//')";
  if (address.back() == '/') return "address ends with '/' (an empty level)";
  return {};
}

MessageBuilder::MessageBuilder(std::span<char> out, std::string_view address) : out_(out) {
  if (const char* problem = check_address(address)) {
    fail(problem, 0);
    return;
  }
  const std::size_t address_size = padded_string_size(address.size());
  if (address_size + 4 > out_.size()) {  // the address and at least ",\0\0\0"
    fail(kTooSmall, 0);
    return;
  }
  write_padded_string(out_.data(), address);
  tags_begin_ = address_size;
  tag_capacity_ = std::min(kInitialTagCapacity, (out_.size() - address_size) & ~std::size_t{3});
  out_[tags_begin_] = ',';
  tag_count_ = 1;
}

void MessageBuilder::fail(std::string_view reason, std::size_t offset) {
  if (failed_) return;
  failed_ = true;
  error_ = Error{reason, offset};
}

bool MessageBuilder::append_tag(char tag) {
  if (failed_ || finished_) return false;
  const std::size_t needed = padded_string_size(tag_count_ + 1);  // the new tag plus a NUL
  if (needed > tag_capacity_) {
    // Double the reserved tag area so that long argument lists move their data O(log n) times.
    std::size_t capacity = std::max(needed, tag_capacity_ * 2);
    const std::size_t available = out_.size() - tags_begin_ - data_size_;
    if (capacity > available) capacity = needed;
    if (capacity > available) {
      fail(kTooSmall, tags_begin_ + tag_count_);
      return false;
    }
    char* data = out_.data() + tags_begin_ + tag_capacity_;
    std::memmove(data + (capacity - tag_capacity_), data, data_size_);
    tag_capacity_ = capacity;
  }
  out_[tags_begin_ + tag_count_++] = tag;
  return true;
}

void MessageBuilder::shrink_tag_area() {
  const std::size_t capacity = padded_string_size(tag_count_);
  if (capacity == tag_capacity_) return;
  char* tags = out_.data() + tags_begin_;
  std::memmove(tags + capacity, tags + tag_capacity_, data_size_);
  tag_capacity_ = capacity;
}

char* MessageBuilder::reserve_data(std::size_t size) {
  if (failed_) return nullptr;
  std::size_t begin = tags_begin_ + tag_capacity_ + data_size_;
  if (size > out_.size() - begin) {
    // The spare tag room reserved for growth may be what is missing: give it back and retry,
    // so that "too small" means the finished message could not fit.
    shrink_tag_area();
    begin = tags_begin_ + tag_capacity_ + data_size_;
    if (size > out_.size() - begin) {
      fail(kTooSmall, begin);
      return nullptr;
    }
  }
  data_size_ += size;
  return out_.data() + begin;
}

MessageBuilder& MessageBuilder::add_int32(std::int32_t value) {
  if (append_tag('i')) {
    if (char* at = reserve_data(4)) detail::store_be32(at, static_cast<std::uint32_t>(value));
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_float(float value) {
  if (append_tag('f')) {
    if (char* at = reserve_data(4)) detail::store_be32(at, std::bit_cast<std::uint32_t>(value));
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_padded_string(char tag, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    fail("string argument contains NUL", tags_begin_ + tag_capacity_ + data_size_);
    return *this;
  }
  if (append_tag(tag)) {
    if (char* at = reserve_data(padded_string_size(value.size()))) write_padded_string(at, value);
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_string(std::string_view value) {
  return add_padded_string('s', value);
}

MessageBuilder& MessageBuilder::add_symbol(std::string_view value) {
  return add_padded_string('S', value);
}

MessageBuilder& MessageBuilder::add_blob(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    fail("blob larger than INT32_MAX", tags_begin_ + tag_capacity_ + data_size_);
    return *this;
  }
  if (append_tag('b')) {
    const std::size_t padded = (bytes.size() + 3) & ~std::size_t{3};
    if (char* at = reserve_data(4 + padded)) {
      detail::store_be32(at, static_cast<std::uint32_t>(bytes.size()));
      if (!bytes.empty()) std::memcpy(at + 4, bytes.data(), bytes.size());
      std::memset(at + 4 + bytes.size(), 0, padded - bytes.size());
    }
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_int64(std::int64_t value) {
  if (append_tag('h')) {
    if (char* at = reserve_data(8)) detail::store_be64(at, static_cast<std::uint64_t>(value));
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_timetag(TimeTag value) {
  if (append_tag('t')) {
    if (char* at = reserve_data(8)) detail::store_be64(at, value.ntp());
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_double(double value) {
  if (append_tag('d')) {
    if (char* at = reserve_data(8)) detail::store_be64(at, std::bit_cast<std::uint64_t>(value));
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_char(char value) {
  if (append_tag('c')) {
    if (char* at = reserve_data(4)) detail::store_be32(at, static_cast<unsigned char>(value));
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_rgba(std::uint32_t rgba) {
  if (append_tag('r')) {
    if (char* at = reserve_data(4)) detail::store_be32(at, rgba);
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_midi(std::array<std::uint8_t, 4> bytes) {
  if (append_tag('m')) {
    if (char* at = reserve_data(4)) std::memcpy(at, bytes.data(), 4);
  }
  return *this;
}

MessageBuilder& MessageBuilder::add_bool(bool value) {
  append_tag(value ? 'T' : 'F');
  return *this;
}

MessageBuilder& MessageBuilder::add_nil() {
  append_tag('N');
  return *this;
}

MessageBuilder& MessageBuilder::add_infinitum() {
  append_tag('I');
  return *this;
}

MessageBuilder& MessageBuilder::begin_array() {
  if (append_tag('[')) ++array_depth_;
  return *this;
}

MessageBuilder& MessageBuilder::end_array() {
  if (failed_) return *this;
  if (array_depth_ == 0) {
    fail("unbalanced ']'", tags_begin_ + tag_count_);
    return *this;
  }
  if (append_tag(']')) --array_depth_;
  return *this;
}

namespace {

// Whether `raw` is a well-formed encoding for `tag`, so that a hand-made Argument cannot smuggle
// a malformed message out of the builder. Parsed arguments always pass.
bool raw_matches_tag(char tag, std::string_view raw) {
  const int fixed = fixed_argument_size(tag);
  if (fixed >= 0) return raw.size() == static_cast<std::size_t>(fixed);
  if (tag == 'b') {
    if (raw.size() < 4) return false;
    const std::uint32_t size = detail::load_be32(raw.data());
    if (size > raw.size() - 4 || raw.size() != 4 + ((std::size_t{size} + 3) & ~std::size_t{3}))
      return false;
    return raw.find_first_not_of('\0', 4 + size) == std::string_view::npos;
  }
  // 's' or 'S': text, NUL, zero padding to a multiple of 4.
  const std::size_t length = raw.find('\0');
  if (length == std::string_view::npos || raw.size() != padded_string_size(length)) return false;
  return raw.find_first_not_of('\0', length) == std::string_view::npos;
}

}  // namespace

MessageBuilder& MessageBuilder::add_argument(const Argument& argument) {
  const char tag = argument.tag();
  if (tag == '[') return begin_array();
  if (tag == ']') return end_array();
  if (!is_known_type_tag(tag)) {
    fail("unknown type tag", tags_begin_ + tag_count_);
    return *this;
  }
  const std::string_view raw = argument.raw();
  if (!raw_matches_tag(tag, raw)) {
    fail("argument bytes do not match the type tag", tags_begin_ + tag_count_);
    return *this;
  }
  if (append_tag(tag)) {
    if (char* at = reserve_data(raw.size()); at != nullptr && !raw.empty()) {
      std::memcpy(at, raw.data(), raw.size());
    }
  }
  return *this;
}

Result<std::size_t> MessageBuilder::finish() {
  if (failed_) return error_;
  if (finished_) return Error{"message already finished", 0};
  if (array_depth_ != 0) {
    fail("unbalanced '['", tags_begin_ + tag_count_);
    return error_;
  }
  finished_ = true;
  const std::size_t tag_size = padded_string_size(tag_count_);
  char* tags = out_.data() + tags_begin_;
  std::memset(tags + tag_count_, 0, tag_size - tag_count_);
  std::memmove(tags + tag_size, tags + tag_capacity_, data_size_);
  return tags_begin_ + tag_size + data_size_;
}

BundleBuilder::BundleBuilder(std::span<char> out, TimeTag time) : out_(out) {
  if (out_.size() < 16) {
    fail(kTooSmall, 0);
    return;
  }
  std::memcpy(out_.data(), "#bundle", 8);
  detail::store_be64(out_.data() + 8, time.ntp());
  size_ = 16;
}

void BundleBuilder::fail(std::string_view reason, std::size_t offset) {
  if (failed_) return;
  failed_ = true;
  error_ = Error{reason, offset};
}

std::span<char> BundleBuilder::element_space() {
  if (failed_ || out_.size() - size_ < 4) return {};
  return out_.subspan(size_ + 4);
}

BundleBuilder& BundleBuilder::commit_element(Result<std::size_t> size) {
  if (failed_) return *this;
  if (!size) {
    fail(size.error().reason, size_ + 4 + size.error().offset);
    return *this;
  }
  if (*size == 0 || *size % 4 != 0) {
    fail("bundle element size not a positive multiple of 4", size_);
    return *this;
  }
  if (out_.size() - size_ < 4 || *size > out_.size() - size_ - 4) {
    fail("bundle element larger than its space", size_);
    return *this;
  }
  if (*size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    fail("bundle element larger than INT32_MAX", size_);
    return *this;
  }
  detail::store_be32(out_.data() + size_, static_cast<std::uint32_t>(*size));
  size_ += 4 + *size;
  return *this;
}

BundleBuilder& BundleBuilder::add_element(std::string_view packet) {
  std::span<char> space = element_space();
  if (failed_) return *this;
  if (packet.size() > space.size() || space.data() == nullptr) {
    fail(kTooSmall, size_);
    return *this;
  }
  if (!packet.empty()) std::memcpy(space.data(), packet.data(), packet.size());
  return commit_element(packet.size());
}

Result<std::size_t> BundleBuilder::finish() {
  if (failed_) return error_;
  return size_;
}

Result<std::size_t> rewrite_address(const Message& message, std::string_view new_address,
                                    std::span<char> out) {
  if (const char* problem = check_address(new_address)) return Error{problem, 0};
  const std::size_t address_size = padded_string_size(new_address.size());
  const std::string_view rest = message.after_address();
  if (address_size > out.size() || rest.size() > out.size() - address_size) {
    return Error{kTooSmall, 0};
  }
  write_padded_string(out.data(), new_address);
  if (!rest.empty()) std::memcpy(out.data() + address_size, rest.data(), rest.size());
  return address_size + rest.size();
}

}  // namespace oscbridge::osc
