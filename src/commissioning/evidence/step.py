"""The round step ``evidence`` (order 200): rate the catalogue, value it per segment, publish.

Reads the scored assessments the foundation keeps in the workspace database
(``assessments_scored``), takes each segment's mean OGRS3 as its baseline, rates every
catalogue entry, runs the benefit–cost Monte Carlo, writes ``ratings.csv``,
``benefit_cost.csv`` and ``disinvestment.csv`` under ``exports/evidence/`` and hands an
:class:`EvidenceResult` to the report section (registered on import).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.evidence.benefit_cost import (
    Segment,
    Valuation,
    benefit_cost_all,
)
from commissioning.evidence.catalogue import CATEGORY_LABELS, Catalogue, load_catalogue
from commissioning.evidence.rating import Rating, rate_all
from commissioning.policy.parameters import DEFAULT_DATE, ParameterSet
from commissioning.steps import RoundStep, StepContext, register_step

STEP_ID = "evidence"
SCORED_TABLE = "assessments_scored"


@dataclass(frozen=True)
class EvidenceResult:
    """What the report needs: the catalogue, its ratings, segments and the benefit–cost table."""

    catalogue: Catalogue
    ratings: tuple[Rating, ...]
    segments: tuple[Segment, ...]
    benefit_cost: pd.DataFrame
    when: dt.date

    def rating(self, intervention_id: str) -> Rating:
        return next(r for r in self.ratings if r.intervention_id == intervention_id)


def segments_from_backend(
    con: BaseBackend, table: str = SCORED_TABLE, baseline_column: str = "ogrs3_2y"
) -> list[Segment]:
    """Segments with their offenders and mean OGRS3, aggregated in the database."""
    scored = backend.sql_table(con, table)
    expr = scored.group_by(["setting", "offence_group", "risk_tier"]).aggregate(
        offenders=scored.count(), baseline=scored[baseline_column].mean()
    )
    frame: pd.DataFrame = backend.execute(con, expr)
    frame = frame.sort_values(["setting", "offence_group", "risk_tier"])
    return [
        Segment(str(s), str(g), str(t), int(n), float(b))
        for s, g, t, n, b in zip(
            frame["setting"], frame["offence_group"], frame["risk_tier"],
            frame["offenders"], frame["baseline"], strict=True,
        )
    ]


def ratings_frame(catalogue: Catalogue, ratings: tuple[Rating, ...]) -> pd.DataFrame:
    """One row per intervention: categories, why, pooled effect, checklist, gate."""
    rows = []
    for item, r in zip(catalogue, ratings, strict=True):
        pooled = r.pooled
        rows.append({
            "intervention_id": item.id,
            "name": item.name,
            "document_category": r.document_category,
            "rules_category": r.rules_category or "",
            "category": r.category,
            "why": "; ".join(r.reasons),
            "pooled_odds_ratio": pooled.odds_ratio if pooled else None,
            "pooled_log_or_se": pooled.se if pooled else None,
            "se_assumed": pooled.se_assumed if pooled else None,
            "what_works_score": r.what_works_score,
            "what_works_known": r.what_works_known,
            "quality_factor": r.quality_factor,
            "minimum_conditions_missing": "; ".join(r.gate.missing) if r.gate.applies else "",
            "disinvest": "; ".join(r.disinvest_reasons),
            "core_rehabilitation_offer": item.core,
        })
    return pd.DataFrame(rows)


def evaluate(
    segments: list[Segment],
    params: ParameterSet,
    when: dt.date = DEFAULT_DATE,
    seed: int = 2012,
    catalogue: Catalogue | None = None,
    draws: int | None = None,
) -> EvidenceResult:
    """Rate the catalogue and compute benefit–cost for the given segments."""
    catalogue = catalogue or load_catalogue()
    ratings = tuple(rate_all(catalogue.interventions, params, when))
    valuation = Valuation.from_parameters(params, when)
    table = benefit_cost_all(catalogue.interventions, ratings, segments, valuation, seed, draws)
    return EvidenceResult(catalogue, ratings, tuple(segments), table, when)


def run(ctx: StepContext) -> EvidenceResult:
    """The round step: evaluate on the workspace's segments and write the CSV outputs."""
    baseline = str(ctx.parameters.value("evidence.benefit_cost", ctx.when)["baseline_column"])
    segments = segments_from_backend(ctx.con, SCORED_TABLE, baseline)
    result = evaluate(segments, ctx.parameters, ctx.when, ctx.seed)
    out = ctx.output_dir(STEP_ID)
    ratings = ratings_frame(result.catalogue, result.ratings)
    ratings.to_csv(out / "ratings.csv", index=False)
    result.benefit_cost.to_csv(out / "benefit_cost.csv", index=False)
    ratings[ratings["disinvest"] != ""][
        ["intervention_id", "name", "category", "disinvest"]
    ].to_csv(out / "disinvestment.csv", index=False)
    counts = ratings["category"].value_counts()
    ctx.log(
        "evidence: "
        + ", ".join(f"{counts.get(c, 0)} {CATEGORY_LABELS[c].lower()}" for c in CATEGORY_LABELS)
        + f"; benefit–cost for {result.benefit_cost['intervention_id'].nunique()} services"
    )
    return result


STEP = register_step(RoundStep(STEP_ID, "Evidence: ratings and benefit–cost", 200, run))

from commissioning.evidence import report_section as _report_section  # noqa: E402,F401
