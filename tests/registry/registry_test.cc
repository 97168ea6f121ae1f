// The model registry through the public Store (slipway/store.h), on
// ":memory:" and on real store files: registration and version schemes,
// validation of what a version records, aliases and `latest`, approvals and
// roles, validation records, lineage, artifacts (incl. a corrupted blob),
// version search, and the audit record of every state-changing call.
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/registry.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "tests/registry/registry_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::registry_test {
namespace {

using ::slipway::storage_test::RawConnection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

using KV = std::pair<std::string, std::string>;

// Runs each test on ":memory:" and on a store file.
class RegistryTest : public RegistryStoreTest,
                     public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    uri_ = GetParam() == "memory" ? std::string(":memory:") : path_;
    store_ = Open(uri_, Options());
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

  std::string uri_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, RegistryTest,
                         ::testing::Values("memory", "file"),
                         [](const auto& info) { return info.param; });

// --- Registration ------------------------------------------------------------

TEST_P(RegistryTest, RegistersExplicitSemanticVersions) {
  absl::StatusOr<ModelVersionInfo> v = Register(store(), "fraud", "2.4.1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->model, "fraud");
  EXPECT_EQ(v->version, "2.4.1");
  // A leading "v" and leading zeros are spellings of the canonical version.
  absl::StatusOr<ModelVersionInfo> rc = Register(store(), "fraud", "v3.0.0-rc.1");
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(rc->version, "3.0.0-rc.1");
  ASSERT_TRUE(Register(store(), "fraud", "03.0.0").ok());
  ASSERT_TRUE(Register(store(), "fraud", "2.10.0").ok());
  EXPECT_THAT(VersionsOf(store(), "fraud"),
              ElementsAre("2.4.1", "2.10.0", "3.0.0-rc.1", "3.0.0"));
  absl::StatusOr<RegisteredModel> m = store().GetModel("fraud");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->scheme, VersionScheme::kSemver);
  EXPECT_EQ(m->created_ms, clock_.NowUnixMillis());
  // The same version by another spelling reads the same row.
  absl::StatusOr<ModelVersionInfo> again = store().GetModelVersion("fraud", "v2.4.1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->version, "2.4.1");
}

TEST_P(RegistryTest, AssignsRevisionsWhenNoVersionIsGiven) {
  for (const char* expected : {"1", "2", "3"}) {
    absl::StatusOr<ModelVersionInfo> v = Register(store(), "churn", "");
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->version, expected);
  }
  // An explicit next integer is fine; the count goes on from the maximum.
  ASSERT_TRUE(Register(store(), "churn", "10").ok());
  absl::StatusOr<ModelVersionInfo> next = Register(store(), "churn", "");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->version, "11");
  EXPECT_THAT(VersionsOf(store(), "churn"), ElementsAre("1", "2", "3", "10", "11"));
  EXPECT_EQ(store().GetModel("churn")->scheme, VersionScheme::kRevision);
  // Revisions are per model.
  absl::StatusOr<ModelVersionInfo> other = Register(store(), "other-model", "");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->version, "1");
}

TEST_P(RegistryTest, SchemeMismatchIsRefusedAndWritesNothing) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  ASSERT_TRUE(Register(store(), "churn", "").ok());
  const std::string artifact = dir_.File("model.bin");
  WriteFile(artifact, "weights");

  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "";  // a revision for a semver model
  r.tags = {{"team", "risk"}};
  r.datasets = {{"/data/ml/train.parquet", "sha256:00"}};
  r.artifact_paths = {artifact};
  r.actor = kAlice;
  for (const char* version : {"", "2"}) {
    r.version = version;
    absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition) << version;
    EXPECT_EQ(ReasonOf(v.status()), "VERSION_SCHEME_MISMATCH") << version;
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("semver"));
  }
  r.model = "churn";
  r.version = "1.0.0";
  absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
  EXPECT_EQ(ReasonOf(v.status()), "VERSION_SCHEME_MISMATCH");
  EXPECT_THAT(GetErrorDetail(v.status())->fix, HasSubstr("empty"));

  EXPECT_THAT(VersionsOf(store(), "fraud"), ElementsAre("1.0.0"));
  EXPECT_THAT(VersionsOf(store(), "churn"), ElementsAre("1"));
  EXPECT_EQ(store().GetModel("fraud")->scheme, VersionScheme::kSemver);
  EXPECT_EQ(store().GetModel("churn")->scheme, VersionScheme::kRevision);
  // No list row of the refused versions either.
  for (const char* model : {"fraud", "churn"}) {
    absl::StatusOr<std::vector<ModelVersionInfo>> all =
        store().ListModelVersions(model);
    ASSERT_TRUE(all.ok());
    for (const ModelVersionInfo& mv : *all) {
      EXPECT_THAT(mv.tags, IsEmpty());
      EXPECT_THAT(mv.datasets, IsEmpty());
      EXPECT_THAT(mv.artifacts, IsEmpty());
    }
  }
  if (uri_ != ":memory:") {
    RawConnection raw(path_);
    for (const char* table : {"model_version_tag", "model_version_dataset",
                              "model_version_artifact"}) {
      EXPECT_EQ(raw.Query(std::string("SELECT count(*) FROM ") + table), "0")
          << table;
    }
    EXPECT_EQ(raw.Query("SELECT count(*) FROM model_version"), "2");
  }
}

TEST_P(RegistryTest, ADuplicateVersionIsAlreadyExists) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  for (const char* spelling : {"1.0.0", "v1.0.0", "01.0.0"}) {
    absl::StatusOr<ModelVersionInfo> v = Register(store(), "fraud", spelling);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kAlreadyExists) << spelling;
    EXPECT_EQ(ReasonOf(v.status()), "MODEL_VERSION_EXISTS") << spelling;
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("\"1.0.0\""));
  }
  ASSERT_TRUE(Register(store(), "churn", "").ok());
  EXPECT_EQ(ReasonOf(Register(store(), "churn", "1").status()),
            "MODEL_VERSION_EXISTS");
  EXPECT_THAT(VersionsOf(store(), "fraud"), ElementsAre("1.0.0"));
}

TEST_P(RegistryTest, AnUnknownRunIsRunNotFoundAndCreatesNoModel) {
  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  r.run_id = std::string(32, 'a');
  r.tags = {{"k", "v"}};
  absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(v.status()), "RUN_NOT_FOUND");
  EXPECT_THAT(MessageOf(v.status()), HasSubstr(std::string(32, 'a')));
  // The model the failed registration would have created is not there.
  EXPECT_EQ(ReasonOf(store().GetModel("fraud").status()), "MODEL_NOT_FOUND");
  EXPECT_THAT(*store().ListModels(), IsEmpty());
}

