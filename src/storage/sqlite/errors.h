// The one place where an SQLite result code becomes a slipway status
// (docs/storage.md "SQLite store", "Errors"). Nothing else in slipway looks at
// SQLite result codes.
//
//   SQLite result (extended)          code                reason
//   SQLITE_FULL; IOERR with ENOSPC    ResourceExhausted   DISK_FULL
//   SQLITE_CORRUPT, SQLITE_NOTADB     DataLoss            STORE_CORRUPT
//   SQLITE_BUSY, SQLITE_LOCKED        Unavailable         STORE_BUSY
//   SQLITE_CONSTRAINT_UNIQUE,
//     SQLITE_CONSTRAINT_PRIMARYKEY    AlreadyExists       STORE_DUPLICATE_KEY
//   SQLITE_CONSTRAINT_FOREIGNKEY      FailedPrecondition
//   STORE_MISSING_REFERENCE other SQLITE_CONSTRAINT_*         Internal
//   STORE_CONSTRAINT SQLITE_READONLY                   PermissionDenied
//   STORE_READ_ONLY SQLITE_PERM, SQLITE_AUTH          PermissionDenied
//   PERMISSION_DENIED SQLITE_CANTOPEN                   by the OS error:
//   FILE_NOT_FOUND,
//                                     NotFound,           PERMISSION_DENIED,
//                                     PermissionDenied,   PATH_CONFLICT,
//                                     FailedPrecondition, IO_ERROR
//                                     or Internal
//   SQLITE_IOERR                      Internal            IO_ERROR
//   SQLITE_NOMEM                      ResourceExhausted   OUT_OF_MEMORY
//   SQLITE_TOOBIG                     ResourceExhausted   STORE_VALUE_TOO_BIG
//   anything else (SQL errors,
//     misuse, schema)                 Internal            STORE_ERROR
//
// Messages name the database path, the operation, SQLite's own message, the
// result code by name and the extended code by number. The detail's `value`
// is the database path.
//
// Thread-safety: pure functions of their arguments; `db` must not be used by
// another thread during the call (its error message is read).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_ERRORS_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

struct sqlite3;

namespace slipway::internal_storage {

// Returns the status for the SQLite result `rc` (extended codes welcome) of
// `operation` (e.g. "open", "BEGIN IMMEDIATE", `step of "INSERT ..."`) on
// the database at `path`. `db` may be null (e.g. when open failed before a
// handle existed); when given, its error message and OS error number enrich
// the message. `rc` must not be SQLITE_OK/ROW/DONE (Internal says so).
absl::Status SqliteError(sqlite3* db, int rc, std::string_view operation,
                         std::string_view path);

// Returns whether `rc` means "someone else holds a lock; try again"
// (SQLITE_BUSY or SQLITE_LOCKED with any extended code).
bool IsBusy(int rc);

// Returns the name of the primary result code of `rc` ("SQLITE_FULL").
std::string SqliteCodeName(int rc);

// The status a retry loop returns when the store stayed busy until
// `deadline` ran out after `attempts` attempts: Unavailable STORE_BUSY, with
// a message that says what to do.
absl::Status StoreBusyError(std::string_view path, std::string_view operation,
                            absl::Duration deadline, int attempts);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_ERRORS_H_
