// TapHub: live copies of routed traffic for `oscbridge tap` (and later the dashboard). The
// router tells the hub about each message it receives and each it hands to a destination, but
// only while someone taps: active() is the one branch routing pays when nobody does.
//
// Each tap has a filter (address pattern, endpoint, route, direction) and a writer that takes
// one JSON line (docs/control.md, "tap"). A writer that cannot take a line (its client reads
// too slowly: bounded output) returns false; the hub counts what that tap missed and tells it
// {"event":"missed","count":N} before its next line that fits. Nothing here ever waits.
//
// Ownership and threading: owned by the Runtime, which outlives every router pointing at it;
// taps are added and removed by their owners (control clients). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/endpoint.h"
#include "osc/packet.h"
#include "osc/pattern.h"
#include "osc/timetag.h"

namespace oscbridge::daemon {

struct TapFilter {
  std::optional<osc::Pattern> pattern;  // the message's address (as received, or as sent)
  std::string endpoint;                 // "": any; else the receiving or sending endpoint
  std::string route;                    // "": any; else only messages sent by this route
  bool in = true;                       // messages as received
  bool out = true;                      // messages as sent
};

class TapHub {
 public:
  using TapId = std::uint64_t;
  using Writer = std::function<bool(std::string_view line)>;

  TapHub() = default;
  TapHub(const TapHub&) = delete;
  TapHub& operator=(const TapHub&) = delete;

  bool active() const { return !taps_.empty(); }
  TapId add(TapFilter filter, Writer writer);
  void remove(TapId id);
  std::size_t size() const { return taps_.size(); }

  // A message as it arrived. in_bundle: it came in a bundle with timetag time.
  void received(const Origin& origin, const osc::Message& message, osc::TimeTag time,
                bool in_bundle);
  // A message handed to destination by route (its encoded bytes).
  void sent(const Endpoint& destination, const std::string& route, std::string_view message,
            osc::TimeTag time, bool in_bundle);

 private:
  struct Tap {
    TapFilter filter;
    Writer writer;
    std::uint64_t missed = 0;
  };
  void emit(Tap& tap, const std::string& line);

  std::map<TapId, Tap> taps_;
  TapId next_id_ = 1;
};

}  // namespace oscbridge::daemon
