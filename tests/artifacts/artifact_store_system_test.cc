// The artifact store against the operating system: two forked writers
// racing on the same blobs, a full disk (a real 1 MiB tmpfs, mounted when
// the test runs as root; skipped otherwise), and the memory bound of
// streaming measured with getrusage in a forked child.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "src/artifacts/artifact_store.h"
#include "src/artifacts/digest.h"
#include "tests/artifacts/test_util.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::artifacts_test::ListFilesRecursively;
using ::slipway::artifacts_test::ListNames;
using ::slipway::artifacts_test::PathExists;
using ::slipway::artifacts_test::PseudoRandomBytes;
using ::slipway::artifacts_test::ReasonOf;
using ::slipway::artifacts_test::TempDir;
using ::slipway::artifacts_test::WriteFileOrDie;

constexpr uint64_t kNoLimit = ~uint64_t{0};

// Waits for `pid` and returns its exit code, or -1 if it did not exit
// normally.
int WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------------------
// Two processes.

constexpr int kRounds = 12;

// Runs in a forked child: waits until the parent closes `gate`, then puts
// the content of round i (the same in both children) for every round.
// Returns the exit code (0 = every put succeeded with the expected digest).
int Putter(const std::string& root, const std::string& input_dir, int gate) {
  char byte;
  (void)::read(gate, &byte, 1);  // Returns at EOF, when the gate opens.
  absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
      ArtifactStore::Open(root);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string in = input_dir + "/round" + std::to_string(round);
    absl::StatusOr<ArtifactRef> ref = (*store)->PutFile(in);
    if (!ref.ok()) {
      std::fprintf(stderr, "round %d: %s\n", round,
                   ref.status().ToString().c_str());
      return 2;
    }
    absl::StatusOr<ArtifactRef> small =
        (*store)->PutBytes("small shared " + std::to_string(round));
    if (!small.ok()) {
      std::fprintf(stderr, "round %d: %s\n", round,
                   small.status().ToString().c_str());
      return 3;
    }
  }
  return 0;
}

TEST(ArtifactStoreProcessTest, TwoProcessesPutTheSameContentAtOnce) {
  TempDir dir;
  const std::string root = dir.Sub("store");
  std::vector<Digest> expected;
  for (int round = 0; round < kRounds; ++round) {
    const std::string data = PseudoRandomBytes(1 << 20, 1000 + round);
    WriteFileOrDie(dir.Sub("round" + std::to_string(round)), data);
    expected.push_back(*Sha256Of(data));
  }
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      ::_exit(Putter(root, dir.path(), gate[0]));
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // Both children start now.
  for (pid_t pid : children) EXPECT_EQ(WaitForExit(pid), 0);

  absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
      ArtifactStore::Open(root);
  ASSERT_TRUE(store.ok());
  for (const Digest& d : expected) {
    EXPECT_TRUE((*store)->Verify(d).ok()) << d.ToString();
  }
  EXPECT_EQ(ListFilesRecursively(root + "/sha256").size(), 2u * kRounds);
  EXPECT_TRUE(ListNames(root + "/tmp").empty());
}

// ---------------------------------------------------------------------------
// A full disk.

class ArtifactFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_.Sub("tmpfs");
    ASSERT_EQ(::mkdir(mount_point_.c_str(), 0755), 0);
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a 1 MiB tmpfs at " << mount_point_
                   << " (needs root or CAP_SYS_ADMIN): "
                   << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }

  std::unique_ptr<ArtifactStore> OpenStore(const std::string& root) {
    absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
        ArtifactStore::Open(root);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  std::string mount_point_;
  bool mounted_ = false;
};

