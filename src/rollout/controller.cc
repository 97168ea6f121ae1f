#include "src/rollout/controller.h"

#include "slipway/version.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/monitoring/guardrail_math.h"
#include "src/monitoring/significance.h"
#include "src/rollout/minutes.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {
namespace {

using internal_strings::Cat;
using v1::RolloutState;

bool Ended(RolloutState::Phase p) {
  return p == RolloutState::COMPLETED || p == RolloutState::ROLLED_BACK ||
         p == RolloutState::ABORTED;
}

bool IsConcurrentUpdate(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kAborted) return false;
  std::optional<ErrorDetail> d = GetErrorDetail(s);
  return d.has_value() && d->reason == "CONCURRENT_UPDATE";
}

std::string Holder(const RolloutState& s) { return Cat("rollout:", s.id()); }

GuardrailVerdict ToVerdict(internal_monitoring::Verdict v) {
  switch (v) {
    case internal_monitoring::Verdict::kHealthy:
      return GuardrailVerdict::kHealthy;
    case internal_monitoring::Verdict::kFailing:
      return GuardrailVerdict::kFailing;
    default:
      return GuardrailVerdict::kNotEnoughData;
  }
}

AbVerdict ToAb(internal_monitoring::AbDecision d) {
  switch (d) {
    case internal_monitoring::AbDecision::kCandidateBetter:
      return AbVerdict::kCandidateBetter;
    case internal_monitoring::AbDecision::kCandidateWorse:
      return AbVerdict::kCandidateWorse;
    case internal_monitoring::AbDecision::kNotSignificant:
      return AbVerdict::kNotSignificant;
    default:
      return AbVerdict::kKeepObserving;
  }
}

AlertKind KindOfRule(std::string_view name) {
  if (name.find("accuracy") != std::string_view::npos) {
    return AlertKind::kAccuracy;
  }
  if (name.find("latency") != std::string_view::npos) {
    return AlertKind::kLatency;
  }
  if (name.find("drift") != std::string_view::npos) return AlertKind::kDrift;
  if (name.find("error") != std::string_view::npos) {
    return AlertKind::kErrorRate;
  }
  return AlertKind::kOther;
}

double Finite(double v) { return std::isfinite(v) ? v : 0; }

std::string RollbackConfig(const RolloutState& s) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(s.rollback_plan(), &out, o)
           .ok()) {
    return "{}";
  }
  return out;
}

absl::Status NotFoundRollout(std::string_view id) {
  return MakeError(absl::StatusCode::kNotFound,
                   Cat("rollout ", QuoteForMessage(id), " does not exist"),
                   ErrorDetail{.reason = "ROLLOUT_NOT_FOUND",
                               .rule = "a rollout is named by its id",
                               .value = std::string(id),
                               .fix = "List the rollouts to find its id."});
}

}  // namespace

std::string_view InputName(v1::Transition::InputKind kind) {
  switch (kind) {
    case v1::Transition::INPUT_KIND_START:
      return "deploy";
    case v1::Transition::INPUT_KIND_TICK:
      return "tick";
    case v1::Transition::INPUT_KIND_APPROVE:
      return "approve";
    case v1::Transition::INPUT_KIND_ROLLBACK:
      return "rollback";
    case v1::Transition::INPUT_KIND_ABORT:
      return "abort";
    case v1::Transition::INPUT_KIND_RESUME:
      return "resume";
    case v1::Transition::INPUT_KIND_EMERGENCY_STOP:
      return "emergency_stop";
    default:
      return "unknown";
  }
}

Controller::Controller(ControllerDeps deps, ControllerOptions options)
    : deps_(deps), options_(std::move(options)), drift_(deps.rollouts) {
  const Env defaults = Env{}.WithDefaults();
  if (deps_.clock == nullptr) deps_.clock = defaults.clock;
  if (deps_.ids == nullptr) deps_.ids = defaults.id_source;
  if (deps_.policy == nullptr) deps_.policy = &DefaultValidationPolicy();
}

internal_storage::RoutingSnapshot Controller::RoutingOf(
    const RolloutState& s) {
  internal_storage::RoutingSnapshot r;
  r.endpoint = s.endpoint();
  switch (s.phase()) {
    case RolloutState::COMPLETED:
      r.stable_version = s.candidate_version();
      break;
    case RolloutState::ROLLED_BACK:
    case RolloutState::ABORTED:
      r.stable_version = s.rollback_plan().stable_version();
      break;
    default:
      r.stable_version = s.stable_version();
      if (s.candidate_weight() > 0 || s.shadow()) {
        r.candidate_version = s.candidate_version();
        r.candidate_weight = s.candidate_weight();
        r.shadow = s.shadow();
      }
      break;
  }
  return r;
}

bool Controller::StopEnforced(std::string_view environment) const {
  if (options_.stop_everywhere) return true;
  absl::StatusOr<EnvironmentKind> kind = deps_.policy->KindOf(environment);
  // An unknown environment is treated as production (as EmergencyStop does).
  return !kind.ok() || *kind == EnvironmentKind::kProduction;
}

