#include "daemon/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "daemon/status_json.h"
#include "socket/connection.h"

namespace oscbridge::daemon {

namespace {

using nlohmann::json;

std::string line_of(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

json failure(const std::string& why) {
  return json{{"ok", false}, {"error", why}};
}

bool make_address(const std::string& path, sockaddr_un& address) {
  address = sockaddr_un{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, path.data(), path.size());
  return true;
}

// Whether something accepts connections at path now (a live daemon), as opposed to a socket
// file a dead one left behind.
bool answers(const sockaddr_un& address) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // A Unix connect completes or fails at once: ECONNREFUSED when nobody listens; EAGAIN when
  // a live listener's backlog is full, which is still a live one.
  int result = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  int error = errno;
  ::close(fd);
  return result == 0 || error == EAGAIN;
}

std::string system_error(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

}  // namespace

struct ControlServer::Impl {
  struct Client {
    std::unique_ptr<socket::Connection> connection;
    std::string input;
    std::optional<TapHub::TapId> tap;
  };

  Impl(socket::EventLoop& loop, TapHub& taps, ControlHandlers handlers)
      : loop(loop), taps(taps), handlers(std::move(handlers)) {}

  ~Impl() {
    for (auto& [id, client] : clients) {
      if (client.tap) taps.remove(*client.tap);
    }
  }

  void accept(std::unique_ptr<socket::Connection> connection) {
    if (clients.size() >= kMaxClients) {
      connection->send(
          line_of(failure("too many control clients (" + std::to_string(kMaxClients) + ")")));
      connection->flush_and_close();
      return;
    }
    auto id = connection->id();
    connection->set_queue_limit(kQueueLimit);
    connection->set_handlers(
        {[this, id](socket::Connection&, std::string_view data) { on_data(id, data); },
         [this, id](socket::Connection&, std::error_code) { forget(id); }});
    clients[id].connection = std::move(connection);
  }

  void forget(socket::ConnectionId id) {
    auto found = clients.find(id);
    if (found == clients.end()) return;
    if (found->second.tap) taps.remove(*found->second.tap);
    clients.erase(found);  // may be inside the connection's own callback: allowed
  }

  void on_data(socket::ConnectionId id, std::string_view data) {
    auto found = clients.find(id);
    if (found == clients.end()) return;
    found->second.input.append(data);
    for (;;) {
      found = clients.find(id);  // a request (reload) may run long, but never removes clients
      if (found == clients.end()) return;
      Client& client = found->second;
      auto end = client.input.find('\n');
      if (end == std::string::npos) {
        if (client.input.size() > kMaxRequest) {
          client.connection->send(line_of(failure(
              "request longer than " + std::to_string(kMaxRequest) + " bytes without a newline")));
          client.connection->flush_and_close();
          forget(id);
        }
        return;
      }
      std::string line = client.input.substr(0, end);
      client.input.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      client.connection->send(line_of(handle(id, client, line)));
    }
  }

  json handle(socket::ConnectionId id, Client& client, const std::string& line) {
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      return failure("not a JSON object: send {\"command\": \"status\"} and a newline");
    }
    auto command = request.find("command");
    if (command == request.end() || !command->is_string()) {
      return failure("missing \"command\" (status, reload or tap)");
    }
    const std::string name = command->get<std::string>();
    if (name == "status") {
      return json{{"ok", true},
                  {"status", status_json(handlers.status(), std::chrono::steady_clock::now())}};
    }
    if (name == "reload") {
      ApplyResult result = handlers.reload();
      return json{{"ok", true}, {"applied", result.applied}, {"errors", result.errors}};
    }
    if (name == "tap") return start_tap(id, client, request);
    return failure("unknown command '" + name + "': expected status, reload or tap");
  }