TEST_P(RegistryTest, InvalidNamesAndVersionsAreRefused) {
  EXPECT_EQ(ReasonOf(Register(store(), "Fraud Model", "1.0.0").status()),
            "MODEL_NAME_INVALID");
  EXPECT_EQ(ReasonOf(Register(store(), "fraud", "1.0").status()),
            "MODEL_VERSION_INVALID");
  EXPECT_EQ(ReasonOf(Register(store(), "fraud", "latest").status()),
            "MODEL_VERSION_INVALID");
  EXPECT_EQ(ReasonOf(Register(store(), "fraud", "0").status()),
            "MODEL_VERSION_INVALID");
  EXPECT_THAT(*store().ListModels(), IsEmpty());
}

TEST_P(RegistryTest, DatasetsAreValidatedPathsWithOptionalDigests) {
  auto with = [&](std::vector<DatasetRef> datasets, const std::string& version) {
    RegisterModelVersionRequest r;
    r.model = "fraud";
    r.version = version;
    r.datasets = std::move(datasets);
    return store().RegisterModelVersion(r);
  };
  // SPEC §1 approved prefixes.
  absl::StatusOr<ModelVersionInfo> ok =
      with({{"/data/ml/train.parquet", "sha256:" + std::string(64, 'a')},
            {"s3://ml-data/eval/2026-01.csv", ""},
            {"/data/ml/features/", "md5:0cc175b9c0f1b6a831c399e269772661"}},
           "1.0.0");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->datasets.size(), 3u);
  // Sorted by path.
  EXPECT_EQ(ok->datasets[0].path, "/data/ml/features/");
  EXPECT_EQ(ok->datasets[1].path, "/data/ml/train.parquet");
  EXPECT_EQ(ok->datasets[1].digest, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(ok->datasets[2].path, "s3://ml-data/eval/2026-01.csv");
  EXPECT_EQ(ok->datasets[2].digest, "");

  struct Bad {
    std::string path;
    std::string digest;
    std::string reason;
  };
  const std::vector<Bad> bad = {
      {"/data/ml-evil/x", "", "DATASET_PATH_NOT_APPROVED"},
      {"/data/mlx", "", "DATASET_PATH_NOT_APPROVED"},
      {"/etc/passwd", "", "DATASET_PATH_NOT_APPROVED"},
      {"s3://ml-data-evil/x", "", "DATASET_PATH_NOT_APPROVED"},
      {"/data/ml/../secrets", "", "DATASET_PATH_INVALID"},
      {"/data/ml/%2e%2e/secrets", "", "DATASET_PATH_INVALID"},
      {"/data/ml//x", "", "DATASET_PATH_INVALID"},
      {"data/ml/x", "", "DATASET_PATH_INVALID"},
      {"~/data/ml/x", "", "DATASET_PATH_INVALID"},
      {"/data/ml/x", "no-colon", "DATASET_DIGEST_INVALID"},
      {"/data/ml/x", "sha256:has space", "DATASET_DIGEST_INVALID"},
      {"/data/ml/x", "sha256:" + std::string(300, 'a'), "DATASET_DIGEST_INVALID"},
      {"/data/ml/x", std::string("sha256:\x01", 8), "DATASET_DIGEST_INVALID"},
  };
  for (const Bad& b : bad) {
    absl::StatusOr<ModelVersionInfo> v = with({{b.path, b.digest}}, "2.0.0");
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument)
        << b.path << " " << b.digest;
    EXPECT_EQ(ReasonOf(v.status()), b.reason) << b.path << " " << b.digest;
  }
  // A dataset listed twice.
  EXPECT_EQ(ReasonOf(with({{"/data/ml/a", ""}, {"/data/ml/a", "sha256:1"}},
                          "2.0.0")
                         .status()),
            "DATASET_DUPLICATE");
  // A bad dataset among good ones refuses the whole version.
  EXPECT_EQ(ReasonOf(with({{"/data/ml/a", ""}, {"/data/ml-evil/b", ""}}, "2.0.0")
                         .status()),
            "DATASET_PATH_NOT_APPROVED");
  EXPECT_THAT(VersionsOf(store(), "fraud"), ElementsAre("1.0.0"));
}

TEST_P(RegistryTest, MetadataAndSignatureMustBeJsonObjects) {
  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  for (const char* bad : {"", "[]", "42", "\"text\"", "null", "{", "{'a':1}"}) {
    r.metadata_json = bad;
    r.signature_json = "{}";
    absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ReasonOf(v.status()), "METADATA_INVALID") << bad;
    r.metadata_json = "{}";
    r.signature_json = bad;
    v = store().RegisterModelVersion(r);
    EXPECT_EQ(ReasonOf(v.status()), "SIGNATURE_INVALID") << bad;
  }
  r.metadata_json = "{\"big\": \"" + std::string((1 << 20) + 1, 'x') + "\"}";
  r.signature_json = "{}";
  EXPECT_EQ(ReasonOf(store().RegisterModelVersion(r).status()),
            "METADATA_INVALID");
  EXPECT_EQ(ReasonOf(store().GetModel("fraud").status()), "MODEL_NOT_FOUND");
}

