#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "daemon/http_metrics.h"
#include "daemon/status_json.h"
#include "daemon/web/dashboard.h"

namespace oscbridge::daemon {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How long a request waits for the loop before answering 503: the loop is stuck or stopping.
constexpr auto kLoopTimeout = 5s;
// Server threads check for a stopping server this often while they wait.
constexpr auto kPollSlice = 100ms;
// An idle event stream writes a comment this often, so a browser that went away is noticed.
constexpr auto kKeepalive = 5s;
// A tap stream's queue: beyond this, tapped lines are refused (and counted as missed).
constexpr std::size_t kTapQueueBytes = 256 * 1024;
constexpr std::size_t kTapQueueLines = 2048;

// The lines tapped for one /api/tap stream: the loop pushes, the stream's thread takes.
struct TapQueue {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::string> lines;
  std::size_t bytes = 0;
};

}  // namespace

struct HttpServer::Shared {
  Shared(socket::EventLoop& loop, TapHub& taps, HttpHandlers handlers)
      : loop(loop), taps(taps), handlers(std::move(handlers)) {}

  socket::EventLoop& loop;
  TapHub& taps;
  HttpHandlers handlers;
  // Loop thread only: false once the server is destroyed, so tasks still queued do nothing.
  bool alive = true;
  std::set<TapHub::TapId> tap_ids;  // loop thread only: the taps this server added

  std::atomic<bool> stopping{false};
  std::mutex settings_mutex;
  std::vector<config::Cidr> allow;  // under settings_mutex
  int max_clients = 16;             // under settings_mutex

  std::atomic<int> active{0};
  std::atomic<std::size_t> tap_queue_lines{0};
  std::atomic<std::uint64_t> tap_lines_dropped{0};
  std::atomic<std::uint64_t> status_updates_dropped{0};
  std::atomic<std::uint64_t> refused_allow{0};
  std::atomic<std::uint64_t> refused_max_clients{0};

  std::mutex error_mutex;
  std::string first_error;  // civetweb's first log message, the cause for open()'s answer
};

namespace {

using Shared = HttpServer::Shared;

// Runs work on the loop thread and waits for its result: nullopt when the loop did not answer
// within kLoopTimeout, or the server is stopping, or work threw.
template <class T>
std::optional<T> ask_loop(const std::shared_ptr<Shared>& shared, std::function<T(Shared&)> work) {
  struct Cell {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::optional<T> value;
  };
  auto cell = std::make_shared<Cell>();
  shared->loop.post([shared, cell, work = std::move(work)] {
    std::optional<T> value;
    if (shared->alive) {
      try {
        value = work(*shared);
      } catch (const std::exception& error) {
        spdlog::warn("http: {}", error.what());
      }
    }
    std::lock_guard lock(cell->mutex);
    cell->value = std::move(value);
    cell->done = true;
    cell->done_cv.notify_all();
  });
  const auto deadline = Clock::now() + kLoopTimeout;
  std::unique_lock lock(cell->mutex);
  while (!cell->done) {
    if (shared->stopping || Clock::now() >= deadline) return std::nullopt;
    cell->done_cv.wait_for(lock, kPollSlice);
  }
  return std::move(cell->value);
}

bool write_all(mg_connection* connection, std::string_view data) {
  return mg_write(connection, data.data(), data.size()) == static_cast<int>(data.size());
}

int respond(mg_connection* connection, int status, std::string_view type, std::string_view body,
            bool head) {
  const char* reason = status == 200   ? "OK"
                       : status == 400 ? "Bad Request"
                       : status == 403 ? "Forbidden"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                                       : "Service Unavailable";
  std::string header = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                       "\r\nContent-Type: " + std::string(type) +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  if (status == 405) header += "Allow: GET, HEAD\r\n";
  header += "Connection: close\r\n\r\n";
  if (write_all(connection, header) && !head) write_all(connection, body);
  return status;
}

int respond_text(mg_connection* connection, int status, const std::string& text, bool head) {
  return respond(connection, status, "text/plain; charset=utf-8", text + "\n", head);
}

bool allowed(Shared& shared, const char* remote) {
  std::lock_guard lock(shared.settings_mutex);
  if (shared.allow.empty()) return true;
  sockaddr_storage peer{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&peer);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&peer);
  if (::inet_pton(AF_INET, remote, &v4->sin_addr) == 1) {
    peer.ss_family = AF_INET;
  } else if (::inet_pton(AF_INET6, remote, &v6->sin6_addr) == 1) {
    peer.ss_family = AF_INET6;
  } else {
    return false;
  }
  return std::any_of(shared.allow.begin(), shared.allow.end(),
                     [&](const config::Cidr& cidr) { return cidr.contains(peer); });
}

