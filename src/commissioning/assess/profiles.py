"""Segments and need profiles in the layout of Tables 1-2 of the commissioning intentions.

A segment is setting × offence group × risk tier (4 × 4 in each of community and custody). The
risk profile gives, per segment, the offenders, their share of the offence group, the share under
25 and the share female; the need profile gives, per setting and offence group, the offenders with
each OASys need linked to offending and its prevalence. Any extra grouping columns (``by``) split
the profiles further, so a provider or region can profile its own population as the document
asks ("providers will be expected to apply this segmentation methodology").

Everything is an Ibis expression; execution happens in :mod:`commissioning.engine.backend`.
Counts come out raw: small-cell suppression is applied when publishing
(:mod:`commissioning.publish.disclosure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.schema.contract import NEEDS, OFFENCE_GROUPS, RISK_TIERS, SETTINGS

#: Columns of the risk profile after the ``by`` columns (the ``commission profile`` interface).
RISK_PROFILE_COLUMNS: tuple[str, ...] = (
    "setting",
    "offence_group",
    "risk_tier",
    "offenders",
    "share_pct",
    "under_25_pct",
    "female_pct",
)
#: Columns of the need profile after the ``by`` columns.
NEED_PROFILE_COLUMNS: tuple[str, ...] = (
    "setting",
    "offence_group",
    "need",
    "offenders_with_need",
    "prevalence_pct",
)

#: Age below which an offender counts as a "younger adult" in Tables 1-2.
UNDER_AGE = 25


def check_by_columns(t: ir.Table, by: Sequence[str]) -> None:
    """Fail with a clear message when a grouping column is unknown or reserved."""
    reserved = {"setting", "offence_group", "risk_tier", "need"}
    for col in by:
        if col in reserved:
            raise ValueError(f"--by {col}: the profile is always split by {col}")
        if col not in t.columns:
            raise ValueError(
                f"--by {col}: no such column in the assessments "
                f"(available: {', '.join(sorted(t.columns))})"
            )


def segment_counts(scored: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """Offenders, under-25s and women per ``by`` × setting × offence group × risk tier.

    Input: an assessments table scored by :func:`commissioning.assess.risk.score`.
    """
    check_by_columns(scored, by)
    keys = [*by, "setting", "offence_group", "risk_tier"]
    return scored.group_by(keys).aggregate(
        offenders=scored.count(),
        under_25=(scored.age_at_assessment < UNDER_AGE).cast("int64").sum(),
        female=(scored.sex == "female").cast("int64").sum(),
    )


def risk_profile(scored: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """The risk profile: per segment, offenders and the three shares of Tables 1-2.

    ``share_pct`` = offenders in the tier / offenders in the (``by`` ×) setting × offence group;
    ``under_25_pct`` and ``female_pct`` are shares of the tier's offenders. Percentages are 0-100.
    The raw counts ``under_25`` and ``female`` are kept for disclosure control.
    """
    counts = segment_counts(scored, by)
    group = ibis.window(group_by=[*by, "setting", "offence_group"])
    offenders = counts.offenders.cast("float64")
    with_share = counts.mutate(
        group_offenders=counts.offenders.sum().over(group),
    )
    return with_share.mutate(
        share_pct=100.0 * offenders / with_share.group_offenders.cast("float64"),
        under_25_pct=100.0 * counts.under_25.cast("float64") / offenders,
        female_pct=100.0 * counts.female.cast("float64") / offenders,
    ).select(
        *by,
        "setting",
        "offence_group",
        "risk_tier",
        "offenders",
        "share_pct",
        "under_25_pct",
        "female_pct",
        "under_25",
        "female",
        "group_offenders",
    )


def need_profile(scored: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """The need profile: per setting × offence group, offenders with each need and prevalence.

    Prevalence is the share of the group *assessed* on that need (a missing value means the
    section was not completed, as in the document: "based on data available from those who
    have been assessed"). Needs whose column is absent from the data are left out.
    """
    check_by_columns(scored, by)
    keys = [*by, "setting", "offence_group"]
    present = [n for n in NEEDS if n.column in scored.columns]
    if not present:
        raise ValueError("the assessments have none of the need_* columns; no need profile")
    aggs: dict[str, ir.Value] = {}
    for n in present:
        col = scored[n.column]
        aggs[f"with__{n.code}"] = col.cast("int64").sum()
        aggs[f"assessed__{n.code}"] = col.notnull().cast("int64").sum()
    wide = scored.group_by(keys).aggregate(**aggs)
    parts: list[ir.Table] = []
    for n in present:
        assessed = wide[f"assessed__{n.code}"]
        with_need = wide[f"with__{n.code}"].fill_null(0)
        parts.append(
            wide.select(
                *keys,
                need=ibis.literal(n.code),
                offenders_with_need=with_need,
                assessed=assessed,
                prevalence_pct=ibis.ifelse(
                    assessed > 0,
                    100.0 * with_need.cast("float64") / assessed.cast("float64"),
                    ibis.null("float64"),
                ),
            )
        )
    return ibis.union(*parts)



@dataclass(frozen=True)
class Profiles:
    """Risk and need profiles executed to pandas, raw (not yet disclosure-controlled)."""

    by: tuple[str, ...]
    risk: pd.DataFrame
    need: pd.DataFrame


def _complete_tiers(risk: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Add zero rows for tiers absent from a group, so every group shows all four tiers."""
    groups = risk[[*by, "setting", "offence_group"]].drop_duplicates()
    tiers = pd.DataFrame({"risk_tier": list(RISK_TIERS)})
    grid = groups.merge(tiers, how="cross")
    full = grid.merge(risk, on=[*by, "setting", "offence_group", "risk_tier"], how="left")
    for col in ("offenders", "under_25", "female"):
        full[col] = full[col].fillna(0).astype("int64")
    full["group_offenders"] = full.groupby([*by, "setting", "offence_group"])[
        "offenders"
    ].transform("sum")
    full["share_pct"] = 100.0 * full["offenders"] / full["group_offenders"]
    nonzero = full["offenders"] > 0
    full["under_25_pct"] = (100.0 * full["under_25"] / full["offenders"]).where(nonzero)
    full["female_pct"] = (100.0 * full["female"] / full["offenders"]).where(nonzero)
    return full


def _order(frame: pd.DataFrame, by: Sequence[str], last: str, order: Sequence[str]) -> pd.DataFrame:
    rank = {v: i for i, v in enumerate(order)}
    keyed = frame.assign(
        _setting=frame["setting"].map({s: i for i, s in enumerate(SETTINGS)}),
        _group=frame["offence_group"].map({g: i for i, g in enumerate(OFFENCE_GROUPS)}),
        _last=frame[last].map(rank) if order else 0,
    )
    return (
        keyed.sort_values([*by, "_setting", "_group", "_last"], kind="stable")
        .drop(columns=["_setting", "_group", "_last"])
        .reset_index(drop=True)
    )


def compute_profiles(con: BaseBackend, scored: ir.Table, by: Sequence[str] = ()) -> Profiles:
    """Run both profiles on the backend and return them sorted in the document's order.

    Needs are ranked within each group by prevalence, highest first (as Tables 1-2 list them).
    """
    by = tuple(by)
    risk = backend.execute(con, risk_profile(scored, by))
    risk = _order(_complete_tiers(risk, by), by, "risk_tier", RISK_TIERS)
    if not any(n.column in scored.columns for n in NEEDS):
        empty = pd.DataFrame(columns=[*by, *NEED_PROFILE_COLUMNS, "assessed"])
        return Profiles(by=by, risk=risk, need=empty)
    need = backend.execute(con, need_profile(scored, by))
    need = need.sort_values(
        [*by, "setting", "offence_group", "prevalence_pct", "need"],
        ascending=[True] * len(by) + [True, True, False, True],
        kind="stable",
    )
    need = _order(need, by, "need", ()).reset_index(drop=True)
    need["offenders_with_need"] = need["offenders_with_need"].astype("int64")
    need["assessed"] = need["assessed"].astype("int64")
    return Profiles(by=by, risk=risk, need=need)
