// osc/pattern against liblo's lo_pattern_match, same patterns and addresses, same binary.
// Each benchmark matches every address of its case once per iteration (half of them match).
// Results and the command line: docs/bench-pattern.md.
#include <benchmark/benchmark.h>
#include <lo/lo.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "osc/pattern.h"

namespace {

struct Case {
  const char* pattern;
  std::vector<std::string> addresses;
};

// Addresses a control surface or mixer actually sends; the first of each pair matches.
const Case kLiteral{"/mixer/ch/01/fader", {"/mixer/ch/01/fader", "/mixer/ch/01/faded"}};
const Case kStar{"/track/*/volume", {"/track/12/volume", "/track/12/pan"}};
const Case kAlternatives{"/strip/{fader,gain}", {"/strip/gain", "/strip/mute"}};
const Case kAnyLevels{"//fader", {"/mixer/ch/01/fader", "/mixer/ch/01/mute"}};
const Case kSet{"/ch/[0-9][0-9]/[a-z]ute", {"/ch/07/mute", "/ch/7x/mute"}};
const Case kManyStars{
    "/*a*a*a*a*a*b",
    {std::string("/") + std::string(24, 'a') + "b", std::string("/") + std::string(24, 'a')}};

oscbridge::osc::Pattern compile_or_die(const char* text) {
  auto result = oscbridge::osc::compile_pattern(text);
  if (!result.pattern) {
    std::fprintf(stderr, "%s: %s\n", text, result.error.c_str());
    std::abort();
  }
  return *result.pattern;
}

void ours(benchmark::State& state, const Case* c) {
  const oscbridge::osc::Pattern pattern = compile_or_die(c->pattern);
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& address : c->addresses) {
      bool result = pattern.matches(address);
      benchmark::DoNotOptimize(result);
      matched += result ? 1 : 0;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c->addresses.size()));
  state.counters["matched"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}

void ours_with_captures(benchmark::State& state, const Case* c) {
  const oscbridge::osc::Pattern pattern = compile_or_die(c->pattern);
  oscbridge::osc::Captures captures;
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& address : c->addresses) {
      bool result = pattern.matches(address, captures);
      benchmark::DoNotOptimize(result);
      benchmark::DoNotOptimize(captures);
      matched += result ? 1 : 0;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c->addresses.size()));
  state.counters["matched"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}

void liblo(benchmark::State& state, const Case* c) {
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& address : c->addresses) {
      bool result = lo_pattern_match(address.c_str(), c->pattern) != 0;
      benchmark::DoNotOptimize(result);
      matched += result ? 1 : 0;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c->addresses.size()));
  state.counters["matched"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(ours, literal, &kLiteral);
BENCHMARK_CAPTURE(ours_with_captures, literal, &kLiteral);
BENCHMARK_CAPTURE(liblo, literal, &kLiteral);
BENCHMARK_CAPTURE(ours, star, &kStar);
BENCHMARK_CAPTURE(ours_with_captures, star, &kStar);
BENCHMARK_CAPTURE(liblo, star, &kStar);
BENCHMARK_CAPTURE(ours, alternatives, &kAlternatives);
BENCHMARK_CAPTURE(ours_with_captures, alternatives, &kAlternatives);
BENCHMARK_CAPTURE(liblo, alternatives, &kAlternatives);
BENCHMARK_CAPTURE(ours, any_levels, &kAnyLevels);
BENCHMARK_CAPTURE(ours_with_captures, any_levels, &kAnyLevels);
BENCHMARK_CAPTURE(liblo, any_levels, &kAnyLevels);
BENCHMARK_CAPTURE(ours, set, &kSet);
BENCHMARK_CAPTURE(ours_with_captures, set, &kSet);
BENCHMARK_CAPTURE(liblo, set, &kSet);
BENCHMARK_CAPTURE(ours, many_stars, &kManyStars);
BENCHMARK_CAPTURE(ours_with_captures, many_stars, &kManyStars);
BENCHMARK_CAPTURE(liblo, many_stars, &kManyStars);

BENCHMARK_MAIN();
