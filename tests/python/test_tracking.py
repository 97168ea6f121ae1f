"""The Python tracking API (issue 3 item 8): stores, runs, the fluent
module-level calls, reads, search, and the lean log_metric binding."""

import contextvars
import math
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import slipway as sw
from slipway import _slipway

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def no_active_run_leaks():
    """Each test starts, and leaves, with no active run."""
    from slipway import tracking
    token = tracking._active.set(None)
    yield
    tracking._active.reset(token)


@pytest.fixture
def store(tmp_path):
    return sw.open(str(tmp_path / "t.db"))


# --- context manager and statuses -------------------------------------------


def test_with_block_ends_finished_and_flushes(store):
    with store.start_run(experiment="fraud", name="lr-0.01", params={"lr": 0.01},
                         tags={"team": "risk"}) as run:
        run.log_metric("loss", 0.31, step=10)
        run.log_metrics({"loss": 0.25, "acc": 0.9}, step=11)
        run.log_param("batch_size", 256)
        run.set_tag("stage", "tuning")
    info = store.get_run(run.id)
    assert info.status == "FINISHED"
    assert info.end_ms is not None
    assert info.params == {"batch_size": "256", "lr": "0.01"}
    assert info.tags == {"stage": "tuning", "team": "risk"}
    assert info.metrics == {"loss": 0.25, "acc": 0.9}
    assert info.name == "lr-0.01"
    assert store.get_experiment("fraud").experiment_id == info.experiment_id


def test_exception_ends_failed_and_propagates(store):
    with pytest.raises(ZeroDivisionError):
        with store.start_run() as run:
            run.log_metric("loss", 1.0)
            1 / 0
    assert store.get_run(run.id).status == "FAILED"
    assert store.get_run(run.id).metrics == {"loss": 1.0}


def test_keyboard_interrupt_ends_killed(store):
    with pytest.raises(KeyboardInterrupt):
        with store.start_run() as run:
            raise KeyboardInterrupt
    assert store.get_run(run.id).status == "KILLED"


def test_explicit_end_and_double_end(store):
    run = store.start_run()
    assert sw.active_run() is run
    run.end("FAILED")
    run.end("FAILED")  # same status again: fine
    assert sw.active_run() is None
    with pytest.raises(sw.GateError) as e:
        run.end("FINISHED")
    assert e.value.reason == "RUN_ENDED"
    other = store.start_run()
    with pytest.raises(ValueError):
        other.end("DONE")
    other.end()


def test_run_is_not_constructible():
    with pytest.raises(TypeError):
        sw.Run()


# --- nesting and the active run --------------------------------------------


def test_nested_runs_and_active_run(store):
    assert sw.active_run() is None
    with store.start_run(name="parent") as parent:
        assert sw.active_run() is parent
        with sw.start_run(name="child", store=store) as child:
            assert sw.active_run() is child
            sw.log_metric("loss", 0.5, step=1)
        assert sw.active_run() is parent
        with store.start_run(name="top", nested=False) as top:
            pass
    assert sw.active_run() is None
    assert store.get_run(child.id).parent_run_id == parent.id
    assert store.get_run(child.id).metrics == {"loss": 0.5}
    assert store.get_run(top.id).parent_run_id is None
    assert store.get_run(parent.id).parent_run_id is None


def test_explicit_parent(store):
    with store.start_run() as a:
        pass
    with store.start_run(parent=a.id) as b:
        pass
    assert store.get_run(b.id).parent_run_id == a.id


def test_active_run_is_per_thread(store):
    seen = {}
    with store.start_run() as run:
        def worker():
            seen["active"] = sw.active_run()
            try:
                sw.log_metric("x", 1.0)
            except sw.NotFoundError as e:
                seen["error"] = e
            with store.start_run(name="worker") as w:
                seen["parent"] = None if w is None else store.get_run(w.id).parent_run_id
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert sw.active_run() is run
    assert seen["active"] is None
    assert seen["error"].reason == "NO_ACTIVE_RUN"
    assert seen["parent"] is None  # not a child of the main thread's run


def test_active_run_is_per_context(store):
    with store.start_run() as run:
        ctx = contextvars.Context()
        assert ctx.run(sw.active_run) is None
        assert contextvars.copy_context().run(sw.active_run) is run


