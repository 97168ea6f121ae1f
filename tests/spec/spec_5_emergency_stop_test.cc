// SPEC.md §5 — Emergency stop. One test per sentence of the section, on a
// real store file: the stop's file flag and store row, EmergencyStop::Check
// (the one check), the audit of each denial, and tracking through the public
// Store going on while the stop is set.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "slipway/testing/fake_clock.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "tests/audit/audit_test_util.h"

namespace slipway::internal_audit {
namespace {

using ::slipway::audit_test::EnvVars;
using ::slipway::audit_test::MessageOf;
using ::slipway::audit_test::ReasonOf;
using ::slipway::audit_test::TempDir;
using ::slipway::audit_test::ValueOf;
using ::testing::HasSubstr;

class Spec5EmergencyStop : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = internal_storage::SqliteAuditBackend::Open(path_, {}, &clock_);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    auditor_ = std::make_unique<Auditor>(
        backend_.get(), Env{.clock = &clock_},
        AuditorOptions{.user = "oncall", .env_vars = EnvVars({})});
    stop_ = MakeStop(EnvVars({}));
  }

  std::unique_ptr<EmergencyStop> MakeStop(EnvVarReader env_vars) {
    EmergencyStopOptions options;
    options.store_path = path_;
    options.env_vars = std::move(env_vars);
    options.warn = [](std::string_view) {};
    return std::make_unique<EmergencyStop>(backend_.get(), auditor_.get(),
                                           Env{.clock = &clock_}, options);
  }

  void Touch(const std::string& file) { std::ofstream(file) << "incident\n"; }

  TempDir dir_;
  const std::string path_ = dir_.File("slipway.db");
  testing::FakeClock clock_;
  std::unique_ptr<internal_storage::SqliteAuditBackend> backend_;
  std::unique_ptr<Auditor> auditor_;
  std::unique_ptr<EmergencyStop> stop_;
};

// "A stop flag halts every production operation: endpoint create/update/
// delete, model create/delete, production training pipeline triggers,
// production traffic changes, feature writes to production feature groups,
// and registry status changes to Approved."
TEST_F(Spec5EmergencyStop, AStopFlagHaltsEveryListedProductionOperation) {
  EXPECT_EQ(std::size(kAllOperations), 9u);
  for (Operation op : kAllOperations) {
    EXPECT_TRUE(stop_->Check(op, "production").ok());
  }
  ASSERT_TRUE(stop_->Activate("incident 7").ok());
  for (Operation op : kAllOperations) {
    absl::Status s = stop_->Check(op, "production");
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition)
        << DescribeOperation(op).command;
    EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
  }
}

// "The flag is a file (path configurable, default under the store's
// directory, overridable by environment variable)"
TEST_F(Spec5EmergencyStop, TheFlagIsAFileUnderTheStoreDirectoryOrElsewhere) {
  // Default: under the store's directory.
  Touch(dir_.File("slipway.STOP"));
  EXPECT_EQ(ValueOf(stop_->Check(Operation::kModelCreate, "production")),
            dir_.File("slipway.STOP"));
  std::remove(dir_.File("slipway.STOP").c_str());
  EXPECT_TRUE(stop_->Check(Operation::kModelCreate, "production").ok());
  // Overridden by the environment variable.
  const std::string elsewhere = dir_.File("other.STOP");
  std::unique_ptr<EmergencyStop> by_env =
      MakeStop(EnvVars({{"SLIPWAY_EMERGENCY_STOP_FILE", elsewhere}}));
  EXPECT_TRUE(by_env->Check(Operation::kModelCreate, "production").ok());
  Touch(elsewhere);
  EXPECT_EQ(ValueOf(by_env->Check(Operation::kModelCreate, "production")),
            elsewhere);
  // Configured by option.
  EmergencyStopOptions options;
  options.file_path = elsewhere;
  options.warn = [](std::string_view) {};
  EmergencyStop by_option(backend_.get(), auditor_.get(),
                          Env{.clock = &clock_}, options);
  EXPECT_EQ(ValueOf(by_option.Check(Operation::kModelCreate, "production")),
            elsewhere);
}

// "and, for shared stores, a row in the store so that every machine sees it."
TEST_F(Spec5EmergencyStop, TheFlagIsARowInTheStoreThatEveryUserOfItSees) {
  // Another machine: its own connection, auditor and stop on the same file.
  auto other = internal_storage::SqliteAuditBackend::Open(path_, {}, &clock_);
  ASSERT_TRUE(other.ok());
  Auditor other_auditor(other->get(), Env{.clock = &clock_},
                        {.env_vars = EnvVars({})});
  EmergencyStopOptions options;
  options.file_path = dir_.File("machine-b.STOP");  // not the same file
  EmergencyStop other_stop(other->get(), &other_auditor,
                           Env{.clock = &clock_}, options);
  ASSERT_TRUE(other_stop.Activate("set on machine b", "bob").ok());
  absl::Status s = stop_->Check(Operation::kEndpointUpdate, "production");
  EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
  EXPECT_THAT(MessageOf(s), HasSubstr("set on machine b"));
}

