// OutcomeRecorder: the Router's hot-path counters. Record, RecordPrediction
// and RecordLabel add to per-variant atomic counters and latency buckets
// (LatencyHistogram's bucket layout, so windows are built without loss);
// the Router's background thread reads cumulative totals and turns the
// differences into one-minute OutcomeWindows (router.cc).
//
// Sharding. Counters are split into kShards cache-line-aligned shards; a
// thread always writes the shard it was given on first use (round-robin),
// so threads rarely share a line and every update is one uncontended
// atomic add. LatencyHistogram itself is not thread-safe, hence buckets of
// our own with the same layout (about 14 KB per shard and variant).
//
// Ordering. A request's error is added after the request, and a label's
// `correct` after its `labelled`, with release; readers load them in the
// opposite order with acquire, so a reader never sees more errors than
// requests (or more correct than labelled) in one read.
//
// Labels. RecordPrediction(variant, request_id) writes one 8-byte entry
// (a 40-bit tag of the id's hash, the variant, the minute) into a
// direct-mapped table of label_table_size slots. RecordLabel finds the
// entry by the same hash, clears it (a prediction is labelled once) and
// adds to the label counters of the prediction's minute, in a ring of
// kLabelMinutes minutes. On overflow the newest prediction wins its slot;
// the evicted one's label will not be found (both are counted). Labels
// older than kLabelMaxAgeMinutes are refused (their ring slot is reused).
//
// Thread-safety: every method is thread-safe and lock-free; the hot-path
// methods allocate nothing.
#ifndef SLIPWAY_SRC_ROLLOUT_OUTCOME_RECORDER_H_
#define SLIPWAY_SRC_ROLLOUT_OUTCOME_RECORDER_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

#include "slipway/router.h"
#include "src/monitoring/latency_histogram.h"

namespace slipway::internal_rollout {

using internal_monitoring::LatencyHistogram;

// Cumulative totals of one variant since the recorder was made.
struct VariantTotals {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t predictions = 0;
  uint64_t invalid_latencies = 0;
  uint64_t sum_ns = 0;  // latency sum in nanoseconds
  double min_ms = std::numeric_limits<double>::infinity();
  double max_ms = -std::numeric_limits<double>::infinity();
  std::array<uint64_t, LatencyHistogram::kBucketCount> buckets{};
};

struct LabelCounts {
  uint64_t labelled = 0;
  uint64_t correct = 0;
};

class OutcomeRecorder {
 public:
  static constexpr size_t kShards = 16;
  static constexpr int64_t kLabelMinutes = 64;
  static constexpr int64_t kLabelMaxAgeMinutes = 60;

  explicit OutcomeRecorder(size_t label_table_size);
  OutcomeRecorder(const OutcomeRecorder&) = delete;
  OutcomeRecorder& operator=(const OutcomeRecorder&) = delete;

  void Record(Variant variant, double latency_ms, bool error);
  void RecordPrediction(Variant variant);
  void RecordPrediction(Variant variant, std::string_view request_id);
  bool RecordLabel(std::string_view request_id, bool correct);

  // The minute (Unix minutes) predictions are attributed to; set by the
  // owner's background thread, so the hot path never reads a clock.
  void SetMinute(int64_t unix_minute) {
    minute_.store(unix_minute, std::memory_order_release);
  }
  int64_t minute() const { return minute_.load(std::memory_order_acquire); }

  // Sums the shards of `variant` into `*out`.
  void ReadTotals(Variant variant, VariantTotals* out) const;
  // Cumulative label counts of the ring slot of `unix_minute`.
  LabelCounts ReadLabels(Variant variant, int64_t unix_minute) const;
  // All label counts ever added for `variant`.
  LabelCounts ReadAllLabels(Variant variant) const;

  uint64_t labels_unmatched() const {
    return labels_unmatched_.load(std::memory_order_relaxed);
  }
  uint64_t predictions_evicted() const {
    return predictions_evicted_.load(std::memory_order_relaxed);
  }
  size_t label_table_size() const { return mask_ + 1; }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> predictions{0};
    std::atomic<uint64_t> invalid{0};
    std::atomic<uint64_t> sum_ns{0};
    std::atomic<double> min_ms{std::numeric_limits<double>::infinity()};
    std::atomic<double> max_ms{-std::numeric_limits<double>::infinity()};
    std::array<std::atomic<uint64_t>, LatencyHistogram::kBucketCount> buckets{};
  };
  struct alignas(64) LabelSlot {
    std::atomic<uint64_t> labelled{0};
    std::atomic<uint64_t> correct{0};
  };

  Cell& CellFor(Variant v);

  std::unique_ptr<Cell[]> cells_;  // kShards × 2 variants
  std::unique_ptr<LabelSlot[]> label_ring_;  // 2 variants × kLabelMinutes
  std::unique_ptr<std::atomic<uint64_t>[]> table_;
  size_t mask_ = 0;
  std::atomic<int64_t> minute_{0};
  std::atomic<uint64_t> labels_unmatched_{0};
  std::atomic<uint64_t> predictions_evicted_{0};
};

// A LatencyHistogram holding `counts` (kBucketCount of them), with `sum_ms`
// and `invalid`. Its min and max are `min_hint` / `max_hint` when they lie in
// the first / last non-empty bucket, else those buckets' lower bounds (the
// exact extremes of a minute are not kept; a bucket bound is within the
// histogram's 1/64 resolution of them).
LatencyHistogram HistogramFromBuckets(const uint64_t* counts, uint64_t invalid,
                                      double sum_ms, double min_hint,
                                      double max_hint);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_OUTCOME_RECORDER_H_
