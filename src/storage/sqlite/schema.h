// The SQL text of each numbered schema migration of the SQLite store. Each
// table is documented in docs/storage.md ("SQLite store", "Tables"); change
// the two together. A released migration is never edited: a schema change is
// a new migration appended to TrackingMigrations() (migrations.cc).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SCHEMA_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SCHEMA_H_

namespace slipway::internal_storage {

// Migration 1: the tracking schema (docs/design/0002-tracking.md, "Storage
// layout"): experiment, experiment_tag, run, param, tag, metric_chunk,
// metric_summary.
extern const char kMigration1TrackingSchema[];

// Migration 2: the audit log and the emergency stop (docs/design/0003,
// decisions 2 and 3; docs/audit.md): audit_record, audit_anchor,
// emergency_stop.
extern const char kMigration2AuditSchema[];

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SCHEMA_H_
