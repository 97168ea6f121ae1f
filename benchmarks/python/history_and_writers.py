#!/usr/bin/env python3
"""Two issue-3 workloads from Python, on a file store, medians of --repeats.

1. metric_history of a 1M-point metric into numpy (the read a plot does):
   steps, timestamps and values as int64/int64/float64 arrays.
2. 4 processes x 1M points each into ONE SQLite file at once: the aggregate
   rate (total points / wall time from start to the last process's end,
   every point flushed), then a check that every point is present.

    PYTHONPATH=python /usr/bin/python3 benchmarks/python/history_and_writers.py
"""

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time

import numpy as np

import slipway as sw


def history(path, repeats, n):
    store = sw.open(path)
    with store.start_run(experiment="history") as run:
        steps = np.arange(n, dtype=np.int64)
        values = np.exp(-steps / 1e5) + np.random.default_rng(0).normal(0, 0.01, n)
        run.log_metric_array("loss", values, steps=steps)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s, ts, v = store.metric_history(run.id, "loss")
        times.append(time.perf_counter() - t0)
        assert len(v) == n and s.dtype == np.int64 and v.dtype == np.float64
    return statistics.median(times)


def writer(path, n, barrier, out):
    store = sw.open(path)
    barrier.wait()
    with store.start_run(experiment="writers") as run:
        log = run.log_metric
        for i in range(n):
            log("loss", 0.5, step=i)
    out.put(run.id)


def writers(path, processes, n):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes + 1, timeout=120)
    out = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(path, n, barrier, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    ids = [out.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
        assert p.exitcode == 0, p.exitcode
    store = sw.open(path)
    for run_id in ids:
        _, _, v = store.metric_history(run_id, "loss")
        assert len(v) == n, (run_id, len(v))
        assert store.get_run(run_id).status == "FINISHED"
    return processes * n / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--processes", type=int, default=4)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        h = history(os.path.join(d, "history.db"), args.repeats, args.points)
        rates = [
            writers(os.path.join(d, f"writers{i}.db"), args.processes, args.points)
            for i in range(max(1, args.repeats // 2))
        ]
    print(f"Python {platform.python_version()}, load average {load:.2f} at start")
    print(f"metric_history of {args.points:,} points into numpy: {h * 1e3:.1f} ms (median of {args.repeats})")
    print(f"{args.processes} processes x {args.points:,} points into one file: "
          f"{statistics.median(rates) / 1e6:.2f} M points/s aggregate (median of {len(rates)}), every point present")


if __name__ == "__main__":
    main()
