// OpenStoreBackends: every backend of one store over one connection
// (design 0003: tracking, audit and registry share a Database, so one
// transaction order and one busy policy govern them all).
#ifndef SLIPWAY_SRC_STORAGE_STORE_BACKENDS_H_
#define SLIPWAY_SRC_STORAGE_STORE_BACKENDS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "src/storage/audit_backend.h"
#include "src/storage/registry_backend.h"
#include "src/storage/rollout_backend.h"
#include "src/storage/tracking_backend.h"

namespace slipway::internal_storage {

struct StoreBackends {
  // Owns the connection: `audit`, `registry` and `rollouts` use it, so they must be
  // destroyed first.
  std::unique_ptr<TrackingBackend> tracking;
  std::unique_ptr<AuditBackend> audit;
  std::unique_ptr<RegistryBackend> registry;
  std::unique_ptr<RolloutBackend> rollouts;
  // The SQLite file's path, or ":memory:".
  std::string path;
};

// Opens the store named by `uri` (OpenTrackingBackend's URIs and errors)
// and builds the audit and registry backends on its connection.
absl::StatusOr<StoreBackends> OpenStoreBackends(std::string_view uri,
                                                const BackendOptions& options,
                                                Clock* clock);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_STORE_BACKENDS_H_
