// slipway/store.h and slipway/tracking.h: _slipway.Store, the value types
// (ExperimentInfo, RunInfo, MetricSummary, RunStatus, Durability) and the
// pybind11 methods of _slipway.Run (its hot methods are in
// run_fastcall.cc). Wrapped with keyword ergonomics by
// python/slipway/store.py and tracking.py. The registry, audit-log and
// emergency-stop methods of _slipway.Store are in registry_bindings.cc.
//
// Thin: optional arguments left as None keep the C++ defaults; every call
// that may touch the disk or wait for the writer runs without the GIL
// (WithoutGil); statuses become exceptions through status_translation.
#include <pybind11/numpy.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings/python/bindings.h"
#include "bindings/python/py_store.h"
#include "bindings/python/run_fastcall.h"
#include "bindings/python/status_translation.h"
#include "slipway/env.h"
#include "slipway/store.h"
#include "slipway/tracking.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;
// A RoleRule (slipway/registry.h) as Python gives it: (environment, action,
// roles).
using RoleRuleTuple =
    std::tuple<std::string, std::string, std::vector<std::string>>;

// Moves a vector into a 1-D numpy array without copying its elements.
template <typename T>
py::array_t<T> ToArray(std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule base(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(),
                        base);
}

template <typename T>
std::span<const T> SpanOf(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  return std::span<const T>(a.data(), static_cast<size_t>(a.size()));
}

using Int64Array = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

void RegisterValueTypes(py::module_& m) {
  py::enum_<RunStatus>(m, "RunStatus")
      .value("RUNNING", RunStatus::kRunning)
      .value("FINISHED", RunStatus::kFinished)
      .value("FAILED", RunStatus::kFailed)
      .value("KILLED", RunStatus::kKilled);

  py::enum_<StoreOptions::Durability>(m, "Durability")
      .value("BUFFERED", StoreOptions::Durability::kBuffered)
      .value("EVERY_CALL", StoreOptions::Durability::kEveryCall);

  py::class_<ExperimentInfo>(m, "ExperimentInfo")
      .def_readonly("experiment_id", &ExperimentInfo::experiment_id)
      .def_readonly("name", &ExperimentInfo::name)
      .def_readonly("created_ms", &ExperimentInfo::created_ms)
      .def_readonly("tags", &ExperimentInfo::tags);

  py::class_<RunInfo>(m, "RunInfo")
      .def_readonly("run_id", &RunInfo::run_id)
      .def_readonly("name", &RunInfo::name)
      .def_readonly("experiment_id", &RunInfo::experiment_id)
      .def_readonly("status", &RunInfo::status)
      .def_readonly("start_ms", &RunInfo::start_ms)
      .def_readonly("end_ms", &RunInfo::end_ms)
      .def_readonly("parent_run_id", &RunInfo::parent_run_id)
      .def_readonly("user", &RunInfo::user)
      .def_property_readonly("source_path",
                             [](const RunInfo& r) { return r.source.path; })
      .def_property_readonly("source_git_commit",
                             [](const RunInfo& r) { return r.source.git_commit; })
      .def_readonly("params", &RunInfo::params)
      .def_readonly("tags", &RunInfo::tags)
      .def_readonly("metrics", &RunInfo::metrics);

  py::class_<MetricSummary>(m, "MetricSummary")
      .def_readonly("key", &MetricSummary::key)
      .def_readonly("count", &MetricSummary::count)
      .def_readonly("last_value", &MetricSummary::last_value)
      .def_readonly("last_step", &MetricSummary::last_step)
      .def_readonly("last_timestamp_ms", &MetricSummary::last_timestamp_ms)
      .def_readonly("min_value", &MetricSummary::min_value)
      .def_readonly("max_value", &MetricSummary::max_value);
}

