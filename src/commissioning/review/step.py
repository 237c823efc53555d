"""The round step ``review`` (order 500): reoffending, impact and payment by results.

On the workspace's ``cohort``, ``reoffences`` and ``interventions`` it computes the national
and per-provider proven reoffending, the case-mix-adjusted rates, an evaluation of
:data:`DEMO_SERVICES`, the published payment-by-results decisions and the provider ratings,
writes them as CSV/JSON under ``exports/review/`` (small cells suppressed) and hands a
:class:`ReviewResult` to the report section.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from commissioning.engine import backend
from commissioning.io import exports
from commissioning.publish.disclosure import (
    rating_minimum,
    small_cell_threshold,
    withhold_rates,
)
from commissioning.review.adjusted import AdjustedRates, adjusted_rates
from commissioning.review.cohort import can_score, cohort_outcomes
from commissioning.review.evaluate import (
    Evaluation,
    EvaluationOptions,
    TooFewPeople,
    evaluate,
)
from commissioning.review.pbr import PaymentDecision, builtin_schemes, calculate
from commissioning.review.performance import (
    Bands,
    Ratings,
    indicator_values,
    load_indicators,
    rate_providers,
)
from commissioning.review.proven import SUMMARY_COLUMNS, summarise, with_intervals
from commissioning.schema.contract import NEED_COLUMNS
from commissioning.steps import StepContext

STEP_ID = "review"
#: Services evaluated on the demo data: one the synthetic truth makes effective and one the
#: document says does not work (``synth_outcomes.true_effects`` has no effect for it).
DEMO_SERVICES: tuple[str, ...] = ("restorative_justice_conferencing", "unstructured_counselling")

#: The published figures the calculator must reproduce (REFERENCES.md, "Payment by results").
PUBLISHED_FIGURES: dict[str, list[dict[str, Any]]] = {
    "peterborough": [
        {"cohort": "1", "events_per_100": 142, "comparison_events_per_100": 155},
        {"cohort": "all", "events_per_100": 91, "comparison_events_per_100": 100},
    ],
    "doncaster": [
        {"cohort": "1", "change_pp": -5.7},
        {"cohort": "2", "change_pp": -3.3},
    ],
}


#: Per-person columns the adjustment, evaluation and ratings read.
REVIEW_COLUMNS: tuple[str, ...] = (
    "offender_id", "index_date", "index_type", "provider_id", "sex", "date_of_birth",
    "first_sanction_date", "previous_sanctions", "ogrs3_1y", "ogrs3_2y", "offence_group",
    *NEED_COLUMNS, "reoffended", "reoffences", "reconviction_events", "days_to_first",
)


@dataclass
class ReviewResult:
    """What the review step found, for the report section."""

    national: pd.DataFrame
    by_year: pd.DataFrame
    adjusted: AdjustedRates | None
    evaluations: list[Evaluation]
    refused: dict[str, str]
    payments: list[PaymentDecision]
    ratings: Ratings | None
    threshold: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    #: The fewest people a provider is rated on (``review.rating_minimum_cohort``).
    rating_minimum: int = 30


def publishable_summary(summary: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Withhold every figure of a row whose cohort, reoffenders or non-reoffenders are small."""
    figures = [c for c in summary.columns
               if c in SUMMARY_COLUMNS or c.startswith(("binary_rate", "frequency", "mean_days"))]
    return withhold_rates(summary, threshold, figures)


