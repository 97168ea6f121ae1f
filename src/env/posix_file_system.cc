#include "src/env/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "slipway/status.h"
#include "src/env/file_errors.h"

namespace slipway::internal_env {
namespace {

// Writes and reads are split into pieces no larger than this: Linux moves at
// most 0x7ffff000 bytes per call anyway, and a bounded size keeps the
// arithmetic obviously in range.
constexpr size_t kMaxIoChunk = size_t{1} << 30;

// Temporary-file names keep at most this much of the target's name, so that
// the suffix never pushes a long name past NAME_MAX.
constexpr size_t kMaxTempBaseName = 100;

// How many O_EXCL collisions WriteFileAtomically tolerates before giving up.
// A collision needs a stale temporary file from a crashed process with the
// same pid; more than a few in a row means something else is wrong.
constexpr int kMaxTempAttempts = 100;

// Owns a file descriptor; closes it (ignoring errors) unless Release()d.
// Paths that must see close errors call Close() explicitly.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes the descriptor and returns 0 or an errno. close(2) is not retried
  // on EINTR: on Linux the descriptor is released even then, and a retry
  // could close a descriptor another thread just opened.
  int Close() {
    const int fd = std::exchange(fd_, -1);
    if (fd < 0 || ::close(fd) == 0) return 0;
    return errno == EINTR ? 0 : errno;
  }

 private:
  int fd_;
};

int OpenRetryingEintr(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Returns 0 or the errno of fsync(2).
int FsyncRetryingEintr(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// Returns the directory part of `path` for opening: "." for a bare name, "/"
// for a name directly under the root.
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// fsyncs directory `dir`, making renames and creations inside it durable.
// `path` is the caller's path, named in the error.
absl::Status SyncDir(const std::string& dir, const std::string& path) {
  ScopedFd fd(OpenRetryingEintr(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;  // Read before StrCat below can touch errno.
    return FileError(err, "open", dir,
                     absl::StrCat(" (directory of ", QuoteForMessage(path),
                                  ", to fsync it)"));
  }
  if (const int err = FsyncRetryingEintr(fd.get()); err != 0) {
    return FileError(
        err, "fsync", dir,
        absl::StrCat(" (directory of ", QuoteForMessage(path), ")"));
  }
  return absl::OkStatus();
}

// Writes all of `data` to `fd`, resuming after EINTR and short writes.
// Returns 0 or an errno.
int WriteAll(int fd, std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, std::min(left, kMaxIoChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    // write(2) returning 0 for a non-empty buffer makes no progress; report
    // it rather than spin.
    if (n == 0) return EIO;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  ScopedFd fd(OpenRetryingEintr(path, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FileError(errno, "open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FileError(errno, "fstat", path);
  // read(2) on a directory fails with EISDIR on Linux but not everywhere;
  // say it the same way on every system.
  if (S_ISDIR(st.st_mode)) return FileError(EISDIR, "read", path);

  std::string contents;
  // st_size is a hint only: the file may grow or shrink while we read.
  size_t capacity = st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096;
  contents.resize(capacity);
  size_t used = 0;
  while (true) {
    if (used == contents.size()) contents.resize(contents.size() * 2);
    const ssize_t n = ::read(fd.get(), contents.data() + used,
                             std::min(contents.size() - used, kMaxIoChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "read", path);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  contents.resize(used);
  return contents;
}

absl::Status PosixFileSystem::WriteFileAtomically(const std::string& path,
                                                  std::string_view contents) {
  const size_t slash = path.rfind('/');
  const std::string prefix =
      slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string dir = DirName(path);

  // 1. Create a fresh temporary file beside the target: same directory, so
  //    the rename stays within one file system and is atomic.
  std::string temp;
  int fd_number = -1;
  for (int attempt = 0; attempt < kMaxTempAttempts; ++attempt) {
    temp = absl::StrCat(prefix, ".",
                        absl::string_view(base).substr(0, kMaxTempBaseName),
                        ".tmp-", ::getpid(), "-", temp_counter_.fetch_add(1));
    fd_number =
        OpenRetryingEintr(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_number >= 0 || errno != EEXIST) break;
  }
  if (fd_number < 0) {
    const int err = errno;  // Read before StrCat below can touch errno.
    return FileError(
        err, "open", path,
        absl::StrCat(" (creating temporary file ", QuoteForMessage(temp), ")"));
  }
  ScopedFd fd(fd_number);

  // From here on, any failure removes the temporary file.
  auto fail = [&](int err, std::string_view operation) {
    fd.Close();
    ::unlink(temp.c_str());
    return FileError(
        err, operation, path,
        absl::StrCat(" (via temporary file ", QuoteForMessage(temp), ")"));
  };

  // 2. Write and fsync the data, then close: close can report a deferred
  //    write error (NFS), which must fail the write.
  if (const int err = WriteAll(fd.get(), contents); err != 0) {
    return fail(err, "write");
  }
  if (const int err = FsyncRetryingEintr(fd.get()); err != 0) {
    return fail(err, "fsync");
  }
  if (const int err = fd.Close(); err != 0) return fail(err, "close");

  // 3. Rename over the target: readers see the old or the new file.
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    return fail(err, "rename");
  }

  // 4. Make the rename durable. The temporary file no longer exists.
  return SyncDir(dir, path);
}

absl::StatusOr<bool> PosixFileSystem::Exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  // ENOTDIR: a parent is a regular file, so nothing can exist below it.
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return FileError(errno, "stat", path);
}

absl::Status PosixFileSystem::CreateDirs(const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "mkdir", path);
  // Visit each prefix ending before a '/' (and the whole path), skipping the
  // root and empty components from repeated slashes.
  for (size_t end = 1; end <= path.size(); ++end) {
    if (end < path.size() && path[end] != '/') continue;
    if (path[end - 1] == '/') continue;
    const std::string dir = path.substr(0, end);
    if (::mkdir(dir.c_str(), 0777) == 0) {
      // A new directory is durable only once its parent's entry is.
      if (absl::Status s = SyncDir(DirName(dir), dir); !s.ok()) return s;
      continue;
    }
    const int err = errno;
    // Whatever mkdir said (EEXIST, or EACCES/EROFS for an existing parent
    // this process may not write to), an existing directory is fine.
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      return FileError(EEXIST, "mkdir", dir);
    }
    return FileError(err, "mkdir", dir);
  }
  return absl::OkStatus();
}

absl::Status PosixFileSystem::DeleteFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return FileError(errno, "unlink", path);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::RenameFile(const std::string& from,
                                         const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    const int err = errno;  // Read before StrCat below can touch errno.
    return FileError(err, "rename", from,
                     absl::StrCat(" to ", QuoteForMessage(to)));
  }
  const std::string to_dir = DirName(to);
  if (absl::Status s = SyncDir(to_dir, to); !s.ok()) return s;
  if (const std::string from_dir = DirName(from); from_dir != to_dir) {
    return SyncDir(from_dir, from);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::ListDir(
    const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return FileError(errno, "opendir", path);
  std::vector<std::string> names;
  while (true) {
    // readdir(3) signals errors only through errno.
    errno = 0;
    const struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      const int err = errno;
      ::closedir(dir);
      if (err != 0) return FileError(err, "readdir", path);
      break;
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return FileError(errno, "stat", path);
  if (S_ISDIR(st.st_mode)) return FileError(EISDIR, "stat", path);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace slipway::internal_env
