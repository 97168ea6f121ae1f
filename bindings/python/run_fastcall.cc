// The lean logging binding: _slipway.Run and its vectorcall methods
// log_metric and log_metrics (see run_fastcall.h). Only argument
// conversion lives here; the rules (key validation, ended runs, durability)
// are the C++ Run's, and its errors go through status_translation.
#include "bindings/python/run_fastcall.h"

#include <Python.h>
#include <structmember.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bindings/python/status_translation.h"
#include "src/tracking/run_impl.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

// The one place that sees through the public Run handle: every Run that
// Store::StartRun returns is an internal_tracking::RunImpl.
internal_tracking::RunImpl* ImplOf(Run& run) {
  return static_cast<internal_tracking::RunImpl*>(&run);
}

// Key object -> buffer slot, direct-mapped by the object's address. A hit
// is one pointer compare; string literals are interned, so the same
// literal at a call site hits every time. Entries own a reference to their
// key, so an address cannot be reused by another object while cached.
constexpr size_t kCacheSize = 16;
struct CacheEntry {
  PyObject* key;
  size_t slot;
};

// What a core owns on the C++ heap.
struct RunState {
  std::shared_ptr<void> owner;  // the Store: it must outlive the run
  std::shared_ptr<Run> run;     // destroyed first (declared last)
};

// The state the hot methods work on, in an object of its own (type
// _RunCore) so that they can be builtin functions bound to it: see
// RunObject.
struct CoreObject {
  PyObject_HEAD
  internal_tracking::RunImpl* impl;  // == state->run.get()
  RunState* state;
  bool release_gil_per_call;
  CacheEntry cache[kCacheSize];
};

// _slipway.Run. Its hot methods are not methods of the type but builtin
// functions bound to the core, held in read-only slots: CPython 3.11
// specialises a call of a builtin function with keyword arguments
// (PRECALL_BUILTIN_FAST_WITH_KEYWORDS) but never a method descriptor's
// (a call with `step=i` stays on the generic path, ~4 ns more per call).
// The functions own the core, not the Run, so there is no cycle.
struct RunObject {
  PyObject_HEAD
  CoreObject* core;
  PyObject* log_metric;   // bound builtins: kHotMethods[0..2] on core
  PyObject* log_metrics;
  PyObject* noop;
};

PyTypeObject* g_run_type = nullptr;
PyTypeObject* g_core_type = nullptr;
PyObject* g_hot_names = nullptr;  // ("log_metric", "log_metrics", "_noop")

// Keyword names, interned: CPython passes interned names in kwnames for
// literal keywords, so a pointer compare matches.
PyObject* g_kw[4] = {nullptr, nullptr, nullptr, nullptr};
constexpr const char* kKwNames[4] = {"key", "value", "step", "timestamp"};
PyObject* g_kw_metrics = nullptr;

// The slot of `key` for this run, through the cache. Sets a Python error
// and returns false on failure.
// SlotOf on a cache miss: resolves and caches the key.
ABSL_ATTRIBUTE_NOINLINE bool SlotOfMiss(CoreObject* self, CacheEntry& e,
                                        PyObject* key, size_t* slot) {
  if (!PyUnicode_Check(key)) {
    PyErr_Format(PyExc_TypeError, "metric key must be str, not %.100s",
                 Py_TYPE(key)->tp_name);
    return false;
  }
  Py_ssize_t size;
  const char* utf8 = PyUnicode_AsUTF8AndSize(key, &size);
  if (utf8 == nullptr) return false;
  absl::StatusOr<size_t> s =
      self->impl->MetricSlot(std::string_view(utf8, static_cast<size_t>(size)));
  if (!s.ok()) {
    SetPythonError(s.status());
    return false;
  }
  Py_INCREF(key);
  Py_XSETREF(e.key, key);
  e.slot = *s;
  *slot = *s;
  return true;
}

// A hit is one pointer compare, inline.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool SlotOf(CoreObject* self,
                                                PyObject* key, size_t* slot) {
  CacheEntry& e =
      self->cache[(reinterpret_cast<uintptr_t>(key) >> 4) & (kCacheSize - 1)];
  if (ABSL_PREDICT_TRUE(e.key == key)) {
    *slot = e.slot;
    return true;
  }
  return SlotOfMiss(self, e, key, slot);
}

