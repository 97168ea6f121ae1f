#include "src/artifacts/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/artifacts/digest.h"
#include "src/artifacts/manifest.h"
#include "tests/artifacts/test_util.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::artifacts_test::ListFilesRecursively;
using ::slipway::artifacts_test::ListNames;
using ::slipway::artifacts_test::MessageOf;
using ::slipway::artifacts_test::PathExists;
using ::slipway::artifacts_test::PseudoRandomBytes;
using ::slipway::artifacts_test::ReadFileOrDie;
using ::slipway::artifacts_test::ReasonOf;
using ::slipway::artifacts_test::TempDir;
using ::slipway::artifacts_test::ValueOf;
using ::slipway::artifacts_test::WriteFileOrDie;
using ::testing::HasSubstr;

constexpr uint64_t kNoLimit = ~uint64_t{0};

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(); }

  std::unique_ptr<ArtifactStore> OpenStore(ArtifactStoreOptions options = {}) {
    absl::StatusOr<std::unique_ptr<ArtifactStore>> store =
        ArtifactStore::Open(root_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Every blob file under <root>/sha256, as "<2 hex>/<62 hex>".
  std::vector<std::string> Blobs() const {
    return ListFilesRecursively(root_ + "/sha256");
  }

  // Makes the blob writable and changes one byte in its middle.
  void FlipByte(const Digest& digest) {
    const std::string path = store_->BlobPath(digest);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    std::string data = ReadFileOrDie(path);
    ASSERT_FALSE(data.empty());
    data[data.size() / 2] ^= 0x01;
    WriteFileOrDie(path, data);
  }

  void Truncate(const Digest& digest, off_t size) {
    const std::string path = store_->BlobPath(digest);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    ASSERT_EQ(::truncate(path.c_str(), size), 0);
  }

  TempDir dir_;
  TempDir out_;
  std::string root_ = dir_.Sub("store");
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(ArtifactStoreTest, OpenCreatesTheLayout) {
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->root(), root_);
  EXPECT_EQ(ListNames(root_), (std::vector<std::string>{"sha256", "tmp"}));
  // Reopening an existing store is fine, with or without create_if_missing.
  EXPECT_NE(OpenStore(), nullptr);
  EXPECT_NE(OpenStore({.create_if_missing = false}), nullptr);
  // A trailing slash names the same root.
  absl::StatusOr<std::unique_ptr<ArtifactStore>> slash =
      ArtifactStore::Open(root_ + "//");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ((*slash)->root(), root_);
}

TEST_F(ArtifactStoreTest, OpenErrors) {
  absl::StatusOr<std::unique_ptr<ArtifactStore>> empty =
      ArtifactStore::Open("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(empty.status()), "ARTIFACT_ROOT_INVALID");

  absl::StatusOr<std::unique_ptr<ArtifactStore>> missing =
      ArtifactStore::Open(dir_.Sub("typo/store"), {.create_if_missing = false});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing.status()), "FILE_NOT_FOUND");
  EXPECT_FALSE(PathExists(dir_.Sub("typo")));

  WriteFileOrDie(dir_.Sub("file"), "x");
  absl::StatusOr<std::unique_ptr<ArtifactStore>> file =
      ArtifactStore::Open(dir_.Sub("file"));
  EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(file.status()), "PATH_CONFLICT");

  ASSERT_EQ(::mkdir(dir_.Sub("blocked").c_str(), 0755), 0);
  WriteFileOrDie(dir_.Sub("blocked/tmp"), "a file where tmp/ goes");
  absl::StatusOr<std::unique_ptr<ArtifactStore>> blocked =
      ArtifactStore::Open(dir_.Sub("blocked"));
  EXPECT_EQ(ReasonOf(blocked.status()), "PATH_CONFLICT");
}

