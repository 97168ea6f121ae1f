#include "src/registry/registry.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <set>
#include <utility>

#include "slipway/status.h"
#include "slipway/version.h"
#include "src/errors/strings.h"
#include "src/registry/rules.h"
#include "src/registry/version_filter.h"

namespace slipway::internal_registry {
namespace {

using internal_audit::AuditEvent;
using internal_audit::Operation;
using internal_strings::Cat;

constexpr size_t kMaxDescriptionLength = 5000;
constexpr size_t kMaxJsonLength = 1 << 20;
constexpr size_t kMaxDigestLength = 256;

std::string EnvVar(const internal_audit::EnvVarReader& reader,
                   std::string_view name) {
  if (reader) {
    std::optional<std::string> v = reader(name);
    return v.value_or("");
  }
  const char* v = std::getenv(std::string(name).c_str());
  return v == nullptr ? "" : v;
}

absl::Status TooLong(std::string_view what, size_t size, size_t limit,
                     std::string_view reason) {
  const std::string fix = Cat("Shorten it to at most ", limit, " bytes.");
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat(what, " is ", size, " bytes, more than ", limit, ". ", fix),
                   ErrorDetail{.reason = std::string(reason),
                               .rule = Cat(what, " <= ", limit, " bytes"),
                               .value = "",
                               .fix = fix});
}

absl::Status NoArtifactStore() {
  const std::string fix =
      "Open the store with an artifact root (StoreOptions::artifact_root), "
      "or a file store (its artifacts go beside it).";
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   Cat("this store has no artifact store. ", fix),
                   ErrorDetail{.reason = "ARTIFACT_STORE_UNAVAILABLE",
                               .rule = "artifacts need an artifact root",
                               .value = "",
                               .fix = fix});
}

absl::Status ValidateDigestText(std::string_view digest) {
  const bool ok =
      digest.size() <= kMaxDigestLength &&
      std::all_of(digest.begin(), digest.end(),
                  [](char c) { return c > ' ' && c < 0x7f; }) &&
      (digest.empty() || digest.find(':') != std::string_view::npos);
  if (ok) return absl::OkStatus();
  const std::string fix =
      "Give it as <algorithm>:<hex>, e.g. \"sha256:9f86d0...\", or leave it "
      "empty.";
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("dataset digest ", QuoteForMessage(digest),
                       " is not of the form <algorithm>:<hex>. ", fix),
                   ErrorDetail{.reason = "DATASET_DIGEST_INVALID",
                               .rule = "<algorithm>:<printable ASCII>, at most "
                                       "256 characters",
                               .value = std::string(digest),
                               .fix = fix});
}

std::string Basename(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path
                                                     : path.substr(slash + 1));
}

}  // namespace

Registry::Registry(RegistryDeps deps) : deps_(std::move(deps)) {
  default_actor_ = EnvVar(deps_.env_vars, "SLIPWAY_ACTOR");
  if (default_actor_.empty()) default_actor_ = EnvVar(deps_.env_vars, "USER");
  if (default_actor_.empty()) default_actor_ = "unknown";
  default_role_ = EnvVar(deps_.env_vars, "SLIPWAY_ROLE");
}

AuditEvent Registry::VersionEvent(std::string_view command,
                                  std::string_view action,
                                  std::string_view model,
                                  std::string_view version, const Actor& who,
                                  std::string_view environment) const {
  return AuditEvent{.environment = EnvironmentOr(environment),
                    .command = std::string(command),
                    .resource_type = "model_version",
                    .resource_name = Cat(model, "/", version),
                    .action = std::string(action),
                    .model_name = std::string(model),
                    .model_version = std::string(version),
                    .user = who.name};
}

Actor Registry::Resolve(const Actor& actor) const {
  Actor out = actor;
  if (out.name.empty()) out.name = default_actor_;
  if (out.role.empty()) out.role = default_role_;
  return out;
}

std::string Registry::EnvironmentOr(std::string_view environment) const {
  return environment.empty() ? deps_.policy->environment
                             : std::string(environment);
}

