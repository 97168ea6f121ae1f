"""pytest setup: import slipway from the source tree unless an installed
slipway is asked for (SLIPWAY_TEST_INSTALLED=1, used after `pip install .`).
"""

import json
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

if os.environ.get("SLIPWAY_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(ROOT / "python"))

SPEC_CASES = ROOT / "tests" / "spec" / "cases"


def load_cases(name):
    """Cases of a shared SPEC table (tests/spec/cases/<name>.json)."""
    doc = json.loads((SPEC_CASES / f"{name}.json").read_text(encoding="utf-8"))
    cases = []
    for index, case in enumerate(doc["cases"]):
        value = case["value"]
        if not isinstance(value, str):
            value = value["repeat"] * value["count"]
        cases.append(dict(case, value=value, index=index))
    return cases


@pytest.fixture
def clean_env(monkeypatch):
    """No actor, role, agent, stop file or default store from the caller's
    environment leaks into a registry test; the user is "tester"."""
    for name in ("SLIPWAY_ACTOR", "SLIPWAY_ROLE", "SLIPWAY_AGENT",
                 "SLIPWAY_EMERGENCY_STOP_FILE", "SLIPWAY_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "tester")


@pytest.fixture
def fake_clock():
    import slipway as sw
    return sw.testing.FakeClock("2026-01-01T00:00:00Z")


class RolloutWorld:
    """A store file whose default environment is `environment` (production
    unless told), with everything the SPEC §2 gates read in order: model
    fraud-detection with a stable 2.4.0 and a candidate 2.4.1 that passed
    its staging validation and is Approved; endpoint fraud-prod serving
    2.4.0 with accuracy, latency and drift alert rules; a pipeline named
    like the endpoint whose last run passed. Time is a FakeClock."""

    MODEL = "fraud-detection"
    STABLE = "2.4.0"
    CANDIDATE = "2.4.1"
    ENDPOINT = "fraud-prod"
    TICKET = "MLOPS-2024-0456"
    DS_LEAD = {"actor": "dana@example.com", "role": "data-science-lead"}
    PLATFORM_LEAD = {"actor": "pat@example.com", "role": "platform-lead"}

    def __init__(self, tmp_path, clock, environment="production",
                 alert_rules=("accuracy", "latency", "drift"), validated=True,
                 approved=True, pipeline_ok=True, **open_options):
        import slipway as sw
        self.clock = clock
        self.path = tmp_path / "slipway.db"
        self.store = sw.open(self.path, clock=clock,
                             policy=sw.Policy(environment=environment), **open_options)
        s = self.store
        s.register_model_version(self.MODEL, self.STABLE)
        s.register_model_version(self.MODEL, self.CANDIDATE)
        if validated:
            s.record_validation(self.MODEL, self.CANDIDATE, environment="staging",
                                checks={"accuracy": 0.94, "bias_gap": 0.01,
                                        "latency_p99_ms": 12.0}, passed=True)
        if approved:
            s.set_approval(self.MODEL, self.CANDIDATE, "Approved", **self.PLATFORM_LEAD)
        s.register_endpoint(self.ENDPOINT, environment=environment,
                            alert_rules=list(alert_rules), model=self.MODEL,
                            version=self.STABLE)
        s.register_pipeline(self.ENDPOINT, environment)
        s.record_pipeline_run(self.ENDPOINT, True, pipeline_ok)

    def deploy(self, **options):
        options.setdefault("change_ticket", self.TICKET)
        options.setdefault("actor", "alice@example.com")
        options.setdefault("role", "data-scientist")
        return self.store.deploy(self.MODEL, self.CANDIDATE, endpoint=self.ENDPOINT, **options)

    @staticmethod
    def counts(requests=1000, errors=0, latency_ms=10.0, labelled=600, correct=540,
               trials=None, successes=None):
        """One minute of one version: `requests` requests (each a
        prediction), 200 latency samples, `labelled` labelled predictions
        (`correct` of them right) and an A/B metric of successes/trials."""
        trials = requests if trials is None else trials
        return dict(requests=requests, errors=errors, latencies_ms=[latency_ms] * 200,
                    predictions=requests, labelled=labelled, correct=correct,
                    trials=trials, successes=trials // 2 if successes is None else successes)

    def minute(self, candidate=None, stable=None, tick=True):
        """Records the current minute for both versions (healthy unless
        told), advances the clock one minute and, with `tick`, runs one
        controller pass; returns its transition count."""
        now = self.clock.now()
        self.store.record_outcomes(self.ENDPOINT, self.STABLE, now, replica="r1",
                                   **(stable or self.counts(requests=20000)))
        self.store.record_outcomes(self.ENDPOINT, self.CANDIDATE, now, replica="r1",
                                   **(candidate or self.counts()))
        self.clock.advance(minutes=1)
        return self.store.tick() if tick else 0

    def minutes(self, n, candidate=None, stable=None):
        return sum(self.minute(candidate, stable) for _ in range(n))

    def walk_to(self, rollout, stage, phase="IN_STAGE"):
        """Drives the default plan with healthy minutes and the approvals
        it asks for until `rollout` is in `stage` with `phase`; returns its
        status."""
        for _ in range(400):
            st = rollout.status()
            if st.stage == stage and st.phase == phase:
                return st
            assert st.active, st
            if st.phase == "AWAITING_APPROVAL":
                who = self.DS_LEAD if st.stage == "canary-2" else self.PLATFORM_LEAD
                rollout.approve(st.stage, **who)
            elif st.stage == "shadow":
                self.clock.advance(hours=24)
                self.store.tick()
            else:
                self.minute()
        raise AssertionError(f"never reached {stage} {phase}: {rollout.status()}")


@pytest.fixture
def world(tmp_path, fake_clock, clean_env):
    """A RolloutWorld in production (see its docstring)."""
    return RolloutWorld(tmp_path, fake_clock)
