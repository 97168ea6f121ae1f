#include "src/storage/sqlite/sqlite_tracking_backend.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "slipway/tracking.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/migrations.h"
#include "src/storage/sqlite/search_sql.h"
#include "src/storage/sqlite/statement.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

// Status spelled as in the schema's CHECK (and MLflow).
std::string_view StatusText(RunStatus status) { return RunStatusName(status); }

std::optional<RunStatus> ParseStatus(std::string_view text) {
  for (RunStatus s : {RunStatus::kRunning, RunStatus::kFinished,
                      RunStatus::kFailed, RunStatus::kKilled}) {
    if (text == RunStatusName(s)) return s;
  }
  return std::nullopt;
}

absl::Status RunNotFound(std::string_view run_id, std::string_view what = "") {
  const std::string fix =
      "Check the run id (32 lowercase hex characters), and that the run was "
      "created in this store.";
  return MakeError(
      absl::StatusCode::kNotFound,
      Cat(what.empty() ? "run " : what, QuoteForMessage(run_id),
          " does not exist in this store. ", fix),
      ErrorDetail{.reason = "RUN_NOT_FOUND",
                  .rule = "a run must exist before it is used",
                  .value = std::string(run_id),
                  .fix = fix});
}

absl::Status ExperimentNotFound(std::string_view shown, std::string value) {
  const std::string fix =
      "Check the experiment's name or id, or create it first "
      "(GetOrCreateExperiment creates it when missing).";
  return MakeError(absl::StatusCode::kNotFound,
                   Cat("experiment ", shown, " does not exist. ", fix),
                   ErrorDetail{.reason = "EXPERIMENT_NOT_FOUND",
                               .rule = "an experiment must exist before use",
                               .value = std::move(value),
                               .fix = fix});
}

absl::Status Corrupt(std::string_view what, std::string value) {
  const std::string fix =
      "The store was changed outside slipway or is damaged: restore it from "
      "a backup, or run `sqlite3 <path> \"PRAGMA integrity_check\"`.";
  return MakeError(absl::StatusCode::kDataLoss, Cat(what, ". ", fix),
                   ErrorDetail{.reason = "STORE_CORRUPT",
                               .rule = "stored values follow docs/storage.md",
                               .value = std::move(value),
                               .fix = fix});
}

// Reads one row of `SELECT ... FROM experiment` columns (experiment_id,
// name, created_ms).
ExperimentInfo ReadExperimentRow(const Statement& stmt) {
  ExperimentInfo info;
  info.experiment_id = stmt.ColumnInt64(0);
  info.name = std::string(stmt.ColumnText(1));
  info.created_ms = stmt.ColumnInt64(2);
  return info;
}

absl::Status LoadExperimentTags(Transaction& tx, ExperimentInfo& info) {
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "SELECT key, value FROM experiment_tag WHERE experiment_id = ?1 "
      "ORDER BY key");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt64(1, info.experiment_id);
  info.tags.clear();
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    info.tags.emplace_back(stmt->ColumnText(0), stmt->ColumnText(1));
  }
}

// Finds an experiment by name (with tags); nullopt when missing.
absl::StatusOr<std::optional<ExperimentInfo>> FindExperimentByName(
    Transaction& tx, std::string_view name) {
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "SELECT experiment_id, name, created_ms FROM experiment WHERE name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, name);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ExperimentInfo>();
  ExperimentInfo info = ReadExperimentRow(*stmt);
  if (absl::Status s = LoadExperimentTags(tx, info); !s.ok()) return s;
  return std::optional<ExperimentInfo>(std::move(info));
}

