// Applies a route's `address` and `args` templates to one message, producing the message
// to send. Owns reusable buffers, so steady-state transforming allocates nothing; one
// instance per router, used on the loop thread only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "osc/encoder.h"
#include "osc/packet.h"
#include "osc/pattern.h"

namespace oscbridge::daemon {

// The N-th (1-based) argument at the top level of a message: one item, or a whole array from
// its '[' through the matching ']' (items counts both brackets).
struct TopLevelArgument {
  osc::ArgumentIterator first;
  std::size_t items = 1;
};
// Every top-level argument of message, in order, into out (cleared first).
void index_top_level_arguments(const osc::Message& message, std::vector<TopLevelArgument>& out);

class MessageTransformer {
 public:
  // max_message: the largest message any destination accepts (its max_frame); a rewrite may
  // produce up to that much, and the buffer is allocated once, here.
  explicit MessageTransformer(std::size_t max_message = kDefaultMaxMessage);
  static constexpr std::size_t kDefaultMaxMessage = 65536;
  MessageTransformer(const MessageTransformer&) = delete;
  MessageTransformer& operator=(const MessageTransformer&) = delete;

  // The encoded outgoing message (a view into the message itself when the route changes
  // nothing, else into this transformer's buffer, valid until the next call), or nullopt
  // with why_not set when the route cannot apply to this message (a missing argument, a
  // capture or string that is not a number or does not fit its type, a non-numeric argument
  // to scale, a rewritten address that OSC forbids such as "/track//volume").
  std::optional<std::string_view> apply(const config::Route& route, const osc::Message& message,
                                        const osc::Captures& captures, std::string& why_not);

 private:
  bool expand(const std::vector<config::TemplatePart>& parts, const osc::Captures& captures,
              std::string& out, std::string& why_not) const;
  bool add_argument(osc::MessageBuilder& builder, const config::ArgTemplate& argument,
                    const osc::Message& message, const osc::Captures& captures,
                    std::string& why_not);

  // The message's N-th top-level argument (1-based), from arguments_, which is filled on the
  // first call for each message: one pass over the arguments however many templates refer to.
  std::optional<TopLevelArgument> incoming_argument(const osc::Message& message,
                                                    std::size_t number);

  std::vector<char> buffer_;
  std::string address_;
  std::string text_;
  std::vector<TopLevelArgument> arguments_;  // grows only for more arguments than ever before
  bool arguments_indexed_ = false;
};

// in mapped linearly by scale, clamped when asked. Exposed for tests.
double scale_value(double value, const config::Scale& scale, bool clamp);

// Replaces out with parts joined, reusing its capacity: why a message was dropped is composed
// for every dropped message, and a flood of them must not allocate each time.
void assign_joined(std::string& out, std::initializer_list<std::string_view> parts);

// The decimal digits of a number, held inline, for assign_joined.
class Decimal {
 public:
  explicit Decimal(std::uint64_t value);
  operator std::string_view() const { return std::string_view(text_, size_); }

 private:
  char text_[24];
  std::size_t size_ = 0;
};

}  // namespace oscbridge::daemon
