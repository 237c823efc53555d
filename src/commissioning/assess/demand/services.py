"""Demand for services: projected people per segment, and who each service is for.

Projected volumes per segment are the foundation's profiles (each segment's share of its setting,
:mod:`commissioning.assess.profiles`) times the projected flow into the setting in the planning
year: community sentence and licence starts from the community forecast, and sentenced custodial
receptions from the prison model (remand is left out: OASys assesses sentenced offenders).

Each service is an intervention of ``synth_outcomes.interventions`` (the ids the synthetic
``interventions`` table uses) with its settings, linked need, offence groups and sentence
requirement. Eligibility is simple:

- a service tied to a **requirement** (unpaid work, accredited programme, drug rehabilitation...)
  is demanded in the community by every order carrying that requirement: the forecast
  requirement starts, shared between segments in proportion to their people;
- a service tied to a **need** is for the people of the segment with that need (the need's
  prevalence in the setting and offence group); in custody a requirement-tied service falls
  back to its need;
- a service restricted to **offence groups** is for those groups only; one with neither need nor
  requirement is open to everyone in its settings.

The service catalogue (issue 3) will replace the intervention list; the eligibility rules then
come from the catalogue's own fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from commissioning.assess.demand.prison import STRATA, DemandError, Simulation
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import NEEDS

SERVICE_DEMAND_COLUMNS: tuple[str, ...] = (
    "setting",
    "offence_group",
    "risk_tier",
    "service_id",
    "service",
    "evidence",
    "basis",
    "people",
    "eligible",
)


@dataclass(frozen=True)
class PlanningFlows:
    """People entering each setting in the planning year, and community requirement starts."""

    community_starts: float
    custody_receptions: float
    requirement_starts: Mapping[str, float]
    period: str


def services(policy: Policy) -> dict[str, Any]:
    """The intervention list (id -> attributes) standing in for the service catalogue."""
    value: dict[str, Any] = policy.value("synth_outcomes.interventions")
    return value


def segment_people(risk_profile: pd.DataFrame, flows: PlanningFlows) -> pd.DataFrame:
    """Projected people per segment: the segment's share of its setting × the setting's flow."""
    need = {"setting", "offence_group", "risk_tier", "offenders"}
    if not need <= set(risk_profile.columns):
        raise DemandError(
            "the risk profile needs the columns setting, offence_group, risk_tier, offenders "
            "(the raw output of commissioning.assess.profiles.compute_profiles)"
        )
    frame = risk_profile[["setting", "offence_group", "risk_tier", "offenders"]].copy()
    frame["offenders"] = pd.to_numeric(frame["offenders"], errors="coerce").fillna(0)
    totals = frame.groupby("setting")["offenders"].transform("sum")
    flow = frame["setting"].map(
        {"community": flows.community_starts, "custody": flows.custody_receptions}
    ).fillna(0.0)
    frame["share"] = frame["offenders"] / totals.where(totals > 0)
    frame["people"] = (frame["share"].fillna(0) * flow).round(1)
    return frame


def service_demand(
    risk_profile: pd.DataFrame,
    need_profile: pd.DataFrame,
    flows: PlanningFlows,
    policy: Policy,
) -> pd.DataFrame:
    """Expected annual demand for each service by segment (columns SERVICE_DEMAND_COLUMNS)."""
    people = segment_people(risk_profile, flows)
    pct = pd.to_numeric(need_profile["prevalence_pct"], errors="coerce").fillna(0.0) / 100
    prevalence = {
        (str(st), str(g), str(n)): float(v)
        for st, g, n, v in zip(
            need_profile["setting"], need_profile["offence_group"], need_profile["need"], pct,
            strict=True,
        )
    }
    need_codes = {n.column: n.code for n in NEEDS}
    community_people = float(people.loc[people["setting"] == "community", "people"].sum())
    rows = []
    for sid, spec in services(policy).items():
        settings = set(spec.get("settings", []))
        groups = set(spec.get("offence_groups", []) or [])
        need = need_codes.get(str(spec.get("need")), spec.get("need"))
        requirement = spec.get("requirement")
        for seg in people.itertuples():
            if seg.setting not in settings or (groups and seg.offence_group not in groups):
                continue
            seg_people = float(seg.people)  # type: ignore[arg-type]
            in_community = seg.setting == "community"
            if requirement and in_community and requirement in flows.requirement_starts:
                share = seg_people / community_people if community_people else 0.0
                eligible = flows.requirement_starts[requirement] * share
                basis = f"requirement: {requirement}"
            elif need:
                key = (str(seg.setting), str(seg.offence_group), str(need))
                eligible = seg_people * prevalence.get(key, 0.0)
                basis = f"need: {need}"
            elif requirement:
                continue  # a requirement-only service (unpaid work, curfew) outside its setting
            else:
                eligible = seg_people
                basis = "offence group" if groups else "everyone in setting"
            rows.append(
                (seg.setting, seg.offence_group, seg.risk_tier, sid, spec.get("name", sid),
                 spec.get("evidence", ""), basis, seg_people, round(float(eligible), 1))
            )
    return pd.DataFrame(rows, columns=list(SERVICE_DEMAND_COLUMNS))


def service_totals(demand: pd.DataFrame) -> pd.DataFrame:
    """Eligible people per service and setting, largest first."""
    out: pd.DataFrame = demand.groupby(
        ["service_id", "service", "evidence", "setting"], as_index=False
    ).agg(eligible=("eligible", "sum"))
    out["eligible"] = out["eligible"].round(0)
    return out.sort_values(["setting", "eligible"], ascending=[True, False], ignore_index=True)


def planning_flows(
    forecast: pd.DataFrame,
    simulation: Simulation,
    first_month: str = "2012-04",
    scenario: str = "baseline",
) -> PlanningFlows:
    """Flows of the twelve months from ``first_month`` (the commissioning year 2012-13):
    community starts and requirement starts from the community forecast, sentenced receptions
    (all bands but remand) from the prison simulation."""
    start = pd.Period(first_month, freq="M")
    quarters = {str(pd.Period(start + k, freq="Q")) for k in range(12)}
    rows = forecast[(forecast["scenario"] == scenario) & forecast["quarter"].isin(quarters)]
    if rows.empty:
        raise DemandError(
            f"the community forecast does not cover {first_month} + 12 months; forecast further"
        )
    months = [str(start + k) for k in range(12)]
    idx = [i for i, m in enumerate(simulation.months) if m in months]
    if len(idx) < 12:
        raise DemandError(f"the prison projection does not cover {first_month} + 12 months")
    sentenced = [i for i, (band, _) in enumerate(STRATA) if band != "remand"]
    receptions = float(simulation.receptions[:, idx][:, :, sentenced].sum(axis=(1, 2)).mean())
    reqs = rows[rows["kind"] == "requirement"].groupby("series")["starts"].sum()
    return PlanningFlows(
        community_starts=float(rows.loc[rows["kind"] == "sentence_type", "starts"].sum()),
        custody_receptions=round(receptions, 1),
        requirement_starts={str(k): float(v) for k, v in reqs.items()},
        period=f"{months[0]} to {months[-1]}",
    )
