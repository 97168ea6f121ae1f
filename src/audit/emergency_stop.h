// EmergencyStop: the one check every production operation makes (SPEC §5,
// design 0003 decision 3).
//
// The stop is two flags; either one set stops:
//   - a file (EmergencyStopOptions::file_path, else the environment variable
//     SLIPWAY_EMERGENCY_STOP_FILE, else `slipway.STOP` in the store's
//     directory; a `:memory:` store has no default file). Anyone who can
//     write that directory can stop everything with `touch`, even when the
//     store itself is busy or damaged. Its content, if any, is shown as the
//     reason.
//   - a row in the store (emergency_stop), so every machine sharing the
//     store sees it. Activate sets it with who, why and when.
//
// Call sites:
//
//   return auditor.Run(event, [&]() -> absl::Status {
//     if (absl::Status s = stop.Check(Operation::kModelCreate, event);
//         !s.ok()) return s;
//     return backend.CreateModel(...);
//   });
//
// While a flag is set, Check refuses the listed operations (Operation) in a
// production environment with FailedPrecondition EMERGENCY_STOP_ACTIVE,
// naming the flag (file path, or the store row with who set it, why and
// when) and how to clear it; the refusal is audited (outcome denied) by
// Check itself, and the returned status is marked so that the surrounding
// Auditor::Run does not record it twice. In other environments a set flag
// warns (EmergencyStopOptions::warn) and audits the skipped safeguard, and
// the operation goes on (SPEC §7), unless
// EmergencyStopOptions::enforce_in_all_environments. An environment the
// policy does not know is treated as production: the stop errs on the side
// of stopping.
//
// Reads and experiment logging never call Check (SPEC §5: they go on).
//
// Thread-safety: thread-safe. Every Check reads both flags afresh (one
// file-existence check and one read transaction), so a flag set by another
// process is seen by the next operation.
#ifndef SLIPWAY_SRC_AUDIT_EMERGENCY_STOP_H_
#define SLIPWAY_SRC_AUDIT_EMERGENCY_STOP_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "slipway/validate.h"
#include "src/audit/auditor.h"
#include "src/storage/audit_backend.h"

namespace slipway::internal_audit {

using StopFlag = internal_storage::StopFlag;

// The production operations the stop halts (SPEC §5).
enum class Operation {
  kEndpointCreate,
  kEndpointUpdate,
  kEndpointDelete,
  kModelCreate,
  kModelDelete,
  kTrainingPipelineTrigger,  // a production training pipeline run
  kTrafficChange,            // production traffic weights of an endpoint
  kFeatureWrite,             // a write to a production feature group
  kApproveVersion,           // a registry status change to Approved
};

// Every Operation, in declaration order.
inline constexpr Operation kAllOperations[] = {
    Operation::kEndpointCreate,   Operation::kEndpointUpdate,
    Operation::kEndpointDelete,   Operation::kModelCreate,
    Operation::kModelDelete,      Operation::kTrainingPipelineTrigger,
    Operation::kTrafficChange,    Operation::kFeatureWrite,
    Operation::kApproveVersion,
};

// The audit vocabulary of an operation: its command ("endpoint.create"),
// resource type ("endpoint") and verb ("create").
struct OperationInfo {
  std::string_view command;
  std::string_view resource_type;
  std::string_view action;
};
OperationInfo DescribeOperation(Operation operation);

struct EmergencyStopOptions {
  // The stop file. Empty: $SLIPWAY_EMERGENCY_STOP_FILE, else slipway.STOP
  // in the directory of `store_path`, else none.
  std::string file_path;
  // The store's path (Database::path()), for the default file location.
  // Empty or ":memory:": no default file (only file_path or the variable).
  std::string store_path;
  // Which environment names are production (ValidationPolicy::environments)
  // and which one an empty name means (ValidationPolicy::environment).
  // Null: DefaultValidationPolicy(). Not owned; must outlive the stop.
  const ValidationPolicy* policy = nullptr;
  // SPEC §7 "unless the policy says otherwise": true refuses the listed
  // operations in every environment, not only production. Default false:
  // outside production a set flag warns and audits.
  bool enforce_in_all_environments = false;
  // How error messages tell people to clear the store flag; the Store sets
  // its command-line and Python spellings here.
  std::string clear_hint = "EmergencyStop::Clear (the store's clear call)";
  // Receives each warning (a set flag outside production), one line.
  // Null: written to stderr as "slipway: warning: ...".
  std::function<void(std::string_view)> warn;
  // Where SLIPWAY_EMERGENCY_STOP_FILE is read (once, at construction).
  // Null: the process environment.
  EnvVarReader env_vars;
};

// Both flags as they are now.
struct StopState {
  // The stop file checked ("" when this store has none), whether it exists,
  // and its content (cut after 1,000 bytes).
  std::string file_path;
  bool file_set = false;
  std::string file_content;
  // The store's flag, if set.
  std::optional<StopFlag> store;

  bool active() const { return file_set || store.has_value(); }
};

class EmergencyStop {
 public:
  // `backend` and `auditor` must outlive the stop. Null members of `env`
  // use the defaults; the clock stamps the store flag, the file system
  // reads and deletes the stop file.
  EmergencyStop(internal_storage::AuditBackend* backend, Auditor* auditor,
                Env env, EmergencyStopOptions options = {});

  EmergencyStop(const EmergencyStop&) = delete;
  EmergencyStop& operator=(const EmergencyStop&) = delete;

  // The check (header comment). `context` describes the operation for the
  // audit record (its environment is the one checked; empty fields take
  // the operation's command, resource type and action). Returns OK when
  // the operation may go on.
  //
  // Errors: FailedPrecondition EMERGENCY_STOP_ACTIVE (audited, marked
  // IsAudited); errors reading the flags (the file system's, e.g.
  // PermissionDenied, or the store's, e.g. Unavailable STORE_BUSY: the
  // operation must not go on unchecked); outside production, the error of
  // appending the warning's record.
  absl::Status Check(Operation operation, const AuditEvent& context);
  // As above with only an environment.
  absl::Status Check(Operation operation, std::string_view environment);

  // Sets the store flag (every machine sharing the store sees it) with
  // `reason`, `actor` (empty: the Auditor's default user) and the clock's
  // now, replacing a flag already set. Audited as
  // "emergency_stop.activate". Errors: the store's.
  absl::Status Activate(std::string_view reason, std::string_view actor = "");

  // Clears both flags: deletes the stop file if it exists and clears the
  // store row. Audited as "emergency_stop.clear" (also when nothing was
  // set). Errors: the file system's (e.g. PermissionDenied deleting the
  // file; the store row is then left as it was) and the store's.
  absl::Status Clear(std::string_view actor = "");

  // Both flags as they are now. A read: not audited. Errors: as Check's
  // reads.
  absl::StatusOr<StopState> Status();

  // The stop file this stop checks ("" for none).
  const std::string& file_path() const { return file_path_; }

 private:
  bool Enforced(std::string_view environment) const;

  internal_storage::AuditBackend* const backend_;
  Auditor* const auditor_;
  const Env env_;
  const EmergencyStopOptions options_;
  const ValidationPolicy& policy_;
  const std::string file_path_;
};

}  // namespace slipway::internal_audit

#endif  // SLIPWAY_SRC_AUDIT_EMERGENCY_STOP_H_
