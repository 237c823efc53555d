"""The round's decisions, read from the steps' results: what the bulletin and the document say.

Everything here is read defensively from ``RoundContext.extras`` (the plan, evidence, demand
and review steps' results): a step that did not run, or a result without a field, leaves that
part of the decisions empty with the reason, never an invented figure.

* invest / disinvest: planned minus 2011-12 spend per rehabilitation service (the plan's
  portfolio), largest first;
* the savings bridge: 2011-12 spend, less sentence delivery savings, less disinvestment, plus
  investment, gives the planned spend; its gap to the savings target;
* risks: capacity (the demand step's capacity flags), evidence gaps (planned spend on services
  the evidence step rates not evaluated), intentions the plan breaks or cannot check, savings
  scenarios with no feasible plan;
* what changed since the last round: the previous publication's ``decisions.json`` in the same
  workspace (``exports/publish/``), figure by figure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.vocabulary import label, service

if TYPE_CHECKING:
    from commissioning.publish.context import RoundContext

SNAPSHOT = "decisions.json"
#: How many services the bulletin names on each side (the rest are in the downloadable table).
TOP = 5


@dataclass(frozen=True)
class Move:
    """One service's change of spend against 2011-12 (all settings)."""

    service_id: str
    service: str
    baseline: float
    planned: float
    change: float
    reoffences_avoided: float
    evidence: str


@dataclass(frozen=True)
class BridgeStep:
    label: str
    amount: float
    kind: str  # "start", "step", "end", "target"


@dataclass(frozen=True)
class Risk:
    kind: str  # capacity, evidence, intention, scenario
    text: str
    link: str


@dataclass
class Decisions:
    """What the round decided, for the bulletin, the document and the snapshot."""

    status: str | None = None
    objective_kind: str | None = None
    invest: list[Move] = field(default_factory=list)
    disinvest: list[Move] = field(default_factory=list)
    bridge: list[BridgeStep] = field(default_factory=list)
    savings: float | None = None
    savings_outside: float = 0.0
    savings_target: float | None = None
    risks: list[Risk] = field(default_factory=list)
    intentions_total: int = 0
    intentions_hold: int = 0
    intentions_broken: list[str] = field(default_factory=list)
    intentions_unchecked: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def total_savings(self) -> float | None:
        """Savings in the portfolio plus those made outside it (NOMS HQ)."""
        return None if self.savings is None else self.savings + self.savings_outside

    @property
    def target_met(self) -> bool | None:
        if self.total_savings is None or self.savings_target is None:
            return None
        return self.total_savings >= self.savings_target - 1.0

    def snapshot(self, generated_at: str = "") -> dict[str, Any]:
        """The figures the next round compares against (``decisions.json``)."""
        return {
            "generated_at": generated_at,
            "status": self.status,
            "savings": self.savings,
            "savings_target": self.savings_target,
            "planned_spend": next((b.amount for b in self.bridge if b.kind == "end"), None),
            "intentions_hold": self.intentions_hold,
            "intentions_broken": self.intentions_broken,
            "moves": {m.service_id: m.change for m in [*self.invest, *self.disinvest]},
            "risks": [asdict(r) for r in self.risks],
        }


def _plan(context: RoundContext) -> Any:
    step = context.extras.get("plan")
    return getattr(step, "plan", None)


def service_moves(plan: Any) -> pd.DataFrame:
    """Planned minus 2011-12 spend per service (all settings), with its evidence category."""
    portfolio = getattr(plan, "portfolio", None)
    if portfolio is None or not len(portfolio):
        return pd.DataFrame(columns=["service_id", "evidence_category", "baseline_spend",
                                     "planned_spend", "reoffences_avoided", "spend_change"])
    cols = ["baseline_spend", "planned_spend", "reoffences_avoided"]
    table = portfolio.groupby(["service_id", "evidence_category"], as_index=False,
                              observed=True)[cols].sum()
    table["spend_change"] = table["planned_spend"] - table["baseline_spend"]
    out: pd.DataFrame = table.sort_values("spend_change", kind="stable").reset_index(drop=True)
    return out


