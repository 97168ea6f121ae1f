// Registration functions of the binding files, one per public header.
#ifndef SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
#define SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_

// Every binding file includes this header first, so all of them see the
// same type casters (pybind11 requires that across translation units).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <utility>

namespace slipway::python {

void RegisterStatusTranslation(pybind11::module_& m);
void RegisterValidateBindings(pybind11::module_& m);
void RegisterEnvBindings(pybind11::module_& m);
void RegisterBenchBindings(pybind11::module_& m);
void RegisterStoreBindings(pybind11::module_& m);
// The module-level log_metric(s) (active_run_loggers.cc): call after
// RegisterStoreBindings.
void RegisterActiveRunLoggers(pybind11::module_& m);
// Adds methods to _slipway.Store: call after RegisterStoreBindings.
void RegisterRegistryBindings(pybind11::module_& m);
// Adds the endpoint, pipeline, feature and rollout methods to
// _slipway.Store: call after RegisterStoreBindings.
void RegisterRolloutBindings(pybind11::module_& m);
void RegisterRouterBindings(pybind11::module_& m);

// Runs `f()` without the GIL and returns its result. Every binding that may
// touch the disk, wait for the background writer or take a library lock
// calls the core through this, so other Python threads keep running
// (STYLE.md). `f` must not touch Python objects.
template <typename F>
decltype(auto) WithoutGil(F&& f) {
  pybind11::gil_scoped_release release;
  return std::forward<F>(f)();
}

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
