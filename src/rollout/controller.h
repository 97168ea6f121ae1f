// The rollout controller (design 0004 "Controller", DESIGN.md decisions 7-9):
// the one place in src/rollout that does I/O. It reads a rollout and the
// outcome windows since its stage began, asks the pure state machine
// (state_machine.h) for the next state, writes that state, its transition
// row, the routing snapshot and the transition's audit record in ONE
// transaction (RolloutBackend::ApplyTransition, compare-and-set on the
// revision), and only then acts on the registry side (hold / release the
// candidate, record the deployment, promote the endpoint's stable version).
//
// Crash safety. Weights are the routing row, written with the state, so a
// traffic change is never lost or half-applied. The registry-side actions
// are idempotent and re-derived from the persisted state on every Tick: an
// active rollout's hold is (re)set, and an ended rollout whose hold still
// exists has its ending actions run again (record the deployment, promote
// the stable version, release the hold; release is last, so a released
// hold means the others were done). A controller killed between commit and
// action therefore converges on the next Tick, in any process.
//
// Concurrency. Several controllers (threads or processes) may tick one
// store: each transition is a compare-and-set on the rollout's revision;
// the loser re-reads the rollout, re-evaluates and tries again (at most
// ControllerOptions::max_attempts times), so no transition is applied twice.
//
// Emergency stop (SPEC §5). While the stop is active for the rollout's
// environment (production, or everywhere when the store says so), Tick
// halts each active rollout once (input EmergencyStop: weights unchanged)
// and does nothing else to it; Deploy, Approve, Rollback, Abort and Resume
// are refused with FailedPrecondition EMERGENCY_STOP_ACTIVE, audited as
// denied by EmergencyStop::Check.
//
// Audit (SPEC §6, DESIGN decision 9). Every transition has exactly one
// audit record, appended in its transaction (Auditor::Prepare). Every
// refused or failed request (a gate, a wrong role, an ended rollout, ...)
// has one record with outcome denied or failure (Auditor::Record). A Tick
// that changes nothing writes nothing.
//
// Drift. Tick judges the candidate's recorded feature samples against the
// endpoint's drift references (drift_check.h) and halts the rollout when a
// feature drifts beyond the plan's max_drift_sigma; ReportDrift(rollout,
// feature, sigma) is the same input from an outside drift monitor. A drift
// halt leaves a drift alert on the endpoint (RolloutState.drift_alert_at)
// that the SPEC §2 data quality gate of the next Deploy reads.
//
// Thread-safety: thread-safe (mutable state: the backends' and the drift
// check's cache of healthy verdicts).
#ifndef SLIPWAY_SRC_ROLLOUT_CONTROLLER_H_
#define SLIPWAY_SRC_ROLLOUT_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "slipway/env.h"
#include "slipway/validate.h"
#include "src/audit/auditor.h"
#include "src/audit/emergency_stop.h"
#include "src/monitoring/outcome_window.h"
#include "src/rollout/drift_check.h"
#include "src/rollout/settled_windows.h"
#include "src/rollout/gates.h"
#include "src/rollout/state_machine.h"
#include "src/storage/registry_backend.h"
#include "src/storage/rollout_backend.h"
#include "slipway/v1/rollout.pb.h"

namespace slipway::internal_rollout {

struct ControllerDeps {
  internal_storage::RolloutBackend* rollouts = nullptr;
  internal_storage::RegistryBackend* registry = nullptr;
  internal_audit::Auditor* auditor = nullptr;
  internal_audit::EmergencyStop* stop = nullptr;
  // Null members: Env::Default()'s.
  Clock* clock = nullptr;
  IdSource* ids = nullptr;
  // Environments (production or not, the staging environment the model
  // validation gate reads) and name rules. Null: DefaultValidationPolicy().
  const ValidationPolicy* policy = nullptr;
};

struct ControllerOptions {
  // The SPEC §2 gates' numbers. `enforce` is set per rollout: true in a
  // production environment, false elsewhere (SPEC §7: warn and audit).
  GatePolicy gates;
  // SPEC §7: true when the emergency stop refuses its operations in every
  // environment (StoreOptions::emergency_stop_everywhere).
  bool stop_everywhere = false;
  // Compare-and-set attempts per input before Aborted CONCURRENT_UPDATE is
  // returned.
  int max_attempts = 8;
  // Receives every ALERT action after its transition is committed. Null:
  // WARNING and CRITICAL alerts go to stderr.
  std::function<void(const v1::RolloutState&, const v1::Alert&)> alert;
  // Test hook: called at named points ("committed" after a transition's
  // transaction, "acted" after its actions, "action" after each registry
  // action). Crash tests _exit() here.
  std::function<void(std::string_view point)> hook;
};

struct DeployOptions {
  // Empty: DefaultPlan() (SPEC §3).
  std::optional<v1::Plan> plan;
  std::string change_ticket;
  // Who deploys (audited); empty: the Auditor's default user.
  std::string actor;
  std::string role;
  // The pipeline whose last run the data-quality gate reads. Empty: a
  // pipeline with the endpoint's name, if one is registered.
  std::string pipeline;
  // SPEC §3: after 2 consecutive failed rollouts on the endpoint, a lead's
  // approval of this deployment (GatePolicy::manual_approval_roles).
  std::optional<ManualApproval> manual_approval;
};

// Guardrail readings of the current stage (for status and the Tick).
struct StageReadings {
  StageVerdicts verdicts;
  int64_t candidate_requests = 0;
  int64_t candidate_errors = 0;
  double error_rate = 0;          // over the stage, candidate
  uint32_t error_streak = 0;      // failing windows in the current run
  double candidate_p99_ms = 0;    // NaN-free: 0 when unknown
  double stable_p99_ms = 0;
  double p99_ratio = 0;
  double candidate_accuracy = 0;
  double stable_accuracy = 0;
  int64_t windows = 0;  // minutes read
};

class Controller {
 public:
  Controller(ControllerDeps deps, ControllerOptions options = {});
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts a rollout of `model` `version` on `endpoint` (header comment).
  // Errors: validation (names, version), NotFound ENDPOINT_NOT_FOUND /
  // MODEL_VERSION_NOT_FOUND, InvalidArgument ENDPOINT_MODEL_MISMATCH /
  // PLAN_INVALID, FailedPrecondition GATE_* / ROLLOUT_ACTIVE /
  // ROLLOUT_SAME_VERSION / EMERGENCY_STOP_ACTIVE; all audited.
  absl::StatusOr<v1::RolloutState> Deploy(std::string_view model,
                                          std::string_view version,
                                          std::string_view endpoint,
                                          const DeployOptions& options = {});

