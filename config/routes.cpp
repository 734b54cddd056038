#include "config/routes.h"

#include <algorithm>
#include <array>

#include "config/templates.h"
#include "osc/pattern.h"

namespace oscbridge::config::detail {
namespace {

constexpr std::array<std::string_view, 10> kRouteKeys = {
    "name", "from", "match", "to", "address", "args", "final", "rate", "deadband", "on_change"};

// Reads one route; every problem goes to diagnostics.
class RouteReader {
 public:
  RouteReader(const std::vector<ReadEndpoint>& endpoints, Diagnostics& diagnostics)
      : endpoints_(endpoints), diagnostics_(diagnostics) {
    for (const ReadEndpoint& endpoint : endpoints) names_.push_back(endpoint.endpoint.name);
  }
  RouteReader(const RouteReader&) = delete;
  RouteReader& operator=(const RouteReader&) = delete;

  // nullopt when anything in the route was reported. name: the route's name, as far as it
  // could be read, so that a route with errors still takes part in the duplicate check.
  std::optional<Route> read(const Located& value, std::size_t number, std::string& name);

 private:
  enum class Direction { from, to };
  std::optional<std::vector<std::string>> read_endpoint_names(const Entry& entry,
                                                              Direction direction);
  CaptureScope read_match(const Entry& entry, Route& route);
  void read_flow(const std::vector<Entry>& entries, Route& route);