TEST_F(ArtifactStoreTest, BytesRoundTripAndLayout) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("hello artifacts");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->digest, *Sha256Of("hello artifacts"));
  EXPECT_EQ(ref->size_bytes, 15u);

  const std::string hex = ref->digest.Hex();
  const std::string blob =
      root_ + "/sha256/" + hex.substr(0, 2) + "/" + hex.substr(2);
  EXPECT_EQ(store_->BlobPath(ref->digest), blob);
  EXPECT_EQ(ReadFileOrDie(blob), "hello artifacts");
  struct stat st;
  ASSERT_EQ(::stat(blob.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_TRUE(ListNames(root_ + "/tmp").empty());

  absl::StatusOr<std::string> back = store_->ReadBytes(ref->digest, 15);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "hello artifacts");
  EXPECT_TRUE(store_->Verify(ref->digest).ok());
  EXPECT_TRUE(*store_->Contains(ref->digest));

  // Another store object on the same root sees it.
  std::unique_ptr<ArtifactStore> again = OpenStore();
  EXPECT_EQ(*again->ReadBytes(ref->digest, kNoLimit), "hello artifacts");
}

TEST_F(ArtifactStoreTest, FileRoundTrip) {
  WriteFileOrDie(dir_.Sub("in.bin"), std::string("weights\0and more", 16));
  absl::StatusOr<ArtifactRef> ref = store_->PutFile(dir_.Sub("in.bin"));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->digest, *Sha256Of(ReadFileOrDie(dir_.Sub("in.bin"))));
  ASSERT_TRUE(store_->GetFile(ref->digest, out_.Sub("out.bin")).ok());
  EXPECT_EQ(ReadFileOrDie(out_.Sub("out.bin")),
            ReadFileOrDie(dir_.Sub("in.bin")));
  // Only the file: no temporary file left beside it.
  EXPECT_EQ(ListNames(out_.path()), std::vector<std::string>{"out.bin"});
  // The restored file is an ordinary writable file, not a read-only blob.
  struct stat st;
  ASSERT_EQ(::stat(out_.Sub("out.bin").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IWUSR);

  // GetFile replaces an existing file.
  WriteFileOrDie(out_.Sub("old.bin"), "old content, longer than the new");
  ASSERT_TRUE(store_->GetFile(ref->digest, out_.Sub("old.bin")).ok());
  EXPECT_EQ(ReadFileOrDie(out_.Sub("old.bin")),
            ReadFileOrDie(dir_.Sub("in.bin")));
}

TEST_F(ArtifactStoreTest, GetFileWithARelativePath) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("relative");
  ASSERT_TRUE(ref.ok());
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(out_.path().c_str()), 0);
  absl::Status s = store_->GetFile(ref->digest, "here.txt");
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFileOrDie(out_.Sub("here.txt")), "relative");
}

TEST_F(ArtifactStoreTest, EmptyFileRoundTrip) {
  WriteFileOrDie(dir_.Sub("empty"), "");
  absl::StatusOr<ArtifactRef> ref = store_->PutFile(dir_.Sub("empty"));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->size_bytes, 0u);
  EXPECT_EQ(ref->digest.ToString(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
            "852b855");
  ASSERT_TRUE(store_->GetFile(ref->digest, out_.Sub("empty")).ok());
  EXPECT_TRUE(PathExists(out_.Sub("empty")));
  EXPECT_EQ(ReadFileOrDie(out_.Sub("empty")), "");
  EXPECT_EQ(*store_->ReadBytes(ref->digest, 0), "");
  EXPECT_TRUE(store_->Verify(ref->digest).ok());
  // PutBytes("") is the same blob.
  EXPECT_EQ(store_->PutBytes("")->digest, ref->digest);
  EXPECT_EQ(Blobs().size(), 1u);
}