  json start_tap(socket::ConnectionId id, Client& client, const json& request) {
    TapFilter filter;
    auto text = [&](const char* key, std::string& out) -> std::optional<json> {
      auto found = request.find(key);
      if (found == request.end() || found->is_null()) return std::nullopt;
      if (!found->is_string()) return failure(std::string("\"") + key + "\" must be a string");
      out = found->get<std::string>();
      return std::nullopt;
    };
    std::string pattern, direction = "both";
    for (auto [key, out] :
         {std::pair{"pattern", &pattern}, std::pair{"endpoint", &filter.endpoint},
          std::pair{"route", &filter.route}, std::pair{"direction", &direction}}) {
      if (auto error = text(key, *out)) return *error;
    }
    if (!pattern.empty()) {
      auto compiled = osc::compile_pattern(pattern);
      if (!compiled.pattern) return failure("pattern '" + pattern + "': " + compiled.error);
      filter.pattern = std::move(compiled.pattern);
    }
    if (direction == "in") {
      filter.out = false;
    } else if (direction == "out") {
      filter.in = false;
    } else if (direction != "both") {
      return failure("\"direction\" must be in, out or both");
    }
    const StatusSnapshot status = handlers.status();
    if (!filter.endpoint.empty() &&
        std::none_of(status.endpoints.begin(), status.endpoints.end(),
                     [&](const EndpointStatus& e) { return e.name == filter.endpoint; })) {
      return failure("no endpoint named '" + filter.endpoint + "'");
    }
    if (!filter.route.empty() &&
        std::none_of(status.routes.begin(), status.routes.end(),
                     [&](const RouteStatus& r) { return r.name == filter.route; })) {
      return failure("no route named '" + filter.route + "'");
    }
    if (client.tap) taps.remove(*client.tap);
    client.tap = taps.add(std::move(filter), [this, id](std::string_view line) {
      auto found = clients.find(id);
      return found != clients.end() && !found->second.connection->send(line);
    });
    return json{{"ok", true}, {"tapping", true}};
  }

  socket::EventLoop& loop;
  TapHub& taps;
  ControlHandlers handlers;
  std::unique_ptr<socket::Listener> listener;
  std::map<socket::ConnectionId, Client> clients;
  // The socket file as created, so that only ours is removed.
  dev_t device = 0;
  ino_t inode = 0;
};

ControlServer::ControlServer(socket::EventLoop& loop, TapHub& taps, ControlHandlers handlers)
    : impl_(std::make_unique<Impl>(loop, taps, std::move(handlers))) {}

ControlServer::~ControlServer() {
  if (!impl_->listener) return;
  impl_->listener.reset();
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_dev == impl_->device &&
      info.st_ino == impl_->inode) {
    ::unlink(path_.c_str());
  }
}

std::size_t ControlServer::clients() const {
  return impl_->clients.size();
}

std::string ControlServer::open(const std::string& path) {
  sockaddr_un address;
  if (!make_address(path, address)) {
    return "control socket path '" + path + "' is empty or longer than " +
           std::to_string(sizeof address.sun_path - 1) + " bytes";
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) return path + " exists and is not a socket; not replacing it";
    if (answers(address)) {
      return "another daemon is serving the control socket " + path +
             " (stop it, or give this one another path with --control or control:)";
    }
    spdlog::info("removing stale control socket {} (nothing answers on it)", path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return system_error("cannot remove stale control socket " + path, errno);
    }
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return system_error("control socket", errno);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    ::close(fd);
    return system_error("cannot bind control socket " + path, error);
  }
  // Group members may control the daemon (docs/control.md); the socket is made before this
  // with the process umask, so it is never wider than asked for.
  if (::chmod(path.c_str(), 0660) != 0 || ::listen(fd, SOMAXCONN) != 0 ||
      ::lstat(path.c_str(), &info) != 0) {
    int error = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return system_error("cannot listen on control socket " + path, error);
  }
  impl_->device = info.st_dev;
  impl_->inode = info.st_ino;
  socket::Listener::Handlers handlers;
  handlers.on_accept = [this](std::unique_ptr<socket::Connection> connection) {
    impl_->accept(std::move(connection));
  };
  handlers.on_error = [](const std::string& message) {
    spdlog::warn("control socket: {}", message);
  };
  socket::ConnectionLimits limits;
  limits.read_chunk = 16 * 1024;
  limits.queue_limit = kQueueLimit;
  try {
    impl_->listener = socket::Listener::adopt(impl_->loop, fd, limits, std::move(handlers));
  } catch (const std::system_error& error) {
    ::unlink(path.c_str());
    return "control socket " + path + ": " + error.what();
  }
  path_ = path;
  return {};
}

}  // namespace oscbridge::daemon
