"""The Python API for drift from stored feature samples, feature sample
validation, endpoint update/delete and the capacity cap (the C++ of
include/slipway/store.h UpdateEndpoint ... RecordFeatureSamples and
src/rollout/capacity.h), on real store files with a FakeClock. The world is
conftest.RolloutWorld (production; every SPEC §2 gate passes)."""

import array
import datetime as dt
import math
import threading
import time

import pytest

import slipway as sw
from conftest import RolloutWorld as W

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("clean_env")

FEATURE = "amount"


def _normal(seed, n, loc=0.0, scale=1.0):
    return np.random.default_rng(seed).normal(loc, scale, n)


@pytest.fixture
def fworld(world):
    """The world with feature `amount` (float64, expected range [-10, 10])."""
    world.store.register_feature(FEATURE, "float64", min=-10, max=10)
    return world


# --- endpoints ---------------------------------------------------------------------


def test_update_endpoint_replaces_the_alert_rules(world):
    s = world.store
    before = s.get_endpoint(W.ENDPOINT)
    world.clock.advance(minutes=1)
    e = s.update_endpoint(W.ENDPOINT, alert_rules={"accuracy": 0.02, "latency": None,
                                                   "drift": 2.5, "error_rate": None},
                          actor="ops@example.com")
    assert isinstance(e, sw.Endpoint)
    assert e.alert_rules == {"accuracy": 0.02, "latency": 1.5, "drift": 2.5, "error_rate": 0.02}
    assert (e.name, e.model, e.stable_version, e.environment) == (
        W.ENDPOINT, W.MODEL, W.STABLE, "production")
    assert e.created_ms == before.created_ms and e.updated_ms > before.updated_ms
    assert s.get_endpoint(W.ENDPOINT) == e
    e = s.update_endpoint(W.ENDPOINT, ["accuracy", "latency", "drift"])
    assert e.alert_rules == {"accuracy": 0.05, "latency": 1.5, "drift": 3.0}
    last = [r for r in s.audit_log() if r.command == "endpoint.update"]
    assert [(r.outcome, r.resource_name) for r in last] == [("success", W.ENDPOINT)] * 2
    assert last[0].user == "ops@example.com"


def test_update_endpoint_errors(world):
    s = world.store
    with pytest.raises(sw.NotFoundError) as e:
        s.update_endpoint("nowhere", alert_rules=["accuracy"])
    assert e.value.reason == "ENDPOINT_NOT_FOUND"
    with pytest.raises(TypeError, match="did you mean"):
        s.update_endpoint(W.ENDPOINT, alert_rules="accuracy")
    with pytest.raises(ValueError, match="no default threshold"):
        s.update_endpoint(W.ENDPOINT, alert_rules=["throughput"])
    assert s.get_endpoint(W.ENDPOINT).alert_rules == {"accuracy": 0.05, "latency": 1.5,
                                                      "drift": 3.0}
    denied = [r for r in s.audit_log() if r.command == "endpoint.update"]
    assert [(r.outcome, r.resource_name) for r in denied] == [("failure", "nowhere")]


def test_update_endpoint_is_refused_in_production_under_the_emergency_stop(world):
    s = world.store
    s.emergency_stop.activate("incident 42", actor="oncall")
    with pytest.raises(sw.EmergencyStopError):
        s.update_endpoint(W.ENDPOINT, alert_rules=["accuracy"])
    with pytest.raises(sw.EmergencyStopError):
        s.delete_endpoint(W.ENDPOINT)