TEST_F(ArtifactStoreTest, MultiMebibyteFilesRoundTripAcrossBufferBoundaries) {
  // A 4 KiB buffer makes each size below cross many buffer boundaries; the
  // default 1 MiB buffer is checked with the largest one.
  std::unique_ptr<ArtifactStore> small = OpenStore({.io_buffer_bytes = 1});
  const size_t sizes[] = {4095, 4096, 4097, 3 * 4096, (5 << 20) + 123};
  uint64_t seed = 1;
  for (size_t size : sizes) {
    SCOPED_TRACE(size);
    const std::string data = PseudoRandomBytes(size, seed++);
    const std::string in = dir_.Sub("big" + std::to_string(size));
    WriteFileOrDie(in, data);
    for (ArtifactStore* store : {small.get(), store_.get()}) {
      absl::StatusOr<ArtifactRef> ref = store->PutFile(in);
      ASSERT_TRUE(ref.ok()) << ref.status();
      EXPECT_EQ(ref->size_bytes, size);
      EXPECT_EQ(ref->digest, *Sha256Of(data));
      const std::string out = out_.Sub("big" + std::to_string(size));
      ASSERT_TRUE(store->GetFile(ref->digest, out).ok());
      EXPECT_TRUE(ReadFileOrDie(out) == data) << "content differs";
      absl::StatusOr<std::string> bytes = store->ReadBytes(ref->digest, size);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_TRUE(*bytes == data) << "content differs";
      EXPECT_TRUE(store->Verify(ref->digest).ok());
    }
  }
  EXPECT_EQ(Blobs().size(), std::size(sizes));
}

