// keepalive and on_connect: messages written out in full, read with their positions.
#include <string>

#include "config/endpoints.h"
#include "osc/pattern.h"

namespace oscbridge::config::detail {
namespace {

// `[/address, arg, ...]`: the address a plain OSC address (no pattern characters).
std::optional<FixedMessage> read_message(const Located& value, Diagnostics& diagnostics) {
  if (!value.node.IsSequence() || value.node.size() == 0) {
    diagnostics.error(value.at, value.what + ": expected a message as a list, [/address, " +
                                    "arguments...], got " + describe(value.node));
    return std::nullopt;
  }
  FixedMessage message;
  bool ok = true;
  std::size_t index = 0;
  for (const YAML::Node& item : value.node) {
    const Located at{item, position_of(item.Mark()),
                     value.what + "[" + std::to_string(index + 1) + "]"};
    const auto kind = scalar_kind(item);
    if (index++ == 0) {
      const auto address = read_string(at, diagnostics);
      if (!address) {
        ok = false;
      } else if (address->empty() || address->front() != '/' ||
                 address->find_first_of(" #*,?[]{}\t\n") != std::string::npos) {
        diagnostics.error(at.at, at.what + ": '" + *address +
                                     "' is not an OSC address (it starts with '/' and has no "
                                     "spaces or pattern characters)");
        ok = false;
      } else {
        message.address = *address;
      }
      continue;
    }
    LiteralArg argument;
    if (kind == ScalarKind::integer) {
      const auto number = read_integer(at, INT32_MIN, INT32_MAX, diagnostics);
      if (!number) ok = false;
      argument.type = ArgType::int32;
      argument.integer = number.value_or(0);
    } else if (kind == ScalarKind::real) {
      const auto number = read_number(at, diagnostics);
      if (!number) ok = false;
      argument.type = ArgType::float32;
      argument.real = number.value_or(0.0);
    } else if (kind == ScalarKind::string) {
      argument.type = ArgType::string;
      argument.text = item.Scalar();
      if (argument.text.find('\0') != std::string::npos) {
        diagnostics.error(at.at, at.what + ": a string argument cannot hold a NUL character");
        ok = false;
      }
    } else {
      diagnostics.error(at.at, at.what + ": expected a number or a string, got " + describe(item));
      ok = false;
    }
    message.args.push_back(std::move(argument));
  }
  if (!ok) return std::nullopt;
  return message;
}

}  // namespace

std::optional<std::vector<FixedMessage>> read_fixed_messages(const Located& value,
                                                             Diagnostics& diagnostics) {
  if (!value.node.IsSequence() || value.node.size() == 0) {
    diagnostics.error(value.at, value.what + ": expected a list of messages, each a list such " +
                                    "as [/xremote] or [/subscribe, 1], got " +
                                    describe(value.node));
    return std::nullopt;
  }
  std::vector<FixedMessage> messages;
  bool ok = true;
  std::size_t index = 0;
  for (const YAML::Node& item : value.node) {
    const Located at{item, position_of(item.Mark()),
                     value.what + "[" + std::to_string(++index) + "]"};
    if (auto message = read_message(at, diagnostics)) {
      messages.push_back(std::move(*message));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return messages;
}

std::optional<Keepalive> read_keepalive(const Entry& entry, Diagnostics& diagnostics) {
  if (!entry.value.IsMap()) {
    diagnostics.error(entry.value_at,
                      "keepalive: expected a mapping { every: 9s, send: [ "
                      "[/xremote] ] }, got " +
                          describe(entry.value));
    return std::nullopt;
  }
  const std::vector<Entry> entries = read_mapping(entry.value, diagnostics);
  static constexpr std::string_view kKeys[] = {"every", "send"};
  reject_unknown_keys(entries, kKeys, "keepalive", diagnostics);
  Keepalive keepalive;
  bool ok = true;
  if (const Entry* every = find(entries, "every")) {
    using std::chrono::hours, std::chrono::milliseconds;
    Located value = located(*every);
    value.what = "keepalive: every";
    const auto interval = read_duration(value, milliseconds(100), hours(1), diagnostics);
    ok = ok && interval.has_value();
    keepalive.every = interval.value_or(milliseconds(0));
  } else {
    diagnostics.error(entry.key_at, "keepalive needs every: how often to send, e.g. 9s");
    ok = false;
  }
  if (const Entry* send = find(entries, "send")) {
    Located value = located(*send);
    value.what = "keepalive: send";
    auto messages = read_fixed_messages(value, diagnostics);
    ok = ok && messages.has_value();
    if (messages) keepalive.send = std::move(*messages);
  } else {
    diagnostics.error(entry.key_at,
                      "keepalive needs send: the messages to send, e.g. "
                      "[ [/xremote] ]");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return keepalive;
}

}  // namespace oscbridge::config::detail
