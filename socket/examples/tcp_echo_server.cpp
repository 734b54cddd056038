// The seed's TCP echo server, with a Notifier class: whatever a client sends comes back.
//   tcp_echo_server [PORT]   (0 picks a free port; the port is printed)
#include <cstdio>
#include <cstdlib>

#include "socket/examples/wait_for_signal.h"
#include "socket/socket.h"

using namespace oscbridge::socket;

class EchoNotifier : public Notifier {
 public:
  void socket_error(const std::string& message) override {
    std::fprintf(stderr, "socket error: %s\n", message.c_str());
  }
  void socket_accepted(SocketClient& client) override {
    std::printf("accepted %s:%u\n", client.peer_address().c_str(), client.peer_port());
    std::fflush(stdout);
  }
  void socket_message(SocketClient& client, std::string_view message) override {
    client.send(message);
  }
};

int main(int argc, char** argv) {
  sigset_t stop_signals = block_stop_signals();
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 1025);
  auto [server, error] = create_server("localhost", port, Protocol::tcp);
  if (!server) {
    std::fprintf(stderr, "server failed: %s\n", error.c_str());
    return 1;
  }
  EchoNotifier notifier;
  server->run(notifier);
  std::printf("listening on %s port %u\n", server->local_address().c_str(), server->local_port());
  std::fflush(stdout);
  wait_for_stop_signal(stop_signals);
  server->stop();
  return 0;
}
