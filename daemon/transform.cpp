#include "daemon/transform.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>

namespace oscbridge::daemon {

namespace {

// Halves round away from zero (std::round), as people round by hand; unlike nearbyint the
// result does not depend on the process's floating-point rounding mode.
template <class Integer>
Integer saturate(double value) {
  if (std::isnan(value)) return 0;
  double rounded = std::round(value);
  if (rounded <= static_cast<double>(std::numeric_limits<Integer>::min())) {
    return std::numeric_limits<Integer>::min();
  }
  if (rounded >= static_cast<double>(std::numeric_limits<Integer>::max())) {
    return std::numeric_limits<Integer>::max();
  }
  return static_cast<Integer>(rounded);
}

// The text a person would write for value: integers without a point or exponent, plain
// decimals between 1e-7 and 1e21 (as JavaScript prints numbers), an exponent outside that.
// Shortest digits that read back; at float precision when the value came from a float32,
// whose widening to double adds digits nobody sent (0.1f is not 0.10000000149011612).
template <class Real>
std::string_view format_real(Real value, std::span<char> text) {
  const Real magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= Real(1e-7) && magnitude < Real(1e21));
  auto [end, error] =
      plain ? std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed)
            : std::to_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() ? std::string_view(text.data(), end - text.data())
                              : std::string_view();
}

void add_text(osc::MessageBuilder& builder, double value, bool single_precision) {
  char text[64];  // fixed notation below 1e21 needs at most ~45 characters
  builder.add_string(single_precision ? format_real(static_cast<float>(value), text)
                                      : format_real(value, text));
}

// Adds value as the template's type.
void add_number(osc::MessageBuilder& builder, double value, config::ArgType type,
                bool single_precision) {
  switch (type) {
    case config::ArgType::int32:
      builder.add_int32(saturate<std::int32_t>(value));
      break;
    case config::ArgType::int64:
      builder.add_int64(saturate<std::int64_t>(value));
      break;
    case config::ArgType::float64:
      builder.add_double(value);
      break;
    case config::ArgType::string:
      add_text(builder, value, single_precision);
      break;
    default:
      builder.add_float(static_cast<float>(value));
      break;
  }
}

// An integer argument converted without scaling to an integer or text type: exact, since a
// double would lose the low bits of a large int64. False for any other conversion.
bool add_integer(osc::MessageBuilder& builder, std::int64_t value, config::ArgType type) {
  switch (type) {
    case config::ArgType::int32:
      builder.add_int32(static_cast<std::int32_t>(
          std::clamp<std::int64_t>(value, std::numeric_limits<std::int32_t>::min(),
                                   std::numeric_limits<std::int32_t>::max())));
      return true;
    case config::ArgType::int64:
      builder.add_int64(value);
      return true;
    case config::ArgType::string: {
      char text[24];
      auto [end, error] = std::to_chars(text, text + sizeof text, value);
      builder.add_string(std::string_view(text, error == std::errc() ? end - text : 0));
      return true;
    }
    default:
      return false;
  }
}

// Text as OSC would carry it for any argument, for `type: s`: numbers as people write them
// (integers exactly, a float32 at float precision), T/F as 1/0 (their value when scaled),
// strings and symbols as they are, c its character, N "nil", I "inf", t "immediately" or its
// NTP value in hex, r "#rrggbbaa", m its four bytes in hex, b its bytes in hex. Arrays are
// written by append_argument_text. Appends to out, which keeps its capacity across messages.
void append_text(std::string& out, const osc::Argument& argument) {
  char text[64];
  auto hex = [&](std::uint64_t value, int digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
      out += kDigits[(value >> shift) & 15];
  };
  switch (argument.tag()) {
    case 'i':
    case 'h': {
      auto [end, error] = std::to_chars(text, text + sizeof text, *argument.integer_value());
      out.append(text, error == std::errc() ? end - text : 0);
      break;
    }
    case 'f':
      out += format_real(argument.as_float(), text);
      break;
    case 'd':
      out += format_real(argument.as_double(), text);
      break;
    case 's':
    case 'S':
      out += argument.as_string();
      break;
    case 'T':
      out += '1';
      break;
    case 'F':
      out += '0';
      break;
    case 'c':
      if (argument.as_char() != '\0') out += argument.as_char();
      break;
    case 'N':
      out += "nil";
      break;
    case 'I':
      out += "inf";
      break;
    case 't':
      if (argument.as_timetag().is_immediately()) {
        out += "immediately";
      } else {
        out += "0x";
        hex(argument.as_timetag().ntp(), 16);
      }
      break;
    case 'r':
      out += '#';
      hex(argument.as_rgba(), 8);
      break;
    case 'm': {
      const auto bytes = argument.as_midi();
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0) out += ' ';
        hex(bytes[i], 2);
      }
      break;
    }
    case 'b':
      for (char byte : argument.as_blob()) hex(static_cast<unsigned char>(byte), 2);
      break;
    case '[':
    case ']':
      out += argument.tag();
      break;
    default:
      break;
  }
}

