// Auditor: the one call path that appends to the audit log (DESIGN.md
// decision 9, design 0003 decision 1). Registry, emergency stop and rollout
// code never write audit rows themselves; they describe what they do as an
// AuditEvent and either
//
//   - wrap the operation:  return auditor.Run(event, [&] { return DoIt(); });
//     which times it, derives the outcome from the status it returns, and
//     appends one record whether it succeeded, failed or was refused; or
//   - record a fact:       auditor.Record(event);
//
// Each append is one write transaction that extends the hash chain
// (audit_record.h, AuditBackend::AppendAudit), so several processes on one
// store build one chain.
//
// Outcome of Run (SPEC §6 success | failure | denied), unless the event sets
// one explicitly:
//   - OK                                   → success
//   - FailedPrecondition, except reasons of the store itself (STORE_*) and
//     PATH_CONFLICT                        → denied: a gate, a policy, a role
//                                            check, the emergency stop or an
//                                            illegal transition refused it
//   - any other error                      → failure
// A failed or refused operation's record also carries the error's reason
// and message (AuditRecord::reason, ::message).
//
// An operation refused by EmergencyStop::Check is audited by the check
// itself (with the event it was given); the status it returns is marked
// (IsAudited), and Run does not append a second record for it.
//
// Time comes from the Env's clock (FakeClock in tests): the timestamp is when
// the operation started, duration_ms how long it ran on that clock.
//
// Thread-safety: thread-safe (the backend serialises appends).
#ifndef SLIPWAY_SRC_AUDIT_AUDITOR_H_
#define SLIPWAY_SRC_AUDIT_AUDITOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/env.h"
#include "src/audit/audit_record.h"
#include "src/audit/chain.h"
#include "src/storage/audit_backend.h"
#include "src/storage/rollout_backend.h"

namespace slipway::internal_audit {

using AuditQuery = internal_storage::AuditQuery;

// Reads an environment variable: its value, or nullopt when unset.
using EnvVarReader =
    std::function<std::optional<std::string>(std::string_view name)>;

// The process's environment (getenv).
EnvVarReader ProcessEnvVars();

// What an operation is, for its audit record. Empty strings mean "not
// applicable" and are recorded as such. docs/audit.md lists the commands
// slipway records.
struct AuditEvent {
  // The environment acted in ("production", ...); empty if none applies.
  std::string environment;
  // The operation, "<resource>.<verb>" (e.g. "model.create").
  std::string command;
  // What it acts on (e.g. "model_version", "fraud-detection").
  std::string resource_type;
  std::string resource_name;
  // The verb (e.g. "create", "approve").
  std::string action;
  std::string model_name;
  std::string model_version;
  std::string previous_version;
  std::string change_ticket;
  std::string rollback_config;
  // Who acted: empty means the Auditor's defaults (AuditorOptions).
  std::string agent;
  std::string user;
  // Record: the outcome (default success). Run: overrides the outcome
  // derived from the returned status.
  std::optional<AuditOutcome> outcome;
  // Record only: how long the operation took (Run measures it).
  int64_t duration_ms = 0;
  // Why it ended as it did. Run fills both from a failed status when they
  // are empty; Record takes them as given (e.g. a warning on a success).
  std::string reason;
  std::string message;
};

struct AuditorOptions {
  // The `agent` recorded when an event names none. Empty: $SLIPWAY_AGENT,
  // else "slipway/<version>".
  std::string agent;
  // The `user` recorded when an event names none. Empty: $SLIPWAY_ACTOR,
  // else $USER, else $LOGNAME, else "unknown".
  std::string user;
  // Where those variables are read (once, at construction). Null: the
  // process environment. Tests pass a map.
  EnvVarReader env_vars;
};

// The absl::Status payload that marks a refusal already in the audit log;
// its content is the record's seq in decimal.
inline constexpr char kAuditedPayloadUrl[] =
    "type.slipway.dev/slipway.v1.Audited";

// Returns `status` (not OK) marked as audited in record `seq`.
absl::Status MarkAudited(absl::Status status, int64_t seq);

// Returns whether `status` carries the kAuditedPayloadUrl mark.
bool IsAudited(const absl::Status& status);

// The outcome Run records for `status` (the table in the header comment).
AuditOutcome OutcomeOf(const absl::Status& status);

class Auditor {
 public:
  // `backend` must outlive the Auditor. Null members of `env` use the
  // defaults (Env::Default()); only the clock and, for export to a path,
  // the file system are used.
  Auditor(internal_storage::AuditBackend* backend, Env env,
          AuditorOptions options = {});