inline bool ToDouble(PyObject* o, double* out) {
  if (ABSL_PREDICT_TRUE(PyFloat_CheckExact(o))) {
    *out = PyFloat_AS_DOUBLE(o);
    return true;
  }
  *out = PyFloat_AsDouble(o);  // int, numpy scalars, __float__
  return !(*out == -1.0 && PyErr_Occurred());
}

inline bool ToInt64(PyObject* o, int64_t* out) {
  // An int of at most two digits (|v| < 2**60), read in place: the common
  // step. PyLong_AsLongLong is an out-of-line call through the PLT.
#if PY_VERSION_HEX < 0x030C0000 && !defined(Py_LIMITED_API)
  if (ABSL_PREDICT_TRUE(PyLong_CheckExact(o))) {
    const auto* v = reinterpret_cast<const PyLongObject*>(o);
    const Py_ssize_t size = Py_SIZE(o);
    // Compares, not a switch: GCC makes the switch an indirect jump.
    if (ABSL_PREDICT_TRUE(size == 1)) {
      *out = static_cast<int64_t>(v->ob_digit[0]);
      return true;
    }
    if (size == 0) {
      *out = 0;
      return true;
    }
    if (size >= -2 && size <= 2) {
      const int64_t m =
          size == -1 || size == 1
              ? static_cast<int64_t>(v->ob_digit[0])
              : static_cast<int64_t>(v->ob_digit[0]) |
                    (static_cast<int64_t>(v->ob_digit[1]) << PyLong_SHIFT);
      *out = size > 0 ? m : -m;
      return true;
    }
  }
#elif !defined(Py_LIMITED_API)
  if (PyLong_CheckExact(o) &&
      PyUnstable_Long_IsCompact(reinterpret_cast<PyLongObject*>(o))) {
    *out = static_cast<int64_t>(
        PyUnstable_Long_CompactValue(reinterpret_cast<PyLongObject*>(o)));
    return true;
  }
#endif
  *out = PyLong_AsLongLong(o);  // int and __index__ (numpy integers)
  return !(*out == -1 && PyErr_Occurred());
}

// Reads optional `timestamp` (None or integer Unix milliseconds).
inline bool ToTimestamp(PyObject* o, std::optional<int64_t>* out) {
  if (ABSL_PREDICT_TRUE(o == nullptr || o == Py_None)) return true;
  int64_t v;
  if (!ToInt64(o, &v)) return false;
  *out = v;
  return true;
}

// Sorts positional and keyword arguments into `slots` by the names in
// `names` (the first `count` of g_kw, or g_kw_metrics for log_metrics).
// Out of line: ParseLogMetricArgs handles the common calls inline.
bool ParseArgsSlow(const char* fn, PyObject* const* args, Py_ssize_t nargs,
               PyObject* kwnames, PyObject* const* names, int count,
               int required, PyObject** slots) {
  if (nargs > count) {
    PyErr_Format(PyExc_TypeError,
                 "%s() takes at most %d arguments (%zd given)", fn, count,
                 nargs);
    return false;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) slots[i] = args[i];
  if (kwnames != nullptr) {
    const Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t j = 0; j < nkw; ++j) {
      PyObject* name = PyTuple_GET_ITEM(kwnames, j);
      int index = -1;
      for (int k = 0; k < count; ++k) {
        if (name == names[k]) {
          index = k;
          break;
        }
      }
      if (index < 0) {
        for (int k = 0; k < count; ++k) {
          if (PyUnicode_Compare(name, names[k]) == 0) {
            index = k;
            break;
          }
        }
      }
      if (index < 0) {
        PyErr_Format(PyExc_TypeError,
                     "%s() got an unexpected keyword argument '%U'", fn, name);
        return false;
      }
      if (slots[index] != nullptr) {
        PyErr_Format(PyExc_TypeError,
                     "%s() got multiple values for argument '%U'", fn, name);
        return false;
      }
      slots[index] = args[nargs + j];
    }
  }
  for (int k = 0; k < required; ++k) {
    if (slots[k] == nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%U'", fn,
                   names[k]);
      return false;
    }
  }
  return true;
}

