// Data drift of one numeric feature: the population stability index (PSI),
// the two-sample Kolmogorov–Smirnov statistic, and the rule that turns
// either into a verdict, SPEC §3: "Data drift beyond 3 standard deviations
// → the rollout halts ... and raises an alert; a person decides."
//
// The rule is the one NannyML uses for univariate drift (its
// StandardDeviationThreshold, the default threshold of its univariate drift
// methods): the reference period is cut into chunks, each reference chunk's
// statistic is computed against the whole reference, and the mean ± 3
// standard deviations of those statistics are the thresholds; a current
// chunk whose statistic (against the whole reference) is above the upper
// threshold is flagged. The spread of the reference chunks is the
// yardstick of "normal" sampling noise and seasonality, so no fixed p-value
// cut is needed. As in NannyML's drift defaults (lower multiplier unset),
// only the upper side flags by default: both statistics are distances from
// the reference, and a chunk closer to the reference than its own chunks is
// not drift; DriftOptions::two_sided also flags below the lower threshold
// (which catches replayed reference data). Two choices are ours and stated
// where they apply: the reference chunks have the current chunk's size (a
// KS or PSI value depends on the sample size, so only same-size chunks are
// comparable), and the standard deviation is the population one (divide by
// the number of chunks), as NannyML's (numpy's default). Each reference
// chunk is part of the reference it is compared with, which makes its
// statistic a little smaller than an independent chunk's, so the
// false-alarm rate is above a normal 3σ rule's 0.13 %: docs/monitoring.md
// has the measured rates (7-8 % with 10 reference chunks, 1.5 % with 40).
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_MONITORING_DRIFT_H_
#define SLIPWAY_SRC_MONITORING_DRIFT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/monitoring/guardrail_math.h"

namespace slipway::internal_monitoring {

// Error reasons (ErrorDetail::reason) returned by this file.
inline constexpr char kReasonDriftSampleInvalid[] = "DRIFT_SAMPLE_INVALID";
inline constexpr char kReasonDriftOptionsInvalid[] = "DRIFT_OPTIONS_INVALID";

// ---------------------------------------------------------------------------
// Population stability index.

struct PsiOptions {
  // The reference's nearest-rank k/bins quantiles (k = 1..bins-1) are the
  // inner bin edges, bins are (edge[k-1], edge[k]] with the outer ones open,
  // so each bin holds about 1/bins of the reference. Repeated edges (ties in
  // the reference) are merged, and a top bin with no reference value is
  // merged into the one below, so every bin has reference mass; a feature
  // with few distinct values gets fewer bins. Default 10, in [2, 1000].
  int bins = 10;
  // A bin with no current value (proportion 0, where ln is undefined) gets
  // this proportion instead. The others are not renormalised. Default 1e-4,
  // in (0, 0.01]: an empty bin whose reference share is 10 % then adds
  // about 0.1 × ln(0.1 / 1e-4) = 0.69 to the PSI.
  double epsilon = 1e-4;
};

// Returns PSI = Σ (c_i - r_i) · ln(c_i / r_i) over the bins, where r_i and
// c_i are the reference's and the current sample's proportions in bin i.
// 0 for identical distributions; by common convention < 0.1 is stable,
// 0.1-0.25 a moderate shift, > 0.25 a large one (this module applies the
// reference-chunk rule instead of those constants).
//
// Errors, InvalidArgument: DRIFT_SAMPLE_INVALID when a sample is empty or
// holds a NaN (±inf are ordered values and allowed); DRIFT_OPTIONS_INVALID
// when `options` is outside the ranges above.
absl::StatusOr<double> PopulationStabilityIndex(
    std::span<const double> reference, std::span<const double> current,
    const PsiOptions& options = {});

// ---------------------------------------------------------------------------
// Kolmogorov–Smirnov.

struct KsResult {
  // D = sup_x |F_a(x) - F_b(x)| over the two empirical CDFs, in [0, 1].
  double statistic = 0;
  // The asymptotic two-sided p-value Q_KS(sqrt(n·m/(n+m)) · D) (the
  // Kolmogorov distribution's survival function; what scipy calls
  // method='asymp'). Good for n·m/(n+m) of a few dozen and up; for tiny
  // samples it is conservative-to-rough.
  double p_value = 1;
};

// Returns D and its p-value for samples `a` (n values) and `b` (m values),
// in O((n + m) log(n + m)). Ties within and across the samples are handled
// exactly.
//
// Errors, InvalidArgument DRIFT_SAMPLE_INVALID: a sample is empty or holds
// a NaN.
absl::StatusOr<KsResult> KolmogorovSmirnov(std::span<const double> a,
                                           std::span<const double> b);

// Returns Q_KS(lambda) = 2 Σ_{k>=1} (-1)^(k-1) exp(-2 k² λ²), the
// probability that the Kolmogorov distribution exceeds lambda (1 for
// lambda <= 0). Absolute error below 1e-12.
double KolmogorovSurvival(double lambda);

// ---------------------------------------------------------------------------
// The reference-chunk rule.

enum class DriftMethod : uint8_t {
  kKolmogorovSmirnov = 0,  // the statistic is KS D (NannyML's default)
  kPsi = 1,                // the statistic is the PSI (PsiOptions apply)
};

// What each reference chunk's statistic is computed against.
enum class ReferenceChunkBaseline : uint8_t {
  // The whole reference, the chunk included (NannyML's way).
  kWholeReference = 0,
  // The reference without the chunk: for KS exactly D(chunk, whole) / (1 -
  // n/N); for PSI the chunk's counts are taken out of the reference's bins.
  // Removes the self-comparison bias, so fewer false alarms.
  kRestOfReference = 1,
};

struct DriftOptions {
  DriftMethod method = DriftMethod::kKolmogorovSmirnov;
  // The thresholds are mean ± sigmas × stddev of the reference chunks'
  // statistics. Default 3 (SPEC §3). Finite, > 0.
  double sigmas = 3.0;
  // Fewer reference chunks (of the current chunk's size) than this, or a
  // current chunk of fewer rows, is kNotEnoughData. Defaults 10 and 500
  // (design 0004). min_reference_chunks >= 2 (one chunk has no spread),
  // min_current_rows >= 1.
  size_t min_reference_chunks = 10;
  size_t min_current_rows = 500;
  // Also flag a statistic below the lower threshold (a chunk more alike the
  // reference than the reference's own chunks, e.g. replayed reference
  // rows). Default false, as NannyML's univariate drift.
  bool two_sided = false;
  ReferenceChunkBaseline reference_chunk_baseline =
      ReferenceChunkBaseline::kWholeReference;
  PsiOptions psi;

