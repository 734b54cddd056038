// Stage: one step of a route between its transform and a destination endpoint. Flow control
// (rate limits, deadbands, send-on-change), echo suppression, scheduled bundles and later
// scripts plug in here, each as a Stage in the route's chain, in the order the route lists
// them. A stage sees every message the route sends, per destination, and either passes it on
// at once, drops it (counting why on the route), or keeps a copy and passes it on later, from
// a timer, through pass_on(): the rest of the chain and the destination run then.
//
// Ownership and threading: the Router owns the stages of its routes and destroys them with
// itself (a reload builds new ones); a stage must cancel its timers in its destructor.
// Loop thread only. process() must not allocate per message in steady state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/counters.h"
#include "daemon/endpoint.h"
#include "osc/timetag.h"

namespace oscbridge::daemon {

class Endpoint;
class Router;

// One message on its way to one destination. message is an encoded OSC message and origin
// where it came from, both valid only during the call (a stage that keeps the message copies
// both); time is the timetag of the bundle it arrived in (immediate otherwise).
struct Outgoing {
  Endpoint& destination;
  std::string_view message;
  osc::TimeTag time;
  const Origin& origin;
};

class Stage {
 public:
  Stage() = default;
  virtual ~Stage() = default;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  // True: pass the message on now. False: the stage dropped it (and counted why) or keeps it
  // to pass on later.
  virtual bool process(const Outgoing& outgoing) = 0;

  // Set by the Router when it adopts the stage.
  void attach(Router& router, std::uint32_t route, std::size_t position) {
    router_ = &router;
    route_ = route;
    position_ = position;
  }

 protected:
  // Hands a message on to the stages after this one and then to the destination. For use
  // outside process() (from a timer); safe whenever the loop runs this stage's callbacks.
  void pass_on(const Outgoing& outgoing);
  // Counts a message the stage dropped for good: on the route (dropped) and on the destination
  // endpoint (reason, logged at most every few seconds as Endpoint::drop says).
  void drop(const Outgoing& outgoing, DropReason reason, std::string_view detail);

 private:
  Router* router_ = nullptr;
  std::uint32_t route_ = 0;
  std::size_t position_ = 0;
};

}  // namespace oscbridge::daemon
