// Endpoints, pipelines, features and rollouts through the public Store
// (slipway/store.h, slipway/rollout.h) on a real store file with a
// FakeClock.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "tests/registry/registry_test_util.h"

namespace slipway {
namespace {

using ::slipway::registry_test::kAlice;
using ::slipway::registry_test::kPlatform;
using ::slipway::registry_test::ReasonOf;
using ::slipway::registry_test::RegistryStoreTest;
using ::testing::HasSubstr;

constexpr char kPlan[] = R"({"stages": [
  {"name": "canary-1", "candidate_weight": 0.01, "min_observation_seconds": 1800},
  {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]})";

class StoreRolloutTest : public RegistryStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenFile();
    ASSERT_NE(store_, nullptr);
    for (const char* v : {"1.0.0", "2.0.0"}) {
      ASSERT_TRUE(Register(*store_, "fraud", v).ok());
    }
    ASSERT_TRUE(store_
                    ->RegisterEndpoint("fraud-stg", "staging", "fraud", "1.0.0",
                                       {{"accuracy", 0.05},
                                        {"latency", 1.5},
                                        {"drift", 3}},
                                       kAlice)
                    .ok());
  }

  OutcomeCounts Counts(uint64_t requests, uint64_t errors, double ms) {
    OutcomeCounts c;
    c.requests = requests;
    c.errors = errors;
    c.latencies_ms.assign(200, ms);
    c.predictions = requests;
    c.labelled = 600;
    c.correct = 540;
    return c;
  }

  // Writes the minute now for both versions and advances one minute.
  void PassMinute(const OutcomeCounts& candidate) {
    const int64_t now = clock_.NowUnixMillis();
    ASSERT_TRUE(store_
                    ->RecordOutcomes("fraud-stg", "1.0.0", now,
                                     Counts(20000, 0, 10), "r1")
                    .ok());
    ASSERT_TRUE(
        store_->RecordOutcomes("fraud-stg", "2.0.0", now, candidate, "r1").ok());
    ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  }

  std::unique_ptr<Store> store_;
};

TEST_F(StoreRolloutTest, EndpointsAreRegisteredListedAndValidated) {
  absl::StatusOr<EndpointInfo> e = store_->GetEndpoint("fraud-stg");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->environment, "staging");
  EXPECT_EQ(e->stable_version, "1.0.0");
  EXPECT_EQ(e->alert_rules.size(), 3u);
  absl::StatusOr<std::vector<EndpointInfo>> all = store_->ListEndpoints();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  EXPECT_EQ(ReasonOf(store_
                         ->RegisterEndpoint("fraud-stg", "staging", "fraud",
                                            "1.0.0", {})
                         .status()),
            "ENDPOINT_EXISTS");
  EXPECT_EQ(ReasonOf(store_->RegisterEndpoint("Bad_Name", "staging", "fraud",
                                              "1.0.0", {})
                         .status()),
            "ENDPOINT_NAME_INVALID");
  // The validators now look names up: an unregistered endpoint is refused.
  absl::StatusOr<RolloutStatus> d = store_->Deploy("fraud", "2.0.0", "nowhere");
  EXPECT_EQ(ReasonOf(d.status()), "ENDPOINT_NOT_REGISTERED");
  EXPECT_TRUE(store_->RegisterPipeline("fraud-features", "staging").ok());
  EXPECT_EQ(ReasonOf(store_->RegisterPipeline("fraud-features", "staging")),
            "PIPELINE_EXISTS");
  EXPECT_TRUE(store_
                  ->RecordPipelineRun(PipelineRunInfo{"fraud-features", true,
                                                      true, "{}", 0})
                  .ok());
  EXPECT_EQ(ReasonOf(store_->RecordPipelineRun(
                PipelineRunInfo{"unknown", true, true, "{}", 0})),
            "PIPELINE_NOT_FOUND");
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  f.min_value = 0;
  EXPECT_TRUE(store_->RegisterFeature(f).ok());
  EXPECT_EQ(ReasonOf(store_->RegisterFeature(f)), "FEATURE_EXISTS");
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

