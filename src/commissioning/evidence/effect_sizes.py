"""Effect sizes for a binary outcome (reoffended or not) and their conversion back to rates.

From a 2×2 table (``ai`` treated who reoffended, ``bi`` treated who did not, ``ci`` comparison
who reoffended, ``di`` comparison who did not), from two rates with their sample sizes, or from
a published odds ratio with its 95% confidence interval. Measures, with the variances of
metafor's ``escalc`` (Viechtbauer 2010):

- ``OR``: log odds ratio ln(ad/bc), variance 1/a + 1/b + 1/c + 1/d;
- ``RR``: log risk ratio ln((a/n1)/(c/n2)), variance 1/a − 1/n1 + 1/c − 1/n2;
- ``RD``: risk difference p1 − p2, variance p1(1−p1)/n1 + p2(1−p2)/n2;
- ``DCOX``: the Cox transform ln(OR)/1.65, variance (1/a + 1/b + 1/c + 1/d)/1.65², as used by
  the Washington State Institute for Public Policy (REFERENCES.md, "Evidence and benefit-cost");
- ``SMD``: a standardised mean difference (Cohen's d) reported for a binary outcome, turned into a
  log odds ratio by the logistic-distribution conversion ln OR = d·π/√3 (Hasselblad & Hedges
  1995; Chinn 2000), SE likewise × π/√3 (:func:`from_smd`).

Published rates with the interval of their difference (Justice Data Lab reports: "a reduction of
between 2 and 14 percentage points") give a log odds ratio with its SE by the delta method
(:func:`from_rate_difference_ci`).

A table with a zero cell gets 0.5 added to every cell (metafor's default ``add=1/2,
to="only0"``) for OR, RR and DCOX. Negative log odds ratios mean less reoffending among the
treated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]

Measure = Literal["OR", "RR", "RD", "DCOX"]
MEASURES: tuple[str, ...] = ("OR", "RR", "RD", "DCOX")
#: Scaling constant of the Cox transform (Sánchez-Meca, Marín-Martínez & Chacón-Moscoso 2003).
COX = 1.65
#: ln OR per unit of a standardised mean difference: π/√3 (the logistic distribution's SD).
SMD_TO_LOG_OR = math.pi / math.sqrt(3)
#: How many log odds ratio units one unit of each additive measure is (see
#: :func:`to_log_odds_ratio`).
LOG_OR_PER_UNIT: dict[str, float] = {"OR": 1.0, "DCOX": COX, "SMD": SMD_TO_LOG_OR}

FloatArray = npt.NDArray[np.float64]


class EffectSizeError(ValueError):
    """Counts or figures from which no effect size can be computed."""


@dataclass(frozen=True)
class EffectSize:
    """One study's effect (on the measure's analysis scale) and its sampling variance."""

    measure: str
    yi: float
    vi: float

    @property
    def se(self) -> float:
        return math.sqrt(self.vi)


def _check_counts(ai: FloatArray, bi: FloatArray, ci: FloatArray, di: FloatArray) -> None:
    for name, cells in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)):
        if np.any(~np.isfinite(cells)) or np.any(cells < 0):
            raise EffectSizeError(f"column {name}: counts must be finite and not negative")
    if np.any(ai + bi <= 0) or np.any(ci + di <= 0):
        raise EffectSizeError(
            "each group (ai+bi treated, ci+di comparison) needs at least one person"
        )


def escalc(
    measure: str,
    ai: npt.ArrayLike,
    bi: npt.ArrayLike,
    ci: npt.ArrayLike,
    di: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Effect sizes ``yi`` and variances ``vi`` from 2×2 tables, vectorised (metafor ``escalc``)."""
    a, b, c, d = (np.asarray(x, dtype=np.float64) for x in (ai, bi, ci, di))
    _check_counts(a, b, c, d)
    measure = measure.upper()
    if measure not in MEASURES:
        raise EffectSizeError(f"measure {measure!r}: use one of {', '.join(MEASURES)}")
    if measure == "RD":
        n1, n2 = a + b, c + d
        p1, p2 = a / n1, c / n2
        return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(zero, 0.5, 0.0)
    a, b, c, d = a + add, b + add, c + add, d + add
    if measure == "RR":
        n1, n2 = a + b, c + d
        return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2
    log_or = np.log(a * d / (b * c))
    var = 1 / a + 1 / b + 1 / c + 1 / d
    if measure == "DCOX":
        return log_or / COX, var / COX**2
    return log_or, var


def from_table(measure: str, ai: float, bi: float, ci: float, di: float) -> EffectSize:
    """One study's effect size from its 2×2 table."""
    yi, vi = escalc(measure, [ai], [bi], [ci], [di])
    return EffectSize(measure.upper(), float(yi[0]), float(vi[0]))


def from_rates(
    measure: str, rate_treated: float, n_treated: int, rate_control: float, n_control: int
) -> EffectSize:
    """Effect size from two reoffending rates (proportions) and the group sizes.

    The counts are rebuilt as rate × n (not rounded, so a published rate is used as given).
    """
    for name, rate in (("rate_treated", rate_treated), ("rate_control", rate_control)):
        if not 0 <= rate <= 1:
            raise EffectSizeError(f"{name} = {rate}: a rate is a proportion between 0 and 1")
    a = rate_treated * n_treated
    c = rate_control * n_control
    return from_table(measure, a, n_treated - a, c, n_control - c)


