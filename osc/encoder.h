// Encoding OSC messages and bundles into a caller-owned buffer. Builders write straight into the
// span they are given (never allocate, never write outside it) and report "output buffer too
// small" instead of overflowing. A builder is single-use, belongs to one thread, and must not
// outlive its span. The first error is sticky: later calls do nothing and finish() returns it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "osc/argument.h"
#include "osc/error.h"
#include "osc/packet.h"
#include "osc/timetag.h"

namespace oscbridge::osc {

// Builds one message: the address first (constructor), then arguments in order, then finish().
//   MessageBuilder m(buffer, "/mixer/fader");
//   m.add_int32(3).add_float(0.5f);
//   Result<std::size_t> size = m.finish();   // the message is buffer.first(*size)
// Type tags precede the data on the wire, so argument bytes are written after a reserved gap
// that grows when needed and is closed by finish() with one move; up to 14 arguments it never
// has to grow.
class MessageBuilder {
 public:
  // The address must start with '/' and contain no NUL.
  MessageBuilder(std::span<char> out, std::string_view address);
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  MessageBuilder& add_int32(std::int32_t value);
  MessageBuilder& add_float(float value);
  MessageBuilder& add_string(std::string_view value);  // no NUL inside
  MessageBuilder& add_symbol(std::string_view value);  // S; no NUL inside
  MessageBuilder& add_blob(std::string_view bytes);
  MessageBuilder& add_int64(std::int64_t value);
  MessageBuilder& add_timetag(TimeTag value);
  MessageBuilder& add_double(double value);
  MessageBuilder& add_char(char value);
  MessageBuilder& add_rgba(std::uint32_t rgba);  // 0xRRGGBBAA
  MessageBuilder& add_midi(std::array<std::uint8_t, 4> bytes);
  MessageBuilder& add_bool(bool value);  // T or F
  MessageBuilder& add_nil();             // N
  MessageBuilder& add_infinitum();       // I
  MessageBuilder& begin_array();         // [
  MessageBuilder& end_array();           // ]
  // Appends a parsed argument verbatim (its tag and raw bytes), brackets included. A hand-made
  // Argument whose bytes are not a valid encoding for its tag is refused.
  MessageBuilder& add_argument(const Argument& argument);

  // Closes the type-tag string and returns the message size, or the first error (including
  // an unbalanced '[').
  Result<std::size_t> finish();

 private:
  bool append_tag(char tag);
  char* reserve_data(std::size_t size);
  void shrink_tag_area();
  MessageBuilder& add_padded_string(char tag, std::string_view value);
  void fail(std::string_view reason, std::size_t offset);

  std::span<char> out_;
  std::size_t tags_begin_ = 0;    // offset of the ','
  std::size_t tag_count_ = 0;     // characters of the tag string written, ',' included
  std::size_t tag_capacity_ = 0;  // bytes reserved for the tag string and its NUL padding
  std::size_t data_size_ = 0;     // argument bytes written after the reserved tag area
  int array_depth_ = 0;
  bool finished_ = false;
  Error error_{};
  bool failed_ = false;
};

// Builds a bundle: timetag first, then elements written in place.
//   BundleBuilder b(buffer, TimeTag::immediately());
//   MessageBuilder m(b.element_space(), "/a");  m.add_int32(1);
//   b.commit_element(m.finish());
//   BundleBuilder inner(b.element_space(), t);  ...;  b.commit_element(inner.finish());
//   Result<std::size_t> size = b.finish();
class BundleBuilder {
 public:
  BundleBuilder(std::span<char> out, TimeTag time);
  BundleBuilder(const BundleBuilder&) = delete;
  BundleBuilder& operator=(const BundleBuilder&) = delete;

  // Where the next element's bytes go (after its 4-byte size field); empty after an error or
  // when no room is left. Valid until the next commit or add.
  std::span<char> element_space();
  // Records that `size` bytes were written at element_space(): a positive multiple of 4 no
  // larger than that span. An error result (from the element's builder) becomes this bundle's.
  BundleBuilder& commit_element(Result<std::size_t> size);
  // Copies an already encoded packet in as the next element.
  BundleBuilder& add_element(std::string_view packet);

  Result<std::size_t> finish();

 private:
  void fail(std::string_view reason, std::size_t offset);

  std::span<char> out_;
  std::size_t size_ = 0;
  Error error_{};
  bool failed_ = false;
};

// Encodes `message` with `new_address`: the type-tag string and argument bytes are copied as
// they are (with no type-tag string, the bytes after the address are copied as they are).
Result<std::size_t> rewrite_address(const Message& message, std::string_view new_address,
                                    std::span<char> out);

// Why `address` is not a valid OSC address, or empty when it is one: it must start with '/',
// contain no NUL, and have no empty level ("/a//b", "/a/", "/"), since OSC 1.0 makes an address
// a '/'-separated list of named parts. The builders above check only the first two, so that a
// received address passes through as it came; check composed addresses with this.
std::string_view address_problem(std::string_view address);

// Bytes an OSC string (or address) of `length` characters occupies: NUL and padding included.
constexpr std::size_t padded_string_size(std::size_t length) {
  return (length + 4) & ~std::size_t{3};
}

}  // namespace oscbridge::osc