  // A person's inputs. Refusals come from the state machine
  // (ROLE_REQUIRED, APPROVAL_NOT_EXPECTED, ROLLOUT_ENDED, ...), the stop, or
  // NotFound ROLLOUT_NOT_FOUND; every call is audited.
  absl::StatusOr<v1::RolloutState> Approve(std::string_view rollout_id,
                                           std::string_view stage,
                                           std::string_view actor,
                                           std::string_view role);
  absl::StatusOr<v1::RolloutState> Rollback(std::string_view rollout_id,
                                            std::string_view reason,
                                            std::string_view actor);
  absl::StatusOr<v1::RolloutState> Abort(std::string_view rollout_id,
                                         std::string_view reason,
                                         std::string_view actor);
  absl::StatusOr<v1::RolloutState> Resume(std::string_view rollout_id,
                                          std::string_view actor);
  // A drift monitor's finding on `feature`: halts the rollout (a Tick with
  // drift) when `sigma` > the plan's max_drift_sigma; otherwise a plain
  // Tick. Audited like any transition.
  absl::StatusOr<v1::RolloutState> ReportDrift(std::string_view rollout_id,
                                               std::string_view feature,
                                               double sigma,
                                               std::string_view actor);

  // One pass over every active rollout at the clock's now (and the
  // re-derivation of ended rollouts' registry actions). Returns how many
  // transitions it committed. A rollout that fails to step does not stop
  // the others; the first error is returned after the pass.
  absl::StatusOr<int> Tick();

  // Stores one replica's outcome window of (endpoint, version, minute).
  absl::Status RecordOutcomes(std::string_view endpoint,
                              std::string_view version, absl::Time minute,
                              const internal_monitoring::OutcomeWindow& window,
                              std::string_view replica);

  // The rollout as stored, and the readings of its current stage now.
  absl::StatusOr<v1::RolloutState> Get(std::string_view rollout_id);
  absl::StatusOr<StageReadings> Readings(const v1::RolloutState& state);
  // The drift check's per-feature readings of the rollout now.
  absl::StatusOr<DriftCheckResult> DriftReadings(const v1::RolloutState& state);

  // The routing the persisted state implies (what the routing row must
  // say): stable and candidate versions and the candidate's weight.
  static internal_storage::RoutingSnapshot RoutingOf(
      const v1::RolloutState& state);

 private:
  struct Loaded {
    v1::RolloutState state;
    internal_storage::RolloutRecord record;
    std::string environment;
  };
  absl::StatusOr<Loaded> Load(std::string_view rollout_id);
  // Loads, steps with the input `make` builds from the loaded rollout,
  // persists (retrying on CONCURRENT_UPDATE) and acts. `refusals_audited`:
  // whether a refused Step is audited (person's input) or silent (Tick).
  absl::StatusOr<v1::RolloutState> Drive(
      std::string_view rollout_id,
      const std::function<absl::StatusOr<Input>(const Loaded&)>& make,
      std::string_view actor, bool person, bool* changed = nullptr);
  absl::Status CheckStop(const Loaded& loaded, std::string_view command,
                         std::string_view actor);
  bool StopEnforced(std::string_view environment) const;
  absl::StatusOr<bool> StopActiveFor(std::string_view environment);
  absl::Status Persist(const Loaded& loaded, const StepResult& r,
                       std::string_view actor);
  absl::Status Act(const v1::RolloutState& state,
                   const std::vector<v1::Action>& actions);
  absl::Status Reconcile(const internal_storage::RolloutRecord& record);
  internal_audit::AuditEvent EventFor(const v1::RolloutState& state,
                                      std::string_view environment,
                                      std::string_view command,
                                      std::string_view actor) const;
  void Hook(std::string_view point) const {
    if (options_.hook) options_.hook(point);
  }

  // Whether the endpoint's newest drift halt is unresolved: a rollout
  // halted for drift that ended without a resume, with no pipeline run
  // recorded after it (SPEC §2 data quality).
  absl::StatusOr<bool> DriftAlertActive(
      std::string_view endpoint,
      const std::optional<int64_t>& last_pipeline_run_ms);

  ControllerDeps deps_;
  ControllerOptions options_;
  DriftCheck drift_;
  SettledWindows settled_;
};

// Lowercase input names used in transition rows and audit commands
// ("start", "tick", "approve", ...).
std::string_view InputName(v1::Transition::InputKind kind);

}  // namespace slipway::internal_rollout

#endif  // SLIPWAY_SRC_ROLLOUT_CONTROLLER_H_