  const std::vector<ReadEndpoint>& endpoints_;
  std::vector<std::string> names_;
  Diagnostics& diagnostics_;
};

std::optional<std::vector<std::string>> RouteReader::read_endpoint_names(const Entry& entry,
                                                                         Direction direction) {
  const auto items = read_one_or_list(located(entry), diagnostics_);
  if (!items) return std::nullopt;
  std::vector<std::string> names;
  bool ok = true;
  for (const Text& item : *items) {
    const auto endpoint =
        std::find_if(endpoints_.begin(), endpoints_.end(),
                     [&](const ReadEndpoint& e) { return e.endpoint.name == item.text; });
    if (endpoint == endpoints_.end()) {
      diagnostics_.error(item.at, entry.key + ": unknown endpoint '" + item.text + "'" +
                                      did_you_mean(item.text, names_));
      ok = false;
    } else if (std::find(names.begin(), names.end(), item.text) != names.end()) {
      diagnostics_.error(item.at, entry.key + ": endpoint '" + item.text + "' is listed twice");
      ok = false;
    } else if (std::string why = !endpoint->valid             ? ""
                                 : direction == Direction::to ? cannot_send(endpoint->endpoint)
                                                              : cannot_receive(endpoint->endpoint);
               !why.empty()) {
      diagnostics_.error(item.at, entry.key + ": " + why);
      ok = false;
    }
    names.push_back(item.text);
  }
  if (!ok) return std::nullopt;
  return names;
}

CaptureScope RouteReader::read_match(const Entry& entry, Route& route) {
  CaptureScope scope;
  const auto text = read_string(located(entry), diagnostics_);
  if (!text) {
    scope.match = "";  // there is a match, just not a readable one: leave {N} unchecked
    return scope;
  }
  scope.match = *text;
  route.match = *text;
  osc::PatternResult compiled = osc::compile_pattern(*text);
  if (!compiled.pattern) {
    // In a plain one-line scalar the text starts at the mark, so the column can point at the
    // offending character; quotes or escapes would shift it, so those keep the scalar start.
    Position at = entry.value_at;
    if (entry.value.Tag() == "?" && text->find('\n') == std::string::npos) {
      at.column += static_cast<int>(compiled.error_offset);
    }
    diagnostics_.error(at, "match: invalid pattern '" + *text + "': " + compiled.error);
    return scope;
  }
  scope.count = compiled.pattern->capture_count();
  for (std::size_t i = 0; i < *scope.count; ++i) {
    scope.can_be_empty.push_back(compiled.pattern->capture_can_be_empty(i));
  }
  return scope;
}

// rate, deadband, on_change: daemon/flow_stages.h applies them.
void RouteReader::read_flow(const std::vector<Entry>& entries, Route& route) {
  if (const Entry* rate = find(entries, "rate")) {
    if (const auto hz = read_number(located(*rate), diagnostics_)) {
      if (*hz <= 0.0 || *hz > kMaxRate) {
        diagnostics_.error(rate->value_at, "rate: " + rate->value.Scalar() +
                                               " is out of range: messages per second per "
                                               "address, more than 0 and at most 10000");
      } else {
        route.rate = *hz;
      }
    }
  }
  if (const Entry* deadband = find(entries, "deadband")) {
    if (const auto width = read_number(located(*deadband), diagnostics_)) {
      if (*width <= 0.0) {
        diagnostics_.error(deadband->value_at,
                           "deadband: " + deadband->value.Scalar() +
                               " must be more than 0 (the smallest change that passes)");
      } else {
        route.deadband = *width;
      }
    }
  }
  if (const Entry* on_change = find(entries, "on_change")) {
    route.on_change = read_bool(located(*on_change), diagnostics_).value_or(false);
  }
}

std::optional<Route> RouteReader::read(const Located& value, std::size_t number,
                                       std::string& name) {
  name = "route " + std::to_string(number);
  if (!value.node.IsMap()) {
    diagnostics_.error(value.at, value.what + ": expected a mapping with from, match, to, ..., " +
                                     "got " + describe(value.node));
    return std::nullopt;
  }
  const std::size_t errors_before = diagnostics_.count();
  const std::vector<Entry> entries = read_mapping(value.node, diagnostics_);
  Route route;
  route.name = name;
  if (const Entry* written = find(entries, "name")) {
    route.name = name = read_string(located(*written), diagnostics_).value_or(route.name);
    // The name goes into the daemon's log lines and counters as it is, where an ESC would
    // act on the terminal of whoever reads them.
    if (printable(route.name) != route.name) {
      diagnostics_.error(written->value_at, "name: '" + route.name +
                                                "' contains control characters; a route name is "
                                                "printable text");
    }
  }
  reject_unknown_keys(entries, kRouteKeys, "route '" + route.name + "'", diagnostics_);
  if (const Entry* from = find(entries, "from")) {
    route.from = read_endpoint_names(*from, Direction::from).value_or(std::vector<std::string>{});
  }
  if (const Entry* to = find(entries, "to")) {
    route.to = read_endpoint_names(*to, Direction::to).value_or(std::vector<std::string>{});
  } else {
    diagnostics_.error(value.at, "route '" + route.name + "' needs to: the endpoint or list of " +
                                     "endpoints its messages go to");
  }
  CaptureScope scope;
  if (const Entry* match = find(entries, "match")) scope = read_match(*match, route);
  if (const Entry* address = find(entries, "address")) {
    route.address = read_address_template(*address, scope, diagnostics_);
  }
  if (const Entry* args = find(entries, "args")) {
    route.args = read_arg_templates(*args, scope, diagnostics_);
  }
  if (const Entry* final_entry = find(entries, "final")) {
    route.final = read_bool(located(*final_entry), diagnostics_).value_or(false);
  }
  read_flow(entries, route);
  if (diagnostics_.count() != errors_before) return std::nullopt;
  return route;
}

}  // namespace

std::vector<ReadRoute> read_routes(const Entry& entry, const std::vector<ReadEndpoint>& endpoints,
                                   Diagnostics& diagnostics) {
  std::vector<ReadRoute> routes;
  // `routes:` with every route commented out is a file being edited, not a mistake.
  if (entry.value.IsNull()) return routes;
  if (!entry.value.IsSequence()) {
    diagnostics.error(entry.value_at, "routes: expected a list of routes (each line starting " +
                                          std::string("with '- '), got ") + describe(entry.value));
    return routes;
  }
  RouteReader reader(endpoints, diagnostics);
  struct Named {
    std::string name;
    Position at;
  };
  std::vector<Named> seen;
  std::size_t number = 0;
  for (const YAML::Node& element : entry.value) {
    ++number;
    const Located value{element, position_of(element.Mark()),
                        "routes[" + std::to_string(number) + "]"};
    std::string name;
    std::optional<Route> route = reader.read(value, number, name);
    // Checked for routes with errors too: fixing those must not reveal a new one.
    const auto same =
        std::find_if(seen.begin(), seen.end(), [&](const Named& n) { return n.name == name; });
    if (same != seen.end()) {
      diagnostics.error(value.at, "route name '" + name + "' is already used at line " +
                                      std::to_string(same->at.line));
      continue;
    }
    seen.push_back({name, value.at});
    if (route) routes.push_back({std::move(*route), value.at});
  }
  return routes;
}

}  // namespace oscbridge::config::detail
