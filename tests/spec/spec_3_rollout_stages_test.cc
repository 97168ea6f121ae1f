// SPEC.md §3 — Rollout stages (blast radius). One test per row of the
// table and per automated rule that the pure core decides: the default
// plan (src/rollout/plan.h), the state machine (state_machine.h), the
// manual-approval gate (gates.h) and the capacity cap (capacity.h). Turning
// outcome windows into verdicts (error rate over 5 windows, p99, accuracy,
// drift) is the monitoring module's half; here a verdict is given and the
// machine's answer is checked. The last two tests take the drift rule and
// the feature-pipeline sample rule end to end, through the public Store.
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"
#include "src/rollout/capacity.h"
#include "src/rollout/gates.h"
#include "src/rollout/plan.h"
#include "src/rollout/state_machine.h"
#include "tests/rollout/rollout_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_rollout {
namespace {

using ::slipway::rollout_test::ActionKinds;
using ::slipway::rollout_test::Healthy;
using ::slipway::rollout_test::NewState;
using ::slipway::rollout_test::PassingGateContext;
using ::slipway::rollout_test::ReasonOf;
using ::slipway::rollout_test::StateAt;
using ::slipway::rollout_test::T0;
using ::testing::HasSubstr;

constexpr auto kInStage = v1::RolloutState::IN_STAGE;
constexpr auto kAwaiting = v1::RolloutState::AWAITING_APPROVAL;

StepResult TickAt(const v1::RolloutState& s, const StageVerdicts& v,
                  absl::Duration after_entering) {
  return Step(s, DefaultPlan(), Tick{v}, T0() + after_entering);
}

void ExpectAutomaticRollbackToStable(const StepResult& r) {
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.next.phase(), v1::RolloutState::ROLLED_BACK);
  ASSERT_EQ(ActionKinds(r.actions), "SET_WEIGHTS,ALERT,RELEASE_HOLD");
  EXPECT_EQ(r.actions[0].set_weights().stable(), 1.0);
  EXPECT_EQ(r.actions[0].set_weights().candidate(), 0.0);
  EXPECT_EQ(r.actions[1].alert().severity(), v1::Alert::CRITICAL);
  EXPECT_THAT(r.why, HasSubstr("automatic rollback"));
  EXPECT_THAT(r.why, HasSubstr("\"1.0.0\""));  // the stable version
}

// "shadow | 0% (predictions logged, not served) | 24 h minimum | — |
// model validation passed"
TEST(Spec3RolloutStages, ShadowMirrorsZeroPercentForAtLeast24Hours) {
  const v1::Plan plan = DefaultPlan();
  const v1::Stage& shadow = plan.stages(0);
  EXPECT_EQ(shadow.gate(), v1::Stage::GATE_MODEL_VALIDATION);
  const StepResult started =
      Step(NewState(), plan, Start{.gates_checked = true}, T0());
  ASSERT_TRUE(started.status.ok());
  const v1::SetWeights& w = started.actions.back().set_weights();
  EXPECT_EQ(w.candidate(), 0.0);
  EXPECT_EQ(w.stable(), 1.0);
  EXPECT_TRUE(w.shadow());
  EXPECT_FALSE(
      TickAt(started.next, Healthy(), absl::Hours(24) - absl::Seconds(1))
          .changed());
  EXPECT_EQ(TickAt(started.next, Healthy(), absl::Hours(24)).next.stage_index(),
            1);
}

// "canary 1 | 1% | 30 min | error rate > 2% or p99 latency +50% | change
// ticket (if available)"
TEST(Spec3RolloutStages, Canary1RoutesOnePercentForThirtyMinutes) {
  const v1::Plan plan = DefaultPlan();
  EXPECT_EQ(plan.stages(1).candidate_weight(), 0.01);
  EXPECT_EQ(plan.stages(1).gate(), v1::Stage::GATE_CHANGE_TICKET);
  const v1::RolloutState s = StateAt(plan, kInStage, 1);
  EXPECT_FALSE(TickAt(s, Healthy(), absl::Minutes(29)).changed());
  EXPECT_TRUE(TickAt(s, Healthy(), absl::Minutes(30)).changed());
  for (int g = 0; g < 2; ++g) {
    StageVerdicts v = Healthy();
    (g == 0 ? v.error_rate : v.latency) = GuardrailVerdict::kFailing;
    ExpectAutomaticRollbackToStable(TickAt(s, v, absl::Minutes(5)));
  }
}

