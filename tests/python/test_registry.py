"""The Python model registry (issue 4 item 10): models, versions, aliases,
approvals, validation records, lineage, artifacts and search, on real store
files."""

import hashlib
import multiprocessing
import os
import threading
import time

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

SEMVER_ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-beta",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.10.0",
    "2.0.0",
]


@pytest.fixture
def store(tmp_path, fake_clock):
    return sw.open(tmp_path / "reg.db", clock=fake_clock)


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = open(full, "rb").read()
    return out


# --- models -----------------------------------------------------------------------


def test_model_round_trip(store):
    created = store.create_model("fraud-detection", "scores card payments",
                                 tags={"team": "risk", "tier": 1})
    assert created.name == "fraud-detection"
    assert created.description == "scores card payments"
    assert created.tags == {"team": "risk", "tier": "1"}
    assert created.scheme is None and created.aliases == {}
    assert created.created_ms == created.updated_ms == 1767225600000  # the fake clock
    assert store.get_model("fraud-detection") == created
    store.create_model("churn")
    assert [m.name for m in store.list_models()] == ["churn", "fraud-detection"]


def test_model_errors(store):
    store.create_model("fraud")
    with pytest.raises(sw.AlreadyExistsError) as e:
        store.create_model("fraud")
    assert e.value.reason == "MODEL_EXISTS"
    with pytest.raises(sw.NotFoundError) as e:
        store.get_model("nope")
    assert e.value.reason == "MODEL_NOT_FOUND"
    with pytest.raises(sw.ValidationError) as e:
        store.create_model("Fraud Detection")
    assert e.value.reason == "MODEL_NAME_INVALID"
    assert [m.name for m in store.list_models()] == ["fraud"]


# --- versions --------------------------------------------------------------------------


def test_version_round_trip_every_field(tmp_path, store):
    model_file = _write(tmp_path / "src" / "model.pt", b"\x00weights\xff" * 100)
    with store.start_run(experiment="fraud", params={"lr": 0.01}) as run:
        run.log_metric("acc", 0.93)
    mv = store.register_model_version(
        "fraud-detection", version="v2.4.1", run=run,
        artifacts=[model_file],
        datasets=["/data/ml/train.parquet",
                  ("/data/ml/eval.parquet", "sha256:abc123"),
                  {"path": "s3://ml-data/extra/", "digest": "md5:ff"}],
        code_version="git:1a2b3c", description="first production candidate",
        metadata={"framework": "torch", "layers": [3, 4], "nested": {"a": None}},
        signature={"inputs": [{"name": "amount", "type": "double"}]},
        tags={"stage": "candidate", "epochs": 12}, actor="alice@example.com")
    assert mv.model == "fraud-detection"
    assert mv.version == "2.4.1"  # canonical: the "v" is dropped
    assert mv.run_id == run.id
    assert mv.approval == "None" and mv.archived is False and mv.aliases == []
    assert mv.tags == {"epochs": "12", "stage": "candidate"}
    assert mv.artifacts == [sw.ArtifactFile(
        "model.pt", "sha256:" + hashlib.sha256(model_file.read_bytes()).hexdigest(), 900)]
    assert mv.datasets == [
        sw.DatasetRef("/data/ml/eval.parquet", "sha256:abc123"),
        sw.DatasetRef("/data/ml/train.parquet", ""),
        sw.DatasetRef("s3://ml-data/extra/", "md5:ff"),
    ]
    assert mv.code_version == "git:1a2b3c"
    assert mv.description == "first production candidate"
    assert mv.metadata == {"framework": "torch", "layers": [3, 4], "nested": {"a": None}}
    assert mv.signature == {"inputs": [{"name": "amount", "type": "double"}]}
    assert mv.created_ms == 1767225600000 and mv.created_by == "alice@example.com"
    assert store.get_model_version("fraud-detection", "2.4.1") == mv
    assert store.get_model_version("fraud-detection", "v2.4.1") == mv
    # Persisted: a fresh store on the file reads the same version.
    again = sw.open(tmp_path / "reg.db")
    assert again.get_model_version("fraud-detection", "2.4.1") == mv
    assert again.get_model("fraud-detection").scheme == "semver"