def test_delete_endpoint(world):
    s = world.store
    s.register_endpoint("fraud-eu", environment="staging", model=W.MODEL, version=W.STABLE)
    assert s.delete_endpoint("fraud-eu", actor="ops") is None
    with pytest.raises(sw.NotFoundError) as e:
        s.get_endpoint("fraud-eu")
    assert e.value.reason == "ENDPOINT_NOT_FOUND"
    with pytest.raises(sw.NotFoundError):
        s.delete_endpoint("fraud-eu")
    # One with a rollout on record keeps its history.
    world.deploy().abort(reason="wrong build")
    with pytest.raises(sw.GateError) as e:
        s.delete_endpoint(W.ENDPOINT)
    assert e.value.reason == "ENDPOINT_IN_USE"
    assert s.get_endpoint(W.ENDPOINT).name == W.ENDPOINT
    outcomes = [(r.resource_name, r.outcome, r.reason) for r in s.audit_log()
                if r.command == "endpoint.delete"]
    assert outcomes == [("fraud-eu", "success", ""),
                        ("fraud-eu", "failure", "ENDPOINT_NOT_FOUND"),
                        (W.ENDPOINT, "denied", "ENDPOINT_IN_USE")]


# --- feature samples (SPEC §3) -------------------------------------------------------


def test_validate_feature_sample_passes_a_good_sample_in_any_array_form(fworld):
    s = fworld.store
    good = _normal(1, 1000)
    for values in (good, list(good), array.array("d", good), tuple(good),
                   good.astype(np.float32), good[::-1], np.vstack([good, good])[0]):
        r = s.validate_feature_sample(FEATURE, values)
        assert isinstance(r, sw.FeatureSampleReport)
        assert (r.feature, r.passed, r.rows, r.nulls, r.below_min, r.above_max,
                r.problems) == (FEATURE, True, 1000, 0, 0, 0, [])
        assert bool(r)
    r = s.validate_feature_sample(FEATURE, good)
    assert r.min == pytest.approx(good.min()) and r.max == pytest.approx(good.max())
    assert r.variance == pytest.approx(good.var())  # population variance
    # A strided view (not contiguous) and integers are converted in one go.
    assert s.validate_feature_sample(FEATURE, _normal(2, 2000)[::2]).passed
    assert s.validate_feature_sample(FEATURE, np.arange(1000) % 7).passed


def test_validate_feature_sample_reports_each_problem(fworld):
    s = fworld.store
    r = s.validate_feature_sample(FEATURE, _normal(1, 999))
    assert not r.passed and not r and r.rows == 999
    assert r.problems == ["999 rows (a sample of at least 1000 records is required)"]

    with_nan = _normal(1, 1000)
    with_nan[[3, 500]] = np.nan
    r = s.validate_feature_sample(FEATURE, with_nan)
    assert (r.passed, r.rows, r.nulls) == (False, 1000, 2)
    assert r.problems == ["2 null values (the sample must have none)"]
    r = s.validate_feature_sample(FEATURE, [1.0, None] * 500)  # None is a null too
    assert (r.passed, r.nulls) == (False, 500)

    r = s.validate_feature_sample(FEATURE, np.full(1000, 4.0))
    assert (r.passed, r.variance) == (False, 0.0)
    assert r.problems == ["zero variance: every value is 4"]

    out = _normal(1, 1000)
    out[:3] = -11.0
    out[-5:] = 12.5
    r = s.validate_feature_sample(FEATURE, out)
    assert (r.passed, r.below_min, r.above_max) == (False, 3, 5)
    assert (r.min, r.max) == (-11.0, 12.5)
    assert r.problems == ["3 values below the expected minimum -10 (smallest -11)",
                          "5 values above the expected maximum 10 (largest 12.5)"]

    r = s.validate_feature_sample(FEATURE, np.array([], dtype=float))
    assert (r.passed, r.rows) == (False, 0)
    assert math.isnan(r.min) and math.isnan(r.variance)

    r = s.validate_feature_sample(FEATURE, [math.inf] + [1.0, 2.0] * 500)
    assert not r.passed and any("infinite" in p for p in r.problems)