// ParseArgs for log_metric's common calls, inline: (key, value) and
// (key, value, step=...) with the interned keyword a literal passes.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool ParseLogMetricArgs(
    const char* fn, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
    PyObject** slots) {
  if (ABSL_PREDICT_TRUE(nargs == 2)) {
    if (kwnames == nullptr) {
      slots[0] = args[0];
      slots[1] = args[1];
      return true;
    }
    if (ABSL_PREDICT_TRUE(PyTuple_GET_SIZE(kwnames) == 1 &&
                          PyTuple_GET_ITEM(kwnames, 0) == g_kw[2])) {
      slots[0] = args[0];
      slots[1] = args[1];
      slots[2] = args[2];
      return true;
    }
  }
  return ParseArgsSlow(fn, args, nargs, kwnames, g_kw, 4, 2, slots);
}

inline bool CheckBound(CoreObject* self) {
  if (ABSL_PREDICT_TRUE(self->impl != nullptr)) return true;
  PyErr_SetString(PyExc_TypeError, "this Run is not bound to a store run");
  return false;
}

// One append; releases the GIL when every append commits (kEveryCall).
inline absl::Status Append(CoreObject* self, size_t slot, double value,
                           int64_t step, std::optional<int64_t> ts) {
  if (!self->release_gil_per_call) {
    return self->impl->LogMetricAtSlot(slot, value, step, ts);
  }
  absl::Status s;
  Py_BEGIN_ALLOW_THREADS
  s = self->impl->LogMetricAtSlot(slot, value, step, ts);
  Py_END_ALLOW_THREADS
  return s;
}

// log_metric(key, value, step=0, timestamp=None) on the run of `self`;
// `fn` names the function in argument errors. Inlined into both callers.
// (Not __attribute__((flatten)): under the wheel's -flto that inlines the
// library's whole call graph below LogMetricAtSlot, and one LTO partition
// then compiled for over 13 minutes.)
ABSL_ATTRIBUTE_ALWAYS_INLINE inline PyObject* DoLogMetric(
    const char* fn, CoreObject* self, PyObject* const* args, Py_ssize_t nargs,
    PyObject* kwnames) {
  PyObject* a[4] = {nullptr, nullptr, nullptr, nullptr};
  if (!ParseLogMetricArgs(fn, args, nargs, kwnames, a)) {
    return nullptr;
  }
  if (!CheckBound(self)) return nullptr;
  double value;
  if (!ToDouble(a[1], &value)) return nullptr;
  int64_t step = 0;
  if (a[2] != nullptr && !ToInt64(a[2], &step)) return nullptr;
  std::optional<int64_t> ts;
  if (!ToTimestamp(a[3], &ts)) return nullptr;
  size_t slot;
  if (!SlotOf(self, a[0], &slot)) return nullptr;
  if (ABSL_PREDICT_TRUE(self->impl->TryLogMetricAtSlot(
          slot, value, step, ts ? &*ts : nullptr))) {
    Py_RETURN_NONE;
  }
  if (absl::Status s = Append(self, slot, value, step, ts); !s.ok()) {
    SetPythonError(s);
    return nullptr;
  }
  Py_RETURN_NONE;
}

