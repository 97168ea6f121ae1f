#!/usr/bin/env python3
"""Python metric logging throughput, persistence included (issue 3).

In one process, interleaved repeats (noise hits every variant alike),
medians of --repeats:

  floor            _slipway._bench.noop_fastcall("loss", v, step=i): the
                   physical floor of a Python call (call_floor.py)
  run._noop        run._noop("loss", v, step=i): a method of the same Run
                   that parses log_metric's arguments and returns (the floor
                   of a method call; the difference to `floor` is CPython's
                   method-call path)
  run.log_metric   run.log_metric("loss", v, step=i) on a file store, then
                   run.flush() (inside the timing)
  run.log_metric+ts  the same with timestamp= given: the difference is the
                   cost of reading the store clock once per call
  sw.log_metric    the module-level call on the active run, then flush
  run.log_metrics  run.log_metrics({"loss": v, "acc": v}, step=i), then
                   flush (rate in points: 2 per call)
  log_metric_array run.log_metric_array("loss", values) of --array-n points
                   (steps and timestamps defaulted), then flush

Targets (issue 3 / design 0002): run.log_metric >= 40 % of the floor and
>= 3 M points/s; log_metric_array >= 50 M points/s.

    PYTHONPATH=python python3 benchmarks/python/log_metric.py [--n 2000000]
        [--array-n 10000000] [--repeats 5] [--dir /tmp] [--json]
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import numpy as np

import slipway as sw
from slipway import _slipway


def floor(n, _store):
    f = _slipway._bench.noop_fastcall
    v = 0.5
    t0 = time.perf_counter()
    for i in range(n):
        f("loss", v, step=i)
    return n / (time.perf_counter() - t0)


def run_noop(n, store):
    run = store.start_run(experiment="bench")
    v = 0.5
    t0 = time.perf_counter()
    for i in range(n):
        run._noop("loss", v, step=i)
    rate = n / (time.perf_counter() - t0)
    run.end()
    return rate


def run_log_metric(n, store):
    run = store.start_run(experiment="bench")
    v = 0.5
    t0 = time.perf_counter()
    for i in range(n):
        run.log_metric("loss", v, step=i)
    run.flush()
    rate = n / (time.perf_counter() - t0)
    run.end()
    return rate


def run_log_metric_ts(n, store):
    run = store.start_run(experiment="bench")
    v = 0.5
    ts = 1_767_225_600_000
    t0 = time.perf_counter()
    for i in range(n):
        run.log_metric("loss", v, step=i, timestamp=ts)
    run.flush()
    rate = n / (time.perf_counter() - t0)
    run.end()
    return rate


def module_log_metric(n, store):
    run = store.start_run(experiment="bench")
    log_metric = sw.log_metric
    v = 0.5
    t0 = time.perf_counter()
    for i in range(n):
        log_metric("loss", v, step=i)
    run.flush()
    rate = n / (time.perf_counter() - t0)
    run.end()
    return rate


def run_log_metrics(n, store):
    run = store.start_run(experiment="bench")
    v = 0.5
    calls = n // 2
    t0 = time.perf_counter()
    for i in range(calls):
        run.log_metrics({"loss": v, "acc": v}, step=i)
    run.flush()
    rate = 2 * calls / (time.perf_counter() - t0)
    run.end()
    return rate


def make_array_bench(values):
    def log_metric_array(_n, store):
        run = store.start_run(experiment="bench")
        t0 = time.perf_counter()
        run.log_metric_array("loss", values)
        run.flush()
        rate = values.size / (time.perf_counter() - t0)
        run.end()
        return rate

    return log_metric_array


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "loadavg": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--array-n", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where the store file goes (default: a temp dir)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    values = np.random.default_rng(0).standard_normal(args.array_n)
    benches = {
        "floor": floor,
        "run._noop": run_noop,
        "run.log_metric": run_log_metric,
        "run.log_metric+ts": run_log_metric_ts,
        "sw.log_metric": module_log_metric,
        "run.log_metrics": run_log_metrics,
        "log_metric_array": make_array_bench(values),
    }
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        store = sw.open(os.path.join(d, "bench.db"))
        load_before = os.getloadavg()
        samples = {name: [] for name in benches}
        for _ in range(args.repeats):
            for name, fn in benches.items():
                samples[name].append(fn(args.n, store))
        med = {name: statistics.median(v) for name, v in samples.items()}
    f = med["floor"]
    result = {
        "python": platform.python_version(),
        "machine": machine(),
        "load_before": load_before,
        "n": args.n,
        "array_n": args.array_n,
        "repeats": args.repeats,
        "median_per_s": med,
        "ratio_to_floor": {k: v / f for k, v in med.items()},
        "clock_read_ns": 1e9 / med["run.log_metric"] - 1e9 / med["run.log_metric+ts"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["machine"]
    print(f"Python {result['python']}, {m['nproc']} x {m['cpu']}, load {load_before[0]:.2f} "
          f"before / {m['loadavg'][0]:.2f} after")
    print(f"n = {args.n:,} calls, array = {args.array_n:,} points, median of {args.repeats}")
    for name, r in med.items():
        unit = "M calls/s" if name == "floor" else "M points/s"
        print(f"  {name:<18} {r / 1e6:8.2f} {unit:<11} {r / f:6.2f} x floor  "
              f"({1e9 / r:6.1f} ns each)")
    print(f"  clock read per call: {result['clock_read_ns']:.1f} ns")


if __name__ == "__main__":
    main()
