// Metric chunk codec (src/codec): encode and decode throughput, and bytes per
// point, on the series a training loop logs. Every series is logged at every
// step with millisecond timestamps 1-3 ms apart; they differ in the values.
// Results and the command: benchmarks/README.md, "Metric chunk codec".
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "src/codec/chunk.h"
#include "src/codec/crc32c.h"

namespace slipway::internal_codec {
namespace {

enum Series { kNoisyLoss, kSmooth, kConstant, kAccuracyCounts, kRandomDoubles };

const char* SeriesName(int series) {
  switch (series) {
    case kNoisyLoss: return "noisy_loss";
    case kSmooth: return "smooth";
    case kConstant: return "constant";
    case kAccuracyCounts: return "accuracy_counts";
    default: return "random_doubles";
  }
}

// `n` points of `series` starting at step `first`, deterministic.
PointColumns MakeSeries(int series, size_t first, size_t n) {
  std::mt19937_64 rng(first * 31 + static_cast<size_t>(series));
  std::normal_distribution<double> noise(0, 0.01);
  std::normal_distribution<double> count_noise(0, 20);
  std::uniform_int_distribution<int64_t> gap(1, 3);
  std::uniform_real_distribution<double> uniform(0, 1);
  PointColumns p;
  int64_t t = 1'700'000'000'000 + static_cast<int64_t>(first) * 2;
  for (size_t k = 0; k < n; ++k) {
    const double i = static_cast<double>(first + k);
    double v = 0;
    switch (series) {
      // loss = exp(-i/1e5) + N(0, 0.01)
      case kNoisyLoss: v = std::exp(-i / 1e5) + noise(rng); break;
      // A cosine learning-rate schedule over 1M steps.
      case kSmooth: v = 1e-3 * 0.5 * (1 + std::cos(std::numbers::pi * i / 1e6)); break;
      case kConstant: v = 0.001; break;
      // Correct answers out of 10,000, rising, with noise: integer-valued.
      case kAccuracyCounts:
        v = std::round(10000 * (1 - 0.5 * std::exp(-i / 2e4)) + count_noise(rng));
        break;
      default: v = uniform(rng); break;
    }
    p.steps.push_back(static_cast<int64_t>(first + k));
    p.timestamps_ms.push_back(t += gap(rng));
    p.values.push_back(v);
  }
  return p;
}

constexpr size_t kChunk = kMaxPointsPerChunk;

void BM_EncodeChunk(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const PointColumns p = MakeSeries(series, 0, kChunk);
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto summary = EncodeChunk(p.steps, p.timestamps_ms, p.values, &out);
    benchmark::DoNotOptimize(summary);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(SeriesName(series));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kChunk));
  state.counters["bytes_per_point"] =
      static_cast<double>(out.size()) / static_cast<double>(kChunk);
}
BENCHMARK(BM_EncodeChunk)->DenseRange(kNoisyLoss, kRandomDoubles);

// range(0): the series; range(1): the chunk's first step.
void BM_DecodeChunk(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const PointColumns p =
      MakeSeries(series, static_cast<size_t>(state.range(1)), kChunk);
  std::string bytes;
  if (!EncodeChunk(p.steps, p.timestamps_ms, p.values, &bytes).ok()) {
    state.SkipWithError("encode failed");
    return;
  }
  PointColumns out;
  for (auto _ : state) {
    out.clear();
    if (!DecodeChunk(bytes, &out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.values.data());
  }
  state.SetLabel(SeriesName(series));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kChunk));
  state.counters["bytes_per_point"] =
      static_cast<double>(bytes.size()) / static_cast<double>(kChunk);
}
BENCHMARK(BM_DecodeChunk)
    ->ArgsProduct({benchmark::CreateDenseRange(kNoisyLoss, kRandomDoubles, 1), {0}})
    // Late in a noisy loss curve the values hover around 0 and change sign.
    ->Args({kNoisyLoss, 900'000});

// The design target: 1M points of a noisy loss curve (245 chunks) decoded
// in <= 10 ms. Reported time is per million points. range(0) = 0: every
// point is kept (one 24 MB PointColumns, as a full history read does);
// 1: streaming, each chunk decoded into the same reused PointColumns (as
// downsampling or aggregation would), so the output stays in cache.
void BM_DecodeMillionPoints(benchmark::State& state) {
  constexpr size_t kPoints = 1'000'000;
  std::vector<std::string> chunks;
  size_t total_bytes = 0;
  for (size_t first = 0; first < kPoints; first += kChunk) {
    const PointColumns p =
        MakeSeries(kNoisyLoss, first, std::min(kChunk, kPoints - first));
    std::string bytes;
    if (!EncodeChunk(p.steps, p.timestamps_ms, p.values, &bytes).ok()) {
      state.SkipWithError("encode failed");
      return;
    }
    total_bytes += bytes.size();
    chunks.push_back(std::move(bytes));
  }
  PointColumns out;
  out.steps.reserve(kPoints);
  out.timestamps_ms.reserve(kPoints);
  out.values.reserve(kPoints);
  const bool streaming = state.range(0) == 1;
  for (auto _ : state) {
    out.clear();
    for (const std::string& c : chunks) {
      if (streaming) out.clear();
      if (!DecodeChunk(c, &out).ok()) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(out.values.data());
    }
  }
  state.SetLabel(streaming ? "streaming" : "all points kept");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kPoints));
  state.counters["bytes_per_point"] =
      static_cast<double>(total_bytes) / static_cast<double>(kPoints);
}
BENCHMARK(BM_DecodeMillionPoints)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Crc32c(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(32 << 10);

}  // namespace
}  // namespace slipway::internal_codec

BENCHMARK_MAIN();
