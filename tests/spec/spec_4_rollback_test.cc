// SPEC.md §4 — Rollback: "The previous 3 versions of every deployed model
// stay retained and ready; retention never removes them." Through the public
// Store on a real store file: ArchiveModelVersion and DeleteModelVersion
// refuse the 3 most recent versions deployed to each endpoint and every
// version an active rollout holds (FailedPrecondition RETENTION_PROTECTED,
// saying why), allow older ones, and leave a refused version readable and
// its artifacts downloadable.
//
// Where deployments come from: the Store has no call that records a
// deployment or a hold — rollouts will write them (RegistryBackend::
// RecordDeployment / SetHold / ReleaseHold). This test plays that rollout
// process: it opens its own Database on the same store file and writes
// through SqliteRegistryBackend, the storage code a rollout will use. That
// also shows retention reads the shared store, not state in the Store's
// memory, which is what lets another process's deployments protect a
// version. (Inserting rows with raw SQL would instead duplicate the schema
// here.)
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/sqlite_registry_backend.h"
#include "tests/registry/registry_test_util.h"

namespace slipway {
namespace {

using ::slipway::registry_test::Bytes;
using ::slipway::registry_test::kAlice;
using ::slipway::registry_test::kPlatform;
using ::slipway::registry_test::MessageOf;
using ::slipway::registry_test::ReadFile;
using ::slipway::registry_test::ReasonOf;
using ::slipway::registry_test::RegistryStoreTest;
using ::slipway::registry_test::WriteFile;
using ::testing::HasSubstr;

class Spec4Rollback : public RegistryStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenFile();
    ASSERT_NE(store_, nullptr);
    // The "rollout process": its own connection to the same file.
    absl::StatusOr<std::unique_ptr<internal_storage::Database>> db =
        internal_storage::Database::Open(path_, {}, nullptr);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    rollouts_ = std::make_unique<internal_storage::SqliteRegistryBackend>(db_.get());
    WriteFile(dir_.File("model.pt"), Bytes(4096, 9));
  }

  // Registers `version` of "fraud" with an artifact.
  void RegisterWithArtifact(const std::string& version) {
    RegisterModelVersionRequest r;
    r.model = "fraud";
    r.version = version;
    r.artifact_paths = {dir_.File("model.pt")};
    r.actor = kAlice;
    absl::StatusOr<ModelVersionInfo> v = store_->RegisterModelVersion(r);
    ASSERT_TRUE(v.ok()) << version << ": " << v.status();
  }

  void Deploy(const std::string& endpoint, const std::string& model,
              const std::string& version) {
    deployed_ms_ += 60'000;
    ASSERT_TRUE(
        rollouts_->RecordDeployment(endpoint, model, version, deployed_ms_).ok());
  }

  // Archive and delete are both refused with RETENTION_PROTECTED naming
  // `why`; the version stays as it was and its artifacts restore.
  void ExpectRetained(const std::string& version, const std::string& why) {
    SCOPED_TRACE("version " + version);
    for (const bool archive : {true, false}) {
      absl::Status s = archive
                           ? store_->ArchiveModelVersion("fraud", version, kPlatform)
                           : store_->DeleteModelVersion("fraud", version, kPlatform);
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition)
          << (archive ? "archive: " : "delete: ") << s;
      EXPECT_EQ(ReasonOf(s), "RETENTION_PROTECTED");
      EXPECT_THAT(MessageOf(s), HasSubstr(version));
      EXPECT_THAT(MessageOf(s), HasSubstr(why));
      EXPECT_THAT(GetErrorDetail(s)->rule, HasSubstr("SPEC §4"));
    }
    absl::StatusOr<ModelVersionInfo> v = store_->GetModelVersion("fraud", version);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_FALSE(v->archived);
    // "ready": its artifacts are there and verify.
    const std::string out = dir_.File("ready-" + version);
    ASSERT_TRUE(store_->DownloadArtifacts("fraud", version, out).ok());
    EXPECT_EQ(ReadFile(out + "/model.pt"), ReadFile(dir_.File("model.pt")));
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<internal_storage::Database> db_;
  std::unique_ptr<internal_storage::SqliteRegistryBackend> rollouts_;
  int64_t deployed_ms_ = 1'767'225'600'000;  // 2026-01-01
};