// "canary 2 | 10% | 2 h | accuracy drop > 5% | data science lead review"
TEST(Spec3RolloutStages, Canary2NeedsADataScienceLeadAndRoutesTenPercent) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState waiting = StateAt(plan, kAwaiting, 2);
  StepResult r =
      Step(waiting, plan, Approve{"canary-2", "pat", "platform-lead"}, T0());
  EXPECT_EQ(ReasonOf(r.status), "ROLE_REQUIRED");
  r = Step(waiting, plan, Approve{"canary-2", "dana", "data-science-lead"},
           T0());
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.next.candidate_weight(), 0.10);
  EXPECT_FALSE(
      TickAt(r.next, Healthy(), absl::Hours(2) - absl::Seconds(1)).changed());
  EXPECT_TRUE(TickAt(r.next, Healthy(), absl::Hours(2)).changed());
  StageVerdicts v = Healthy();
  v.accuracy = GuardrailVerdict::kFailing;
  ExpectAutomaticRollbackToStable(TickAt(r.next, v, absl::Minutes(30)));
}

// "A/B | 50% | until statistically significant: min 10,000 predictions OR
// 7 days, whichever first | performance degradation | statistical
// validation"
TEST(Spec3RolloutStages, AbRunsUntilSignificantAfter10000PredictionsOr7Days) {
  const v1::Plan plan = DefaultPlan();
  EXPECT_EQ(plan.stages(3).candidate_weight(), 0.5);
  EXPECT_EQ(plan.stages(3).gate(), v1::Stage::GATE_STATISTICAL_VALIDATION);
  const v1::RolloutState s = StateAt(plan, kInStage, 3);
  StageVerdicts v = Healthy(0, 9'999);
  v.ab = AbVerdict::kCandidateBetter;
  EXPECT_FALSE(TickAt(s, v, absl::Hours(1)).changed());  // too few predictions
  v.predictions = 10'000;
  EXPECT_EQ(TickAt(s, v, absl::Hours(1)).next.phase(),
            kAwaiting);               // significant
  v.ab = AbVerdict::kNotSignificant;  // not worse at the decision point
  EXPECT_EQ(TickAt(s, v, absl::Hours(1)).next.phase(), kAwaiting);
  v.ab = AbVerdict::kKeepObserving;  // no verdict yet: keeps observing
  EXPECT_FALSE(TickAt(s, v, absl::Hours(1)).changed());
  v.predictions = 500;
  EXPECT_EQ(TickAt(s, v, absl::Hours(24 * 7)).next.phase(),
            kAwaiting);  // 7 days
  // Performance degradation rolls back.
  v.ab = AbVerdict::kCandidateWorse;
  v.predictions = 10'000;
  ExpectAutomaticRollbackToStable(TickAt(s, v, absl::Hours(1)));
  // Statistical validation to enter: canary 2's guardrails all gave a
  // healthy verdict with enough data.
  const v1::RolloutState canary2 = StateAt(plan, kInStage, 2);
  StageVerdicts thin = Healthy();
  thin.latency = GuardrailVerdict::kNotEnoughData;
  EXPECT_FALSE(TickAt(canary2, thin, absl::Hours(3)).changed());
  EXPECT_EQ(TickAt(canary2, Healthy(), absl::Hours(3)).next.stage_index(), 3);
}

// "full | 100% | continuous | automated rollback on alerts | ML platform
// lead"
TEST(Spec3RolloutStages, FullNeedsThePlatformLeadAndRollsBackOnAlerts) {
  const v1::Plan plan = DefaultPlan();
  const v1::RolloutState waiting = StateAt(plan, kAwaiting, 4);
  EXPECT_EQ(ReasonOf(Step(waiting, plan,
                          Approve{"full", "dana", "data-science-lead"}, T0())
                         .status),
            "ROLE_REQUIRED");
  const StepResult full =
      Step(waiting, plan, Approve{"full", "pat", "platform-lead"}, T0());
  ASSERT_TRUE(full.status.ok());
  EXPECT_EQ(full.next.candidate_weight(), 1.0);
  EXPECT_EQ(full.next.stable_weight(), 0.0);
  StageVerdicts v = Healthy();
  v.error_rate = GuardrailVerdict::kFailing;
  ExpectAutomaticRollbackToStable(TickAt(full.next, v, absl::Minutes(1)));
  EXPECT_EQ(TickAt(full.next, Healthy(), absl::Minutes(1)).next.phase(),
            v1::RolloutState::COMPLETED);
}

// "Error rate > 2% for 5 consecutive minutes → automatic rollback to the
// stable version."
TEST(Spec3RolloutStages, ErrorRateAbove2PercentFor5MinutesRollsBack) {
  const v1::Guardrails g = DefaultGuardrails();
  EXPECT_EQ(g.max_error_rate(), 0.02);
  EXPECT_EQ(g.error_rate_windows(), 5);
  EXPECT_EQ(g.window_seconds(), 60);
  const v1::Plan plan = DefaultPlan();
  for (int stage = 0; stage < plan.stages_size(); ++stage) {
    StageVerdicts v = Healthy();
    v.error_rate = GuardrailVerdict::kFailing;
    ExpectAutomaticRollbackToStable(
        TickAt(StateAt(plan, kInStage, stage), v, absl::Minutes(5)));
  }
}

// "p99 latency more than 50% above the stable version → automatic
// rollback."
TEST(Spec3RolloutStages, P99LatencyFiftyPercentAboveStableRollsBack) {
  EXPECT_EQ(DefaultGuardrails().max_p99_latency_ratio(), 1.5);
  const v1::Plan plan = DefaultPlan();
  for (int stage = 0; stage < plan.stages_size(); ++stage) {
    StageVerdicts v = Healthy();
    v.latency = GuardrailVerdict::kFailing;
    ExpectAutomaticRollbackToStable(
        TickAt(StateAt(plan, kInStage, stage), v, absl::Minutes(1)));
  }
}

// "Accuracy more than 5% below the stable version → automatic rollback
// (relative drop by default; the policy may say percentage points)."
TEST(Spec3RolloutStages, AccuracyFivePercentBelowStableRollsBack) {
  const v1::Guardrails g = DefaultGuardrails();
  EXPECT_EQ(g.max_accuracy_drop(), 0.05);
  EXPECT_EQ(g.accuracy_drop(), v1::Guardrails::ACCURACY_DROP_RELATIVE);
  v1::Plan points = DefaultPlan();
  points.mutable_guardrails()->set_accuracy_drop(
      v1::Guardrails::ACCURACY_DROP_POINTS);
  EXPECT_TRUE(ValidatePlan(points).ok());
  const v1::Plan plan = DefaultPlan();
  for (int stage = 0; stage < plan.stages_size(); ++stage) {
    StageVerdicts v = Healthy();
    v.accuracy = GuardrailVerdict::kFailing;
    ExpectAutomaticRollbackToStable(
        TickAt(StateAt(plan, kInStage, stage), v, absl::Minutes(1)));
  }
}

// "Data drift beyond 3 standard deviations → the rollout halts (holds its
// weight, takes no further step) and raises an alert; a person decides."
TEST(Spec3RolloutStages, DriftHaltsHoldsTheWeightAlertsAndAPersonDecides) {
  EXPECT_EQ(DefaultGuardrails().max_drift_sigma(), 3.0);
  const v1::Plan plan = DefaultPlan();
  StageVerdicts v = Healthy();
  v.drift = DriftVerdict::kDrift;
  const StepResult halted =
      TickAt(StateAt(plan, kInStage, 2), v, absl::Hours(3));
  EXPECT_EQ(halted.next.phase(), v1::RolloutState::HALTED);
  EXPECT_EQ(ActionKinds(halted.actions), "ALERT");
  EXPECT_EQ(halted.next.candidate_weight(), 0.10);
  // No further step, even when the stage's conditions are all met.
  EXPECT_FALSE(TickAt(halted.next, Healthy(), absl::Hours(48)).changed());
  // A person decides: resume, or roll back.
  EXPECT_EQ(Step(halted.next, plan, Resume{"oncall"}, T0()).next.phase(),
            kInStage);
  EXPECT_EQ(
      Step(halted.next, plan, Rollback{"drift", "oncall"}, T0()).next.phase(),
      v1::RolloutState::ROLLED_BACK);
}

// "2 consecutive failed rollouts on an endpoint → the next one requires a
// manual approval."
TEST(Spec3RolloutStages, TwoConsecutiveFailedRolloutsRequireManualApproval) {
  GateContext ctx = PassingGateContext();
  ctx.consecutive_failed_rollouts = 1;
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
  ctx.consecutive_failed_rollouts = 2;
  EXPECT_EQ(ReasonOf(CheckGates(ctx, {}).status()), "GATE_MANUAL_APPROVAL");
  ctx.manual_approval = ManualApproval{"pat", "platform-lead"};
  EXPECT_TRUE(CheckGates(ctx, {}).ok());
}

// "A capacity change (replicas, scaling) is capped at +25% of current
// capacity per action."
TEST(Spec3RolloutStages, CapacityChangeIsCappedAtPlus25Percent) {
  auto d = CapCapacityChange(8, 20);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->allowed, 10);
  EXPECT_TRUE(d->capped);
  d = CapCapacityChange(8, 10);
  EXPECT_EQ(d->allowed, 10);
  EXPECT_FALSE(d->capped);
  d = CapCapacityChange(8, 2);  // decreases are not capped
  EXPECT_EQ(d->allowed, 2);
  auto q = CapContinuousCapacityChange(40.0, 100.0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->allowed, 50.0);
}

