// The arithmetic behind the rollout guardrails of SPEC §3 ("Automated
// rules"): the error rate of a window, candidate p99 latency against the
// stable version's, the accuracy drop, and the "N consecutive windows"
// streak. Each check takes an explicit minimum sample count and answers
// with a three-way Verdict, because at 1 % of traffic a candidate's minute
// is often too thin to judge (design 0004, "Guardrail minimum samples").
//
// Decisions (what to do on kFailing: roll back, halt) belong to the
// rollout state machine; this file only measures. Rules are plain values
// with the SPEC defaults; Validate() says whether one is usable, and the
// checks assume it is (an invalid rule gives unspecified verdicts, never
// undefined behaviour).
//
// Thread-safety: pure functions on values.
#ifndef SLIPWAY_SRC_MONITORING_GUARDRAIL_MATH_H_
#define SLIPWAY_SRC_MONITORING_GUARDRAIL_MATH_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "src/monitoring/latency_histogram.h"
#include "src/monitoring/outcome_window.h"

namespace slipway::internal_monitoring {

// The answer of one guardrail check.
enum class Verdict : uint8_t {
  // Fewer samples than the rule's minimum: the window says nothing. It is
  // neither failing nor healthy, and it does not break a streak.
  kNotEnoughData = 0,
  // Enough samples, and the rule holds.
  kHealthy = 1,
  // Enough samples, and the rule is broken.
  kFailing = 2,
};

// "NOT_ENOUGH_DATA", "HEALTHY" or "FAILING".
std::string_view VerdictName(Verdict verdict);

// Error reason returned by the rules' Validate().
inline constexpr char kReasonGuardrailRuleInvalid[] = "GUARDRAIL_RULE_INVALID";

// ---------------------------------------------------------------------------
// Error rate. SPEC §3: "Error rate > 2% for 5 consecutive minutes →
// automatic rollback to the stable version."

struct ErrorRateRule {
  // A window fails when errors / requests > max_error_rate, strictly:
  // exactly 2 % is healthy. Default 0.02 (SPEC §3). In [0, 1).
  double max_error_rate = 0.02;
  // A window with fewer requests is kNotEnoughData. Default 200 (design
  // 0004: 2 % of 200 is 4 errors, the least that is not noise). >= 1.
  uint64_t min_requests = 200;
  // Failing windows in a row that trip the rule (EvaluateErrorRateStreak).
  // Default 5 (SPEC §3: "5 consecutive minutes"). >= 1.
  uint32_t consecutive_windows = 5;

  // Returns OK, or InvalidArgument (GUARDRAIL_RULE_INVALID) naming the
  // field out of range.
  absl::Status Validate() const;
};

struct ErrorRateCheck {
  Verdict verdict = Verdict::kNotEnoughData;
  uint64_t requests = 0;
  uint64_t errors = 0;
  // errors / requests; NaN when requests == 0.
  double error_rate = std::numeric_limits<double>::quiet_NaN();
};

// Checks one window. The comparison is errors / requests > max_error_rate
// in double precision: the quotient is correctly rounded, so a rate that
// is exactly the threshold (4 of 200, 20 of 1,000) is never failing.
ErrorRateCheck CheckErrorRate(const OutcomeWindow& window,
                              const ErrorRateRule& rule = {});

// ---------------------------------------------------------------------------
// Latency. SPEC §3: "p99 latency more than 50% above the stable version →
// automatic rollback."

struct LatencyRule {
  // The quantile compared. Default 0.99. In (0, 1].
  double quantile = 0.99;
  // Fails when candidate > max_ratio × stable (strictly). Default 1.5
  // ("more than 50 % above"). Finite, > 0.
  double max_ratio = 1.5;
  // Each variant needs at least this many latency samples, or the check is
  // kNotEnoughData. Default 100 (design 0004: a p99 of fewer than 100
  // samples is the maximum). >= 1.
  uint64_t min_samples = 100;

