#include "src/storage/sqlite/sqlite_registry_backend.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/statement.h"
#include "src/storage/sqlite/statement_helpers.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

absl::Status ModelNotFound(std::string_view model) {
  const std::string fix =
      "Check the model name, or register a version first "
      "(RegisterModelVersion creates the model).";
  return MakeError(absl::StatusCode::kNotFound,
                   Cat("model ", QuoteForMessage(model),
                       " is not registered in this store. ", fix),
                   ErrorDetail{.reason = "MODEL_NOT_FOUND",
                               .rule = "a model must be registered before use",
                               .value = std::string(model),
                               .fix = fix});
}

absl::Status VersionNotFound(std::string_view model, std::string_view version) {
  const std::string fix = Cat("List the versions with ListModelVersions(",
                              QuoteForMessage(model), ").");
  return MakeError(
      absl::StatusCode::kNotFound,
      Cat("model ", QuoteForMessage(model), " has no version ",
          QuoteForMessage(version), ". ", fix),
      ErrorDetail{.reason = "MODEL_VERSION_NOT_FOUND",
                  .rule = "a version must be registered before use",
                  .value = std::string(version),
                  .fix = fix});
}

absl::Status RunNotFound(std::string_view run_id) {
  const std::string fix =
      "Pass the id of a run of this store (32 lowercase hex characters), or "
      "no run.";
  return MakeError(absl::StatusCode::kNotFound,
                   Cat("run ", QuoteForMessage(run_id),
                       " does not exist in this store. ", fix),
                   ErrorDetail{.reason = "RUN_NOT_FOUND",
                               .rule = "a version's source run must exist",
                               .value = std::string(run_id),
                               .fix = fix});
}

std::string_view SchemeText(VersionScheme s) {
  return s == VersionScheme::kSemver ? "semver" : "revision";
}

// The model's id, or MODEL_NOT_FOUND.
absl::StatusOr<int64_t> ModelId(Transaction& tx, std::string_view model) {
  absl::StatusOr<Statement> st =
      tx.Prepare("SELECT model_id FROM registered_model WHERE name = ?1");
  if (!st.ok()) return st.status();
  st->BindText(1, model);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return ModelNotFound(model);
  return st->ColumnInt64(0);
}

absl::Status RequireVersion(Transaction& tx, int64_t model_id,
                            std::string_view model, std::string_view version) {
  absl::StatusOr<Statement> st = tx.Prepare(
      "SELECT 1 FROM model_version WHERE model_id = ?1 AND version = ?2");
  if (!st.ok()) return st.status();
  st->BindInt64(1, model_id);
  st->BindText(2, version);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return VersionNotFound(model, version);
  return absl::OkStatus();
}

// The model's id when the model has `version`; MODEL_NOT_FOUND or
// MODEL_VERSION_NOT_FOUND otherwise.
absl::StatusOr<int64_t> VersionOwnerId(Transaction& tx, std::string_view model,
                                       std::string_view version) {
  absl::StatusOr<int64_t> id = ModelId(tx, model);
  if (!id.ok()) return id.status();
  if (absl::Status s = RequireVersion(tx, *id, model, version); !s.ok()) {
    return s;
  }
  return id;
}

absl::Status ReadModel(Transaction& tx, Statement& st, RegisteredModel* out,
                       int64_t* model_id) {
  *model_id = st.ColumnInt64(0);
  out->name = std::string(st.ColumnText(1));
  out->description = std::string(st.ColumnText(2));
  if (!st.IsNull(3)) {
    out->scheme = st.ColumnText(3) == "semver" ? VersionScheme::kSemver
                                               : VersionScheme::kRevision;
  }
  out->created_ms = st.ColumnInt64(4);
  out->updated_ms = st.ColumnInt64(5);
  for (auto [sql, list] :
       {std::pair{"SELECT key, value FROM registered_model_tag "
                  "WHERE model_id = ?1 ORDER BY key",
                  &out->tags},
        std::pair{"SELECT alias, version FROM model_alias "
                  "WHERE model_id = ?1 ORDER BY alias",
                  &out->aliases}}) {
    absl::StatusOr<Statement> q = tx.Prepare(sql);
    if (!q.ok()) return q.status();
    q->BindInt64(1, *model_id);
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      list->emplace_back(std::string(q->ColumnText(0)),
                         std::string(q->ColumnText(1)));
    }
  }
  return absl::OkStatus();
}

