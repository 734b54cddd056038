#include "config/load.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/diagnostics.h"
#include "config/endpoints.h"
#include "config/http.h"
#include "config/loops.h"
#include "config/routes.h"
#include "config/yaml_reader.h"

namespace oscbridge::config {
namespace {

using detail::Diagnostics;
using detail::Entry;
using detail::Position;

constexpr std::array<std::string_view, 5> kTopKeys = {"log", "control", "http", "endpoints",
                                                      "routes"};
// sun_path holds 108 bytes, the terminating NUL included.
constexpr std::size_t kMaxSocketPath = 107;
constexpr std::array<std::string_view, 1> kLogKeys = {"level"};
constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                     "warn",  "error", "off"};

// Line `line` (0-based) of yaml without its newline; empty past the end.
std::string_view line_text(std::string_view yaml, int line) {
  std::size_t begin = 0;
  for (int i = 0; i < line && begin != std::string_view::npos; ++i) {
    begin = yaml.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (line < 0 || begin == std::string_view::npos) return {};
  return yaml.substr(begin, yaml.find('\n', begin) - begin);
}

// yaml-cpp reports a tab in indentation as "illegal map value", "end of map not found" and
// the like, at the tab's line or the one after it. Where the tab is, if there is one.
std::optional<Position> indentation_tab(std::string_view yaml, int line) {
  for (const int candidate : {line, line - 1}) {
    const std::string_view text = line_text(yaml, candidate);
    const std::size_t indent = std::min(text.find_first_not_of(" \t"), text.size());
    const std::size_t tab = text.substr(0, indent).find('\t');
    if (tab != std::string_view::npos) return Position{candidate + 1, static_cast<int>(tab) + 1};
  }
  return std::nullopt;
}

// yaml-cpp's message for an unquoted IPv6 address (`listen: [::1]:9000`, which YAML reads as
// the start of a list) says nothing useful, so the common cause is named.
std::string syntax_hint(std::string_view yaml, int line) {
  const std::string_view text = line_text(yaml, line);
  if (text.find(": [") != std::string_view::npos && text.find("]:") != std::string_view::npos) {
    return " (an IPv6 address must be quoted: \"[::1]:9000\")";
  }
  // `match: [abc]/x` or `match: {a,b}/x`: a flow list or mapping with text after it.
  for (const std::string_view opener : {": [", ": {"}) {
    const std::size_t open = text.find(opener);
    if (open == std::string_view::npos) continue;
    const std::size_t begin = open + 2;
    const std::size_t close = text.find(opener[2] == '[' ? ']' : '}', begin);
    if (close == std::string_view::npos || close + 1 >= text.size()) continue;
    if (std::string_view(" ,]}#").find(text[close + 1]) != std::string_view::npos) continue;
    const std::size_t end = std::min(text.find_first_of(" ,#", close), text.size());
    return " (text that starts with '" + std::string(1, opener[2]) + "' must be quoted: \"" +
           std::string(text.substr(begin, end - begin)) + "\")";
  }
  return {};
}

void read_log(const Entry& entry, Config& config, Diagnostics& diagnostics) {
  if (!entry.value.IsMap()) {
    diagnostics.error(entry.value_at, "log: expected a mapping such as { level: info }, got " +
                                          detail::describe(entry.value));
    return;
  }
  const std::vector<Entry> entries = detail::read_mapping(entry.value, diagnostics);
  detail::reject_unknown_keys(entries, kLogKeys, "log", diagnostics);
  const Entry* level = detail::find(entries, "level");
  if (!level) return;
  const auto text = detail::read_string(detail::located(*level), diagnostics);
  if (!text) return;
  for (std::size_t i = 0; i < kLevels.size(); ++i) {
    if (*text == kLevels[i]) {
      config.log_level = static_cast<LogLevel>(i);
      return;
    }
  }
  diagnostics.error(level->value_at, "level: unknown log level '" + *text + "', expected " +
                                         detail::one_of(kLevels) +
                                         detail::did_you_mean(*text, kLevels));
}

// `control: off` or `control: /absolute/path`.
void read_control(const Entry& entry, Config& config, Diagnostics& diagnostics) {
  const detail::Located value = detail::located(entry);
  if (value.node.IsScalar() && detail::scalar_kind(value.node) == detail::ScalarKind::boolean &&
      !value.node.as<bool>()) {
    config.control.enabled = false;  // `off` reads as the YAML 1.1 boolean false
    return;
  }
  const auto text = detail::read_string(value, diagnostics);
  if (!text) return;
  if (*text == "off") {
    config.control.enabled = false;
  } else if (text->empty() || (*text)[0] != '/') {
    diagnostics.error(
        entry.value_at,
        "control: expected an absolute path for the control socket, or off; got '" + *text + "'");
  } else if (text->size() > kMaxSocketPath) {
    diagnostics.error(entry.value_at, "control: the path is " + std::to_string(text->size()) +
                                          " bytes long; a socket path may have at most " +
                                          std::to_string(kMaxSocketPath));
  } else {
    config.control.path = *text;
  }
}

// Records where each document starts, building nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  DocumentStarts() = default;
  DocumentStarts(const DocumentStarts&) = delete;
  DocumentStarts& operator=(const DocumentStarts&) = delete;
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Whether the last non-blank line of `before` is a '...' document end marker.
bool ends_document(std::string_view before) {
  const std::size_t last = before.find_last_not_of(" \t\r\n");
  if (last == std::string_view::npos) return false;
  const std::size_t line_start = before.rfind('\n', last);
  const std::size_t begin = line_start == std::string_view::npos ? 0 : line_start + 1;
  return before.substr(begin).starts_with("...");
}

// YAML::Load silently ignores everything after the first document, and yaml-cpp 0.7 also
// starts a new document at text its top-level mapping cannot take (a line indented less than
// the first one), so a file is walked here first. YAML::LoadAll cannot do it: it never returns
// when a document starts with a stray ',' (its parser stops advancing), hence the guard on a
// document starting where the previous one did. False after reporting a problem.
bool check_single_document(const std::string& text, Diagnostics& diagnostics) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  DocumentStarts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  if (starts.marks.size() < 2) return true;
  const YAML::Mark& first = starts.marks[0];
  const YAML::Mark& second = starts.marks[1];
  const Position at = detail::position_of(second);
  const std::string_view rest = std::string_view(text).substr(static_cast<std::size_t>(second.pos));
  if (second.pos == first.pos) {
    diagnostics.error(at, "YAML syntax error: unexpected '" + std::string(rest.substr(0, 1)) + "'");
  } else if (rest.starts_with("---")) {
    diagnostics.error(at, "only one YAML document is allowed ('---' starts a second one)");
  } else if (ends_document(
                 std::string_view(text).substr(0, static_cast<std::size_t>(second.pos)))) {
    diagnostics.error(at, "only one YAML document is allowed (the '...' above ends the first one)");
  } else {
    diagnostics.error(at, "YAML syntax error: unexpected text after the top-level mapping (is " +
                              std::string("this line indented less than the first one?)"));
  }
  return false;
}

std::optional<Config> read_document(const YAML::Node& root, Diagnostics& diagnostics) {
  if (!root.IsMap()) {
    diagnostics.error(
        detail::position_of(root.Mark()),
        "expected a mapping with endpoints and routes, got " + detail::describe(root));
    return std::nullopt;
  }
  Config config;
  // Top-level keys starting with x- are the user's, ignored: a place to park anchors for
  // `<<: *name` merges (the docker-compose convention). Copied, not erased: assigning a
  // YAML::Node (as erase would) rewrites the node it refers to.
  std::vector<Entry> entries;
  for (const Entry& entry : detail::read_mapping(root, diagnostics)) {
    if (!entry.key.starts_with("x-")) entries.push_back(entry);
  }
  detail::reject_unknown_keys(entries, kTopKeys, "the top level", diagnostics);
  if (const Entry* log = detail::find(entries, "log")) read_log(*log, config, diagnostics);
  if (const Entry* control = detail::find(entries, "control")) {
    read_control(*control, config, diagnostics);
  }
  if (const Entry* http = detail::find(entries, "http")) {
    detail::read_http(*http, config, diagnostics);
  }
  std::vector<detail::ReadEndpoint> endpoints;
  if (const Entry* entry = detail::find(entries, "endpoints")) {
    endpoints = detail::read_endpoints(*entry, diagnostics);
  } else {
    diagnostics.error(detail::position_of(root.Mark()),
                      "missing 'endpoints': at least one endpoint is needed");
  }
  std::vector<detail::ReadRoute> routes;
  if (const Entry* entry = detail::find(entries, "routes")) {
    routes = detail::read_routes(*entry, endpoints, diagnostics);
  }
  if (!diagnostics.has_errors()) detail::check_loops(endpoints, routes, diagnostics);
  for (detail::ReadRoute& route : routes) config.routes.push_back(std::move(route.route));
  for (detail::ReadEndpoint& endpoint : endpoints) {
    config.endpoints.push_back(std::move(endpoint.endpoint));
  }
  if (diagnostics.has_errors()) return std::nullopt;
  return config;
}

}  // namespace