def test_validate_feature_sample_errors(fworld):
    s = fworld.store
    with pytest.raises(sw.NotFoundError) as e:
        s.validate_feature_sample("unregistered_feature", _normal(1, 1000))
    assert e.value.reason == "FEATURE_NOT_FOUND"
    # The core looks the name up without validating it first (see the
    # branch report): a malformed name is simply not found.
    with pytest.raises(sw.NotFoundError) as e:
        s.validate_feature_sample("Bad Name", _normal(1, 1000))
    assert e.value.reason == "FEATURE_NOT_FOUND"
    with pytest.raises(ValueError, match="1-D"):
        s.validate_feature_sample(FEATURE, np.zeros((10, 100)))
    with pytest.raises(TypeError):
        s.validate_feature_sample(FEATURE, "1,2,3")
    with pytest.raises(TypeError):
        s.validate_feature_sample(FEATURE, ["a"] * 1000)
    with pytest.raises(TypeError):
        s.validate_feature_sample(FEATURE, None)


def test_update_feature_accepts_a_passing_sample_under_the_new_range(fworld):
    s = fworld.store
    shifted = _normal(3, 1000, loc=50.0)  # outside the old range [-10, 10]
    assert s.validate_feature_sample(FEATURE, shifted).above_max == 1000
    assert s.update_feature(FEATURE, "float64", min=0, max=100, sample=shifted,
                            actor="pipeline-bot") is None
    r = s.validate_feature_sample(FEATURE, shifted)
    assert r.passed
    assert s.validate_feature_sample(FEATURE, _normal(1, 1000)).below_min > 0
    # None drops a bound; dtype None keeps the dtype.
    s.update_feature(FEATURE, max=100, sample=shifted)
    assert s.validate_feature_sample(FEATURE, _normal(1, 1000, loc=-500)).passed
    records = [r for r in s.audit_log() if r.command == "feature.update"]
    assert [r.outcome for r in records] == ["success", "success"]
    assert records[0].user == "pipeline-bot"


@pytest.mark.parametrize("sample,words", [
    (_normal(4, 999), ["999 rows", "at least 1000 records"]),
    (np.where(np.arange(1000) == 7, np.nan, _normal(4, 1000)), ["1 null values"]),
    (np.full(1000, 3.0), ["zero variance"]),
    (_normal(4, 1000, loc=8.0), ["above the expected maximum 10"]),
    # Every problem is named at once.
    (np.r_[np.full(500, np.nan), np.full(499, 20.0)],
     ["999 rows", "500 null values", "zero variance", "499 values above the expected maximum"]),
])
def test_update_feature_refuses_a_failing_sample_and_changes_nothing(fworld, sample, words):
    s = fworld.store
    with pytest.raises(sw.GateError) as e:  # FailedPrecondition: a gate refused
        s.update_feature(FEATURE, "float64", min=-10, max=10, sample=sample)
    assert e.value.code == "FAILED_PRECONDITION"
    assert e.value.reason == "FEATURE_SAMPLE_INVALID"
    assert e.value.value == FEATURE and "1,000-record sample" in e.value.rule
    assert str(e.value).startswith(f"the sample of feature {FEATURE} fails validation: ")
    for w in words:
        assert w in str(e.value)
    # The range is unchanged: a sample of [-10, 10] values still passes.
    assert s.validate_feature_sample(FEATURE, np.clip(_normal(5, 1000), -9, 9)).passed
    last = [r for r in s.audit_log() if r.command == "feature.update"][-1]
    assert last.outcome in ("denied", "failure")


def test_update_feature_errors(fworld):
    s = fworld.store
    with pytest.raises(sw.NotFoundError) as e:
        s.update_feature("unregistered_feature", "float64", sample=_normal(1, 1000))
    assert e.value.reason == "FEATURE_NOT_FOUND"
    with pytest.raises(TypeError):
        s.update_feature(FEATURE, "float64")  # sample is required
    with pytest.raises(TypeError):
        s.update_feature(FEATURE, "float64", min="low", sample=_normal(1, 1000))


# --- drift references and samples --------------------------------------------------