// The slower methods of _slipway.Run, attached to the C type.
void RegisterRunMethods(py::module_& m) {
  py::object type = m.attr("Run");
  auto add = [&](const char* name, py::cpp_function fn) {
    py::setattr(type, name, fn);
  };
  add("_log_params",
      py::cpp_function(
          [](py::handle self, const KeyValues& params) {
            Run& run = RunOf(self);
            ThrowIfError(WithoutGil([&] { return run.LogParams(params); }));
          },
          py::name("_log_params"), py::is_method(type), py::arg("params")));
  add("_set_tags",
      py::cpp_function(
          [](py::handle self, const KeyValues& tags) {
            Run& run = RunOf(self);
            ThrowIfError(WithoutGil([&] { return run.SetTags(tags); }));
          },
          py::name("_set_tags"), py::is_method(type), py::arg("tags")));
  add("_log_metric_columns",
      py::cpp_function(
          [](py::handle self, const std::string& key, const Int64Array& steps,
             const Int64Array& timestamps_ms, const DoubleArray& values) {
            Run& run = RunOf(self);
            ThrowIfError(WithoutGil([&] {
              return run.LogMetricColumns(key, SpanOf(steps),
                                          SpanOf(timestamps_ms), SpanOf(values));
            }));
          },
          py::name("_log_metric_columns"), py::is_method(type), py::arg("key"),
          py::arg("steps"), py::arg("timestamps_ms"), py::arg("values")));
  add("_log_metric_values",
      py::cpp_function(
          [](py::handle self, const std::string& key, const DoubleArray& values) {
            Run& run = RunOf(self);
            ThrowIfError(WithoutGil(
                [&] { return run.LogMetricValues(key, SpanOf(values)); }));
          },
          py::name("_log_metric_values"), py::is_method(type), py::arg("key"),
          py::arg("values")));
  add("_flush", py::cpp_function(
                    [](py::handle self) {
                      Run& run = RunOf(self);
                      ThrowIfError(WithoutGil([&] { return run.Flush(); }));
                    },
                    py::name("_flush"), py::is_method(type)));
  add("_end", py::cpp_function(
                  [](py::handle self, RunStatus status) {
                    Run& run = RunOf(self);
                    ThrowIfError(WithoutGil([&] { return run.End(status); }));
                  },
                  py::name("_end"), py::is_method(type), py::arg("status")));
}