TEST_F(ArtifactStoreTest, SameContentIsStoredOnceAndNotRewritten) {
  const std::string data = PseudoRandomBytes(300000, 42);
  WriteFileOrDie(dir_.Sub("a"), data);
  WriteFileOrDie(dir_.Sub("b"), data);
  absl::StatusOr<ArtifactRef> first = store_->PutFile(dir_.Sub("a"));
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string blob = store_->BlobPath(first->digest);

  // Backdate the blob, so that any rewrite would show in its mtime too.
  const struct timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, blob.c_str(), old_times, 0), 0);
  struct stat before;
  ASSERT_EQ(::stat(blob.c_str(), &before), 0);

  absl::StatusOr<ArtifactRef> second = store_->PutFile(dir_.Sub("b"));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<ArtifactRef> third = store_->PutBytes(data);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(*third, *first);

  struct stat after;
  ASSERT_EQ(::stat(blob.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(after.st_mtim.tv_nsec, 0);
  EXPECT_EQ(Blobs().size(), 1u);
  EXPECT_TRUE(ListNames(root_ + "/tmp").empty());
}

TEST_F(ArtifactStoreTest, PuttingAgainRepairsABlobOfTheWrongSize) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("complete content");
  ASSERT_TRUE(ref.ok());
  Truncate(ref->digest, 4);
  EXPECT_EQ(store_->Verify(ref->digest).code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(store_->PutBytes("complete content").ok());
  EXPECT_TRUE(store_->Verify(ref->digest).ok());
  EXPECT_EQ(*store_->ReadBytes(ref->digest, kNoLimit), "complete content");
}

TEST_F(ArtifactStoreTest, CorruptBlobIsDataLossAndNeverWrongBytes) {
  const std::string data = PseudoRandomBytes(3 << 20, 9);
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes(data);
  ASSERT_TRUE(ref.ok()) << ref.status();
  FlipByte(ref->digest);
  const std::string digest = ref->digest.ToString();

  const std::string dest = out_.Sub("model.bin");
  absl::Status get = store_->GetFile(ref->digest, dest);
  EXPECT_EQ(get.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(get), "ARTIFACT_CORRUPT");
  EXPECT_EQ(ValueOf(get), digest);
  EXPECT_THAT(MessageOf(get), HasSubstr(digest));
  EXPECT_THAT(MessageOf(get), HasSubstr(dest));
  EXPECT_THAT(MessageOf(get), HasSubstr(store_->BlobPath(ref->digest)));
  EXPECT_FALSE(PathExists(dest));
  EXPECT_TRUE(ListNames(out_.path()).empty()) << "a temporary file was left";

  // An existing destination keeps its old content.
  WriteFileOrDie(dest, "previous version");
  EXPECT_EQ(store_->GetFile(ref->digest, dest).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadFileOrDie(dest), "previous version");
  EXPECT_EQ(ListNames(out_.path()), std::vector<std::string>{"model.bin"});

  absl::StatusOr<std::string> bytes = store_->ReadBytes(ref->digest, kNoLimit);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(bytes.status()), "ARTIFACT_CORRUPT");
  EXPECT_EQ(ValueOf(bytes.status()), digest);

  absl::Status verify = store_->Verify(ref->digest);
  EXPECT_EQ(verify.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReasonOf(verify), "ARTIFACT_CORRUPT");

  // A restore of a manifest naming it fails the same way.
  absl::Status restore = store_->RestoreTree({{.relative_path = "sub/model.bin",
                                               .digest = ref->digest,
                                               .size_bytes = data.size()}},
                                             out_.Sub("tree"));
  EXPECT_EQ(restore.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(MessageOf(restore), HasSubstr(out_.Sub("tree/sub/model.bin")));
  EXPECT_TRUE(ListFilesRecursively(out_.Sub("tree")).empty());
}

TEST_F(ArtifactStoreTest, TruncatedBlobIsDataLoss) {
  const std::string data = PseudoRandomBytes(100000, 3);
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes(data);
  ASSERT_TRUE(ref.ok());
  for (off_t size : {off_t{99999}, off_t{0}}) {
    SCOPED_TRACE(size);
    Truncate(ref->digest, size);
    absl::Status get = store_->GetFile(ref->digest, out_.Sub("x"));
    EXPECT_EQ(get.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(ReasonOf(get), "ARTIFACT_CORRUPT");
    EXPECT_THAT(MessageOf(get),
                HasSubstr("(" + std::to_string(size) + " bytes read)"));
    EXPECT_FALSE(PathExists(out_.Sub("x")));
    EXPECT_EQ(store_->ReadBytes(ref->digest, kNoLimit).status().code(),
              absl::StatusCode::kDataLoss);
    EXPECT_EQ(store_->Verify(ref->digest).code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_TRUE(ListNames(out_.path()).empty());
}

TEST_F(ArtifactStoreTest, MissingBlobIsNotFound) {
  const Digest digest = *Sha256Of("never stored");
  EXPECT_FALSE(*store_->Contains(digest));
  absl::Status get = store_->GetFile(digest, out_.Sub("x"));
  EXPECT_EQ(get.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(get), "ARTIFACT_NOT_FOUND");
  EXPECT_EQ(ValueOf(get), digest.ToString());
  EXPECT_THAT(MessageOf(get), HasSubstr(digest.ToString()));
  EXPECT_THAT(MessageOf(get), HasSubstr(root_));
  EXPECT_FALSE(PathExists(out_.Sub("x")));
  EXPECT_TRUE(ListNames(out_.path()).empty());

  absl::StatusOr<std::string> bytes = store_->ReadBytes(digest, kNoLimit);
  EXPECT_EQ(ReasonOf(bytes.status()), "ARTIFACT_NOT_FOUND");
  EXPECT_EQ(ReasonOf(store_->Verify(digest)), "ARTIFACT_NOT_FOUND");
  // A blob deleted by hand is missing too, even with its folder left.
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("deleted later");
  ASSERT_TRUE(ref.ok());
  ASSERT_EQ(::unlink(store_->BlobPath(ref->digest).c_str()), 0);
  EXPECT_FALSE(*store_->Contains(ref->digest));
  EXPECT_EQ(ReasonOf(store_->Verify(ref->digest)), "ARTIFACT_NOT_FOUND");
}

TEST_F(ArtifactStoreTest, ReadBytesRefusesBlobsOverTheLimit) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("0123456789");
  ASSERT_TRUE(ref.ok());
  absl::StatusOr<std::string> bytes = store_->ReadBytes(ref->digest, 9);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReasonOf(bytes.status()), "ARTIFACT_TOO_LARGE");
  EXPECT_THAT(MessageOf(bytes.status()), HasSubstr("10 bytes"));
  EXPECT_EQ(*store_->ReadBytes(ref->digest, 10), "0123456789");
}

TEST_F(ArtifactStoreTest, PutFileInputErrors) {
  absl::StatusOr<ArtifactRef> missing = store_->PutFile(dir_.Sub("nope.bin"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing.status()), "FILE_NOT_FOUND");
  EXPECT_EQ(ValueOf(missing.status()), dir_.Sub("nope.bin"));

  absl::StatusOr<ArtifactRef> folder = store_->PutFile(dir_.path());
  EXPECT_EQ(folder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(folder.status()), "PATH_CONFLICT");
  EXPECT_THAT(MessageOf(folder.status()), HasSubstr("PutTree"));
  EXPECT_TRUE(ListNames(root_ + "/tmp").empty());
}

TEST_F(ArtifactStoreTest, ReadOnlyStoreIsPermissionDenied) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores file modes; run as an unprivileged user "
                    "(setpriv --reuid=65534 --regid=65534 --clear-groups)";
  }
  ASSERT_EQ(::chmod((root_ + "/tmp").c_str(), 0555), 0);
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("refused");
  ASSERT_EQ(::chmod((root_ + "/tmp").c_str(), 0755), 0);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(ref.status()), "PERMISSION_DENIED");
  EXPECT_TRUE(Blobs().empty());
}

