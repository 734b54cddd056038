#include "daemon/state_store.h"

#include "osc/packet.h"

namespace oscbridge::daemon {

StateStore::StateStore(std::size_t max_addresses)
    : max_addresses_(max_addresses), table_(max_addresses) {}

bool StateStore::update(std::string_view address, std::string_view message) {
  const std::uint64_t evicted_before = table_.evicted();
  bool added = false;
  // Nothing is ever pinned here, so there is always a place.
  const auto slot = table_.find_or_add(0, address, added);
  table_.value(slot).assign(message);
  return table_.evicted() != evicted_before;
}

std::size_t StateStore::record(std::string_view packet, int max_bundle_depth) {
  std::size_t evicted = 0;
  osc::ParseOptions options;
  options.max_bundle_depth = max_bundle_depth;
  (void)osc::for_each_message(
      packet,
      [&](const osc::Message& message, osc::TimeTag) {
        if (update(message.address(), message.bytes())) ++evicted;
      },
      options);
  return evicted;
}

}  // namespace oscbridge::daemon
