"""SPEC.md §5 — Emergency stop, from Python. One test per sentence of the
section (the scenarios of tests/spec/spec_5_emergency_stop_test.cc), on real
store files whose default environment is production."""

import os
import subprocess
import sys
import textwrap

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCTION = sw.Policy(environment="production")
LEAD = {"actor": "lead@example.com", "role": "platform-lead"}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "runs" / "slipway.db"


@pytest.fixture
def store(db):
    s = sw.open(db, policy=PRODUCTION)
    s.register_model_version("fraud", "1.0.0")  # before the stop
    s.register_model_version("fraud", "1.1.0")
    return s


def _production_operations(store):
    """The registry's operations that SPEC §5 lists, with their audit
    commands: model create and delete (a new model, a new version that
    creates one, deleting a version) and a status change to Approved."""
    return [
        ("model.create", lambda: store.create_model("churn", **LEAD)),
        ("model_version.register", lambda: store.register_model_version("churn", "1.0.0", **LEAD)),
        ("model_version.register", lambda: store.register_model_version("fraud", "2.0.0", **LEAD)),
        ("model_version.delete", lambda: store.delete_model_version("fraud", "1.1.0", **LEAD)),
        ("model_version.set_approval",
         lambda: store.set_approval("fraud", "1.0.0", "Approved", **LEAD)),
    ]


def _assert_all_halted(store):
    for command, call in _production_operations(store):
        with pytest.raises(sw.EmergencyStopError) as e:
            call()
        assert e.value.reason == "EMERGENCY_STOP_ACTIVE", command
    # Nothing of them happened.
    assert [m.name for m in store.list_models()] == ["fraud"]
    assert [v.version for v in store.list_model_versions("fraud")] == ["1.0.0", "1.1.0"]
    assert store.get_model_version("fraud", "1.0.0").approval == "None"


def _assert_all_go_on(store):
    for _, call in _production_operations(store):
        call()
    assert [v.version for v in store.list_model_versions("fraud")] == ["1.0.0", "2.0.0"]
    assert store.get_model_version("fraud", "1.0.0").approval == "Approved"


# "A stop flag halts every production operation: endpoint create/update/
# delete, model create/delete, production training pipeline triggers,
# production traffic changes, feature writes to production feature groups,
# and registry status changes to Approved."
def test_spec_5_a_stop_flag_halts_every_listed_production_operation(store):
    store.emergency_stop.activate("incident 42", actor="oncall")
    _assert_all_halted(store)
    # Other approval moves are not status changes to Approved: they go on.
    store.set_approval("fraud", "1.0.0", "Rejected", **LEAD)
    store.set_approval("fraud", "1.0.0", "PendingApproval", **LEAD)
    store.emergency_stop.clear()
    _assert_all_go_on(store)