def test_no_active_run_error():
    assert sw.active_run() is None
    for call in (lambda: sw.log_metric("loss", 1.0),
                 lambda: sw.log_metrics({"loss": 1.0}),
                 lambda: sw.log_param("lr", 1),
                 lambda: sw.log_params({"lr": 1}),
                 lambda: sw.set_tag("a", "b"),
                 lambda: sw.set_tags({"a": "b"}),
                 lambda: sw.end_run()):
        with pytest.raises(sw.NotFoundError) as e:
            call()
        assert e.value.reason == "NO_ACTIVE_RUN"
        assert isinstance(e.value, LookupError)
        assert "start_run" in str(e.value)


def test_module_level_log_metric_acts_on_each_contexts_active_run(store):
    """sw.log_metric / sw.log_metrics are builtins reading the active run of
    the calling context (thread, asyncio task) on every call."""
    assert sw.log_metric.__text_signature__ == "(key, value, step=0, timestamp=None)"
    assert sw.log_metrics.__text_signature__ == "(metrics, step=0, timestamp=None)"
    assert sw.log_metric.__module__ == "slipway"
    with store.start_run() as outer:
        sw.log_metric("m", 1.0, step=1)
        with store.start_run(nested=True) as inner:
            sw.log_metric("m", 2.0, step=2)
            sw.log_metrics({"m": 3.0, "n": 4.0}, step=3, timestamp=5)
            other = {}

            def in_thread():  # its own context: no active run there
                try:
                    sw.log_metric("m", 9.0)
                except sw.NotFoundError as e:
                    other["reason"] = e.reason

            t = threading.Thread(target=in_thread)
            t.start()
            t.join()
            assert other == {"reason": "NO_ACTIVE_RUN"}
        sw.log_metric(key="m", value=5.0, step=4)
        with pytest.raises(TypeError, match=r"log_metric\(\) missing required argument 'value'"):
            sw.log_metric("m")
        with pytest.raises(TypeError, match="log_metrics"):
            sw.log_metrics({"m": 1.0}, bogus=1)
    assert store.metric_history(outer.id, "m")[2].tolist() == [1.0, 5.0]
    assert store.metric_history(inner.id, "m")[2].tolist() == [2.0, 3.0]
    assert store.metric_history(inner.id, "n")[1].tolist() == [5]
    with pytest.raises(sw.GateError):  # ended runs refuse, as run.log_metric
        tok = tracking_active().set(outer)
        try:
            sw.log_metric("m", 1.0)
        finally:
            tracking_active().reset(tok)


def tracking_active():
    from slipway import tracking
    return tracking._active


def test_default_store_from_env(tmp_path, monkeypatch):
    import slipway.store as store_module
    monkeypatch.setattr(store_module, "_default", None)
    monkeypatch.setenv("SLIPWAY_STORE", str(tmp_path / "env.db"))
    with sw.start_run() as run:
        sw.log_metric("loss", 2.0)
    assert sw.default_store().uri == str(tmp_path / "env.db")
    assert sw.open(str(tmp_path / "env.db")).get_run(run.id).metrics == {"loss": 2.0}
    other = sw.set_store(str(tmp_path / "other.db"))
    assert sw.default_store() is other


# --- params, tags, limits ----------------------------------------------------


def test_params_are_write_once(store):
    with store.start_run(params={"lr": 0.01}) as run:
        run.log_param("lr", "0.01")  # same value: fine
        with pytest.raises(sw.ValidationError) as e:
            run.log_param("lr", 0.02)
        assert e.value.reason == "PARAM_CHANGED"
        run.set_tag("t", "a")
        run.set_tag("t", "b")  # tags are mutable
    assert store.get_run(run.id).params == {"lr": "0.01"}
    assert store.get_run(run.id).tags == {"t": "b"}


