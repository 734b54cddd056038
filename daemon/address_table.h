// AddressTable: what a flow-control stage remembers per destination endpoint and output
// address, bounded. At most `capacity` entries; a new address takes the place of the least
// recently used entry when full, so a flood of ever-new addresses costs a fixed amount of
// memory. An entry may be pinned (a rate limit holding a message in it): pinned entries are
// never evicted; when every entry is pinned, find_or_add finds no place (kNone).
// Looking up a known address allocates nothing; a new address allocates its map node once.
//
// Ownership and threading: a plain value owned by its stage; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oscbridge::daemon {

template <class Value>
class AddressTable {
 public:
  using Slot = std::uint32_t;
  static constexpr Slot kNone = UINT32_MAX;

  explicit AddressTable(std::size_t capacity) : capacity_(capacity) {}
  AddressTable(const AddressTable&) = delete;
  AddressTable& operator=(const AddressTable&) = delete;

  // The entry of (destination, address), made most recently used. added: the entry is new (or
  // took an evicted one's place) and holds a default Value.
  Slot find_or_add(std::size_t destination, std::string_view address, bool& added) {
    added = false;
    if (destination >= maps_.size()) maps_.resize(destination + 1);
    Map& map = maps_[destination];
    if (auto found = map.find(address); found != map.end()) {
      touch(found->second);
      return found->second;
    }
    Slot slot;
    if (entries_.size() < capacity_) {
      slot = static_cast<Slot>(entries_.size());
      entries_.emplace_back();
    } else if (tail_ != kNone) {
      slot = tail_;
      unlink(slot);
      maps_[entries_[slot].destination].erase(entries_[slot].address);
      ++evicted_;
    } else {
      return kNone;  // full, and everything pinned
    }
    Entry& entry = entries_[slot];
    entry.address.assign(address);
    entry.destination = destination;
    entry.pinned = false;
    entry.value = Value{};
    map.emplace(entry.address, slot);
    link_front(slot);
    added = true;
    return slot;
  }

  // The entry of (destination, address) if there is one (made most recently used), else kNone.
  // Never adds, never allocates.
  Slot find(std::size_t destination, std::string_view address) {
    if (destination >= maps_.size()) return kNone;
    Map& map = maps_[destination];
    // The loop guard asks for every message received; most endpoints were sent nothing.
    if (map.empty()) return kNone;
    auto found = map.find(address);
    if (found == map.end()) return kNone;
    touch(found->second);
    return found->second;
  }

  Value& value(Slot slot) { return entries_[slot].value; }
  const std::string& address(Slot slot) const { return entries_[slot].address; }

  // A pinned entry stays until unpinned; unpinning makes it the most recently used.
  void pin(Slot slot) {
    if (entries_[slot].pinned) return;
    unlink(slot);
    entries_[slot].pinned = true;
  }
  void unpin(Slot slot) {
    if (!entries_[slot].pinned) return;
    entries_[slot].pinned = false;
    link_front(slot);
  }

  std::size_t size() const { return entries_.size(); }
  std::uint64_t evicted() const { return evicted_; }

  // Calls visit(address, value) for every entry not pinned, least recently used first.
  template <class Visit>
  void for_each_oldest_first(Visit&& visit) const {
    for (Slot slot = tail_; slot != kNone; slot = entries_[slot].newer) {
      visit(std::string_view(entries_[slot].address), entries_[slot].value);
    }
  }

 private:
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  using Map = std::unordered_map<std::string, Slot, TextHash, std::equal_to<>>;
  struct Entry {
    std::string address;
    std::size_t destination = 0;
    Slot newer = kNone;  // towards head_ (most recently used)
    Slot older = kNone;  // towards tail_
    bool pinned = false;
    Value value{};
  };

  void touch(Slot slot) {
    if (entries_[slot].pinned || head_ == slot) return;
    unlink(slot);
    link_front(slot);
  }
  void unlink(Slot slot) {
    Entry& entry = entries_[slot];
    if (entry.newer != kNone) entries_[entry.newer].older = entry.older;
    if (entry.older != kNone) entries_[entry.older].newer = entry.newer;
    if (head_ == slot) head_ = entry.older;
    if (tail_ == slot) tail_ = entry.newer;
    entry.newer = entry.older = kNone;
  }
  void link_front(Slot slot) {
    Entry& entry = entries_[slot];
    entry.newer = kNone;
    entry.older = head_;
    if (head_ != kNone) entries_[head_].newer = slot;
    head_ = slot;
    if (tail_ == kNone) tail_ = slot;
  }

  std::size_t capacity_;
  std::vector<Entry> entries_;
  std::vector<Map> maps_;  // by destination endpoint index
  Slot head_ = kNone;
  Slot tail_ = kNone;
  std::uint64_t evicted_ = 0;
};

}  // namespace oscbridge::daemon
