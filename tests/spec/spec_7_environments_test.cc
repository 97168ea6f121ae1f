// SPEC.md §7 — Environments, the registry side: "`development`, `staging`,
// `production` (names configurable). Gates and stops apply in full to
// production; in other environments they warn and audit unless the policy
// says otherwise." Through the public Store on real store files: the
// default RolePolicy's role gates (production and staging, not
// development), and the emergency stop on approvals and registrations
// (refused in production, warned about and audited elsewhere, refused
// everywhere when the policy says so).
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/registry.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "tests/registry/registry_test_util.h"

namespace slipway {
namespace {

using ::slipway::registry_test::kAlice;
using ::slipway::registry_test::kLead;
using ::slipway::registry_test::kPlatform;
using ::slipway::registry_test::MessageOf;
using ::slipway::registry_test::ReasonOf;
using ::slipway::registry_test::RegistryStoreTest;
using ::testing::HasSubstr;

class Spec7Environments : public RegistryStoreTest {
 protected:
  // A store file whose default environment is `environment`.
  std::unique_ptr<Store> OpenIn(const std::string& environment,
                                bool stop_everywhere = false) {
    StoreOptions options = Options();
    options.policy.environment = environment;
    options.emergency_stop_everywhere = stop_everywhere;
    return Open(dir_.File(environment + ".db"), options);
  }

  static void MustRegister(Store& store, const std::string& version) {
    absl::StatusOr<ModelVersionInfo> v = Register(store, "fraud", version);
    ASSERT_TRUE(v.ok()) << v.status();
  }

  static ApprovalStatus ApprovalOf(Store& store, const std::string& version) {
    absl::StatusOr<ModelVersionInfo> v = store.GetModelVersion("fraud", version);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->approval : ApprovalStatus::kNone;
  }
};

// --- Role gates ----------------------------------------------------------------

TEST_F(Spec7Environments, ApprovingAndRejectingNeedALeadInProductionAndStaging) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  int n = 0;
  for (const char* env : {"development", "staging", "production"}) {
    SCOPED_TRACE(env);
    const bool gated = std::string(env) != "development";
    for (ApprovalStatus to : {ApprovalStatus::kApproved, ApprovalStatus::kRejected}) {
      const std::string version = std::to_string(++n) + ".0.0";
      MustRegister(*store, version);
      for (const Actor& who : {kAlice, Actor{"eve", "intern"}}) {
        absl::Status s = store->SetApproval("fraud", version, to, who, "", env);
        if (gated) {
          EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
          EXPECT_EQ(ReasonOf(s), "ROLE_REQUIRED");
          EXPECT_THAT(MessageOf(s),
                      HasSubstr("data-science-lead, platform-lead, admin"));
          EXPECT_EQ(ApprovalOf(*store, version), ApprovalStatus::kNone);
          const AuditRecord last = AuditLog(*store).back();
          EXPECT_EQ(last.outcome, "denied");
          EXPECT_EQ(last.environment, env);
        } else {
          EXPECT_TRUE(s.ok()) << s;
          break;  // moved; the second actor would be an illegal move
        }
      }
      if (gated) {
        EXPECT_TRUE(store->SetApproval("fraud", version, to, kLead, "", env).ok());
      }
      EXPECT_EQ(ApprovalOf(*store, version), to);
    }
    // Asking for approval is open everywhere.
    const std::string version = std::to_string(++n) + ".0.0";
    MustRegister(*store, version);
    EXPECT_TRUE(store->SetApproval("fraud", version,
                                   ApprovalStatus::kPendingApproval, kAlice, "",
                                   env)
                    .ok());
  }
  EXPECT_TRUE(store->VerifyAuditLog().ok());
}

TEST_F(Spec7Environments, EveryLeadRoleMayApproveInProduction) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  int n = 0;
  for (const char* role : {"data-science-lead", "platform-lead", "admin"}) {
    const std::string version = std::to_string(++n) + ".0.0";
    MustRegister(*store, version);
    EXPECT_TRUE(store
                    ->SetApproval("fraud", version, ApprovalStatus::kApproved,
                                  {"someone", role}, "ok", "production")
                    .ok())
        << role;
    absl::StatusOr<std::vector<ApprovalEvent>> history =
        store->GetApprovalHistory("fraud", version);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].role, role);
    EXPECT_EQ((*history)[0].environment, "production");
  }
}

