// Registration functions of the binding files, one per public header.
#ifndef SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
#define SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace slipway::python {

void RegisterStatusTranslation(pybind11::module_& m);
void RegisterValidateBindings(pybind11::module_& m);
void RegisterEnvBindings(pybind11::module_& m);

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_BINDINGS_H_
