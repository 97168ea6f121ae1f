"""SPEC.md §3 — Rollout stages (blast radius), from Python. One test per row
of the table and per automated rule the Python API can exercise, through
deploy, record_outcomes, tick and the Rollout handle on real store files in
production with a FakeClock (the C++ tests of the pure state machine are
tests/spec/spec_3_rollout_stages_test.cc). The world is
conftest.RolloutWorld: the stable version serves 20,000 requests a minute at
10 ms with 90 % accuracy; a healthy candidate minute is 1,000 requests, no
errors, 10 ms, 90 %."""

import datetime as dt

import pytest

import slipway as sw
from conftest import RolloutWorld as W

pytestmark = pytest.mark.usefixtures("clean_env")


def _expect_automatic_rollback(world, rollout, gen_before=None):
    st = rollout.status()
    assert (st.phase, st.active) == ("ROLLED_BACK", False), st
    assert "automatic rollback" in st.last_reason
    assert '"2.4.0"' in st.last_reason  # back to the stable version
    r = world.store.routing(world.ENDPOINT)
    assert (r.stable_version, r.candidate_weight) == ("2.4.0", 0.0)
    if gen_before is not None:
        assert r.generation == gen_before + 1
    return st


# "shadow | 0% (predictions logged, not served) | 24 h minimum | — | model
# validation passed"
def test_spec_3_shadow_mirrors_zero_percent_for_at_least_24_hours(world):
    rollout = world.deploy()
    st = rollout.status()
    assert (st.stage, st.candidate_weight, st.stable_weight, st.shadow) == (
        "shadow", 0.0, 1.0, True)
    assert st.state["plan"]["stages"][0]["gate"] == "GATE_MODEL_VALIDATION"
    r = world.store.routing(world.ENDPOINT)
    assert (r.candidate_version, r.candidate_weight, r.shadow) == ("2.4.1", 0.0, True)
    assert r.weights == {"2.4.0": 1.0}  # mirrored, not served
    world.clock.advance(hours=24, seconds=-1)
    assert world.store.tick() == 0
    assert rollout.status().stage == "shadow"
    world.clock.advance(seconds=1)
    assert world.store.tick() == 1
    assert rollout.status().stage == "canary-1"


# "canary 1 | 1% | 30 min | error rate > 2% or p99 latency +50% | change
# ticket (if available)"
def test_spec_3_canary_1_routes_1_percent_for_30_minutes(world):
    rollout = world.deploy()
    st = world.walk_to(rollout, "canary-1")
    assert st.candidate_weight == 0.01
    assert st.state["plan"]["stages"][1]["gate"] == "GATE_CHANGE_TICKET"
    assert world.store.routing(world.ENDPOINT).weights == {"2.4.0": 0.99, "2.4.1": 0.01}
    assert world.minutes(29) == 0
    assert world.minute() == 1
    assert rollout.status().stage_index == 2