def test_semver_precedence_order(store):
    for v in ["2.0.0", "1.0.0-rc.1", "1.10.0", "1.0.0-alpha.1", "1.0.0", "1.0.1",
              "1.0.0-beta", "1.0.0-alpha"]:
        store.register_model_version("demo", v)
    assert [v.version for v in store.list_model_versions("demo")] == SEMVER_ORDER


def test_integer_revisions_auto_assigned(store):
    assert [store.register_model_version("rev").version for _ in range(3)] == ["1", "2", "3"]
    assert store.register_model_version("rev", 7).version == "7"
    assert store.register_model_version("rev").version == "8"
    assert store.get_model("rev").scheme == "revision"
    assert [v.version for v in store.list_model_versions("rev")] == ["1", "2", "3", "7", "8"]
    assert store.get_model_version("rev", 3).version == "3"


def test_scheme_mismatch_refused(store):
    store.register_model_version("sem", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        store.register_model_version("sem")
    assert e.value.reason == "VERSION_SCHEME_MISMATCH"
    store.register_model_version("rev")
    with pytest.raises(sw.GateError) as e:
        store.register_model_version("rev", "1.0.0")
    assert e.value.reason == "VERSION_SCHEME_MISMATCH"
    assert [v.version for v in store.list_model_versions("sem")] == ["1.0.0"]
    assert [v.version for v in store.list_model_versions("rev")] == ["1"]


def test_duplicate_version_refused(store):
    store.register_model_version("demo", "1.0.0", description="first")
    with pytest.raises(sw.AlreadyExistsError) as e:
        store.register_model_version("demo", "v1.0.0", description="second")
    assert e.value.reason == "MODEL_VERSION_EXISTS"
    assert store.get_model_version("demo", "1.0.0").description == "first"


@pytest.mark.parametrize("kwargs,reason", [
    ({"version": "2.4"}, "MODEL_VERSION_INVALID"),
    ({"version": "latest"}, "MODEL_VERSION_INVALID"),
    ({"datasets": ["/etc/passwd"]}, "DATASET_PATH_NOT_APPROVED"),
    ({"datasets": ["/data/ml/../etc"]}, "DATASET_PATH_INVALID"),
    ({"datasets": [("/data/ml/x", "no-colon")]}, "DATASET_DIGEST_INVALID"),
    ({"datasets": ["/data/ml/x", "/data/ml/x"]}, "DATASET_DUPLICATE"),
    ({"metadata": {"x": float("nan")}}, "METADATA_INVALID"),
    ({"tags": {"": "v"}}, "TAG_KEY_INVALID"),
    ({"description": "d" * 5001}, "DESCRIPTION_TOO_LONG"),
])
def test_invalid_registration_writes_nothing(store, kwargs, reason):
    kwargs.setdefault("version", "1.0.0")
    with pytest.raises(sw.ValidationError) as e:
        store.register_model_version("demo", **kwargs)
    assert e.value.reason == reason
    with pytest.raises(sw.NotFoundError):
        store.get_model("demo")


def test_registration_argument_types(store):
    with pytest.raises(sw.NotFoundError) as e:
        store.register_model_version("demo", "1.0.0", run="0" * 32)
    assert e.value.reason == "RUN_NOT_FOUND"
    with pytest.raises(TypeError):
        store.register_model_version("demo", "1.0.0", metadata='{"a": 1}')
    with pytest.raises(TypeError):
        store.register_model_version("demo", "1.0.0", datasets=[("/data/ml/x",)])
    with pytest.raises(TypeError):
        store.register_model_version("demo", 1.5)
    with pytest.raises(TypeError):
        store.register_model_version("demo", "1.0.0", run=42)


# --- aliases and latest ---------------------------------------------------------------


def test_alias_set_move_and_delete(store):
    for v in ("1.0.0", "1.1.0"):
        store.register_model_version("demo", v)
    store.set_alias("demo", "champion", "1.0.0")
    assert store.get_model_version("demo", "champion").version == "1.0.0"
    assert store.get_model_version("demo", "1.0.0").aliases == ["champion"]
    store.set_alias("demo", "champion", "v1.1.0")  # moves it
    assert store.get_model("demo").aliases == {"champion": "1.1.0"}
    assert store.get_model_version("demo", "1.0.0").aliases == []
    assert store.get_model_version("demo", "champion").version == "1.1.0"
    moves = [r for r in store.audit_log() if r.command == "alias.set"]
    assert [(r.model_version, r.previous_version) for r in moves] == [("1.0.0", ""), ("1.1.0", "1.0.0")]
    store.delete_alias("demo", "champion")
    with pytest.raises(sw.NotFoundError) as e:
        store.get_model_version("demo", "champion")
    assert e.value.reason == "ALIAS_NOT_FOUND"
    with pytest.raises(sw.NotFoundError) as e:
        store.delete_alias("demo", "champion")
    assert e.value.reason == "ALIAS_NOT_FOUND"


@pytest.mark.parametrize("alias,reason", [
    ("latest", "ALIAS_RESERVED"),   # always the highest version
    ("42", "ALIAS_RESERVED"),       # reads as a revision
    ("1.2.3", "ALIAS_RESERVED"),    # reads as a version
    ("Champion", "ALIAS_INVALID"),
    ("bad.alias", "ALIAS_INVALID"),
])
def test_reserved_and_invalid_aliases_refused(store, alias, reason):
    store.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.ValidationError) as e:
        store.set_alias("demo", alias, "1.0.0")
    assert e.value.reason == reason
    assert e.value.value == alias
    assert store.get_model("demo").aliases == {}


