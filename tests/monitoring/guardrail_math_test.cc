#include "src/monitoring/guardrail_math.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

constexpr Verdict kThin = Verdict::kNotEnoughData;
constexpr Verdict kOk = Verdict::kHealthy;
constexpr Verdict kBad = Verdict::kFailing;

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

OutcomeWindow Requests(uint64_t requests, uint64_t errors) {
  OutcomeWindow w;
  w.requests = requests;
  w.errors = errors;
  return w;
}

// Windows of the streak tests: 1,000 requests (1 % of 100k/min).
OutcomeWindow Bad() { return Requests(1000, 30); }   // 3 %
OutcomeWindow Good() { return Requests(1000, 10); }  // 1 %
OutcomeWindow Thin() { return Requests(150, 150); }  // all failed, but < 200

OutcomeWindow Labelled(uint64_t labelled, uint64_t correct) {
  OutcomeWindow w;
  w.predictions = w.labelled = labelled;
  w.correct = correct;
  return w;
}

LatencyHistogram Constant(double ms, int n) {
  LatencyHistogram h;
  for (int i = 0; i < n; ++i) h.Record(ms);
  return h;
}

TEST(VerdictTest, Names) {
  EXPECT_EQ(VerdictName(kThin), "NOT_ENOUGH_DATA");
  EXPECT_EQ(VerdictName(kOk), "HEALTHY");
  EXPECT_EQ(VerdictName(kBad), "FAILING");
}

// --- Error rate (SPEC §3: error rate > 2 %) --------------------------------

TEST(ErrorRateTest, ExactlyTwoPercentIsHealthy) {
  // The rule is "> 2 %": 4 errors of 200 is exactly 2 % and does not fail,
  // at every window size (the quotient is correctly rounded).
  for (uint64_t two_percent = 4; two_percent <= 200'000;
       two_percent += two_percent / 5 + 1) {
    const uint64_t requests = two_percent * 50;
    const ErrorRateCheck at = CheckErrorRate(Requests(requests, two_percent));
    ASSERT_EQ(at.verdict, kOk) << requests;
    ASSERT_EQ(at.error_rate, 0.02) << requests;
    ASSERT_EQ(CheckErrorRate(Requests(requests, two_percent + 1)).verdict, kBad)
        << requests;
  }
  EXPECT_EQ(CheckErrorRate(Requests(200, 4)).verdict, kOk);
  EXPECT_EQ(CheckErrorRate(Requests(200, 5)).verdict, kBad);
  EXPECT_EQ(CheckErrorRate(Requests(1000, 20)).verdict, kOk);
  EXPECT_EQ(CheckErrorRate(Requests(1000, 21)).verdict, kBad);
}

TEST(ErrorRateTest, MinimumRequests) {
  // 199 requests, all failed: not enough data (design 0004: >= 200).
  const ErrorRateCheck thin = CheckErrorRate(Requests(199, 199));
  EXPECT_EQ(thin.verdict, kThin);
  EXPECT_EQ(thin.error_rate, 1.0);  // still reported
  EXPECT_EQ(CheckErrorRate(Requests(200, 199)).verdict, kBad);
  const ErrorRateCheck none = CheckErrorRate(OutcomeWindow());
  EXPECT_EQ(none.verdict, kThin);
  EXPECT_TRUE(std::isnan(none.error_rate));
  // The minimum is a parameter.
  ErrorRateRule rule;
  rule.min_requests = 50;
  EXPECT_EQ(CheckErrorRate(Requests(50, 2), rule).verdict, kBad);
  EXPECT_EQ(CheckErrorRate(Requests(49, 49), rule).verdict, kThin);
  rule.max_error_rate = 0.05;
  EXPECT_EQ(CheckErrorRate(Requests(100, 5), rule).verdict, kOk);
  EXPECT_EQ(CheckErrorRate(Requests(100, 6), rule).verdict, kBad);
}

TEST(ErrorRateTest, RuleValidation) {
  EXPECT_TRUE(ErrorRateRule().Validate().ok());
  for (double bad :
       {-0.1, 1.0, 2.0, std::numeric_limits<double>::quiet_NaN()}) {
    ErrorRateRule rule;
    rule.max_error_rate = bad;
    const absl::Status s = rule.Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(Reason(s), kReasonGuardrailRuleInvalid);
  }
  ErrorRateRule rule;
  rule.min_requests = 0;
  EXPECT_FALSE(rule.Validate().ok());
  rule = ErrorRateRule();
  rule.consecutive_windows = 0;
  EXPECT_FALSE(rule.Validate().ok());
}

