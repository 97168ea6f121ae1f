#include "src/rollout/outcome_recorder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "src/monitoring/wire.h"

namespace slipway::internal_rollout {
namespace {

constexpr uint64_t kInfinityBits = 0x7FF0000000000000;
// Entry layout of the label table: [tag: high 40 bits of the id's hash]
// [variant: bit 23][minute: low 23 bits, Unix minutes mod 2^23]. 0 = empty.
constexpr uint64_t kTagMask = ~uint64_t{0xFFFFFF};
constexpr uint64_t kMinuteMask = 0x7FFFFF;
constexpr uint64_t kVariantBit = uint64_t{1} << 23;

uint64_t TagOf(uint64_t hash) {
  const uint64_t tag = hash & kTagMask;
  return tag == 0 ? uint64_t{1} << 24 : tag;  // never the empty entry
}

// The shard a thread writes: handed out round-robin on the thread's first
// call, so N <= kShards threads never share one. The counter is the only
// process-wide state here; it carries no meaning beyond spreading threads.
size_t ThreadShard() {
  static std::atomic<uint32_t> next{0};
  thread_local const size_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % OutcomeRecorder::kShards;
  return shard;
}

void AtomicMin(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v < cur &&
         !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}
void AtomicMax(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur &&
         !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

size_t RoundUpPow2(size_t n) {
  n = std::clamp<size_t>(n, 1, size_t{1} << 24);
  return std::bit_ceil(n);
}

}  // namespace

OutcomeRecorder::OutcomeRecorder(size_t label_table_size)
    : cells_(new Cell[kShards * 2]),
      label_ring_(new LabelSlot[2 * kLabelMinutes]),
      table_(new std::atomic<uint64_t>[RoundUpPow2(label_table_size)]),
      mask_(RoundUpPow2(label_table_size) - 1) {
  for (size_t i = 0; i <= mask_; ++i) {
    table_[i].store(0, std::memory_order_relaxed);
  }
}

OutcomeRecorder::Cell& OutcomeRecorder::CellFor(Variant v) {
  return cells_[ThreadShard() * 2 + static_cast<size_t>(v)];
}

void OutcomeRecorder::Record(Variant variant, double latency_ms, bool error) {
  Cell& c = CellFor(variant);
  c.requests.fetch_add(1, std::memory_order_relaxed);
  if (error) c.errors.fetch_add(1, std::memory_order_release);
  const double v = latency_ms + 0.0;  // -0.0 -> +0.0
  if (std::bit_cast<uint64_t>(v) >= kInfinityBits) [[unlikely]] {
    c.invalid.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  c.buckets[LatencyHistogram::BucketIndex(v)].fetch_add(
      1, std::memory_order_relaxed);
  // Nanoseconds, saturated at 10^9 ms per request (the overflow bucket
  // starts at 131 s, so the sum of such a window is already meaningless).
  const double ns = std::min(v, 1e9) * 1e6;
  c.sum_ns.fetch_add(static_cast<uint64_t>(std::llround(ns)),
                     std::memory_order_relaxed);
  AtomicMin(c.min_ms, v);
  AtomicMax(c.max_ms, v);
}

void OutcomeRecorder::RecordPrediction(Variant variant) {
  CellFor(variant).predictions.fetch_add(1, std::memory_order_relaxed);
}

void OutcomeRecorder::RecordPrediction(Variant variant,
                                       std::string_view request_id) {
  RecordPrediction(variant);
  const uint64_t hash = RouterKeyHash(request_id);
  const uint64_t entry =
      TagOf(hash) | (variant == Variant::kCandidate ? kVariantBit : 0) |
      (static_cast<uint64_t>(minute()) & kMinuteMask);
  const uint64_t old =
      table_[hash & mask_].exchange(entry, std::memory_order_acq_rel);
  if (old != 0) predictions_evicted_.fetch_add(1, std::memory_order_relaxed);
}

bool OutcomeRecorder::RecordLabel(std::string_view request_id, bool correct) {
  const uint64_t hash = RouterKeyHash(request_id);
  std::atomic<uint64_t>& slot = table_[hash & mask_];
  uint64_t entry = slot.load(std::memory_order_acquire);
  if (entry == 0 || (entry & kTagMask) != TagOf(hash) ||
      !slot.compare_exchange_strong(entry, 0, std::memory_order_acq_rel)) {
    labels_unmatched_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const int64_t now = minute();
  const int64_t age =
      static_cast<int64_t>((static_cast<uint64_t>(now) - entry) & kMinuteMask);
  if (age >= kLabelMaxAgeMinutes) {
    labels_unmatched_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const int64_t minute = now - age;
  const size_t v = (entry & kVariantBit) ? 1 : 0;
  LabelSlot& s = label_ring_[v * kLabelMinutes +
                             static_cast<size_t>(minute % kLabelMinutes)];
  s.labelled.fetch_add(1, std::memory_order_relaxed);
  if (correct) s.correct.fetch_add(1, std::memory_order_release);
  return true;
}

void OutcomeRecorder::ReadTotals(Variant variant, VariantTotals* out) const {
  *out = VariantTotals();
  for (size_t shard = 0; shard < kShards; ++shard) {
    const Cell& c = cells_[shard * 2 + static_cast<size_t>(variant)];
    // Errors before requests (acquire): see the header's "Ordering".
    out->errors += c.errors.load(std::memory_order_acquire);
    out->requests += c.requests.load(std::memory_order_relaxed);
    out->predictions += c.predictions.load(std::memory_order_relaxed);
    out->invalid_latencies += c.invalid.load(std::memory_order_relaxed);
    out->sum_ns += c.sum_ns.load(std::memory_order_relaxed);
    out->min_ms = std::min(out->min_ms, c.min_ms.load(std::memory_order_relaxed));
    out->max_ms = std::max(out->max_ms, c.max_ms.load(std::memory_order_relaxed));
    for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
      out->buckets[i] += c.buckets[i].load(std::memory_order_relaxed);
    }
  }
}

LabelCounts OutcomeRecorder::ReadLabels(Variant variant,
                                        int64_t unix_minute) const {
  const LabelSlot& s =
      label_ring_[static_cast<size_t>(variant) * kLabelMinutes +
                  static_cast<size_t>(unix_minute % kLabelMinutes)];
  LabelCounts out;
  out.correct = s.correct.load(std::memory_order_acquire);
  out.labelled = s.labelled.load(std::memory_order_relaxed);
  return out;
}

LabelCounts OutcomeRecorder::ReadAllLabels(Variant variant) const {
  LabelCounts out;
  for (int64_t m = 0; m < kLabelMinutes; ++m) {
    const LabelCounts c = ReadLabels(variant, m);
    out.labelled += c.labelled;
    out.correct += c.correct;
  }
  return out;
}

LatencyHistogram HistogramFromBuckets(const uint64_t* counts, uint64_t invalid,
                                      double sum_ms, double min_hint,
                                      double max_hint) {
  // Built through the histogram's stored form (docs/monitoring.md, "Stored
  // windows"): the one way to set its buckets from outside, and the
  // decoder checks the result is self-consistent.
  namespace wire = internal_monitoring::wire;
  std::string bytes;
  wire::PutVarint(invalid, &bytes);
  uint64_t non_empty = 0;
  size_t first = 0;
  size_t last = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    if (counts[i] == 0) continue;
    if (non_empty == 0) first = i;
    last = i;
    ++non_empty;
    total += counts[i];
  }
  wire::PutVarint(non_empty, &bytes);
  int64_t previous = -1;
  for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    if (counts[i] == 0) continue;
    wire::PutVarint(static_cast<uint64_t>(static_cast<int64_t>(i) - previous),
                    &bytes);
    wire::PutVarint(counts[i], &bytes);
    previous = static_cast<int64_t>(i);
  }
  if (non_empty > 0) {
    const auto in_bucket = [](double v, size_t b) {
      return std::isfinite(v) && v >= 0 && LatencyHistogram::BucketIndex(v) == b;
    };
    double min = in_bucket(min_hint, first)
                     ? min_hint + 0.0
                     : LatencyHistogram::BucketLowerBound(first);
    double max = in_bucket(max_hint, last)
                     ? max_hint + 0.0
                     : LatencyHistogram::BucketLowerBound(last);
    if (max < min || total == 1) max = min;  // then first == last
    const double sum =
        std::isfinite(sum_ms) && sum_ms > 0 ? sum_ms : 0.0;
    wire::PutDouble(sum, &bytes);
    wire::PutDouble(min, &bytes);
    wire::PutDouble(max, &bytes);
  }
  std::string_view in = bytes;
  LatencyHistogram h;
  std::string what;
  if (!LatencyHistogram::DecodeFrom(&in, &h, &what)) {
    return LatencyHistogram();  // unreachable: the bytes are built valid
  }
  return h;
}

}  // namespace slipway::internal_rollout