TEST_P(RegistryTest, EveryFieldRoundTrips) {
  absl::StatusOr<std::shared_ptr<slipway::Run>> run =
      store().StartRun({.experiment = "fraud"});
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string artifact = dir_.File("model.pt");
  WriteFile(artifact, Bytes(5000, 1));

  RegisterModelVersionRequest r;
  r.model = "fraud-detection";
  r.version = "v2.4.1";
  r.run_id = (*run)->id();
  r.artifact_paths = {artifact};
  r.datasets = {{"/data/ml/train.parquet", "sha256:abc"},
                {"/data/ml/eval.parquet", ""}};
  r.code_version = "git:0123abc";
  r.description = "gradient boosting, \xe2\x9c\x93 unicode";
  r.metadata_json = R"({"framework": "torch", "params": {"depth": 6}})";
  r.signature_json = R"({"inputs": {"amount": "float"}, "outputs": {"score": "float"}})";
  r.tags = {{"team", "risk"}, {"owner", "alice"}, {"empty", ""}};
  r.actor = {"alice@example.com", "ml-engineer"};
  ASSERT_TRUE(clock_.Advance(absl::Seconds(42)).ok());
  absl::StatusOr<ModelVersionInfo> registered = store().RegisterModelVersion(r);
  ASSERT_TRUE(registered.ok()) << registered.status();
  absl::StatusOr<ModelVersionInfo> read =
      store().GetModelVersion("fraud-detection", "2.4.1");
  ASSERT_TRUE(read.ok()) << read.status();

  for (const ModelVersionInfo* v : {&*registered, &*read}) {
    EXPECT_EQ(v->model, "fraud-detection");
    EXPECT_EQ(v->version, "2.4.1");
    EXPECT_EQ(v->run_id, (*run)->id());
    EXPECT_EQ(v->code_version, "git:0123abc");
    EXPECT_EQ(v->description, r.description);
    EXPECT_EQ(v->metadata_json, r.metadata_json);
    EXPECT_EQ(v->signature_json, r.signature_json);
    ASSERT_EQ(v->artifacts.size(), 1u);
    EXPECT_EQ(v->artifacts[0].path, "model.pt");
    EXPECT_THAT(v->artifacts[0].digest,
                ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
    EXPECT_EQ(v->artifacts[0].size_bytes, 5000);
    ASSERT_EQ(v->datasets.size(), 2u);
    EXPECT_EQ(v->datasets[0].path, "/data/ml/eval.parquet");
    EXPECT_EQ(v->datasets[0].digest, "");
    EXPECT_EQ(v->datasets[1].path, "/data/ml/train.parquet");
    EXPECT_EQ(v->datasets[1].digest, "sha256:abc");
    EXPECT_THAT(v->tags, ElementsAre(Pair("empty", ""), Pair("owner", "alice"),
                                     Pair("team", "risk")));
    EXPECT_THAT(v->aliases, IsEmpty());
    EXPECT_EQ(v->approval, ApprovalStatus::kNone);
    EXPECT_FALSE(v->archived);
    EXPECT_EQ(v->created_ms, clock_.NowUnixMillis());
    EXPECT_EQ(v->created_by, "alice@example.com");
  }
  // The same through the list.
  absl::StatusOr<std::vector<ModelVersionInfo>> all =
      store().ListModelVersions("fraud-detection");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].metadata_json, r.metadata_json);
  EXPECT_EQ((*all)[0].artifacts[0].digest, read->artifacts[0].digest);
}

TEST_P(RegistryTest, ReadsOfUnknownThingsAreNotFound) {
  EXPECT_EQ(ReasonOf(store().GetModelVersion("nope", "1.0.0").status()),
            "MODEL_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().ListModelVersions("nope").status()),
            "MODEL_NOT_FOUND");
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  EXPECT_EQ(ReasonOf(store().GetModelVersion("fraud", "1.0.1").status()),
            "MODEL_VERSION_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().GetModelVersion("fraud", "Not An Alias").status()),
            "MODEL_VERSION_INVALID");
}

TEST_P(RegistryTest, CreateModelThenRegister) {
  ASSERT_TRUE(store().CreateModel("fraud", "the fraud model", {{"team", "risk"}},
                                  kAlice)
                  .ok());
  absl::Status again = store().CreateModel("fraud", "", {}, kAlice);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(again), "MODEL_EXISTS");
  absl::StatusOr<RegisteredModel> m = store().GetModel("fraud");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->description, "the fraud model");
  EXPECT_THAT(m->tags, ElementsAre(Pair("team", "risk")));
  EXPECT_FALSE(m->scheme.has_value());
  ASSERT_TRUE(Register(store(), "fraud", "").ok());
  EXPECT_EQ(store().GetModel("fraud")->scheme, VersionScheme::kRevision);
  EXPECT_EQ(store().GetModel("fraud")->description, "the fraud model");
}

// --- Aliases and latest ------------------------------------------------------

TEST_P(RegistryTest, AliasesSetMoveAndDelete) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  ASSERT_TRUE(Register(store(), "fraud", "2.0.0").ok());
  ASSERT_TRUE(store().SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  absl::StatusOr<ModelVersionInfo> champ =
      store().GetModelVersion("fraud", "champion");
  ASSERT_TRUE(champ.ok()) << champ.status();
  EXPECT_EQ(champ->version, "1.0.0");
  EXPECT_THAT(champ->aliases, ElementsAre("champion"));

  // Move it (by a non-canonical spelling) and add a second alias.
  ASSERT_TRUE(store().SetAlias("fraud", "champion", "v2.0.0", kAlice).ok());
  ASSERT_TRUE(store().SetAlias("fraud", "challenger", "1.0.0", kAlice).ok());
  EXPECT_EQ(store().GetModelVersion("fraud", "champion")->version, "2.0.0");
  EXPECT_EQ(store().GetModelVersion("fraud", "challenger")->version, "1.0.0");
  EXPECT_THAT(store().GetModelVersion("fraud", "1.0.0")->aliases,
              ElementsAre("challenger"));
  EXPECT_THAT(store().GetModel("fraud")->aliases,
              ElementsAre(Pair("challenger", "1.0.0"), Pair("champion", "2.0.0")));
  // The move's audit record keeps where it pointed before.
  std::vector<AuditRecord> log = AuditLog(store());
  ASSERT_GE(log.size(), 2u);
  const AuditRecord& move = log[log.size() - 2];
  EXPECT_EQ(move.command, "alias.set");
  EXPECT_EQ(move.model_version, "2.0.0");
  EXPECT_EQ(move.previous_version, "1.0.0");
  EXPECT_EQ(move.resource_name, "fraud@champion");

  // Delete it.
  ASSERT_TRUE(store().DeleteAlias("fraud", "champion", kAlice).ok());
  EXPECT_EQ(AuditLog(store()).back().previous_version, "2.0.0");
  absl::StatusOr<ModelVersionInfo> gone =
      store().GetModelVersion("fraud", "champion");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(gone.status()), "ALIAS_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().DeleteAlias("fraud", "champion", kAlice)),
            "ALIAS_NOT_FOUND");
  EXPECT_THAT(store().GetModelVersion("fraud", "2.0.0")->aliases, IsEmpty());
}