TEST_F(ArtifactStoreTest, GetFileDestinationErrors) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("x");
  ASSERT_TRUE(ref.ok());
  absl::Status no_dir = store_->GetFile(ref->digest, out_.Sub("no/such/f"));
  EXPECT_EQ(no_dir.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(no_dir), "FILE_NOT_FOUND");

  ASSERT_EQ(::mkdir(out_.Sub("d").c_str(), 0755), 0);
  absl::Status is_dir = store_->GetFile(ref->digest, out_.Sub("d"));
  EXPECT_EQ(is_dir.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(is_dir), "PATH_CONFLICT");
  EXPECT_EQ(ListNames(out_.path()), std::vector<std::string>{"d"});

  EXPECT_EQ(ReasonOf(store_->GetFile(ref->digest, out_.path() + "/")),
            "PATH_CONFLICT");
}

TEST_F(ArtifactStoreTest, TreeRoundTripWithNestedFolders) {
  const std::string src = dir_.Sub("model");
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/weights").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/weights/shards").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/empty").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/a").c_str(), 0755), 0);
  const std::string big = PseudoRandomBytes((2 << 20) + 5, 11);
  WriteFileOrDie(src + "/config.json", "{\"layers\": 2}");
  WriteFileOrDie(src + "/weights/shards/0.bin", big);
  WriteFileOrDie(src + "/weights/shards/1.bin", "shard one");
  WriteFileOrDie(src + "/weights/copy.bin", "shard one");  // Same content.
  WriteFileOrDie(src + "/a.txt", "");
  WriteFileOrDie(src + "/a/b", "in a");
  ASSERT_EQ(::symlink("config.json", (src + "/link.json").c_str()), 0);

  absl::StatusOr<std::vector<ArtifactEntry>> manifest = store_->PutTree(src);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  std::vector<std::string> paths;
  for (const ArtifactEntry& e : *manifest) paths.push_back(e.relative_path);
  // Byte order: "a.txt" < "a/b" because '.' < '/'.
  EXPECT_EQ(paths,
            (std::vector<std::string>{
                "a.txt", "a/b", "config.json", "link.json", "weights/copy.bin",
                "weights/shards/0.bin", "weights/shards/1.bin"}));
  for (const ArtifactEntry& e : *manifest) {
    SCOPED_TRACE(e.relative_path);
    const std::string content = ReadFileOrDie(src + "/" + e.relative_path);
    EXPECT_EQ(e.digest, *Sha256Of(content));
    EXPECT_EQ(e.size_bytes, content.size());
  }
  // Seven files, five distinct contents ("shard one" twice, link = config).
  EXPECT_EQ(Blobs().size(), 5u);

  const std::string dest = out_.Sub("restored/model");
  ASSERT_TRUE(store_->RestoreTree(*manifest, dest).ok());
  EXPECT_EQ(ListFilesRecursively(dest), paths);
  for (const std::string& p : paths) {
    EXPECT_TRUE(ReadFileOrDie(dest + "/" + p) == ReadFileOrDie(src + "/" + p))
        << p;
  }
  // Restoring again over the same tree replaces the files, leaves others.
  WriteFileOrDie(dest + "/config.json", "edited");
  WriteFileOrDie(dest + "/extra.txt", "mine");
  ASSERT_TRUE(store_->RestoreTree(*manifest, dest).ok());
  EXPECT_EQ(ReadFileOrDie(dest + "/config.json"), "{\"layers\": 2}");
  EXPECT_EQ(ReadFileOrDie(dest + "/extra.txt"), "mine");
  EXPECT_TRUE(ListNames(root_ + "/tmp").empty());
}