@pytest.mark.parametrize("call", [
    lambda r: r.log_metric("k" * 251, 1.0),
    lambda r: r.log_metrics({"ok": 1.0, "k" * 251: 1.0}),
    lambda r: r.log_param("lr", "v" * 6001),
    lambda r: r.set_tag("t", "v" * 5001),
    lambda r: r.log_param("k" * 251, "v"),
])
def test_limits_raise_validation_error_never_cut(store, call):
    with store.start_run() as run:
        with pytest.raises(sw.ValidationError):
            call(run)
        run.log_metric("k" * 250, 1.0)
        run.log_param("p", "v" * 6000)
        run.set_tag("t", "v" * 5000)
    info = store.get_run(run.id)
    assert "ok" not in info.metrics  # log_metrics appended nothing
    assert info.params["p"] == "v" * 6000
    assert info.tags["t"] == "v" * 5000


def test_nan_inf_round_trip(store):
    values = [float("nan"), float("inf"), float("-inf"), -0.0, 1.5]
    with store.start_run() as run:
        for i, v in enumerate(values):
            run.log_metric("m", v, step=i)
    steps, ts, got = store.metric_history(run.id, "m")
    assert list(steps) == [0, 1, 2, 3, 4]
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf
    assert got[3] == 0.0 and math.copysign(1, got[3]) == -1 and got[4] == 1.5


# --- reads --------------------------------------------------------------------


def test_metric_history_arrays(store):
    clock = sw.testing.FakeClock("2026-01-01T00:00:00Z")
    store = sw.open(":memory:", clock=clock)
    with store.start_run() as run:
        run.log_metric("loss", 0.5, step=3)
        run.log_metric("loss", 0.25, step=4, timestamp=1_700_000_000_123)
        run.log_metric("loss", 2, step=np.int64(5))  # ints and numpy ints work
    steps, ts, values = store.metric_history(run.id, "loss")
    assert steps.dtype == np.int64 and ts.dtype == np.int64 and values.dtype == np.float64
    assert steps.tolist() == [3, 4, 5]
    assert values.tolist() == [0.5, 0.25, 2.0]
    t0 = sw._slipway.parse_rfc3339_micros("2026-01-01T00:00:00Z") // 1000
    assert ts.tolist() == [t0, 1_700_000_000_123, t0]
    with pytest.raises(sw.NotFoundError):
        store.metric_history(run.id, "missing")


def test_metric_history_step_range_and_max_points(store):
    with store.start_run() as run:
        run.log_metric_array("x", np.sin(np.arange(10_000) / 100.0))
    steps, _, values = store.metric_history(run.id, "x", min_step=100, max_step=199)
    assert steps.tolist() == list(range(100, 200))
    steps, _, values = store.metric_history(run.id, "x", max_points=100)
    assert 0 < len(steps) <= 200
    assert values.max() == pytest.approx(1.0, abs=1e-3)  # spikes survive
    assert steps[0] == 0 and steps[-1] == 9_999


def test_log_metric_array_forms(store):
    with store.start_run() as run:
        run.log_metric_array("a", [1.0, 2.0, 3.0])
        run.log_metric_array("b", np.array([1, 2], dtype=np.int32), steps=[10, 20],
                             timestamps=np.array([5, 6]))
        with pytest.raises(sw.ValidationError) as e:
            run.log_metric_array("c", [1.0, 2.0], steps=[1])
        assert e.value.reason == "METRIC_COLUMNS_MISMATCH"
        with pytest.raises(TypeError):
            run.log_metric_array("d", [1.0], steps=[1.5])
    assert store.metric_history(run.id, "a")[0].tolist() == [0, 1, 2]
    s, t, v = store.metric_history(run.id, "b")
    assert (s.tolist(), t.tolist(), v.tolist()) == ([10, 20], [5, 6], [1.0, 2.0])


def test_log_metric_array_large_keeps_order_and_values(store):
    # 100k points: encoded in the call on every core, not copied.
    values = np.random.default_rng(1).standard_normal(100_000)
    values[5] = np.nan
    values[6] = -np.inf
    with store.start_run() as run:
        run.log_metric("loss", 9.0, step=-1)
        run.log_metric_array("loss", values)
        run.log_metric("loss", 7.0, step=100_000)
    steps, _, got = store.metric_history(run.id, "loss")
    assert steps.tolist() == list(range(-1, 100_001))
    assert got[0] == 9.0 and got[-1] == 7.0
    np.testing.assert_array_equal(got[1:-1], values)  # NaN and -inf kept
    assert store.get_run(run.id).metrics["loss"] == 7.0  # the last value