absl::StatusOr<bool> Controller::StopActiveFor(std::string_view environment) {
  if (deps_.stop == nullptr || !StopEnforced(environment)) return false;
  absl::StatusOr<internal_audit::StopState> st = deps_.stop->Status();
  if (!st.ok()) return st.status();
  return st->active();
}

internal_audit::AuditEvent Controller::EventFor(
    const RolloutState& s, std::string_view environment,
    std::string_view command, std::string_view actor) const {
  internal_audit::AuditEvent e;
  e.environment = std::string(environment);
  e.command = std::string(command);
  if (s.id().empty()) {
    e.resource_type = "endpoint";
    e.resource_name = s.endpoint();
  } else {
    e.resource_type = "rollout";
    e.resource_name = s.id();
  }
  const size_t dot = command.find('.');
  e.action = std::string(dot == std::string_view::npos
                             ? command
                             : command.substr(dot + 1));
  e.model_name = s.model();
  e.model_version = s.candidate_version();
  e.previous_version = s.stable_version();
  e.change_ticket = s.change_ticket();
  if (s.has_rollback_plan()) e.rollback_config = RollbackConfig(s);
  e.user = std::string(actor);
  return e;
}

absl::StatusOr<Controller::Loaded> Controller::Load(std::string_view id) {
  absl::StatusOr<internal_storage::RolloutRecord> rec =
      deps_.rollouts->GetRollout(id);
  if (!rec.ok()) return rec.status();
  absl::StatusOr<RolloutState> state = StateFromJson(rec->state_json);
  if (!state.ok()) return state.status();
  absl::StatusOr<internal_storage::EndpointRecord> ep =
      deps_.rollouts->GetEndpoint(rec->endpoint);
  if (!ep.ok()) return ep.status();
  return Loaded{*std::move(state), *std::move(rec), ep->environment};
}

absl::StatusOr<RolloutState> Controller::Get(std::string_view rollout_id) {
  absl::StatusOr<Loaded> l = Load(rollout_id);
  if (!l.ok()) return l.status();
  return l->state;
}

// --- Readings ---------------------------------------------------------------

