// The Router's hot path (slipway/router.h): Route on one and two threads,
// Record, and the label pair. The router runs over an in-memory RouterLink
// (no store: the hot path never touches it), with no background thread.
// Results: benchmarks/README.md, "Router". Zero allocations on these paths
// is asserted by tests/rollout/router_test.cc (HotPathAllocatesNothing).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "slipway/env.h"
#include "slipway/router.h"
#include "src/rollout/router.h"
#include "src/rollout/router_link.h"

namespace slipway {
namespace {

class StaticLink final : public internal_rollout::RouterLink {
 public:
  absl::StatusOr<RoutingInfo> GetRouting(std::string_view) override {
    return RoutingInfo{"fraud-prod", "2.4.0", "2.4.1", 0.1, false, 1};
  }
  absl::Status RecordWindow(std::string_view, std::string_view, absl::Time,
                            const internal_monitoring::OutcomeWindow&,
                            std::string_view) override {
    return absl::OkStatus();
  }
  absl::StatusOr<int> Tick() override { return 0; }
  absl::StatusOr<bool> EmergencyStopActive() override { return false; }
};

Router& TheRouter() {
  static Router* router = [] {
    RouterOptions o;
    o.background = false;
    o.replica = "bench";
    Env env = Env::Default();
    return internal_rollout::OpenRouter("fraud-prod", o,
                                        std::make_unique<StaticLink>(),
                                        env.clock, env.id_source)
        ->release();
  }();
  return *router;
}

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (int i = 0; i < 4096; ++i) k.push_back(absl::StrCat("user-", i * 7919));
    return k;
  }();
  return keys;
}

// Route by a ~10-byte string key (hash + snapshot load + compare).
void BM_RouterRoute(benchmark::State& state) {
  Router& r = TheRouter();
  const std::vector<std::string>& keys = Keys();
  size_t i = static_cast<size_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    RouteDecision d = r.Route(keys[i++ & 4095]);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterRoute)->Threads(1)->Threads(2)->UseRealTime();

void BM_RouterRouteUint64(benchmark::State& state) {
  Router& r = TheRouter();
  uint64_t key = static_cast<uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) {
    RouteDecision d = r.Route(key++);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterRouteUint64)->Threads(1)->Threads(2)->UseRealTime();

// Record: counters + one latency bucket + sum + min/max, on the thread's
// shard.
void BM_RouterRecord(benchmark::State& state) {
  Router& r = TheRouter();
  double ms = 0.5;
  for (auto _ : state) {
    r.Record(Variant::kCandidate, ms, false);
    ms = ms > 200 ? 0.5 : ms * 1.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterRecord)->Threads(1)->Threads(2)->UseRealTime();

// RecordPrediction with a request id, then its label.
void BM_RouterPredictionAndLabel(benchmark::State& state) {
  Router& r = TheRouter();
  const std::vector<std::string>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    const std::string& id = keys[i++ & 4095];
    r.RecordPrediction(Variant::kStable, id);
    benchmark::DoNotOptimize(r.RecordLabel(id, true));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterPredictionAndLabel);

// What the background thread does per pass without I/O: read the shards
// and fold the minute's windows.
void BM_RouterFlush(benchmark::State& state) {
  Router& r = TheRouter();
  for (auto _ : state) {
    r.Record(Variant::kStable, 3, false);
    benchmark::DoNotOptimize(r.Flush());
  }
}
BENCHMARK(BM_RouterFlush);

}  // namespace
}  // namespace slipway

BENCHMARK_MAIN();