// --- Streaks (SPEC §3: "for 5 consecutive minutes") ------------------------

TEST(StreakTest, FiveBadWindowsTripAtTheFifth) {
  const std::vector<OutcomeWindow> w = {Bad(), Bad(), Bad(), Bad(), Bad()};
  const StreakResult r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kBad);
  EXPECT_EQ(r.tripped_at, 4u);
  EXPECT_EQ(r.streak, 5u);
  EXPECT_EQ(r.windows_with_data, 5u);
  // Four are not enough.
  const StreakResult four = EvaluateErrorRateStreak(std::span(w).first(4));
  EXPECT_EQ(four.verdict, kOk);
  EXPECT_EQ(four.streak, 4u);
  EXPECT_EQ(four.tripped_at, StreakResult::kNotTripped);
}

TEST(StreakTest, FourBadThenAGoodOneResets) {
  std::vector<OutcomeWindow> w = {Bad(), Bad(), Bad(), Bad(), Good()};
  StreakResult r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kOk);
  EXPECT_EQ(r.streak, 0u);
  // Four more bad ones after the good one still do not trip; a fifth does.
  for (int i = 0; i < 4; ++i) w.push_back(Bad());
  r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kOk);
  EXPECT_EQ(r.streak, 4u);
  w.push_back(Bad());
  r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kBad);
  EXPECT_EQ(r.tripped_at, 9u);
}

TEST(StreakTest, ThinWindowsNeitherCountNorBreak) {
  // Bad windows separated by thin ones: 5 bad windows with no good window
  // between them trip the rule, at the fifth bad one (9 minutes here).
  const std::vector<OutcomeWindow> w = {Bad(),  Thin(), Bad(),  Thin(), Bad(),
                                        Thin(), Bad(),  Thin(), Bad(),  Good()};
  const StreakResult r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kBad);
  EXPECT_EQ(r.tripped_at, 8u);
  EXPECT_EQ(r.streak, 5u);
  EXPECT_EQ(r.windows_with_data, 5u);
  // Thin windows do not count as failing either: 4 bad + 5 thin is no trip.
  const std::vector<OutcomeWindow> v = {Bad(), Thin(), Bad(), Thin(), Thin(),
                                        Bad(), Thin(), Bad(), Thin()};
  const StreakResult s = EvaluateErrorRateStreak(v);
  EXPECT_EQ(s.verdict, kOk);
  EXPECT_EQ(s.streak, 4u);
  EXPECT_EQ(s.windows_with_data, 4u);
}

TEST(StreakTest, ExactlyTwoPercentWindowsNeverTrip) {
  const std::vector<OutcomeWindow> w(10, Requests(1000, 20));
  const StreakResult r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kOk);
  EXPECT_EQ(r.streak, 0u);
}

TEST(StreakTest, OnlyThinWindowsIsNotEnoughData) {
  const std::vector<OutcomeWindow> w(30, Thin());
  const StreakResult r = EvaluateErrorRateStreak(w);
  EXPECT_EQ(r.verdict, kThin);
  EXPECT_EQ(r.windows_with_data, 0u);
  EXPECT_EQ(EvaluateErrorRateStreak({}).verdict, kThin);
}

TEST(StreakTest, TableOfVerdictSequences) {
  struct Case {
    std::vector<Verdict> verdicts;
    uint32_t required;
    Verdict want;
    size_t tripped_at;
    uint32_t streak;
  };
  const size_t kNo = StreakResult::kNotTripped;
  const Case cases[] = {
      {{}, 5, kThin, kNo, 0},
      {{kBad, kBad, kBad, kBad, kBad}, 5, kBad, 4, 5},
      {{kBad, kBad, kBad, kBad, kOk}, 5, kOk, kNo, 0},
      {{kBad, kBad, kBad, kBad, kThin}, 5, kOk, kNo, 4},
      {{kThin, kBad, kThin, kBad, kThin, kBad, kThin, kBad, kThin, kBad},
       5,
       kBad,
       9,
       5},
      {{kBad, kBad, kOk, kBad, kBad, kBad, kBad, kBad}, 5, kBad, 7, 5},
      {{kBad, kBad, kBad, kBad, kBad, kBad},
       5,
       kBad,
       4,
       5},  // stops at the trip
      {{kOk, kBad}, 1, kBad, 1, 1},
      {{kBad}, 0, kBad, 0, 1},  // 0 is treated as 1
      {{kThin, kThin}, 1, kThin, kNo, 0},
      {{kOk, kThin, kThin}, 2, kOk, kNo, 0},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case& c = cases[i];
    const StreakResult r = EvaluateStreak(c.verdicts, c.required);
    EXPECT_EQ(r.verdict, c.want) << "case " << i;
    EXPECT_EQ(r.tripped_at, c.tripped_at) << "case " << i;
    EXPECT_EQ(r.streak, c.streak) << "case " << i;
  }
}