// A store on a FakeClock with model "fraud" 1.0.0 and 2.0.0, staging
// endpoint "fraud-stg" and float64 feature "amount" in [-100, 100].
struct SpecStore {
  SpecStore() {
    StoreOptions o;
    o.env.clock = &clock;
    o.emergency_stop_file = dir.File("slipway.STOP");
    absl::StatusOr<std::unique_ptr<Store>> s =
        Store::Open(dir.File("s.db"), std::move(o));
    EXPECT_TRUE(s.ok()) << s.status();
    store = *std::move(s);
    for (const char* v : {"1.0.0", "2.0.0"}) {
      RegisterModelVersionRequest r;
      r.model = "fraud";
      r.version = v;
      EXPECT_TRUE(store->RegisterModelVersion(r).ok());
    }
    EXPECT_TRUE(store
                    ->RegisterEndpoint("fraud-stg", "staging", "fraud",
                                       "1.0.0",
                                       {{"accuracy", 0.05},
                                        {"latency", 1.5},
                                        {"drift", 3}})
                    .ok());
    FeatureSpec f;
    f.name = "amount";
    f.dtype = "float64";
    f.min_value = -100;
    f.max_value = 100;
    EXPECT_TRUE(store->RegisterFeature(f).ok());
  }
  storage_test::TempDir dir;
  ::slipway::testing::FakeClock clock;
  std::unique_ptr<Store> store;
};

