#include "src/audit/auditor.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "slipway/slipway.h"
#include "slipway/status.h"
#include "src/audit/audit_record.h"
#include "src/audit/chain.h"
#include "src/errors/strings.h"

namespace slipway::internal_audit {
namespace {

using internal_strings::Cat;

// Messages longer than this are cut in the record (the store keeps the
// operation's own error whole; the record only needs enough to explain).
constexpr size_t kMaxRecordedMessage = 2000;

std::string FirstSet(const EnvVarReader& env_vars,
                     std::initializer_list<std::string_view> names,
                     std::string fallback) {
  for (std::string_view name : names) {
    std::optional<std::string> value = env_vars(name);
    if (value.has_value() && !value->empty()) return *std::move(value);
  }
  return fallback;
}

std::string ResolveAgent(const AuditorOptions& options,
                         const EnvVarReader& env_vars) {
  if (!options.agent.empty()) return ValidUtf8(options.agent);
  return ValidUtf8(FirstSet(env_vars, {"SLIPWAY_AGENT"},
                            Cat("slipway/", slipway::Version())));
}

std::string ResolveUser(const AuditorOptions& options,
                        const EnvVarReader& env_vars) {
  if (!options.user.empty()) return ValidUtf8(options.user);
  return ValidUtf8(
      FirstSet(env_vars, {"SLIPWAY_ACTOR", "USER", "LOGNAME"}, "unknown"));
}

// `status` with `note` appended to its message; code and payloads kept.
absl::Status WithNote(const absl::Status& status, std::string_view note) {
  absl::Status out(status.code(), Cat(status.message(), note));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

}  // namespace

EnvVarReader ProcessEnvVars() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::Status MarkAudited(absl::Status status, int64_t seq) {
  if (!status.ok()) status.SetPayload(kAuditedPayloadUrl, absl::Cord(Cat(seq)));
  return status;
}

bool IsAudited(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kAuditedPayloadUrl).has_value();
}

AuditOutcome OutcomeOf(const absl::Status& status) {
  if (status.ok()) return AuditOutcome::kSuccess;
  if (status.code() != absl::StatusCode::kFailedPrecondition) {
    return AuditOutcome::kFailure;
  }
  // FailedPrecondition means a rule refused the operation (docs/errors.md),
  // except when the store itself is in the way: those are failures.
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  if (detail.has_value() && (detail->reason.starts_with("STORE_") ||
                             detail->reason == "PATH_CONFLICT")) {
    return AuditOutcome::kFailure;
  }
  return AuditOutcome::kDenied;
}

Auditor::Auditor(internal_storage::AuditBackend* backend, Env env,
                 AuditorOptions options)
    : backend_(backend),
      env_(env.WithDefaults()),
      clock_(env_.clock),
      agent_(ResolveAgent(options, options.env_vars ? options.env_vars
                                                    : ProcessEnvVars())),
      user_(ResolveUser(options, options.env_vars ? options.env_vars
                                                  : ProcessEnvVars())) {}

AuditRecord Auditor::ToRecord(const AuditEvent& event, absl::Time timestamp,
                              AuditOutcome outcome,
                              int64_t duration_ms) const {
  AuditRecord r;
  r.timestamp_ms = absl::ToUnixMillis(timestamp);
  r.agent = event.agent.empty() ? agent_ : ValidUtf8(event.agent);
  r.user = event.user.empty() ? user_ : ValidUtf8(event.user);
  r.environment = ValidUtf8(event.environment);
  r.command = ValidUtf8(event.command);
  r.resource_type = ValidUtf8(event.resource_type);
  r.resource_name = ValidUtf8(event.resource_name);
  r.action = ValidUtf8(event.action);
  r.model_name = ValidUtf8(event.model_name);
  r.model_version = ValidUtf8(event.model_version);
  r.previous_version = ValidUtf8(event.previous_version);
  r.change_ticket = ValidUtf8(event.change_ticket);
  r.outcome = outcome;
  r.rollback_config = ValidUtf8(event.rollback_config);
  // A wall clock stepped back mid-operation must not make a negative
  // duration (the schema refuses one).
  r.duration_ms = std::max<int64_t>(0, duration_ms);
  r.reason = ValidUtf8(event.reason);
  std::string_view message = event.message;
  if (message.size() > kMaxRecordedMessage) {
    message = message.substr(0, kMaxRecordedMessage);
  }
  r.message = ValidUtf8(message);
  return r;
}

absl::StatusOr<AuditRecord> Auditor::Append(const AuditEvent& event) {
  AuditRecord record =
      ToRecord(event, clock_->Now(),
               event.outcome.value_or(AuditOutcome::kSuccess),
               event.duration_ms);
  return backend_->AppendAudit(std::move(record), Seal);
}

internal_storage::AuditAppend Auditor::Prepare(const AuditEvent& event) const {
  internal_storage::AuditAppend out;
  out.record = ToRecord(event, clock_->Now(),
                        event.outcome.value_or(AuditOutcome::kSuccess),
                        event.duration_ms);
  out.seal = Seal;
  return out;
}

absl::Status Auditor::Record(const AuditEvent& event) {
  return Append(event).status();
}

absl::Status Auditor::Finish(const AuditEvent& event, absl::Time start,
                             const absl::Status& status) {
  // EmergencyStop::Check already recorded this refusal, with the event it
  // was given: one record per operation.
  if (IsAudited(status)) return absl::OkStatus();
  const absl::Time end = clock_->Now();
  AuditEvent filled = event;
  if (!status.ok()) {
    if (filled.reason.empty()) {
      std::optional<ErrorDetail> detail = GetErrorDetail(status);
      filled.reason = detail.has_value()
                          ? detail->reason
                          : std::string(absl::StatusCodeToString(status.code()));
    }
    if (filled.message.empty()) filled.message = std::string(status.message());
  }
  AuditRecord record =
      ToRecord(filled, start, event.outcome.value_or(OutcomeOf(status)),
               absl::ToInt64Milliseconds(end - start));
  absl::StatusOr<AuditRecord> appended =
      backend_->AppendAudit(std::move(record), Seal);
  if (appended.ok()) return absl::OkStatus();
  if (status.ok()) {
    return WithNote(appended.status(),
                    " (the operation itself succeeded and took effect; only "
                    "its audit record is missing)");
  }
  return WithNote(status, Cat(" (its audit record could not be written: ",
                              appended.status().message(), ")"));
}

absl::StatusOr<std::vector<AuditRecord>> Auditor::Read(
    const AuditQuery& query) {
  return backend_->ReadAudit(query);
}

absl::Status Auditor::Verify() { return VerifyChain(*backend_); }

absl::StatusOr<ChainReport> Auditor::CheckChain() {
  return internal_audit::CheckChain(*backend_);
}

absl::StatusOr<int64_t> Auditor::ExportJsonLines(
    std::ostream& out, std::optional<absl::Time> since) {
  std::optional<int64_t> since_ms;
  if (since.has_value()) since_ms = absl::ToUnixMillis(*since);
  return WriteJsonLines(*backend_, out, since_ms);
}

absl::StatusOr<int64_t> Auditor::ExportJsonLines(
    const std::string& path, std::optional<absl::Time> since) {
  std::ostringstream lines;
  absl::StatusOr<int64_t> written = ExportJsonLines(lines, since);
  if (!written.ok()) return written.status();
  if (absl::Status s = env_.file_system->WriteFileAtomically(path, lines.str());
      !s.ok()) {
    return s;
  }
  return written;
}

}  // namespace slipway::internal_audit