constexpr char kVersionColumns[] =
    "SELECT m.name, v.model_id, v.version, v.run_id, v.code_version, "
    "v.description, v.metadata, v.signature, v.approval, v.archived, "
    "v.created_ms, v.created_by FROM model_version v "
    "JOIN registered_model m USING (model_id) ";

// Reads the rows of a kVersionColumns query, then each version's lists.
absl::StatusOr<std::vector<ModelVersionInfo>> ReadVersions(Transaction& tx,
                                                           Statement& st) {
  std::vector<ModelVersionInfo> out;
  std::vector<int64_t> ids;
  while (true) {
    absl::StatusOr<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ModelVersionInfo v;
    v.model = std::string(st.ColumnText(0));
    ids.push_back(st.ColumnInt64(1));
    v.version = std::string(st.ColumnText(2));
    v.run_id = std::string(st.ColumnText(3));
    v.code_version = std::string(st.ColumnText(4));
    v.description = std::string(st.ColumnText(5));
    v.metadata_json = std::string(st.ColumnText(6));
    v.signature_json = std::string(st.ColumnText(7));
    absl::StatusOr<ApprovalStatus> approval =
        ParseApprovalStatus(st.ColumnText(8));
    if (!approval.ok()) return approval.status();
    v.approval = *approval;
    v.archived = st.ColumnInt64(9) != 0;
    v.created_ms = st.ColumnInt64(10);
    v.created_by = std::string(st.ColumnText(11));
    out.push_back(std::move(v));
  }
  absl::StatusOr<Statement> tags = tx.Prepare(
      "SELECT key, value FROM model_version_tag WHERE model_id = ?1 AND "
      "version = ?2 ORDER BY key");
  absl::StatusOr<Statement> artifacts = tx.Prepare(
      "SELECT path, digest, size_bytes FROM model_version_artifact WHERE "
      "model_id = ?1 AND version = ?2 ORDER BY path");
  absl::StatusOr<Statement> datasets = tx.Prepare(
      "SELECT path, digest FROM model_version_dataset WHERE model_id = ?1 AND "
      "version = ?2 ORDER BY path");
  absl::StatusOr<Statement> aliases = tx.Prepare(
      "SELECT alias FROM model_alias WHERE model_id = ?1 AND version = ?2 "
      "ORDER BY alias");
  for (auto* s : {&tags, &artifacts, &datasets, &aliases}) {
    if (!s->ok()) return s->status();
  }
  for (size_t i = 0; i < out.size(); ++i) {
    ModelVersionInfo& v = out[i];
    for (Statement* s : {&*tags, &*artifacts, &*datasets, &*aliases}) {
      s->Reset();
      s->BindInt64(1, ids[i]);
      s->BindText(2, v.version);
      while (true) {
        absl::StatusOr<bool> row = s->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        if (s == &*tags) {
          v.tags.emplace_back(std::string(s->ColumnText(0)),
                              std::string(s->ColumnText(1)));
        } else if (s == &*artifacts) {
          v.artifacts.push_back(ArtifactFile{std::string(s->ColumnText(0)),
                                             std::string(s->ColumnText(1)),
                                             s->ColumnInt64(2)});
        } else if (s == &*datasets) {
          v.datasets.push_back(DatasetRef{std::string(s->ColumnText(0)),
                                          std::string(s->ColumnText(1))});
        } else {
          v.aliases.emplace_back(s->ColumnText(0));
        }
      }
    }
  }
  return out;
}

}  // namespace

// --- Models --------------------------------------------------------------