// "While it is set, those operations fail with an error that names the flag
// and how to clear it,"
TEST_F(Spec5EmergencyStop, TheErrorNamesTheFlagAndHowToClearIt) {
  ASSERT_TRUE(stop_->Activate("bad rollout", "alice").ok());
  absl::Status row = stop_->Check(Operation::kApproveVersion, "production");
  EXPECT_THAT(MessageOf(row), HasSubstr("store's stop flag, set by \"alice\""));
  EXPECT_THAT(MessageOf(row), HasSubstr("bad rollout"));
  EXPECT_THAT(GetErrorDetail(row)->fix, HasSubstr("clear"));
  ASSERT_TRUE(stop_->Clear().ok());

  Touch(dir_.File("slipway.STOP"));
  absl::Status file = stop_->Check(Operation::kApproveVersion, "production");
  EXPECT_THAT(MessageOf(file), HasSubstr(dir_.File("slipway.STOP")));
  EXPECT_THAT(GetErrorDetail(file)->fix,
              HasSubstr("rm \"" + dir_.File("slipway.STOP") + "\""));
  // Following the advice works.
  ASSERT_TRUE(stop_->Clear().ok());
  EXPECT_TRUE(stop_->Check(Operation::kApproveVersion, "production").ok());
}

// "and the denial is audited."
TEST_F(Spec5EmergencyStop, TheDenialIsAudited) {
  ASSERT_TRUE(stop_->Activate("incident").ok());
  ASSERT_FALSE(stop_->Check(Operation::kModelDelete, "production").ok());
  absl::StatusOr<std::vector<AuditRecord>> log = auditor_->Read({});
  ASSERT_TRUE(log.ok());
  ASSERT_FALSE(log->empty());
  const AuditRecord& denial = log->back();
  EXPECT_EQ(denial.command, "model.delete");
  EXPECT_EQ(denial.environment, "production");
  EXPECT_EQ(denial.outcome, AuditOutcome::kDenied);
  EXPECT_EQ(denial.reason, "EMERGENCY_STOP_ACTIVE");
  EXPECT_TRUE(auditor_->Verify().ok());
}

// "Reads and experiment logging go on."
TEST_F(Spec5EmergencyStop, ReadsAndExperimentLoggingGoOn) {
  Touch(dir_.File("slipway.STOP"));
  ASSERT_TRUE(stop_->Activate("incident").ok());
  ASSERT_FALSE(stop_->Check(Operation::kModelCreate, "production").ok());

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::shared_ptr<slipway::Run>> run =
      (*store)->StartRun({.experiment = "during-incident"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE((*run)->LogParam("lr", "0.01").ok());
  for (int step = 0; step < 100; ++step) {
    ASSERT_TRUE((*run)->LogMetric("loss", 1.0 / (step + 1), step).ok());
  }
  ASSERT_TRUE((*run)->End().ok());
  absl::StatusOr<MetricHistory> history =
      (*store)->GetMetricHistory((*run)->id(), "loss");
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->values.size(), 100u);
  // The stop's own state and the audit log stay readable.
  EXPECT_TRUE(stop_->Status()->active());
  EXPECT_TRUE(auditor_->Read({}).ok());
}

// SPEC §7 for §5: "Gates and stops apply in full to production; in other
// environments they warn and audit unless the policy says otherwise."
TEST_F(Spec5EmergencyStop, OutsideProductionTheStopWarnsAndAudits) {
  ASSERT_TRUE(stop_->Activate("incident").ok());
  EXPECT_TRUE(stop_->Check(Operation::kModelCreate, "staging").ok());
  absl::StatusOr<std::vector<AuditRecord>> log = auditor_->Read({});
  EXPECT_EQ(log->back().action, "warn");
  EXPECT_EQ(log->back().reason, "EMERGENCY_STOP_ACTIVE");
  EmergencyStopOptions strict;
  strict.store_path = path_;
  strict.enforce_in_all_environments = true;
  EmergencyStop everywhere(backend_.get(), auditor_.get(),
                           Env{.clock = &clock_}, strict);
  EXPECT_EQ(ReasonOf(everywhere.Check(Operation::kModelCreate, "staging")),
            "EMERGENCY_STOP_ACTIVE");
}

}  // namespace
}  // namespace slipway::internal_audit