TEST_P(RegistryTest, AliasErrors) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  EXPECT_EQ(ReasonOf(store().SetAlias("fraud", "latest", "1.0.0", kAlice)),
            "ALIAS_RESERVED");
  EXPECT_EQ(ReasonOf(store().SetAlias("fraud", "Champion", "1.0.0", kAlice)),
            "ALIAS_INVALID");
  EXPECT_EQ(ReasonOf(store().SetAlias("fraud", "champion", "9.9.9", kAlice)),
            "MODEL_VERSION_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().SetAlias("nope", "champion", "1.0.0", kAlice)),
            "MODEL_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().SetAlias("fraud", "champion", "latest", kAlice)),
            "MODEL_VERSION_INVALID");
  EXPECT_THAT(store().GetModel("fraud")->aliases, IsEmpty());
  // A version an alias points at cannot be deleted.
  ASSERT_TRUE(store().SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  absl::Status del = store().DeleteModelVersion("fraud", "1.0.0", kAlice);
  EXPECT_EQ(del.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(del), "VERSION_HAS_ALIAS");
  EXPECT_THAT(MessageOf(del), HasSubstr("champion"));
  EXPECT_TRUE(store().GetModelVersion("fraud", "1.0.0").ok());
}

TEST_P(RegistryTest, LatestIsTheHighestVersionNotArchived) {
  for (const char* v : {"1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1"}) {
    ASSERT_TRUE(Register(store(), "fraud", v).ok()) << v;
  }
  EXPECT_EQ(store().GetModelVersion("fraud", "latest")->version, "2.0.0-rc.1");
  ASSERT_TRUE(store().ArchiveModelVersion("fraud", "2.0.0-rc.1", kAlice).ok());
  EXPECT_TRUE(store().GetModelVersion("fraud", "2.0.0-rc.1")->archived);
  EXPECT_EQ(store().GetModelVersion("fraud", "latest")->version, "1.10.0");
  ASSERT_TRUE(store().ArchiveModelVersion("fraud", "1.10.0", kAlice).ok());
  EXPECT_EQ(store().GetModelVersion("fraud", "latest")->version, "1.9.0");
  // Archived versions stay listed and readable.
  EXPECT_THAT(VersionsOf(store(), "fraud"),
              ElementsAre("1.0.0", "1.9.0", "1.10.0", "2.0.0-rc.1"));
  for (const char* v : {"1.0.0", "1.9.0"}) {
    ASSERT_TRUE(store().ArchiveModelVersion("fraud", v, kAlice).ok());
  }
  absl::StatusOr<ModelVersionInfo> none = store().GetModelVersion("fraud", "latest");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(none.status()), "MODEL_VERSION_NOT_FOUND");

  // Revisions: numeric, not textual.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Register(store(), "churn", "").ok());
  EXPECT_EQ(store().GetModelVersion("churn", "latest")->version, "10");
}

TEST_P(RegistryTest, LatestIsRefusedInProduction) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  ASSERT_TRUE(store().SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  absl::StatusOr<ModelVersionInfo> v =
      store().GetModelVersion("fraud", "latest", "production");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(v.status()), "LATEST_IN_PRODUCTION");
  // Versions and aliases are fine there.
  EXPECT_EQ(store().GetModelVersion("fraud", "1.0.0", "production")->version,
            "1.0.0");
  EXPECT_EQ(store().GetModelVersion("fraud", "champion", "production")->version,
            "1.0.0");
  EXPECT_EQ(store().GetModelVersion("fraud", "latest", "staging")->version,
            "1.0.0");
}

// --- Approvals -----------------------------------------------------------------

TEST_P(RegistryTest, ApprovalsFollowTheGraphAndKeepTheirHistory) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  ASSERT_TRUE(clock_.Advance(absl::Seconds(1)).ok());
  const int64_t t1 = clock_.NowUnixMillis();
  ASSERT_TRUE(store()
                  .SetApproval("fraud", "1.0.0", ApprovalStatus::kPendingApproval,
                               kAlice, "ready for review", "development")
                  .ok());
  ASSERT_TRUE(clock_.Advance(absl::Seconds(1)).ok());
  const int64_t t2 = clock_.NowUnixMillis();
  ASSERT_TRUE(store()
                  .SetApproval("fraud", "v1.0.0", ApprovalStatus::kApproved,
                               kLead, "offline eval OK", "staging")
                  .ok());
  EXPECT_EQ(store().GetModelVersion("fraud", "1.0.0")->approval,
            ApprovalStatus::kApproved);

  // Illegal moves change nothing.
  for (ApprovalStatus to : {ApprovalStatus::kNone, ApprovalStatus::kApproved,
                            ApprovalStatus::kPendingApproval}) {
    absl::Status s = store().SetApproval("fraud", "1.0.0", to, kLead, "", "");
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(s), "APPROVAL_TRANSITION_INVALID");
  }
  EXPECT_EQ(store().GetModelVersion("fraud", "1.0.0")->approval,
            ApprovalStatus::kApproved);

  ASSERT_TRUE(clock_.Advance(absl::Seconds(1)).ok());
  const int64_t t3 = clock_.NowUnixMillis();
  ASSERT_TRUE(store()
                  .SetApproval("fraud", "1.0.0", ApprovalStatus::kRejected,
                               kPlatform, "bias found", "production")
                  .ok());
  ASSERT_TRUE(store()
                  .SetApproval("fraud", "1.0.0", ApprovalStatus::kPendingApproval,
                               kAlice, "fixed", "")
                  .ok());
  EXPECT_EQ(ReasonOf(store().SetApproval("fraud", "1.0.0",
                                         ApprovalStatus::kPendingApproval,
                                         kAlice, "", "")),
            "APPROVAL_TRANSITION_INVALID");

  absl::StatusOr<std::vector<ApprovalEvent>> history =
      store().GetApprovalHistory("fraud", "1.0.0");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 4u);
  const ApprovalEvent& e0 = (*history)[0];
  EXPECT_EQ(e0.from, ApprovalStatus::kNone);
  EXPECT_EQ(e0.to, ApprovalStatus::kPendingApproval);
  EXPECT_EQ(e0.actor, "alice");
  EXPECT_EQ(e0.role, "");
  EXPECT_EQ(e0.reason, "ready for review");
  EXPECT_EQ(e0.environment, "development");
  EXPECT_EQ(e0.at_ms, t1);
  const ApprovalEvent& e1 = (*history)[1];
  EXPECT_EQ(e1.from, ApprovalStatus::kPendingApproval);
  EXPECT_EQ(e1.to, ApprovalStatus::kApproved);
  EXPECT_EQ(e1.actor, "lena");
  EXPECT_EQ(e1.role, "data-science-lead");
  EXPECT_EQ(e1.reason, "offline eval OK");
  EXPECT_EQ(e1.environment, "staging");
  EXPECT_EQ(e1.at_ms, t2);
  const ApprovalEvent& e2 = (*history)[2];
  EXPECT_EQ(e2.from, ApprovalStatus::kApproved);
  EXPECT_EQ(e2.to, ApprovalStatus::kRejected);
  EXPECT_EQ(e2.actor, "pat");
  EXPECT_EQ(e2.role, "platform-lead");
  EXPECT_EQ(e2.environment, "production");
  EXPECT_EQ(e2.at_ms, t3);
  const ApprovalEvent& e3 = (*history)[3];
  EXPECT_EQ(e3.from, ApprovalStatus::kRejected);
  EXPECT_EQ(e3.to, ApprovalStatus::kPendingApproval);
  // An empty environment is the policy's default one.
  EXPECT_EQ(e3.environment, "development");
}