// "The previous 3 versions of every deployed model stay retained and ready;
// retention never removes them."
TEST_F(Spec4Rollback, TheThreeMostRecentDeployedVersionsAreRetained) {
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0"}) {
    RegisterWithArtifact(v);
  }
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}) {
    Deploy("fraud-prod", "fraud", v);
  }
  for (const char* v : {"1.4.0", "1.3.0", "1.2.0"}) {
    ExpectRetained(v, "3 most recent versions deployed to endpoint \"fraud-prod\"");
  }
  // Older deployed versions, and versions never deployed, may go.
  EXPECT_TRUE(store_->ArchiveModelVersion("fraud", "1.1.0", kAlice).ok());
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "1.0.0", kAlice).ok());
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "1.5.0", kAlice).ok());
  EXPECT_EQ(ReasonOf(store_->GetModelVersion("fraud", "1.0.0").status()),
            "MODEL_VERSION_NOT_FOUND");
  EXPECT_TRUE(store_->GetModelVersion("fraud", "1.1.0")->archived);
}

TEST_F(Spec4Rollback, RetentionCountsDistinctVersionsAndFollowsRedeployments) {
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0"}) RegisterWithArtifact(v);
  // Redeploying one version many times does not push others out.
  Deploy("fraud-prod", "fraud", "1.0.0");
  Deploy("fraud-prod", "fraud", "1.1.0");
  Deploy("fraud-prod", "fraud", "1.2.0");
  Deploy("fraud-prod", "fraud", "1.2.0");
  Deploy("fraud-prod", "fraud", "1.2.0");
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0"}) {
    ExpectRetained(v, "fraud-prod");
  }
  // 1.3.0 goes out, then a rollback to 1.1.0: the three most recent are now
  // 1.1.0, 1.3.0 and 1.2.0, so 1.0.0 is free.
  Deploy("fraud-prod", "fraud", "1.3.0");
  Deploy("fraud-prod", "fraud", "1.1.0");
  for (const char* v : {"1.1.0", "1.3.0", "1.2.0"}) {
    ExpectRetained(v, "fraud-prod");
  }
  EXPECT_TRUE(store_->ArchiveModelVersion("fraud", "1.0.0", kAlice).ok());
}

TEST_F(Spec4Rollback, EveryEndpointKeepsItsOwnThree) {
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}) {
    RegisterWithArtifact(v);
  }
  Deploy("fraud-eu", "fraud", "1.0.0");
  for (const char* v : {"1.1.0", "1.2.0", "1.3.0", "1.4.0"}) {
    Deploy("fraud-us", "fraud", v);
  }
  // 1.0.0 is old for fraud-us's history but the only one of fraud-eu's.
  ExpectRetained("1.0.0", "endpoint \"fraud-eu\"");
  for (const char* v : {"1.2.0", "1.3.0", "1.4.0"}) {
    ExpectRetained(v, "endpoint \"fraud-us\"");
  }
  EXPECT_TRUE(store_->ArchiveModelVersion("fraud", "1.1.0", kAlice).ok());
}

TEST_F(Spec4Rollback, OtherModelsDeploymentsDoNotProtectAVersion) {
  RegisterWithArtifact("1.0.0");
  Deploy("churn-prod", "churn", "1.0.0");
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "1.0.0", kAlice).ok());
}

