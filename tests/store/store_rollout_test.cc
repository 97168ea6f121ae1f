// Endpoints, pipelines, features and rollouts through the public Store
// (slipway/store.h, slipway/rollout.h) on a real store file with a
// FakeClock.
#include <cmath>
#include <limits>
#include <random>
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
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

  // The audit records of `command`, oldest first.
  std::vector<AuditRecord> AuditOf(const std::string& command) {
    std::vector<AuditRecord> out;
    for (AuditRecord& r : AuditLog(*store_)) {
      if (r.command == command) out.push_back(std::move(r));
    }
    return out;
  }

  // Registers "fraud-prod" (production) and a production feature, then
  // sets the emergency stop.
  void ProductionWithTheStopSet() {
    ASSERT_TRUE(store_
                    ->RegisterEndpoint("fraud-prod", "production", "fraud",
                                       "1.0.0",
                                       {{"accuracy", 0.05},
                                        {"latency", 1.5},
                                        {"drift", 3}},
                                       kAlice)
                    .ok());
    FeatureSpec f;
    f.name = "prod_amount";
    f.dtype = "float64";
    f.environment = "production";
    ASSERT_TRUE(store_->RegisterFeature(f, kAlice).ok());
    ASSERT_TRUE(store_->ActivateEmergencyStop("incident 7", {"oncall", ""}).ok());
  }

  std::unique_ptr<Store> store_;
};

// n values spread evenly over [lo, hi].
std::vector<double> Spread(size_t n, double lo, double hi) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  return v;
}

std::vector<double> Normal(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0, 1);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

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

TEST_F(StoreRolloutTest, UpdateEndpointReplacesTheAlertRulesAndIsAudited) {
  const int64_t created = store_->GetEndpoint("fraud-stg")->created_ms;
  ASSERT_TRUE(clock_.Advance(absl::Minutes(5)).ok());
  absl::StatusOr<EndpointInfo> e = store_->UpdateEndpoint(
      "fraud-stg",
      {{"latency", 2}, {"drift", 4}, {"accuracy", 0.1}, {"error-rate", 0.02}},
      kAlice);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_THAT(e->alert_rules, SizeIs(4));
  // Sorted by name; the old thresholds are gone.
  EXPECT_EQ(e->alert_rules[0].name, "accuracy");
  EXPECT_EQ(e->alert_rules[0].threshold, 0.1);
  EXPECT_EQ(e->alert_rules[1].name, "drift");
  EXPECT_EQ(e->alert_rules[1].threshold, 4);
  EXPECT_EQ(e->alert_rules[2].name, "error-rate");
  EXPECT_EQ(e->alert_rules[3].name, "latency");
  EXPECT_EQ(e->created_ms, created);
  EXPECT_EQ(e->updated_ms, created + 5 * 60'000);
  // Environment, model and stable version stay.
  EXPECT_EQ(e->environment, "staging");
  EXPECT_EQ(e->stable_version, "1.0.0");
  absl::StatusOr<EndpointInfo> read = store_->GetEndpoint("fraud-stg");
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(read->alert_rules, SizeIs(4));
  // An empty list removes every rule.
  e = store_->UpdateEndpoint("fraud-stg", {}, kAlice);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->alert_rules, IsEmpty());
  EXPECT_THAT(store_->GetEndpoint("fraud-stg")->alert_rules, IsEmpty());

  absl::StatusOr<EndpointInfo> missing =
      store_->UpdateEndpoint("nowhere", {{"drift", 3}}, kAlice);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing.status()), "ENDPOINT_NOT_FOUND");

  std::vector<AuditRecord> log = AuditOf("endpoint.update");
  ASSERT_THAT(log, SizeIs(3));
  EXPECT_EQ(log[0].outcome, "success");
  EXPECT_EQ(log[0].resource_name, "fraud-stg");
  EXPECT_EQ(log[0].user, "alice");
  EXPECT_EQ(log[0].environment, "staging");
  EXPECT_EQ(log[2].outcome, "failure");
  EXPECT_EQ(log[2].resource_name, "nowhere");
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

