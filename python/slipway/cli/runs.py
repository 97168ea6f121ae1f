"""``slipway runs``: list, show and compare tracked runs."""

from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Optional, Sequence

from . import fmt

# Metric columns `runs list` shows at most (those the filter and the
# ordering name first, then the others by name).
MAX_METRIC_COLUMNS = 6


def register(nouns, parents) -> None:
    p = nouns.add_parser("runs", help="tracked runs: list, show, compare",
                         description="Tracked runs.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    q = verbs.add_parser("list", parents=parents, help="search runs",
                         description="Runs matching a filter, in an order (docs/search.md).")
    q.add_argument("--experiment", "-e", action="append", metavar="NAME",
                   help="only runs of this experiment (repeatable; default: every experiment)")
    q.add_argument("--filter", "-f", default="", metavar="EXPR",
                   help="e.g. \"metrics.acc > 0.9 and params.lr = '0.01'\"")
    q.add_argument("--order-by", "-o", action="extend", nargs="+", default=[], metavar="KEY",
                   help="e.g. \"metrics.acc DESC\" (several: a tie-breaker each)")
    q.add_argument("--max", "-n", type=_positive, default=None, metavar="N",
                   help="at most N runs (default: the store's page size)")
    q.add_argument("--page-token", default=None, metavar="TOKEN",
                   help="the next page of an earlier listing (its next_page_token)")
    q.set_defaults(func=cmd_list)

    s = verbs.add_parser("show", parents=parents, help="one run: params, tags, metrics",
                         description="A run with its params, tags and metric summaries.")
    s.add_argument("run_id", metavar="RUN_ID")
    s.set_defaults(func=cmd_show)

    c = verbs.add_parser("compare", parents=parents, help="runs side by side",
                         description="Params and last metric values of runs side by side; "
                                     "rows that differ are marked with '*'.")
    c.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    c.set_defaults(func=cmd_compare)


