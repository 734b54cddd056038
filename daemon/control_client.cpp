#include "daemon/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "daemon/control_path.h"

namespace oscbridge::daemon {

namespace {

using nlohmann::json;

constexpr std::size_t kWidth = 80;

// A blocking connection to the control socket that reads whole lines.
class ControlConnection {
 public:
  ControlConnection() = default;
  ~ControlConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  // "" or why not.
  std::string connect(const std::string& path) {
    if (path.empty()) {
      return "no control socket to look for: neither --control, RUNTIME_DIRECTORY nor "
             "XDG_RUNTIME_DIR is set, and " +
             std::string(kSystemControlPath) + " does not exist";
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) return "control socket path too long: " + path;
    std::memcpy(address.sun_path, path.data(), path.size());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 ||
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return "cannot reach the daemon at " + path + ": " + std::strerror(errno) +
             " (is oscbridge running? --control PATH names another socket)";
    }
    return {};
  }

  bool send(const json& request) {
    std::string line = request.dump() + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      ssize_t count = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) return false;
      done += static_cast<std::size_t>(count);
    }
    return true;
  }

  // The next line without its newline; nullopt when the daemon closed the connection.
  std::optional<std::string> read_line() {
    for (;;) {
      auto end = buffer_.find('\n');
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      char chunk[16384];
      ssize_t count = ::read(fd_, chunk, sizeof chunk);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(count));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Sends request and returns the reply, or prints why there is none.
std::optional<json> ask(ControlConnection& connection, const std::optional<std::string>& option,
                        const json& request) {
  std::string error = connection.connect(client_control_path(option));
  if (!error.empty()) {
    std::fprintf(stderr, "oscbridge: %s\n", error.c_str());
    return std::nullopt;
  }
  std::optional<std::string> line;
  if (!connection.send(request) || !(line = connection.read_line())) {
    std::fprintf(stderr, "oscbridge: the daemon closed the control connection\n");
    return std::nullopt;
  }
  json reply = json::parse(*line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    std::fprintf(stderr, "oscbridge: unexpected reply: %s\n", line->c_str());
    return std::nullopt;
  }
  if (!reply.value("ok", false)) {
    std::fprintf(stderr, "oscbridge: %s\n", reply.value("error", std::string("failed")).c_str());
    return std::nullopt;
  }
  return reply;
}

// object[key], or null when object is no object or has no such key (json's const operator[]
// must not be asked for a key that is missing).
const json& field(const json& object, const char* key) {
  static const json null;
  if (!object.is_object()) return null;
  auto found = object.find(key);
  return found == object.end() ? null : *found;
}

std::string fit(std::string text, std::size_t width) {
  if (text.size() <= width) return text;
  return text.substr(0, width - 3) + "...";
}

std::string pad(std::string text, std::size_t width) {
  text = fit(std::move(text), width);
  text.resize(width, ' ');
  return text;
}

std::string right(const std::string& text, std::size_t width) {
  std::string fitted = fit(text, width);
  return std::string(width - fitted.size(), ' ') + fitted;
}

std::string count_text(const json& value) {
  return value.is_number() ? std::to_string(value.get<std::uint64_t>()) : "-";
}

std::string rate_text(const json& rate) {
  if (!rate.is_object()) return "-";
  auto one = [](double value) {
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.1f" : "%.0f", value);
    return std::string(text);
  };
  return one(rate.value("1s", 0.0)) + "/" + one(rate.value("60s", 0.0));
}

std::string duration_text(double seconds) {
  auto total = static_cast<std::uint64_t>(seconds);
  char text[64];
  if (total >= 86400) {
    std::snprintf(text, sizeof text, "%llud %02lluh %02llum",
                  static_cast<unsigned long long>(total / 86400),
                  static_cast<unsigned long long>(total / 3600 % 24),
                  static_cast<unsigned long long>(total / 60 % 60));
  } else {
    std::snprintf(text, sizeof text, "%lluh %02llum %02llus",
                  static_cast<unsigned long long>(total / 3600),
                  static_cast<unsigned long long>(total / 60 % 60),
                  static_cast<unsigned long long>(total % 60));
  }
  return text;
}

// Items joined by ", " after a label, wrapped at the terminal's width.
void wrapped(std::string& out, const std::string& label, const std::vector<std::string>& items) {
  std::string line = label;
  bool first = true;
  for (const auto& item : items) {
    std::string piece = (first ? "" : ", ") + item;
    if (!first && line.size() + piece.size() > kWidth) {
      out += line + ",\n";
      line = std::string(label.size(), ' ') + item;
    } else {
      line += piece;
    }
    first = false;
  }
  out += line + "\n";
}

// "  dropped: rate 12, echo 3" for the reasons in counters.dropped_by_reason not at 0.
void wrapped_drops(std::string& out, const json& counters) {
  std::vector<std::string> drops;
  for (const auto& [reason, count] : field(counters, "dropped_by_reason").items()) {
    if (count.is_number() && count.get<std::uint64_t>() > 0) {
      drops.push_back(reason + " " + count_text(count));
    }
  }
  if (!drops.empty()) wrapped(out, "  dropped: ", drops);
}

std::string row(const std::string& name, const std::string& state, const std::string& a,
                const std::string& b, const std::string& c) {
  return pad(name, 20) + " " + pad(state, 13) + right(a, 11) + right(b, 11) + right(c, 11) + "\n";
}

}  // namespace

