"""The audit log from Python: one record per state-changing call (refused and
failed ones too), queries, the hash chain under tampering, JSON-lines export."""

import datetime as dt
import hashlib
import json
import sqlite3

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

SPEC_FIELDS = [
    "timestamp", "agent", "user", "environment", "command", "resource_type",
    "resource_name", "action", "model_name", "model_version", "previous_version",
    "change_ticket", "outcome", "rollback_config", "duration_ms",
]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "audit.db"


@pytest.fixture
def store(db, fake_clock):
    return sw.open(db, clock=fake_clock)


def _populate(store, n):
    """n successful registrations: records 1..n."""
    for i in range(n):
        store.register_model_version("fraud", f"1.0.{i}")


def _tamper(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        with con:
            con.execute(sql, args)
    finally:
        con.close()


def test_each_state_change_appends_one_record(store):
    calls = [
        (lambda: store.create_model("fraud", actor="alice"), "model.create", "create", ""),
        (lambda: store.register_model_version("fraud", "1.0.0", actor="alice"),
         "model_version.register", "create", "1.0.0"),
        (lambda: store.register_model_version("fraud", "v1.1.0", actor="alice"),
         "model_version.register", "create", "1.1.0"),
        (lambda: store.set_alias("fraud", "champion", "1.0.0", actor="alice"),
         "alias.set", "update", "1.0.0"),
        (lambda: store.delete_alias("fraud", "champion", actor="alice"),
         "alias.delete", "delete", ""),
        (lambda: store.record_validation("fraud", "1.0.0", checks={"accuracy": 0.9},
                                         passed=True, actor="alice"),
         "model_version.record_validation", "create", "1.0.0"),
        (lambda: store.set_approval("fraud", "1.0.0", "PendingApproval", actor="alice"),
         "model_version.set_approval", "request_approval", "1.0.0"),
        (lambda: store.set_approval("fraud", "1.0.0", "Approved", actor="alice",
                                    role="admin", environment="staging"),
         "model_version.set_approval", "approve", "1.0.0"),
        (lambda: store.archive_model_version("fraud", "1.1.0", actor="alice"),
         "model_version.archive", "archive", "1.1.0"),
        (lambda: store.delete_model_version("fraud", "1.1.0", actor="alice"),
         "model_version.delete", "delete", "1.1.0"),
        (lambda: store.emergency_stop.activate("drill", actor="alice"),
         "emergency_stop.activate", "activate", ""),
        (lambda: store.emergency_stop.clear(actor="alice"),
         "emergency_stop.clear", "clear", ""),
    ]
    for call, command, action, version in calls:
        before = len(store.audit_log())
        call()
        records = store.audit_log()
        assert len(records) == before + 1, command
        r = records[-1]
        assert (r.command, r.action, r.outcome, r.user) == (command, action, "success", "alice")
        assert r.model_version == version, command
        if command.startswith(("model", "alias")):
            assert r.model_name == "fraud"
    assert [r.seq for r in store.audit_log()] == list(range(1, len(calls) + 1))


def test_reads_append_nothing(tmp_path, store):
    _populate(store, 2)
    store.set_alias("fraud", "champion", "1.0.0")
    n = len(store.audit_log())
    store.get_model("fraud")
    store.list_models()
    store.get_model_version("fraud", "champion")
    store.list_model_versions("fraud")
    store.search_model_versions("tags.x = 'y'")
    store.lineage(model="fraud", version="1.0.0")
    store.approval_history("fraud", "1.0.0")
    store.validations("fraud", "1.0.0")
    store.has_passed_validation("fraud", "1.0.0", "staging")
    store.download_artifacts("fraud", "1.0.0", tmp_path / "out")
    store.emergency_stop.status()
    store.verify_audit_log()
    store.export_audit_log(tmp_path / "a.jsonl")
    assert len(store.audit_log()) == n


def test_record_has_the_spec_fields(store):
    store.register_model_version("fraud", "2.4.1", actor="alice@example.com")
    (r,) = store.audit_log()
    d = r.to_dict()
    for field in SPEC_FIELDS:
        assert field in d
    assert r.timestamp == "2026-01-01T00:00:00.000Z"
    assert r.timestamp_ms == 1767225600000
    assert r.agent.startswith("slipway/")
    assert r.user == "alice@example.com"
    assert r.environment == "development"
    assert (r.resource_type, r.resource_name) == ("model_version", "fraud")
    assert (r.model_name, r.model_version, r.previous_version) == ("fraud", "2.4.1", "")
    assert r.change_ticket == "" and r.rollback_config == ""
    assert r.outcome == "success" and r.reason == "" and r.message == ""
    assert isinstance(r.duration_ms, int) and r.duration_ms >= 0
    assert r.prev_hash == "0" * 64 and len(r.hash) == 64


def test_agent_and_user_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SLIPWAY_AGENT", "airflow")
    monkeypatch.setenv("SLIPWAY_ACTOR", "svc-train")
    store = sw.open(tmp_path / "env.db")
    store.register_model_version("fraud", "1.0.0")
    (r,) = store.audit_log()
    assert (r.agent, r.user) == ("airflow", "svc-train")


def test_denied_and_failed_calls_are_recorded(store):
    store.register_model_version("fraud", "1.0.0")

    with pytest.raises(sw.GateError):  # a missing role
        store.set_approval("fraud", "1.0.0", "Approved", actor="bob", role="intern",
                           environment="production")
    with pytest.raises(sw.GateError):  # an illegal transition
        store.set_approval("fraud", "1.0.0", "None", actor="bob")
    with pytest.raises(sw.AlreadyExistsError):
        store.register_model_version("fraud", "1.0.0", actor="bob")
    with pytest.raises(sw.ValidationError):
        store.register_model_version("fraud", "1.0.1", datasets=["/etc/passwd"], actor="bob")
    with pytest.raises(sw.NotFoundError):
        store.set_alias("fraud", "champion", "9.9.9", actor="bob")

    got = [(r.command, r.outcome, r.reason, r.user) for r in store.audit_log()[1:]]
    assert got == [
        ("model_version.set_approval", "denied", "ROLE_REQUIRED", "bob"),
        ("model_version.set_approval", "denied", "APPROVAL_TRANSITION_INVALID", "bob"),
        ("model_version.register", "failure", "MODEL_VERSION_EXISTS", "bob"),
        ("model_version.register", "failure", "DATASET_PATH_NOT_APPROVED", "bob"),
        ("alias.set", "failure", "MODEL_VERSION_NOT_FOUND", "bob"),
    ]
    denied = store.audit_log()[1]
    assert denied.environment == "production"
    assert "data-science-lead" in denied.message
    store.verify_audit_log()


def test_since_and_limit(store, fake_clock):
    _populate(store, 3)                      # 2026-01-01T00:00:00Z
    fake_clock.advance(hours=1)
    store.register_model_version("fraud", "2.0.0")  # 01:00
    fake_clock.advance(hours=1)
    store.register_model_version("fraud", "3.0.0")  # 02:00

    def versions(records):
        return [r.model_version for r in records]

    assert versions(store.audit_log()) == ["1.0.0", "1.0.1", "1.0.2", "2.0.0", "3.0.0"]
    assert versions(store.audit_log(since="2026-01-01T01:00:00Z")) == ["2.0.0", "3.0.0"]
    assert versions(store.audit_log(since="2026-01-01T00:59:59.999Z")) == ["2.0.0", "3.0.0"]
    assert versions(store.audit_log(since="2026-01-01T01:00:00.0001Z")) == ["3.0.0"]
    assert versions(store.audit_log(
        since=dt.datetime(2026, 1, 1, 2, tzinfo=dt.timezone.utc))) == ["3.0.0"]
    assert versions(store.audit_log(since="2026-01-01T03:00:00+02:00")) == ["2.0.0", "3.0.0"]
    assert versions(store.audit_log(limit=2)) == ["1.0.0", "1.0.1"]
    assert versions(store.audit_log(since="2026-01-01T00:30:00Z", limit=1)) == ["2.0.0"]
    with pytest.raises(ValueError):
        store.audit_log(since=dt.datetime(2026, 1, 1))  # naive
    with pytest.raises(sw.ValidationError):
        store.audit_log(since="yesterday")
    with pytest.raises(TypeError):
        store.audit_log(since=1767225600000)


def test_records_chain(store):
    _populate(store, 4)
    records = store.audit_log()
    assert records[0].prev_hash == "0" * 64
    for before, after in zip(records, records[1:]):
        assert after.prev_hash == before.hash
    assert store.verify_audit_log() is None


def test_edited_record_breaks_the_chain(db, store):
    _populate(store, 5)
    store.verify_audit_log()
    _tamper(db, "UPDATE audit_record SET user = 'mallory' WHERE seq = 3")
    with pytest.raises(sw.StoreError) as e:
        store.verify_audit_log()
    err = e.value
    assert err.reason == "AUDIT_CHAIN_BROKEN" and err.code == "DATA_LOSS"
    assert err.value == "3"
    assert "edited" in str(err)


def test_deleted_middle_record_breaks_the_chain(db, store):
    _populate(store, 5)
    _tamper(db, "DELETE FROM audit_record WHERE seq = 3")
    with pytest.raises(sw.StoreError) as e:
        store.verify_audit_log()
    assert e.value.reason == "AUDIT_CHAIN_BROKEN"
    assert e.value.value == "3"
    assert "deleted" in str(e.value)


def test_deleted_newest_record_breaks_the_chain(db, store):
    _populate(store, 5)
    _tamper(db, "DELETE FROM audit_record WHERE seq = 5")
    with pytest.raises(sw.StoreError) as e:
        store.verify_audit_log()
    assert e.value.reason == "AUDIT_CHAIN_BROKEN"
    assert e.value.value == "5"


def test_swapped_records_break_the_chain(db, store):
    _populate(store, 5)
    columns = [c for c in (
        "timestamp_ms agent user environment command resource_type resource_name action "
        "model_name model_version previous_version change_ticket outcome rollback_config "
        "duration_ms reason message prev_hash hash").split()]
    con = sqlite3.connect(db)
    try:
        rows = {seq: row for seq, *row in con.execute(
            f"SELECT seq, {', '.join(columns)} FROM audit_record WHERE seq IN (2, 4)")}
        with con:
            for seq, other in ((2, 4), (4, 2)):
                con.execute(
                    f"UPDATE audit_record SET {', '.join(c + ' = ?' for c in columns)} "
                    "WHERE seq = ?", (*rows[other], seq))
    finally:
        con.close()
    assert [r.model_version for r in store.audit_log()][:5] == [
        "1.0.0", "1.0.3", "1.0.2", "1.0.1", "1.0.4"]
    with pytest.raises(sw.StoreError) as e:
        store.verify_audit_log()
    assert e.value.reason == "AUDIT_CHAIN_BROKEN"
    assert e.value.value == "2"
    assert "reordered" in str(e.value)


def test_export_json_lines(tmp_path, store, fake_clock):
    _populate(store, 2)
    with pytest.raises(sw.GateError):
        store.set_approval("fraud", "1.0.0", "Approved", role="intern",
                           environment="production")
    fake_clock.advance(hours=1)
    store.set_alias("fraud", "champion", "1.0.1", actor="ünïcode \"quoted\"")
    path = tmp_path / "export" / "audit.jsonl"
    path.parent.mkdir()
    assert store.export_audit_log(path) == 4
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    for r, stored in zip(records, store.audit_log()):
        for field in SPEC_FIELDS:
            assert field in r
        assert r == {k: v for k, v in stored.to_dict().items() if k in r}
    assert records[2]["outcome"] == "denied"
    assert records[3]["user"] == "ünïcode \"quoted\""

    # Each line verifies without slipway (docs/audit.md).
    prev = "0" * 64
    for n, line in enumerate(lines, 1):
        record = json.loads(line)
        body = line[: -len(',"hash":"' + record["hash"] + '"}')] + "}"
        assert record["seq"] == n and record["prev_hash"] == prev
        assert hashlib.sha256((prev + body).encode()).hexdigest() == record["hash"]
        prev = record["hash"]

    assert store.export_audit_log(tmp_path / "since.jsonl", since="2026-01-01T00:30:00Z") == 1
    (line,) = (tmp_path / "since.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["command"] == "alias.set"
