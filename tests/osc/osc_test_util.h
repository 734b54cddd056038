// Hand-made OSC bytes for the tests of osc/: built here by plain byte packing, not with
// osc/encoder.h, so that parser tests do not trust the encoder they are meant to check.
// Header-only helpers for test executables; nothing is shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

namespace oscbridge::osc::testing {

inline std::string be32(std::uint32_t value) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (24 - 8 * i));
  return out;
}

inline std::string be64(std::uint64_t value) {
  return be32(value >> 32) + be32(static_cast<std::uint32_t>(value));
}

inline std::string padded(std::string_view text) {
  std::string out(text);
  out.push_back('\0');
  while (out.size() % 4 != 0) out.push_back('\0');
  return out;
}

inline std::string blob(std::string_view data) {
  std::string out = be32(static_cast<std::uint32_t>(data.size()));
  out += data;
  while (out.size() % 4 != 0) out.push_back('\0');
  return out;
}

// An address, optionally a type-tag string (",tags"), then raw argument bytes.
inline std::string message(std::string_view address, const char* tags = nullptr,
                           std::string_view data = {}) {
  std::string out = padded(address);
  if (tags != nullptr) out += padded(std::string(",") + tags);
  out += data;
  return out;
}

inline std::string bundle(std::initializer_list<std::string> elements, std::uint64_t timetag = 1) {
  std::string out("#bundle\0", 8);
  out += be64(timetag);
  for (const std::string& element : elements) {
    out += be32(static_cast<std::uint32_t>(element.size()));
    out += element;
  }
  return out;
}

// `depth` bundles, each holding the next, the innermost holding `inner`. Built front to back in
// one pass: 50,000 levels would take quadratic time by wrapping.
inline std::string nested_bundles(int depth, const std::string& inner) {
  std::string out;
  out.reserve(static_cast<std::size_t>(depth) * 20 + inner.size());
  for (int level = 0; level < depth; ++level) {
    out.append("#bundle\0", 8);
    out += be64(static_cast<std::uint64_t>(level + 2));
    out += be32(static_cast<std::uint32_t>(20 * (depth - level - 1) + inner.size()));
  }
  return out + inner;
}

// A heap copy of exactly `bytes.size()` bytes, so AddressSanitizer flags any read past the end
// (a std::string would hide it behind its terminator and capacity).
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : size_(bytes.size()), data_(new char[bytes.empty() ? 1 : bytes.size()]) {
    if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
  }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

 private:
  std::size_t size_;
  std::unique_ptr<char[]> data_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace oscbridge::osc::testing
