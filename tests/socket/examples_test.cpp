// The seed's examples, run as programs: each against the other or a local server.
#include <gtest/gtest.h>

#include "socket/socket.h"
#include "tests/support/child_process.h"

namespace oscbridge::socket {
namespace {

using test::ChildProcess;

std::uint16_t listening_port(ChildProcess& server) {
  auto port = server.wait_for_output("listening on .* port ([0-9]+)");
  EXPECT_TRUE(port) << server.output();
  return port ? static_cast<std::uint16_t>(std::stoi(*port)) : 0;
}

TEST(ExamplesTest, HttpLineClientAgainstTheTcpEchoServer) {
  ChildProcess server({TCP_ECHO_SERVER, "0"});
  auto port = listening_port(server);
  ASSERT_NE(port, 0);
  // The echo server sends the request back, so the client prints it line by line and
  // ends on "timeout" when the server goes quiet.
  ChildProcess client({HTTP_LINE_CLIENT, "localhost", std::to_string(port), "/index.html"});
  EXPECT_EQ(client.wait_exit(5000), 0);
  const auto& printed = client.output();
  EXPECT_NE(printed.find("GET /index.html HTTP/1.0\nHost: localhost\n\n-- timeout"),
            std::string::npos)
      << printed;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
  EXPECT_NE(server.output().find("accepted 127.0.0.1:"), std::string::npos) << server.output();
}

TEST(ExamplesTest, HttpLineClientReadsUntilDisconnected) {
  auto [server, error] = create_server("127.0.0.1", 0, Protocol::tcp);
  ASSERT_TRUE(server) << error;
  NotifierTable table;
  table.socket_message = [](SocketClient& client, std::string_view request) {
    if (request.find("\r\n\r\n") == std::string_view::npos) return;
    client.send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\nworld");
    client.close();
  };
  server->run(table);
  ChildProcess client({HTTP_LINE_CLIENT, "127.0.0.1", std::to_string(server->local_port())});
  EXPECT_EQ(client.wait_exit(5000), 0);
  EXPECT_EQ(client.output(),
            "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nhello\nworld\n-- disconnected\n");
}

TEST(ExamplesTest, HttpLineClientReportsARefusedConnection) {
  std::uint16_t port;
  {
    auto [probe, error] = create_server("127.0.0.1", 0, Protocol::tcp);
    ASSERT_TRUE(probe) << error;
    port = probe->local_port();
  }
  ChildProcess client({HTTP_LINE_CLIENT, "127.0.0.1", std::to_string(port)});
  EXPECT_EQ(client.wait_exit(5000), 1);
  EXPECT_NE(client.output().find("connection failed: Connection refused"), std::string::npos)
      << client.output();
}

TEST(ExamplesTest, UdpEchoServerAnswersEachSender) {
  ChildProcess server({UDP_ECHO_SERVER, "0"});
  auto port = listening_port(server);
  ASSERT_NE(port, 0);
  for (const char* text : {"one", "two"}) {
    auto [client, error] = create_client("localhost", port, Protocol::udp);
    ASSERT_TRUE(client) << error;
    ASSERT_TRUE(client->send(text).success);
    auto [reply, receive_error] = client->receive(ReceiveMode::all(), 2000);
    ASSERT_TRUE(reply) << receive_error;
    EXPECT_EQ(*reply, text);
    EXPECT_TRUE(server.wait_for_output("echo 3 bytes to 127.0.0.1:" +
                                       std::to_string(client->local_port())));
  }
  server.signal(SIGINT);
  EXPECT_EQ(server.wait_exit(), 0);
}

TEST(ExamplesTest, TcpEchoServerEchoesLargeMessages) {
  ChildProcess server({TCP_ECHO_SERVER, "0"});
  auto port = listening_port(server);
  ASSERT_NE(port, 0);
  auto [client, error] = create_client("127.0.0.1", port);
  ASSERT_TRUE(client) << error;
  // One thread uses the client, as its contract asks: all of it is sent, then the echo read.
  // The server cannot stall on the echo meanwhile: what the kernel does not take is queued
  // (up to 1 MiB per connection), so the send completes while nobody reads.
  std::string payload(200000, 'e');
  for (std::size_t i = 0; i < payload.size(); i += 997) payload[i] = static_cast<char>(i % 251);
  auto [sent, send_error] = client->send(payload);
  ASSERT_TRUE(sent) << send_error;
  auto [echo, receive_error] = client->receive(ReceiveMode::bytes(payload.size()), 10000);
  ASSERT_TRUE(echo) << receive_error;
  EXPECT_TRUE(*echo == payload) << "the echo differs";
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
}

}  // namespace
}  // namespace oscbridge::socket
