"""``slipway rollouts``: list, status, approve, rollback, abort."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

from . import fmt


def register(nouns, parents) -> None:
    p = nouns.add_parser("rollouts", help="guarded rollouts: list, status, approve, rollback, abort",
                         description="Progressive rollouts of model versions on endpoints "
                                     "(docs/rollouts.md).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    q = verbs.add_parser("list", parents=parents, help="rollouts, newest first")
    q.add_argument("--endpoint", metavar="NAME", help="only this endpoint's rollouts")
    q.add_argument("--active", action="store_true", help="only rollouts still going")
    q.set_defaults(func=cmd_list)

    s = verbs.add_parser("status", parents=parents,
                         help="stage, weights, time in stage, guardrail readings, next gate")
    s.add_argument("rollout_id", metavar="ID")
    s.set_defaults(func=cmd_status)

    a = verbs.add_parser("approve", parents=parents, help="approve entering the awaited stage",
                         description="Approves entering STAGE, the stage the rollout awaits. "
                                     "The role must be the one the stage names.")
    a.add_argument("rollout_id", metavar="ID")
    a.add_argument("--stage", required=True, metavar="STAGE", help="the awaited stage, e.g. canary-2")
    a.add_argument("--role", metavar="ROLE",
                   help="the role you approve in, e.g. data-science-lead (default: $SLIPWAY_ROLE)")
    a.set_defaults(func=cmd_approve)

    r = verbs.add_parser("rollback", parents=parents,
                         help="send all traffic back to the rollback version (ends ROLLED_BACK)")
    r.add_argument("rollout_id", metavar="ID")
    r.add_argument("--reason", default="manual", help="why (default: manual)")
    r.set_defaults(func=cmd_rollback)

    b = verbs.add_parser("abort", parents=parents,
                         help="cancel the rollout: traffic back to the rollback version (ends ABORTED)")
    b.add_argument("rollout_id", metavar="ID")
    b.add_argument("--reason", default="", help="why")
    b.set_defaults(func=cmd_abort)


# --- shapes --------------------------------------------------------------------------------


def _stage_count(st) -> Optional[int]:
    stages = (st.state or {}).get("plan", {}).get("stages")
    return len(stages) if isinstance(stages, list) else None


def status_doc(st, *, state: bool = False) -> Dict[str, Any]:
    """The JSON shape of a rollout status; ``state`` adds the whole stored
    state (the plan included)."""
    doc: Dict[str, Any] = {
        "id": st.id,
        "endpoint": st.endpoint,
        "model": st.model,
        "candidate_version": st.candidate_version,
        "stable_version": st.stable_version,
        "phase": st.phase,
        "active": st.active,
        "stage": st.stage,
        "stage_index": st.stage_index,
        "stages": _stage_count(st),
        "weights": {"stable": st.stable_weight, "candidate": st.candidate_weight},
        "shadow": st.shadow,
        "time_in_stage_s": st.time_in_stage.total_seconds(),
        "halt_cause": st.halt_cause,
        "next_gate": st.next_gate,
        "last_reason": st.last_reason,
        "outlook": st.outlook,
        "change_ticket": st.change_ticket,
        "rollback_version": st.rollback_version,
        "readings": dataclasses.asdict(st.readings) if st.readings is not None else None,
        "approvals": [dict(dataclasses.asdict(x), at=fmt.iso_json(x.at_ms))
                      for x in st.approvals],
        "gate_notes": list(st.gate_notes),
        "transitions": st.transitions,
        "started": fmt.iso_json(st.started_ms),
        "updated": fmt.iso_json(st.updated_ms),
        "started_ms": st.started_ms,
        "updated_ms": st.updated_ms,
    }
    if state:
        doc["state"] = st.state
    return doc


def _weights(st) -> str:
    text = f"stable {st.stable_version} {fmt.percent(st.stable_weight)}, " \
           f"candidate {st.candidate_version} {fmt.percent(st.candidate_weight)}"
    return text + (" (+ shadow)" if st.shadow else "")


def write_status(st, out) -> None:
    """The human form of a status (``rollouts status`` and after an action)."""
    n = _stage_count(st)
    stage = f"{st.stage} ({st.stage_index + 1} of {n})" if n else st.stage
    fmt.fields([
        ("rollout", st.id),
        ("endpoint", st.endpoint),
        ("model", f"{st.model} {st.stable_version} -> {st.candidate_version}"),
        ("phase", st.phase + (f" ({st.halt_cause})" if st.halt_cause else "")),
        ("stage", stage),
        ("weights", _weights(st)),
        ("time in stage", fmt.duration(st.time_in_stage.total_seconds())),
        ("next gate", st.next_gate or "-"),
        ("last reason", st.last_reason or None),
        ("now", st.outlook or None),
        ("rollback to", st.rollback_version),
        ("change ticket", st.change_ticket),
        ("started", fmt.iso(st.started_ms)),
        ("updated", fmt.iso(st.updated_ms)),
    ], out)
    r = st.readings
    if r is not None:
        fmt.section("guardrails (current stage)", out)
        error_rate = (f"{fmt.percent(r.error_rate)} ({r.candidate_errors}/{r.candidate_requests} "
                      f"requests; failing streak {r.error_streak})"
                      if r.candidate_requests else "no requests yet")
        latency = (f"{fmt.num(r.candidate_p99_ms)} ms vs stable {fmt.num(r.stable_p99_ms)} ms "
                   f"(ratio {fmt.num(r.p99_ratio)})"
                   if r.latency_verdict != "NOT_ENOUGH_DATA" else "not enough samples yet")
        accuracy = (f"{fmt.num(r.candidate_accuracy)} vs stable {fmt.num(r.stable_accuracy)} "
                    f"({r.predictions} predictions)"
                    if r.accuracy_verdict != "NOT_ENOUGH_DATA" else "not enough labels yet")
        fmt.table(["GUARDRAIL", "VERDICT", "READING"], [
            ["error rate", r.error_rate_verdict, error_rate],
            ["latency p99", r.latency_verdict, latency],
            ["accuracy", r.accuracy_verdict, accuracy],
        ], out, indent="  ")
        out.write(f"  one-minute windows read: {r.windows}\n")
    if st.approvals:
        fmt.section("approvals", out)
        fmt.table(["STAGE", "ACTOR", "ROLE", "AT"],
                  [[x.stage, x.actor, x.role, fmt.iso(x.at_ms)] for x in st.approvals],
                  out, indent="  ")
    if st.gate_notes:
        fmt.section("gate notes", out)
        for note in st.gate_notes:
            out.write(f"  - {note}\n")


# --- commands ---------------------------------------------------------------------------------


def cmd_list(ctx) -> int:
    rollouts = ctx.store.rollouts(endpoint=ctx.args.endpoint, active_only=ctx.args.active)
    doc = {"rollouts": [status_doc(st) for st in rollouts]}

    def human(out):
        if not rollouts:
            out.write("no rollouts\n")
            return
        fmt.table(
            ["ID", "ENDPOINT", "MODEL", "STABLE", "CANDIDATE", "PHASE", "STAGE", "CANDIDATE%",
             "STARTED"],
            [[st.id, st.endpoint, st.model, st.stable_version, st.candidate_version,
              st.phase, st.stage, fmt.percent(st.candidate_weight), fmt.iso(st.started_ms)]
             for st in rollouts], out, right=[7])

    ctx.emit(doc, human)
    return 0


def cmd_status(ctx) -> int:
    st = ctx.store.rollout(ctx.args.rollout_id).status()
    ctx.emit(status_doc(st, state=True), lambda out: write_status(st, out))
    return 0


def _act(ctx, verb: str, call) -> int:
    st = call(ctx.store.rollout(ctx.args.rollout_id))

    def human(out):
        out.write(f"{verb} rollout {st.id}: now {st.phase} in stage {st.stage}\n\n")
        write_status(st, out)

    ctx.emit(status_doc(st), human)
    return 0


def cmd_approve(ctx) -> int:
    a = ctx.args
    return _act(ctx, f"approved stage {a.stage} of",
                lambda r: r.approve(a.stage, actor=ctx.actor, role=a.role))


def cmd_rollback(ctx) -> int:
    a = ctx.args
    return _act(ctx, "rolled back", lambda r: r.rollback(reason=a.reason, actor=ctx.actor))


def cmd_abort(ctx) -> int:
    a = ctx.args
    return _act(ctx, "aborted", lambda r: r.abort(reason=a.reason, actor=ctx.actor))
