"""Synthetic outcome tables: the proven-reoffending cohort and its proven reoffences.

From a chunk of assessments this module makes the ``cohort`` (who starts follow-up when) and
the ``reoffences`` (offences, disposals and court appearances) so that the proven-reoffending
measure (REFERENCES.md: offence within 12 months of the index date, disposed of within a
further 6) reproduces each person's OGRS3 probabilities. Time to first proven reoffence is a
Weibull distribution fitted per person through P(T <= 1 year) = ogrs3_1y and
P(T <= 2 years) = ogrs3_2y (after any synthetic intervention effect, see
:mod:`commissioning.synth.interventions`); further offences follow a gamma-Poisson process
calibrated to the adult frequency of about 3.2 reoffences per reoffender.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from commissioning.assess import ogrs3
from commissioning.assess.risk import RiskRules
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import COHORT, OFFENCES, SENTENCE_TYPES
from commissioning.synth.cases import (
    BoolArray,
    Cases,
    FloatArray,
    IntArray,
    days_to_dates,
    dictionary_strings,
    read_cases,
)
from commissioning.synth.interventions import InterventionRules, allocate_interventions

#: The date on which the synthetic outcome parameters are read.

_EPOCH = dt.date(1970, 1, 1)

COHORT_SCHEMA_HEAD = pa.schema(
    [
        ("offender_id", pa.string()),
        ("index_date", pa.date32()),
        ("index_type", pa.string()),
        ("provider_id", pa.string()),
    ]
)

REOFFENCES_SCHEMA = pa.schema(
    [
        ("offender_id", pa.string()),
        ("offence_date", pa.date32()),
        ("disposal_date", pa.date32()),
        ("disposal_type", pa.string()),
        ("court_appearance_id", pa.string()),
        ("offence", pa.string()),
    ]
)


def _days(d: Any) -> int:
    day = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
    return (day - _EPOCH).days


@dataclass(frozen=True)
class OutcomeRules:
    """The synthetic-outcome parameters (``synth_outcomes.*``), read for one date."""

    cohort_start: int
    cohort_end: int
    data_cutoff: int
    follow_up_days: int
    disposal_days: int
    horizon_days: int
    release_fraction: float
    caution_share: float
    crown_court_share: float
    caution_lag: float
    magistrates_lag: float
    crown_court_lag: float
    further_rate: float
    further_reference_p1: float
    further_risk_exponent: float
    further_gamma_shape: float
    max_offences: int
    join_probability: float
    same_offence_probability: float
    offence_mix: FloatArray
    late_disposal_share: float
    risk: RiskRules
    interventions: InterventionRules

    @classmethod
    def from_policy(cls, policy: Policy) -> OutcomeRules:
        follow: Mapping[str, Any] = policy.value("synth_outcomes.follow_up")
        disposal: Mapping[str, Any] = policy.value("synth_outcomes.disposal")
        further: Mapping[str, Any] = policy.value("synth_outcomes.further_offences")
        offences: Mapping[str, Any] = policy.value("synth_outcomes.reoffence_offences")
        mix = offences["mix"]
        unknown = sorted(set(mix) - set(OFFENCES))
        if unknown:
            raise ValueError(
                f"synth_outcomes.reoffence_offences: unknown offence categories {unknown}; "
                f"use the OGRS3 categories of the contract ({', '.join(OFFENCES)})"
            )
        weights = np.array([float(mix.get(o, 0.0)) for o in OFFENCES])
        rules = cls(
            cohort_start=_days(follow["cohort_start"]),
            cohort_end=_days(follow["cohort_end"]),
            data_cutoff=_days(follow["data_cutoff"]),
            follow_up_days=int(follow["follow_up_days"]),
            disposal_days=int(follow["disposal_days"]),
            horizon_days=int(follow["horizon_days"]),
            release_fraction=float(policy.value("synth_outcomes.custody_release")),
            caution_share=float(disposal["caution_share"]),
            crown_court_share=float(disposal["crown_court_share"]),
            caution_lag=float(disposal["caution_lag_mean_days"]),
            magistrates_lag=float(disposal["magistrates_lag_mean_days"]),
            crown_court_lag=float(disposal["crown_court_lag_mean_days"]),
            further_rate=float(further["rate_per_year"]),
            further_reference_p1=float(further["reference_ogrs3_1y"]),
            further_risk_exponent=float(further["risk_exponent"]),
            further_gamma_shape=float(further["gamma_shape"]),
            max_offences=int(further["max_offences"]),
            join_probability=float(policy.value("synth_outcomes.court_appearances")),
            same_offence_probability=float(offences["same_offence_probability"]),
            offence_mix=weights / weights.sum(),
            late_disposal_share=float(policy.value("synth_outcomes.late_disposal")),
            risk=RiskRules.from_policy(policy),
            interventions=InterventionRules.from_policy(policy),
        )
        rules.check()
        return rules

    def check(self) -> None:
        """Fail early on windows that cannot hold a full follow-up."""
        window = self.follow_up_days + self.disposal_days
        if self.data_cutoff < self.cohort_end + window:
            raise ValueError(
                "synth_outcomes.follow_up: data_cutoff must be at least follow_up_days + "
                "disposal_days after cohort_end so every cohort member has a full window"
            )
        if not self.follow_up_days <= self.horizon_days < 4096:
            raise ValueError(
                "synth_outcomes.follow_up: horizon_days must be at least follow_up_days and "
                "below 4096 (offsets are packed into 12 bits when sorting)"
            )


@dataclass(frozen=True)
class OutcomeTables:
    """The outcome tables made from one chunk of assessments."""

    cohort: pa.Table
    reoffences: pa.Table
    interventions: pa.Table


# --- cohort ------------------------------------------------------------------------------------

_ST = {name: i for i, name in enumerate(SENTENCE_TYPES)}


def index_dates(cases: Cases, rules: OutcomeRules) -> tuple[IntArray, IntArray, BoolArray]:
    """Index date (days), index type (0 release, 1 court order) and cohort membership.

    Community orders and SSOs start follow-up on the sentence (conviction) date. Determinate
    custody starts it on release at ``release_fraction`` of the sentence, not before the
    assessment in custody; licence cases were released before their community assessment.
    Indeterminate sentences and remand have no release in the window and do not enter.
    """
    st = cases.sentence_type
    length = cases.sentence_length_days
    served = np.floor(np.maximum(length, 0) * rules.release_fraction).astype(np.int64)
    release = cases.conviction_date + served
    court_order = (st == _ST["community_order"]) | (st == _ST["suspended_sentence_order"])
    court_order |= (st < 0) & ~cases.setting_custody
    licence = st == _ST["licence"]
    custody = (st == _ST["determinate_custody"]) & (length >= 0)
    index = np.full(cases.n, -1, dtype=np.int64)
    index[court_order] = cases.conviction_date[court_order]
    licence_release = np.where(length >= 0, np.minimum(release, cases.assessment_date),
                               cases.assessment_date)
    index[licence] = licence_release[licence]
    index[custody] = np.maximum(release, cases.assessment_date + 1)[custody]
    eligible = court_order | licence | custody
    member = eligible & (index >= rules.cohort_start) & (index <= rules.cohort_end)
    index_type = np.where(court_order, 1, 0).astype(np.int64)
    return index, index_type, member


def cohort_table(
    cases: Cases, index: IntArray, index_type: IntArray, member: BoolArray
) -> pa.Table:
    """The ``cohort`` rows of the members: index fields plus the case-mix columns."""
    rows = pa.array(np.flatnonzero(member), type=pa.int64())
    t = cases.table.take(rows)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "offender_id": t.column("offender_id"),
        "index_date": days_to_dates(index[member]),
        "index_type": dictionary_strings(index_type[member], ("release", "court_order")),
        "provider_id": t.column("provider_id"),
    }
    for name in COHORT.column_names[4:]:
        if name in t.column_names:
            columns[name] = t.column(name)
    return pa.table(columns)


# --- reoffences --------------------------------------------------------------------------------


def weibull_through(p1: FloatArray, p2: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weibull shape k and scale (years) with F(1) = p1 and F(2) = p2 (requires p2 > p1).

    F(t) = 1 - exp(-(t/scale)^k), so ln(-ln(1 - F(t))) = k ln t - k ln scale; two points fix
    both: k = [ln(-ln(1-p2)) - ln(-ln(1-p1))] / ln 2 and scale = exp(-ln(-ln(1-p1)) / k).
    """
    a1 = np.log(-np.log1p(-p1))
    a2 = np.log(-np.log1p(-p2))
    shape = np.maximum((a2 - a1) / np.log(2.0), 1e-3)
    scale = np.exp(-a1 / shape)
    return shape, scale