absl::StatusOr<bool> ExperimentExists(Transaction& tx, int64_t id) {
  absl::StatusOr<Statement> stmt =
      tx.Prepare("SELECT 1 FROM experiment WHERE experiment_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt64(1, id);
  return stmt->Step();
}

absl::StatusOr<int64_t> InsertExperiment(Transaction& tx, std::string_view name,
                                         int64_t created_ms) {
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "INSERT INTO experiment (name, created_ms) VALUES (?1, ?2)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, name);
  stmt->BindInt64(2, created_ms);
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  return tx.LastInsertRowId();
}

absl::Status UpsertExperimentTags(Transaction& tx, int64_t experiment_id,
                                  const KeyValues& tags) {
  if (tags.empty()) return absl::OkStatus();
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "INSERT INTO experiment_tag (experiment_id, key, value) "
      "VALUES (?1, ?2, ?3) "
      "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value");
  if (!stmt.ok()) return stmt.status();
  for (const auto& [key, value] : tags) {
    stmt->Reset();
    stmt->BindInt64(1, experiment_id);
    stmt->BindText(2, key);
    stmt->BindText(3, value);
    if (absl::Status s = stmt->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The stored status of a run, or nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> RunStatusOf(Transaction& tx,
                                                       std::string_view run_id) {
  absl::StatusOr<Statement> stmt =
      tx.Prepare("SELECT status FROM run WHERE run_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, run_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(stmt->ColumnText(0)));
}

absl::Status RequireRun(Transaction& tx, std::string_view run_id) {
  absl::StatusOr<std::optional<std::string>> status = RunStatusOf(tx, run_id);
  if (!status.ok()) return status.status();
  if (!status->has_value()) return RunNotFound(run_id);
  return absl::OkStatus();
}

// Writes params, write-once: an existing key with the same value is left
// alone; with another value the whole call fails (the caller's transaction
// rolls back, so nothing of the batch is written).
absl::Status InsertParams(Transaction& tx, std::string_view run_id,
                          const KeyValues& params) {
  if (params.empty()) return absl::OkStatus();
  absl::StatusOr<Statement> insert = tx.Prepare(
      "INSERT INTO param (run_id, key, value) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (run_id, key) DO NOTHING");
  if (!insert.ok()) return insert.status();
  for (const auto& [key, value] : params) {
    insert->Reset();
    insert->BindText(1, run_id);
    insert->BindText(2, key);
    insert->BindText(3, value);
    if (absl::Status s = insert->Run(); !s.ok()) return s;
    if (tx.Changes() > 0) continue;
    absl::StatusOr<Statement> read = tx.Prepare(
        "SELECT value FROM param WHERE run_id = ?1 AND key = ?2");
    if (!read.ok()) return read.status();
    read->BindText(1, run_id);
    read->BindText(2, key);
    absl::StatusOr<bool> row = read->Step();
    if (!row.ok()) return row.status();
    const std::string stored = *row ? std::string(read->ColumnText(0)) : "";
    if (stored == value) continue;
    const std::string fix =
        "Params are write-once: log the new value under another key (e.g. "
        "\"" + key + "_2\"), or start a new run for the new setting.";
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        Cat("param ", QuoteForMessage(key, 100), " of run ",
            QuoteForMessage(run_id), " is already ",
            QuoteForMessage(stored, 100), " and cannot change to ",
            QuoteForMessage(value, 100), "; nothing of this call was logged. ",
            fix),
        ErrorDetail{.reason = "PARAM_CHANGED",
                    .rule = "a run's params are write-once (the same value "
                            "again is accepted)",
                    .value = value,
                    .fix = fix});
  }
  return absl::OkStatus();
}

absl::Status UpsertTags(Transaction& tx, std::string_view run_id,
                        const KeyValues& tags) {
  if (tags.empty()) return absl::OkStatus();
  absl::StatusOr<Statement> stmt = tx.Prepare(
      "INSERT INTO tag (run_id, key, value) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value");
  if (!stmt.ok()) return stmt.status();
  for (const auto& [key, value] : tags) {
    stmt->Reset();
    stmt->BindText(1, run_id);
    stmt->BindText(2, key);
    stmt->BindText(3, value);
    if (absl::Status s = stmt->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The run columns every run read selects, in SearchColumn order.
constexpr char kRunColumns[] =
    "run_id, name, experiment_id, status, start_ms, end_ms, parent_run_id, "
    "user, source_path, source_commit";

absl::StatusOr<RunInfo> ReadRunRow(const Statement& stmt) {
  RunInfo info;
  info.run_id = std::string(stmt.ColumnText(kColRunId));
  info.name = std::string(stmt.ColumnText(kColName));
  info.experiment_id = stmt.ColumnInt64(kColExperimentId);
  const std::string_view status = stmt.ColumnText(kColStatus);
  std::optional<RunStatus> parsed = ParseStatus(status);
  if (!parsed.has_value()) {
    return Corrupt(Cat("run ", QuoteForMessage(info.run_id),
                       " has an unknown status ", QuoteForMessage(status)),
                   std::string(status));
  }
  info.status = *parsed;
  info.start_ms = stmt.ColumnInt64(kColStartMs);
  if (!stmt.IsNull(kColEndMs)) info.end_ms = stmt.ColumnInt64(kColEndMs);
  info.parent_run_id = std::string(stmt.ColumnText(kColParentRunId));
  info.user = std::string(stmt.ColumnText(kColUser));
  info.source.path = std::string(stmt.ColumnText(kColSourcePath));
  info.source.git_commit = std::string(stmt.ColumnText(kColSourceCommit));
  return info;
}

// Reads a metric_summary row whose columns, from `first`, are key, count,
// last_value, last_step, last_ms, min_value, max_value.
absl::StatusOr<MetricSummary> ReadSummary(const Statement& stmt, int first) {
  MetricSummary summary;
  summary.key = std::string(stmt.ColumnText(first));
  summary.count = stmt.ColumnInt64(first + 1);
  summary.last_step = stmt.ColumnInt64(first + 3);
  summary.last_timestamp_ms = stmt.ColumnInt64(first + 4);
  for (auto [column, target] : {std::pair{first + 2, &summary.last_value},
                                std::pair{first + 5, &summary.min_value},
                                std::pair{first + 6, &summary.max_value}}) {
    absl::StatusOr<double> v = stmt.ColumnSortableDouble(column);
    if (!v.ok()) return v.status();
    *target = *v;
  }
  return summary;
}

// Fills params, tags and metric summaries of `runs` with one query per
// table (not one per run): the ids go in as one JSON array parameter,
// expanded by json_each.
absl::Status LoadParamsAndTags(Transaction& tx, std::vector<RunInfo>& runs) {
  if (runs.empty()) return absl::OkStatus();
  absl::flat_hash_map<std::string, size_t> index;
  std::string ids = "[";
  for (size_t i = 0; i < runs.size(); ++i) {
    index.emplace(runs[i].run_id, i);
    // Run ids are 32 hex digits (the schema's CHECK): nothing to escape.
    internal_strings::Append(&ids, i > 0 ? ",\"" : "\"", runs[i].run_id, "\"");
  }
  ids += "]";
  static constexpr const char* kQueries[] = {
      "SELECT run_id, key, value FROM param WHERE run_id IN "
      "(SELECT value FROM json_each(?1)) ORDER BY run_id, key",
      "SELECT run_id, key, value FROM tag WHERE run_id IN "
      "(SELECT value FROM json_each(?1)) ORDER BY run_id, key"};
  for (int table = 0; table < 2; ++table) {
    absl::StatusOr<Statement> stmt = tx.Prepare(kQueries[table]);
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, ids);
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto it = index.find(internal_strings::ToAbsl(stmt->ColumnText(0)));
      if (it == index.end()) continue;
      RunInfo& run = runs[it->second];
      (table == 0 ? run.params : run.tags)
          .emplace_back(stmt->ColumnText(1), stmt->ColumnText(2));
    }
  }
  absl::StatusOr<Statement> metrics = tx.Prepare(
      "SELECT run_id, key, count, last_value, last_step, last_ms, min_value, "
      "max_value FROM metric_summary WHERE run_id IN "
      "(SELECT value FROM json_each(?1)) ORDER BY run_id, key");
  if (!metrics.ok()) return metrics.status();
  metrics->BindText(1, ids);
  while (true) {
    absl::StatusOr<bool> row = metrics->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto it = index.find(internal_strings::ToAbsl(metrics->ColumnText(0)));
    if (it == index.end()) continue;
    absl::StatusOr<MetricSummary> summary = ReadSummary(*metrics, 1);
    if (!summary.ok()) return summary.status();
    runs[it->second].metrics.push_back(*std::move(summary));
  }
  return absl::OkStatus();
}

// Min/max ignoring NaN (NaN = no non-NaN value yet); on a tie (-0.0 vs
// +0.0) the value seen first is kept, as the codec's summary does.
double MinIgnoringNan(double stored, double next) {
  if (std::isnan(stored)) return next;
  if (std::isnan(next)) return stored;
  return next < stored ? next : stored;
}
double MaxIgnoringNan(double stored, double next) {
  if (std::isnan(stored)) return next;
  if (std::isnan(next)) return stored;
  return next > stored ? next : stored;
}

}  // namespace

SqliteTrackingBackend::SqliteTrackingBackend(std::unique_ptr<Database> db)
    : db_(std::move(db)) {}

absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>>
SqliteTrackingBackend::Open(const std::string& path_or_memory,
                            const DatabaseOptions& options, Clock* clock) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path_or_memory, options, clock);
  if (!db.ok()) return db.status();
  if (!options.read_only) {
    if (absl::Status s = ApplyMigrations(**db, TrackingMigrations()); !s.ok()) {
      return s;
    }
  }
  return std::unique_ptr<SqliteTrackingBackend>(
      new SqliteTrackingBackend(*std::move(db)));
}

// --- Experiments ---------------------------------------------------------

absl::StatusOr<ExperimentInfo> SqliteTrackingBackend::CreateExperiment(
    std::string_view name, int64_t created_ms, const KeyValues& tags) {
  ExperimentInfo info;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<std::optional<ExperimentInfo>> existing =
        FindExperimentByName(tx, name);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      const std::string fix =
          "Choose another name, or use the existing experiment "
          "(GetOrCreateExperiment).";
      return MakeError(
          absl::StatusCode::kAlreadyExists,
          Cat("experiment ", QuoteForMessage(name), " exists already (id ",
              (*existing)->experiment_id, "). ", fix),
          ErrorDetail{.reason = "EXPERIMENT_EXISTS",
                      .rule = "experiment names are unique in a store",
                      .value = std::string(name),
                      .fix = fix});
    }
    absl::StatusOr<int64_t> id = InsertExperiment(tx, name, created_ms);
    if (!id.ok()) return id.status();
    if (absl::Status s = UpsertExperimentTags(tx, *id, tags); !s.ok()) return s;
    info = ExperimentInfo{.experiment_id = *id,
                          .name = std::string(name),
                          .created_ms = created_ms,
                          .tags = {}};
    return LoadExperimentTags(tx, info);
  });
  if (!status.ok()) return status;
  return info;
}

