#include "src/storage/sqlite/schema.h"

namespace slipway::internal_storage {

// Conventions (docs/storage.md): STRICT tables, so a value of the wrong type
// is refused instead of silently stored; WITHOUT ROWID where the primary key
// is the access path and rows are small; times are integer milliseconds since
// the Unix epoch (UTC); doubles that must keep NaN/±Inf/-0.0 are 8-byte
// sortable BLOBs (src/storage/sortable_double.h); enumerations are TEXT with
// a CHECK listing the allowed spellings (readable in the sqlite3 shell).
const char kMigration1TrackingSchema[] = R"sql(
CREATE TABLE experiment (
  experiment_id INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  created_ms    INTEGER NOT NULL,
  lifecycle     TEXT    NOT NULL DEFAULT 'active'
                CHECK (lifecycle IN ('active', 'deleted'))
) STRICT;

CREATE TABLE experiment_tag (
  experiment_id INTEGER NOT NULL
                REFERENCES experiment (experiment_id) ON DELETE CASCADE,
  key           TEXT    NOT NULL,
  value         TEXT    NOT NULL,
  PRIMARY KEY (experiment_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE run (
  run_id        TEXT    NOT NULL PRIMARY KEY
                CHECK (length(run_id) = 32 AND run_id NOT GLOB '*[^0-9a-f]*'),
  experiment_id INTEGER NOT NULL REFERENCES experiment (experiment_id),
  name          TEXT    NOT NULL,
  status        TEXT    NOT NULL
                CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
  start_ms      INTEGER NOT NULL,
  end_ms        INTEGER,
  parent_run_id TEXT    REFERENCES run (run_id) ON DELETE SET NULL,
  user          TEXT    NOT NULL DEFAULT '',
  source_path   TEXT    NOT NULL DEFAULT '',
  source_commit TEXT    NOT NULL DEFAULT '',
  heartbeat_ms  INTEGER,
  owner         TEXT    NOT NULL DEFAULT '',
  lifecycle     TEXT    NOT NULL DEFAULT 'active'
                CHECK (lifecycle IN ('active', 'deleted'))
) STRICT;

-- Listing and searching the runs of an experiment, newest first.
CREATE INDEX run_by_experiment ON run (experiment_id, start_ms DESC);
-- Child runs of a parent.
CREATE INDEX run_by_parent ON run (parent_run_id)
  WHERE parent_run_id IS NOT NULL;
-- The stale-run sweep looks only at RUNNING runs, oldest heartbeat first.
CREATE INDEX run_running_by_heartbeat ON run (heartbeat_ms)
  WHERE status = 'RUNNING';

CREATE TABLE param (
  run_id TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE tag (
  run_id TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

-- A rowid table on purpose: chunk rows carry blobs of up to tens of KB, and
-- WITHOUT ROWID tables are for small rows (SQLite's own guidance: under
-- 1/20 of a page). The primary key is still unique and indexed.
CREATE TABLE metric_chunk (
  run_id     TEXT    NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  seq        INTEGER NOT NULL CHECK (seq >= 0),
  first_step INTEGER NOT NULL,
  last_step  INTEGER NOT NULL,
  -- Steps may be logged out of order, so a step-range read selects chunks
  -- by their smallest and largest step, not by the first and last.
  min_step   INTEGER NOT NULL,
  max_step   INTEGER NOT NULL CHECK (max_step >= min_step),
  count      INTEGER NOT NULL CHECK (count > 0),
  codec      INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  PRIMARY KEY (run_id, key, seq)
) STRICT;

CREATE TABLE metric_summary (
  run_id     TEXT    NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  count      INTEGER NOT NULL CHECK (count > 0),
  last_value BLOB    NOT NULL CHECK (length(last_value) = 8),
  last_step  INTEGER NOT NULL,
  last_ms    INTEGER NOT NULL,
  min_value  BLOB    NOT NULL CHECK (length(min_value) = 8),
  max_value  BLOB    NOT NULL CHECK (length(max_value) = 8),
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

-- Search: `metrics.<key> <op> <number>` is a range scan of one key's last
-- values; `params.<key> = '...'` and `tags.<key> = '...'` are lookups by key
-- and value (LIKE scans one key's values).
CREATE INDEX metric_summary_by_key_value ON metric_summary (key, last_value);
CREATE INDEX param_by_key_value ON param (key, value);
CREATE INDEX tag_by_key_value ON tag (key, value);
)sql";

// The audit log is a hash chain (docs/audit.md): each record carries the
// hash of the one before, and the single audit_anchor row (count, hash of
// the newest record) is advanced in the same transaction as every append,
// so deleting the newest records is caught too. Fields mean "not
// applicable" when empty, never NULL, so the canonical bytes that are hashed
// have one spelling per record. emergency_stop holds at most one row: the
// store's stop flag is set exactly while the row exists (SPEC §5).
const char kMigration2AuditSchema[] = R"sql(
CREATE TABLE audit_record (
  seq              INTEGER PRIMARY KEY CHECK (seq > 0),
  timestamp_ms     INTEGER NOT NULL,
  agent            TEXT    NOT NULL,
  user             TEXT    NOT NULL,
  environment      TEXT    NOT NULL,
  command          TEXT    NOT NULL,
  resource_type    TEXT    NOT NULL,
  resource_name    TEXT    NOT NULL,
  action           TEXT    NOT NULL,
  model_name       TEXT    NOT NULL,
  model_version    TEXT    NOT NULL,
  previous_version TEXT    NOT NULL,
  change_ticket    TEXT    NOT NULL,
  outcome          TEXT    NOT NULL
                   CHECK (outcome IN ('success', 'failure', 'denied')),
  rollback_config  TEXT    NOT NULL,
  duration_ms      INTEGER NOT NULL CHECK (duration_ms >= 0),
  reason           TEXT    NOT NULL,
  message          TEXT    NOT NULL,
  prev_hash        TEXT    NOT NULL CHECK (length(prev_hash) = 64),
  hash             TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Reading and exporting "since a time".
CREATE INDEX audit_record_by_time ON audit_record (timestamp_ms);

CREATE TABLE audit_anchor (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  count     INTEGER NOT NULL CHECK (count >= 0),
  head_hash TEXT    NOT NULL CHECK (length(head_hash) = 64)
) STRICT;

INSERT INTO audit_anchor (id, count, head_hash) VALUES
  (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE emergency_stop (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  actor  TEXT    NOT NULL,
  reason TEXT    NOT NULL,
  set_ms INTEGER NOT NULL
) STRICT;
)sql";

}  // namespace slipway::internal_storage