absl::StatusOr<StageReadings> Controller::Readings(const RolloutState& s) {
  namespace m = internal_monitoring;
  const absl::Time now = deps_.clock->Now();
  StageReadings out;
  const v1::Guardrails& g = s.plan().guardrails();
  const int64_t from = CeilMinute(Ms(s.stage_entered_at()));
  const int64_t to = FloorMinute(absl::ToUnixMillis(now));
  if (to <= from || Ended(s.phase())) {
    settled_.Erase(s.id());
    return out;
  }

  m::ErrorRateRule er;
  er.max_error_rate = g.max_error_rate();
  er.min_requests = static_cast<uint64_t>(g.min_requests_per_window());
  er.consecutive_windows = static_cast<uint32_t>(g.error_rate_windows());

  // Settled minutes come from the cache (settled_windows.h); only the
  // rest are read and decoded. Minutes before settle_before settle now.
  const int64_t settle_before = std::max(
      from, FloorMinute(absl::ToUnixMillis(now - kSettleAfter)));
  SettledStage settled = settled_.Get(
      s.id(), Cat(s.id(), "/", s.stage_index(), "/", from), from);
  std::vector<m::Verdict> recent_verdicts;
  // Merges [v->settled_to_ms, to) of `version` into `total` (settling
  // what is old enough into *v); with `verdicts`, also the candidate's
  // per-minute error-rate verdicts.
  auto read = [&](std::string_view version, SettledVersion* v,
                  m::OutcomeWindow* total,
                  std::vector<m::Verdict>* verdicts) -> absl::Status {
    if (v->settled_to_ms < from || v->settled_to_ms > to) *v = {from, {}, {}};
    *total = v->total;
    if (version.empty()) return absl::OkStatus();
    const int64_t read_from = v->settled_to_ms;
    absl::StatusOr<std::vector<internal_storage::WindowRecord>> rows =
        deps_.rollouts->ReadWindows(s.endpoint(), version, read_from, to);
    if (!rows.ok()) return rows.status();
    std::map<int64_t, m::OutcomeWindow> by_minute;
    for (const internal_storage::WindowRecord& w : *rows) {
      absl::StatusOr<m::OutcomeWindow> decoded = m::DecodeOutcomeWindow(w.data);
      if (!decoded.ok()) return decoded.status();
      by_minute[w.minute_ms].Merge(*decoded);
    }
    const m::OutcomeWindow empty;
    for (int64_t minute = read_from; minute < to; minute += kMinuteMs) {
      auto it = by_minute.find(minute);
      const m::OutcomeWindow& w = it == by_minute.end() ? empty : it->second;
      total->Merge(w);
      const bool settles = minute < settle_before;
      if (settles) {
        v->total.Merge(w);
        v->settled_to_ms = minute + kMinuteMs;
      }
      if (verdicts != nullptr) {
        const m::Verdict verdict = m::CheckErrorRate(w, er).verdict;
        (settles ? v->verdicts : *verdicts).push_back(verdict);
      }
    }
    return absl::OkStatus();
  };
  m::OutcomeWindow cand_total, stable_total;
  if (absl::Status st = read(s.candidate_version(), &settled.candidate,
                             &cand_total, &recent_verdicts);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = read(s.stable_version(), &settled.stable,
                             &stable_total, nullptr);
      !st.ok()) {
    return st;
  }
  std::vector<m::Verdict> verdicts = settled.candidate.verdicts;
  verdicts.insert(verdicts.end(), recent_verdicts.begin(),
                  recent_verdicts.end());
  settled_.Put(s.id(), std::move(settled));
  out.windows = static_cast<int64_t>(verdicts.size());

  const m::StreakResult streak =
      m::EvaluateStreak(verdicts, er.consecutive_windows);
  out.verdicts.error_rate = ToVerdict(streak.verdict);
  out.error_streak = streak.streak;

  m::LatencyRule lr;
  lr.max_ratio = g.max_p99_latency_ratio();
  lr.min_samples = static_cast<uint64_t>(g.min_latency_samples());
  const m::LatencyCheck lat =
      m::CheckLatency(cand_total.latency, stable_total.latency, lr);
  out.verdicts.latency = ToVerdict(lat.verdict);

  m::AccuracyRule ar;
  ar.max_drop = g.max_accuracy_drop();
  ar.kind = g.accuracy_drop() == v1::Guardrails::ACCURACY_DROP_POINTS
                ? m::AccuracyDropKind::kPercentagePoints
                : m::AccuracyDropKind::kRelative;
  ar.min_labelled = static_cast<uint64_t>(g.min_labelled_predictions());
  const m::AccuracyCheck acc = m::CheckAccuracy(cand_total, stable_total, ar);
  out.verdicts.accuracy = ToVerdict(acc.verdict);

  out.verdicts.samples = static_cast<int64_t>(cand_total.requests);
  out.verdicts.predictions =
      static_cast<int64_t>(cand_total.predictions + stable_total.predictions);
  if (s.phase() == RolloutState::IN_STAGE && s.stage_index() >= 0 &&
      s.stage_index() < s.plan().stages_size()) {
    const v1::Stage& stage = s.plan().stages(s.stage_index());
    if (stage.ab().decide_by_significance()) {
      m::AbTestRule rule;
      rule.min_predictions = static_cast<uint64_t>(stage.ab().min_predictions());
      rule.max_duration = absl::Seconds(stage.ab().max_duration_seconds());
      absl::Duration elapsed = now - FromProtoTime(s.stage_entered_at());
      if (elapsed < absl::ZeroDuration()) elapsed = absl::ZeroDuration();
      // The primary metric is successes / trials when the service reports
      // them; a service that reports none (a Router records labels, not
      // trials) is judged on accuracy: correct / labelled predictions.
      m::OutcomeWindow cand_ab = cand_total;
      m::OutcomeWindow stable_ab = stable_total;
      if (cand_ab.trials == 0 && stable_ab.trials == 0) {
        cand_ab.trials = cand_ab.labelled;
        cand_ab.successes = cand_ab.correct;
        stable_ab.trials = stable_ab.labelled;
        stable_ab.successes = stable_ab.correct;
      }
      absl::StatusOr<m::AbTestResult> ab =
          m::DecideAbTest(cand_ab, stable_ab, elapsed, rule);
      if (!ab.ok()) return ab.status();
      out.verdicts.ab = ToAb(ab->decision);
      out.verdicts.predictions = static_cast<int64_t>(ab->predictions);
    }
  }
  out.candidate_requests = static_cast<int64_t>(cand_total.requests);
  out.candidate_errors = static_cast<int64_t>(cand_total.errors);
  out.error_rate = cand_total.requests == 0
                       ? 0
                       : static_cast<double>(cand_total.errors) /
                             static_cast<double>(cand_total.requests);
  out.candidate_p99_ms = Finite(lat.candidate_ms);
  out.stable_p99_ms = Finite(lat.stable_ms);
  out.p99_ratio = Finite(lat.ratio);
  out.candidate_accuracy = Finite(acc.candidate_accuracy);
  out.stable_accuracy = Finite(acc.stable_accuracy);
  return out;
}

// --- Persisting and acting ---------------------------------------------------

