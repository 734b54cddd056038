// StateStore: the last message of every address sent to one endpoint (`state: true`), so a
// peer that joins late (a TCP client connecting, a UDP reply peer heard for the first time)
// can be sent the current values instead of waiting for each to change.
//
// Bounded: at most max_addresses addresses (state_max); when a new address arrives and the
// store is full, the least recently updated address is forgotten and counted (evicted()).
// Updating a known address with a message no larger than any it held before allocates
// nothing; a new address allocates its table node and bytes once (AddressTable).
//
// Ownership and threading: a plain value owned by its Endpoint; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/address_table.h"

namespace oscbridge::daemon {

class StateStore {
 public:
  explicit StateStore(std::size_t max_addresses);
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Keeps message (one encoded OSC message) as the latest of address. Returns whether another
  // address was forgotten to make room.
  bool update(std::string_view address, std::string_view message);
  // Keeps every message of packet (a message, or a bundle unpacked; timetags are not kept).
  // Returns how many addresses were forgotten to make room. A malformed packet keeps nothing.
  std::size_t record(std::string_view packet, int max_bundle_depth);

  // Calls visit(message) for every address's latest message, least recently updated first, so
  // a replay ends on the newest values.
  template <class Visit>
  void for_each(Visit&& visit) const {
    table_.for_each_oldest_first(
        [&](std::string_view, const std::string& message) { visit(std::string_view(message)); });
  }

  std::size_t size() const { return table_.size(); }
  std::size_t max_addresses() const { return max_addresses_; }
  std::uint64_t evicted() const { return table_.evicted(); }

 private:
  std::size_t max_addresses_;
  AddressTable<std::string> table_;
};

}  // namespace oscbridge::daemon
