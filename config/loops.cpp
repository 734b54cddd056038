#include "config/loops.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>

#include "config/address.h"
#include "osc/pattern.h"

namespace oscbridge::config::detail {
namespace {

// What an endpoint sends arrives at another (or the same) endpoint of the file.
struct Hop {
  std::size_t sender = 0;
  std::size_t receiver = 0;
  Position at;       // the send or connect that makes the hop
  std::string text;  // "endpoint 'a' (line 3) sends to ..., the listen of endpoint 'b' (line 7)"
};

// A route handing messages to one of its `to` endpoints that has hops.
struct Node {
  std::size_t route = 0;
  std::size_t endpoint = 0;
};

struct Edge {
  std::size_t node = 0;
  std::size_t hop = 0;
};

bool before(Position a, Position b) {
  return std::tie(a.line, a.column) < std::tie(b.line, b.column);
}

class LoopFinder {
 public:
  LoopFinder(const std::vector<ReadEndpoint>& endpoints, const std::vector<ReadRoute>& routes)
      : endpoints_(endpoints), routes_(routes) {}
  LoopFinder(const LoopFinder&) = delete;
  LoopFinder& operator=(const LoopFinder&) = delete;

  void run(Diagnostics& diagnostics);

 private:
  std::string endpoint_text(std::size_t index) const {
    return "endpoint '" + endpoints_[index].endpoint.name + "' (line " +
           std::to_string(endpoints_[index].name_at.line) + ")";
  }
  void add_hops();
  void add_hop(std::size_t sender, std::size_t receiver, Position at, std::string text);
  std::optional<std::size_t> endpoint_index(const std::string& name) const;
  bool routed_to(std::size_t endpoint) const;
  std::optional<std::string> literal_match(const Route& route) const;
  std::optional<std::string> literal_output(const Route& route) const;
  bool accepts(const Route& route, std::size_t endpoint, std::size_t destination) const;
  void build_graph();
  std::vector<std::vector<std::size_t>> components() const;
  std::vector<Edge> cycle_in(const std::vector<std::size_t>& component) const;
  std::string describe(const std::vector<Edge>& cycle, std::size_t start) const;

  const std::vector<ReadEndpoint>& endpoints_;
  const std::vector<ReadRoute>& routes_;
  std::vector<Hop> hops_;
  std::vector<std::vector<std::size_t>> hops_from_;  // per endpoint, indexes into hops_
  std::vector<Node> nodes_;
  std::vector<std::vector<Edge>> edges_;  // per node
};

void LoopFinder::add_hop(std::size_t sender, std::size_t receiver, Position at, std::string text) {
  hops_from_[sender].push_back(hops_.size());
  hops_.push_back({sender, receiver, at, std::move(text)});
}

void LoopFinder::add_hops() {
  hops_from_.assign(endpoints_.size(), {});
  for (std::size_t a = 0; a < endpoints_.size(); ++a) {
    const Endpoint& sender = endpoints_[a].endpoint;
    for (std::size_t b = 0; b < endpoints_.size(); ++b) {
      const Endpoint& receiver = endpoints_[b].endpoint;
      if (sender.protocol() != receiver.protocol() || !receiver.listen()) continue;
      const std::string their_listen =
          a == b ? "its own listen" : "the listen of " + endpoint_text(b);
      if (const UdpSettings* udp = sender.udp()) {
        for (std::size_t i = 0; i < udp->send.size(); ++i) {
          if (!may_reach(*receiver.listen(), udp->send[i])) continue;
          const Position at = endpoints_[a].send_at[i];
          add_hop(a, b, at,
                  endpoint_text(a) + " sends to " + to_string(udp->send[i]) + ", " + their_listen);
          // Answers go to the address the datagrams came from: a's listen, when it has one (a
          // send-only endpoint reads and discards what arrives at its sending socket), once a
          // has sent something, which takes a route to a.
          if (a != b && receiver.udp()->reply != Reply::off && udp->listen && routed_to(a)) {
            add_hop(b, a, at,
                    endpoint_text(b) + " replies (reply: true) to " + endpoint_text(a) +
                        ", which sends to it from its listen");
          }
        }
      } else if (const TcpSettings* tcp = sender.tcp(); tcp && tcp->connect) {
        if (a == b || !may_reach(*receiver.listen(), *tcp->connect)) continue;
        const Position at = endpoints_[a].connect_at;
        add_hop(
            a, b, at,
            endpoint_text(a) + " connects to " + to_string(*tcp->connect) + ", " + their_listen);
        add_hop(b, a, at,
                endpoint_text(b) + " sends to its clients, among them " + endpoint_text(a) +
                    ", which connects to it");
      }
    }
  }
}

std::optional<std::size_t> LoopFinder::endpoint_index(const std::string& name) const {
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].endpoint.name == name) return i;
  }
  return std::nullopt;
}

