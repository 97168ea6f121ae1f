#include "src/audit/emergency_stop.h"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/status.h"
#include "slipway/time.h"
#include "src/errors/strings.h"

namespace slipway::internal_audit {
namespace {

using internal_strings::Cat;

constexpr char kStopFileName[] = "slipway.STOP";
constexpr char kStopFileVariable[] = "SLIPWAY_EMERGENCY_STOP_FILE";
constexpr size_t kMaxFileContent = 1000;

std::string ResolveFilePath(const EmergencyStopOptions& options) {
  if (!options.file_path.empty()) return options.file_path;
  const EnvVarReader env_vars =
      options.env_vars ? options.env_vars : ProcessEnvVars();
  if (std::optional<std::string> from_env = env_vars(kStopFileVariable);
      from_env.has_value() && !from_env->empty()) {
    return *from_env;
  }
  if (options.store_path.empty() || options.store_path == ":memory:") {
    return "";
  }
  const std::filesystem::path dir =
      std::filesystem::path(options.store_path).parent_path();
  return dir.empty() ? std::string(kStopFileName)
                     : (dir / kStopFileName).string();
}

// Trims trailing white space (a file written by `echo` ends in a newline).
std::string_view TrimEnd(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' ||
                           text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// "file /x/slipway.STOP (\"reason\")" / "store flag set by alice at ...".
std::string DescribeFlags(const StopState& state) {
  std::string out;
  if (state.file_set) {
    out = Cat("the stop file ", QuoteForMessage(state.file_path));
    if (!state.file_content.empty()) {
      out += Cat(" (", QuoteForMessage(state.file_content), ")");
    }
  }
  if (state.store.has_value()) {
    if (!out.empty()) out += " and ";
    out += Cat("the store's stop flag, set by ",
               QuoteForMessage(state.store->actor), " at ",
               FormatRfc3339(absl::FromUnixMillis(state.store->set_ms)),
               state.store->reason.empty()
                   ? std::string(" (no reason given)")
                   : Cat(": ", QuoteForMessage(state.store->reason)));
  }
  return out;
}

std::string HowToClear(const StopState& state, std::string_view clear_hint) {
  std::string out = "To resume once the incident is over, ";
  if (state.file_set) {
    out += Cat("delete the stop file (rm ", QuoteForMessage(state.file_path),
               ")");
    if (state.store.has_value()) out += " and clear the store's flag";
    out += Cat(", or clear ", state.store.has_value() ? "both" : "it",
               " with ", clear_hint, ".");
  } else {
    out += Cat("clear the store's flag with ", clear_hint, ".");
  }
  return out;
}

// The record of activating or clearing the stop: store-wide ("*").
AuditEvent StopEvent(std::string_view verb, std::string_view actor) {
  AuditEvent event;
  event.environment = "*";
  event.command = Cat("emergency_stop.", verb);
  event.resource_type = "emergency_stop";
  event.resource_name = "store";
  event.action = std::string(verb);
  event.user = std::string(actor);
  return event;
}

}  // namespace

OperationInfo DescribeOperation(Operation operation) {
  switch (operation) {
    case Operation::kEndpointCreate:
      return {"endpoint.create", "endpoint", "create"};
    case Operation::kEndpointUpdate:
      return {"endpoint.update", "endpoint", "update"};
    case Operation::kEndpointDelete:
      return {"endpoint.delete", "endpoint", "delete"};
    case Operation::kModelCreate:
      return {"model.create", "model", "create"};
    case Operation::kModelDelete:
      return {"model.delete", "model", "delete"};
    case Operation::kTrainingPipelineTrigger:
      return {"pipeline.trigger", "pipeline", "trigger"};
    case Operation::kTrafficChange:
      return {"endpoint.set_traffic", "endpoint", "set_traffic"};
    case Operation::kFeatureWrite:
      return {"feature_group.write", "feature_group", "write"};
    case Operation::kApproveVersion:
      return {"model_version.approve", "model_version", "approve"};
  }
  return {"unknown", "unknown", "unknown"};
}

EmergencyStop::EmergencyStop(internal_storage::AuditBackend* backend,
                             Auditor* auditor, Env env,
                             EmergencyStopOptions options)
    : backend_(backend),
      auditor_(auditor),
      env_(env.WithDefaults()),
      options_(std::move(options)),
      policy_(options_.policy != nullptr ? *options_.policy
                                         : DefaultValidationPolicy()),
      file_path_(ResolveFilePath(options_)) {}

absl::StatusOr<StopState> EmergencyStop::Status() {
  StopState state;
  state.file_path = file_path_;
  if (!file_path_.empty()) {
    absl::StatusOr<bool> exists = env_.file_system->Exists(file_path_);
    if (!exists.ok()) return exists.status();
    state.file_set = *exists;
    if (state.file_set) {
      // The file's existence is the flag; its content is only shown. A file
      // we may not read (or a directory) still stops.
      absl::StatusOr<std::string> content =
          env_.file_system->ReadFile(file_path_);
      if (content.ok()) {
        std::string_view text = TrimEnd(*content);
        if (text.size() > kMaxFileContent) text = text.substr(0, kMaxFileContent);
        state.file_content = ValidUtf8(text);
      }
    }
  }
  absl::StatusOr<std::optional<StopFlag>> row = backend_->GetStopFlag();
  if (!row.ok()) return row.status();
  state.store = *std::move(row);
  return state;
}

bool EmergencyStop::Enforced(std::string_view environment) const {
  if (options_.enforce_in_all_environments) return true;
  absl::StatusOr<EnvironmentKind> kind = policy_.KindOf(
      environment.empty() ? std::string_view(policy_.environment)
                          : environment);
  // Unknown environments are treated as production (header comment).
  return !kind.ok() || *kind == EnvironmentKind::kProduction;
}

absl::Status EmergencyStop::Check(Operation operation,
                                  std::string_view environment) {
  AuditEvent context;
  context.environment = std::string(environment);
  return Check(operation, context);
}

absl::Status EmergencyStop::Check(Operation operation,
                                  const AuditEvent& context) {
  absl::StatusOr<StopState> state = Status();
  if (!state.ok()) return state.status();
  if (!state->active()) return absl::OkStatus();

  const OperationInfo info = DescribeOperation(operation);
  const std::string environment = context.environment.empty()
                                      ? policy_.environment
                                      : context.environment;
  AuditEvent event = context;
  event.environment = environment;
  if (event.command.empty()) event.command = std::string(info.command);
  if (event.resource_type.empty()) {
    event.resource_type = std::string(info.resource_type);
  }
  if (event.action.empty()) event.action = std::string(info.action);
  event.reason = "EMERGENCY_STOP_ACTIVE";
  const std::string flags = DescribeFlags(*state);

  if (Enforced(environment)) {
    // SPEC §5: the operation is refused, naming the flag and how to clear it.
    const std::string fix = HowToClear(*state, options_.clear_hint);
    absl::Status refused = MakeError(
        absl::StatusCode::kFailedPrecondition,
        Cat("emergency stop is active: ", info.command, " in ",
            QuoteForMessage(environment), " is halted by ", flags, ". ", fix),
        ErrorDetail{.reason = "EMERGENCY_STOP_ACTIVE",
                    .rule = "SPEC §5: while the stop flag is set, production "
                            "operations are halted",
                    .value = state->file_set ? state->file_path
                                             : std::string("store"),
                    .fix = fix});
    event.outcome = AuditOutcome::kDenied;
    event.message = std::string(refused.message());
    absl::StatusOr<AuditRecord> recorded = auditor_->Append(event);
    if (!recorded.ok()) {
      // Still refused; say that the refusal is not in the log.
      return MakeError(
          refused.code(),
          Cat(refused.message(), " (this refusal could not be audited: ",
              recorded.status().message(), ")"),
          *GetErrorDetail(refused));
    }
    return MarkAudited(std::move(refused), recorded->seq);
  }

  // SPEC §7: outside production the stop warns, records the skipped
  // safeguard, and lets the operation go on.
  const std::string warning =
      Cat("emergency stop is active (", flags, "), but ", info.command,
          " in ", QuoteForMessage(environment),
          " goes on: the stop is enforced in production environments only "
          "(SPEC §7)");
  if (options_.warn) {
    options_.warn(warning);
  } else {
    std::fprintf(stderr, "slipway: warning: %s\n", warning.c_str());
  }
  event.command = "emergency_stop.check";
  event.action = "warn";
  event.outcome = AuditOutcome::kSuccess;
  event.message = warning;
  return auditor_->Record(event);
}

absl::Status EmergencyStop::Activate(std::string_view reason,
                                     std::string_view actor) {
  AuditEvent event = StopEvent("activate", actor);
  event.message = std::string(reason);
  return auditor_->Run(event, [&]() -> absl::Status {
    return backend_->SetStopFlag(StopFlag{
        .actor = actor.empty() ? auditor_->default_user() : std::string(actor),
        .reason = ValidUtf8(reason),
        .set_ms = absl::ToUnixMillis(env_.clock->Now()),
    });
  });
}

absl::Status EmergencyStop::Clear(std::string_view actor) {
  AuditEvent event = StopEvent("clear", actor);
  return auditor_->Run(event, [&](AuditEvent& e) -> absl::Status {
    std::string cleared;
    if (!file_path_.empty()) {
      absl::Status deleted = env_.file_system->DeleteFile(file_path_);
      if (deleted.ok()) {
        cleared = Cat("deleted the stop file ", QuoteForMessage(file_path_));
      } else if (deleted.code() != absl::StatusCode::kNotFound) {
        return deleted;
      }
    }
    absl::StatusOr<std::optional<StopFlag>> was = backend_->ClearStopFlag();
    if (!was.ok()) return was.status();
    if (was->has_value()) {
      if (!cleared.empty()) cleared += "; ";
      cleared += Cat("cleared the store's flag (set by ",
                     QuoteForMessage((*was)->actor), ": ",
                     QuoteForMessage((*was)->reason), ")");
    }
    e.message = cleared.empty() ? "no flag was set" : cleared;
    return absl::OkStatus();
  });
}

}  // namespace slipway::internal_audit
