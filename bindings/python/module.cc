// The private extension module slipway._slipway. Each public header has one
// <name>_bindings.cc with a Register<Name>Bindings(m) function; this file
// only wires them together.
#include <pybind11/pybind11.h>

#include "bindings/python/bindings.h"
#include "slipway/slipway.h"

PYBIND11_MODULE(_slipway, m) {
  m.doc() = "slipway's C++ core. Import `slipway`, not this module.";
  m.attr("__version__") = slipway::Version();
  slipway::python::RegisterStatusTranslation(m);
  slipway::python::RegisterValidateBindings(m);
  slipway::python::RegisterEnvBindings(m);
  slipway::python::RegisterBenchBindings(m);
  slipway::python::RegisterStoreBindings(m);
  slipway::python::RegisterActiveRunLoggers(m);
  slipway::python::RegisterRegistryBindings(m);
  slipway::python::RegisterRolloutBindings(m);
  slipway::python::RegisterRouterBindings(m);
}
