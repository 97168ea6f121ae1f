// The environment seam: every clock read, file operation and fresh id in
// slipway goes through an Env, so that tests and simulations can substitute
// a fake clock (seven simulated days in milliseconds), an in-memory or
// fault-injecting file system, and a deterministic id source.
//
// Nothing outside src/env/ reads the wall clock, touches the file system or
// draws random ids directly.
//
// Thread-safety: every implementation of Clock, FileSystem and IdSource that
// slipway ships (the defaults here and the fakes in slipway/testing/) is
// thread-safe; user implementations passed to slipway must be too.
#ifndef SLIPWAY_ENV_H_
#define SLIPWAY_ENV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace slipway {

// A source of time. SleepFor exists so that code which waits (retry backoff,
// the background writer) waits through the clock: a fake clock's SleepFor
// only moves its time forward.
class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
  // Returns the current time in whole Unix milliseconds, for metric
  // timestamps (once per logged point, so it must be cheap). The default
  // converts Now(); the system clock reads the OS clock directly.
  virtual int64_t NowUnixMillis() const { return absl::ToUnixMillis(Now()); }
  // Blocks the caller for `d` of this clock's time. Returns at once for
  // d <= 0.
  virtual void SleepFor(absl::Duration d) = 0;
};

// The file operations slipway needs, in terms of whole files. Paths are
// native paths ('/'-separated).
//
// Errors. Every method reports an OS failure as one of these, with a message
// that quotes the path and gives the OS error text, and an ErrorDetail whose
// `value` is the path:
//
//   code               reason               when
//   NotFound           FILE_NOT_FOUND       the path or a parent is missing
//   ResourceExhausted  DISK_FULL            no space or quota left
//   ResourceExhausted  TOO_MANY_OPEN_FILES  the process or system fd limit
//   PermissionDenied   PERMISSION_DENIED    access refused; read-only fs
//   Internal           IO_ERROR             any other OS error, e.g. a parent
//                                           that is a regular file, or a
//                                           directory where a file was expected
//
// Only the reasons are stable; do not parse messages.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Returns the whole content of the file at `path`. A directory at `path`
  // is an IO_ERROR.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Replaces the file at `path` with `contents` atomically: a reader sees the
  // old content or the new one, never a mix, and after a crash the file holds
  // one of the two. Durable (fsynced, directory included) when this returns OK.
  // The parent directory must exist (NotFound otherwise). On any error the
  // old content, if any, is untouched and no temporary file is left behind.
  virtual absl::Status WriteFileAtomically(const std::string& path,
                                           std::string_view contents) = 0;

  // Returns whether a file or directory exists at `path`. A missing parent, or
  // a parent that is a regular file, means false. Other errors (e.g. a parent
  // that may not be searched) are returned as a status.
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;

  // Creates the directory `path` and any missing parents, like `mkdir -p`.
  // OK if it already exists as a directory; IO_ERROR if `path` or one of its
  // parents exists as something else. New directories are durable when this
  // returns OK.
  virtual absl::Status CreateDirs(const std::string& path) = 0;

  // Deletes the file at `path`. NotFound if it does not exist; IO_ERROR for a
  // directory. The deletion is not fsynced.
  virtual absl::Status DeleteFile(const std::string& path) = 0;

  // Renames `from` to `to` atomically, replacing `to` if it exists, with
  // rename(2)'s rules for directories. Durable when this returns OK.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;

  // Returns the names (not paths) of the entries of directory `path`, sorted
  // by byte value, without "." and "..". IO_ERROR if `path` is not a
  // directory.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;

  // Returns the size in bytes of the file at `path`. IO_ERROR for a
  // directory.
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
};

// A source of unique identifiers (run ids, rollout ids). Ids are 32 lowercase
// hexadecimal characters (128 bits), the shape MLflow users know.
class IdSource {
 public:
  virtual ~IdSource() = default;
  // Returns a fresh id, distinct from every id this source returned before
  // (and, for the default source, from ids drawn in any other process,
  // including a forked child or parent).
  virtual std::string NewId() = 0;
};

// The bundle slipway components take. Non-owning: the pointed-to objects must
// outlive every component that was given this Env.
struct Env {
  Clock* clock = nullptr;
  FileSystem* file_system = nullptr;
  IdSource* id_source = nullptr;

  // Returns the process-wide default environment: the system clock, the POSIX
  // file system and a random id source seeded from the OS (getrandom(2)) and
  // reseeded in a forked child. The returned objects are created on first use,
  // never destroyed (safe to use from static destructors and atexit
  // handlers), and hold no mutable state visible to callers. Every call
  // returns the same pointers.
  static Env Default();

  // Returns `*this` with every null member replaced by the default one.
  Env WithDefaults() const;
};

}  // namespace slipway

#endif  // SLIPWAY_ENV_H_
