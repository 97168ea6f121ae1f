// Monitoring statistics (src/monitoring): the serving hot path's
// LatencyHistogram::Record against a plain counter increment in the same
// loop, Quantile, OutcomeWindow::Merge and its stored form, and one drift
// check. Results and the command: benchmarks/README.md, "Monitoring".
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "src/monitoring/drift.h"
#include "src/monitoring/latency_histogram.h"
#include "src/monitoring/outcome_window.h"

namespace slipway::internal_monitoring {
namespace {

// 4,096 latencies (lognormal, median 20 ms), cycled by the record loops so
// that drawing random numbers is not what is measured.
const std::vector<double>& Latencies() {
  static const std::vector<double> v = [] {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> d(std::log(20.0), 1.0);
    std::vector<double> out(4096);
    for (double& x : out) x = d(rng);
    return out;
  }();
  return v;
}

// The floor: the same loop over the same values doing what the cheapest
// possible outcome counter does (one increment and one add).
void BM_CounterIncrement(benchmark::State& state) {
  const std::vector<double>& values = Latencies();
  struct {
    uint64_t count = 0;
    double sum = 0;
  } counter;
  size_t i = 0;
  for (auto _ : state) {
    const double v = values[i++ & 4095];
    ++counter.count;
    counter.sum += v;
    benchmark::DoNotOptimize(counter);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterIncrement);

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<double>& values = Latencies();
  LatencyHistogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ & 4095]);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

LatencyHistogram Filled(size_t n) {
  LatencyHistogram h;
  const std::vector<double>& values = Latencies();
  for (size_t i = 0; i < n; ++i)
    h.Record(values[i & 4095] * (1 + 1e-3 * static_cast<double>(i % 97)));
  return h;
}

// p99 of a histogram of 100,000 values (the walk stops near the top).
void BM_HistogramQuantile(benchmark::State& state) {
  const LatencyHistogram h = Filled(100'000);
  const double q = static_cast<double>(state.range(0)) / 100;
  for (auto _ : state) benchmark::DoNotOptimize(h.Quantile(q));
}
BENCHMARK(BM_HistogramQuantile)->Arg(50)->Arg(99);

void BM_HistogramMerge(benchmark::State& state) {
  const LatencyHistogram a = Filled(100'000);
  LatencyHistogram into = Filled(1000);
  for (auto _ : state) {
    into.Merge(a);
    benchmark::DoNotOptimize(into);
  }
}
BENCHMARK(BM_HistogramMerge);

OutcomeWindow Window(size_t latencies) {
  OutcomeWindow w;
  w.requests = w.predictions = latencies;
  w.errors = latencies / 100;
  w.labelled = latencies / 2;
  w.correct = latencies / 3;
  w.trials = latencies / 10;
  w.successes = latencies / 50;
  w.latency = Filled(latencies);
  return w;
}

void BM_WindowMerge(benchmark::State& state) {
  const OutcomeWindow a = Window(1000);
  OutcomeWindow into = Window(1000);
  for (auto _ : state) {
    into.Merge(a);
    benchmark::DoNotOptimize(into);
  }
}
BENCHMARK(BM_WindowMerge);

// A window of 1,000 requests (a candidate's minute at 1 % of 100k/min).
void BM_WindowEncode(benchmark::State& state) {
  const OutcomeWindow w = Window(static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeOutcomeWindow(w, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_WindowEncode)->Arg(1000)->Arg(100'000);

void BM_WindowDecode(benchmark::State& state) {
  std::string bytes;
  EncodeOutcomeWindow(Window(static_cast<size_t>(state.range(0))), &bytes);
  for (auto _ : state) {
    auto w = DecodeOutcomeWindow(bytes);
    benchmark::DoNotOptimize(w);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_WindowDecode)->Arg(1000)->Arg(100'000);

// One drift check: 5,000 reference rows (10 chunks) and a 500-row chunk.
void BM_UnivariateDrift(benchmark::State& state) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> d(0, 1);
  std::vector<double> reference(static_cast<size_t>(state.range(1)));
  std::vector<double> current(500);
  for (double& x : reference) x = d(rng);
  for (double& x : current) x = d(rng);
  DriftOptions options;
  options.method =
      state.range(0) == 0 ? DriftMethod::kKolmogorovSmirnov : DriftMethod::kPsi;
  for (auto _ : state) {
    auto r = UnivariateDrift(reference, current, options);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_UnivariateDrift)
    ->Args({0, 5000})
    ->Args({1, 5000})
    ->Args({0, 100'000})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace slipway::internal_monitoring

BENCHMARK_MAIN();
