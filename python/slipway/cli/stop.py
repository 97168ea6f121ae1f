"""``slipway stop``: the emergency stop (SPEC §5) on, off, status."""

from __future__ import annotations

from typing import Any, Dict

from . import fmt


def register(nouns, parents) -> None:
    p = nouns.add_parser("stop", help="the emergency stop: on, off, status",
                         description="The emergency stop (SPEC §5): while it is on, production "
                                     "operations are refused and audited; reads and run "
                                     "logging go on.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    on = verbs.add_parser("on", parents=parents, help="set the store's stop flag")
    on.add_argument("--reason", required=True, help='why, e.g. "incident 42"')
    on.set_defaults(func=cmd_on)

    off = verbs.add_parser("off", parents=parents,
                           help="clear both flags (the store's and the stop file)")
    off.set_defaults(func=cmd_off)

    st = verbs.add_parser("status", parents=parents,
                          help="whether the stop is on, and who set it (exit 0 either way)")
    st.set_defaults(func=cmd_status)


def state_doc(s) -> Dict[str, Any]:
    return {
        "active": s.active,
        "store_set": s.store_set,
        "store_actor": s.store_actor or None,
        "store_reason": s.store_reason or None,
        "store_set_at": fmt.iso_json(s.store_set_ms) if s.store_set else None,
        "store_set_ms": s.store_set_ms if s.store_set else None,
        "file_path": s.file_path,
        "file_set": s.file_set,
        "file_content": s.file_content if s.file_set else None,
    }


def write_state(s, out) -> None:
    out.write(f"emergency stop: {'ON' if s.active else 'off'}\n")
    pairs = []
    if s.store_set:
        pairs.append(("store flag", f'set by {s.store_actor} at {fmt.iso(s.store_set_ms)}: '
                                    f'"{s.store_reason}"'))
    else:
        pairs.append(("store flag", "not set"))
    if s.file_path is None:
        pairs.append(("stop file", "none configured"))
    elif s.file_set:
        content = s.file_content.strip()
        pairs.append(("stop file", f"{s.file_path} exists" + (f': "{content}"' if content else "")))
    else:
        pairs.append(("stop file", f"{s.file_path} (absent)"))
    fmt.fields(pairs, out, indent="  ")


def cmd_on(ctx) -> int:
    stop = ctx.store.emergency_stop
    stop.activate(ctx.args.reason, actor=ctx.actor)
    s = stop.status()
    ctx.emit(state_doc(s), lambda out: write_state(s, out))
    return 0


def cmd_off(ctx) -> int:
    stop = ctx.store.emergency_stop
    stop.clear(actor=ctx.actor)
    s = stop.status()
    ctx.emit(state_doc(s), lambda out: write_state(s, out))
    return 0


def cmd_status(ctx) -> int:
    s = ctx.store.emergency_stop.status()
    ctx.emit(state_doc(s), lambda out: write_state(s, out))
    return 0
