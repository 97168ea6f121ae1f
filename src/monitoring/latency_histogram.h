// LatencyHistogram: a fixed-size log-linear histogram of latencies in
// milliseconds, for the p99 guardrail (SPEC §3: "p99 latency more than 50%
// above the stable version") and for anyone who wants p50/p99 of a window.
//
// Buckets. Every power of two between 2^-10 ms (0.977 µs) and 2^17 ms
// (131 s) is split into 64 equal-width sub-buckets: 27 octaves × 64 = 1,728
// regular buckets, plus one underflow bucket [0, 2^-10 ms) and one overflow
// bucket [2^17 ms, +inf). A regular bucket [lo, hi) has hi - lo <= lo / 64,
// so a quantile reported as its bucket's midpoint is within
// kQuantileRelativeError = 1/128 (0.78 %) of the exact sample quantile.
// Outside 1 µs .. 131 s the histogram does not resolve values: a quantile
// that falls in the underflow or overflow bucket is reported as the exact
// minimum or maximum seen, which may be far from the exact quantile.
//
// Cost. The counters are a std::array inside the object (about 14 KB): no
// allocation ever, not even at construction. Record() is O(1), branch-light
// and lock-free: it normalises -0.0, reinterprets the double's bits, takes
// the bucket from the exponent and the top 6 mantissa bits (one shift, one
// subtract, one clamp), then does two counter increments, one add and a
// min and a max. No log(), no division, no loop. benchmarks/README.md
// ("Monitoring") has the measured cost (a few ns) next to a plain counter
// increment. Quantile() walks the counters: O(kBucketCount), about a
// microsecond. Merge() adds the counters: O(kBucketCount), vectorised.
//
// Thread-safety: a value type with no internal synchronisation. One thread
// may Record() into a histogram at a time; concurrent readers of a
// histogram being written are a data race. The serving path keeps one
// histogram per thread (or shard) and merges them when the minute closes.
#ifndef SLIPWAY_SRC_MONITORING_LATENCY_HISTOGRAM_H_
#define SLIPWAY_SRC_MONITORING_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace slipway::internal_monitoring {

class LatencyHistogram {
 public:
  // Layout constants (they are part of the stored window format: changing
  // them needs a new format version, docs/monitoring.md).
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;  // 64 per octave
  static constexpr int kMinExponent = -10;  // 2^-10 ms = 0.9765625 µs
  static constexpr int kMaxExponent = 16;   // last octave [2^16, 2^17) ms
  static constexpr int kOctaves = kMaxExponent - kMinExponent + 1;  // 27
  // Bucket 0 is the underflow bucket, 1..kOctaves*kSubBuckets the regular
  // buckets in increasing order, and the last one the overflow bucket.
  static constexpr size_t kUnderflowBucket = 0;
  static constexpr size_t kOverflowBucket = kOctaves * kSubBuckets + 1;  // 1729
  static constexpr size_t kBucketCount = kOverflowBucket + 1;            // 1730
  // The bound on |reported - exact| / exact for a quantile whose sample lies
  // in a regular bucket (half a bucket's width over its lower bound).
  static constexpr double kQuantileRelativeError = 1.0 / (2 * kSubBuckets);
  // The smallest value of the first regular bucket and the lower bound of
  // the overflow bucket, in ms.
  static constexpr double kLowestResolvedMs = 1.0 / (1 << -kMinExponent);
  static constexpr double kOverflowMs =
      static_cast<double>(1 << (kMaxExponent + 1));

  LatencyHistogram() = default;

  // Records one latency in milliseconds. A finite value >= 0 is counted;
  // NaN, ±inf and negative values are not (they would poison the sum) and
  // only increment invalid_count(). -0.0 counts as 0.
  void Record(double ms) {
    const double v = ms + 0.0;  // -0.0 + 0.0 == +0.0
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    // Finite non-negative doubles are exactly the bit patterns below +inf's;
    // negative values have the sign bit set, NaNs are above +inf.
    if (bits >= kInfinityBits) [[unlikely]] {
      ++invalid_;
      return;
    }
    ++counts_[BucketIndexOfBits(bits)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  // Adds every count of `other` into this histogram (as if each value
  // recorded there had been recorded here).
  void Merge(const LatencyHistogram& other);

  // Returns the number of values counted (invalid ones excluded).
  uint64_t count() const { return count_; }
  // Returns the sum of the values counted, in ms.
  double sum() const { return sum_; }
  // Returns sum() / count(), or NaN when empty.
  double mean() const;
  // Returns the smallest / largest value counted, exactly; +inf / -inf when
  // empty.
  double min() const { return min_; }
  double max() const { return max_; }
  // Returns how many NaN, infinite or negative values Record() refused.
  uint64_t invalid_count() const { return invalid_; }
  bool empty() const { return count_ == 0; }

  // Returns the q-quantile (0 <= q <= 1) of the values counted, in ms: an
  // estimate of the nearest-rank quantile, i.e. the smallest sample x such
  // that at least ceil(q * count()) samples are <= x (rank 1 for q = 0).
  // Rank 1 and rank count() are the exact min() and max(); any other rank
  // in a regular bucket is that bucket's midpoint, clamped to [min, max],
  // within kQuantileRelativeError of the exact sample. q outside [0, 1] is
  // clamped to it. Returns NaN when the histogram is empty or q is NaN.
  double Quantile(double q) const;

  // Returns the count of bucket `index` (< kBucketCount).
  uint64_t bucket(size_t index) const { return counts_[index]; }

  // Returns the bucket a finite non-negative value falls in.
  static size_t BucketIndex(double ms) {
    return BucketIndexOfBits(std::bit_cast<uint64_t>(ms + 0.0));
  }
  // Returns bucket `index`'s bounds [lower, upper) in ms: 0 for the
  // underflow bucket's lower bound, +inf for the overflow bucket's upper.
  static double BucketLowerBound(size_t index);
  static double BucketUpperBound(size_t index);

  // Appends the histogram's stored form to `*out` (docs/monitoring.md,
  // "Stored windows": the invalid count, the non-empty buckets as
  // (index gap, count) varints, then sum, min and max when not empty).
  void EncodeTo(std::string* out) const;

  // Reads a stored form from the front of `*in` and advances `*in` past it.
  // Returns true and sets `*out` when the bytes are a well-formed, canonical
  // and self-consistent histogram (increasing bucket indexes, non-zero
  // counts, no overflow of the total, finite non-negative sum/min/max with
  // min and max in the first and last non-empty buckets); otherwise returns
  // false and says what is wrong in `*what`, leaving `*out` unspecified.
  static bool DecodeFrom(std::string_view* in, LatencyHistogram* out,
                         std::string* what);

  friend bool operator==(const LatencyHistogram&,
                         const LatencyHistogram&) = default;

 private:
  static constexpr uint64_t kInfinityBits = 0x7FF0000000000000;
  // (bits >> (52 - kSubBucketBits)) is the biased exponent followed by the
  // top kSubBucketBits of the mantissa; subtracting this maps 2^kMinExponent
  // to bucket 1.
  static constexpr int64_t kIndexOffset =
      (int64_t{1023 + kMinExponent} << kSubBucketBits) - 1;

  static size_t BucketIndexOfBits(uint64_t bits) {
    const int64_t raw =
        static_cast<int64_t>(bits >> (52 - kSubBucketBits)) - kIndexOffset;
    return static_cast<size_t>(
        std::clamp<int64_t>(raw, 0, static_cast<int64_t>(kOverflowBucket)));
  }

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t invalid_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_LATENCY_HISTOGRAM_H_
