"""The round step ``evidence`` (order 200): rate the catalogue, value it per segment, publish.

Reads the scored assessments the foundation keeps in the workspace database
(``assessments_scored``), the cohort, reoffences and interventions tables; takes each segment's
mean OGRS3 one-year probability as its baseline, its proven reoffences per reoffender and £ per
proven reoffence from its own reoffence mix, and each service's 2011-12 coverage; rates every
catalogue entry, builds each one's effect distribution, runs the benefit–cost Monte Carlo, writes
``ratings.csv``, ``effects.csv``, ``benefit_cost.csv``, ``segments.csv`` and
``disinvestment.csv`` under ``exports/evidence/`` and hands an :class:`EvidenceResult` to the
report section (:mod:`commissioning.evidence.capability`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.evidence.benefit_cost import (
    Segment,
    Valuation,
    benefit_cost_all,
)
from commissioning.evidence.catalogue import CATEGORY_LABELS, Catalogue, load_catalogue
from commissioning.evidence.outcome import (
    SEGMENT_KEYS,
    EffectDistribution,
    OutcomeError,
    segment_reoffending_from_backend,
    service_effects,
)
from commissioning.evidence.rating import Rating, rate_all
from commissioning.io.exports import write_tables
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import Policy
from commissioning.round import SCORED_TABLE
from commissioning.steps import StepContext

STEP_ID = "evidence"


@dataclass(frozen=True)
class EvidenceResult:
    """What the report needs: the catalogue, its ratings, segments and the benefit–cost table."""

    catalogue: Catalogue
    ratings: tuple[Rating, ...]
    segments: tuple[Segment, ...]
    benefit_cost: pd.DataFrame
    when: dt.date
    effects: dict[str, EffectDistribution] = field(default_factory=dict)

    def rating(self, intervention_id: str) -> Rating:
        return next(r for r in self.ratings if r.intervention_id == intervention_id)


def segments_from_backend(
    con: BaseBackend, table: str, baseline_column: str,
    reoffending: pd.DataFrame | None = None, coverage: pd.DataFrame | None = None,
) -> list[Segment]:
    """Segments with their offenders and mean OGRS3, aggregated in the database; with each
    segment's reoffence frequency and value (``reoffending``, from
    :func:`commissioning.evidence.outcome.segment_reoffending`) and services' coverage
    (``coverage``: ``intervention_id``, segment, ``starts``) where given."""
    scored = backend.sql_table(con, table)
    expr = scored.group_by(list(SEGMENT_KEYS)).aggregate(
        offenders=scored.count(), baseline=scored[baseline_column].mean()
    )
    frame: pd.DataFrame = backend.execute(con, expr)
    frame = frame.sort_values(list(SEGMENT_KEYS))
    if reoffending is not None:
        frame = frame.merge(reoffending, on=list(SEGMENT_KEYS), how="left")
    cover: dict[tuple[str, str, str], dict[str, float]] = {}
    if coverage is not None and len(coverage):
        size = {tuple(map(str, k)): float(n) for *k, n in frame[
            [*SEGMENT_KEYS, "offenders"]].itertuples(index=False)}
        for sid, st, og, rt, starts in coverage[
                ["intervention_id", *SEGMENT_KEYS, "starts"]].itertuples(index=False):
            key = (str(st), str(og), str(rt))
            if size.get(key):
                cover.setdefault(key, {})[str(sid)] = float(starts) / size[key]
    out = []
    for row in frame.to_dict(orient="records"):
        key = (str(row["setting"]), str(row["offence_group"]), str(row["risk_tier"]))
        freq = row.get("reoffences_per_reoffender")
        value = row.get("value_per_reoffence")
        out.append(Segment(
            *key, int(row["offenders"]), float(row["baseline"]),
            1.0 if freq is None or pd.isna(freq) else float(freq),
            0.0 if value is None or pd.isna(value) else float(value),
            cover.get(key, {}),
        ))
    return out


def coverage_from_backend(
    con: BaseBackend, ws: Workspace, services: list[str], table: str = SCORED_TABLE
) -> pd.DataFrame:
    """2011-12 starts per service × segment of the commissioned ``services`` (the plan's)."""
    if not ws.has("interventions"):
        return pd.DataFrame(columns=["intervention_id", *SEGMENT_KEYS, "starts"])
    scored = backend.sql_table(con, table)
    starts = backend.read_parquet(con, ws.input_path("interventions"), "evidence_interventions")
    starts = starts.filter(starts.intervention_id.isin(services))
    joined = starts.join(scored.select("offender_id", *SEGMENT_KEYS), "offender_id")
    expr = joined.group_by(["intervention_id", *SEGMENT_KEYS]).aggregate(starts=joined.count())
    result: pd.DataFrame = backend.execute(con, expr)
    return result


def segments_from_workspace(
    con: BaseBackend, ws: Workspace, policy: Policy,
    table: str = SCORED_TABLE,
) -> list[Segment]:
    """The segments of a scored workspace with everything the outcome model needs; without
    cohort and reoffences tables the reoffence value is unknown (an error that says so)."""
    for needed in ("cohort", "reoffences"):
        if not ws.has(needed):
            raise OutcomeError(
                f"the workspace {ws.path} has no {needed} table: import one (`commission import "
                f"{needed} FILE`); benefit-cost values reoffences by each segment's own mix")
    scored = backend.sql_table(con, table)
    cohort = backend.read_parquet(con, ws.input_path("cohort"), "evidence_cohort")
    reoffences = backend.read_parquet(con, ws.input_path("reoffences"), "evidence_reoffences")
    reoffending = segment_reoffending_from_backend(con, scored, cohort, reoffences, policy)
    planned = policy.value("plan.unit_costs") if "plan.unit_costs" in policy else {}
    services = [k for k, v in (planned or {}).items() if not (v or {}).get("statutory")]
    coverage = coverage_from_backend(con, ws, services, table)
    baseline = str(policy.value("evidence.outcome_model")["baseline_column"])
    return segments_from_backend(con, table, baseline, reoffending, coverage)


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
    policy: Policy,
    seed: int = 2012,
    catalogue: Catalogue | None = None,
    draws: int | None = None,
) -> EvidenceResult:
    """Rate the catalogue and compute benefit–cost for the given segments."""
    catalogue = catalogue or load_catalogue()
    ratings = tuple(rate_all(catalogue.interventions, policy))
    effects = service_effects(catalogue.interventions, policy, ratings)
    valuation = Valuation.from_policy(policy, catalogue.interventions)
    table = benefit_cost_all(catalogue.interventions, effects, segments, valuation, seed, draws)
    return EvidenceResult(catalogue, ratings, tuple(segments), table, policy.when, effects)