// The snapshot a request works from, copied on the loop.
struct LoopView {
  StatusSnapshot status;
  Clock::time_point taken;
  std::size_t taps = 0;
};

std::optional<LoopView> view(const std::shared_ptr<Shared>& shared) {
  return ask_loop<LoopView>(shared, [](Shared& s) {
    return LoopView{s.handlers.status(), Clock::now(), s.taps.size()};
  });
}

HttpMetrics http_metrics(Shared& shared, std::size_t taps) {
  HttpMetrics metrics;
  metrics.taps = taps;
  metrics.clients = static_cast<std::size_t>(std::max(0, shared.active.load()));
  metrics.tap_queue_lines = shared.tap_queue_lines;
  metrics.tap_lines_dropped = shared.tap_lines_dropped;
  metrics.status_updates_dropped = shared.status_updates_dropped;
  metrics.refused_allow = shared.refused_allow;
  metrics.refused_max_clients = shared.refused_max_clients;
  return metrics;
}

bool start_stream(mg_connection* connection) {
  return write_all(connection,
                   "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                   "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
                   "retry: 2000\n\n");
}

// Sleeps until `until` in slices, false when the server stops meanwhile.
bool sleep_until(Shared& shared, Clock::time_point until) {
  while (Clock::now() < until) {
    if (shared.stopping) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(kPollSlice, until - Clock::now()));
  }
  return !shared.stopping;
}

// /api/events: the status JSON once a second. A reader too slow for that skips seconds (each
// counted), as the next update is taken only after the previous one was written.
int serve_status_stream(const std::shared_ptr<Shared>& shared, mg_connection* connection) {
  if (!start_stream(connection)) return 200;
  auto next = Clock::now();
  while (!shared->stopping) {
    auto snapshot = view(shared);
    if (!snapshot) break;
    std::string event = "event: status\ndata: " +
                        status_json(snapshot->status, snapshot->taken)
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                        "\n\n";
    if (!write_all(connection, event)) break;
    next += 1s;
    const auto now = Clock::now();
    if (now > next) {
      const auto late = std::chrono::duration_cast<std::chrono::seconds>(now - next).count() + 1;
      shared->status_updates_dropped += static_cast<std::uint64_t>(late);
      next += std::chrono::seconds(late);
    }
    if (!sleep_until(*shared, next)) break;
  }
  return 200;
}

std::string query_value(const char* query, const char* name) {
  if (query == nullptr) return {};
  std::string value(4096, '\0');
  int length = mg_get_var(query, std::strlen(query), name, value.data(), value.size());
  if (length < 0) return {};
  value.resize(static_cast<std::size_t>(length));
  return value;
}