std::vector<double> Gaussian(size_t n, double mean, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(mean, 1);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// "A feature pipeline change is validated on a 1,000-record sample first:
// no nulls, non-zero variance, values inside the expected range."
TEST(Spec3RolloutStages, FeaturePipelineChangeValidatedOnA1000RecordSample) {
  SpecStore s;
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  f.min_value = -10;
  f.max_value = 10;
  const std::vector<double> good = Gaussian(1000, 0, 1);
  auto refused_for = [&](const std::vector<double>& sample) {
    const absl::Status st = s.store->UpdateFeature(f, sample);
    EXPECT_EQ(ReasonOf(st), "FEATURE_SAMPLE_INVALID");
    return std::string(st.message());
  };
  EXPECT_THAT(refused_for(std::vector<double>(good.begin(), good.end() - 1)),
              HasSubstr("999 rows"));
  std::vector<double> with_null = good;
  with_null[7] = std::nan("");
  EXPECT_THAT(refused_for(with_null), HasSubstr("1 null"));
  EXPECT_THAT(refused_for(std::vector<double>(1000, 2.0)),
              HasSubstr("zero variance"));
  std::vector<double> outside = good;
  outside[7] = 10.5;
  EXPECT_THAT(refused_for(outside), HasSubstr("above the expected maximum 10"));
  outside[7] = -10.5;
  EXPECT_THAT(refused_for(outside), HasSubstr("below the expected minimum -10"));
  EXPECT_TRUE(s.store->UpdateFeature(f, good).ok());
  EXPECT_TRUE(s.store->ValidateFeatureSample("amount", good)->passed);
}

// "Data drift beyond 3 standard deviations -> the rollout halts": the
// controller's own check of the candidate's sampled inputs against the
// endpoint's drift reference (a chunk of 500 rows beyond the limit,
// confirmed by the next 500).
TEST(Spec3RolloutStages, DataDriftBeyondThreeSigmaHaltsTheRollout) {
  SpecStore s;
  ASSERT_TRUE(s.store
                  ->SetDriftReference("fraud-stg", "amount",
                                      Gaussian(20'000, 0, 1))
                  .ok());
  ::slipway::DeployOptions d;
  d.plan_json = R"({"stages": [
      {"name": "canary-1", "candidate_weight": 0.01,
       "min_observation_seconds": 86400},
      {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]})";
  absl::StatusOr<RolloutStatus> r =
      s.store->Deploy("fraud", "2.0.0", "fraud-stg", d);
  ASSERT_TRUE(r.ok()) << r.status();
  // Hour 0: the reference's distribution; hour 1: mean + 1 sd. Two chunks
  // each.
  for (double mean : {0.0, 1.0}) {
    ASSERT_TRUE(s.store
                    ->RecordFeatureSamples("fraud-stg", "2.0.0",
                                           s.clock.NowUnixMillis(), "amount",
                                           Gaussian(1000, mean, 2))
                    .ok());
    ASSERT_TRUE(s.clock.Advance(absl::Minutes(1)).ok());
    absl::StatusOr<RolloutStatus> before = s.store->GetRollout(r->id);
    ASSERT_TRUE(before.ok()) << before.status();
    ASSERT_EQ(before->readings.drift.size(), 1u);
    const FeatureDriftReading& reading = before->readings.drift[0];
    EXPECT_EQ(reading.verdict, mean == 0 ? "HEALTHY" : "DRIFT");
    EXPECT_EQ(reading.sigma > 3, mean != 0) << reading.sigma;
    absl::StatusOr<int> t = s.store->Tick();
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(*t, mean == 0 ? 0 : 1);
    ASSERT_TRUE(s.clock.Advance(absl::Minutes(59)).ok());
  }
  absl::StatusOr<RolloutStatus> halted = s.store->GetRollout(r->id);
  ASSERT_TRUE(halted.ok());
  EXPECT_EQ(halted->phase, "HALTED");
  EXPECT_EQ(halted->halt_cause, "DRIFT");
  EXPECT_DOUBLE_EQ(halted->candidate_weight, 0.01);  // holds its weight
  EXPECT_THAT(halted->last_reason, HasSubstr("feature amount"));
  EXPECT_THAT(halted->last_reason,
              HasSubstr("on two consecutive chunks of 500 rows"));
  EXPECT_THAT(halted->last_reason, HasSubstr("standard deviations above"));
  EXPECT_THAT(halted->last_reason, HasSubstr("(limit 3)"));
}

}  // namespace
}  // namespace slipway::internal_rollout
