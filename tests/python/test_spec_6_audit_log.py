"""SPEC.md §6 — Audit log, from Python. One test per sentence of the section
(the scenarios of tests/spec/spec_6_audit_log_test.cc), on real store
files."""

import json
import re
import sqlite3

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

SPEC_FIELDS = [
    "timestamp", "agent", "user", "environment", "command", "resource_type",
    "resource_name", "action", "model_name", "model_version", "previous_version",
    "change_ticket", "outcome", "rollback_config", "duration_ms",
]
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "slipway.db"


@pytest.fixture
def store(db, fake_clock):
    return sw.open(db, clock=fake_clock)


# "Every state-changing operation — including denied and failed ones —
# appends one structured JSON record"
def test_spec_6_every_operation_including_denied_and_failed_appends_one_record(store):
    store.register_model_version("fraud", "1.0.0")
    cases = [
        ("success", lambda: store.set_alias("fraud", "champion", "1.0.0")),
        ("denied", lambda: store.set_approval("fraud", "1.0.0", "Approved",
                                              environment="production")),
        ("failure", lambda: store.register_model_version("fraud", "1.0.0")),
        ("failure", lambda: store.create_model("Not A Name")),
    ]
    for outcome, call in cases:
        before = store.audit_log()
        try:
            call()
        except sw.Error:
            assert outcome != "success"
        after = store.audit_log()
        assert after[: len(before)] == before
        assert len(after) == len(before) + 1
        assert after[-1].outcome == outcome


# "timestamp (RFC 3339 UTC), agent, user, environment, command,
# resource_type, resource_name, action, model_name, model_version,
# previous_version, change_ticket, outcome (success | failure | denied),
# rollback_config, duration_ms"
def test_spec_6_each_record_has_every_listed_field(tmp_path, store, fake_clock):
    store.register_model_version("fraud", "1.0.0", actor="alice")
    store.register_model_version("fraud", "1.1.0", actor="alice")
    store.set_alias("fraud", "champion", "1.0.0", actor="alice")
    fake_clock.advance(seconds=1.5)
    store.set_alias("fraud", "champion", "1.1.0", actor="alice")
    with pytest.raises(sw.GateError):
        store.set_approval("fraud", "1.1.0", "Approved", actor="bob", environment="production")

    records = store.audit_log()
    for r in records:
        d = r.to_dict()
        assert all(f in d for f in SPEC_FIELDS)
        assert RFC3339_UTC.match(r.timestamp), r.timestamp
        assert r.outcome in ("success", "failure", "denied")
        assert isinstance(r.duration_ms, int) and r.duration_ms >= 0
    moved = records[3]
    assert moved.timestamp == "2026-01-01T00:00:01.500Z"
    assert (moved.agent.startswith("slipway/"), moved.user, moved.environment) == (
        True, "alice", "development")
    assert (moved.command, moved.resource_type, moved.resource_name, moved.action) == (
        "alias.set", "alias", "fraud@champion", "update")
    assert (moved.model_name, moved.model_version, moved.previous_version) == (
        "fraud", "1.1.0", "1.0.0")
    assert (moved.change_ticket, moved.rollback_config) == ("", "")
    assert records[4].outcome == "denied" and records[4].environment == "production"

    # The same fields in the exported JSON.
    path = tmp_path / "audit.jsonl"
    store.export_audit_log(path)
    for line in path.read_text(encoding="utf-8").splitlines():
        exported = json.loads(line)
        assert all(f in exported for f in SPEC_FIELDS)


# "Records are append-only"
def test_spec_6_records_are_append_only(store):
    store.register_model_version("fraud", "1.0.0")
    first = store.audit_log()
    store.register_model_version("fraud", "1.1.0")
    store.emergency_stop.activate("drill")
    store.emergency_stop.clear()
    later = store.audit_log()
    assert later[: len(first)] == first
    assert [r.seq for r in later] == [1, 2, 3, 4]


# "and tamper-evident (each carries the hash of the one before),"
def test_spec_6_records_are_tamper_evident_each_carrying_the_previous_hash(db, store):
    for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        store.register_model_version("fraud", v)
    records = store.audit_log()
    assert records[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:]))
    store.verify_audit_log()

    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE audit_record SET outcome = 'failure' WHERE seq = 2")
    con.close()
    with pytest.raises(sw.StoreError) as e:
        store.verify_audit_log()
    assert (e.value.reason, e.value.value) == ("AUDIT_CHAIN_BROKEN", "2")


# "queryable from the store"
def test_spec_6_records_are_queryable_from_the_store(db, store, fake_clock):
    store.register_model_version("fraud", "1.0.0")
    fake_clock.advance(days=1)
    store.register_model_version("fraud", "1.1.0")
    fake_clock.advance(days=1)
    store.register_model_version("fraud", "1.2.0")
    # Another Store object on the file reads the same records.
    other = sw.open(db)
    assert other.audit_log() == store.audit_log()
    assert [r.model_version for r in other.audit_log(since="2026-01-02T00:00:00Z")] == [
        "1.1.0", "1.2.0"]
    assert [r.model_version for r in other.audit_log(since="2026-01-02T00:00:00Z",
                                                      limit=1)] == ["1.1.0"]


# "and exportable as JSON lines."
def test_spec_6_records_are_exportable_as_json_lines(tmp_path, store):
    store.register_model_version("fraud", "1.0.0")
    with pytest.raises(sw.GateError):
        store.set_approval("fraud", "1.0.0", "Approved", environment="production")
    path = tmp_path / "audit.jsonl"
    assert store.export_audit_log(path) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    parsed = [json.loads(line) for line in lines]
    assert [p["outcome"] for p in parsed] == ["success", "denied"]
    assert [p["hash"] for p in parsed] == [r.hash for r in store.audit_log()]
