#include "src/storage/store_backends.h"

#include <utility>

#include "src/storage/sqlite/sqlite_audit_backend.h"
#include "src/storage/sqlite/sqlite_registry_backend.h"
#include "src/storage/sqlite/sqlite_rollout_backend.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"

namespace slipway::internal_storage {

absl::StatusOr<StoreBackends> OpenStoreBackends(std::string_view uri,
                                                const BackendOptions& options,
                                                Clock* clock) {
  absl::StatusOr<std::unique_ptr<TrackingBackend>> tracking =
      OpenTrackingBackend(uri, options, clock);
  if (!tracking.ok()) return tracking.status();
  // Today every backend is SQLite's (ParseStoreUri refuses the others).
  auto* sqlite = static_cast<SqliteTrackingBackend*>(tracking->get());
  Database* db = &sqlite->database();
  StoreBackends out;
  out.path = db->path();
  out.audit = std::make_unique<SqliteAuditBackend>(db);
  out.registry = std::make_unique<SqliteRegistryBackend>(db);
  out.rollouts = std::make_unique<SqliteRolloutBackend>(db);
  out.tracking = *std::move(tracking);
  return out;
}

}  // namespace slipway::internal_storage