def test_experiments(store):
    e = store.create_experiment("exp-a", tags={"owner": "me"})
    assert e.name == "exp-a" and e.tags == {"owner": "me"}
    with pytest.raises(sw.AlreadyExistsError):
        store.create_experiment("exp-a")
    with pytest.raises(sw.NotFoundError):
        store.get_experiment("nope")
    assert "exp-a" in [x.name for x in store.list_experiments()]
    with pytest.raises(sw.NotFoundError):
        store.get_run("0" * 32)


# --- search ---------------------------------------------------------------------


def test_search_runs_filter_order_paging(store):
    ids = {}
    for i, lr in enumerate(["0.01", "0.1", "0.01", "0.001"]):
        with store.start_run(experiment="fraud", params={"lr": lr}) as run:
            run.log_metric("acc", 0.8 + i * 0.05)
        ids[i] = run.id
    with store.start_run(experiment="other") as run:
        run.log_metric("acc", 0.99)
    runs = store.search_runs(experiment="fraud", filter="metrics.acc > 0.82 and params.lr = '0.01'")
    assert [r.run_id for r in runs] == [ids[2]]
    runs = store.search_runs(experiment="fraud", order_by=["metrics.acc DESC"])
    assert [r.run_id for r in runs] == [ids[3], ids[2], ids[1], ids[0]]
    assert runs.next_page_token is None
    seen = []
    token = None
    while True:
        page = store.search_runs(experiment=["fraud", "other"], order_by=["metrics.acc"],
                                 max_results=2, page_token=token)
        seen += [r.run_id for r in page]
        token = page.next_page_token
        if token is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    assert len(store.search_runs()) == 5


def test_search_runs_bad_filter(store):
    with pytest.raises(sw.ValidationError) as e:
        store.search_runs(filter="metrics.acc >> 1")
    assert "position 14" in str(e.value)


def test_to_pandas(store):
    with store.start_run(experiment="fraud", params={"lr": 0.1}) as run:
        run.log_metric("acc", 0.9)
    runs = store.search_runs(experiment="fraud")
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            runs.to_pandas()
        pytest.skip("pandas is not installed")
    df = runs.to_pandas()
    assert df.loc[0, "metrics.acc"] == 0.9 and df.loc[0, "params.lr"] == "0.1"


# --- the lean binding ---------------------------------------------------------


def test_lean_path_argument_forms_and_errors(store):
    with store.start_run() as run:
        run.log_metric("m", 1.0)
        run.log_metric("m", 2.0, 1)
        run.log_metric(key="m", value=3.0, step=2, timestamp=7)
        run.log_metric("m", True, step=3)
        with pytest.raises(TypeError):
            run.log_metric("m")
        with pytest.raises(TypeError):
            run.log_metric("m", 1.0, bogus=1)
        with pytest.raises(TypeError):
            run.log_metric("m", 1.0, 1, step=1)
        with pytest.raises(TypeError):
            run.log_metric("m", "1.0")
        with pytest.raises(TypeError):
            run.log_metric(5, 1.0)
        with pytest.raises(TypeError):
            run.log_metric("m", 1.0, step=1.5)
        with pytest.raises(sw.ValidationError) as e:
            run.log_metric("bad key!", 1.0)
        assert e.value.reason and e.value.value == "bad key!"
        dynamic = "".join(["m"])  # equal key, other object: same metric
        run.log_metric(dynamic, 4.0, step=4)
        for i in range(40):  # more keys than the slot cache holds
            run.log_metric(f"k{i}", float(i))
        run.log_metrics(metrics={"m": 5.0}, step=5)
    assert store.metric_history(run.id, "m")[2].tolist() == [1, 2, 3, 1, 4, 5]
    assert store.metric_history(run.id, "m")[1][2] == 7
    assert store.get_run(run.id).metrics["k39"] == 39.0
    with pytest.raises(sw.GateError) as e:
        run.log_metric("m", 1.0)
    assert e.value.reason == "RUN_ENDED"
    with pytest.raises(sw.GateError):
        run.log_metrics({"m": 1.0})
    with pytest.raises(sw.GateError):
        run.log_param("x", 1)


