// Include in exactly one translation unit of a test executable: it replaces the global operator
// new/delete for that whole executable (the definitions here are not inline, as the standard
// requires of replacements). It counts the allocations made on the calling thread while a
// Counting scope is active on it; the test executable must be its own, so that the
// replacement affects no other test.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace oscbridge::test {

namespace allocation_counter_detail {

inline thread_local bool counting = false;
inline thread_local long allocations = 0;

inline void* counted_allocation(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace allocation_counter_detail

// Counts this thread's allocations from construction to destruction; count() says how many so
// far. Scopes do not nest: each one starts again from zero.
class Counting {
 public:
  Counting() {
    allocation_counter_detail::allocations = 0;
    allocation_counter_detail::counting = true;
  }
  ~Counting() { allocation_counter_detail::counting = false; }
  Counting(const Counting&) = delete;
  Counting& operator=(const Counting&) = delete;
  long count() const { return allocation_counter_detail::allocations; }
};

}  // namespace oscbridge::test

void* operator new(std::size_t size) {
  return oscbridge::test::allocation_counter_detail::counted_allocation(size);
}
void* operator new[](std::size_t size) {
  return oscbridge::test::allocation_counter_detail::counted_allocation(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (oscbridge::test::allocation_counter_detail::counting) {
    ++oscbridge::test::allocation_counter_detail::allocations;
  }
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  if (oscbridge::test::allocation_counter_detail::counting) {
    ++oscbridge::test::allocation_counter_detail::allocations;
  }
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
