"""The Router from Python (slipway/router.h, docs/serving.md): the same
variants as C++ for the same keys (the table of tests/rollout/router_test.cc),
record / prometheus / health through a real store file, and a rollback that
reaches a router in another process."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

import slipway as sw
from slipway import router as swr
from conftest import RolloutWorld

pytestmark = pytest.mark.usefixtures("clean_env")

PLAN = {"stages": [
    {"name": "canary-1", "candidate_weight": 0.1, "min_observation_seconds": 1800},
    {"name": "full", "candidate_weight": 1, "approval_role": "platform-lead"}]}

# (key, 64-bit hash, bucket): the same table as tests/rollout/router_test.cc.
STRING_CASES = [
    ("", 0xf52a15e9a9b5e89b, 6203),
    ("a", 0x02c0bdbf481420f8, 3736),
    ("user-1", 0xc499b5f8a721df58, 7624),
    ("user-2", 0x4fb38f414590a87b, 8795),
    ("user-3", 0x7cb122970a23b0a2, 7394),
    ("user-123", 0xb8e243ce6370b569, 3305),
    ("fraud-prod", 0xb2c2b99d8dd4a1b3, 6387),
    ("ümlaut", 0x0a3be2ee47e0f6ab, 7435),
    ("order-98765", 0x3abb26178dc165af, 8191),
    ("x" * 40, 0xc11ec72499074de1, 4145),
    ("user-10", 0x469391a2b7c59256, 6),
    ("user-14", 0x52fe1de57436770a, 138),
    ("user-19", 0xa42deb87b47ccbad, 829),
]
INT_CASES = [
    (0, 0xe220a8397b1dcdaf, 7535),
    (1, 0x910a2dec89025cc1, 2465),
    (42, 0xbdd732262feb6e95, 5413),
    (123456789, 0x223c74d93deb7679, 5897),
    (2**64 - 1, 0xe4d971771b652c20, 3936),
    (6, 0xbd64a5d9adefe000, 592),
    (12, 0x943ff9fc99de8f03, 323),
]


def reference_hash(key):
    """The documented hash, written out (FNV-1a 64, then splitmix64)."""
    m = (1 << 64) - 1

    def mix(z):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        return z ^ (z >> 31)

    if isinstance(key, int):
        return mix((key + 0x9E3779B97F4A7C15) & m)
    h = 0xCBF29CE484222325
    for b in key.encode():
        h = ((h ^ b) * 0x100000001B3) & m
    return mix(h)


@pytest.fixture
def staging(tmp_path, fake_clock, clean_env):
    return RolloutWorld(tmp_path, fake_clock, environment="staging")


def test_hash_matches_the_documented_table():
    for key, h, b in STRING_CASES + INT_CASES:
        assert swr.key_hash(key) == h == reference_hash(key), key
        assert swr.bucket(key) == b == h % 10000, key


def test_same_variants_as_cpp_for_the_same_keys(staging):
    w = staging
    with w.store.router(w.ENDPOINT, background=False) as r:
        assert r.route("user-10").version == w.STABLE  # before the rollout
        w.deploy(plan=PLAN)  # 10 %: candidate iff bucket < 1000
        r.refresh()
        for key, _, b in STRING_CASES + INT_CASES:
            d = r.route(key)
            expected = w.CANDIDATE if b < 1000 else w.STABLE
            assert d.version == expected, key
            assert d.variant == (swr.Variant.CANDIDATE if b < 1000 else swr.Variant.STABLE)
            assert d.mirror is False
        # Spelled out, as in router_test.cc SameTableAsPython.
        assert r.route("user-10").version == w.CANDIDATE
        assert r.route("user-19").version == w.CANDIDATE
        assert r.route("user-1").version == w.STABLE
        assert r.route("a").version == w.STABLE
        assert r.route(12).version == w.CANDIDATE
        assert r.route(1).version == w.STABLE


def test_record_reaches_the_controller_prometheus_and_health(staging):
    w = staging
    rollout = w.deploy(plan=PLAN)
    r = w.store.router(w.ENDPOINT, background=False)
    candidate = 0
    for i in range(2000):
        d = r.route(f"user-{i}")
        r.record(d, latency_ms=12.0 if d.variant == swr.Variant.CANDIDATE else 10.0,
                 error=False)
        candidate += d.variant == swr.Variant.CANDIDATE
    r.record("stable", latency_ms=10.0)
    r.record_prediction("candidate", request_id="req-1")
    assert r.record_label("req-1", correct=True) is True
    assert r.record_label("req-1", correct=True) is False
    with pytest.raises(ValueError, match="unknown variant"):
        r.record("canary", latency_ms=1.0)
    r.flush()
    w.clock.advance(minutes=1)
    r.flush()
    w.store.tick()
    st = rollout.status()
    assert st.readings.candidate_requests == candidate
    assert st.readings.candidate_p99_ms == pytest.approx(12.0, rel=0.01)

    text = r.prometheus()
    assert "# TYPE slipway_router_requests_total counter" in text
    assert (f'slipway_router_requests_total{{endpoint="fraud-prod",replica="{r.replica}",'
            f'variant="candidate",version="{w.CANDIDATE}"}} {candidate}\n') in text
    assert "# TYPE slipway_router_latency_ms histogram" in text

    h = r.health()
    assert h["candidate_version"] == w.CANDIDATE
    assert h["candidate_weight"] == 0.1
    assert h["consecutive_failures"] == 0 and h["serving_stale"] is False
    assert h["windows_persisted"] >= 2
    r.close()
    with pytest.raises(ValueError, match="closed"):
        r.route("a")


def test_unknown_endpoint_is_not_found(staging):
    with pytest.raises(sw.NotFoundError):
        staging.store.router("nowhere")


def test_background_thread_and_controller(staging):
    w = staging
    with w.store.router(w.ENDPOINT, refresh_interval=0.01, controller_interval=0.01) as r:
        r.start_controller()
        assert r.health()["controller_running"] is True
        rollout = w.deploy(plan=PLAN)
        deadline = time.monotonic() + 5
        while r.route("user-10").version != w.CANDIDATE and time.monotonic() < deadline:
            time.sleep(0.005)
        assert r.route("user-10").version == w.CANDIDATE
        rollout.rollback(reason="manual")
        while r.route("user-10").version != w.STABLE and time.monotonic() < deadline:
            time.sleep(0.005)
        assert r.route("user-10").version == w.STABLE
        r.stop_controller()


CHILD = textwrap.dedent("""
    import sys, time
    import slipway as sw
    store = sw.open(sys.argv[1], policy=sw.Policy(environment="staging"))
    with store.router("fraud-prod") as r:          # default refresh: 250 ms
        assert r.route("user-10").version == "2.4.1", r.route("user-10")
        print("ready", flush=True)
        deadline = time.time() + 10
        while r.route("user-10").version != "2.4.0":
            if time.time() > deadline:
                sys.exit(3)
            time.sleep(0.0005)
        print(f"seen {time.time()!r}", flush=True)
""")


def test_rollback_reaches_a_router_in_another_process(staging):
    w = staging
    rollout = w.deploy(plan=PLAN)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(os.path.dirname(__file__), "..", "..", "python"),
         env.get("PYTHONPATH", "")])
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(w.path)], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        rollout.rollback(reason="manual")
        committed = time.time()
        line = child.stdout.readline().split()
        assert line and line[0] == "seen", line
        delay = float(line[1]) - committed
        print(f"rollback seen by the other process's router after {delay * 1000:.0f} ms")
        assert delay < 1.0
    finally:
        assert child.wait(timeout=20) == 0
