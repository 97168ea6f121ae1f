// slipway/rollout.h: the endpoint, pipeline, feature and rollout methods of
// _slipway.Store (slipway/store.h, the end of class Store). Wrapped with
// keyword ergonomics, dataclasses and the Rollout handle by
// python/slipway/rollout.py.
//
// Thin, like registry_bindings.cc: every call runs the core without the GIL
// (WithoutGil), statuses become exceptions through status_translation, and
// the C++ records cross as plain dicts and lists built after the call, with
// the GIL. Durations cross as float seconds, times as Unix milliseconds.
// Also the SPEC §3 capacity cap (src/rollout/capacity.h), as module
// functions: pure arithmetic, no store.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings/python/bindings.h"
#include "bindings/python/py_store.h"
#include "bindings/python/status_translation.h"
#include "slipway/registry.h"
#include "slipway/rollout.h"
#include "slipway/store.h"
#include "src/rollout/capacity.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

using OptString = std::optional<std::string>;

Actor ActorOf(const OptString& name, const OptString& role) {
  return Actor{.name = name.value_or(""), .role = role.value_or("")};
}

// --- C++ records -> Python dicts (with the GIL) -----------------------------

py::dict EndpointDict(const EndpointInfo& e) {
  py::list rules;
  for (const AlertRuleSpec& r : e.alert_rules) {
    rules.append(py::make_tuple(r.name, r.threshold));
  }
  py::dict d;
  d["name"] = e.name;
  d["environment"] = e.environment;
  d["model"] = e.model;
  d["stable_version"] = e.stable_version;
  d["alert_rules"] = std::move(rules);
  d["created_ms"] = e.created_ms;
  d["updated_ms"] = e.updated_ms;
  return d;
}

py::dict RoutingDict(const RoutingInfo& r) {
  py::dict d;
  d["endpoint"] = r.endpoint;
  d["stable_version"] = r.stable_version;
  d["candidate_version"] = r.candidate_version;
  d["candidate_weight"] = r.candidate_weight;
  d["shadow"] = r.shadow;
  d["generation"] = r.generation;
  return d;
}

py::dict DriftDict(const FeatureDriftReading& f) {
  py::dict d;
  d["feature"] = f.feature;
  d["verdict"] = f.verdict;
  d["note"] = f.note;
  d["statistic"] = f.statistic;
  d["sigma"] = f.sigma;
  d["threshold"] = f.threshold;
  d["chunk_rows"] = f.chunk_rows;
  d["reference_rows"] = f.reference_rows;
  d["chunk_start_ms"] = f.chunk_start_ms;
  return d;
}

py::dict SampleReportDict(const FeatureSampleReport& r) {
  py::dict d;
  d["feature"] = r.feature;
  d["passed"] = r.passed;
  d["rows"] = r.rows;
  d["nulls"] = r.nulls;
  d["below_min"] = r.below_min;
  d["above_max"] = r.above_max;
  d["min"] = r.min;
  d["max"] = r.max;
  d["variance"] = r.variance;
  d["problems"] = py::cast(r.problems);
  return d;
}

py::dict ReadingsDict(const GuardrailReadings& g) {
  py::list drift;
  for (const FeatureDriftReading& f : g.drift) drift.append(DriftDict(f));
  py::dict d;
  d["error_rate_verdict"] = g.error_rate_verdict;
  d["latency_verdict"] = g.latency_verdict;
  d["accuracy_verdict"] = g.accuracy_verdict;
  d["candidate_requests"] = g.candidate_requests;
  d["candidate_errors"] = g.candidate_errors;
  d["error_rate"] = g.error_rate;
  d["error_streak"] = g.error_streak;
  d["candidate_p99_ms"] = g.candidate_p99_ms;
  d["stable_p99_ms"] = g.stable_p99_ms;
  d["p99_ratio"] = g.p99_ratio;
  d["candidate_accuracy"] = g.candidate_accuracy;
  d["stable_accuracy"] = g.stable_accuracy;
  d["predictions"] = g.predictions;
  d["windows"] = g.windows;
  d["drift"] = std::move(drift);
  return d;
}

