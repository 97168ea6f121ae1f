// slipway/router.h: _slipway.Router, _slipway.RouteDecision, the Variant
// enum, Store.open_router and the documented key hash. Wrapped by
// python/slipway/router.py.
//
// Thin. route / record / record_prediction / record_label keep the GIL:
// the C++ calls take tens of nanoseconds, far less than releasing and
// re-taking the GIL. Calls that may touch the store (open, refresh, flush,
// close) release it. The Router holds the PyStore, so the store outlives
// every router opened on it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "bindings/python/bindings.h"
#include "bindings/python/py_store.h"
#include "bindings/python/status_translation.h"
#include "slipway/router.h"
#include "slipway/store.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

// A RouteDecision with owned strings (the C++ one points into the Router).
struct PyDecision {
  Variant variant = Variant::kStable;
  bool mirror = false;
  std::string version;
  std::string mirror_version;
  int64_t generation = 0;
};

PyDecision ToPy(const RouteDecision& d) {
  return PyDecision{d.variant, d.mirror, std::string(d.version),
                    std::string(d.mirror_version), d.generation};
}

struct PyRouter {
  std::shared_ptr<PyStore> store;
  std::unique_ptr<Router> router;

  ~PyRouter() { Close(); }
  void Close() {
    // Stops the thread and writes the last windows: no GIL while it does.
    if (router != nullptr) WithoutGil([&] { router.reset(); });
  }
  Router& get() {
    if (router == nullptr) {
      throw py::value_error("the router is closed");
    }
    return *router;
  }
};

absl::Duration Seconds(double s) { return absl::Seconds(s); }

py::dict HealthDict(const RouterHealth& h) {
  py::dict d;
  d["endpoint"] = h.endpoint;
  d["replica"] = h.replica;
  d["generation"] = h.generation;
  d["stable_version"] = h.stable_version;
  d["candidate_version"] = h.candidate_version;
  d["candidate_weight"] = h.candidate_weight;
  d["shadow"] = h.shadow;
  d["last_refresh_ms"] = h.last_refresh == absl::InfinitePast()
                             ? py::object(py::none())
                             : py::object(py::int_(absl::ToUnixMillis(h.last_refresh)));
  d["last_error"] = h.last_error;
  d["consecutive_failures"] = h.consecutive_failures;
  d["serving_stale"] = h.serving_stale;
  d["emergency_stop"] = h.emergency_stop;
  d["windows_persisted"] = h.windows_persisted;
  d["last_persist_error"] = h.last_persist_error;
  d["labels_unmatched"] = h.labels_unmatched;
  d["predictions_evicted"] = h.predictions_evicted;
  d["controller_running"] = h.controller_running;
  d["last_tick_error"] = h.last_tick_error;
  return d;
}

}  // namespace

void RegisterRouterBindings(py::module_& m) {
  py::enum_<Variant>(m, "Variant", "Which version serves a request.")
      .value("STABLE", Variant::kStable)
      .value("CANDIDATE", Variant::kCandidate);

  py::class_<PyDecision>(m, "RouteDecision",
                         "Router.route's answer (slipway/router.h).")
      .def_readonly("variant", &PyDecision::variant)
      .def_readonly("mirror", &PyDecision::mirror)
      .def_readonly("version", &PyDecision::version)
      .def_readonly("mirror_version", &PyDecision::mirror_version)
      .def_readonly("generation", &PyDecision::generation)
      .def("__repr__", [](const PyDecision& d) {
        return "<RouteDecision " + std::string(VariantName(d.variant)) + " " +
               d.version + (d.mirror ? " mirror " + d.mirror_version : "") + ">";
      });

  m.def("router_key_hash",
        [](const std::string& key) { return RouterKeyHash(key); }, py::arg("key"));
  m.def("router_key_hash",
        [](uint64_t key) { return RouterKeyHash(key); }, py::arg("key"));
  m.def("router_bucket", [](uint64_t hash) { return RouterBucket(hash); },
        py::arg("hash"));

  py::class_<PyRouter>(m, "Router", "slipway/router.h")
      .def("route",
           [](PyRouter& r, const std::string& key) { return ToPy(r.get().Route(key)); },
           py::arg("key"))
      .def("route",
           [](PyRouter& r, uint64_t key) { return ToPy(r.get().Route(key)); },
           py::arg("key"))
      .def("record",
           [](PyRouter& r, Variant v, double latency_ms, bool error) {
             r.get().Record(v, latency_ms, error);
           },
           py::arg("variant"), py::arg("latency_ms"), py::arg("error") = false)
      .def("record_prediction",
           [](PyRouter& r, Variant v, std::optional<std::string> request_id) {
             if (request_id) {
               r.get().RecordPrediction(v, *request_id);
             } else {
               r.get().RecordPrediction(v);
             }
           },
           py::arg("variant"), py::arg("request_id") = py::none())
      .def("record_label",
           [](PyRouter& r, const std::string& request_id, bool correct) {
             return r.get().RecordLabel(request_id, correct);
           },
           py::arg("request_id"), py::arg("correct"))
      .def("refresh",
           [](PyRouter& r) {
             Router& router = r.get();
             ThrowIfError(WithoutGil([&] { return router.Refresh(); }));
           })
      .def("flush",
           [](PyRouter& r) {
             Router& router = r.get();
             ThrowIfError(WithoutGil([&] { return router.Flush(); }));
           })
      .def("start_controller",
           [](PyRouter& r) { ThrowIfError(r.get().StartController()); })
      .def("stop_controller", [](PyRouter& r) { r.get().StopController(); })
      .def("health", [](PyRouter& r) { return HealthDict(r.get().Health()); })
      .def("prometheus", [](PyRouter& r) { return r.get().PrometheusText(); })
      .def_property_readonly("endpoint",
                             [](PyRouter& r) { return r.get().endpoint(); })
      .def_property_readonly("replica",
                             [](PyRouter& r) { return r.get().replica(); })
      .def_property_readonly("closed",
                             [](PyRouter& r) { return r.router == nullptr; })
      .def("close", [](PyRouter& r) { r.Close(); });

  py::object type = m.attr("Store");
  py::setattr(
      type, "open_router",
      py::cpp_function(
          [](std::shared_ptr<PyStore> s, const std::string& endpoint,
             std::optional<double> refresh_interval_s,
             std::optional<double> controller_interval_s,
             std::optional<size_t> label_table_size,
             std::optional<std::string> replica, bool background) {
            RouterOptions o;
            if (refresh_interval_s) o.refresh_interval = Seconds(*refresh_interval_s);
            if (controller_interval_s) {
              o.controller_interval = Seconds(*controller_interval_s);
            }
            if (label_table_size) o.label_table_size = *label_table_size;
            if (replica) o.replica = *replica;
            o.background = background;
            Store& store = s->get();
            auto r = std::make_unique<PyRouter>();
            r->router = ValueOrThrow(
                WithoutGil([&] { return store.OpenRouter(endpoint, o); }));
            r->store = std::move(s);
            return r;
          },
          py::name("open_router"), py::is_method(type), py::arg("endpoint"),
          py::arg("refresh_interval_s") = py::none(),
          py::arg("controller_interval_s") = py::none(),
          py::arg("label_table_size") = py::none(),
          py::arg("replica") = py::none(), py::arg("background") = true));
}

}  // namespace slipway::python
