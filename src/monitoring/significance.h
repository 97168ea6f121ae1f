// Significance of an A/B test on a proportion (the primary metric's
// successes out of trials): the pooled two-proportion z-test, and the
// SPEC §3 A/B stage rule, "until statistically significant: min 10,000
// predictions OR 7 days, whichever first".
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_MONITORING_SIGNIFICANCE_H_
#define SLIPWAY_SRC_MONITORING_SIGNIFICANCE_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/monitoring/outcome_window.h"

namespace slipway::internal_monitoring {

// Error reasons (ErrorDetail::reason) returned by this file.
inline constexpr char kReasonProportionInvalid[] = "PROPORTION_INVALID";
inline constexpr char kReasonAbTestRuleInvalid[] = "AB_TEST_RULE_INVALID";

// The outcome of one test. Higher proportions are better: define
// "success" so that it is (a conversion, a correct prediction; for an
// error rate, count the requests that did not fail).
enum class Comparison : uint8_t {
  kNotSignificant = 0,   // p-value >= alpha, or no variance to test
  kCandidateBetter = 1,  // p-value < alpha and the candidate's rate is higher
  kCandidateWorse = 2,   // p-value < alpha and the candidate's rate is lower
};

// "NOT_SIGNIFICANT", "CANDIDATE_BETTER" or "CANDIDATE_WORSE".
std::string_view ComparisonName(Comparison comparison);

struct ZTestResult {
  // (p_c - p_s) / sqrt(p(1 - p)(1/n_c + 1/n_s)), p the pooled rate
  // (x_c + x_s) / (n_c + n_s). Positive when the candidate's rate is
  // higher. 0 when p is 0 or 1 (both variants all-fail or all-succeed:
  // no variance, no evidence of a difference).
  double z = 0;
  // Two-sided: P(|Z| >= |z|) = erfc(|z| / sqrt 2) under the normal
  // approximation (good when every count of successes and failures is
  // about 5 or more).
  double p_value = 1;
  Comparison comparison = Comparison::kNotSignificant;
  double candidate_rate = std::numeric_limits<double>::quiet_NaN();
  double stable_rate = std::numeric_limits<double>::quiet_NaN();
  double pooled_rate = std::numeric_limits<double>::quiet_NaN();
};

// Runs the pooled two-sided two-proportion z-test of the candidate
// (x_c successes of n_c trials) against the stable version (x_s of n_s).
// Significant when p_value < alpha (strictly).
//
// Errors, InvalidArgument PROPORTION_INVALID: a variant with 0 trials, more
// successes than trials, or alpha outside (0, 1).
absl::StatusOr<ZTestResult> TwoProportionZTest(uint64_t candidate_successes,
                                               uint64_t candidate_trials,
                                               uint64_t stable_successes,
                                               uint64_t stable_trials,
                                               double alpha = 0.05);

// SPEC §3, A/B stage: "until statistically significant: min 10,000
// predictions OR 7 days, whichever first".
struct AbTestRule {
  // The test decides once the two variants together have made at least
  // this many predictions (OutcomeWindow::predictions of the candidate plus
  // the stable version's, over the stage). Default 10,000. >= 1.
  uint64_t min_predictions = 10'000;
  // ... or once this much time has passed since the stage began, whichever
  // comes first. Default 7 days. > 0.
  absl::Duration max_duration = absl::Hours(7 * 24);
  // Significance level of the z-test. Default 0.05. In (0, 1).
  double alpha = 0.05;

  // Returns OK, or InvalidArgument AB_TEST_RULE_INVALID.
  absl::Status Validate() const;
};

enum class AbDecision : uint8_t {
  // Neither 10,000 predictions nor 7 days yet: no decision.
  kKeepObserving = 0,
  // The decision point is reached; the z-test (on successes / trials) says:
  kCandidateBetter = 1,
  kCandidateWorse = 2,  // SPEC §3 "performance degradation"
  kNotSignificant = 3,  // no significant difference (or no trials to test)
};

// "KEEP_OBSERVING", "CANDIDATE_BETTER", "CANDIDATE_WORSE" or
// "NOT_SIGNIFICANT".
std::string_view AbDecisionName(AbDecision decision);

struct AbTestResult {
  AbDecision decision = AbDecision::kKeepObserving;
  // candidate.predictions + stable.predictions.
  uint64_t predictions = 0;
  // Which condition made the decision point (both may hold).
  bool reached_predictions = false;
  bool reached_duration = false;
  // The z-test, when the decision point is reached and both variants have
  // trials.
  std::optional<ZTestResult> test;
};

// Applies the rule to the stage's totals so far (each variant's windows
// since the stage began, merged) after `elapsed` time in the stage. Before
// the decision point the answer is kKeepObserving whatever the data says:
// looking at a z-test early and stopping when it first dips below alpha
// inflates false positives. From the decision point on, every call tests
// the totals it is given; the caller records the first decision and acts
// on it (the state machine moves on), rather than re-deciding each tick.
// At the decision point a variant without trials gives kNotSignificant.
//
// Errors, InvalidArgument: AB_TEST_RULE_INVALID (rule.Validate(), or a
// negative `elapsed`), PROPORTION_INVALID (a window with successes >
// trials).
absl::StatusOr<AbTestResult> DecideAbTest(const OutcomeWindow& candidate,
                                          const OutcomeWindow& stable,
                                          absl::Duration elapsed,
                                          const AbTestRule& rule = {});

}  // namespace slipway::internal_monitoring

#endif  // SLIPWAY_SRC_MONITORING_SIGNIFICANCE_H_