absl::StatusOr<std::string> Registry::CanonicalVersion(
    std::string_view model, std::string_view version) const {
  if (absl::Status s = validate::ModelName(model); !s.ok()) return s;
  // In the default environment: the environment names are the policy's.
  absl::StatusOr<ModelVersion> v = ModelVersion::Parse(version, *deps_.policy);
  if (!v.ok()) return v.status();
  if (v->kind() == ModelVersion::Kind::kLatest) {
    const std::string fix = "Name the version itself, e.g. \"2.4.1\".";
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("`latest` names no version here. ", fix),
                     ErrorDetail{.reason = "MODEL_VERSION_INVALID",
                                 .rule = "this operation takes a version, not "
                                         "`latest`",
                                 .value = std::string(version),
                                 .fix = fix});
  }
  return v->canonical();
}

// --- Models --------------------------------------------------------------

absl::Status Registry::CreateModel(std::string_view name,
                                   std::string_view description,
                                   const KeyValueList& tags,
                                   const Actor& actor) {
  const Actor who = Resolve(actor);
  AuditEvent event{.environment = EnvironmentOr(""),
                   .command = "model.create",
                   .resource_type = "model",
                   .resource_name = std::string(name),
                   .action = "create",
                   .model_name = std::string(name),
                   .user = who.name};
  return deps_.auditor->Run(event, [&]() -> absl::Status {
    if (absl::Status s = validate::ModelName(name); !s.ok()) return s;
    if (description.size() > kMaxDescriptionLength) {
      return TooLong("the description", description.size(),
                     kMaxDescriptionLength, "DESCRIPTION_TOO_LONG");
    }
    if (absl::Status s = validate::Tags(tags); !s.ok()) return s;
    if (absl::Status s = deps_.stop->Check(Operation::kModelCreate, event);
        !s.ok()) {
      return s;
    }
    const int64_t now = deps_.clock->NowUnixMillis();
    RegisteredModel m;
    m.name = std::string(name);
    m.description = std::string(description);
    m.tags = tags;
    m.created_ms = now;
    m.updated_ms = now;
    return deps_.backend->CreateModel(m);
  });
}

absl::StatusOr<RegisteredModel> Registry::GetModel(std::string_view name) {
  if (absl::Status s = validate::ModelName(name); !s.ok()) return s;
  return deps_.backend->GetModel(name);
}

absl::StatusOr<std::vector<RegisteredModel>> Registry::ListModels() {
  return deps_.backend->ListModels();
}

// --- Versions ------------------------------------------------------------

absl::StatusOr<std::vector<ArtifactFile>> Registry::StoreArtifacts(
    const std::vector<std::string>& paths) {
  std::vector<ArtifactFile> out;
  if (paths.empty()) return out;
  if (deps_.artifacts == nullptr) return NoArtifactStore();
  std::set<std::string> seen;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<internal_artifacts::ArtifactEntry>> entries =
        deps_.artifacts->PutTree(path);
    if (!entries.ok()) return entries.status();
    // A file is stored under its name; a directory's files under
    // "<directory name>/<relative path>" (also a directory holding one file
    // of its own name). PutTree has just read the path, so asking the file
    // system what it is cannot fail for a reason PutTree did not report.
    std::error_code ec;
    const bool single_file = !std::filesystem::is_directory(path, ec);
    for (const internal_artifacts::ArtifactEntry& e : *entries) {
      ArtifactFile f;
      f.path = single_file ? e.relative_path
                           : Cat(Basename(path), "/", e.relative_path);
      f.digest = e.digest.ToString();
      f.size_bytes = static_cast<int64_t>(e.size_bytes);
      if (!seen.insert(f.path).second) {
        const std::string fix =
            "Give artifacts distinct names, or put them in one directory.";
        return MakeError(absl::StatusCode::kInvalidArgument,
                         Cat("two artifacts would both be stored as ",
                             QuoteForMessage(f.path), ". ", fix),
                         ErrorDetail{.reason = "ARTIFACT_PATH_DUPLICATE",
                                     .rule = "artifact paths of a version are "
                                             "unique",
                                     .value = f.path,
                                     .fix = fix});
      }
      out.push_back(std::move(f));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ArtifactFile& a, const ArtifactFile& b) {
              return a.path < b.path;
            });
  return out;
}

