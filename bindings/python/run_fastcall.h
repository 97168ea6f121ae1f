// _slipway.Run: the Python handle of a live slipway::Run (slipway/store.h).
//
// A small C type of our own rather than a pybind11 class, because its two
// hot methods, log_metric and log_metrics, are raw vectorcall methods
// (METH_FASTCALL | METH_KEYWORDS): pybind11's generic dispatch costs ~18x
// the floor of a Python call (docs/design/0002-tracking.md, "Python hot
// path"). The state lives in a small internal object (_RunCore): the
// RunImpl pointer and a table from key objects (by identity) to metric
// buffer slots, so a hot call makes no std::string, no UTF-8 conversion and
// no hash lookup. The hot functions are builtin functions bound to that
// core and held in read-only slots of the Run (CPython 3.11 specialises a
// builtin's call with keyword arguments, not a method's); they own the
// core, not the Run, so there is no reference cycle. The slower methods
// (params, tags, flush, end, log_metric_array) are pybind11 functions
// attached to the same type.
//
// The type cannot be instantiated from Python; the pure-Python package
// subclasses it (python/slipway/tracking.py) and the Store binding creates
// instances of that subclass (NewRunObject).
//
// Thread-safety: the GIL guards the key cache; the C++ Run is thread-safe.
#ifndef SLIPWAY_BINDINGS_PYTHON_RUN_FASTCALL_H_
#define SLIPWAY_BINDINGS_PYTHON_RUN_FASTCALL_H_

#include <memory>

#include "bindings/python/bindings.h"
#include "slipway/store.h"

namespace slipway::python {

// Creates the type and adds it to `m` as "Run". Call once, before any
// other function of this header.
void RegisterRunType(pybind11::module_& m);

// Returns a new instance of `cls` (_slipway.Run or a Python subclass of it)
// holding `run`. `owner` is kept alive as long as the instance (the Store
// must outlive its runs). `release_gil_per_call` makes the hot methods
// release the GIL around each append (for StoreOptions::kEveryCall, where
// every append commits to disk). TypeError if `cls` is not a Run type.
pybind11::object NewRunObject(pybind11::handle cls, std::shared_ptr<Run> run,
                              std::shared_ptr<void> owner,
                              bool release_gil_per_call);

// The Run held by `obj`; TypeError unless `obj` is a Run instance.
Run& RunOf(pybind11::handle obj);

// run.log_metric(*args) and run.log_metrics(*args) in vectorcall form, for
// a caller that found the run itself (the module-level functions,
// active_run_loggers.cc). `fn` names the function in argument errors.
// TypeError unless `run` is a Run instance.
PyObject* CallLogMetric(const char* fn, PyObject* run, PyObject* const* args,
                        Py_ssize_t nargs, PyObject* kwnames);
PyObject* CallLogMetrics(const char* fn, PyObject* run, PyObject* const* args,
                         Py_ssize_t nargs, PyObject* kwnames);

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_RUN_FASTCALL_H_
