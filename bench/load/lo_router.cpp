#include "bench/load/lo_router.h"

#include <cstdio>
#include <stdexcept>

namespace oscbridge::load {
namespace {

constexpr std::string_view kWildcardCharacters = "*?[]{}";

void report_liblo_error(int number, const char* message, const char* where) {
  std::fprintf(stderr, "lo-forwarder: liblo error %d: %s (%s)\n", number, message,
               where != nullptr ? where : "");
}

// Splits "/a/b/c" into {"", "a", "b", "c"} without allocating per call.
template <typename Visit>
void for_each_segment(std::string_view path, Visit visit) {
  std::size_t index = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view segment = path.substr(start, slash - start);
    if (!visit(index++, segment) || slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

bool append_argument(lo_message message, char type, lo_arg* argument) {
  switch (type) {
    case LO_INT32:
      return lo_message_add_int32(message, argument->i) == 0;
    case LO_FLOAT:
      return lo_message_add_float(message, argument->f) == 0;
    case LO_INT64:
      return lo_message_add_int64(message, argument->h) == 0;
    case LO_DOUBLE:
      return lo_message_add_double(message, argument->d) == 0;
    case LO_TIMETAG:
      return lo_message_add_timetag(message, argument->t) == 0;
    case LO_STRING:
      return lo_message_add_string(message, &argument->s) == 0;
    default:
      return false;
  }
}

}  // namespace

LoRouter::LoRouter(std::uint16_t listen_port, const LoopbackEndpoint& destination,
                   const RoutePlan& plan) {
  std::string port_text = std::to_string(listen_port);
  server_ = lo_server_new_with_proto(port_text.c_str(), LO_UDP, report_liblo_error);
  if (server_ == nullptr) throw std::runtime_error("cannot listen on UDP port " + port_text);
  std::string destination_port = std::to_string(destination.port);
  destination_ = lo_address_new(destination.host.c_str(), destination_port.c_str());
  if (destination_ == nullptr) {
    lo_server_free(server_);
    throw std::runtime_error("bad destination " + destination.text());
  }

  for (const PlannedRoute& route : plan.routes()) {
    if (!route.is_pattern) {
      literal_methods_.push_back({this, route.address});
      lo_server_add_method(server_, route.match.c_str(), nullptr, on_literal,
                           &literal_methods_.back());
      continue;
    }
    PatternRoute pattern{route.match, {}, route.address};
    for_each_segment(route.match, [&](std::size_t index, std::string_view segment) {
      if (segment.find_first_of(kWildcardCharacters) != std::string_view::npos) {
        pattern.wildcard_segments.push_back(index);
      }
      return true;
    });
    pattern_routes_.push_back(std::move(pattern));
  }
  // Added last: liblo tries methods in the order they were added.
  lo_server_add_method(server_, nullptr, nullptr, on_unmatched, this);
  address_buffer_.reserve(256);
}

LoRouter::~LoRouter() {
  lo_address_free(destination_);
  lo_server_free(server_);
}

int LoRouter::port() const {
  return lo_server_get_port(server_);
}

void LoRouter::serve(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    lo_server_recv_noblock(server_, 100);
  }
}

int LoRouter::on_literal(const char*, const char* types, lo_arg** argv, int argc, lo_message,
                         void* user_data) {
  auto* method = static_cast<LiteralMethod*>(user_data);
  ++method->router->counters_.received;
  method->router->forward(method->output_address.c_str(), types, argv, argc);
  return 0;  // handled: liblo stops looking at further methods
}

int LoRouter::on_unmatched(const char* path, const char* types, lo_arg** argv, int argc, lo_message,
                           void* user_data) {
  auto* router = static_cast<LoRouter*>(user_data);
  ++router->counters_.received;
  for (const PatternRoute& route : router->pattern_routes_) {
    if (lo_pattern_match(path, route.pattern.c_str()) == 0) continue;
    if (router->render_pattern_address(route, path)) {
      router->forward(router->address_buffer_.c_str(), types, argv, argc);
    } else {
      ++router->counters_.bad_arguments;
    }
    return 0;
  }
  ++router->counters_.no_route;
  return 0;
}

bool LoRouter::render_pattern_address(const PatternRoute& route, std::string_view path) {
  address_buffer_.clear();
  std::string_view rest = route.address_template;
  while (!rest.empty()) {
    std::size_t open = rest.find('{');
    std::size_t close = rest.find('}', open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      address_buffer_.append(rest);
      break;
    }
    address_buffer_.append(rest.substr(0, open));
    std::size_t capture = 0;
    for (char digit : rest.substr(open + 1, close - open - 1)) {
      capture = capture * 10 + static_cast<std::size_t>(digit - '0');
    }
    if (capture < 1 || capture > route.wildcard_segments.size()) return false;
    bool found = false;
    for_each_segment(path, [&](std::size_t index, std::string_view segment) {
      if (index != route.wildcard_segments[capture - 1]) return true;
      address_buffer_.append(segment);
      found = true;
      return false;
    });
    if (!found) return false;
    rest = rest.substr(close + 1);
  }
  return true;
}

void LoRouter::forward(const char* output_address, const char* types, lo_arg** argv, int argc) {
  if (argc < 3 || !lo_is_numerical_type(static_cast<lo_type>(types[0]))) {
    ++counters_.bad_arguments;
    return;
  }
  lo_message message = lo_message_new();
  auto scaled =
      RoutePlan::scale(static_cast<double>(lo_hires_val(static_cast<lo_type>(types[0]), argv[0])));
  bool built = lo_message_add_int32(message, scaled) == 0 &&
               append_argument(message, types[1], argv[1]) &&
               append_argument(message, types[2], argv[2]);
  if (!built) {
    ++counters_.bad_arguments;
  } else if (lo_send_message_from(destination_, server_, output_address, message) < 0) {
    ++counters_.send_errors;
  } else {
    ++counters_.forwarded;
  }
  lo_message_free(message);
}

}  // namespace oscbridge::load
