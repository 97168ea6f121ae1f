#include "src/storage/sqlite/sqlite_rollout_backend.h"

#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "src/storage/sqlite/statement.h"
#include "src/storage/sqlite/statement_helpers.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

absl::Status NotFound(std::string_view reason, std::string_view what,
                      std::string_view name, std::string_view fix) {
  return MakeError(absl::StatusCode::kNotFound,
                   Cat(what, " ", QuoteForMessage(name),
                       " does not exist in this store. ", fix),
                   ErrorDetail{.reason = std::string(reason),
                               .rule = Cat("a ", what, " must exist before use"),
                               .value = std::string(name),
                               .fix = std::string(fix)});
}

absl::Status Exists(std::string_view reason, std::string_view what,
                    std::string_view name) {
  const std::string fix = Cat("Choose another name, or use the existing ", what, ".");
  return MakeError(absl::StatusCode::kAlreadyExists,
                   Cat(what, " ", QuoteForMessage(name), " exists already. ", fix),
                   ErrorDetail{.reason = std::string(reason),
                               .rule = Cat(what, " names are unique in a store"),
                               .value = std::string(name),
                               .fix = fix});
}

absl::Status EndpointNotFound(std::string_view name) {
  return NotFound("ENDPOINT_NOT_FOUND", "endpoint", name,
                  "Register it first (register_endpoint).");
}

constexpr char kEndpointColumns[] =
    "SELECT name, environment, model, stable_version, created_ms, updated_ms "
    "FROM endpoint ";

