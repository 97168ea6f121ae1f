#!/usr/bin/env python3
"""The Python Router's hot path, against the call floor, in one run.

Rates (calls per second, median of --repeats runs of --n calls each,
interleaved so the machine's noise hits all alike):
  - noop_fastcall("user-123", 8.2, step=i): a vectorcall no-op, the floor
    of a Python call with three arguments;
  - noop_pybind(...): the same no-op through pybind11's generic dispatch;
  - router.route("user-123"): a sticky routing decision (returns a
    RouteDecision);
  - router.route(12345): the integer-key form;
  - router.record(decision, 8.2, False): one outcome;
  - router.record("candidate", 8.2, False): the string-variant form.
The router belongs to a store file with an endpoint in a 10 % canary and no
background thread (the thread does not touch the hot path).

    PYTHONPATH=python python3 benchmarks/python/router.py [--n 1000000] [--repeats 7] [--json]
"""

import argparse
import json
import platform
import statistics
import tempfile
import time

import slipway as sw
from slipway import _slipway


def timed(body, n):
    t0 = time.perf_counter()
    body(n)
    return n / (time.perf_counter() - t0)


def make_store(path):
    clock = sw.testing.FakeClock("2026-01-01T00:00:00Z")
    store = sw.open(path, clock=clock, policy=sw.Policy(environment="staging"))
    store.register_model_version("bench-model", "1.0.0")
    store.register_model_version("bench-model", "2.0.0")
    store.register_endpoint("bench-prod", environment="staging", model="bench-model", version="1.0.0",
                            alert_rules=["accuracy", "latency", "drift"])
    plan = {"stages": [{"name": "canary", "candidate_weight": 0.1,
                        "min_observation_seconds": 600},
                       {"name": "full", "candidate_weight": 1.0}]}
    store.deploy("bench-model", "2.0.0", endpoint="bench-prod", plan=plan)
    return store


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(f"{tmp}/bench.db")
        router = store.router("bench-prod", background=False)
        fast, pyb = _slipway._bench.noop_fastcall, _slipway._bench.noop_pybind
        route, record = router.route, router.record
        d = route("user-123")

        def b_fast(n):
            for i in range(n):
                fast("user-123", 8.2, step=i)

        def b_pybind(n):
            for i in range(n):
                pyb("user-123", 8.2, step=i)

        def b_route(n):
            for _ in range(n):
                route("user-123")

        def b_route_int(n):
            for i in range(n):
                route(i)

        def b_record(n):
            for _ in range(n):
                record(d, 8.2, False)

        def b_record_str(n):
            for _ in range(n):
                record("candidate", 8.2, False)

        benches = {"noop_fastcall": b_fast, "noop_pybind": b_pybind,
                   "route(str)": b_route, "route(int)": b_route_int,
                   "record(decision)": b_record, "record(str)": b_record_str}
        samples = {k: [] for k in benches}
        for _ in range(args.repeats):
            for name, body in benches.items():
                samples[name].append(timed(body, args.n))
        router.close()
    med = {k: statistics.median(v) for k, v in samples.items()}
    result = {"python": platform.python_version(), "n": args.n, "repeats": args.repeats,
              "median_calls_per_s": med,
              "ratio_to_fastcall": {k: v / med["noop_fastcall"] for k, v in med.items()},
              "ratio_to_pybind": {k: v / med["noop_pybind"] for k, v in med.items()}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Python {result['python']}, {args.n:,} calls x {args.repeats} repeats (median)")
    print(f"  {'call':<18}{'M calls/s':>10}{'ns/call':>9}{'/ fastcall':>12}{'/ pybind':>10}")
    for k, v in med.items():
        print(f"  {k:<18}{v / 1e6:>10.2f}{1e9 / v:>9.0f}"
              f"{result['ratio_to_fastcall'][k]:>12.2f}{result['ratio_to_pybind'][k]:>10.2f}")


if __name__ == "__main__":
    main()