absl::Status Controller::Persist(const Loaded& loaded, const StepResult& r,
                                 std::string_view actor) {
  const RolloutState& next = r.next;
  absl::StatusOr<std::string> json = StateToJson(next);
  if (!json.ok()) return json.status();
  internal_storage::RolloutRecord rec = loaded.record;
  rec.phase = std::string(PhaseName(next.phase()));
  rec.active = !Ended(next.phase());
  rec.failed = next.phase() == RolloutState::ROLLED_BACK;
  rec.state_json = *std::move(json);
  rec.revision = next.transition_count();
  rec.updated_ms = Ms(next.updated_at());
  const std::string_view input = InputName(r.transition->input());
  internal_storage::TransitionRecord t;
  t.rollout_id = next.id();
  t.revision = rec.revision;
  t.from_phase = std::string(PhaseName(r.transition->from_phase()));
  t.to_phase = std::string(PhaseName(r.transition->to_phase()));
  t.input = std::string(input);
  t.reason = r.transition->reason();
  t.at_ms = Ms(r.transition->at());
  std::optional<internal_storage::RoutingSnapshot> routing;
  const internal_storage::RoutingSnapshot before = RoutingOf(loaded.state);
  internal_storage::RoutingSnapshot after = RoutingOf(next);
  if (before.stable_version != after.stable_version ||
      before.candidate_version != after.candidate_version ||
      before.candidate_weight != after.candidate_weight ||
      before.shadow != after.shadow) {
    after.updated_ms = rec.updated_ms;
    routing = after;
  }
  internal_audit::AuditEvent event =
      EventFor(next, loaded.environment, Cat("rollout.", input), actor);
  event.previous_version = loaded.state.stable_version();
  event.reason = Cat(PhaseName(r.transition->from_phase()), "(",
                     r.transition->from_stage(), ") -> ",
                     PhaseName(r.transition->to_phase()), "(",
                     r.transition->to_stage(), ")");
  event.message = r.why;
  internal_storage::AuditAppend audit = deps_.auditor->Prepare(event);
  return deps_.rollouts->ApplyTransition(rec, loaded.record.revision, t,
                                         routing, &audit);
}

absl::Status Controller::Act(const RolloutState& s,
                             const std::vector<v1::Action>& actions) {
  absl::Status first;
  auto note = [&first](absl::Status st) {
    if (!st.ok() && first.ok()) first = std::move(st);
  };
  for (const v1::Action& a : actions) {
    switch (a.kind_case()) {
      case v1::Action::kAlert:
        if (options_.alert) {
          options_.alert(s, a.alert());
        } else if (a.alert().severity() >= v1::Alert::WARNING) {
          std::fprintf(stderr, "slipway: alert: %s\n",
                       a.alert().message().c_str());
        }
        break;
      case v1::Action::kHoldVersion:
        note(deps_.registry->SetHold(
            a.hold_version().model(), a.hold_version().version(), Holder(s),
            Cat("candidate of rollout ", s.id(), " on endpoint ",
                s.endpoint())));
        Hook("action");
        break;
      case v1::Action::kRecordDeployment: {
        const v1::RecordDeployment& d = a.record_deployment();
        note(deps_.registry->RecordDeployment(d.endpoint(), d.model(),
                                              d.version(),
                                              Ms(s.updated_at())));
        Hook("action");
        absl::StatusOr<internal_storage::EndpointRecord> ep =
            deps_.rollouts->GetEndpoint(d.endpoint());
        if (!ep.ok()) {
          note(ep.status());
        } else if (ep->stable_version != d.version()) {
          note(deps_.rollouts->SetEndpointStableVersion(
              d.endpoint(), d.version(), Ms(s.updated_at())));
          Hook("action");
        }
        break;
      }
      case v1::Action::kReleaseHold:
        note(deps_.registry->ReleaseHold(a.release_hold().model(),
                                         a.release_hold().version(),
                                         Holder(s)));
        Hook("action");
        break;
      default:  // SET_WEIGHTS: the routing row was written with the state.
        break;
    }
  }
  return first;
}

absl::Status Controller::Reconcile(
    const internal_storage::RolloutRecord& record) {
  absl::StatusOr<RolloutState> s = StateFromJson(record.state_json);
  if (!s.ok()) return s.status();
  if (!Ended(s->phase())) {
    // Hold while active (HOLD_VERSION may have been lost to a crash).
    return deps_.registry->SetHold(
        s->model(), s->candidate_version(), Holder(*s),
        Cat("candidate of rollout ", s->id(), " on endpoint ", s->endpoint()));
  }
  absl::StatusOr<std::vector<internal_storage::VersionHold>> held =
      deps_.registry->ProtectedVersions(s->model(), 0);
  if (!held.ok()) return held.status();
  const std::string mark = Cat("held by ", Holder(*s), ":");
  bool holds = false;
  for (const internal_storage::VersionHold& h : *held) {
    if (h.reason.starts_with(mark)) holds = true;
  }
  if (!holds) return absl::OkStatus();
  // Ended, hold still there: the ending actions did not all run.
  std::vector<v1::Action> actions;
  if (s->phase() == RolloutState::COMPLETED) {
    v1::Action a;
    a.mutable_record_deployment()->set_endpoint(s->endpoint());
    a.mutable_record_deployment()->set_model(s->model());
    a.mutable_record_deployment()->set_version(s->candidate_version());
    actions.push_back(a);
  }
  v1::Action release;
  release.mutable_release_hold()->set_model(s->model());
  release.mutable_release_hold()->set_version(s->candidate_version());
  actions.push_back(release);
  return Act(*s, actions);
}

// --- Inputs ------------------------------------------------------------------

