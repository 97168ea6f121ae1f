// SPEC §3: "A feature pipeline change is validated on a 1,000-record sample
// first: no nulls, non-zero variance, values inside the expected range."
//
// CheckFeatureSample counts what a sample violates; a sample passes when it
// has at least kMinFeatureSampleRows rows, no null (NaN: a missing value in
// a float64 column), no infinite value, a variance above zero (judged
// exactly: not every value is the same), and every value inside the
// expected [min, max] (inclusive; an absent bound is not checked).
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_MONITORING_SAMPLE_CHECK_H_
#define SLIPWAY_SRC_MONITORING_SAMPLE_CHECK_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace slipway::internal_monitoring {

inline constexpr int64_t kMinFeatureSampleRows = 1000;

struct SampleCheck {
  int64_t rows = 0;
  int64_t nulls = 0;
  int64_t below_min = 0;
  int64_t above_max = 0;
  // Over the non-null values (NaN when there are none; variance is the
  // population variance, NaN when a value is infinite, +inf when it
  // overflows, and it may underflow to 0 for values that differ only
  // below ~1e-154: the zero-variance rule does not read it).
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  double variance = std::numeric_limits<double>::quiet_NaN();
  // One sentence per violated rule, e.g. "3 nulls (the sample must have
  // none)"; empty when the sample passes.
  std::vector<std::string> problems;
  bool passed() const { return problems.empty(); }
};

SampleCheck CheckFeatureSample(std::span<const double> values,
                               std::optional<double> min_value,
                               std::optional<double> max_value,
                               int64_t min_rows = kMinFeatureSampleRows);

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_SAMPLE_CHECK_H_