// A top-level argument as text: one item, or an array as "[1 2.5 [x y]]".
void append_argument_text(std::string& out, const TopLevelArgument& argument) {
  auto item = argument.first;
  char previous = '[';
  for (std::size_t i = 0; i < argument.items; ++i, ++item) {
    const char tag = (*item).tag();
    if (i > 0 && previous != '[' && tag != ']') out += ' ';
    append_text(out, *item);
    previous = tag;
  }
}

// Text read as a number, by the one rule captures and string arguments share: the whole text
// is a decimal integer ("42", "-7") or a decimal real ("0.5", "-2.75", "1e3"), and finite
// ("inf" and "nan" are not numbers here).
struct TextNumber {
  double value = 0;
  std::optional<std::int64_t> integer;  // when the text is an integer within int64
};

std::optional<TextNumber> text_number(std::string_view text) {
  TextNumber number;
  std::int64_t integer = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (error == std::errc() && end == text.data() + text.size()) {
    number.integer = integer;
    number.value = static_cast<double>(integer);
    return number;
  }
  double value = 0;
  auto [real_end, real_error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (real_error != std::errc() || real_end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  number.value = value;
  return number;
}

// Whether number, rounded as integers are, is within type's range. A number converted from
// text that does not fit is refused, not saturated: "/ch/5000000000" is no channel 2147483647.
bool fits(const TextNumber& number, config::ArgType type) {
  switch (type) {
    case config::ArgType::int32: {
      const double value =
          number.integer ? static_cast<double>(*number.integer) : std::round(number.value);
      return value >= std::numeric_limits<std::int32_t>::min() &&
             value <= std::numeric_limits<std::int32_t>::max();
    }
    case config::ArgType::int64: {
      if (number.integer) return true;
      const double value = std::round(number.value);
      return value >= -0x1p63 && value < 0x1p63;
    }
    case config::ArgType::float32:
      return std::fabs(number.value) <= std::numeric_limits<float>::max();
    default:
      return true;
  }
}

enum class TextConversion { ok, not_a_number, does_not_fit };

// Adds text (a capture or a string argument) as type: itself for s, else the number it holds.
TextConversion add_text_as(osc::MessageBuilder& builder, std::string_view text,
                           config::ArgType type) {
  if (type == config::ArgType::string) {
    builder.add_string(text);
    return TextConversion::ok;
  }
  auto number = text_number(text);
  if (!number) return TextConversion::not_a_number;
  if (!fits(*number, type)) return TextConversion::does_not_fit;
  if (!number->integer || !add_integer(builder, *number->integer, type)) {
    add_number(builder, number->value, type, false);
  }
  return TextConversion::ok;
}

// why_not for a TextConversion that failed: "<what> '<text>' is not a number" or "... does not
// fit type 'i'".
void explain(std::string& why_not, std::initializer_list<std::string_view> what,
             std::string_view text, TextConversion result, config::ArgType type) {
  const char letter[] = {static_cast<char>(type)};
  why_not.clear();
  for (std::string_view part : what) why_not.append(part);
  why_not.append(" '").append(text).append("'");
  if (result == TextConversion::not_a_number) {
    why_not.append(" is not a number");
  } else {
    why_not.append(" does not fit type '").append(letter, 1).append("'");
  }
}

std::optional<double> numeric(const osc::Argument& argument) {
  if (auto value = argument.numeric_value()) return value;
  if (argument.tag() == 'T') return 1.0;
  if (argument.tag() == 'F') return 0.0;
  return std::nullopt;
}

}  // namespace

double scale_value(double value, const config::Scale& scale, bool clamp) {
  double out = scale.out_lo +
               (value - scale.in_lo) * (scale.out_hi - scale.out_lo) / (scale.in_hi - scale.in_lo);
  if (clamp) {
    out =
        std::clamp(out, std::min(scale.out_lo, scale.out_hi), std::max(scale.out_lo, scale.out_hi));
  }
  return out;
}

void assign_joined(std::string& out, std::initializer_list<std::string_view> parts) {
  out.clear();
  for (std::string_view part : parts) out.append(part);
}

Decimal::Decimal(std::uint64_t value) {
  auto [end, error] = std::to_chars(text_, text_ + sizeof text_, value);
  size_ = error == std::errc() ? static_cast<std::size_t>(end - text_) : 0;
}

MessageTransformer::MessageTransformer(std::size_t max_message) : buffer_(max_message) {
  arguments_.reserve(16);
}

bool MessageTransformer::expand(const std::vector<config::TemplatePart>& parts,
                                const osc::Captures& captures, std::string& out,
                                std::string& why_not) const {
  out.clear();
  for (const auto& part : parts) {
    if (part.kind == config::TemplatePart::Kind::text) {
      out += part.text;
    } else if (part.capture >= 1 && part.capture <= captures.count) {
      out += captures.items[part.capture - 1];
    } else {
      assign_joined(why_not, {"no capture {", Decimal(part.capture), "}"});
      return false;
    }
  }
  return true;
}

void index_top_level_arguments(const osc::Message& message, std::vector<TopLevelArgument>& out) {
  out.clear();
  auto arguments = message.arguments();
  int depth = 0;
  for (auto item = arguments.begin(); item != arguments.end(); ++item) {
    const char tag = (*item).tag();
    if (depth == 0) {
      out.push_back(TopLevelArgument{item, 1});
    } else {
      ++out.back().items;  // a validated message has balanced brackets
    }
    if (tag == '[') ++depth;
    if (tag == ']') --depth;
  }
}

std::optional<TopLevelArgument> MessageTransformer::incoming_argument(const osc::Message& message,
                                                                      std::size_t number) {
  if (!arguments_indexed_) {
    index_top_level_arguments(message, arguments_);
    arguments_indexed_ = true;
  }
  if (number < 1 || number > arguments_.size()) return std::nullopt;
  return arguments_[number - 1];
}

bool MessageTransformer::add_argument(osc::MessageBuilder& builder,
                                      const config::ArgTemplate& argument,
                                      const osc::Message& message, const osc::Captures& captures,
                                      std::string& why_not) {
  // Arguments are numbered at the top level: an array counts as one argument.
  auto incoming = [&](std::size_t number) -> std::optional<TopLevelArgument> {
    auto found = incoming_argument(message, number);
    if (!found) assign_joined(why_not, {"message has no argument ", Decimal(number)});
    return found;
  };
  if (auto* pass = std::get_if<config::IncomingArg>(&argument)) {
    auto found = incoming(pass->arg);
    if (!found) return false;
    auto item = found->first;
    for (std::size_t i = 0; i < found->items; ++i, ++item) builder.add_argument(*item);
    return true;
  }
  if (auto* capture = std::get_if<config::CaptureArg>(&argument)) {
    if (capture->capture < 1 || capture->capture > captures.count) {
      assign_joined(why_not, {"no capture ", Decimal(capture->capture)});
      return false;
    }
    std::string_view text = captures.items[capture->capture - 1];
    const TextConversion result = add_text_as(builder, text, capture->type);
    if (result != TextConversion::ok) explain(why_not, {"capture"}, text, result, capture->type);
    return result == TextConversion::ok;
  }
  if (auto* text = std::get_if<config::TextArg>(&argument)) {
    if (!expand(text->parts, captures, text_, why_not)) return false;
    builder.add_string(text_);
    return true;
  }
  if (auto* literal = std::get_if<config::LiteralArg>(&argument)) {
    switch (literal->type) {
      case config::ArgType::int32:
        builder.add_int32(static_cast<std::int32_t>(literal->integer));
        break;
      case config::ArgType::int64:
        builder.add_int64(literal->integer);
        break;
      case config::ArgType::float32:
        builder.add_float(static_cast<float>(literal->real));
        break;
      case config::ArgType::float64:
        builder.add_double(literal->real);
        break;
      case config::ArgType::string:
        builder.add_string(literal->text);
        break;
      case config::ArgType::true_value:
        builder.add_bool(true);
        break;
      case config::ArgType::false_value:
        builder.add_bool(false);
        break;
      case config::ArgType::nil:
        builder.add_nil();
        break;
    }
    return true;
  }
  const auto& converted = std::get<config::ConvertedArg>(argument);
  auto top_level = incoming(converted.arg);
  if (!top_level) return false;
  const osc::Argument found = *top_level->first;
  if (!converted.scale && converted.type == config::ArgType::string) {
    text_.clear();  // anything converts to text
    append_argument_text(text_, *top_level);
    builder.add_string(text_);
    return true;
  }
  std::optional<double> value;
  if (found.tag() == 's' || found.tag() == 'S') {
    // Text converts as a capture does: "42" is the number 42, "loud" is no number.
    const std::string_view text = found.as_string();
    if (!converted.scale) {
      const TextConversion result = add_text_as(builder, text, converted.type);
      if (result != TextConversion::ok) {
        explain(why_not, {"argument ", Decimal(converted.arg)}, text, result, converted.type);
      }
      return result == TextConversion::ok;
    }
    if (auto number = text_number(text)) value = number->value;
    if (!value) {
      explain(why_not, {"argument ", Decimal(converted.arg)}, text, TextConversion::not_a_number,
              converted.type);
      return false;
    }
  } else {
    value = numeric(found);  // an array starts with '[', which is not a number
  }
  if (!value) {
    const char tag[] = {found.tag()};
    assign_joined(why_not, {"argument ", Decimal(converted.arg), " of type '",
                            std::string_view(tag, 1), "' is not a number"});
    return false;
  }
  if (!converted.scale) {
    if (auto integer = found.integer_value();
        integer && add_integer(builder, *integer, converted.type)) {
      return true;
    }
  }
  double out = converted.scale ? scale_value(*value, *converted.scale, converted.clamp) : *value;
  add_number(builder, out, converted.type, found.tag() == 'f');
  return true;
}

std::optional<std::string_view> MessageTransformer::apply(const config::Route& route,
                                                          const osc::Message& message,
                                                          const osc::Captures& captures,
                                                          std::string& why_not) {
  std::string_view address = message.address();
  arguments_indexed_ = false;
  if (route.address && route.address->parts.size() == 1 &&
      route.address->parts[0].kind == config::TemplatePart::Kind::text) {
    address = route.address->parts[0].text;  // the loader checked it once, for every message
  } else if (route.address) {
    if (!expand(route.address->parts, captures, address_, why_not)) return std::nullopt;
    // An empty capture can leave "/track//volume", which OSC forbids and receivers reject.
    if (std::string_view problem = osc::address_problem(address_); !problem.empty()) {
      assign_joined(why_not, {"rewritten address '", address_, "': ", problem});
      return std::nullopt;
    }
    address = address_;
  }
  std::span<char> out(buffer_.data(), buffer_.size());
  if (!route.args) {
    if (!route.address) return message.bytes();
    auto size = osc::rewrite_address(message, address, out);
    if (!size) {
      assign_joined(why_not, {size.error().reason});
      return std::nullopt;
    }
    return std::string_view(buffer_.data(), *size);
  }
  osc::MessageBuilder builder(out, address);
  for (const auto& argument : *route.args) {
    if (!add_argument(builder, argument, message, captures, why_not)) return std::nullopt;
  }
  auto size = builder.finish();
  if (!size) {
    assign_joined(why_not, {size.error().reason});
    return std::nullopt;
  }
  return std::string_view(buffer_.data(), *size);
}

}  // namespace oscbridge::daemon
