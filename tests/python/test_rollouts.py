"""The Python API for endpoints and rollouts (issue 5 item 9), on real store
files with a FakeClock driving time: register_endpoint, deploy, tick,
record_outcomes, the Rollout handle and its status. The world (a production
store where every SPEC §2 gate passes) is conftest.RolloutWorld."""

import datetime as dt
import json

import pytest

import slipway as sw
from conftest import RolloutWorld as W

pytestmark = pytest.mark.usefixtures("clean_env")


# --- endpoints, pipelines, features -------------------------------------------------


def test_register_endpoint_with_rule_names_takes_the_documented_thresholds(world):
    e = world.store.get_endpoint("fraud-prod")
    assert e == sw.Endpoint(
        name="fraud-prod", environment="production", model="fraud-detection",
        stable_version="2.4.0",
        alert_rules={"accuracy": 0.05, "drift": 3.0, "latency": 1.5},
        created_ms=e.created_ms, updated_ms=e.updated_ms)
    assert e.created_ms == 1767225600000  # the fake clock
    assert sw.rollout.ALERT_RULE_DEFAULTS["error_rate"] == 0.02


def test_register_endpoint_alert_rule_forms(world):
    s = world.store
    e = s.register_endpoint("fraud-eu", environment="staging", model="fraud-detection",
                            version="2.4.0",
                            alert_rules={"accuracy": 0.02, "latency": None, "drift": 2.5})
    assert e.alert_rules == {"accuracy": 0.02, "latency": 1.5, "drift": 2.5}
    e = s.register_endpoint("fraud-us", environment="staging", model="fraud-detection",
                            version="2.4.0",
                            alert_rules=["accuracy", ("p99-latency", 2.0), "drift"])
    assert e.alert_rules == {"accuracy": 0.05, "p99-latency": 2.0, "drift": 3.0}
    with pytest.raises(ValueError, match="no default threshold"):
        s.register_endpoint("fraud-x", model="fraud-detection", alert_rules=["throughput"])
    with pytest.raises(TypeError, match="did you mean"):
        s.register_endpoint("fraud-x", model="fraud-detection", alert_rules="accuracy")
    with pytest.raises(TypeError):
        s.register_endpoint("fraud-x", model="fraud-detection", alert_rules={"accuracy": "high"})
    assert [e.name for e in s.list_endpoints()] == ["fraud-eu", "fraud-prod", "fraud-us"]


def test_endpoint_errors(world):
    s = world.store
    with pytest.raises(sw.AlreadyExistsError) as e:
        s.register_endpoint("fraud-prod", model="fraud-detection", version="2.4.0")
    assert e.value.reason == "ENDPOINT_EXISTS"
    with pytest.raises(sw.ValidationError) as e:
        s.register_endpoint("Fraud_Prod", model="fraud-detection")
    assert e.value.reason == "ENDPOINT_NAME_INVALID"
    with pytest.raises(sw.NotFoundError) as e:
        s.get_endpoint("nowhere")
    assert e.value.reason == "ENDPOINT_NOT_FOUND"


def test_routing_before_any_rollout_serves_the_stable_version(world):
    r = world.store.routing("fraud-prod")
    assert (r.stable_version, r.candidate_version, r.candidate_weight, r.shadow) == (
        "2.4.0", None, 0.0, False)
    assert r.weights == {"2.4.0": 1.0}


def test_pipelines_and_features(world):
    s = world.store
    with pytest.raises(sw.AlreadyExistsError) as e:
        s.register_pipeline("fraud-prod", "production")
    assert e.value.reason == "PIPELINE_EXISTS"
    s.record_pipeline_run("fraud-prod", True, True, details={"rows": 1000})
    with pytest.raises(sw.NotFoundError) as e:
        s.record_pipeline_run("unknown", True, True)
    assert e.value.reason == "PIPELINE_NOT_FOUND"
    with pytest.raises(TypeError):
        s.record_pipeline_run("fraud-prod", True, True, details="rows=1000")
    s.register_feature("amount", "float64", min=0, max=1e6)
    with pytest.raises(sw.AlreadyExistsError) as e:
        s.register_feature("amount", "float64")
    assert e.value.reason == "FEATURE_EXISTS"
    with pytest.raises(sw.ValidationError) as e:
        s.register_feature("Amount", "float64")
    assert e.value.reason == "FEATURE_NAME_INVALID"
    commands = [r.command for r in s.audit_log()]
    assert "pipeline.record_run" in commands and "feature.create" in commands


