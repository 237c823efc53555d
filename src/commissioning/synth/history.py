"""OGRS3 inputs for synthetic assessments, drawn so the computed OGRS3 lands in each tier.

For every record whose latent tier, sex and under-25 flag are fixed (:mod:`.calibration`), the
offence (within the group), age, date of birth, conviction date, age at first sanction and the
number of previous sanctions are drawn from the proposal distributions of the parameters
``synth.offence_mix``, ``synth.age`` and ``synth.criminal_history``. The OGRS3 two-year score is
then computed with :mod:`commissioning.assess.ogrs3` (the same coefficients as the Ibis scorer)
and the proposal is accepted only when the whole-percent score falls in the tier's range of the
``risk.tier_rule`` parameter (below ``medium_from_pct`` low, below ``high_from_pct`` medium, else
high; the very high tier is set by risk of serious harm, so any score is accepted). Rejected
records are redrawn, vectorised, until all are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from commissioning.assess import ogrs3
from commissioning.assess.risk import RiskRules
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import OFFENCE_GROUPS, OFFENCES, RISK_TIERS, SETTINGS
from commissioning.synth.calibration import Cells

IntArray = npt.NDArray[np.int64]
DayArray = npt.NDArray[np.datetime64]

#: The document's sample year: assessments completed April 2010 - March 2011.
SAMPLE_START = np.datetime64("2010-04-01", "D")
SAMPLE_DAYS = 365
_YEAR_DAYS = 365.2425


@dataclass(frozen=True)
class History:
    """Dates and criminal history of a block of records (the OGRS3 inputs)."""

    assessment_date: DayArray
    date_of_birth: DayArray
    conviction_date: DayArray
    first_sanction_date: DayArray
    previous_sanctions: IntArray
    offence: IntArray  # index into OFFENCES
    age: IntArray  # whole years at assessment
    ogrs3_2y_pct: IntArray


def _cdf_table(table: Mapping[str, Mapping[str, Mapping[str, float]]]) -> npt.NDArray[np.float64]:
    """Cumulative offence weights per (setting, group) cell, rows indexed setting*4 + group."""
    cdf = np.zeros((len(SETTINGS) * len(OFFENCE_GROUPS), len(OFFENCES)))
    for s_i, s in enumerate(SETTINGS):
        for g_i, g in enumerate(OFFENCE_GROUPS):
            w = np.array([float(table[s][g].get(o, 0.0)) for o in OFFENCES])
            if w.sum() <= 0:
                raise ValueError(f"synth.offence_mix: no offence weights for {s}/{g}")
            cdf[s_i * len(OFFENCE_GROUPS) + g_i] = np.cumsum(w / w.sum())
    return cdf


def _check_mix_in_groups(mix: Mapping[str, Any], rules: RiskRules) -> None:
    group_of = rules.group_of()
    for s, groups in mix.items():
        for g, cats in groups.items():
            wrong = [c for c, w in cats.items() if float(w) > 0 and group_of.get(c) != g]
            if wrong:
                raise ValueError(
                    f"synth.offence_mix: {s}/{g} lists {wrong}, which risk.offence_groups puts in "
                    "another group; move the weights to that group"
                )


def _years_before(when: DayArray, years: npt.NDArray[np.float64]) -> DayArray:
    return np.asarray(when - np.round(years * _YEAR_DAYS).astype("timedelta64[D]"))


def _in_tier(
    pct: npt.NDArray[np.integer], tier: IntArray, rules: RiskRules
) -> npt.NDArray[np.bool_]:
    band = np.where(
        pct >= rules.tier_high_from_pct, 2, np.where(pct >= rules.tier_medium_from_pct, 1, 0)
    )
    return np.asarray((tier == RISK_TIERS.index("very_high")) | (band == tier))


def draw_history(
    cells: Cells,
    policy: Policy,
    rules: RiskRules,
    rng: np.random.Generator,
) -> History:
    """Draw OGRS3 inputs for every record, accepted only when the score fits the record's tier."""
    mix: Mapping[str, Any] = policy.value("synth.offence_mix")
    _check_mix_in_groups(mix, rules)
    cdf = _cdf_table(mix)
    age_p: Mapping[str, Any] = policy.value("synth.age")
    hist: Mapping[str, Any] = policy.value("synth.criminal_history")
    u25_ages = np.array(sorted(int(a) for a in age_p["under_25_weights"]), dtype=np.int64)
    u25_w = np.array([float(age_p["under_25_weights"][a]) for a in u25_ages])
    u25_cdf = np.cumsum(u25_w / u25_w.sum())
    first_share = np.array([float(hist["first_offender_share"][t]) for t in RISK_TIERS])
    log_rate = np.log([float(hist["rate_median"][t]) for t in RISK_TIERS])
    gap_mean = np.array([float(hist["conviction_gap_mean_days"][s]) for s in SETTINGS])

    n = cells.tier.size
    assessment = SAMPLE_START + rng.integers(0, SAMPLE_DAYS, n).astype("timedelta64[D]")
    out_dob = np.empty(n, dtype="datetime64[D]")
    out_conv = np.empty(n, dtype="datetime64[D]")
    out_first = np.empty(n, dtype="datetime64[D]")
    out_prev = np.zeros(n, dtype=np.int64)
    out_off = np.zeros(n, dtype=np.int64)
    out_age = np.zeros(n, dtype=np.int64)
    out_pct = np.zeros(n, dtype=np.int64)
    pending = np.arange(n)
    for _ in range(int(hist["max_rounds"])):
        if pending.size == 0:
            break
        k = pending.size
        tier = cells.tier[pending]
        setting = cells.setting[pending]
        cell = setting * len(OFFENCE_GROUPS) + cells.offence_group[pending]
        offence = (rng.random(k)[:, None] > cdf[cell]).sum(axis=1).clip(0, len(OFFENCES) - 1)
        older = 25 + np.floor(
            rng.gamma(float(age_p["over_25_shape"]), float(age_p["over_25_scale"]), k)
        ).astype(np.int64)
        older = np.minimum(older, int(age_p["max_age"]))
        younger = u25_ages[np.searchsorted(u25_cdf, rng.random(k), side="right").clip(0, 6)]
        age = np.where(cells.under_25[pending], younger, older)
        a_date = assessment[pending]
        dob = _years_before(a_date, age + rng.uniform(0.02, 0.98, k))
        gap = np.minimum(np.floor(rng.exponential(gap_mean[setting])), 5 * 365).astype(np.int64)
        conv = a_date - gap.astype("timedelta64[D]")
        age_conv = ogrs3.whole_years(dob, conv)
        first_offender = rng.random(k) < first_share[tier]
        first_age = np.minimum(
            age_conv,
            10
            + np.floor(
                rng.gamma(float(hist["first_age_shape"]), float(hist["first_age_scale"]), k)
            ).astype(np.int64),
        )
        career = age_conv - first_age
        rate = np.exp(log_rate[tier] + float(hist["rate_sigma"]) * rng.standard_normal(k))
        prev = np.clip(rng.poisson(rate * (career + 1)), 1, int(hist["max_previous_sanctions"]))
        prev = np.where(first_offender, 0, prev)
        first = dob + np.round((first_age + rng.uniform(0.02, 0.98, k)) * _YEAR_DAYS).astype(
            "timedelta64[D]"
        )
        first = np.where(first_offender, conv, np.minimum(first, conv - np.timedelta64(1, "D")))
        age_first = ogrs3.whole_years(dob, first)
        age_now = ogrs3.whole_years(dob, a_date)
        y = ogrs3.linear_predictor(
            age_now, age_conv, age_first, cells.female[pending], prev, offence
        )
        pct = ogrs3.score_percent(ogrs3.probabilities(y)[1])
        ok = _in_tier(pct, tier, rules) & (age_first >= 10)
        idx = pending[ok]
        out_dob[idx], out_conv[idx], out_first[idx] = dob[ok], conv[ok], first[ok]
        out_prev[idx], out_off[idx], out_age[idx], out_pct[idx] = (
            prev[ok],
            offence[ok],
            age_now[ok],
            pct[ok],
        )
        pending = pending[~ok]
    if pending.size:
        raise RuntimeError(
            f"{pending.size} synthetic records found no OGRS3 inputs in their risk tier after "
            f"{hist['max_rounds']} rounds; widen synth.criminal_history or synth.age, or raise "
            "synth.criminal_history max_rounds"
        )
    return History(assessment, out_dob, out_conv, out_first, out_prev, out_off, out_age, out_pct)
