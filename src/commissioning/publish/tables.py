"""Tables 1 and 2 of the document, recomputed beside the published figures.

The layout follows "Need for services" in *NOMS Commissioning Intentions 2012-13*: for each
offence group, the risk tiers with the share of the group, the share under 25 and the share
female, and the six most common needs linked to offending with their prevalence.
"""

from __future__ import annotations

import pandas as pd

from commissioning.assess.profiles import NEED_PROFILE_COLUMNS, RISK_PROFILE_COLUMNS
from commissioning.publish.compare import (
    TOLERANCE_PARAMETER,
    by_columns,
    compare_need_prevalence,
    compare_risk_profile,
)
from commissioning.publish.context import RoundContext
from commissioning.publish.disclosure import is_small_count, small_cell_threshold
from commissioning.publish.html import (
    GROUP_LABELS,
    Cell,
    diff_cell,
    esc,
    fmt_count,
    fmt_pct,
    published_cell,
    table,
    tier_label,
)
from commissioning.publish.sections import ReportError, Section
from commissioning.schema.contract import OFFENCE_GROUPS

#: Optional parameter a workspace can set to change the highlighting tolerance.
TOP_NEEDS = 6

_TABLE_TITLES = {
    "community": ("Table 1", "Offenders in the community", 206_670),
    "custody": ("Table 2", "Offenders in custody", 10_826),
}


def tolerance_pp(context: RoundContext) -> float:
    """The highlighting tolerance in percentage points, from the parameters in force."""
    return float(context.parameters.value(TOLERANCE_PARAMETER, context.when))


def national(frame: pd.DataFrame, standard: tuple[str, ...], what: str) -> pd.DataFrame:
    """The profile itself, refusing profiles split by extra columns (they need their own view)."""
    extra = by_columns(frame, standard)
    if extra:
        raise ReportError(
            f"the {what} is split by {', '.join(extra)}; the commissioning-round report compares "
            "national figures with Tables 1-2. Profile without --by for the report."
        )
    return frame


#: Comparisons computed during one build, shared by the sections (cleared by the builder).
_COMPARISONS: dict[tuple[str, int, float], pd.DataFrame] = {}


def clear_comparisons() -> None:
    """Forget the comparisons cached during a build."""
    _COMPARISONS.clear()


def risk_comparison(context: RoundContext) -> pd.DataFrame:
    """`compare_risk_profile` for the context's national risk profile."""
    tol = tolerance_pp(context)
    key = ("risk", id(context.risk_profile), tol)
    if key not in _COMPARISONS:
        profile = national(context.risk_profile, RISK_PROFILE_COLUMNS, "risk profile")
        _COMPARISONS[key] = compare_risk_profile(profile, tolerance_pp=tol)
    return _COMPARISONS[key].copy()


def need_comparison(context: RoundContext) -> pd.DataFrame:
    """`compare_need_prevalence` for the context's national need profile."""
    tol = tolerance_pp(context)
    key = ("need", id(context.need_profile), tol)
    if key not in _COMPARISONS:
        profile = national(context.need_profile, NEED_PROFILE_COLUMNS, "need profile")
        _COMPARISONS[key] = compare_need_prevalence(profile, tolerance_pp=tol)
    return _COMPARISONS[key].copy()


def _tier_table(rows: pd.DataFrame, tol: float) -> str:
    measures = (("share_pct", "share"), ("under_25_pct", "under_25"), ("female_pct", "female"))
    header_rows = (
        '<tr><td colspan="2"></td>'
        '<th scope="colgroup" colspan="3" class="group-head">Share of offence group (%)</th>'
        '<th scope="colgroup" colspan="3" class="group-head">Under 25 (%)</th>'
        '<th scope="colgroup" colspan="3" class="group-head">Female (%)</th></tr>'
    )
    headers: list[str | tuple[str, bool]] = ["Risk tier", ("Offenders", True)]
    for _ in measures:
        headers += [("Recomputed", True), ("Published", True), ("Diff (pp)", True)]
    body = []
    for r in rows.to_dict("records"):
        cells = [
            Cell(tier_label(r["risk_tier"]), header=True),
            Cell(fmt_count(r["offenders"]), True),
        ]
        for col, name in measures:
            cells += [
                Cell(fmt_pct(r[col]), numeric=True),
                published_cell(r[f"{col}_published"]),
                diff_cell(r[f"{name}_diff_pp"], r[col], r[f"{col}_published"], tol),
            ]
        body.append(cells)
    return table(headers, body, css="compare", header_rows=header_rows)


def _need_table(rows: pd.DataFrame, tol: float) -> str:
    top = rows[(rows["rank"] <= TOP_NEEDS) | rows["rank_published"].notna()]
    headers: list[str | tuple[str, bool]] = [
        "Need linked to offending",
        ("Rank", True),
        ("Offenders with need", True),
        ("Recomputed (%)", True),
        ("Published (%)", True),
        ("Diff (pp)", True),
    ]
    body = []
    for r in top.to_dict("records"):
        rank_pub = r["rank_published"]
        rank = f"{r['rank']}" + ("" if pd.isna(rank_pub) else f" ({rank_pub})")
        body.append(
            [
                Cell(str(r["need_label"]), header=True),
                Cell(rank, numeric=True, title="recomputed rank (published rank)"),
                Cell(fmt_count(r["offenders_with_need"]), numeric=True),
                Cell(fmt_pct(r["prevalence_pct"]), numeric=True),
                published_cell(r["prevalence_pct_published"]),
                diff_cell(r["diff_pp"], r["prevalence_pct"], r["prevalence_pct_published"], tol),
            ]
        )
    return table(headers, body, css="compare needs")


