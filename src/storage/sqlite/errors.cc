#include "src/storage/sqlite/errors.h"

#include <sqlite3.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "slipway/status.h"
#include "src/env/file_errors.h"
#include "src/errors/strings.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

struct Mapping {
  absl::StatusCode code;
  const char* reason;
  const char* fix;
};

Mapping CantOpenMapping(int os_error) {
  switch (os_error) {
    case ENOENT:
      return {absl::StatusCode::kNotFound, "FILE_NOT_FOUND",
              "Check the path; its directory must exist (slipway creates the "
              "database file, not its directories). A read-only open needs "
              "an existing store."};
    case EACCES:
    case EPERM:
    case EROFS:
      return {absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
              "Give this process read and write access to the database file "
              "and its directory (SQLite creates -wal and -shm files beside "
              "it), or choose a writable location."};
    case EISDIR:
    case ENOTDIR:
      return {absl::StatusCode::kFailedPrecondition, "PATH_CONFLICT",
              "The path names a directory, or a file stands where a "
              "directory is expected: point at a database file inside an "
              "existing directory, e.g. \"/data/slipway.db\"."};
    default:
      return {absl::StatusCode::kInternal, "IO_ERROR",
              "Check that the path names a database file in an existing, "
              "healthy directory; the OS error is in the message."};
  }
}

Mapping MapResult(int rc, int os_error) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return {absl::StatusCode::kResourceExhausted, "DISK_FULL",
              "Free space on the file system holding the store (or raise "
              "its size limit), then retry; the store is intact."};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {absl::StatusCode::kDataLoss, "STORE_CORRUPT",
              "The file is not a usable SQLite database: check that the path "
              "names a slipway store, restore it from a backup, or run "
              "`sqlite3 <path> \"PRAGMA integrity_check\"` to see the damage."};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {absl::StatusCode::kUnavailable, "STORE_BUSY",
              "Another connection holds the store's lock; retry later."};
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          return {absl::StatusCode::kAlreadyExists, "STORE_DUPLICATE_KEY",
                  "The row exists already; read it, or write under a new "
                  "key."};
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return {absl::StatusCode::kFailedPrecondition,
                  "STORE_MISSING_REFERENCE",
                  "The row refers to (or is referred to by) a row that does "
                  "not exist; create the referenced row first."};
        default:
          return {absl::StatusCode::kInternal, "STORE_CONSTRAINT",
                  "A value broke a table constraint that validation should "
                  "have caught: please report this slipway bug."};
      }
    case SQLITE_READONLY:
      return {absl::StatusCode::kPermissionDenied, "STORE_READ_ONLY",
              "The store was opened read-only, or its file, directory or "
              "file system is read-only: open it read-write from a process "
              "that may write the file and its directory."};
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
              "Give this process access to the database file and its "
              "directory."};
    case SQLITE_CANTOPEN:
      return CantOpenMapping(os_error);
    case SQLITE_IOERR:
      if (os_error == ENOSPC
#if defined(EDQUOT)
          || os_error == EDQUOT
#endif
      ) {
        return MapResult(SQLITE_FULL, 0);
      }
      return {absl::StatusCode::kInternal, "IO_ERROR",
              "The operating system reported an I/O error on the store: "
              "check the disk and the file system; the OS error is in the "
              "message."};
    case SQLITE_NOMEM:
      return {absl::StatusCode::kResourceExhausted, "OUT_OF_MEMORY",
              "The process ran out of memory; free memory and retry."};
    case SQLITE_TOOBIG:
      return {absl::StatusCode::kResourceExhausted, "STORE_VALUE_TOO_BIG",
              "A value exceeds SQLite's size limit (1 GB by default); store "
              "large data as an artifact instead."};
    default:
      return {absl::StatusCode::kInternal, "STORE_ERROR",
              "An unexpected SQLite error: please report this slipway bug "
              "with the message."};
  }
}

}  // namespace