TEST(StreakTest, ConsecutiveWindowsIsAParameter) {
  ErrorRateRule rule;
  rule.consecutive_windows = 2;
  const std::vector<OutcomeWindow> w = {Bad(), Good(), Bad(), Thin(), Bad()};
  const StreakResult r = EvaluateErrorRateStreak(w, rule);
  EXPECT_EQ(r.verdict, kBad);
  EXPECT_EQ(r.tripped_at, 4u);
}

// --- Latency (SPEC §3: p99 more than 50 % above stable) ---------------------

TEST(LatencyTest, FiftyPercentAboveIsHealthyMoreIsFailing) {
  const LatencyHistogram stable = Constant(10.0, 100);
  LatencyCheck c = CheckLatency(Constant(15.0, 100), stable);
  EXPECT_EQ(c.verdict, kOk);  // exactly +50 %: not "more than"
  EXPECT_EQ(c.candidate_ms, 15.0);
  EXPECT_EQ(c.stable_ms, 10.0);
  EXPECT_EQ(c.ratio, 1.5);
  c = CheckLatency(Constant(15.01, 100), stable);
  EXPECT_EQ(c.verdict, kBad);
  EXPECT_GT(c.ratio, 1.5);
  // Faster candidates are healthy.
  EXPECT_EQ(CheckLatency(Constant(1.0, 100), stable).verdict, kOk);
}

TEST(LatencyTest, ComparesTheP99NotTheMean) {
  // Stable: 99 % at 10 ms. Candidate: same median, but 5 % of requests at
  // 40 ms, so its p99 is 40 ms.
  LatencyHistogram stable = Constant(10.0, 1000);
  LatencyHistogram candidate = Constant(10.0, 950);
  for (int i = 0; i < 50; ++i) candidate.Record(40.0);
  const LatencyCheck c = CheckLatency(candidate, stable);
  EXPECT_EQ(c.verdict, kBad);
  EXPECT_NEAR(c.candidate_ms, 40.0,
              40.0 * LatencyHistogram::kQuantileRelativeError);
  EXPECT_NEAR(c.ratio, 4.0, 0.05);
}

TEST(LatencyTest, MinimumSamplesPerVariant) {
  const LatencyHistogram stable = Constant(10.0, 100);
  EXPECT_EQ(CheckLatency(Constant(100.0, 99), stable).verdict, kThin);
  EXPECT_EQ(CheckLatency(Constant(100.0, 100), Constant(10.0, 99)).verdict,
            kThin);
  EXPECT_EQ(CheckLatency(Constant(100.0, 100), stable).verdict, kBad);
  EXPECT_EQ(CheckLatency(LatencyHistogram(), LatencyHistogram()).verdict,
            kThin);
  LatencyRule rule;
  rule.min_samples = 10;
  EXPECT_EQ(CheckLatency(Constant(100.0, 10), Constant(10.0, 10), rule).verdict,
            kBad);
  rule.max_ratio = 20;
  EXPECT_EQ(CheckLatency(Constant(100.0, 10), Constant(10.0, 10), rule).verdict,
            kOk);
}

TEST(LatencyTest, ZeroStableLatency) {
  const LatencyCheck both_zero =
      CheckLatency(Constant(0, 100), Constant(0, 100));
  EXPECT_EQ(both_zero.verdict, kOk);
  EXPECT_EQ(both_zero.ratio, 1.0);
  const LatencyCheck only_stable =
      CheckLatency(Constant(1, 100), Constant(0, 100));
  EXPECT_EQ(only_stable.verdict, kBad);
  EXPECT_EQ(only_stable.ratio, std::numeric_limits<double>::infinity());
}

TEST(LatencyTest, RuleValidation) {
  EXPECT_TRUE(LatencyRule().Validate().ok());
  LatencyRule rule;
  rule.quantile = 0;
  EXPECT_EQ(Reason(rule.Validate()), kReasonGuardrailRuleInvalid);
  rule = LatencyRule();
  rule.max_ratio = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(rule.Validate().ok());
  rule = LatencyRule();
  rule.min_samples = 0;
  EXPECT_FALSE(rule.Validate().ok());
}

// --- Accuracy (SPEC §3: more than 5 % below stable) -------------------------