absl::Status SqliteRegistryBackend::CreateModel(const RegisteredModel& model) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = ModelId(tx, model.name);
    if (id.ok()) {
      const std::string fix =
          "Choose another name, or register versions of the existing model.";
      return MakeError(absl::StatusCode::kAlreadyExists,
                       Cat("model ", QuoteForMessage(model.name),
                           " is registered already. ", fix),
                       ErrorDetail{.reason = "MODEL_EXISTS",
                                   .rule = "model names are unique in a store",
                                   .value = model.name,
                                   .fix = fix});
    }
    if (id.status().code() != absl::StatusCode::kNotFound) return id.status();
    absl::StatusOr<Statement> insert = tx.Prepare(
        "INSERT INTO registered_model (name, description, created_ms, "
        "updated_ms) VALUES (?1, ?2, ?3, ?3) RETURNING model_id");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, model.name);
    insert->BindText(2, model.description);
    insert->BindInt64(3, model.created_ms);
    absl::StatusOr<bool> row = insert->Step();
    if (!row.ok()) return row.status();
    const int64_t model_id = insert->ColumnInt64(0);
    insert->Reset();
    for (const auto& [key, value] : model.tags) {
      if (absl::Status s = Exec(tx,
                                "INSERT INTO registered_model_tag (model_id, "
                                "key, value) VALUES (?1, ?2, ?3)",
                                [&](Statement& st) {
                                  st.BindInt64(1, model_id);
                                  st.BindText(2, key);
                                  st.BindText(3, value);
                                });
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<RegisteredModel> SqliteRegistryBackend::GetModel(
    std::string_view name) {
  RegisteredModel out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out = RegisteredModel();
    absl::StatusOr<Statement> st = tx.Prepare(
        "SELECT model_id, name, description, scheme, created_ms, updated_ms "
        "FROM registered_model WHERE name = ?1");
    if (!st.ok()) return st.status();
    st->BindText(1, name);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return ModelNotFound(name);
    int64_t id;
    return ReadModel(tx, *st, &out, &id);
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<RegisteredModel>>
SqliteRegistryBackend::ListModels() {
  std::vector<RegisteredModel> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    out.clear();
    absl::StatusOr<Statement> st = tx.PrepareUncached(
        "SELECT model_id, name, description, scheme, created_ms, updated_ms "
        "FROM registered_model ORDER BY name");
    if (!st.ok()) return st.status();
    while (true) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      RegisteredModel m;
      int64_t id;
      if (absl::Status s = ReadModel(tx, *st, &m, &id); !s.ok()) return s;
      out.push_back(std::move(m));
    }
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteRegistryBackend::UpdateModel(
    std::string_view name, std::optional<std::string> description,
    const KeyValueList& set_tags, int64_t now_ms) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = ModelId(tx, name);
    if (!id.ok()) return id.status();
    if (description.has_value()) {
      if (absl::Status s = Exec(tx,
                                "UPDATE registered_model SET description = ?2 "
                                "WHERE model_id = ?1",
                                [&](Statement& st) {
                                  st.BindInt64(1, *id);
                                  st.BindText(2, *description);
                                });
          !s.ok()) {
        return s;
      }
    }
    for (const auto& [key, value] : set_tags) {
      if (absl::Status s = Exec(
              tx,
              "INSERT INTO registered_model_tag (model_id, key, value) VALUES "
              "(?1, ?2, ?3) ON CONFLICT (model_id, key) DO UPDATE SET value = "
              "excluded.value",
              [&](Statement& st) {
                st.BindInt64(1, *id);
                st.BindText(2, key);
                st.BindText(3, value);
              });
          !s.ok()) {
        return s;
      }
    }
    return Exec(tx,
                "UPDATE registered_model SET updated_ms = ?2 WHERE model_id = ?1",
                [&](Statement& st) {
                  st.BindInt64(1, *id);
                  st.BindInt64(2, now_ms);
                });
  });
}

// --- Versions ------------------------------------------------------------

