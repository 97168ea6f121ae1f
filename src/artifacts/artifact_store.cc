#include "src/artifacts/artifact_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "slipway/status.h"
#include "src/artifacts/digest.h"
#include "src/artifacts/manifest.h"
#include "src/artifacts/posix_file.h"
#include "src/env/file_errors.h"
#include "src/errors/strings.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::internal_env::FileError;
using ::slipway::internal_strings::Cat;

constexpr size_t kMinBufferBytes = 4096;

// Blob files are read-only: nothing in the store ever rewrites one, and the
// mode keeps a stray `open(..., "w")` from doing so by accident.
constexpr mode_t kBlobMode = 0444;

// Temporary files beside a restored file are named ".<name>.tmp-<pid>-<n>";
// at most this much of <name> is kept so the whole stays under NAME_MAX.
constexpr size_t kMaxTempBaseName = 100;

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return Cat(dir, name);
  return Cat(dir, "/", name);
}

// Returns `status` with `context` appended to its message, code and
// payloads (the ErrorDetail) kept.
absl::Status WithContext(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), Cat(status.message(), context));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

absl::Status NotFoundError(const Digest& digest, std::string_view root,
                           std::string_view blob_path) {
  constexpr char kFix[] =
      "Put the content first (PutFile, PutBytes or PutTree), or check the "
      "digest and the store's root folder.";
  const std::string text = digest.ToString();
  return MakeError(
      absl::StatusCode::kNotFound,
      Cat("artifact ", QuoteForMessage(text), " is not in the store at ",
          QuoteForMessage(root), " (no blob ", QuoteForMessage(blob_path),
          "). Fix: ", kFix),
      ErrorDetail{.reason = "ARTIFACT_NOT_FOUND",
                  .rule = "a blob lives at <root>/sha256/<2 hex>/<62 hex>",
                  .value = text,
                  .fix = kFix});
}

// `dest` is the file the caller asked for ("" when none, e.g. Verify).
absl::Status CorruptError(const Digest& expected, const Digest& actual,
                          uint64_t bytes_read, std::string_view blob_path,
                          std::string_view dest) {
  constexpr char kFix[] =
      "The stored copy is damaged (a disk fault or an edited file): delete "
      "the blob file and put the original content again, or restore the "
      "store's folder from a backup.";
  const std::string text = expected.ToString();
  std::string message =
      Cat("artifact ", QuoteForMessage(text), " is corrupt: its blob ",
          QuoteForMessage(blob_path), " (", bytes_read,
          " bytes read) hashes to ", actual.ToString());
  if (!dest.empty()) {
    internal_strings::Append(&message, "; ", QuoteForMessage(dest),
                             " was not written");
  }
  internal_strings::Append(&message, ". Fix: ", kFix);
  return MakeError(
      absl::StatusCode::kDataLoss, message,
      ErrorDetail{.reason = "ARTIFACT_CORRUPT",
                  .rule = "every read checks that a blob's bytes hash to its "
                          "digest (SHA-256)",
                  .value = text,
                  .fix = kFix});
}

absl::Status UnsupportedFileType(const std::string& path,
                                 std::string_view what) {
  constexpr char kFix[] =
      "Replace it with a regular file (or copy the directory a link points "
      "to into the tree), or move it out of the tree.";
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("cannot store ", QuoteForMessage(path), ": it is ", what,
          "; a stored tree holds regular files and directories only. Fix: ",
          kFix),
      ErrorDetail{.reason = "ARTIFACT_FILE_TYPE_UNSUPPORTED",
                  .rule = "a stored tree holds regular files (links to "
                          "regular files are read through) and directories",
                  .value = path,
                  .fix = kFix});
}

// Splits `path` into the directory part ("" for a bare name) and the last
// name.
void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    dir->clear();
    *name = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

// Drops trailing '/' (keeping a lone "/").
std::string TrimTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

ArtifactStore::ArtifactStore(std::string root, ArtifactStoreOptions options)
    : root_(std::move(root)),
      blob_root_(JoinPath(root_, "sha256")),
      tmp_dir_(JoinPath(root_, "tmp")),
      options_(options) {}

