// Rollout controller benchmarks (issue 5), through the public Store on a
// file store with a FakeClock:
//
//   BM_Tick/100      one Tick() over 100 active rollouts, each in its 1 %
//                    canary with 10 minutes of outcome windows from two
//                    replicas for both versions (read, merged, evaluated; no
//                    transition is due, so this is the steady-state cost of
//                    watching).
//   BM_TripToRollback  the tick that sees the fifth bad one-minute window of
//                    a 1 % canary (3 % errors at >= 200 requests): from the
//                    call until it returns with the routing back on stable
//                    (checked after timing).
//
// Staging endpoints: the SPEC §2 gates warn and audit instead of refusing,
// so the setup needs no validations or approvals.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"

namespace slipway {
namespace {

constexpr char kPlan[] = R"({"stages": [
  {"name": "canary-1", "candidate_weight": 0.01, "min_observation_seconds": 864000},
  {"name": "full", "candidate_weight": 1}]})";

class BenchDir {
 public:
  BenchDir() {
    char tmpl[] = "/tmp/slipway_rollout_bench.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~BenchDir() { std::filesystem::remove_all(dir_); }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

OutcomeCounts Counts(uint64_t requests, uint64_t errors) {
  OutcomeCounts c;
  c.requests = requests;
  c.errors = errors;
  c.latencies_ms.assign(200, 12.0);
  c.predictions = requests;
  return c;
}

// A store with model "fraud" 1.0.0 (stable) and 2.0.0 (candidate).
std::unique_ptr<Store> OpenStore(const BenchDir& dir, testing::FakeClock* clock) {
  StoreOptions options;
  options.env.clock = clock;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(dir.File("bench.db"), options);
  if (!store.ok()) return nullptr;
  for (const char* v : {"1.0.0", "2.0.0"}) {
    RegisterModelVersionRequest r;
    r.model = "fraud";
    r.version = v;
    if (!(*store)->RegisterModelVersion(r).ok()) return nullptr;
  }
  return *std::move(store);
}

bool DeployTo(Store& store, const std::string& endpoint) {
  if (!store
           .RegisterEndpoint(endpoint, "staging", "fraud", "1.0.0",
                             {{"accuracy", 0.05}, {"latency", 1.5}, {"drift", 3}})
           .ok()) {
    return false;
  }
  DeployOptions o;
  o.plan_json = kPlan;
  return store.Deploy("fraud", "2.0.0", endpoint, o).ok();
}

void BM_Tick(benchmark::State& state) {
  const int rollouts = static_cast<int>(state.range(0));
  BenchDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Store> store = OpenStore(dir, &clock);
  if (store == nullptr) {
    state.SkipWithError("open");
    return;
  }
  for (int e = 0; e < rollouts; ++e) {
    if (!DeployTo(*store, "ep-" + std::to_string(e))) {
      state.SkipWithError("deploy");
      return;
    }
  }
  for (int minute = 0; minute < 10; ++minute) {
    const int64_t now = clock.NowUnixMillis();
    for (int e = 0; e < rollouts; ++e) {
      const std::string ep = "ep-" + std::to_string(e);
      for (const char* replica : {"r1", "r2"}) {
        (void)store->RecordOutcomes(ep, "1.0.0", now, Counts(50'000, 10), replica);
        (void)store->RecordOutcomes(ep, "2.0.0", now, Counts(500, 1), replica);
      }
    }
    (void)clock.Advance(absl::Minutes(1));
  }
  for (auto _ : state) {
    absl::StatusOr<int> moved = store->Tick();
    if (!moved.ok() || *moved != 0) {
      state.SkipWithError("tick");
      return;
    }
  }
  state.counters["rollouts_per_second"] = benchmark::Counter(
      static_cast<double>(rollouts) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Tick)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TripToRollback(benchmark::State& state) {
  BenchDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Store> store = OpenStore(dir, &clock);
  if (store == nullptr) {
    state.SkipWithError("open");
    return;
  }
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string ep = "trip-" + std::to_string(n++);
    if (!DeployTo(*store, ep)) {
      state.SkipWithError("deploy");
      return;
    }
    // Four bad minutes are observed and tolerated; the fifth is written.
    for (int minute = 0; minute < 5; ++minute) {
      const int64_t now = clock.NowUnixMillis();
      (void)store->RecordOutcomes(ep, "1.0.0", now, Counts(50'000, 10), "r1");
      (void)store->RecordOutcomes(ep, "2.0.0", now, Counts(1'000, 30), "r1");
      (void)clock.Advance(absl::Minutes(1));
      if (minute < 4) (void)store->Tick();
    }
    state.ResumeTiming();
    absl::StatusOr<int> moved = store->Tick();
    state.PauseTiming();
    absl::StatusOr<RoutingInfo> routing = store->GetRouting(ep);
    if (!moved.ok() || *moved < 1 || !routing.ok() ||
        routing->candidate_weight != 0) {
      state.SkipWithError("the fifth bad window did not roll back");
      return;
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_TripToRollback)
    ->Iterations(30)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace slipway

BENCHMARK_MAIN();