# --- deploy and the default plan -----------------------------------------------------


def test_deploy_returns_a_rollout_in_shadow_with_its_rollback_plan(world):
    rollout = world.deploy()
    assert isinstance(rollout, sw.Rollout)
    assert (rollout.endpoint, rollout.model, rollout.version) == (
        "fraud-prod", "fraud-detection", "2.4.1")
    st = rollout.status()
    assert isinstance(st, sw.RolloutStatus)
    assert (st.phase, st.stage, st.stage_index, st.active) == ("IN_STAGE", "shadow", 0, True)
    assert st.weights == {"stable": 1.0, "candidate": 0.0} and st.shadow
    assert st.rollback_version == "2.4.0"
    assert st.change_ticket == "MLOPS-2024-0456"
    assert st.time_in_stage == dt.timedelta(0)
    assert "observation of 24h" in st.next_gate and "canary-1" in st.next_gate
    assert st.readings is not None and st.readings.windows == 0
    assert st.readings.error_rate_verdict == "NOT_ENOUGH_DATA"
    assert st.state["rollback_plan"]["stable_version"] == "2.4.0"
    r = world.store.routing("fraud-prod")
    assert (r.candidate_version, r.candidate_weight, r.shadow) == ("2.4.1", 0.0, True)
    world.clock.advance(minutes=90)
    assert rollout.status().time_in_stage == dt.timedelta(minutes=90)
    assert world.store.rollout(rollout.id) == rollout
    with pytest.raises(sw.NotFoundError) as e:
        world.store.rollout("no-such-rollout")
    assert e.value.reason == "ROLLOUT_NOT_FOUND"


def test_a_good_candidate_walks_the_default_plan_to_completed(world):
    store, clock = world.store, world.clock
    rollout = world.deploy()
    # shadow: 24 h, then canary-1 at 1 %.
    clock.advance(hours=24)
    assert store.tick() == 1
    st = rollout.status()
    assert (st.stage, st.candidate_weight, st.shadow) == ("canary-1", 0.01, False)
    assert store.routing("fraud-prod").candidate_weight == 0.01
    # canary-1: 30 minutes of healthy windows, then the data science lead.
    assert world.minutes(29) == 0
    assert rollout.status().stage == "canary-1"
    assert world.minutes(2) == 1
    st = rollout.status()
    assert (st.phase, st.stage) == ("AWAITING_APPROVAL", "canary-2")
    assert st.next_gate == "approval by role data-science-lead to enter stage canary-2"
    assert st.candidate_weight == 0.01  # canary-1's, while waiting
    with pytest.raises(sw.GateError) as e:
        rollout.approve("canary-2", **W.PLATFORM_LEAD)
    assert e.value.reason == "ROLE_REQUIRED" and "data-science-lead" in str(e.value)
    with pytest.raises(sw.GateError) as e:
        rollout.approve("full", **W.DS_LEAD)
    assert e.value.reason == "APPROVAL_NOT_EXPECTED"
    st = rollout.approve("canary-2", actor="dana@example.com", role="data-science-lead")
    assert (st.phase, st.stage, st.candidate_weight) == ("IN_STAGE", "canary-2", 0.10)
    # canary-2: 2 h, then statistical validation into the A/B stage.
    assert world.minutes(119) == 0
    assert world.minute() == 1
    st = rollout.status()
    assert (st.phase, st.stage, st.candidate_weight) == ("IN_STAGE", "ab", 0.5)
    # A/B: 10,000 predictions (both variants) with no significant
    # difference, then the platform lead.
    assert world.minute() == 1
    st = rollout.status()
    assert (st.phase, st.stage) == ("AWAITING_APPROVAL", "full")
    st = rollout.approve("full", **W.PLATFORM_LEAD)
    assert st.weights == {"stable": 0.0, "candidate": 1.0}
    assert world.minute() == 1
    st = rollout.status()
    assert (st.phase, st.active, st.next_gate) == ("COMPLETED", False, None)
    assert [(a.stage, a.actor, a.role) for a in st.approvals] == [
        ("canary-2", "dana@example.com", "data-science-lead"),
        ("full", "pat@example.com", "platform-lead")]
    # The candidate is the endpoint's stable version now.
    assert store.get_endpoint("fraud-prod").stable_version == "2.4.1"
    r = store.routing("fraud-prod")
    assert (r.stable_version, r.candidate_version, r.candidate_weight) == ("2.4.1", None, 0.0)
    assert store.rollouts("fraud-prod", active_only=True) == []
    store.verify_audit_log()