absl::StatusOr<InsertedVersion> SqliteRegistryBackend::InsertVersion(
    const NewModelVersion& nv) {
  InsertedVersion result;
  const ModelVersionInfo& v = nv.info;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx)
                                                  -> absl::Status {
    result = InsertedVersion();
    // The model, created when missing.
    int64_t model_id;
    std::optional<std::string> scheme;
    {
      absl::StatusOr<Statement> st = tx.Prepare(
          "SELECT model_id, scheme FROM registered_model WHERE name = ?1");
      if (!st.ok()) return st.status();
      st->BindText(1, v.model);
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (*row) {
        model_id = st->ColumnInt64(0);
        if (!st->IsNull(1)) scheme = std::string(st->ColumnText(1));
      } else {
        absl::StatusOr<Statement> insert = tx.Prepare(
            "INSERT INTO registered_model (name, description, created_ms, "
            "updated_ms) VALUES (?1, ?2, ?3, ?3) RETURNING model_id");
        if (!insert.ok()) return insert.status();
        insert->BindText(1, v.model);
        insert->BindText(2, nv.model_description);
        insert->BindInt64(3, v.created_ms);
        absl::StatusOr<bool> inserted = insert->Step();
        if (!inserted.ok()) return inserted.status();
        model_id = insert->ColumnInt64(0);
        insert->Reset();
        result.model_created = true;
      }
    }
    // One scheme per model.
    const std::string_view want = SchemeText(nv.scheme);
    if (scheme.has_value() && *scheme != want) {
      const std::string fix =
          *scheme == "semver"
              ? std::string("Give a semantic version, e.g. \"1.0.0\".")
              : std::string(
                    "Leave the version empty (the next revision is assigned) "
                    "or give the next integer.");
      return MakeError(
          absl::StatusCode::kFailedPrecondition,
          Cat("model ", QuoteForMessage(v.model), " uses ", *scheme,
              " versions; ", QuoteForMessage(v.version.empty() ? "(next revision)" : v.version),
              " is a ", want, " version. ", fix),
          ErrorDetail{.reason = "VERSION_SCHEME_MISMATCH",
                      .rule = "a model's versions all use the scheme of its "
                              "first version (semver or integer revisions)",
                      .value = v.version,
                      .fix = fix});
    }
    if (!scheme.has_value()) {
      if (absl::Status s = Exec(tx,
                                "UPDATE registered_model SET scheme = ?2 "
                                "WHERE model_id = ?1",
                                [&](Statement& st) {
                                  st.BindInt64(1, model_id);
                                  st.BindText(2, want);
                                });
          !s.ok()) {
        return s;
      }
    }
    // The version's name.
    std::string version = v.version;
    int64_t revision = nv.revision;
    if (nv.scheme == VersionScheme::kRevision && version.empty()) {
      absl::StatusOr<Statement> next = tx.Prepare(
          "SELECT coalesce(max(revision), 0) + 1 FROM model_version "
          "WHERE model_id = ?1");
      if (!next.ok()) return next.status();
      next->BindInt64(1, model_id);
      absl::StatusOr<bool> row = next->Step();
      if (!row.ok()) return row.status();
      revision = next->ColumnInt64(0);
      version = Cat(revision);
    }
    // The run.
    if (!v.run_id.empty()) {
      absl::StatusOr<Statement> run =
          tx.Prepare("SELECT 1 FROM run WHERE run_id = ?1");
      if (!run.ok()) return run.status();
      run->BindText(1, v.run_id);
      absl::StatusOr<bool> row = run->Step();
      if (!row.ok()) return row.status();
      if (!*row) return RunNotFound(v.run_id);
    }
    // The version row (AlreadyExists on a duplicate).
    {
      absl::StatusOr<Statement> exists = tx.Prepare(
          "SELECT 1 FROM model_version WHERE model_id = ?1 AND version = ?2");
      if (!exists.ok()) return exists.status();
      exists->BindInt64(1, model_id);
      exists->BindText(2, version);
      absl::StatusOr<bool> row = exists->Step();
      if (!row.ok()) return row.status();
      if (*row) {
        const std::string fix =
            "Versions are immutable: register a new version instead.";
        return MakeError(
            absl::StatusCode::kAlreadyExists,
            Cat("model ", QuoteForMessage(v.model), " already has version ",
                QuoteForMessage(version), ". ", fix),
            ErrorDetail{.reason = "MODEL_VERSION_EXISTS",
                        .rule = "a version is registered once",
                        .value = version,
                        .fix = fix});
      }
    }
    if (absl::Status s = Exec(
            tx,
            "INSERT INTO model_version (model_id, version, revision, run_id, "
            "code_version, description, metadata, signature, approval, "
            "archived, created_ms, created_by) VALUES (?1, ?2, ?3, ?4, ?5, "
            "?6, ?7, ?8, 'None', 0, ?9, ?10)",
            [&](Statement& st) {
              st.BindInt64(1, model_id);
              st.BindText(2, version);
              st.BindInt64(3, revision);
              if (v.run_id.empty()) {
                st.BindNull(4);
              } else {
                st.BindText(4, v.run_id);
              }
              st.BindText(5, v.code_version);
              st.BindText(6, v.description);
              st.BindText(7, v.metadata_json);
              st.BindText(8, v.signature_json);
              st.BindInt64(9, v.created_ms);
              st.BindText(10, v.created_by);
            });
        !s.ok()) {
      return s;
    }
    for (const auto& [key, value] : v.tags) {
      if (absl::Status s = Exec(tx,
                                "INSERT INTO model_version_tag (model_id, "
                                "version, key, value) VALUES (?1, ?2, ?3, ?4)",
                                [&](Statement& st) {
                                  st.BindInt64(1, model_id);
                                  st.BindText(2, version);
                                  st.BindText(3, key);
                                  st.BindText(4, value);
                                });
          !s.ok()) {
        return s;
      }
    }
    for (const ArtifactFile& a : v.artifacts) {
      if (absl::Status s = Exec(
              tx,
              "INSERT INTO model_version_artifact (model_id, version, path, "
              "digest, size_bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
              [&](Statement& st) {
                st.BindInt64(1, model_id);
                st.BindText(2, version);
                st.BindText(3, a.path);
                st.BindText(4, a.digest);
                st.BindInt64(5, a.size_bytes);
              });
          !s.ok()) {
        return s;
      }
    }
    for (const DatasetRef& d : v.datasets) {
      if (absl::Status s = Exec(tx,
                                "INSERT INTO model_version_dataset (model_id, "
                                "version, path, digest) VALUES (?1, ?2, ?3, ?4)",
                                [&](Statement& st) {
                                  st.BindInt64(1, model_id);
                                  st.BindText(2, version);
                                  st.BindText(3, d.path);
                                  st.BindText(4, d.digest);
                                });
          !s.ok()) {
        return s;
      }
    }
    result.version = version;
    return Exec(tx,
                "UPDATE registered_model SET updated_ms = ?2 WHERE model_id = ?1",
                [&](Statement& st) {
                  st.BindInt64(1, model_id);
                  st.BindInt64(2, v.created_ms);
                });
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ModelVersionInfo> SqliteRegistryBackend::GetVersion(
    std::string_view model, std::string_view version) {
  std::vector<ModelVersionInfo> found;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    found.clear();
    absl::StatusOr<int64_t> id = ModelId(tx, model);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> st = tx.Prepare(
        Cat(kVersionColumns, "WHERE v.model_id = ?1 AND v.version = ?2"));
    if (!st.ok()) return st.status();
    st->BindInt64(1, *id);
    st->BindText(2, version);
    absl::StatusOr<std::vector<ModelVersionInfo>> rows = ReadVersions(tx, *st);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return VersionNotFound(model, version);
    found = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return std::move(found.front());
}

absl::StatusOr<std::vector<ModelVersionInfo>>
SqliteRegistryBackend::ListVersions(std::string_view model) {
  std::vector<ModelVersionInfo> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<int64_t> id = ModelId(tx, model);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> st =
        tx.Prepare(Cat(kVersionColumns, "WHERE v.model_id = ?1"));
    if (!st.ok()) return st.status();
    st->BindInt64(1, *id);
    absl::StatusOr<std::vector<ModelVersionInfo>> rows = ReadVersions(tx, *st);
    if (!rows.ok()) return rows.status();
    out = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<ModelVersionInfo>>
SqliteRegistryBackend::ListAllVersions() {
  std::vector<ModelVersionInfo> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> st =
        tx.Prepare(Cat(kVersionColumns, "ORDER BY m.name"));
    if (!st.ok()) return st.status();
    absl::StatusOr<std::vector<ModelVersionInfo>> rows = ReadVersions(tx, *st);
    if (!rows.ok()) return rows.status();
    out = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<ModelVersionInfo>>
SqliteRegistryBackend::VersionsOfRun(std::string_view run_id) {
  std::vector<ModelVersionInfo> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx) {
    absl::StatusOr<Statement> st = tx.Prepare(
        Cat(kVersionColumns, "WHERE v.run_id = ?1 ORDER BY m.name"));
    if (!st.ok()) return st.status();
    st->BindText(1, run_id);
    absl::StatusOr<std::vector<ModelVersionInfo>> rows = ReadVersions(tx, *st);
    if (!rows.ok()) return rows.status();
    out = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

// --- Aliases -------------------------------------------------------------

absl::StatusOr<std::string> SqliteRegistryBackend::SetAlias(
    std::string_view model, std::string_view alias, std::string_view version,
    int64_t now_ms) {
  std::string previous;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx)
                                                  -> absl::Status {
    previous.clear();
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, model, version);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> old = tx.Prepare(
        "SELECT version FROM model_alias WHERE model_id = ?1 AND alias = ?2");
    if (!old.ok()) return old.status();
    old->BindInt64(1, *id);
    old->BindText(2, alias);
    absl::StatusOr<bool> row = old->Step();
    if (!row.ok()) return row.status();
    if (*row) previous = std::string(old->ColumnText(0));
    old->Reset();
    return Exec(tx,
                "INSERT INTO model_alias (model_id, alias, version, updated_ms) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (model_id, alias) DO "
                "UPDATE SET version = excluded.version, updated_ms = "
                "excluded.updated_ms",
                [&](Statement& st) {
                  st.BindInt64(1, *id);
                  st.BindText(2, alias);
                  st.BindText(3, version);
                  st.BindInt64(4, now_ms);
                });
  });
  if (!status.ok()) return status;
  return previous;
}

absl::StatusOr<std::string> SqliteRegistryBackend::DeleteAlias(
    std::string_view model, std::string_view alias) {
  std::string previous;
  absl::Status status = db_->RunInTransaction([&](Transaction& tx)
                                                  -> absl::Status {
    absl::StatusOr<int64_t> id = ModelId(tx, model);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> del = tx.Prepare(
        "DELETE FROM model_alias WHERE model_id = ?1 AND alias = ?2 "
        "RETURNING version");
    if (!del.ok()) return del.status();
    del->BindInt64(1, *id);
    del->BindText(2, alias);
    absl::StatusOr<bool> row = del->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      const std::string fix = "List the model's aliases with GetModel().";
      return MakeError(absl::StatusCode::kNotFound,
                       Cat("model ", QuoteForMessage(model), " has no alias ",
                           QuoteForMessage(alias), ". ", fix),
                       ErrorDetail{.reason = "ALIAS_NOT_FOUND",
                                   .rule = "an alias must be set before use",
                                   .value = std::string(alias),
                                   .fix = fix});
    }
    previous = std::string(del->ColumnText(0));
    // Finish the RETURNING statement before the commit.
    while (true) {
      absl::StatusOr<bool> more = del->Step();
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return previous;
}

// --- Approvals and validations -------------------------------------------

absl::Status SqliteRegistryBackend::SetApproval(std::string_view model,
                                                std::string_view version,
                                                const ApprovalEvent& event) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = ModelId(tx, model);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> cur = tx.Prepare(
        "SELECT approval FROM model_version WHERE model_id = ?1 AND "
        "version = ?2");
    if (!cur.ok()) return cur.status();
    cur->BindInt64(1, *id);
    cur->BindText(2, version);
    absl::StatusOr<bool> row = cur->Step();
    if (!row.ok()) return row.status();
    if (!*row) return VersionNotFound(model, version);
    const std::string current(cur->ColumnText(0));
    cur->Reset();
    if (current != ApprovalStatusName(event.from)) {
      const std::string fix = "Read the version again and retry.";
      return MakeError(
          absl::StatusCode::kAborted,
          Cat("the approval of ", model, " ", version, " changed to ", current,
              " while it was being set to ", ApprovalStatusName(event.to),
              ". ", fix),
          ErrorDetail{.reason = "CONCURRENT_UPDATE",
                      .rule = "an approval moves from the status it was read in",
                      .value = current,
                      .fix = fix});
    }
    if (absl::Status s = Exec(tx,
                              "UPDATE model_version SET approval = ?3 WHERE "
                              "model_id = ?1 AND version = ?2",
                              [&](Statement& st) {
                                st.BindInt64(1, *id);
                                st.BindText(2, version);
                                st.BindText(3, ApprovalStatusName(event.to));
                              });
        !s.ok()) {
      return s;
    }
    return Exec(tx,
                "INSERT INTO approval_event (model_id, version, from_status, "
                "to_status, actor, role, reason, environment, at_ms) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                [&](Statement& st) {
                  st.BindInt64(1, *id);
                  st.BindText(2, version);
                  st.BindText(3, ApprovalStatusName(event.from));
                  st.BindText(4, ApprovalStatusName(event.to));
                  st.BindText(5, event.actor);
                  st.BindText(6, event.role);
                  st.BindText(7, event.reason);
                  st.BindText(8, event.environment);
                  st.BindInt64(9, event.at_ms);
                });
  });
}

