#include "src/storage/sqlite/sqlite_audit_backend.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/migrations.h"
#include "src/storage/sqlite/statement.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

// The columns of audit_record in the order ReadRecordRow reads them.
constexpr char kRecordColumns[] =
    "seq, timestamp_ms, agent, user, environment, command, resource_type, "
    "resource_name, action, model_name, model_version, previous_version, "
    "change_ticket, outcome, rollback_config, duration_ms, reason, message, "
    "prev_hash, hash";

absl::Status Corrupt(const Database& db, std::string_view what,
                     std::string value) {
  const std::string fix =
      "The store was changed outside slipway or is damaged: restore it from "
      "a backup, or run `sqlite3 <path> \"PRAGMA integrity_check\"`.";
  return MakeError(absl::StatusCode::kDataLoss,
                   Cat("store ", QuoteForMessage(db.path()), ": ", what, ". ",
                       fix),
                   ErrorDetail{.reason = "STORE_CORRUPT",
                               .rule = "stored values follow docs/storage.md",
                               .value = std::move(value),
                               .fix = fix});
}

// The chain cannot be extended: someone edited the anchor or the records
// outside slipway. Appending anyway would hide the damage.
absl::Status ChainBroken(const Database& db, int64_t seq,
                         std::string_view why) {
  const std::string fix =
      "The audit log was changed outside slipway. Keep the store as it is "
      "for investigation, run the audit verification to see the first bad "
      "record, and restore the store from a backup taken before the change.";
  return MakeError(
      absl::StatusCode::kDataLoss,
      Cat("audit chain of store ", QuoteForMessage(db.path()),
          " is broken at seq ", seq, " (", why,
          "); nothing was appended. ", fix),
      ErrorDetail{.reason = "AUDIT_CHAIN_BROKEN",
                  .rule = "SPEC §6: audit records are append-only and each "
                          "carries the hash of the one before",
                  .value = Cat(seq),
                  .fix = fix});
}

std::optional<AuditOutcome> ParseOutcome(std::string_view text) {
  for (AuditOutcome o :
       {AuditOutcome::kSuccess, AuditOutcome::kFailure, AuditOutcome::kDenied}) {
    if (text == AuditOutcomeName(o)) return o;
  }
  return std::nullopt;
}

absl::StatusOr<AuditRecord> ReadRecordRow(const Database& db,
                                          const Statement& stmt) {
  AuditRecord r;
  r.seq = stmt.ColumnInt64(0);
  r.timestamp_ms = stmt.ColumnInt64(1);
  r.agent = std::string(stmt.ColumnText(2));
  r.user = std::string(stmt.ColumnText(3));
  r.environment = std::string(stmt.ColumnText(4));
  r.command = std::string(stmt.ColumnText(5));
  r.resource_type = std::string(stmt.ColumnText(6));
  r.resource_name = std::string(stmt.ColumnText(7));
  r.action = std::string(stmt.ColumnText(8));
  r.model_name = std::string(stmt.ColumnText(9));
  r.model_version = std::string(stmt.ColumnText(10));
  r.previous_version = std::string(stmt.ColumnText(11));
  r.change_ticket = std::string(stmt.ColumnText(12));
  std::optional<AuditOutcome> outcome = ParseOutcome(stmt.ColumnText(13));
  if (!outcome.has_value()) {
    return Corrupt(db,
                   Cat("audit record ", r.seq, " has outcome ",
                       QuoteForMessage(stmt.ColumnText(13)),
                       " (expected success, failure or denied)"),
                   std::string(stmt.ColumnText(13)));
  }
  r.outcome = *outcome;
  r.rollback_config = std::string(stmt.ColumnText(14));
  r.duration_ms = stmt.ColumnInt64(15);
  r.reason = std::string(stmt.ColumnText(16));
  r.message = std::string(stmt.ColumnText(17));
  r.prev_hash = std::string(stmt.ColumnText(18));
  r.hash = std::string(stmt.ColumnText(19));
  return r;
}

struct AnchorRow {
  bool present = false;
  int64_t count = 0;
  std::string head_hash{kAuditGenesisHash};
};