def _positive(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


# --- shapes ----------------------------------------------------------------------------


def _experiment_names(store) -> Dict[int, str]:
    return {e.experiment_id: e.name for e in store.list_experiments()}


def run_doc(run, experiments: Dict[int, str]) -> Dict[str, Any]:
    """The JSON shape of a run (``metrics``: last values)."""
    return {
        "run_id": run.run_id,
        "name": run.name,
        "experiment": experiments.get(run.experiment_id),
        "experiment_id": run.experiment_id,
        "status": run.status,
        "user": run.user,
        "start_time": fmt.iso_json(run.start_ms),
        "end_time": fmt.iso_json(run.end_ms),
        "start_ms": run.start_ms,
        "end_ms": run.end_ms,
        "parent_run_id": run.parent_run_id,
        "source_path": run.source_path,
        "source_git_commit": run.source_git_commit,
        "params": dict(sorted(run.params.items())),
        "tags": dict(sorted(run.tags.items())),
        "metrics": dict(sorted(run.metrics.items())),
    }


def _metric_columns(runs, filter_text: str, order_by: Sequence[str]) -> List[str]:
    named = re.findall(r"metrics\.([A-Za-z0-9_\-./ ]+?)(?=\s*(?:[<>=!]|\bDESC\b|\bASC\b|$))",
                       " ".join([filter_text, *order_by]))
    wanted: List[str] = []
    present = sorted({k for r in runs for k in r.metrics})
    for key in [k.strip() for k in named] + present:
        if key in present and key not in wanted:
            wanted.append(key)
    return wanted[:MAX_METRIC_COLUMNS]


# --- commands -------------------------------------------------------------------------


def cmd_list(ctx) -> int:
    a = ctx.args
    store = ctx.store
    page = store.search_runs(experiment=a.experiment, filter=a.filter, order_by=a.order_by,
                             max_results=a.max, page_token=a.page_token)
    experiments = _experiment_names(store)
    doc = {"runs": [run_doc(r, experiments) for r in page],
           "next_page_token": page.next_page_token}

    def human(out):
        if not page:
            out.write("no runs match\n")
            return
        metrics = _metric_columns(page, a.filter, a.order_by)
        # Metric keys are case-sensitive: their columns keep their spelling.
        headers = ["RUN_ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", "USER", *metrics]
        rows = [[r.run_id, experiments.get(r.experiment_id, r.experiment_id), r.name or "-",
                 r.status, fmt.iso(r.start_ms), r.user] + [r.metrics.get(m) for m in metrics]
                for r in page]
        fmt.table(headers, rows, out, right=range(6, 6 + len(metrics)))
        if page.next_page_token:
            out.write(f"\nmore runs: --page-token {page.next_page_token}\n")

    ctx.emit(doc, human)
    return 0


def _summaries(store, run) -> Dict[str, Dict[str, Any]]:
    """Per metric: last value and step, min and max (NaN left out), and how
    many points, from the metric's history. Without numpy only the last
    value is known."""
    out: Dict[str, Dict[str, Any]] = {}
    for key, last in sorted(run.metrics.items()):
        summary: Dict[str, Any] = {"last": last, "last_step": None, "min": None,
                                   "max": None, "count": None}
        try:
            steps, _, values = store.metric_history(run.run_id, key)
        except ImportError:  # metric_history returns numpy arrays
            out[key] = summary
            continue
        vals = [float(v) for v in values.tolist()]
        finite = [v for v in vals if not math.isnan(v)]
        summary.update(
            last_step=int(steps[-1]) if len(steps) else None,
            min=min(finite) if finite else None,
            max=max(finite) if finite else None,
            count=len(vals),
        )
        out[key] = summary
    return out


def cmd_show(ctx) -> int:
    store = ctx.store
    run = store.get_run(ctx.args.run_id)
    experiments = _experiment_names(store)
    doc = run_doc(run, experiments)
    summaries = _summaries(store, run)
    doc["metrics"] = summaries

    def human(out):
        duration = None
        if run.end_ms is not None:
            duration = fmt.duration((run.end_ms - run.start_ms) / 1000)
        fmt.fields([
            ("run", run.run_id),
            ("name", run.name or "-"),
            ("experiment", experiments.get(run.experiment_id, run.experiment_id)),
            ("status", run.status),
            ("user", run.user),
            ("started", fmt.iso(run.start_ms)),
            ("ended", fmt.iso(run.end_ms)),
            ("duration", duration),
            ("parent", run.parent_run_id),
            ("source", run.source_path or None),
            ("git commit", run.source_git_commit or None),
        ], out)
        fmt.section("params", out)
        if run.params:
            fmt.table(["KEY", "VALUE"], sorted(run.params.items()), out, indent="  ")
        else:
            out.write("  (none)\n")
        fmt.section("tags", out)
        if run.tags:
            fmt.table(["KEY", "VALUE"], sorted(run.tags.items()), out, indent="  ")
        else:
            out.write("  (none)\n")
        fmt.section("metrics", out)
        if summaries:
            fmt.table(["KEY", "LAST", "STEP", "MIN", "MAX", "POINTS"],
                      [[k, s["last"], s["last_step"], s["min"], s["max"], s["count"]]
                       for k, s in summaries.items()], out, right=range(1, 6), indent="  ")
        else:
            out.write("  (none)\n")

    ctx.emit(doc, human)
    return 0


def _same(values: Sequence[Any]) -> bool:
    def norm(v):
        return "nan" if isinstance(v, float) and math.isnan(v) else v

    return len({repr(norm(v)) for v in values}) <= 1


def cmd_compare(ctx) -> int:
    from . import CliError

    ids: List[str] = ctx.args.run_ids
    if len(ids) < 2:
        raise CliError("runs compare needs at least two run ids")
    store = ctx.store
    runs = [store.get_run(i) for i in ids]
    experiments = _experiment_names(store)
    rows: List[Dict[str, Any]] = []

    def add(field: str, values: List[Any]) -> None:
        rows.append({"field": field, "values": values, "differs": not _same(values)})

    add("name", [r.name for r in runs])
    add("experiment", [experiments.get(r.experiment_id) for r in runs])
    add("status", [r.status for r in runs])
    for key in sorted({k for r in runs for k in r.params}):
        add(f"params.{key}", [r.params.get(key) for r in runs])
    for key in sorted({k for r in runs for k in r.metrics}):
        add(f"metrics.{key}", [r.metrics.get(key) for r in runs])
    doc = {"run_ids": [r.run_id for r in runs], "rows": rows}

    def human(out):
        headers = [" ", "FIELD"] + [r.run_id[:12] for r in runs]
        fmt.table(headers, [["*" if row["differs"] else "", row["field"], *row["values"]]
                            for row in rows], out)
        differing = sum(row["differs"] for row in rows)
        out.write(f"\n{differing} of {len(rows)} rows differ (*)\n")

    ctx.emit(doc, human)
    return 0