LoadResult load_string(std::string_view yaml, std::string_view file_name) {
  Diagnostics diagnostics(file_name, yaml);
  LoadResult result;
  // yaml-cpp reports syntax errors, and may report anything else, by throwing; nothing of it
  // may reach the daemon, whose reload must survive any file.
  try {
    const std::string text(yaml);
    if (check_single_document(text, diagnostics)) {
      const YAML::Node root = YAML::Load(text);
      if (root.IsNull()) {
        diagnostics.error({1, 1}, "the file is empty; expected endpoints and routes");
      } else {
        result.config = read_document(root, diagnostics);
      }
    }
  } catch (const YAML::Exception& e) {
    if (const auto tab = indentation_tab(yaml, e.mark.line)) {
      diagnostics.error(*tab, "YAML syntax error: a tab in indentation; YAML indents with spaces");
    } else {
      diagnostics.error(detail::position_of(e.mark),
                        "YAML syntax error: " + e.msg + syntax_hint(yaml, e.mark.line));
    }
  } catch (const std::exception& e) {
    diagnostics.error({}, std::string("internal error while reading the file: ") + e.what());
  } catch (...) {
    diagnostics.error({}, "internal error while reading the file");
  }
  result.errors = diagnostics.sorted_messages();
  if (!result.errors.empty()) {
    result.config.reset();
  } else {
    result.warnings = diagnostics.sorted_warnings();
  }
  return result;
}

LoadResult load_file(const std::string& path) {
  const std::string shown = detail::printable(path);  // no control bytes to the terminal
  try {
    // An ifstream opens a directory and then reads nothing, which would pass for an empty file.
    std::error_code status_error;
    if (std::filesystem::is_directory(path, status_error)) {
      return {std::nullopt, {shown + ": cannot read: it is a directory"}, {}};
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      const int error = errno;
      return {std::nullopt, {shown + ": cannot open: " + std::strerror(error)}, {}};
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    if (file.bad()) return {std::nullopt, {shown + ": cannot read: " + std::strerror(errno)}, {}};
    return load_string(contents.str(), path);
  } catch (const std::exception& e) {
    return {std::nullopt, {shown + ": cannot read: " + e.what()}, {}};
  }
}

}  // namespace oscbridge::config