absl::StatusOr<ExperimentInfo> SqliteTrackingBackend::GetOrCreateExperiment(
    std::string_view name, int64_t created_ms) {
  // One write transaction: BEGIN IMMEDIATE serialises racing processes, so
  // the second finds the first's row.
  ExperimentInfo info;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<std::optional<ExperimentInfo>> existing =
        FindExperimentByName(tx, name);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      info = **existing;
      return absl::OkStatus();
    }
    absl::StatusOr<int64_t> id = InsertExperiment(tx, name, created_ms);
    if (!id.ok()) return id.status();
    info = ExperimentInfo{.experiment_id = *id,
                          .name = std::string(name),
                          .created_ms = created_ms,
                          .tags = {}};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return info;
}

absl::StatusOr<ExperimentInfo> SqliteTrackingBackend::GetExperiment(
    std::string_view name) {
  std::optional<ExperimentInfo> info;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<std::optional<ExperimentInfo>> found =
        FindExperimentByName(tx, name);
    if (!found.ok()) return found.status();
    info = *std::move(found);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!info.has_value()) {
    return ExperimentNotFound(QuoteForMessage(name), std::string(name));
  }
  return *std::move(info);
}

absl::StatusOr<ExperimentInfo> SqliteTrackingBackend::GetExperimentById(
    int64_t id) {
  std::optional<ExperimentInfo> info;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    info.reset();
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT experiment_id, name, created_ms FROM experiment "
        "WHERE experiment_id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt64(1, id);
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    info = ReadExperimentRow(*stmt);
    return LoadExperimentTags(tx, *info);
  });
  if (!status.ok()) return status;
  if (!info.has_value()) {
    return ExperimentNotFound(Cat("with id ", id), Cat(id));
  }
  return *std::move(info);
}