def test_latest_resolves_to_highest_not_archived(store):
    for v in ("1.0.0", "1.2.0", "1.10.0-rc.1"):
        store.register_model_version("demo", v)
    assert store.get_model_version("demo", "latest").version == "1.10.0-rc.1"
    store.archive_model_version("demo", "1.10.0-rc.1")
    assert store.get_model_version("demo", "latest").version == "1.2.0"
    assert store.get_model_version("demo", "1.10.0-rc.1").archived is True
    assert [v.version for v in store.list_model_versions("demo")] == ["1.0.0", "1.2.0", "1.10.0-rc.1"]
    for v in ("1.0.0", "1.2.0"):
        store.archive_model_version("demo", v)
    with pytest.raises(sw.NotFoundError) as e:
        store.get_model_version("demo", "latest")
    assert e.value.reason == "MODEL_VERSION_NOT_FOUND"


def test_latest_refused_in_production(store):
    store.register_model_version("demo", "1.0.0")
    assert store.get_model_version("demo", "latest", environment="staging").version == "1.0.0"
    with pytest.raises(sw.ValidationError) as e:
        store.get_model_version("demo", "latest", environment="production")
    assert e.value.reason == "LATEST_IN_PRODUCTION"
    assert "production" in str(e.value)
    # An explicit version and an alias are fine there.
    store.set_alias("demo", "champion", "1.0.0")
    assert store.get_model_version("demo", "champion", environment="production").version == "1.0.0"


# --- approvals and roles ---------------------------------------------------------------

STATES = ["None", "PendingApproval", "Approved", "Rejected"]
LEGAL = {
    ("None", "PendingApproval"), ("None", "Approved"), ("None", "Rejected"),
    ("PendingApproval", "Approved"), ("PendingApproval", "Rejected"),
    ("Approved", "Rejected"),
    ("Rejected", "PendingApproval"),
}


def test_approval_transition_table(store):
    n = 0
    for start in STATES:
        for target in STATES:
            n += 1
            version = f"1.0.{n}"
            store.register_model_version("demo", version)
            if start != "None":
                store.set_approval("demo", version, start)
            if (start, target) in LEGAL:
                store.set_approval("demo", version, target)
                assert store.get_model_version("demo", version).approval == target
            else:
                with pytest.raises(sw.GateError) as e:
                    store.set_approval("demo", version, target)
                assert e.value.reason == "APPROVAL_TRANSITION_INVALID", (start, target)
                assert e.value.value == f"{start} -> {target}"
                assert store.get_model_version("demo", version).approval == start
    assert n == 16


def test_approval_status_spelling(store):
    store.register_model_version("demo", "1.0.0")
    for bad in ("approved", "APPROVED", "Pending", ""):
        with pytest.raises(sw.ValidationError) as e:
            store.set_approval("demo", "1.0.0", bad)
        assert e.value.reason == "APPROVAL_STATUS_INVALID"
    with pytest.raises(TypeError):
        store.set_approval("demo", "1.0.0", None)
    assert store.get_model_version("demo", "1.0.0").approval == "None"


