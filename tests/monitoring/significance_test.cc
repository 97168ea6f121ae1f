#include "src/monitoring/significance.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "slipway/status.h"

namespace slipway::internal_monitoring {
namespace {

std::string Reason(const absl::Status& status) {
  const auto detail = GetErrorDetail(status);
  return detail ? detail->reason : "(no detail)";
}

ZTestResult RunZTest(uint64_t xc, uint64_t nc, uint64_t xs, uint64_t ns,
                     double alpha = 0.05) {
  const absl::StatusOr<ZTestResult> r =
      TwoProportionZTest(xc, nc, xs, ns, alpha);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ZTestResult();
}

OutcomeWindow Primary(uint64_t predictions, uint64_t successes,
                      uint64_t trials) {
  OutcomeWindow w;
  w.predictions = predictions;
  w.successes = successes;
  w.trials = trials;
  return w;
}

TEST(TwoProportionZTestTest, HandComputedNotSignificant) {
  // 120/1000 vs 100/1000: pooled p = 220/2000 = 0.11,
  // SE = sqrt(0.11 × 0.89 × (1/1000 + 1/1000)) = 0.0139929,
  // z = 0.02 / 0.0139929 = 1.429301, p = erfc(1.429301 / √2) = 0.152918.
  const ZTestResult r = RunZTest(120, 1000, 100, 1000);
  EXPECT_NEAR(r.z, 1.4293008498232314, 1e-12);
  EXPECT_NEAR(r.p_value, 0.1529177818639462, 1e-12);
  EXPECT_EQ(r.comparison, Comparison::kNotSignificant);
  EXPECT_DOUBLE_EQ(r.candidate_rate, 0.12);
  EXPECT_DOUBLE_EQ(r.stable_rate, 0.10);
  EXPECT_DOUBLE_EQ(r.pooled_rate, 0.11);
}

TEST(TwoProportionZTestTest, HandComputedSignificant) {
  // 150/1000 vs 100/1000: p = 0.125, SE = sqrt(0.125 × 0.875 × 0.002) =
  // 0.0147902, z = 0.05 / 0.0147902 = 3.380617, p = 0.000723.
  ZTestResult r = RunZTest(150, 1000, 100, 1000);
  EXPECT_NEAR(r.z, 3.3806170189140654, 1e-12);
  EXPECT_NEAR(r.p_value, 0.0007232327164301955, 1e-15);
  EXPECT_EQ(r.comparison, Comparison::kCandidateBetter);
  // Swapped: the candidate is worse, z negative, same p.
  r = RunZTest(100, 1000, 150, 1000);
  EXPECT_NEAR(r.z, -3.3806170189140654, 1e-12);
  EXPECT_NEAR(r.p_value, 0.0007232327164301955, 1e-15);
  EXPECT_EQ(r.comparison, Comparison::kCandidateWorse);
  // Unequal sizes: 45/50 vs 30/50 -> z = 3.4641016 (= 2√3), p = 0.000532.
  r = RunZTest(45, 50, 30, 50);
  EXPECT_NEAR(r.z, 2 * std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(r.p_value, 0.0005320055051392491, 1e-15);
  // 530/5000 vs 500/5000: z = 0.98698, p = 0.32365.
  r = RunZTest(530, 5000, 500, 5000);
  EXPECT_NEAR(r.z, 0.9869756106041945, 1e-12);
  EXPECT_NEAR(r.p_value, 0.3236545952123593, 1e-12);
  EXPECT_EQ(r.comparison, Comparison::kNotSignificant);
}

TEST(TwoProportionZTestTest, SignificanceIsStrictlyBelowAlpha) {
  const ZTestResult base = RunZTest(150, 1000, 100, 1000);
  EXPECT_EQ(RunZTest(150, 1000, 100, 1000, base.p_value).comparison,
            Comparison::kNotSignificant);
  EXPECT_EQ(RunZTest(150, 1000, 100, 1000, std::nextafter(base.p_value, 1))
                .comparison,
            Comparison::kCandidateBetter);
  // alpha = 0.001 makes it not significant, 0.01 significant.
  EXPECT_EQ(RunZTest(150, 1000, 100, 1000, 0.0005).comparison,
            Comparison::kNotSignificant);
  EXPECT_EQ(RunZTest(150, 1000, 100, 1000, 0.001).comparison,
            Comparison::kCandidateBetter);
}

TEST(TwoProportionZTestTest, NoVarianceIsNotSignificant) {
  for (const auto& [xc, xs] : {std::pair{0, 0}, std::pair{100, 100}}) {
    const ZTestResult r = RunZTest(xc, 100, xs, 100);
    EXPECT_EQ(r.z, 0);
    EXPECT_EQ(r.p_value, 1);
    EXPECT_EQ(r.comparison, Comparison::kNotSignificant);
  }
  // Equal rates: z = 0, p = 1.
  const ZTestResult equal = RunZTest(50, 100, 500, 1000);
  EXPECT_EQ(equal.z, 0);
  EXPECT_EQ(equal.p_value, 1);
}

TEST(TwoProportionZTestTest, InvalidInput) {
  for (const absl::StatusOr<ZTestResult>& r :
       {TwoProportionZTest(1, 0, 1, 10), TwoProportionZTest(1, 10, 0, 0),
        TwoProportionZTest(11, 10, 1, 10), TwoProportionZTest(1, 10, 11, 10),
        TwoProportionZTest(1, 10, 1, 10, 0),
        TwoProportionZTest(1, 10, 1, 10, 1),
        TwoProportionZTest(1, 10, 1, 10,
                           std::numeric_limits<double>::quiet_NaN())}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Reason(r.status()), kReasonProportionInvalid);
  }
}

TEST(TwoProportionZTestTest, Names) {
  EXPECT_EQ(ComparisonName(Comparison::kCandidateBetter), "CANDIDATE_BETTER");
  EXPECT_EQ(ComparisonName(Comparison::kCandidateWorse), "CANDIDATE_WORSE");
  EXPECT_EQ(ComparisonName(Comparison::kNotSignificant), "NOT_SIGNIFICANT");
  EXPECT_EQ(AbDecisionName(AbDecision::kKeepObserving), "KEEP_OBSERVING");
}

// --- SPEC §3 A/B: min 10,000 predictions OR 7 days, whichever first ----------

TEST(AbTestRuleTest, KeepsObservingBeforeEitherCondition) {
  // 9,999 predictions in all, 7 days minus a second: no decision, however
  // clear the difference looks.
  const absl::StatusOr<AbTestResult> r =
      DecideAbTest(Primary(5000, 4000, 5000), Primary(4999, 1000, 4999),
                   absl::Hours(7 * 24) - absl::Seconds(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->decision, AbDecision::kKeepObserving);
  EXPECT_EQ(r->predictions, 9999u);
  EXPECT_FALSE(r->reached_predictions);
  EXPECT_FALSE(r->reached_duration);
  EXPECT_FALSE(r->test.has_value());
}

TEST(AbTestRuleTest, DecidesAtTenThousandPredictionsOfBothVariantsTogether) {
  // 1,000 + 9,000 = 10,000: the two variants together, not each.
  const absl::StatusOr<AbTestResult> r = DecideAbTest(
      Primary(1000, 150, 1000), Primary(9000, 900, 9000), absl::Hours(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->reached_predictions);
  EXPECT_FALSE(r->reached_duration);
  ASSERT_TRUE(r->test.has_value());
  EXPECT_EQ(r->decision, AbDecision::kCandidateBetter);  // 15 % vs 10 %
  EXPECT_EQ(r->decision == AbDecision::kCandidateBetter,
            r->test->comparison == Comparison::kCandidateBetter);
}

TEST(AbTestRuleTest, DecidesAfterSevenDaysWithFewPredictions) {
  // 7 days, 100 predictions: the time limit decides; 50 vs 50 equal rates.
  absl::StatusOr<AbTestResult> r = DecideAbTest(
      Primary(50, 25, 50), Primary(50, 25, 50), absl::Hours(7 * 24));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->reached_predictions);
  EXPECT_TRUE(r->reached_duration);
  EXPECT_EQ(r->decision, AbDecision::kNotSignificant);
  // A candidate clearly worse after 7 days: performance degradation.
  r = DecideAbTest(Primary(500, 50, 500), Primary(500, 150, 500),
                   absl::Hours(8 * 24));
  EXPECT_EQ(r->decision, AbDecision::kCandidateWorse);
}

TEST(AbTestRuleTest, HandComputedDecision) {
  // The hand-computed 120/1000 vs 100/1000 at the decision point.
  const absl::StatusOr<AbTestResult> r = DecideAbTest(
      Primary(5000, 120, 1000), Primary(5000, 100, 1000), absl::Hours(30));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, AbDecision::kNotSignificant);
  EXPECT_NEAR(r->test->z, 1.4293008498232314, 1e-12);
  EXPECT_NEAR(r->test->p_value, 0.1529177818639462, 1e-12);
}

TEST(AbTestRuleTest, NoTrialsAtTheDecisionPointIsNotSignificant) {
  const absl::StatusOr<AbTestResult> r =
      DecideAbTest(Primary(6000, 0, 0), Primary(6000, 10, 100), absl::Hours(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->decision, AbDecision::kNotSignificant);
  EXPECT_FALSE(r->test.has_value());
}

TEST(AbTestRuleTest, RuleIsParameterised) {
  AbTestRule rule;
  rule.min_predictions = 100;
  rule.max_duration = absl::Hours(1);
  rule.alpha = 0.2;
  absl::StatusOr<AbTestResult> r = DecideAbTest(
      Primary(50, 120, 1000), Primary(50, 100, 1000), absl::Minutes(5), rule);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, AbDecision::kCandidateBetter);  // p = 0.153 < 0.2
  r = DecideAbTest(Primary(10, 120, 1000), Primary(10, 100, 1000),
                   absl::Minutes(60), rule);
  EXPECT_TRUE(r->reached_duration);
  EXPECT_FALSE(r->reached_predictions);
}

TEST(AbTestRuleTest, InvalidInput) {
  EXPECT_TRUE(AbTestRule().Validate().ok());
  AbTestRule rule;
  rule.min_predictions = 0;
  EXPECT_EQ(Reason(rule.Validate()), kReasonAbTestRuleInvalid);
  rule = AbTestRule();
  rule.max_duration = absl::ZeroDuration();
  EXPECT_EQ(Reason(rule.Validate()), kReasonAbTestRuleInvalid);
  rule = AbTestRule();
  rule.alpha = 1;
  EXPECT_EQ(Reason(rule.Validate()), kReasonAbTestRuleInvalid);
  EXPECT_EQ(
      Reason(DecideAbTest(Primary(1, 1, 1), Primary(1, 1, 1), absl::Seconds(-1))
                 .status()),
      kReasonAbTestRuleInvalid);
  EXPECT_EQ(
      Reason(DecideAbTest(Primary(1, 2, 1), Primary(1, 1, 1), absl::Seconds(1))
                 .status()),
      kReasonProportionInvalid);
}

}  // namespace
}  // namespace slipway::internal_monitoring
