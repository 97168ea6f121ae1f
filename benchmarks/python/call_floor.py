#!/usr/bin/env python3
"""The floor of a Python call, measured in one run (issue 3's yardstick).

Rates of calling, with log_metric's arguments ("loss", v, step=i):
  - a no-op C function registered with METH_FASTCALL | METH_KEYWORDS
    (vectorcall): the physical floor of a Python call;
  - the same no-op through pybind11's generic dispatch;
  - a no-op pure-Python function, for scale.

Reports the median of --repeats runs of --n calls each, and the ratios,
all measured in this one process (the machines are shared and noisy:
compare ratios, not absolute rates).

    PYTHONPATH=python python3 benchmarks/python/call_floor.py [--n 2000000] [--repeats 7] [--json]
"""

import argparse
import json
import platform
import statistics
import time

from slipway import _slipway


def py_noop(key, value, step=None):
    return None


def rate(fn, n):
    """Calls per second of fn("loss", v, step=i) over n calls."""
    t0 = time.perf_counter()
    for i in range(n):
        fn("loss", 0.5, step=i)
    return n / (time.perf_counter() - t0)


def loop_rate(n):
    """The bare loop, to subtract nothing but to show the loop's own cost."""
    t0 = time.perf_counter()
    for i in range(n):
        pass
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    fns = {
        "noop_fastcall": _slipway._bench.noop_fastcall,
        "noop_pybind": _slipway._bench.noop_pybind,
        "noop_python": py_noop,
    }
    samples = {name: [] for name in fns}
    samples["empty_loop"] = []
    for _ in range(args.repeats):  # interleaved, so noise hits all alike
        for name, fn in fns.items():
            samples[name].append(rate(fn, args.n))
        samples["empty_loop"].append(loop_rate(args.n))
    med = {name: statistics.median(v) for name, v in samples.items()}
    result = {
        "python": platform.python_version(),
        "n": args.n,
        "repeats": args.repeats,
        "median_calls_per_s": med,
        "ratio_pybind_to_fastcall": med["noop_pybind"] / med["noop_fastcall"],
        "ratio_python_to_fastcall": med["noop_python"] / med["noop_fastcall"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Python {result['python']}, {args.n:,} calls x {args.repeats} repeats (median)")
    for name, r in med.items():
        print(f"  {name:<14} {r / 1e6:8.2f} M calls/s")
    print(f"  pybind11 / vectorcall floor: {result['ratio_pybind_to_fastcall']:.2f}")
    print(f"  pure Python / vectorcall floor: {result['ratio_python_to_fastcall']:.2f}")


if __name__ == "__main__":
    main()