absl::StatusOr<AnchorRow> ReadAnchorRow(Transaction& tx) {
  absl::StatusOr<Statement> stmt =
      tx.Prepare("SELECT count, head_hash FROM audit_anchor WHERE id = 1");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  AnchorRow anchor;
  if (!*row) return anchor;
  anchor.present = true;
  anchor.count = stmt->ColumnInt64(0);
  anchor.head_hash = std::string(stmt->ColumnText(1));
  return anchor;
}

absl::StatusOr<std::optional<StopFlag>> ReadStopRow(Transaction& tx) {
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "SELECT actor, reason, set_ms FROM emergency_stop WHERE id = 1");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StopFlag>();
  return std::optional<StopFlag>(StopFlag{
      .actor = std::string(stmt->ColumnText(0)),
      .reason = std::string(stmt->ColumnText(1)),
      .set_ms = stmt->ColumnInt64(2),
  });
}

}  // namespace

SqliteAuditBackend::SqliteAuditBackend(Database* db) : db_(db) {}

SqliteAuditBackend::SqliteAuditBackend(std::unique_ptr<Database> owned)
    : owned_(std::move(owned)), db_(owned_.get()) {}

absl::StatusOr<std::unique_ptr<SqliteAuditBackend>> SqliteAuditBackend::Open(
    const std::string& path_or_memory, const DatabaseOptions& options,
    Clock* clock) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path_or_memory, options, clock);
  if (!db.ok()) return db.status();
  if (!options.read_only) {
    if (absl::Status s = ApplyMigrations(**db, TrackingMigrations()); !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<SqliteAuditBackend>(
      new SqliteAuditBackend(*std::move(db)));
}

absl::StatusOr<AuditRecord> AppendAuditIn(Transaction& tx, const Database& db,
                                          const AuditRecord& record,
                                          AuditBackend::Seal seal) {
  AuditRecord stored = record;
  absl::StatusOr<AnchorRow> anchor = ReadAnchorRow(tx);
  if (!anchor.ok()) return anchor.status();
  if (!anchor->present) {
    return ChainBroken(db, 1, "the audit_anchor row is missing");
  }
  stored.seq = anchor->count + 1;
  stored.prev_hash = anchor->head_hash;
  stored.hash.clear();
  if (absl::Status s = seal(stored); !s.ok()) return s;

  absl::StatusOr<Statement> insert = tx.Prepare(
      "INSERT INTO audit_record (seq, timestamp_ms, agent, user, "
      "environment, command, resource_type, resource_name, action, "
      "model_name, model_version, previous_version, change_ticket, outcome, "
      "rollback_config, duration_ms, reason, message, prev_hash, hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15, ?16, ?17, ?18, ?19, ?20)");
  if (!insert.ok()) return insert.status();
  insert->BindInt64(1, stored.seq);
  insert->BindInt64(2, stored.timestamp_ms);
  insert->BindText(3, stored.agent);
  insert->BindText(4, stored.user);
  insert->BindText(5, stored.environment);
  insert->BindText(6, stored.command);
  insert->BindText(7, stored.resource_type);
  insert->BindText(8, stored.resource_name);
  insert->BindText(9, stored.action);
  insert->BindText(10, stored.model_name);
  insert->BindText(11, stored.model_version);
  insert->BindText(12, stored.previous_version);
  insert->BindText(13, stored.change_ticket);
  insert->BindText(14, AuditOutcomeName(stored.outcome));
  insert->BindText(15, stored.rollback_config);
  insert->BindInt64(16, stored.duration_ms);
  insert->BindText(17, stored.reason);
  insert->BindText(18, stored.message);
  insert->BindText(19, stored.prev_hash);
  insert->BindText(20, stored.hash);
  if (absl::Status s = insert->Run(); !s.ok()) {
    std::optional<ErrorDetail> detail = GetErrorDetail(s);
    if (detail.has_value() && detail->reason == "STORE_DUPLICATE_KEY") {
      return ChainBroken(db, stored.seq,
                         Cat("a record with seq ", stored.seq,
                             " exists beyond the anchor's count ",
                             anchor->count));
    }
    return s;
  }
  absl::StatusOr<Statement> advance = tx.Prepare(
      "UPDATE audit_anchor SET count = ?1, head_hash = ?2 WHERE id = 1");
  if (!advance.ok()) return advance.status();
  advance->BindInt64(1, stored.seq);
  advance->BindText(2, stored.hash);
  if (absl::Status s = advance->Run(); !s.ok()) return s;
  return stored;
}

absl::StatusOr<AuditRecord> SqliteAuditBackend::AppendAudit(AuditRecord record,
                                                            Seal seal) {
  AuditRecord stored;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    // A busy store re-runs this body; AppendAuditIn starts from `record`.
    absl::StatusOr<AuditRecord> appended = AppendAuditIn(tx, *db_, record, seal);
    if (!appended.ok()) return appended.status();
    stored = *std::move(appended);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stored;
}

absl::StatusOr<std::vector<AuditRecord>> SqliteAuditBackend::ReadAudit(
    const AuditQuery& query) {
  std::vector<AuditRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    // One statement for both shapes: ?3 IS NULL switches the time filter
    // off, so the statement cache holds one entry.
    absl::StatusOr<Statement> stmt = tx.Prepare(
        Cat("SELECT ", kRecordColumns,
            " FROM audit_record WHERE seq >= ?1 AND seq <= ?2 "
            "AND (?3 IS NULL OR timestamp_ms >= ?3) ORDER BY seq LIMIT ?4"));
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt64(1, query.min_seq);
    stmt->BindInt64(2, query.max_seq);
    if (query.since_ms.has_value()) {
      stmt->BindInt64(3, *query.since_ms);
    } else {
      stmt->BindNull(3);
    }
    // SQLite reads a negative LIMIT as "no limit".
    stmt->BindInt64(4, query.limit == 0 ? -1
                                        : static_cast<int64_t>(query.limit));
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      absl::StatusOr<AuditRecord> record = ReadRecordRow(*db_, *stmt);
      if (!record.ok()) return record.status();
      out.push_back(*std::move(record));
    }
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<AuditAnchor> SqliteAuditBackend::ReadAuditAnchor() {
  AuditAnchor anchor;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<AnchorRow> row = ReadAnchorRow(tx);
    if (!row.ok()) return row.status();
    anchor.present = row->present;
    anchor.count = row->count;
    anchor.head_hash = row->head_hash;
    absl::StatusOr<Statement> max =
        tx.Prepare("SELECT coalesce(max(seq), 0) FROM audit_record");
    if (!max.ok()) return max.status();
    absl::StatusOr<bool> has = max->Step();
    if (!has.ok()) return has.status();
    anchor.max_stored_seq = *has ? max->ColumnInt64(0) : 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return anchor;
}

absl::StatusOr<std::optional<int64_t>> SqliteAuditBackend::FindAuditHash(
    std::string_view hash) {
  std::optional<int64_t> seq;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    seq.reset();
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT seq FROM audit_record WHERE hash = ?1 ORDER BY seq LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, hash);
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) seq = stmt->ColumnInt64(0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return seq;
}

