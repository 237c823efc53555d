"""Report section 400, "Plan: the portfolio and the intentions".

The headline (budget, spend, savings, reoffences avoided against today's ranking method), the
invest/disinvest chart and table by service, every intention with whether it holds for the
baseline, the ranking method and the plan, the shadow price of the budget and the savings
scenarios (with the conflicts that make a scenario infeasible).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.charts import MEASURE_COLOURS, to_svg
from commissioning.publish.html import Cell, esc, table
from commissioning.publish.sections import Section, register_section

if TYPE_CHECKING:
    import altair as alt

    from commissioning.plan.run import PlanResult
    from commissioning.publish.context import RoundContext


def _m(value: float | None) -> str:
    return "–" if value is None else f"£{value / 1e6:,.1f}M"


def _holds(value: bool | None) -> Cell:
    if value is None:
        return Cell("not checked", css="muted")
    return Cell("holds" if value else "broken", css="" if value else "diff-high")


def changes_chart(changes: pd.DataFrame) -> alt.TopLevelMixin:
    """Spend change against the baseline per rehabilitation service and setting."""
    import altair as alt

    data = changes.assign(change=changes["spend_change"] / 1e6,
                          label=changes["service_id"] + " (" + changes["setting"] + ")")
    chart: alt.TopLevelMixin = alt.Chart(data).mark_bar().encode(
        x=alt.X("change:Q", title="Change in spend against 2011-12 (£M)"),
        y=alt.Y("label:N", sort="x", title=None),
        color=alt.condition("datum.change > 0", alt.value(MEASURE_COLOURS[2]),
                            alt.value(MEASURE_COLOURS[1])),
    ).properties(width=420)
    return chart


def _changes(plan: PlanResult) -> pd.DataFrame:
    from commissioning.plan.run import changes_by

    rehab = plan.portfolio[plan.portfolio["evidence_category"] != "not_applicable"]
    return changes_by(rehab, ["service_id", "setting"])


def render_plan(context: RoundContext) -> str:
    result: Any = context.extras.get("plan")
    if result is None:
        return "<p>The plan step did not run.</p>"
    if result.plan is None:
        return f"<p>No plan: {esc(result.skipped)}</p>"
    plan: PlanResult = result.plan
    parts = [
        "<p>The optimum maximises " + esc("proven reoffences avoided" if plan.objective_kind ==
                                          "reoffences" else "net social benefit")
        + " under the budget after the savings target, statutory demand, growth limits and every "
        "machine-checkable commissioning intention; it is verified by recomputing every "
        "constraint from the solution. Unit costs and effects are stated assumptions "
        "(parameters <code>plan.*</code>).</p>",
        table(["Measure", ("Value", True)], [
            [Cell("Status", header=True), Cell(plan.status)],
            [Cell("Baseline spend 2011-12", header=True), Cell(_m(plan.baseline_spend), True)],
            [Cell("Savings target", header=True), Cell(_m(plan.savings_target), True)],
            [Cell("Budget for the portfolio", header=True), Cell(_m(plan.budget), True)],
            [Cell("Planned spend", header=True), Cell(_m(plan.planned_spend), True)],
            [Cell("Objective, optimum", header=True),
             Cell("–" if plan.objective is None else f"{plan.objective:,.0f}", True)],
            [Cell("Objective, ranking by benefit–cost", header=True),
             Cell(f"{plan.ranking_objective:,.0f}", True)],
            [Cell("What £1M more buys", header=True),
             Cell("–" if plan.budget_shadow_price is None
                  else f"{plan.budget_shadow_price:,.1f}", True)],
        ], caption="The plan in brief"),
    ]
    if plan.conflicts:
        parts.append("<p><strong>No feasible plan.</strong> The constraints that conflict:</p><ul>"
                     + "".join(f"<li>{esc(c.sentence())}</li>" for c in plan.conflicts) + "</ul>")
    if len(plan.portfolio):
        changes = _changes(plan)
        moved = changes[changes["spend_change"].abs() > 1.0]
        if len(moved):
            parts.append(f'<figure class="chart" id="plan-changes">'
                         f"<figcaption>Invest and disinvest against 2011-12, by service"
                         f"</figcaption>{to_svg(changes_chart(moved), 'plan-changes')}</figure>")
        parts.append(table(
            ["Service", "Setting", ("Baseline £M", True), ("Planned £M", True),
             ("Change £M", True), ("Reoffences avoided", True)],
            [[Cell(str(r["service_id"])), Cell(str(r["setting"])),
              Cell(f"{float(r['baseline_spend']) / 1e6:,.2f}", True),
              Cell(f"{float(r['planned_spend']) / 1e6:,.2f}", True),
              Cell(f"{float(r['spend_change']) / 1e6:+,.2f}", True),
              Cell(f"{float(r['reoffences_avoided']):,.0f}", True)]
             for r in changes.to_dict("records")],
            caption="Invest and disinvest by rehabilitation service (sentence delivery not shown)",
        ))
    base = {v.id: v for v in plan.baseline_intentions}
    rank = {v.id: v for v in plan.ranking_intentions}
    parts.append(table(
        ["Intention", "Text", "Baseline", "Ranking", "Plan", "Why (plan)"],
        [[Cell(v.id), Cell(plan.intention_texts.get(v.id, "")), _holds(base[v.id].holds),
          _holds(rank[v.id].holds), _holds(v.holds), Cell(v.detail)]
         for v in plan.intentions],
        caption="The 38 commissioning intentions: which hold, and why",
    ))
    if plan.scenarios:
        parts.append(table(
            ["Scenario", ("Budget", True), "Status", ("Objective", True),
             ("Ranking objective", True), ("£1M more buys", True), "Conflicts"],
            [[Cell(s["scenario"]), Cell(_m(s["budget"]), True), Cell(s["status"]),
              Cell("–" if s["objective"] is None else f"{s['objective']:,.0f}", True),
              Cell(f"{s['ranking_objective']:,.0f}", True),
              Cell("–" if s["budget_shadow_price_per_million"] is None
                   else f"{s['budget_shadow_price_per_million']:,.1f}", True),
              Cell("; ".join(s["conflicts"]))] for s in plan.scenarios],
            caption="Savings scenarios",
        ))
    return "\n".join(parts)


register_section(
    Section("plan", "Plan: the portfolio and the intentions", 400, render_plan,
            summary="The optimal portfolio under the savings target and the intentions, "
                    "beside today's ranking method"),
    replace=True,
)