TEST_P(RegistryTest, ApprovalErrors) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  EXPECT_EQ(ReasonOf(store().SetApproval("fraud", "1.0.0",
                                         ApprovalStatus::kApproved, kLead, "",
                                         "qa")),
            "ENVIRONMENT_UNKNOWN");
  EXPECT_EQ(ReasonOf(store().SetApproval("fraud", "2.0.0",
                                         ApprovalStatus::kApproved, kLead, "",
                                         "")),
            "MODEL_VERSION_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store().SetApproval("fraud", "1.0.0",
                                         ApprovalStatus::kApproved, kLead,
                                         std::string(5001, 'r'), "")),
            "REASON_TOO_LONG");
  EXPECT_THAT(*store().GetApprovalHistory("fraud", "1.0.0"), IsEmpty());
  EXPECT_EQ(ReasonOf(store().GetApprovalHistory("fraud", "2.0.0").status()),
            "MODEL_VERSION_NOT_FOUND");
}

TEST_P(RegistryTest, ApprovingInProductionNeedsALeadRole) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  absl::Status refused = store().SetApproval(
      "fraud", "1.0.0", ApprovalStatus::kApproved, kAlice, "lgtm", "production");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(refused), "ROLE_REQUIRED");
  EXPECT_THAT(MessageOf(refused), HasSubstr("data-science-lead"));
  EXPECT_EQ(store().GetModelVersion("fraud", "1.0.0")->approval,
            ApprovalStatus::kNone);
  EXPECT_THAT(*store().GetApprovalHistory("fraud", "1.0.0"), IsEmpty());
  const AuditRecord denied = AuditLog(store()).back();
  EXPECT_EQ(denied.outcome, "denied");
  EXPECT_EQ(denied.reason, "ROLE_REQUIRED");
  EXPECT_EQ(denied.user, "alice");

  EXPECT_TRUE(store()
                  .SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                               {"lena", "data-science-lead"}, "lgtm",
                               "production")
                  .ok());
  EXPECT_EQ(store().GetModelVersion("fraud", "1.0.0")->approval,
            ApprovalStatus::kApproved);
  EXPECT_EQ(AuditLog(store()).back().outcome, "success");
}

// --- Validation records --------------------------------------------------------

TEST_P(RegistryTest, ValidationRecordsAndTheNewestOneWins) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  EXPECT_FALSE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));

  ValidationRecord pass{.model = "fraud",
                        .version = "v1.0.0",
                        .environment = "staging",
                        .checks = {{"latency_p99_ms", 12.5},
                                   {"accuracy", 0.94},
                                   {"bias_gap", -0.01}},
                        .passed = true};
  ASSERT_TRUE(store().RecordValidation(pass, kLead).ok());
  EXPECT_TRUE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));
  // Per environment.
  EXPECT_FALSE(*store().HasPassedValidation("fraud", "1.0.0", "production"));

  ASSERT_TRUE(clock_.Advance(absl::Seconds(5)).ok());
  ValidationRecord fail = pass;
  fail.checks = {{"accuracy", 0.70}};
  fail.passed = false;
  ASSERT_TRUE(store().RecordValidation(fail, kAlice).ok());
  EXPECT_FALSE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));
  // The newest wins even at the same millisecond.
  ASSERT_TRUE(store().RecordValidation(pass, kAlice).ok());
  EXPECT_TRUE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));
  ASSERT_TRUE(store().RecordValidation(fail, kAlice).ok());
  EXPECT_FALSE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));

  ValidationRecord prod = pass;
  prod.environment = "production";
  ASSERT_TRUE(store().RecordValidation(prod, kAlice).ok());
  EXPECT_TRUE(*store().HasPassedValidation("fraud", "1.0.0", "production"));
  EXPECT_FALSE(*store().HasPassedValidation("fraud", "1.0.0", "staging"));

  absl::StatusOr<std::vector<ValidationRecord>> staging =
      store().ListValidations("fraud", "1.0.0", "staging");
  ASSERT_TRUE(staging.ok()) << staging.status();
  ASSERT_EQ(staging->size(), 4u);
  const ValidationRecord& first = (*staging)[0];
  EXPECT_EQ(first.model, "fraud");
  EXPECT_EQ(first.version, "1.0.0");
  EXPECT_EQ(first.environment, "staging");
  EXPECT_TRUE(first.passed);
  EXPECT_EQ(first.actor, "lena");
  ASSERT_EQ(first.checks.size(), 3u);  // by name
  EXPECT_EQ(first.checks[0].name, "accuracy");
  EXPECT_EQ(first.checks[0].value, 0.94);
  EXPECT_EQ(first.checks[1].name, "bias_gap");
  EXPECT_EQ(first.checks[1].value, -0.01);
  EXPECT_EQ(first.checks[2].name, "latency_p99_ms");
  EXPECT_EQ(first.checks[2].value, 12.5);
  EXPECT_EQ((*staging)[1].recorded_ms, first.recorded_ms + 5000);
  EXPECT_FALSE((*staging)[1].passed);
  EXPECT_EQ(store().ListValidations("fraud", "1.0.0", "")->size(), 5u);
}

