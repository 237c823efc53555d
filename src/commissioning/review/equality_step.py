"""The ``equality`` round step (order 600, after the plan) and its report section (Annex).

Runs :func:`commissioning.review.equality.equality_impact` on the round's scored assessments
and the plan's portfolio, writes ``exports/equality/equality_impact.csv`` and
``screening.csv``; its report section is "Equality impact (Annex A)" (both in
:data:`CAPABILITY`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.sections import Section
from commissioning.review.equality import (
    UNKNOWN,
    EqualityError,
    EqualityResult,
    equality_impact,
    people_for_equality,
)
from commissioning.steps import Capability, StepContext

if TYPE_CHECKING:
    from commissioning.publish.context import RoundContext

STEP_ID = "equality"


@dataclass(frozen=True)
class EqualityStepResult:
    result: EqualityResult | None
    skipped: str | None
    seconds: float
    #: Median sentence length (days) per setting, offence group and risk tier, for pathways.
    sentences: pd.DataFrame | None = None


def sentence_medians(people: pd.DataFrame) -> pd.DataFrame:
    """Median sentence (or order) length per setting, offence group and risk tier."""
    keys = ["setting", "offence_group", "risk_tier"]
    if "sentence_length_days" not in people.columns:
        return pd.DataFrame(columns=[*keys, "median_days"])
    days = pd.to_numeric(people["sentence_length_days"], errors="coerce")
    frame = people[keys].assign(median_days=days).dropna(subset=["median_days"])
    out: pd.DataFrame = frame.groupby(keys, as_index=False, observed=True)[
        ["median_days"]].median()
    return out


def run(ctx: StepContext) -> EqualityStepResult:
    started = time.perf_counter()
    plan = getattr(ctx.results.get("plan"), "plan", None)
    portfolio = getattr(plan, "portfolio", None)
    if portfolio is None or not len(portfolio):
        return EqualityStepResult(None, "no plan in this round", time.perf_counter() - started)
    try:
        people = people_for_equality(ctx.con, ctx.policy)
        result = equality_impact(people, portfolio, ctx.policy, seed=ctx.seed)
    except EqualityError as exc:
        ctx.log(f"equality: skipped ({exc})")
        return EqualityStepResult(None, str(exc), time.perf_counter() - started)
    result.write(ctx.output_dir(STEP_ID))
    sentences = sentence_medians(people)
    seconds = time.perf_counter() - started
    ctx.log(f"equality: {result.table['characteristic'].nunique()} protected characteristics, "
            f"{int(result.table['adverse'].sum())} adverse impacts flagged in {seconds:.1f} s")
    return EqualityStepResult(result, None, seconds, sentences)


def _fmt(value: Any, digits: int = 1) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "*"
    return f"{float(value):,.{digits}f}"


def render_table(result: EqualityResult) -> str:
    """One table: per characteristic and group, shares, rates and the ratio with its interval."""
    from commissioning.publish.html import Cell, table
    from commissioning.publish.vocabulary import label

    body = []
    for name, rows in result.table.groupby("characteristic", sort=False):
        for i, r in enumerate(rows.to_dict("records")):
            flag = "Adverse" if r["adverse"] else ("Not assessed" if r["group"] == UNKNOWN or
                                                   r["suppressed"] else "No")
            body.append([
                Cell(label(str(name), "characteristic") if i == 0 else "", header=True),
                Cell(label(r["group"], "value")),
                Cell("*" if r["suppressed"] else f"{int(r['people']):,}", True),
                Cell(_fmt(r["population_share_pct"]), True),
                Cell(_fmt(r["baseline_share_pct"]), True),
                Cell(_fmt(r["planned_share_pct"]), True),
                Cell(_fmt(r["loss_share_pct"]), True),
                Cell(_fmt(r["baseline_per_100"]), True),
                Cell(_fmt(r["planned_per_100"]), True),
                Cell(f"{_fmt(r['ratio_vs_baseline'], 2)} ({_fmt(r['ratio_vs_baseline_low'], 2)}"
                     f"–{_fmt(r['ratio_vs_baseline_high'], 2)})", True),
                Cell(_fmt(r["ratio_vs_population"], 2), True),
                Cell(flag, css="diff-high" if r["adverse"] else ""),
            ])
    return table(
        ["Characteristic", "Group", ("People", True), ("Population %", True),
         ("2011-12 services %", True), ("Plan services %", True), ("Withdrawn %", True),
         ("Per 100, 2011-12", True), ("Per 100, plan", True),
         ("Ratio to baseline (95% CI)", True), ("Ratio to population", True), "Adverse?"],
        body, caption="Who gains and who loses services, by protected characteristic",
        css="equality")


def render_equality(context: RoundContext) -> str:
    from commissioning.publish.html import esc

    step = context.extras.get(STEP_ID)
    result = getattr(step, "result", None)
    if result is None:
        why = getattr(step, "skipped", None) or "the step did not run"
        return f"<p>No equality screen: {esc(why)}.</p>"
    n_adverse = int(result.table["adverse"].sum())
    screening = "".join(f"<li>{esc(v)}</li>" for v in result.screening.values())
    return (
        "<p>Who gains and who loses services in the plan, for each protected characteristic in "
        "the data: each group's share of the assessed population, of the 2011-12 services, of "
        "the plan's services and of the services withdrawn, and the ratio of its share of "
        "withdrawn services to its share of 2011-12 services (above 1: it loses more than it "
        f"held). A group is flagged when the ratio is {result.threshold:g} or more and its 95% "
        "interval lies above 1 (parameter <code>review.equality_adverse_ratio</code>, from the "
        "four-fifths rule). Services follow the segment: a cell's places are shared by its "
        f"people. Intervals: {result.draws} parametric bootstrap draws of the assessment "
        f"sample. Groups under {result.small_cell} people are suppressed (*).</p>"
        f"<h3>Screening</h3><p><strong>{n_adverse}</strong> adverse impacts flagged.</p>"
        f'<ul class="notes">{screening}</ul>'
        "<p class=\"note\">Marriage and civil partnership is a protected characteristic not "
        "held in the data contract (OASys does not record it) and is not assessed. Full table: "
        "<code>exports/equality/equality_impact.csv</code>.</p>"
        + render_table(result)
    )


#: The equality capability: its step and its report section, declared together here.
CAPABILITY = Capability(
    STEP_ID, "Equality impact of the plan", 600, run,
    Section(STEP_ID, "Equality impact (Annex A)", 600, render_equality,
            summary="Who gains and who loses services, by protected characteristic"),
    after=("plan",))
