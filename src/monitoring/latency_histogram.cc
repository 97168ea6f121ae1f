#include "src/monitoring/latency_histogram.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "src/monitoring/wire.h"

namespace slipway::internal_monitoring {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A stored double must be finite and non-negative with a clear sign bit
// (Record() never keeps -0.0, NaN or inf).
bool IsStoredValue(double d) {
  return std::bit_cast<uint64_t>(d) < 0x7FF0000000000000;
}

}  // namespace

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  invalid_ += other.invalid_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? kNaN : sum_ / static_cast<double>(count_);
}

double LatencyHistogram::BucketLowerBound(size_t index) {
  if (index == kUnderflowBucket) return 0;
  if (index >= kOverflowBucket) return kOverflowMs;
  const size_t k = index - 1;
  const int exponent = kMinExponent + static_cast<int>(k / kSubBuckets);
  const double sub = static_cast<double>(k % kSubBuckets);
  return std::ldexp(1.0 + sub / kSubBuckets, exponent);  // exact
}

double LatencyHistogram::BucketUpperBound(size_t index) {
  if (index >= kOverflowBucket) return kInf;
  return BucketLowerBound(index + 1);
}

double LatencyHistogram::Quantile(double q) const {
  if (count_ == 0 || std::isnan(q)) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: ceil(q * n), at least 1. Computed in double and clamped
  // before converting, so no count can overflow the conversion.
  const double n = static_cast<double>(count_);
  const double r = std::ceil(q * n);
  uint64_t rank = 1;
  if (r >= n) {
    rank = count_;
  } else if (r > 1) {
    rank = static_cast<uint64_t>(r);
  }
  if (rank == 1) return min_;
  if (rank == count_) return max_;
  uint64_t seen = 0;
  size_t index = 0;
  for (; index < kBucketCount; ++index) {
    seen += counts_[index];
    if (seen >= rank) break;
  }
  // Unresolved buckets: the exact extreme is the best answer we have.
  if (index == kUnderflowBucket) return min_;
  if (index >= kOverflowBucket) return max_;
  const double mid = 0.5 * (BucketLowerBound(index) + BucketUpperBound(index));
  return std::clamp(mid, min_, max_);
}

void LatencyHistogram::EncodeTo(std::string* out) const {
  wire::PutVarint(invalid_, out);
  uint64_t non_empty = 0;
  for (const uint64_t c : counts_) non_empty += c != 0;
  wire::PutVarint(non_empty, out);
  // Each index is written as its distance from the previous one (from -1
  // for the first), so every gap is at least 1.
  int64_t previous = -1;
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0) continue;
    wire::PutVarint(static_cast<uint64_t>(static_cast<int64_t>(i) - previous),
                    out);
    wire::PutVarint(counts_[i], out);
    previous = static_cast<int64_t>(i);
  }
  if (non_empty > 0) {
    wire::PutDouble(sum_, out);
    wire::PutDouble(min_, out);
    wire::PutDouble(max_, out);
  }
}

bool LatencyHistogram::DecodeFrom(std::string_view* in, LatencyHistogram* out,
                                  std::string* what) {
  *out = LatencyHistogram();
  uint64_t non_empty = 0;
  if (!wire::GetVarint(in, &out->invalid_) ||
      !wire::GetVarint(in, &non_empty)) {
    *what = "latency histogram header is not two canonical varints";
    return false;
  }
  if (non_empty > kBucketCount) {
    *what = absl::StrCat("latency histogram claims ", non_empty,
                         " non-empty buckets; it has ", kBucketCount);
    return false;
  }
  int64_t previous = -1;
  size_t first = 0;
  for (uint64_t b = 0; b < non_empty; ++b) {
    uint64_t gap = 0;
    uint64_t count = 0;
    if (!wire::GetVarint(in, &gap) || !wire::GetVarint(in, &count)) {
      *what = absl::StrCat("latency bucket entry ", b,
                           " is truncated or not canonical");
      return false;
    }
    if (gap == 0 || gap > kBucketCount ||
        previous + static_cast<int64_t>(gap) >=
            static_cast<int64_t>(kBucketCount)) {
      *what = absl::StrCat("latency bucket entry ", b, " has index gap ", gap,
                           " after index ", previous,
                           " (indexes increase, below ", kBucketCount, ")");
      return false;
    }
    if (count == 0) {
      *what = absl::StrCat("latency bucket entry ", b, " has count 0");
      return false;
    }
    previous += static_cast<int64_t>(gap);
    if (b == 0) first = static_cast<size_t>(previous);
    if (out->count_ + count < out->count_) {
      *what = "latency bucket counts overflow 64 bits";
      return false;
    }
    out->counts_[static_cast<size_t>(previous)] = count;
    out->count_ += count;
  }
  if (non_empty == 0) return true;
  if (!wire::GetDouble(in, &out->sum_) || !wire::GetDouble(in, &out->min_) ||
      !wire::GetDouble(in, &out->max_)) {
    *what = "latency sum, min and max are truncated";
    return false;
  }
  if (!IsStoredValue(out->sum_) || !IsStoredValue(out->min_) ||
      !IsStoredValue(out->max_)) {
    *what = "latency sum, min or max is negative, -0, infinite or NaN";
    return false;
  }
  const size_t last = static_cast<size_t>(previous);
  if (out->min_ > out->max_ || BucketIndex(out->min_) != first ||
      BucketIndex(out->max_) != last) {
    *what =
        absl::StrCat("latency min ", out->min_, " and max ", out->max_,
                     " do not lie in the first and last non-empty buckets (",
                     first, ", ", last, ")");
    return false;
  }
  if (out->count_ == 1 && out->min_ != out->max_) {
    *what = "a latency histogram of one value has min != max";
    return false;
  }
  return true;
}

}  // namespace slipway::internal_monitoring