TEST_F(Spec4Rollback, AVersionAnActiveRolloutHoldsIsRetained) {
  RegisterWithArtifact("1.0.0");
  RegisterWithArtifact("2.0.0");
  ASSERT_TRUE(
      rollouts_->SetHold("fraud", "2.0.0", "rollout-7", "canary in progress").ok());
  ExpectRetained("2.0.0", "held by rollout-7: canary in progress");
  // A second holder; releasing one still leaves the other.
  ASSERT_TRUE(rollouts_->SetHold("fraud", "2.0.0", "rollout-8", "shadow").ok());
  ASSERT_TRUE(rollouts_->ReleaseHold("fraud", "2.0.0", "rollout-7").ok());
  ExpectRetained("2.0.0", "held by rollout-8: shadow");
  ASSERT_TRUE(rollouts_->ReleaseHold("fraud", "2.0.0", "rollout-8").ok());
  EXPECT_TRUE(store_->ArchiveModelVersion("fraud", "2.0.0", kAlice).ok());
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "1.0.0", kAlice).ok());
}

TEST_F(Spec4Rollback, DeployedAndHeldReasonsAreBothGiven) {
  RegisterWithArtifact("1.0.0");
  Deploy("fraud-prod", "fraud", "1.0.0");
  ASSERT_TRUE(rollouts_->SetHold("fraud", "1.0.0", "rollout-9", "stable").ok());
  absl::Status s = store_->DeleteModelVersion("fraud", "1.0.0", kAlice);
  EXPECT_EQ(ReasonOf(s), "RETENTION_PROTECTED");
  EXPECT_THAT(MessageOf(s), HasSubstr("fraud-prod"));
  EXPECT_THAT(MessageOf(s), HasSubstr("rollout-9"));
}

// Retention is not a role: even the roles that may delete in production
// cannot remove a retained version, and the refusal is audited as denied.
TEST_F(Spec4Rollback, RetentionHoldsForEveryRoleAndIsAudited) {
  StoreOptions production = Options();
  production.policy.environment = "production";
  store_.reset();
  store_ = OpenFile(production);
  ASSERT_NE(store_, nullptr);
  RegisterWithArtifact("1.0.0");
  Deploy("fraud-prod", "fraud", "1.0.0");
  for (const Actor& who : {Actor{"root", "admin"}, kPlatform}) {
    absl::Status s = store_->DeleteModelVersion("fraud", "1.0.0", who);
    EXPECT_EQ(ReasonOf(s), "RETENTION_PROTECTED") << who.role;
    EXPECT_EQ(ReasonOf(store_->ArchiveModelVersion("fraud", "1.0.0", who)),
              "RETENTION_PROTECTED")
        << who.role;
  }
  absl::StatusOr<std::vector<AuditRecord>> log = store_->GetAuditLog();
  ASSERT_TRUE(log.ok());
  ASSERT_GE(log->size(), 4u);
  for (size_t i = log->size() - 4; i < log->size(); ++i) {
    const AuditRecord& r = (*log)[i];
    EXPECT_THAT(r.command, ::testing::AnyOf("model_version.delete",
                                            "model_version.archive"));
    EXPECT_EQ(r.outcome, "denied");
    EXPECT_EQ(r.reason, "RETENTION_PROTECTED");
    EXPECT_EQ(r.model_version, "1.0.0");
    EXPECT_EQ(r.environment, "production");
  }
  EXPECT_TRUE(store_->VerifyAuditLog().ok());
  EXPECT_TRUE(store_->GetModelVersion("fraud", "1.0.0").ok());
}

TEST_F(Spec4Rollback, RevisionVersionsAreRetainedToo) {
  for (int i = 0; i < 5; ++i) RegisterWithArtifact("");
  for (const char* v : {"1", "2", "3", "4", "5"}) Deploy("churn-prod", "fraud", v);
  for (const char* v : {"5", "4", "3"}) ExpectRetained(v, "churn-prod");
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "2", kAlice).ok());
  EXPECT_TRUE(store_->DeleteModelVersion("fraud", "1", kAlice).ok());
}

}  // namespace
}  // namespace slipway