TEST_F(ArtifactFullDiskTest, PutIsResourceExhaustedAndLeavesNoTemporaryFile) {
  const std::string root = mount_point_ + "/store";
  std::unique_ptr<ArtifactStore> store = OpenStore(root);
  ASSERT_NE(store, nullptr);
  const std::string data = PseudoRandomBytes(2 << 20, 77);
  WriteFileOrDie(dir_.Sub("big.bin"), data);  // On the real disk.

  absl::StatusOr<ArtifactRef> file = store->PutFile(dir_.Sub("big.bin"));
  EXPECT_EQ(file.status().code(), absl::StatusCode::kResourceExhausted)
      << file.status();
  EXPECT_EQ(ReasonOf(file.status()), "DISK_FULL");
  EXPECT_TRUE(ListNames(root + "/tmp").empty());
  EXPECT_TRUE(ListFilesRecursively(root + "/sha256").empty());

  absl::StatusOr<ArtifactRef> bytes = store->PutBytes(data);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(bytes.status()), "DISK_FULL");
  EXPECT_TRUE(ListNames(root + "/tmp").empty());

  // The space of the removed temporary files is free again.
  absl::StatusOr<ArtifactRef> small = store->PutBytes(data.substr(0, 500000));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_TRUE(store->Verify(small->digest).ok());
}

TEST_F(ArtifactFullDiskTest, GetIntoAFullDiskLeavesNoTemporaryFile) {
  std::unique_ptr<ArtifactStore> store = OpenStore(dir_.Sub("store"));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<ArtifactRef> ref =
      store->PutBytes(PseudoRandomBytes(2 << 20, 78));
  ASSERT_TRUE(ref.ok()) << ref.status();

  absl::Status get = store->GetFile(ref->digest, mount_point_ + "/model.bin");
  EXPECT_EQ(get.code(), absl::StatusCode::kResourceExhausted) << get;
  EXPECT_EQ(ReasonOf(get), "DISK_FULL");
  EXPECT_TRUE(ListNames(mount_point_).empty());

  absl::Status restore = store->RestoreTree({{.relative_path = "w/model.bin",
                                              .digest = ref->digest,
                                              .size_bytes = 2 << 20}},
                                            mount_point_ + "/tree");
  EXPECT_EQ(restore.code(), absl::StatusCode::kResourceExhausted) << restore;
  EXPECT_TRUE(ListFilesRecursively(mount_point_).empty());
}

// Fills the tmpfs to each level in turn and puts a 200 KiB file: every put
// either succeeds with a blob that verifies or fails ResourceExhausted, and
// never leaves a temporary file.
TEST_F(ArtifactFullDiskTest, EveryFillLevelEndsCleanly) {
  const std::string root = mount_point_ + "/store";
  std::unique_ptr<ArtifactStore> store = OpenStore(root);
  ASSERT_NE(store, nullptr);
  const std::string filler_path = mount_point_ + "/filler";
  int succeeded = 0, failed = 0;
  for (int kib = 0; kib <= 1024; kib += 64) {
    SCOPED_TRACE(kib);
    {
      const int fd = ::open(filler_path.c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ASSERT_GE(fd, 0);
      const std::string block(1024, 'f');
      for (int i = 0; i < kib; ++i) {
        if (::write(fd, block.data(), block.size()) <= 0) break;  // Full.
      }
      ::close(fd);
    }
    const std::string data = PseudoRandomBytes(200 << 10, 5000 + kib);
    WriteFileOrDie(dir_.Sub("in"), data);
    absl::StatusOr<ArtifactRef> ref = store->PutFile(dir_.Sub("in"));
    if (ref.ok()) {
      ++succeeded;
      EXPECT_TRUE(store->Verify(ref->digest).ok());
      EXPECT_EQ(*store->ReadBytes(ref->digest, kNoLimit), data);
      ASSERT_EQ(::unlink(store->BlobPath(ref->digest).c_str()), 0);
    } else {
      ++failed;
      EXPECT_EQ(ref.status().code(), absl::StatusCode::kResourceExhausted)
          << ref.status();
    }
    EXPECT_TRUE(ListNames(root + "/tmp").empty());
    ASSERT_EQ(::unlink(filler_path.c_str()), 0);
  }
  EXPECT_GT(succeeded, 0);
  EXPECT_GT(failed, 0);
}

// ---------------------------------------------------------------------------
// Memory.

long MaxRssKiB() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux.
}

