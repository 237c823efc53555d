"""Fixed- and random-effects meta-analysis of study effect sizes, as R's metafor ``rma`` does it.

Methods (Viechtbauer 2005, 2010; metafor's ``rma.uni``):

- ``FE``: inverse-variance weights w = 1/v; μ = Σwy/Σw, SE = 1/√Σw.
- ``DL``: DerSimonian & Laird (1986) moment estimator τ² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)).
- ``PM``: Paule & Mandel (1982): τ² solves Σ(y − μ(τ²))²/(v + τ²) = k − 1 (0 if Q < k − 1).
- ``ML`` / ``REML``: (restricted) maximum likelihood by Fisher scoring, truncated at 0.

Random-effects weights are w* = 1/(v + τ²). With ``knha`` the Knapp & Hartung (2003) variance
Σw*(y − μ)² / ((k − 1)Σw*) and the t distribution on k − 1 degrees of freedom are used (not
truncated, as in metafor). Heterogeneity: Cochran's Q (always with the fixed-effect weights),
its p-value on k − 1 degrees of freedom, and — as metafor reports them — I² and H² from τ² and
the "typical" within-study variance s² = (k − 1)Σw / ((Σw)² − Σw²): I² = 100·τ²/(τ² + s²),
H² = (τ² + s²)/s². For FE these are the Q-based I² = 100·(Q − df)/Q (≥ 0) and H² = Q/df; for DL
both definitions coincide. statsmodels and PyMARE report the Q-based I² for every method.
The τ² confidence interval is the Q-profile interval (Viechtbauer 2007); the prediction interval
is μ ± crit·√(τ² + SE²), crit from the normal or, with ``knha``, t(k − 1) distribution.

Everything is vectorised over rows of a (meta-analyses × studies) array, so 1,000 meta-analyses
run as one set of numpy operations (:func:`meta_arrays`); :func:`meta_analyse` is one row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]

METHODS: tuple[str, ...] = ("FE", "DL", "REML", "PM", "ML")
FloatArray = npt.NDArray[np.float64]

_MAX_ITER = 1000
_TOL = 1e-12


class MetaAnalysisError(ValueError):
    """Study effects that cannot be pooled (no studies, bad variances, unknown method)."""


@dataclass(frozen=True)
class MetaResult:
    """A pooled effect with its uncertainty and heterogeneity; i2 is a percentage (metafor)."""

    k: int
    method: str
    measure: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    statistic: float
    p_value: float
    tau2: float
    tau2_ci_lower: float
    tau2_ci_upper: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float
    pi_upper: float
    knha: bool
    level: float
    studies: tuple[str, ...] = ()
    yi: tuple[float, ...] = ()
    vi: tuple[float, ...] = ()
    weights_pct: tuple[float, ...] = field(default=())

    def interface(self) -> dict[str, Any]:
        """The `commission evidence meta --json` object (NaN shown as null)."""
        keys = ("k", "method", "measure", "estimate", "se", "ci_lower", "ci_upper", "tau2",
                "i2", "h2", "q", "q_df", "q_p")
        full = asdict(self)
        return {key: _json_number(full[key]) for key in keys}

    def as_dict(self) -> dict[str, Any]:
        """Every field, NaN as None (for JSON)."""
        return {
            key: (
                [_json_number(v) for v in value] if isinstance(value, tuple) else
                _json_number(value)
            )
            for key, value in asdict(self).items()
        }


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check(yi: FloatArray, vi: FloatArray, method: str) -> None:
    if method not in METHODS:
        raise MetaAnalysisError(f"method {method!r}: use one of {', '.join(METHODS)}")
    if yi.shape != vi.shape or yi.ndim != 2 or yi.shape[1] == 0:
        raise MetaAnalysisError("need at least one study, with one variance per effect")
    if not np.all(np.isfinite(yi)):
        raise MetaAnalysisError("every effect size (yi) must be a finite number")
    if not np.all(np.isfinite(vi)) or np.any(vi <= 0):
        raise MetaAnalysisError("every sampling variance (vi) must be a positive number")


def _weighted_mean(yi: FloatArray, w: FloatArray) -> FloatArray:
    result: FloatArray = (w * yi).sum(axis=1) / w.sum(axis=1)
    return result


def _q_gen(yi: FloatArray, vi: FloatArray, tau2: FloatArray) -> FloatArray:
    """Generalised Q: Σ (y − μ(τ²))² / (v + τ²), decreasing in τ²."""
    w = 1.0 / (vi + tau2[:, None])
    mu = _weighted_mean(yi, w)
    result: FloatArray = (w * (yi - mu[:, None]) ** 2).sum(axis=1)
    return result


def _solve_q(yi: FloatArray, vi: FloatArray, target: FloatArray) -> FloatArray:
    """τ² ≥ 0 with Q_gen(τ²) = target (0 where Q_gen(0) ≤ target), by bisection."""
    lo = np.zeros(yi.shape[0])
    spread = ((yi - yi.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    hi = np.maximum(spread / np.maximum(target, 1e-300), 1e-12) + vi.max(axis=1)
    active = _q_gen(yi, vi, lo) > target
    for _ in range(200):
        mid = (lo + hi) / 2
        above = _q_gen(yi, vi, mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all(hi - lo <= 1e-15 * np.maximum(hi, 1e-300)):
            break
    return np.where(active, (lo + hi) / 2, 0.0)


def _tau2_dl(yi: FloatArray, vi: FloatArray) -> FloatArray:
    w = 1.0 / vi
    mu = _weighted_mean(yi, w)
    q = (w * (yi - mu[:, None]) ** 2).sum(axis=1)
    sw = w.sum(axis=1)
    c = sw - (w**2).sum(axis=1) / sw
    k = yi.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau2 = np.where(c > 0, (q - (k - 1)) / c, 0.0)
    return np.maximum(tau2, 0.0)


def _tau2_likelihood(yi: FloatArray, vi: FloatArray, restricted: bool) -> FloatArray:
    """ML or REML τ² by Fisher scoring from the DL estimate (Viechtbauer 2005)."""
    tau2 = _tau2_dl(yi, vi)
    for _ in range(_MAX_ITER):
        w = 1.0 / (vi + tau2[:, None])
        sw = w.sum(axis=1)
        sw2 = (w**2).sum(axis=1)
        mu = (w * yi).sum(axis=1) / sw
        rss2 = (w**2 * (yi - mu[:, None]) ** 2).sum(axis=1)
        if restricted:
            sw3 = (w**3).sum(axis=1)
            score = rss2 - sw + sw2 / sw
            info = sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2
        else:
            score = rss2 - sw
            info = sw2
        new = np.maximum(tau2 + score / info, 0.0)
        done = np.abs(new - tau2) <= _TOL * np.maximum(1.0, tau2)
        tau2 = new
        if np.all(done):
            break
    return tau2


def estimate_tau2(yi: FloatArray, vi: FloatArray, method: str) -> FloatArray:
    """τ² per row for one of :data:`METHODS` (0 for FE)."""
    k = yi.shape[1]
    if method == "FE" or k == 1:
        return np.zeros(yi.shape[0])
    if method == "DL":
        return _tau2_dl(yi, vi)
    if method == "PM":
        return _solve_q(yi, vi, np.full(yi.shape[0], float(k - 1)))
    return _tau2_likelihood(yi, vi, restricted=method == "REML")


def meta_arrays(
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    tau2_ci: bool = True,
) -> dict[str, FloatArray]:
    """Meta-analyse each row of ``yi``/``vi`` (shape meta-analyses × studies) at once.

    Returns arrays keyed like :class:`MetaResult` fields (estimate, se, tau2, q, i2, ...).
    """
    y = np.atleast_2d(np.asarray(yi, dtype=np.float64))
    v = np.atleast_2d(np.asarray(vi, dtype=np.float64))
    method = method.upper()
    _check(y, v, method)
    k = y.shape[1]
    df = k - 1
    w_fe = 1.0 / v
    sw = w_fe.sum(axis=1)
    mu_fe = (w_fe * y).sum(axis=1) / sw
    q = (w_fe * (y - mu_fe[:, None]) ** 2).sum(axis=1)
    tau2 = estimate_tau2(y, v, method)
    w = 1.0 / (v + tau2[:, None])
    sw_re = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw_re
    var = 1.0 / sw_re
    use_t = knha and df > 0
    if use_t:
        var = (w * (y - mu[:, None]) ** 2).sum(axis=1) / (df * sw_re)
        crit = float(stats.t.ppf(0.5 + level / 2, df))
    else:
        crit = float(stats.norm.ppf(0.5 + level / 2))
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = mu / se
        p_value = (
            2 * stats.t.sf(np.abs(statistic), df) if use_t else 2 * stats.norm.sf(np.abs(statistic))
        )
        s2 = df * sw / (sw**2 - (w_fe**2).sum(axis=1))
        if method == "FE":
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - df) / q), 0.0)
            h2 = q / df if df > 0 else np.ones_like(q)
        else:
            i2 = 100 * tau2 / (tau2 + s2)
            h2 = (tau2 + s2) / s2
        q_p = stats.chi2.sf(q, df) if df > 0 else np.full_like(q, np.nan)
    if df == 0:
        i2, h2 = np.zeros_like(q), np.ones_like(q)
    pi_half = crit * np.sqrt(tau2 + var)
    if tau2_ci and df > 0:
        alpha = 1 - level
        lower_target = np.full_like(q, float(stats.chi2.ppf(1 - alpha / 2, df)))
        upper_target = np.full_like(q, float(stats.chi2.ppf(alpha / 2, df)))
        tau2_lo = _solve_q(y, v, lower_target)
        tau2_hi = _solve_q(y, v, upper_target)
    else:
        tau2_lo = np.full_like(q, np.nan)
        tau2_hi = np.full_like(q, np.nan)
    return {
        "estimate": mu, "se": se, "ci_lower": mu - crit * se, "ci_upper": mu + crit * se,
        "statistic": statistic, "p_value": p_value, "tau2": tau2, "tau2_ci_lower": tau2_lo,
        "tau2_ci_upper": tau2_hi, "i2": i2, "h2": h2, "q": q, "q_p": q_p,
        "pi_lower": mu - pi_half, "pi_upper": mu + pi_half, "weights": w / sw_re[:, None],
    }


def meta_analyse(
    yi: Sequence[float] | npt.ArrayLike,
    vi: Sequence[float] | npt.ArrayLike,
    method: str = "REML",
    knha: bool = False,
    measure: str = "GEN",
    studies: Sequence[str] = (),
    level: float = 0.95,
) -> MetaResult:
    """Pool one set of study effects ``yi`` with sampling variances ``vi``."""
    y = np.asarray(yi, dtype=np.float64).ravel()
    v = np.asarray(vi, dtype=np.float64).ravel()
    if y.size != v.size:
        raise MetaAnalysisError(f"{y.size} effects but {v.size} variances")
    method = method.upper()
    r = meta_arrays(y[None, :], v[None, :], method, knha, level)
    names = tuple(studies) if studies else tuple(f"study {i + 1}" for i in range(y.size))
    return MetaResult(
        k=int(y.size), method=method, measure=measure,
        estimate=float(r["estimate"][0]), se=float(r["se"][0]),
        ci_lower=float(r["ci_lower"][0]), ci_upper=float(r["ci_upper"][0]),
        statistic=float(r["statistic"][0]), p_value=float(r["p_value"][0]),
        tau2=float(r["tau2"][0]), tau2_ci_lower=float(r["tau2_ci_lower"][0]),
        tau2_ci_upper=float(r["tau2_ci_upper"][0]), i2=float(r["i2"][0]), h2=float(r["h2"][0]),
        q=float(r["q"][0]), q_df=int(y.size - 1), q_p=float(r["q_p"][0]),
        pi_lower=float(r["pi_lower"][0]), pi_upper=float(r["pi_upper"][0]),
        knha=knha, level=level, studies=names,
        yi=tuple(float(x) for x in y), vi=tuple(float(x) for x in v),
        weights_pct=tuple(float(x) * 100 for x in r["weights"][0]),
    )