absl::StatusOr<std::vector<ExperimentInfo>>
SqliteTrackingBackend::ListExperiments() {
  std::vector<ExperimentInfo> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT experiment_id, name, created_ms FROM experiment ORDER BY name");
    if (!stmt.ok()) return stmt.status();
    absl::flat_hash_map<int64_t, size_t> index;
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(ReadExperimentRow(*stmt));
      index[out.back().experiment_id] = out.size() - 1;
    }
    // All tags in one query, not one per experiment.
    absl::StatusOr<Statement> tags = tx.Prepare(
        "SELECT experiment_id, key, value FROM experiment_tag "
        "ORDER BY experiment_id, key");
    if (!tags.ok()) return tags.status();
    while (true) {
      absl::StatusOr<bool> row = tags->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto it = index.find(tags->ColumnInt64(0));
      if (it == index.end()) continue;
      out[it->second].tags.emplace_back(tags->ColumnText(1),
                                        tags->ColumnText(2));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteTrackingBackend::SetExperimentTags(int64_t experiment_id,
                                                      const KeyValues& tags) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<bool> exists = ExperimentExists(tx, experiment_id);
    if (!exists.ok()) return exists.status();
    if (!*exists) {
      return ExperimentNotFound(Cat("with id ", experiment_id),
                                Cat(experiment_id));
    }
    return UpsertExperimentTags(tx, experiment_id, tags);
  });
}