absl::Status ReadEndpoints(Transaction& tx, std::string_view where,
                           std::string_view name,
                           std::vector<EndpointRecord>* out) {
  if (absl::Status s = ForEachRow(
          tx, Cat(kEndpointColumns, where, " ORDER BY name"),
          [&](Statement& st) {
            if (!name.empty()) st.BindText(1, name);
          },
          [&](Statement& st) {
            EndpointRecord e;
            e.name = std::string(st.ColumnText(0));
            e.environment = std::string(st.ColumnText(1));
            e.model = std::string(st.ColumnText(2));
            e.stable_version = std::string(st.ColumnText(3));
            e.created_ms = st.ColumnInt64(4);
            e.updated_ms = st.ColumnInt64(5);
            out->push_back(std::move(e));
            return absl::OkStatus();
          });
      !s.ok()) {
    return s;
  }
  for (EndpointRecord& e : *out) {
    if (absl::Status s = ForEachRow(
            tx,
            "SELECT name, threshold FROM endpoint_alert_rule WHERE "
            "endpoint = ?1 ORDER BY name",
            [&](Statement& st) { st.BindText(1, e.name); },
            [&](Statement& st) {
              e.alert_rules.push_back(
                  AlertRule{std::string(st.ColumnText(0)), st.ColumnDouble(1)});
              return absl::OkStatus();
            });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAlertRules(Transaction& tx, std::string_view endpoint,
                             const std::vector<AlertRule>& rules) {
  if (absl::Status s = Exec(tx,
                            "DELETE FROM endpoint_alert_rule WHERE endpoint = ?1",
                            [&](Statement& st) { st.BindText(1, endpoint); });
      !s.ok()) {
    return s;
  }
  for (const AlertRule& r : rules) {
    if (absl::Status s = Exec(tx,
                              "INSERT INTO endpoint_alert_rule (endpoint, name, "
                              "threshold) VALUES (?1, ?2, ?3)",
                              [&](Statement& st) {
                                st.BindText(1, endpoint);
                                st.BindText(2, r.name);
                                st.BindDouble(3, r.threshold);
                              });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// Sets the routing row (generation + 1).
absl::Status WriteRouting(Transaction& tx, const RoutingSnapshot& r) {
  return Exec(tx,
              "INSERT INTO routing (endpoint, stable_version, candidate_version, "
              "candidate_weight, shadow, generation, updated_ms) VALUES (?1, "
              "?2, ?3, ?4, ?5, 1, ?6) ON CONFLICT (endpoint) DO UPDATE SET "
              "stable_version = excluded.stable_version, candidate_version = "
              "excluded.candidate_version, candidate_weight = "
              "excluded.candidate_weight, shadow = excluded.shadow, "
              "generation = routing.generation + 1, updated_ms = "
              "excluded.updated_ms",
              [&](Statement& st) {
                st.BindText(1, r.endpoint);
                st.BindText(2, r.stable_version);
                st.BindText(3, r.candidate_version);
                st.BindDouble(4, r.candidate_weight);
                st.BindInt64(5, r.shadow ? 1 : 0);
                st.BindInt64(6, r.updated_ms);
              });
}

absl::Status WriteTransition(Transaction& tx, const TransitionRecord& t) {
  return Exec(tx,
              "INSERT INTO rollout_transition (rollout_id, revision, "
              "from_phase, to_phase, input, reason, at_ms) VALUES (?1, ?2, ?3, "
              "?4, ?5, ?6, ?7)",
              [&](Statement& st) {
                st.BindText(1, t.rollout_id);
                st.BindInt64(2, t.revision);
                st.BindText(3, t.from_phase);
                st.BindText(4, t.to_phase);
                st.BindText(5, t.input);
                st.BindText(6, t.reason);
                st.BindInt64(7, t.at_ms);
              });
}

absl::Status MaybeAudit(Transaction& tx, const Database& db,
                        const AuditAppend* audit) {
  if (audit == nullptr) return absl::OkStatus();
  return AppendAuditIn(tx, db, audit->record, audit->seal).status();
}

constexpr char kRolloutColumns[] =
    "SELECT rollout_id, endpoint, model, candidate_version, stable_version, "
    "phase, active, failed, state, revision, created_ms, updated_ms FROM "
    "rollout ";

RolloutRecord ReadRollout(Statement& st) {
  RolloutRecord r;
  r.rollout_id = std::string(st.ColumnText(0));
  r.endpoint = std::string(st.ColumnText(1));
  r.model = std::string(st.ColumnText(2));
  r.candidate_version = std::string(st.ColumnText(3));
  r.stable_version = std::string(st.ColumnText(4));
  r.phase = std::string(st.ColumnText(5));
  r.active = st.ColumnInt64(6) != 0;
  r.failed = st.ColumnInt64(7) != 0;
  r.state_json = std::string(st.ColumnText(8));
  r.revision = st.ColumnInt64(9);
  r.created_ms = st.ColumnInt64(10);
  r.updated_ms = st.ColumnInt64(11);
  return r;
}

}  // namespace

// --- Endpoints -------------------------------------------------------------

absl::Status SqliteRolloutBackend::CreateEndpoint(const EndpointRecord& e) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    std::vector<EndpointRecord> found;
    if (absl::Status s = ReadEndpoints(tx, "WHERE name = ?1", e.name, &found);
        !s.ok()) {
      return s;
    }
    if (!found.empty()) return Exists("ENDPOINT_EXISTS", "endpoint", e.name);
    if (absl::Status s = Exec(
            tx,
            "INSERT INTO endpoint (name, environment, model, stable_version, "
            "created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            [&](Statement& st) {
              st.BindText(1, e.name);
              st.BindText(2, e.environment);
              st.BindText(3, e.model);
              st.BindText(4, e.stable_version);
              st.BindInt64(5, e.created_ms);
            });
        !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteAlertRules(tx, e.name, e.alert_rules); !s.ok()) {
      return s;
    }
    return WriteRouting(tx, RoutingSnapshot{.endpoint = e.name,
                                            .stable_version = e.stable_version,
                                            .updated_ms = e.created_ms});
  });
}

absl::StatusOr<EndpointRecord> SqliteRolloutBackend::GetEndpoint(
    std::string_view name) {
  std::vector<EndpointRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.clear();
    return ReadEndpoints(tx, "WHERE name = ?1", name, &found);
  });
  if (!status.ok()) return status;
  if (found.empty()) return EndpointNotFound(name);
  return std::move(found.front());
}

absl::StatusOr<std::vector<EndpointRecord>>
SqliteRolloutBackend::ListEndpoints() {
  std::vector<EndpointRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.clear();
    return ReadEndpoints(tx, "", "", &found);
  });
  if (!status.ok()) return status;
  return found;
}