bool IsBusy(int rc) {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

std::string SqliteCodeName(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK:
      return "SQLITE_OK";
    case SQLITE_ERROR:
      return "SQLITE_ERROR";
    case SQLITE_INTERNAL:
      return "SQLITE_INTERNAL";
    case SQLITE_PERM:
      return "SQLITE_PERM";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND:
      return "SQLITE_NOTFOUND";
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_CANTOPEN:
      return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL:
      return "SQLITE_PROTOCOL";
    case SQLITE_EMPTY:
      return "SQLITE_EMPTY";
    case SQLITE_SCHEMA:
      return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG:
      return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH:
      return "SQLITE_MISMATCH";
    case SQLITE_MISUSE:
      return "SQLITE_MISUSE";
    case SQLITE_NOLFS:
      return "SQLITE_NOLFS";
    case SQLITE_AUTH:
      return "SQLITE_AUTH";
    case SQLITE_FORMAT:
      return "SQLITE_FORMAT";
    case SQLITE_RANGE:
      return "SQLITE_RANGE";
    case SQLITE_NOTADB:
      return "SQLITE_NOTADB";
    case SQLITE_NOTICE:
      return "SQLITE_NOTICE";
    case SQLITE_WARNING:
      return "SQLITE_WARNING";
    case SQLITE_ROW:
      return "SQLITE_ROW";
    case SQLITE_DONE:
      return "SQLITE_DONE";
    default:
      return Cat("SQLite result ", rc & 0xff);
  }
}

absl::Status SqliteError(sqlite3* db, int rc, std::string_view operation,
                         std::string_view path) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) {
    return MakeError(absl::StatusCode::kInternal,
                     Cat("slipway bug: SqliteError called with success code ",
                         SqliteCodeName(rc), " for ", operation, " on ",
                         QuoteForMessage(path)),
                     ErrorDetail{.reason = "STORE_ERROR",
                                 .rule = "SqliteError needs a failure code",
                                 .value = std::string(path),
                                 .fix = "Please report this slipway bug."});
  }
  // The connection's message belongs to the last failed call only when it
  // reports the same primary code; otherwise use SQLite's generic text.
  std::string sqlite_message;
  int os_error = 0;
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    sqlite_message = sqlite3_errmsg(db);
    os_error = sqlite3_system_errno(db);
  } else {
    sqlite_message = sqlite3_errstr(rc);
  }
  const Mapping mapping = MapResult(rc, os_error);
  std::string message = Cat("SQLite ", operation, " on store ",
                            QuoteForMessage(path), " failed: ", sqlite_message,
                            " (", SqliteCodeName(rc), ", extended code ", rc);
  if (os_error != 0) {
    internal_strings::Append(&message, "; OS error ",
                             internal_env::ErrnoName(os_error), ": ",
                             internal_env::ErrnoText(os_error));
  }
  internal_strings::Append(&message, "). ", mapping.fix);
  return MakeError(mapping.code, message,
                   ErrorDetail{.reason = mapping.reason,
                               .rule = Cat("SQLite result ", SqliteCodeName(rc),
                                           " (extended ", rc, ")"),
                               .value = std::string(path),
                               .fix = mapping.fix});
}

absl::Status StoreBusyError(std::string_view path, std::string_view operation,
                            absl::Duration deadline, int attempts) {
  const std::string fix =
      "Another process or connection held the store's write lock for the "
      "whole busy deadline. Retry later; look for a process stuck inside a "
      "long transaction on this store; or raise the busy deadline "
      "(StoreOptions::busy_deadline).";
  return MakeError(
      absl::StatusCode::kUnavailable,
      Cat("store ", QuoteForMessage(path), " stayed busy for ",
          absl::FormatDuration(deadline), " (", attempts, " attempts) during ",
          operation, ". ", fix),
      ErrorDetail{.reason = "STORE_BUSY",
                  .rule = Cat("busy_deadline ", absl::FormatDuration(deadline),
                              ": bounded retry with exponential backoff"),
                  .value = std::string(path),
                  .fix = fix});
}

}  // namespace slipway::internal_storage