absl::StatusOr<std::vector<ApprovalEvent>>
SqliteRegistryBackend::ApprovalHistory(std::string_view model,
                                       std::string_view version) {
  std::vector<ApprovalEvent> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx)
                                                    -> absl::Status {
    out.clear();
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, model, version);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> st = tx.Prepare(
        "SELECT from_status, to_status, actor, role, reason, environment, "
        "at_ms FROM approval_event WHERE model_id = ?1 AND version = ?2 "
        "ORDER BY event_id");
    if (!st.ok()) return st.status();
    st->BindInt64(1, *id);
    st->BindText(2, version);
    while (true) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      ApprovalEvent e;
      absl::StatusOr<ApprovalStatus> from = ParseApprovalStatus(st->ColumnText(0));
      absl::StatusOr<ApprovalStatus> to = ParseApprovalStatus(st->ColumnText(1));
      if (!from.ok()) return from.status();
      if (!to.ok()) return to.status();
      e.from = *from;
      e.to = *to;
      e.actor = std::string(st->ColumnText(2));
      e.role = std::string(st->ColumnText(3));
      e.reason = std::string(st->ColumnText(4));
      e.environment = std::string(st->ColumnText(5));
      e.at_ms = st->ColumnInt64(6);
      out.push_back(std::move(e));
    }
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteRegistryBackend::AddValidation(const ValidationRecord& r) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, r.model, r.version);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> insert = tx.Prepare(
        "INSERT INTO validation_record (model_id, version, environment, "
        "passed, actor, recorded_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "RETURNING record_id");
    if (!insert.ok()) return insert.status();
    insert->BindInt64(1, *id);
    insert->BindText(2, r.version);
    insert->BindText(3, r.environment);
    insert->BindInt64(4, r.passed ? 1 : 0);
    insert->BindText(5, r.actor);
    insert->BindInt64(6, r.recorded_ms);
    absl::StatusOr<bool> row = insert->Step();
    if (!row.ok()) return row.status();
    const int64_t record_id = insert->ColumnInt64(0);
    insert->Reset();
    for (const ValidationCheck& c : r.checks) {
      if (absl::Status s = Exec(tx,
                                "INSERT INTO validation_check (record_id, "
                                "name, value) VALUES (?1, ?2, ?3)",
                                [&](Statement& st) {
                                  st.BindInt64(1, record_id);
                                  st.BindText(2, c.name);
                                  st.BindSortableDouble(3, c.value);
                                });
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ValidationRecord>>
SqliteRegistryBackend::ListValidations(std::string_view model,
                                       std::string_view version,
                                       std::string_view environment) {
  std::vector<ValidationRecord> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx)
                                                    -> absl::Status {
    out.clear();
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, model, version);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> st = tx.Prepare(
        "SELECT record_id, environment, passed, actor, recorded_ms FROM "
        "validation_record WHERE model_id = ?1 AND version = ?2 AND "
        "(?3 = '' OR environment = ?3) ORDER BY record_id");
    absl::StatusOr<Statement> checks = tx.Prepare(
        "SELECT name, value FROM validation_check WHERE record_id = ?1 "
        "ORDER BY name");
    if (!st.ok()) return st.status();
    if (!checks.ok()) return checks.status();
    st->BindInt64(1, *id);
    st->BindText(2, version);
    st->BindText(3, environment);
    while (true) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      ValidationRecord r;
      r.model = std::string(model);
      r.version = std::string(version);
      r.environment = std::string(st->ColumnText(1));
      r.passed = st->ColumnInt64(2) != 0;
      r.actor = std::string(st->ColumnText(3));
      r.recorded_ms = st->ColumnInt64(4);
      checks->Reset();
      checks->BindInt64(1, st->ColumnInt64(0));
      while (true) {
        absl::StatusOr<bool> c = checks->Step();
        if (!c.ok()) return c.status();
        if (!*c) break;
        absl::StatusOr<double> value = checks->ColumnSortableDouble(1);
        if (!value.ok()) return value.status();
        r.checks.push_back(
            ValidationCheck{std::string(checks->ColumnText(0)), *value});
      }
      out.push_back(std::move(r));
    }
  });
  if (!status.ok()) return status;
  return out;
}