absl::Status SqliteRolloutBackend::SetEndpointAlertRules(
    std::string_view name, const std::vector<AlertRule>& rules,
    int64_t updated_ms) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "UPDATE endpoint SET updated_ms = ?2 WHERE name = ?1 RETURNING 1");
    if (!st.ok()) return st.status();
    st->BindText(1, name);
    st->BindInt64(2, updated_ms);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return EndpointNotFound(name);
    st->Reset();
    return WriteAlertRules(tx, name, rules);
  });
}

absl::Status SqliteRolloutBackend::SetEndpointStableVersion(
    std::string_view name, std::string_view version, int64_t updated_ms) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "UPDATE endpoint SET stable_version = ?2, updated_ms = ?3 "
        "WHERE name = ?1 RETURNING 1");
    if (!st.ok()) return st.status();
    st->BindText(1, name);
    st->BindText(2, version);
    st->BindInt64(3, updated_ms);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return EndpointNotFound(name);
    st->Reset();
    return absl::OkStatus();
  });
}

absl::Status SqliteRolloutBackend::DeleteEndpoint(std::string_view name) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st =
        tx.Prepare("DELETE FROM endpoint WHERE name = ?1 RETURNING 1");
    if (!st.ok()) return st.status();
    st->BindText(1, name);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return EndpointNotFound(name);
    st->Reset();
    return absl::OkStatus();
  });
}

absl::StatusOr<RoutingSnapshot> SqliteRolloutBackend::GetRouting(
    std::string_view endpoint) {
  std::optional<RoutingSnapshot> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.reset();
    return ForEachRow(
        tx,
        "SELECT stable_version, candidate_version, candidate_weight, shadow, "
        "generation, updated_ms FROM routing WHERE endpoint = ?1",
        [&](Statement& st) { st.BindText(1, endpoint); },
        [&](Statement& st) {
          found = RoutingSnapshot{
              .endpoint = std::string(endpoint),
              .stable_version = std::string(st.ColumnText(0)),
              .candidate_version = std::string(st.ColumnText(1)),
              .candidate_weight = st.ColumnDouble(2),
              .shadow = st.ColumnInt64(3) != 0,
              .generation = st.ColumnInt64(4),
              .updated_ms = st.ColumnInt64(5)};
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  if (!found.has_value()) return EndpointNotFound(endpoint);
  return *found;
}

// --- Pipelines and features --------------------------------------------------

absl::Status SqliteRolloutBackend::CreatePipeline(const PipelineRecord& p) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    bool exists = false;
    if (absl::Status s = ForEachRow(
            tx, "SELECT 1 FROM pipeline WHERE name = ?1",
            [&](Statement& st) { st.BindText(1, p.name); },
            [&](Statement&) {
              exists = true;
              return absl::OkStatus();
            });
        !s.ok()) {
      return s;
    }
    if (exists) return Exists("PIPELINE_EXISTS", "pipeline", p.name);
    return Exec(tx,
                "INSERT INTO pipeline (name, environment, created_ms) VALUES "
                "(?1, ?2, ?3)",
                [&](Statement& st) {
                  st.BindText(1, p.name);
                  st.BindText(2, p.environment);
                  st.BindInt64(3, p.created_ms);
                });
  });
}

absl::StatusOr<PipelineRecord> SqliteRolloutBackend::GetPipeline(
    std::string_view name) {
  std::optional<PipelineRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.reset();
    return ForEachRow(
        tx, "SELECT name, environment, created_ms FROM pipeline WHERE name = ?1",
        [&](Statement& st) { st.BindText(1, name); },
        [&](Statement& st) {
          found = PipelineRecord{std::string(st.ColumnText(0)),
                                 std::string(st.ColumnText(1)),
                                 st.ColumnInt64(2)};
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  if (!found.has_value()) {
    return NotFound("PIPELINE_NOT_FOUND", "pipeline", name,
                    "Register it first (register_pipeline).");
  }
  return *found;
}

absl::Status SqliteRolloutBackend::AddPipelineRun(const PipelineRunRecord& r) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    bool exists = false;
    if (absl::Status s = ForEachRow(
            tx, "SELECT 1 FROM pipeline WHERE name = ?1",
            [&](Statement& st) { st.BindText(1, r.pipeline); },
            [&](Statement&) {
              exists = true;
              return absl::OkStatus();
            });
        !s.ok()) {
      return s;
    }
    if (!exists) {
      return NotFound("PIPELINE_NOT_FOUND", "pipeline", r.pipeline,
                      "Register it first (register_pipeline).");
    }
    return Exec(tx,
                "INSERT INTO pipeline_run (pipeline, run_ms, "
                "schema_check_passed, distribution_check_passed, details) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
                [&](Statement& st) {
                  st.BindText(1, r.pipeline);
                  st.BindInt64(2, r.run_ms);
                  st.BindInt64(3, r.schema_check_passed ? 1 : 0);
                  st.BindInt64(4, r.distribution_check_passed ? 1 : 0);
                  st.BindText(5, r.details_json);
                });
  });
}