bool LoopFinder::routed_to(std::size_t endpoint) const {
  const std::string& name = endpoints_[endpoint].endpoint.name;
  return std::any_of(routes_.begin(), routes_.end(), [&](const ReadRoute& route) {
    return std::find(route.route.to.begin(), route.route.to.end(), name) != route.route.to.end();
  });
}

// The only address a route's match takes, when it is a literal (no wildcard).
std::optional<std::string> LoopFinder::literal_match(const Route& route) const {
  if (!route.match) return std::nullopt;
  const osc::PatternResult compiled = osc::compile_pattern(*route.match);
  if (!compiled.pattern || !compiled.pattern->is_literal()) return std::nullopt;
  return *route.match;
}

// The only address a route sends, when it is known without a message.
std::optional<std::string> LoopFinder::literal_output(const Route& route) const {
  if (!route.address) return literal_match(route);
  std::string text;
  for (const TemplatePart& part : route.address->parts) {
    if (part.kind != TemplatePart::Kind::text) return std::nullopt;
    text += part.text;
  }
  return text;
}

// Whether `route` takes what arrives at `endpoint` and hands it to `destination`; a route
// returns a message to where it came from only when its `from` names that endpoint (the
// router's CompiledRoute::may_return_to).
bool LoopFinder::accepts(const Route& route, std::size_t endpoint, std::size_t destination) const {
  const std::string& name = endpoints_[endpoint].endpoint.name;
  const bool named = std::find(route.from.begin(), route.from.end(), name) != route.from.end();
  if (endpoint == destination) return named;
  return route.from.empty() || named;
}

void LoopFinder::build_graph() {
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    for (const std::string& name : routes_[r].route.to) {
      const auto endpoint = endpoint_index(name);
      if (endpoint && !hops_from_[*endpoint].empty()) nodes_.push_back({r, *endpoint});
    }
  }
  std::vector<std::optional<std::string>> sent;   // per route
  std::vector<std::optional<std::string>> taken;  // per route
  for (const ReadRoute& route : routes_) {
    sent.push_back(literal_output(route.route));
    taken.push_back(literal_match(route.route));
  }
  edges_.assign(nodes_.size(), {});
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    const std::optional<std::string>& out = sent[nodes_[n].route];
    for (const std::size_t hop : hops_from_[nodes_[n].endpoint]) {
      for (std::size_t m = 0; m < nodes_.size(); ++m) {
        const Route& next = routes_[nodes_[m].route].route;
        if (!accepts(next, hops_[hop].receiver, nodes_[m].endpoint)) continue;
        const std::optional<std::string>& in = taken[nodes_[m].route];
        if (out && in && *out != *in) continue;
        edges_[n].push_back({m, hop});
      }
    }
  }
}

// Strongly connected components (Tarjan's, iterative: a file may have many routes).
std::vector<std::vector<std::size_t>> LoopFinder::components() const {
  constexpr std::size_t kUnseen = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(nodes_.size(), kUnseen);
  std::vector<std::size_t> low(nodes_.size(), 0);
  std::vector<bool> on_stack(nodes_.size(), false);
  std::vector<std::size_t> stack;
  std::vector<std::vector<std::size_t>> found;
  std::size_t counter = 0;
  struct Frame {
    std::size_t node;
    std::size_t next_edge;
  };
  for (std::size_t root = 0; root < nodes_.size(); ++root) {
    if (index[root] != kUnseen) continue;
    std::vector<Frame> frames{{root, 0}};
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!frames.empty()) {
      Frame& frame = frames.back();
      const std::size_t v = frame.node;
      if (frame.next_edge < edges_[v].size()) {
        const std::size_t w = edges_[v][frame.next_edge++].node;
        if (index[w] == kUnseen) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<std::size_t> component;
        std::size_t w = 0;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component.push_back(w);
        } while (w != v);
        found.push_back(std::move(component));
      }
      frames.pop_back();
      if (!frames.empty()) low[frames.back().node] = std::min(low[frames.back().node], low[v]);
    }
  }
  return found;
}