TEST_F(StoreRolloutTest, DeleteEndpointOnlyWithoutRolloutsAndAudited) {
  ASSERT_TRUE(store_
                  ->RegisterEndpoint("spare", "staging", "fraud", "1.0.0",
                                     {{"drift", 3}}, kAlice)
                  .ok());
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  ASSERT_TRUE(store_->RegisterFeature(f).ok());
  // Its drift reference goes with it.
  ASSERT_TRUE(
      store_->SetDriftReference("spare", "amount", Spread(100, 0, 1)).ok());
  absl::Status d = store_->DeleteEndpoint("spare", kAlice);
  ASSERT_TRUE(d.ok()) << d;
  EXPECT_EQ(ReasonOf(store_->GetEndpoint("spare").status()),
            "ENDPOINT_NOT_FOUND");
  EXPECT_EQ(store_->ListEndpoints()->size(), 1u);
  EXPECT_EQ(ReasonOf(store_->GetRouting("spare").status()),
            "ENDPOINT_NOT_FOUND");
  // The name is free again, and the registration check sees it gone.
  EXPECT_EQ(ReasonOf(store_->Deploy("fraud", "2.0.0", "spare").status()),
            "ENDPOINT_NOT_REGISTERED");
  ASSERT_TRUE(store_
                  ->RegisterEndpoint("spare", "staging", "fraud", "1.0.0", {},
                                     kAlice)
                  .ok());
  EXPECT_THAT(store_->GetEndpoint("spare")->alert_rules, IsEmpty());

  EXPECT_EQ(ReasonOf(store_->DeleteEndpoint("nowhere")), "ENDPOINT_NOT_FOUND");

  // An endpoint with a rollout on record keeps its history.
  DeployOptions o;
  o.plan_json = kPlan;
  absl::StatusOr<RolloutStatus> r =
      store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(store_->RollbackRollout(r->id).ok());  // ended: still in use
  absl::Status in_use = store_->DeleteEndpoint("fraud-stg", kAlice);
  EXPECT_EQ(in_use.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(in_use), "ENDPOINT_IN_USE");
  EXPECT_THAT(std::string(in_use.message()), HasSubstr("1 rollout(s)"));
  EXPECT_TRUE(store_->GetEndpoint("fraud-stg").ok());

  std::vector<AuditRecord> log = AuditOf("endpoint.delete");
  ASSERT_THAT(log, SizeIs(3));
  EXPECT_EQ(log[0].outcome, "success");
  EXPECT_EQ(log[0].resource_name, "spare");
  EXPECT_EQ(log[1].outcome, "failure");  // not found
  EXPECT_EQ(log[2].outcome, "denied");   // a rule refused it
  EXPECT_EQ(log[2].reason, "ENDPOINT_IN_USE");
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

// SPEC §5: endpoint update/delete and feature writes are production
// operations the stop halts; SPEC §7: elsewhere they go on.
TEST_F(StoreRolloutTest, TheStopHaltsProductionEndpointAndFeatureWrites) {
  ProductionWithTheStopSet();
  absl::StatusOr<EndpointInfo> u =
      store_->UpdateEndpoint("fraud-prod", {}, kAlice);
  EXPECT_EQ(ReasonOf(u.status()), "EMERGENCY_STOP_ACTIVE");
  EXPECT_EQ(store_->GetEndpoint("fraud-prod")->alert_rules.size(), 3u);
  EXPECT_EQ(ReasonOf(store_->DeleteEndpoint("fraud-prod", kAlice)),
            "EMERGENCY_STOP_ACTIVE");
  EXPECT_TRUE(store_->GetEndpoint("fraud-prod").ok());
  FeatureSpec f;
  f.name = "prod_amount";
  f.dtype = "float64";
  EXPECT_EQ(ReasonOf(store_->UpdateFeature(f, Spread(1000, 0, 1), kAlice)),
            "EMERGENCY_STOP_ACTIVE");
  EXPECT_EQ(ReasonOf(store_->SetDriftReference("fraud-prod", "prod_amount",
                                               Spread(100, 0, 1), kAlice)),
            "EMERGENCY_STOP_ACTIVE");
  // Each denial is audited as denied.
  int denied = 0;
  for (const AuditRecord& r : AuditLog(*store_)) {
    if (r.outcome == "denied" && r.environment == "production") ++denied;
  }
  EXPECT_EQ(denied, 4);

  // Staging goes on (with a warning).
  EXPECT_TRUE(store_->UpdateEndpoint("fraud-stg", {{"drift", 3}}, kAlice).ok());
  ASSERT_TRUE(store_
                  ->RegisterEndpoint("spare", "staging", "fraud", "1.0.0", {},
                                     kAlice)
                  .ok());
  EXPECT_TRUE(store_->DeleteEndpoint("spare", kAlice).ok());
  FeatureSpec staging;
  staging.name = "stg_amount";
  staging.dtype = "float64";
  staging.environment = "staging";
  ASSERT_TRUE(store_->RegisterFeature(staging, kAlice).ok());
  EXPECT_TRUE(store_->UpdateFeature(staging, Spread(1000, 0, 1), kAlice).ok());

  // Cleared: production goes on too.
  ASSERT_TRUE(store_->ClearEmergencyStop({"oncall", ""}).ok());
  EXPECT_TRUE(store_->UpdateEndpoint("fraud-prod", {}, kAlice).ok());
  EXPECT_TRUE(store_->UpdateFeature(f, Spread(1000, 0, 1), kAlice).ok());
  EXPECT_TRUE(store_->DeleteEndpoint("fraud-prod", kAlice).ok());
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

TEST_F(StoreRolloutTest, ValidateFeatureSampleReportsEveryField) {
  std::vector<double> sample = Spread(1000, 0, 100);
  EXPECT_EQ(ReasonOf(store_->ValidateFeatureSample("amount", sample).status()),
            "FEATURE_NOT_FOUND");
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  f.min_value = 0;
  f.max_value = 100;
  ASSERT_TRUE(store_->RegisterFeature(f).ok());
  absl::StatusOr<FeatureSampleReport> r =
      store_->ValidateFeatureSample("amount", sample);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->feature, "amount");
  EXPECT_TRUE(r->passed);
  EXPECT_EQ(r->rows, 1000);
  EXPECT_EQ(r->min, 0);
  EXPECT_EQ(r->max, 100);
  // Of 1000 evenly spaced values: (n² - 1) / 12 steps² = 1001·100² / (12·999).
  EXPECT_NEAR(r->variance, 1001.0 * 100 * 100 / (12 * 999), 1e-9);
  EXPECT_THAT(r->problems, IsEmpty());

  sample[1] = kNaN;
  sample[2] = -1;
  sample[3] = 101;
  sample[4] = 150;
  r = store_->ValidateFeatureSample("amount", sample);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->rows, 1000);
  EXPECT_EQ(r->nulls, 1);
  EXPECT_EQ(r->below_min, 1);
  EXPECT_EQ(r->above_max, 2);
  EXPECT_EQ(r->min, -1);
  EXPECT_EQ(r->max, 150);
  EXPECT_THAT(r->problems, SizeIs(3));
  // A failing sample is a report, and validating writes nothing.
  EXPECT_TRUE(AuditOf("feature.update").empty());
}