// --- Lifecycle and retention ---------------------------------------------

absl::Status SqliteRegistryBackend::SetArchived(std::string_view model,
                                                std::string_view version,
                                                bool archived) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, model, version);
    if (!id.ok()) return id.status();
    return Exec(tx,
                "UPDATE model_version SET archived = ?3 WHERE model_id = ?1 "
                "AND version = ?2",
                [&](Statement& st) {
                  st.BindInt64(1, *id);
                  st.BindText(2, version);
                  st.BindInt64(3, archived ? 1 : 0);
                });
  });
}

absl::Status SqliteRegistryBackend::DeleteVersion(std::string_view model,
                                                  std::string_view version) {
  return db_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = VersionOwnerId(tx, model, version);
    if (!id.ok()) return id.status();
    absl::StatusOr<Statement> aliased = tx.Prepare(
        "SELECT alias FROM model_alias WHERE model_id = ?1 AND version = ?2 "
        "ORDER BY alias LIMIT 1");
    if (!aliased.ok()) return aliased.status();
    aliased->BindInt64(1, *id);
    aliased->BindText(2, version);
    absl::StatusOr<bool> row = aliased->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      const std::string alias(aliased->ColumnText(0));
      aliased->Reset();
      const std::string fix =
          Cat("Move or delete the alias first, e.g. DeleteAlias(",
              QuoteForMessage(model), ", ", QuoteForMessage(alias), ").");
      return MakeError(
          absl::StatusCode::kFailedPrecondition,
          Cat("version ", version, " of ", QuoteForMessage(model),
              " cannot be deleted: alias ", QuoteForMessage(alias),
              " points at it. ", fix),
          ErrorDetail{.reason = "VERSION_HAS_ALIAS",
                      .rule = "a version an alias points at is kept",
                      .value = alias,
                      .fix = fix});
    }
    return Exec(tx,
                "DELETE FROM model_version WHERE model_id = ?1 AND version = ?2",
                [&](Statement& st) {
                  st.BindInt64(1, *id);
                  st.BindText(2, version);
                });
  });
}