// log_metrics(metrics, step=0, timestamp=None): every key is resolved and
// every value converted before the first append, so a bad key or value
// appends nothing.
PyObject* DoLogMetrics(const char* fn, CoreObject* self,
                       PyObject* const* args, Py_ssize_t nargs,
                       PyObject* kwnames) {
  PyObject* names[3] = {g_kw_metrics, g_kw[2], g_kw[3]};
  PyObject* a[3] = {nullptr, nullptr, nullptr};
  if (!ParseArgsSlow(fn, args, nargs, kwnames, names, 3, 1, a)) {
    return nullptr;
  }
  if (!CheckBound(self)) return nullptr;
  int64_t step = 0;
  if (a[1] != nullptr && !ToInt64(a[1], &step)) return nullptr;
  std::optional<int64_t> ts;
  if (!ToTimestamp(a[2], &ts)) return nullptr;

  PyObject* dict = a[0];
  py::object owned;  // a dict copy of a non-dict mapping
  if (!PyDict_Check(dict)) {
    PyObject* d = PyDict_New();
    if (d == nullptr) return nullptr;
    owned = py::reinterpret_steal<py::object>(d);
    if (PyDict_Merge(d, a[0], 1) < 0) return nullptr;
    dict = d;
  }
  struct Point {
    size_t slot;
    double value;
  };
  constexpr size_t kInline = 16;
  Point inline_points[kInline];
  std::vector<Point> heap_points;
  const Py_ssize_t n = PyDict_GET_SIZE(dict);
  Point* points = inline_points;
  if (static_cast<size_t>(n) > kInline) {
    heap_points.resize(static_cast<size_t>(n));
    points = heap_points.data();
  }
  Py_ssize_t pos = 0, i = 0;
  PyObject *key, *value;
  while (PyDict_Next(dict, &pos, &key, &value)) {
    if (!ToDouble(value, &points[i].value)) return nullptr;
    if (!SlotOf(self, key, &points[i].slot)) return nullptr;
    ++i;
  }
  for (Py_ssize_t k = 0; k < i; ++k) {
    if (self->impl->TryLogMetricAtSlot(points[k].slot, points[k].value, step,
                                       ts ? &*ts : nullptr)) {
      continue;
    }
    if (absl::Status s = Append(self, points[k].slot, points[k].value, step, ts);
        !s.ok()) {
      SetPythonError(s);
      return nullptr;
    }
  }
  Py_RETURN_NONE;
}

PyObject* LogMetric(PyObject* py_self, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  return DoLogMetric("log_metric", reinterpret_cast<CoreObject*>(py_self),
                     args, nargs, kwnames);
}

PyObject* LogMetrics(PyObject* py_self, PyObject* const* args,
                     Py_ssize_t nargs, PyObject* kwnames) {
  return DoLogMetrics("log_metrics", reinterpret_cast<CoreObject*>(py_self),
                      args, nargs, kwnames);
}

// The core of `run`, or null with TypeError unless `run` is a Run bound
// to a store run.
CoreObject* CoreOf(PyObject* run) {
  if (g_run_type == nullptr || !PyObject_TypeCheck(run, g_run_type)) {
    PyErr_Format(PyExc_TypeError, "expected a slipway Run, not %.100s",
                 Py_TYPE(run)->tp_name);
    return nullptr;
  }
  CoreObject* core = reinterpret_cast<RunObject*>(run)->core;
  if (core == nullptr || !CheckBound(core)) {
    if (core == nullptr) {
      PyErr_SetString(PyExc_TypeError, "this Run is not bound to a store run");
    }
    return nullptr;
  }
  return core;
}

PyObject* GetId(PyObject* py_self, void*) {
  CoreObject* core = CoreOf(py_self);
  if (core == nullptr) return nullptr;
  const std::string& id = core->state->run->id();
  return PyUnicode_FromStringAndSize(id.data(), static_cast<Py_ssize_t>(id.size()));
}

void CoreDealloc(PyObject* py_self) {
  auto* self = reinterpret_cast<CoreObject*>(py_self);
  PyTypeObject* type = Py_TYPE(py_self);
  for (CacheEntry& e : self->cache) Py_CLEAR(e.key);
  RunState* state = self->state;
  self->state = nullptr;
  self->impl = nullptr;
  delete state;  // may destroy the Store, which releases the GIL itself
  type->tp_free(py_self);
  Py_DECREF(type);  // instances of heap types own a reference to the type
}

void RunDealloc(PyObject* py_self) {
  auto* self = reinterpret_cast<RunObject*>(py_self);
  PyTypeObject* type = Py_TYPE(py_self);
  Py_CLEAR(self->log_metric);
  Py_CLEAR(self->log_metrics);
  Py_CLEAR(self->noop);
  Py_CLEAR(self->core);  // the last reference unless a bound method lives on
  type->tp_free(py_self);
  Py_DECREF(type);
}

// _noop(key, value, step=0, timestamp=None): parses the arguments exactly
// as log_metric does and stops there, so a benchmark can tell the price of
// a call of run.log_metric (attribute lookup, dispatch, argument parsing)
// from the price of logging.
PyObject* Noop(PyObject* py_self, PyObject* const* args, Py_ssize_t nargs,
               PyObject* kwnames) {
  PyObject* a[4] = {nullptr, nullptr, nullptr, nullptr};
  if (!ParseLogMetricArgs("_noop", args, nargs, kwnames, a)) return nullptr;
  (void)py_self;
  Py_RETURN_NONE;
}