// --- Runs ----------------------------------------------------------------

absl::Status SqliteTrackingBackend::CreateRun(const NewRun& run) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<bool> experiment = ExperimentExists(tx, run.experiment_id);
    if (!experiment.ok()) return experiment.status();
    if (!*experiment) {
      return ExperimentNotFound(Cat("with id ", run.experiment_id),
                                Cat(run.experiment_id));
    }
    absl::StatusOr<std::optional<std::string>> existing =
        RunStatusOf(tx, run.run_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      const std::string fix =
          "Run ids must be unique: let slipway choose one (its IdSource), or "
          "pass a fresh 32-hex-digit id.";
      return MakeError(absl::StatusCode::kAlreadyExists,
                       Cat("run ", QuoteForMessage(run.run_id),
                           " exists already. ", fix),
                       ErrorDetail{.reason = "RUN_EXISTS",
                                   .rule = "run ids are unique in a store",
                                   .value = run.run_id,
                                   .fix = fix});
    }
    if (!run.parent_run_id.empty()) {
      absl::StatusOr<std::optional<std::string>> parent =
          RunStatusOf(tx, run.parent_run_id);
      if (!parent.ok()) return parent.status();
      if (!parent->has_value()) {
        return RunNotFound(run.parent_run_id, "parent run ");
      }
    }
    absl::StatusOr<Statement> insert = tx.Prepare(
        "INSERT INTO run (run_id, experiment_id, name, status, start_ms, "
        "parent_run_id, user, source_path, source_commit, heartbeat_ms) "
        "VALUES (?1, ?2, ?3, 'RUNNING', ?4, ?5, ?6, ?7, ?8, ?4)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, run.run_id);
    insert->BindInt64(2, run.experiment_id);
    insert->BindText(3, run.name);
    insert->BindInt64(4, run.start_ms);
    if (run.parent_run_id.empty()) {
      insert->BindNull(5);
    } else {
      insert->BindText(5, run.parent_run_id);
    }
    insert->BindText(6, run.user);
    insert->BindText(7, run.source.path);
    insert->BindText(8, run.source.git_commit);
    if (absl::Status s = insert->Run(); !s.ok()) return s;
    if (absl::Status s = InsertParams(tx, run.run_id, run.params); !s.ok()) {
      return s;
    }
    return UpsertTags(tx, run.run_id, run.tags);
  });
}

absl::Status SqliteTrackingBackend::EndRun(std::string_view run_id,
                                           RunStatus status, int64_t end_ms,
                                           bool by_owner) {
  if (status == RunStatus::kRunning) {
    const std::string fix = "End a run as FINISHED, FAILED or KILLED.";
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("run ", QuoteForMessage(run_id),
                         " cannot end with status RUNNING. ", fix),
                     ErrorDetail{.reason = "RUN_STATUS_INVALID",
                                 .rule = "a run ends FINISHED, FAILED or "
                                         "KILLED",
                                 .value = "RUNNING",
                                 .fix = fix});
  }
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::optional<std::string>> stored = RunStatusOf(tx, run_id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return RunNotFound(run_id);
    if (**stored == StatusText(status)) return absl::OkStatus();  // Idempotent.
    const bool presumed_dead = by_owner && **stored == "KILLED";
    if (**stored != "RUNNING" && !presumed_dead) {
      const std::string fix =
          "A run ends once; ending it again with the same status is "
          "accepted.";
      return MakeError(
          absl::StatusCode::kFailedPrecondition,
          Cat("run ", QuoteForMessage(run_id), " has already ended as ",
              **stored, " and cannot end again as ", StatusText(status), ". ",
              fix),
          ErrorDetail{.reason = "RUN_ENDED",
                      .rule = "RUNNING -> FINISHED | FAILED | KILLED, once",
                      .value = std::string(StatusText(status)),
                      .fix = fix});
    }
    absl::StatusOr<Statement> update = tx.Prepare(
        "UPDATE run SET status = ?2, end_ms = ?3 WHERE run_id = ?1");
    if (!update.ok()) return update.status();
    update->BindText(1, run_id);
    update->BindText(2, StatusText(status));
    update->BindInt64(3, end_ms);
    return update->Run();
  });
}

