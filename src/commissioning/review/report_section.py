"""Report section 500, "Review: reoffending, impact and payment by results".

Renders the :class:`commissioning.review.step.ReviewResult` the round put in
``RoundContext.extras["review"]``: the proven-reoffending headline, the funnel plot of
case-mix-adjusted rates with its data, each service evaluation in the Justice Data Lab's words
with its balance table, the published payment-by-results decisions and the rating bands.
Small cells are already withheld by the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.charts import to_svg
from commissioning.publish.html import Cell, esc, fmt_count, fmt_pct, is_missing, table
from commissioning.publish.sections import Section

if TYPE_CHECKING:
    from commissioning.publish.context import RoundContext
    from commissioning.review.evaluate import Evaluation
    from commissioning.review.step import ReviewResult

SECTION_ID = "review"


def _pct(v: Any) -> str:
    return fmt_pct(None if is_missing(v) else 100 * float(v))


def _num(v: Any, decimals: int = 2) -> str:
    return "*" if is_missing(v) else f"{float(v):.{decimals}f}"


def _headline(result: ReviewResult) -> str:
    from commissioning.review.step import publishable_summary

    rows = []
    frames = (("All", result.national), *(
        (str(int(r["cohort_year"])), pd.DataFrame([r])) for _, r in result.by_year.iterrows()
    ))
    for label, frame in frames:
        r = publishable_summary(frame, result.threshold).iloc[0]
        rows.append([
            Cell(label, header=True), Cell(fmt_count(r["cohort_size"]), True),
            Cell(_pct(r["binary_rate"]), True),
            Cell(f"{_pct(r['binary_rate_lower'])}–{_pct(r['binary_rate_upper'])}", True),
            Cell(_num(r["frequency_per_offender"]), True),
            Cell(_num(r["frequency_per_reoffender"]), True),
            Cell(fmt_count(r["reconviction_events"]), True),
        ])
    headers: list[str | tuple[str, bool]] = [
        "Cohort (year of index date)", ("People", True), ("Reoffended (%)", True),
        ("95% interval (%)", True), ("Reoffences per offender", True),
        ("Reoffences per reoffender", True), ("Reconviction events", True),
    ]
    return table(headers, rows, caption="Proven reoffending: one year of offences, six more "
                  "months for the disposal")


def _funnel(result: ReviewResult) -> str:
    from commissioning.review.adjusted import funnel_chart

    rates = result.adjusted
    if rates is None:
        return ""
    t = rates.table
    shown = t[t["cohort_size"] >= result.threshold]
    outside = shown[shown["funnel_position"] != "within"].sort_values("adjusted_rate")
    svg = to_svg(funnel_chart(rates.__class__(shown, rates.national_rate, rates.method,
                                              rates.predictor)), "chart-review-funnel")
    rows = [[
        Cell(str(r["provider_id"]), header=True), Cell(fmt_count(r["cohort_size"]), True),
        Cell(_pct(r["actual_rate"]), True), Cell(_pct(r["expected_rate"]), True),
        Cell(_pct(r["adjusted_rate"]), True),
        Cell(f"{_pct(r['adjusted_lower'])}–{_pct(r['adjusted_upper'])}", True),
        Cell(str(r["funnel_position"])),
    ] for _, r in outside.iterrows()]
    data = table(
        ["Provider", ("People", True), ("Actual (%)", True), ("Expected (%)", True),
         ("Adjusted (%)", True), ("95% interval (%)", True), "Position"],
        rows, caption=f"Data: the {len(outside)} providers outside the 95% limits "
        f"(of {len(shown)} with {result.threshold} or more people)",
    )
    return (
        f'<figure class="chart" id="chart-review-funnel"><figcaption '
        f'id="chart-review-funnel-caption">Figure R1. Case-mix-adjusted proven reoffending by '
        f"provider against cohort size. {esc(rates.statement())}</figcaption>"
        f'<div class="chart-body"><div class="chart-svg">{svg}</div>'
        f'<div class="chart-data">{data}</div></div></figure>'
    )


def _evaluation(e: Evaluation) -> str:
    rows = []
    for label, o, scale, unit in (
        ("Proven reoffending rate", e.binary, 100, "%"),
        ("Reoffences per person", e.frequency, 1, ""),
        ("Days to first reoffence (reoffenders)", e.time_to_first, 1, ""),
    ):
        if o is None:
            continue
        dec = 0 if scale == 100 or "Days" in label else 2
        rows.append([
            Cell(label, header=True), Cell(f"{scale * o.treated:.{dec}f}{unit}", True),
            Cell(f"{scale * o.comparison:.{dec}f}{unit}", True),
            Cell(f"{scale * o.difference:+.{dec}f}".replace("-", "−"), True),
            Cell(f"{scale * o.ci_lower:.{dec}f} to {scale * o.ci_upper:.{dec}f}"
                 .replace("-", "−"), True),
            Cell("<0.001" if o.p_value < 0.001 else f"{o.p_value:.3f}", True),
        ])
    outcomes = table(
        ["Measure", ("Treatment group", True), ("Comparison group", True), ("Difference", True),
         ("95% interval", True), ("p-value", True)], rows,
        caption=f"{e.service}: {e.matched_n:,} people matched to {e.comparison_n:,} comparison "
        "people",
    )
    bal = [[Cell(b.variable.replace("_", " "), header=True), Cell(f"{b.smd_before:.3f}", True),
            Cell(f"{b.smd_after:.3f}", True)] for b in e.balance]
    balance = table(["Matching variable", ("SMD before", True), ("SMD after", True)], bal,
                    caption="Balance: standardised differences (|SMD| < 0.1 is balanced)")
    s = e.sensitivity
    return (
        f"<h3>{esc(e.service)}</h3><p>{esc(e.conclusion)}</p>{outcomes}"
        f"<p>Sensitivity: risk ratio {s.risk_ratio:.2f}; E-value {s.e_value:.2f} (for the "
        f"interval, {s.e_value_ci:.2f}) — an unmeasured confounder would need to be associated "
        f"with both the service and reoffending by a risk ratio of at least that much to explain "
        f"the result away.</p><details><summary>Balance and method</summary>{balance}"
        f"<p>{esc(e.method)}</p></details>"
    )


def _payments(result: ReviewResult) -> str:
    rows = [[Cell(p.scheme, header=True), Cell(p.cohort), Cell(p.decision), Cell(p.evidence)]
            for p in result.payments]
    return table(["Scheme", "Cohort", "Decision", "Evidence"], rows,
                 caption="Payment by results: the published decisions recomputed from the "
                 "published figures")


def _ratings(result: ReviewResult) -> str:
    if result.ratings is None:
        return ""
    t = result.ratings.table
    counts = t["band"].value_counts()
    labels = dict(zip(t["band"], t["band_label"], strict=False))
    rows = [[Cell(str(b), header=True), Cell(str(labels.get(b, "")), False),
             Cell(fmt_count(counts.get(b, 0)), True)] for b in (4, 3, 2, 1)]
    return table(["Band", "Meaning", ("Providers", True)], rows,
                 caption=f"Provider ratings (providers with {result.rating_minimum} or more "
                         "cohort members)") + (
        f"<p class=\"method\">{esc(result.ratings.method)}</p>"
    )


def render_review(context: RoundContext) -> str:
    """The section's HTML, or a note when the round had no review results."""
    result = context.extras.get(SECTION_ID)
    if result is None:
        return "<p>No reoffending cohort in this workspace: import <code>cohort</code> and " \
               "<code>reoffences</code> to review outcomes.</p>"
    parts = [
        "<p>Proven reoffending measured as the Ministry of Justice does: offences committed in "
        "the year after release or the start of a court order, proven by a conviction or caution "
        "within that year or six months more. Cells of fewer than "
        f"{result.threshold} people are withheld (*).</p>",
        _headline(result), _funnel(result),
        "<h3>Does it work? Impact evaluations in the Justice Data Lab's style</h3>",
        *(_evaluation(e) for e in result.evaluations),
        *(f"<p>{esc(k)}: not evaluated. {esc(v)}</p>" for k, v in result.refused.items()),
        _payments(result), _ratings(result),
        *(f"<p>Note: {esc(n)}.</p>" for n in result.notes),
    ]
    return "\n".join(p for p in parts if p)


SECTION = Section(SECTION_ID, "Review: reoffending, impact and payment by results", 500,
                  render_review, "Proven reoffending, adjusted rates, impact "
                  "evaluation, payment by results and ratings")