// The hot methods, bound to each core (RunObject's slots, in this order).
PyMethodDef kHotMethods[] = {
    {"log_metric",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&LogMetric)),
     METH_FASTCALL | METH_KEYWORDS,
     "log_metric(key, value, step=0, timestamp=None)\n--\n\n"
     "Appends one point to metric `key`: `value` a float (NaN and +-Inf kept),\n"
     "`step` an int, `timestamp` Unix milliseconds (default: the store clock's\n"
     "now). Buffered; the background writer commits it within flush_interval.\n"
     "Raises ValidationError for an invalid key, GateError once the run ended."},
    {"log_metrics",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&LogMetrics)),
     METH_FASTCALL | METH_KEYWORDS,
     "log_metrics(metrics, step=0, timestamp=None)\n--\n\n"
     "log_metric for every (key, value) of the mapping `metrics`, at one step.\n"
     "Every key and value is checked before the first point is appended."},
    {"_noop",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&Noop)),
     METH_FASTCALL | METH_KEYWORDS,
     "_noop(key, value, step=0, timestamp=None)\n--\n\n"
     "Benchmark aid: log_metric's argument parsing, then nothing."},
    {nullptr, nullptr, 0, nullptr}};

PyMemberDef kMembers[] = {
    {"log_metric", T_OBJECT_EX, offsetof(RunObject, log_metric), READONLY,
     "log_metric(key, value, step=0, timestamp=None): appends one point\n"
     "(see help(run.log_metric))."},
    {"log_metrics", T_OBJECT_EX, offsetof(RunObject, log_metrics), READONLY,
     "log_metrics(metrics, step=0, timestamp=None): appends one point per\n"
     "key of the mapping (see help(run.log_metrics))."},
    {"_noop", T_OBJECT_EX, offsetof(RunObject, noop), READONLY,
     "Benchmark aid: log_metric's argument parsing, then nothing."},
    {nullptr, 0, 0, 0, nullptr}};

PyGetSetDef kGetSet[] = {
    {"id", &GetId, nullptr, "The run id: 32 lowercase hex characters.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot kRunSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(&RunDealloc)},
    {Py_tp_members, kMembers},
    {Py_tp_getset, kGetSet},
    {Py_tp_doc, const_cast<char*>(
                    "A live run (C core of slipway.Run; not constructible).")},
    {0, nullptr}};

PyType_Spec kRunSpec = {
    "slipway._slipway.Run", sizeof(RunObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    kRunSlots};

PyType_Slot kCoreSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(&CoreDealloc)},
    {Py_tp_doc, const_cast<char*>(
                    "The state a Run's log_metric and log_metrics are bound "
                    "to (internal).")},
    {0, nullptr}};

PyType_Spec kCoreSpec = {"slipway._slipway._RunCore", sizeof(CoreObject), 0,
                         Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                         kCoreSlots};

// The attribute `name` of `type` as the type's MRO gives it (borrowed), or
// null (with an error set only if a lookup failed).
PyObject* LookUpInMro(PyTypeObject* type, PyObject* name) {
  PyObject* mro = type->tp_mro;
  for (Py_ssize_t i = 0; mro != nullptr && i < PyTuple_GET_SIZE(mro); ++i) {
    PyObject* dict =
        reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i))->tp_dict;
    if (dict == nullptr) continue;
    if (PyObject* v = PyDict_GetItemWithError(dict, name)) return v;
    if (PyErr_Occurred()) return nullptr;
  }
  return nullptr;
}

CoreObject* CheckRun(py::handle obj) {
  CoreObject* core = CoreOf(obj.ptr());
  if (core == nullptr) throw py::error_already_set();
  return core;
}

}  // namespace