def from_odds_ratio_ci(
    odds_ratio: float, lower: float, upper: float, level: float = 0.95, measure: str = "OR"
) -> EffectSize:
    """Log odds ratio (or D-Cox) and its variance from an odds ratio and its confidence interval.

    SE = (ln upper − ln lower) / (2 z), the usual back-calculation from a symmetric interval on
    the log scale.
    """
    if not (0 < lower <= odds_ratio <= upper):
        raise EffectSizeError(
            f"odds ratio {odds_ratio} with interval {lower}-{upper}: need 0 < lower ≤ OR ≤ upper"
        )
    z = float(stats.norm.ppf(0.5 + level / 2))
    se = (math.log(upper) - math.log(lower)) / (2 * z)
    yi, vi = math.log(odds_ratio), se**2
    if measure.upper() == "DCOX":
        return EffectSize("DCOX", yi / COX, vi / COX**2)
    if measure.upper() != "OR":
        raise EffectSizeError("an odds ratio converts to OR or DCOX only")
    return EffectSize("OR", yi, vi)


def from_smd(d: float, se: float | None = None) -> EffectSize:
    """A log odds ratio from a standardised mean difference d of a binary outcome:
    ln OR = d·π/√3, SE(ln OR) = SE(d)·π/√3 (Hasselblad & Hedges 1995; Chinn 2000). Sign kept:
    a negative d (less reoffending among the treated) gives an odds ratio below 1. Without an SE
    the variance is NaN (the caller assumes one and says so)."""
    if not math.isfinite(d):
        raise EffectSizeError(f"standardised mean difference {d}: must be a finite number")
    if se is not None and not (math.isfinite(se) and se > 0):
        raise EffectSizeError(f"SE {se} of a standardised mean difference: must be positive")
    vi = math.nan if se is None else (se * SMD_TO_LOG_OR) ** 2
    return EffectSize("OR", d * SMD_TO_LOG_OR, vi)


def from_rate_difference_ci(
    rate_treated: float, rate_control: float, rd_lower: float, rd_upper: float,
    level: float = 0.95,
) -> EffectSize:
    """Log odds ratio and its variance from two published rates and the confidence interval of
    their difference (a Justice Data Lab result: "26% against 35%, a reduction of between 2 and
    14 percentage points").

    ln OR = logit(p_t) − logit(p_c); SE(RD) = (upper − lower)/(2z); by the delta method
    SE(ln OR) = SE(RD)/(p_t(1 − p_t)): the comparison group is taken as large enough that its
    rate's own sampling variance is negligible (Justice Data Lab comparison groups are matched
    from the whole national cohort and are many times the treated group). The interval may be
    given either way round (a reduction or an increase); only its width is used."""
    for name, rate in (("rate_treated", rate_treated), ("rate_control", rate_control)):
        if not 0 < rate < 1:
            raise EffectSizeError(f"{name} = {rate}: a rate strictly between 0 and 1")
    width = abs(rd_upper - rd_lower)
    if not (math.isfinite(width) and width > 0):
        raise EffectSizeError(
            f"interval {rd_lower} to {rd_upper} of the rate difference: needs two different bounds")
    z = float(stats.norm.ppf(0.5 + level / 2))
    se_rd = width / (2 * z)
    log_or = (math.log(rate_treated / (1 - rate_treated))
              - math.log(rate_control / (1 - rate_control)))
    se = se_rd / (rate_treated * (1 - rate_treated))
    return EffectSize("OR", log_or, se**2)


def apply_odds_ratio(baseline: npt.ArrayLike, log_odds_ratio: npt.ArrayLike) -> FloatArray:
    """Reoffending probability after an effect on the log-odds scale: logistic(logit p + ln OR)."""
    p = np.clip(np.asarray(baseline, dtype=np.float64), 1e-12, 1 - 1e-12)
    lor = np.asarray(log_odds_ratio, dtype=np.float64)
    odds = p / (1 - p) * np.exp(lor)
    result: FloatArray = odds / (1 + odds)
    return result


def rate_from_dcox(baseline: npt.ArrayLike, d_cox: npt.ArrayLike) -> FloatArray:
    """P_e = P_c·e^{1.65·ES} / (1 − P_c + P_c·e^{1.65·ES}) (REFERENCES.md, Cox transform)."""
    p = np.asarray(baseline, dtype=np.float64)
    e = np.exp(COX * np.asarray(d_cox, dtype=np.float64))
    result: FloatArray = p * e / (1 - p + p * e)
    return result


def to_log_odds_ratio(measure: str, yi: float, vi: float) -> tuple[float, float]:
    """An OR, DCOX or SMD effect back on the log odds ratio scale (RR and RD need a baseline)."""
    measure = measure.upper()
    factor = LOG_OR_PER_UNIT.get(measure)
    if factor is None:
        raise EffectSizeError(
            f"measure {measure}: only {', '.join(LOG_OR_PER_UNIT)} convert to a log odds ratio "
            "without a baseline rate"
        )
    return yi * factor, vi * factor**2