TEST_F(StoreRolloutTest, UpdateFeatureOnlyWithAPassingSample) {
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  f.min_value = 0;
  f.max_value = 100;
  ASSERT_TRUE(store_->RegisterFeature(f).ok());
  FeatureSpec changed = f;
  changed.dtype = "int64";
  changed.max_value = 10;
  // 999 rows, a null, one above 10 and zero variance otherwise.
  std::vector<double> bad(999, 5.0);
  bad[0] = kNaN;
  bad[1] = 11;
  absl::Status s = store_->UpdateFeature(changed, bad, kAlice);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "FEATURE_SAMPLE_INVALID");
  EXPECT_THAT(std::string(s.message()), HasSubstr("999 rows"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("1 null"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("1 values above the expected maximum 10"));
  // The stored feature is unchanged: its range is still [0, 100].
  EXPECT_TRUE(
      store_->ValidateFeatureSample("amount", Spread(1000, 0, 100))->passed);
  // A constant sample fails on variance alone.
  EXPECT_THAT(std::string(store_
                              ->UpdateFeature(changed,
                                              std::vector<double>(1000, 5.0),
                                              kAlice)
                              .message()),
              HasSubstr("zero variance"));

  // A passing sample under the new definition is accepted.
  ASSERT_TRUE(store_->UpdateFeature(changed, Spread(1000, 0, 10), kAlice).ok());
  absl::StatusOr<FeatureSampleReport> r =
      store_->ValidateFeatureSample("amount", Spread(1000, 0, 100));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->above_max, 900);
  // A bound can be removed.
  FeatureSpec open = changed;
  open.max_value.reset();
  ASSERT_TRUE(store_->UpdateFeature(open, Spread(1000, 0, 1e6), kAlice).ok());
  EXPECT_TRUE(
      store_->ValidateFeatureSample("amount", Spread(1000, 0, 1e9))->passed);

  FeatureSpec unknown = f;
  unknown.name = "nope";
  EXPECT_EQ(ReasonOf(store_->UpdateFeature(unknown, Spread(1000, 0, 1))),
            "FEATURE_NOT_FOUND");

  std::vector<AuditRecord> log = AuditOf("feature.update");
  ASSERT_THAT(log, SizeIs(5));
  EXPECT_EQ(log[0].outcome, "denied");  // the SPEC §3 rule refused it
  EXPECT_EQ(log[0].reason, "FEATURE_SAMPLE_INVALID");
  EXPECT_EQ(log[1].outcome, "denied");
  EXPECT_EQ(log[2].outcome, "success");
  EXPECT_EQ(log[3].outcome, "success");
  EXPECT_EQ(log[4].outcome, "failure");  // not found
}

