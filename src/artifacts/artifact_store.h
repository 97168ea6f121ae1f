// ArtifactStore: a content-addressed store of immutable blobs under one root
// folder, for model weights and other files a model version references.
//
// A blob is named by the SHA-256 of its bytes (a Digest) and lives at
//
//   <root>/sha256/<first 2 hex digits>/<remaining 62 hex digits>
//
// read-only (mode 0444). Guarantees:
//
// - Atomic, durable puts. Bytes go to a new file in <root>/tmp/, which is
//   fsynced, renamed into place, and the directory fsynced. A reader never
//   sees a partial blob; after a crash a blob is whole or absent (a crash
//   can leave a file in <root>/tmp/, never a bad blob).
// - Stored once. Putting content whose blob already exists (with the right
//   size) writes nothing; the input is still hashed to name it.
// - Verified on every read. GetFile, ReadBytes, RestoreTree and Verify hash
//   what they read and compare it with the digest; a mismatch is DataLoss
//   ARTIFACT_CORRUPT naming the digest, and no wrong byte reaches the
//   caller (a destination file is only renamed into place after the check).
// - Bounded memory. Files are streamed through one buffer per call
//   (ArtifactStoreOptions::io_buffer_bytes, 1 MiB by default), whatever
//   their size. Only ReadBytes returns a whole blob in memory, up to the
//   caller's limit.
// - Directories are manifests (src/artifacts/manifest.h): PutTree stores
//   each regular file and returns (relative path, digest, size) entries;
//   RestoreTree rebuilds the tree and never writes outside its destination.
//
// Several processes may share one root: concurrent puts of the same content
// all succeed (renaming a file over an identical blob is harmless), and no
// lock is taken. Nothing is ever deleted by the store.
//
// Errors every method can return besides those listed: the file errors of
// slipway::FileSystem (slipway/env.h) for the store's own files, e.g.
// ResourceExhausted DISK_FULL when the disk or quota is full (the temporary
// file is removed first), PermissionDenied PERMISSION_DENIED.
//
// Thread-safety: thread-safe. All methods may be called concurrently from
// any number of threads (and processes); the object holds only its
// configuration and a counter that names temporary files.
#ifndef SLIPWAY_SRC_ARTIFACTS_ARTIFACT_STORE_H_
#define SLIPWAY_SRC_ARTIFACTS_ARTIFACT_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/artifacts/digest.h"
#include "src/artifacts/manifest.h"
#include "src/artifacts/posix_file.h"

namespace slipway::internal_artifacts {

struct ArtifactStoreOptions {
  // Create the root folder (and missing parents) when it does not exist.
  // Default true. With false, a missing root is NotFound FILE_NOT_FOUND,
  // which catches a mistyped path instead of starting an empty store there.
  bool create_if_missing = true;

  // Bytes of the one buffer each streaming call allocates. Default 1 MiB:
  // system calls then cost well under 1% of the hashing time, and a
  // hundred concurrent calls need only 100 MiB. Values below 4 KiB are
  // raised to 4 KiB.
  size_t io_buffer_bytes = size_t{1} << 20;
};

// A stored blob: its digest and length.
struct ArtifactRef {
  Digest digest;
  uint64_t size_bytes = 0;

  friend bool operator==(const ArtifactRef&, const ArtifactRef&) = default;
};

class ArtifactStore {
 public:
  // Opens (creating if allowed) the store at `root`, creating its `sha256/`
  // and `tmp/` folders when missing. Errors: InvalidArgument
  // ARTIFACT_ROOT_INVALID for an empty root; NotFound FILE_NOT_FOUND for a
  // missing root with create_if_missing false; FailedPrecondition
  // PATH_CONFLICT when `root` (or a folder in it) is not a directory; the
  // file errors above.
  static absl::StatusOr<std::unique_ptr<ArtifactStore>> Open(
      std::string root, ArtifactStoreOptions options = {});

  ArtifactStore(const ArtifactStore&) = delete;
  ArtifactStore& operator=(const ArtifactStore&) = delete;

  // Stores the bytes of the regular file at `path` (symbolic links
  // followed), streaming them, and returns their digest and size. The file
  // is read once; if it changes meanwhile, the blob holds (and is named by)
  // the bytes that were read. Errors: NotFound FILE_NOT_FOUND for a missing
  // `path`; FailedPrecondition PATH_CONFLICT for a directory (use PutTree)
  // or a FIFO, socket or device.
  absl::StatusOr<ArtifactRef> PutFile(const std::string& path);

  // Stores `bytes` and returns their digest and size. Nothing is written
  // when the blob exists.
  absl::StatusOr<ArtifactRef> PutBytes(std::string_view bytes);

