// Big-endian loads and stores on unaligned bytes, for osc/ and its inline accessors. Callers ensure
// the 4 or 8 bytes are in bounds; these functions check nothing, own nothing, keep no state.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace oscbridge::osc::detail {

inline std::uint32_t load_be32(const char* p) {
  std::uint32_t value;
  std::memcpy(&value, p, 4);
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap32(value);
  return value;
}

inline std::uint64_t load_be64(const char* p) {
  std::uint64_t value;
  std::memcpy(&value, p, 8);
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap64(value);
  return value;
}

inline void store_be32(char* p, std::uint32_t value) {
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap32(value);
  std::memcpy(p, &value, 4);
}

inline void store_be64(char* p, std::uint64_t value) {
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap64(value);
  std::memcpy(p, &value, 8);
}

}  // namespace oscbridge::osc::detail
