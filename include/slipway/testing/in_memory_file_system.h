// An in-memory FileSystem for tests and simulations, with fault hooks in the
// spirit of SQLite's test_vfs and leveldb's fault_injection_test: fail the
// next N writes with a chosen error, or make the "disk" full after a given
// number of bytes, then check that the code under test kept its old data.
//
// It follows the FileSystem contract of slipway/env.h with the same status
// codes and reasons as the POSIX file system (the same contract tests run
// over both). Paths are '/'-separated; a relative path is resolved against
// the root "/", which always exists; repeated and trailing slashes are
// ignored and "." and ".." are resolved lexically (there are no symlinks).
// Nothing is durable beyond the object's lifetime; "crash" simulation is not
// modelled (a write is all-or-nothing, as the contract promises).
//
// Thread-safety: thread-safe. All methods, fault hooks included, may be
// called concurrently; each call is atomic with respect to the others.
#ifndef SLIPWAY_TESTING_IN_MEMORY_FILE_SYSTEM_H_
#define SLIPWAY_TESTING_IN_MEMORY_FILE_SYSTEM_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "slipway/env.h"

namespace slipway::testing {

class InMemoryFileSystem final : public FileSystem {
 public:
  // The capacity of a new file system: no limit.
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  // Creates an empty file system holding only the root directory "/".
  InMemoryFileSystem();

  InMemoryFileSystem(const InMemoryFileSystem&) = delete;
  InMemoryFileSystem& operator=(const InMemoryFileSystem&) = delete;

  // FileSystem. See slipway/env.h for the contract.
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status WriteFileAtomically(const std::string& path,
                                   std::string_view contents) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;

  // --- Fault hooks -------------------------------------------------------
  //
  // "Writes" here are WriteFileAtomically calls; the other methods are never
  // failed by these hooks.

  // Makes the next `n` writes return `error` without changing anything,
  // before any other check. Replaces an earlier FailNextWrites. `n` <= 0
  // cancels it; a large `n` fails writes persistently until ClearFaults().
  // An OK `error` is replaced by an Internal error with reason IO_ERROR (an
  // OK status cannot stand for a failure).
  void FailNextWrites(int n, absl::Status error);

  // Makes the disk full after `bytes` bytes: a write fails with
  // ResourceExhausted, reason DISK_FULL, and changes nothing when the bytes
  // in use plus the new content would exceed `bytes`. As on a real disk
  // during an atomic replace, the old content of the target still counts
  // until the write succeeds: replacing a 6-byte file with 5 bytes needs 11
  // bytes of capacity minus whatever else is stored. Lowering the capacity
  // below the bytes in use keeps existing files and fails further writes.
  // kUnlimited (the default) removes the limit.
  void SetCapacityBytes(uint64_t bytes);

  // Cancels FailNextWrites and removes the capacity limit.
  void ClearFaults();

  // Returns the total size of all file contents (directories count 0).
  uint64_t BytesUsed() const;

  // Returns the number of writes attempted so far, failed ones included. Lets
  // a fault loop find how many writes an operation makes, then fail each one.
  int64_t WriteCount() const;

 private:
  struct Node {
    bool is_directory = false;
    std::string contents;
  };

  // Returns 0 if every ancestor directory of the normalized path `key`
  // exists, else the errno a POSIX system would give (ENOENT or ENOTDIR).
  int CheckParents(const std::string& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the node at `key`, or nullptr.
  const Node* Find(const std::string& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns whether directory `key` has any entries.
  bool HasChildren(const std::string& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Normalized absolute path ("/", "/a", "/a/b") -> node. Ordered, so that a
  // directory's entries are a contiguous, sorted range.
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = kUnlimited;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int64_t write_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace slipway::testing

#endif  // SLIPWAY_TESTING_IN_MEMORY_FILE_SYSTEM_H_