TEST(AccuracyTest, RelativeDropAtTheBoundary) {
  const OutcomeWindow stable = Labelled(1000, 900);  // 0.90
  // 5 % of 0.90 is 0.045: 0.855 is exactly 5 % below (healthy), 0.854 more.
  AccuracyCheck c = CheckAccuracy(Labelled(1000, 855), stable);
  EXPECT_EQ(c.verdict, kOk);
  EXPECT_NEAR(c.drop, 0.05, 1e-12);
  c = CheckAccuracy(Labelled(1000, 854), stable);
  EXPECT_EQ(c.verdict, kBad);
  EXPECT_NEAR(c.drop, 0.046 / 0.9, 1e-12);
  // 0.85 is 5 percentage points but 5.6 % relative: fails by default.
  EXPECT_EQ(CheckAccuracy(Labelled(1000, 850), stable).verdict, kBad);
  // Better candidates have a negative drop.
  c = CheckAccuracy(Labelled(1000, 950), stable);
  EXPECT_EQ(c.verdict, kOk);
  EXPECT_LT(c.drop, 0);
  EXPECT_EQ(c.candidate_accuracy, 0.95);
  EXPECT_EQ(c.stable_accuracy, 0.9);
}

TEST(AccuracyTest, PercentagePointsAtTheBoundary) {
  AccuracyRule rule;
  rule.kind = AccuracyDropKind::kPercentagePoints;
  const OutcomeWindow stable = Labelled(1000, 900);
  // 0.90 - 0.85 computes to 0.05000000000000004 in binary; still exactly
  // 5 points, so healthy.
  AccuracyCheck c = CheckAccuracy(Labelled(1000, 850), stable, rule);
  EXPECT_EQ(c.verdict, kOk);
  EXPECT_NEAR(c.drop, 0.05, 1e-12);
  EXPECT_EQ(CheckAccuracy(Labelled(1000, 849), stable, rule).verdict, kBad);
  // Different label counts per variant.
  EXPECT_EQ(
      CheckAccuracy(Labelled(2000, 1700), Labelled(500, 450), rule).verdict,
      kOk);
  EXPECT_EQ(
      CheckAccuracy(Labelled(2000, 1699), Labelled(500, 450), rule).verdict,
      kBad);
  rule.max_drop = 0.10;
  EXPECT_EQ(CheckAccuracy(Labelled(1000, 800), stable, rule).verdict, kOk);
  EXPECT_EQ(CheckAccuracy(Labelled(1000, 799), stable, rule).verdict, kBad);
}

TEST(AccuracyTest, MinimumLabelledPerVariant) {
  EXPECT_EQ(CheckAccuracy(Labelled(499, 0), Labelled(1000, 900)).verdict,
            kThin);
  EXPECT_EQ(CheckAccuracy(Labelled(1000, 0), Labelled(499, 499)).verdict,
            kThin);
  EXPECT_EQ(CheckAccuracy(Labelled(500, 0), Labelled(500, 500)).verdict, kBad);
  const AccuracyCheck none = CheckAccuracy(OutcomeWindow(), OutcomeWindow());
  EXPECT_EQ(none.verdict, kThin);
  EXPECT_TRUE(std::isnan(none.drop));
  // Predictions without labels are not labelled predictions.
  OutcomeWindow unlabelled;
  unlabelled.predictions = 100'000;
  EXPECT_EQ(CheckAccuracy(unlabelled, Labelled(1000, 900)).verdict, kThin);
  AccuracyRule rule;
  rule.min_labelled = 10;
  EXPECT_EQ(CheckAccuracy(Labelled(10, 0), Labelled(10, 10), rule).verdict,
            kBad);
}

TEST(AccuracyTest, ZeroStableAccuracyCannotBeWorsened) {
  const AccuracyCheck c = CheckAccuracy(Labelled(1000, 0), Labelled(1000, 0));
  EXPECT_EQ(c.verdict, kOk);
  EXPECT_EQ(c.drop, 0);
}

TEST(AccuracyTest, RuleValidation) {
  EXPECT_TRUE(AccuracyRule().Validate().ok());
  AccuracyRule rule;
  rule.max_drop = 1.5;
  EXPECT_EQ(Reason(rule.Validate()), kReasonGuardrailRuleInvalid);
  rule = AccuracyRule();
  rule.min_labelled = 0;
  EXPECT_FALSE(rule.Validate().ok());
  rule = AccuracyRule();
  rule.kind = static_cast<AccuracyDropKind>(9);
  EXPECT_FALSE(rule.Validate().ok());
}

}  // namespace
}  // namespace slipway::internal_monitoring
