// The SQL of migration 4: endpoints, pipelines, features, rollouts, routing
// snapshots and outcome windows; and of migration 5: drift references and
// sampled feature values (docs/design/0004, docs/storage.md).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_

namespace slipway::internal_storage {

extern const char kMigration4RolloutSchema[];
extern const char kMigration5DriftSchema[];

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_ROLLOUT_SCHEMA_H_
