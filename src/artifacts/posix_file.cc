#include "src/artifacts/posix_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/env/file_errors.h"
#include "src/errors/strings.h"

namespace slipway::internal_artifacts {
namespace {

using ::slipway::internal_env::FileError;
using ::slipway::internal_strings::Cat;

// Reads and writes move at most this much per system call; Linux caps a
// call at 0x7ffff000 bytes anyway.
constexpr size_t kMaxIoChunk = size_t{1} << 30;

// TempFile::Create gives up after this many names in a row that exist. A
// collision needs a stale temporary file from a crashed process with the
// same pid and counter; many in a row mean something else is wrong.
constexpr int kMaxTempAttempts = 100;

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

FileInfo InfoOf(const struct stat& st) {
  return FileInfo{.type = TypeOf(st.st_mode),
                  .size_bytes = static_cast<uint64_t>(st.st_size),
                  .device = st.st_dev,
                  .inode = st.st_ino};
}

// Joins a directory path and a name for messages.
std::string JoinDisplay(const std::string& dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return Cat(dir, name);
  return Cat(dir, "/", name);
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int ScopedFd::Close() {
  const int fd = std::exchange(fd_, -1);
  // close(2) is not retried on EINTR: Linux releases the descriptor even
  // then, and a retry could close one another thread just opened.
  if (fd < 0 || ::close(fd) == 0) return 0;
  return errno == EINTR ? 0 : errno;
}

absl::StatusOr<FileInfo> StatPath(const std::string& path,
                                  bool follow_symlinks) {
  struct stat st;
  const int rc =
      follow_symlinks ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0)
    return FileError(errno, follow_symlinks ? "stat" : "lstat", path);
  return InfoOf(st);
}

absl::StatusOr<FileInfo> StatAt(int dir_fd, const std::string& name,
                                const std::string& display) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return FileError(errno, "lstat", display);
  }
  return InfoOf(st);
}

absl::StatusOr<ScopedFd> OpenForRead(const std::string& path,
                                     uint64_t* size_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer; the fstat below refuses it before any read.
  int raw;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return FileError(errno, "open", path);
  ScopedFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FileError(errno, "fstat", path);
  if (S_ISDIR(st.st_mode)) {
    return FileError(EISDIR, "read", path, " (a directory: use PutTree)");
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition,
        Cat("read refused for ", QuoteForMessage(path),
            ": not a regular file (a FIFO, socket or device)"),
        ErrorDetail{.reason = "PATH_CONFLICT",
                    .rule = "artifacts are regular files",
                    .value = path,
                    .fix = "Copy the data to a regular file first."});
  }
  // Back to blocking reads for a regular file (O_NONBLOCK has no effect on
  // them on Linux, but other systems may differ).
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) (void)::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  // A hint only: the kernel may read ahead more aggressively.
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  *size_bytes = static_cast<uint64_t>(st.st_size);
  return fd;
}

absl::StatusOr<ScopedFd> OpenDirectory(const std::string& path) {
  int raw;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return FileError(errno, "open", path, " (a directory)");
  return ScopedFd(raw);
}

