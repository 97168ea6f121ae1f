// The POSIX calls the artifact store makes directly: streaming file handles,
// directory descriptors for *at calls, and temporary files that disappear
// unless they are renamed into place.
//
// Why not slipway::FileSystem (the Env seam)? Its calls move whole files
// (ReadFile returns everything, WriteFileAtomically takes everything), so a
// multi-gigabyte model would have to fit in memory, and it has no
// descriptor-relative calls, which RestoreTree needs to create files under a
// destination without ever following a symbolic link out of it. Everything
// here reports OS errors through the env module's one errno mapping
// (src/env/file_errors.h), so codes and reasons match the rest of slipway.
//
// Thread-safety: the functions are thread-safe. A ScopedFd or TempFile
// belongs to one thread at a time.
#ifndef SLIPWAY_SRC_ARTIFACTS_POSIX_FILE_H_
#define SLIPWAY_SRC_ARTIFACTS_POSIX_FILE_H_

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::internal_artifacts {

// Owns a file descriptor and closes it (ignoring errors) on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing; returns the descriptor.
  int Release() { return std::exchange(fd_, -1); }

  // Closes the descriptor; returns 0 or the errno of close(2) (EINTR counts
  // as success: on Linux the descriptor is gone either way).
  int Close();

 private:
  int fd_ = -1;
};

// What a path names, from lstat(2) or stat(2).
enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint64_t size_bytes = 0;
  dev_t device = 0;
  ino_t inode = 0;
};

// Returns what `path` names: stat(2) when `follow_symlinks`, else lstat(2).
// A missing path is NotFound FILE_NOT_FOUND.
absl::StatusOr<FileInfo> StatPath(const std::string& path,
                                  bool follow_symlinks);

// Returns what `name` in directory `dir_fd` names, without following a
// symbolic link. `display` is the path errors name.
absl::StatusOr<FileInfo> StatAt(int dir_fd, const std::string& name,
                                const std::string& display);

// Opens the regular file at `path` for sequential reading (following
// symbolic links). A directory is FailedPrecondition PATH_CONFLICT; any
// other non-regular file (a FIFO, a device) is refused the same way, since
// reading it could block or never end. Sets `*size_bytes` from fstat(2).
absl::StatusOr<ScopedFd> OpenForRead(const std::string& path,
                                     uint64_t* size_bytes);

// Opens the directory `path` (following symbolic links) for *at calls.
absl::StatusOr<ScopedFd> OpenDirectory(const std::string& path);

// Opens the directory `name` inside `dir_fd`, creating it (mode 0777 minus
// the umask) when missing. Never follows a symbolic link: a link, a file or
// anything else already at `name` is FailedPrecondition PATH_CONFLICT.
// Sets `*created` when this call made the directory (the caller fsyncs
// `dir_fd` to make that durable).
absl::StatusOr<ScopedFd> OpenOrCreateSubdir(int dir_fd, const std::string& name,
                                            const std::string& display,
                                            bool* created);

// Creates directory `path` and its missing parents, like `mkdir -p`, and
// fsyncs the parent of each directory it creates. OK if it exists.
absl::Status CreateDirs(const std::string& path);

// Reads up to `size` bytes into `buffer`, resuming after EINTR and short
// reads; returns the number read, less than `size` only at end of file.
absl::StatusOr<size_t> ReadFull(int fd, char* buffer, size_t size,
                                const std::string& display);

// Writes all of `data`, resuming after EINTR and short writes.
absl::Status WriteAll(int fd, std::string_view data,
                      const std::string& display);

// fsync(2) of a file or directory descriptor.
absl::Status Sync(int fd, const std::string& display);

// Returns the entries of directory `path` (without "." and "..") sorted by
// name, each with its type from lstat(2) (so links are reported as links).
struct DirEntry {
  std::string name;
  FileType type = FileType::kOther;
};
absl::StatusOr<std::vector<DirEntry>> ListDirectory(const std::string& path);

// A new, empty file in a directory, created with O_EXCL under a fresh name,
// that is unlinked when the TempFile is destroyed unless RenameTo moved it
// into place. Used for every write: blobs are written under <root>/tmp and
// renamed into <root>/sha256/, restored files beside their destination.
class TempFile {
 public:
  // Creates "<prefix><pid>-<n>" in directory `dir_fd` (which is duplicated,
  // so the caller may close its own descriptor), with `n` drawn from
  // `counter` and bumped past names that already exist. Mode 0666 minus the
  // umask. `dir_display` is the directory's path, for messages. The whole
  // name is kept under NAME_MAX by the caller's choice of prefix.
  static absl::StatusOr<TempFile> Create(int dir_fd, std::string dir_display,
                                         std::string_view prefix,
                                         std::atomic<uint64_t>* counter);

  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  // Closes the file and, unless it was renamed, unlinks it.
  ~TempFile();

  // The path of the temporary file, for messages.
  const std::string& path() const { return path_; }

  absl::Status Append(std::string_view data) {
    return WriteAll(fd_.get(), data, path_);
  }

  // Sets the mode (when `mode` is not 0), fsyncs and closes the file,
  // reporting an error from any of the three.
  absl::Status SyncAndClose(mode_t mode);

  // Renames the file to `name` in `to_dir_fd` (replacing what is there) and
  // fsyncs that directory. After OK the temporary name no longer exists and
  // the destructor leaves the file alone. `to_display` names the
  // destination in errors.
  absl::Status RenameTo(int to_dir_fd, const std::string& name,
                        const std::string& to_display);

 private:
  TempFile(ScopedFd dir, std::string name, std::string path, ScopedFd fd)
      : dir_(std::move(dir)),
        name_(std::move(name)),
        path_(std::move(path)),
        fd_(std::move(fd)) {}

  ScopedFd dir_;
  std::string name_;
  std::string path_;
  ScopedFd fd_;
  bool linked_ = true;
};

}  // namespace slipway::internal_artifacts

#endif  // SLIPWAY_SRC_ARTIFACTS_POSIX_FILE_H_
