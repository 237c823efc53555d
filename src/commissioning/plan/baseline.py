"""The 2011-12 baseline portfolio: volumes and spend per service × segment × setting × region.

Derived from the workspace: the ``interventions`` table (who started which service) joined to the
scored assessments (segment: setting, offence group, risk tier, risk of serious harm, sex, region
and whether OGRS3 is at or above ``risk.medium_high_threshold``), priced with ``plan.unit_costs``.
Statutory delivery is counted from the caseload: a prison place-year per prisoner and a year of
offender management per offender in the community. Custody volumes are weighted up to the
national prison population (``plan.custody_population``). Each row of the result is a *cell*:
the unit the optimiser decides a volume for.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from commissioning.assess.risk import medium_high
from commissioning.engine import backend
from commissioning.evidence.outcome import SEGMENT_KEYS, OutcomeError, segment_reoffending
from commissioning.io.workspace import Workspace
from commissioning.plan.inputs import PlanSettings, ServiceSpec, cell_values
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import NEED_COLUMNS, RISK_TIERS

#: The segment of a cell (with the service it is a volume of).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "setting", "offence_group", "risk_tier", "harm", "region", "sex", "ogrs_medium_high",
)
CELL_KEY: tuple[str, ...] = ("service_id", *SEGMENT_COLUMNS)
HARM_BANDS: tuple[str, ...] = ("low", "medium", "high")
DEFAULT_COMPLETION = 0.6


class BaselineError(ValueError):
    """The workspace lacks what the baseline needs: says what to import."""


@dataclass(frozen=True)
class Baseline:
    """The baseline cells and the provider breakdown behind them."""

    cells: pd.DataFrame
    by_provider: pd.DataFrame
    custody_weight: float


def with_segment(scored: ir.Table, medium_high_from_pct: int) -> ir.Table:
    """Scored assessments with ``harm`` (high or very high → ``high``) and the OGRS flag.

    The flag is the one definition of medium to high risk (:func:`assess.risk.medium_high`).
    """
    harm = scored.rosh.cases(("high", "high"), ("very_high", "high"), else_=scored.rosh)
    return scored.mutate(
        harm=harm,
        ogrs_medium_high=medium_high(scored.ogrs3_2y, medium_high_from_pct),
        region=scored.region.fill_null("unknown"),
    )


def segment_population(segmented: ir.Table) -> ir.Table:
    """People per segment, with the count of each linked need and the mean one-year OGRS3."""
    needs = {
        col: segmented[col].cast("int64").fill_null(0).sum()
        for col in NEED_COLUMNS if col in segmented.columns
    }
    return segmented.group_by(list(SEGMENT_COLUMNS)).aggregate(
        people=segmented.count(), base_rate=segmented.ogrs3_1y.mean(), **needs
    )


def service_volumes(
    interventions: ir.Table, segmented: ir.Table, requirements: dict[str, str]
) -> ir.Table:
    """Starts, completions and court-ordered starts per service × segment × provider."""
    people = segmented.select(
        "offender_id", *SEGMENT_COLUMNS,
        requirements=segmented.requirements.fill_null("") if "requirements" in segmented.columns
        else ibis.literal(""),
    )
    reqs = ibis.memtable(
        pd.DataFrame({"intervention_id": list(requirements),
                      "requirement": list(requirements.values())})
    )
    joined = interventions.join(people, "offender_id").left_join(reqs, "intervention_id")
    ordered = (joined.requirement.notnull() & joined.requirements.contains(joined.requirement))
    return joined.group_by(["intervention_id", "provider_id", *SEGMENT_COLUMNS]).aggregate(
        starts=joined.count(),
        completions=joined.completed.cast("int64").sum(),
        court_ordered=ordered.cast("int64").sum(),
    )


def _eligible(row_people: pd.DataFrame, spec: ServiceSpec) -> np.ndarray:
    """People in each segment a service may reach: the linked need (largest of its needs) and
    the catalogue's eligibility (minimum risk tier, offence groups)."""
    needs = [n for n in spec.needs if n in row_people.columns]
    count = (
        row_people[needs].max(axis=1).to_numpy(float) if needs
        else row_people["people"].to_numpy(float)
    )
    admitted = np.ones(len(row_people), bool)
    if spec.offence_groups:
        admitted &= row_people["offence_group"].isin(spec.offence_groups).to_numpy()
    if spec.min_risk_tier is not None:
        floor = RISK_TIERS.index(spec.min_risk_tier)
        admitted &= row_people["risk_tier"].map(RISK_TIERS.index).to_numpy() >= floor
    return np.where(admitted, count, 0.0)


