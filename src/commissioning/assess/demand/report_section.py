"""Report section 300, "Demand: courts, prison population and capacity".

Two charts like the document's: Fig 1 (actual and projected quarterly starts by sentence type)
and Fig 2 (prison population projections compared, with the real June populations), each with
its data table; the backtest errors; the capacity flags; and the services in most demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commissioning.assess.demand.backtest import (
    COVERAGE_CAVEAT,
    METHOD_LABELS,
    METHODS,
    selection_summary,
)
from commissioning.assess.demand.prison import reference_history
from commissioning.assess.demand.scenarios import series_mape
from commissioning.publish.charts import MEASURE_COLOURS, to_svg
from commissioning.publish.html import Cell, esc, fmt_count, table
from commissioning.publish.sections import Section
from commissioning.publish.vocabulary import SCENARIOS, label

if TYPE_CHECKING:
    import altair as alt

    from commissioning.assess.demand.step import DemandResult
    from commissioning.publish.context import RoundContext

TYPE_LABELS = {
    "community_order": "Community order",
    "suspended_sentence_order": "Suspended sentence order",
    "licence": "Licence",
}


def _figure(chart_id: str, caption: str, svg: str, data: str) -> str:
    return (
        f'<figure class="chart" id="{esc(chart_id)}">'
        f'<figcaption id="{esc(chart_id)}-caption">{esc(caption)}</figcaption>'
        f'<div class="chart-body"><div class="chart-svg">{svg}</div>'
        f'<div class="chart-data">{data}</div></div></figure>'
    )


def community_chart(result: DemandResult) -> alt.TopLevelMixin:
    """Fig 1: quarterly starts by sentence type, history and baseline forecast with intervals."""
    import altair as alt

    hist = result.community.history
    hist = hist[hist["kind"] == "sentence_type"].assign(
        part="Actual (synthetic)" if result.history_synthetic else "Actual")
    fc = result.community.forecast
    fc = fc[(fc["kind"] == "sentence_type") & (fc["scenario"] == "baseline")]
    fc = fc.assign(part="Projected")
    data = pd.concat([hist, fc], ignore_index=True)
    data["date"] = pd.PeriodIndex(data["quarter"], freq="Q").to_timestamp().astype(str)
    data["type"] = data["series"].map(TYPE_LABELS)
    colour = alt.Color("type:N", title="Sentence type",
                       scale=alt.Scale(range=list(MEASURE_COLOURS[:3])))
    base = alt.Chart(data).encode(x=alt.X("date:T", title="Quarter"))
    band = base.transform_filter("datum.part == 'Projected'").mark_area(opacity=0.2).encode(
        y=alt.Y("lower:Q", title="Starts per quarter"), y2="upper:Q", color=colour
    )
    lines = base.mark_line().encode(
        y=alt.Y("starts:Q", title="Starts per quarter"),
        color=colour,
        strokeDash=alt.StrokeDash("part:N", title=""),
    )
    chart: alt.TopLevelMixin = (band + lines).properties(
        width=560, height=300, title="Actual and projected quarterly starts by sentence type",
        description="Line chart of quarterly starts by sentence type with projection intervals.",
    )
    return chart


def prison_chart(result: DemandResult) -> alt.TopLevelMixin:
    """Fig 2: population projections (baseline and scenarios) and the real June figures."""
    import altair as alt

    proj = result.prison.projection.copy()
    proj["date"] = pd.PeriodIndex(proj["month"], freq="M").to_timestamp().astype(str)
    hist = reference_history()
    first = int(proj["month"].iloc[0][:4]) - 6
    last = int(proj["month"].iloc[-1][:4])
    actual = pd.DataFrame(
        [{"date": f"{y}-06-01", "population": p} for y, p in hist.june_population.items()
         if first <= y <= last]
    )
    central = proj["scenario"] == "baseline"
    proj["label"] = proj["scenario"].map(SCENARIOS).fillna(proj["scenario"])
    # the central projection first, in the strong colour, drawn over the scenarios
    order = [SCENARIOS["baseline"],
             *sorted(set(proj.loc[~central, "label"]))]
    colour = alt.Color("label:N", title="Projection", sort=order,
                       scale=alt.Scale(domain=order,
                                       range=["#1d70b8", "#f47738", "#d4351c", "#85994b",
                                              "#912b88"][:len(order)]))
    proj["layer"] = np.where(central, 1, 0)
    proj = proj.sort_values(["layer", "label", "month"])
    band = alt.Chart(proj[proj["layer"] == 1]).mark_area(opacity=0.15).encode(
        x=alt.X("date:T", title="Month"),
        y=alt.Y("population_p05:Q", title="Prison population", scale=alt.Scale(zero=False)),
        y2="population_p95:Q",
    )
    lines = alt.Chart(proj).mark_line().encode(
        x="date:T", y="population_mean:Q", color=colour, detail="label:N",
        strokeWidth=alt.condition(alt.datum.layer == 1, alt.value(3), alt.value(1.5)))
    points = alt.Chart(actual).mark_point(filled=True, color="#0b0c0c").encode(
        x="date:T", y="population:Q", tooltip=["date:T", "population:Q"]
    )
    chart: alt.TopLevelMixin = (band + lines + points).properties(
        width=560, height=300, title="Prison population: projections compared with the actual",
        description="Projected monthly prison population by scenario, 90% band for the "
        "baseline, and the real June populations as black points.",
    )
    return chart


def _community_table(result: DemandResult) -> str:
    fc = result.community.forecast
    fc = fc[fc["kind"] == "sentence_type"]
    years = fc["quarter"].str[:4]
    pivot = fc.groupby(["scenario", years])["starts"].sum().unstack(fill_value=0)
    headers: list[str | tuple[str, bool]] = ["Scenario", *((str(y), True) for y in pivot.columns)]
    rows = [
        [Cell(label(s, "scenario"), header=True),
         *(Cell(fmt_count(v), numeric=True) for v in pivot.loc[s])]
        for s in pivot.index
    ]
    return table(headers, rows, caption="Data: projected starts per calendar year (all types)")


def _prison_table(result: DemandResult) -> str:
    proj = result.prison.projection
    june = proj[proj["month"].str.endswith("-06") | proj["month"].str.endswith("-02")]
    pivot = june.pivot(index="month", columns="scenario", values="population_mean")
    headers: list[str | tuple[str, bool]] = [
        "Month", *((label(s, "scenario"), True) for s in pivot.columns)]
    rows = [
        [Cell(str(m), header=True), *(Cell(fmt_count(v), numeric=True) for v in pivot.loc[m])]
        for m in pivot.index
    ]
    return table(headers, rows, caption="Data: mean projected population (February and June)")


def _flags_table(result: DemandResult) -> str:
    flags = result.capacity.flags
    chosen = result.shortfall_probability
    if flags.empty:
        return (f"<p>No function has a probability of a shortfall above {chosen:.0%} in any "
                "month.</p>")
    headers: list[str | tuple[str, bool]] = [
        "Scenario", "Function", "Sex", "First month flagged", ("Months over", True),
        ("Months tight", True), ("Worst headroom", True), ("Highest P(shortfall)", True),
    ]
    rows = [
        [Cell(label(r.scenario, "scenario"), header=True),
         Cell("All functions" if r.function == "all" else label(r.function, "function")),
         Cell({"male": "Men", "female": "Women", "all": "All"}.get(str(r.sex), str(r.sex))),
         Cell(str(r.first_month)), Cell(str(r.months_over), numeric=True),
         Cell(str(r.months_tight), numeric=True), Cell(fmt_count(r.worst_headroom), numeric=True),
         Cell(f"{float(r.max_p_shortfall):.0%}", numeric=True)]  # type: ignore[arg-type]
        for r in flags.itertuples()
    ]
    return table(
        headers, rows,
        caption=f"Capacity flags: over = probability of a shortfall above {chosen:.0%} "
        "(demand.capacity_flags.shortfall_probability); tight = the same within the margin",
    )


def _scenarios_table(result: DemandResult) -> str:
    runs = [r for r in result.prison.runs if r.scenario.name != "baseline"]
    if not runs:
        return ""
    headers: list[str | tuple[str, bool]] = ["Scenario", "In force", "What changes"]
    rows = [[Cell(label(r.scenario.name, "scenario"), header=True), Cell(r.scenario.window),
             Cell(r.scenario.description)] for r in runs]
    return table(headers, rows, caption="Prison scenarios: start, end and phase-in (after the "
                 "end every changed parameter returns to the baseline)")


def _backtest_table(result: DemandResult) -> str:
    bt = result.prison.backtest
    tab = bt.table()
    levels = bt.settings.levels
    headers: list[str | tuple[str, bool]] = [
        ("Years ahead", True), ("Origins", True),
        *((METHOD_LABELS[m] + (" (headline)" if m == bt.headline else ""), True)
          for m in METHODS),
        *((f"{round(v * 100)}% interval coverage", True) for v in levels),
    ]
    tol = bt.settings.coverage_tolerance_pp

    def cover(r: Mapping[Any, Any], v: float) -> Cell:
        tag = round(v * 100)
        mark = "" if r[f"coverage_{tag}_within_tolerance"] else " (outside ±" + f"{tol:g})"
        return Cell(f"{r[f'coverage_{tag}_pct']:.1f}% of {r[f'coverage_{tag}_n']}{mark}",
                    numeric=True)

    rows = [
        [Cell(str(r["horizon_years"]), header=True), Cell(str(r["origins"]), numeric=True),
         *(Cell(f"{r[f'mape_{m}_pct']:.2f}%", numeric=True) for m in METHODS),
         *(cover(r, v) for v in levels)]
        for r in tab.to_dict("records")
    ]
    return table(
        headers, rows,
        caption=f"Prison population backtest: mean absolute percentage error by years ahead, "
        f"June origins {int(bt.errors['origin'].min())}-{int(bt.errors['origin'].max())}, "
        "real June populations",
    )


def _backtest_text(result: DemandResult) -> str:
    bt = result.prison.backtest
    beaten = bt.beaten_at()
    if beaten:
        worse = "; ".join(f"{h} year{'s' if h > 1 else ''} ahead ({METHOD_LABELS[m].lower()} "
                          f"{theirs:.2f}% against {ours:.2f}%)" for h, m, theirs, ours in beaten)
        verdict = (f"The headline forecast is not better than the best naive benchmark at "
                   f"every horizon: it is beaten at {worse}.")
    else:
        verdict = ("The headline forecast is at least as good as every naive benchmark at "
                   "every horizon.")
    if bt.headline == "selected":
        verdict += (f" {selection_summary(bt)} From the round's origin, June "
                    f"{result.prison.origin // 12}, it follows the "
                    f"{METHOD_LABELS[result.prison.chosen].lower()}, the forecast with the "
                    "lowest error on what was known then; no figure of the table chose it.")
    misses = bt.coverage_misses()
    tol = bt.settings.coverage_tolerance_pp
    by_h = "; ".join(
        f"{h} year{'s' if h > 1 else ''} ahead "
        + " and ".join(f"{bt.coverage(v, h):.1f}%" for v in bt.settings.levels)
        for h in range(1, bt.settings.horizon_years + 1))
    coverage = (f"Coverage of the 80% and 90% intervals by years ahead: {by_h}. "
                + (("Outside nominal ±" + f"{tol:g} points at "
                    + "; ".join(f"{h} year{'s' if h > 1 else ''} ahead ({round(v * 100)}% "
                                f"interval, {c:.1f}% of {n})" for h, v, c, n in misses)
                    + f". {COVERAGE_CAVEAT}") if misses else
                   f"Within ±{tol:g} points of nominal at every horizon.")
                + " " + bt.coverage_test_sentence())
    errors = []
    for year in (2013, 2015, 2018):
        e = result.prison.june_error_pct(year)
        if e is not None:
            errors.append(f"June {year} {e:+.1f}%")
    projection = (f" The round's projection from June "
                  f"{result.prison.origin // 12} misses the real population by "
                  f"{', '.join(errors)}." if errors else "")
    return (
        f"<p>Headline figure: the {esc(METHOD_LABELS[bt.headline].lower())} forecast's mean "
        f"absolute percentage error one year ahead, {bt.mape(None, 1):.2f}%, on "
        f"{int((bt.errors['horizon_years'] == 1).sum() / len(METHODS))} June origins "
        f"{int(bt.errors['origin'].min())}-{int(bt.errors['origin'].max())} "
        f"({bt.mape(None, 5):.2f}% five years ahead). {esc(verdict)} Its 80% and 90% "
        f"intervals are empirical (the errors it made on earlier origins at the same horizon, "
        f"known at each origin) and covered {bt.coverage(0.8):.0f}% and "
        f"{bt.coverage(0.9):.0f}% of the real populations. {esc(coverage)}"
        f"{esc(projection)} Intervals of the projection: "
        f"{esc(result.prison.interval_source)}.</p>"
    )


def _services_table(result: DemandResult) -> str:
    totals = result.service_totals
    if totals.empty or result.flows is None:
        return ""
    top = totals.sort_values("eligible", ascending=False).head(12)
    headers: list[str | tuple[str, bool]] = ["Service", "Evidence", "Setting",
                                             ("Eligible people a year", True)]
    rows = [
        [Cell(str(r.service), header=True), Cell(str(r.evidence)), Cell(str(r.setting)),
         Cell(fmt_count(r.eligible), numeric=True)]
        for r in top.itertuples()
    ]
    return table(headers, rows, caption=f"Services in most demand, {result.flows.period}")


def render_demand(context: RoundContext) -> str:
    result: Any = context.extras.get("demand")
    if result is None:
        return "<p>The demand step did not run in this round.</p>"
    places = int(result.capacity.places["places"].sum())
    rr = result.prison.remand_recall
    note = (
        " The community history is SYNTHETIC (generated with the document's trends, as its "
        "import manifest records); import real starts (`commission import community_starts "
        "FILE`) to replace it." if result.history_synthetic else ""
    )
    choices = result.community.choices
    origins = min((c.origins for c in choices), default=0)
    models = sorted({m for c in choices for m in c.mape_pct})
    intro = (
        f"<p>Community starts ({esc(result.community_source)}) are forecast per series by the "
        f"model with the lowest rolling-origin error on {origins} or more origins of four "
        f"quarters ({esc(', '.join(models))}); every forecast stays within the bounds of "
        f"demand.community_forecast (multiples of the last year's starts), and the damped "
        f"model damps last year's growth, so a one-off break is not carried to zero."
        f"{esc(note)} The prison population is a "
        f"monthly stock–flow Monte Carlo model calibrated to the real June populations "
        f"(expected remand within {series_mape(rr, 'remand'):.1f}% and recall within "
        f"{series_mape(rr, 'recall'):.1f}% of the real monthly series from 2011, mean "
        f"absolute error); the projection follows the headline forecast of the backtest "
        f"below, the model giving the split by band and function. The estate has "
        f"{fmt_count(places)} places (assumed capacities scaled to the commissioned "
        "places).</p>"
    )
    return "\n".join(
        [
            intro,
            _figure("chart-demand-community",
                    "Figure D1. Actual and projected quarterly starts by sentence type "
                    "(baseline forecast with 90% intervals).",
                    to_svg(community_chart(result), "chart-demand-community"),
                    _community_table(result)),
            _figure("chart-demand-prison",
                    "Figure D2. Projected prison population by scenario (baseline with its "
                    "90% band) and the real June populations.",
                    to_svg(prison_chart(result), "chart-demand-prison"),
                    _prison_table(result)),
            _scenarios_table(result),
            _backtest_text(result),
            _backtest_table(result),
            _flags_table(result),
            _services_table(result),
        ]
    )


SECTION = Section("demand", "Demand: courts, prison population and capacity", 300, render_demand,
                  "Community forecasts, prison population scenarios, capacity headroom, services")
