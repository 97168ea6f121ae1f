"""``slipway models``: registered models, their versions and lineage."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from . import fmt


def register(nouns, parents) -> None:
    p = nouns.add_parser("models", help="the model registry: list, show, lineage",
                         description="Registered models and their versions.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    q = verbs.add_parser("list", parents=parents, help="every registered model")
    q.set_defaults(func=cmd_list)

    s = verbs.add_parser(
        "show", parents=parents, help="a model's versions, or one version",
        description="Without VERSION: the model and its versions. With VERSION (a version, an "
                    "alias or 'latest'): that version's approval history, validations, "
                    "artifacts and datasets.")
    s.add_argument("name", metavar="NAME")
    s.add_argument("version", nargs="?", metavar="VERSION")
    s.set_defaults(func=cmd_show)

    g = verbs.add_parser(
        "lineage", parents=parents, help="where a version came from, or what a run produced",
        description="'lineage NAME VERSION': the run (params, metrics, tags) and datasets a "
                    "version came from. 'lineage --run RUN_ID': the versions registered from "
                    "a run.")
    g.add_argument("name", nargs="?", metavar="NAME")
    g.add_argument("version", nargs="?", metavar="VERSION")
    g.add_argument("--run", metavar="RUN_ID", help="the versions registered from this run")
    g.set_defaults(func=cmd_lineage)


# --- shapes --------------------------------------------------------------------------


def _validation_summary(validations) -> Dict[str, bool]:
    """The newest verdict per environment (what the gates read)."""
    newest: Dict[str, bool] = {}
    for v in validations:  # oldest first
        newest[v.environment] = v.passed
    return newest


def version_doc(mv) -> Dict[str, Any]:
    """The JSON shape of a model version."""
    return {
        "model": mv.model,
        "version": mv.version,
        "run_id": mv.run_id,
        "approval": mv.approval,
        "archived": mv.archived,
        "aliases": list(mv.aliases),
        "tags": dict(mv.tags),
        "artifacts": [dataclasses.asdict(a) for a in mv.artifacts],
        "datasets": [dataclasses.asdict(d) for d in mv.datasets],
        "code_version": mv.code_version,
        "description": mv.description,
        "metadata": mv.metadata,
        "signature": mv.signature,
        "created": fmt.iso_json(mv.created_ms),
        "created_ms": mv.created_ms,
        "created_by": mv.created_by,
    }


def model_doc(m, versions) -> Dict[str, Any]:
    live = [v for v in versions if not v.archived]
    return {
        "name": m.name,
        "description": m.description,
        "tags": dict(m.tags),
        "scheme": m.scheme,
        "aliases": dict(sorted(m.aliases.items())),
        "versions": len(versions),
        "latest_version": live[-1].version if live else None,
        "created": fmt.iso_json(m.created_ms),
        "updated": fmt.iso_json(m.updated_ms),
        "created_ms": m.created_ms,
        "updated_ms": m.updated_ms,
    }


def _aliases(aliases: Dict[str, str]) -> str:
    return ", ".join(f"{a}={v}" for a, v in sorted(aliases.items())) or "-"


def _verdicts(summary: Dict[str, bool]) -> str:
    return ", ".join(f"{env}:{'passed' if ok else 'FAILED'}"
                     for env, ok in sorted(summary.items())) or "-"


# --- commands --------------------------------------------------------------------------


def cmd_list(ctx) -> int:
    store = ctx.store
    models = [(m, store.list_model_versions(m.name)) for m in store.list_models()]
    doc = {"models": [model_doc(m, vs) for m, vs in models]}

    def human(out):
        if not models:
            out.write("no models registered\n")
            return
        rows = []
        for m, vs in models:
            d = model_doc(m, vs)
            rows.append([m.name, d["versions"], d["latest_version"], _aliases(m.aliases),
                         fmt.iso(m.updated_ms)])
        fmt.table(["NAME", "VERSIONS", "LATEST", "ALIASES", "UPDATED"], rows, out, right=[1])

    ctx.emit(doc, human)
    return 0


def cmd_show(ctx) -> int:
    if ctx.args.version is None:
        return _show_model(ctx)
    return _show_version(ctx)


def _show_model(ctx) -> int:
    store = ctx.store
    name = ctx.args.name
    m = store.get_model(name)
    versions = store.list_model_versions(name)
    validations = {v.version: _validation_summary(store.validations(name, v.version))
                   for v in versions}
    doc = model_doc(m, versions)
    doc["versions"] = [dict(version_doc(v), validations=validations[v.version])
                       for v in versions]

    def human(out):
        fmt.fields([
            ("model", m.name),
            ("description", m.description or None),
            ("scheme", m.scheme),
            ("aliases", _aliases(m.aliases)),
            ("tags", ", ".join(f"{k}={v}" for k, v in sorted(m.tags.items())) or None),
            ("created", fmt.iso(m.created_ms)),
            ("updated", fmt.iso(m.updated_ms)),
        ], out)
        fmt.section("versions", out)
        if not versions:
            out.write("  (none)\n")
            return
        fmt.table(
            ["VERSION", "APPROVAL", "ALIASES", "VALIDATIONS", "RUN", "CREATED", "BY"],
            [[v.version + (" (archived)" if v.archived else ""), v.approval,
              ", ".join(v.aliases) or "-", _verdicts(validations[v.version]),
              v.run_id, fmt.iso(v.created_ms), v.created_by] for v in versions],
            out, indent="  ")

    ctx.emit(doc, human)
    return 0


def _show_version(ctx) -> int:
    store = ctx.store
    name = ctx.args.name
    mv = store.get_model_version(name, ctx.args.version)
    history = store.approval_history(name, mv.version)
    validations = store.validations(name, mv.version)
    doc = version_doc(mv)
    doc["approval_history"] = [dict(dataclasses.asdict(e), at=fmt.iso_json(e.at_ms))
                               for e in history]
    doc["validations"] = [dict(dataclasses.asdict(v), recorded=fmt.iso_json(v.recorded_ms))
                          for v in validations]

    def human(out):
        fmt.fields([
            ("model", mv.model),
            ("version", mv.version + (" (archived)" if mv.archived else "")),
            ("approval", mv.approval),
            ("aliases", ", ".join(mv.aliases) or None),
            ("run", mv.run_id),
            ("code version", mv.code_version or None),
            ("description", mv.description or None),
            ("tags", ", ".join(f"{k}={v}" for k, v in sorted(mv.tags.items())) or None),
            ("created", fmt.iso(mv.created_ms)),
            ("created by", mv.created_by),
        ], out)
        fmt.section("approval history", out)
        if history:
            fmt.table(["AT", "FROM", "TO", "ACTOR", "ROLE", "ENVIRONMENT", "REASON"],
                      [[fmt.iso(e.at_ms), e.from_status, e.to_status, e.actor,
                        e.role or "-", e.environment or "-", e.reason or "-"]
                       for e in history], out, indent="  ")
        else:
            out.write("  (none)\n")
        fmt.section("validations", out)
        if validations:
            fmt.table(["RECORDED", "ENVIRONMENT", "RESULT", "CHECKS", "BY"],
                      [[fmt.iso(v.recorded_ms), v.environment,
                        "passed" if v.passed else "FAILED",
                        ", ".join(f"{k}={fmt.num(x)}" for k, x in sorted(v.checks.items()))
                        or "-", v.actor] for v in validations], out, indent="  ")
        else:
            out.write("  (none)\n")
        fmt.section("artifacts", out)
        if mv.artifacts:
            fmt.table(["PATH", "SIZE", "DIGEST"],
                      [[a.path, a.size_bytes, a.digest] for a in mv.artifacts], out,
                      right=[1], indent="  ")
        else:
            out.write("  (none)\n")
        fmt.section("datasets", out)
        if mv.datasets:
            fmt.table(["PATH", "DIGEST"], [[d.path, d.digest or "-"] for d in mv.datasets],
                      out, indent="  ")
        else:
            out.write("  (none)\n")

    ctx.emit(doc, human)
    return 0


def cmd_lineage(ctx) -> int:
    from . import CliError

    a = ctx.args
    if a.run is not None:
        if a.name is not None:
            raise CliError("models lineage takes NAME VERSION or --run RUN_ID, not both")
        return _versions_of_run(ctx, a.run)
    if a.name is None or a.version is None:
        raise CliError("models lineage needs NAME VERSION (where a version came from) "
                       "or --run RUN_ID (the versions of a run)")
    store = ctx.store
    lin = store.lineage(model=a.name, version=a.version)
    mv = lin.version
    doc = {
        "model": mv.model,
        "version": mv.version,
        "run_id": lin.run_id,
        "experiment": lin.experiment,
        "params": dict(sorted(lin.params.items())),
        "metrics": dict(sorted(lin.metrics.items())),
        "run_tags": dict(sorted(lin.run_tags.items())),
        "datasets": [dataclasses.asdict(d) for d in lin.datasets],
        "artifacts": [dataclasses.asdict(x) for x in mv.artifacts],
        "code_version": mv.code_version,
    }

    def human(out):
        fmt.fields([
            ("model", mv.model),
            ("version", mv.version),
            ("run", lin.run_id or "(registered without a run)"),
            ("experiment", lin.experiment),
            ("code version", mv.code_version or None),
        ], out)
        for title, mapping in (("params", lin.params), ("metrics", lin.metrics),
                               ("run tags", lin.run_tags)):
            fmt.section(title, out)
            if mapping:
                fmt.table(["KEY", "VALUE"], sorted(mapping.items()), out, indent="  ")
            else:
                out.write("  (none)\n")
        fmt.section("datasets", out)
        if lin.datasets:
            fmt.table(["PATH", "DIGEST"], [[d.path, d.digest or "-"] for d in lin.datasets],
                      out, indent="  ")
        else:
            out.write("  (none)\n")

    ctx.emit(doc, human)
    return 0


def _versions_of_run(ctx, run_id: str) -> int:
    versions = ctx.store.lineage(run_id=run_id)
    doc = {"run_id": run_id, "versions": [version_doc(v) for v in versions]}

    def human(out):
        if not versions:
            out.write(f"no versions were registered from run {run_id}\n")
            return
        fmt.table(["MODEL", "VERSION", "APPROVAL", "ALIASES", "CREATED"],
                  [[v.model, v.version, v.approval, ", ".join(v.aliases) or "-",
                    fmt.iso(v.created_ms)] for v in versions], out)

    ctx.emit(doc, human)
    return 0