// A shortest cycle through the component's first node, as the edges taken (each edge's node
// is where it leads); empty when the component has no cycle (one node without a self-edge).
std::vector<Edge> LoopFinder::cycle_in(const std::vector<std::size_t>& component) const {
  const std::size_t start = *std::min_element(component.begin(), component.end());
  std::vector<bool> inside(nodes_.size(), false);
  for (const std::size_t n : component) inside[n] = true;
  std::vector<std::optional<Edge>> reached_by(nodes_.size());  // the edge and where it came from
  std::vector<std::size_t> came_from(nodes_.size(), start);
  std::vector<std::size_t> queue{start};
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const std::size_t v = queue[q];
    for (const Edge& edge : edges_[v]) {
      if (!inside[edge.node] || (edge.node != start && reached_by[edge.node])) continue;
      if (edge.node == start) {
        std::vector<Edge> cycle{edge};
        for (std::size_t at = v; at != start; at = came_from[at]) cycle.push_back(*reached_by[at]);
        std::reverse(cycle.begin(), cycle.end());
        return cycle;
      }
      reached_by[edge.node] = edge;
      came_from[edge.node] = v;
      queue.push_back(edge.node);
    }
  }
  return {};
}

// The cycle's steps from its edge `start` on. Each edge leaves the node before it through a
// hop and reaches the route that carries the message on.
std::string LoopFinder::describe(const std::vector<Edge>& cycle, std::size_t start) const {
  std::string text = "loop: ";
  for (std::size_t k = 0; k < cycle.size(); ++k) {
    const Edge& edge = cycle[(start + k) % cycle.size()];
    const Hop& hop = hops_[edge.hop];
    const Node& next = nodes_[edge.node];
    const ReadRoute& route = routes_[next.route];
    if (k > 0) text += "; ";
    text +=
        hop.text + ", and route '" + route.route.name + "' (line " + std::to_string(route.at.line) +
        ") routes what arrives at '" + endpoints_[hop.receiver].endpoint.name + "' " +
        (next.endpoint == hop.receiver ? "back to it"
                                       : "to '" + endpoints_[next.endpoint].endpoint.name + "'");
  }
  return text + ": a message can circulate forever";
}

void LoopFinder::run(Diagnostics& diagnostics) {
  add_hops();
  if (hops_.empty()) return;
  build_graph();
  for (const std::vector<std::size_t>& component : components()) {
    const std::vector<Edge> cycle = cycle_in(component);
    if (cycle.empty()) continue;
    std::size_t first = 0;
    for (std::size_t k = 1; k < cycle.size(); ++k) {
      if (before(hops_[cycle[k].hop].at, hops_[cycle[first].hop].at)) first = k;
    }
    // One warning for all the loops through these nodes, naming how many routes it leaves
    // out, so that breaking the loop described does not just reveal the next one.
    std::vector<std::size_t> others;
    for (const std::size_t n : component) others.push_back(nodes_[n].route);
    for (const Edge& edge : cycle) std::erase(others, nodes_[edge.node].route);
    std::sort(others.begin(), others.end());
    others.erase(std::unique(others.begin(), others.end()), others.end());
    std::string text = describe(cycle, first);
    if (!others.empty()) {
      text += " (" + std::to_string(others.size()) +
              (others.size() == 1 ? " other route loops" : " other routes loop") +
              " through these endpoints too, starting with '" + routes_[others.front()].route.name +
              "' (line " + std::to_string(routes_[others.front()].at.line) + "))";
    }
    diagnostics.warning(hops_[cycle[first].hop].at, text);
  }
}

}  // namespace

void check_loops(const std::vector<ReadEndpoint>& endpoints, const std::vector<ReadRoute>& routes,
                 Diagnostics& diagnostics) {
  LoopFinder(endpoints, routes).run(diagnostics);
}

}  // namespace oscbridge::config::detail