TEST_F(ArtifactStoreTest, PutTreeOfAFileAndOfAnEmptyFolder) {
  WriteFileOrDie(dir_.Sub("model.onnx"), "onnx bytes");
  absl::StatusOr<std::vector<ArtifactEntry>> one =
      store_->PutTree(dir_.Sub("model.onnx"));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].relative_path, "model.onnx");
  EXPECT_EQ((*one)[0].size_bytes, 10u);
  ASSERT_TRUE(store_->RestoreTree(*one, out_.Sub("r")).ok());
  EXPECT_EQ(ReadFileOrDie(out_.Sub("r/model.onnx")), "onnx bytes");

  ASSERT_EQ(::mkdir(dir_.Sub("empty").c_str(), 0755), 0);
  absl::StatusOr<std::vector<ArtifactEntry>> none =
      store_->PutTree(dir_.Sub("empty"));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(store_->RestoreTree(*none, out_.Sub("e")).ok());
  EXPECT_TRUE(PathExists(out_.Sub("e")));
}

TEST_F(ArtifactStoreTest, PutTreeRefusesWhatAManifestCannotHold) {
  const std::string src = dir_.Sub("t");
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  WriteFileOrDie(src + "/ok", "fine");
  ASSERT_EQ(::symlink(dir_.path().c_str(), (src + "/up").c_str()), 0);
  absl::StatusOr<std::vector<ArtifactEntry>> link = store_->PutTree(src);
  EXPECT_EQ(link.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(link.status()), "ARTIFACT_FILE_TYPE_UNSUPPORTED");
  EXPECT_EQ(ValueOf(link.status()), src + "/up");
  EXPECT_TRUE(Blobs().empty()) << "the walk should fail before any put";
  ASSERT_EQ(::unlink((src + "/up").c_str()), 0);

  ASSERT_EQ(::mkfifo((src + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReasonOf(store_->PutTree(src).status()),
            "ARTIFACT_FILE_TYPE_UNSUPPORTED");
  ASSERT_EQ(::unlink((src + "/fifo").c_str()), 0);

  ASSERT_EQ(::symlink("missing", (src + "/dangling").c_str()), 0);
  EXPECT_EQ(ReasonOf(store_->PutTree(src).status()), "FILE_NOT_FOUND");
  ASSERT_EQ(::unlink((src + "/dangling").c_str()), 0);

  WriteFileOrDie(src + "/back\\slash", "x");
  absl::StatusOr<std::vector<ArtifactEntry>> name = store_->PutTree(src);
  EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(name.status()), "ARTIFACT_PATH_INVALID");
  EXPECT_TRUE(Blobs().empty());

  EXPECT_EQ(ReasonOf(store_->PutTree(dir_.Sub("missing")).status()),
            "FILE_NOT_FOUND");
}

TEST_F(ArtifactStoreTest, RestoreTreeRejectsManifestsThatEscape) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("payload");
  ASSERT_TRUE(ref.ok());
  const std::string dest = out_.Sub("dest");
  for (const std::string& bad :
       {std::string("../x"), std::string("/abs"), std::string("a/../../x"),
        out_.Sub("abs-outside"), std::string("a/./b"),
        std::string("a\0b", 3)}) {
    SCOPED_TRACE(bad);
    // A valid entry first: validation covers the whole manifest before
    // anything is written.
    absl::Status s = store_->RestoreTree(
        {{.relative_path = "good", .digest = ref->digest, .size_bytes = 7},
         {.relative_path = bad, .digest = ref->digest, .size_bytes = 7}},
        dest);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(s), "ARTIFACT_PATH_INVALID");
    EXPECT_EQ(ValueOf(s), bad);
  }
  EXPECT_FALSE(PathExists(dest));
  EXPECT_EQ(ListNames(out_.path()), std::vector<std::string>{});
  EXPECT_FALSE(PathExists(out_.Sub("x")));
  EXPECT_FALSE(PathExists(out_.Sub("abs-outside")));

  absl::Status twice = store_->RestoreTree(
      {{.relative_path = "a", .digest = ref->digest, .size_bytes = 7},
       {.relative_path = "a", .digest = ref->digest, .size_bytes = 7}},
      dest);
  EXPECT_EQ(ReasonOf(twice), "ARTIFACT_MANIFEST_INVALID");
}