def test_lean_path_steps_of_every_size(store):
    """Steps are read in place for ints of up to two 30-bit digits and through
    PyLong_AsLongLong beyond: every size round-trips exactly."""
    steps = [0, 1, -1, 2**30 - 1, 2**30, -(2**30), 2**59, -(2**60) + 1,
             2**60, 2**62, -(2**63), 2**63 - 1, np.int64(-7), np.int32(9), True]
    with store.start_run() as run:
        for s in steps:
            run.log_metric("s", 1.0, step=s)
        with pytest.raises(OverflowError):
            run.log_metric("s", 1.0, step=2**63)
        with pytest.raises(OverflowError):
            run.log_metric("s", 1.0, step=-(2**63) - 1)
    assert store.metric_history(run.id, "s")[0].tolist() == [int(s) for s in steps]


def test_hot_methods_are_bound_builtins_without_a_cycle(store):
    """log_metric/log_metrics are builtin functions bound to the run's core
    (the call CPython specialises); they keep working while held, and a
    dropped run is freed by reference counting alone."""
    import gc
    import weakref

    run = store.start_run()
    assert type(run.log_metric).__name__ == "builtin_function_or_method"
    assert run.log_metric.__text_signature__ == "(key, value, step=0, timestamp=None)"
    assert run.log_metrics.__text_signature__ == "(metrics, step=0, timestamp=None)"
    assert "Appends one point" in run.log_metric.__doc__
    log = run.log_metric
    log("m", 1.0, step=1)
    run.end()
    with pytest.raises(sw.GateError):
        log("m", 2.0, step=2)
    with pytest.raises(AttributeError):
        run.log_metric = print  # the C core owns these slots
    with pytest.raises(AttributeError):
        del run.log_metrics
    run_id = run.id
    ref = weakref.ref(run)
    gc.disable()
    try:
        del run
        assert ref() is None, "a Run was kept alive by a reference cycle"
    finally:
        gc.enable()
    del log
    assert store.metric_history(run_id, "m")[2].tolist() == [1.0]