def publishable_rates(adjusted: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Withhold every figure of a provider's adjusted rates whose cohort, reoffenders or
    non-reoffenders are small (the one rule of :mod:`commissioning.publish.disclosure`)."""
    figures = [c for c in adjusted.columns if c not in ("provider_id", "funnel_position")]
    return withhold_rates(adjusted, threshold, figures)


def write_csv(frame: pd.DataFrame, path: Any) -> None:
    """A published table through the one writer (UTF-8 with BOM, withheld cells ``*``)."""
    exports.write_csv(frame, path)


def _service_names(ctx: StepContext) -> dict[str, str]:
    try:
        raw = ctx.parameters.value("synth_outcomes.interventions", ctx.when)
    except (KeyError, ValueError):
        return {}
    return {str(k): str(v.get("name", k)) for k, v in raw.items()}


def run_review(ctx: StepContext) -> ReviewResult | None:
    """Run the review on the workspace (None, with a log line, when it has no cohort)."""
    ws = ctx.workspace
    if not (ws.has("cohort") and ws.has("reoffences")):
        ctx.log("review: the workspace has no cohort and reoffences; skipped")
        return None
    start = time.perf_counter()
    con = ctx.con
    out_dir = ctx.output_dir(STEP_ID)
    threshold = small_cell_threshold(ctx.policy)
    minimum = rating_minimum(ctx.policy)
    cohort = backend.read_parquet(con, ws.input_path("cohort"), "review_cohort")
    reoffences = backend.read_parquet(con, ws.input_path("reoffences"), "review_reoffences")
    outcomes_expr = backend.persist(
        con, cohort_outcomes(cohort, reoffences, ctx.policy), "review_outcomes"
    )
    national = with_intervals(backend.execute(con, summarise(outcomes_expr)))
    by_year = with_intervals(backend.execute(con, summarise(outcomes_expr, ["cohort_year"])))
    by_provider = with_intervals(backend.execute(con, summarise(outcomes_expr, ["provider_id"])))
    for name, frame in (("national", national), ("by_year", by_year),
                        ("by_provider", by_provider)):
        write_csv(publishable_summary(frame, threshold), out_dir / f"proven_reoffending_{name}.csv")
    notes: list[str] = []
    adjusted = None
    evaluations: list[Evaluation] = []
    refused: dict[str, str] = {}
    ratings = None
    if can_score(cohort):
        wanted = [c for c in REVIEW_COLUMNS if c in outcomes_expr.columns]
        people = backend.execute(con, outcomes_expr.select(*wanted))
        adjusted = adjusted_rates(people)
        write_csv(publishable_rates(adjusted.table, threshold), out_dir / "adjusted_rates.csv")
        names = _service_names(ctx)
        if ws.has("interventions"):
            interventions = pd.read_parquet(ws.input_path("interventions"))
            options = EvaluationOptions.from_policy(ctx.policy, seed=ctx.seed)
            for service in DEMO_SERVICES:
                ids = interventions.loc[interventions["intervention_id"] == service,
                                        "offender_id"].unique()
                try:
                    result = evaluate(people, ids, names.get(service, service), options)
                except TooFewPeople as exc:
                    refused[service] = str(exc)
                    continue
                evaluations.append(result)
                (out_dir / f"evaluation_{service}.json").write_text(
                    json.dumps(result.to_json(), indent=2), encoding="utf-8"
                )
            values = indicator_values(adjusted.table, by_provider, interventions)
        else:
            values = indicator_values(adjusted.table, by_provider)
            notes.append("no interventions table: no evaluation or completion indicator")
        values = values[values["cohort_size"] >= minimum]
        ratings = rate_providers(values, load_indicators(),
                                 Bands.from_policy(ctx.policy))
        write_csv(ratings.table, out_dir / "performance.csv")
    else:
        notes.append("the cohort has no OGRS3 inputs: no case-mix adjustment or evaluation")
    schemes = builtin_schemes()
    payments = [d for sid, rows in PUBLISHED_FIGURES.items()
                for d in calculate(schemes[sid], rows)]
    exports.write_tables({"pbr_published.csv": pd.DataFrame([vars(p) for p in payments])},
                         out_dir)
    seconds = time.perf_counter() - start
    ctx.log(f"review: {int(national['cohort_size'].iloc[0]):,} cohort members, "
            f"{len(evaluations)} evaluation(s) in {seconds:.1f} s")
    return ReviewResult(national, by_year, adjusted, evaluations, refused, payments, ratings,
                        threshold, seconds, notes, rating_minimum=minimum)
