#include "src/monitoring/significance.h"

#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

absl::Status ProportionInvalid(std::string value, std::string_view what) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("cannot test proportions: ", std::string(what)),
      ErrorDetail{
          kReasonProportionInvalid,
          "a proportion is successes out of trials with 0 <= successes <= "
          "trials and trials >= 1; alpha is in (0, 1)",
          std::move(value),
          "pass each variant's successes and trials (e.g. 120 of 1000) and "
          "an alpha such as 0.05"});
}

absl::Status RuleInvalid(std::string value, std::string_view what,
                         std::string_view example) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("invalid A/B test rule: ", std::string(what)),
      ErrorDetail{kReasonAbTestRuleInvalid,
                  "SPEC §3 A/B: min_predictions >= 1, max_duration > 0, alpha "
                  "in (0, 1), "
                  "elapsed >= 0",
                  std::move(value),
                  absl::StrCat("use e.g. ", std::string(example))});
}

}  // namespace

std::string_view ComparisonName(Comparison comparison) {
  switch (comparison) {
    case Comparison::kNotSignificant:
      return "NOT_SIGNIFICANT";
    case Comparison::kCandidateBetter:
      return "CANDIDATE_BETTER";
    case Comparison::kCandidateWorse:
      return "CANDIDATE_WORSE";
  }
  return "UNKNOWN";
}

std::string_view AbDecisionName(AbDecision decision) {
  switch (decision) {
    case AbDecision::kKeepObserving:
      return "KEEP_OBSERVING";
    case AbDecision::kCandidateBetter:
      return "CANDIDATE_BETTER";
    case AbDecision::kCandidateWorse:
      return "CANDIDATE_WORSE";
    case AbDecision::kNotSignificant:
      return "NOT_SIGNIFICANT";
  }
  return "UNKNOWN";
}

absl::StatusOr<ZTestResult> TwoProportionZTest(uint64_t candidate_successes,
                                               uint64_t candidate_trials,
                                               uint64_t stable_successes,
                                               uint64_t stable_trials,
                                               double alpha) {
  if (!(alpha > 0 && alpha < 1)) {
    return ProportionInvalid(absl::StrCat("alpha=", alpha),
                             "alpha is outside (0, 1)");
  }
  if (candidate_trials == 0 || stable_trials == 0) {
    return ProportionInvalid(absl::StrCat("candidate_trials=", candidate_trials,
                                          " stable_trials=", stable_trials),
                             "a variant has no trials");
  }
  if (candidate_successes > candidate_trials ||
      stable_successes > stable_trials) {
    return ProportionInvalid(
        absl::StrCat("candidate=", candidate_successes, "/", candidate_trials,
                     " stable=", stable_successes, "/", stable_trials),
        "more successes than trials");
  }
  const double xc = static_cast<double>(candidate_successes);
  const double nc = static_cast<double>(candidate_trials);
  const double xs = static_cast<double>(stable_successes);
  const double ns = static_cast<double>(stable_trials);
  ZTestResult r;
  r.candidate_rate = xc / nc;
  r.stable_rate = xs / ns;
  r.pooled_rate = (xc + xs) / (nc + ns);
  const double variance =
      r.pooled_rate * (1 - r.pooled_rate) * (1 / nc + 1 / ns);
  if (!(variance > 0)) return r;  // all successes or all failures: z = 0, p = 1
  r.z = (r.candidate_rate - r.stable_rate) / std::sqrt(variance);
  r.p_value = std::erfc(std::abs(r.z) / std::numbers::sqrt2);
  if (r.p_value < alpha) {
    r.comparison =
        r.z > 0 ? Comparison::kCandidateBetter : Comparison::kCandidateWorse;
  }
  return r;
}

absl::Status AbTestRule::Validate() const {
  if (min_predictions < 1) {
    return RuleInvalid("min_predictions=0", "min_predictions must be >= 1",
                       "10000 (SPEC §3)");
  }
  if (max_duration <= absl::ZeroDuration()) {
    return RuleInvalid(
        absl::StrCat("max_duration=", absl::FormatDuration(max_duration)),
        "max_duration must be > 0", "168h (7 days, SPEC §3)");
  }
  if (!(alpha > 0 && alpha < 1)) {
    return RuleInvalid(absl::StrCat("alpha=", alpha), "alpha must be in (0, 1)",
                       "0.05");
  }
  return absl::OkStatus();
}

absl::StatusOr<AbTestResult> DecideAbTest(const OutcomeWindow& candidate,
                                          const OutcomeWindow& stable,
                                          absl::Duration elapsed,
                                          const AbTestRule& rule) {
  if (absl::Status s = rule.Validate(); !s.ok()) return s;
  if (elapsed < absl::ZeroDuration()) {
    return RuleInvalid(absl::StrCat("elapsed=", absl::FormatDuration(elapsed)),
                       "elapsed time in the stage is negative",
                       "elapsed = now - stage start");
  }
  if (candidate.successes > candidate.trials ||
      stable.successes > stable.trials) {
    return ProportionInvalid(
        absl::StrCat("candidate=", candidate.successes, "/", candidate.trials,
                     " stable=", stable.successes, "/", stable.trials),
        "more successes than trials");
  }
  AbTestResult r;
  r.predictions = candidate.predictions + stable.predictions;
  if (r.predictions < candidate.predictions)
    r.predictions = UINT64_MAX;  // saturate
  // SPEC §3: "min 10,000 predictions OR 7 days, whichever first".
  r.reached_predictions = r.predictions >= rule.min_predictions;
  r.reached_duration = elapsed >= rule.max_duration;
  if (!r.reached_predictions && !r.reached_duration) return r;
  if (candidate.trials == 0 || stable.trials == 0) {
    r.decision = AbDecision::kNotSignificant;
    return r;
  }
  absl::StatusOr<ZTestResult> test =
      TwoProportionZTest(candidate.successes, candidate.trials,
                         stable.successes, stable.trials, rule.alpha);
  if (!test.ok()) return test.status();
  r.test = *test;
  switch (test->comparison) {
    case Comparison::kCandidateBetter:
      r.decision = AbDecision::kCandidateBetter;
      break;
    case Comparison::kCandidateWorse:
      r.decision = AbDecision::kCandidateWorse;
      break;
    case Comparison::kNotSignificant:
      r.decision = AbDecision::kNotSignificant;
      break;
  }
  return r;
}

}  // namespace slipway::internal_monitoring
