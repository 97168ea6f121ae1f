// The FileSystem of Env::Default(): POSIX system calls on native paths.
//
// Thread-safety: thread-safe; it holds no state besides a counter used to
// name temporary files. Concurrent WriteFileAtomically calls on one path
// each succeed and the last rename wins; a reader never sees a mix.
#ifndef SLIPWAY_SRC_ENV_POSIX_FILE_SYSTEM_H_
#define SLIPWAY_SRC_ENV_POSIX_FILE_SYSTEM_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"

namespace slipway::internal_env {

class PosixFileSystem final : public FileSystem {
 public:
  PosixFileSystem() = default;

  PosixFileSystem(const PosixFileSystem&) = delete;
  PosixFileSystem& operator=(const PosixFileSystem&) = delete;

  absl::StatusOr<std::string> ReadFile(const std::string& path) override;

  // Writes `contents` to a new temporary file "<dir>/.<name>.tmp-<pid>-<n>"
  // beside `path` (created with O_EXCL, mode 0666 minus the umask), fsyncs
  // it, renames it over `path` and fsyncs the directory. On any failure
  // before the rename the temporary file is removed. A crash can leave a
  // temporary file behind; it never replaces `path`. The new file gets
  // default permissions, not those of the file it replaces.
  absl::Status WriteFileAtomically(const std::string& path,
                                   std::string_view contents) override;

  absl::StatusOr<bool> Exists(const std::string& path) override;

  // mkdir(2) on each missing prefix of `path`, fsyncing the parent of every
  // directory it creates. Races with another creator are harmless.
  absl::Status CreateDirs(const std::string& path) override;

  absl::Status DeleteFile(const std::string& path) override;

  // rename(2), then fsync of the destination directory (and of the source
  // directory when it differs).
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override;

  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;

 private:
  // Makes temporary file names unique within this process; the pid makes
  // them unique across processes, and O_EXCL settles any collision.
  std::atomic<uint64_t> temp_counter_{0};
};

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_POSIX_FILE_SYSTEM_H_