absl::StatusOr<ModelVersionInfo> Registry::RegisterModelVersion(
    const RegisterModelVersionRequest& request) {
  const Actor who = Resolve(request.actor);
  AuditEvent event{.environment = EnvironmentOr(""),
                   .command = "model_version.register",
                   .resource_type = "model_version",
                   .resource_name = request.model,
                   .action = "create",
                   .model_name = request.model,
                   .model_version = request.version,
                   .user = who.name};
  return deps_.auditor->Run(
      event, [&](AuditEvent& e) -> absl::StatusOr<ModelVersionInfo> {
        if (absl::Status s = validate::ModelName(request.model); !s.ok()) {
          return s;
        }
        internal_storage::NewModelVersion nv;
        ModelVersionInfo& v = nv.info;
        v.model = request.model;
        if (request.version.empty()) {
          nv.scheme = VersionScheme::kRevision;
        } else {
          absl::StatusOr<ModelVersion> parsed =
              ModelVersion::Parse(request.version, *deps_.policy);
          if (!parsed.ok()) return parsed.status();
          if (parsed->kind() == ModelVersion::Kind::kLatest) {
            const std::string fix =
                "Give a version (\"1.0.0\"), or none for the next revision.";
            return MakeError(
                absl::StatusCode::kInvalidArgument,
                Cat("`latest` cannot be registered as a version. ", fix),
                ErrorDetail{.reason = "MODEL_VERSION_INVALID",
                            .rule = "`latest` is an alias, not a version",
                            .value = request.version,
                            .fix = fix});
          }
          nv.scheme = parsed->kind() == ModelVersion::Kind::kSemver
                          ? VersionScheme::kSemver
                          : VersionScheme::kRevision;
          nv.revision = parsed->revision();
          v.version = parsed->canonical();
        }
        if (request.description.size() > kMaxDescriptionLength) {
          return TooLong("the description", request.description.size(),
                         kMaxDescriptionLength, "DESCRIPTION_TOO_LONG");
        }
        if (absl::Status s = validate::Tags(request.tags); !s.ok()) return s;
        if (request.code_version.size() > 250) {
          return TooLong("the code version", request.code_version.size(), 250,
                         "CODE_VERSION_TOO_LONG");
        }
        for (const auto& [json, field, reason] :
             {std::tuple{&request.metadata_json, "metadata", "METADATA_INVALID"},
              std::tuple{&request.signature_json, "signature",
                         "SIGNATURE_INVALID"}}) {
          if (json->size() > kMaxJsonLength) {
            return TooLong(field, json->size(), kMaxJsonLength, reason);
          }
          if (absl::Status s = ValidateJsonObject(*json, field, reason);
              !s.ok()) {
            return s;
          }
        }
        std::set<std::string> dataset_paths;
        for (const DatasetRef& d : request.datasets) {
          if (absl::Status s = validate::DatasetPath(d.path, *deps_.policy);
              !s.ok()) {
            return s;
          }
          if (absl::Status s = ValidateDigestText(d.digest); !s.ok()) return s;
          if (!dataset_paths.insert(d.path).second) {
            const std::string fix = "List each dataset once.";
            return MakeError(absl::StatusCode::kInvalidArgument,
                             Cat("dataset ", QuoteForMessage(d.path),
                                 " is listed twice. ", fix),
                             ErrorDetail{.reason = "DATASET_DUPLICATE",
                                         .rule = "a version lists a dataset once",
                                         .value = d.path,
                                         .fix = fix});
          }
          v.datasets.push_back(d);
        }
        std::sort(v.datasets.begin(), v.datasets.end(),
                  [](const DatasetRef& a, const DatasetRef& b) {
                    return a.path < b.path;
                  });
        if (absl::Status s =
                deps_.stop->Check(Operation::kModelCreate, e);
            !s.ok()) {
          return s;
        }
        // Artifacts are content-addressed: storing them before the version
        // row is safe (a failed registration leaves only unreferenced,
        // deduplicated blobs).
        absl::StatusOr<std::vector<ArtifactFile>> artifacts =
            StoreArtifacts(request.artifact_paths);
        if (!artifacts.ok()) return artifacts.status();
        v.artifacts = *std::move(artifacts);
        v.run_id = request.run_id;
        v.code_version = request.code_version;
        v.description = request.description;
        v.metadata_json = request.metadata_json;
        v.signature_json = request.signature_json;
        v.tags = request.tags;
        std::sort(v.tags.begin(), v.tags.end());
        v.created_ms = deps_.clock->NowUnixMillis();
        v.created_by = who.name;
        absl::StatusOr<internal_storage::InsertedVersion> inserted =
            deps_.backend->InsertVersion(nv);
        if (!inserted.ok()) return inserted.status();
        e.model_version = inserted->version;
        v.version = inserted->version;
        return deps_.backend->GetVersion(v.model, v.version);
      });
}