TEST_F(Spec7Environments, DeletingAVersionNeedsAPlatformRoleInProductionOnly) {
  for (const char* env : {"development", "staging", "production"}) {
    SCOPED_TRACE(env);
    auto store = OpenIn(env);
    ASSERT_NE(store, nullptr);
    MustRegister(*store, "1.0.0");
    MustRegister(*store, "2.0.0");
    if (std::string(env) == "production") {
      for (const Actor& who : {kAlice, kLead}) {
        absl::Status s = store->DeleteModelVersion("fraud", "1.0.0", who);
        EXPECT_EQ(ReasonOf(s), "ROLE_REQUIRED") << who.role;
        EXPECT_THAT(MessageOf(s), HasSubstr("platform-lead, admin"));
      }
      EXPECT_TRUE(store->GetModelVersion("fraud", "1.0.0").ok());
      EXPECT_TRUE(store->DeleteModelVersion("fraud", "1.0.0", kPlatform).ok());
      EXPECT_TRUE(
          store->DeleteModelVersion("fraud", "2.0.0", {"root", "admin"}).ok());
    } else {
      EXPECT_TRUE(store->DeleteModelVersion("fraud", "1.0.0", kAlice).ok());
      EXPECT_TRUE(store->DeleteModelVersion("fraud", "2.0.0", kLead).ok());
    }
    EXPECT_EQ(ReasonOf(store->GetModelVersion("fraud", "1.0.0").status()),
              "MODEL_VERSION_NOT_FOUND");
  }
}

TEST_F(Spec7Environments, AliasesAndArchivingAreOpenEverywhereByDefault) {
  for (const char* env : {"development", "staging", "production"}) {
    SCOPED_TRACE(env);
    auto store = OpenIn(env);
    ASSERT_NE(store, nullptr);
    MustRegister(*store, "1.0.0");
    EXPECT_TRUE(store->SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
    EXPECT_TRUE(store->DeleteAlias("fraud", "champion", kAlice).ok());
    EXPECT_TRUE(store->ArchiveModelVersion("fraud", "1.0.0", kAlice).ok());
  }
}

// "unless the policy says otherwise": a policy may gate development, or
// open production.
TEST_F(Spec7Environments, ThePolicyMaySayOtherwise) {
  StoreOptions options = Options();
  options.roles.rules = {{"development", "approve", {"admin"}},
                         {"development", "set_alias", {"release-bot"}}};
  auto store = OpenFile(options);
  ASSERT_NE(store, nullptr);
  MustRegister(*store, "1.0.0");
  MustRegister(*store, "2.0.0");
  EXPECT_EQ(ReasonOf(store->SetApproval("fraud", "1.0.0",
                                        ApprovalStatus::kApproved, kLead, "",
                                        "development")),
            "ROLE_REQUIRED");
  EXPECT_TRUE(store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                 {"root", "admin"}, "", "development")
                  .ok());
  EXPECT_EQ(ReasonOf(store->SetAlias("fraud", "champion", "1.0.0", kAlice)),
            "ROLE_REQUIRED");
  EXPECT_TRUE(
      store->SetAlias("fraud", "champion", "1.0.0", {"ci", "release-bot"}).ok());
  // Production has no rule in this policy: open.
  EXPECT_TRUE(store->SetApproval("fraud", "2.0.0", ApprovalStatus::kApproved,
                                 kAlice, "", "production")
                  .ok());
}

// "names configurable": a policy may call its environments anything; what
// each is for is its EnvironmentKind.
StoreOptions RenamedEnvironments(StoreOptions options) {
  options.policy.environments = {{"dev", EnvironmentKind::kDevelopment},
                                 {"stage", EnvironmentKind::kStaging},
                                 {"prod", EnvironmentKind::kProduction}};
  options.policy.environment = "dev";
  return options;
}

TEST_F(Spec7Environments, RenamedEnvironmentsWork) {
  auto store = OpenFile(RenamedEnvironments(Options()));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<ModelVersionInfo> v = Register(*store, "fraud", "1.0.0");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(store->SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  EXPECT_TRUE(store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                 kAlice, "", "dev")
                  .ok());
  EXPECT_EQ(ReasonOf(store->GetModelVersion("fraud", "latest", "prod").status()),
            "LATEST_IN_PRODUCTION");
  EXPECT_EQ(store->GetModelVersion("fraud", "latest", "stage")->version, "1.0.0");
  // The old names are not environments of this policy.
  EXPECT_EQ(ReasonOf(store->SetApproval("fraud", "1.0.0",
                                        ApprovalStatus::kRejected, kLead, "",
                                        "production")),
            "ENVIRONMENT_UNKNOWN");
}