TEST_P(RegistryTest, ValidationRecordErrors) {
  ASSERT_TRUE(Register(store(), "fraud", "1.0.0").ok());
  ValidationRecord r{.model = "fraud",
                     .version = "1.0.0",
                     .environment = "staging",
                     .checks = {{"accuracy", 0.9}, {"accuracy", 0.8}},
                     .passed = true};
  EXPECT_EQ(ReasonOf(store().RecordValidation(r, kAlice)),
            "VALIDATION_CHECK_DUPLICATE");
  r.checks = {{"bad key!", 1}};
  EXPECT_EQ(ReasonOf(store().RecordValidation(r, kAlice)), "METRIC_KEY_INVALID");
  r.checks = {{"accuracy", std::numeric_limits<double>::quiet_NaN()}};
  r.environment = "qa";
  EXPECT_EQ(ReasonOf(store().RecordValidation(r, kAlice)), "ENVIRONMENT_UNKNOWN");
  r.environment = "staging";
  r.version = "9.9.9";
  EXPECT_EQ(ReasonOf(store().RecordValidation(r, kAlice)),
            "MODEL_VERSION_NOT_FOUND");
  EXPECT_THAT(*store().ListValidations("fraud", "1.0.0", ""), IsEmpty());
  EXPECT_EQ(ReasonOf(store().HasPassedValidation("fraud", "1.0.0", "qa").status()),
            "ENVIRONMENT_UNKNOWN");
  // A NaN value is kept as NaN.
  r.version = "1.0.0";
  ASSERT_TRUE(store().RecordValidation(r, kAlice).ok());
  EXPECT_TRUE(std::isnan(
      (*store().ListValidations("fraud", "1.0.0", ""))[0].checks[0].value));
}

// --- Lineage -------------------------------------------------------------------

