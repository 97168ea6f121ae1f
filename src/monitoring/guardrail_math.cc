#include "src/monitoring/guardrail_math.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

absl::Status RuleInvalid(std::string_view rule, std::string_view field,
                         std::string value, std::string_view allowed,
                         std::string_view example) {
  const std::string field_text(field);
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("invalid ", std::string(rule), " guardrail: ", field_text,
                   " = ", value, " is outside ", std::string(allowed)),
      ErrorDetail{
          kReasonGuardrailRuleInvalid,
          absl::StrCat(std::string(rule), " guardrail ", field_text,
                       " must be ", std::string(allowed)),
          std::move(value),
          absl::StrCat("set ", field_text, " within ", std::string(allowed),
                       ", e.g. ", std::string(example))});
}

std::string Num(double d) { return absl::StrCat(d); }

// One step of the streak walk over window `index`. Returns true when this
// window completes the streak (the walk stops there).
bool AdvanceStreak(Verdict v, size_t index, uint32_t required,
                   StreakResult* r) {
  if (required == 0) required = 1;
  switch (v) {
    case Verdict::kNotEnoughData:
      // Design 0004: a thin window neither trips nor counts as healthy, and
      // breaks no streak.
      return false;
    case Verdict::kHealthy:
      r->streak = 0;
      break;
    case Verdict::kFailing:
      ++r->streak;
      break;
  }
  ++r->windows_with_data;
  if (r->streak >= required) {
    r->verdict = Verdict::kFailing;
    r->tripped_at = index;
    return true;
  }
  r->verdict = Verdict::kHealthy;
  return false;
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kNotEnoughData:
      return "NOT_ENOUGH_DATA";
    case Verdict::kHealthy:
      return "HEALTHY";
    case Verdict::kFailing:
      return "FAILING";
  }
  return "UNKNOWN";
}

absl::Status ErrorRateRule::Validate() const {
  if (!(max_error_rate >= 0 && max_error_rate < 1)) {
    return RuleInvalid("error rate", "max_error_rate", Num(max_error_rate),
                       "[0, 1)", "0.02 (2 %, SPEC §3)");
  }
  if (min_requests < 1) {
    return RuleInvalid("error rate", "min_requests", "0", ">= 1", "200");
  }
  if (consecutive_windows < 1) {
    return RuleInvalid("error rate", "consecutive_windows", "0", ">= 1", "5");
  }
  return absl::OkStatus();
}

absl::Status LatencyRule::Validate() const {
  if (!(quantile > 0 && quantile <= 1)) {
    return RuleInvalid("latency", "quantile", Num(quantile), "(0, 1]", "0.99");
  }
  if (!(max_ratio > 0 && std::isfinite(max_ratio))) {
    return RuleInvalid("latency", "max_ratio", Num(max_ratio),
                       "finite values > 0", "1.5 (50 % above stable, SPEC §3)");
  }
  if (min_samples < 1) {
    return RuleInvalid("latency", "min_samples", "0", ">= 1", "100");
  }
  return absl::OkStatus();
}

absl::Status AccuracyRule::Validate() const {
  if (!(max_drop >= 0 && max_drop <= 1)) {
    return RuleInvalid("accuracy", "max_drop", Num(max_drop), "[0, 1]",
                       "0.05 (5 %, SPEC §3)");
  }
  if (kind != AccuracyDropKind::kRelative &&
      kind != AccuracyDropKind::kPercentagePoints) {
    return RuleInvalid("accuracy", "kind", absl::StrCat(static_cast<int>(kind)),
                       "{relative, percentage points}", "relative");
  }
  if (min_labelled < 1) {
    return RuleInvalid("accuracy", "min_labelled", "0", ">= 1", "500");
  }
  return absl::OkStatus();
}

