"""Intention rules: each turns an intention into linear requirements on the cells' volumes.

A :class:`Requirement` is a set of rows ``Σ_{i ∈ g} coef_i · volume_i  (≤ | ≥)  rhs_g``, one per
group ``g`` of cells. The same object is (a) a constraint of the optimisation model
(:mod:`commissioning.plan.model`), (b) a check of any portfolio — the baseline, the optimum,
the ranking method's — that says why it holds or breaks, and (c) part of ``verify``, which
recomputes every row from the solution. Rule kinds (``rule.kind`` in ``intentions.yaml``):

- ``statutory_capacity``: national volume of each statutory service ≥ projected demand.
- ``minimum_specification``: sentence delivery in every segment and region ≥ its demand.
- ``no_non_core_low_risk``: non-core rehabilitation for offenders with OGRS3 below
  ``risk.medium_high_threshold`` and low risk of harm only where a court ordered it.
- ``no_ineffective``: services rated "no effect" only where a court ordered them.
- ``spend_at_least_baseline``: spend on a group's rehabilitation ≥ its 2011-12 spend.
- ``volume_at_least_baseline``: volume of each named service (or category) ≥ its baseline.
- ``core_offer``: places of each core service in each region ≥ ``plan.core_offer_coverage`` ×
  the people with the linked need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.intentions import Intention, Intentions

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Relative and absolute tolerance when a row is checked from numbers.
REL_TOL = 1e-6
ABS_TOL = 1e-4


class RuleError(ValueError):
    """An intention's rule the plan does not know how to check."""


@dataclass(frozen=True)
class Requirement:
    """Rows ``Σ_{i∈g} coef_i·volume_i sense rhs_g`` over groups of cells."""

    name: str
    label: str
    coef: FloatArray
    groups: IntArray
    rhs: FloatArray
    sense: str
    group_labels: tuple[str, ...]
    unit: str = "starts"
    intention: str | None = None
    per_cell: bool = False

    @property
    def n_groups(self) -> int:
        return len(self.rhs)

    def lhs(self, volume: npt.ArrayLike) -> FloatArray:
        """Each row's left-hand side for the given cell volumes."""
        vol = np.asarray(volume, float)
        inside = self.groups >= 0
        return np.bincount(
            self.groups[inside], weights=(self.coef * vol)[inside], minlength=self.n_groups
        ).astype(float)

    def shortfall(self, volume: npt.ArrayLike) -> FloatArray:
        """How far each row is from holding (0 where it holds)."""
        lhs = self.lhs(volume)
        gap = self.rhs - lhs if self.sense == ">=" else lhs - self.rhs
        tol = ABS_TOL + REL_TOL * np.maximum(np.abs(self.rhs), 1.0)
        return np.where(gap > tol, gap, 0.0)


@dataclass(frozen=True)
class Verdict:
    """Whether an intention holds for a portfolio, and why."""

    id: str
    holds: bool | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "holds": self.holds, "detail": self.detail}


def _money(value: float) -> str:
    return f"£{value / 1e6:,.1f}M" if abs(value) >= 1e5 else f"£{value:,.0f}"


def _amount(value: float, unit: str) -> str:
    return _money(value) if unit == "£" else f"{value:,.0f} {unit}"


