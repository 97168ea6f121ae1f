#include "src/storage/sqlite/rollout_schema.h"

namespace slipway::internal_storage {

// Rollout state is the JSON of slipway.v1.RolloutState, opaque to SQL; the
// columns beside it (phase, active, failed) are copies for queries. At most
// one active rollout per endpoint (a partial unique index). Outcome windows
// are keyed by replica, so serving processes never overwrite each other;
// readers add them up.
const char kMigration4RolloutSchema[] = R"sql(
CREATE TABLE endpoint (
  name            TEXT PRIMARY KEY,
  environment     TEXT NOT NULL,
  model           TEXT NOT NULL,
  stable_version  TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE endpoint_alert_rule (
  endpoint   TEXT NOT NULL REFERENCES endpoint (name) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  threshold  REAL NOT NULL,
  PRIMARY KEY (endpoint, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE routing (
  endpoint           TEXT PRIMARY KEY REFERENCES endpoint (name)
                     ON DELETE CASCADE,
  stable_version     TEXT NOT NULL,
  candidate_version  TEXT NOT NULL DEFAULT '',
  candidate_weight   REAL NOT NULL DEFAULT 0
                     CHECK (candidate_weight >= 0 AND candidate_weight <= 1),
  shadow             INTEGER NOT NULL DEFAULT 0 CHECK (shadow IN (0, 1)),
  generation         INTEGER NOT NULL,
  updated_ms         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE pipeline (
  name         TEXT PRIMARY KEY,
  environment  TEXT NOT NULL,
  created_ms   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE pipeline_run (
  pipeline_run_id            INTEGER PRIMARY KEY,
  pipeline                   TEXT NOT NULL REFERENCES pipeline (name)
                             ON DELETE CASCADE,
  run_ms                     INTEGER NOT NULL,
  schema_check_passed        INTEGER NOT NULL CHECK (schema_check_passed IN (0, 1)),
  distribution_check_passed  INTEGER NOT NULL
                             CHECK (distribution_check_passed IN (0, 1)),
  details                    TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX pipeline_run_by_time ON pipeline_run (pipeline, run_ms);

CREATE TABLE feature (
  name         TEXT PRIMARY KEY,
  dtype        TEXT NOT NULL,
  min_value    REAL,
  max_value    REAL,
  environment  TEXT NOT NULL,
  created_ms   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE rollout (
  rollout_id         TEXT PRIMARY KEY
                     CHECK (length(rollout_id) = 32 AND
                            rollout_id NOT GLOB '*[^0-9a-f]*'),
  endpoint           TEXT NOT NULL REFERENCES endpoint (name),
  model              TEXT NOT NULL,
  candidate_version  TEXT NOT NULL,
  stable_version     TEXT NOT NULL,
  phase              TEXT NOT NULL,
  active             INTEGER NOT NULL CHECK (active IN (0, 1)),
  failed             INTEGER NOT NULL CHECK (failed IN (0, 1)),
  state              TEXT NOT NULL,
  revision           INTEGER NOT NULL,
  created_ms         INTEGER NOT NULL,
  updated_ms         INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX rollout_one_active_per_endpoint ON rollout (endpoint)
  WHERE active = 1;
CREATE INDEX rollout_by_endpoint ON rollout (endpoint, created_ms);

CREATE TABLE rollout_transition (
  rollout_id  TEXT NOT NULL REFERENCES rollout (rollout_id) ON DELETE CASCADE,
  revision    INTEGER NOT NULL,
  from_phase  TEXT NOT NULL,
  to_phase    TEXT NOT NULL,
  input       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (rollout_id, revision)
) STRICT, WITHOUT ROWID;

CREATE TABLE outcome_window (
  endpoint   TEXT NOT NULL,
  version    TEXT NOT NULL,
  minute_ms  INTEGER NOT NULL,
  replica    TEXT NOT NULL,
  data       BLOB NOT NULL,
  PRIMARY KEY (endpoint, version, minute_ms, replica)
) STRICT;
)sql";

// Drift from samples (docs/design/0004 "Drift from samples"): an
// endpoint's reference sample per feature, and the feature values serving
// replicas sampled per (version, minute). Values are little-endian float64
// arrays (src/monitoring/feature_samples.h), opaque here; ordinary rowid
// tables, since a reference is tens of kilobytes.
const char kMigration5DriftSchema[] = R"sql(
CREATE TABLE drift_reference (
  endpoint    TEXT NOT NULL REFERENCES endpoint (name) ON DELETE CASCADE,
  feature     TEXT NOT NULL,
  row_count   INTEGER NOT NULL CHECK (row_count >= 0),
  data        BLOB NOT NULL,
  updated_ms  INTEGER NOT NULL,
  UNIQUE (endpoint, feature)
) STRICT;

CREATE TABLE feature_sample (
  endpoint   TEXT NOT NULL,
  version    TEXT NOT NULL,
  feature    TEXT NOT NULL,
  minute_ms  INTEGER NOT NULL,
  replica    TEXT NOT NULL,
  row_count  INTEGER NOT NULL CHECK (row_count >= 0),
  data       BLOB NOT NULL,
  UNIQUE (endpoint, version, feature, minute_ms, replica)
) STRICT;
)sql";

}  // namespace slipway::internal_storage
