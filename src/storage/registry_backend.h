// RegistryBackend: the model registry's storage, as whole logical
// operations on plain records (docs/design/0003). Every method is one
// transaction, so a failure leaves nothing half-written and several
// processes can register into one store. Rules that are not about storage
// (name validation, version precedence, the approval graph, roles, the
// emergency stop, audit) live in src/registry; the backend enforces only
// what must hold atomically: uniqueness, one version scheme per model,
// compare-and-set of approvals, retention holds.
//
// Errors (ErrorDetail reasons): NotFound MODEL_NOT_FOUND,
// MODEL_VERSION_NOT_FOUND, ALIAS_NOT_FOUND, RUN_NOT_FOUND; AlreadyExists
// MODEL_EXISTS, MODEL_VERSION_EXISTS; FailedPrecondition
// VERSION_SCHEME_MISMATCH, VERSION_HAS_ALIAS; Aborted CONCURRENT_UPDATE
// (an approval changed since it was read); plus the store's own errors.
//
// Thread-safety: implementations are thread-safe.
#ifndef SLIPWAY_SRC_STORAGE_REGISTRY_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_REGISTRY_BACKEND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/registry.h"

namespace slipway::internal_storage {

// A version to insert. `version` is canonical; for a revision-scheme
// insert with an empty `version`, the backend assigns max(revision) + 1.
struct NewModelVersion {
  ModelVersionInfo info;  // model, version (maybe empty), fields, lists
  VersionScheme scheme = VersionScheme::kSemver;
  int64_t revision = 0;   // the number of a given revision, else 0
  std::string model_description;  // used only when the model is created
};

struct InsertedVersion {
  std::string version;  // canonical, assigned when it was empty
  bool model_created = false;
};

// Versions that retention may not archive or delete, with why.
struct VersionHold {
  std::string version;
  std::string reason;  // e.g. "among the 3 most recent deployments of endpoint fraud-prod"
};

class RegistryBackend {
 public:
  virtual ~RegistryBackend() = default;

  virtual absl::Status CreateModel(const RegisteredModel& model) = 0;
  // Aliases filled in.
  virtual absl::StatusOr<RegisteredModel> GetModel(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<RegisteredModel>> ListModels() = 0;
  virtual absl::Status UpdateModel(std::string_view name,
                                   std::optional<std::string> description,
                                   const KeyValueList& set_tags,
                                   int64_t now_ms) = 0;

  // Creates the model when missing, fixes its scheme on its first version
  // (a later version of the other scheme: VERSION_SCHEME_MISMATCH), checks
  // the run exists, inserts the version with its lists.
  virtual absl::StatusOr<InsertedVersion> InsertVersion(
      const NewModelVersion& version) = 0;
  virtual absl::StatusOr<ModelVersionInfo> GetVersion(
      std::string_view model, std::string_view version) = 0;
  // Every version of `model`, in no particular order (the registry sorts
  // by precedence). MODEL_NOT_FOUND for an unknown model.
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> ListVersions(
      std::string_view model) = 0;
  // Every version of every model (for search).
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> ListAllVersions() = 0;
  virtual absl::StatusOr<std::vector<ModelVersionInfo>> VersionsOfRun(
      std::string_view run_id) = 0;

  // Points `alias` at `version`; returns the version it pointed at before
  // (empty when new).
  virtual absl::StatusOr<std::string> SetAlias(std::string_view model,
                                               std::string_view alias,
                                               std::string_view version,
                                               int64_t now_ms) = 0;
  // Returns the version the alias pointed at.
  virtual absl::StatusOr<std::string> DeleteAlias(std::string_view model,
                                                  std::string_view alias) = 0;

  // Moves the approval from `event.from` to `event.to` (Aborted
  // CONCURRENT_UPDATE if it is no longer `event.from`) and records the
  // event.
  virtual absl::Status SetApproval(std::string_view model,
                                   std::string_view version,
                                   const ApprovalEvent& event) = 0;
  virtual absl::StatusOr<std::vector<ApprovalEvent>> ApprovalHistory(
      std::string_view model, std::string_view version) = 0;

  virtual absl::Status AddValidation(const ValidationRecord& record) = 0;
  // Oldest first; every environment when `environment` is empty.
  virtual absl::StatusOr<std::vector<ValidationRecord>> ListValidations(
      std::string_view model, std::string_view version,
      std::string_view environment) = 0;

  virtual absl::Status SetArchived(std::string_view model,
                                   std::string_view version, bool archived) = 0;
  // Deletes the version and its lists (VERSION_HAS_ALIAS while an alias
  // points at it). Artifact blobs stay (they may be shared).
  virtual absl::Status DeleteVersion(std::string_view model,
                                     std::string_view version) = 0;

  // Deployment history (written by rollouts) and holds (a rollout in
  // progress holds the versions it uses). All three are idempotent:
  // recording the same (endpoint, model, version, at_ms) again, setting a
  // hold that exists or releasing one that does not changes nothing.
  virtual absl::Status RecordDeployment(std::string_view endpoint,
                                        std::string_view model,
                                        std::string_view version,
                                        int64_t at_ms) = 0;
  virtual absl::Status SetHold(std::string_view model, std::string_view version,
                               std::string_view holder,
                               std::string_view reason) = 0;
  virtual absl::Status ReleaseHold(std::string_view model,
                                   std::string_view version,
                                   std::string_view holder) = 0;
  // The versions of `model` retention must keep: the `recent_per_endpoint`
  // most recently deployed versions of every endpoint that served the
  // model, and every held version.
  virtual absl::StatusOr<std::vector<VersionHold>> ProtectedVersions(
      std::string_view model, int recent_per_endpoint) = 0;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_REGISTRY_BACKEND_H_
