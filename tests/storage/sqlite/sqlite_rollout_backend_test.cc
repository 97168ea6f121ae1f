#include "src/storage/sqlite/sqlite_rollout_backend.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_storage {
namespace {

using ::slipway::storage_test::ReasonOf;
using ::testing::ElementsAre;
using ::testing::Field;

std::string Id(int n) {
  std::string id(32, '0');
  const std::string digits = std::to_string(n);
  id.replace(32 - digits.size(), digits.size(), digits);
  return id;
}

class SqliteRolloutBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>> opened =
        SqliteTrackingBackend::Open(":memory:", {}, nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status();
    tracking_ = *std::move(opened);
    rollouts_ = std::make_unique<SqliteRolloutBackend>(&tracking_->database());
    audit_ = std::make_unique<SqliteAuditBackend>(&tracking_->database());
  }

  EndpointRecord Endpoint(std::string name = "fraud-prod") {
    return EndpointRecord{.name = std::move(name),
                          .environment = "production",
                          .model = "fraud",
                          .stable_version = "1.0.0",
                          .alert_rules = {{"accuracy", 0.05},
                                          {"drift", 3},
                                          {"latency", 1.5}},
                          .created_ms = 10,
                          .updated_ms = 10};
  }

  RolloutRecord Rollout(int n, std::string endpoint = "fraud-prod") {
    return RolloutRecord{.rollout_id = Id(n),
                         .endpoint = std::move(endpoint),
                         .model = "fraud",
                         .candidate_version = "1.1.0",
                         .stable_version = "1.0.0",
                         .phase = "IN_STAGE",
                         .active = true,
                         .failed = false,
                         .state_json = "{\"phase\":\"IN_STAGE\"}",
                         .revision = 1,
                         .created_ms = 100 + n,
                         .updated_ms = 100 + n};
  }

  TransitionRecord First(int n) {
    return TransitionRecord{Id(n), 1, "PENDING", "IN_STAGE", "start", "started",
                            100 + n};
  }

  RoutingSnapshot Routing(double weight, std::string endpoint = "fraud-prod") {
    return RoutingSnapshot{.endpoint = std::move(endpoint),
                           .stable_version = "1.0.0",
                           .candidate_version = weight > 0 ? "1.1.0" : "",
                           .candidate_weight = weight,
                           .shadow = false,
                           .updated_ms = 200};
  }

  std::unique_ptr<SqliteTrackingBackend> tracking_;
  std::unique_ptr<SqliteRolloutBackend> rollouts_;
  std::unique_ptr<SqliteAuditBackend> audit_;
};

TEST_F(SqliteRolloutBackendTest, EndpointsRoundTripWithAlertRulesAndRouting) {
  ASSERT_TRUE(rollouts_->CreateEndpoint(Endpoint()).ok());
  EXPECT_EQ(ReasonOf(rollouts_->CreateEndpoint(Endpoint())), "ENDPOINT_EXISTS");
  absl::StatusOr<EndpointRecord> e = rollouts_->GetEndpoint("fraud-prod");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->environment, "production");
  EXPECT_EQ(e->stable_version, "1.0.0");
  EXPECT_THAT(e->alert_rules,
              ElementsAre(Field(&AlertRule::name, "accuracy"),
                          Field(&AlertRule::name, "drift"),
                          Field(&AlertRule::name, "latency")));
  // A new endpoint routes everything to its stable version.
  absl::StatusOr<RoutingSnapshot> r = rollouts_->GetRouting("fraud-prod");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stable_version, "1.0.0");
  EXPECT_EQ(r->candidate_weight, 0);
  EXPECT_EQ(r->generation, 1);

  // A promotion and a rules update, as two processes would make them from
  // what they read before: neither undoes the other.
  ASSERT_TRUE(rollouts_->SetEndpointStableVersion("fraud-prod", "1.1.0", 20).ok());
  ASSERT_TRUE(
      rollouts_->SetEndpointAlertRules("fraud-prod", {{"latency", 2.0}}, 21).ok());
  e = rollouts_->GetEndpoint("fraud-prod");
  EXPECT_EQ(e->stable_version, "1.1.0");
  EXPECT_EQ(e->updated_ms, 21);
  ASSERT_EQ(e->alert_rules.size(), 1u);
  EXPECT_EQ(e->alert_rules[0].threshold, 2.0);
  ASSERT_TRUE(rollouts_->SetEndpointStableVersion("fraud-prod", "1.2.0", 22).ok());
  e = rollouts_->GetEndpoint("fraud-prod");
  EXPECT_EQ(e->stable_version, "1.2.0");
  ASSERT_EQ(e->alert_rules.size(), 1u);
  EXPECT_EQ(e->alert_rules[0].name, "latency");

  EXPECT_EQ(ReasonOf(rollouts_->GetEndpoint("nope").status()),
            "ENDPOINT_NOT_FOUND");
  EXPECT_EQ(ReasonOf(rollouts_->SetEndpointAlertRules("nope", {}, 1)),
            "ENDPOINT_NOT_FOUND");
  EXPECT_EQ(ReasonOf(rollouts_->SetEndpointStableVersion("nope", "1.0.0", 1)),
            "ENDPOINT_NOT_FOUND");
  ASSERT_TRUE(rollouts_->CreateEndpoint(Endpoint("other")).ok());
  EXPECT_EQ(rollouts_->ListEndpoints()->size(), 2u);
  ASSERT_TRUE(rollouts_->DeleteEndpoint("other").ok());
  EXPECT_EQ(ReasonOf(rollouts_->DeleteEndpoint("other")), "ENDPOINT_NOT_FOUND");
  EXPECT_EQ(ReasonOf(rollouts_->GetRouting("other").status()),
            "ENDPOINT_NOT_FOUND");
}