def render_setting(context: RoundContext, setting: str) -> str:
    """One of Tables 1-2: per offence group, tiers and the most common needs."""
    tol = tolerance_pp(context)
    risk = risk_comparison(context)
    needs = need_comparison(context)
    risk = risk[risk["setting"] == setting]
    needs = needs[needs["setting"] == setting]
    number, name, sample = _TABLE_TITLES[setting]
    threshold = small_cell_threshold(context.policy)

    def people(group: str | None = None) -> float:
        # totals come from unsuppressed counts; a total of 1 to threshold - 1 is withheld
        n = context.people(setting, group)
        return float("nan") if is_small_count(n, threshold) else n

    total = people()
    over = int(risk["over_tolerance"].sum() + needs["over_tolerance"].sum())
    parts = [
        f'<p class="lead">{esc(number)} of the document, “{esc(name)}” (a sample of '
        f"{sample:,} OASys assessments, April 2010 to March 2011), recomputed from "
        f"{fmt_count(total)} assessments in this round. Differences are recomputed minus "
        f'published, in percentage points (pp); <span class="over-key">▲ marks</span> a '
        f"difference over {tol:g} pp ({over} in this table). <code>*</code> is a figure "
        "suppressed to protect small numbers; – is a figure the document does not state.</p>"
    ]
    for group in OFFENCE_GROUPS:
        g_risk = risk[risk["offence_group"] == group]
        g_need = needs[needs["offence_group"] == group]
        if g_risk.empty and g_need.empty:
            continue
        notes = sorted({n for n in g_risk["note"] if n})
        note_html = "".join(
            f'<p class="note">The {esc(n)}; the recomputed tiers '
            "are merged the same way (offenders summed, shares weighted by offenders).</p>"
            for n in notes
        )
        parts.append(
            f'<div class="offence-group" id="{esc(setting)}-{esc(group)}">'
            f"<h3>{esc(GROUP_LABELS.get(group, group))} offenders "
            f'<span class="count">{fmt_count(people(group))} '
            "assessed</span></h3>"
            f"{_tier_table(g_risk, tol)}{note_html}"
            f"<h4>Most common needs</h4>{_need_table(g_need, tol)}</div>"
        )
    return "\n".join(parts)


def render_community(context: RoundContext) -> str:
    """Table 1, offenders in the community."""
    return render_setting(context, "community")


COMMUNITY_SECTION = Section("community", "Need: offenders in the community", 820,
                            render_community,
                            "Table 1 recomputed beside the published figures")


def render_custody(context: RoundContext) -> str:
    """Table 2, offenders in custody."""
    return render_setting(context, "custody")


CUSTODY_SECTION = Section("custody", "Need: offenders in custody", 830, render_custody,
                          "Table 2 recomputed beside the published figures")


def render_all_needs(context: RoundContext) -> str:
    """All ten OASys needs per setting and offence group, ranked by recomputed prevalence."""
    needs = need_comparison(context)
    parts = [
        '<p class="lead">The share of each offence group assessed with each OASys need linked '
        "to offending (sections 3 to 12), with its rank in the group (1 = most common). The "
        "document lists only the six most common needs per group.</p>"
    ]
    for setting in needs["setting"].drop_duplicates():
        rows = needs[needs["setting"] == setting]
        groups = [g for g in OFFENCE_GROUPS if g in set(rows["offence_group"])]
        mean_rank = rows.groupby("need_label")["rank"].mean().sort_values(kind="stable")
        headers: list[str | tuple[str, bool]] = ["Need"]
        for g in groups:
            label = GROUP_LABELS.get(g, g)
            headers += [(f"{label} (%)", True), (f"{label} rank", True)]
        by_key = {(r["offence_group"], r["need_label"]): r for r in rows.to_dict("records")}
        body = []
        for need_label in mean_rank.index:
            cells = [Cell(str(need_label), header=True)]
            for g in groups:
                r = by_key.get((g, need_label))
                if r is None:
                    cells += [Cell("–", True), Cell("–", True)]
                    continue
                cells += [
                    Cell(fmt_pct(r["prevalence_pct"]), numeric=True),
                    Cell(fmt_count(r["rank"]), numeric=True, css="rank"),
                ]
            body.append(cells)
        _, name, _ = _TABLE_TITLES.get(setting, ("", str(setting).title(), 0))
        parts.append(f"<h3>{esc(name)}</h3>" + table(headers, body, css="wide"))
    return "\n".join(parts)


NEEDS_SECTION = Section("needs", "Need prevalence: all ten needs", 840, render_all_needs,
                        "Every OASys need, ranked per group")
