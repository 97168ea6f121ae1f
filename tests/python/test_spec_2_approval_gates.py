"""SPEC.md §2 — Approval gates (before production traffic), from Python. One
test per sentence of the section, through ``store.deploy`` on real store
files whose default environment is production (the C++ tests of the pure
gate logic are tests/spec/spec_2_approval_gates_test.cc). The world where
every gate passes is conftest.RolloutWorld; each test breaks one thing."""

import pytest

import slipway as sw
from conftest import RolloutWorld

pytestmark = pytest.mark.usefixtures("clean_env")

SHADOW_THEN_CANARY = {
    "stages": [
        {"name": "shadow", "shadow": True, "min_observation_seconds": 86400,
         "gate": "GATE_MODEL_VALIDATION"},
        {"name": "canary", "candidate_weight": 0.05, "min_observation_seconds": 1800},
        {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"},
    ]
}


def _refused(world, gate_reason, gate_name, **deploy_options):
    """deploy raises GateError naming the gate and a fix; nothing started:
    no rollout, routing unchanged; the refusal is audited."""
    before = world.store.routing(world.ENDPOINT)
    with pytest.raises(sw.GateError) as e:
        world.deploy(**deploy_options)
    err = e.value
    assert err.reason == gate_reason, str(err)
    assert f'gate "{gate_name}"' in str(err)
    assert err.fix and err.fix in str(err)
    assert world.store.rollouts() == []
    assert world.store.routing(world.ENDPOINT) == before
    last = world.store.audit_log()[-1]
    assert (last.command, last.outcome, last.reason, last.environment) == (
        "rollout.deploy", "denied", gate_reason, "production")
    assert last.message == str(err)
    return err


# "All of these are checked before a production rollout may start; each
# failure names the gate and what would satisfy it."
def test_spec_2_all_gates_are_checked_before_a_production_rollout_may_start(
        tmp_path, fake_clock):
    world = RolloutWorld(tmp_path, fake_clock, alert_rules=("accuracy", "latency"),
                         validated=False, pipeline_ok=False)
    err = _refused(world, "GATE_CHANGE_TICKET", "change ticket", change_ticket="CHG 42")
    # The message lists every other failing gate too.
    msg = str(err)
    for other in ("model validation", "monitoring active", "data quality"):
        assert other in msg, other


def test_spec_2_each_failure_names_the_gate_and_what_would_satisfy_it(world):
    err = _refused(world, "GATE_CHANGE_TICKET", "change ticket", change_ticket="CHG 42")
    assert err.value == "CHG 42"
    assert "MLOPS-2024-0456" in err.fix or "MLOPS-2024-0456" in str(err)


# "Change ticket (if available): an ID in a configurable format (example
# MLOPS-2024-0456)."
def test_spec_2_change_ticket_is_an_id_in_the_configured_format(world):
    _refused(world, "GATE_CHANGE_TICKET", "change ticket", change_ticket="MLOPS-2024-456")
    rollout = world.deploy(change_ticket="MLOPS-2024-0456")
    assert rollout.status().change_ticket == "MLOPS-2024-0456"
    deploy = [r for r in world.store.audit_log() if r.command == "rollout.deploy"][-1]
    assert (deploy.outcome, deploy.change_ticket) == ("success", "MLOPS-2024-0456")


# "(if available)": without a ticket the gate is skipped, the skipped
# safeguard recorded in the audit log, and the rollout goes on.
def test_spec_2_change_ticket_if_available_is_skipped_and_audited(world):
    rollout = world.deploy(change_ticket=None)
    st = rollout.status()
    assert st.phase == "IN_STAGE" and st.change_ticket is None
    assert any("change ticket gate skipped" in n for n in st.gate_notes)
    deploy = [r for r in world.store.audit_log() if r.command == "rollout.deploy"][-1]
    assert deploy.outcome == "success"
    assert "change ticket gate skipped" in deploy.message


# "Model validation: the version has passed its recorded validation checks
# (accuracy, bias, latency benchmarks) in staging and its approval status is
# Approved."
def test_spec_2_model_validation_passed_in_staging(tmp_path, fake_clock):
    world = RolloutWorld(tmp_path, fake_clock, validated=False)
    _refused(world, "GATE_MODEL_VALIDATION", "model validation")
    # A failed validation does not do either; the newest record decides.
    world.store.record_validation(world.MODEL, world.CANDIDATE, environment="staging",
                                  checks={"accuracy": 0.71}, passed=False)
    _refused(world, "GATE_MODEL_VALIDATION", "model validation")
    world.store.record_validation(world.MODEL, world.CANDIDATE, environment="staging",
                                  checks={"accuracy": 0.94, "bias_gap": 0.01,
                                          "latency_p99_ms": 12.0}, passed=True)
    assert world.deploy().status().phase == "IN_STAGE"


def test_spec_2_model_validation_needs_approval_status_approved(tmp_path, fake_clock):
    world = RolloutWorld(tmp_path, fake_clock, approved=False)
    err = _refused(world, "GATE_MODEL_VALIDATION", "model validation")
    assert "Approved" in str(err)
    world.store.set_approval(world.MODEL, world.CANDIDATE, "Approved", **world.PLATFORM_LEAD)
    assert world.deploy().status().phase == "IN_STAGE"


# "Shadow / A-B first: a new version runs as shadow or A/B variant before
# full traffic; at least 24 hours of observation."
def test_spec_2_shadow_or_ab_first_with_24_hours_of_observation(world):
    short = {"stages": [dict(s) for s in SHADOW_THEN_CANARY["stages"]]}
    short["stages"][0]["min_observation_seconds"] = 24 * 3600 - 1
    err = _refused(world, "GATE_SHADOW_FIRST", "shadow / A-B first", plan=short)
    assert "24 h" in str(err)
    rollout = world.deploy(plan=SHADOW_THEN_CANARY)
    st = rollout.status()
    assert (st.stage, st.shadow, st.candidate_weight) == ("shadow", True, 0.0)


# "Canary enforcement: the first production stage that serves traffic
# routes at most 10%."
def test_spec_2_the_first_serving_stage_routes_at_most_10_percent(world):
    wide = {"stages": [dict(s) for s in SHADOW_THEN_CANARY["stages"]]}
    wide["stages"][1]["candidate_weight"] = 0.25
    err = _refused(world, "GATE_CANARY", "canary enforcement", plan=wide)
    assert '"canary" routes 25%' in str(err) and "at most 10%" in str(err)
    at_limit = {"stages": [dict(s) for s in SHADOW_THEN_CANARY["stages"]]}
    at_limit["stages"][1]["candidate_weight"] = 0.10
    assert world.deploy(plan=at_limit).status().phase == "IN_STAGE"


# "Monitoring active: the endpoint has at least 3 alert rules — accuracy,
# latency and drift."
@pytest.mark.parametrize("rules", [
    ("accuracy", "latency"),
    ("accuracy", "latency", "error_rate"),
    ("latency", "drift", "error_rate"),
])
def test_spec_2_monitoring_active_needs_accuracy_latency_and_drift_rules(
        tmp_path, fake_clock, rules):
    world = RolloutWorld(tmp_path, fake_clock, alert_rules=rules)
    _refused(world, "GATE_MONITORING", "monitoring active")


# "Data quality: the last pipeline run's schema and distribution checks
# passed, and no drift alert is active."
@pytest.mark.parametrize("schema,distribution", [(False, True), (True, False)])
def test_spec_2_data_quality_last_pipeline_run_passed(world, schema, distribution):
    world.store.record_pipeline_run(world.ENDPOINT, schema, distribution)
    _refused(world, "GATE_DATA_QUALITY", "data quality")
    # The last run decides.
    world.clock.advance(minutes=1)
    world.store.record_pipeline_run(world.ENDPOINT, True, True)
    assert world.deploy().status().phase == "IN_STAGE"


def test_spec_2_data_quality_reads_the_pipeline_deploy_names(world):
    world.store.register_pipeline("fraud-features", "production")
    world.store.record_pipeline_run("fraud-features", True, False)
    _refused(world, "GATE_DATA_QUALITY", "data quality", pipeline="fraud-features")


# SPEC §7 with §2: outside production a failing gate warns and is audited;
# the rollout goes on.
def test_spec_2_outside_production_a_failing_gate_is_noted_not_enforced(
        tmp_path, fake_clock):
    world = RolloutWorld(tmp_path, fake_clock, environment="staging",
                         alert_rules=("accuracy", "latency"))
    rollout = world.deploy()
    st = rollout.status()
    assert st.phase == "IN_STAGE"
    assert any("monitoring active" in n for n in st.gate_notes)
    deploy = [r for r in world.store.audit_log() if r.command == "rollout.deploy"][-1]
    assert deploy.outcome == "success" and "gate not enforced" in deploy.message