absl::StatusOr<RolloutState> Controller::Drive(
    std::string_view rollout_id,
    const std::function<absl::StatusOr<Input>(const Loaded&)>& make,
    std::string_view actor, bool person, bool* changed) {
  if (changed != nullptr) *changed = false;
  absl::Status last;
  for (int attempt = 0; attempt < std::max(1, options_.max_attempts);
       ++attempt) {
    absl::StatusOr<Loaded> loaded = Load(rollout_id);
    if (!loaded.ok()) {
      if (absl::IsNotFound(loaded.status())) return NotFoundRollout(rollout_id);
      return loaded.status();
    }
    absl::StatusOr<Input> input = make(*loaded);
    if (!input.ok()) return input.status();
    if (person) {
      internal_audit::AuditEvent e =
          EventFor(loaded->state, loaded->environment,
                   Cat("rollout.", InputName(KindOf(*input))), actor);
      if (deps_.stop != nullptr) {
        absl::Status s =
            deps_.stop->Check(internal_audit::Operation::kTrafficChange, e);
        if (!s.ok()) return s;
      }
    }
    const absl::Time now = deps_.clock->Now();
    StepResult r = Step(loaded->state, loaded->state.plan(), *input, now);
    if (!r.status.ok()) return r.status;
    if (!r.changed()) return r.next;
    absl::Status s = Persist(*loaded, r, actor);
    if (IsConcurrentUpdate(s)) {
      last = s;
      continue;
    }
    if (!s.ok()) return s;
    if (changed != nullptr) *changed = true;
    Hook("committed");
    if (absl::Status a = Act(r.next, r.actions); !a.ok()) {
      // Re-derived by the next Tick (Reconcile).
      std::fprintf(stderr,
                   "slipway: warning: rollout %s: an action failed after its "
                   "transition was committed; the next tick retries it: %s\n",
                   r.next.id().c_str(), a.ToString().c_str());
    }
    Hook("acted");
    return r.next;
  }
  return last;
}

namespace {
// Audits a refused or failed request once (EmergencyStop::Check audits its
// own refusals).
absl::Status AuditRefusal(internal_audit::Auditor* auditor,
                          internal_audit::AuditEvent event,
                          const absl::Status& status) {
  if (status.ok() || internal_audit::IsAudited(status)) return status;
  event.outcome = internal_audit::OutcomeOf(status);
  std::optional<ErrorDetail> d = GetErrorDetail(status);
  event.reason = d.has_value()
                     ? d->reason
                     : std::string(absl::StatusCodeToString(status.code()));
  event.message = std::string(status.message());
  if (absl::Status a = auditor->Record(event); !a.ok()) {
    return absl::Status(status.code(),
                        Cat(status.message(),
                            " (its audit record could not be written: ",
                            a.message(), ")"));
  }
  return status;
}
}  // namespace

absl::StatusOr<RolloutState> Controller::Approve(std::string_view rollout_id,
                                                 std::string_view stage,
                                                 std::string_view actor,
                                                 std::string_view role) {
  RolloutState seen;
  std::string env;
  absl::StatusOr<RolloutState> r = Drive(
      rollout_id,
      [&](const Loaded& l) -> absl::StatusOr<Input> {
        seen = l.state;
        env = l.environment;
        return internal_rollout::Approve{std::string(stage),
                                         std::string(actor), std::string(role)};
      },
      actor, /*person=*/true);
  if (!r.ok()) {
    seen.set_id(std::string(rollout_id));
    return AuditRefusal(deps_.auditor,
                        EventFor(seen, env, "rollout.approve", actor),
                        r.status());
  }
  return r;
}

#define SLIPWAY_PERSON_INPUT(Method, command, ...)                            \
  RolloutState seen;                                                         \
  std::string env;                                                           \
  absl::StatusOr<RolloutState> r = Drive(                                    \
      rollout_id,                                                            \
      [&](const Loaded& l) -> absl::StatusOr<Input> {                        \
        seen = l.state;                                                      \
        env = l.environment;                                                 \
        return __VA_ARGS__;                                                  \
      },                                                                     \
      actor, /*person=*/true);                                               \
  if (!r.ok()) {                                                             \
    seen.set_id(std::string(rollout_id));                                    \
    return AuditRefusal(deps_.auditor, EventFor(seen, env, command, actor),  \
                        r.status());                                         \
  }                                                                          \
  return r;

absl::StatusOr<RolloutState> Controller::Rollback(std::string_view rollout_id,
                                                  std::string_view reason,
                                                  std::string_view actor) {
  SLIPWAY_PERSON_INPUT(Rollback, "rollout.rollback",
                       internal_rollout::Rollback{std::string(reason),
                                                  std::string(actor)})
}

absl::StatusOr<RolloutState> Controller::Abort(std::string_view rollout_id,
                                               std::string_view reason,
                                               std::string_view actor) {
  SLIPWAY_PERSON_INPUT(Abort, "rollout.abort",
                       internal_rollout::Abort{std::string(reason),
                                               std::string(actor)})
}

