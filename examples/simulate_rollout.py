#!/usr/bin/env python3
"""Plays synthetic traffic through a whole guarded rollout and prints what
the controller did, minute by simulated minute.

    python3 examples/simulate_rollout.py                      # all four scenarios
    python3 examples/simulate_rollout.py --scenario errors    # one (repeatable)
    python3 examples/simulate_rollout.py --quick              # less traffic, same outcomes
    python3 examples/simulate_rollout.py --json               # the event list as JSON

Each scenario opens a fresh production store in a temporary directory with a
FakeClock, registers what the SPEC §2 gates ask for (a stable and a candidate
version of a model, the candidate validated in staging and Approved, an
endpoint with accuracy, latency and drift alert rules, a passing data
pipeline run, a change ticket) and deploys the candidate with the default
plan of SPEC §3: shadow 24 h, canary-1 1 % 30 min, canary-2 10 % 2 h after
a data science lead's approval, A/B 50 % until significant, full 100 %
after the platform lead's approval.

Then every simulated minute it records what the serving replicas would have
seen for each version (requests, errors, a sample of latencies, labelled
predictions, the A/B metric; a seeded numpy RNG), records a sample of the
candidate's input feature ``amount`` (the endpoint's drift reference is
20,000 rows of its training distribution), and runs one controller pass
(``store.tick()``). The shadow day is played in hourly steps (the candidate
serves nothing). A person approves the stages that need one after a short
review. Nothing here decides a rollback or a halt: the library does, and the
timeline shows the reason its state machine wrote.

Scenarios:
  good     a healthy candidate reaches 100 % (COMPLETED)
  errors   3 % errors from canary-1 on: rolled back after 5 bad minutes
  latency  p99 latency 1.8x the stable version's from canary-2 on: rolled back
  drift    the candidate's input ``amount`` shifts in canary-1: the rollout
           halts and raises a drift alert; a person decides

Only the public Python API is used. Exit code 0 when every scenario ended
as expected, 1 otherwise (the message names the scenario), 2 on bad flags.

The outcome is a pure function of the flags: each scenario draws from its
own stream (``--seed`` plus its position in the list above), so running one
scenario alone prints the same timeline as in a full run. A healthy
candidate's feature samples are judged once per hour of a stage; the drift
rule (3 standard deviations of the reference chunks' KS statistics, on two
consecutive 500-row chunks) raises a false alarm on about 0.04 % of those
checks, so a rare seed may still halt the "good" scenario on drift. That is
the library's behaviour, reported as an unexpected ending, not hidden.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys
import tempfile
from typing import Any, Dict, List, Optional

import numpy as np

import slipway as sw

MODEL = "fraud-detection"
STABLE = "2.4.0"
CANDIDATE = "2.4.1"
ENDPOINT = "fraud-prod"
FEATURE = "amount"
TICKET = "MLOPS-2024-0456"
DS_LEAD = ("dana@example.com", "data-science-lead")
PLATFORM_LEAD = ("pat@example.com", "platform-lead")
START = "2026-01-05T09:00:00Z"

# Stable behaviour: latencies lognormal around 20 ms (p99 ~ 36 ms), 0.2 %
# errors, 90 % accuracy, 10 % conversion on the A/B metric.
BASE_LATENCY_MS = 20.0
LATENCY_SIGMA = 0.25
BASE_ERROR_RATE = 0.002
BASE_ACCURACY = 0.90
BASE_CONVERSION = 0.10
LABELLED_FRACTION = 0.6

STAGE_ORDER = ["shadow", "canary-1", "canary-2", "ab", "full"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    expected_phase: str
    expect_in_reason: str  # what the final reason must mention
    bad_from: Optional[str] = None  # the stage the candidate misbehaves from
    error_rate: float = BASE_ERROR_RATE
    latency_factor: float = 1.0
    feature_shift: float = 0.0  # in reference standard deviations
    conversion: float = 0.11  # a good candidate converts a little better


SCENARIOS: Dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("good", "a healthy candidate reaches 100%", "COMPLETED", ""),
        Scenario("errors", "3% errors from canary-1 on", "ROLLED_BACK",
                 "error rate guardrail failed", bad_from="canary-1", error_rate=0.03),
        Scenario("latency", "p99 latency 1.8x stable from canary-2 on", "ROLLED_BACK",
                 "latency", bad_from="canary-2", latency_factor=1.8),
        Scenario("drift", "input feature 'amount' shifts in canary-1", "HALTED",
                 f"feature {FEATURE}", bad_from="canary-1", feature_shift=1.0),
    ]
}


@dataclasses.dataclass(frozen=True)
class Mode:
    requests_per_minute: int  # over both versions
    latency_samples: int  # per version per minute, at most one per request
    feature_rows: int  # candidate feature values sampled per minute
    label: str


FULL = Mode(requests_per_minute=60_000, latency_samples=1_000, feature_rows=250, label="full")
QUICK = Mode(requests_per_minute=30_000, latency_samples=300, feature_rows=100, label="quick")


def hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"+{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def pct(x: float) -> str:
    return f"{x * 100:.0f}%" if x * 100 == int(x * 100) else f"{x * 100:g}%"


class Simulation:
    """One scenario: a store, a clock, traffic, and the timeline."""

    def __init__(self, scenario: Scenario, mode: Mode, seed: int, directory: pathlib.Path,
                 emit) -> None:
        self.scenario = scenario
        self.mode = mode
        self.rng = np.random.default_rng(seed)
        self.clock = sw.testing.FakeClock(START)
        self.store = sw.open(directory / "slipway.db", clock=self.clock,
                             policy=sw.Policy(environment="production"),
                             emergency_stop_file=directory / "slipway.STOP")
        self.t0 = self.clock.now()
        self.events: List[Dict[str, Any]] = []
        self.emit = emit
        self.period: Dict[str, Any] = {}
        self._reset_period()

    # --- the timeline ---------------------------------------------------------------

    def elapsed_s(self) -> float:
        return (self.clock.now() - self.t0).total_seconds()

    def event(self, kind: str, text: str, **data: Any) -> None:
        e = {"t_s": int(self.elapsed_s()), "t": hms(self.elapsed_s()), "kind": kind,
             "text": text, **data}
        self.events.append(e)
        self.emit(f"[{e['t']}] {text}")

    # --- setup: everything the SPEC §2 gates read -------------------------------------

    def setup(self) -> None:
        s = self.store
        s.register_model_version(MODEL, STABLE)
        s.register_model_version(MODEL, CANDIDATE)
        s.record_validation(MODEL, CANDIDATE, environment="staging",
                            checks={"accuracy": 0.94, "bias_gap": 0.01, "latency_p99_ms": 12.0},
                            passed=True)
        s.set_approval(MODEL, CANDIDATE, "Approved", actor=PLATFORM_LEAD[0],
                       role=PLATFORM_LEAD[1])
        s.register_endpoint(ENDPOINT, environment="production", model=MODEL, version=STABLE,
                            alert_rules=["accuracy", "latency", "drift"])
        s.register_pipeline(ENDPOINT, "production")
        s.record_pipeline_run(ENDPOINT, True, True, details={"rows": 1_000_000})
        s.register_feature(FEATURE, "float64", min=0, max=10_000)
        # The training distribution of `amount` (dollars), as the reference.
        s.set_drift_reference(ENDPOINT, FEATURE, self._amounts(20_000, shift=0.0))

    def _amounts(self, n: int, shift: float) -> np.ndarray:
        # ~ N(120, 30) dollars, clipped at 0; `shift` in standard deviations.
        return np.clip(self.rng.normal(120.0 + 30.0 * shift, 30.0, n), 0, None)

    # --- one simulated minute of traffic ------------------------------------------------

    def _bad(self, st: sw.RolloutStatus) -> bool:
        """Whether the candidate misbehaves now: from the scenario's stage on
        (the stage in force: while a stage awaits its approval, the one
        before it still serves)."""
        b = self.scenario.bad_from
        if b is None:
            return False
        in_force = st.stage_index - (1 if st.phase == "AWAITING_APPROVAL" else 0)
        return in_force >= STAGE_ORDER.index(b)

    def _version_minute(self, version: str, n: int, bad: bool) -> Dict[str, Any]:
        sc = self.scenario
        rng = self.rng
        error_rate = sc.error_rate if bad else BASE_ERROR_RATE
        factor = sc.latency_factor if bad else 1.0
        conversion = sc.conversion if version == CANDIDATE else BASE_CONVERSION
        k = min(n, self.mode.latency_samples)
        latencies = rng.lognormal(np.log(BASE_LATENCY_MS * factor), LATENCY_SIGMA, k)
        errors = int(rng.binomial(n, error_rate))
        labelled = int(rng.binomial(n, LABELLED_FRACTION))
        correct = int(rng.binomial(labelled, BASE_ACCURACY))
        successes = int(rng.binomial(n, conversion))
        minute = self.clock.now()
        self.store.record_outcomes(ENDPOINT, version, minute, requests=n, errors=errors,
                                   latencies_ms=latencies, predictions=n, labelled=labelled,
                                   correct=correct, trials=n, successes=successes,
                                   replica="replica-1")
        return {"requests": n, "errors": errors, "latencies": latencies}

    def _reset_period(self) -> None:
        self.period = {"minutes": 0, "requests": 0, "errors": 0, "lat": [], "stable_lat": []}

    def minute(self, st: sw.RolloutStatus) -> int:
        """Records one minute at the status' weights, advances the clock a
        minute and ticks; returns the transitions made."""
        n_total = self.mode.requests_per_minute
        w = st.candidate_weight
        n_cand = int(self.rng.binomial(n_total, w)) if 0 < w < 1 else int(n_total * w)
        bad = self._bad(st)
        cand = self._version_minute(CANDIDATE, n_cand, bad) if n_cand else None
        stable = self._version_minute(STABLE, n_total - n_cand, False) if n_cand < n_total else None
        if n_cand:
            shift = self.scenario.feature_shift if bad else 0.0
            self.store.record_feature_samples(ENDPOINT, CANDIDATE, FEATURE,
                                              self._amounts(self.mode.feature_rows, shift),
                                              replica="replica-1")
        p = self.period
        p["minutes"] += 1
        if cand:
            p["requests"] += cand["requests"]
            p["errors"] += cand["errors"]
            p["lat"].append(cand["latencies"])
        if stable:
            p["stable_lat"].append(stable["latencies"])
        self.clock.advance(minutes=1)
        return self.store.tick()

    def traffic_line(self, st: sw.RolloutStatus, now: Optional[sw.RolloutStatus] = None) -> None:
        """One line for the traffic since the last one, served as `st` says;
        the guardrail readings are `now`'s (default `st`'s) when it is still
        the same stage."""
        p = self.period
        if not p["minutes"]:
            return
        now = st if now is None else now
        lat = np.concatenate(p["lat"]) if p["lat"] else np.array([])
        slat = np.concatenate(p["stable_lat"]) if p["stable_lat"] else np.array([])
        p99 = float(np.percentile(lat, 99)) if lat.size else float("nan")
        sp99 = float(np.percentile(slat, 99)) if slat.size else float("nan")
        err = p["errors"] / p["requests"] if p["requests"] else 0.0
        g = now.readings if now.stage == st.stage else None
        extra = ""
        if g is not None:
            if g.error_streak:
                extra += f"  error streak {g.error_streak}/5"
            drift = [d for d in g.drift if d.verdict != "NOT_ENOUGH_DATA"]
            for d in drift:
                sigma = round(d.sigma, 1) + 0.0  # no "-0.0"
                extra += f"  drift {d.feature} {d.verdict.lower()} ({sigma:.1f} sigma)"
        where = f"stage {st.stage} ({pct(st.candidate_weight)})"
        if st.phase == "AWAITING_APPROVAL":
            where = f"awaiting {st.stage} ({pct(st.candidate_weight)})"
        stable = f"{sp99:.0f} ms" if slat.size else "no traffic"
        # SPEC §3's error rule, marked for the reader (the controller's own
        # count is the "error streak" it reports).
        over = " (> 2%)" if p["minutes"] == 1 and err > 0.02 else ""
        text = (f"{where:<24} requests {p['requests']:>9,}  errors {err * 100:.1f}%{over}  "
                f"p99 {p99:.0f} ms (stable {stable}){extra}")
        self.event("traffic", text, stage=st.stage, phase=st.phase,
                   candidate_weight=st.candidate_weight, minutes=p["minutes"],
                   requests=p["requests"], errors=p["errors"], error_rate=err,
                   p99_ms=p99, stable_p99_ms=sp99,
                   error_streak=g.error_streak if g else 0)
        self._reset_period()

    # --- the run ------------------------------------------------------------------------

    def _report_every(self, st: sw.RolloutStatus) -> int:
        if self._bad(st):
            return 1  # show every minute once the candidate misbehaves
        return {"canary-1": 5, "canary-2": 15}.get(st.stage, 1)

    def run(self) -> Dict[str, Any]:
        sc = self.scenario
        self.setup()
        rollout = self.store.deploy(MODEL, CANDIDATE, endpoint=ENDPOINT, change_ticket=TICKET,
                                    actor="alice@example.com", role="data-scientist")
        st = rollout.status()
        self.event("deploy", f"deploy {MODEL} {CANDIDATE} on {ENDPOINT} (ticket {TICKET}); "
                             f"rollback plan: {st.rollback_version} at 100%",
                   rollback_version=st.rollback_version)
        self.event("stage", f"stage {st.stage}: predictions mirrored, 0% served "
                            f"(24 h observation, played in hourly steps)", stage=st.stage,
                   candidate_weight=0.0)
        last = (st.phase, st.stage)
        waiting_since: Optional[float] = None
        for _ in range(60 * 24 * 8):  # at most 8 simulated days
            if not st.active or st.phase == "HALTED":
                break
            if st.phase == "AWAITING_APPROVAL":
                if waiting_since is None:
                    waiting_since = self.elapsed_s()
                    self.traffic_line(st)
                    self.event("gate", f"waiting: {st.next_gate} ({st.last_reason})",
                               stage=st.stage, reason=st.last_reason)
                elif self.elapsed_s() - waiting_since >= 600:
                    # The lead reviewed the readings for 10 minutes.
                    actor, role = DS_LEAD if st.stage == "canary-2" else PLATFORM_LEAD
                    self.traffic_line(st)
                    st = rollout.approve(st.stage, actor=actor, role=role)
                    self.event("approval", f"approved {st.stage} by {actor} ({role})",
                               stage=st.stage, actor=actor, role=role)
                    self._transition(st)
                    last = (st.phase, st.stage)
                    waiting_since = None
                    continue
            served = st
            if st.stage == "shadow" and st.phase == "IN_STAGE":
                self.clock.advance(hours=1)
                self.store.tick()
                hour = int(self.elapsed_s() // 3600)
                if hour % 6 == 0:
                    self.event("traffic", f"stage shadow (0%)           mirrored, nothing served "
                                          f"by {CANDIDATE} (hour {hour} of 24)", stage="shadow")
            else:
                self.minute(served)
            st = rollout.status()
            if (st.phase, st.stage) != last or not st.active:
                self.traffic_line(served, st)
                self._transition(st)
                last = (st.phase, st.stage)
            elif self.period["minutes"] >= self._report_every(st):
                self.traffic_line(st)
        if st.phase == "HALTED":
            # Show that it holds: 30 more minutes of traffic, no step.
            self._reset_period()
            gen = self.store.routing(ENDPOINT).generation
            steps = sum(self.minute(st) for _ in range(30))
            held = self.store.routing(ENDPOINT).generation == gen
            self.traffic_line(st)
            self.event("hold", f"still halted after 30 more minutes: {steps} steps taken, "
                               f"weight held at {pct(st.candidate_weight)}"
                               f"{'' if held else ' (ROUTING CHANGED)'}; the drift alert stays "
                               f"active on {ENDPOINT} until a person resumes or rolls back",
                       steps=steps, weight_held=held)
        ok = st.phase == sc.expected_phase and sc.expect_in_reason in st.last_reason
        return {
            "scenario": sc.name,
            "title": sc.title,
            "expected_phase": sc.expected_phase,
            "expected_reason": sc.expect_in_reason,
            "phase": st.phase,
            "stage": st.stage,
            "candidate_weight": st.candidate_weight,
            "halt_cause": st.halt_cause,
            "reason": st.last_reason,
            "simulated_s": int(self.elapsed_s()),
            "ok": ok,
            "events": self.events,
        }

    def _transition(self, st: sw.RolloutStatus) -> None:
        if st.phase == "IN_STAGE":
            self.event("stage", f"stage {st.stage} entered: {pct(st.candidate_weight)} of "
                                f"traffic to {CANDIDATE} ({st.last_reason})", stage=st.stage,
                       candidate_weight=st.candidate_weight, reason=st.last_reason)
        elif st.phase == "AWAITING_APPROVAL":
            pass  # reported by the run loop with the gate it waits for
        elif st.phase == "HALTED":
            self.event("halt", f"HALTED ({st.halt_cause}) in stage {st.stage} at "
                               f"{pct(st.candidate_weight)}: {st.last_reason}",
                       stage=st.stage, halt_cause=st.halt_cause, reason=st.last_reason)
        else:
            self.event(st.phase.lower(), f"{st.phase}: {st.last_reason}", stage=st.stage,
                       reason=st.last_reason)


def summary_line(r: Dict[str, Any]) -> str:
    verdict = "ok" if r["ok"] else f"UNEXPECTED (expected {r['expected_phase']})"
    where = f"in stage {r['stage']} at {pct(r['candidate_weight'])}"
    if r["phase"] == "COMPLETED":
        where = "at 100%"
    elif r["phase"] == "ROLLED_BACK":
        where = f"from stage {r['stage']}"
    return (f"summary {r['scenario']:<8} {r['phase']:<12} {where:<24} after "
            f"{hms(r['simulated_s'])[1:]} simulated  -- {verdict}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Simulate guarded rollouts with synthetic traffic (simulated time).")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                        help="a scenario to run (repeatable); default: all")
    parser.add_argument("--quick", action="store_true",
                        help="less traffic per minute (CI); the same outcomes")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed (default 7)")
    parser.add_argument("--json", action="store_true",
                        help="print the results and events as JSON instead of a timeline")
    args = parser.parse_args(argv)
    names = args.scenario or list(SCENARIOS)
    mode = QUICK if args.quick else FULL

    def emit(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    results = []
    for name in dict.fromkeys(names):
        sc = SCENARIOS[name]
        # Each scenario has its own stream, whichever others run.
        seed = args.seed + list(SCENARIOS).index(name)
        emit(f"== scenario {name}: {sc.title} (expected: {sc.expected_phase}; "
             f"{mode.label} mode, seed {args.seed})")
        with tempfile.TemporaryDirectory(prefix="slipway-sim-") as d:
            sim = Simulation(sc, mode, seed, pathlib.Path(d), emit)
            try:
                results.append(sim.run())
            finally:
                del sim  # closes the store before its directory goes
        emit(summary_line(results[-1]))
        emit("")
    failed = [r for r in results if not r["ok"]]
    if args.json:
        json.dump({"ok": not failed, "mode": mode.label, "seed": args.seed,
                   "scenarios": results}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(summary_line(r))
    for r in failed:
        print(f"simulate_rollout: scenario {r['scenario']} ended {r['phase']} "
              f"(expected {r['expected_phase']}"
              f"{', mentioning ' + repr(r['expected_reason']) if r.get('expected_reason') else ''})"
              f": {r['reason']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
