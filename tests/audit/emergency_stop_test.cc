// EmergencyStop on a real store file: the file flag and the store flag each
// stop every listed operation in production with EMERGENCY_STOP_ACTIVE
// naming the flag; each denial is audited once; clearing lets operations
// through; outside production a set flag warns and audits (SPEC §7) unless
// the policy enforces it everywhere.
#include "src/audit/emergency_stop.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/validate.h"
#include "src/audit/auditor.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::AuditStoreTest;
using ::slipway::audit_test::EnvVars;
using ::slipway::audit_test::MessageOf;
using ::slipway::audit_test::ReasonOf;
using ::slipway::audit_test::ValueOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class EmergencyStopTest : public AuditStoreTest {
 protected:
  void SetUp() override {
    AuditStoreTest::SetUp();
    stop_ = MakeStop({});
  }

  std::unique_ptr<EmergencyStop> MakeStop(EmergencyStopOptions options) {
    if (options.store_path.empty()) options.store_path = path_;
    if (!options.env_vars) options.env_vars = EnvVars({});
    options.warn = [this](std::string_view w) { warnings_.emplace_back(w); };
    return std::make_unique<EmergencyStop>(backend_.get(), auditor_.get(),
                                           Env{.clock = &clock_},
                                           std::move(options));
  }

  void WriteStopFile(const std::string& content) {
    std::ofstream(dir_.File("slipway.STOP")) << content;
  }

  std::vector<AuditRecord> Records() {
    absl::StatusOr<std::vector<AuditRecord>> all = auditor_->Read({.limit = 0});
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<AuditRecord>{};
  }

  std::unique_ptr<EmergencyStop> stop_;
  std::vector<std::string> warnings_;
};

TEST_F(EmergencyStopTest, DefaultFileIsBesideTheStore) {
  EXPECT_EQ(stop_->file_path(), dir_.File("slipway.STOP"));
}

TEST_F(EmergencyStopTest, FilePathFromOptionThenVariableThenStoreDirectory) {
  EXPECT_EQ(MakeStop({.file_path = "/tmp/a.STOP"})->file_path(),
            "/tmp/a.STOP");
  EmergencyStopOptions from_env;
  from_env.env_vars = EnvVars({{"SLIPWAY_EMERGENCY_STOP_FILE", "/tmp/b"}});
  EXPECT_EQ(MakeStop(std::move(from_env))->file_path(), "/tmp/b");
  EXPECT_EQ(MakeStop({.store_path = ":memory:"})->file_path(), "");
  EmergencyStopOptions memory_env;
  memory_env.store_path = ":memory:";
  memory_env.env_vars = EnvVars({{"SLIPWAY_EMERGENCY_STOP_FILE", "/tmp/c"}});
  EXPECT_EQ(MakeStop(std::move(memory_env))->file_path(), "/tmp/c");
  EXPECT_EQ(MakeStop({.store_path = "rel.db"})->file_path(), "slipway.STOP");
}