absl::StatusOr<RolloutState> Controller::Resume(std::string_view rollout_id,
                                                std::string_view actor) {
  SLIPWAY_PERSON_INPUT(Resume, "rollout.resume",
                       internal_rollout::Resume{std::string(actor)})
}

#undef SLIPWAY_PERSON_INPUT

absl::StatusOr<RolloutState> Controller::ReportDrift(
    std::string_view rollout_id, std::string_view feature, double sigma,
    std::string_view actor) {
  RolloutState seen;
  std::string env;
  absl::StatusOr<RolloutState> r = Drive(
      rollout_id,
      [&](const Loaded& l) -> absl::StatusOr<Input> {
        seen = l.state;
        env = l.environment;
        absl::StatusOr<StageReadings> readings = Readings(l.state);
        if (!readings.ok()) return readings.status();
        internal_rollout::Tick t{readings->verdicts};
        if (sigma > l.state.plan().guardrails().max_drift_sigma()) {
          t.verdicts.drift = DriftVerdict::kDrift;
          t.verdicts.drift_detail =
              Cat("feature ", feature, ": ", sigma,
                  " standard deviations, reported by ",
                  actor.empty() ? std::string_view("a drift monitor") : actor);
        }
        return t;
      },
      actor, /*person=*/false);
  if (!r.ok()) {
    seen.set_id(std::string(rollout_id));
    internal_audit::AuditEvent e = EventFor(seen, env, "rollout.drift", actor);
    e.message = Cat("feature ", feature, " drift ", sigma, " sigma");
    return AuditRefusal(deps_.auditor, e, r.status());
  }
  return r;
}