TEST_P(RegistryTest, LineageBothWays) {
  absl::StatusOr<std::shared_ptr<slipway::Run>> run = store().StartRun(
      {.experiment = "fraud-exp",
       .params = {{"lr", "0.01"}, {"depth", "6"}},
       .tags = {{"team", "risk"}}});
  ASSERT_TRUE(run.ok()) << run.status();
  for (int step = 0; step < 10; ++step) {
    ASSERT_TRUE((*run)->LogMetric("auc", 0.8 + step / 100.0, step).ok());
  }
  ASSERT_TRUE((*run)->LogMetric("loss", 0.25, 0).ok());
  // Not flushed, not ended: registering flushes the run's points first.
  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  r.run_id = (*run)->id();
  r.datasets = {{"/data/ml/train.parquet", "sha256:1"}};
  ASSERT_TRUE(store().RegisterModelVersion(r).ok());
  r.model = "another";
  r.version = "";
  ASSERT_TRUE(store().RegisterModelVersion(r).ok());
  ASSERT_TRUE(Register(store(), "fraud", "2.0.0").ok());  // no run

  absl::StatusOr<std::vector<ModelVersionInfo>> of_run =
      store().GetVersionsOfRun((*run)->id());
  ASSERT_TRUE(of_run.ok()) << of_run.status();
  ASSERT_EQ(of_run->size(), 2u);
  EXPECT_EQ((*of_run)[0].model, "another");
  EXPECT_EQ((*of_run)[0].version, "1");
  EXPECT_EQ((*of_run)[1].model, "fraud");
  EXPECT_EQ((*of_run)[1].version, "1.0.0");

  absl::StatusOr<VersionLineage> lineage = store().GetLineage("fraud", "1.0.0");
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_TRUE(lineage->has_run);
  EXPECT_EQ(lineage->run_id, (*run)->id());
  EXPECT_EQ(lineage->experiment, "fraud-exp");
  EXPECT_THAT(lineage->params, ElementsAre(Pair("depth", "6"), Pair("lr", "0.01")));
  ASSERT_EQ(lineage->metrics.size(), 2u);
  EXPECT_EQ(lineage->metrics[0].first, "auc");
  EXPECT_DOUBLE_EQ(lineage->metrics[0].second, 0.89);
  EXPECT_EQ(lineage->metrics[1].first, "loss");
  EXPECT_EQ(lineage->metrics[1].second, 0.25);
  EXPECT_THAT(lineage->run_tags, ::testing::Contains(Pair("team", "risk")));
  EXPECT_EQ(lineage->version.version, "1.0.0");
  ASSERT_EQ(lineage->version.datasets.size(), 1u);
  EXPECT_EQ(lineage->version.datasets[0].path, "/data/ml/train.parquet");

  // Through an alias too.
  ASSERT_TRUE(store().SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  EXPECT_EQ(store().GetLineage("fraud", "champion")->run_id, (*run)->id());

  absl::StatusOr<VersionLineage> no_run = store().GetLineage("fraud", "2.0.0");
  ASSERT_TRUE(no_run.ok());
  EXPECT_FALSE(no_run->has_run);
  EXPECT_THAT(no_run->params, IsEmpty());
  EXPECT_THAT(no_run->metrics, IsEmpty());

  EXPECT_EQ(ReasonOf(store().GetVersionsOfRun(std::string(32, 'b')).status()),
            "RUN_NOT_FOUND");
  ASSERT_TRUE((*run)->End().ok());
}

// --- Artifacts -----------------------------------------------------------------

TEST_P(RegistryTest, ArtifactsFilesAndDirectoriesRoundTrip) {
  const std::string file = dir_.File("model.pt");
  WriteFile(file, Bytes(300'000, 7));
  const std::string tree = dir_.File("weights");
  std::filesystem::create_directories(tree + "/sub/deeper");
  WriteFile(tree + "/a.bin", Bytes(1000, 8));
  WriteFile(tree + "/sub/b.txt", "hello\n");
  WriteFile(tree + "/sub/deeper/c.json", "{}");
  WriteFile(tree + "/same-as-model.pt", Bytes(300'000, 7));  // deduplicated
  WriteFile(tree + "/empty", "");

  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  r.artifact_paths = {file, tree + "/"};
  absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
  ASSERT_TRUE(v.ok()) << v.status();
  std::vector<std::string> paths;
  for (const ArtifactFile& f : v->artifacts) paths.push_back(f.path);
  EXPECT_THAT(paths, ElementsAre("model.pt", "weights/a.bin", "weights/empty",
                                 "weights/same-as-model.pt", "weights/sub/b.txt",
                                 "weights/sub/deeper/c.json"));
  EXPECT_EQ(v->artifacts[0].digest, v->artifacts[3].digest);
  EXPECT_EQ(v->artifacts[0].size_bytes, 300'000);
  EXPECT_EQ(v->artifacts[2].size_bytes, 0);

  ASSERT_TRUE(store().SetAlias("fraud", "champion", "1.0.0", kAlice).ok());
  const std::string out = dir_.File("out");
  ASSERT_TRUE(store().DownloadArtifacts("fraud", "champion", out).ok());
  EXPECT_EQ(ReadFile(out + "/model.pt"), ReadFile(file));
  EXPECT_EQ(ReadFile(out + "/weights/a.bin"), ReadFile(tree + "/a.bin"));
  EXPECT_EQ(ReadFile(out + "/weights/sub/b.txt"), "hello\n");
  EXPECT_EQ(ReadFile(out + "/weights/sub/deeper/c.json"), "{}");
  EXPECT_EQ(ReadFile(out + "/weights/same-as-model.pt"), ReadFile(file));
  EXPECT_EQ(ReadFile(out + "/weights/empty"), "");

  // Two artifacts that would land on one path.
  const std::string other = dir_.File("elsewhere");
  std::filesystem::create_directories(other);
  WriteFile(other + "/model.pt", "x");
  r.version = "2.0.0";
  r.artifact_paths = {file, other + "/model.pt"};
  EXPECT_EQ(ReasonOf(store().RegisterModelVersion(r).status()),
            "ARTIFACT_PATH_DUPLICATE");
  r.artifact_paths = {dir_.File("missing.pt")};
  EXPECT_EQ(store().RegisterModelVersion(r).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(VersionsOf(store(), "fraud"), ElementsAre("1.0.0"));
  // A version without artifacts downloads nothing, successfully, into the
  // directory it creates (as for any version).
  ASSERT_TRUE(Register(store(), "fraud", "3.0.0").ok());
  EXPECT_TRUE(store().DownloadArtifacts("fraud", "3.0.0", dir_.File("out3")).ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_.File("out3")));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.File("out3")));
}

// A directory holding a single file of its own name ("model/model") keeps
// its tree like any other directory: StoreArtifacts must not mistake it for
// a single file argument.
TEST_P(RegistryTest, ADirectoryWithOneFileOfItsOwnNameKeepsItsTree) {
  const std::string tree = dir_.File("model");
  std::filesystem::create_directories(tree);
  WriteFile(tree + "/model", "weights");
  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  r.artifact_paths = {tree};
  absl::StatusOr<ModelVersionInfo> v = store().RegisterModelVersion(r);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->artifacts.size(), 1u);
  EXPECT_EQ(v->artifacts[0].path, "model/model");
}

TEST_F(RegistryStoreTest, ACorruptedBlobIsDataLossAndWritesNoFile) {
  auto store = OpenFile();
  ASSERT_NE(store, nullptr);
  const std::string file = dir_.File("model.pt");
  WriteFile(file, Bytes(10'000, 3));
  RegisterModelVersionRequest r;
  r.model = "fraud";
  r.version = "1.0.0";
  r.artifact_paths = {file};
  absl::StatusOr<ModelVersionInfo> v = store->RegisterModelVersion(r);
  ASSERT_TRUE(v.ok()) << v.status();
  const std::string hex = v->artifacts[0].digest.substr(7);  // after "sha256:"

  // The blob, found under the artifact root's sha256/ tree (beside the
  // store file) as the one file whose folder and name spell the digest.
  std::string blob;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           dir_.File("artifacts/sha256"))) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().parent_path().filename().string() +
                             entry.path().filename().string();
    if (name == hex || entry.path().filename().string() == hex) {
      blob = entry.path().string();
    }
  }
  ASSERT_FALSE(blob.empty()) << "no blob for " << hex;
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  std::string bytes = ReadFile(blob);
  ASSERT_EQ(bytes.size(), 10'000u);
  bytes[5000] ^= 0x01;
  WriteFile(blob, bytes);

  const std::string out = dir_.File("out");
  absl::Status s = store->DownloadArtifacts("fraud", "1.0.0", out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(s), "ARTIFACT_CORRUPT");
  EXPECT_THAT(MessageOf(s), HasSubstr(hex));
  EXPECT_FALSE(std::filesystem::exists(out + "/model.pt"));
  // Nothing else (no temporary file) is left in the destination.
  if (std::filesystem::exists(out)) {
    EXPECT_TRUE(std::filesystem::is_empty(out));
  }
}

// --- Search --------------------------------------------------------------------

TEST_P(RegistryTest, SearchModelVersions) {
  auto reg = [&](const std::string& model, const std::string& version,
                 KeyValueList tags) {
    RegisterModelVersionRequest r;
    r.model = model;
    r.version = version;
    r.tags = std::move(tags);
    r.actor = kAlice;
    ASSERT_TRUE(store().RegisterModelVersion(r).ok()) << model << " " << version;
  };
  reg("fraud", "1.10.0", {{"team", "risk"}});
  reg("fraud", "1.2.0", {{"team", "risk"}, {"stage", "canary"}});
  reg("fraud", "1.2.0-rc.1", {});
  reg("churn", "", {{"team", "growth"}});
  reg("churn", "", {{"team", "risk"}});
  ASSERT_TRUE(clock_.Advance(absl::Seconds(10)).ok());
  const int64_t later = clock_.NowUnixMillis();
  reg("ads", "", {{"team", "risk"}});
  ASSERT_TRUE(store()
                  .SetApproval("fraud", "1.2.0", ApprovalStatus::kApproved,
                               kLead, "", "")
                  .ok());

  auto search = [&](const std::string& filter, size_t max = 1000) {
    absl::StatusOr<std::vector<ModelVersionInfo>> found =
        store().SearchModelVersions(filter, max);
    EXPECT_TRUE(found.ok()) << filter << ": " << found.status();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const ModelVersionInfo& v : *found) out.push_back(v.model + ":" + v.version);
    }
    return out;
  };
  // By model name, then precedence.
  EXPECT_THAT(search(""), ElementsAre("ads:1", "churn:1", "churn:2",
                                      "fraud:1.2.0-rc.1", "fraud:1.2.0",
                                      "fraud:1.10.0"));
  EXPECT_THAT(search("tags.team = 'risk'"),
              ElementsAre("ads:1", "churn:2", "fraud:1.2.0", "fraud:1.10.0"));
  EXPECT_THAT(search("tags.team != 'risk'"),
              ElementsAre("churn:1", "fraud:1.2.0-rc.1"));
  EXPECT_THAT(search("attributes.approval = 'Approved'"),
              ElementsAre("fraud:1.2.0"));
  EXPECT_THAT(search("attributes.name = 'fraud' and tags.stage = 'canary'"),
              ElementsAre("fraud:1.2.0"));
  EXPECT_THAT(search("attributes.version LIKE '1.2%'"),
              ElementsAre("fraud:1.2.0-rc.1", "fraud:1.2.0"));
  EXPECT_THAT(search("attributes.created >= " + std::to_string(later)),
              ElementsAre("ads:1"));
  EXPECT_THAT(search("attributes.user = 'alice' and attributes.name IN ('ads', "
                     "'churn')"),
              ElementsAre("ads:1", "churn:1", "churn:2"));
  EXPECT_THAT(search("tags.team = 'risk''; DELETE FROM model_version; --'"),
              IsEmpty());
  EXPECT_THAT(search("", 3), ElementsAre("ads:1", "churn:1", "churn:2"));
  EXPECT_THAT(search("", 0), IsEmpty());
  // The injection attempt deleted nothing.
  EXPECT_EQ(search("").size(), 6u);

  EXPECT_EQ(ReasonOf(store().SearchModelVersions("metrics.auc > 0.5", 10).status()),
            "FILTER_TYPE");
  EXPECT_EQ(ReasonOf(store().SearchModelVersions("tags.team = ", 10).status()),
            "FILTER_SYNTAX");
}

// --- Audit ---------------------------------------------------------------------

TEST_P(RegistryTest, EveryStateChangingCallIsAuditedOnce) {
  struct Expected {
    std::string command;
    std::string outcome;
    std::string model_version;
    std::string reason;
  };
  std::vector<Expected> expected;
  auto expect = [&](absl::Status s, Expected e) {
    EXPECT_EQ(s.ok(), e.outcome == "success") << e.command << ": " << s;
    expected.push_back(std::move(e));
  };
  expect(Register(store(), "fraud", "1.0.0").status(),
         {"model_version.register", "success", "1.0.0", ""});
  expect(Register(store(), "fraud", "v1.0.0").status(),
         {"model_version.register", "failure", "v1.0.0", "MODEL_VERSION_EXISTS"});
  expect(Register(store(), "fraud", "").status(),
         {"model_version.register", "denied", "", "VERSION_SCHEME_MISMATCH"});
  expect(store().CreateModel("churn", "", {}, kAlice),
         {"model.create", "success", "", ""});
  expect(store().CreateModel("churn", "", {}, kAlice),
         {"model.create", "failure", "", "MODEL_EXISTS"});
  expect(store().SetAlias("fraud", "champion", "1.0.0", kAlice),
         {"alias.set", "success", "1.0.0", ""});
  expect(store().SetAlias("fraud", "latest", "1.0.0", kAlice),
         {"alias.set", "failure", "1.0.0", "ALIAS_RESERVED"});
  expect(store().DeleteAlias("fraud", "champion", kAlice),
         {"alias.delete", "success", "", ""});
  expect(store().SetApproval("fraud", "1.0.0", ApprovalStatus::kApproved,
                             kAlice, "", "production"),
         {"model_version.set_approval", "denied", "1.0.0", "ROLE_REQUIRED"});
  expect(store().SetApproval("fraud", "1.0.0", ApprovalStatus::kPendingApproval,
                             kAlice, "", ""),
         {"model_version.set_approval", "success", "1.0.0", ""});
  expect(store().SetApproval("fraud", "1.0.0", ApprovalStatus::kNone, kAlice,
                             "", ""),
         {"model_version.set_approval", "denied", "1.0.0",
          "APPROVAL_TRANSITION_INVALID"});
  expect(store().RecordValidation({.model = "fraud",
                                   .version = "1.0.0",
                                   .environment = "staging",
                                   .checks = {{"accuracy", 0.9}},
                                   .passed = true},
                                  kAlice),
         {"model_version.record_validation", "success", "1.0.0", ""});
  expect(Register(store(), "fraud", "2.0.0").status(),
         {"model_version.register", "success", "2.0.0", ""});
  expect(store().ArchiveModelVersion("fraud", "2.0.0", kAlice),
         {"model_version.archive", "success", "2.0.0", ""});
  expect(store().DeleteModelVersion("fraud", "2.0.0", kAlice),
         {"model_version.delete", "success", "2.0.0", ""});
  expect(store().DeleteModelVersion("fraud", "2.0.0", kAlice),
         {"model_version.delete", "failure", "2.0.0", "MODEL_VERSION_NOT_FOUND"});

  // Reads leave no record.
  ASSERT_TRUE(store().GetModelVersion("fraud", "1.0.0").ok());
  ASSERT_TRUE(store().GetModelVersion("fraud", "latest").ok());
  ASSERT_TRUE(store().ListModelVersions("fraud").ok());
  ASSERT_TRUE(store().ListModels().ok());
  ASSERT_TRUE(store().GetModel("fraud").ok());
  ASSERT_TRUE(store().SearchModelVersions("", 10).ok());
  ASSERT_TRUE(store().GetApprovalHistory("fraud", "1.0.0").ok());
  ASSERT_TRUE(store().ListValidations("fraud", "1.0.0", "").ok());
  ASSERT_TRUE(store().HasPassedValidation("fraud", "1.0.0", "staging").ok());
  ASSERT_TRUE(store().GetLineage("fraud", "1.0.0").ok());
  ASSERT_TRUE(store().DownloadArtifacts("fraud", "1.0.0", dir_.File("o")).ok());

  std::vector<AuditRecord> log = AuditLog(store());
  ASSERT_EQ(log.size(), expected.size());
  for (size_t i = 0; i < log.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i) + ": " + expected[i].command);
    EXPECT_EQ(log[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(log[i].command, expected[i].command);
    EXPECT_EQ(log[i].outcome, expected[i].outcome);
    EXPECT_EQ(log[i].model_version, expected[i].model_version);
    EXPECT_EQ(log[i].reason, expected[i].reason);
    EXPECT_EQ(log[i].user, "alice");
    EXPECT_EQ(log[i].model_name, log[i].command == "model.create" ? "churn" : "fraud");
    EXPECT_EQ(log[i].timestamp_ms, clock_.NowUnixMillis());
    if (expected[i].outcome != "success") EXPECT_FALSE(log[i].message.empty());
  }
  EXPECT_EQ(log[8].environment, "production");
  EXPECT_EQ(log[11].environment, "staging");
  EXPECT_EQ(log[0].environment, "development");
  EXPECT_TRUE(store().VerifyAuditLog().ok());
}

}  // namespace
}  // namespace slipway::registry_test
