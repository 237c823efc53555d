"""Risk scoring as Ibis expressions: derived ages, offence group, OGRS3, band and risk tier.

The scorer adds columns to an ``assessments`` table expression, so it runs inside the engine
(DuckDB by default) over millions of rows. Coefficients and their source are in
:mod:`commissioning.assess.ogrs3`; the tier rule, band cut-offs and offence-group mapping are
dated policy parameters (``risk.*``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from commissioning.assess import ogrs3
from commissioning.policy.parameters import ParameterError, Policy
from commissioning.schema.contract import OFFENCE_GROUPS, OFFENCES, ROSH_LEVELS

#: Columns that :func:`score` adds, in order (the ``commission risk`` interface).
RISK_COLUMNS: tuple[str, ...] = (
    "age_at_assessment",
    "offence_group",
    "ogrs3_1y",
    "ogrs3_2y",
    "ogrs3_band",
    "risk_tier",
)


@dataclass(frozen=True)
class RiskRules:
    """The policy parameters that scoring depends on, read for one date.

    ``medium_high_from_pct`` is the one definition of "medium to high risk of reoffending"
    (``risk.medium_high_threshold``): the medium tier, the medium OGRS3 band and the plan's
    medium-or-high flag all start there (:func:`medium_high`).
    """

    offence_groups: Mapping[str, Sequence[str]]
    medium_high_from_pct: int
    band_high: int
    band_very_high: int
    very_high_harm_levels: tuple[str, ...]
    tier_high_from_pct: int

    @property
    def band_medium(self) -> int:
        return self.medium_high_from_pct

    @property
    def tier_medium_from_pct(self) -> int:
        return self.medium_high_from_pct

    @classmethod
    def from_policy(cls, policy: Policy) -> RiskRules:
        groups: Mapping[str, Sequence[str]] = policy.mapping("risk.offence_groups")
        bands: Mapping[str, Any] = policy.mapping("risk.ogrs3_bands")
        tier: Mapping[str, Any] = policy.mapping("risk.tier_rule")
        rules = cls(
            offence_groups={str(g): tuple(c) for g, c in groups.items()},
            medium_high_from_pct=policy.integer("risk.medium_high_threshold"),
            band_high=int(bands["high"]),
            band_very_high=int(bands["very_high"]),
            very_high_harm_levels=tuple(tier["very_high_harm_levels"]),
            tier_high_from_pct=int(tier["high_from_pct"]),
        )
        rules.check()
        return rules

    def check(self) -> None:
        """Fail early on a mapping that misses or repeats a category, or unknown levels."""
        seen: dict[str, str] = {}
        for group, cats in self.offence_groups.items():
            if group not in OFFENCE_GROUPS:
                raise ValueError(f"risk.offence_groups: unknown offence group {group!r}")
            for c in cats:
                if c not in OFFENCES:
                    raise ValueError(f"risk.offence_groups: unknown offence category {c!r}")
                if c in seen:
                    raise ValueError(
                        f"risk.offence_groups: {c!r} is in both {seen[c]!r} and {group!r}"
                    )
                seen[c] = group
        missing = [c for c in OFFENCES if c not in seen]
        if missing:
            raise ValueError(f"risk.offence_groups: categories not mapped: {', '.join(missing)}")
        bad = [lvl for lvl in self.very_high_harm_levels if lvl not in ROSH_LEVELS]
        if bad:
            raise ValueError(f"risk.tier_rule: unknown harm levels {bad}")
        if not 1 < self.medium_high_from_pct < self.tier_high_from_pct <= 99:
            raise ParameterError(
                "risk.medium_high_threshold must lie between 1 and risk.tier_rule's "
                f"high_from_pct ({self.tier_high_from_pct}); it is {self.medium_high_from_pct}"
            )

    def group_of(self) -> dict[str, str]:
        return {c: g for g, cats in self.offence_groups.items() for c in cats}


def whole_years(born: ir.DateValue, on: ir.DateValue) -> ir.IntegerValue:
    """Age in whole years on a date by birthday arithmetic (29 February births age on 1 March)."""
    born_md = born.month() * 100 + born.day()
    on_md = on.month() * 100 + on.day()
    before_birthday = (on_md < born_md).cast("int64")
    return (on.year() - born.year() - before_birthday).cast("int64")


def _age_sex(age: ir.IntegerValue, female: ir.BooleanValue) -> ir.FloatingValue:
    branches = []
    for lower, male_coef, female_coef in reversed(
        list(zip(ogrs3.AGE_BAND_LOWER, ogrs3.AGE_SEX_MALE, ogrs3.AGE_SEX_FEMALE, strict=True))
    ):
        branches.append((age >= lower, ibis.ifelse(female, female_coef, male_coef)))
    first_male, first_female = ogrs3.AGE_SEX_MALE[0], ogrs3.AGE_SEX_FEMALE[0]
    return ibis.cases(*branches, else_=ibis.ifelse(female, first_female, first_male))


def _percent(p: ir.FloatingValue) -> ir.IntegerValue:
    """Whole-percent score, rounded half-up and clamped to 1-99."""
    pct = (p * 100.0 + 0.5).floor()
    return ibis.greatest(1, ibis.least(99, pct)).cast("int64")


def medium_high(ogrs3_2y: ir.FloatingValue, from_pct: int) -> ir.BooleanValue:
    """True where an OGRS3 two-year score is "medium to high risk of reoffending".

    The one definition (``risk.medium_high_threshold``, :attr:`RiskRules.medium_high_from_pct`):
    the whole-percent score at or above ``from_pct`` — exactly the scores whose tier, harm
    aside, is medium or high, and whose band is medium or above.
    """
    return _percent(ogrs3_2y) >= from_pct


def score(t: ir.Table, rules: RiskRules) -> ir.Table:
    """Add :data:`RISK_COLUMNS` to an assessments table expression.

    Ages: ``age_at_assessment`` on the assessment (risk) date for the age-sex factor; the
    copas term uses ages at conviction and at first sanction (REFERENCES.md, "OGRS3"). The
    expression is built in stages (ages, then the linear predictor, then probabilities, then
    band and tier) so each intermediate is computed once per row.
    """
    original = list(t.columns)
    aged = t.mutate(
        age_at_assessment=whole_years(t.date_of_birth, t.assessment_date),
        _age_at_conviction=whole_years(t.date_of_birth, t.conviction_date),
        _age_at_first=whole_years(t.date_of_birth, t.first_sanction_date),
        _previous=ibis.least(t.previous_sanctions.cast("int64"), ogrs3.PREVIOUS_SANCTIONS_CAP),
    )
    status = ibis.ifelse(aged._previous > 0, ogrs3.STATUS_PREVIOUS, ogrs3.STATUS_NO_PREVIOUS)
    career = (10 + aged._age_at_conviction - aged._age_at_first).cast("float64")
    copas = ogrs3.COPAS_COEFFICIENT * ((aged._previous + 1).cast("float64") / career).ln()
    offence = aged.offence.substitute(ogrs3.OFFENCE_COEFFICIENTS, else_=ibis.null("float64"))
    linear = aged.mutate(
        _y=_age_sex(aged.age_at_assessment, aged.sex == "female") + status + copas + offence
    )
    scored = linear.mutate(
        offence_group=linear.offence.substitute(rules.group_of(), else_=ibis.null("string")),
        ogrs3_1y=1.0 / (1.0 + (-(ogrs3.INTERCEPT_1Y + linear._y)).exp()),
        ogrs3_2y=1.0 / (1.0 + (-(ogrs3.INTERCEPT_2Y + linear._y)).exp()),
    )
    return classify(scored, rules).select(*original, *RISK_COLUMNS)


def classify(scored: ir.Table, rules: RiskRules) -> ir.Table:
    """Add ``ogrs3_band`` and ``risk_tier`` to a table with ``ogrs3_2y`` and ``rosh``.

    Both start "medium" at the one threshold of medium to high risk
    (``rules.medium_high_from_pct``, see :func:`medium_high`).
    """
    scored = scored.mutate(_pct=_percent(scored.ogrs3_2y))
    band = ibis.cases(
        (scored._pct >= rules.band_very_high, "very_high"),
        (scored._pct >= rules.band_high, "high"),
        (medium_high(scored.ogrs3_2y, rules.medium_high_from_pct), "medium"),
        else_="low",
    )
    tier = ibis.cases(
        (scored.rosh.isin(list(rules.very_high_harm_levels)), "very_high"),
        (scored._pct >= rules.tier_high_from_pct, "high"),
        (medium_high(scored.ogrs3_2y, rules.medium_high_from_pct), "medium"),
        else_="low",
    )
    return scored.mutate(ogrs3_band=band, risk_tier=tier).drop("_pct")


#: The risk tiers in order; only the lowest lies wholly below ``risk.medium_high_threshold``.
_TIERS_ABOVE_LOW: frozenset[str] = frozenset({"medium", "high", "very_high"})


def tier_is_medium_high(tier: str) -> bool:
    """Whether a risk tier is of medium to high risk of reoffending, for a record that has a
    tier and no score (a proposal's line): :func:`classify` starts the medium tier at the one
    threshold (:attr:`RiskRules.medium_high_from_pct`) and the high tier above it, and puts
    the very high risk of serious harm above both, so the low tier is exactly the people
    below the threshold."""
    if tier == "low":
        return False
    if tier in _TIERS_ABOVE_LOW:
        return True
    raise ValueError(f"{tier!r} is not a risk tier: use low, medium, high or very_high")