  // Returns OK, or InvalidArgument DRIFT_OPTIONS_INVALID.
  absl::Status Validate() const;
};

struct DriftThresholds {
  // Mean and population standard deviation of the reference chunks'
  // statistics.
  double mean = std::numeric_limits<double>::quiet_NaN();
  double stddev = std::numeric_limits<double>::quiet_NaN();
  // mean - sigmas·stddev, raised to the statistic's floor (0: neither KS D
  // nor PSI can be negative), and mean + sigmas·stddev.
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
};

// Returns the thresholds for reference chunk statistics (NaN fields when
// `chunk_statistics` is empty; stddev 0 for one).
DriftThresholds ThresholdsFromReferenceChunks(
    std::span<const double> chunk_statistics, double sigmas);

// Returns whether `statistic` is drift: strictly above upper, or, when
// `two_sided`, also strictly below lower (a statistic equal to a threshold
// is not drift). False when the thresholds are NaN.
bool IsOutsideThresholds(double statistic, const DriftThresholds& thresholds,
                         bool two_sided = false);

struct DriftResult {
  // kFailing: drift (above the upper threshold, or below the lower one
  // when two_sided); kHealthy: not;
  // kNotEnoughData: the current chunk has fewer than min_current_rows rows
  // or the reference fewer than min_reference_chunks chunks of that size.
  Verdict verdict = Verdict::kNotEnoughData;
  // The current chunk against the whole reference (NaN when either is
  // empty).
  double statistic = std::numeric_limits<double>::quiet_NaN();
  DriftThresholds thresholds;
  // Rows per reference chunk (= current rows), and the chunks' statistics
  // in reference order (empty when not computed).
  size_t chunk_rows = 0;
  std::vector<double> reference_statistics;
};

// Applies the reference-chunk rule to one feature. `reference` is the
// reference period in time order (its chunks are consecutive runs of
// `current.size()` rows; the last reference.size() % current.size() rows
// belong to no chunk but are part of the whole reference); `current` is the
// chunk to judge. Costs O(R log R + C log C) for R reference and C current
// rows, whatever the number of chunks.
//
// Errors, InvalidArgument: DRIFT_SAMPLE_INVALID (a NaN in either sample),
// DRIFT_OPTIONS_INVALID (options.Validate()). Too few rows is not an error
// but kNotEnoughData.
absl::StatusOr<DriftResult> UnivariateDrift(std::span<const double> reference,
                                            std::span<const double> current,
                                            const DriftOptions& options = {});

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_DRIFT_H_
