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
  // Blocks the caller for `d` of this clock's time (returns at once for d <= 0).
  virtual void SleepFor(absl::Duration d) = 0;
};

// The file operations slipway needs, in terms of whole files. Paths are
// native paths. Every method returns NotFound for a missing path,
// ResourceExhausted when the disk is full, PermissionDenied for access
// errors, and Internal for other OS errors, each naming the path and the
// OS error.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Returns the whole content of the file at `path`.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Replaces the file at `path` with `contents` atomically: a reader sees the
  // old content or the new one, never a mix, and after a crash the file holds
  // one of the two. Durable (fsynced, directory included) when this returns OK.
  virtual absl::Status WriteFileAtomically(const std::string& path,
                                           std::string_view contents) = 0;

  // Returns whether a file or directory exists at `path`. Errors other than
  // "does not exist" are returned as a status.
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;

  // Creates the directory `path` and any missing parents. OK if it exists.
  virtual absl::Status CreateDirs(const std::string& path) = 0;

  // Deletes the file at `path`. NotFound if it does not exist.
  virtual absl::Status DeleteFile(const std::string& path) = 0;

  // Renames `from` to `to` atomically, replacing `to` if it exists.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;

  // Returns the names (not paths) of the entries of directory `path`, sorted,
  // without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;

  // Returns the size in bytes of the file at `path`.
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
};

// A source of unique identifiers (run ids, rollout ids). Ids are 32 lowercase
// hexadecimal characters (128 bits), the shape MLflow users know.
class IdSource {
 public:
  virtual ~IdSource() = default;
  // Returns a fresh id, distinct from every id this source returned before.
  virtual std::string NewId() = 0;
};

// The bundle slipway components take. Non-owning: the pointed-to objects must
// outlive every component that was given this Env.
struct Env {
  Clock* clock = nullptr;
  FileSystem* file_system = nullptr;
  IdSource* id_source = nullptr;

  // Returns the process-wide default environment: the system clock, the POSIX
  // file system and a cryptographically seeded random id source. The
  // returned objects live for the whole process and hold no mutable state
  // visible to callers.
  static Env Default();

  // Returns `*this` with every null member replaced by the default one.
  Env WithDefaults() const;
};

}  // namespace slipway

#endif  // SLIPWAY_ENV_H_
