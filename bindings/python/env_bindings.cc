// slipway/env.h and slipway/testing/fake_clock.h: the Clock seam, and the
// fake clock exposed as _slipway.testing.FakeClock (wrapped with keyword
// ergonomics by python/slipway/testing.py). Times cross the boundary as
// integer microseconds since the Unix epoch or RFC 3339 text, never as naive
// datetimes.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "bindings/python/bindings.h"
#include "bindings/python/status_translation.h"
#include "slipway/env.h"
#include "slipway/testing/fake_clock.h"
#include "slipway/time.h"

namespace py = pybind11;

namespace slipway::python {

void RegisterEnvBindings(py::module_& m) {
  py::class_<Clock>(m, "Clock", "A source of time (slipway/env.h).")
      .def("now_unix_micros",
           [](const Clock& c) { return absl::ToUnixMicros(c.Now()); })
      .def("now_rfc3339", [](const Clock& c) { return FormatRfc3339(c.Now()); });

  m.def("parse_rfc3339_micros", [](const std::string& text) {
    return absl::ToUnixMicros(ValueOrThrow(ParseRfc3339(text)));
  });
  m.def("format_rfc3339_micros", [](int64_t micros) {
    return FormatRfc3339(absl::FromUnixMicros(micros));
  });

  py::module_ t = m.def_submodule("testing", "The public test kit.");
  py::class_<testing::FakeClock, Clock>(t, "FakeClock",
                                        "A clock that moves only when told.")
      .def(py::init([](std::optional<std::string> start) {
             absl::Time t = start ? ValueOrThrow(ParseRfc3339(*start))
                                  : testing::FakeClock::DefaultStart();
             return new testing::FakeClock(t);
           }),
           py::arg("start") = py::none())
      .def("advance_micros",
           [](testing::FakeClock& c, int64_t micros) {
             ThrowIfError(c.Advance(absl::Microseconds(micros)));
           })
      .def("set_unix_micros", [](testing::FakeClock& c, int64_t micros) {
        ThrowIfError(c.Set(absl::FromUnixMicros(micros)));
      });
}

}  // namespace slipway::python
