// The messages an endpoint sends of its own accord, written out in the file: `keepalive` on a
// timer, to wherever the endpoint sends (KeepaliveTimer), and `on_connect` to each peer as it
// comes (the endpoint kinds call Endpoint::greeting()).
//
// Ownership and threading: a KeepaliveTimer belongs to the Runtime, is rebuilt with the router
// on every reload and must go before its endpoint; loop thread only.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/endpoint.h"
#include "socket/event_loop.h"

namespace oscbridge::daemon {

// Each message encoded as OSC (the loader checked addresses and arguments).
std::vector<std::string> encode_fixed_messages(const std::vector<config::FixedMessage>& messages);

class KeepaliveTimer {
 public:
  KeepaliveTimer(socket::EventLoop& loop, Endpoint& endpoint, const config::Keepalive& keepalive);
  ~KeepaliveTimer();
  KeepaliveTimer(const KeepaliveTimer&) = delete;
  KeepaliveTimer& operator=(const KeepaliveTimer&) = delete;

 private:
  void send();

  socket::EventLoop& loop_;
  Endpoint& endpoint_;
  std::vector<std::string> packets_;
  socket::EventLoop::TimerId timer_ = 0;
};

}  // namespace oscbridge::daemon