absl::Status SqliteRegistryBackend::RecordDeployment(std::string_view endpoint,
                                                     std::string_view model,
                                                     std::string_view version,
                                                     int64_t at_ms) {
  return db_->RunInTransaction([&](Transaction& tx) {
    return Exec(tx,
                // Idempotent: the rollout controller re-runs a completed
                // rollout's actions after a crash, with the same time.
                "INSERT INTO deployment (endpoint, model, version, deployed_ms) "
                "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM "
                "deployment WHERE endpoint = ?1 AND model = ?2 AND version = "
                "?3 AND deployed_ms = ?4)",
                [&](Statement& st) {
                  st.BindText(1, endpoint);
                  st.BindText(2, model);
                  st.BindText(3, version);
                  st.BindInt64(4, at_ms);
                });
  });
}

absl::Status SqliteRegistryBackend::SetHold(std::string_view model,
                                            std::string_view version,
                                            std::string_view holder,
                                            std::string_view reason) {
  return db_->RunInTransaction([&](Transaction& tx) {
    return Exec(tx,
                "INSERT INTO version_hold (model, version, holder, reason) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (model, version, holder) "
                "DO UPDATE SET reason = excluded.reason",
                [&](Statement& st) {
                  st.BindText(1, model);
                  st.BindText(2, version);
                  st.BindText(3, holder);
                  st.BindText(4, reason);
                });
  });
}