absl::StatusOr<ModelVersionInfo> Registry::GetModelVersion(
    std::string_view model, std::string_view version_or_alias,
    std::string_view environment) {
  if (absl::Status s = validate::ModelName(model); !s.ok()) return s;
  const std::string env = EnvironmentOr(environment);
  absl::StatusOr<ModelVersion> parsed =
      ModelVersion::Parse(version_or_alias, env, *deps_.policy);
  if (parsed.ok() && parsed->kind() != ModelVersion::Kind::kLatest) {
    return deps_.backend->GetVersion(model, parsed->canonical());
  }
  if (parsed.ok()) {  // latest
    absl::StatusOr<std::vector<ModelVersionInfo>> all = ListModelVersions(model);
    if (!all.ok()) return all.status();
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (!it->archived) return std::move(*it);
    }
    const std::string fix = "Register a version first (or restore one).";
    return MakeError(absl::StatusCode::kNotFound,
                     Cat("model ", QuoteForMessage(model),
                         " has no version that is not archived, so `latest` "
                         "names none. ",
                         fix),
                     ErrorDetail{.reason = "MODEL_VERSION_NOT_FOUND",
                                 .rule = "`latest` is the highest version not "
                                         "archived",
                                 .value = "latest",
                                 .fix = fix});
  }
  if (GetErrorDetail(parsed.status()).has_value() &&
      GetErrorDetail(parsed.status())->reason == "LATEST_IN_PRODUCTION") {
    return parsed.status();
  }
  // An alias.
  if (absl::Status s = ValidateAlias(version_or_alias); !s.ok()) {
    // Neither a version nor an alias: say what would be valid.
    const std::string fix =
        "Give a version (\"2.4.1\", \"7\"), an alias (\"champion\") or "
        "`latest`.";
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat(QuoteForMessage(version_or_alias),
                         " is neither a version nor an alias. ", fix),
                     ErrorDetail{.reason = "MODEL_VERSION_INVALID",
                                 .rule = "a version, an alias or `latest`",
                                 .value = std::string(version_or_alias),
                                 .fix = fix});
  }
  absl::StatusOr<RegisteredModel> m = deps_.backend->GetModel(model);
  if (!m.ok()) return m.status();
  for (const auto& [alias, version] : m->aliases) {
    if (alias == version_or_alias) {
      return deps_.backend->GetVersion(model, version);
    }
  }
  const std::string fix = "List the model's aliases with GetModel().";
  return MakeError(absl::StatusCode::kNotFound,
                   Cat("model ", QuoteForMessage(model), " has no alias ",
                       QuoteForMessage(version_or_alias), ". ", fix),
                   ErrorDetail{.reason = "ALIAS_NOT_FOUND",
                               .rule = "an alias must be set before use",
                               .value = std::string(version_or_alias),
                               .fix = fix});
}

absl::StatusOr<std::vector<ModelVersionInfo>> Registry::ListModelVersions(
    std::string_view model) {
  if (absl::Status s = validate::ModelName(model); !s.ok()) return s;
  absl::StatusOr<std::vector<ModelVersionInfo>> versions =
      deps_.backend->ListVersions(model);
  if (!versions.ok()) return versions.status();
  SortByPrecedence(*versions);
  return versions;
}

// --- Aliases -------------------------------------------------------------