void RegisterStore(py::module_& m) {
  py::class_<PyStore, std::shared_ptr<PyStore>>(m, "Store")
      .def_static(
          "open",
          [](const std::string& uri, py::object clock,
             std::optional<StoreOptions::Durability> durability,
             std::optional<double> flush_interval_s,
             std::optional<double> busy_deadline_s,
             std::optional<double> heartbeat_interval_s,
             std::optional<double> stale_run_timeout_s,
             std::optional<std::string> user, const ValidationPolicy* policy,
             std::optional<std::vector<RoleRuleTuple>> roles,
             std::optional<std::string> artifact_root,
             std::optional<std::string> emergency_stop_file,
             std::optional<bool> emergency_stop_everywhere) {
            StoreOptions options;
            auto store = std::make_shared<PyStore>();
            store->uri = uri;
            if (!clock.is_none()) {
              options.env.clock = clock.cast<Clock*>();
              store->clock_ref = clock;
            }
            if (durability) options.durability = *durability;
            if (flush_interval_s) {
              options.flush_interval = absl::Seconds(*flush_interval_s);
            }
            if (busy_deadline_s) options.busy_deadline = absl::Seconds(*busy_deadline_s);
            if (heartbeat_interval_s) {
              options.heartbeat_interval = absl::Seconds(*heartbeat_interval_s);
            }
            if (stale_run_timeout_s) {
              options.stale_run_timeout = absl::Seconds(*stale_run_timeout_s);
            }
            if (user) options.user = *user;
            if (policy != nullptr) options.policy = *policy;
            if (roles) {
              options.roles.rules.clear();
              for (auto& [environment, action, allowed] : *roles) {
                options.roles.rules.push_back(RoleRule{std::move(environment),
                                                       std::move(action),
                                                       std::move(allowed)});
              }
            }
            if (artifact_root) options.artifact_root = *artifact_root;
            if (emergency_stop_file) {
              options.emergency_stop_file = *emergency_stop_file;
            }
            if (emergency_stop_everywhere) {
              options.emergency_stop_everywhere = *emergency_stop_everywhere;
            }
            store->clock = options.env.WithDefaults().clock;
            store->every_call =
                options.durability == StoreOptions::Durability::kEveryCall;
            store->store = ValueOrThrow(WithoutGil(
                [&] { return Store::Open(uri, std::move(options)); }));
            return store;
          },
          py::arg("uri"), py::arg("clock") = py::none(),
          py::arg("durability") = py::none(),
          py::arg("flush_interval_s") = py::none(),
          py::arg("busy_deadline_s") = py::none(),
          py::arg("heartbeat_interval_s") = py::none(),
          py::arg("stale_run_timeout_s") = py::none(),
          py::arg("user") = py::none(), py::arg("policy") = py::none(),
          py::arg("roles") = py::none(), py::arg("artifact_root") = py::none(),
          py::arg("emergency_stop_file") = py::none(),
          py::arg("emergency_stop_everywhere") = py::none())
      .def("now_ms",
           [](const PyStore& s) { return absl::ToUnixMillis(s.clock->Now()); })
      .def("create_experiment",
           [](PyStore& s, const std::string& name, const KeyValues& tags) {
             Store& store = s.get();
             return ValueOrThrow(
                 WithoutGil([&] { return store.CreateExperiment(name, tags); }));
           },
           py::arg("name"), py::arg("tags") = KeyValues{})
      .def("get_experiment",
           [](PyStore& s, const std::string& name) {
             Store& store = s.get();
             return ValueOrThrow(WithoutGil([&] { return store.GetExperiment(name); }));
           })
      .def("list_experiments",
           [](PyStore& s) {
             Store& store = s.get();
             return ValueOrThrow(WithoutGil([&] { return store.ListExperiments(); }));
           })
      .def("start_run",
           [](const std::shared_ptr<PyStore>& s, py::handle cls,
              std::optional<std::string> experiment,
              std::optional<std::string> name,
              std::optional<std::string> parent_run_id,
              const KeyValues& params, const KeyValues& tags,
              std::optional<std::string> source_path) {
             Store& store = s->get();
             StartRunOptions options;
             if (source_path) options.source.path = *source_path;
             if (experiment) options.experiment = *experiment;
             if (name) options.name = *name;
             if (parent_run_id) options.parent_run_id = *parent_run_id;
             options.params = params;
             options.tags = tags;
             std::shared_ptr<Run> run = ValueOrThrow(
                 WithoutGil([&] { return store.StartRun(options); }));
             return NewRunObject(cls, std::move(run), s, s->every_call);
           },
           py::arg("cls"), py::arg("experiment") = py::none(),
           py::arg("name") = py::none(), py::arg("parent_run_id") = py::none(),
           py::arg("params") = KeyValues{}, py::arg("tags") = KeyValues{},
           py::arg("source_path") = py::none())
      .def("get_run",
           [](PyStore& s, const std::string& run_id) {
             Store& store = s.get();
             return ValueOrThrow(WithoutGil([&] { return store.GetRun(run_id); }));
           })
      .def("metric_summaries",
           [](PyStore& s, const std::string& run_id) {
             Store& store = s.get();
             return ValueOrThrow(
                 WithoutGil([&] { return store.GetMetricSummaries(run_id); }));
           })
      .def("metric_history",
           [](PyStore& s, const std::string& run_id, const std::string& key,
              std::optional<int64_t> min_step, std::optional<int64_t> max_step,
              std::optional<size_t> max_points) {
             Store& store = s.get();
             HistoryOptions options;
             if (min_step) options.min_step = *min_step;
             if (max_step) options.max_step = *max_step;
             if (max_points) options.max_points = *max_points;
             MetricHistory h = ValueOrThrow(WithoutGil(
                 [&] { return store.GetMetricHistory(run_id, key, options); }));
             return py::make_tuple(ToArray(std::move(h.steps)),
                                   ToArray(std::move(h.timestamps_ms)),
                                   ToArray(std::move(h.values)));
           },
           py::arg("run_id"), py::arg("key"), py::arg("min_step") = py::none(),
           py::arg("max_step") = py::none(), py::arg("max_points") = py::none())
      .def("search_runs",
           [](PyStore& s, const std::vector<std::string>& experiments,
              const std::string& filter, const std::vector<std::string>& order_by,
              std::optional<size_t> max_results, const std::string& page_token) {
             Store& store = s.get();
             SearchRunsRequest request;
             request.experiments = experiments;
             request.filter = filter;
             request.order_by = order_by;
             if (max_results) request.max_results = *max_results;
             request.page_token = page_token;
             SearchRunsResult result = ValueOrThrow(
                 WithoutGil([&] { return store.SearchRuns(request); }));
             return py::make_tuple(std::move(result.runs),
                                   std::move(result.next_page_token));
           },
           py::arg("experiments"), py::arg("filter"), py::arg("order_by"),
           py::arg("max_results"), py::arg("page_token"))
      .def("flush", [](PyStore& s) {
        Store& store = s.get();
        ThrowIfError(WithoutGil([&] { return store.Flush(); }));
      });
}

}  // namespace

void RegisterStoreBindings(py::module_& m) {
  RegisterValueTypes(m);
  RegisterRunType(m);
  RegisterRunMethods(m);
  RegisterStore(m);
}

}  // namespace slipway::python