absl::Status SqliteTrackingBackend::Heartbeat(
    std::span<const std::string> run_ids, int64_t now_ms) {
  if (run_ids.empty()) return absl::OkStatus();
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> update = tx.Prepare(
        "UPDATE run SET heartbeat_ms = max(coalesce(heartbeat_ms, ?2), ?2) "
        "WHERE run_id = ?1 AND status = 'RUNNING'");
    if (!update.ok()) return update.status();
    for (const std::string& id : run_ids) {
      update->Reset();
      update->BindText(1, id);
      update->BindInt64(2, now_ms);
      if (absl::Status s = update->Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SqliteTrackingBackend::MarkStaleRunsKilled(
    int64_t stale_before_ms) {
  int64_t killed = 0;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx) {
    // `status = 'RUNNING'` and the heartbeat range match the partial index
    // run_running_by_heartbeat: the sweep reads only live runs.
    absl::StatusOr<Statement> update = tx.Prepare(
        "UPDATE run SET status = 'KILLED', end_ms = heartbeat_ms "
        "WHERE status = 'RUNNING' AND heartbeat_ms < ?1");
    if (!update.ok()) return update.status();
    update->BindInt64(1, stale_before_ms);
    if (absl::Status s = update->Run(); !s.ok()) return s;
    killed = tx.Changes();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return killed;
}

absl::StatusOr<RunInfo> SqliteTrackingBackend::GetRun(std::string_view run_id) {
  std::vector<RunInfo> runs;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    runs.clear();
    absl::StatusOr<Statement> stmt =
        tx.Prepare(Cat("SELECT ", kRunColumns, " FROM run WHERE run_id = ?1"));
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, run_id);
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    absl::StatusOr<RunInfo> info = ReadRunRow(*stmt);
    if (!info.ok()) return info.status();
    runs.push_back(*std::move(info));
    return LoadParamsAndTags(tx, runs);
  });
  if (!status.ok()) return status;
  if (runs.empty()) return RunNotFound(run_id);
  return std::move(runs.front());
}

// --- Params and tags -----------------------------------------------------

absl::Status SqliteTrackingBackend::LogParams(std::string_view run_id,
                                              const KeyValues& params) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    if (absl::Status s = RequireRun(tx, run_id); !s.ok()) return s;
    return InsertParams(tx, run_id, params);
  });
}

absl::Status SqliteTrackingBackend::SetTags(std::string_view run_id,
                                            const KeyValues& tags) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    if (absl::Status s = RequireRun(tx, run_id); !s.ok()) return s;
    return UpsertTags(tx, run_id, tags);
  });
}

// --- Metrics -------------------------------------------------------------