absl::StatusOr<std::optional<StopFlag>> SqliteAuditBackend::GetStopFlag() {
  std::optional<StopFlag> flag;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<std::optional<StopFlag>> row = ReadStopRow(tx);
    if (!row.ok()) return row.status();
    flag = *std::move(row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return flag;
}

absl::Status SqliteAuditBackend::SetStopFlag(const StopFlag& flag) {
  return db_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "INSERT INTO emergency_stop (id, actor, reason, set_ms) "
        "VALUES (1, ?1, ?2, ?3) "
        "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor, "
        "reason = excluded.reason, set_ms = excluded.set_ms");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, flag.actor);
    stmt->BindText(2, flag.reason);
    stmt->BindInt64(3, flag.set_ms);
    return stmt->Run();
  });
}

absl::StatusOr<std::optional<StopFlag>> SqliteAuditBackend::ClearStopFlag() {
  std::optional<StopFlag> was;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<std::optional<StopFlag>> row = ReadStopRow(tx);
    if (!row.ok()) return row.status();
    was = *std::move(row);
    if (!was.has_value()) return absl::OkStatus();
    absl::StatusOr<Statement> stmt =
        tx.Prepare("DELETE FROM emergency_stop WHERE id = 1");
    if (!stmt.ok()) return stmt.status();
    return stmt->Run();
  });
  if (!status.ok()) return status;
  return was;
}

}  // namespace slipway::internal_storage