absl::StatusOr<ScopedFd> OpenOrCreateSubdir(int dir_fd, const std::string& name,
                                            const std::string& display,
                                            bool* created) {
  *created = false;
  if (::mkdirat(dir_fd, name.c_str(), 0777) == 0) {
    *created = true;
  } else if (errno != EEXIST) {
    return FileError(errno, "mkdir", display);
  }
  // O_NOFOLLOW: a symbolic link planted at `name` must not lead outside the
  // tree. Opening one fails with ELOOP; a regular file with ENOTDIR.
  int raw;
  do {
    raw = ::openat(dir_fd, name.c_str(),
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) {
    const int err = errno;
    if (err == ELOOP || err == ENOTDIR) {
      return MakeError(
          absl::StatusCode::kFailedPrecondition,
          Cat("cannot use ", QuoteForMessage(display),
              " as a directory: something else (a file or a symbolic link, "
              "which is never followed) is already there"),
          ErrorDetail{.reason = "PATH_CONFLICT",
                      .rule = "restored directories are real directories; "
                              "symbolic links are not followed",
                      .value = display,
                      .fix = "Remove or rename what is at this path, or "
                             "restore into an empty directory."});
    }
    return FileError(err, "open", display, " (a directory)");
  }
  return ScopedFd(raw);
}

absl::Status CreateDirs(const std::string& path) {
  if (path.empty()) return FileError(ENOENT, "mkdir", path);
  // The common case, an existing folder, costs one stat.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::OkStatus();
  }
  // Start at "/" for an absolute path, at "." otherwise, and walk down one
  // component at a time (following links, like mkdir -p: the caller chose
  // this path).
  std::string done = path.front() == '/' ? "/" : "";
  absl::StatusOr<ScopedFd> dir = OpenDirectory(done.empty() ? "." : done);
  if (!dir.ok()) return dir.status();
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string name = path.substr(start, slash - start);
    start = slash + 1;
    if (name.empty()) continue;
    done = JoinDisplay(done, name);
    if (::mkdirat(dir->get(), name.c_str(), 0777) == 0) {
      // Make the new entry durable in its parent.
      if (absl::Status s = Sync(dir->get(), done); !s.ok()) return s;
    } else if (errno != EEXIST) {
      return FileError(errno, "mkdir", done);
    }
    int raw;
    do {
      raw = ::openat(dir->get(), name.c_str(),
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (raw < 0 && errno == EINTR);
    if (raw < 0) return FileError(errno, "open", done, " (a directory)");
    *dir = ScopedFd(raw);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadFull(int fd, char* buffer, size_t size,
                                const std::string& display) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::read(fd, buffer + done, std::min(size - done, kMaxIoChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "read", display);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status WriteAll(int fd, std::string_view data,
                      const std::string& display) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, std::min(left, kMaxIoChunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "write", display);
    }
    // No progress on a non-empty buffer: report it rather than spin.
    if (n == 0) return FileError(EIO, "write", display);
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status Sync(int fd, const std::string& display) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return FileError(errno, "fsync", display);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DirEntry>> ListDirectory(const std::string& path) {
  absl::StatusOr<ScopedFd> fd = OpenDirectory(path);
  if (!fd.ok()) return fd.status();
  // fdopendir takes over the descriptor; closedir closes it.
  const int raw = fd->get();
  DIR* dir = ::fdopendir(raw);
  if (dir == nullptr) return FileError(errno, "opendir", path);
  fd->Release();
  std::vector<DirEntry> entries;
  absl::Status status = absl::OkStatus();
  while (true) {
    errno = 0;
    const struct dirent* e = ::readdir(dir);
    if (e == nullptr) {
      if (errno != 0) status = FileError(errno, "readdir", path);
      break;
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirEntry entry{.name = std::string(name)};
    struct stat st;
    if (::fstatat(raw, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      status = FileError(errno, "lstat", JoinDisplay(path, name));
      break;
    }
    entry.type = TypeOf(st.st_mode);
    entries.push_back(std::move(entry));
  }
  ::closedir(dir);
  if (!status.ok()) return status;
  std::sort(
      entries.begin(), entries.end(),
      [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

absl::StatusOr<TempFile> TempFile::Create(int dir_fd, std::string dir_display,
                                          std::string_view prefix,
                                          std::atomic<uint64_t>* counter) {
  const int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return FileError(errno, "dup", dir_display);
  ScopedFd dir(dup);
  for (int attempt = 0; attempt < kMaxTempAttempts; ++attempt) {
    std::string name = Cat(prefix, ::getpid(), "-",
                           counter->fetch_add(1, std::memory_order_relaxed));
    std::string path = JoinDisplay(dir_display, name);
    int raw;
    do {
      raw =
          ::openat(dir.get(), name.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    } while (raw < 0 && errno == EINTR);
    if (raw >= 0) {
      return TempFile(std::move(dir), std::move(name), std::move(path),
                      ScopedFd(raw));
    }
    if (errno != EEXIST) return FileError(errno, "create", path);
  }
  return FileError(
      EEXIST, "create", JoinDisplay(dir_display, prefix),
      Cat(" (", kMaxTempAttempts, " temporary names in a row were taken)"));
}

TempFile::TempFile(TempFile&& other) noexcept
    : dir_(std::move(other.dir_)),
      name_(std::move(other.name_)),
      path_(std::move(other.path_)),
      fd_(std::move(other.fd_)),
      linked_(std::exchange(other.linked_, false)) {}

TempFile::~TempFile() {
  fd_.Close();
  if (linked_ && dir_.valid()) (void)::unlinkat(dir_.get(), name_.c_str(), 0);
}

absl::Status TempFile::SyncAndClose(mode_t mode) {
  if (mode != 0 && ::fchmod(fd_.get(), mode) != 0) {
    return FileError(errno, "chmod", path_);
  }
  if (absl::Status s = Sync(fd_.get(), path_); !s.ok()) return s;
  // Some file systems (NFS) report write errors only at close.
  if (const int err = fd_.Close(); err != 0) {
    return FileError(err, "close", path_);
  }
  return absl::OkStatus();
}

absl::Status TempFile::RenameTo(int to_dir_fd, const std::string& name,
                                const std::string& to_display) {
  if (::renameat(dir_.get(), name_.c_str(), to_dir_fd, name.c_str()) != 0) {
    return FileError(errno, "rename", path_,
                     Cat(" to ", QuoteForMessage(to_display)));
  }
  linked_ = false;
  return Sync(to_dir_fd, to_display);
}

}  // namespace slipway::internal_artifacts