  absl::Status Validate() const;
};

struct LatencyCheck {
  Verdict verdict = Verdict::kNotEnoughData;
  uint64_t candidate_samples = 0;
  uint64_t stable_samples = 0;
  // The quantiles in ms (NaN for an empty histogram).
  double candidate_ms = std::numeric_limits<double>::quiet_NaN();
  double stable_ms = std::numeric_limits<double>::quiet_NaN();
  // candidate_ms / stable_ms; +inf when only stable_ms is 0, 1 when both
  // are 0, NaN when either is NaN.
  double ratio = std::numeric_limits<double>::quiet_NaN();
};

// Compares the rule's quantile of two histograms (the windows being
// compared, merged by the caller over whatever period the stage uses). Each
// quantile carries the histogram's error of up to 0.78 %, so a true ratio
// within about 1.6 % of max_ratio may land on either side.
LatencyCheck CheckLatency(const LatencyHistogram& candidate,
                          const LatencyHistogram& stable,
                          const LatencyRule& rule = {});

// ---------------------------------------------------------------------------
// Accuracy. SPEC §3: "Accuracy more than 5% below the stable version →
// automatic rollback (relative drop by default; the policy may say
// percentage points)."

enum class AccuracyDropKind : uint8_t {
  // (stable - candidate) / stable: 0.05 means 5 % of the stable accuracy
  // (0.90 → below 0.855 fails).
  kRelative = 0,
  // stable - candidate: 0.05 means 5 percentage points (0.90 → below 0.85).
  kPercentagePoints = 1,
};

struct AccuracyRule {
  // Fails when the drop > max_drop (strictly, see kAccuracyDropTolerance).
  // Default 0.05. In [0, 1].
  double max_drop = 0.05;
  AccuracyDropKind kind = AccuracyDropKind::kRelative;
  // Each variant needs at least this many labelled predictions, or the
  // check is kNotEnoughData. Default 500 (design 0004). >= 1.
  uint64_t min_labelled = 500;

  absl::Status Validate() const;
};

// Accuracies are quotients of counts and the threshold a decimal fraction,
// neither exact in binary: 0.90 - 0.85 computes to 0.05000000000000004. A
// drop counts as failing only when it exceeds max_drop by more than this, so
// a drop of exactly the threshold is healthy in either kind.
inline constexpr double kAccuracyDropTolerance = 1e-9;

struct AccuracyCheck {
  Verdict verdict = Verdict::kNotEnoughData;
  uint64_t candidate_labelled = 0;
  uint64_t stable_labelled = 0;
  // correct / labelled; NaN when labelled == 0.
  double candidate_accuracy = std::numeric_limits<double>::quiet_NaN();
  double stable_accuracy = std::numeric_limits<double>::quiet_NaN();
  // The drop in the rule's kind (negative when the candidate is better). A
  // relative drop against a stable accuracy of 0 is reported as 0 (the
  // candidate cannot be worse). NaN when either accuracy is NaN.
  double drop = std::numeric_limits<double>::quiet_NaN();
};

// Compares the accuracy (correct / labelled) of two windows (merged by the
// caller over the period compared).
AccuracyCheck CheckAccuracy(const OutcomeWindow& candidate,
                            const OutcomeWindow& stable,
                            const AccuracyRule& rule = {});

// ---------------------------------------------------------------------------
// Streaks: "for 5 consecutive minutes".

struct StreakResult {
  // kFailing when `required` failing windows occurred with no healthy
  // window between them; otherwise kHealthy when at least one window had
  // enough data; otherwise kNotEnoughData.
  Verdict verdict = Verdict::kNotEnoughData;
  // Failing windows counted in the streak: at the trip when tripped,
  // otherwise at the end of the span (0 right after a healthy window).
  uint32_t streak = 0;
  // Index of the window that completed the streak, or kNotTripped.
  static constexpr size_t kNotTripped = static_cast<size_t>(-1);
  size_t tripped_at = kNotTripped;
  // Windows in the span with a verdict other than kNotEnoughData, up to and
  // including the trip (or all of them).
  size_t windows_with_data = 0;
};

// Evaluates one verdict per window, oldest first (one-minute windows in
// minute order; a minute with no window at all is a kNotEnoughData entry).
// Walking the span: kFailing adds one to the streak; kHealthy resets it to
// 0; kNotEnoughData leaves it as it is — a thin window neither counts as
// failing nor as healthy and does not break the streak (design 0004), so
// F F thin F F F trips at the sixth window, after 5 failing windows. The
// walk stops at the first window that brings the streak to `required`.
// `required` 0 is treated as 1.
StreakResult EvaluateStreak(std::span<const Verdict> verdicts,
                            uint32_t required);

// CheckErrorRate on each window (oldest first), then EvaluateStreak with
// rule.consecutive_windows.
StreakResult EvaluateErrorRateStreak(std::span<const OutcomeWindow> windows,
                                     const ErrorRateRule& rule = {});

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_GUARDRAIL_MATH_H_