TEST_F(StoreRolloutTest, SetDriftReferenceValidatesAndIsAudited) {
  EXPECT_EQ(ReasonOf(store_->SetDriftReference("fraud-stg", "amount",
                                               Spread(100, 0, 1))),
            "FEATURE_NOT_FOUND");
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  ASSERT_TRUE(store_->RegisterFeature(f).ok());
  std::vector<double> with_nan = Spread(100, 0, 1);
  with_nan[42] = kNaN;
  absl::Status s = store_->SetDriftReference("fraud-stg", "amount", with_nan);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "DRIFT_SAMPLE_INVALID");
  EXPECT_THAT(std::string(s.message()), HasSubstr("NaN at index 42"));
  EXPECT_EQ(ReasonOf(store_->SetDriftReference("fraud-stg", "amount", std::vector<double>{})),
            "DRIFT_SAMPLE_INVALID");
  EXPECT_EQ(ReasonOf(store_->SetDriftReference("nowhere", "amount",
                                               Spread(100, 0, 1))),
            "ENDPOINT_NOT_FOUND");
  // ±inf are ordered values.
  std::vector<double> with_inf = Spread(100, 0, 1);
  with_inf[0] = -std::numeric_limits<double>::infinity();
  EXPECT_TRUE(
      store_->SetDriftReference("fraud-stg", "amount", with_inf, kAlice).ok());
  std::vector<AuditRecord> log = AuditOf("endpoint.set_drift_reference");
  ASSERT_THAT(log, SizeIs(5));
  EXPECT_EQ(log[0].outcome, "failure");
  EXPECT_EQ(log[4].outcome, "success");
  EXPECT_EQ(log[4].resource_name, "fraud-stg");
  EXPECT_THAT(log[4].message, HasSubstr("feature amount: 100 reference values"));
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
}

// What the drift check reads: one replica's later sample of a minute
// replaces its earlier one; replicas add up. Seen through the status's
// "N of 500 chunk rows" note.
TEST_F(StoreRolloutTest, RecordFeatureSamplesReplacesPerReplicaAndAddsUp) {
  FeatureSpec f;
  f.name = "amount";
  f.dtype = "float64";
  ASSERT_TRUE(store_->RegisterFeature(f).ok());
  ASSERT_TRUE(
      store_->SetDriftReference("fraud-stg", "amount", Normal(20'000, 1)).ok());
  DeployOptions o;
  o.plan_json = kPlan;
  absl::StatusOr<RolloutStatus> r =
      store_->Deploy("fraud", "2.0.0", "fraud-stg", o);
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t minute = clock_.NowUnixMillis();
  auto note = [&] {
    absl::StatusOr<RolloutStatus> s = store_->GetRollout(r->id);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() && s->readings.drift.size() == 1 ? s->readings.drift[0].note
                                                   : std::string("<none>");
  };
  auto record = [&](int64_t at, size_t n, const char* replica) {
    absl::Status s = store_->RecordFeatureSamples(
        "fraud-stg", "2.0.0", at, "amount", Normal(n, at + n), replica);
    ASSERT_TRUE(s.ok()) << s;
  };
  record(minute, 300, "r1");
  ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  EXPECT_EQ(note(), "300 of 500 chunk rows recorded in the current interval");
  // Later in the same minute: replaces r1's 300.
  record(minute + 59'999, 200, "r1");
  EXPECT_EQ(note(), "200 of 500 chunk rows recorded in the current interval");
  record(minute + 30'000, 250, "r2");
  EXPECT_EQ(note(), "450 of 500 chunk rows recorded in the current interval");
  // The default replica is one more.
  record(minute + 1, 40, "");
  EXPECT_EQ(note(), "490 of 500 chunk rows recorded in the current interval");

  // Invalid input writes nothing.
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("fraud-stg", "2.0.0", minute,
                                                  "Amount", std::vector<double>{1.0})),
            "FEATURE_NAME_INVALID");
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("fraud-stg", "2.0.0", minute,
                                                  "amount", std::vector<double>{1.0, kNaN})),
            "DRIFT_SAMPLE_INVALID");
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("fraud-stg", "2.0.0", minute,
                                                  "amount", std::vector<double>{})),
            "DRIFT_SAMPLE_INVALID");
  EXPECT_FALSE(store_
                   ->RecordFeatureSamples("fraud-stg", "two", minute, "amount",
                                          std::vector<double>{1.0})
                   .ok());
  // SPEC §1: the endpoint and the feature must be registered.
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("fraud-nope", "2.0.0", minute,
                                                  "amount", std::vector<double>{1.0})),
            "ENDPOINT_NOT_REGISTERED");
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("Fraud Stg", "2.0.0", minute,
                                                  "amount", std::vector<double>{1.0})),
            "ENDPOINT_NAME_INVALID");
  EXPECT_EQ(ReasonOf(store_->RecordFeatureSamples("fraud-stg", "2.0.0", minute,
                                                  "unregistered", std::vector<double>{1.0})),
            "FEATURE_NOT_FOUND");
  EXPECT_EQ(note(), "490 of 500 chunk rows recorded in the current interval");
}

}  // namespace
}  // namespace slipway
