// Two forked processes register the same version of the same model into one
// store file at the same moment, each through its own Store: exactly one
// wins, the other gets AlreadyExists MODEL_VERSION_EXISTS, and the store
// holds one whole version (every tag, dataset and artifact row, nothing of
// the loser) with a valid audit chain.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/status.h"
#include "slipway/store.h"
#include "tests/registry/registry_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::registry_test {
namespace {

using ::slipway::storage_test::RawConnection;

// Child exit codes.
constexpr int kWon = 0;
constexpr int kLost = 10;  // AlreadyExists MODEL_VERSION_EXISTS
constexpr int kOpenFailed = 20;
constexpr int kOtherError = 30;

RegisterModelVersionRequest Request(const TempDir& dir, const std::string& run,
                                    int writer) {
  RegisterModelVersionRequest r;
  r.model = "fraud-detection";
  r.version = "2.4.1";
  r.run_id = run;
  r.artifact_paths = {dir.File("model.pt"), dir.File("weights")};
  r.datasets = {{"/data/ml/train.parquet", "sha256:aa"},
                {"/data/ml/eval.parquet", ""},
                {"s3://ml-data/extra.csv", "sha256:bb"}};
  r.tags = {{"team", "risk"},
            {"writer", std::to_string(writer)},
            {"owner", "alice"},
            {"stage", "candidate"}};
  r.metadata_json = "{\"writer\": " + std::to_string(writer) + "}";
  r.description = "registered by writer " + std::to_string(writer);
  r.actor = {"writer-" + std::to_string(writer), ""};
  return r;
}

// In a child: waits for the gate, registers, reports by exit code.
int Writer(const TempDir& dir, const std::string& path, const std::string& run,
           int writer, int gate) {
  StoreOptions options;
  options.emergency_stop_file = dir.File("slipway.STOP");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "writer %d: %s\n", writer,
                 store.status().ToString().c_str());
    return kOpenFailed;
  }
  char byte;
  (void)::read(gate, &byte, 1);  // Returns when the parent closes the gate.
  absl::StatusOr<ModelVersionInfo> v =
      (*store)->RegisterModelVersion(Request(dir, run, writer));
  if (v.ok()) return kWon;
  if (v.status().code() == absl::StatusCode::kAlreadyExists &&
      ReasonOf(v.status()) == "MODEL_VERSION_EXISTS") {
    return kLost;
  }
  std::fprintf(stderr, "writer %d: %s\n", writer,
               v.status().ToString().c_str());
  return kOtherError;
}

TEST(RegistryMultiProcessTest, TwoProcessesRegisteringOneVersionOneWins) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  WriteFile(dir.File("model.pt"), Bytes(200'000, 1));
  std::filesystem::create_directories(dir.File("weights/sub"));
  WriteFile(dir.File("weights/a.bin"), Bytes(50'000, 2));
  WriteFile(dir.File("weights/sub/b.bin"), Bytes(70'000, 3));
  std::string run_id;
  {
    // Create and migrate the store, and the source run, before the race;
    // the parent holds no open store (and no background thread) at fork().
    StoreOptions options;
    options.emergency_stop_file = dir.File("slipway.STOP");
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::shared_ptr<slipway::Run>> run =
        (*store)->StartRun({.experiment = "race"});
    ASSERT_TRUE(run.ok()) << run.status();
    run_id = (*run)->id();
    ASSERT_TRUE((*run)->End().ok());
  }

  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      ::_exit(Writer(dir, path, run_id, w, gate[0]));
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // Opens the gate for both children at once.
  std::vector<int> codes;
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFEXITED(wstatus));
    codes.push_back(WEXITSTATUS(wstatus));
  }
  EXPECT_THAT(codes, ::testing::UnorderedElementsAre(kWon, kLost));
  const int winner = codes[0] == kWon ? 0 : 1;

  StoreOptions options;
  options.emergency_stop_file = dir.File("slipway.STOP");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<ModelVersionInfo>> versions =
      (*store)->ListModelVersions("fraud-detection");
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 1u);
  const ModelVersionInfo& v = (*versions)[0];
  EXPECT_EQ(v.version, "2.4.1");
  EXPECT_EQ(v.run_id, run_id);
  // Everything is the winner's: nothing of the loser mixed in.
  EXPECT_EQ(v.created_by, "writer-" + std::to_string(winner));
  EXPECT_EQ(v.description, "registered by writer " + std::to_string(winner));
  EXPECT_EQ(v.metadata_json, "{\"writer\": " + std::to_string(winner) + "}");
  ASSERT_EQ(v.tags.size(), 4u);
  EXPECT_THAT(v.tags, ::testing::Contains(std::pair<std::string, std::string>(
                          "writer", std::to_string(winner))));
  EXPECT_EQ(v.datasets.size(), 3u);
  ASSERT_EQ(v.artifacts.size(), 3u);
  EXPECT_EQ(v.artifacts[0].path, "model.pt");
  EXPECT_EQ(v.artifacts[1].path, "weights/a.bin");
  EXPECT_EQ(v.artifacts[2].path, "weights/sub/b.bin");
  // The rows themselves, counted in the file.
  {
    RawConnection raw(path);
    EXPECT_EQ(raw.Query("SELECT count(*) FROM registered_model"), "1");
    EXPECT_EQ(raw.Query("SELECT count(*) FROM model_version"), "1");
    EXPECT_EQ(raw.Query("SELECT count(*) FROM model_version_tag"), "4");
    EXPECT_EQ(raw.Query("SELECT count(*) FROM model_version_dataset"), "3");
    EXPECT_EQ(raw.Query("SELECT count(*) FROM model_version_artifact"), "3");
    EXPECT_EQ(raw.Query("PRAGMA integrity_check"), "ok");
  }
  // Both artifacts' blobs are whole: the version downloads and verifies.
  ASSERT_TRUE((*store)->DownloadArtifacts("fraud-detection", "2.4.1",
                                          dir.File("out"))
                  .ok());
  EXPECT_EQ(ReadFile(dir.File("out/weights/sub/b.bin")),
            ReadFile(dir.File("weights/sub/b.bin")));

  // One record per attempt, one chain.
  absl::StatusOr<std::vector<AuditRecord>> log = (*store)->GetAuditLog();
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<std::string> outcomes;
  for (const AuditRecord& r : *log) {
    if (r.command == "model_version.register") outcomes.push_back(r.outcome);
  }
  EXPECT_THAT(outcomes, ::testing::UnorderedElementsAre("success", "failure"));
  EXPECT_TRUE((*store)->VerifyAuditLog().ok());
}

}  // namespace
}  // namespace slipway::registry_test