def _lags(rng: np.random.Generator, caution: BoolArray, rules: OutcomeRules,
          limit: FloatArray | None = None) -> FloatArray:
    """Offence-to-disposal lags (days): exponential by disposal route, optionally truncated.

    With ``limit`` the lag is drawn from the same exponential conditioned on lag <= limit
    (inverse CDF of the truncated exponential), so a first reoffence stays provable.
    """
    n = caution.size
    crown = ~caution & (rng.random(n) < rules.crown_court_share)
    mean = np.where(caution, rules.caution_lag,
                    np.where(crown, rules.crown_court_lag, rules.magistrates_lag))
    u = rng.random(n)
    if limit is None:
        return np.asarray(-mean * np.log1p(-u), dtype=np.float64)
    cap = -np.expm1(-np.maximum(limit, 0.0) / mean)
    return np.asarray(-mean * np.log1p(-u * cap), dtype=np.float64)


def reoffences_table(
    cases: Cases,
    rows: IntArray,
    index: IntArray,
    p1: FloatArray,
    p2: FloatArray,
    rules: OutcomeRules,
    rng: np.random.Generator,
) -> pa.Table:
    """Proven reoffences of the cohort members ``rows`` with (effect-adjusted) probabilities.

    ``index``, ``p1`` and ``p2`` are aligned with ``rows`` (one value per member).

    Offences run to ``horizon_days`` after the index date, so offences after 12 months and
    disposals after the 6-month window are present for the measure to exclude.
    """
    m = rows.size
    year = float(rules.follow_up_days)
    window = float(rules.follow_up_days + rules.disposal_days)
    horizon = float(rules.horizon_days)
    shape, scale = weibull_through(p1, p2)
    u = rng.random(m)
    first_t = year * scale * np.power(-np.log1p(-u), 1.0 / shape)
    has_first = first_t < horizon
    first_offset = np.floor(first_t) + 1.0

    # Further offences: gamma-Poisson with a rate rising with risk.
    f = rules
    rate = f.further_rate * np.power(p1 / f.further_reference_p1, f.further_risk_exponent)
    rate *= rng.gamma(f.further_gamma_shape, 1.0 / f.further_gamma_shape, m)
    remaining = np.where(has_first, horizon - first_offset, 0.0)
    n_further = np.minimum(rng.poisson(rate * np.maximum(remaining, 0.0) / year),
                           f.max_offences - 1)
    n_further = np.where(has_first, n_further, 0)

    # Late disposals for people without a first-year reoffence.
    late = (first_offset > year) & (rng.random(m) < f.late_disposal_share)

    first_people = np.flatnonzero(has_first)
    further_people = np.repeat(np.arange(m), n_further)
    late_people = np.flatnonzero(late)
    person = np.concatenate([first_people, further_people, late_people])
    offset = np.concatenate([
        first_offset[first_people],
        np.floor(first_offset[further_people]
                 + rng.random(further_people.size) * remaining[further_people]) + 1.0,
        np.floor(rng.random(late_people.size) * year) + 1.0,
    ])
    offset = np.minimum(offset, horizon)
    kind = np.concatenate([  # 0 first, 1 further, 2 late
        np.zeros(first_people.size, np.int8),
        np.ones(further_people.size, np.int8),
        np.full(late_people.size, 2, np.int8),
    ])
    # One stable sort on a packed key (person, offset < 2**12, kind < 4) beats np.lexsort.
    key = (person.astype(np.int64) << 14) | (offset.astype(np.int64) << 2) | kind
    order = np.argsort(key, kind="stable")
    person, offset, kind = person[order], offset[order], kind[order]
    k = person.size
    if k == 0:
        return REOFFENCES_SCHEMA.empty_table()

    caution = (rng.random(k) < f.caution_share) & (kind != 2)
    lag = _lags(rng, caution, f)
    provable_first = (kind == 0) & (offset <= year)
    lag[provable_first] = _lags(rng, caution[provable_first], f,
                                window - offset[provable_first])
    late_rows = kind == 2
    lag[late_rows] = window - offset[late_rows] + 1.0 + _lags(rng, caution[late_rows], f)
    disposal = offset + np.ceil(lag)

    # Court appearances: a conviction joins the previous one's appearance when committed
    # before that disposal; the first appearance never stretches past its first disposal.
    same_person = np.zeros(k, dtype=bool)
    same_person[1:] = person[1:] == person[:-1]
    prev_disposal = np.concatenate([[-np.inf], disposal[:-1]])
    prev_caution = np.concatenate([[True], caution[:-1]])
    prev_late = np.concatenate([[True], kind[:-1] == 2])
    join = (same_person & ~caution & ~prev_caution & ~prev_late & (kind != 2)
            & (offset <= prev_disposal)
            & (rng.random(k) < f.join_probability))
    person_start = np.flatnonzero(~same_person)
    first_disposal = np.repeat(disposal[person_start], np.diff(np.append(person_start, k)))
    group = np.cumsum(~join) - 1
    first_group = group == np.repeat(group[person_start], np.diff(np.append(person_start, k)))
    join &= ~(first_group & (offset > first_disposal))
    new_group = ~join
    starts = np.flatnonzero(new_group)
    sizes = np.diff(np.append(starts, k))
    group_disposal = np.maximum(np.minimum.reduceat(disposal, starts),
                                np.maximum.reduceat(offset, starts))
    disposal = np.repeat(group_disposal, sizes)
    appearance_no = np.cumsum(new_group) - np.repeat(
        np.cumsum(new_group)[person_start], np.diff(np.append(person_start, k))
    ) + 1

    offence = np.where(
        rng.random(k) < f.same_offence_probability,
        cases.offence[rows[person]],
        np.searchsorted(np.cumsum(f.offence_mix), rng.random(k) * (1 - 1e-12)),
    )
    base = index[person]
    ids = cases.table.column("offender_id").take(pa.array(rows[person], type=pa.int64()))
    appearance_id = pc.binary_join_element_wise(
        ids, pc.cast(pa.array(appearance_no.astype(np.int64)), pa.string()), "-A"
    )
    appearance_id = pc.if_else(pa.array(caution), pa.nulls(k, pa.string()), appearance_id)
    return pa.table(
        {
            "offender_id": ids,
            "offence_date": days_to_dates((base + offset).astype(np.int64)),
            "disposal_date": days_to_dates((base + disposal).astype(np.int64)),
            "disposal_type": dictionary_strings(caution.astype(np.int64),
                                                ("conviction", "caution")),
            "court_appearance_id": appearance_id,
            "offence": dictionary_strings(offence.astype(np.int64), OFFENCES),
        },
        schema=REOFFENCES_SCHEMA,
    )


