"""Report section 400, "Plan: the portfolio and the intentions".

The plan in brief; the 2011-12 baseline, the fair ranking and the optimum without and with the
intentions side by side; what each intention costs; the savings bridge; the uncertainty of the
effects carried through the decision; the invest/disinvest chart and table by service with gross
moves in and out; what set the cells' volumes; every intention with whether it holds for the
baseline, the fair ranking and the plan; and the savings scenarios.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.charts import MEASURE_COLOURS, to_svg
from commissioning.publish.html import Cell, esc, table
from commissioning.publish.sections import Section
from commissioning.publish.vocabulary import label

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

    names = [f"{label(s, 'service')} ({label(t, 'setting').lower()})"
             for s, t in zip(changes["service_id"], changes["setting"], strict=True)]
    data = changes.assign(change=changes["spend_change"] / 1e6, label=names)
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
    unit = "reoffences avoided" if plan.objective_kind == "reoffences" else "net benefit (£)"
    parts = [
        "<p>The optimum maximises " + esc("proven reoffences avoided" if plan.objective_kind ==
                                          "reoffences" else "net social benefit")
        + " under the budget after the savings target, statutory demand, growth and shrink "
        "limits and every machine-checkable commissioning intention; it is verified by "
        "recomputing every constraint from the solution. It is compared with the <em>fair "
        "ranking</em>: the ranking method as Results First / WSIPP users practise it — fund "
        "what is mandatory (sentence delivery, court orders, core-offer floors, the "
        "intentions' floors), then fund services down the benefit–cost ranking under the same "
        "growth, shrink and capacity limits. Unit costs and effects are stated in the "
        "parameters (<code>plan.*</code>, <code>evidence.*</code>).</p>",
        table(["Measure", ("Value", True)], [
            [Cell("Status", header=True), Cell(plan.status)],
            [Cell("Baseline spend 2011-12", header=True), Cell(_m(plan.baseline_spend), True)],
            [Cell("Savings target", header=True), Cell(_m(plan.savings_target), True)],
            [Cell("Budget for the portfolio", header=True), Cell(_m(plan.budget), True)],
            [Cell("Planned spend", header=True), Cell(_m(plan.planned_spend), True)],
            [Cell("What £1M more buys (" + unit + ")", header=True),
             Cell("–" if plan.budget_shadow_price is None
                  else f"{plan.budget_shadow_price:,.1f}", True)],
        ], caption="The plan in brief"),
    ]
    if plan.comparison:
        parts.append(table(
            ["Portfolio", ("Reoffences avoided", True), ("Crime avoided £M", True),
             ("Spend £M", True), "Intentions broken", "How"],
            [[Cell(c["portfolio"]),
              Cell("–" if c["objective_reoffences"] is None
                   else f"{c['objective_reoffences']:,.1f}", True),
              Cell("–" if c["value"] is None else f"{c['value'] / 1e6:,.1f}", True),
              Cell("–" if c["spend"] is None else f"{c['spend'] / 1e6:,.1f}", True),
              Cell("–" if c["intentions_broken"] is None
                   else (", ".join(c["intentions_broken"]) or "none")),
              Cell(c["note"])] for c in plan.comparison],
            caption="Side by side: the 2011-12 baseline, the fair ranking, and the optimum "
                    "without and with the intentions",
        ))
    if plan.intention_costs:
        parts.append(table(
            ["Intention", "Text", ("Cost (" + unit + " given up)", True), "Why"],
            [[Cell(c.intention), Cell(c.text),
              Cell("–" if c.cost is None else f"{c.cost:,.1f}", True), Cell(c.sentence)]
             for c in plan.intention_costs],
            caption="What each intention costs: the optimum without it less the optimum with "
                    "it (one warm re-solve each)",
        ))
    if plan.savings_bridge:
        parts.append(table(
            ["Line", ("£M", True), "Source"],
            [[Cell(b["line"]), Cell(f"{b['amount'] / 1e6:+,.1f}", True),
              Cell(b["source"] + (f" — {b['reference']}" if b.get("reference") else ""))]
             for b in plan.savings_bridge],
            caption=f"Savings bridge: where each £ of the {_m(plan.savings_target)} target "
                    "comes from",
        ))
    if plan.uncertainty:
        parts.append(_uncertainty(plan.uncertainty, unit))
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
             ("Moved in £M", True), ("Moved out £M", True), ("Net £M", True),
             ("Reoffences avoided", True)],
            [[Cell(str(r["service_id"])), Cell(str(r["setting"])),
              Cell(f"{float(r['baseline_spend']) / 1e6:,.2f}", True),
              Cell(f"{float(r['planned_spend']) / 1e6:,.2f}", True),
              Cell(f"{float(r['spend_in']) / 1e6:+,.2f}", True),
              Cell(f"{-float(r['spend_out']) / 1e6:+,.2f}", True),
              Cell(f"{float(r['spend_change']) / 1e6:+,.2f}", True),
              Cell(f"{float(r['reoffences_avoided']):,.0f}", True)]
             for r in changes.to_dict("records")],
            caption="Invest and disinvest by rehabilitation service: gross moves between "
                    "segments and regions, and the net (sentence delivery not shown)",
        ))
        parts.append(_bindings(plan.portfolio))
        parts.append(_disinvest(plan.portfolio))
    base = {v.id: v for v in plan.baseline_intentions}
    rank = {v.id: v for v in plan.ranking_intentions}
    parts.append(table(
        ["Intention", "Text", "Baseline", "Fair ranking", "Plan", "Why (plan)"],
        [[Cell(v.id), Cell(plan.intention_texts.get(v.id, "")), _holds(base[v.id].holds),
          _holds(rank[v.id].holds), _holds(v.holds), Cell(v.detail)]
         for v in plan.intentions],
        caption="The 38 commissioning intentions: which hold, and why",
    ))
    if plan.scenarios:
        parts.append(table(
            ["Scenario", ("Budget", True), "Status", ("Objective", True),
             ("Fair ranking", True), ("£1M more buys", True), "Conflicts"],
            [[Cell(s["scenario"]), Cell(_m(s["budget"]), True), Cell(s["status"]),
              Cell("–" if s["objective"] is None else f"{s['objective']:,.0f}", True),
              Cell(f"{s['ranking_objective']:,.0f}", True),
              Cell("–" if s["budget_shadow_price_per_million"] is None
                   else f"{s['budget_shadow_price_per_million']:,.1f}", True),
              Cell("; ".join(s["conflicts"]))] for s in plan.scenarios],
            caption="Savings scenarios",
        ))
    return "\n".join(parts)


def _bindings(portfolio: pd.DataFrame) -> str:
    """Cells and planned spend by what set their volume (``binding``)."""
    frame = portfolio.assign(code=portfolio["binding"].str.split(" ").str[0])
    by = frame.groupby("code", observed=True).agg(
        cells=("binding", "size"), spend=("planned_spend", "sum"),
        moved=("planned_spend", lambda x: float((x - frame.loc[x.index, "baseline_spend"]
                                                 ).abs().sum())))
    by = by.sort_values("spend", ascending=False)
    return table(
        ["What set the volume", ("Cells", True), ("Planned £M", True),
         ("Gross change £M", True)],
        [[Cell(str(code)), Cell(f"{int(r['cells']):,}", True),
          Cell(f"{float(r['spend']) / 1e6:,.1f}", True),
          Cell(f"{float(r['moved']) / 1e6:,.1f}", True)] for code, r in by.iterrows()],
        caption="What set each cell's volume (portfolio.csv, columns binding and reason)",
    )


def _disinvest(portfolio: pd.DataFrame) -> str:
    """Services that lose money, split by why: failing evidence, no evidence, or value."""
    from commissioning.plan.run import disinvestment

    table_ = disinvestment(portfolio)
    if table_.empty:
        return "<p>No rehabilitation service loses money in the plan.</p>"
    return table(
        ["Basis", "Service", "Setting", ("Moved out £M", True), ("Moved in £M", True),
         ("Net £M", True)],
        [[Cell(str(r["basis"])), Cell(str(r["service_id"])), Cell(str(r["setting"])),
          Cell(f"{-float(r['spend_out']) / 1e6:+,.2f}", True),
          Cell(f"{float(r['spend_in']) / 1e6:+,.2f}", True),
          Cell(f"{float(r['spend_change']) / 1e6:+,.2f}", True)]
         for r in table_.to_dict("records")],
        caption="What to disinvest, and why: failing the condition is not the same as having "
                "no data entered",
    )


def _uncertainty(u: dict[str, Any], unit: str) -> str:
    """The draws: probabilities, intervals and the allocations that flip."""
    def band(key: str) -> str:
        b = u[key]
        return f"{b['p50']:,.0f} ({b['p5']:,.0f} to {b['p95']:,.0f})"

    rows = [
        [Cell("Draws evaluated / re-solved", header=True),
         Cell(f"{u['draws']:,} / {u['resolves']:,} (seed {u['seed']})", True)],
        [Cell("P(plan beats the 2011-12 baseline)", header=True),
         Cell(f"{u['p_beats_baseline']:.1%}", True)],
        [Cell("P(plan beats the fair ranking)", header=True),
         Cell(f"{u['p_beats_ranking']:.1%}", True)],
        [Cell(f"Plan, {unit}: median (90% interval)", header=True), Cell(band("plan"), True)],
        [Cell("Plan − baseline", header=True), Cell(band("plan_minus_baseline"), True)],
        [Cell("Plan − fair ranking", header=True), Cell(band("plan_minus_ranking"), True)],
        [Cell("Expected gain of re-optimising on the drawn effects", header=True),
         Cell("–" if u["value_of_information"] is None
              else f"{u['value_of_information']:,.1f}", True)],
        [Cell("Cells whose direction flips in some re-solve / often", header=True),
         Cell(f"{u['cells_flipping']:,} / {u['cells_flipping_often']:,}", True)],
    ]
    flagged = u.get("flagged_services") or []
    text = (", ".join(f"{f['service']} ({f['plan_direction']} in the plan, flips in "
                      f"{f['flip_share']:.0%})" for f in flagged) or "none")
    return (table(["Measure", ("Value", True)], rows,
                  caption="Uncertainty of the effects through the decision "
                          "(parameter plan.uncertainty)")
            + f"<p>{esc(u['method'])}. Services whose net direction flips in at least "
              f"{u['flag_share']:.0%} of the re-solves: {esc(text)}.</p>")


SECTION = Section("plan", "Plan: the portfolio and the intentions", 400, render_plan,
                  summary="The optimal portfolio under the savings target and the intentions, "
                          "beside the fair ranking, with the savings bridge and the uncertainty")