def test_set_drift_reference_and_its_errors(fworld):
    s = fworld.store
    s.set_drift_reference(W.ENDPOINT, FEATURE, _normal(7, 20_000), actor="ds@example.com")
    s.set_drift_reference(W.ENDPOINT, FEATURE, list(_normal(8, 100)))  # replaces it
    rec = [r for r in s.audit_log() if r.command == "endpoint.set_drift_reference"]
    assert [(r.outcome, r.resource_name) for r in rec] == [("success", W.ENDPOINT)] * 2
    with pytest.raises(sw.NotFoundError) as e:
        s.set_drift_reference("nowhere", FEATURE, _normal(7, 100))
    assert e.value.reason == "ENDPOINT_NOT_FOUND"
    with pytest.raises(sw.NotFoundError) as e:
        s.set_drift_reference(W.ENDPOINT, "unregistered_feature", _normal(7, 100))
    assert e.value.reason == "FEATURE_NOT_FOUND"
    with_nan = _normal(7, 100)
    with_nan[42] = np.nan
    with pytest.raises(sw.ValidationError) as e:
        s.set_drift_reference(W.ENDPOINT, FEATURE, with_nan)
    assert e.value.reason == "DRIFT_SAMPLE_INVALID" and "index 42" in str(e.value)
    with pytest.raises(sw.ValidationError) as e:
        s.set_drift_reference(W.ENDPOINT, FEATURE, [])
    assert e.value.reason == "DRIFT_SAMPLE_INVALID"
    with pytest.raises(ValueError, match="1-D"):
        s.set_drift_reference(W.ENDPOINT, FEATURE, np.zeros((2, 2)))


def test_record_feature_samples_forms_and_errors(fworld):
    s = fworld.store
    now = fworld.clock.now()
    values = _normal(9, 100)
    s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, values)  # now
    s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, values, now, replica="a")
    s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, list(values),
                             now.strftime("%Y-%m-%dT%H:%M:30Z"), replica="b")
    s.record_feature_samples(W.ENDPOINT, "v2.4.1", FEATURE, values,
                             int(now.timestamp() * 1000) + 59_999, replica="c")
    with pytest.raises(sw.ValidationError) as e:
        s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, "Bad Name", values)
    assert e.value.reason == "FEATURE_NAME_INVALID"
    with_nan = values.copy()
    with_nan[0] = np.nan
    with pytest.raises(sw.ValidationError) as e:
        s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, with_nan)
    assert e.value.reason == "DRIFT_SAMPLE_INVALID"
    with pytest.raises(sw.ValidationError):
        s.record_feature_samples(W.ENDPOINT, "not a version", FEATURE, values)
    # SPEC §1: the endpoint and the feature must be registered.
    with pytest.raises(sw.ValidationError) as e:
        s.record_feature_samples("no-such-endpoint", W.CANDIDATE, FEATURE, values)
    assert e.value.reason == "ENDPOINT_NOT_REGISTERED"
    with pytest.raises(sw.NotFoundError) as e:
        s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, "unregistered", values)
    assert e.value.reason == "FEATURE_NOT_FOUND"
    with pytest.raises(ValueError, match="naive"):
        s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, values,
                                 dt.datetime(2026, 1, 1))


def test_the_gil_is_released_while_a_large_reference_is_stored(fworld):
    big = _normal(10, 5_000_000)  # read in place by the binding, encoded and written
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
        fworld.store.set_drift_reference(W.ENDPOINT, FEATURE, big)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    if t1 - t0 < 0.05:
        pytest.skip("the call was too short to tell")
    assert len([x for x in ticks if t0 <= x <= t1]) >= 5, t1 - t0


def test_read_only_and_big_endian_arrays_are_accepted(fworld):
    s = fworld.store
    good = _normal(1, 1000)
    frozen = np.frombuffer(good.tobytes(), dtype=np.float64)
    assert not frozen.flags.writeable
    assert s.validate_feature_sample(FEATURE, frozen).passed
    assert s.validate_feature_sample(FEATURE, good.astype(">f8")).passed
    s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE, frozen)


# --- the drift check, end to end -----------------------------------------------------


def _walk_with_samples(world, rollout, minutes, loc, seed, rows_per_minute=100):
    """`minutes` healthy outcome minutes, each also recording
    `rows_per_minute` candidate samples of FEATURE ~ N(loc, 1)."""
    rng = np.random.default_rng(seed)
    for _ in range(minutes):
        world.store.record_feature_samples(
            W.ENDPOINT, W.CANDIDATE, FEATURE, rng.normal(loc, 1.0, rows_per_minute),
            replica="r1")
        world.minute()
        if not rollout.status().active or rollout.status().phase == "HALTED":
            return


