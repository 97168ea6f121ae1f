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