def test_approval_history(store, fake_clock):
    store.register_model_version("demo", "1.0.0")
    store.set_approval("demo", "1.0.0", "PendingApproval", actor="bob")
    fake_clock.advance(minutes=5)
    store.set_approval("demo", "1.0.0", "Approved", actor="lead@example.com",
                       role="data-science-lead", reason="metrics ok", environment="staging")
    history = store.approval_history("demo", "1.0.0")
    assert history == [
        sw.ApprovalEvent("None", "PendingApproval", "bob", "", "", "development", 1767225600000),
        sw.ApprovalEvent("PendingApproval", "Approved", "lead@example.com", "data-science-lead",
                         "metrics ok", "staging", 1767225900000),
    ]


def test_role_required_in_production_names_the_roles(store):
    store.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        store.set_approval("demo", "1.0.0", "Approved", actor="intern@example.com",
                           role="intern", environment="production")
    err = e.value
    assert err.reason == "ROLE_REQUIRED"
    assert err.value == "intern"
    for role in ("data-science-lead", "platform-lead", "admin"):
        assert role in str(err)
    assert '"intern@example.com"' in str(err)
    assert store.get_model_version("demo", "1.0.0").approval == "None"
    # No role at all is refused the same way; SLIPWAY_ROLE is the default.
    with pytest.raises(sw.GateError) as e:
        store.set_approval("demo", "1.0.0", "Approved", environment="production")
    assert e.value.reason == "ROLE_REQUIRED" and "no role" in str(e.value)
    store.set_approval("demo", "1.0.0", "Approved", role="platform-lead", environment="production")
    assert store.get_model_version("demo", "1.0.0").approval == "Approved"


def test_role_from_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("SLIPWAY_ACTOR", "carol")
    monkeypatch.setenv("SLIPWAY_ROLE", "admin")
    store = sw.open(tmp_path / "env.db")
    store.register_model_version("demo", "1.0.0")
    store.set_approval("demo", "1.0.0", "Approved", environment="production")
    (event,) = store.approval_history("demo", "1.0.0")
    assert (event.actor, event.role) == ("carol", "admin")


def test_role_policy_option(tmp_path):
    open_all = sw.open(tmp_path / "open.db", roles=[])
    open_all.register_model_version("demo", "1.0.0")
    open_all.set_approval("demo", "1.0.0", "Approved", environment="production")

    rules = sw.registry.default_role_rules()
    assert {"environment": "production", "action": "approve",
            "roles": ["data-science-lead", "platform-lead", "admin"]} in rules
    rules.append(("development", "set_alias", ["release-manager"]))
    strict = sw.open(tmp_path / "strict.db", roles=rules)
    strict.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        strict.set_alias("demo", "champion", "1.0.0", role="admin")
    assert e.value.reason == "ROLE_REQUIRED" and "release-manager" in str(e.value)
    strict.set_alias("demo", "champion", "1.0.0", role="release-manager")
    with pytest.raises(TypeError):
        sw.open(tmp_path / "bad.db", roles=[{"environment": "production", "action": "approve",
                                             "roles": "admin"}])
    with pytest.raises(TypeError):
        sw.open(tmp_path / "bad.db", roles=[{"env": "production"}])


# --- validation records -----------------------------------------------------------------


def test_validation_records_and_has_passed(store, fake_clock):
    store.register_model_version("demo", "1.0.0")
    assert store.has_passed_validation("demo", "1.0.0", "staging") is False
    store.record_validation("demo", "1.0.0", environment="staging",
                            checks={"accuracy": 0.81, "bias_gap": 0.09}, passed=False,
                            actor="ci")
    assert store.has_passed_validation("demo", "1.0.0", "staging") is False
    fake_clock.advance(hours=1)
    store.record_validation("demo", "1.0.0", environment="staging",
                            checks={"accuracy": 0.94, "bias_gap": 0.01, "latency_p99_ms": 12},
                            passed=True, actor="ci")
    assert store.has_passed_validation("demo", "1.0.0", "staging") is True
    assert store.has_passed_validation("demo", "1.0.0", "production") is False
    store.record_validation("demo", "1.0.0", environment="development", checks={}, passed=True)
    records = store.validations("demo", "1.0.0", environment="staging")
    assert records == [
        sw.ValidationRecord("demo", "1.0.0", "staging", {"accuracy": 0.81, "bias_gap": 0.09},
                            False, "ci", 1767225600000),
        sw.ValidationRecord("demo", "1.0.0", "staging",
                            {"accuracy": 0.94, "bias_gap": 0.01, "latency_p99_ms": 12.0},
                            True, "ci", 1767229200000),
    ]
    assert [r.environment for r in store.validations("demo", "1.0.0")] == ["staging", "staging",
                                                                          "development"]
    # The newest record decides.
    store.record_validation("demo", "1.0.0", checks={"accuracy": 0.5}, passed=False)
    assert store.has_passed_validation("demo", "1.0.0", "staging") is False