def test_status_has_one_drift_reading_per_referenced_feature(fworld):
    s = fworld.store
    rollout = fworld.deploy()
    assert rollout.status().readings.drift == []
    fworld.store.register_feature("age", "float64", min=0, max=130)
    s.set_drift_reference(W.ENDPOINT, FEATURE, _normal(11, 20_000))
    s.set_drift_reference(W.ENDPOINT, "age", _normal(12, 5_000, loc=40))  # too short
    fworld.walk_to(rollout, "canary-1")
    drift = rollout.status().readings.drift
    assert [d.feature for d in drift] == ["age", FEATURE]
    assert all(isinstance(d, sw.FeatureDriftReading) for d in drift)
    age, amount = drift
    assert age.verdict == "NOT_ENOUGH_DATA"
    assert age.note == "the reference holds 5000 rows; 40 chunks of 500 need 20000"
    assert (amount.verdict, amount.chunk_rows, amount.reference_rows) == (
        "NOT_ENOUGH_DATA", 500, 20_000)
    assert amount.note == "0 of 500 chunk rows recorded in the current interval"
    assert math.isnan(amount.sigma) and not amount.drifted
    assert "drift=[FeatureDriftReading(feature='age'" in repr(rollout.status())


def test_shifted_candidate_samples_halt_the_rollout_naming_the_feature(fworld):
    s = fworld.store
    s.set_drift_reference(W.ENDPOINT, FEATURE, _normal(20, 20_000))
    rollout = fworld.deploy()
    fworld.walk_to(rollout, "canary-1")
    entered_ms = int(fworld.clock.now().timestamp() * 1000)
    gen = s.routing(W.ENDPOINT).generation
    # 100 rows a minute, shifted by one standard deviation: the first
    # 500-row chunk is complete after 5 minutes, and the 500 rows after it
    # (which must agree before the rollout halts) after 10; each is judged
    # once its last minute has closed.
    rng = np.random.default_rng(21)
    first_sigma = None
    for minute in range(10):
        s.record_feature_samples(W.ENDPOINT, W.CANDIDATE, FEATURE,
                                 rng.normal(1.0, 1.0, 100), replica="r1")
        assert fworld.minute(tick=minute < 9) == 0
        d = rollout.status().readings.drift[0]
        if minute < 4:
            assert d.verdict == "NOT_ENOUGH_DATA"
            assert d.note == f"{100 * (minute + 1)} of 500 chunk rows recorded in the current interval"
        elif minute < 9:
            assert d.verdict == "NOT_ENOUGH_DATA"
            first_sigma = d.sigma if first_sigma is None else first_sigma
            assert d.sigma == first_sigma > 3
            assert d.note == (
                f"the interval's first chunk is {d.sigma:.3g} standard deviations above the "
                f"reference chunks' mean; confirming on the next 500 rows "
                f"({100 * (minute - 4)} so far)")
    (d,) = rollout.status().readings.drift  # what the next tick will judge
    assert (d.verdict, d.drifted, d.chunk_start_ms, d.note) == ("DRIFT", True, entered_ms, "")
    assert d.sigma > 3 and d.statistic > d.threshold
    assert s.tick() == 1
    st = rollout.status()
    assert (st.phase, st.halt_cause, st.stage, st.candidate_weight) == (
        "HALTED", "DRIFT", "canary-1", 0.01)
    assert st.state["phase"] == "HALTED" and "drift_alert_at" in st.state
    assert f"(feature {FEATURE}: KS " in st.last_reason
    assert "standard deviations above the reference chunks' mean (limit 3)" in st.last_reason
    assert "resume or roll back" in st.next_gate
    assert s.routing(W.ENDPOINT).generation == gen  # holds its weight
    # Halted: no further step however long it waits.
    fworld.clock.advance(hours=3)
    assert s.tick() == 0 and rollout.status().phase == "HALTED"
    # The alert stays active: a new deploy fails the data quality gate
    # until a pipeline run with passing checks follows it.
    rollout.rollback(reason=f"drift on {FEATURE}", actor="oncall")
    fworld.clock.advance(minutes=1)
    with pytest.raises(sw.GateError) as e:
        fworld.deploy()
    assert e.value.reason == "GATE_DATA_QUALITY"
    s.record_pipeline_run(W.ENDPOINT, True, True)
    fworld.clock.advance(minutes=1)
    assert fworld.deploy().status().phase == "IN_STAGE"