absl::StatusOr<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(
    std::string root, ArtifactStoreOptions options) {
  if (root.empty()) {
    constexpr char kFix[] =
        "Pass the folder that holds (or should hold) the artifacts, e.g. "
        "\"/var/lib/slipway/artifacts\".";
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("the artifact store root is empty. Fix: ", kFix),
                     ErrorDetail{.reason = "ARTIFACT_ROOT_INVALID",
                                 .rule = "the artifact store root is a "
                                         "non-empty path",
                                 .value = root,
                                 .fix = kFix});
  }
  root = TrimTrailingSlashes(std::move(root));
  if (!options.create_if_missing) {
    absl::StatusOr<FileInfo> info = StatPath(root, /*follow_symlinks=*/true);
    if (!info.ok()) return info.status();
    if (info->type != FileType::kDirectory) {
      return FileError(ENOTDIR, "open", root, " (the artifact store root)");
    }
  }
  auto store = std::unique_ptr<ArtifactStore>(
      new ArtifactStore(std::move(root), options));
  // CreateDirs is a no-op for folders that exist, and fails with
  // PATH_CONFLICT where a file stands in the way.
  for (const std::string* dir :
       {&store->root_, &store->blob_root_, &store->tmp_dir_}) {
    if (absl::Status s = CreateDirs(*dir); !s.ok()) {
      return WithContext(s, " (opening the artifact store)");
    }
  }
  return store;
}

size_t ArtifactStore::buffer_bytes() const {
  return std::max(options_.io_buffer_bytes, kMinBufferBytes);
}

std::string ArtifactStore::BlobPath(const Digest& digest) const {
  const std::string hex = digest.Hex();
  return Cat(blob_root_, "/", std::string_view(hex).substr(0, 2), "/",
             std::string_view(hex).substr(2));
}

absl::StatusOr<ScopedFd> ArtifactStore::OpenBlob(const Digest& digest,
                                                 uint64_t* size_bytes) const {
  const std::string path = BlobPath(digest);
  absl::StatusOr<ScopedFd> fd = OpenForRead(path, size_bytes);
  if (!fd.ok() && fd.status().code() == absl::StatusCode::kNotFound) {
    return NotFoundError(digest, root_, path);
  }
  return fd;
}

bool ArtifactStore::BlobExistsWithSize(const Digest& digest,
                                       uint64_t size) const {
  absl::StatusOr<FileInfo> info =
      StatPath(BlobPath(digest), /*follow_symlinks=*/false);
  return info.ok() && info->type == FileType::kRegular &&
         info->size_bytes == size;
}

absl::StatusOr<bool> ArtifactStore::Contains(const Digest& digest) {
  absl::StatusOr<FileInfo> info =
      StatPath(BlobPath(digest), /*follow_symlinks=*/false);
  if (!info.ok()) {
    if (info.status().code() == absl::StatusCode::kNotFound) return false;
    return info.status();
  }
  return info->type == FileType::kRegular;
}

absl::StatusOr<TempFile> ArtifactStore::NewBlobTempFile() {
  absl::StatusOr<ScopedFd> dir = OpenDirectory(tmp_dir_);
  if (!dir.ok()) return dir.status();
  return TempFile::Create(dir->get(), tmp_dir_, "put-", &temp_counter_);
}

absl::StatusOr<ArtifactRef> ArtifactStore::Install(TempFile& temp,
                                                   const Digest& digest,
                                                   uint64_t size) {
  const ArtifactRef ref{.digest = digest, .size_bytes = size};
  // Stored once: an existing blob of the right size is kept as it is (its
  // inode and mtime do not change); the temporary file is dropped unsynced.
  if (BlobExistsWithSize(digest, size)) return ref;
  if (absl::Status s = temp.SyncAndClose(kBlobMode); !s.ok()) return s;
  const std::string hex = digest.Hex();
  absl::StatusOr<ScopedFd> blob_root = OpenDirectory(blob_root_);
  if (!blob_root.ok()) return blob_root.status();
  const std::string fan_name = hex.substr(0, 2);
  const std::string fan_path = JoinPath(blob_root_, fan_name);
  bool created = false;
  absl::StatusOr<ScopedFd> fan =
      OpenOrCreateSubdir(blob_root->get(), fan_name, fan_path, &created);
  if (!fan.ok()) return fan.status();
  if (created) {
    if (absl::Status s = Sync(blob_root->get(), blob_root_); !s.ok()) return s;
  }
  // Another process may have installed the same blob since the check
  // above; renaming over it is harmless (identical bytes), and readers that
  // opened the old file keep reading it.
  if (absl::Status s =
          temp.RenameTo(fan->get(), hex.substr(2), BlobPath(digest));
      !s.ok()) {
    return s;
  }
  return ref;
}