  // Stores a file or a directory tree and returns its manifest, sorted by
  // relative path (byte order). For a directory: one entry per regular file
  // at any depth, paths relative to `path`; a symbolic link to a regular
  // file is stored as that file's content; empty directories are not
  // recorded. For a file: one entry whose path is the file's name. Every
  // path is checked (ValidateRelativePath) before any blob is written.
  // Errors: NotFound FILE_NOT_FOUND for a missing `path` or a dangling link;
  // FailedPrecondition ARTIFACT_FILE_TYPE_UNSUPPORTED for a link to a
  // directory, a FIFO, socket or device; InvalidArgument
  // ARTIFACT_PATH_INVALID for a name the manifest cannot hold (e.g. with a
  // '\' or not UTF-8). On error some blobs may already be stored (harmless:
  // they are content-addressed).
  absl::StatusOr<std::vector<ArtifactEntry>> PutTree(const std::string& path);

  // Writes the blob `digest` to `dest_path` (replacing a file there): it is
  // streamed to a new temporary file beside `dest_path`, hashed on the way,
  // and renamed over `dest_path` (then fsynced, with its directory) only
  // when the hash matches. The file gets mode 0666 minus the umask. Errors:
  // NotFound ARTIFACT_NOT_FOUND when the store has no such blob; DataLoss
  // ARTIFACT_CORRUPT when the blob does not hash to `digest` (the temporary
  // file is removed and `dest_path` is untouched); NotFound FILE_NOT_FOUND
  // when the directory of `dest_path` does not exist; FailedPrecondition
  // PATH_CONFLICT when `dest_path` is a directory.
  absl::Status GetFile(const Digest& digest, const std::string& dest_path);

  // Returns the whole blob `digest`, verified. Errors: NotFound
  // ARTIFACT_NOT_FOUND; OutOfRange ARTIFACT_TOO_LARGE when the blob is
  // longer than `max_bytes` (nothing is read; use GetFile); DataLoss
  // ARTIFACT_CORRUPT.
  absl::StatusOr<std::string> ReadBytes(const Digest& digest,
                                        uint64_t max_bytes);

  // Rebuilds the tree of `entries` (a manifest from PutTree) under
  // `dest_dir`, which is created when missing. Directories are created as
  // needed; each file is written as by GetFile (verified, then renamed into
  // place), replacing a file already there; files not in the manifest are
  // left alone. Symbolic links inside `dest_dir` are never followed, so no
  // file is written outside it. The whole manifest is checked
  // (ValidateManifest) before anything is written. Errors: InvalidArgument
  // ARTIFACT_PATH_INVALID / ARTIFACT_MANIFEST_INVALID from that check, or
  // ARTIFACT_MANIFEST_INVALID when a blob's size differs from its entry's;
  // FailedPrecondition PATH_CONFLICT when something other than a directory
  // (e.g. a link) stands where a directory is needed; and GetFile's errors.
  // Not atomic as a whole: after an error, files before the failing one
  // are restored, none is partial.
  absl::Status RestoreTree(const std::vector<ArtifactEntry>& entries,
                           const std::string& dest_dir);

  // Reads the blob `digest` and checks its hash. Errors: NotFound
  // ARTIFACT_NOT_FOUND; DataLoss ARTIFACT_CORRUPT.
  absl::Status Verify(const Digest& digest);

  // Returns whether the blob `digest` exists (without reading it).
  absl::StatusOr<bool> Contains(const Digest& digest);

  // Returns where the blob `digest` is (or would be) stored. For messages
  // and tests: never write to it.
  std::string BlobPath(const Digest& digest) const;

  const std::string& root() const { return root_; }

 private:
  ArtifactStore(std::string root, ArtifactStoreOptions options);

  // Opens the blob `digest` for reading and sets `*size_bytes`; NotFound
  // ARTIFACT_NOT_FOUND when it is missing.
  absl::StatusOr<ScopedFd> OpenBlob(const Digest& digest,
                                    uint64_t* size_bytes) const;

  // Creates a temporary file in <root>/tmp/ for a new blob.
  absl::StatusOr<TempFile> NewBlobTempFile();

  // Moves `temp` (written under tmp/, holding exactly the `size` bytes of
  // `digest`) into place as the blob, unless the blob already exists with
  // `size` bytes; then `temp` is left for its destructor to remove.
  absl::StatusOr<ArtifactRef> Install(TempFile& temp, const Digest& digest,
                                      uint64_t size);

  // Streams the blob into a new temporary file in directory `dir_fd`
  // (whose path is `dir_display`, "" for the working directory), verifies
  // it and renames it to `name` there. `expected_size`, when set, is the
  // size a manifest entry promised.
  absl::Status RestoreBlob(const Digest& digest,
                           std::optional<uint64_t> expected_size, int dir_fd,
                           const std::string& dir_display,
                           const std::string& name);

  // Returns whether the blob exists with exactly `size` bytes.
  bool BlobExistsWithSize(const Digest& digest, uint64_t size) const;

  size_t buffer_bytes() const;

  const std::string root_;
  const std::string blob_root_;  // <root>/sha256
  const std::string tmp_dir_;    // <root>/tmp
  const ArtifactStoreOptions options_;
  // Numbers temporary files; the pid in their names separates processes.
  std::atomic<uint64_t> temp_counter_{0};
};

}  // namespace slipway::internal_artifacts

#endif  // SLIPWAY_SRC_ARTIFACTS_ARTIFACT_STORE_H_
