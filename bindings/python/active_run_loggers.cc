// The module-level sw.log_metric and sw.log_metrics: builtin functions that
// read the active run from its ContextVar and call the lean binding of
// run_fastcall.cc, so the fluent API costs one context-variable read more
// than run.log_metric instead of a Python frame and a second call.
//
// The rest of the fluent API (log_param, set_tag, ...) stays in Python
// (python/slipway/tracking.py): those calls write to the store at once and
// a Python frame is noise beside that.
#include <Python.h>

#include "bindings/python/bindings.h"
#include "bindings/python/run_fastcall.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

// What the two functions are bound to: the ContextVar holding the active
// run, and the Python function that raises the "no active run" error (so
// the error's text and fields stay defined in one place, tracking.py).
struct ActiveObject {
  PyObject_HEAD
  PyObject* var;         // contextvars.ContextVar[Optional[Run]]
  PyObject* on_missing;  // () -> Run, raises NotFoundError NO_ACTIVE_RUN
};

PyTypeObject* g_active_type = nullptr;

// The active run (new reference), or null with an error set.
PyObject* ActiveRun(PyObject* py_self) {
  auto* self = reinterpret_cast<ActiveObject*>(py_self);
  PyObject* run = nullptr;
  if (PyContextVar_Get(self->var, nullptr, &run) < 0) return nullptr;
  if (run != nullptr && run != Py_None) return run;
  Py_XDECREF(run);
  // Raises, unless a run became active meanwhile: then it returns it.
  return PyObject_CallNoArgs(self->on_missing);
}

// `call` (CallLogMetric or CallLogMetrics) on the active run.
template <PyObject* (*call)(const char*, PyObject*, PyObject* const*,
                            Py_ssize_t, PyObject*),
          const char* kName>
PyObject* OnActiveRun(PyObject* py_self, PyObject* const* args,
                      Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* run = ActiveRun(py_self);
  if (run == nullptr) return nullptr;
  PyObject* result = call(kName, run, args, nargs, kwnames);
  Py_DECREF(run);
  return result;
}

constexpr char kLogMetric[] = "log_metric";
constexpr char kLogMetrics[] = "log_metrics";
constexpr auto ActiveLogMetric = &OnActiveRun<&CallLogMetric, kLogMetric>;
constexpr auto ActiveLogMetrics = &OnActiveRun<&CallLogMetrics, kLogMetrics>;

PyMethodDef kFunctions[] = {
    {"log_metric",
     reinterpret_cast<PyCFunction>(
         reinterpret_cast<void (*)()>(ActiveLogMetric)),
     METH_FASTCALL | METH_KEYWORDS,
     "log_metric(key, value, step=0, timestamp=None)\n--\n\n"
     "active_run().log_metric(...): appends one point to metric `key` of\n"
     "the active run of this thread / asyncio task. Raises NotFoundError\n"
     "(reason NO_ACTIVE_RUN) when there is none."},
    {"log_metrics",
     reinterpret_cast<PyCFunction>(
         reinterpret_cast<void (*)()>(ActiveLogMetrics)),
     METH_FASTCALL | METH_KEYWORDS,
     "log_metrics(metrics, step=0, timestamp=None)\n--\n\n"
     "active_run().log_metrics(...): one point per key of the mapping, at\n"
     "one step, on the active run. Raises NotFoundError (reason\n"
     "NO_ACTIVE_RUN) when there is none."},
    {nullptr, nullptr, 0, nullptr}};

int Traverse(PyObject* py_self, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<ActiveObject*>(py_self);
  Py_VISIT(self->var);
  Py_VISIT(self->on_missing);
  Py_VISIT(Py_TYPE(py_self));
  return 0;
}

int Clear(PyObject* py_self) {
  auto* self = reinterpret_cast<ActiveObject*>(py_self);
  Py_CLEAR(self->var);
  Py_CLEAR(self->on_missing);
  return 0;
}

void Dealloc(PyObject* py_self) {
  PyTypeObject* type = Py_TYPE(py_self);
  PyObject_GC_UnTrack(py_self);
  Clear(py_self);
  type->tp_free(py_self);
  Py_DECREF(type);
}

PyType_Slot kSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(&Dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(&Traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(&Clear)},
    {Py_tp_doc,
     const_cast<char*>("What sw.log_metric and sw.log_metrics are bound to.")},
    {0, nullptr}};

PyType_Spec kSpec = {"slipway._slipway._ActiveRunLoggers",
                     sizeof(ActiveObject), 0,
                     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                         Py_TPFLAGS_DISALLOW_INSTANTIATION,
                     kSlots};

}  // namespace

void RegisterActiveRunLoggers(py::module_& m) {
  PyObject* type = PyType_FromSpec(&kSpec);
  if (type == nullptr) throw py::error_already_set();
  g_active_type = reinterpret_cast<PyTypeObject*>(type);  // kept
  m.def(
      "_active_run_loggers",
      [](py::object var, py::object on_missing, py::str module) {
        if (!PyContextVar_CheckExact(var.ptr())) {
          throw py::type_error("var must be a contextvars.ContextVar");
        }
        if (!PyCallable_Check(on_missing.ptr())) {
          throw py::type_error("on_missing must be callable");
        }
        PyObject* obj = g_active_type->tp_alloc(g_active_type, 0);
        if (obj == nullptr) throw py::error_already_set();
        auto owner = py::reinterpret_steal<py::object>(obj);
        auto* self = reinterpret_cast<ActiveObject*>(obj);
        self->var = var.release().ptr();
        self->on_missing = on_missing.release().ptr();
        py::tuple functions(2);
        for (int i = 0; i < 2; ++i) {
          PyObject* f = PyCFunction_NewEx(&kFunctions[i], obj, module.ptr());
          if (f == nullptr) throw py::error_already_set();
          functions[i] = py::reinterpret_steal<py::object>(f);
        }
        return functions;
      },
      py::arg("var"), py::arg("on_missing"), py::arg("module"),
      "(log_metric, log_metrics) acting on the run held by the ContextVar "
      "`var`; `on_missing()` is called when it holds None (it should raise). "
      "Internal: python/slipway/tracking.py.");
}

}  // namespace slipway::python
