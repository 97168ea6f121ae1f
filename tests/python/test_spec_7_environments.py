"""SPEC.md §7 — Environments, from Python (the registry side; the scenarios
of tests/spec/spec_7_environments_test.cc), on real store files:
"`development`, `staging`, `production` (names configurable). Gates and
stops apply in full to production; in other environments they warn and
audit unless the policy says otherwise."
"""

import pytest

import slipway as sw

pytestmark = pytest.mark.usefixtures("clean_env")

LEAD = {"actor": "lena", "role": "data-science-lead"}
RENAMED = {"dev": "development", "stage": "staging", "prod": "production"}


def _open(tmp_path, name="slipway.db", environment="development", **options):
    policy = options.pop("policy", None) or sw.Policy(environment=environment)
    return sw.open(tmp_path / name, policy=policy, **options)


# "`development`, `staging`, `production`"
def test_spec_7_the_three_default_environments(tmp_path):
    store = _open(tmp_path)
    store.register_model_version("fraud", "1.0.0")
    for env in ("development", "staging", "production"):
        store.record_validation("fraud", "1.0.0", environment=env, checks={"accuracy": 0.9},
                                passed=True)
        assert store.has_passed_validation("fraud", "1.0.0", env)
    with pytest.raises(sw.ValidationError) as e:
        store.record_validation("fraud", "1.0.0", environment="qa", checks={}, passed=True)
    assert e.value.reason == "ENVIRONMENT_UNKNOWN"
    assert "development" in str(e.value)


# "(names configurable)"
def test_spec_7_renamed_environments_work(tmp_path):
    store = _open(tmp_path, policy=sw.Policy(environment="dev", environments=RENAMED))
    store.register_model_version("fraud", "1.0.0")
    store.set_alias("fraud", "champion", "1.0.0")
    store.set_approval("fraud", "1.0.0", "Approved", actor="alice", environment="dev")
    with pytest.raises(sw.ValidationError) as e:
        store.get_model_version("fraud", "latest", environment="prod")
    assert e.value.reason == "LATEST_IN_PRODUCTION"
    assert store.get_model_version("fraud", "latest", environment="stage").version == "1.0.0"
    # The old names are not environments of this policy.
    with pytest.raises(sw.ValidationError) as e:
        store.set_approval("fraud", "1.0.0", "Rejected", environment="production", **LEAD)
    assert e.value.reason == "ENVIRONMENT_UNKNOWN"


def test_spec_7_a_renamed_production_is_still_production(tmp_path):
    store = _open(tmp_path, policy=sw.Policy(environment="dev", environments=RENAMED))
    store.register_model_version("fraud", "1.0.0")
    with pytest.raises(sw.GateError) as e:  # the default role gate
        store.set_approval("fraud", "1.0.0", "Approved", actor="alice", environment="prod")
    assert e.value.reason == "ROLE_REQUIRED"
    store.emergency_stop.activate("incident 42")
    with pytest.raises(sw.EmergencyStopError):  # the stop
        store.set_approval("fraud", "1.0.0", "Approved", environment="prod", **LEAD)
    store.emergency_stop.clear()
    store.set_approval("fraud", "1.0.0", "Approved", environment="prod", **LEAD)


# "Gates and stops apply in full to production;"
def test_spec_7_gates_and_stops_apply_in_full_to_production(tmp_path):
    store = _open(tmp_path, environment="production")
    store.register_model_version("fraud", "1.0.0")
    store.register_model_version("fraud", "2.0.0")
    # Role gates.
    with pytest.raises(sw.GateError) as e:
        store.set_approval("fraud", "1.0.0", "Approved", actor="alice")
    assert e.value.reason == "ROLE_REQUIRED"
    with pytest.raises(sw.GateError) as e:
        store.delete_model_version("fraud", "2.0.0", **LEAD)
    assert e.value.reason == "ROLE_REQUIRED" and "platform-lead" in str(e.value)
    # `latest` is refused.
    with pytest.raises(sw.ValidationError) as e:
        store.get_model_version("fraud", "latest")
    assert e.value.reason == "LATEST_IN_PRODUCTION"
    # The stop refuses approving, registering and creating models.
    store.emergency_stop.activate("incident 42", actor="oncall")
    for call in (lambda: store.set_approval("fraud", "1.0.0", "Approved", **LEAD),
                 lambda: store.register_model_version("fraud", "3.0.0", **LEAD),
                 lambda: store.create_model("churn", **LEAD)):
        with pytest.raises(sw.EmergencyStopError):
            call()
    assert [r.outcome for r in store.audit_log()[-3:]] == ["denied"] * 3
    assert store.get_model_version("fraud", "1.0.0").approval == "None"


