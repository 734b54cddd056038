// Internal to oscbridge_config: finds loops between endpoints of one file, where what an
// endpoint sends arrives at a listen of the same file and routes carry it back to that
// endpoint, so one message circulates forever. Warnings only: the file still runs (a loop may
// be broken by match patterns this check cannot see through). Single-threaded; pure.
#pragma once

#include <vector>

#include "config/diagnostics.h"
#include "config/endpoints.h"
#include "config/routes.h"

namespace oscbridge::config::detail {

// One warning per group of routes that loop through each other (a strongly connected part of
// the graph below), at the first `send`/`connect` of one of its loops in file order, naming
// every endpoint and route of that loop with their lines and counting the group's other
// routes. Expects a file without errors.
//
// The graph: a network hop from endpoint A to B when A's `send` or `connect` may reach B's
// `listen` on this machine (address.h: may_reach; same protocol), a udp endpoint with
// `reply: true` answers an endpoint of the file that sends to it from its own listen, and a tcp
// server sends to a client endpoint of the file that connects to it. A route carries what
// arrives at B to A when its `from` is empty or names B and its `to` names A (back to B itself
// only when `from` names B, as the router does). Two routes in a row are assumed to pass the
// same message unless what the first sends is a known literal address (its literal `match`
// unchanged, or an `address` without captures) and the second's `match` is a different
// literal: patterns that merely look disjoint (/x/* and /y/*) still count as a loop.
void check_loops(const std::vector<ReadEndpoint>& endpoints, const std::vector<ReadRoute>& routes,
                 Diagnostics& diagnostics);

}  // namespace oscbridge::config::detail