absl::Status Registry::SetAlias(std::string_view model, std::string_view alias,
                                std::string_view version, const Actor& actor) {
  const Actor who = Resolve(actor);
  AuditEvent event{.environment = EnvironmentOr(""),
                   .command = "alias.set",
                   .resource_type = "alias",
                   .resource_name = Cat(model, "@", alias),
                   .action = "update",
                   .model_name = std::string(model),
                   .model_version = std::string(version),
                   .user = who.name};
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    if (absl::Status s = ValidateAlias(alias); !s.ok()) return s;
    absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
    if (!canonical.ok()) return canonical.status();
    e.model_version = *canonical;
    if (absl::Status s =
            CheckRole(*deps_.roles, *deps_.policy, e.environment, "set_alias", who);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> previous = deps_.backend->SetAlias(
        model, alias, *canonical, deps_.clock->NowUnixMillis());
    if (!previous.ok()) return previous.status();
    e.previous_version = *previous;
    return absl::OkStatus();
  });
}

absl::Status Registry::DeleteAlias(std::string_view model,
                                   std::string_view alias, const Actor& actor) {
  const Actor who = Resolve(actor);
  AuditEvent event{.environment = EnvironmentOr(""),
                   .command = "alias.delete",
                   .resource_type = "alias",
                   .resource_name = Cat(model, "@", alias),
                   .action = "delete",
                   .model_name = std::string(model),
                   .user = who.name};
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    if (absl::Status s = validate::ModelName(model); !s.ok()) return s;
    if (absl::Status s = ValidateAlias(alias); !s.ok()) return s;
    if (absl::Status s =
            CheckRole(*deps_.roles, *deps_.policy, e.environment, "delete_alias", who);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> previous = deps_.backend->DeleteAlias(model, alias);
    if (!previous.ok()) return previous.status();
    e.previous_version = *previous;
    return absl::OkStatus();
  });
}

// --- Approvals and validation ----------------------------------------------

absl::Status Registry::SetApproval(std::string_view model,
                                   std::string_view version, ApprovalStatus to,
                                   const Actor& actor, std::string_view reason,
                                   std::string_view environment) {
  const Actor who = Resolve(actor);
  const std::string env = EnvironmentOr(environment);
  AuditEvent event = VersionEvent("model_version.set_approval",
                                  ApprovalAction(to), model, version, who, env);
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    if (absl::StatusOr<EnvironmentKind> kind = deps_.policy->KindOf(env);
        !kind.ok()) {
      return kind.status();
    }
    absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
    if (!canonical.ok()) return canonical.status();
    e.model_version = *canonical;
    e.resource_name = Cat(model, "/", *canonical);
    if (reason.size() > kMaxDescriptionLength) {
      return TooLong("the reason", reason.size(), kMaxDescriptionLength,
                     "REASON_TOO_LONG");
    }
    absl::StatusOr<ModelVersionInfo> current =
        deps_.backend->GetVersion(model, *canonical);
    if (!current.ok()) return current.status();
    if (absl::Status s =
            CheckApprovalTransition(model, *canonical, current->approval, to);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckRole(*deps_.roles, *deps_.policy, env, ApprovalAction(to), who);
        !s.ok()) {
      return s;
    }
    if (to == ApprovalStatus::kApproved) {
      if (absl::Status s = deps_.stop->Check(Operation::kApproveVersion, e);
          !s.ok()) {
        return s;
      }
    }
    ApprovalEvent change{.from = current->approval,
                         .to = to,
                         .actor = who.name,
                         .role = who.role,
                         .reason = std::string(reason),
                         .environment = env,
                         .at_ms = deps_.clock->NowUnixMillis()};
    return deps_.backend->SetApproval(model, *canonical, change);
  });
}

absl::StatusOr<std::vector<ApprovalEvent>> Registry::ApprovalHistory(
    std::string_view model, std::string_view version) {
  absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
  if (!canonical.ok()) return canonical.status();
  return deps_.backend->ApprovalHistory(model, *canonical);
}

