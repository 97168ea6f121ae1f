"""The emergency stop's Python API: sw.emergency_stop on the default store,
store.emergency_stop, the two flags and where the stop file is. The rules it
enforces are tested in test_spec_5_emergency_stop.py and
test_spec_7_environments.py."""

import pytest

import slipway as sw
import slipway.store as store_module

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def production(tmp_path):
    return sw.open(tmp_path / "prod.db", policy=sw.Policy(environment="production"))


@pytest.fixture
def default_store(monkeypatch, production):
    monkeypatch.setattr(store_module, "_default", None)
    sw.set_store(production)
    return production


def test_module_functions_act_on_the_default_store(default_store):
    assert sw.emergency_stop.active() is False
    sw.emergency_stop.activate(reason="incident 42", actor="oncall@example.com")
    assert sw.emergency_stop.active() is True
    state = sw.emergency_stop.status()
    assert state.active and bool(state)
    assert (state.store_set, state.store_actor, state.store_reason) == (
        True, "oncall@example.com", "incident 42")
    assert state.store_set_ms > 0
    assert state.file_set is False
    assert default_store.emergency_stop.active() is True
    with pytest.raises(sw.EmergencyStopError):
        default_store.register_model_version("fraud", "1.0.0")
    sw.emergency_stop.clear(actor="oncall@example.com")
    assert sw.emergency_stop.active() is False
    assert not sw.emergency_stop.status()
    default_store.register_model_version("fraud", "1.0.0")


def test_module_functions_take_a_store(tmp_path, default_store):
    other = sw.open(tmp_path / "other.db")
    sw.emergency_stop.activate("only there", store=other)
    assert sw.emergency_stop.active(store=other) is True
    assert sw.emergency_stop.active() is False
    assert sw.emergency_stop.status(store=other).store_reason == "only there"
    sw.emergency_stop.clear(store=other)
    assert sw.emergency_stop.active(store=other) is False


def test_every_store_object_on_the_file_sees_the_flag(tmp_path):
    a = sw.open(tmp_path / "shared.db")
    b = sw.open(tmp_path / "shared.db")
    a.emergency_stop.activate("from a")
    assert b.emergency_stop.status().store_reason == "from a"
    b.emergency_stop.clear()
    assert a.emergency_stop.active() is False


def test_default_stop_file_is_beside_the_store(tmp_path):
    store = sw.open(tmp_path / "runs" / "slipway.db")
    flag = tmp_path / "runs" / "slipway.STOP"
    assert store.emergency_stop.status().file_path == str(flag)
    flag.write_text("bad model in fraud-scoring, INC-1234")
    state = store.emergency_stop.status()
    assert state.active and state.file_set and not state.store_set
    assert state.file_content == "bad model in fraud-scoring, INC-1234"
    store.emergency_stop.clear()
    assert not flag.exists()
    assert store.emergency_stop.active() is False


def test_stop_file_option(tmp_path):
    flag = tmp_path / "elsewhere" / "STOP"
    flag.parent.mkdir()
    store = sw.open(tmp_path / "s.db", emergency_stop_file=flag)
    assert store.emergency_stop.status().file_path == str(flag)
    (tmp_path / "slipway.STOP").touch()  # the default location is not looked at
    assert store.emergency_stop.active() is False
    flag.touch()
    assert store.emergency_stop.active() is True


def test_stop_file_from_the_environment(tmp_path, monkeypatch):
    flag = tmp_path / "env.STOP"
    monkeypatch.setenv("SLIPWAY_EMERGENCY_STOP_FILE", str(flag))
    store = sw.open(tmp_path / "s.db")
    assert store.emergency_stop.status().file_path == str(flag)
    flag.touch()
    assert store.emergency_stop.active() is True
    # The option wins over the variable.
    option = sw.open(tmp_path / "s.db", emergency_stop_file=tmp_path / "opt.STOP")
    assert option.emergency_stop.active() is False


def test_memory_store_has_no_default_stop_file():
    store = sw.open(":memory:")
    state = store.emergency_stop.status()
    assert state.file_path is None and not state.active
    store.emergency_stop.activate("drill")
    assert store.emergency_stop.active() is True


def test_activate_and_clear_are_audited(tmp_path):
    store = sw.open(tmp_path / "s.db")
    store.emergency_stop.activate("drill", actor="alice")
    store.emergency_stop.activate("drill again", actor="alice")  # replaces
    assert store.emergency_stop.status().store_reason == "drill again"
    store.emergency_stop.clear(actor="bob")
    store.emergency_stop.clear(actor="bob")  # nothing set: still audited
    got = [(r.command, r.user, r.outcome, r.environment) for r in store.audit_log()]
    assert got == [("emergency_stop.activate", "alice", "success", "*")] * 2 + [
        ("emergency_stop.clear", "bob", "success", "*")] * 2


def test_error_class(production):
    production.emergency_stop.activate("drill")
    with pytest.raises(sw.EmergencyStopError) as e:
        production.create_model("fraud")
    err = e.value
    assert isinstance(err, sw.Error) and isinstance(err, RuntimeError)
    assert not isinstance(err, sw.GateError)
    assert (err.code, err.reason, err.value) == (
        "FAILED_PRECONDITION", "EMERGENCY_STOP_ACTIVE", "store")