absl::StatusOr<ArtifactRef> ArtifactStore::PutBytes(std::string_view bytes) {
  absl::StatusOr<Digest> digest = Sha256Of(bytes);
  if (!digest.ok()) return digest.status();
  // Hashing first costs nothing extra here, and skips the write entirely
  // when the blob exists.
  if (BlobExistsWithSize(*digest, bytes.size())) {
    return ArtifactRef{.digest = *digest, .size_bytes = bytes.size()};
  }
  absl::StatusOr<TempFile> temp = NewBlobTempFile();
  if (!temp.ok()) return temp.status();
  if (absl::Status s = temp->Append(bytes); !s.ok()) return s;
  return Install(*temp, *digest, bytes.size());
}

absl::StatusOr<ArtifactRef> ArtifactStore::PutFile(const std::string& path) {
  uint64_t size_hint = 0;
  absl::StatusOr<ScopedFd> in = OpenForRead(path, &size_hint);
  if (!in.ok()) return in.status();
  // One pass: each buffer is hashed and written to the temporary file, so
  // the input is read once. (Hashing first and copying only new content
  // would read every new file twice.)
  absl::StatusOr<TempFile> temp = NewBlobTempFile();
  if (!temp.ok()) return temp.status();
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  if (!hasher.ok()) return hasher.status();
  const size_t capacity = buffer_bytes();
  std::unique_ptr<char[]> buffer(new char[capacity]);
  uint64_t total = 0;
  const std::string context =
      Cat(" (storing ", QuoteForMessage(path), " in the artifact store at ",
          QuoteForMessage(root_), ")");
  while (true) {
    absl::StatusOr<size_t> n =
        ReadFull(in->get(), buffer.get(), capacity, path);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    const std::string_view chunk(buffer.get(), *n);
    hasher->Update(chunk);
    if (absl::Status s = temp->Append(chunk); !s.ok()) {
      return WithContext(s, context);
    }
    total += *n;
    if (*n < capacity) break;  // ReadFull is short only at end of file.
  }
  absl::StatusOr<Digest> digest = hasher->Finish();
  if (!digest.ok()) return digest.status();
  absl::StatusOr<ArtifactRef> ref = Install(*temp, *digest, total);
  if (!ref.ok()) return WithContext(ref.status(), context);
  return ref;
}

absl::StatusOr<std::vector<ArtifactEntry>> ArtifactStore::PutTree(
    const std::string& path) {
  absl::StatusOr<FileInfo> top = StatPath(path, /*follow_symlinks=*/true);
  if (!top.ok()) return top.status();
  if (top->type == FileType::kRegular) {
    std::string dir, name;
    SplitPath(TrimTrailingSlashes(path), &dir, &name);
    if (absl::Status s = ValidateRelativePath(name); !s.ok()) return s;
    absl::StatusOr<ArtifactRef> ref = PutFile(path);
    if (!ref.ok()) return ref.status();
    return std::vector<ArtifactEntry>{{.relative_path = std::move(name),
                                       .digest = ref->digest,
                                       .size_bytes = ref->size_bytes}};
  }
  if (top->type != FileType::kDirectory) {
    return UnsupportedFileType(path, "a FIFO, socket or device");
  }

  // Walk first, store after: every relative path is checked before any
  // blob is written.
  std::vector<std::string> files;  // Relative paths.
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    const std::string rel_dir = std::move(pending.back());
    pending.pop_back();
    const std::string dir_path =
        rel_dir.empty() ? path : JoinPath(path, rel_dir);
    absl::StatusOr<std::vector<DirEntry>> entries = ListDirectory(dir_path);
    if (!entries.ok()) return entries.status();
    for (DirEntry& entry : *entries) {
      std::string rel = rel_dir.empty() ? std::move(entry.name)
                                        : JoinPath(rel_dir, entry.name);
      const std::string full = JoinPath(path, rel);
      switch (entry.type) {
        case FileType::kDirectory:
          pending.push_back(std::move(rel));
          continue;
        case FileType::kRegular:
          break;
        case FileType::kSymlink: {
          absl::StatusOr<FileInfo> target =
              StatPath(full, /*follow_symlinks=*/true);
          if (!target.ok()) {
            return WithContext(target.status(),
                               " (a symbolic link in the "
                               "tree: its target is missing)");
          }
          if (target->type == FileType::kDirectory) {
            return UnsupportedFileType(full, "a symbolic link to a directory");
          }
          if (target->type != FileType::kRegular) {
            return UnsupportedFileType(
                full, "a symbolic link to a FIFO, socket or device");
          }
          break;
        }
        case FileType::kOther:
          return UnsupportedFileType(full, "a FIFO, socket or device");
      }
      if (absl::Status s = ValidateRelativePath(rel); !s.ok()) {
        return WithContext(s,
                           Cat(" (in the tree ", QuoteForMessage(path), ")"));
      }
      files.push_back(std::move(rel));
    }
  }
  std::sort(files.begin(), files.end());

  std::vector<ArtifactEntry> manifest;
  manifest.reserve(files.size());
  for (std::string& rel : files) {
    absl::StatusOr<ArtifactRef> ref = PutFile(JoinPath(path, rel));
    if (!ref.ok()) return ref.status();
    manifest.push_back(ArtifactEntry{.relative_path = std::move(rel),
                                     .digest = ref->digest,
                                     .size_bytes = ref->size_bytes});
  }
  return manifest;
}

