"""Evidence rating: studies → the document's four categories, with the reasons shown.

The rules (``evidence.rating_rules``, a dated parameter) are applied to the studies of a
catalogue entry whose Maryland Scientific Methods Scale level counts (3+ by default):

1. no counting study → the rules cannot rate it; with no study data entered, or studies of an
   analogue only (``effect.mapping: analogue``), the document's category stands, otherwise
   "not evaluated";
2. a counting study significantly harmful → "no effect or may increase reoffending";
3. a significant beneficial pooled effect (at least ``best_min_studies`` studies, I² below
   ``max_i2_for_best``) or a significant beneficial systematic review, with a level-4+ design
   or a review among them → "best evidence";
4. some significant beneficial counting study, not enough for 3 → "promising";
5. otherwise (counting evidence, none significantly beneficial) → "no effect".

Also here: the document's four minimum conditions for funding a service whose evidence is
lacking or inconclusive (a gate listing what is missing), the "what works" checklist score, and
the quality-of-delivery factor on the expected effect (``evidence.quality_of_delivery``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from commissioning.evidence.catalogue import CATEGORY_LABELS, WHAT_WORKS, Intervention, Study
from commissioning.evidence.effect_sizes import (
    LOG_OR_PER_UNIT,
    escalc,
    from_odds_ratio_ci,
)
from commissioning.evidence.meta import MetaResult, meta_analyse
from commissioning.policy.parameters import Policy

#: The four minimum conditions (Commissioning Intentions 2012-13, "Evidence Based Commissioning").
MINIMUM_CONDITIONS: dict[str, str] = {
    "description": "a clear description of the service, the outcomes it aims at and who it is for",
    "rationale": "a clear, plausible rationale for why the service should work",
    "evidence_strategy": "a strategy for gathering evidence about whether the service works",
    "high_risk_caution": "particular caution with high risk or high harm offenders",
}


@dataclass(frozen=True)
class RatingRules:
    """The configurable thresholds of the rules engine."""

    min_sms_level: int
    strong_sms_level: int
    best_min_studies: int
    review_counts_as_best: bool
    max_i2_for_best: float
    alpha: float

    @classmethod
    def from_policy(cls, policy: Policy) -> RatingRules:
        return policy.load(cls, "evidence.rating_rules")


@dataclass(frozen=True)
class StudyFinding:
    """One study read by the rules: effect on its analysis scale, direction, significance."""

    study: Study
    log_effect: float | None
    se: float | None
    beneficial: bool | None
    significant: bool | None


@dataclass(frozen=True)
class PooledEffect:
    """The log odds ratio of reoffending the benefit–cost model uses, and where it comes from."""

    log_or: float
    se: float
    se_assumed: bool
    k: int
    source: str
    meta: MetaResult | None = None

    @property
    def odds_ratio(self) -> float:
        return math.exp(self.log_or)


@dataclass(frozen=True)
class Gate:
    """The four minimum conditions: which are met and which are missing."""

    applies: bool
    met: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def passes(self) -> bool:
        return not self.applies or not self.missing


@dataclass(frozen=True)
class Rating:
    """An intervention's category by the rules, the document's category, and why."""

    intervention_id: str
    document_category: str
    rules_category: str | None
    category: str
    reasons: tuple[str, ...]
    findings: tuple[StudyFinding, ...]
    pooled: PooledEffect | None
    gate: Gate
    what_works_score: float
    what_works_known: int
    quality_factor: float
    punitive: bool = False

    @property
    def agrees_with_document(self) -> bool:
        return self.rules_category is None or self.rules_category == self.document_category

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def disinvest_reasons(self) -> tuple[str, ...]:
        """Why this is a disinvestment candidate (empty when it is not)."""
        reasons = []
        if self.category == "no_effect":
            reasons.append("no effect on reoffending or may increase it")
            if self.punitive:
                reasons.append(
                    "a sentence of the court: keep for punishment, not as rehabilitation"
                )
        if self.pooled is not None and self.pooled.meta is not None:
            meta = self.pooled.meta
            if meta.ci_lower > 0:
                reasons.append("pooled effect significantly harmful")
        if self.gate.applies and self.gate.missing:
            reasons.append("evidence lacking and fails: " + "; ".join(self.gate.missing))
        return tuple(reasons)


def _z(alpha: float) -> float:
    from scipy import stats  # type: ignore[import-untyped]

    return float(stats.norm.ppf(1 - alpha / 2))


def read_study(study: Study, alpha: float) -> StudyFinding:
    """Direction and significance of one study (lower reoffending is beneficial)."""
    log_effect: float | None = None
    se: float | None = None
    if study.ai is not None and study.bi is not None and study.ci is not None and (
        study.di is not None
    ):
        measure = study.measure if study.measure in ("OR", "RR", "RD", "DCOX") else "OR"
        yi, vi = escalc(measure, [study.ai], [study.bi], [study.ci], [study.di])
        log_effect, se = float(yi[0]), math.sqrt(float(vi[0]))
    elif study.value is not None and study.measure is not None:
        ratio = study.measure in ("OR", "RR", "rate_ratio")
        log_effect = math.log(study.value) if ratio else study.value
        if study.ci_lower is not None and study.ci_upper is not None and ratio:
            se = from_odds_ratio_ci(study.value, study.ci_lower, study.ci_upper).se
        elif study.ci_lower is not None and study.ci_upper is not None:
            se = (study.ci_upper - study.ci_lower) / (2 * 1.959963984540054)
        elif study.se is not None:
            se = study.se
    significant = study.significant
    if se is not None and se > 0 and log_effect is not None:
        significant = abs(log_effect / se) > _z(alpha)
    beneficial = None if log_effect is None else log_effect < 0
    return StudyFinding(study, log_effect, se, beneficial, significant)


def pooled_effect(
    intervention: Intervention, se_when_not_reported: float, alpha: float, method: str = "REML"
) -> PooledEffect | None:
    """Pool the general-reoffending odds-ratio studies of an entry (REML when two or more).

    Studies with a standard error are meta-analysed; if none has one, a published value is
    used with the assumed standard error ``se_when_not_reported`` (flagged); ``alpha`` is
    the rules' significance level (:func:`read_study`).
    """
    with_se: list[tuple[str, float, float]] = []
    without_se: list[tuple[str, float]] = []
    files_with_se: list[str] = []
    files_without_se: list[str] = []
    for study in intervention.studies:
        if not study.is_reoffending_outcome:
            continue
        finding = read_study(study, alpha)
        if finding.log_effect is None or (
            study.measure is not None and study.measure not in LOG_OR_PER_UNIT
        ):
            continue
        # OR as it is; DCOX × 1.65 and SMD × π/√3 onto the log odds ratio (effect_sizes)
        unit = LOG_OR_PER_UNIT[study.measure or "OR"]
        log_or = finding.log_effect * unit
        if finding.se is not None:
            se = finding.se * unit
            with_se.append((study.citation, log_or, se))
            files_with_se.append(study.data_file or "")
        else:
            without_se.append((study.citation, log_or))
            files_without_se.append(study.data_file or "")
    if with_se:
        names = [c.split("(")[0].strip() for c, _, _ in with_se]
        meta = meta_analyse(
            [y for _, y, _ in with_se], [s**2 for _, _, s in with_se],
            method=method if len(with_se) > 1 else "FE", measure="OR", studies=names,
        )
        return PooledEffect(meta.estimate, meta.se, False, meta.k,
                            f"pooled from {meta.k} stud{'y' if meta.k == 1 else 'ies'}"
                            f"{_data_note(files_with_se)}", meta)
    if without_se:
        log_or = sum(y for _, y in without_se) / len(without_se)
        many = len(without_se) > 1
        return PooledEffect(log_or, se_when_not_reported, True, len(without_se),
                            ("mean of published estimates" if many else "published estimate")
                            + " without a confidence interval; SE assumed"
                            f"{_data_note(files_without_se)}")
    return None


def _data_note(files: list[str]) -> str:
    """`` (data: a.csv, b.csv)`` naming the reference tables the figures were copied into."""
    named = sorted({f for f in files if f})
    return f" (data: {', '.join(named)})" if named else ""


def minimum_conditions(intervention: Intervention, category: str) -> Gate:
    """The four conditions, applied where evidence is lacking or inconclusive."""
    who = bool(
        intervention.offence_groups or intervention.needs or intervention.min_risk_tier
        or intervention.sub_groups or intervention.eligibility.rules
    )
    checks = {
        "description": bool(intervention.description.strip() and intervention.outcomes and who),
        "rationale": bool(intervention.rationale),
        "evidence_strategy": bool(
            intervention.evaluation_plan or intervention.what_works.get("evaluation_plan")
        ),
        "high_risk_caution": bool(intervention.high_risk_caution),
    }
    applies = category in ("not_evaluated", "promising")
    met = tuple(MINIMUM_CONDITIONS[k] for k, ok in checks.items() if ok)
    missing = tuple(MINIMUM_CONDITIONS[k] for k, ok in checks.items() if not ok)
    return Gate(applies, met, missing)


def what_works_score(intervention: Intervention) -> tuple[float, int]:
    """Share of the eight "what works" characteristics met, and how many are known."""
    values = [intervention.what_works.get(k) for k in WHAT_WORKS]
    return sum(1 for v in values if v) / len(WHAT_WORKS), sum(1 for v in values if v is not None)


def rate(
    intervention: Intervention,
    rules: RatingRules,
    quality_factors: Mapping[str, float],
    se_when_not_reported: float,
) -> Rating:
    """Apply the rules to one catalogue entry and say why."""
    findings = tuple(read_study(s, rules.alpha) for s in intervention.studies)
    counting = [f for f in findings if f.study.sms_level >= rules.min_sms_level]
    pooled = pooled_effect(intervention, se_when_not_reported, rules.alpha)
    reasons: list[str] = []
    rules_category: str | None
    if not intervention.studies:
        rules_category = None
        reasons.append("no study data entered: the document's category stands")
    elif intervention.effect_mapping == "analogue":
        rules_category = None
        reasons.append(
            f"the studies entered evaluate an analogue ({intervention.effect_analogue}): they "
            "give the effect used, not the category; the document's category stands")
    elif not counting:
        rules_category = "not_evaluated"
        reasons.append(f"no study at Maryland SMS level {rules.min_sms_level} or above")
    else:
        harmful = [f for f in counting if f.significant and f.beneficial is False]
        good = [f for f in counting if f.significant and f.beneficial]
        strong = any(
            f.study.sms_level >= rules.strong_sms_level or f.study.kind == "systematic_review"
            for f in good
        )
        meta = pooled.meta if pooled else None
        pooled_best = (
            meta is not None and meta.k >= rules.best_min_studies and meta.ci_upper < 0
            and meta.i2 < rules.max_i2_for_best
        )
        review_best = rules.review_counts_as_best and any(
            f.study.kind == "systematic_review" for f in good
        )
        if harmful:
            rules_category = "no_effect"
            reasons.append(f"{len(harmful)} counting stud{'y' if len(harmful) == 1 else 'ies'} "
                           "significantly harmful (more reoffending)")
        elif (pooled_best or review_best) and strong:
            rules_category = "best_evidence"
            reasons.append(
                "significant beneficial pooled effect"
                if pooled_best else "a systematic review finds a significant beneficial effect"
            )
        elif good:
            rules_category = "promising"
            reasons.append(
                f"{len(good)} significant beneficial counting stud"
                f"{'y' if len(good) == 1 else 'ies'}, short of the best-evidence rule "
                f"(≥{rules.best_min_studies} pooled studies or a systematic review, SMS "
                f"≥{rules.strong_sms_level})"
            )
        else:
            rules_category = "no_effect"
            reasons.append("counting evidence shows no significant beneficial effect")
    category = rules_category or intervention.category
    if rules_category is not None and rules_category != intervention.category:
        reasons.append(
            f"the document's category is {CATEGORY_LABELS[intervention.category]!r}; "
            "the rules disagree on the studies entered"
        )
    score, known = what_works_score(intervention)
    factors = quality_factors
    return Rating(
        intervention_id=intervention.id,
        document_category=intervention.category,
        rules_category=rules_category,
        category=category,
        reasons=tuple(reasons),
        findings=findings,
        pooled=pooled,
        gate=minimum_conditions(intervention, category),
        what_works_score=score,
        what_works_known=known,
        quality_factor=float(factors[intervention.quality_of_delivery]),
        punitive="punishment" in intervention.outcomes,
    )


def rate_all(
    interventions: list[Intervention] | tuple[Intervention, ...],
    policy: Policy,
) -> list[Rating]:
    """Rate every entry with the rules, quality factors and assumed SE in force."""
    rules = RatingRules.from_policy(policy)
    factors = {k: float(v) for k, v in policy.mapping("evidence.quality_of_delivery").items()}
    se = float(policy.mapping("evidence.benefit_cost")["se_when_not_reported"])
    return [rate(i, rules, factors, se) for i in interventions]