ErrorRateCheck CheckErrorRate(const OutcomeWindow& window,
                              const ErrorRateRule& rule) {
  ErrorRateCheck c;
  c.requests = window.requests;
  c.errors = window.errors;
  if (window.requests == 0) return c;
  c.error_rate =
      static_cast<double>(window.errors) / static_cast<double>(window.requests);
  if (window.requests < rule.min_requests) return c;
  // SPEC §3: "error rate > 2%" — strictly greater.
  c.verdict = c.error_rate > rule.max_error_rate ? Verdict::kFailing
                                                 : Verdict::kHealthy;
  return c;
}

LatencyCheck CheckLatency(const LatencyHistogram& candidate,
                          const LatencyHistogram& stable,
                          const LatencyRule& rule) {
  LatencyCheck c;
  c.candidate_samples = candidate.count();
  c.stable_samples = stable.count();
  c.candidate_ms = candidate.Quantile(rule.quantile);
  c.stable_ms = stable.Quantile(rule.quantile);
  if (std::isnan(c.candidate_ms) || std::isnan(c.stable_ms)) {
    c.ratio = std::numeric_limits<double>::quiet_NaN();
  } else if (c.stable_ms == 0) {
    c.ratio = c.candidate_ms == 0 ? 1 : std::numeric_limits<double>::infinity();
  } else {
    c.ratio = c.candidate_ms / c.stable_ms;
  }
  if (c.candidate_samples < rule.min_samples ||
      c.stable_samples < rule.min_samples || c.candidate_samples == 0 ||
      c.stable_samples == 0) {
    return c;
  }
  // SPEC §3: "more than 50% above the stable version" — strictly. Compared
  // as a product so that a stable p99 of 0 needs no division.
  c.verdict = c.candidate_ms > rule.max_ratio * c.stable_ms ? Verdict::kFailing
                                                            : Verdict::kHealthy;
  return c;
}

AccuracyCheck CheckAccuracy(const OutcomeWindow& candidate,
                            const OutcomeWindow& stable,
                            const AccuracyRule& rule) {
  AccuracyCheck c;
  c.candidate_labelled = candidate.labelled;
  c.stable_labelled = stable.labelled;
  if (candidate.labelled > 0) {
    c.candidate_accuracy = static_cast<double>(candidate.correct) /
                           static_cast<double>(candidate.labelled);
  }
  if (stable.labelled > 0) {
    c.stable_accuracy = static_cast<double>(stable.correct) /
                        static_cast<double>(stable.labelled);
  }
  if (std::isnan(c.candidate_accuracy) || std::isnan(c.stable_accuracy))
    return c;
  const double points = c.stable_accuracy - c.candidate_accuracy;
  if (rule.kind == AccuracyDropKind::kPercentagePoints) {
    c.drop = points;
  } else {
    c.drop = c.stable_accuracy == 0 ? 0 : points / c.stable_accuracy;
  }
  if (c.candidate_labelled < rule.min_labelled ||
      c.stable_labelled < rule.min_labelled) {
    return c;
  }
  // SPEC §3: "more than 5% below" — strictly, with a tolerance for the
  // binary representation of decimal fractions (kAccuracyDropTolerance).
  c.verdict = c.drop > rule.max_drop + kAccuracyDropTolerance
                  ? Verdict::kFailing
                  : Verdict::kHealthy;
  return c;
}

StreakResult EvaluateStreak(std::span<const Verdict> verdicts,
                            uint32_t required) {
  StreakResult r;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (AdvanceStreak(verdicts[i], i, required, &r)) break;
  }
  return r;
}

StreakResult EvaluateErrorRateStreak(std::span<const OutcomeWindow> windows,
                                     const ErrorRateRule& rule) {
  StreakResult r;
  for (size_t i = 0; i < windows.size(); ++i) {
    if (AdvanceStreak(CheckErrorRate(windows[i], rule).verdict, i,
                      rule.consecutive_windows, &r)) {
      break;
    }
  }
  return r;
}

}  // namespace slipway::internal_monitoring