absl::Status ArtifactStore::RestoreBlob(const Digest& digest,
                                        std::optional<uint64_t> expected_size,
                                        int dir_fd,
                                        const std::string& dir_display,
                                        const std::string& name) {
  const std::string dest = JoinPath(dir_display, name);
  uint64_t blob_size = 0;
  absl::StatusOr<ScopedFd> blob = OpenBlob(digest, &blob_size);
  if (!blob.ok()) return blob.status();
  const std::string prefix =
      Cat(".", std::string_view(name).substr(0, kMaxTempBaseName), ".tmp-");
  absl::StatusOr<TempFile> temp =
      TempFile::Create(dir_fd, dir_display, prefix, &temp_counter_);
  if (!temp.ok()) return temp.status();
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  if (!hasher.ok()) return hasher.status();
  const size_t capacity = buffer_bytes();
  std::unique_ptr<char[]> buffer(new char[capacity]);
  const std::string blob_path = BlobPath(digest);
  uint64_t total = 0;
  while (true) {
    absl::StatusOr<size_t> n =
        ReadFull(blob->get(), buffer.get(), capacity, blob_path);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    const std::string_view chunk(buffer.get(), *n);
    hasher->Update(chunk);
    if (absl::Status s = temp->Append(chunk); !s.ok()) return s;
    total += *n;
    if (*n < capacity) break;
  }
  absl::StatusOr<Digest> actual = hasher->Finish();
  if (!actual.ok()) return actual.status();
  // On either error below `temp` is unlinked by its destructor, so the
  // destination never sees these bytes.
  if (*actual != digest) {
    return CorruptError(digest, *actual, total, blob_path, dest);
  }
  if (expected_size.has_value() && total != *expected_size) {
    constexpr char kFix[] = "Pass the manifest PutTree returned, unchanged.";
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        Cat("invalid artifact manifest: the entry for ", QuoteForMessage(dest),
            " says ", *expected_size, " bytes, but its blob ",
            digest.ToString(), " holds ", total,
            " bytes (and verifies); nothing was written there. Fix: ", kFix),
        ErrorDetail{.reason = "ARTIFACT_MANIFEST_INVALID",
                    .rule = "an entry's size is its blob's size",
                    .value = dest,
                    .fix = kFix});
  }
  if (absl::Status s = temp->SyncAndClose(0); !s.ok()) return s;
  return temp->RenameTo(dir_fd, name, dest);
}

absl::Status ArtifactStore::GetFile(const Digest& digest,
                                    const std::string& dest_path) {
  std::string dir, name;
  SplitPath(dest_path, &dir, &name);
  if (name.empty() || name == "." || name == "..") {
    return FileError(EISDIR, "write", dest_path,
                     " (the destination must name a file)");
  }
  absl::StatusOr<ScopedFd> dir_fd = OpenDirectory(dir.empty() ? "." : dir);
  if (!dir_fd.ok()) {
    return WithContext(dir_fd.status(), Cat(" (the folder of ",
                                            QuoteForMessage(dest_path), ")"));
  }
  return RestoreBlob(digest, /*expected_size=*/std::nullopt, dir_fd->get(), dir,
                     name);
}

