// The approval gates of SPEC §2, checked before a production rollout may
// start, as pure functions over a snapshot (GateContext) the controller
// fills from the store: the change ticket, the version's validation and
// approval, the plan, the endpoint's alert rules, the last pipeline run's
// data-quality checks and the endpoint's recent failed rollouts.
//
// CheckGates returns OK (with notes of what was skipped, for the audit log)
// or FailedPrecondition naming the first failing gate and what would
// satisfy it. Each gate has its own reason:
//
//   gate               reason                  passes when
//   change ticket      GATE_CHANGE_TICKET      a ticket matching the policy's
//                                              format is given; with no ticket
//                                              and the gate optional (the
//                                              default, SPEC "if available"),
//                                              it is skipped with a note
//   model validation   GATE_MODEL_VALIDATION   the version passed its
//                                              validation in staging and is
//                                              Approved
//   shadow / A-B first GATE_SHADOW_FIRST       hours already observed as
//                                              shadow or A/B plus the minimum
//                                              observation of the plan's
//                                              shadow and A/B stages before
//                                              its 100 % stage >= 24
//   canary             GATE_CANARY             the plan's first serving stage
//                                              routes <= 10 %
//   monitoring active  GATE_MONITORING         >= 3 alert rules, among them
//                                              accuracy, latency and drift
//   data quality       GATE_DATA_QUALITY       the last pipeline run passed
//                                              its schema and distribution
//                                              checks and no drift alert is
//                                              active
//   manual approval    GATE_MANUAL_APPROVAL    fewer than 2 consecutive failed
//                                              rollouts on the endpoint, or a
//                                              manual approval by a lead
//
// SPEC §7: outside production the controller sets GatePolicy::enforce to
// false; a failing gate then passes with a note (warn and audit) instead of
// refusing.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SLIPWAY_SRC_ROLLOUT_GATES_H_
#define SLIPWAY_SRC_ROLLOUT_GATES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/registry.h"
#include "slipway/v1/rollout.pb.h"

namespace slipway::internal_rollout {

// The SPEC §2 gates, in the order they are checked and reported.
enum class Gate {
  kChangeTicket,
  kModelValidation,
  kShadowFirst,
  kCanary,
  kMonitoring,
  kDataQuality,
  kManualApproval,
};

inline constexpr Gate kAllGates[] = {
    Gate::kChangeTicket,   Gate::kModelValidation, Gate::kShadowFirst,
    Gate::kCanary,         Gate::kMonitoring,      Gate::kDataQuality,
    Gate::kManualApproval,
};

// "change ticket", "model validation", ... for messages.
std::string_view GateName(Gate gate);
// "GATE_CHANGE_TICKET", ... : the ErrorDetail reason of a failing gate.
std::string_view GateReason(Gate gate);

// What an alert rule watches. SPEC §2 asks for accuracy, latency and drift.
enum class AlertKind { kAccuracy, kLatency, kDrift, kErrorRate, kOther };

struct AlertRule {
  std::string name;
  AlertKind kind = AlertKind::kOther;
};

// The data-quality checks of a pipeline run.
struct PipelineChecks {
  std::string pipeline;
  std::string run_id;
  bool schema_passed = false;
  bool distribution_passed = false;
};

// A person's approval of a rollout that needs one (SPEC §3: after 2
// consecutive failed rollouts on the endpoint).
struct ManualApproval {
  std::string actor;
  std::string role;
};

// The snapshot the gates judge. The controller fills it from the store.
struct GateContext {
  // For messages.
  std::string endpoint;
  std::string model;
  std::string version;

  // Change ticket: the ID given with the deployment, or empty.
  std::string change_ticket;

  // Model validation: whether the version's validation record in staging
  // passed (nullopt: no validation recorded in staging), and its approval.
  std::optional<bool> staging_validation_passed;
  ApprovalStatus approval = ApprovalStatus::kNone;