// A production environment under another name is still production: the
// latest-refusal, the emergency stop and the default role gates all go by
// the environment's kind.
TEST_F(Spec7Environments, ARenamedProductionKeepsItsRoleGate) {
  auto store = OpenFile(RenamedEnvironments(Options()));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<ModelVersionInfo> v = Register(*store, "fraud", "1.0.0");
  ASSERT_TRUE(v.ok()) << v.status();
  absl::Status s = store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                      kAlice, "", "prod");
  EXPECT_EQ(ReasonOf(s), "ROLE_REQUIRED");
}

// --- The emergency stop ----------------------------------------------------------

TEST_F(Spec7Environments, TheStopRefusesApprovingInProduction) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  MustRegister(*store, "1.0.0");
  MustRegister(*store, "2.0.0");
  ASSERT_TRUE(store->ActivateEmergencyStop("incident 42", {"oncall", ""}).ok());
  const size_t before = AuditLog(*store).size();

  absl::Status s = store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                      kLead, "lgtm", "production");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
  EXPECT_THAT(MessageOf(s), HasSubstr("incident 42"));
  EXPECT_THAT(MessageOf(s), HasSubstr("\"oncall\""));
  EXPECT_THAT(GetErrorDetail(s)->fix, HasSubstr("ClearEmergencyStop"));
  EXPECT_EQ(ApprovalOf(*store, "1.0.0"), ApprovalStatus::kNone);
  EXPECT_THAT(*store->GetApprovalHistory("fraud", "1.0.0"), ::testing::IsEmpty());

  // One record for the refused call: denied, with the stop's reason.
  std::vector<AuditRecord> log = AuditLog(*store);
  ASSERT_EQ(log.size(), before + 1);
  EXPECT_EQ(log.back().command, "model_version.set_approval");
  EXPECT_EQ(log.back().outcome, "denied");
  EXPECT_EQ(log.back().reason, "EMERGENCY_STOP_ACTIVE");
  EXPECT_EQ(log.back().environment, "production");
  EXPECT_EQ(log.back().model_version, "1.0.0");
  EXPECT_EQ(log.back().user, "lena");

  // Only changes *to Approved* are halted (SPEC §5); reads go on.
  EXPECT_TRUE(store->SetApproval("fraud", "2.0.0", ApprovalStatus::kRejected,
                                 kLead, "", "production")
                  .ok());
  EXPECT_TRUE(store->SetApproval("fraud", "1.0.0",
                                 ApprovalStatus::kPendingApproval, kAlice, "",
                                 "production")
                  .ok());
  EXPECT_TRUE(store->GetModelVersion("fraud", "1.0.0", "production").ok());

  // Cleared, the same call goes through.
  ASSERT_TRUE(store->ClearEmergencyStop({"oncall", ""}).ok());
  EXPECT_TRUE(store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                 kLead, "lgtm", "production")
                  .ok());
  EXPECT_EQ(ApprovalOf(*store, "1.0.0"), ApprovalStatus::kApproved);
  EXPECT_TRUE(store->VerifyAuditLog().ok());
}

TEST_F(Spec7Environments, TheStopFileRefusesApprovingInProduction) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  MustRegister(*store, "1.0.0");
  std::ofstream(dir_.File("slipway.STOP")) << "db migration\n";
  absl::Status s = store->SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                                      kLead, "", "production");
  EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE");
  EXPECT_THAT(MessageOf(s), HasSubstr(dir_.File("slipway.STOP")));
  EXPECT_THAT(MessageOf(s), HasSubstr("db migration"));
  EXPECT_EQ(ApprovalOf(*store, "1.0.0"), ApprovalStatus::kNone);
  EXPECT_TRUE(store->GetEmergencyStop()->file_set);
}