TEST_F(StoreRolloutTest, DeployTickApproveComplete) {
  DeployOptions o;
  o.plan_json = kPlan;
  o.actor = kAlice;
  absl::StatusOr<RolloutStatus> r = store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->phase, "IN_STAGE");
  EXPECT_EQ(r->stage, "canary-1");
  EXPECT_DOUBLE_EQ(r->candidate_weight, 0.01);
  EXPECT_EQ(r->rollback_version, "1.0.0");
  EXPECT_THAT(r->next_gate, HasSubstr("approval by role platform-lead"));
  absl::StatusOr<RoutingInfo> routing = store_->GetRouting("fraud-stg");
  ASSERT_TRUE(routing.ok());
  EXPECT_EQ(routing->candidate_version, "2.0.0");
  EXPECT_DOUBLE_EQ(routing->candidate_weight, 0.01);

  for (int m = 0; m < 32; ++m) {
    PassMinute(Counts(1000, 2, 10));
    ASSERT_TRUE(store_->Tick().ok());
  }
  r = store_->GetRollout(r->id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, "AWAITING_APPROVAL");
  EXPECT_EQ(r->stage, "full");
  EXPECT_GE(r->readings.windows, 30);
  EXPECT_EQ(r->readings.error_rate_verdict, "HEALTHY");
  EXPECT_NEAR(r->readings.p99_ratio, 1.0, 0.02);
  EXPECT_GT(r->time_in_stage, absl::Minutes(30));
  EXPECT_EQ(ReasonOf(store_->ApproveRollout(r->id, "full", kAlice).status()),
            "ROLE_REQUIRED");
  r = store_->ApproveRollout(r->id, "full", kPlatform);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->phase, "IN_STAGE");
  PassMinute(Counts(1000, 2, 10));
  absl::StatusOr<int> t = store_->Tick();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1);
  r = store_->GetRollout(r->id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, "COMPLETED");
  EXPECT_EQ(store_->GetEndpoint("fraud-stg")->stable_version, "2.0.0");
  routing = store_->GetRouting("fraud-stg");
  EXPECT_EQ(routing->stable_version, "2.0.0");
  EXPECT_EQ(routing->candidate_version, "");
  absl::StatusOr<std::vector<RolloutStatus>> list =
      store_->ListRollouts("fraud-stg");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].active);
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

TEST_F(StoreRolloutTest, StatusOutlookSaysWhatATickWouldDoAndWhy) {
  constexpr char kAbPlan[] = R"({"stages": [
    {"name": "canary-1", "candidate_weight": 0.01, "min_observation_seconds": 600},
    {"name": "ab", "candidate_weight": 0.5, "gate": "GATE_STATISTICAL_VALIDATION",
     "ab": {"decide_by_significance": true}},
    {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]})";
  DeployOptions o;
  o.plan_json = kAbPlan;
  absl::StatusOr<RolloutStatus> r = store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  // 100 requests a minute: under the 200 an error-rate window needs.
  for (int i = 0; i < 3; ++i) PassMinute(Counts(100, 0, 10));
  r = store_->GetRollout(r->id);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->outlook, HasSubstr("observing stage canary-1: 3m of 10m"));
  for (int i = 0; i < 12; ++i) {
    PassMinute(Counts(100, 0, 10));
    ASSERT_TRUE(store_->Tick().ok());
  }
  r = store_->GetRollout(r->id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stage, "canary-1");
  EXPECT_THAT(r->outlook, HasSubstr("needs statistical validation"));
  EXPECT_THAT(r->outlook,
              HasSubstr("no healthy verdict with enough data yet: error rate"));
  r = store_->AbortRollout(r->id, "thin", kAlice);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(store_->GetRollout(r->id)->outlook, "");
}

TEST_F(StoreRolloutTest, ListRolloutsIsNewestFirst) {
  DeployOptions o;
  o.plan_json = kPlan;
  absl::StatusOr<RolloutStatus> first =
      store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(store_->AbortRollout(first->id, "again", kAlice).ok());
  ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  absl::StatusOr<RolloutStatus> second =
      store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<std::vector<RolloutStatus>> list =
      store_->ListRollouts("fraud-stg");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, second->id);
  EXPECT_EQ((*list)[1].id, first->id);
}

TEST_F(StoreRolloutTest, RollbackIsOneRoutingSwap) {
  DeployOptions o;
  o.plan_json = kPlan;
  absl::StatusOr<RolloutStatus> r = store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t gen = store_->GetRouting("fraud-stg")->generation;
  r = store_->RollbackRollout(r->id, "manual", kAlice);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->phase, "ROLLED_BACK");
  absl::StatusOr<RoutingInfo> routing = store_->GetRouting("fraud-stg");
  ASSERT_TRUE(routing.ok());
  EXPECT_EQ(routing->generation, gen + 1);
  EXPECT_EQ(routing->stable_version, "1.0.0");
  EXPECT_DOUBLE_EQ(routing->candidate_weight, 0);
  EXPECT_EQ(ReasonOf(store_->RollbackRollout(r->id).status()), "ROLLOUT_ENDED");
}

TEST_F(StoreRolloutTest, ErrorsRollBackThroughTick) {
  DeployOptions o;
  o.plan_json = kPlan;
  absl::StatusOr<RolloutStatus> r = store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  for (int m = 0; m < 6; ++m) {
    PassMinute(Counts(300, 9, 10));
    ASSERT_TRUE(store_->Tick().ok());
  }
  r = store_->GetRollout(r->id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, "ROLLED_BACK");
  EXPECT_DOUBLE_EQ(store_->GetRouting("fraud-stg")->candidate_weight, 0);
}

}  // namespace
}  // namespace slipway
