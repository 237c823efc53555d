"""Effect sizes for a binary outcome (reoffended or not) and their conversion back to rates.

From a 2×2 table (``ai`` treated who reoffended, ``bi`` treated who did not, ``ci`` comparison
who reoffended, ``di`` comparison who did not), from two rates with their sample sizes, or from
a published odds ratio with its 95% confidence interval. Measures, with the variances of
metafor's ``escalc`` (Viechtbauer 2010):

- ``OR``: log odds ratio ln(ad/bc), variance 1/a + 1/b + 1/c + 1/d;
- ``RR``: log risk ratio ln((a/n1)/(c/n2)), variance 1/a − 1/n1 + 1/c − 1/n2;
- ``RD``: risk difference p1 − p2, variance p1(1−p1)/n1 + p2(1−p2)/n2;
- ``DCOX``: the Cox transform ln(OR)/1.65, variance (1/a + 1/b + 1/c + 1/d)/1.65², as used by
  the Washington State Institute for Public Policy (REFERENCES.md, "Evidence and benefit-cost").

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
    """An OR or DCOX effect back on the log odds ratio scale (RR and RD need a baseline)."""
    measure = measure.upper()
    if measure == "OR":
        return yi, vi
    if measure == "DCOX":
        return yi * COX, vi * COX**2
    raise EffectSizeError(
        f"measure {measure}: only OR and DCOX convert to a log odds ratio without a baseline rate"
    )
