// The SQL of migration 3: the model registry (docs/design/0003,
// docs/storage.md "Registry tables").
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_REGISTRY_SCHEMA_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_REGISTRY_SCHEMA_H_

namespace slipway::internal_storage {

extern const char kMigration3RegistrySchema[];

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_REGISTRY_SCHEMA_H_
