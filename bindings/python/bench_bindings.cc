// _slipway._bench: measurement fixtures for benchmarks/python, not API.
//
// noop_fastcall is "the physical floor of a Python call" of issue 3: a
// function registered with CPython's vectorcall protocol
// (METH_FASTCALL | METH_KEYWORDS) that accepts log_metric's arguments
// (key, value, step=...) and does nothing. noop_pybind is the same no-op
// through pybind11's generic dispatch. The ratio of the two tells how much a
// lean binding can win for the hot logging methods.
#include <Python.h>

#include <cstdint>
#include <string>

#include "bindings/python/bindings.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

PyObject* NoopFastcall(PyObject* /*self*/, PyObject* const* args,
                       Py_ssize_t nargs, PyObject* kwnames) {
  const Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  if (nargs + nkw < 2 || nargs + nkw > 3) {
    PyErr_SetString(PyExc_TypeError,
                    "noop_fastcall(key, value, step=None) takes 2 or 3 arguments");
    return nullptr;
  }
  (void)args;
  Py_RETURN_NONE;
}

PyMethodDef kNoopFastcall = {
    "noop_fastcall",
    reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&NoopFastcall)),
    METH_FASTCALL | METH_KEYWORDS,
    "noop_fastcall(key, value, step=None): a vectorcall no-op (benchmark floor)."};

}  // namespace

void RegisterBenchBindings(py::module_& m) {
  py::module_ b = m.def_submodule("_bench", "Benchmark fixtures; not API.");
  PyObject* f = PyCFunction_NewEx(&kNoopFastcall, nullptr, b.ptr());
  if (f == nullptr) throw py::error_already_set();
  b.add_object("noop_fastcall", py::reinterpret_steal<py::object>(f));
  b.def(
      "noop_pybind", [](const std::string&, double, int64_t) {},
      py::arg("key"), py::arg("value"), py::arg("step") = 0,
      "The same no-op through pybind11's generic dispatch.");
}

}  // namespace slipway::python