# --- everything for one chunk ------------------------------------------------------------------


def generate_outcomes(
    assessments: pa.Table, rules: OutcomeRules, rng: np.random.Generator
) -> OutcomeTables:
    """Cohort, reoffences and interventions for one chunk of assessments.

    Interventions are allocated first; completers of effective services get the synthetic
    true effect (``synth_outcomes.true_effects``) on their OGRS3 linear predictor before their
    reoffending is drawn.
    """
    cases = read_cases(assessments, rules.risk)
    index, index_type, member = index_dates(cases, rules)
    reference = np.where(member, index, cases.assessment_date)
    allocation = allocate_interventions(
        cases, reference, member & (index_type == 0), rules.interventions, rng
    )
    y = cases.linear_predictor + allocation.log_odds_shift
    p1, p2 = ogrs3.probabilities(y)
    rows = np.flatnonzero(member)
    return OutcomeTables(
        cohort=cohort_table(cases, index, index_type, member),
        reoffences=reoffences_table(cases, rows, index[rows], p1[rows], p2[rows], rules, rng),
        interventions=allocation.table,
    )


def proven_reoffending_flags(
    cohort: pa.Table, reoffences: pa.Table, follow_up_days: int, disposal_days: int
) -> BoolArray:
    """Whether each cohort member has a proven reoffence under the 12 + 6 month rule.

    Used by the tests and benchmarks to check the synthetic data against OGRS3; the review
    capability computes the published measures.
    """
    keys = cohort.select(["offender_id", "index_date"])
    joined = reoffences.join(keys, "offender_id")
    start = joined.column("index_date")
    off = pc.days_between(start, joined.column("offence_date"))
    disp = pc.days_between(start, joined.column("disposal_date"))
    ok = pc.and_(
        pc.and_(pc.greater(off, 0), pc.less_equal(off, follow_up_days)),
        pc.less_equal(disp, follow_up_days + disposal_days),
    )
    proven = set(joined.filter(ok).column("offender_id").to_pylist())
    ids = cohort.column("offender_id").to_pylist()
    return np.array([i in proven for i in ids], dtype=bool)