absl::StatusOr<std::optional<PipelineRunRecord>>
SqliteRolloutBackend::LastPipelineRun(std::string_view pipeline) {
  std::optional<PipelineRunRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.reset();
    return ForEachRow(
        tx,
        "SELECT run_ms, schema_check_passed, distribution_check_passed, "
        "details FROM pipeline_run WHERE pipeline = ?1 ORDER BY run_ms DESC, "
        "pipeline_run_id DESC LIMIT 1",
        [&](Statement& st) { st.BindText(1, pipeline); },
        [&](Statement& st) {
          found = PipelineRunRecord{std::string(pipeline), st.ColumnInt64(0),
                                    st.ColumnInt64(1) != 0,
                                    st.ColumnInt64(2) != 0,
                                    std::string(st.ColumnText(3))};
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return found;
}

absl::Status SqliteRolloutBackend::CreateFeature(const FeatureRecord& f) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    bool exists = false;
    if (absl::Status s = ForEachRow(
            tx, "SELECT 1 FROM feature WHERE name = ?1",
            [&](Statement& st) { st.BindText(1, f.name); },
            [&](Statement&) {
              exists = true;
              return absl::OkStatus();
            });
        !s.ok()) {
      return s;
    }
    if (exists) return Exists("FEATURE_EXISTS", "feature", f.name);
    return Exec(tx,
                "INSERT INTO feature (name, dtype, min_value, max_value, "
                "environment, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                [&](Statement& st) {
                  st.BindText(1, f.name);
                  st.BindText(2, f.dtype);
                  if (f.min_value) {
                    st.BindDouble(3, *f.min_value);
                  } else {
                    st.BindNull(3);
                  }
                  if (f.max_value) {
                    st.BindDouble(4, *f.max_value);
                  } else {
                    st.BindNull(4);
                  }
                  st.BindText(5, f.environment);
                  st.BindInt64(6, f.created_ms);
                });
  });
}

absl::Status SqliteRolloutBackend::UpdateFeature(const FeatureRecord& f) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "UPDATE feature SET dtype = ?2, min_value = ?3, max_value = ?4 WHERE "
        "name = ?1 RETURNING 1");
    if (!st.ok()) return st.status();
    st->BindText(1, f.name);
    st->BindText(2, f.dtype);
    for (const auto& [index, bound] :
         {std::pair{3, f.min_value}, std::pair{4, f.max_value}}) {
      if (bound.has_value()) {
        st->BindDouble(index, *bound);
      } else {
        st->BindNull(index);
      }
    }
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return NotFound("FEATURE_NOT_FOUND", "feature", f.name,
                      "Register it first (register_feature).");
    }
    st->Reset();
    return absl::OkStatus();
  });
}

