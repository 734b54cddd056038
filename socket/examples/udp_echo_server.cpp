// The seed's UDP echo server, with a NotifierTable: every datagram goes back to its
// sender, from the server's port.
//   udp_echo_server [PORT]   (0 picks a free port; the port is printed)
#include <cstdio>
#include <cstdlib>

#include "socket/examples/wait_for_signal.h"
#include "socket/socket.h"

using namespace oscbridge::socket;

int main(int argc, char** argv) {
  sigset_t stop_signals = block_stop_signals();
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 1025);
  auto [server, error] = create_server("localhost", port, Protocol::udp);
  if (!server) {
    std::fprintf(stderr, "server failed: %s\n", error.c_str());
    return 1;
  }
  NotifierTable notifier;
  notifier.socket_error = [](const std::string& message) {
    std::fprintf(stderr, "socket error: %s\n", message.c_str());
  };
  notifier.socket_message = [](SocketClient& peer, std::string_view message) {
    std::printf("echo %zu bytes to %s:%u\n", message.size(), peer.peer_address().c_str(),
                peer.peer_port());
    std::fflush(stdout);
    peer.send(message);
  };
  server->run(notifier);
  std::printf("listening on %s port %u\n", server->local_address().c_str(), server->local_port());
  std::fflush(stdout);
  wait_for_stop_signal(stop_signals);
  server->stop();
  return 0;
}