# "in other environments they warn and audit"
@pytest.mark.parametrize("environment", ["development", "staging"])
def test_spec_7_outside_production_the_stop_warns_and_audits(tmp_path, capfd, environment):
    store = _open(tmp_path, environment=environment)
    store.emergency_stop.activate("incident 42", actor="oncall")
    capfd.readouterr()
    mv = store.register_model_version("fraud", "1.0.0", **LEAD)
    store.set_approval("fraud", "1.0.0", "Approved", **LEAD)
    assert mv.version == "1.0.0"
    assert store.get_model_version("fraud", "1.0.0").approval == "Approved"
    err = capfd.readouterr().err
    assert err.count("slipway: warning: emergency stop is active") == 2
    assert f'"{environment}"' in err and "incident 42" in err
    warnings = [r for r in store.audit_log() if r.command == "emergency_stop.check"]
    assert [(r.action, r.environment, r.reason) for r in warnings] == [
        ("warn", environment, "EMERGENCY_STOP_ACTIVE")] * 2
    done = [r for r in store.audit_log()
            if r.command in ("model_version.register", "model_version.set_approval")]
    assert [r.outcome for r in done] == ["success", "success"]


def test_spec_7_role_gates_are_open_in_development(tmp_path):
    store = _open(tmp_path)
    store.register_model_version("fraud", "1.0.0")
    store.register_model_version("fraud", "2.0.0")
    store.set_approval("fraud", "1.0.0", "Approved", actor="alice")
    store.set_alias("fraud", "champion", "1.0.0", actor="alice")
    store.delete_model_version("fraud", "2.0.0", actor="alice")


# "unless the policy says otherwise."
def test_spec_7_the_policy_may_say_otherwise(tmp_path):
    # The stop everywhere.
    everywhere = _open(tmp_path, "everywhere.db", emergency_stop_everywhere=True)
    everywhere.register_model_version("fraud", "1.0.0")
    everywhere.emergency_stop.activate("incident 42")
    with pytest.raises(sw.EmergencyStopError):
        everywhere.register_model_version("fraud", "2.0.0")
    with pytest.raises(sw.EmergencyStopError):
        everywhere.set_approval("fraud", "1.0.0", "Approved", environment="staging", **LEAD)

    # Roles: the default policy gates staging; a policy may gate development
    # and open production.
    staging = _open(tmp_path, "staging.db", environment="staging")
    staging.register_model_version("fraud", "1.0.0")
    with pytest.raises(sw.GateError) as e:
        staging.set_approval("fraud", "1.0.0", "Approved", actor="alice")
    assert e.value.reason == "ROLE_REQUIRED"

    rules = [{"environment": "development", "action": "approve", "roles": ["admin"]},
             {"environment": "development", "action": "set_alias", "roles": ["release-bot"]}]
    custom = _open(tmp_path, "custom.db", roles=rules)
    custom.register_model_version("fraud", "1.0.0")
    custom.register_model_version("fraud", "2.0.0")
    with pytest.raises(sw.GateError) as e:
        custom.set_approval("fraud", "1.0.0", "Approved", **LEAD)
    assert e.value.reason == "ROLE_REQUIRED"
    custom.set_approval("fraud", "1.0.0", "Approved", actor="root", role="admin")
    with pytest.raises(sw.GateError):
        custom.set_alias("fraud", "champion", "1.0.0", actor="alice")
    custom.set_alias("fraud", "champion", "1.0.0", actor="ci", role="release-bot")
    custom.set_approval("fraud", "2.0.0", "Approved", actor="alice", environment="production")
