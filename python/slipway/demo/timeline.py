"""The demo's readable timeline: one line per event (a stage entered, an
approval, a rollback) and a summary of traffic every so often, in
simulated time ("day 1 09:00")."""

from __future__ import annotations

import datetime as _dt
import statistics
import sys
from typing import List, Optional, TextIO


def _pct(w: float) -> str:
    return f"{w * 100:g}%"


class Timeline:
    """Feeds on the per-minute dicts of demo.serving and prints."""

    def __init__(self, start: _dt.datetime, out: TextIO = sys.stdout,
                 indent: str = "   ") -> None:
        self.start = start
        self.out = out
        self.indent = indent
        self.phase: Optional[str] = None
        self.stage: Optional[str] = None
        self.transition_count: Optional[int] = None
        self._reset_period()
        self.period_start: Optional[int] = None
        self.minutes = 0
        self.bad_minutes_in_a_row = 0
        self.last_line: Optional[dict] = None
        self.shadow = False

    # --- formatting ------------------------------------------------------
    def when(self, ms: int) -> str:
        t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
        day = (t.date() - self.start.date()).days + 1
        return f"[day {day} {t:%H:%M}]"

    def say(self, ms: int, text: str) -> None:
        print(f"{self.indent}{self.when(ms)} {text}", file=self.out, flush=True)

    def note(self, text: str) -> None:
        print(f"{self.indent}{' ' * 13} {text}", file=self.out, flush=True)

    # --- feeding ---------------------------------------------------------
    def _reset_period(self) -> None:
        self.period = {v: {"version": "", "requests": 0, "errors": 0, "p99": [],
                           "acc_n": 0, "acc_sum": 0.0}
                       for v in ("stable", "candidate")}

    def _add(self, line: dict) -> None:
        for v in ("stable", "candidate"):
            s, p = line[v], self.period[v]
            if s["requests"]:
                p["version"] = s["version"]
                p["requests"] += s["requests"]
                p["errors"] += s["errors"]
                if s["p99_ms"] is not None:
                    p["p99"].append(s["p99_ms"])
                if s["accuracy"] is not None:
                    n = s["requests"] - s["errors"]
                    p["acc_n"] += n
                    p["acc_sum"] += s["accuracy"] * n

    def _summary(self, ms: int, shadow: bool) -> None:
        parts: List[str] = []
        for v in ("stable", "candidate"):
            p = self.period[v]
            if not p["requests"]:
                continue
            label = f"{v} {p['version']}" + (" (mirrored)" if v == "candidate" and shadow else "")
            err = p["errors"] / p["requests"]
            p99 = statistics.median(p["p99"]) if p["p99"] else float("nan")
            acc = p["acc_sum"] / p["acc_n"] if p["acc_n"] else float("nan")
            parts.append(f"{label}: {p['requests']:,} req, {err:.1%} errors, "
                         f"p99 {p99:.1f} ms, accuracy {acc:.3f}")
        if parts:
            self.say(ms, "   " + " | ".join(parts))
        self._reset_period()

    def feed(self, line: dict) -> None:
        """One served minute."""
        self.minutes += 1
        self.last_line = line
        t = line["t"]
        r = line.get("rollout")
        if self.period_start is None:
            self.period_start = t
        self._add(line)
        cand = line["candidate"]
        bad = (cand["requests"] >= 50 and cand["errors"] / cand["requests"] > 0.02)
        self.bad_minutes_in_a_row = self.bad_minutes_in_a_row + 1 if bad else 0
        # The minute was served under the state before this line's tick.
        shadow = self.shadow
        if r is not None:
            self.shadow = bool(r["shadow"])
        if bad:
            self.say(t, f"   candidate {cand['version']}: {cand['errors']} errors in "
                        f"{cand['requests']} requests ({cand['errors'] / cand['requests']:.1%}"
                        f" > 2%), bad minute {self.bad_minutes_in_a_row} in a row")
        changed = r is not None and (r["transition_count"] != self.transition_count)
        period_minutes = 360 if shadow else 30
        if changed or (t + 60_000 - self.period_start) >= period_minutes * 60_000:
            if not bad:
                self._summary(t + 60_000, shadow)
            else:
                self._reset_period()
            self.period_start = t + 60_000
        if changed:
            self._event(t + 60_000, r)

    def track(self, status) -> None:
        """Starts following a rollout from its status (no line printed)."""
        self.transition_count = status.transitions
        self.phase, self.stage = status.phase, status.stage
        self.shadow = bool(status.shadow)
        self.period_start = None
        self._reset_period()

    def _event(self, ms: int, r: dict) -> None:
        self.transition_count = r["transition_count"]
        phase, stage = r["phase"], r["stage"]
        self.phase, self.stage = phase, stage
        if phase == "IN_STAGE":
            how = "shadow: stable serves, every request mirrored" if r["shadow"] else \
                f"{_pct(r['weight'])} of traffic"
            self.say(ms, f"==> stage {stage} ({how})")
        elif phase == "AWAITING_APPROVAL":
            self.say(ms, f"==> waiting: {r['next_gate']}")
        elif phase == "COMPLETED":
            self.say(ms, f"==> COMPLETED: {r['version']} serves 100% of traffic")
        elif phase == "ROLLED_BACK":
            self.say(ms, "==> ROLLED BACK automatically")
        else:
            self.say(ms, f"==> {phase}")
        if r["reason"]:
            self.note(f"why: {r['reason']}")

    def flush(self) -> None:
        """Prints what the current period holds (at the end of a stretch)."""
        if self.last_line is not None and any(p["requests"] for p in self.period.values()):
            self._summary(self.last_line["t"] + 60_000, self.shadow)
            self.period_start = None
