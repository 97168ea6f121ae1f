// SqliteAuditBackend: AuditBackend (src/storage/audit_backend.h) on one
// SQLite store, schema migration 2 (schema.cc: audit_record, audit_anchor,
// emergency_stop).
//
// Every method is one Database transaction: RunInTransaction (BEGIN
// IMMEDIATE) for AppendAudit, SetStopFlag and ClearStopFlag, so appends from
// several processes on one file serialise on SQLite's write lock and build
// one chain; RunReadTransaction for reads. Bodies keep their state local, so
// the retry after a busy statement (which re-runs the body) is safe.
//
// Sharing: a store opens one Database and hands it to the tracking, audit
// and registry backends. Construct over such a Database with the pointer
// constructor (not owned; it must outlive the backend and be migrated), or
// let Open() open and own one (tests, tools).
//
// Thread-safety: thread-safe (the Database serialises transactions).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_AUDIT_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_AUDIT_BACKEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "src/storage/audit_backend.h"
#include "src/storage/sqlite/database.h"

namespace slipway::internal_storage {

// AppendAudit's body inside a transaction the caller runs, so that another
// backend can append the audit record of a change in the same transaction
// as the change itself (the rollout controller does). Returns the record as
// stored (seq, prev_hash, hash set).
absl::StatusOr<AuditRecord> AppendAuditIn(Transaction& tx, const Database& db,
                                          const AuditRecord& record,
                                          AuditBackend::Seal seal);

class SqliteAuditBackend final : public AuditBackend {
 public:
  // Uses `db`, an open Database whose schema is migrated (ApplyMigrations
  // with TrackingMigrations(), version 2 or later). Not owned: `db` must
  // outlive this backend.
  explicit SqliteAuditBackend(Database* db);

  // Opens (creating) the store at `path_or_memory` (a file path or
  // Database::kMemory), applies the migrations, and owns the Database.
  // Errors: those of Database::Open and ApplyMigrations.
  static absl::StatusOr<std::unique_ptr<SqliteAuditBackend>> Open(
      const std::string& path_or_memory, const DatabaseOptions& options,
      Clock* clock);

  SqliteAuditBackend(const SqliteAuditBackend&) = delete;
  SqliteAuditBackend& operator=(const SqliteAuditBackend&) = delete;

  absl::StatusOr<AuditRecord> AppendAudit(AuditRecord record,
                                          Seal seal) override;
  absl::StatusOr<std::vector<AuditRecord>> ReadAudit(
      const AuditQuery& query) override;
  absl::StatusOr<AuditAnchor> ReadAuditAnchor() override;
  absl::StatusOr<std::optional<int64_t>> FindAuditHash(
      std::string_view hash) override;

  absl::StatusOr<std::optional<StopFlag>> GetStopFlag() override;
  absl::Status SetStopFlag(const StopFlag& flag) override;
  absl::StatusOr<std::optional<StopFlag>> ClearStopFlag() override;

  // The underlying store (tests: raw checks; the stop file's default
  // location is derived from its path).
  Database& database() { return *db_; }

 private:
  explicit SqliteAuditBackend(std::unique_ptr<Database> owned);

  std::unique_ptr<Database> owned_;  // null when constructed over a Database*
  Database* const db_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_AUDIT_BACKEND_H_