def build_cells(
    population: pd.DataFrame,
    volumes: pd.DataFrame,
    specs: dict[str, ServiceSpec],
    settings: PlanSettings,
    custody_weight: float = 1.0,
    reoffending: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per service × segment offered in the segment's setting, with everything the model
    needs: baseline volume and spend, statutory demand, eligible people, upper bound, planned
    unit cost, and the one outcome model's inputs and values per start (``coverage`` of the
    service in its setting × offence group × risk tier, ``reoffences_per_reoffender`` and
    ``value_per_reoffence`` from ``reoffending`` — :func:`commissioning.evidence.outcome.
    segment_reoffending` — the central ``risk_ratio``, and from them ``avoided_per_unit`` and
    ``value_per_unit``, :func:`commissioning.plan.inputs.cell_values`)."""
    if reoffending is None:
        raise BaselineError(
            "the plan values cells with the reoffence mix and frequency of each segment: pass "
            "`reoffending` (commissioning.evidence.outcome.segment_reoffending)")
    keys = list(SEGMENT_COLUMNS)
    vol = volumes.groupby(["intervention_id", *keys], as_index=False, observed=True)[
        ["starts", "completions", "court_ordered"]].sum()
    completion = volumes.groupby(["intervention_id", "setting"])[["starts", "completions"]].sum()
    frames = []
    for spec in specs.values():
        part = population[population["setting"].isin(spec.settings)].copy()
        if part.empty:
            continue
        part.insert(0, "service_id", spec.service_id)
        weight = np.where(part["setting"] == "custody", custody_weight, 1.0)
        growth = part["setting"].map(settings.demand_growth).fillna(0.0).to_numpy(float)
        if spec.statutory:
            part["baseline_volume"] = part["people"].to_numpy(float) * weight
            part["statutory_volume"] = part["baseline_volume"] * (1 + growth)
            part["eligible"] = part["baseline_volume"]
            part["completion"] = 1.0
        else:
            mine = vol[vol["intervention_id"] == spec.service_id].drop(columns="intervention_id")
            part = part.merge(mine, on=keys, how="left")
            for col in ("starts", "completions", "court_ordered"):
                part[col] = part[col].fillna(0.0)
            part["baseline_volume"] = part["starts"].to_numpy(float) * weight
            part["statutory_volume"] = (
                part["court_ordered"].to_numpy(float) * weight * (1 + growth)
                if spec.requirement else 0.0
            )
            part["eligible"] = _eligible(part, spec) * weight
            done = completion.xs(spec.service_id, level=0) if spec.service_id in \
                completion.index.get_level_values(0) else None
            if done is not None:
                rate = (done["completions"] / done["starts"].where(done["starts"] > 0))
                part["completion"] = part["setting"].map(rate).fillna(DEFAULT_COMPLETION)
            else:
                part["completion"] = DEFAULT_COMPLETION
            part = part.drop(columns=["starts", "completions", "court_ordered"])
        part["evidence_category"] = spec.evidence_category
        part["core"] = spec.core
        part["statutory"] = spec.statutory
        part["rehabilitation"] = spec.rehabilitation
        part["unit_cost"] = spec.unit_cost
        efficiency = part["setting"].map(settings.efficiency).fillna(0.0) if spec.statutory else 0.0
        part["planned_unit_cost"] = spec.unit_cost * (1 - efficiency)
        part["risk_ratio"] = spec.risk_ratio
        frames.append(part)
    cells = pd.concat(frames, ignore_index=True)
    cells = _with_outcome_inputs(cells, reoffending, custody_weight)
    values = cell_values(cells)
    cells["avoided_per_unit"] = values["avoided_per_unit"]
    cells["value_per_unit"] = values["value_per_unit"]
    cells["baseline_spend"] = cells["baseline_volume"] * cells["unit_cost"]
    cells["upper"] = np.where(
        cells["statutory"],
        cells["statutory_volume"] * (1 + settings.growth),
        np.maximum(settings.reach * cells["eligible"], cells["statutory_volume"]),
    )
    # Services given to people the catalogue does not admit stay possible up to what courts order.
    keep = ["service_id", "evidence_category", "core", "statutory", "rehabilitation", *keys,
            "people", "eligible", "base_rate", "completion", "baseline_volume", "statutory_volume",
            "unit_cost", "planned_unit_cost", "baseline_spend", "avoided_per_unit", "upper",
            "coverage", "reoffences_per_reoffender", "value_per_reoffence", "risk_ratio",
            "value_per_unit"]
    cells = cells[keep]
    cells = cells[(cells["baseline_volume"] > 0) | (cells["upper"] > 0)]
    return cells.sort_values(list(CELL_KEY), kind="stable").reset_index(drop=True)


def _with_outcome_inputs(cells: pd.DataFrame, reoffending: pd.DataFrame,
                         custody_weight: float) -> pd.DataFrame:
    """Add each cell's coverage (2011-12 starts of its service per person in its setting ×
    offence group × risk tier; 0 for sentence delivery) and its segment's proven reoffences per
    reoffender and £ per proven reoffence."""
    seg = list(SEGMENT_KEYS)
    rehab = cells[~cells["statutory"].astype(bool)]
    per_seg = (cells.drop_duplicates(list(SEGMENT_COLUMNS))
               .assign(weighted=lambda f: f["people"] * np.where(
                   f["setting"] == "custody", custody_weight, 1.0))
               .groupby(seg, observed=True, as_index=False)["weighted"].sum())
    starts = rehab.groupby(["service_id", *seg], observed=True, as_index=False)[
        "baseline_volume"].sum().merge(per_seg, on=seg, how="left")
    starts["coverage"] = starts["baseline_volume"] / starts["weighted"].where(
        starts["weighted"] > 0)
    out = cells.merge(starts[["service_id", *seg, "coverage"]], on=["service_id", *seg],
                      how="left")
    out["coverage"] = np.where(out["statutory"], 0.0, out["coverage"].fillna(0.0))
    out = out.merge(reoffending[[*seg, "reoffences_per_reoffender", "value_per_reoffence"]],
                    on=seg, how="left")
    lacking = out["value_per_reoffence"].isna()
    if lacking.any():
        first = out.loc[lacking, seg].iloc[0].to_dict()
        raise BaselineError(
            f"no reoffence mix for segment {first}: the reoffending table has no row for it")
    return out


def baseline_from_workspace(
    con: BaseBackend,
    ws: Workspace,
    scored: ir.Table,
    specs: dict[str, ServiceSpec],
    settings: PlanSettings,
) -> Baseline:
    """The baseline portfolio of a workspace whose assessments have been scored."""
    if not ws.has("interventions"):
        raise BaselineError(
            f"the workspace {ws.path} has no interventions table: import one (`commission import "
            "interventions FILE`) or run `commission demo`; the baseline portfolio is built "
            "from who received which service"
        )
    segmented = with_segment(scored, settings.ogrs_threshold)
    population = backend.execute(con, segment_population(segmented))
    interventions = backend.read_parquet(con, ws.input_path("interventions"), "plan_interventions")
    requirements = {s.service_id: s.requirement for s in specs.values()
                    if s.requirement and not s.statutory}
    volumes = backend.execute(con, service_volumes(interventions, segmented, requirements))
    n_custody = float(population.loc[population["setting"] == "custody", "people"].sum())
    weight = (
        settings.custody_population / n_custody
        if settings.custody_population and n_custody else 1.0
    )
    reoffending = _reoffending(con, ws, scored, settings, population)
    cells = build_cells(population, volumes, specs, settings, weight, reoffending)
    by_provider = volumes.groupby(
        ["intervention_id", "provider_id", "setting", "region"], as_index=False, observed=True
    )["starts"].sum().rename(columns={"intervention_id": "service_id", "starts": "volume"})
    by_provider["volume"] = by_provider["volume"] * np.where(
        by_provider["setting"] == "custody", weight, 1.0)
    cost = {s.service_id: s.unit_cost for s in specs.values()}
    by_provider["spend"] = by_provider["volume"] * by_provider["service_id"].map(cost).fillna(0.0)
    return Baseline(cells=cells, by_provider=by_provider, custody_weight=weight)


def _reoffending(con: BaseBackend, ws: Workspace, scored: ir.Table,
                 settings: PlanSettings, population: pd.DataFrame) -> pd.DataFrame:
    """Each segment of ``population``'s proven reoffences per reoffender and £ per proven
    reoffence (segments without cohort members take their offence group's or the nation's)."""
    from commissioning.evidence.outcome import reoffending_tables

    for table in ("cohort", "reoffences"):
        if not ws.has(table):
            raise BaselineError(
                f"the workspace {ws.path} has no {table} table: import one (`commission import "
                f"{table} FILE`); the plan values each segment's reoffences by their mix")
    if settings.crime_costs is None or settings.follow_up is None:
        raise BaselineError("plan settings lack the valuation: build them with "
                            "PlanSettings.from_policy")
    cohort = backend.read_parquet(con, ws.input_path("cohort"), "plan_cohort")
    reoffences = backend.read_parquet(con, ws.input_path("reoffences"), "plan_reoffences")
    freq, counts = reoffending_tables(scored, cohort, reoffences, settings.follow_up)
    try:
        return segment_reoffending(backend.execute(con, freq), backend.execute(con, counts),
                                   settings.crime_costs, settings.min_reoffences_for_mix,
                                   segments=population)
    except OutcomeError as exc:
        raise BaselineError(str(exc)) from None


def load_baseline(
    con: BaseBackend, ws: Workspace, specs: dict[str, ServiceSpec], settings: PlanSettings,
    policy: Policy,
) -> Baseline:
    """Score the workspace if needed (with the caller's policy, which holds the workspace's
    overrides), then build its baseline."""
    from commissioning.round import SCORED_TABLE, score_workspace

    try:
        scored = backend.sql_table(con, SCORED_TABLE)
    except Exception:
        scored = score_workspace(con, ws, policy)
    return baseline_from_workspace(con, ws, scored, specs, settings)
