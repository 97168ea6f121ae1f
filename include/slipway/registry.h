// The model registry's value types (docs/registry.md): registered models and
// their versions, aliases, approvals, validation records and lineage. The
// operations are Store methods (slipway/store.h).
//
// A model's versions use one scheme, fixed by its first version: semantic
// versions ("2.4.1", "1.0.0-rc.1") or integer revisions (1, 2, 3, assigned
// when no version is given). Versions are listed in precedence order
// (pre-releases before their release). `latest` is an alias the registry
// resolves to the highest version that is not archived; it is refused in
// production (SPEC §1).
//
// Thread-safety: plain values.
#ifndef SLIPWAY_REGISTRY_H_
#define SLIPWAY_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway {

using KeyValueList = std::vector<std::pair<std::string, std::string>>;

// Approval of a version: None -> PendingApproval -> Approved / Rejected.
// Legal moves (anything else is FailedPrecondition APPROVAL_TRANSITION_INVALID):
//   None            -> PendingApproval, Approved, Rejected
//   PendingApproval -> Approved, Rejected
//   Approved        -> Rejected          (an approval withdrawn)
//   Rejected        -> PendingApproval   (resubmitted)
enum class ApprovalStatus { kNone, kPendingApproval, kApproved, kRejected };

// "None", "PendingApproval", "Approved", "Rejected".
std::string_view ApprovalStatusName(ApprovalStatus status);
// The inverse of ApprovalStatusName (exact spelling); InvalidArgument
// APPROVAL_STATUS_INVALID otherwise.
absl::StatusOr<ApprovalStatus> ParseApprovalStatus(std::string_view name);

enum class VersionScheme { kSemver, kRevision };

// Who performs a registry operation. Empty fields come from the
// environment: SLIPWAY_ACTOR (else $USER) and SLIPWAY_ROLE.
struct Actor {
  std::string name;
  std::string role;
};

// Which roles may do what, per environment (SPEC §7). A rule's
// `environment` is an environment name, or a kind ("production",
// "staging", "development") covering every environment of that kind, so
// renamed environments keep their gates. An action that has no rule for an
// environment is open to every actor there. Actions:
//   "approve"           approval -> Approved
//   "reject"            approval -> Rejected
//   "request_approval"  approval -> PendingApproval
//   "set_alias", "delete_alias", "archive_version", "delete_version"
// A refused action is FailedPrecondition ROLE_REQUIRED (Python GateError)
// naming the roles that would do.
struct RoleRule {
  std::string environment;
  std::string action;
  std::vector<std::string> roles;
};

struct RolePolicy {
  // Default: in production and staging, approving and rejecting need
  // data-science-lead, platform-lead or admin; in production, deleting a
  // version needs platform-lead or admin. Everything else is open.
  std::vector<RoleRule> rules = DefaultRoleRules();

  static std::vector<RoleRule> DefaultRoleRules();
};

struct RegisteredModel {
  std::string name;
  std::string description;
  KeyValueList tags;
  // Unset until the first version is registered.
  std::optional<VersionScheme> scheme;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // alias -> version, sorted by alias.
  KeyValueList aliases;
};

// One stored artifact of a version: a file, at `path` relative to the
// version's artifact root, with its content digest ("sha256:<64 hex>").
struct ArtifactFile {
  std::string path;
  std::string digest;
  int64_t size_bytes = 0;
};

// A dataset a version was trained or evaluated on: a validated path
// (SPEC §1) and, optionally, a digest of its content.
struct DatasetRef {
  std::string path;
  std::string digest;
};

struct ModelVersionInfo {
  std::string model;
  std::string version;  // canonical spelling ("2.4.1", "7")
  std::string run_id;   // source run, or empty
  std::string code_version;
  std::string description;
  std::string metadata_json = "{}";   // free-form JSON object
  std::string signature_json = "{}";  // {"inputs": ..., "outputs": ...}
  std::vector<ArtifactFile> artifacts;  // sorted by path
  std::vector<DatasetRef> datasets;     // sorted by path
  KeyValueList tags;                    // sorted by key
  std::vector<std::string> aliases;     // sorted
  ApprovalStatus approval = ApprovalStatus::kNone;
  bool archived = false;
  int64_t created_ms = 0;
  std::string created_by;
};

// What RegisterModelVersion creates. The model is created when missing.
struct RegisterModelVersionRequest {
  std::string model;
  // A semantic version, or empty for the next integer revision (1 for a
  // new model). An integer is accepted for a revision-scheme model.
  std::string version;
  // The source run (its params, metrics and datasets become the version's
  // lineage), or empty.
  std::string run_id;
  // Files or directories to store (content-addressed) as the version's
  // artifacts; a directory keeps its tree under its own name.
  std::vector<std::string> artifact_paths;
  std::vector<DatasetRef> datasets;
  std::string code_version;
  std::string description;
  std::string metadata_json = "{}";
  std::string signature_json = "{}";
  KeyValueList tags;
  Actor actor;
};

struct ApprovalEvent {
  ApprovalStatus from = ApprovalStatus::kNone;
  ApprovalStatus to = ApprovalStatus::kNone;
  std::string actor;
  std::string role;
  std::string reason;
  std::string environment;
  int64_t at_ms = 0;
};

struct ValidationCheck {
  std::string name;  // e.g. "accuracy", "bias_gap", "latency_p99_ms"
  double value = 0;
};

// One validation of a version in one environment: named checks with their
// values and the overall verdict.
struct ValidationRecord {
  std::string model;
  std::string version;
  std::string environment;
  std::vector<ValidationCheck> checks;
  bool passed = false;
  std::string actor;
  int64_t recorded_ms = 0;
};

// A version with where it came from: its run (params, metrics, tags) and
// its datasets. `run` is unset for a version registered without a run.
struct VersionLineage {
  ModelVersionInfo version;
  bool has_run = false;
  std::string run_id;
  std::string experiment;
  KeyValueList params;
  std::vector<std::pair<std::string, double>> metrics;  // last values
  KeyValueList run_tags;
};

}  // namespace slipway

#endif  // SLIPWAY_REGISTRY_H_
