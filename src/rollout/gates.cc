#include "src/rollout/gates.h"

#include <algorithm>
#include <regex>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/rollout/plan.h"

namespace slipway::internal_rollout {
namespace {

using internal_strings::Cat;

constexpr size_t kMaxTicketLength = 256;

std::string Percent(double w) { return absl::StrFormat("%g%%", w * 100); }

std::string What(const GateContext& ctx) {
  std::string s =
      Cat("rollout of ", ctx.model.empty() ? "the model" : ctx.model);
  if (!ctx.version.empty()) s = Cat(s, " ", ctx.version);
  if (!ctx.endpoint.empty()) s = Cat(s, " to ", ctx.endpoint);
  return s;
}

absl::Status GateError(Gate gate, const GateContext& ctx, std::string_view what,
                       std::string_view rule, std::string_view value,
                       std::string_view fix) {
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   Cat("gate \"", GateName(gate), "\" refused the ", What(ctx),
                       ": ", what, ". ", fix),
                   ErrorDetail{.reason = std::string(GateReason(gate)),
                               .rule = std::string(rule),
                               .value = std::string(value),
                               .fix = std::string(fix)});
}

GateResult Passed(Gate gate) {
  return GateResult{gate, GateOutcome::kPassed, {}, {}};
}

GateResult Skipped(Gate gate, std::string note) {
  return GateResult{gate, GateOutcome::kSkipped, {}, std::move(note)};
}

GateResult Failed(Gate gate, absl::Status status) {
  return GateResult{gate, GateOutcome::kFailed, std::move(status), {}};
}

GateResult ChangeTicket(const GateContext& ctx, const GatePolicy& policy) {
  constexpr Gate g = Gate::kChangeTicket;
  if (policy.change_ticket == GateRequirement::kOff) {
    return Skipped(g,
                   Cat("change ticket gate skipped for the ", What(ctx),
                       ": switched off by policy (SPEC §2 \"if available\")"));
  }
  const std::string& ticket = ctx.change_ticket;
  if (ticket.empty()) {
    if (policy.change_ticket == GateRequirement::kIfAvailable) {
      return Skipped(g,
                     Cat("change ticket gate skipped for the ", What(ctx),
                         ": no ticket given and the policy makes it optional "
                         "(SPEC §2 \"if available\")"));
    }
    return Failed(g,
                  GateError(g, ctx, "no change ticket was given",
                            Cat("SPEC §2 change ticket: an ID matching ",
                                policy.change_ticket_format),
                            "",
                            "Pass the change ticket of this deployment, e.g. "
                            "change_ticket=\"MLOPS-2024-0456\"."));
  }
  std::regex format;
  try {
    format = std::regex(policy.change_ticket_format, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    const std::string fix =
        "Fix the policy's change_ticket_format, e.g. ^[A-Z]+-\\d{4}-\\d{4}$.";
    return Failed(
        g, MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("the change ticket format ",
                         QuoteForMessage(policy.change_ticket_format),
                         " is not a valid regular expression (", e.what(),
                         "). ", fix),
                     ErrorDetail{.reason = "GATE_POLICY_INVALID",
                                 .rule = "change_ticket_format is an "
                                         "ECMAScript regular expression",
                                 .value = policy.change_ticket_format,
                                 .fix = fix}));
  }
  const bool matches =
      ticket.size() <= kMaxTicketLength && std::regex_match(ticket, format);
  if (!matches) {
    return Failed(
        g, GateError(
               g, ctx,
               Cat("change ticket ", QuoteForMessage(ticket),
                   " does not match the format ", policy.change_ticket_format),
               Cat("SPEC §2 change ticket: an ID matching ",
                   policy.change_ticket_format),
               ticket,
               "Give the ticket ID exactly as the ticket system "
               "shows it, e.g. \"MLOPS-2024-0456\"."));
  }
  return Passed(g);
}

GateResult ModelValidation(const GateContext& ctx, const GatePolicy&) {
  constexpr Gate g = Gate::kModelValidation;
  const std::string rule =
      "SPEC §2 model validation: the version passed its recorded validation "
      "checks in staging and its approval status is Approved";
  if (!ctx.staging_validation_passed.has_value()) {
    return Failed(
        g, GateError(g, ctx, "no validation in staging is recorded", rule, "",
                     "Run the validation checks (accuracy, bias, latency "
                     "benchmarks) in staging and record them "
                     "(record_validation), then have the version "
                     "approved."));
  }
  if (!*ctx.staging_validation_passed) {
    return Failed(
        g, GateError(g, ctx, "its validation in staging failed", rule, "failed",
                     "Fix the model and record a passing validation in "
                     "staging."));
  }
  if (ctx.approval != ApprovalStatus::kApproved) {
    const std::string status(ApprovalStatusName(ctx.approval));
    return Failed(
        g,
        GateError(g, ctx, Cat("its approval status is ", status), rule, status,
                  "Have a data-science-lead or platform-lead set the "
                  "version's approval to Approved."));
  }
  return Passed(g);
}

GateResult ShadowFirst(const GateContext& ctx, const GatePolicy& policy) {
  constexpr Gate g = Gate::kShadowFirst;
  // The plan's promised shadow and A/B observation before full traffic.
  double planned_hours = 0;
  for (const v1::Stage& s : ctx.plan.stages()) {
    if (s.candidate_weight() >= 1.0) break;
    if (s.shadow() || s.ab().decide_by_significance()) {
      planned_hours += s.min_observation_seconds() / 3600.0;
    }
  }
  const double total = planned_hours + ctx.observed_shadow_or_ab_hours;
  if (total >= policy.min_shadow_or_ab_hours) return Passed(g);
  return Failed(
      g,
      GateError(
          g, ctx,
          absl::StrFormat("%g h of shadow or A/B observation before full "
                          "traffic (%g h planned, %g h already observed), "
                          "less than %g h",
                          total, planned_hours, ctx.observed_shadow_or_ab_hours,
                          policy.min_shadow_or_ab_hours),
          absl::StrFormat("SPEC §2 shadow / A-B first: at least %g hours "
                          "of observation before full traffic",
                          policy.min_shadow_or_ab_hours),
          absl::StrFormat("%g", total),
          absl::StrFormat("Start the plan with a shadow stage of at least "
                          "%g h (the default plan's \"shadow\" stage).",
                          policy.min_shadow_or_ab_hours)));
}

GateResult Canary(const GateContext& ctx, const GatePolicy& policy) {
  constexpr Gate g = Gate::kCanary;
  const std::string rule =
      Cat("SPEC §2 canary enforcement: the first stage that serves traffic "
          "routes at most ",
          Percent(policy.max_first_serving_weight));
  const int first = FirstServingStage(ctx.plan);
  if (first < 0) {
    return Failed(
        g, GateError(g, ctx, "the plan has no stage that serves traffic", rule,
                     "", "End the plan with a 100% stage, after a canary."));
  }
  const v1::Stage& s = ctx.plan.stages(first);
  if (s.candidate_weight() <= policy.max_first_serving_weight) return Passed(g);
  return Failed(
      g, GateError(g, ctx,
                   Cat("the first serving stage ", QuoteForMessage(s.name()),
                       " routes ", Percent(s.candidate_weight())),
                   rule, absl::StrFormat("%g", s.candidate_weight()),
                   Cat("Put a canary of at most ",
                       Percent(policy.max_first_serving_weight),
                       " first, e.g. \"canary-1\" at 1%.")));
}

GateResult Monitoring(const GateContext& ctx, const GatePolicy& policy) {
  constexpr Gate g = Gate::kMonitoring;
  auto has = [&ctx](AlertKind k) {
    return std::any_of(ctx.alert_rules.begin(), ctx.alert_rules.end(),
                       [k](const AlertRule& r) { return r.kind == k; });
  };
  std::string missing;
  for (auto [kind, name] : {std::pair{AlertKind::kAccuracy, "accuracy"},
                            std::pair{AlertKind::kLatency, "latency"},
                            std::pair{AlertKind::kDrift, "drift"}}) {
    if (has(kind)) continue;
    if (!missing.empty()) missing += ", ";
    missing += name;
  }
  const int count = static_cast<int>(ctx.alert_rules.size());
  if (missing.empty() && count >= policy.min_alert_rules) return Passed(g);
  std::string what =
      Cat("the endpoint has ", count, " alert rule", count == 1 ? "" : "s");
  if (!missing.empty()) what = Cat(what, ", none for ", missing);
  return Failed(
      g, GateError(
             g, ctx, what,
             Cat("SPEC §2 monitoring active: at least ", policy.min_alert_rules,
                 " alert rules, for accuracy, latency and drift"),
             absl::StrFormat("%d", count),
             Cat("Add alert rules to the endpoint",
                 missing.empty() ? std::string() : Cat(" for ", missing),
                 " (at least ", policy.min_alert_rules, " in all).")));
}

GateResult DataQuality(const GateContext& ctx, const GatePolicy&) {
  constexpr Gate g = Gate::kDataQuality;
  const std::string rule =
      "SPEC §2 data quality: the last pipeline run's schema and distribution "
      "checks passed, and no drift alert is active";
  if (!ctx.last_pipeline_run.has_value()) {
    return Failed(
        g, GateError(g, ctx,
                     "no pipeline run with data-quality checks is "
                     "recorded",
                     rule, "",
                     "Run the feature pipeline and record its schema and "
                     "distribution checks."));
  }
  const PipelineChecks& run = *ctx.last_pipeline_run;
  if (!run.schema_passed || !run.distribution_passed) {
    const char* which = !run.schema_passed && !run.distribution_passed
                            ? "schema and distribution checks"
                        : !run.schema_passed ? "schema check"
                                             : "distribution check";
    return Failed(g,
                  GateError(g, ctx,
                            Cat("the ", which, " of the last run ",
                                QuoteForMessage(run.run_id), " of pipeline ",
                                QuoteForMessage(run.pipeline), " failed"),
                            rule, run.run_id,
                            "Fix the data and run the pipeline again until its "
                            "checks pass."));
  }
  if (ctx.drift_alert_active) {
    return Failed(
        g, GateError(g, ctx, "a drift alert is active on the endpoint", rule,
                     "drift",
                     "Investigate the drift and resolve the alert before "
                     "deploying."));
  }
  return Passed(g);
}

GateResult ManualApprovalGate(const GateContext& ctx,
                              const GatePolicy& policy) {
  constexpr Gate g = Gate::kManualApproval;
  if (ctx.consecutive_failed_rollouts <
      policy.failed_rollouts_for_manual_approval) {
    return Passed(g);
  }
  std::string roles;
  for (const std::string& r : policy.manual_approval_roles) {
    if (!roles.empty()) roles += ", ";
    roles += r;
  }
  const std::string rule = Cat(
      "SPEC §3: ", policy.failed_rollouts_for_manual_approval,
      " consecutive failed rollouts on an endpoint make the next one need a "
      "manual approval (roles: ",
      roles, ")");
  const std::string fix =
      Cat("Have one of ", roles, " approve this rollout manually.");
  const std::string failed =
      Cat(ctx.consecutive_failed_rollouts,
          " consecutive rollouts on the endpoint failed");
  if (!ctx.manual_approval.has_value() || ctx.manual_approval->actor.empty()) {
    return Failed(
        g, GateError(
               g, ctx, Cat(failed, " and no manual approval was given"), rule,
               absl::StrFormat("%d", ctx.consecutive_failed_rollouts), fix));
  }
  const std::vector<std::string>& allowed = policy.manual_approval_roles;
  if (std::find(allowed.begin(), allowed.end(), ctx.manual_approval->role) ==
      allowed.end()) {
    return Failed(g, GateError(g, ctx,
                               Cat(failed, " and the manual approval by ",
                                   QuoteForMessage(ctx.manual_approval->actor),
                                   " is in role ",
                                   QuoteForMessage(ctx.manual_approval->role)),
                               rule, ctx.manual_approval->role, fix));
  }
  return Passed(g);
}

}  // namespace