def test_validation_errors(store):
    store.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.ValidationError) as e:
        store.record_validation("demo", "1.0.0", environment="qa", checks={}, passed=True)
    assert e.value.reason == "ENVIRONMENT_UNKNOWN"
    with pytest.raises(sw.ValidationError) as e:
        store.has_passed_validation("demo", "1.0.0", "qa")
    assert e.value.reason == "ENVIRONMENT_UNKNOWN"
    with pytest.raises(sw.NotFoundError) as e:
        store.record_validation("demo", "9.9.9", checks={}, passed=True)
    assert e.value.reason == "MODEL_VERSION_NOT_FOUND"
    with pytest.raises(TypeError):
        store.record_validation("demo", "1.0.0", checks={})  # passed is required
    assert store.validations("demo", "1.0.0") == []


# --- lineage ------------------------------------------------------------------------------


def test_lineage_both_ways(store):
    with store.start_run(experiment="fraud", name="lr-0.01", params={"lr": 0.01},
                         tags={"team": "risk"}) as run:
        run.log_metric("loss", 0.5, step=0)
        run.log_metric("loss", 0.3, step=1)
        run.log_metric("acc", 0.91)
    with store.start_run(experiment="fraud") as other:
        pass
    a = store.register_model_version("fraud-detection", "1.0.0", run=run,
                                     datasets=["/data/ml/train.parquet"])
    b = store.register_model_version("fraud-lite", run=run.id)
    store.register_model_version("fraud-detection", "1.1.0", run=other.info())
    store.register_model_version("fraud-detection", "1.2.0")

    assert store.lineage(run_id=run.id) == [a, b]
    assert store.lineage(run) == [a, b]
    assert [v.version for v in store.lineage(run_id=other.id)] == ["1.1.0"]

    store.set_alias("fraud-detection", "champion", "1.0.0")
    for ref in ("1.0.0", "champion"):
        lin = store.lineage(model="fraud-detection", version=ref)
        assert lin.version == store.get_model_version("fraud-detection", "1.0.0")
        assert lin.run_id == run.id
        assert lin.experiment == "fraud"
        assert lin.params == {"lr": "0.01"}
        assert lin.metrics == {"loss": 0.3, "acc": 0.91}
        assert lin.run_tags["team"] == "risk"
        assert lin.datasets == [sw.DatasetRef("/data/ml/train.parquet")]
    bare = store.lineage(model="fraud-detection", version="1.2.0")
    assert bare.run_id is None and bare.experiment is None
    assert bare.params == {} and bare.metrics == {} and bare.datasets == []


def test_lineage_needs_exactly_one_form(store):
    with pytest.raises(TypeError, match="either run_id"):
        store.lineage(run_id="0" * 32, model="m", version="1.0.0")
    with pytest.raises(TypeError, match="needs run_id"):
        store.lineage()
    with pytest.raises(TypeError, match="needs run_id"):
        store.lineage(model="m")
    with pytest.raises(sw.NotFoundError) as e:
        store.lineage(run_id="0" * 32)
    assert e.value.reason == "RUN_NOT_FOUND"


# --- archive and delete -----------------------------------------------------------------


def test_delete_version(store):
    for v in ("1.0.0", "1.1.0"):
        store.register_model_version("demo", v)
    store.set_alias("demo", "champion", "1.1.0")
    with pytest.raises(sw.GateError) as e:
        store.delete_model_version("demo", "1.1.0")
    assert e.value.reason == "VERSION_HAS_ALIAS"
    store.delete_model_version("demo", "1.0.0")
    with pytest.raises(sw.NotFoundError) as e:
        store.get_model_version("demo", "1.0.0")
    assert e.value.reason == "MODEL_VERSION_NOT_FOUND"
    assert [v.version for v in store.list_model_versions("demo")] == ["1.1.0"]


