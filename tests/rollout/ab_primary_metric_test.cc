// The A/B stage's primary metric (docs/rollouts.md "A/B"): successes out of
// trials when the service reports them, accuracy (correct out of labelled)
// when no variant reported a trial, as a Router does.
#include <string>

#include "gtest/gtest.h"
#include "src/rollout/controller.h"
#include "tests/rollout/controller_test_util.h"

namespace slipway::controller_test {
namespace {

// CanaryPlan with 10 minutes at 1 %, then an A/B stage at 50 % decided at
// 10,000 predictions, then its 100 % after an approval.
v1::Plan AbPlan() {
  v1::Plan p = CanaryPlan();
  p.mutable_stages(0)->set_min_observation_seconds(10 * 60);
  const v1::Stage full = p.stages(1);
  v1::Stage* ab = p.mutable_stages(1);
  ab->Clear();
  ab->set_name("ab");
  ab->set_candidate_weight(0.5);
  ab->mutable_ab()->set_decide_by_significance(true);
  ab->mutable_ab()->set_min_predictions(10'000);
  ab->mutable_ab()->set_max_duration_seconds(7 * 24 * 3600);
  *p.add_stages() = full;
  return p;
}

class AbPrimaryMetricTest : public ControllerFixture {
 protected:
  // Deploys with AbPlan, passes minutes (ticking each) until the rollout
  // leaves the A/B stage or 60 minutes pass; returns the state.
  RolloutState RunAb(const Minute& stable, const Minute& cand) {
    DeployOptions o;
    o.plan = AbPlan();
    absl::StatusOr<RolloutState> s =
        ctl_->Deploy("fraud", "2.0.0", "fraud-stg", o);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return {};
    RolloutState st = *s;
    for (int m = 0; m < 60; ++m) {
      PassMinute("fraud-stg", stable, cand);
      absl::StatusOr<int> t = ctl_->Tick();
      EXPECT_TRUE(t.ok()) << t.status();
      st = Get(s->id());
      if (st.phase() != RolloutState::IN_STAGE || st.stage_index() > 1) break;
    }
    return st;
  }
};

// Accuracy 0.90 vs 0.87: a 3.3 % relative drop, under the 5 % accuracy
// guardrail, but significant over 10,000 predictions.
constexpr Minute kStable{.labelled = 600, .correct = 540, .successes = 0,
                         .trials = 0};
constexpr Minute kWorse{.labelled = 600, .correct = 522, .successes = 0,
                        .trials = 0};
constexpr Minute kBetter{.labelled = 600, .correct = 558, .successes = 0,
                         .trials = 0};

TEST_F(AbPrimaryMetricTest, WithoutTrialsAccuracySignificantlyWorseRollsBack) {
  RolloutState st = RunAb(kStable, kWorse);
  EXPECT_EQ(st.phase(), RolloutState::ROLLED_BACK) << st.last_reason();
  EXPECT_NE(st.last_reason().find("significantly worse"), std::string::npos)
      << st.last_reason();
}

TEST_F(AbPrimaryMetricTest, WithoutTrialsAccuracySignificantlyBetterMovesOn) {
  RolloutState st = RunAb(kStable, kBetter);
  EXPECT_EQ(st.phase(), RolloutState::AWAITING_APPROVAL) << st.last_reason();
  EXPECT_EQ(st.plan().stages(st.stage_index()).name(), "full");
}

TEST_F(AbPrimaryMetricTest, ReportedTrialsAreThePrimaryMetricNotAccuracy) {
  // The same accuracies as the rollback case, but the service reports the
  // primary metric itself and the two variants convert alike.
  Minute stable = kStable;
  Minute worse = kWorse;
  stable.trials = worse.trials = 1000;
  stable.successes = worse.successes = 300;
  RolloutState st = RunAb(stable, worse);
  EXPECT_EQ(st.phase(), RolloutState::AWAITING_APPROVAL) << st.last_reason();
  EXPECT_EQ(st.plan().stages(st.stage_index()).name(), "full");
}

}  // namespace
}  // namespace slipway::controller_test