// /api/tap?pattern=&endpoint=&route=&direction=in|out|both: TapHub's JSON lines as events.
int serve_tap_stream(const std::shared_ptr<Shared>& shared, mg_connection* connection,
                     const char* query, bool head) {
  TapFilter filter;
  const std::string pattern = query_value(query, "pattern");
  filter.endpoint = query_value(query, "endpoint");
  filter.route = query_value(query, "route");
  const std::string direction = query_value(query, "direction");
  if (!pattern.empty()) {
    auto compiled = osc::compile_pattern(pattern);
    if (!compiled.pattern) {
      return respond_text(connection, 400, "pattern '" + pattern + "': " + compiled.error, head);
    }
    filter.pattern = std::move(compiled.pattern);
  }
  if (direction == "in") {
    filter.out = false;
  } else if (direction == "out") {
    filter.in = false;
  } else if (!direction.empty() && direction != "both") {
    return respond_text(connection, 400, "direction must be in, out or both", head);
  }
  if (head) return respond(connection, 200, "text/event-stream", "", true);
  auto queue = std::make_shared<TapQueue>();
  using Added = std::pair<std::optional<TapHub::TapId>, std::string>;  // the tap, or why not
  auto added = ask_loop<Added>(shared, [queue, filter](Shared& s) mutable -> Added {
    const StatusSnapshot status = s.handlers.status();
    if (!filter.endpoint.empty() &&
        std::none_of(status.endpoints.begin(), status.endpoints.end(),
                     [&](const EndpointStatus& e) { return e.name == filter.endpoint; })) {
      return {std::nullopt, "no endpoint named '" + filter.endpoint + "'"};
    }
    if (!filter.route.empty() &&
        std::none_of(status.routes.begin(), status.routes.end(),
                     [&](const RouteStatus& r) { return r.name == filter.route; })) {
      return {std::nullopt, "no route named '" + filter.route + "'"};
    }
    Shared* raw = &s;  // the writer runs on the loop while the tap exists, the server alive
    auto id = s.taps.add(std::move(filter), [raw, queue](std::string_view line) {
      std::lock_guard lock(queue->mutex);
      if (queue->lines.size() >= kTapQueueLines || queue->bytes + line.size() > kTapQueueBytes) {
        ++raw->tap_lines_dropped;
        return false;
      }
      queue->lines.emplace_back(line);
      queue->bytes += line.size();
      ++raw->tap_queue_lines;
      queue->ready.notify_one();
      return true;
    });
    s.tap_ids.insert(id);
    return {id, ""};
  });
  if (!added) return respond_text(connection, 503, "the daemon did not answer", false);
  if (!added->first) return respond_text(connection, 400, added->second, false);
  const TapHub::TapId id = *added->first;
  if (start_stream(connection)) {
    auto last_write = Clock::now();
    std::deque<std::string> lines;
    while (!shared->stopping) {
      {
        std::unique_lock lock(queue->mutex);
        queue->ready.wait_for(lock, kPollSlice, [&] { return !queue->lines.empty(); });
        lines.swap(queue->lines);
        queue->bytes = 0;
        shared->tap_queue_lines -= lines.size();
      }
      std::string events;
      for (std::string_view line : lines) {
        while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        events += "data: ";
        events += line;
        events += "\n\n";
      }
      lines.clear();
      if (events.empty() && Clock::now() - last_write >= kKeepalive) events = ": keepalive\n\n";
      if (events.empty()) continue;
      if (!write_all(connection, events)) break;
      last_write = Clock::now();
    }
  }
  shared->loop.post([shared, id] {
    if (!shared->alive || shared->tap_ids.erase(id) == 0) return;
    shared->taps.remove(id);
  });
  std::lock_guard lock(queue->mutex);
  shared->tap_queue_lines -= queue->lines.size();
  queue->lines.clear();
  return 200;
}

// Counts a request as served while it is; the count bounds the server (http.max_clients).
class ActiveRequest {
 public:
  explicit ActiveRequest(std::atomic<int>& active) : active_(active), count_(++active) {}
  ~ActiveRequest() { --active_; }
  ActiveRequest(const ActiveRequest&) = delete;
  ActiveRequest& operator=(const ActiveRequest&) = delete;
  int count() const { return count_; }

 private:
  std::atomic<int>& active_;
  int count_;
};