def segment_mask(cells: pd.DataFrame, rule: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """The cells (or any frame with ``setting``, ``sex``, ``harm``) of the people a rule is
    about: its ``setting``, ``sex`` and ``harm`` bands."""
    mask = np.ones(len(cells), bool)
    if rule.get("setting"):
        mask &= (cells["setting"] == rule["setting"]).to_numpy()
    if rule.get("sex"):
        mask &= (cells["sex"] == rule["sex"]).to_numpy()
    if rule.get("harm"):
        mask &= cells["harm"].isin(rule["harm"]).to_numpy()
    return mask


def _mask(cells: pd.DataFrame, rule: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    mask = segment_mask(cells, rule)
    if rule.get("categories"):
        mask &= cells["evidence_category"].isin(rule["categories"]).to_numpy()
    if rule.get("services"):
        mask &= cells["service_id"].isin(rule["services"]).to_numpy()
    return mask


def _grouped(
    cells: pd.DataFrame, mask: npt.NDArray[np.bool_], by: Sequence[str]
) -> tuple[IntArray, tuple[str, ...]]:
    """Group index per cell (−1 outside ``mask``) and a label per group."""
    groups = np.full(len(cells), -1, np.int64)
    if not mask.any():
        return groups, ()
    if not by:
        groups[mask] = 0
        return groups, ("all",)
    return group_codes(cells, mask, by)


def group_codes(
    cells: pd.DataFrame, mask: npt.NDArray[np.bool_], by: Sequence[str]
) -> tuple[IntArray, tuple[str, ...]]:
    """Group index per cell for the columns ``by`` (−1 outside ``mask``), labels ``a / b``."""
    groups = np.full(len(cells), -1, np.int64)
    part = cells.loc[mask, list(by)]
    grouped = part.groupby(list(by), sort=True, observed=True)
    groups[mask] = grouped.ngroup().to_numpy(np.int64)
    labels = tuple(" / ".join(str(v) for v in (k if isinstance(k, tuple) else (k,)))
                   for k in grouped.size().index)
    return groups, labels


def _per_cell(cells: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> tuple[IntArray, tuple[str, ...]]:
    groups = np.full(len(cells), -1, np.int64)
    idx = np.flatnonzero(mask)
    groups[idx] = np.arange(len(idx))
    return groups, tuple(str(i) for i in idx)


def _ones(cells: pd.DataFrame) -> FloatArray:
    return np.ones(len(cells), float)


def _sum_by(values: FloatArray, groups: IntArray, n: int) -> FloatArray:
    inside = groups >= 0
    return np.bincount(groups[inside], weights=values[inside], minlength=n).astype(float)


def statutory_capacity(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                       name: str) -> list[Requirement]:
    """``Σ_{i ∈ service} volume_i ≥ Σ_{i ∈ service} demand_i`` for each service with statutory
    demand in the setting (prison places, offender management, court-ordered requirements)."""
    mask = _mask(cells, rule) & (cells["statutory_volume"].to_numpy(float) > 0)
    groups, labels = _grouped(cells, mask, ("service_id",))
    rhs = _sum_by(cells["statutory_volume"].to_numpy(float), groups, len(labels))
    return [Requirement(name, "capacity at least projected demand", _ones(cells), groups, rhs,
                        ">=", labels)]


def minimum_specification(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                          name: str) -> list[Requirement]:
    """``volume_i ≥ demand_i`` for sentence delivery in every segment and region."""
    mask = _mask(cells, rule) & cells["statutory"].to_numpy(bool)
    groups, labels = _per_cell(cells, mask)
    rhs = cells["statutory_volume"].to_numpy(float)[mask]
    return [Requirement(name, "sentence delivery in every segment and region", _ones(cells),
                        groups, rhs, ">=", labels, "place- or caseload-years", per_cell=True)]


def _only_court_ordered(cells: pd.DataFrame, mask: npt.NDArray[np.bool_], name: str,
                        label: str) -> Requirement:
    groups, labels = _per_cell(cells, mask)
    rhs = cells["statutory_volume"].to_numpy(float)[mask]
    return Requirement(name, label, _ones(cells), groups, rhs, "<=", labels, per_cell=True)


def no_non_core_low_risk(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                         name: str) -> list[Requirement]:
    """``volume_i ≤ court-ordered_i`` for non-core rehabilitation cells with OGRS3 at or below
    the threshold and low risk of harm (men only where the rule says so); with ``core_offer``
    also the core offer for every prisoner."""
    mask = (_mask(cells, rule) & cells["rehabilitation"].to_numpy(bool)
            & ~cells["core"].to_numpy(bool) & ~cells["ogrs_medium_high"].to_numpy(bool)
            & (cells["harm"] == "low").to_numpy())
    out = [_only_court_ordered(cells, mask, name,
                               "no non-core services for low risk, low harm offenders")]
    if rule.get("core_offer"):
        out += core_offer(cells, {"setting": rule.get("setting")}, s, f"{name}_core_offer")
    return out


def no_ineffective(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                   name: str) -> list[Requirement]:
    """``volume_i ≤ court-ordered_i`` for every service rated "no effect"."""
    mask = _mask(cells, rule) & (cells["evidence_category"] == "no_effect").to_numpy()
    return [_only_court_ordered(cells, mask, name, "nothing on ineffective services")]


def spend_cells(cells: pd.DataFrame, rule: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """The cells whose spend a ``spend_at_least_baseline`` rule counts: rehabilitation (not
    sentence delivery) for the rule's segment, of its evidence categories where it names any."""
    mask: npt.NDArray[np.bool_] = _mask(cells, rule) & cells["rehabilitation"].to_numpy(bool)
    return mask


def spend_at_least_baseline(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                            name: str) -> list[Requirement]:
    """``Σ_{i ∈ group} cost_i · volume_i ≥ Σ_{i ∈ group} baseline spend_i`` over the group's
    rehabilitation cells."""
    mask = spend_cells(cells, rule)
    groups, labels = _grouped(cells, mask, ())
    rhs = _sum_by(cells["baseline_spend"].to_numpy(float), groups, len(labels))
    return [Requirement(name, "rehabilitation spend at least 2011-12", cells[
        "planned_unit_cost"].to_numpy(float), groups, rhs, ">=", labels, "£")]


def volume_at_least_baseline(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
                             name: str) -> list[Requirement]:
    """``Σ_{i ∈ service} volume_i ≥ Σ_{i ∈ service} baseline_i`` per named service."""
    mask = _mask(cells, rule) & cells["rehabilitation"].to_numpy(bool)
    groups, labels = _grouped(cells, mask, ("service_id",))
    rhs = _sum_by(cells["baseline_volume"].to_numpy(float), groups, len(labels))
    return [Requirement(name, "volume at least 2011-12", _ones(cells), groups, rhs, ">=",
                        labels)]


def core_offer(cells: pd.DataFrame, rule: Mapping[str, Any], s: PlanSettings,
               name: str) -> list[Requirement]:
    """``Σ_{i ∈ (service, setting, region)} volume_i ≥ coverage · Σ eligible_i`` for each core
    rehabilitation service."""
    mask = (_mask(cells, rule) & cells["core"].to_numpy(bool)
            & cells["rehabilitation"].to_numpy(bool) & (cells["eligible"].to_numpy(float) > 0))
    groups, labels = _grouped(cells, mask, ("service_id", "setting", "region"))
    rhs = s.core_offer_coverage * _sum_by(cells["eligible"].to_numpy(float), groups, len(labels))
    return [Requirement(name, "core offer for everyone with the need", _ones(cells), groups,
                        rhs, ">=", labels)]


RuleBuilder = Callable[[pd.DataFrame, Mapping[str, Any], PlanSettings, str], list[Requirement]]
RULES: dict[str, RuleBuilder] = {
    "statutory_capacity": statutory_capacity,
    "minimum_specification": minimum_specification,
    "no_non_core_low_risk": no_non_core_low_risk,
    "no_ineffective": no_ineffective,
    "spend_at_least_baseline": spend_at_least_baseline,
    "volume_at_least_baseline": volume_at_least_baseline,
    "core_offer": core_offer,
}


def constraint_name(intention: Intention) -> str:
    return intention.id.replace(" ", "_")


def requirements_for(intention: Intention, cells: pd.DataFrame,
                     settings: PlanSettings) -> list[Requirement]:
    """The requirements an intention puts on a portfolio (none if it has no rule)."""
    if intention.rule is None:
        return []
    kind = str(intention.rule["kind"])
    if kind not in RULES:
        raise RuleError(
            f"intention {intention.id}: rule kind {kind!r} is unknown; use one of "
            f"{', '.join(sorted(RULES))}"
        )
    reqs = RULES[kind](cells, intention.rule, settings, constraint_name(intention))
    return [Requirement(r.name, r.label, r.coef, r.groups, r.rhs, r.sense, r.group_labels, r.unit,
                        intention.id, r.per_cell) for r in reqs]


def _cell_label(cells: pd.DataFrame, i: int) -> str:
    row = cells.iloc[i]
    return (f"{row['service_id']} / {row['setting']} / {row['region']} / {row['offence_group']} "
            f"{row['risk_tier']} risk, {row['harm']} harm, {row['sex']}")


def _explain(req: Requirement, cells: pd.DataFrame, volume: FloatArray) -> str:
    short = req.shortfall(volume)
    lhs = req.lhs(volume)
    if req.n_groups == 0:
        return "nothing in the portfolio falls under this rule"
    broken = np.flatnonzero(short > 0)
    if req.per_cell and req.sense == "<=":
        idx = np.array([int(req.group_labels[g]) for g in broken], dtype=np.int64)
        if len(idx) == 0:
            return f"{req.label}: holds in all {req.n_groups:,} cells"
        excess = short[broken]
        spend = float((excess * cells["unit_cost"].to_numpy(float)[idx]).sum())
        by_service = pd.Series(excess, index=cells["service_id"].to_numpy()[idx]).groupby(
            level=0).sum().sort_values(ascending=False)
        top = ", ".join(f"{k} {v:,.0f}" for k, v in by_service.head(3).items())
        return (f"{req.label}: broken — {excess.sum():,.0f} starts ({_money(spend)}) beyond "
                f"court orders in {len(idx):,} cells; most in {top}")
    if len(broken) == 0:
        if req.n_groups == 1:
            op = "≥" if req.sense == ">=" else "≤"
            return (f"{req.label}: holds — {_amount(lhs[0], req.unit)} {op} "
                    f"{_amount(req.rhs[0], req.unit)}")
        return f"{req.label}: holds in all {req.n_groups:,} groups"
    worst = broken[np.argsort(-short[broken])][:3]

    def name(g: int) -> str:
        return _cell_label(cells, int(req.group_labels[g])) if req.per_cell else req.group_labels[g]

    parts = "; ".join(
        f"{name(g)} {_amount(lhs[g], req.unit)} against {_amount(req.rhs[g], req.unit)}"
        for g in worst
    )
    return (f"{req.label}: broken in {len(broken):,} of {req.n_groups:,} groups, short by "
            f"{_amount(float(short.sum()), req.unit)} in all; e.g. {parts}")


def check_intentions(intentions: Intentions, cells: pd.DataFrame, volume: npt.ArrayLike,
                     settings: PlanSettings,
                     built: Mapping[str, list[Requirement]] | None = None) -> list[Verdict]:
    """Every intention's verdict for a portfolio (``holds`` is None when not machine-checkable).
    ``built`` reuses requirements already built for these cells (by intention id)."""
    vol = np.asarray(volume, float)
    out = []
    for intention in intentions:
        if intention.rule is None:
            out.append(Verdict(intention.id, None, f"not checked: {intention.not_checked}"))
            continue
        reqs = (built[intention.id] if built is not None and intention.id in built
                else requirements_for(intention, cells, settings))
        holds = all(not (r.shortfall(vol) > 0).any() for r in reqs)
        detail = " | ".join(_explain(r, cells, vol) for r in reqs)
        out.append(Verdict(intention.id, holds, detail))
    return out