def effects_frame(catalogue: Catalogue, effects: dict[str, EffectDistribution]) -> pd.DataFrame:
    """One row per catalogue entry: its effect distribution and where it comes from."""
    rows = []
    for item in catalogue:
        e = effects[item.id]
        low, high = e.interval()
        rows.append({
            "intervention_id": item.id, "name": item.name, "effect_kind": e.kind,
            "log_odds_ratio": e.log_or, "log_odds_ratio_se": e.se, "odds_ratio": e.odds_ratio,
            "reference_rate": e.reference_rate, "risk_ratio": e.risk_ratio,
            "risk_ratio_low": low, "risk_ratio_high": high,
            "analogue_of": item.effect_analogue or "", "source": e.source,
        })
    return pd.DataFrame(rows)


def run(ctx: StepContext) -> EvidenceResult:
    """The round step: evaluate on the workspace's segments and write the CSV outputs."""
    segments = segments_from_workspace(ctx.con, ctx.workspace, ctx.policy)
    result = evaluate(segments, ctx.policy, ctx.seed)
    out = ctx.output_dir(STEP_ID)
    ratings = ratings_frame(result.catalogue, result.ratings)
    segment_table = pd.DataFrame([{
        "setting": s.setting, "offence_group": s.offence_group, "risk_tier": s.risk_tier,
        "offenders": s.offenders, "baseline_ogrs3_1y": s.baseline,
        "reoffences_per_reoffender": s.reoffences_per_reoffender,
        "value_per_reoffence_gbp": s.value_per_reoffence,
    } for s in result.segments])
    write_tables({
        "ratings.csv": ratings,
        "effects.csv": effects_frame(result.catalogue, result.effects),
        "benefit_cost.csv": result.benefit_cost,
        "segments.csv": segment_table,
        "disinvestment.csv": ratings[ratings["disinvest"] != ""][
            ["intervention_id", "name", "category", "disinvest"]],
    }, out)
    counts = ratings["category"].value_counts()
    ctx.log(
        "evidence: "
        + ", ".join(f"{counts.get(c, 0)} {CATEGORY_LABELS[c].lower()}" for c in CATEGORY_LABELS)
        + f"; effects: {sum(e.kind != 'assumption' for e in result.effects.values())} "
        f"published or analogue, {sum(e.kind == 'assumption' for e in result.effects.values())} "
        f"labelled assumptions; benefit–cost for "
        f"{result.benefit_cost['intervention_id'].nunique()} services"
    )
    return result
