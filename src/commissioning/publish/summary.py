"""The summary at the top of the report: coverage, headline numbers, largest differences."""

from __future__ import annotations

import pandas as pd

from commissioning.publish.context import RoundContext
from commissioning.publish.disclosure import (
    is_small_count,
    small_cell_threshold,
    withheld_share,
)
from commissioning.publish.html import (
    GROUP_LABELS,
    SETTING_LABELS,
    SUPPRESSED,
    Cell,
    diff_cell,
    esc,
    fmt_count,
    fmt_pct,
    published_cell,
    table,
    tier_label,
)
from commissioning.publish.sections import Section
from commissioning.publish.tables import need_comparison, risk_comparison, tolerance_pp
from commissioning.schema.contract import SETTINGS

LARGEST = 5
_MEASURE_LABELS = {
    "share": "share of group",
    "under_25": "share under 25",
    "female": "share female",
}


def headline(context: RoundContext) -> pd.DataFrame:
    """Per setting: assessments, % medium or high risk of reoffending, % very high risk of harm.

    "Medium or high risk of reoffending" is the medium and high tiers (OGRS3 two-year score of
    50% or more, harm not high); "very high risk of harm" is the very high tier (footnote iii of
    Tables 1-2). Every figure comes from the round's unsuppressed counts
    (:meth:`RoundContext.people`): a withheld cell of Tables 1-2 never changes a total. The
    disclosure rule applies to the headline itself: a setting of 1 to threshold - 1 people
    is withheld, and so is a percentage whose people, or whose complement, are that few.
    """
    threshold = small_cell_threshold(context.policy)
    rows = []
    for setting in [s for s in SETTINGS if s in context.settings()]:
        total = context.people(setting)
        med_high = context.people(setting, risk_tiers=("medium", "high"))
        very_high = context.people(setting, risk_tiers=("very_high",))

        def pct(part: int, total: int = total) -> float:
            if not total or withheld_share(part, total, threshold):
                return float("nan")
            return 100 * part / total

        rows.append(
            {
                "setting": setting,
                "assessments": float("nan") if is_small_count(total, threshold) else total,
                "medium_high_reoffending_pct": pct(med_high),
                "very_high_harm_pct": pct(very_high),
            }
        )
    return pd.DataFrame(rows)


def _pct_text(value: float) -> str:
    text = fmt_pct(value)
    return text if text == SUPPRESSED else f"{text}%"


def largest_differences(context: RoundContext, n: int = LARGEST) -> pd.DataFrame:
    """The ``n`` largest absolute differences from the published tables, any measure."""
    risk = risk_comparison(context)
    rows = []
    for name, label in _MEASURE_LABELS.items():
        col = {"share": "share_pct", "under_25": "under_25_pct", "female": "female_pct"}[name]
        for r in risk.to_dict("records"):
            rows.append(
                {
                    "setting": r["setting"],
                    "offence_group": r["offence_group"],
                    "item": f"{tier_label(r['risk_tier'])} risk: {label}",
                    "recomputed": r[col],
                    "published": r[f"{col}_published"],
                    "diff_pp": r[f"{name}_diff_pp"],
                }
            )
    for r in need_comparison(context).to_dict("records"):
        rows.append(
            {
                "setting": r["setting"],
                "offence_group": r["offence_group"],
                "item": f"{r['need_label']}: prevalence",
                "recomputed": r["prevalence_pct"],
                "published": r["prevalence_pct_published"],
                "diff_pp": r["diff_pp"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["diff_pp"] = pd.to_numeric(frame["diff_pp"], errors="coerce").astype("float64")
    frame = frame[frame["diff_pp"].notna()]
    order = frame["diff_pp"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].head(n).reset_index(drop=True)


def render_summary(context: RoundContext) -> str:
    """Coverage, key figures per setting, and the largest differences from Tables 1-2."""
    tol = tolerance_pp(context)
    heads = headline(context)
    total = context.people()
    if is_small_count(total, small_cell_threshold(context.policy)):
        total_text = SUPPRESSED
    else:
        total_text = fmt_count(total)
    risk = risk_comparison(context)
    needs = need_comparison(context)
    compared = int(
        risk[["share_diff_pp", "under_25_diff_pp", "female_diff_pp"]].notna().sum().sum()
        + needs["diff_pp"].notna().sum()
    )
    over = int(
        (risk[["share_diff_pp", "under_25_diff_pp", "female_diff_pp"]].abs() > tol).sum().sum()
        + (needs["diff_pp"].abs() > tol).sum()
    )
    parts = [
        f'<p class="lead">This report profiles {total_text} offender assessments by '
        "setting, offence group and risk tier, and sets the results beside Tables 1 and 2 of "
        "<cite>NOMS Commissioning Intentions 2012-13</cite> (“Need for services”). Policy "
        f"parameters are those in force on {context.when.isoformat()}.</p>",
        '<div class="key-figures">',
    ]
    for h in heads.to_dict("records"):
        label = SETTING_LABELS.get(h["setting"], h["setting"])
        parts.append(
            f'<div class="key-figure"><h3>{esc(label)}</h3><dl>'
            f"<div><dt>Assessments</dt><dd>{fmt_count(h['assessments'])}</dd></div>"
            "<div><dt>Medium or high risk of reoffending</dt>"
            f"<dd>{_pct_text(h['medium_high_reoffending_pct'])}</dd></div>"
            "<div><dt>Very high risk of serious harm</dt>"
            f"<dd>{_pct_text(h['very_high_harm_pct'])}</dd></div></dl></div>"
        )
    parts.append("</div>")
    parts.append(
        f"<p>Of {compared} published figures compared, <strong>{over}</strong> differ from the "
        f"recomputed figure by more than {tol:g} percentage points. The largest differences:</p>"
    )
    body = []
    for r in largest_differences(context).to_dict("records"):
        body.append(
            [
                Cell(
                    f"{SETTING_LABELS.get(r['setting'], r['setting'])}, "
                    f"{GROUP_LABELS.get(r['offence_group'], r['offence_group']).lower()}",
                    header=True,
                ),
                Cell(str(r["item"])),
                Cell(fmt_pct(r["recomputed"]), numeric=True),
                published_cell(r["published"]),
                diff_cell(r["diff_pp"], r["recomputed"], r["published"], tol),
            ]
        )
    parts.append(
        table(
            [
                "Segment",
                "Figure",
                ("Recomputed (%)", True),
                ("Published (%)", True),
                ("Diff (pp)", True),
            ],
            body,
            caption="Largest differences from the published tables",
        )
    )
    parts.append(
        '<p class="note">Medium or high risk of reoffending: the medium and high tiers (OGRS3 '
        "two-year score of 50% or more, risk of serious harm not high). Very high risk of "
        "serious harm: the very high tier.</p>"
    )
    return "\n".join(parts)


SUMMARY_SECTION = Section("summary", "Need: Tables 1 and 2 beside the published figures", 810,
                          render_summary,
                          "The calibration check: coverage, headline numbers, largest differences")