def test_delete_in_production_needs_platform_role(tmp_path):
    store = sw.open(tmp_path / "p.db", policy=sw.Policy(environment="production"))
    store.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        store.delete_model_version("demo", "1.0.0", role="data-science-lead")
    assert e.value.reason == "ROLE_REQUIRED" and "platform-lead" in str(e.value)
    store.delete_model_version("demo", "1.0.0", role="platform-lead")
    assert store.list_model_versions("demo") == []


def test_delete_names_its_environment(store):
    store.register_model_version("demo", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        store.delete_model_version("demo", "1.0.0", actor="alice", environment="production")
    assert e.value.reason == "ROLE_REQUIRED"
    assert store.audit_log()[-1].environment == "production"
    store.delete_model_version("demo", "1.0.0", actor="alice", environment="staging")
    assert store.list_model_versions("demo") == []


# --- artifacts ----------------------------------------------------------------------------


def test_artifacts_file_and_directory_round_trip(tmp_path, store):
    single = _write(tmp_path / "in" / "model.pt", os.urandom(100_000))
    tree = tmp_path / "in" / "tokenizer"
    _write(tree / "vocab.txt", b"a\nb\nc\n")
    _write(tree / "sub" / "merges.bin", os.urandom(5000))
    _write(tree / "empty.dat", b"")
    mv = store.register_model_version("demo", "1.0.0", artifacts=[single, str(tree)])
    assert [a.path for a in mv.artifacts] == [
        "model.pt", "tokenizer/empty.dat", "tokenizer/sub/merges.bin", "tokenizer/vocab.txt"]
    for a in mv.artifacts:
        src = tmp_path / "in" / a.path
        assert a.size_bytes == src.stat().st_size
        assert a.digest == "sha256:" + hashlib.sha256(src.read_bytes()).hexdigest()
    # Blobs live beside the store by default.
    assert (tmp_path / "artifacts" / "sha256").is_dir()

    out = tmp_path / "out"
    assert store.download_artifacts("demo", "1.0.0", out) == str(out)
    assert _tree(out) == _tree(tmp_path / "in")


def test_artifact_root_option(tmp_path):
    root = tmp_path / "blobs"
    store = sw.open(tmp_path / "s.db", artifact_root=root)
    data = b"content-addressed"
    f = _write(tmp_path / "m.bin", data)
    store.register_model_version("demo", "1.0.0", artifacts=f)
    digest = hashlib.sha256(data).hexdigest()
    assert (root / "sha256" / digest[:2] / digest[2:]).read_bytes() == data
    assert not (tmp_path / "artifacts").exists()


def test_corrupt_blob_is_refused_and_not_restored(tmp_path, store):
    good = os.urandom(50_000)
    f = _write(tmp_path / "in" / "model.pt", good)
    store.register_model_version("demo", "1.0.0", artifacts=[f])
    digest = hashlib.sha256(good).hexdigest()
    blob = tmp_path / "artifacts" / "sha256" / digest[:2] / digest[2:]
    assert blob.read_bytes() == good
    os.chmod(blob, 0o644)  # blobs are stored read-only
    damaged = bytearray(good)
    damaged[12_345] ^= 0x01
    blob.write_bytes(bytes(damaged))

    out = tmp_path / "out"
    with pytest.raises(sw.StoreError) as e:
        store.download_artifacts("demo", "1.0.0", out)
    err = e.value
    assert err.reason == "ARTIFACT_CORRUPT" and err.code == "DATA_LOSS"
    assert err.value == "sha256:" + digest
    assert isinstance(err, OSError)
    # Nothing wrong was written: the file is absent, never the damaged bytes.
    assert not (out / "model.pt").exists()


def _register_racer(db, artifact, index, barrier, results):
    import slipway as sw  # a fresh interpreter (spawn)
    try:
        store = sw.open(db)
        barrier.wait(timeout=60)
        mv = store.register_model_version("race", "1.0.0", artifacts=[artifact],
                                          tags={"writer": str(index)})
        results.put(("ok", index, mv.version))
    except sw.Error as e:
        results.put(("error", index, type(e).__name__, e.reason))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        results.put(("crash", index, repr(e)))


def test_two_processes_register_one_version(tmp_path):
    db = str(tmp_path / "race.db")
    sw.open(db)  # created before the race, so both open an existing file
    artifacts = []
    for i in range(2):
        artifacts.append(str(_write(tmp_path / f"w{i}" / "model.bin", bytes([i]) * 200_000)))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_register_racer, args=(db, artifacts[i], i, barrier, results))
             for i in range(2)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    winners = [r for r in got if r[0] == "ok"]
    losers = [r for r in got if r[0] != "ok"]
    assert len(winners) == 1, got
    assert losers == [("error", 1 - winners[0][1], "AlreadyExistsError", "MODEL_VERSION_EXISTS")]

    store = sw.open(db)
    (mv,) = store.list_model_versions("race")
    winner = winners[0][1]
    assert mv.tags == {"writer": str(winner)}
    store.download_artifacts("race", "1.0.0", tmp_path / "out")
    assert (tmp_path / "out" / "model.bin").read_bytes() == bytes([winner]) * 200_000
    store.verify_audit_log()
    outcomes = sorted(r.outcome for r in store.audit_log() if r.command == "model_version.register")
    assert outcomes == ["failure", "success"]