def test_spec_3_canary_1_rolls_back_on_p99_latency_plus_50_percent(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    gen = world.store.routing(world.ENDPOINT).generation
    assert world.minute(candidate=W.counts(latency_ms=16.0)) == 1
    st = _expect_automatic_rollback(world, rollout, gen)
    assert "latency" in st.last_reason


# "canary 2 | 10% | 2 h | accuracy drop > 5% | data science lead review"
def test_spec_3_canary_2_needs_a_data_science_lead_and_routes_10_percent(world):
    rollout = world.deploy()
    st = world.walk_to(rollout, "canary-2", phase="AWAITING_APPROVAL")
    for role in ("platform-lead", "admin", "data-scientist"):
        with pytest.raises(sw.GateError) as e:
            rollout.approve("canary-2", actor="someone", role=role)
        assert e.value.reason == "ROLE_REQUIRED"
    st = rollout.approve("canary-2", **W.DS_LEAD)
    assert (st.stage, st.candidate_weight) == ("canary-2", 0.10)
    assert world.minutes(119) == 0
    assert world.minute() == 1
    assert rollout.status().stage == "ab"


def test_spec_3_canary_2_rolls_back_on_an_accuracy_drop(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    assert world.minute(candidate=W.counts(correct=480)) == 1  # 80 % vs 90 %
    st = _expect_automatic_rollback(world, rollout)
    assert "accuracy" in st.last_reason


# "A/B | 50% | until statistically significant: min 10,000 predictions OR
# 7 days, whichever first | performance degradation | statistical
# validation"
def test_spec_3_ab_needs_statistical_validation_to_enter(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    # Two hours without latency samples: the guardrails cannot all vouch
    # for the candidate, so it keeps observing canary-2.
    thin = dict(W.counts(), latencies_ms=[])
    assert world.minutes(125, candidate=thin) == 0
    st = rollout.status()
    assert st.stage == "canary-2" and st.readings.latency_verdict == "NOT_ENOUGH_DATA"
    assert "statistical validation" in st.next_gate
    assert world.minute() == 1
    st = rollout.status()
    assert (st.stage, st.candidate_weight) == ("ab", 0.5)


def test_spec_3_ab_decides_at_10000_predictions(world):
    rollout = world.deploy()
    world.walk_to(rollout, "ab")
    stable = W.counts(requests=3000)
    # 1,000 + 3,000 predictions a minute: no decision before 10,000.
    assert world.minute(stable=stable) == 0
    assert world.minute(stable=stable) == 0
    assert world.minute(stable=stable) == 1
    st = rollout.status()
    assert (st.phase, st.stage) == ("AWAITING_APPROVAL", "full")
    assert st.readings is not None


def test_spec_3_ab_moves_on_after_7_days_without_10000_predictions(world):
    rollout = world.deploy()
    world.walk_to(rollout, "ab")
    world.clock.advance(days=7, seconds=-60)
    assert world.store.tick() == 0
    world.clock.advance(seconds=60)
    assert world.store.tick() == 1
    assert rollout.status().stage == "full"


def test_spec_3_ab_rolls_back_on_performance_degradation(world):
    rollout = world.deploy()
    world.walk_to(rollout, "ab")
    worse = W.counts(requests=5000, successes=1500)  # 30 % vs 50 %
    assert world.minute(candidate=worse, stable=W.counts(requests=6000)) == 1
    st = _expect_automatic_rollback(world, rollout)
    assert st.stage == "ab"


# "full | 100% | continuous | automated rollback on alerts | ML platform
# lead"
def test_spec_3_full_needs_the_platform_lead_and_routes_100_percent(world):
    rollout = world.deploy()
    world.walk_to(rollout, "full", phase="AWAITING_APPROVAL")
    with pytest.raises(sw.GateError) as e:
        rollout.approve("full", **W.DS_LEAD)
    assert e.value.reason == "ROLE_REQUIRED" and "platform-lead" in str(e.value)
    st = rollout.approve("full", **W.PLATFORM_LEAD)
    assert st.weights == {"stable": 0.0, "candidate": 1.0}
    assert world.store.routing(world.ENDPOINT).weights == {"2.4.0": 0.0, "2.4.1": 1.0}
    assert world.minute() == 1
    assert rollout.status().phase == "COMPLETED"


def test_spec_3_full_rolls_back_automatically_on_alerts(world):
    rollout = world.deploy()
    world.walk_to(rollout, "full")
    assert world.minute(candidate=W.counts(latency_ms=30.0)) == 1
    _expect_automatic_rollback(world, rollout)
    assert world.store.get_endpoint(world.ENDPOINT).stable_version == "2.4.0"


# "Error rate > 2% for 5 consecutive minutes → automatic rollback to the
# stable version."
def test_spec_3_error_rate_above_2_percent_for_5_minutes_rolls_back(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    # Exactly 2 % is not above it.
    assert world.minutes(6, candidate=W.counts(requests=300, errors=6)) == 0
    assert rollout.status().readings.error_rate_verdict == "HEALTHY"
    gen = world.store.routing(world.ENDPOINT).generation
    bad = W.counts(requests=300, errors=7)
    assert world.minutes(4, candidate=bad) == 0
    assert world.minute(candidate=bad) == 1
    _expect_automatic_rollback(world, rollout, gen)


# "p99 latency more than 50% above the stable version → automatic
# rollback."
def test_spec_3_p99_latency_more_than_50_percent_above_stable_rolls_back(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    assert world.minutes(3, candidate=W.counts(latency_ms=14.0)) == 0  # +40 %
    assert rollout.status().readings.latency_verdict == "HEALTHY"
    assert world.minutes(10, candidate=W.counts(latency_ms=40.0)) == 1
    st = _expect_automatic_rollback(world, rollout)
    assert "latency" in st.last_reason


# "Accuracy more than 5% below the stable version → automatic rollback
# (relative drop by default; the policy may say percentage points)."
def test_spec_3_accuracy_more_than_5_percent_below_stable_rolls_back(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    # 85.5 % vs 90 % is exactly 5 % below (relative): not more.
    assert world.minute(candidate=W.counts(correct=513)) == 0
    assert rollout.status().readings.accuracy_verdict == "HEALTHY"
    assert world.minutes(2, candidate=W.counts(correct=495)) == 1  # 82.5 %
    _expect_automatic_rollback(world, rollout)


def test_spec_3_accuracy_drop_in_percentage_points_when_the_plan_says_so(
        tmp_path, fake_clock):
    world = W(tmp_path, fake_clock, environment="staging")
    plan = {"stages": [
        {"name": "canary", "candidate_weight": 0.05, "min_observation_seconds": 3600},
        {"name": "full", "candidate_weight": 1}],
        "guardrails": {"max_accuracy_drop": 0.05, "accuracy_drop": "ACCURACY_DROP_POINTS"}}
    rollout = world.deploy(plan=plan)
    # 85.5 % vs 90 %: 4.5 points, under 5 points.
    assert world.minutes(3, candidate=W.counts(correct=513)) == 0
    assert rollout.status().readings.accuracy_verdict == "HEALTHY"
    assert world.minutes(3, candidate=W.counts(correct=420)) == 1  # 70 %
    _expect_automatic_rollback(world, rollout)


# "Data drift beyond 3 standard deviations → the rollout halts (holds its
# weight, takes no further step) and raises an alert; a person decides."
def test_spec_3_drift_beyond_3_sigma_halts_and_a_person_decides(world, capfd):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    assert rollout.report_drift("amount", 3.0).phase == "IN_STAGE"  # not beyond
    st = rollout.report_drift("amount", 3.2, actor="drift-monitor")
    assert (st.phase, st.halt_cause, st.candidate_weight) == ("HALTED", "DRIFT", 0.10)
    assert "drift" in capfd.readouterr().err  # the alert (stderr by default)
    gen = world.store.routing(world.ENDPOINT).generation
    # No further step, though canary-2's observation time passes.
    assert world.minutes(150) == 0
    st = rollout.status()
    assert (st.phase, st.stage, st.candidate_weight) == ("HALTED", "canary-2", 0.10)
    assert world.store.routing(world.ENDPOINT).generation == gen
    # A person decides.
    st = rollout.resume(actor="oncall@example.com")
    assert (st.phase, st.stage) == ("IN_STAGE", "canary-2")
    assert world.minute() == 1
    assert rollout.status().stage == "ab"


# "2 consecutive failed rollouts on an endpoint → the next one requires a
# manual approval."
def test_spec_3_two_consecutive_failed_rollouts_require_a_manual_approval(world):
    # An aborted rollout is not a failed one. (The clock moves between
    # rollouts: rollouts that end in the same millisecond have no order;
    # see the report of this branch.)
    world.deploy().abort(reason="wrong build")
    world.clock.advance(minutes=5)
    world.deploy().rollback(reason="bad canary")
    world.clock.advance(minutes=5)
    assert world.deploy().rollback(reason="bad again").phase == "ROLLED_BACK"
    world.clock.advance(minutes=5)
    with pytest.raises(sw.GateError) as e:
        world.deploy()
    assert e.value.reason == "GATE_MANUAL_APPROVAL"
    assert "data-science-lead" in str(e.value) or "platform-lead" in str(e.value)
    with pytest.raises(sw.GateError) as e:
        world.deploy(manual_approval={"actor": "alice", "role": "data-scientist"})
    assert e.value.reason == "GATE_MANUAL_APPROVAL"
    rollout = world.deploy(manual_approval=("pat@example.com", "platform-lead"))
    assert rollout.status().phase == "IN_STAGE"


# "A capacity change (replicas, scaling) is capped at +25% of current
# capacity per action."
def test_spec_3_a_capacity_change_is_capped_at_plus_25_percent():
    cap = sw.rollout.cap_capacity_change
    assert cap(100, 125) == sw.CapacityDecision(allowed=125, capped=False)  # exactly +25 %
    assert cap(100, 200) == sw.CapacityDecision(allowed=125, capped=True)
    assert cap(8, 20).allowed == 10
    assert cap(1, 3).allowed == 2  # a small deployment may always add one replica
    assert cap(10, 4) == sw.CapacityDecision(allowed=4, capped=False)  # decreases are free
    # Going from 8 to 20 replicas takes five actions.
    current, steps = 8, []
    while current < 20:
        current = cap(current, 20).allowed
        steps.append(current)
    assert steps == [10, 12, 15, 18, 20]
    assert sw.rollout.cap_continuous_capacity_change(4.0, 8.0).allowed == 5.0
    with pytest.raises(sw.ValidationError) as e:
        cap(-1, 2)
    assert e.value.reason == "CAPACITY_INVALID" and "SPEC §3" in e.value.rule


# "A feature pipeline change is validated on a 1,000-record sample first:
# no nulls, non-zero variance, values inside the expected range."
def test_spec_3_a_feature_pipeline_change_is_validated_on_a_sample(world):
    np = pytest.importorskip("numpy")
    s = world.store
    s.register_feature("amount", "float64", min=0, max=1000)
    rng = np.random.default_rng(3)
    good = rng.uniform(0, 1000, 1000)
    assert s.validate_feature_sample("amount", good).passed
    bad_samples = {
        "999 rows": good[:999],
        "1 null values": np.r_[good[:999], np.nan],
        "zero variance": np.full(1000, 5.0),
        "values above the expected maximum 1000": np.r_[good[:990], np.full(10, 1e6)],
        "values below the expected minimum 0": np.r_[good[:990], np.full(10, -1.0)],
    }
    for problem, sample in bad_samples.items():
        report = s.validate_feature_sample("amount", sample)
        assert not report.passed and any(problem in p for p in report.problems), report
        with pytest.raises(sw.GateError) as e:
            s.update_feature("amount", "float64", min=0, max=1000, sample=sample)
        assert e.value.reason == "FEATURE_SAMPLE_INVALID" and problem in str(e.value)
    # The change is checked against the NEW range, and only then applied.
    cents = good * 100
    with pytest.raises(sw.GateError):
        s.update_feature("amount", "float64", min=0, max=1000, sample=cents)
    s.update_feature("amount", "float64", min=0, max=100_000, sample=cents)
    assert s.validate_feature_sample("amount", cents).passed
    outcomes = [r.outcome for r in s.audit_log() if r.command == "feature.update"]
    assert outcomes == ["denied"] * 6 + ["success"]


# "Data drift beyond 3 standard deviations → the rollout halts (holds its
# weight, takes no further step) and raises an alert; a person decides" --
# detected by the controller itself from the candidate's recorded feature
# samples against the endpoint's reference.
def test_spec_3_drift_beyond_3_sigma_in_recorded_samples_halts_the_rollout(world, capfd):
    np = pytest.importorskip("numpy")
    s = world.store
    s.register_feature("amount", "float64")
    rng = np.random.default_rng(7)
    s.set_drift_reference(world.ENDPOINT, "amount", rng.normal(50, 10, 20_000))
    rollout = world.deploy()
    world.walk_to(rollout, "canary-2")
    gen = s.routing(world.ENDPOINT).generation
    # The candidate's inputs shift by half a standard deviation: two
    # consecutive 500-row chunks beyond 3 sigma (1,000 rows) halt.
    for _ in range(12):
        s.record_feature_samples(world.ENDPOINT, world.CANDIDATE, "amount",
                                 rng.normal(55, 10, 100))
        world.minute()
    st = rollout.status()
    assert (st.phase, st.halt_cause, st.stage, st.candidate_weight) == (
        "HALTED", "DRIFT", "canary-2", 0.10)
    assert "feature amount" in st.last_reason and "(limit 3)" in st.last_reason
    assert "data drift" in capfd.readouterr().err  # the alert
    assert world.minutes(150) == 0  # no further step
    assert s.routing(world.ENDPOINT).generation == gen
    # A person decides; the chunk they judged does not halt it again.
    assert rollout.resume(actor="oncall@example.com").phase == "IN_STAGE"
    assert world.minute() == 1
    assert rollout.status().stage == "ab"


def test_spec_3_time_in_stage_counts_from_entering_it(world):
    rollout = world.deploy()
    world.walk_to(rollout, "canary-1")
    world.clock.advance(minutes=7)
    assert rollout.status().time_in_stage == dt.timedelta(minutes=7)
