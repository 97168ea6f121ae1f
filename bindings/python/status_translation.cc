#include "bindings/python/status_translation.h"

#include <Python.h>
#include <pybind11/pybind11.h>

#include <string>

#include "absl/status/status.h"
#include "bindings/python/bindings.h"
#include "slipway/status.h"

namespace py = pybind11;

namespace slipway::python {
namespace {

// Text that may hold arbitrary bytes (an offending value) becomes a str
// with undecodable bytes kept as surrogate escapes, so nothing is lost.
py::object BytesToStr(const std::string& bytes) {
  PyObject* s = PyUnicode_DecodeUTF8(bytes.data(),
                                     static_cast<Py_ssize_t>(bytes.size()),
                                     "surrogateescape");
  if (s == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(s);
}

// Sets the Python error for `status`: slipway.errors._from_status builds
// the exception (the code -> class table lives there, next to the classes).
void RaiseFromStatus(const absl::Status& status) {
  py::module_ errors = py::module_::import("slipway.errors");
  std::optional<ErrorDetail> detail = GetErrorDetail(status);
  py::object exc = errors.attr("_from_status")(
      absl::StatusCodeToString(status.code()),
      BytesToStr(std::string(status.message())),
      detail ? py::str(detail->reason) : py::str(""),
      detail ? py::str(detail->rule) : py::str(""),
      detail ? BytesToStr(detail->value) : py::object(py::none()),
      detail ? py::str(detail->fix) : py::str(""));
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
}

}  // namespace

void SetPythonError(const absl::Status& status) {
  try {
    RaiseFromStatus(status);
  } catch (py::error_already_set& inner) {
    inner.restore();
  }
}

void RegisterStatusTranslation(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      try {
        RaiseFromStatus(e.status());
      } catch (py::error_already_set& inner) {
        // Importing slipway.errors failed: report that, not a bare status.
        inner.restore();
      }
    }
  });
}

}  // namespace slipway::python