TEST_F(Spec7Environments, OutsideProductionTheStopWarnsAndAudits) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  MustRegister(*store, "1.0.0");
  MustRegister(*store, "2.0.0");
  ASSERT_TRUE(store->ActivateEmergencyStop("incident", {"oncall", ""}).ok());

  int n = 0;
  for (const char* env : {"development", "staging"}) {
    SCOPED_TRACE(env);
    const std::string version = std::to_string(++n) + ".0.0";
    const size_t before = AuditLog(*store).size();
    absl::Status s = store->SetApproval("fraud", version,
                                        ApprovalStatus::kApproved, kLead, "", env);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(ApprovalOf(*store, version), ApprovalStatus::kApproved);
    // The skipped safeguard, then the operation itself.
    std::vector<AuditRecord> log = AuditLog(*store);
    ASSERT_EQ(log.size(), before + 2);
    const AuditRecord& warning = log[before];
    EXPECT_EQ(warning.command, "emergency_stop.check");
    EXPECT_EQ(warning.action, "warn");
    EXPECT_EQ(warning.outcome, "success");
    EXPECT_EQ(warning.reason, "EMERGENCY_STOP_ACTIVE");
    EXPECT_EQ(warning.environment, env);
    EXPECT_EQ(warning.model_name, "fraud");
    EXPECT_EQ(warning.model_version, version);
    EXPECT_THAT(warning.message, HasSubstr("goes on"));
    const AuditRecord& done = log[before + 1];
    EXPECT_EQ(done.command, "model_version.set_approval");
    EXPECT_EQ(done.outcome, "success");
    EXPECT_EQ(done.environment, env);
  }
  EXPECT_TRUE(store->VerifyAuditLog().ok());
}

TEST_F(Spec7Environments, ThePolicyMayEnforceTheStopEverywhere) {
  auto store = OpenIn("development", /*stop_everywhere=*/true);
  ASSERT_NE(store, nullptr);
  MustRegister(*store, "1.0.0");
  ASSERT_TRUE(store->ActivateEmergencyStop("incident", {"oncall", ""}).ok());
  for (const char* env : {"development", "staging", "production"}) {
    absl::Status s = store->SetApproval("fraud", "1.0.0",
                                        ApprovalStatus::kApproved, kLead, "", env);
    EXPECT_EQ(ReasonOf(s), "EMERGENCY_STOP_ACTIVE") << env;
  }
  EXPECT_EQ(ApprovalOf(*store, "1.0.0"), ApprovalStatus::kNone);
  // Registering creates a model version: halted too, nothing written.
  EXPECT_EQ(ReasonOf(Register(*store, "fraud", "2.0.0").status()),
            "EMERGENCY_STOP_ACTIVE");
  EXPECT_THAT(VersionsOf(*store, "fraud"), ::testing::ElementsAre("1.0.0"));
}

TEST_F(Spec7Environments, RegisteringIsHaltedInProductionAndWarnedElsewhere) {
  for (const char* env : {"development", "staging", "production"}) {
    SCOPED_TRACE(env);
    auto store = OpenIn(env);
    ASSERT_NE(store, nullptr);
    MustRegister(*store, "1.0.0");
    ASSERT_TRUE(store->ActivateEmergencyStop("incident", {"oncall", ""}).ok());
    absl::StatusOr<ModelVersionInfo> v = Register(*store, "fraud", "2.0.0");
    absl::Status deleted = store->DeleteModelVersion("fraud", "1.0.0", kPlatform);
    const AuditRecord last = AuditLog(*store).back();
    if (std::string(env) == "production") {
      EXPECT_EQ(ReasonOf(v.status()), "EMERGENCY_STOP_ACTIVE");
      EXPECT_EQ(ReasonOf(deleted), "EMERGENCY_STOP_ACTIVE");
      EXPECT_THAT(VersionsOf(*store, "fraud"), ::testing::ElementsAre("1.0.0"));
      EXPECT_EQ(last.outcome, "denied");
      EXPECT_EQ(last.command, "model_version.delete");
    } else {
      EXPECT_TRUE(v.ok()) << v.status();
      EXPECT_TRUE(deleted.ok()) << deleted;
      EXPECT_THAT(VersionsOf(*store, "fraud"), ::testing::ElementsAre("2.0.0"));
      EXPECT_EQ(last.outcome, "success");
      const std::vector<AuditRecord> log = AuditLog(*store);
      int warnings = 0;
      for (const AuditRecord& r : log) warnings += r.action == "warn";
      EXPECT_EQ(warnings, 2);  // one for the registration, one for the delete
    }
    EXPECT_TRUE(store->VerifyAuditLog().ok());
  }
}

}  // namespace
}  // namespace slipway