std::string_view GateName(Gate gate) {
  switch (gate) {
    case Gate::kChangeTicket:
      return "change ticket";
    case Gate::kModelValidation:
      return "model validation";
    case Gate::kShadowFirst:
      return "shadow / A-B first";
    case Gate::kCanary:
      return "canary enforcement";
    case Gate::kMonitoring:
      return "monitoring active";
    case Gate::kDataQuality:
      return "data quality";
    case Gate::kManualApproval:
      return "manual approval";
  }
  return "unknown gate";
}

std::string_view GateReason(Gate gate) {
  switch (gate) {
    case Gate::kChangeTicket:
      return "GATE_CHANGE_TICKET";
    case Gate::kModelValidation:
      return "GATE_MODEL_VALIDATION";
    case Gate::kShadowFirst:
      return "GATE_SHADOW_FIRST";
    case Gate::kCanary:
      return "GATE_CANARY";
    case Gate::kMonitoring:
      return "GATE_MONITORING";
    case Gate::kDataQuality:
      return "GATE_DATA_QUALITY";
    case Gate::kManualApproval:
      return "GATE_MANUAL_APPROVAL";
  }
  return "GATE_UNKNOWN";
}

GateResult EvaluateGate(Gate gate, const GateContext& ctx,
                        const GatePolicy& policy) {
  GateResult r;
  switch (gate) {
    case Gate::kChangeTicket:
      r = ChangeTicket(ctx, policy);
      break;
    case Gate::kModelValidation:
      r = ModelValidation(ctx, policy);
      break;
    case Gate::kShadowFirst:
      r = ShadowFirst(ctx, policy);
      break;
    case Gate::kCanary:
      r = Canary(ctx, policy);
      break;
    case Gate::kMonitoring:
      r = Monitoring(ctx, policy);
      break;
    case Gate::kDataQuality:
      r = DataQuality(ctx, policy);
      break;
    case Gate::kManualApproval:
      r = ManualApprovalGate(ctx, policy);
      break;
  }
  // SPEC §7: outside production a failing gate warns and is audited. A
  // broken policy is not a gate verdict and refuses everywhere.
  if (r.outcome == GateOutcome::kFailed && !policy.enforce &&
      r.status.code() == absl::StatusCode::kFailedPrecondition) {
    r.outcome = GateOutcome::kNotEnforced;
    r.note = Cat("gate \"", GateName(gate),
                 "\" not enforced in this environment: ", r.status.message());
  }
  return r;
}

GateReport EvaluateGates(const GateContext& ctx, const GatePolicy& policy) {
  GateReport report;
  for (Gate g : kAllGates) {
    GateResult r = EvaluateGate(g, ctx, policy);
    if (!r.note.empty()) report.notes.push_back(r.note);
    report.results.push_back(std::move(r));
  }
  return report;
}

absl::StatusOr<GateReport> CheckGates(const GateContext& ctx,
                                      const GatePolicy& policy) {
  GateReport report = EvaluateGates(ctx, policy);
  const GateResult* first = nullptr;
  std::string others;
  for (const GateResult& r : report.results) {
    if (r.outcome != GateOutcome::kFailed) continue;
    if (first == nullptr) {
      first = &r;
      continue;
    }
    if (!others.empty()) others += ", ";
    others += GateName(r.gate);
  }
  if (first == nullptr) return report;
  if (others.empty()) return first->status;
  std::optional<ErrorDetail> detail = GetErrorDetail(first->status);
  return MakeError(
      first->status.code(),
      Cat(first->status.message(), " Other gates failing too: ", others, "."),
      detail.value_or(ErrorDetail{}));
}

}  // namespace slipway::internal_rollout