absl::StatusOr<FeatureRecord> SqliteRolloutBackend::GetFeature(
    std::string_view name) {
  std::optional<FeatureRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.reset();
    return ForEachRow(
        tx,
        "SELECT name, dtype, min_value, max_value, environment, created_ms "
        "FROM feature WHERE name = ?1",
        [&](Statement& st) { st.BindText(1, name); },
        [&](Statement& st) {
          FeatureRecord f;
          f.name = std::string(st.ColumnText(0));
          f.dtype = std::string(st.ColumnText(1));
          if (!st.IsNull(2)) f.min_value = st.ColumnDouble(2);
          if (!st.IsNull(3)) f.max_value = st.ColumnDouble(3);
          f.environment = std::string(st.ColumnText(4));
          f.created_ms = st.ColumnInt64(5);
          found = std::move(f);
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  if (!found.has_value()) {
    return NotFound("FEATURE_NOT_FOUND", "feature", name,
                    "Register it first (register_feature).");
  }
  return *found;
}

// --- Rollouts ----------------------------------------------------------------

absl::Status SqliteRolloutBackend::CreateRollout(const RolloutRecord& r,
                                                 const TransitionRecord& first,
                                                 const RoutingSnapshot& routing,
                                                 const AuditAppend* audit) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    std::vector<EndpointRecord> endpoint;
    if (absl::Status s = ReadEndpoints(tx, "WHERE name = ?1", r.endpoint, &endpoint);
        !s.ok()) {
      return s;
    }
    if (endpoint.empty()) return EndpointNotFound(r.endpoint);
    std::string active_id;
    if (absl::Status s = ForEachRow(
            tx, "SELECT rollout_id FROM rollout WHERE endpoint = ?1 AND active = 1",
            [&](Statement& st) { st.BindText(1, r.endpoint); },
            [&](Statement& st) {
              active_id = std::string(st.ColumnText(0));
              return absl::OkStatus();
            });
        !s.ok()) {
      return s;
    }
    if (!active_id.empty()) {
      const std::string fix =
          "Wait for it to complete, or roll it back or abort it first.";
      return MakeError(absl::StatusCode::kFailedPrecondition,
                       Cat("endpoint ", QuoteForMessage(r.endpoint),
                           " already has an active rollout (", active_id, "). ",
                           fix),
                       ErrorDetail{.reason = "ROLLOUT_ACTIVE",
                                   .rule = "one active rollout per endpoint",
                                   .value = active_id,
                                   .fix = fix});
    }
    if (absl::Status s = Exec(
            tx,
            "INSERT INTO rollout (rollout_id, endpoint, model, "
            "candidate_version, stable_version, phase, active, failed, state, "
            "revision, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            "?7, ?8, ?9, ?10, ?11, ?12)",
            [&](Statement& st) {
              st.BindText(1, r.rollout_id);
              st.BindText(2, r.endpoint);
              st.BindText(3, r.model);
              st.BindText(4, r.candidate_version);
              st.BindText(5, r.stable_version);
              st.BindText(6, r.phase);
              st.BindInt64(7, r.active ? 1 : 0);
              st.BindInt64(8, r.failed ? 1 : 0);
              st.BindText(9, r.state_json);
              st.BindInt64(10, r.revision);
              st.BindInt64(11, r.created_ms);
              st.BindInt64(12, r.updated_ms);
            });
        !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteTransition(tx, first); !s.ok()) return s;
    if (absl::Status s = WriteRouting(tx, routing); !s.ok()) return s;
    return MaybeAudit(tx, *db_, audit);
  });
}