int handle(mg_connection* connection, void* data) {
  // The server's shared_ptr, which outlives civetweb (stopped before it goes).
  const auto& shared = *static_cast<std::shared_ptr<Shared>*>(data);
  const mg_request_info* info = mg_get_request_info(connection);
  const std::string_view method = info->request_method ? info->request_method : "";
  const std::string_view path = info->local_uri ? info->local_uri : "";
  const bool head = method == "HEAD";
  if (!allowed(*shared, info->remote_addr)) {
    ++shared->refused_allow;
    return respond_text(connection, 403, "not in http.allow", head);
  }
  ActiveRequest request(shared->active);
  int max_clients;
  {
    std::lock_guard lock(shared->settings_mutex);
    max_clients = shared->max_clients;
  }
  if (request.count() > max_clients) {
    ++shared->refused_max_clients;
    return respond_text(
        connection, 503,
        "too many HTTP clients (http.max_clients: " + std::to_string(max_clients) + ")", head);
  }
  // Read-only: nothing here may change the daemon, so nothing but GET (and HEAD) is served.
  if (method != "GET" && !head) {
    return respond_text(connection, 405, "read-only: only GET and HEAD", false);
  }
  if (path == "/" || path == "/index.html") {
    return respond(connection, 200, "text/html; charset=utf-8", web::dashboard_html, head);
  }
  if (path == "/api/status") {
    auto snapshot = view(shared);
    if (!snapshot) return respond_text(connection, 503, "the daemon did not answer", head);
    // The very rendering `oscbridge status --json` prints.
    return respond(connection, 200, "application/json",
                   status_json(snapshot->status, snapshot->taken).dump(2) + "\n", head);
  }
  if (path == "/metrics") {
    auto snapshot = view(shared);
    if (!snapshot) return respond_text(connection, 503, "the daemon did not answer", head);
    return respond(connection, 200, "text/plain; version=0.0.4; charset=utf-8",
                   prometheus_text(snapshot->status, http_metrics(*shared, snapshot->taps)), head);
  }
  if (path == "/api/events") {
    if (head) return respond(connection, 200, "text/event-stream", "", true);
    return serve_status_stream(shared, connection);
  }
  if (path == "/api/tap") return serve_tap_stream(shared, connection, info->query_string, head);
  return respond_text(connection, 404,
                      "not found: try /, /api/status, /metrics, /api/events or /api/tap", head);
}

int log_message(const mg_connection* connection, const char* message) {
  const mg_context* context = mg_get_context(connection);
  if (context != nullptr) {
    auto* shared = static_cast<std::shared_ptr<Shared>*>(mg_get_user_data(context));
    if (shared != nullptr && *shared) {
      std::lock_guard lock((*shared)->error_mutex);
      if ((*shared)->first_error.empty()) (*shared)->first_error = message;
    }
  }
  spdlog::warn("http: {}", message);
  return 1;
}

std::once_flag library_once;

}  // namespace

HttpServer::HttpServer(socket::EventLoop& loop, TapHub& taps, HttpHandlers handlers)
    : shared_(std::make_shared<Shared>(loop, taps, std::move(handlers))) {
  std::call_once(library_once, [] { mg_init_library(0); });
}

HttpServer::~HttpServer() {
  shared_->alive = false;
  shared_->stopping = true;
  if (context_ != nullptr) mg_stop(context_);
  for (auto id : shared_->tap_ids) shared_->taps.remove(id);
  shared_->tap_ids.clear();
}

std::string HttpServer::open(const config::HttpSettings& settings) {
  if (context_ != nullptr) return "http: already serving";
  update(settings);
  settings_ = settings;
  const std::string& host = settings.listen.host;
  const std::string listen = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                             std::to_string(settings.listen.port);
  // One thread per connection: max_clients to serve and one to answer 503 beyond them
  // (civetweb queues further connections until a thread is free).
  const std::string threads = std::to_string(settings.max_clients + 1);
  const char* options[] = {"listening_ports",
                           listen.c_str(),
                           "num_threads",
                           threads.c_str(),
                           "request_timeout_ms",
                           "10000",
                           "enable_keep_alive",
                           "no",
                           "enable_directory_listing",
                           "no",
                           nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = log_message;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = &shared_;
  init.configuration_options = options;
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  context_ = mg_start2(&init, &error);
  if (context_ == nullptr) {
    std::string why;
    {
      std::lock_guard lock(shared_->error_mutex);
      why = shared_->first_error.empty() ? error_text : shared_->first_error;
    }
    return "cannot serve HTTP on " + listen + ": " + (why.empty() ? "civetweb refused" : why);
  }
  mg_set_request_handler(context_, "/", handle, &shared_);
  spdlog::info("http: dashboard on http://{}/", listen);
  return {};
}

void HttpServer::update(const config::HttpSettings& settings) {
  std::lock_guard lock(shared_->settings_mutex);
  shared_->allow = settings.allow;
  shared_->max_clients = settings.max_clients;
  settings_.allow = settings.allow;
  settings_.max_clients = settings.max_clients;
}

}  // namespace oscbridge::daemon
