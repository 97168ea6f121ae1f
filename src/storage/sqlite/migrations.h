// Numbered schema migrations for SQLite stores, tracked in
// `PRAGMA user_version` (0 = a fresh file).
//
// ApplyMigrations brings a store up to the latest version this library
// knows, one migration per BEGIN IMMEDIATE transaction, so a crash leaves the
// store at a whole version. Several processes opening the same fresh file at
// once are safe: each migration re-reads user_version inside its write
// transaction and skips a step another opener already made.
//
// Thread-safety: as Database (thread-safe; transactions are serialised).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_MIGRATIONS_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_MIGRATIONS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "src/storage/sqlite/database.h"

namespace slipway::internal_storage {

struct Migration {
  // 1, 2, 3, ...: the user_version the store has after this migration.
  int version;
  // A short description for messages, e.g. "tracking schema".
  std::string_view name;
  // The SQL script (one or more statements, no parameters).
  std::string_view sql;
};

// The migrations of the slipway store, in order (the SQL is in schema.cc).
absl::Span<const Migration> TrackingMigrations();

// Returns the store's `PRAGMA user_version`. Errors: as
// Database::RunReadTransaction.
absl::StatusOr<int64_t> ReadSchemaVersion(Database& db);

// Applies, in order, each migration of `migrations` whose version is above
// the store's user_version. `migrations` must be numbered 1, 2, 3, ... with no
// gap (Internal MIGRATIONS_INVALID otherwise).
//
// Errors: FailedPrecondition STORE_TOO_NEW when the store's version is above
// the last migration's (a newer slipway wrote it; nothing is changed);
// a failing migration's error, its message prefixed with the migration's
// number and name (the store stays at the previous version); the errors of
// Database::RunInTransaction (Unavailable STORE_BUSY, STORE_FORKED, ...).
absl::Status ApplyMigrations(Database& db,
                             absl::Span<const Migration> migrations);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_MIGRATIONS_H_