  Auditor(const Auditor&) = delete;
  Auditor& operator=(const Auditor&) = delete;

  // Appends one record for `event`: timestamp now, outcome
  // event.outcome or success, duration_ms as given (negative reads as 0).
  // Text that is not valid UTF-8 is recorded with U+FFFD in place of the
  // bad bytes. Errors: those of AuditBackend::AppendAudit (DataLoss
  // AUDIT_CHAIN_BROKEN, Unavailable STORE_BUSY, ...).
  absl::Status Record(const AuditEvent& event);

  // As Record, and returns the record as stored (seq, hashes).
  absl::StatusOr<AuditRecord> Append(const AuditEvent& event);

  // Builds the record of `event` (timestamp now, outcome event.outcome or
  // success, duration_ms as given) with the seal that hashes it, for a
  // backend that appends it inside its own transaction (the rollout
  // controller writes a transition and its record in one transaction,
  // RolloutBackend::ApplyTransition). Nothing is written here.
  internal_storage::AuditAppend Prepare(const AuditEvent& event) const;

  // Runs `op` and appends its record (outcome per the header comment,
  // reason/message from its error, timestamp at the start, duration_ms
  // measured), then returns what `op` returned. `op` takes no argument or
  // an `AuditEvent&` (to fill in what it learns, e.g. previous_version),
  // and returns absl::Status or absl::StatusOr<T>.
  //
  // If the record cannot be appended: after a successful `op`, that error
  // is returned, its message saying the operation took effect; after a
  // failed `op`, `op`'s error is returned with a note of the audit failure
  // added to its message (code and detail unchanged).
  template <typename Op>
  auto Run(AuditEvent event, Op&& op) {
    const absl::Time start = clock_->Now();
    auto result = [&] {
      if constexpr (std::is_invocable_v<Op&, AuditEvent&>) {
        return op(event);
      } else {
        return op();
      }
    }();
    using Result = decltype(result);
    absl::Status status = StatusOf(result);
    absl::Status finished = Finish(event, start, status);
    if (!finished.ok()) return Result(std::move(finished));
    return result;
  }

  // The records matching `query`, in seq order (AuditBackend::ReadAudit).
  absl::StatusOr<std::vector<AuditRecord>> Read(const AuditQuery& query);

  // Walks the whole chain: OK, or DataLoss AUDIT_CHAIN_BROKEN naming the
  // first bad seq and why (chain.h).
  absl::Status Verify();
  absl::StatusOr<ChainReport> CheckChain();

  // Writes the records with timestamp >= `since` (all when unset) as JSON
  // lines (audit_record.h), in seq order; returns how many. The hashes are
  // exported as stored: Verify checks them.
  absl::StatusOr<int64_t> ExportJsonLines(
      std::ostream& out, std::optional<absl::Time> since = std::nullopt);
  // The same into the file at `path`, replaced atomically
  // (FileSystem::WriteFileAtomically); its errors are returned.
  absl::StatusOr<int64_t> ExportJsonLines(
      const std::string& path, std::optional<absl::Time> since = std::nullopt);

  // The defaults resolved at construction.
  const std::string& default_agent() const { return agent_; }
  const std::string& default_user() const { return user_; }
  Clock* clock() const { return clock_; }

 private:
  static absl::Status StatusOf(const absl::Status& s) { return s; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& s) {
    return s.status();
  }

  // Builds the record of `event` (defaults, UTF-8 repair).
  AuditRecord ToRecord(const AuditEvent& event, absl::Time timestamp,
                       AuditOutcome outcome, int64_t duration_ms) const;
  // Run's tail: appends the record unless `status` is already audited;
  // returns what Run must return instead of the operation's result, or OK.
  absl::Status Finish(const AuditEvent& event, absl::Time start,
                      const absl::Status& status);

  internal_storage::AuditBackend* const backend_;
  const Env env_;
  Clock* const clock_;
  const std::string agent_;
  const std::string user_;
};

}  // namespace slipway::internal_audit

#endif  // SLIPWAY_SRC_AUDIT_AUDITOR_H_
