#include "daemon/transform.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace oscbridge::daemon {

namespace {

constexpr std::size_t kMaxOutgoingMessage = 65536;

template <class Integer>
Integer saturate(double value) {
  if (std::isnan(value)) return 0;
  double rounded = std::nearbyint(value);
  if (rounded <= static_cast<double>(std::numeric_limits<Integer>::min())) {
    return std::numeric_limits<Integer>::min();
  }
  if (rounded >= static_cast<double>(std::numeric_limits<Integer>::max())) {
    return std::numeric_limits<Integer>::max();
  }
  return static_cast<Integer>(rounded);
}

// Adds value as the template's type. Strings use the shortest text that reads back.
void add_number(osc::MessageBuilder& builder, double value, config::ArgType type,
                std::string& scratch) {
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
    case config::ArgType::string: {
      char text[32];
      auto [end, error] = std::to_chars(text, text + sizeof text, value);
      scratch.assign(text, error == std::errc() ? end : text);
      builder.add_string(scratch);
      break;
    }
    default:
      builder.add_float(static_cast<float>(value));
      break;
  }
}

std::optional<double> numeric(const osc::Argument& argument) {
  if (auto value = argument.numeric_value()) return value;
  if (argument.tag() == 'T') return 1.0;
  if (argument.tag() == 'F') return 0.0;
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
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

MessageTransformer::MessageTransformer() : buffer_(kMaxOutgoingMessage) {}

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
      why_not = "no capture {" + std::to_string(part.capture) + "}";
      return false;
    }
  }
  return true;
}

bool MessageTransformer::add_argument(osc::MessageBuilder& builder,
                                      const config::ArgTemplate& argument,
                                      const osc::Message& message, const osc::Captures& captures,
                                      std::string& why_not) {
  auto incoming = [&](std::size_t number) -> std::optional<osc::Argument> {
    auto found = message.argument(number - 1);
    if (!found) why_not = "message has no argument " + std::to_string(number);
    return found;
  };
  if (auto* pass = std::get_if<config::IncomingArg>(&argument)) {
    auto found = incoming(pass->arg);
    if (!found) return false;
    builder.add_argument(*found);
    return true;
  }
  if (auto* capture = std::get_if<config::CaptureArg>(&argument)) {
    if (capture->capture < 1 || capture->capture > captures.count) {
      why_not = "no capture " + std::to_string(capture->capture);
      return false;
    }
    std::string_view text = captures.items[capture->capture - 1];
    if (capture->type == config::ArgType::string) {
      builder.add_string(text);
      return true;
    }
    auto value = parse_number(text);
    if (!value) {
      why_not = "capture '" + std::string(text) + "' is not a number";
      return false;
    }
    add_number(builder, *value, capture->type, text_);
    return true;
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
  auto found = incoming(converted.arg);
  if (!found) return false;
  auto value = numeric(*found);
  if (!value) {
    why_not = "argument " + std::to_string(converted.arg) + " of type '" +
              std::string(1, found->tag()) + "' is not a number";
    return false;
  }
  double out = converted.scale ? scale_value(*value, *converted.scale, converted.clamp) : *value;
  add_number(builder, out, converted.type, text_);
  return true;
}

std::optional<std::string_view> MessageTransformer::apply(const config::Route& route,
                                                          const osc::Message& message,
                                                          const osc::Captures& captures,
                                                          std::string& why_not) {
  std::string_view address = message.address();
  if (route.address) {
    if (!expand(route.address->parts, captures, address_, why_not)) return std::nullopt;
    address = address_;
  }
  std::span<char> out(buffer_.data(), buffer_.size());
  if (!route.args) {
    if (!route.address) return message.bytes();
    auto size = osc::rewrite_address(message, address, out);
    if (!size) {
      why_not = std::string(size.error().reason);
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
    why_not = std::string(size.error().reason);
    return std::nullopt;
  }
  return std::string_view(buffer_.data(), *size);
}

}  // namespace oscbridge::daemon