std::string format_status(const json& status) {
  std::string out;
  if (!status.is_object()) return "(no status)\n";
  out += "oscbridge: up " + duration_text(status.value("uptime_s", 0.0)) + ", since " +
         status.value("started_at", std::string()) + "\n";
  const json& file = field(status, "config_file");
  out += fit("config: " + (file.is_string() ? file.get<std::string>() : "(built-in default)") +
                 ": " + status.value("summary", std::string()),
             kWidth) +
         "\n";
  const json& reload = field(status, "last_reload");
  if (!reload.is_object()) {
    out += "last reload: none\n";
  } else if (reload.value("applied", false)) {
    out += "last reload: applied at " + reload.value("at", std::string()) + "\n";
  } else {
    out += "last reload: FAILED at " + reload.value("at", std::string()) +
           ", previous configuration kept\n";
    // The errors are printed whole, whatever their length: a cut FILE:LINE:COL helps nobody.
    for (const auto& error : field(reload, "errors")) out += "  " + error.get<std::string>() + "\n";
  }
  out += "\n" + row("ENDPOINT", "STATE", "RECEIVED", "SENT", "DROPPED");
  for (const auto& endpoint : field(status, "endpoints")) {
    const std::string name =
        endpoint.value("name", std::string()) + " " + endpoint.value("protocol", std::string());
    const json& counters = field(endpoint, "counters");
    out +=
        row(name, endpoint.value("state", std::string()), count_text(field(counters, "received")),
            count_text(field(counters, "sent")), count_text(field(counters, "dropped")));
    if (!endpoint.value("open", false)) continue;
    const json& rates = field(endpoint, "rates");
    out += row("  per s (1s/60s)", "", rate_text(field(rates, "received")),
               rate_text(field(rates, "sent")), rate_text(field(rates, "dropped")));
    out += fit("  " + endpoint.value("summary", std::string()), kWidth) + "\n";
    if (endpoint.contains("next_attempt_in_ms")) {
      out += "  next attempt in " +
             std::to_string(field(endpoint, "next_attempt_in_ms").get<long>()) + " ms\n";
    }
    std::vector<std::string> peers = endpoint.value("peers", std::vector<std::string>{});
    if (!peers.empty()) wrapped(out, "  peers: ", peers);
    wrapped_drops(out, counters);
  }
  out += "\n" + row("ROUTE", "", "MATCHED", "SENT", "DROPPED");
  for (const auto& route : field(status, "routes")) {
    const json& counters = field(route, "counters");
    out += row(route.value("name", std::string()), "", count_text(field(counters, "matched")),
               count_text(field(counters, "sent")), count_text(field(counters, "dropped")));
    const json& rates = field(route, "rates");
    out += row("  per s (1s/60s)", "", rate_text(field(rates, "matched")),
               rate_text(field(rates, "sent")), rate_text(field(rates, "dropped")));
    wrapped_drops(out, counters);
  }
  return out;
}

std::string format_tap_event(const json& event) {
  if (!event.is_object()) return event.dump();
  const std::string kind = event.value("event", std::string());
  if (kind == "missed") {
    return "... missed " + count_text(field(event, "count")) +
           " message(s): this terminal read too slowly";
  }
  std::string time = event.value("time", std::string());
  std::string line = (time.size() >= 23 ? time.substr(11, 12) : time) + " ";
  line += pad(event.value("direction", std::string()), 4);
  line += event.value("endpoint", std::string());
  if (event.contains("peer")) line += " " + field(event, "peer").get<std::string>();
  if (event.contains("route")) line += " [" + field(event, "route").get<std::string>() + "]";
  line += " " + event.value("address", std::string());
  const std::string types = event.value("types", std::string());
  line += " ," + types;
  const json& args = field(event, "args");
  std::size_t index = 0;
  for (char tag : types) {
    if (tag == '[' || tag == ']') {
      line += std::string(" ") + tag;
      continue;
    }
    if (!args.is_array() || index >= args.size()) break;
    const json& value = args[index++];
    line += " ";
    if (tag == 'b') {
      line += "0x" + value.get<std::string>();
    } else if (tag == 'c' && value.is_string()) {
      line += "'" + value.get<std::string>() + "'";
    } else {
      line += value.dump();  // strings quoted, numbers as numbers, true/false/null
    }
  }
  if (event.contains("timetag"))
    line += " (bundle " + field(event, "timetag").get<std::string>() + ")";
  return line;
}

int control_status(const std::optional<std::string>& control_path, bool as_json) {
  ControlConnection connection;
  auto reply = ask(connection, control_path, json{{"command", "status"}});
  if (!reply) return 1;
  if (as_json) {
    std::cout << (*reply)["status"].dump(2) << "\n";
  } else {
    std::cout << format_status((*reply)["status"]);
  }
  return 0;
}

int control_reload(const std::optional<std::string>& control_path) {
  ControlConnection connection;
  auto reply = ask(connection, control_path, json{{"command", "reload"}});
  if (!reply) return 1;
  if (reply->value("applied", false)) {
    std::cout << "reload: applied\n";
    return 0;
  }
  std::cerr << "reload failed; the daemon keeps running its previous configuration:\n";
  for (const auto& error : (*reply)["errors"]) std::cerr << error.get<std::string>() << "\n";
  return 1;
}

int control_tap(const std::optional<std::string>& control_path, const TapOptions& options) {
  ControlConnection connection;
  json request{{"command", "tap"}, {"direction", options.direction}};
  if (!options.pattern.empty()) request["pattern"] = options.pattern;
  if (!options.endpoint.empty()) request["endpoint"] = options.endpoint;
  if (!options.route.empty()) request["route"] = options.route;
  if (!ask(connection, control_path, request)) return 1;
  while (auto line = connection.read_line()) {
    if (options.json) {
      std::cout << *line << std::endl;
      continue;
    }
    json event = json::parse(*line, nullptr, false);
    if (!event.is_object()) continue;
    std::cout << format_tap_event(event) << std::endl;
  }
  std::cerr << "oscbridge: the daemon closed the tap\n";
  return 0;
}

}  // namespace oscbridge::daemon