TEST_F(SqliteRolloutBackendTest, PipelinesKeepTheirNewestRun) {
  ASSERT_TRUE(rollouts_->CreatePipeline({"features-daily", "production", 1}).ok());
  EXPECT_EQ(ReasonOf(rollouts_->CreatePipeline({"features-daily", "production", 1})),
            "PIPELINE_EXISTS");
  EXPECT_FALSE(rollouts_->LastPipelineRun("features-daily")->has_value());
  ASSERT_TRUE(
      rollouts_->AddPipelineRun({"features-daily", 100, true, false, "{}"}).ok());
  ASSERT_TRUE(
      rollouts_->AddPipelineRun({"features-daily", 200, true, true, "{\"rows\":5}"})
          .ok());
  ASSERT_TRUE(
      rollouts_->AddPipelineRun({"features-daily", 150, false, false, "{}"}).ok());
  absl::StatusOr<std::optional<PipelineRunRecord>> last =
      rollouts_->LastPipelineRun("features-daily");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->run_ms, 200);
  EXPECT_TRUE((*last)->distribution_check_passed);
  EXPECT_EQ((*last)->details_json, "{\"rows\":5}");
  EXPECT_EQ(ReasonOf(rollouts_->AddPipelineRun({"nope", 1, true, true, "{}"})),
            "PIPELINE_NOT_FOUND");
  EXPECT_EQ(ReasonOf(rollouts_->GetPipeline("nope").status()),
            "PIPELINE_NOT_FOUND");
}

TEST_F(SqliteRolloutBackendTest, FeaturesKeepTheirRange) {
  ASSERT_TRUE(
      rollouts_->CreateFeature({"amount", "float64", 0.0, 1e6, "production", 1})
          .ok());
  ASSERT_TRUE(rollouts_->CreateFeature(
                      {"country", "string", std::nullopt, std::nullopt,
                       "production", 1})
                  .ok());
  EXPECT_EQ(ReasonOf(rollouts_->CreateFeature(
                {"amount", "float64", 0.0, 1.0, "production", 1})),
            "FEATURE_EXISTS");
  absl::StatusOr<FeatureRecord> f = rollouts_->GetFeature("amount");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->max_value, 1e6);
  EXPECT_FALSE(rollouts_->GetFeature("country")->min_value.has_value());
  EXPECT_EQ(ReasonOf(rollouts_->GetFeature("nope").status()),
            "FEATURE_NOT_FOUND");
}

TEST_F(SqliteRolloutBackendTest, OneActiveRolloutPerEndpoint) {
  ASSERT_TRUE(rollouts_->CreateEndpoint(Endpoint()).ok());
  ASSERT_TRUE(
      rollouts_->CreateRollout(Rollout(1), First(1), Routing(0.01), nullptr).ok());
  EXPECT_EQ(ReasonOf(rollouts_->CreateRollout(Rollout(2), First(2),
                                              Routing(0.01), nullptr)),
            "ROLLOUT_ACTIVE");
  EXPECT_EQ(ReasonOf(rollouts_->CreateRollout(Rollout(3, "nope"), First(3),
                                              Routing(0.01, "nope"), nullptr)),
            "ENDPOINT_NOT_FOUND");
  // The refused ones left nothing behind.
  EXPECT_EQ(ReasonOf(rollouts_->GetRollout(Id(2)).status()),
            "ROLLOUT_NOT_FOUND");
  EXPECT_TRUE(rollouts_->ListTransitions(Id(2))->empty());
  EXPECT_EQ(rollouts_->GetRouting("fraud-prod")->candidate_weight, 0.01);
}