def test_spec_5_a_stop_flag_halts_endpoint_traffic_and_feature_operations(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2", phase="AWAITING_APPROVAL")
    weights = rollout.status().weights
    gen = store.routing(world.ENDPOINT).generation
    store.emergency_stop.activate("incident 42", actor="oncall")
    # The next controller pass halts the production rollout, weights held.
    assert store.tick() == 1
    st = rollout.status()
    assert (st.phase, st.halt_cause, st.weights) == ("HALTED", "EMERGENCY_STOP", weights)
    assert "clear the emergency stop" in st.next_gate
    assert store.routing(world.ENDPOINT).generation == gen
    # No automatic step while it is set, not even a guardrail rollback.
    assert world.minutes(6, candidate=world.counts(requests=300, errors=30)) == 0
    assert rollout.status().phase == "HALTED"
    before = len(store.audit_log())
    refused = [
        ("endpoint.create", lambda: store.register_endpoint(
            "churn-prod", environment="production", model="churn", version="1.0.0",
            alert_rules=["accuracy", "latency", "drift"])),
        ("feature.create", lambda: store.register_feature(
            "amount", "float64", environment="production")),
        ("rollout.approve", lambda: rollout.approve("canary-2", **world.DS_LEAD)),
        ("rollout.rollback", lambda: rollout.rollback(actor="oncall")),
        ("rollout.abort", lambda: rollout.abort(actor="oncall")),
        ("rollout.resume", lambda: rollout.resume(actor="oncall")),
    ]
    for command, call in refused:
        with pytest.raises(sw.EmergencyStopError) as e:
            call()
        assert e.value.reason == "EMERGENCY_STOP_ACTIVE", command
        assert "incident 42" in str(e.value)
    denials = store.audit_log()[before:]
    assert [(r.command, r.outcome, r.reason) for r in denials] == [
        (c, "denied", "EMERGENCY_STOP_ACTIVE") for c, _ in refused]
    assert rollout.status().phase == "HALTED"  # reads go on
    store.emergency_stop.clear()
    st = rollout.resume(actor="oncall")
    assert (st.phase, st.stage, st.weights) == ("AWAITING_APPROVAL", "canary-2", weights)
    assert rollout.approve("canary-2", **world.DS_LEAD).stage == "canary-2"
    store.register_feature("amount", "float64", environment="production")


def test_spec_5_a_stop_flag_refuses_a_production_deploy(world):
    world.store.emergency_stop.activate("incident 42")
    with pytest.raises(sw.EmergencyStopError) as e:
        world.deploy()
    assert e.value.reason == "EMERGENCY_STOP_ACTIVE"
    assert world.store.rollouts() == []
    last = world.store.audit_log()[-1]
    assert (last.command, last.outcome) == ("rollout.deploy", "denied")


@pytest.mark.skip(reason="the Store has no endpoint update/delete and no pipeline trigger "
                         "call to refuse (the stop's C++ check covers them: "
                         "spec_5_emergency_stop_test.cc)")
def test_spec_5_a_stop_flag_halts_endpoint_update_delete_and_pipeline_triggers():
    pass


# "The flag is a file (path configurable, default under the store's
# directory, overridable by environment variable)"
@pytest.mark.parametrize("where", ["default", "option", "environment"])
def test_spec_5_the_flag_is_a_file(tmp_path, monkeypatch, where):
    db = tmp_path / "runs" / "slipway.db"
    options = {"policy": PRODUCTION}
    if where == "default":
        flag = tmp_path / "runs" / "slipway.STOP"
    elif where == "option":
        flag = tmp_path / "ops" / "stop-everything"
        options["emergency_stop_file"] = flag
    else:
        flag = tmp_path / "ops" / "from-env.STOP"
        monkeypatch.setenv("SLIPWAY_EMERGENCY_STOP_FILE", str(flag))
    store = sw.open(db, **options)
    store.register_model_version("fraud", "1.0.0")
    store.register_model_version("fraud", "1.1.0")
    flag.parent.mkdir(exist_ok=True)
    flag.write_text("bad model in fraud-scoring, INC-1234")  # `echo ... > flag`
    _assert_all_halted(store)
    flag.unlink()  # `rm flag`
    _assert_all_go_on(store)


# "and, for shared stores, a row in the store so that every machine sees it."
def test_spec_5_the_flag_is_a_row_every_user_of_the_store_sees(db, store):
    code = f"""
        import slipway as sw
        sw.open({str(db)!r}).emergency_stop.activate("from another machine", actor="oncall")
    """
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    state = store.emergency_stop.status()
    assert state.store_set and not state.file_set
    assert (state.store_actor, state.store_reason) == ("oncall", "from another machine")
    _assert_all_halted(store)
    sw.open(db).emergency_stop.clear()
    _assert_all_go_on(store)


# "While it is set, those operations fail with an error that names the flag
# and how to clear it,"
def test_spec_5_the_error_names_the_flag_and_how_to_clear_it(db, store):
    store.emergency_stop.activate("incident 42", actor="oncall@example.com")
    with pytest.raises(sw.EmergencyStopError) as e:
        store.register_model_version("fraud", "2.0.0")
    msg = str(e.value)
    assert e.value.value == "store"
    assert "stop flag" in msg and '"oncall@example.com"' in msg and '"incident 42"' in msg
    assert "sw.emergency_stop.clear()" in msg
    store.emergency_stop.clear()

    flag = db.parent / "slipway.STOP"
    flag.write_text("INC-1234")
    with pytest.raises(sw.EmergencyStopError) as e:
        store.register_model_version("fraud", "2.0.0")
    msg = str(e.value)
    assert e.value.value == str(flag)
    assert str(flag) in msg and '"INC-1234"' in msg
    assert f'rm "{flag}"' in msg and "sw.emergency_stop.clear()" in msg


# "and the denial is audited."
def test_spec_5_the_denial_is_audited(store):
    store.emergency_stop.activate("incident 42")
    before = len(store.audit_log())
    _assert_all_halted(store)
    records = store.audit_log()[before:]
    assert [r.command for r in records] == [c for c, _ in _production_operations(store)]
    for r in records:
        assert (r.outcome, r.reason, r.environment) == (
            "denied", "EMERGENCY_STOP_ACTIVE", "production")
        assert r.user == "lead@example.com"
        assert "incident 42" in r.message
    store.verify_audit_log()


# "Reads and experiment logging go on."
def test_spec_5_reads_and_experiment_logging_go_on(db, store):
    store.set_alias("fraud", "champion", "1.0.0")
    store.emergency_stop.activate("incident 42")
    (db.parent / "slipway.STOP").touch()  # both flags
    with store.start_run(experiment="fraud", params={"lr": 0.01}) as run:
        run.log_param("batch_size", 256)
        run.log_metric("loss", 0.3, step=1)
        run.log_metrics({"loss": 0.2, "acc": 0.9}, step=2)
        run.set_tag("stage", "tuning")
    info = store.get_run(run.id)
    assert info.status == "FINISHED" and info.params == {"lr": "0.01", "batch_size": "256"}
    assert store.metric_history(run.id, "loss")[2].tolist() == [0.3, 0.2]
    assert [r.run_id for r in store.search_runs(experiment="fraud")] == [run.id]
    assert store.get_model_version("fraud", "champion").version == "1.0.0"
    assert [v.version for v in store.list_model_versions("fraud")] == ["1.0.0", "1.1.0"]
    assert store.get_model("fraud").aliases == {"champion": "1.0.0"}
    assert store.lineage(model="fraud", version="1.0.0").run_id is None
    assert store.audit_log()
    store.verify_audit_log()
    assert store.emergency_stop.active()
