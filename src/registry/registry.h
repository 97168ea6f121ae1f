// Registry: registered models and versions, aliases, approvals, validation
// records, lineage and retention (docs/registry.md, design 0003). The
// Store's registry methods forward here.
//
// Every state-changing method runs inside Auditor::Run, so it leaves one
// audit record whether it succeeds, fails or is refused; the production
// operations of SPEC §5 (model create and delete, a status change to
// Approved) pass EmergencyStop::Check first. Rules that need no storage are
// in rules.h; storage is RegistryBackend's.
//
// Environments: an operation acts in the environment it is given, or the
// validation policy's default one (ValidationPolicy::environment).
//
// Thread-safety: thread-safe (its parts are).
#ifndef SLIPWAY_SRC_REGISTRY_REGISTRY_H_
#define SLIPWAY_SRC_REGISTRY_REGISTRY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "slipway/registry.h"
#include "slipway/validate.h"
#include "src/artifacts/artifact_store.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/storage/registry_backend.h"
#include "src/storage/tracking_backend.h"

namespace slipway::internal_registry {

// How many of each endpoint's most recent deployments retention keeps
// (SPEC §4).
inline constexpr int kRetainedDeploymentsPerEndpoint = 3;

struct RegistryDeps {
  internal_storage::RegistryBackend* backend = nullptr;
  internal_storage::TrackingBackend* tracking = nullptr;
  // Null: operations that store or read artifacts fail with
  // FailedPrecondition ARTIFACT_STORE_UNAVAILABLE.
  internal_artifacts::ArtifactStore* artifacts = nullptr;
  internal_audit::Auditor* auditor = nullptr;
  internal_audit::EmergencyStop* stop = nullptr;
  const ValidationPolicy* policy = nullptr;
  const RolePolicy* roles = nullptr;
  Clock* clock = nullptr;
  // SLIPWAY_ACTOR / SLIPWAY_ROLE; null: the process environment.
  internal_audit::EnvVarReader env_vars;
};

class Registry {
 public:
  explicit Registry(RegistryDeps deps);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  absl::Status CreateModel(std::string_view name, std::string_view description,
                           const KeyValueList& tags, const Actor& actor);
  absl::StatusOr<RegisteredModel> GetModel(std::string_view name);
  absl::StatusOr<std::vector<RegisteredModel>> ListModels();

  absl::StatusOr<ModelVersionInfo> RegisterModelVersion(
      const RegisterModelVersionRequest& request);
  // `version_or_alias`: a version ("2.4.1", "v2.4.1", "7"), an alias, or
  // `latest` (the highest version not archived; refused when `environment`
  // is a production one: LATEST_IN_PRODUCTION).
  absl::StatusOr<ModelVersionInfo> GetModelVersion(
      std::string_view model, std::string_view version_or_alias,
      std::string_view environment = "");
  // In precedence order, lowest first; archived versions included.
  absl::StatusOr<std::vector<ModelVersionInfo>> ListModelVersions(
      std::string_view model);

  absl::Status SetAlias(std::string_view model, std::string_view alias,
                        std::string_view version, const Actor& actor);
  absl::Status DeleteAlias(std::string_view model, std::string_view alias,
                           const Actor& actor);

  absl::Status SetApproval(std::string_view model, std::string_view version,
                           ApprovalStatus to, const Actor& actor,
                           std::string_view reason,
                           std::string_view environment = "");
  absl::StatusOr<std::vector<ApprovalEvent>> ApprovalHistory(
      std::string_view model, std::string_view version);

  absl::Status RecordValidation(ValidationRecord record, const Actor& actor);
  absl::StatusOr<std::vector<ValidationRecord>> ListValidations(
      std::string_view model, std::string_view version,
      std::string_view environment = "");
  // True when the newest validation record of the version in
  // `environment` passed.
  absl::StatusOr<bool> HasPassedValidation(std::string_view model,
                                           std::string_view version,
                                           std::string_view environment);

  // Retention (SPEC §4): refused with FailedPrecondition RETENTION_PROTECTED
  // for one of the most recent deployed versions of an endpoint, or a
  // version an active rollout holds; the message says which and why.
  absl::Status ArchiveModelVersion(std::string_view model,
                                   std::string_view version, const Actor& actor);
  absl::Status DeleteModelVersion(std::string_view model,
                                  std::string_view version, const Actor& actor,
                                  std::string_view environment = "");

  absl::StatusOr<std::vector<ModelVersionInfo>> VersionsOfRun(
      std::string_view run_id);
  absl::StatusOr<VersionLineage> LineageOfVersion(std::string_view model,
                                                  std::string_view version);

  // Restores the version's artifacts under `dest_dir` (created when
  // missing), each verified against its digest.
  absl::Status DownloadArtifacts(std::string_view model,
                                 std::string_view version,
                                 const std::string& dest_dir);

  // Versions of every model matching `filter` (docs/registry.md,
  // "Searching versions"), by model name then precedence.
  absl::StatusOr<std::vector<ModelVersionInfo>> SearchModelVersions(
      std::string_view filter, size_t max_results);

 private:
  Actor Resolve(const Actor& actor) const;
  // The audit event of an operation on one version.
  internal_audit::AuditEvent VersionEvent(std::string_view command,
                                          std::string_view action,
                                          std::string_view model,
                                          std::string_view version,
                                          const Actor& who,
                                          std::string_view environment) const;
  std::string EnvironmentOr(std::string_view environment) const;
  absl::StatusOr<std::string> CanonicalVersion(std::string_view model,
                                               std::string_view version) const;
  absl::Status CheckRetention(std::string_view model, std::string_view version);
  absl::StatusOr<std::vector<ArtifactFile>> StoreArtifacts(
      const std::vector<std::string>& paths);

  RegistryDeps deps_;
  std::string default_actor_;
  std::string default_role_;
};

}  // namespace slipway::internal_registry

#endif  // SLIPWAY_SRC_REGISTRY_REGISTRY_H_