def test_status_readings_follow_the_outcome_windows(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    world.minutes(3, candidate=W.counts(requests=1000, errors=5, latency_ms=12.0))
    g = rollout.status().readings
    assert isinstance(g, sw.GuardrailReadings)
    assert (g.windows, g.candidate_requests, g.candidate_errors) == (3, 3000, 15)
    assert g.error_rate == pytest.approx(0.005)
    assert g.error_rate_verdict == "HEALTHY" and g.error_streak == 0
    assert g.latency_verdict == "HEALTHY"
    assert g.candidate_p99_ms == pytest.approx(12.0, rel=0.02)
    assert g.stable_p99_ms == pytest.approx(10.0, rel=0.02)
    assert g.p99_ratio == pytest.approx(1.2, rel=0.03)
    assert g.accuracy_verdict == "HEALTHY"
    assert g.candidate_accuracy == pytest.approx(0.9)


def test_record_outcomes_takes_datetimes_strings_ms_and_numpy(world):
    np = pytest.importorskip("numpy")
    s = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    start = world.clock.now()
    minute_ms = int(start.timestamp() * 1000)
    # Three replicas, one minute, three spellings of the minute.
    s.record_outcomes("fraud-prod", "2.4.1", start, requests=100, errors=1,
                      latencies_ms=np.full(50, 10.0), replica="a")
    s.record_outcomes("fraud-prod", "2.4.1", start.strftime("%Y-%m-%dT%H:%M:30Z"),
                      requests=100, latencies_ms=np.full((5, 10), 10, dtype=np.int32),
                      replica="b")
    s.record_outcomes("fraud-prod", "2.4.1", minute_ms + 59_999, requests=100,
                      latencies_ms=[10.0] * 50, replica="c")
    # A replica's window is replaced by its later report for the minute.
    s.record_outcomes("fraud-prod", "2.4.1", start, requests=100, errors=2,
                      latencies_ms=np.full(50, 10.0), replica="a")
    world.clock.advance(minutes=1)
    g = rollout.status().readings
    assert (g.windows, g.candidate_requests, g.candidate_errors) == (1, 300, 2)
    with pytest.raises(ValueError):
        s.record_outcomes("fraud-prod", "2.4.1", start, requests=-1)
    with pytest.raises(ValueError, match="naive"):
        s.record_outcomes("fraud-prod", "2.4.1", dt.datetime(2026, 1, 2), requests=1)
    with pytest.raises(TypeError):
        s.record_outcomes("fraud-prod", "2.4.1", start, requests=1.5)


# --- guardrails -----------------------------------------------------------------------


def test_three_percent_errors_at_one_percent_for_five_windows_rolls_back(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    gen = store.routing("fraud-prod").generation
    bad = W.counts(requests=300, errors=9)  # 3 % of >= 200 requests
    assert world.minutes(4, candidate=bad) == 0
    st = rollout.status()
    assert st.phase == "IN_STAGE" and st.readings.error_streak == 4
    assert world.minute(candidate=bad) == 1
    st = rollout.status()
    assert (st.phase, st.active) == ("ROLLED_BACK", False)
    assert "automatic rollback" in st.last_reason
    assert "error rate guardrail failed in stage canary-1" in st.last_reason
    r = store.routing("fraud-prod")
    assert (r.stable_version, r.candidate_weight, r.generation) == ("2.4.0", 0.0, gen + 1)
    assert r.weights == {"2.4.0": 1.0}
    assert store.get_endpoint("fraud-prod").stable_version == "2.4.0"
    last = [a for a in store.audit_log() if a.command == "rollout.tick"][-1]
    assert (last.outcome, last.resource_name) == ("success", rollout.id)
    assert "ROLLED_BACK" in last.reason


def test_four_bad_windows_then_a_good_one_is_not_rolled_back(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    bad = W.counts(requests=300, errors=9)
    world.minutes(4, candidate=bad)
    world.minute()
    world.minutes(4, candidate=bad)
    st = rollout.status()
    assert (st.phase, st.stage) == ("IN_STAGE", "canary-1")
    assert st.readings.error_rate_verdict == "HEALTHY"
    assert st.readings.error_streak == 4
    # Thin windows (< 200 requests) neither trip it nor break a streak.
    world.minute(candidate=W.counts(requests=100, errors=50))
    assert rollout.status().phase == "IN_STAGE"
    world.minute(candidate=bad)
    assert rollout.status().phase == "ROLLED_BACK"


def test_drift_halts_and_a_person_resumes_or_rolls_back(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    st = rollout.report_drift("amount", 2.5, actor="monitor")
    assert st.phase == "IN_STAGE"
    st = rollout.report_drift("amount", 3.5, actor="monitor")
    assert (st.phase, st.halt_cause, st.candidate_weight) == ("HALTED", "DRIFT", 0.01)
    assert "resume or roll back" in st.next_gate
    world.clock.advance(hours=5)
    assert world.store.tick() == 0
    assert rollout.status().phase == "HALTED"
    st = rollout.resume(actor="oncall")
    assert (st.phase, st.stage, st.halt_cause) == ("IN_STAGE", "canary-1", None)
    rollout.report_drift("amount", 4.0)
    st = rollout.rollback(reason="drift on amount", actor="oncall")
    assert st.phase == "ROLLED_BACK" and st.last_reason
    with pytest.raises(sw.GateError) as e:
        rollout.resume()
    assert e.value.reason == "ROLLOUT_ENDED"


# --- people ---------------------------------------------------------------------------


def test_manual_rollback_is_one_routing_swap_and_ends_the_rollout(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    before = store.routing("fraud-prod")
    st = rollout.rollback(actor="oncall")
    assert st.phase == "ROLLED_BACK"
    after = store.routing("fraud-prod")
    assert after.generation == before.generation + 1
    assert (after.stable_version, after.candidate_version, after.candidate_weight) == (
        "2.4.0", None, 0.0)
    with pytest.raises(sw.GateError) as e:
        rollout.rollback()
    assert e.value.reason == "ROLLOUT_ENDED"


def test_abort_is_not_a_failed_rollout(world):
    store = world.store
    rollout = world.deploy()
    st = rollout.abort(reason="wrong build", actor="alice")
    assert (st.phase, st.active) == ("ABORTED", False)
    assert store.routing("fraud-prod").candidate_weight == 0.0
    listed = store.rollouts()
    assert [(r.id, r.phase, r.readings) for r in listed] == [(rollout.id, "ABORTED", None)]


def test_status_outlook_says_why_a_thin_stage_does_not_move_on(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    assert "observing stage canary-2" in rollout.status().outlook
    # 100 requests a minute: under the 200 an error-rate window needs, so
    # the statistical validation into the A/B stage never has its verdict.
    thin = W.counts(requests=100, labelled=60, correct=54)
    world.minutes(150, candidate=thin)
    st = rollout.status()
    assert (st.phase, st.stage) == ("IN_STAGE", "canary-2")
    assert "needs statistical validation" in st.outlook
    assert "no healthy verdict with enough data yet: error rate" in st.outlook
    assert st.next_gate.startswith("observation of 2h")  # the plan's gate, unchanged
    # Ended rollouts have no outlook.
    assert rollout.abort(reason="thin", actor="alice").outlook == ""


def test_rollouts_are_listed_newest_first(world):
    first = world.deploy()
    first.abort(reason="again", actor="alice")
    world.clock.advance(minutes=1)
    second = world.deploy()
    assert [r.id for r in world.store.rollouts("fraud-prod")] == [second.id, first.id]
    assert [r.id for r in world.store.rollouts()] == [second.id, first.id]


def test_one_active_rollout_per_endpoint(world):
    world.deploy()
    with pytest.raises(sw.GateError) as e:
        world.deploy()
    assert e.value.reason == "ROLLOUT_ACTIVE"
    assert len(world.store.rollouts("fraud-prod", active_only=True)) == 1


def test_deploy_takes_a_plan_as_a_dict_or_json(tmp_path, fake_clock, clean_env):
    world = W(tmp_path, fake_clock, environment="staging")
    plan = {"stages": [
        {"name": "canary", "candidate_weight": 0.05, "min_observation_seconds": 600},
        {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]}
    rollout = world.deploy(plan=plan)
    st = rollout.status()
    assert (st.stage, st.candidate_weight) == ("canary", 0.05)
    assert st.state["plan"]["stages"][0]["name"] == "canary"
    rollout.abort()
    rollout = world.deploy(plan=json.dumps(plan))
    assert rollout.status().stage == "canary"
    rollout.abort()
    with pytest.raises(sw.ValidationError) as e:
        world.deploy(plan={"stages": [{"name": "all", "candidate_weight": 0.5}]})
    assert e.value.reason == "PLAN_INVALID"
    with pytest.raises(TypeError):
        world.deploy(plan=["canary"])


def test_handles_agree_across_store_objects(world, fake_clock):
    rollout = world.deploy()
    other = sw.open(world.path, clock=fake_clock, policy=sw.Policy(environment="production"))
    same = other.rollout(rollout.id)
    assert same != rollout  # another store object
    same.abort(actor="bob")
    assert rollout.status().phase == "ABORTED"


# --- audit ------------------------------------------------------------------------------


def test_every_transition_appears_in_the_audit_log(world):
    store = world.store
    rollout = world.deploy()
    world.walk_to(rollout, "full")
    world.minute()
    st = rollout.status()
    assert st.phase == "COMPLETED"
    records = [r for r in store.audit_log()
               if r.resource_type == "rollout" and r.resource_name == rollout.id]
    assert len(records) == st.transitions
    assert all(r.outcome == "success" for r in records)
    assert [r.command for r in records] == [
        "rollout.deploy",                    # PENDING -> shadow
        "rollout.tick",                      # -> canary-1
        "rollout.tick",                      # -> awaiting canary-2
        "rollout.approve",                   # -> canary-2
        "rollout.tick",                      # -> ab
        "rollout.tick",                      # -> awaiting full
        "rollout.approve",                   # -> full
        "rollout.tick",                      # -> COMPLETED
    ]
    assert records[-1].reason == "IN_STAGE(4) -> COMPLETED(4)"
    for r in records:
        assert (r.model_name, r.model_version, r.environment) == (
            "fraud-detection", "2.4.1", "production")
        assert r.change_ticket == "MLOPS-2024-0456"
        assert "2.4.0" in r.rollback_config
    approvals = [r for r in records if r.command == "rollout.approve"]
    assert [r.user for r in approvals] == ["dana@example.com", "pat@example.com"]
    store.verify_audit_log()


def test_refused_steps_are_audited_too(world):
    rollout = world.deploy()
    with pytest.raises(sw.GateError):
        rollout.approve("canary-2", **W.DS_LEAD)
    last = world.store.audit_log()[-1]
    assert (last.command, last.outcome, last.reason, last.resource_name) == (
        "rollout.approve", "denied", "APPROVAL_NOT_EXPECTED", rollout.id)


# --- spellings, environment defaults and ties (each was a core bug) ------------------------


def test_deploy_accepts_the_v_spelling_of_a_version(world):
    assert world.store.get_model_version(world.MODEL, "v2.4.1").version == "2.4.1"
    rollout = world.store.deploy(world.MODEL, "v2.4.1", endpoint=world.ENDPOINT)
    assert rollout.version == "2.4.1"


def test_record_outcomes_matches_the_v_spelling_of_a_version(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    world.store.record_outcomes(world.ENDPOINT, "v2.4.1", world.clock.now(), requests=500)
    world.clock.advance(minutes=1)
    assert rollout.status().readings.candidate_requests == 500


def test_approve_takes_the_actor_from_the_environment(world, monkeypatch):
    monkeypatch.setenv("SLIPWAY_ACTOR", "dana@example.com")
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2", phase="AWAITING_APPROVAL")
    st = rollout.approve("canary-2", role="data-science-lead")
    assert st.approvals[-1].actor == "dana@example.com"


def test_the_stable_version_is_kept_canonical(world):
    e = world.store.register_endpoint("fraud-ca", environment="staging",
                                      model="fraud-detection", version="v2.4.0",
                                      alert_rules=["accuracy", "latency", "drift"])
    assert e.stable_version == "2.4.0"
    assert world.store.routing("fraud-ca").stable_version == "2.4.0"


def test_failed_rollouts_in_one_millisecond_still_count_in_order(world):
    world.deploy().abort(reason="wrong build")
    world.deploy().rollback(reason="bad canary")
    world.deploy().rollback(reason="bad again")
    with pytest.raises(sw.GateError) as e:
        world.deploy()
    assert e.value.reason == "GATE_MANUAL_APPROVAL"
