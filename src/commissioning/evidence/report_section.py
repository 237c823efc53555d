"""Report section 200, "Evidence: what works and what to disinvest".

The evidence summary per service (document category, the rules' category and why, the
effect used with its 95% range and whether it is published, an analogue or a labelled
assumption, "what works" score), a chart of pooled odds ratios, benefit–cost per service over
the segments it may serve (the per-segment table is ``exports/evidence/benefit_cost.csv``) and
the disinvestment candidates. Reads the :class:`~commissioning.evidence.step.EvidenceResult`
the round step put in ``context.extras["evidence"]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.evidence.catalogue import CATEGORY_LABELS
from commissioning.publish.html import Cell, esc, table, tier_label
from commissioning.publish.sections import Section

if TYPE_CHECKING:
    from commissioning.evidence.step import EvidenceResult
    from commissioning.publish.context import RoundContext

SECTION_ID = "evidence"


def _num(value: Any, fmt: str = "{:,.0f}") -> Cell:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Cell("–", numeric=True, title="not available")
    return Cell(fmt.format(value), numeric=True)


KIND_LABELS = {
    "published": "published",
    "published_se_assumed": "published, SE assumed*",
    "analogue": "analogue",
    "assumption": "ASSUMPTION",
}


def _summary_table(result: EvidenceResult) -> str:
    rows = []
    for item, r in zip(result.catalogue, result.ratings, strict=True):
        e = result.effects.get(item.id)
        if e is not None:
            lo, hi = e.interval()
            effect = f"{e.risk_ratio:.2f} ({lo:.2f}–{hi:.2f})"
            basis = KIND_LABELS[e.kind] + (
                f" of {item.effect_analogue}" if e.kind == "analogue" and item.effect_analogue
                else "")
        else:
            effect, basis = "–", "–"
        rows.append([
            Cell(item.name, header=True),
            Cell(CATEGORY_LABELS[r.document_category]),
            Cell(CATEGORY_LABELS[r.rules_category] if r.rules_category else "–"),
            Cell("; ".join(r.reasons)),
            Cell(effect, numeric=True),
            Cell(basis),
            Cell(f"{r.what_works_score * 8:.0f}/8 ({r.what_works_known} known)", numeric=True),
            Cell("yes" if item.core else "no"),
        ])
    return table(
        ["Service", "Document's category", "Rules' category", "Why",
         ("Risk ratio used (95% range)", True), "Basis", ("What works", True), "Core offer"],
        rows,
        caption="Evidence summary per service (risk ratio of proven reoffending at the studies' "
        "reference rate, quality of delivery applied: below 1 is fewer reoffences; "
        "* published without an interval, standard error assumed; ASSUMPTION: no published "
        "figure maps to the service, the range is evidence.assumed_effects)",
    )


def _bca_table(result: EvidenceResult) -> str:
    frame = result.benefit_cost
    if frame.empty:
        return "<p>No service has a UK unit cost, so no benefit–cost is shown.</p>"
    rows = []
    ok = frame[frame["eligible"].astype(bool)]
    for sid, part in ok.groupby("intervention_id", sort=False):
        w = part["offenders"].to_numpy(float)
        if w.sum() <= 0:
            continue
        item = result.catalogue.get(str(sid))
        e = result.effects[str(sid)]
        benefit = float((part["benefit_gbp"] * w).sum() / w.sum())
        cost = float(part["cost_gbp"].iloc[0])
        p = part["p_benefit_exceeds_cost"]
        tiers = part.groupby("risk_tier")["benefit_gbp"].mean()
        rows.append([
            Cell(item.name, header=True),
            Cell(KIND_LABELS[e.kind]),
            _num(e.risk_ratio, "{:.2f}"),
            _num(float((part["avoided_reoffences"] * w).sum() / w.sum()), "{:.3f}"),
            _num(benefit, "£{:,.0f}"),
            _num(cost, "£{:,.0f}"),
            _num(benefit / cost if cost else float("nan"), "{:.2f}"),
            Cell(f"{p.min() * 100:.0f}–{p.max() * 100:.0f}%", numeric=True),
            Cell(", ".join(f"{tier_label(str(t))} £{v:,.0f}" for t, v in tiers.items())),
        ])
    return table(
        ["Service", "Effect basis", ("Risk ratio", True),
         ("Proven reoffences avoided per start", True), ("Benefit per start", True),
         ("Unit cost", True), ("Benefit–cost ratio", True), ("P(benefit > cost)", True),
         "Benefit per start by risk tier"],
        rows,
        caption="Benefit–cost per start over the segments each service may serve (weighted by "
        "offenders; Monte Carlo over the effect's uncertainty; one-year proven reoffences "
        "valued at each segment's own reoffence mix, 2011-12 prices)",
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

    rows.sort(key=lambda r: str(r["service"]))  # the chart's order, so table and chart agree
    frame = pd.DataFrame(rows)
    y = alt.Y("service:N", title=None)
    # a log axis from the widest interval, ticks at 1-2-5 steps so labels never collide
    steps = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
    low = max([t for t in steps if t <= min(0.5, float(frame["lower"].min()))], default=0.01)
    high = min([t for t in steps if t >= max(2.0, float(frame["upper"].max()))], default=100)
    ticks = [t for t in steps if low <= t <= high]
    x_scale = alt.Scale(type="log", domain=[low, high], nice=False)
    base = alt.Chart(frame)
    chart = (
        base.mark_rule(color="#0b0c0c").encode(
            y=y, x=alt.X("lower:Q", scale=x_scale, title="odds ratio of reoffending (log scale)",
                         axis=alt.Axis(values=ticks, format="~g")), x2="upper:Q"
        )
        + base.mark_point(filled=True, shape="diamond", size=120, color="#1d70b8").encode(
            y=y, x="odds_ratio:Q"
        )
        + alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    ).properties(width=420, height=max(60, 30 * len(frame)))
    svg = to_svg(chart, "evidence-pooled")
    data = table(["Service", ("OR", True), ("Lower", True), ("Upper", True)], [
        [Cell(str(row["service"]), header=True), _num(row["odds_ratio"], "{:.2f}"),
         _num(row["lower"], "{:.2f}"), _num(row["upper"], "{:.2f}")] for row in rows
    ])
    return (
        '<figure class="chart" id="evidence-pooled">'
        '<figcaption>Pooled odds ratios of reoffending per service, with 95% intervals (1 = no '
        'effect; below 1 fewer reoffend)</figcaption>'
        f'<div class="chart-body"><div class="chart-svg">{svg}</div>'
        f'<div class="chart-data">{data}</div></div></figure>'
    )


def render_evidence(context: RoundContext) -> str:
    """The section's HTML, or a note when the round did not run the evidence step."""
    result: EvidenceResult | None = context.extras.get(SECTION_ID)
    if result is None:
        return "<p>The evidence step did not run in this round.</p>"
    counts = pd.Series([r.category for r in result.ratings]).value_counts()
    kinds = pd.Series([e.kind for e in result.effects.values()]).value_counts()
    n_analogue = int(kinds.get("analogue", 0))
    n_se = int(kinds.get("published_se_assumed", 0))
    n_published = int(kinds.get("published", 0)) + n_analogue + n_se
    n_assumed = int(kinds.get("assumption", 0))
    summary = ", ".join(
        f"{counts.get(c, 0)} {label.lower()}" for c, label in CATEGORY_LABELS.items()
    )
    return (
        f"<p>{len(result.catalogue)} services in the catalogue: {esc(summary)}. Categories are "
        "the document's unless studies at Maryland Scientific Methods Scale level 3 or above "
        "are entered, when the rules engine rates them and says why. "
        f"{n_published} services carry a published effect entered in the catalogue "
        f"({n_analogue} of them from a close analogue, {n_se} without a published interval); "
        f"{n_assumed} carry a labelled assumption with the range shown.</p>"
        "<p><strong>Outcome model</strong> (the same for benefit–cost and the plan): the "
        "outcome is proven reoffences in the one-year MoJ measure. A published effect (log odds "
        "ratio; WSIPP's D-Cox × 1.65) becomes a risk ratio at the studies' reference rate and "
        "is applied as a constant risk ratio to each segment's OGRS3 one-year probability, so "
        "the absolute effect grows with risk (the RNR risk principle); services received by the "
        "same people combine multiplicatively at their 2011-12 coverage; reoffenders avoided × "
        "the segment's proven reoffences per reoffender give reoffences avoided, valued at the "
        "segment's own reoffence mix with Home Office costs of crime (criminal-justice response "
        "included once) in 2011-12 prices via the GDP deflator. Per start, one year, no "
        "lifetime benefits.</p>"
        + _summary_table(result)
        + _pooled_chart(result)
        + "<h3>Benefit–cost per service</h3>"
        + _bca_table(result)
        + "<h3>What to disinvest</h3>"
        + _disinvest_table(result)
    )


SECTION = Section(SECTION_ID, "Evidence: what works and what to disinvest", 200, render_evidence)