absl::StatusOr<RolloutRecord> SqliteRolloutBackend::GetRollout(
    std::string_view id) {
  std::optional<RolloutRecord> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.reset();
    return ForEachRow(
        tx, Cat(kRolloutColumns, "WHERE rollout_id = ?1"),
        [&](Statement& st) { st.BindText(1, id); },
        [&](Statement& st) {
          found = ReadRollout(st);
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  if (!found.has_value()) {
    return NotFound("ROLLOUT_NOT_FOUND", "rollout", id,
                    "Check the rollout id (32 lowercase hex characters).");
  }
  return *std::move(found);
}

absl::StatusOr<std::vector<RolloutRecord>> SqliteRolloutBackend::ListRollouts(
    std::string_view endpoint, bool active_only) {
  std::vector<RolloutRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    return ForEachRow(
        tx,
        Cat(kRolloutColumns,
            "WHERE (?1 = '' OR endpoint = ?1) AND (?2 = 0 OR active = 1) "
            "ORDER BY created_ms, rollout_id"),
        [&](Statement& st) {
          st.BindText(1, endpoint);
          st.BindInt64(2, active_only ? 1 : 0);
        },
        [&](Statement& st) {
          out.push_back(ReadRollout(st));
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteRolloutBackend::ApplyTransition(
    const RolloutRecord& r, int64_t expected_revision,
    const TransitionRecord& transition,
    const std::optional<RoutingSnapshot>& routing, const AuditAppend* audit) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "UPDATE rollout SET phase = ?3, active = ?4, failed = ?5, state = ?6, "
        "revision = ?7, updated_ms = ?8 WHERE rollout_id = ?1 AND revision = "
        "?2 RETURNING 1");
    if (!st.ok()) return st.status();
    st->BindText(1, r.rollout_id);
    st->BindInt64(2, expected_revision);
    st->BindText(3, r.phase);
    st->BindInt64(4, r.active ? 1 : 0);
    st->BindInt64(5, r.failed ? 1 : 0);
    st->BindText(6, r.state_json);
    st->BindInt64(7, r.revision);
    st->BindInt64(8, r.updated_ms);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    st->Reset();
    if (!*row) {
      const std::string fix = "Read the rollout again and retry.";
      return MakeError(absl::StatusCode::kAborted,
                       Cat("rollout ", r.rollout_id,
                           " moved (or does not exist) since revision ",
                           expected_revision, " was read. ", fix),
                       ErrorDetail{.reason = "CONCURRENT_UPDATE",
                                   .rule = "a rollout moves from the revision "
                                           "it was read at",
                                   .value = Cat(expected_revision),
                                   .fix = fix});
    }
    if (absl::Status s = WriteTransition(tx, transition); !s.ok()) return s;
    if (routing.has_value()) {
      if (absl::Status s = WriteRouting(tx, *routing); !s.ok()) return s;
    }
    return MaybeAudit(tx, *db_, audit);
  });
}

absl::StatusOr<std::vector<TransitionRecord>>
SqliteRolloutBackend::ListTransitions(std::string_view rollout_id) {
  std::vector<TransitionRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    return ForEachRow(
        tx,
        "SELECT revision, from_phase, to_phase, input, reason, at_ms FROM "
        "rollout_transition WHERE rollout_id = ?1 ORDER BY revision",
        [&](Statement& st) { st.BindText(1, rollout_id); },
        [&](Statement& st) {
          out.push_back(TransitionRecord{
              std::string(rollout_id), st.ColumnInt64(0),
              std::string(st.ColumnText(1)), std::string(st.ColumnText(2)),
              std::string(st.ColumnText(3)), std::string(st.ColumnText(4)),
              st.ColumnInt64(5)});
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<int> SqliteRolloutBackend::ConsecutiveFailedRollouts(
    std::string_view endpoint) {
  int failed = 0;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    failed = 0;
    bool counting = true;
    return ForEachRow(
        tx,
        // Newest ended first; rollouts of one endpoint end in the order
        // they were created (one is active at a time), so rowid breaks
        // ties within a millisecond.
        "SELECT failed FROM rollout WHERE endpoint = ?1 AND active = 0 "
        "ORDER BY updated_ms DESC, rowid DESC",
        [&](Statement& st) { st.BindText(1, endpoint); },
        [&](Statement& st) {
          if (counting && st.ColumnInt64(0) != 0) {
            ++failed;
          } else {
            counting = false;
          }
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return failed;
}

// --- Outcome windows ---------------------------------------------------------

absl::Status SqliteRolloutBackend::PutWindows(
    const std::vector<WindowRecord>& windows) {
  if (windows.empty()) return absl::OkStatus();
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "INSERT INTO outcome_window (endpoint, version, minute_ms, replica, "
        "data) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (endpoint, version, "
        "minute_ms, replica) DO UPDATE SET data = excluded.data");
    if (!st.ok()) return st.status();
    for (const WindowRecord& w : windows) {
      st->Reset();
      st->BindText(1, w.endpoint);
      st->BindText(2, w.version);
      st->BindInt64(3, w.minute_ms);
      st->BindText(4, w.replica);
      st->BindBlob(5, w.data);
      if (absl::Status s = st->Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<WindowRecord>> SqliteRolloutBackend::ReadWindows(
    std::string_view endpoint, std::string_view version, int64_t from_ms,
    int64_t to_ms) {
  std::vector<WindowRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    return ForEachRow(
        tx,
        "SELECT minute_ms, replica, data FROM outcome_window WHERE endpoint = "
        "?1 AND version = ?2 AND minute_ms >= ?3 AND minute_ms < ?4 ORDER BY "
        "minute_ms, replica",
        [&](Statement& st) {
          st.BindText(1, endpoint);
          st.BindText(2, version);
          st.BindInt64(3, from_ms);
          st.BindInt64(4, to_ms);
        },
        [&](Statement& st) {
          out.push_back(WindowRecord{std::string(endpoint),
                                     std::string(version), st.ColumnInt64(0),
                                     std::string(st.ColumnText(1)),
                                     std::string(st.ColumnBlob(2))});
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteRolloutBackend::PutDriftReference(
    const DriftReferenceRecord& r, const AuditAppend* audit) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> exists =
        tx.Prepare("SELECT 1 FROM endpoint WHERE name = ?1");
    if (!exists.ok()) return exists.status();
    exists->BindText(1, r.endpoint);
    absl::StatusOr<bool> row = exists->Step();
    if (!row.ok()) return row.status();
    if (!*row) return EndpointNotFound(r.endpoint);
    exists->Reset();
    absl::StatusOr<Statement> st = tx.Prepare(
        "INSERT INTO drift_reference (endpoint, feature, row_count, data, "
        "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (endpoint, "
        "feature) DO UPDATE SET row_count = excluded.row_count, data = "
        "excluded.data, updated_ms = excluded.updated_ms");
    if (!st.ok()) return st.status();
    st->BindText(1, r.endpoint);
    st->BindText(2, r.feature);
    st->BindInt64(3, r.row_count);
    st->BindBlob(4, r.data);
    st->BindInt64(5, r.updated_ms);
    if (absl::Status s = st->Run(); !s.ok()) return s;
    return MaybeAudit(tx, *db_, audit);
  });
}

absl::StatusOr<std::vector<DriftReferenceRecord>>
SqliteRolloutBackend::ListDriftReferences(std::string_view endpoint) {
  std::vector<DriftReferenceRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    return ForEachRow(
        tx,
        "SELECT feature, row_count, data, updated_ms FROM drift_reference "
        "WHERE endpoint = ?1 ORDER BY feature",
        [&](Statement& st) { st.BindText(1, endpoint); },
        [&](Statement& st) {
          out.push_back(DriftReferenceRecord{
              std::string(endpoint), std::string(st.ColumnText(0)),
              st.ColumnInt64(1), std::string(st.ColumnBlob(2)),
              st.ColumnInt64(3)});
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteRolloutBackend::PutFeatureSamples(
    const std::vector<FeatureSampleRecord>& samples) {
  if (samples.empty()) return absl::OkStatus();
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> st = tx.Prepare(
        "INSERT INTO feature_sample (endpoint, version, feature, minute_ms, "
        "replica, row_count, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON "
        "CONFLICT (endpoint, version, feature, minute_ms, replica) DO UPDATE "
        "SET row_count = excluded.row_count, data = excluded.data");
    if (!st.ok()) return st.status();
    for (const FeatureSampleRecord& f : samples) {
      st->Reset();
      st->BindText(1, f.endpoint);
      st->BindText(2, f.version);
      st->BindText(3, f.feature);
      st->BindInt64(4, f.minute_ms);
      st->BindText(5, f.replica);
      st->BindInt64(6, f.row_count);
      st->BindBlob(7, f.data);
      if (absl::Status s = st->Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<FeatureSampleRecord>>
SqliteRolloutBackend::ReadFeatureSamples(std::string_view endpoint,
                                         std::string_view version,
                                         std::string_view feature,
                                         int64_t from_ms, int64_t to_ms) {
  std::vector<FeatureSampleRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    return ForEachRow(
        tx,
        "SELECT minute_ms, replica, row_count, data FROM feature_sample WHERE "
        "endpoint = ?1 AND version = ?2 AND feature = ?3 AND minute_ms >= ?4 "
        "AND minute_ms < ?5 ORDER BY minute_ms, replica",
        [&](Statement& st) {
          st.BindText(1, endpoint);
          st.BindText(2, version);
          st.BindText(3, feature);
          st.BindInt64(4, from_ms);
          st.BindInt64(5, to_ms);
        },
        [&](Statement& st) {
          out.push_back(FeatureSampleRecord{
              std::string(endpoint), std::string(version),
              std::string(feature), st.ColumnInt64(0),
              std::string(st.ColumnText(1)), st.ColumnInt64(2),
              std::string(st.ColumnBlob(3))});
          return absl::OkStatus();
        });
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace slipway::internal_storage
