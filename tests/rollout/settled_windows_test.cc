// The controller's settled-window cache (src/rollout/settled_windows.h):
// readings over a long stage are the same whether minutes come from the
// cache or from the store, a streak spans the settle boundary, and a tick
// does not re-read settled minutes.
#include "src/rollout/settled_windows.h"

#include <string>

#include "gtest/gtest.h"
#include "src/rollout/controller.h"
#include "tests/rollout/controller_test_util.h"

namespace slipway::controller_test {
namespace {

using internal_rollout::StageReadings;

// 1 % for 12 hours, then 100 % after an approval.
v1::Plan LongCanaryPlan() {
  v1::Plan p = CanaryPlan();
  p.mutable_stages(0)->set_min_observation_seconds(12 * 3600);
  return p;
}

class SettledWindowsTest : public ControllerFixture {
 protected:
  std::string Deploy() {
    DeployOptions o;
    o.plan = LongCanaryPlan();
    absl::StatusOr<RolloutState> s =
        ctl_->Deploy("fraud", "2.0.0", "fraud-stg", o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->id() : "";
  }
  // `n` minutes, ticking after each.
  void Minutes(const std::string& id, int n, const Minute& cand) {
    for (int i = 0; i < n; ++i) {
      PassMinute("fraud-stg", Minute{}, cand);
      absl::StatusOr<int> t = ctl_->Tick();
      ASSERT_TRUE(t.ok()) << t.status();
      if (Get(id).phase() != RolloutState::IN_STAGE) return;
    }
  }
  StageReadings ReadingsOf(Controller& c, const std::string& id) {
    absl::StatusOr<RolloutState> s = c.Get(id);
    EXPECT_TRUE(s.ok());
    absl::StatusOr<StageReadings> r = c.Readings(*s);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : StageReadings{};
  }
  // A second controller over the same store, with an empty cache.
  std::unique_ptr<Controller> Fresh() {
    return std::make_unique<Controller>(internal_rollout::ControllerDeps{
        .rollouts = backends_.rollouts.get(),
        .registry = backends_.registry.get(),
        .auditor = auditor_.get(),
        .stop = stop_.get(),
        .clock = &clock_});
  }
};

TEST_F(SettledWindowsTest, CachedReadingsEqualAFreshRead) {
  const std::string id = Deploy();
  Minute cand;
  for (int hour = 0; hour < 4; ++hour) {
    cand.errors = static_cast<uint64_t>(hour);  // vary the minutes
    cand.latency_ms = 10 + hour;
    Minutes(id, 60, cand);
  }
  ASSERT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
  const StageReadings cached = ReadingsOf(*ctl_, id);
  const StageReadings fresh = ReadingsOf(*Fresh(), id);
  EXPECT_EQ(cached.windows, 240);
  EXPECT_EQ(cached.windows, fresh.windows);
  EXPECT_EQ(cached.candidate_requests, fresh.candidate_requests);
  EXPECT_EQ(cached.candidate_requests, 240 * 1000);
  EXPECT_EQ(cached.candidate_errors, fresh.candidate_errors);
  EXPECT_EQ(cached.candidate_errors, 60 * (0 + 1 + 2 + 3));
  EXPECT_DOUBLE_EQ(cached.candidate_p99_ms, fresh.candidate_p99_ms);
  EXPECT_DOUBLE_EQ(cached.stable_p99_ms, fresh.stable_p99_ms);
  EXPECT_DOUBLE_EQ(cached.candidate_accuracy, fresh.candidate_accuracy);
  EXPECT_EQ(cached.error_streak, fresh.error_streak);
  EXPECT_EQ(cached.verdicts.error_rate, fresh.verdicts.error_rate);
}

TEST_F(SettledWindowsTest, AStreakSpansTheSettleBoundary) {
  const std::string id = Deploy();
  Minutes(id, 180, Minute{});  // 3 h healthy: the first hour is settled
  Minute bad;
  bad.errors = 30;  // 3 %
  Minutes(id, 4, bad);
  EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
  EXPECT_EQ(ReadingsOf(*ctl_, id).error_streak, 4u);
  // Thin minutes for over two hours: the four bad minutes settle, and the
  // streak they started is still counted (thin windows do not break it).
  Minute thin;
  thin.requests = 10;
  thin.errors = 0;
  Minutes(id, 130, thin);
  EXPECT_EQ(Get(id).phase(), RolloutState::IN_STAGE);
  EXPECT_EQ(ReadingsOf(*ctl_, id).error_streak, 4u);
  Minutes(id, 1, bad);
  const RolloutState s = Get(id);
  EXPECT_EQ(s.phase(), RolloutState::ROLLED_BACK) << s.last_reason();
}

TEST_F(SettledWindowsTest, ALateWindowForASettledMinuteIsNotReadAgain) {
  const std::string id = Deploy();
  const absl::Time first = clock_.Now();
  Minutes(id, 180, Minute{});
  // A batch job adds outcomes to the stage's first minute, now settled.
  Minute extra;
  extra.requests = 5000;
  ASSERT_TRUE(ctl_->RecordOutcomes("fraud-stg", "2.0.0", first,
                                   WindowOf(extra), "late-batch")
                  .ok());
  // This controller settled that minute: it is not read again.
  EXPECT_EQ(ReadingsOf(*ctl_, id).candidate_requests, 180 * 1000);
  // A controller that has not settled it (another process) counts it.
  EXPECT_EQ(ReadingsOf(*Fresh(), id).candidate_requests, 180 * 1000 + 5000);
}

TEST_F(SettledWindowsTest, ANewStageStartsFromNothing) {
  internal_rollout::SettledWindows cache;
  internal_rollout::SettledStage s = cache.Get("r1", "r1/0/0", 0);
  s.candidate.settled_to_ms = 600'000;
  s.candidate.total.requests = 7;
  cache.Put("r1", s);
  EXPECT_EQ(cache.Get("r1", "r1/0/0", 0).candidate.total.requests, 7u);
  internal_rollout::SettledStage next = cache.Get("r1", "r1/1/900000", 900'000);
  EXPECT_EQ(next.candidate.total.requests, 0u);
  EXPECT_EQ(next.candidate.settled_to_ms, 900'000);
  cache.Erase("r1");
  EXPECT_EQ(cache.Get("r1", "r1/0/0", 0).candidate.total.requests, 0u);
}

}  // namespace
}  // namespace slipway::controller_test
