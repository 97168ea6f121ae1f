#include "src/storage/sqlite/registry_schema.h"

namespace slipway::internal_storage {

// Versions are keyed by (model_id, canonical version text); `revision`
// holds the number of a revision-scheme version (0 for semver) so the next
// one is max + 1. Lists hang off a version and go with it (ON DELETE
// CASCADE); aliases do not, so a version an alias points at cannot be
// deleted. Deployment history has no foreign key: it outlives versions.
const char kMigration3RegistrySchema[] = R"sql(
CREATE TABLE registered_model (
  model_id     INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  scheme       TEXT CHECK (scheme IN ('semver', 'revision')),
  created_ms   INTEGER NOT NULL,
  updated_ms   INTEGER NOT NULL
) STRICT;

CREATE TABLE registered_model_tag (
  model_id  INTEGER NOT NULL REFERENCES registered_model (model_id)
            ON DELETE CASCADE,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE model_version (
  model_id      INTEGER NOT NULL REFERENCES registered_model (model_id),
  version       TEXT NOT NULL,
  revision      INTEGER NOT NULL DEFAULT 0,
  run_id        TEXT REFERENCES run (run_id),
  code_version  TEXT NOT NULL DEFAULT '',
  description   TEXT NOT NULL DEFAULT '',
  metadata      TEXT NOT NULL DEFAULT '{}',
  signature     TEXT NOT NULL DEFAULT '{}',
  approval      TEXT NOT NULL DEFAULT 'None'
                CHECK (approval IN ('None', 'PendingApproval', 'Approved',
                                    'Rejected')),
  archived      INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  created_ms    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  PRIMARY KEY (model_id, version)
) STRICT;

CREATE INDEX model_version_by_run ON model_version (run_id)
  WHERE run_id IS NOT NULL;

-- The next revision is max(revision) + 1: one index probe, not a scan.
CREATE INDEX model_version_by_revision ON model_version (model_id, revision);

CREATE TABLE model_version_tag (
  model_id  INTEGER NOT NULL,
  version   TEXT NOT NULL,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (model_id, version, key),
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
    ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE model_version_artifact (
  model_id    INTEGER NOT NULL,
  version     TEXT NOT NULL,
  path        TEXT NOT NULL,
  digest      TEXT NOT NULL,
  size_bytes  INTEGER NOT NULL,
  PRIMARY KEY (model_id, version, path),
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
    ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE model_version_dataset (
  model_id  INTEGER NOT NULL,
  version   TEXT NOT NULL,
  path      TEXT NOT NULL,
  digest    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (model_id, version, path),
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
    ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE model_alias (
  model_id    INTEGER NOT NULL,
  alias       TEXT NOT NULL,
  version     TEXT NOT NULL,
  updated_ms  INTEGER NOT NULL,
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE approval_event (
  event_id     INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL,
  version      TEXT NOT NULL,
  from_status  TEXT NOT NULL,
  to_status    TEXT NOT NULL,
  actor        TEXT NOT NULL,
  role         TEXT NOT NULL,
  reason       TEXT NOT NULL,
  environment  TEXT NOT NULL,
  at_ms        INTEGER NOT NULL,
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
    ON DELETE CASCADE
) STRICT;

CREATE INDEX approval_event_by_version ON approval_event (model_id, version);

CREATE TABLE validation_record (
  record_id    INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL,
  version      TEXT NOT NULL,
  environment  TEXT NOT NULL,
  passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
  actor        TEXT NOT NULL,
  recorded_ms  INTEGER NOT NULL,
  FOREIGN KEY (model_id, version) REFERENCES model_version (model_id, version)
    ON DELETE CASCADE
) STRICT;

CREATE INDEX validation_record_by_version
  ON validation_record (model_id, version, environment);

-- value: the sortable 8-byte encoding (NaN and infinities kept).
CREATE TABLE validation_check (
  record_id  INTEGER NOT NULL REFERENCES validation_record (record_id)
             ON DELETE CASCADE,
  name       TEXT NOT NULL,
  value      BLOB NOT NULL,
  PRIMARY KEY (record_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE deployment (
  deployment_id  INTEGER PRIMARY KEY,
  endpoint       TEXT NOT NULL,
  model          TEXT NOT NULL,
  version        TEXT NOT NULL,
  deployed_ms    INTEGER NOT NULL
) STRICT;

CREATE INDEX deployment_by_model ON deployment (model, endpoint, deployed_ms);

CREATE TABLE version_hold (
  model    TEXT NOT NULL,
  version  TEXT NOT NULL,
  holder   TEXT NOT NULL,
  reason   TEXT NOT NULL,
  PRIMARY KEY (model, version, holder)
) STRICT, WITHOUT ROWID;
)sql";

}  // namespace slipway::internal_storage
