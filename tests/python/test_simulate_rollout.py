"""examples/simulate_rollout.py (issue 5 item 10): run in --quick mode as a
user would (a subprocess with this interpreter), checking the exit code and
the timeline lines that tell each scenario's story."""

import dataclasses
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("numpy")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "simulate_rollout.py"


def _run(*args):
    env = dict(os.environ)
    for name in ("SLIPWAY_ACTOR", "SLIPWAY_ROLE", "SLIPWAY_EMERGENCY_STOP_FILE", "SLIPWAY_STORE"):
        env.pop(name, None)
    if os.environ.get("SLIPWAY_TEST_INSTALLED") != "1":
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "python")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def quick_run():
    return _run("--quick")


def _section(stdout, name):
    """The timeline of one scenario: from its header to its summary line."""
    m = re.search(rf"^== scenario {name}:.*?^summary {name} .*?$", stdout, re.M | re.S)
    assert m, f"no section for {name} in:\n{stdout}"
    return m.group(0)


def test_all_scenarios_end_as_expected(quick_run):
    assert quick_run.returncode == 0, quick_run.stdout + quick_run.stderr
    tail = quick_run.stdout.strip().splitlines()[-4:]
    assert [line.split()[1:3] for line in tail] == [
        ["good", "COMPLETED"], ["errors", "ROLLED_BACK"], ["latency", "ROLLED_BACK"],
        ["drift", "HALTED"]]
    assert all(line.endswith("-- ok") for line in tail)
    assert "simulate_rollout:" not in quick_run.stderr


def test_good_candidate_walks_every_stage_to_completed(quick_run):
    t = _section(quick_run.stdout, "good")
    assert "[+00:00:00] deploy fraud-detection 2.4.1 on fraud-prod (ticket MLOPS-2024-0456); " \
           "rollback plan: 2.4.0 at 100%" in t
    for line in [
        r"\[\+24:00:00\] stage canary-1 entered: 1% of traffic to 2\.4\.1",
        r"\[\+24:05:00\] stage canary-1 \(1%\) +requests +[\d,]+  errors \d\.\d%  p99 \d+ ms "
        r"\(stable \d+ ms\)",
        r"\[\+24:30:00\] waiting: approval by role data-science-lead to enter stage canary-2",
        r"approved canary-2 by dana@example\.com \(data-science-lead\)",
        r"stage canary-2 entered: 10% of traffic",
        r"stage ab entered: 50% of traffic",
        r"waiting: approval by role platform-lead to enter stage full \(A/B stage ab: "
        r"(the candidate is significantly better|no significant difference)",
        r"approved full by pat@example\.com \(platform-lead\)",
        r"stage full entered: 100% of traffic",
        r"COMPLETED: .*rollout completed, fraud-detection 2\.4\.1 serves fraud-prod",
        r"summary good +COMPLETED +at 100% +after \d\d:\d\d:\d\d simulated  -- ok",
    ]:
        assert re.search(line, t), f"{line!r} not in:\n{t}"
    assert "HALTED" not in t and "ROLLED_BACK" not in t


def test_three_percent_errors_roll_back_after_five_bad_minutes(quick_run):
    t = _section(quick_run.stdout, "errors")
    lines = t.splitlines()
    rollback = next(i for i, line in enumerate(lines) if "ROLLED_BACK:" in line)
    assert ("automatic rollback of fraud-detection 2.4.1 on fraud-prod: error rate guardrail "
            "failed in stage canary-1 (SPEC §3); traffic back to version \"2.4.0\" at 100%"
            in lines[rollback])
    # The five minutes before the rollback were each above 2 %.
    minutes = lines[rollback - 5:rollback]
    assert all(re.search(r"stage canary-1 \(1%\) .* errors \d\.\d% \(> 2%\)", m) for m in minutes)
    assert "error streak 4/5" in minutes[3]
    assert re.search(r"summary errors +ROLLED_BACK +from stage canary-1 .* -- ok", t)


def test_a_latency_regression_is_rolled_back(quick_run):
    t = _section(quick_run.stdout, "latency")
    assert "approved canary-2 by dana@example.com" in t
    p99 = re.search(r"stage canary-2 \(10%\) .* p99 (\d+) ms \(stable (\d+) ms\)\n.*ROLLED_BACK", t)
    assert p99 and int(p99.group(1)) > 1.5 * int(p99.group(2))
    assert "p99 latency guardrail failed in stage canary-2" in t
    assert re.search(r"summary latency +ROLLED_BACK +from stage canary-2 .* -- ok", t)


def test_drifting_input_halts_the_rollout(quick_run):
    t = _section(quick_run.stdout, "drift")
    assert re.search(r"HALTED \(DRIFT\) in stage canary-1 at 1%: data drift beyond the guardrail "
                     r"in stage canary-1 \(feature amount: KS on two consecutive chunks of 500 rows is "
                     r"[\d.]+ and [\d.]+ standard deviations above the reference chunks' mean "
                     r"\(limit 3\)\)", t)
    assert "still halted after 30 more minutes: 0 steps taken, weight held at 1%" in t
    assert re.search(r"summary drift +HALTED +in stage canary-1 at 1% .* -- ok", t)
    assert "data drift" in quick_run.stderr  # the library's alert


def test_json_is_the_event_list():
    r = _run("--quick", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # nothing but JSON on stdout
    assert (doc["ok"], doc["mode"], doc["seed"]) == (True, "quick", 7)
    got = {s["scenario"]: (s["phase"], s["ok"]) for s in doc["scenarios"]}
    assert got == {"good": ("COMPLETED", True), "errors": ("ROLLED_BACK", True),
                   "latency": ("ROLLED_BACK", True), "drift": ("HALTED", True)}
    for s in doc["scenarios"]:
        kinds = [e["kind"] for e in s["events"]]
        assert kinds[0] == "deploy" and "traffic" in kinds
        assert all({"t_s", "t", "kind", "text"} <= set(e) for e in s["events"])
        assert [e["t_s"] for e in s["events"]] == sorted(e["t_s"] for e in s["events"])
    drift = next(s for s in doc["scenarios"] if s["scenario"] == "drift")
    assert drift["halt_cause"] == "DRIFT" and "feature amount" in drift["reason"]
    halt = next(e for e in drift["events"] if e["kind"] == "halt")
    assert halt["stage"] == "canary-1"


def test_scenarios_are_selectable_and_reproducible(quick_run):
    r = _run("--quick", "--scenario", "drift", "--scenario", "errors")
    assert r.returncode == 0, r.stderr
    assert re.findall(r"^== scenario (\w+)", r.stdout, re.M) == ["drift", "errors"]
    # A scenario's traffic does not depend on which others run.
    assert _section(r.stdout, "errors") == _section(quick_run.stdout, "errors")
    assert _run("--scenario", "nope").returncode == 2


def test_an_unexpected_ending_exits_non_zero_with_a_message(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location("simulate_rollout", SCRIPT)
    sim = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "simulate_rollout", sim)  # for its dataclasses
    spec.loader.exec_module(sim)
    sim.SCENARIOS["errors"] = dataclasses.replace(sim.SCENARIOS["errors"],
                                                  expected_phase="COMPLETED")
    assert sim.main(["--quick", "--scenario", "errors"]) == 1
    out, err = capsys.readouterr()
    assert "-- UNEXPECTED (expected COMPLETED)" in out
    assert "simulate_rollout: scenario errors ended ROLLED_BACK (expected COMPLETED" in err
