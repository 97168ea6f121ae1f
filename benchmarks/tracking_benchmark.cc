// Metric logging through the public C++ API (slipway/store.h), persistence
// included: every iteration logs a batch of points to a file store and ends
// with Flush(), so the figure is points made durable per second.
//
//   BM_LogMetric/0         LogMetric("loss", v, step): timestamp from the clock
//   BM_LogMetric/1         LogMetric("loss", v, step, ts): timestamp given
//   BM_LogMetricColumns    LogMetricColumns of 10M points at once
//   BM_LogMetric4Keys      four keys round-robin (a typical training loop)
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "slipway/store.h"

namespace slipway {
namespace {

class BenchStore {
 public:
  BenchStore() {
    char tmpl[] = "/tmp/slipway_tracking_bench.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/bench.db");
    run_ = *store_->StartRun({.experiment = "bench"});
  }
  ~BenchStore() {
    run_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Run& run() { return *run_; }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<Run> run_;
};

constexpr int64_t kBatch = 1 << 20;

void BM_LogMetric(benchmark::State& state) {
  BenchStore s;
  const bool explicit_ts = state.range(0) == 1;
  int64_t step = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; ++i, ++step) {
      const double v = 1.0 / static_cast<double>(step + 1);
      absl::Status st = explicit_ts ? s.run().LogMetric("loss", v, step, step)
                                    : s.run().LogMetric("loss", v, step);
      if (!st.ok()) state.SkipWithError(std::string(st.message()).c_str());
    }
    if (!s.run().Flush().ok()) state.SkipWithError("flush failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LogMetric)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LogMetric4Keys(benchmark::State& state) {
  BenchStore s;
  const char* keys[] = {"loss", "acc", "lr", "grad_norm"};
  int64_t step = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; ++i, ++step) {
      (void)s.run().LogMetric(keys[i & 3], 0.5, step >> 2);
    }
    if (!s.run().Flush().ok()) state.SkipWithError("flush failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LogMetric4Keys)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LogMetricColumns(benchmark::State& state) {
  BenchStore s;
  const size_t n = 10'000'000;
  std::vector<int64_t> steps(n), ts(n);
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    steps[i] = static_cast<int64_t>(i);
    ts[i] = 1'700'000'000'000 + static_cast<int64_t>(i / 1000);
    values[i] = std::exp(-static_cast<double>(i) / 1e6);
  }
  for (auto _ : state) {
    if (!s.run().LogMetricColumns("loss", steps, ts, values).ok() ||
        !s.run().Flush().ok()) {
      state.SkipWithError("log failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_LogMetricColumns)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace slipway

BENCHMARK_MAIN();