absl::StatusOr<std::string> ArtifactStore::ReadBytes(const Digest& digest,
                                                     uint64_t max_bytes) {
  uint64_t size = 0;
  absl::StatusOr<ScopedFd> blob = OpenBlob(digest, &size);
  if (!blob.ok()) return blob.status();
  const std::string text = digest.ToString();
  if (size > max_bytes) {
    constexpr char kFix[] =
        "Raise max_bytes, or stream the artifact to a file with GetFile.";
    return MakeError(
        absl::StatusCode::kOutOfRange,
        Cat("artifact ", QuoteForMessage(text), " is ", size,
            " bytes, more than max_bytes (", max_bytes, "). Fix: ", kFix),
        ErrorDetail{.reason = "ARTIFACT_TOO_LARGE",
                    .rule = Cat("ReadBytes returns at most max_bytes (",
                                max_bytes, ")"),
                    .value = text,
                    .fix = kFix});
  }
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  if (!hasher.ok()) return hasher.status();
  const std::string blob_path = BlobPath(digest);
  std::string out(static_cast<size_t>(size), '\0');
  // Hash each piece right after reading it, while it is in cache.
  const size_t piece = buffer_bytes();
  size_t total = 0;
  while (total < out.size()) {
    const size_t want = std::min(piece, out.size() - total);
    absl::StatusOr<size_t> n =
        ReadFull(blob->get(), out.data() + total, want, blob_path);
    if (!n.ok()) return n.status();
    hasher->Update(std::string_view(out.data() + total, *n));
    total += *n;
    if (*n < want) break;  // Shorter than fstat said: it shrank meanwhile.
  }
  out.resize(total);
  absl::StatusOr<Digest> actual = hasher->Finish();
  if (!actual.ok()) return actual.status();
  if (*actual != digest) {
    return CorruptError(digest, *actual, total, blob_path, /*dest=*/"");
  }
  return out;
}

absl::Status ArtifactStore::Verify(const Digest& digest) {
  uint64_t size = 0;
  absl::StatusOr<ScopedFd> blob = OpenBlob(digest, &size);
  if (!blob.ok()) return blob.status();
  absl::StatusOr<Sha256> hasher = Sha256::Create();
  if (!hasher.ok()) return hasher.status();
  const size_t capacity = buffer_bytes();
  std::unique_ptr<char[]> buffer(new char[capacity]);
  const std::string blob_path = BlobPath(digest);
  uint64_t total = 0;
  while (true) {
    absl::StatusOr<size_t> n =
        ReadFull(blob->get(), buffer.get(), capacity, blob_path);
    if (!n.ok()) return n.status();
    hasher->Update(std::string_view(buffer.get(), *n));
    total += *n;
    if (*n < capacity) break;
  }
  absl::StatusOr<Digest> actual = hasher->Finish();
  if (!actual.ok()) return actual.status();
  if (*actual != digest) {
    return CorruptError(digest, *actual, total, blob_path, /*dest=*/"");
  }
  return absl::OkStatus();
}

absl::Status ArtifactStore::RestoreTree(
    const std::vector<ArtifactEntry>& entries, const std::string& dest_dir) {
  if (absl::Status s = ValidateManifest(entries); !s.ok()) return s;
  if (absl::Status s = CreateDirs(dest_dir); !s.ok()) return s;
  absl::StatusOr<ScopedFd> root = OpenDirectory(dest_dir);
  if (!root.ok()) return root.status();
  // The folder of the previous entry stays open: manifests are sorted, so
  // files of one folder usually come together.
  std::string cached_rel_dir;
  ScopedFd cached_dir;
  for (const ArtifactEntry& entry : entries) {
    std::string rel_dir, name;
    SplitPath(entry.relative_path, &rel_dir, &name);
    int dir_fd = root->get();
    if (!rel_dir.empty()) {
      if (!cached_dir.valid() || rel_dir != cached_rel_dir) {
        // Walk down from dest_dir one name at a time, never following a
        // symbolic link (ValidateManifest already ruled out ".." and "/").
        ScopedFd current;
        std::string display = dest_dir;
        size_t start = 0;
        while (start <= rel_dir.size()) {
          size_t slash = rel_dir.find('/', start);
          if (slash == std::string::npos) slash = rel_dir.size();
          const std::string part = rel_dir.substr(start, slash - start);
          start = slash + 1;
          const int parent = current.valid() ? current.get() : root->get();
          display = JoinPath(display, part);
          bool created = false;
          absl::StatusOr<ScopedFd> next =
              OpenOrCreateSubdir(parent, part, display, &created);
          if (!next.ok()) return next.status();
          if (created) {
            if (absl::Status s = Sync(parent, display); !s.ok()) return s;
          }
          current = std::move(*next);
        }
        cached_dir = std::move(current);
        cached_rel_dir = rel_dir;
      }
      dir_fd = cached_dir.get();
    }
    if (absl::Status s = RestoreBlob(
            entry.digest, entry.size_bytes, dir_fd,
            rel_dir.empty() ? dest_dir : JoinPath(dest_dir, rel_dir), name);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace slipway::internal_artifacts