def _move(r: Mapping[Any, Any]) -> Move:
    return Move(str(r["service_id"]), service(str(r["service_id"])),
                float(r["baseline_spend"]), float(r["planned_spend"]), float(r["spend_change"]),
                float(r["reoffences_avoided"]), label(str(r["evidence_category"]), "evidence"))


#: The spend bridge's steps, from the plan's savings bridge (:func:`plan.bridge.savings_bridge`,
#: £ saved) by its keys: a saving lowers spend, so each step is minus the line's amount.
SPEND_STEPS: tuple[tuple[str, str], ...] = (
    ("price", "Sentence delivery: price"),
    ("demand", "Sentence delivery: volumes"),
    ("disinvest", "Disinvestment from rehabilitation services"),
    ("invest", "Investment in rehabilitation services"),
    ("fixed", "Fixed costs of contracts kept open"),
)


class BridgeMismatch(RuntimeError):
    """The plan's savings bridge does not lead from the baseline spend to the planned spend."""


def _bridge(plan: Any) -> list[BridgeStep]:
    """Baseline spend to planned spend in the steps of the plan's own savings bridge (the one
    bridge of the round; nothing here recomputes it)."""
    planned = getattr(plan, "planned_spend", None)
    lines = {str(b.get("key")): float(b["amount"])
             for b in getattr(plan, "savings_bridge", None) or [] if b.get("key")}
    if planned is None or not lines:
        return []
    baseline = float(plan.baseline_spend)
    steps = [BridgeStep("Spend in 2011-12 (baseline portfolio)", baseline, "start")]
    steps += [BridgeStep(text, -lines[key], "step") for key, text in SPEND_STEPS if key in lines]
    steps.append(BridgeStep("Planned spend 2012-13", float(planned), "end"))
    reached = baseline + sum(s.amount for s in steps if s.kind == "step")
    if abs(reached - float(planned)) > max(1.0, 1e-6 * abs(float(planned))):
        raise BridgeMismatch(
            f"the plan's savings bridge leads from £{baseline:,.0f} to £{reached:,.0f}, not to "
            f"the planned spend £{float(planned):,.0f}")
    return steps


def _capacity_risks(context: RoundContext) -> list[Risk]:
    demand = context.extras.get("demand")
    flags = getattr(getattr(demand, "capacity", None), "flags", None)
    if flags is None or not len(flags):
        return []
    out = []
    frame = flags
    if "scenario" in frame.columns:
        frame = frame[frame["scenario"] == "baseline"]
    if "months_over" in frame.columns:
        frame = frame[pd.to_numeric(frame["months_over"], errors="coerce").fillna(0) > 0]
    for r in frame.head(4).to_dict("records"):
        sex = {"male": " (men)", "female": " (women)"}.get(str(r.get("sex")), "")
        where = "the whole estate" if r.get("function") == "all" else (
            f"{label(str(r.get('function', '')), 'function')}{sex}")
        out.append(Risk(
            "capacity",
            f"Prison capacity: {where} is projected to be over capacity from "
            f"{r.get('first_month', '?')} for {int(r.get('months_over', 0))} months "
            f"(worst shortfall {abs(float(r.get('worst_headroom', 0))):,.0f} places).",
            "#demand"))
    return out


def _evidence_risks(moves: pd.DataFrame) -> list[Risk]:
    gap = moves[moves["evidence_category"] == "not_evaluated"]
    spend = float(gap["planned_spend"].sum())
    if not len(gap) or spend <= 0:
        return []
    names = ", ".join(service(s) for s in gap.sort_values("planned_spend", ascending=False)
                      ["service_id"].head(3))
    return [Risk("evidence",
                 f"Evidence gaps: £{spend / 1e6:,.1f}M of planned spend goes to "
                 f"{len(gap)} services never robustly evaluated (largest: {names}); each needs "
                 "the document's four minimum conditions and an evaluation plan.", "#evidence")]


