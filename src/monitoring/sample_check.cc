#include "src/monitoring/sample_check.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace slipway::internal_monitoring {

SampleCheck CheckFeatureSample(std::span<const double> values,
                               std::optional<double> min_value,
                               std::optional<double> max_value,
                               int64_t min_rows) {
  SampleCheck c;
  c.rows = static_cast<int64_t>(values.size());
  // Welford's running mean and variance of the values minus the first
  // finite one: E[x²] - E[x]² cancels to zero or below for a large offset,
  // and plain Welford loses the spread when the running mean itself cannot
  // be represented (1e15 + 0.125 steps: the variance came out twice too
  // big); the differences from a value of the sample are exact or nearly.
  double shift = 0;
  for (double v : values) {
    if (std::isfinite(v)) {
      shift = v;
      break;
    }
  }
  double mean = 0;
  double m2 = 0;
  int64_t n = 0;
  int64_t finite = 0;
  int64_t infinite = 0;
  for (double v : values) {
    if (std::isnan(v)) {
      ++c.nulls;
      continue;
    }
    if (min_value.has_value() && v < *min_value) ++c.below_min;
    if (max_value.has_value() && v > *max_value) ++c.above_max;
    c.min = n == 0 ? v : std::min(c.min, v);
    c.max = n == 0 ? v : std::max(c.max, v);
    ++n;
    if (std::isinf(v)) {
      ++infinite;
      continue;
    }
    ++finite;
    const double x = v - shift;
    const double delta = x - mean;
    mean += delta / static_cast<double>(finite);
    m2 += delta * (x - mean);
  }
  if (n > 0 && infinite == 0) {
    c.variance = m2 / static_cast<double>(n);
    // Values near ±1.8e308 overflow their differences: the spread is above
    // any double.
    if (!std::isfinite(c.variance) && c.min < c.max) {
      c.variance = std::numeric_limits<double>::infinity();
    }
  }
  if (c.rows < min_rows) {
    c.problems.push_back(absl::StrFormat(
        "%d rows (a sample of at least %d records is required)", c.rows,
        min_rows));
  }
  if (c.nulls > 0) {
    c.problems.push_back(absl::StrFormat(
        "%d null values (the sample must have none)", c.nulls));
  }
  if (infinite > 0) {
    c.problems.push_back(absl::StrFormat(
        "%d infinite values (a feature value must be finite)", infinite));
  }
  // An all-equal sample (or an empty one) has no variance; an infinite
  // value makes it undefined and is named above. Judged exactly by the
  // extremes, not by the computed variance, which underflows to 0 for
  // values that differ only below ~1e-154 (1e-200 and 2e-200).
  if (infinite == 0 && (n == 0 || c.min == c.max)) {
    c.problems.push_back(
        n == 0 ? std::string("no values (variance must be above zero)")
               : absl::StrFormat("zero variance: every value is %g", c.min));
  }
  if (c.below_min > 0) {
    c.problems.push_back(absl::StrFormat(
        "%d values below the expected minimum %g (smallest %g)", c.below_min,
        *min_value, c.min));
  }
  if (c.above_max > 0) {
    c.problems.push_back(absl::StrFormat(
        "%d values above the expected maximum %g (largest %g)", c.above_max,
        *max_value, c.max));
  }
  return c;
}

}  // namespace slipway::internal_monitoring
