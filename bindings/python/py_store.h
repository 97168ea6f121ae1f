// PyStore: what a _slipway.Store instance holds. Shared by the binding files
// that add methods to _slipway.Store (store_bindings.cc for tracking,
// registry_bindings.cc for the registry, the audit log and the emergency
// stop, rollout_bindings.cc for endpoints and rollouts).
#ifndef SLIPWAY_BINDINGS_PYTHON_PY_STORE_H_
#define SLIPWAY_BINDINGS_PYTHON_PY_STORE_H_

#include <memory>
#include <string>

#include "bindings/python/bindings.h"
#include "slipway/env.h"
#include "slipway/store.h"

namespace slipway::python {

// The Python side of one open Store. Runs hold a shared_ptr to it, so the
// Store outlives them.
struct PyStore {
  std::unique_ptr<Store> store;
  // The URI it was opened with (the internal rollout hooks of
  // registry_bindings.cc open the same file).
  std::string uri;
  Clock* clock = nullptr;      // the store's clock (the default one if none given)
  pybind11::object clock_ref;  // keeps a Python clock (FakeClock) alive
  bool every_call = false;

  PyStore() = default;
  PyStore(const PyStore&) = delete;
  PyStore& operator=(const PyStore&) = delete;
  ~PyStore() {
    // Destruction flushes buffered points: no GIL while it writes.
    if (store != nullptr) WithoutGil([&] { store.reset(); });
  }

  Store& get() { return *store; }
};

}  // namespace slipway::python

#endif  // SLIPWAY_BINDINGS_PYTHON_PY_STORE_H_