def decisions(context: RoundContext) -> Decisions:
    """The round's decisions from the steps' results (empty parts say what is missing)."""
    out = Decisions()
    plan = _plan(context)
    if plan is None:
        step = context.extras.get("plan")
        out.missing.append("plan: " + (getattr(step, "skipped", None) or "the step did not run"))
        out.risks += _capacity_risks(context)
        return out
    out.status = str(getattr(plan, "status", ""))
    out.objective_kind = getattr(plan, "objective_kind", None)
    moves = service_moves(plan)
    rehab = moves[moves["evidence_category"] != "not_applicable"]
    out.invest = [_move(r) for r in rehab[rehab["spend_change"] > 1.0]
                  .sort_values("spend_change", ascending=False).to_dict("records")]
    out.disinvest = [_move(r) for r in rehab[rehab["spend_change"] < -1.0].to_dict("records")]
    out.bridge = _bridge(plan)
    out.savings = getattr(plan, "savings", None)
    out.savings_target = getattr(plan, "savings_target", None)
    if "plan.savings_outside_portfolio" in context.parameters:
        out.savings_outside = float(context.parameters.value("plan.savings_outside_portfolio",
                                                             context.when))
    verdicts = list(getattr(plan, "intentions", []) or [])
    out.intentions_total = len(verdicts)
    out.intentions_hold = sum(1 for v in verdicts if v.holds is True)
    out.intentions_broken = [v.id for v in verdicts if v.holds is False]
    out.intentions_unchecked = sum(1 for v in verdicts if v.holds is None)
    out.risks += _capacity_risks(context)
    out.risks += _evidence_risks(moves)
    for v in verdicts:
        if v.holds is False:
            out.risks.append(Risk("intention", f"Intention {v.id} does not hold in the plan: "
                                  f"{v.detail}", "#plan"))
    for c in getattr(plan, "conflicts", []) or []:
        out.risks.append(Risk("intention", f"No feasible plan: {c.sentence()}", "#plan"))
    for s in getattr(plan, "scenarios", []) or []:
        if str(s.get("status")) not in ("optimal", "ok"):
            conflicts = "; ".join(str(c) for c in s.get("conflicts", [])[:2])
            out.risks.append(Risk(
                "scenario", f"Savings scenario “{label(str(s.get('scenario')), 'scenario')}” "
                f"has no feasible plan ({s.get('status')})"
                + (f": {conflicts}" if conflicts else "."), "#plan"))
    return out


def snapshot_path(context: RoundContext) -> Path | None:
    if context.workspace is None:
        return None
    return Path(context.workspace) / "exports" / "publish" / SNAPSHOT


def previous(context: RoundContext) -> dict[str, Any] | None:
    """The decisions published last time from this workspace (None the first time)."""
    path = snapshot_path(context)
    if path is None or not path.exists():
        return None
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded


def changes_since(prev: dict[str, Any] | None, now: Decisions) -> list[str]:
    """Sentences for what differs from the previous publication's decisions."""
    if prev is None:
        return []
    current = now.snapshot()
    out = []
    for key, what in (("savings", "Savings"), ("planned_spend", "Planned spend")):
        a, b = prev.get(key), current.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float) and abs(a - b) >= 5e4:
            out.append(f"{what}: £{b / 1e6:,.1f}M, was £{a / 1e6:,.1f}M "
                       f"({(b - a) / 1e6:+,.1f}M).")
    if prev.get("intentions_hold") != current["intentions_hold"]:
        out.append(f"Intentions that hold: {current['intentions_hold']}, was "
                   f"{prev.get('intentions_hold')}.")
    was, now_moves = prev.get("moves", {}) or {}, current["moves"]
    for sid in sorted(set(was) | set(now_moves)):
        a, b = float(was.get(sid, 0.0)), float(now_moves.get(sid, 0.0))
        if abs(a - b) >= 1e5:
            out.append(f"{service(sid)}: change against 2011-12 £{b / 1e6:+,.1f}M, was "
                       f"£{a / 1e6:+,.1f}M.")
    return out


def write_snapshot(context: RoundContext, now: Decisions) -> Path | None:
    path = snapshot_path(context)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    document = now.snapshot(context.generated_at.isoformat())
    path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    return path