def test_candidate_samples_like_the_reference_do_not_halt(fworld):
    s = fworld.store
    s.set_drift_reference(W.ENDPOINT, FEATURE, _normal(30, 20_000))
    rollout = fworld.deploy()
    fworld.walk_to(rollout, "canary-1")
    _walk_with_samples(fworld, rollout, 31, loc=0.0, seed=31)
    st = rollout.status()
    assert st.phase == "AWAITING_APPROVAL" and st.stage == "canary-2"
    (d,) = st.readings.drift
    assert d.verdict == "HEALTHY" and d.sigma < 3 and not d.drifted
    assert st.halt_cause is None


def test_a_resumed_rollout_is_not_halted_again_by_the_chunk_already_judged(fworld):
    s = fworld.store
    s.set_drift_reference(W.ENDPOINT, FEATURE, _normal(40, 20_000))
    rollout = fworld.deploy()
    fworld.walk_to(rollout, "canary-1")
    _walk_with_samples(fworld, rollout, 10, loc=1.0, seed=41)
    assert rollout.status().phase == "HALTED"
    st = rollout.resume(actor="oncall@example.com")
    assert (st.phase, st.halt_cause) == ("IN_STAGE", None)
    fworld.minutes(3)
    assert rollout.status().phase == "IN_STAGE"


# --- the capacity cap (SPEC §3) ------------------------------------------------------


@pytest.mark.parametrize("current,requested,allowed,capped", [
    (0, 5, 1, True), (1, 4, 2, True), (2, 3, 3, False), (3, 10, 4, True), (4, 5, 5, False),
    (8, 20, 10, True), (100, 125, 125, False), (100, 126, 125, True), (100, 50, 50, False),
    (10, 10, 10, False), (10, 0, 0, False),
])
def test_cap_capacity_change(current, requested, allowed, capped):
    d = sw.rollout.cap_capacity_change(current, requested)
    assert d == sw.CapacityDecision(allowed=allowed, capped=capped)
    assert isinstance(d.allowed, int)


def test_cap_capacity_change_options_and_errors():
    assert sw.rollout.MAX_CAPACITY_INCREASE == 0.25
    assert sw.rollout.cap_capacity_change(10, 20, max_increase=0.5).allowed == 15
    assert sw.rollout.cap_capacity_change(2**62, 2**63 - 1).allowed == 2**62 + 2**60
    d = sw.rollout.cap_continuous_capacity_change(2.0, 4.0)
    assert d == sw.CapacityDecision(allowed=2.5, capped=True)
    assert sw.rollout.cap_continuous_capacity_change(0.0, 1.0).allowed == 0.0
    assert sw.rollout.cap_continuous_capacity_change(4.0, 1.5) == sw.CapacityDecision(1.5, False)
    for args in [(-1, 3), (3, -1)]:
        with pytest.raises(sw.ValidationError) as e:
            sw.rollout.cap_capacity_change(*args)
        assert e.value.reason == "CAPACITY_INVALID"
    with pytest.raises(sw.ValidationError) as e:
        sw.rollout.cap_capacity_change(4, 8, max_increase=0)
    assert e.value.reason == "CAPACITY_INVALID"
    with pytest.raises(sw.ValidationError):
        sw.rollout.cap_continuous_capacity_change(math.nan, 1.0)
    with pytest.raises(TypeError):
        sw.rollout.cap_capacity_change(2.5, 4)
    with pytest.raises(TypeError):
        sw.rollout.cap_capacity_change(True, 4)
