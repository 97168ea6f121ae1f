// Registration functions of the binding files, one per public header.
#ifndef SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
#define SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_

// Every binding file includes this header first, so all of them see the
// same type casters (pybind11 requires that across translation units).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace slipway::python {

void RegisterStatusTranslation(pybind11::module_& m);
void RegisterValidateBindings(pybind11::module_& m);
void RegisterEnvBindings(pybind11::module_& m);
void RegisterBenchBindings(pybind11::module_& m);

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