  // Shadow / A-B first and canary: the plan the rollout will follow, and
  // the hours this version already ran as shadow or A/B variant on this
  // endpoint (e.g. in an earlier rollout).
  v1::Plan plan;
  double observed_shadow_or_ab_hours = 0;

  // Monitoring: the endpoint's alert rules.
  std::vector<AlertRule> alert_rules;

  // Data quality: the last pipeline run's checks (nullopt: no run
  // recorded), and whether a drift alert is active on the endpoint.
  std::optional<PipelineChecks> last_pipeline_run;
  bool drift_alert_active = false;

  // Manual approval: consecutive failed (rolled back) rollouts on the
  // endpoint, newest first, ending at the last success; and the manual
  // approval given for this rollout, if any.
  int consecutive_failed_rollouts = 0;
  std::optional<ManualApproval> manual_approval;
};

// Whether a gate that SPEC marks "(if available)" applies.
//   kRequired     refuse without it
//   kIfAvailable  check it when given, skip it (with a note) when not
//   kOff          skip it (with a note) even when given
enum class GateRequirement { kRequired, kIfAvailable, kOff };

// The numbers of SPEC §2 and §3, each a default a policy may change.
struct GatePolicy {
  // SPEC §2 change ticket "(if available)": optional by default, so a setup
  // without a ticket system is never blocked; the skip is noted.
  GateRequirement change_ticket = GateRequirement::kIfAvailable;
  // ECMAScript regex (std::regex) a ticket must match entirely, e.g.
  // "MLOPS-2024-0456". Tickets longer than 256 bytes are refused.
  std::string change_ticket_format = R"(^[A-Z]+-\d{4}-\d{4}$)";
  // SPEC §2 shadow / A-B first: at least 24 hours of observation.
  double min_shadow_or_ab_hours = 24;
  // SPEC §2 canary enforcement: the first serving stage routes <= 10 %.
  double max_first_serving_weight = 0.10;
  // SPEC §2 monitoring active: at least 3 rules, with accuracy, latency and
  // drift among them.
  int min_alert_rules = 3;
  // SPEC §3: this many consecutive failed rollouts make the next one need a
  // manual approval, by one of these roles.
  int failed_rollouts_for_manual_approval = 2;
  std::vector<std::string> manual_approval_roles = {"data-science-lead",
                                                    "platform-lead", "admin"};
  // SPEC §7: true in production. When false a failing gate is reported as
  // kNotEnforced with a note, and CheckGates returns OK.
  bool enforce = true;
};

enum class GateOutcome { kPassed, kFailed, kSkipped, kNotEnforced };

struct GateResult {
  Gate gate;
  GateOutcome outcome = GateOutcome::kPassed;
  // Why the gate failed (also kept for kNotEnforced); OK otherwise.
  absl::Status status;
  // For kSkipped and kNotEnforced: the note to audit.
  std::string note;
};

struct GateReport {
  std::vector<GateResult> results;  // one per gate, in kAllGates order
  std::vector<std::string> notes;   // every skipped or unenforced gate's note
};

// Evaluates one gate. Never refuses by itself: a failure is a result with
// outcome kFailed (or kNotEnforced) and the status that says why. A policy
// whose change-ticket format is not a valid regex fails the change-ticket
// gate with InvalidArgument GATE_POLICY_INVALID.
GateResult EvaluateGate(Gate gate, const GateContext& ctx,
                        const GatePolicy& policy);

// Every gate, in kAllGates order.
GateReport EvaluateGates(const GateContext& ctx, const GatePolicy& policy);

// OK with the report (notes to audit) when no gate fails; otherwise the
// first failing gate's status (FailedPrecondition with its GATE_* reason,
// or InvalidArgument GATE_POLICY_INVALID), whose message also lists the
// other failing gates.
absl::StatusOr<GateReport> CheckGates(const GateContext& ctx,
                                      const GatePolicy& policy);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_GATES_H_