absl::Status SqliteRegistryBackend::ReleaseHold(std::string_view model,
                                                std::string_view version,
                                                std::string_view holder) {
  return db_->RunInTransaction([&](Transaction& tx) {
    return Exec(tx,
                "DELETE FROM version_hold WHERE model = ?1 AND version = ?2 "
                "AND holder = ?3",
                [&](Statement& st) {
                  st.BindText(1, model);
                  st.BindText(2, version);
                  st.BindText(3, holder);
                });
  });
}

absl::StatusOr<std::vector<VersionHold>>
SqliteRegistryBackend::ProtectedVersions(std::string_view model,
                                         int recent_per_endpoint) {
  std::vector<VersionHold> out;
  absl::Status status = db_->RunReadTransaction([&](Transaction& tx)
                                                    -> absl::Status {
    out.clear();
    // The distinct versions each endpoint deployed, most recent first: the
    // first `recent_per_endpoint` of each are kept.
    absl::StatusOr<Statement> recent = tx.Prepare(
        "SELECT endpoint, version FROM (SELECT endpoint, version, "
        "max(deployed_ms) AS at, max(deployment_id) AS id FROM deployment "
        "WHERE model = ?1 GROUP BY endpoint, version) "
        "ORDER BY endpoint, at DESC, id DESC");
    if (!recent.ok()) return recent.status();
    recent->BindText(1, model);
    std::string endpoint;
    int taken = 0;
    while (true) {
      absl::StatusOr<bool> row = recent->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (recent->ColumnText(0) != endpoint) {
        endpoint = std::string(recent->ColumnText(0));
        taken = 0;
      }
      if (taken++ >= recent_per_endpoint) continue;
      out.push_back(VersionHold{
          std::string(recent->ColumnText(1)),
          Cat("among the ", recent_per_endpoint,
              " most recent versions deployed to endpoint ",
              QuoteForMessage(endpoint))});
    }
    absl::StatusOr<Statement> holds = tx.Prepare(
        "SELECT version, holder, reason FROM version_hold WHERE model = ?1 "
        "ORDER BY version, holder");
    if (!holds.ok()) return holds.status();
    holds->BindText(1, model);
    while (true) {
      absl::StatusOr<bool> row = holds->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
      out.push_back(VersionHold{
          std::string(holds->ColumnText(0)),
          Cat("held by ", holds->ColumnText(1), ": ", holds->ColumnText(2))});
    }
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace slipway::internal_storage