TEST_F(EmergencyStopTest, NothingSetLetsEveryOperationThroughUnaudited) {
  for (Operation op : kAllOperations) {
    EXPECT_TRUE(stop_->Check(op, "production").ok());
  }
  EXPECT_THAT(Records(), IsEmpty()) << "a passed check is not an operation";
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(EmergencyStopTest, StoreFlagStopsEveryOperationInProduction) {
  ASSERT_TRUE(stop_->Activate("incident 42: bad model", "oncall").ok());
  const size_t before = Records().size();
  for (Operation op : kAllOperations) {
    absl::Status s = stop_->Check(op, "production");
    const OperationInfo info = DescribeOperation(op);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << info.command;
    EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
    EXPECT_EQ(ValueOf(s), "store");
    EXPECT_THAT(MessageOf(s), HasSubstr(std::string(info.command)));
    EXPECT_THAT(MessageOf(s), HasSubstr("store's stop flag"));
    EXPECT_THAT(MessageOf(s), HasSubstr("\"oncall\""));
    EXPECT_THAT(MessageOf(s), HasSubstr("incident 42: bad model"));
    EXPECT_THAT(MessageOf(s), HasSubstr("2026-01-01T00:00:00.000Z"));
    EXPECT_THAT(GetErrorDetail(s)->fix, HasSubstr("EmergencyStop::Clear"));
    EXPECT_TRUE(IsAudited(s));
    // The denial is in the log.
    const AuditRecord last = Records().back();
    EXPECT_EQ(last.command, info.command);
    EXPECT_EQ(last.resource_type, info.resource_type);
    EXPECT_EQ(last.action, info.action);
    EXPECT_EQ(last.environment, "production");
    EXPECT_EQ(last.outcome, AuditOutcome::kDenied);
    EXPECT_EQ(last.reason, "EMERGENCY_STOP_ACTIVE");
    EXPECT_EQ(last.message, MessageOf(s));
  }
  EXPECT_EQ(Records().size(), before + std::size(kAllOperations));
  EXPECT_TRUE(auditor_->Verify().ok());
}

TEST_F(EmergencyStopTest, FileFlagStopsEveryOperationInProduction) {
  WriteStopFile("disk array failing\n");
  for (Operation op : kAllOperations) {
    absl::Status s = stop_->Check(op, "production");
    EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
    EXPECT_EQ(ValueOf(s), dir_.File("slipway.STOP"));
    EXPECT_THAT(MessageOf(s), HasSubstr("stop file \"" +
                                        dir_.File("slipway.STOP") + "\""));
    EXPECT_THAT(MessageOf(s), HasSubstr("\"disk array failing\""));
    EXPECT_THAT(MessageOf(s), HasSubstr("rm \"" + dir_.File("slipway.STOP")));
    EXPECT_EQ(Records().back().outcome, AuditOutcome::kDenied);
  }
}

TEST_F(EmergencyStopTest, AnEmptyStopFileIsEnough) {
  WriteStopFile("");
  EXPECT_EQ(ReasonOf(stop_->Check(Operation::kModelDelete, "production")),
            "EMERGENCY_STOP_ACTIVE");
}

TEST_F(EmergencyStopTest, ClearingLetsOperationsThroughAgain) {
  WriteStopFile("x");
  ASSERT_TRUE(stop_->Activate("incident", "oncall").ok());
  ASSERT_FALSE(stop_->Check(Operation::kTrafficChange, "production").ok());
  ASSERT_TRUE(stop_->Clear("lead").ok());
  EXPECT_FALSE(std::ifstream(dir_.File("slipway.STOP")).good());
  for (Operation op : kAllOperations) {
    EXPECT_TRUE(stop_->Check(op, "production").ok());
  }
  absl::StatusOr<StopState> state = stop_->Status();
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->active());
}

TEST_F(EmergencyStopTest, ActivateAndClearAreAudited) {
  ASSERT_TRUE(clock_.Advance(absl::Minutes(1)).ok());
  ASSERT_TRUE(stop_->Activate("incident 42", "oncall").ok());
  WriteStopFile("");
  ASSERT_TRUE(stop_->Clear("lead").ok());
  ASSERT_TRUE(stop_->Clear("").ok());  // nothing set: still recorded
  const std::vector<AuditRecord> records = Records();
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_EQ(records[0].command, "emergency_stop.activate");
  EXPECT_EQ(records[0].action, "activate");
  EXPECT_EQ(records[0].user, "oncall");
  EXPECT_EQ(records[0].message, "incident 42");
  EXPECT_EQ(records[0].environment, "*");
  EXPECT_EQ(records[0].outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(records[1].command, "emergency_stop.clear");
  EXPECT_EQ(records[1].user, "lead");
  EXPECT_THAT(records[1].message, HasSubstr("deleted the stop file"));
  EXPECT_THAT(records[1].message, HasSubstr("cleared the store's flag"));
  EXPECT_EQ(records[2].user, "alice");  // the Auditor's default
  EXPECT_EQ(records[2].message, "no flag was set");
}

TEST_F(EmergencyStopTest, StatusReportsBothFlags) {
  ASSERT_TRUE(clock_.Advance(absl::Seconds(90)).ok());
  ASSERT_TRUE(stop_->Activate("why", "who").ok());
  WriteStopFile("because");
  absl::StatusOr<StopState> state = stop_->Status();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->active());
  EXPECT_TRUE(state->file_set);
  EXPECT_EQ(state->file_path, dir_.File("slipway.STOP"));
  EXPECT_EQ(state->file_content, "because");
  ASSERT_TRUE(state->store.has_value());
  EXPECT_EQ(state->store->actor, "who");
  EXPECT_EQ(state->store->reason, "why");
  EXPECT_EQ(state->store->set_ms,
            absl::ToUnixMillis(testing::FakeClock::DefaultStart() +
                               absl::Seconds(90)));
  // Both flags are named when both are set.
  absl::Status s = stop_->Check(Operation::kEndpointDelete, "production");
  EXPECT_THAT(MessageOf(s), HasSubstr("stop file"));
  EXPECT_THAT(MessageOf(s), HasSubstr("store's stop flag"));
}