TEST(ArtifactStoreMemoryTest, StreamingA64MiBFileDoesNotHoldItInMemory) {
  constexpr size_t kChunk = 1 << 20;
  constexpr int kChunks = 64;
  TempDir dir;
  const std::string in = dir.Sub("model.bin");
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  ASSERT_TRUE(hasher.ok());
  {
    const int fd = ::open(in.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < kChunks; ++i) {
      const std::string chunk = PseudoRandomBytes(kChunk, 900 + i);
      hasher->Update(chunk);
      ASSERT_EQ(::write(fd, chunk.data(), chunk.size()),
                static_cast<ssize_t>(chunk.size()));
    }
    ASSERT_EQ(::close(fd), 0);
  }
  const Digest expected = *hasher->Finish();

  // The child measures its own peak RSS: a fresh process starts with a
  // peak equal to what it holds at fork, so earlier tests' peaks in this
  // process do not hide growth.
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(report[0]);
    long figures[3] = {0, 0, 0};
    int code = 0;
    absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
        ArtifactStore::Open(dir.Sub("store"));
    // Warm up (libcrypto, allocator) before the baseline.
    if (!store.ok() || !(*store)->PutBytes("warm up").ok()) code = 1;
    figures[0] = MaxRssKiB();
    if (code == 0) {
      absl::StatusOr<ArtifactRef> ref = (*store)->PutFile(in);
      if (!ref.ok() || ref->digest != expected ||
          ref->size_bytes != kChunk * kChunks) {
        code = 2;
      } else if (!(*store)->GetFile(expected, dir.Sub("out.bin")).ok()) {
        code = 3;
      } else if (!(*store)->Verify(expected).ok()) {
        code = 4;
      } else if (!(*store)
                      ->RestoreTree({{.relative_path = "m/model.bin",
                                      .digest = expected,
                                      .size_bytes = kChunk * kChunks}},
                                    dir.Sub("tree"))
                      .ok()) {
        code = 5;
      }
    }
    figures[1] = MaxRssKiB();
    // Control: the probe does see a 64 MiB buffer when there is one.
    {
      std::unique_ptr<char[]> buffer(new char[kChunk * kChunks]);
      // Volatile stores: the compiler may not drop the allocation.
      volatile char* pages = buffer.get();
      for (size_t i = 0; i < kChunk * kChunks; i += 4096) pages[i] = 1;
      figures[2] = MaxRssKiB();
    }
    (void)::write(report[1], figures, sizeof(figures));
    ::_exit(code);
  }
  ::close(report[1]);
  long figures[3] = {0, 0, 0};
  ASSERT_EQ(::read(report[0], figures, sizeof(figures)),
            static_cast<ssize_t>(sizeof(figures)));
  ::close(report[0]);
  ASSERT_EQ(WaitForExit(pid), 0) << "a store call failed in the child";

  const long growth_kib = figures[1] - figures[0];
  const long control_kib = figures[2] - figures[1];
  RecordProperty("rss_growth_kib", std::to_string(growth_kib));
  std::printf(
      "peak RSS growth while streaming 64 MiB: %ld KiB (control: %ld "
      "KiB for a 64 MiB buffer)\n",
      growth_kib, control_kib);
  EXPECT_LT(growth_kib, 8 * 1024)
      << "peak RSS grew by " << growth_kib << " KiB while streaming 64 MiB";
  EXPECT_GT(control_kib, 48 * 1024)
      << "the probe did not see a 64 MiB allocation; the check is blind";
  EXPECT_EQ(artifacts_test::ReadFileOrDie(dir.Sub("out.bin")).size(),
            kChunk * kChunks);
  EXPECT_TRUE(PathExists(dir.Sub("tree/m/model.bin")));
}

}  // namespace
}  // namespace slipway::internal_artifacts