void RegisterRunType(py::module_& m) {
  for (int k = 0; k < 4; ++k) {
    g_kw[k] = PyUnicode_InternFromString(kKwNames[k]);
    if (g_kw[k] == nullptr) throw py::error_already_set();
  }
  g_kw_metrics = PyUnicode_InternFromString("metrics");
  if (g_kw_metrics == nullptr) throw py::error_already_set();
  g_hot_names = Py_BuildValue("(sss)", kHotMethods[0].ml_name,
                              kHotMethods[1].ml_name, kHotMethods[2].ml_name);
  if (g_hot_names == nullptr) throw py::error_already_set();
  PyObject* core_type = PyType_FromSpec(&kCoreSpec);
  if (core_type == nullptr) throw py::error_already_set();
  g_core_type = reinterpret_cast<PyTypeObject*>(core_type);  // kept
  PyObject* type = PyType_FromSpec(&kRunSpec);
  if (type == nullptr) throw py::error_already_set();
  g_run_type = reinterpret_cast<PyTypeObject*>(type);  // kept for the process
  Py_INCREF(type);
  m.add_object("Run", py::reinterpret_steal<py::object>(type));
}

py::object NewRunObject(py::handle cls, std::shared_ptr<Run> run,
                        std::shared_ptr<void> owner, bool release_gil_per_call) {
  if (!PyType_Check(cls.ptr()) ||
      !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls.ptr()), g_run_type)) {
    throw py::type_error("cls must be slipway._slipway.Run or a subclass");
  }
  PyObject* core_obj = g_core_type->tp_alloc(g_core_type, 0);  // zero-filled
  if (core_obj == nullptr) throw py::error_already_set();
  auto core_owner = py::reinterpret_steal<py::object>(core_obj);
  auto* core = reinterpret_cast<CoreObject*>(core_obj);
  core->impl = ImplOf(*run);
  core->release_gil_per_call = release_gil_per_call;
  core->state = new RunState{std::move(owner), std::move(run)};

  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  PyObject* obj = type->tp_alloc(type, 0);  // zero-filled; owns a type ref
  if (obj == nullptr) throw py::error_already_set();
  auto result = py::reinterpret_steal<py::object>(obj);
  auto* self = reinterpret_cast<RunObject*>(obj);
  PyObject** bound[3] = {&self->log_metric, &self->log_metrics, &self->noop};
  for (int i = 0; i < 3; ++i) {
    *bound[i] = PyCFunction_NewEx(&kHotMethods[i], core_obj, nullptr);
    if (*bound[i] == nullptr) throw py::error_already_set();
  }
  self->core = reinterpret_cast<CoreObject*>(core_owner.release().ptr());
  if (type != g_run_type) {
    // A subclass that declares the hot names in its __slots__ (slipway.Run
    // does) gets them filled too: its own slot descriptors shadow ours, and
    // reading one checks the instance's type by identity, where ours must
    // walk the subclass's MRO (~1 ns a call). A subclass without those
    // slots has no such descriptor and reads ours.
    for (int i = 0; i < 3; ++i) {
      PyObject* descr = LookUpInMro(type, PyTuple_GET_ITEM(g_hot_names, i));
      if (descr == nullptr && PyErr_Occurred()) throw py::error_already_set();
      if (descr == nullptr || !PyObject_TypeCheck(descr, &PyMemberDescr_Type) ||
          reinterpret_cast<PyMemberDescrObject*>(descr)->d_common.d_type ==
              g_run_type) {
        continue;
      }
      if (Py_TYPE(descr)->tp_descr_set(descr, obj, *bound[i]) < 0) {
        throw py::error_already_set();
      }
    }
  }
  return result;
}

Run& RunOf(py::handle obj) { return *CheckRun(obj)->state->run; }

PyObject* CallLogMetric(const char* fn, PyObject* run, PyObject* const* args,
                        Py_ssize_t nargs, PyObject* kwnames) {
  CoreObject* core = CoreOf(run);
  if (core == nullptr) return nullptr;
  return DoLogMetric(fn, core, args, nargs, kwnames);
}

PyObject* CallLogMetrics(const char* fn, PyObject* run, PyObject* const* args,
                         Py_ssize_t nargs, PyObject* kwnames) {
  CoreObject* core = CoreOf(run);
  if (core == nullptr) return nullptr;
  return DoLogMetrics(fn, core, args, nargs, kwnames);
}

}  // namespace slipway::python
