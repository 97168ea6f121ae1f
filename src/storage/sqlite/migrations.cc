#include "src/storage/sqlite/migrations.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/types/span.h"
#include "slipway/slipway.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/registry_schema.h"
#include "src/storage/sqlite/rollout_schema.h"
#include "src/storage/sqlite/schema.h"
#include "src/storage/sqlite/statement.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

absl::StatusOr<int64_t> UserVersion(Transaction& tx) {
  absl::StatusOr<Statement> stmt = tx.Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->ColumnInt64(0) : 0;
}

absl::Status TooNew(const Database& db, int64_t found, int latest) {
  const std::string fix = Cat(
      "Upgrade slipway (this is ", slipway::Version(),
      ") to the version that wrote the store, e.g. `pip install -U slipway`; "
      "do not open a store with an older slipway than the newest that wrote "
      "it.");
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("store ", QuoteForMessage(db.path()), " has schema version ", found,
          ", but this slipway knows versions up to ", latest,
          ": a newer slipway wrote it. ", fix),
      ErrorDetail{
          .reason = "STORE_TOO_NEW",
          .rule = Cat("schema version <= ", latest, " (PRAGMA user_version)"),
          .value = db.path(),
          .fix = fix});
}

absl::Status Invalid(const std::string& what) {
  return MakeError(
      absl::StatusCode::kInternal,
      Cat("slipway bug: invalid migration list: ", what),
      ErrorDetail{.reason = "MIGRATIONS_INVALID",
                  .rule = "migrations are numbered 1, 2, 3, ... without gaps",
                  .value = what,
                  .fix = "Please report this slipway bug."});
}

// `status` with its message prefixed by `prefix`, code and payloads kept.
absl::Status Prefixed(const absl::Status& status, const std::string& prefix) {
  absl::Status out(status.code(), Cat(prefix, status.message()));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

}  // namespace

absl::Span<const Migration> TrackingMigrations() {
  // Append only; never edit or renumber a released migration.
  static const Migration kTrackingMigrations[] = {
      {1, "tracking schema", kMigration1TrackingSchema},
      {2, "audit log and emergency stop", kMigration2AuditSchema},
      {3, "model registry", kMigration3RegistrySchema},
      {4, "endpoints, rollouts and outcome windows", kMigration4RolloutSchema},
      {5, "drift references and feature samples", kMigration5DriftSchema},
  };
  return kTrackingMigrations;
}

absl::StatusOr<int64_t> ReadSchemaVersion(Database& db) {
  int64_t version = 0;
  absl::Status status = db.RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<int64_t> v = UserVersion(tx);
    if (!v.ok()) return v.status();
    version = *v;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return version;
}

absl::Status ApplyMigrations(Database& db,
                             absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Invalid(Cat("entry ", i, " has version ", migrations[i].version,
                         ", expected ", i + 1));
    }
  }
  const int latest = static_cast<int>(migrations.size());
  // The common case (an up-to-date store) costs one read transaction and
  // takes no write lock.
  absl::StatusOr<int64_t> current = ReadSchemaVersion(db);
  if (!current.ok()) return current.status();
  if (*current > latest) return TooNew(db, *current, latest);
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    absl::Status status = db.RunInTransaction([&](Transaction& tx) {
      // Re-read under the write lock: another process may have migrated
      // since our read.
      absl::StatusOr<int64_t> now = UserVersion(tx);
      if (!now.ok()) return now.status();
      if (*now > latest) return TooNew(db, *now, latest);
      if (*now >= migration.version) return absl::OkStatus();
      if (*now != migration.version - 1) {
        return Invalid(Cat("store at version ", *now, " cannot take migration ",
                           migration.version));
      }
      absl::Status applied = tx.Execute(migration.sql);
      if (!applied.ok()) return applied;
      // The version is an integer from the table above, never user data;
      // PRAGMA values cannot be bound as parameters.
      return tx.Execute(Cat("PRAGMA user_version = ", migration.version));
    });
    if (!status.ok()) {
      if (GetErrorDetail(status).has_value() &&
          GetErrorDetail(status)->reason == "STORE_TOO_NEW") {
        return status;
      }
      return Prefixed(status,
                      Cat("migration ", migration.version, " (", migration.name,
                          ") of store ", QuoteForMessage(db.path()), ": "));
    }
  }
  return absl::OkStatus();
}

}  // namespace slipway::internal_storage