absl::StatusOr<RolloutState> Controller::Deploy(std::string_view model,
                                                std::string_view version,
                                                std::string_view endpoint,
                                                const DeployOptions& options) {
  RolloutState state;
  state.set_endpoint(std::string(endpoint));
  state.set_model(std::string(model));
  state.set_candidate_version(std::string(version));
  state.set_change_ticket(options.change_ticket);
  std::string env;
  auto refuse = [&](const absl::Status& s) {
    return AuditRefusal(deps_.auditor,
                        EventFor(state, env, "rollout.deploy", options.actor),
                        s);
  };
  const ValidationPolicy& policy = *deps_.policy;
  if (absl::Status s = validate::ModelName(model); !s.ok()) return refuse(s);
  if (absl::Status s = validate::EndpointName(endpoint, policy); !s.ok()) {
    return refuse(s);
  }
  absl::StatusOr<internal_storage::EndpointRecord> ep =
      deps_.rollouts->GetEndpoint(endpoint);
  if (!ep.ok()) return refuse(ep.status());
  env = ep->environment;
  if (absl::Status s = validate::ModelVersion(version, env, policy); !s.ok()) {
    return refuse(s);
  }
  if (ep->model != model) {
    return refuse(MakeError(
        absl::StatusCode::kInvalidArgument,
        Cat("endpoint ", QuoteForMessage(endpoint), " serves model ",
            QuoteForMessage(ep->model), ", not ", QuoteForMessage(model)),
        ErrorDetail{.reason = "ENDPOINT_MODEL_MISMATCH",
                    .rule = "an endpoint serves the model it was registered "
                            "with",
                    .value = std::string(model),
                    .fix = Cat("Deploy a version of ", ep->model,
                               " or register another endpoint.")}));
  }
  // "v2.4.1" and "2.4.1" are one version: look it up by its canonical form.
  absl::StatusOr<ModelVersion> parsed = ModelVersion::Parse(
      version, ep->environment,
      deps_.policy != nullptr ? *deps_.policy : DefaultValidationPolicy());
  if (!parsed.ok()) return refuse(parsed.status());
  absl::StatusOr<ModelVersionInfo> info =
      deps_.registry->GetVersion(model, parsed->canonical());
  if (!info.ok()) return refuse(info.status());
  state.set_candidate_version(info->version);
  // The stable version is what the routing row serves (written with every
  // transition), else the endpoint's registered one.
  std::string stable = ep->stable_version;
  if (absl::StatusOr<internal_storage::RoutingSnapshot> routing =
          deps_.rollouts->GetRouting(endpoint);
      routing.ok()) {
    stable = routing->stable_version;
  }
  state.set_stable_version(stable);
  if (stable == info->version) {
    return refuse(MakeError(
        absl::StatusCode::kFailedPrecondition,
        Cat("version ", info->version, " of ", model,
            " is already the stable version of endpoint ", endpoint),
        ErrorDetail{.reason = "ROLLOUT_SAME_VERSION",
                    .rule = "a rollout deploys a version other than the "
                            "stable one",
                    .value = info->version,
                    .fix = "Deploy a newer version."}));
  }

  // The SPEC §2 gates.
  GateContext ctx;
  ctx.endpoint = std::string(endpoint);
  ctx.model = std::string(model);
  ctx.version = info->version;
  ctx.change_ticket = options.change_ticket;
  ctx.approval = info->approval;
  for (const auto& [name, kind] : policy.environments) {
    if (kind != EnvironmentKind::kStaging) continue;
    absl::StatusOr<std::vector<ValidationRecord>> v =
        deps_.registry->ListValidations(model, info->version, name);
    if (!v.ok()) return refuse(v.status());
    if (!v->empty()) ctx.staging_validation_passed = v->back().passed;
    break;
  }
  ctx.plan = options.plan.has_value() ? *options.plan : DefaultPlan();
  if (options.plan.has_value()) FillPlanDefaults(&ctx.plan);
  for (const internal_storage::AlertRule& rule : ep->alert_rules) {
    ctx.alert_rules.push_back(AlertRule{rule.name, KindOfRule(rule.name)});
  }
  std::optional<int64_t> last_run_ms;
  std::string pipeline = options.pipeline;
  if (pipeline.empty()) {
    if (deps_.rollouts->GetPipeline(endpoint).ok()) {
      pipeline = std::string(endpoint);
    }
  }
  if (!pipeline.empty()) {
    absl::StatusOr<std::optional<internal_storage::PipelineRunRecord>> run =
        deps_.rollouts->LastPipelineRun(pipeline);
    if (!run.ok()) return refuse(run.status());
    if (run->has_value()) {
      ctx.last_pipeline_run =
          PipelineChecks{pipeline, Cat((*run)->run_ms),
                         (*run)->schema_check_passed,
                         (*run)->distribution_check_passed};
      last_run_ms = (*run)->run_ms;
    }
  }
  absl::StatusOr<bool> drift_alert = DriftAlertActive(endpoint, last_run_ms);
  if (!drift_alert.ok()) return refuse(drift_alert.status());
  ctx.drift_alert_active = *drift_alert;
  absl::StatusOr<int> failed =
      deps_.rollouts->ConsecutiveFailedRollouts(endpoint);
  if (!failed.ok()) return refuse(failed.status());
  ctx.consecutive_failed_rollouts = *failed;
  ctx.manual_approval = options.manual_approval;
  GatePolicy gates = options_.gates;
  absl::StatusOr<EnvironmentKind> kind = policy.KindOf(env);
  gates.enforce = !kind.ok() || *kind == EnvironmentKind::kProduction;
  absl::StatusOr<GateReport> report = CheckGates(ctx, gates);
  if (!report.ok()) return refuse(report.status());

  // SPEC §4: the rollback plan before anything starts.
  const absl::Time now = deps_.clock->Now();
  state.set_id(deps_.ids->NewId());
  *state.mutable_plan() = ctx.plan;
  v1::RollbackPlan* rb = state.mutable_rollback_plan();
  rb->set_stable_version(stable);
  rb->set_stable_weight(1);
  rb->set_candidate_weight(0);
  *rb->mutable_recorded_at() = ToProtoTime(now);

  // SPEC §5: a production traffic change.
  if (deps_.stop != nullptr) {
    absl::Status s = deps_.stop->Check(
        internal_audit::Operation::kTrafficChange,
        EventFor(state, env, "rollout.deploy", options.actor));
    if (!s.ok()) return refuse(s);
  }

  StepResult r = Step(state, ctx.plan, Start{true, report->notes}, now);
  if (!r.status.ok()) return refuse(r.status);
  absl::StatusOr<std::string> json = StateToJson(r.next);
  if (!json.ok()) return refuse(json.status());
  internal_storage::RolloutRecord rec;
  rec.rollout_id = r.next.id();
  rec.endpoint = r.next.endpoint();
  rec.model = r.next.model();
  rec.candidate_version = r.next.candidate_version();
  rec.stable_version = r.next.stable_version();
  rec.phase = std::string(PhaseName(r.next.phase()));
  rec.active = true;
  rec.failed = false;
  rec.state_json = *std::move(json);
  rec.revision = r.next.transition_count();
  rec.created_ms = absl::ToUnixMillis(now);
  rec.updated_ms = rec.created_ms;
  internal_storage::TransitionRecord t;
  t.rollout_id = rec.rollout_id;
  t.revision = rec.revision;
  t.from_phase = std::string(PhaseName(RolloutState::PENDING));
  t.to_phase = rec.phase;
  t.input = "deploy";
  t.reason = r.transition->reason();
  t.at_ms = rec.created_ms;
  internal_storage::RoutingSnapshot routing = RoutingOf(r.next);
  routing.updated_ms = rec.created_ms;
  internal_audit::AuditEvent event =
      EventFor(r.next, env, "rollout.deploy", options.actor);
  event.reason = Cat("PENDING -> ", rec.phase, "(", r.next.stage_index(), ")");
  event.message = r.why;
  for (const std::string& note : report->notes) {
    event.message += Cat("; gate not enforced: ", note);
  }
  internal_storage::AuditAppend audit = deps_.auditor->Prepare(event);
  if (absl::Status s =
          deps_.rollouts->CreateRollout(rec, t, routing, &audit);
      !s.ok()) {
    return refuse(s);
  }
  Hook("committed");
  if (absl::Status a = Act(r.next, r.actions); !a.ok()) {
    std::fprintf(stderr,
                 "slipway: warning: rollout %s: an action failed after it "
                 "started; the next tick retries it: %s\n",
                 r.next.id().c_str(), a.ToString().c_str());
  }
  Hook("acted");
  return r.next;
}

