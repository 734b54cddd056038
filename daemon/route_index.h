// RouteIndex: route numbers filed under a text key (a literal address, or an address's first
// level), found with one hash and, almost always, one comparison. The router looks up every
// message twice; a node-based std::unordered_map made that about a fifth of the daemon's
// user-space time at 100k msg/s (a division and a few dependent loads per lookup). Here the
// slots are one flat array of power-of-two size at most half full, probed linearly.
//
// Built once with the router (add), then only read (find), which never allocates.
// Ownership and threading: a plain value owned by the Router; loop thread only.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oscbridge::daemon {

class RouteIndex {
 public:
  // Files route under key, after any routes already there.
  void add(std::string_view key, std::uint32_t route);
  // The routes filed under key, in the order they were added; empty when there are none.
  std::span<const std::uint32_t> find(std::string_view key) const {
    if (slots_.empty()) return {};
    const std::uint64_t hash = hash_of(key);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.routes.empty()) return {};  // an unused slot ends the probe
      if (slot.hash == hash && slot.key == key) return slot.routes;
    }
  }
  std::size_t size() const { return used_; }

  // Eight bytes at a time, multiply and fold: addresses are short and this is inline. The
  // tail is the last eight bytes (overlapping what came before) rather than a copy of a
  // variable length, which is a library call.
  static std::uint64_t hash_of(std::string_view text) {
    const char* bytes = text.data();
    const std::size_t size = text.size();
    std::uint64_t hash = 0x9E3779B97F4A7C15ULL ^ size;
    if (size < 8) {
      std::uint64_t tail = 0;
      for (std::size_t i = 0; i < size; ++i) {
        tail |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
      }
      return mix(hash ^ tail);
    }
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) hash = mix(hash ^ load8(bytes + i));
    if (i < size) hash = mix(hash ^ load8(bytes + size - 8));
    return mix(hash);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string key;
    std::vector<std::uint32_t> routes;  // empty: the slot is unused
  };

  static std::uint64_t load8(const char* at) {
    std::uint64_t word;
    std::memcpy(&word, at, 8);
    return word;
  }
  static std::uint64_t mix(std::uint64_t value) {
    value *= 0xBF58476D1CE4E5B9ULL;
    return value ^ (value >> 31);
  }
  void grow();

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

}  // namespace oscbridge::daemon
