"""Report section 200, "Evidence: what works and what to disinvest".

The evidence summary per service (document category, the rules' category and why, pooled
effect, "what works" score, minimum conditions), a chart of pooled odds ratios, benefit–cost by
segment (the risk principle shows as low benefit for low-risk segments) and the disinvestment
candidates. Reads the :class:`~commissioning.evidence.step.EvidenceResult` the round step put
in ``context.extras["evidence"]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.evidence.catalogue import CATEGORY_LABELS
from commissioning.publish.html import GROUP_LABELS, SETTING_LABELS, Cell, esc, table, tier_label
from commissioning.publish.sections import Section, register_section

if TYPE_CHECKING:
    from commissioning.evidence.step import EvidenceResult
    from commissioning.publish.context import RoundContext

SECTION_ID = "evidence"


def _num(value: Any, fmt: str = "{:,.0f}") -> Cell:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Cell("–", numeric=True, title="not available")
    return Cell(fmt.format(value), numeric=True)


def _summary_table(result: EvidenceResult) -> str:
    rows = []
    for item, r in zip(result.catalogue, result.ratings, strict=True):
        pooled = r.pooled
        if pooled is not None:
            lo = math.exp(pooled.log_or - 1.96 * pooled.se)
            hi = math.exp(pooled.log_or + 1.96 * pooled.se)
            effect = f"{pooled.odds_ratio:.2f} ({lo:.2f}–{hi:.2f})" + (
                "*" if pooled.se_assumed else ""
            )
        else:
            effect = "no study data entered" if not item.studies else "not pooled"
        rows.append([
            Cell(item.name, header=True),
            Cell(CATEGORY_LABELS[r.document_category]),
            Cell(CATEGORY_LABELS[r.rules_category] if r.rules_category else "–"),
            Cell("; ".join(r.reasons)),
            Cell(effect, numeric=True),
            Cell(f"{r.what_works_score * 8:.0f}/8 ({r.what_works_known} known)", numeric=True),
            Cell("yes" if item.core else "no"),
        ])
    return table(
        ["Service", "Document's category", "Rules' category", "Why", ("Pooled OR (95% CI)", True),
         ("What works", True), "Core offer"],
        rows,
        caption="Evidence summary per service (odds ratio of reoffending: below 1 is fewer "
        "reoffences; * standard error assumed, no interval published)",
    )


def _bca_table(result: EvidenceResult) -> str:
    frame = result.benefit_cost
    if frame.empty:
        return "<p>No service has an effect estimate entered, so no benefit–cost is shown.</p>"
    rows = []
    for r in frame.to_dict(orient="records"):
        name = result.catalogue.get(str(r["intervention_id"])).name
        rows.append([
            Cell(name, header=True),
            Cell(SETTING_LABELS.get(str(r["setting"]), str(r["setting"]))),
            Cell(GROUP_LABELS.get(str(r["offence_group"]), str(r["offence_group"]))),
            Cell(tier_label(str(r["risk_tier"])) + ("" if r["eligible"] else " (not eligible)")),
            _num((r["baseline"]) * 100, "{:.0f}%"),
            _num((r["reduction_pp"]), "{:.1f}"),
            _num((r["benefit_gbp"]), "£{:,.0f}"),
            _num((r["cost_gbp"]), "£{:,.0f}"),
            _num((r["bcr"]), "{:.1f}"),
            _num((r["p_benefit_exceeds_cost"]) * 100, "{:.0f}%"),
        ])
    return table(
        ["Service", "Setting", "Offence group", "Risk tier", ("Baseline (OGRS3 2y)", True),
         ("Reduction (pp)", True), ("Benefit per participant", True), ("Cost", True),
         ("Benefit–cost ratio", True), ("P(benefit > cost)", True)],
        rows,
        caption="Benefit–cost per participant by segment (Monte Carlo over the effect's "
        "uncertainty)",
    )


def _disinvest_table(result: EvidenceResult) -> str:
    rows = [
        [Cell(result.catalogue.get(r.intervention_id).name, header=True),
         Cell(CATEGORY_LABELS[r.category]), Cell("; ".join(r.disinvest_reasons))]
        for r in result.ratings if r.disinvest_reasons
    ]
    return table(["Service", "Category", "Why a disinvestment candidate"], rows,
                 caption="Disinvestment candidates: ineffective or harmful, or evidence lacking "
                 "and failing the document's four minimum conditions")


def _pooled_chart(result: EvidenceResult) -> str:
    from commissioning.publish.charts import to_svg

    rows = []
    for item, r in zip(result.catalogue, result.ratings, strict=True):
        if r.pooled is not None:
            p = r.pooled
            rows.append({"service": item.name, "odds_ratio": p.odds_ratio,
                         "lower": math.exp(p.log_or - 1.96 * p.se),
                         "upper": math.exp(p.log_or + 1.96 * p.se)})
    if not rows:
        return ""
    import altair as alt

    frame = pd.DataFrame(rows)
    y = alt.Y("service:N", title=None)
    x_scale = alt.Scale(type="log")
    base = alt.Chart(frame)
    chart = (
        base.mark_rule(color="#0b0c0c").encode(
            y=y, x=alt.X("lower:Q", scale=x_scale, title="odds ratio of reoffending"), x2="upper:Q"
        )
        + base.mark_point(filled=True, shape="diamond", size=120, color="#1d70b8").encode(
            y=y, x="odds_ratio:Q"
        )
        + alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    ).properties(title="Pooled effects entered in the catalogue (95% interval)", width=420,
                 height=max(60, 30 * len(frame)))
    svg = to_svg(chart, "evidence-pooled")
    data = table(["Service", ("OR", True), ("Lower", True), ("Upper", True)], [
        [Cell(str(row["service"]), header=True), _num(row["odds_ratio"], "{:.2f}"),
         _num(row["lower"], "{:.2f}"), _num(row["upper"], "{:.2f}")] for row in rows
    ])
    return (
        '<figure class="chart" id="evidence-pooled">'
        '<figcaption>Pooled odds ratios of reoffending per service (1 = no effect)</figcaption>'
        f'<div class="chart-body"><div class="chart-svg">{svg}</div>'
        f'<div class="chart-data">{data}</div></div></figure>'
    )


def render_evidence(context: RoundContext) -> str:
    """The section's HTML, or a note when the round did not run the evidence step."""
    result: EvidenceResult | None = context.extras.get(SECTION_ID)
    if result is None:
        return "<p>The evidence step did not run in this round.</p>"
    counts = pd.Series([r.category for r in result.ratings]).value_counts()
    summary = ", ".join(
        f"{counts.get(c, 0)} {label.lower()}" for c, label in CATEGORY_LABELS.items()
    )
    return (
        f"<p>{len(result.catalogue)} services in the catalogue: {esc(summary)}. Categories are "
        "the document's unless studies at Maryland Scientific Methods Scale level 3 or above "
        "are entered, when the rules engine rates them and says why. Benefit–cost applies the "
        "pooled effect on the odds scale to each segment's mean OGRS3 two-year probability, "
        "scaled by the quality-of-delivery factor and, for low-risk segments, the risk "
        "principle; costs and values are the evidence.* parameters (several are stated "
        "assumptions).</p>"
        + _summary_table(result)
        + _pooled_chart(result)
        + "<h3>Benefit–cost by segment</h3>"
        + _bca_table(result)
        + "<h3>What to disinvest</h3>"
        + _disinvest_table(result)
    )


SECTION = register_section(
    Section(SECTION_ID, "Evidence: what works and what to disinvest", 200, render_evidence),
    replace=True,
)