namespace {

// The running summary of one (run, key) while a batch is folded in.
struct SummaryFold {
  int64_t next_seq = 0;
  bool stored = false;  // a summary row existed before this batch
  int64_t count = 0;
  double last_value = 0;
  int64_t last_step = 0;
  int64_t last_ms = 0;
  double min_value = std::nan("");
  double max_value = std::nan("");
};

using RunKey = std::pair<std::string, std::string>;

// Reads the next seq and the stored summary of (run, key) into `fold`.
absl::Status LoadFold(Transaction& tx, const ChunkWrite& chunk,
                      SummaryFold& fold) {
  absl::StatusOr<Statement> seq = tx.Prepare(
      "SELECT coalesce(max(seq) + 1, 0) FROM metric_chunk "
      "WHERE run_id = ?1 AND key = ?2");
  if (!seq.ok()) return seq.status();
  seq->BindText(1, chunk.run_id);
  seq->BindText(2, chunk.key);
  absl::StatusOr<bool> row = seq->Step();
  if (!row.ok()) return row.status();
  fold.next_seq = *row ? seq->ColumnInt64(0) : 0;

  absl::StatusOr<Statement> summary = tx.Prepare(
      "SELECT count, last_value, last_step, last_ms, min_value, max_value "
      "FROM metric_summary WHERE run_id = ?1 AND key = ?2");
  if (!summary.ok()) return summary.status();
  summary->BindText(1, chunk.run_id);
  summary->BindText(2, chunk.key);
  row = summary->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::OkStatus();
  fold.stored = true;
  fold.count = summary->ColumnInt64(0);
  fold.last_step = summary->ColumnInt64(2);
  fold.last_ms = summary->ColumnInt64(3);
  for (auto [column, out] : {std::pair{1, &fold.last_value},
                             std::pair{4, &fold.min_value},
                             std::pair{5, &fold.max_value}}) {
    absl::StatusOr<double> v = summary->ColumnSortableDouble(column);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqliteTrackingBackend::WriteChunks(
    std::span<const ChunkWrite> chunks) {
  if (chunks.empty()) return absl::OkStatus();
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    // All state is local to the body: a retried body starts afresh.
    absl::flat_hash_set<std::string> runs_checked;
    // Folds in first-seen order, found through `fold_index`.
    std::vector<std::pair<RunKey, SummaryFold>> folds;
    absl::flat_hash_map<RunKey, size_t> fold_index;
    absl::StatusOr<Statement> insert = tx.Prepare(
        "INSERT INTO metric_chunk (run_id, key, seq, first_step, last_step, "
        "min_step, max_step, count, codec, data) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!insert.ok()) return insert.status();
    for (const ChunkWrite& chunk : chunks) {
      if (!runs_checked.contains(chunk.run_id)) {
        // NotFound rather than the foreign key's FailedPrecondition; the
        // error rolls back the whole batch.
        if (absl::Status s = RequireRun(tx, chunk.run_id); !s.ok()) return s;
        runs_checked.insert(chunk.run_id);
      }
      auto [it, inserted] =
          fold_index.try_emplace(RunKey(chunk.run_id, chunk.key), folds.size());
      if (inserted) {
        folds.emplace_back(it->first, SummaryFold());
        if (absl::Status s = LoadFold(tx, chunk, folds.back().second);
            !s.ok()) {
          return s;
        }
      }
      SummaryFold& fold = folds[it->second].second;
      insert->Reset();
      insert->BindText(1, chunk.run_id);
      insert->BindText(2, chunk.key);
      insert->BindInt64(3, fold.next_seq++);
      insert->BindInt64(4, chunk.first_step);
      insert->BindInt64(5, chunk.last_step);
      insert->BindInt64(6, chunk.min_step);
      insert->BindInt64(7, chunk.max_step);
      insert->BindInt64(8, chunk.count);
      // The codec's format version is the chunk's first byte.
      insert->BindInt64(
          9, chunk.data.empty() ? 0 : static_cast<uint8_t>(chunk.data[0]));
      insert->BindBlob(10, chunk.data);
      if (absl::Status s = insert->Run(); !s.ok()) return s;

      fold.count += chunk.count;
      fold.last_value = chunk.last_value;  // batch order is logging order
      fold.last_step = chunk.last_step;
      fold.last_ms = chunk.last_timestamp_ms;
      fold.min_value = MinIgnoringNan(fold.min_value, chunk.min_value);
      fold.max_value = MaxIgnoringNan(fold.max_value, chunk.max_value);
    }
    absl::StatusOr<Statement> upsert = tx.Prepare(
        "INSERT INTO metric_summary (run_id, key, count, last_value, "
        "last_step, last_ms, min_value, max_value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (run_id, key) DO UPDATE SET count = excluded.count, "
        "last_value = excluded.last_value, last_step = excluded.last_step, "
        "last_ms = excluded.last_ms, min_value = excluded.min_value, "
        "max_value = excluded.max_value");
    if (!upsert.ok()) return upsert.status();
    for (const auto& [key, fold] : folds) {
      upsert->Reset();
      upsert->BindText(1, key.first);
      upsert->BindText(2, key.second);
      upsert->BindInt64(3, fold.count);
      upsert->BindSortableDouble(4, fold.last_value);
      upsert->BindInt64(5, fold.last_step);
      upsert->BindInt64(6, fold.last_ms);
      upsert->BindSortableDouble(7, fold.min_value);
      upsert->BindSortableDouble(8, fold.max_value);
      if (absl::Status s = upsert->Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteTrackingBackend::Checkpoint() {
  // SQLite's own autocheckpoint threshold: the WAL stays a few MiB.
  constexpr int64_t kCheckpointPages = 1000;
  return db_->CheckpointIfLarge(kCheckpointPages);
}

absl::StatusOr<std::vector<StoredChunk>> SqliteTrackingBackend::ReadChunks(
    std::string_view run_id, std::string_view key, int64_t min_step,
    int64_t max_step) {
  std::vector<StoredChunk> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    if (absl::Status s = RequireRun(tx, run_id); !s.ok()) return s;
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT seq, count, min_step, max_step, data FROM metric_chunk "
        "WHERE run_id = ?1 AND key = ?2 AND max_step >= ?3 AND min_step <= ?4 "
        "ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, run_id);
    stmt->BindText(2, key);
    stmt->BindInt64(3, min_step);
    stmt->BindInt64(4, max_step);
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      out.push_back(StoredChunk{
          .seq = stmt->ColumnInt64(0),
          .count = static_cast<uint32_t>(stmt->ColumnInt64(1)),
          .min_step = stmt->ColumnInt64(2),
          .max_step = stmt->ColumnInt64(3),
          .data = std::string(stmt->ColumnBlob(4))});
    }
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<MetricSummary>>
SqliteTrackingBackend::GetMetricSummaries(std::string_view run_id) {
  std::vector<MetricSummary> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    if (absl::Status s = RequireRun(tx, run_id); !s.ok()) return s;
    absl::StatusOr<Statement> stmt = tx.Prepare(
        "SELECT key, count, last_value, last_step, last_ms, min_value, "
        "max_value FROM metric_summary WHERE run_id = ?1 ORDER BY key");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, run_id);
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      absl::StatusOr<MetricSummary> summary = ReadSummary(*stmt, 0);
      if (!summary.ok()) return summary.status();
      out.push_back(*std::move(summary));
    }
  });
  if (!status.ok()) return status;
  return out;
}

// --- Search --------------------------------------------------------------

absl::StatusOr<RunPage> SqliteTrackingBackend::SearchRuns(
    std::span<const int64_t> experiment_ids,
    const internal_query::Filter& filter,
    std::span<const internal_query::OrderBy> order_by, size_t max_results,
    uint64_t offset) {
  if (max_results == 0) return RunPage();
  // One row more than the page tells whether another page exists.
  const size_t limit =
      max_results == SIZE_MAX ? max_results : max_results + 1;
  absl::StatusOr<CompiledSearch> query =
      CompileSearchRuns(experiment_ids, filter, order_by, limit, offset);
  if (!query.ok()) return query.status();
  RunPage page;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    page = RunPage();
    // Uncached: the text varies with the filter's shape (search_sql.h).
    absl::StatusOr<Statement> stmt = tx.PrepareUncached(query->sql);
    if (!stmt.ok()) return stmt.status();
    for (size_t i = 0; i < query->args.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const SqlArg& arg = query->args[i];
      if (const auto* n = std::get_if<int64_t>(&arg)) {
        stmt->BindInt64(index, *n);
      } else if (const auto* d = std::get_if<double>(&arg)) {
        stmt->BindDouble(index, *d);
      } else if (const auto* s = std::get_if<std::string>(&arg)) {
        stmt->BindText(index, *s);
      } else {
        stmt->BindSortableDouble(index, std::get<SortableArg>(arg).value);
      }
    }
    while (true) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (page.runs.size() == max_results) {
        page.next_offset = offset + max_results;
        break;
      }
      absl::StatusOr<RunInfo> info = ReadRunRow(*stmt);
      if (!info.ok()) return info.status();
      page.runs.push_back(*std::move(info));
    }
    return LoadParamsAndTags(tx, page.runs);
  });
  if (!status.ok()) return status;
  return page;
}

}  // namespace slipway::internal_storage
