"""The cohort as the review needs it: periods, OGRS3 scores and one-year outcomes per person.

One expression, run by the engine: the cohort with ``cohort_year`` and ``cohort_quarter``, the
OGRS3 columns (:func:`commissioning.review.adjusted.score_cohort`) where the cohort carries the
assessment columns, and the per-person proven-reoffending outcomes of
:func:`commissioning.review.proven.person_outcomes`.
"""

from __future__ import annotations

import ibis.expr.types as ir

from commissioning.assess.risk import RiskRules
from commissioning.policy.parameters import Policy
from commissioning.review.adjusted import score_cohort
from commissioning.review.proven import FollowUp, person_outcomes, with_periods

#: Cohort columns OGRS3 needs (the rest of the assessment columns are optional).
OGRS3_INPUTS: tuple[str, ...] = (
    "sex", "date_of_birth", "conviction_date", "first_sanction_date", "previous_sanctions",
    "offence",
)


def can_score(cohort: ir.Table) -> bool:
    """Whether the cohort carries what OGRS3 needs."""
    return all(c in cohort.columns for c in OGRS3_INPUTS)


def cohort_outcomes(
    cohort: ir.Table,
    reoffences: ir.Table,
    policy: Policy,
    follow_up: FollowUp | None = None,
) -> ir.Table:
    """One row per cohort member with periods, OGRS3 (when possible) and outcomes."""
    rules = follow_up or FollowUp.from_policy(policy)
    t = with_periods(cohort)
    if can_score(t):
        t = score_cohort(t, RiskRules.from_policy(policy))
    return person_outcomes(t, reoffences, rules)
