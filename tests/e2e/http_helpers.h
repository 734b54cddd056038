// What the HTTP tests share: a plain HTTP/1.1 client over a loopback TCP socket (optionally
// from a chosen source address), a server-sent-events reader, and a checker of the Prometheus
// text exposition format's grammar (version 0.0.4), so /metrics is parsed as a scraper would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace oscbridge::e2e {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// One TCP connection to 127.0.0.1:port, from source (an address on lo) when given.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, const std::string& source = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!source.empty()) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~HttpConnection() { ::close(fd_); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return connected_; }
  // Shrinks the receive buffer, so that a client that does not read fills up soon.
  void small_buffer() {
    int size = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  bool request(const std::string& target, const std::string& method = "GET") {
    std::string text =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: e2e\r\n\r\n";
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Reads what arrives within timeout_ms (appending to buffer()); false at end or error.
  bool read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // The status line and headers; the rest stays in buffer().
  std::optional<HttpResponse> read_head(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline || !read_some(50)) return std::nullopt;
    }
    auto end = buffer_.find("\r\n\r\n");
    std::istringstream head(buffer_.substr(0, end));
    buffer_.erase(0, end + 4);
    HttpResponse response;
    std::string line, version;
    std::getline(head, line);
    std::istringstream(line) >> version >> response.status;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return response;
  }
  // A whole response: the server closes the connection after it (Connection: close).
  std::optional<HttpResponse> read_response(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto response = read_head(timeout_ms);
    if (!response) return std::nullopt;
    while (read_some(50)) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    }
    response->body = std::move(buffer_);
    buffer_.clear();
    return response;
  }
  // The next server-sent event's data line(s), joined; nullopt after timeout_ms or at the end.
  std::optional<std::string> next_event(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto end = buffer_.find("\n\n");
      while (end != std::string::npos) {
        std::string block = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        std::string data;
        std::istringstream lines(block);
        std::string line;
        while (std::getline(lines, line)) {
          if (line.rfind("data: ", 0) == 0) data += line.substr(6);
        }
        if (!data.empty()) return data;
        end = buffer_.find("\n\n");
      }
      if (std::chrono::steady_clock::now() >= deadline || !read_some(50)) return std::nullopt;
    }
  }
  std::string& buffer() { return buffer_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

inline std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& target,
                                            const std::string& method = "GET",
                                            const std::string& source = "") {
  HttpConnection connection(port, source);
  if (!connection.connected() || !connection.request(target, method)) return std::nullopt;
  return connection.read_response();
}

// The Prometheus text format, line by line (https://prometheus.io/docs/instrumenting/
// exposition_formats/): `# HELP name text`, `# TYPE name counter|gauge|...` (at most once per
// family, before its samples), samples `name{label="value",...} value [timestamp]` with label
// values escaped (\\ \" \n only), the samples of a family together, no series twice, counter
// samples named *_total. Returns the problems found ("" when it parses) and fills samples with
// "name{labels}" -> value.
inline std::string check_prometheus_text(const std::string& text,
                                         std::map<std::string, double>& samples) {
  static const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex help_re("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
  static const std::regex type_re(
      "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  static const std::regex sample_re("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? ([^ ]+)( -?[0-9]+)?");
  static const std::regex label_re(
      "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
  std::ostringstream problems;
  std::map<std::string, std::string> types;
  std::set<std::string> helped, families_done;
  std::string current;
  int number = 0;
  if (!text.empty() && text.back() != '\n') problems << "the text does not end with a newline\n";
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = "line " + std::to_string(number) + " '" + line + "': ";
    std::smatch m;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, m, help_re)) {
        problems << where << "bad HELP\n";
      } else if (!helped.insert(m[1]).second) {
        problems << where << "second HELP for " << m[1] << "\n";
      }
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, type_re)) {
        problems << where << "bad TYPE\n";
      } else if (types.count(m[1])) {
        problems << where << "second TYPE for " << m[1] << "\n";
      } else {
        types[m[1]] = m[2];
      }
      continue;
    }
    if (line[0] == '#') continue;  // a comment
    if (!std::regex_match(line, m, sample_re)) {
      problems << where << "not a sample\n";
      continue;
    }
    const std::string name = m[1];
    if (!types.count(name)) problems << where << "sample before its TYPE\n";
    if (name != current) {
      if (families_done.count(name)) problems << where << "family " << name << " split\n";
      if (!current.empty()) families_done.insert(current);
      current = name;
    }
    if (types[name] == "counter" && (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
      problems << where << "counter not named *_total\n";
    }
    std::string labels = m[3];
    std::string rest = labels;
    std::set<std::string> label_names;
    std::smatch l;
    while (!rest.empty()) {
      if (!std::regex_search(rest, l, label_re) || l.position(0) != 0) {
        problems << where << "bad labels '" << rest << "'\n";
        break;
      }
      if (!label_names.insert(l[1]).second) problems << where << "label twice\n";
      rest = l.suffix();
    }
    const std::string value = m[4];
    char* end = nullptr;
    double parsed = std::strtod(value.c_str(), &end);
    if (value != "NaN" && value != "+Inf" && value != "-Inf" &&
        (end == value.c_str() || *end != '\0' || !std::isfinite(parsed))) {
      problems << where << "bad value\n";
    }
    const std::string series = name + "{" + labels + "}";
    if (samples.count(series)) problems << where << "series twice\n";
    samples[series] = parsed;
  }
  return problems.str();
}

}  // namespace oscbridge::e2e