// Every field of a RolloutStatus (slipway/rollout.h), in its declared order.
py::dict StatusDict(const RolloutStatus& s) {
  py::list approvals;
  for (const RolloutApproval& a : s.approvals) {
    py::dict x;
    x["stage"] = a.stage;
    x["actor"] = a.actor;
    x["role"] = a.role;
    x["at_ms"] = a.at_ms;
    approvals.append(std::move(x));
  }
  py::dict d;
  d["id"] = s.id;
  d["endpoint"] = s.endpoint;
  d["model"] = s.model;
  d["candidate_version"] = s.candidate_version;
  d["stable_version"] = s.stable_version;
  d["phase"] = s.phase;
  d["active"] = s.active;
  d["stage"] = s.stage;
  d["stage_index"] = s.stage_index;
  d["stable_weight"] = s.stable_weight;
  d["candidate_weight"] = s.candidate_weight;
  d["shadow"] = s.shadow;
  d["time_in_stage_s"] = absl::ToDoubleSeconds(s.time_in_stage);
  d["halt_cause"] = s.halt_cause;
  d["last_reason"] = s.last_reason;
  d["outlook"] = s.outlook;
  d["next_gate"] = s.next_gate;
  d["readings"] = ReadingsDict(s.readings);
  d["approvals"] = std::move(approvals);
  d["change_ticket"] = s.change_ticket;
  d["rollback_version"] = s.rollback_version;
  d["gate_notes"] = py::cast(s.gate_notes);
  d["transitions"] = s.transitions;
  d["started_ms"] = s.started_ms;
  d["updated_ms"] = s.updated_ms;
  d["state_json"] = s.state_json;
  return d;
}

// Latencies as python/slipway/rollout.py passes them: a contiguous 1-D
// float64 buffer (a numpy array, array('d')) is copied in one go; any other
// sequence of numbers element by element. Needs the GIL.
std::vector<double> Latencies(const py::object& o) {
  if (o.is_none()) return {};
  if (py::isinstance<py::buffer>(o)) {
    py::buffer_info info = py::reinterpret_borrow<py::buffer>(o).request();
    if (info.format == py::format_descriptor<double>::format() &&
        info.ndim == 1 && info.strides[0] == sizeof(double)) {
      const double* p = static_cast<const double*>(info.ptr);
      return std::vector<double>(p, p + info.size);
    }
  }
  return o.cast<std::vector<double>>();
}

// Feature values as python/slipway/rollout.py passes them: a contiguous 1-D
// float64 buffer (a numpy array, array('d')) is read in place, with no copy
// (the buffer is held until the call returns); any other sequence of
// numbers is copied element by element. Construct and destroy with the GIL;
// span() may be read without it.
class Values {
 public:
  explicit Values(const py::object& o) {
    if (py::isinstance<py::buffer>(o)) {
      py::buffer_info info = py::reinterpret_borrow<py::buffer>(o).request();
      if (info.format == py::format_descriptor<double>::format() &&
          info.ndim == 1 &&
          (info.size <= 1 || info.strides[0] == sizeof(double))) {
        span_ = std::span<const double>(static_cast<const double*>(info.ptr),
                                        static_cast<size_t>(info.size));
        info_ = std::move(info);
        return;
      }
    }
    copy_ = o.cast<std::vector<double>>();
    span_ = copy_;
  }
  Values(const Values&) = delete;
  Values& operator=(const Values&) = delete;

  std::span<const double> span() const { return span_; }

 private:
  py::buffer_info info_;  // keeps the buffer exported while span_ points in
  std::vector<double> copy_;
  std::span<const double> span_;
};

template <typename T>
py::dict CapacityDict(const internal_rollout::CapacityDecision<T>& c) {
  py::dict d;
  d["allowed"] = c.allowed;
  d["capped"] = c.capped;
  return d;
}