TEST_F(ArtifactStoreTest, RestoreTreeNeverFollowsLinksOutOfTheFolder) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("payload");
  ASSERT_TRUE(ref.ok());
  TempDir outside;
  const std::string dest = out_.Sub("dest");
  ASSERT_EQ(::mkdir(dest.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(outside.path().c_str(), (dest + "/sub").c_str()), 0);

  absl::Status s = store_->RestoreTree(
      {{.relative_path = "sub/evil", .digest = ref->digest, .size_bytes = 7}},
      dest);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "PATH_CONFLICT");
  EXPECT_TRUE(ListNames(outside.path()).empty());

  // A link where a file goes is replaced by the file, not written through.
  ASSERT_EQ(
      ::symlink((outside.path() + "/target").c_str(), (dest + "/file").c_str()),
      0);
  ASSERT_TRUE(store_
                  ->RestoreTree({{.relative_path = "file",
                                  .digest = ref->digest,
                                  .size_bytes = 7}},
                                dest)
                  .ok());
  EXPECT_TRUE(ListNames(outside.path()).empty());
  struct stat st;
  ASSERT_EQ(::lstat((dest + "/file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadFileOrDie(dest + "/file"), "payload");
}

TEST_F(ArtifactStoreTest, RestoreTreeChecksEntrySizes) {
  absl::StatusOr<ArtifactRef> ref = store_->PutBytes("payload");
  ASSERT_TRUE(ref.ok());
  absl::Status s = store_->RestoreTree(
      {{.relative_path = "f", .digest = ref->digest, .size_bytes = 8}},
      out_.path());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "ARTIFACT_MANIFEST_INVALID");
  EXPECT_TRUE(ListNames(out_.path()).empty());

  absl::Status missing =
      store_->RestoreTree({{.relative_path = "g",
                            .digest = *Sha256Of("not stored"),
                            .size_bytes = 10}},
                          out_.path());
  EXPECT_EQ(ReasonOf(missing), "ARTIFACT_NOT_FOUND");
}

TEST_F(ArtifactStoreTest, ManyThreadsPutAndReadAtOnce) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  const std::string shared = PseudoRandomBytes(200000, 5);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        absl::StatusOr<ArtifactRef> a = store_->PutBytes(shared);
        absl::StatusOr<ArtifactRef> b =
            store_->PutBytes(PseudoRandomBytes(1000, 100 * t + i));
        if (!a.ok() || !b.ok()) {
          results[t] = a.ok() ? b.status() : a.status();
          return;
        }
        absl::StatusOr<std::string> back =
            store_->ReadBytes(a->digest, kNoLimit);
        if (!back.ok() || *back != shared) {
          results[t] =
              back.ok() ? absl::InternalError("wrong bytes") : back.status();
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Blobs().size(), 1u + kThreads * 20);
  EXPECT_TRUE(ListNames(root_ + "/tmp").empty());
}

}  // namespace
}  // namespace slipway::internal_artifacts