absl::StatusOr<int> Controller::Tick() {
  absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
      deps_.rollouts->ListRollouts("", /*active_only=*/false);
  if (!all.ok()) return all.status();
  absl::Status first;
  auto note = [&first](absl::Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  int transitions = 0;
  for (const internal_storage::RolloutRecord& rec : *all) {
    // Registry actions lost to a crash, re-derived from the stored state.
    note(Reconcile(rec));
    if (!rec.active) continue;
    absl::StatusOr<RolloutState> s = StateFromJson(rec.state_json);
    if (!s.ok()) {
      note(s.status());
      continue;
    }
    absl::StatusOr<internal_storage::EndpointRecord> ep =
        deps_.rollouts->GetEndpoint(rec.endpoint);
    if (!ep.ok()) {
      note(ep.status());
      continue;
    }
    absl::StatusOr<bool> stopped = StopActiveFor(ep->environment);
    if (!stopped.ok()) {
      note(stopped.status());
      continue;
    }
    bool changed = false;
    absl::Status drift_error;
    absl::StatusOr<RolloutState> r = Drive(
        rec.rollout_id,
        [&](const Loaded& l) -> absl::StatusOr<Input> {
          if (*stopped) {
            if (l.state.phase() == RolloutState::HALTED &&
                l.state.halt_cause() == RolloutState::HALT_CAUSE_EMERGENCY_STOP) {
              // Already halted by the stop: Tick while halted does nothing.
              return internal_rollout::Tick{};
            }
            return internal_rollout::EmergencyStop{};
          }
          absl::StatusOr<StageReadings> readings = Readings(l.state);
          if (!readings.ok()) return readings.status();
          internal_rollout::Tick t{readings->verdicts};
          // Halted for drift already: a person decides, the check's numbers
          // are for the status only.
          if (l.state.phase() == RolloutState::HALTED) return t;
          // A drift check that cannot read its samples must not stop the
          // guardrails: its error is reported after the pass.
          absl::StatusOr<DriftCheckResult> drift =
              drift_.Check(l.state, deps_.clock->Now());
          if (!drift.ok()) {
            drift_error = drift.status();
          } else {
            // One feature's damaged row: the others were still judged.
            drift_error = drift->error;
            if (drift->drift()) {
              t.verdicts.drift = DriftVerdict::kDrift;
              t.verdicts.drift_detail = drift->drift_detail;
            }
          }
          return t;
        },
        "", /*person=*/false, &changed);
    note(drift_error);
    if (!r.ok()) {
      // An ended rollout (another controller finished it) is not an error.
      std::optional<ErrorDetail> d = GetErrorDetail(r.status());
      if (!(d.has_value() && d->reason == "ROLLOUT_ENDED")) note(r.status());
      continue;
    }
    if (changed) ++transitions;
  }
  if (!first.ok()) return first;
  return transitions;
}

absl::StatusOr<bool> Controller::DriftAlertActive(
    std::string_view endpoint,
    const std::optional<int64_t>& last_pipeline_run_ms) {
  absl::StatusOr<std::vector<internal_storage::RolloutRecord>> all =
      deps_.rollouts->ListRollouts(endpoint, /*active_only=*/false);
  if (!all.ok()) return all.status();
  // The newest rollout that raised a drift alert decides (the backend
  // lists oldest first).
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    const internal_storage::RolloutRecord& rec = *it;
    absl::StatusOr<RolloutState> s = StateFromJson(rec.state_json);
    if (!s.ok()) return s.status();
    if (!s->has_drift_alert_at()) continue;
    return !last_pipeline_run_ms.has_value() ||
           *last_pipeline_run_ms <= Ms(s->drift_alert_at());
  }
  return false;
}

absl::StatusOr<DriftCheckResult> Controller::DriftReadings(
    const RolloutState& state) {
  return drift_.Check(state, deps_.clock->Now());
}

absl::Status Controller::RecordOutcomes(
    std::string_view endpoint, std::string_view version, absl::Time minute,
    const internal_monitoring::OutcomeWindow& window,
    std::string_view replica) {
  // Windows are keyed by the canonical version, as rollouts read them.
  absl::StatusOr<ModelVersion> parsed = ModelVersion::Parse(
      version, deps_.policy != nullptr ? *deps_.policy : DefaultValidationPolicy());
  if (!parsed.ok()) return parsed.status();
  internal_storage::WindowRecord w;
  w.endpoint = std::string(endpoint);
  w.version = parsed->canonical();
  w.minute_ms = FloorMinute(absl::ToUnixMillis(minute));
  w.replica = replica.empty() ? std::string("default") : std::string(replica);
  internal_monitoring::EncodeOutcomeWindow(window, &w.data);
  return deps_.rollouts->PutWindows({w});
}

}  // namespace slipway::internal_rollout
