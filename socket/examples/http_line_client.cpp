// The seed's HTTP-style line client: send a request, then print the reply line by line
// until the server goes quiet ("timeout") or hangs up ("disconnected").
//   http_line_client HOST [PORT] [PATH]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "socket/socket.h"

using namespace oscbridge::socket;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST [PORT] [PATH]\n", argv[0]);
    return 2;
  }
  std::string host = argv[1];
  auto port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 80);
  std::string path = argc > 3 ? argv[3] : "/";

  auto [client, error] = create_client(host, port, Protocol::tcp, 2000);
  if (!client) {
    std::fprintf(stderr, "connection failed: %s\n", error.c_str());
    return 1;
  }
  auto sent = client->send("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n");
  if (!sent.success) {
    std::fprintf(stderr, "send failed: %s\n", sent.error.c_str());
    return 1;
  }
  for (;;) {
    auto [line, receive_error] = client->receive(ReceiveMode::line(), 500);
    if (!line) {
      std::printf("-- %s\n", receive_error.c_str());
      return receive_error == "timeout" || receive_error == "disconnected" ? 0 : 1;
    }
    std::printf("%s\n", line->c_str());
  }
}
