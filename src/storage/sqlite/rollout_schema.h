// The SQL of migration 4: endpoints, pipelines, features, rollouts, routing
// snapshots and outcome windows (docs/design/0004, docs/storage.md).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_

namespace slipway::internal_storage {

extern const char kMigration4RolloutSchema[];

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_