def test_default_timestamps_follow_the_clock(store):
    """Without timestamp=, a point is stamped with the clock's millisecond:
    never later than the call, at most 1 ms earlier (docs/tracking.md,
    "Timestamps"; a few ms of slack for a loaded test machine), and never
    going back within the run."""
    with store.start_run() as run:
        bounds = []
        for i in range(30):  # slow logging: one point every ~3 ms
            before = time.time_ns() // 1_000_000
            run.log_metric("slow", 0.0, step=i)
            bounds.append((before, time.time_ns() // 1_000_000))
            time.sleep(0.003)
        t0 = time.time_ns() // 1_000_000
        for i in range(200_000):  # fast logging: through the clock thread
            run.log_metric("fast", 0.0, step=i)
        t1 = time.time_ns() // 1_000_000
    stamps = store.metric_history(run.id, "slow")[1].tolist()
    for (before, after), ts in zip(bounds, stamps):
        assert before - 5 <= ts <= after, (before, ts, after)
    fast = store.metric_history(run.id, "fast")[1]
    assert fast.size == 200_000
    assert t0 - 5 <= fast.min() and fast.max() <= t1
    assert (np.diff(fast) >= 0).all(), "stamps went back"
    if t1 - t0 >= 10:
        assert np.unique(fast).size >= (t1 - t0) // 2, "stamps did not advance"


_CLOCK_THREAD_PROBE = """
import json, os, sys, time
import slipway as sw
store = sw.open(sys.argv[1])
run = store.start_run()
t0 = time.time_ns() // 1_000_000
for i in range(100_000):
    run.log_metric("m", 0.0, step=i)
t1 = time.time_ns() // 1_000_000
names = []
for tid in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{tid}/comm") as f:
        names.append(f.read().strip())
run.end()
ts = store.metric_history(run.id, "m")[1]
print(json.dumps({"threads": names, "ok": bool(t0 - 5 <= ts.min() and ts.max() <= t1)}))
"""


@pytest.mark.parametrize("setting, expect_thread", [(None, True), ("off", False)])
def test_clock_thread_runs_while_logging_unless_turned_off(tmp_path, setting, expect_thread):
    import json

    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    env.pop("SLIPWAY_CLOCK_THREAD", None)
    if setting is not None:
        env["SLIPWAY_CLOCK_THREAD"] = setting
    out = subprocess.run(
        [sys.executable, "-c", _CLOCK_THREAD_PROBE, str(tmp_path / "c.db")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert ("slipway-clock" in result["threads"]) == expect_thread, result["threads"]
    assert result["ok"]


def test_every_call_durability(tmp_path):
    store = sw.open(str(tmp_path / "e.db"), durability="every_call")
    run = store.start_run()
    run.log_metric("m", 1.0)
    # Committed already: a second store on the same file sees it.
    other = sw.open(str(tmp_path / "e.db"))
    assert other.metric_history(run.id, "m")[2].tolist() == [1.0]
    run.end()
    with pytest.raises(ValueError):
        sw.open(str(tmp_path / "x.db"), durability="sometimes")


# --- the GIL ------------------------------------------------------------------


def test_gil_is_released_during_long_calls(store):
    ticks = []
    stop = threading.Event()

    def heartbeat():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    values = np.random.default_rng(1).standard_normal(10_000_000)
    steps = np.arange(values.size, dtype=np.int64)
    stamps = np.full(values.size, 1_700_000_000_000, dtype=np.int64)
    with store.start_run() as run:
        t = threading.Thread(target=heartbeat)
        t.start()
        try:
            time.sleep(0.02)
            before = len(ticks)
            t0 = time.perf_counter()
            run._log_metric_columns("loss", steps, stamps, values)
            run.flush()
            t1 = time.perf_counter()
            during = [x for x in ticks if t0 <= x <= t1]
        finally:
            stop.set()
            t.join()
    assert t1 - t0 > 0.05, "the call was too short to tell"
    # With the GIL held, the heartbeat could not tick at all during the call.
    assert len(during) >= 5, (len(during), t1 - t0, before)
    assert store.metric_history(run.id, "loss", max_points=10)[0].size > 0


# --- process life: exit and fork ------------------------------------------------


def _python(code, env_extra=None):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=60)


def test_atexit_flushes_and_ends_finished(tmp_path):
    db = str(tmp_path / "exit.db")
    r = _python(f"""
        import slipway as sw
        sw.set_store({db!r})
        run = sw.start_run(experiment="e")
        for i in range(1000):
            run.log_metric("loss", i * 0.5, step=i)
        print(run.id)
    """)
    assert r.returncode == 0, r.stderr
    run_id = r.stdout.strip()
    store = sw.open(db)
    info = store.get_run(run_id)
    assert info.status == "FINISHED"
    steps, _, values = store.metric_history(run_id, "loss")
    assert steps.tolist() == list(range(1000))
    assert values[-1] == 999 * 0.5


def test_atexit_after_uncaught_exception_ends_failed(tmp_path):
    db = str(tmp_path / "exit.db")
    r = _python(f"""
        import slipway as sw
        run = sw.open({db!r}).start_run()
        print(run.id, flush=True)
        raise SystemError("boom")
    """)
    assert r.returncode != 0
    run_id = r.stdout.strip()
    assert sw.open(db).get_run(run_id).status == "FAILED"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_gets_no_active_run_nor_default_store(tmp_path):
    db = str(tmp_path / "fork.db")
    r = _python(f"""
        import os, sys
        import slipway as sw
        store = sw.set_store({db!r})
        run = sw.start_run()
        run.log_metric("loss", 1.0, step=0)
        pid = os.fork()
        if pid == 0:
            import slipway.store as m
            ok = (sw.active_run() is None and m._default is None
                  and len(m._open_stores) == 0)
            try:
                sw.log_metric("loss", 2.0)
                ok = False
            except sw.NotFoundError:
                pass
            child = sw.start_run(store=sw.open({db!r}))
            child.log_metric("c", 1.0)
            child.end()
            sys.exit(0 if ok else 3)   # runs atexit in the child
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        run.log_metric("loss", 3.0, step=1)
        print(run.id)
    """)
    assert r.returncode == 0, r.stderr
    run_id = r.stdout.strip()
    store = sw.open(db)
    # The child's exit neither ended nor wrote the parent's run; the
    # parent's own exit did.
    assert store.get_run(run_id).status == "FINISHED"
    assert store.metric_history(run_id, "loss")[2].tolist() == [1.0, 3.0]