void RegisterCapacityFunctions(py::module_& m) {
  m.attr("MAX_CAPACITY_INCREASE") = internal_rollout::kMaxCapacityIncrease;
  m.def(
      "cap_capacity_change",
      [](int64_t current, int64_t requested, double max_increase) {
        return CapacityDict(ValueOrThrow(internal_rollout::CapCapacityChange(
            current, requested, max_increase)));
      },
      py::arg("current"), py::arg("requested"),
      py::arg("max_increase") = internal_rollout::kMaxCapacityIncrease);
  m.def(
      "cap_continuous_capacity_change",
      [](double current, double requested, double max_increase) {
        return CapacityDict(
            ValueOrThrow(internal_rollout::CapContinuousCapacityChange(
                current, requested, max_increase)));
      },
      py::arg("current"), py::arg("requested"),
      py::arg("max_increase") = internal_rollout::kMaxCapacityIncrease);
}

void RegisterStoreMethods(py::module_& m) {
  py::object type = m.attr("Store");
  auto add = [&](const char* name, auto&& fn, auto&&... extra) {
    py::setattr(type, name,
                py::cpp_function(std::forward<decltype(fn)>(fn), py::name(name),
                                 py::is_method(type), extra...));
  };

  // --- endpoints ---
  add(
      "register_endpoint",
      [](PyStore& s, const std::string& name, const std::string& environment,
         const std::string& model, const std::string& stable_version,
         const std::vector<std::pair<std::string, double>>& alert_rules,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        std::vector<AlertRuleSpec> rules;
        for (const auto& [rule, threshold] : alert_rules) {
          rules.push_back(AlertRuleSpec{rule, threshold});
        }
        const Actor who = ActorOf(actor, role);
        return EndpointDict(ValueOrThrow(WithoutGil([&] {
          return store.RegisterEndpoint(name, environment, model,
                                        stable_version, rules, who);
        })));
      },
      py::arg("name"), py::arg("environment"), py::arg("model"),
      py::arg("stable_version"), py::arg("alert_rules"),
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "get_endpoint",
      [](PyStore& s, const std::string& name) {
        Store& store = s.get();
        return EndpointDict(
            ValueOrThrow(WithoutGil([&] { return store.GetEndpoint(name); })));
      },
      py::arg("name"));
  add("list_endpoints", [](PyStore& s) {
    Store& store = s.get();
    std::vector<EndpointInfo> all =
        ValueOrThrow(WithoutGil([&] { return store.ListEndpoints(); }));
    py::list out;
    for (const EndpointInfo& e : all) out.append(EndpointDict(e));
    return out;
  });
  add(
      "update_endpoint",
      [](PyStore& s, const std::string& name,
         const std::vector<std::pair<std::string, double>>& alert_rules,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        std::vector<AlertRuleSpec> rules;
        for (const auto& [rule, threshold] : alert_rules) {
          rules.push_back(AlertRuleSpec{rule, threshold});
        }
        const Actor who = ActorOf(actor, role);
        return EndpointDict(ValueOrThrow(WithoutGil(
            [&] { return store.UpdateEndpoint(name, rules, who); })));
      },
      py::arg("name"), py::arg("alert_rules"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "delete_endpoint",
      [](PyStore& s, const std::string& name, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.DeleteEndpoint(name, who); }));
      },
      py::arg("name"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "routing",
      [](PyStore& s, const std::string& endpoint) {
        Store& store = s.get();
        return RoutingDict(
            ValueOrThrow(WithoutGil([&] { return store.GetRouting(endpoint); })));
      },
      py::arg("endpoint"));

  // --- pipelines and features ---
  add(
      "register_pipeline",
      [](PyStore& s, const std::string& name, const OptString& environment,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const std::string env = environment.value_or("");
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.RegisterPipeline(name, env, who); }));
      },
      py::arg("name"), py::arg("environment") = py::none(),
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "record_pipeline_run",
      [](PyStore& s, const std::string& pipeline, bool schema_check_passed,
         bool distribution_check_passed, const std::string& details_json,
         int64_t run_ms, const OptString& actor, const OptString& role) {
        Store& store = s.get();
        PipelineRunInfo run;
        run.pipeline = pipeline;
        run.schema_check_passed = schema_check_passed;
        run.distribution_check_passed = distribution_check_passed;
        run.details_json = details_json;
        run.run_ms = run_ms;
        const Actor who = ActorOf(actor, role);
        ThrowIfError(
            WithoutGil([&] { return store.RecordPipelineRun(run, who); }));
      },
      py::arg("pipeline"), py::arg("schema_check_passed"),
      py::arg("distribution_check_passed"), py::arg("details_json") = "{}",
      py::arg("run_ms") = 0, py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "register_feature",
      [](PyStore& s, const std::string& name, const std::string& dtype,
         std::optional<double> min_value, std::optional<double> max_value,
         const OptString& environment, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        FeatureSpec f;
        f.name = name;
        f.dtype = dtype;
        f.min_value = min_value;
        f.max_value = max_value;
        f.environment = environment.value_or("");
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil([&] { return store.RegisterFeature(f, who); }));
      },
      py::arg("name"), py::arg("dtype"), py::arg("min") = py::none(),
      py::arg("max") = py::none(), py::arg("environment") = py::none(),
      py::arg("actor") = py::none(), py::arg("role") = py::none());

  add(
      "validate_feature_sample",
      [](PyStore& s, const std::string& feature, const py::object& sample) {
        Store& store = s.get();
        const Values values(sample);
        return SampleReportDict(ValueOrThrow(WithoutGil([&] {
          return store.ValidateFeatureSample(feature, values.span());
        })));
      },
      py::arg("feature"), py::arg("sample"));
  add(
      "update_feature",
      [](PyStore& s, const std::string& name, const std::string& dtype,
         std::optional<double> min_value, std::optional<double> max_value,
         const py::object& sample, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        FeatureSpec f;
        f.name = name;
        f.dtype = dtype;
        f.min_value = min_value;
        f.max_value = max_value;
        const Values values(sample);
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil(
            [&] { return store.UpdateFeature(f, values.span(), who); }));
      },
      py::arg("name"), py::arg("dtype"), py::arg("min"), py::arg("max"),
      py::arg("sample"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "set_drift_reference",
      [](PyStore& s, const std::string& endpoint, const std::string& feature,
         const py::object& values, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        const Values v(values);
        const Actor who = ActorOf(actor, role);
        ThrowIfError(WithoutGil([&] {
          return store.SetDriftReference(endpoint, feature, v.span(), who);
        }));
      },
      py::arg("endpoint"), py::arg("feature"), py::arg("values"),
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "record_feature_samples",
      [](PyStore& s, const std::string& endpoint, const std::string& version,
         int64_t minute_ms, const std::string& feature,
         const py::object& values, const std::string& replica) {
        Store& store = s.get();
        const Values v(values);
        ThrowIfError(WithoutGil([&] {
          return store.RecordFeatureSamples(endpoint, version, minute_ms,
                                            feature, v.span(), replica);
        }));
      },
      py::arg("endpoint"), py::arg("version"), py::arg("minute_ms"),
      py::arg("feature"), py::arg("values"), py::arg("replica") = "");

  // --- rollouts ---
  add(
      "deploy",
      [](PyStore& s, const std::string& model, const std::string& version,
         const std::string& endpoint, const std::string& plan_json,
         const std::string& change_ticket, const OptString& actor,
         const OptString& role, const std::string& pipeline,
         const OptString& manual_approval_actor,
         const OptString& manual_approval_role) {
        Store& store = s.get();
        DeployOptions o;
        o.plan_json = plan_json;
        o.change_ticket = change_ticket;
        o.actor = ActorOf(actor, role);
        o.pipeline = pipeline;
        if (manual_approval_actor || manual_approval_role) {
          o.manual_approval =
              ActorOf(manual_approval_actor, manual_approval_role);
        }
        return StatusDict(ValueOrThrow(WithoutGil(
            [&] { return store.Deploy(model, version, endpoint, o); })));
      },
      py::arg("model"), py::arg("version"), py::arg("endpoint"),
      py::arg("plan_json") = "", py::arg("change_ticket") = "",
      py::arg("actor") = py::none(), py::arg("role") = py::none(),
      py::arg("pipeline") = "", py::arg("manual_approval_actor") = py::none(),
      py::arg("manual_approval_role") = py::none());
  add(
      "approve_rollout",
      [](PyStore& s, const std::string& rollout_id, const std::string& stage,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        return StatusDict(ValueOrThrow(WithoutGil(
            [&] { return store.ApproveRollout(rollout_id, stage, who); })));
      },
      py::arg("rollout_id"), py::arg("stage"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "rollback_rollout",
      [](PyStore& s, const std::string& rollout_id, const std::string& reason,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        return StatusDict(ValueOrThrow(WithoutGil(
            [&] { return store.RollbackRollout(rollout_id, reason, who); })));
      },
      py::arg("rollout_id"), py::arg("reason") = "manual",
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "abort_rollout",
      [](PyStore& s, const std::string& rollout_id, const std::string& reason,
         const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        return StatusDict(ValueOrThrow(WithoutGil(
            [&] { return store.AbortRollout(rollout_id, reason, who); })));
      },
      py::arg("rollout_id"), py::arg("reason") = "",
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "resume_rollout",
      [](PyStore& s, const std::string& rollout_id, const OptString& actor,
         const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        return StatusDict(ValueOrThrow(
            WithoutGil([&] { return store.ResumeRollout(rollout_id, who); })));
      },
      py::arg("rollout_id"), py::arg("actor") = py::none(),
      py::arg("role") = py::none());
  add(
      "report_drift",
      [](PyStore& s, const std::string& rollout_id, const std::string& feature,
         double sigma, const OptString& actor, const OptString& role) {
        Store& store = s.get();
        const Actor who = ActorOf(actor, role);
        return StatusDict(ValueOrThrow(WithoutGil([&] {
          return store.ReportDrift(rollout_id, feature, sigma, who);
        })));
      },
      py::arg("rollout_id"), py::arg("feature"), py::arg("sigma"),
      py::arg("actor") = py::none(), py::arg("role") = py::none());
  add(
      "get_rollout",
      [](PyStore& s, const std::string& rollout_id) {
        Store& store = s.get();
        return StatusDict(ValueOrThrow(
            WithoutGil([&] { return store.GetRollout(rollout_id); })));
      },
      py::arg("rollout_id"));
  add(
      "list_rollouts",
      [](PyStore& s, const std::string& endpoint, bool active_only) {
        Store& store = s.get();
        std::vector<RolloutStatus> all = ValueOrThrow(WithoutGil(
            [&] { return store.ListRollouts(endpoint, active_only); }));
        py::list out;
        for (const RolloutStatus& r : all) out.append(StatusDict(r));
        return out;
      },
      py::arg("endpoint") = "", py::arg("active_only") = false);
  add("tick", [](PyStore& s) {
    Store& store = s.get();
    return ValueOrThrow(WithoutGil([&] { return store.Tick(); }));
  });
  add(
      "record_outcomes",
      [](PyStore& s, const std::string& endpoint, const std::string& version,
         int64_t minute_ms, uint64_t requests, uint64_t errors,
         const py::object& latencies_ms, uint64_t predictions,
         uint64_t labelled, uint64_t correct, uint64_t successes,
         uint64_t trials, const std::string& replica) {
        Store& store = s.get();
        OutcomeCounts c;
        c.requests = requests;
        c.errors = errors;
        c.latencies_ms = Latencies(latencies_ms);
        c.predictions = predictions;
        c.labelled = labelled;
        c.correct = correct;
        c.successes = successes;
        c.trials = trials;
        ThrowIfError(WithoutGil([&] {
          return store.RecordOutcomes(endpoint, version, minute_ms, c, replica);
        }));
      },
      py::arg("endpoint"), py::arg("version"), py::arg("minute_ms"),
      py::arg("requests") = 0, py::arg("errors") = 0,
      py::arg("latencies_ms") = py::none(), py::arg("predictions") = 0,
      py::arg("labelled") = 0, py::arg("correct") = 0,
      py::arg("successes") = 0, py::arg("trials") = 0,
      py::arg("replica") = "");
}

}  // namespace

void RegisterRolloutBindings(py::module_& m) {
  RegisterStoreMethods(m);
  RegisterCapacityFunctions(m);
}

}  // namespace slipway::python