def test_gil_is_released_while_registering(tmp_path, store):
    big = _write(tmp_path / "big.bin", os.urandom(1 << 20) * 96)  # 96 MiB to hash and copy
    ticks = []
    stop = threading.Event()

    def heartbeat():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=heartbeat)
    t.start()
    try:
        time.sleep(0.02)
        t0 = time.perf_counter()
        store.register_model_version("big", "1.0.0", artifacts=[big])
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    if t1 - t0 < 0.05:
        pytest.skip("the call was too short to tell")
    during = [x for x in ticks if t0 <= x <= t1]
    assert len(during) >= 5, (len(during), t1 - t0)


# --- search -------------------------------------------------------------------------------


def test_search_model_versions(store):
    store.register_model_version("fraud", "1.0.0", tags={"stage": "prod", "team": "risk"})
    store.register_model_version("fraud", "1.1.0-rc.1", tags={"stage": "candidate"})
    store.register_model_version("fraud", "1.1.0", tags={"stage": "candidate"})
    store.register_model_version("churn", tags={"stage": "prod"})
    store.set_approval("fraud", "1.0.0", "Approved")
    store.set_approval("fraud", "1.1.0", "Rejected")

    def found(f, **kw):
        return [(v.model, v.version) for v in store.search_model_versions(f, **kw)]

    assert found("") == [("churn", "1"), ("fraud", "1.0.0"), ("fraud", "1.1.0-rc.1"),
                         ("fraud", "1.1.0")]
    assert found("tags.stage = 'prod'") == [("churn", "1"), ("fraud", "1.0.0")]
    assert found("attributes.name = 'fraud' and tags.stage = 'candidate'") == [
        ("fraud", "1.1.0-rc.1"), ("fraud", "1.1.0")]
    assert found("attributes.approval = 'Approved'") == [("fraud", "1.0.0")]
    assert found("attributes.approval != 'None'") == [("fraud", "1.0.0"), ("fraud", "1.1.0")]
    assert found("attributes.version LIKE '1.1.%'") == [("fraud", "1.1.0-rc.1"),
                                                         ("fraud", "1.1.0")]
    assert found("tags.team = 'risk' or attributes.name = 'churn'") == [("churn", "1"),
                                                                         ("fraud", "1.0.0")]
    assert found("", max_results=2) == [("churn", "1"), ("fraud", "1.0.0")]


def test_search_filter_errors_name_the_position(store):
    with pytest.raises(sw.ValidationError) as e:
        store.search_model_versions("tags.stage = 'prod' and and")
    assert e.value.reason == "FILTER_SYNTAX"
    assert "position" in str(e.value)
    with pytest.raises(sw.ValidationError) as e:
        store.search_model_versions("metrics.acc > 0.9")
    assert e.value.reason == "FILTER_TYPE"
    assert "metrics.acc" in str(e.value)