TEST_F(SqliteRolloutBackendTest, TransitionsAreCompareAndSetWithRoutingAndAudit) {
  ASSERT_TRUE(rollouts_->CreateEndpoint(Endpoint()).ok());
  AuditAppend audit{.record = AuditRecord{.timestamp_ms = 5,
                                          .command = "rollout.start"},
                    .seal = [](AuditRecord& r) {
                      r.hash = std::string(64, 'a');
                      return absl::OkStatus();
                    }};
  ASSERT_TRUE(
      rollouts_->CreateRollout(Rollout(1), First(1), Routing(0.01), &audit).ok());
  EXPECT_EQ(rollouts_->GetRouting("fraud-prod")->generation, 2);

  RolloutRecord next = Rollout(1);
  next.phase = "ROLLED_BACK";
  next.active = false;
  next.failed = true;
  next.revision = 2;
  next.updated_ms = 300;
  const TransitionRecord t{Id(1), 2, "IN_STAGE", "ROLLED_BACK", "tick",
                           "error rate 3.1% > 2% for 5 windows", 300};
  audit.record.command = "rollout.rollback";
  ASSERT_TRUE(
      rollouts_->ApplyTransition(next, 1, t, Routing(0), &audit).ok());
  // A writer that read revision 1 loses.
  absl::Status stale = rollouts_->ApplyTransition(next, 1, t, Routing(0), &audit);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(stale), "CONCURRENT_UPDATE");

  absl::StatusOr<RolloutRecord> got = rollouts_->GetRollout(Id(1));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->phase, "ROLLED_BACK");
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->revision, 2);
  EXPECT_THAT(*rollouts_->ListTransitions(Id(1)),
              ElementsAre(Field(&TransitionRecord::to_phase, "IN_STAGE"),
                          Field(&TransitionRecord::to_phase, "ROLLED_BACK")));
  absl::StatusOr<RoutingSnapshot> routing = rollouts_->GetRouting("fraud-prod");
  EXPECT_EQ(routing->candidate_weight, 0);
  EXPECT_EQ(routing->generation, 3);
  // Exactly one audit record per applied change, chained.
  absl::StatusOr<std::vector<AuditRecord>> records = audit_->ReadAudit({});
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_THAT(*records,
              ElementsAre(Field(&AuditRecord::command, "rollout.start"),
                          Field(&AuditRecord::command, "rollout.rollback")));
  EXPECT_EQ((*records)[1].prev_hash, (*records)[0].hash);

  // The endpoint is free for the next rollout, which counts the failure.
  ASSERT_TRUE(
      rollouts_->CreateRollout(Rollout(2), First(2), Routing(0.01), nullptr).ok());
  EXPECT_EQ(rollouts_->ListRollouts("fraud-prod", true)->size(), 1u);
  EXPECT_EQ(rollouts_->ListRollouts("fraud-prod", false)->size(), 2u);
  EXPECT_EQ(*rollouts_->ConsecutiveFailedRollouts("fraud-prod"), 1);
}

TEST_F(SqliteRolloutBackendTest, ConsecutiveFailuresStopAtACompletedRollout) {
  ASSERT_TRUE(rollouts_->CreateEndpoint(Endpoint()).ok());
  int revision_time = 1000;
  auto finish = [&](int n, bool failed) {
    ASSERT_TRUE(
        rollouts_->CreateRollout(Rollout(n), First(n), Routing(0.01), nullptr).ok());
    RolloutRecord done = Rollout(n);
    done.phase = failed ? "ROLLED_BACK" : "COMPLETED";
    done.active = false;
    done.failed = failed;
    done.revision = 2;
    done.updated_ms = revision_time++;
    ASSERT_TRUE(rollouts_
                    ->ApplyTransition(done, 1,
                                      {Id(n), 2, "IN_STAGE", done.phase, "tick",
                                       "", done.updated_ms},
                                      std::nullopt, nullptr)
                    .ok());
  };
  finish(1, true);
  finish(2, false);
  finish(3, true);
  finish(4, true);
  EXPECT_EQ(*rollouts_->ConsecutiveFailedRollouts("fraud-prod"), 2);
  finish(5, false);
  EXPECT_EQ(*rollouts_->ConsecutiveFailedRollouts("fraud-prod"), 0);
}

TEST_F(SqliteRolloutBackendTest, ReplicasKeepTheirOwnWindows) {
  ASSERT_TRUE(rollouts_
                  ->PutWindows({{"fraud-prod", "1.1.0", 60'000, "a", "A1"},
                                {"fraud-prod", "1.1.0", 60'000, "b", "B1"},
                                {"fraud-prod", "1.1.0", 120'000, "a", "A2"},
                                {"fraud-prod", "1.0.0", 60'000, "a", "S1"}})
                  .ok());
  // A replica rewrites its own window (labels arrived), never another's.
  ASSERT_TRUE(
      rollouts_->PutWindows({{"fraud-prod", "1.1.0", 60'000, "a", "A1+labels"}})
          .ok());
  absl::StatusOr<std::vector<WindowRecord>> w =
      rollouts_->ReadWindows("fraud-prod", "1.1.0", 60'000, 120'000);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_THAT(*w, ElementsAre(Field(&WindowRecord::data, "A1+labels"),
                              Field(&WindowRecord::data, "B1")));
  EXPECT_EQ(rollouts_->ReadWindows("fraud-prod", "1.1.0", 0, 1'000'000)->size(),
            3u);
  // Binary data survives (a window is an encoded blob).
  const std::string blob("\0\xff\x01", 3);
  ASSERT_TRUE(rollouts_->PutWindows({{"e", "v", 0, "r", blob}}).ok());
  EXPECT_EQ(rollouts_->ReadWindows("e", "v", 0, 1)->at(0).data, blob);
}

}  // namespace
}  // namespace slipway::internal_storage
