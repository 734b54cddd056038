// Error values of the OSC codec and deframers: a reason and the byte offset where it was found.
// `reason` always points at a string literal (static storage), so an Error may be copied and
// kept anywhere without owning anything. Result<T> is a value type; nothing here is shared
// between threads or allocates.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace oscbridge::osc {

struct Error {
  std::string_view reason;  // a string literal, e.g. "string not NUL-terminated"
  std::size_t offset = 0;   // byte offset into the packet (or stream) where the fault lies
};

// Either a value or an Error. Codec functions return it instead of throwing; value() on an
// error result returns the default-constructed T, so a careless caller reads an empty view
// rather than invalid memory.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}       // NOLINT: implicit by design
  Result(Error error) : error_(error), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const { return value_; }
  const T& operator*() const { return value_; }
  const T* operator->() const { return &value_; }
  T& value() { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }
  const Error& error() const { return error_; }

 private:
  T value_{};
  Error error_{};
  bool ok_ = true;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(error), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace oscbridge::osc
