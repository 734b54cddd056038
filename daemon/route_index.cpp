#include "daemon/route_index.h"

#include <utility>

namespace oscbridge::daemon {

void RouteIndex::add(std::string_view key, std::uint32_t route) {
  // At most half full, so that a miss (most lookups: a message no literal route names) ends
  // after a slot or two.
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t hash = hash_of(key);
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.routes.empty()) {
      slot.hash = hash;
      slot.key = std::string(key);
      slot.routes.push_back(route);
      ++used_;
      return;
    }
    if (slot.hash == hash && slot.key == key) {
      slot.routes.push_back(route);
      return;
    }
  }
}

void RouteIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  const std::size_t capacity = old.empty() ? 16 : old.size() * 2;
  slots_ = std::vector<Slot>(capacity);
  mask_ = capacity - 1;
  for (Slot& slot : old) {
    if (slot.routes.empty()) continue;
    for (std::size_t i = slot.hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].routes.empty()) {
        slots_[i] = std::move(slot);
        break;
      }
    }
  }
}

}  // namespace oscbridge::daemon
