// Status -> Python exception, in exactly one place (the pybind11_abseil
// habit). Binding code calls ThrowIfError / ValueOrThrow; the translator
// registered by RegisterStatusTranslation turns the StatusError into the
// matching class of slipway.errors (python/slipway/errors.py), carrying the
// status code and the ErrorDetail as attributes.
#ifndef SLIPWAY_BINDINGS_PYTHON_STATUS_TRANSLATION_H_
#define SLIPWAY_BINDINGS_PYTHON_STATUS_TRANSLATION_H_

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::python {

// Carries a non-OK status from binding code to the translator.
class StatusError : public std::exception {
 public:
  explicit StatusError(absl::Status status) : status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }
  const char* what() const noexcept override { return "slipway status error"; }

 private:
  absl::Status status_;
};

inline void ThrowIfError(absl::Status status) {
  if (!status.ok()) throw StatusError(std::move(status));
}

template <typename T>
T ValueOrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) throw StatusError(std::move(value).status());
  return *std::move(value);
}

// Sets the Python error indicator for the non-OK `status`, exactly as the
// translator would, for raw C-API functions (run_fastcall.cc) that return
// nullptr instead of throwing. Requires the GIL.
void SetPythonError(const absl::Status& status);

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_STATUS_TRANSLATION_H_