absl::Status Registry::RecordValidation(ValidationRecord record,
                                        const Actor& actor) {
  const Actor who = Resolve(actor);
  record.environment = EnvironmentOr(record.environment);
  AuditEvent event =
      VersionEvent("model_version.record_validation", "create", record.model,
                   record.version, who, record.environment);
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    if (absl::StatusOr<EnvironmentKind> kind =
            deps_.policy->KindOf(record.environment);
        !kind.ok()) {
      return kind.status();
    }
    absl::StatusOr<std::string> canonical =
        CanonicalVersion(record.model, record.version);
    if (!canonical.ok()) return canonical.status();
    record.version = *canonical;
    e.model_version = *canonical;
    std::set<std::string> names;
    for (const ValidationCheck& c : record.checks) {
      if (absl::Status s = validate::MetricKey(c.name); !s.ok()) return s;
      if (!names.insert(c.name).second) {
        const std::string fix = "Give each check once.";
        return MakeError(absl::StatusCode::kInvalidArgument,
                         Cat("check ", QuoteForMessage(c.name),
                             " is given twice. ", fix),
                         ErrorDetail{.reason = "VALIDATION_CHECK_DUPLICATE",
                                     .rule = "check names are unique in a "
                                             "record",
                                     .value = c.name,
                                     .fix = fix});
      }
    }
    record.actor = who.name;
    record.recorded_ms = deps_.clock->NowUnixMillis();
    return deps_.backend->AddValidation(record);
  });
}

absl::StatusOr<std::vector<ValidationRecord>> Registry::ListValidations(
    std::string_view model, std::string_view version,
    std::string_view environment) {
  absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
  if (!canonical.ok()) return canonical.status();
  return deps_.backend->ListValidations(model, *canonical, environment);
}

absl::StatusOr<bool> Registry::HasPassedValidation(
    std::string_view model, std::string_view version,
    std::string_view environment) {
  if (absl::StatusOr<EnvironmentKind> kind = deps_.policy->KindOf(environment);
      !kind.ok()) {
    return kind.status();
  }
  absl::StatusOr<std::vector<ValidationRecord>> records =
      ListValidations(model, version, environment);
  if (!records.ok()) return records.status();
  return !records->empty() && records->back().passed;
}

// --- Lifecycle -------------------------------------------------------------

absl::Status Registry::CheckRetention(std::string_view model,
                                      std::string_view version) {
  absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
      deps_.backend->ProtectedVersions(model, kRetainedDeploymentsPerEndpoint);
  if (!held.ok()) return held.status();
  std::string why;
  for (const internal_storage::VersionHold& h : *held) {
    if (h.version != version) continue;
    if (!why.empty()) why += "; ";
    why += h.reason;
  }
  if (why.empty()) return absl::OkStatus();
  const std::string fix =
      "Retention keeps it ready for rollback; it can go once newer versions "
      "have been deployed and no rollout uses it.";
  return MakeError(
      absl::StatusCode::kFailedPrecondition,
      Cat("version ", version, " of ", QuoteForMessage(model),
          " is retained: ", why, ". ", fix),
      ErrorDetail{.reason = "RETENTION_PROTECTED",
                  .rule = "SPEC §4: the 3 most recent deployed versions of "
                          "every endpoint and any version an active rollout "
                          "uses are retained",
                  .value = std::string(version),
                  .fix = fix});
}

absl::Status Registry::ArchiveModelVersion(std::string_view model,
                                           std::string_view version,
                                           const Actor& actor) {
  const Actor who = Resolve(actor);
  AuditEvent event = VersionEvent("model_version.archive", "archive", model,
                                  version, who, "");
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
    if (!canonical.ok()) return canonical.status();
    e.model_version = *canonical;
    if (absl::Status s =
            CheckRole(*deps_.roles, *deps_.policy, e.environment, "archive_version", who);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckRetention(model, *canonical); !s.ok()) return s;
    return deps_.backend->SetArchived(model, *canonical, true);
  });
}