TEST_F(EmergencyStopTest, OutsideProductionASetFlagWarnsAuditsAndGoesOn) {
  ASSERT_TRUE(stop_->Activate("incident", "oncall").ok());
  for (const char* env : {"development", "staging"}) {
    AuditEvent context;
    context.environment = env;
    context.model_name = "fraud";
    EXPECT_TRUE(stop_->Check(Operation::kModelCreate, context).ok()) << env;
    const AuditRecord last = Records().back();
    EXPECT_EQ(last.command, "emergency_stop.check");
    EXPECT_EQ(last.action, "warn");
    EXPECT_EQ(last.environment, env);
    EXPECT_EQ(last.model_name, "fraud");
    EXPECT_EQ(last.outcome, AuditOutcome::kSuccess);
    EXPECT_EQ(last.reason, "EMERGENCY_STOP_ACTIVE");
    EXPECT_THAT(last.message, HasSubstr("model.create"));
  }
  ASSERT_THAT(warnings_, SizeIs(2));
  EXPECT_THAT(warnings_[0], HasSubstr("emergency stop is active"));
  EXPECT_THAT(warnings_[0], HasSubstr("SPEC §7"));
}

TEST_F(EmergencyStopTest, ThePolicyMayEnforceTheStopEverywhere) {
  std::unique_ptr<EmergencyStop> strict =
      MakeStop({.enforce_in_all_environments = true});
  ASSERT_TRUE(strict->Activate("incident", "oncall").ok());
  EXPECT_EQ(ReasonOf(strict->Check(Operation::kModelCreate, "development")),
            "EMERGENCY_STOP_ACTIVE");
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(EmergencyStopTest, EnvironmentNamesComeFromThePolicy) {
  ValidationPolicy policy;
  policy.environment = "dev";
  policy.environments = {{"dev", EnvironmentKind::kDevelopment},
                         {"prod-eu", EnvironmentKind::kProduction}};
  std::unique_ptr<EmergencyStop> stop = MakeStop({.policy = &policy});
  ASSERT_TRUE(stop->Activate("incident", "oncall").ok());
  EXPECT_EQ(ReasonOf(stop->Check(Operation::kFeatureWrite, "prod-eu")),
            "EMERGENCY_STOP_ACTIVE");
  EXPECT_TRUE(stop->Check(Operation::kFeatureWrite, "dev").ok());
  EXPECT_TRUE(stop->Check(Operation::kFeatureWrite, "").ok());  // "dev"
  // "production" is not an environment of this policy: unknown names are
  // treated as production.
  EXPECT_EQ(ReasonOf(stop->Check(Operation::kFeatureWrite, "production")),
            "EMERGENCY_STOP_ACTIVE");
}

TEST_F(EmergencyStopTest, ADenialInsideAuditorRunIsRecordedOnceWithItsContext) {
  ASSERT_TRUE(stop_->Activate("incident", "oncall").ok());
  const size_t before = Records().size();
  AuditEvent event = Event(1);  // production, model.create of fraud-1
  bool ran = false;
  absl::Status s = auditor_->Run(event, [&]() -> absl::Status {
    if (absl::Status c = stop_->Check(Operation::kModelCreate, event); !c.ok()) {
      return c;
    }
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_FALSE(ran);
  EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
  const std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), before + 1) << "one record for one operation";
  EXPECT_EQ(records.back().resource_name, "fraud-1");
  EXPECT_EQ(records.back().change_ticket, "MLOPS-2024-0456");
  EXPECT_EQ(records.back().outcome, AuditOutcome::kDenied);
}

TEST_F(EmergencyStopTest, AFlagSetThroughAnotherConnectionIsSeenAtOnce) {
  // Another process (here: another connection to the same file) sets it.
  auto other = internal_storage::SqliteAuditBackend::Open(path_, {}, &clock_);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)
                  ->SetStopFlag({.actor = "remote", .reason = "r", .set_ms = 0})
                  .ok());
  EXPECT_THAT(MessageOf(stop_->Check(Operation::kModelCreate, "production")),
              HasSubstr("remote"));
}

TEST_F(EmergencyStopTest, MemoryStoresUseOnlyTheStoreRowUnlessAFileIsNamed) {
  auto memory = internal_storage::SqliteAuditBackend::Open(":memory:", {},
                                                           &clock_);
  ASSERT_TRUE(memory.ok());
  Auditor auditor(memory->get(), Env{.clock = &clock_},
                  {.env_vars = EnvVars({})});
  EmergencyStopOptions options;
  options.store_path = ":memory:";
  options.env_vars = EnvVars({});
  EmergencyStop stop(memory->get(), &auditor, Env{.clock = &clock_}, options);
  WriteStopFile("not ours");  // beside the file store; irrelevant here
  EXPECT_TRUE(stop.Check(Operation::kModelCreate, "production").ok());
  ASSERT_TRUE(stop.Activate("x", "y").ok());
  EXPECT_EQ(ReasonOf(stop.Check(Operation::kModelCreate, "production")),
            "EMERGENCY_STOP_ACTIVE");
}

}  // namespace
}  // namespace slipway::internal_audit