absl::Status Registry::DeleteModelVersion(std::string_view model,
                                          std::string_view version,
                                          const Actor& actor,
                                          std::string_view environment) {
  const Actor who = Resolve(actor);
  AuditEvent event = VersionEvent("model_version.delete", "delete", model,
                                  version, who, environment);
  return deps_.auditor->Run(event, [&](AuditEvent& e) -> absl::Status {
    absl::StatusOr<std::string> canonical = CanonicalVersion(model, version);
    if (!canonical.ok()) return canonical.status();
    e.model_version = *canonical;
    if (absl::Status s =
            CheckRole(*deps_.roles, *deps_.policy, e.environment, "delete_version", who);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckRetention(model, *canonical); !s.ok()) return s;
    if (absl::Status s = deps_.stop->Check(Operation::kModelDelete, e);
        !s.ok()) {
      return s;
    }
    return deps_.backend->DeleteVersion(model, *canonical);
  });
}

// --- Lineage and artifacts -------------------------------------------------

absl::StatusOr<std::vector<ModelVersionInfo>> Registry::VersionsOfRun(
    std::string_view run_id) {
  if (deps_.tracking != nullptr) {
    // NotFound for an unknown run, rather than an empty list.
    if (absl::StatusOr<RunInfo> run = deps_.tracking->GetRun(run_id);
        !run.ok()) {
      return run.status();
    }
  }
  return deps_.backend->VersionsOfRun(run_id);
}

absl::StatusOr<VersionLineage> Registry::LineageOfVersion(
    std::string_view model, std::string_view version) {
  absl::StatusOr<ModelVersionInfo> v = GetModelVersion(model, version);
  if (!v.ok()) return v.status();
  VersionLineage out;
  out.version = *std::move(v);
  if (out.version.run_id.empty() || deps_.tracking == nullptr) return out;
  absl::StatusOr<RunInfo> run = deps_.tracking->GetRun(out.version.run_id);
  if (!run.ok()) return run.status();
  out.has_run = true;
  out.run_id = run->run_id;
  if (absl::StatusOr<ExperimentInfo> e =
          deps_.tracking->GetExperimentById(run->experiment_id);
      e.ok()) {
    out.experiment = e->name;
  }
  out.params = run->params;
  for (const MetricSummary& m : run->metrics) {
    out.metrics.emplace_back(m.key, m.last_value);
  }
  out.run_tags = run->tags;
  return out;
}

absl::Status Registry::DownloadArtifacts(std::string_view model,
                                         std::string_view version,
                                         const std::string& dest_dir) {
  absl::StatusOr<ModelVersionInfo> v = GetModelVersion(model, version);
  if (!v.ok()) return v.status();
  if (deps_.artifacts == nullptr) return NoArtifactStore();
  std::vector<internal_artifacts::ArtifactEntry> entries;
  for (const ArtifactFile& f : v->artifacts) {
    absl::StatusOr<internal_artifacts::Digest> digest =
        internal_artifacts::Digest::Parse(f.digest);
    if (!digest.ok()) return digest.status();
    entries.push_back(internal_artifacts::ArtifactEntry{
        f.path, *digest, static_cast<uint64_t>(f.size_bytes)});
  }
  return deps_.artifacts->RestoreTree(entries, dest_dir);
}

absl::StatusOr<std::vector<ModelVersionInfo>> Registry::SearchModelVersions(
    std::string_view filter, size_t max_results) {
  absl::StatusOr<internal_query::Filter> parsed = ParseVersionFilter(filter);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<std::vector<ModelVersionInfo>> all =
      deps_.backend->ListAllVersions();
  if (!all.ok()) return all.status();
  // By model (the backend's order), then precedence within each model.
  std::vector<ModelVersionInfo> out;
  size_t begin = 0;
  while (begin < all->size()) {
    size_t end = begin;
    while (end < all->size() && (*all)[end].model == (*all)[begin].model) ++end;
    std::vector<ModelVersionInfo> group;
    for (size_t i = begin; i < end; ++i) {
      if (MatchesVersionFilter(*parsed, (*all)[i])) {
        group.push_back(std::move((*all)[i]));
      }
    }
    SortByPrecedence(group);
    for (ModelVersionInfo& v : group) {
      if (out.size() >= max_results) return out;
      out.push_back(std::move(v));
    }
    begin = end;
  }
  return out;
}

}  // namespace slipway::internal_registry
