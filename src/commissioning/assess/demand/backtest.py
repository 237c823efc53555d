"""The prison population backtest: every June origin, horizons 1-5 years, beside naive benchmarks.

At each June origin the methods below see only the June populations up to that origin and
forecast the next ``horizon_years`` Junes, which are compared with the real ones
(``prt_prison_population_june_1990_2023_with_projections.csv``):

- ``stock_flow``: the stock–flow model (:mod:`commissioning.assess.demand.prison`) calibrated at
  the origin, its expected path (:func:`~commissioning.assess.demand.prison.expected_total`);
- ``last_value``: the origin's population carried forward (the naive forecast);
- ``drift``: the random walk with drift, the mean annual log growth of the last ``trend_years``;
- ``log_linear``: the least-squares log-linear trend line of the last ``trend_years`` + 1 Junes;
- ``damped_trend``: the drift damped by ``damping`` a year (cumulative growth
  ``g·φ(1-φ^h)/(1-φ)``, Gardner and McKenzie's damped trend with a fixed φ);
- ``combination``: the equal-weight mean of ``stock_flow`` and ``damped_trend``;
- ``selected``: at each origin, the candidate (``demand.prison_forecast_selection``) with the
  lowest mean scaled absolute log error on the errors known at that origin (earlier origins
  whose target June is at or before it) — a rolling-origin choice with no look-ahead, scored out
  of sample. The headline (``demand.prison_backtest.headline``), the one the round's projection
  follows (with the method chosen at the projection's origin).

Intervals are empirical (split-conformal on past errors): at an origin, the log errors
``log(actual / forecast)`` the headline made at the same horizon on earlier origins whose
target years are already known give the quantiles of ``forecast × exp(q)``; with fewer than
``demand.prison_intervals.min_horizon_errors`` of them, the errors of every horizon, each
divided by ``sqrt(h)``, give ``forecast × exp(q · sqrt(h))``. An origin with fewer than
``min_calibration_errors`` errors in all gets no interval (and is left out of the coverage).
Origins before ``first_origin`` (from ``calibration_first_origin``) only calibrate the choice and
the intervals, never scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commissioning.assess.demand.prison import (
    DemandError,
    FloatArray,
    PrisonHistory,
    calibrate,
    expected_total,
    reference_history,
)
from commissioning.policy.parameters import Policy

#: The date the backtest's parameters are read at (the round's date).
METHODS: tuple[str, ...] = (
    "selected",
    "combination",
    "stock_flow",
    "last_value",
    "drift",
    "log_linear",
    "damped_trend",
)
BENCHMARKS: tuple[str, ...] = ("last_value", "drift", "log_linear", "damped_trend")
#: The methods that are forecasts in their own right (``selected`` picks one of them).
BASE_METHODS: tuple[str, ...] = tuple(m for m in METHODS if m != "selected")
METHOD_LABELS: dict[str, str] = {
    "selected": "Selected (chosen on earlier origins, no look-ahead)",
    "combination": "Combination (stock–flow and damped trend)",
    "stock_flow": "Stock–flow model",
    "last_value": "Last value (naive)",
    "drift": "Drift (random walk with drift)",
    "log_linear": "Log-linear trend",
    "damped_trend": "Damped trend",
}
#: Why coverage measured on the backtest can miss the nominal rate by more than the tolerance.
COVERAGE_CAVEAT = (
    "With 19-23 origins per horizon one interval moves the coverage by 4-5 points and its "
    "binomial standard error is 6-9 points (more, as the intervals of consecutive origins "
    "overlap); the errors the intervals are calibrated on include those of origins 1995-1999 "
    "(the 1990s growth), about three times the size of those from origins 2000-2014, so the "
    "intervals over-cover rather than under-cover. Calibrating on only the last 8, 10, 12 or "
    "15 origins' errors was tried and not used: coverage fell to 58-90% (the small errors of "
    "the 2000s, then the 2020 fall), under-covering, which is worse for a capacity decision."
)
ERROR_COLUMNS: tuple[str, ...] = (
    "origin", "year", "horizon_years", "method", "actual", "forecast", "error_pct", "ape_pct",
)


@dataclass(frozen=True)
class BacktestSettings:
    """``demand.prison_backtest`` with ``trend_years`` of ``demand.prison_projection``."""

    first_origin: int
    last_origin: int | None
    calibration_first_origin: int
    horizon_years: int
    damping: float
    levels: tuple[float, ...]
    min_calibration_errors: int
    headline: str
    trend_years: int
    candidates: tuple[str, ...]
    min_selection_errors: int
    fallback: str
    min_horizon_errors: int
    coverage_tolerance_pp: float
    coverage_test_alpha: float

    @classmethod
    def from_policy(cls, policy: Policy) -> BacktestSettings:
        p: Mapping[str, Any] = policy.value("demand.prison_backtest")
        trend = int(policy.value("demand.prison_projection")["trend_years"])
        headline = str(p["headline"])
        if headline not in METHODS:
            raise DemandError(
                f"demand.prison_backtest.headline is {headline!r}; choose one of "
                f"{', '.join(METHODS)}"
            )
        damping = float(p["damping"])
        if not 0 < damping < 1:
            raise DemandError(f"demand.prison_backtest.damping must be in (0, 1) (got {damping})")
        last = p.get("last_origin")
        sel: Mapping[str, Any] = policy.value("demand.prison_forecast_selection")
        candidates = tuple(str(m) for m in sel["candidates"])
        fallback = str(sel["fallback"])
        for name in (*candidates, fallback):
            if name not in BASE_METHODS:
                raise DemandError(
                    f"demand.prison_forecast_selection names {name!r}; choose among "
                    f"{', '.join(BASE_METHODS)}"
                )
        if not candidates:
            raise DemandError("demand.prison_forecast_selection.candidates is empty")
        intervals: Mapping[str, Any] = policy.value("demand.prison_intervals")
        tolerance = float(intervals["coverage_tolerance_pp"])
        alpha = float(intervals["coverage_test_alpha"])
        if not 0 < alpha < 1:
            raise DemandError(
                f"demand.prison_intervals.coverage_test_alpha must be in (0, 1) (got {alpha})")
        return cls(
            first_origin=int(p["first_origin"]),
            last_origin=None if last is None else int(last),
            calibration_first_origin=int(p["calibration_first_origin"]),
            horizon_years=int(p["horizon_years"]),
            damping=damping,
            levels=tuple(float(v) for v in p["interval_levels"]),
            min_calibration_errors=int(p["min_calibration_errors"]),
            headline=headline,
            trend_years=trend,
            candidates=candidates,
            min_selection_errors=int(sel["min_errors"]),
            fallback=fallback,
            min_horizon_errors=int(intervals["min_horizon_errors"]),
            coverage_tolerance_pp=tolerance,
            coverage_test_alpha=alpha,
        )


def _drift(history: PrisonHistory, origin: int, years: int) -> float:
    start = origin - years
    return float((np.log(history.june(origin)) - np.log(history.june(start))) / years)


def damped_growth(years: FloatArray, damping: float) -> FloatArray:
    """Cumulative damped multiples of the annual growth after ``years`` (may be fractional)."""
    out: FloatArray = damping * (1.0 - damping**years) / (1.0 - damping)
    return out


def benchmark_paths(
    history: PrisonHistory, origin: int, years: FloatArray, settings: BacktestSettings
) -> dict[str, FloatArray]:
    """The naive benchmarks at ``years`` after the June ``origin`` (fractions allowed)."""
    w = settings.trend_years
    y0 = history.june(origin)
    g = _drift(history, origin, w)
    xs = np.arange(origin - w, origin + 1, dtype=float)
    slope, intercept = np.polyfit(xs, np.log([history.june(int(x)) for x in xs]), 1)
    return {
        "last_value": np.full(len(years), y0),
        "drift": y0 * np.exp(g * years),
        "log_linear": np.exp(intercept + slope * (origin + years)),
        "damped_trend": y0 * np.exp(g * damped_growth(years, settings.damping)),
    }


def monthly_forecasts(
    policy: Policy,
    history: PrisonHistory,
    origin_month: int,
    horizon_months: int,
    settings: BacktestSettings,
    selected: str | None = None,
) -> dict[str, FloatArray]:
    """Every method's forecast for each month after a June origin (month index); ``selected``
    (the method chosen at that origin, :meth:`PrisonBacktest.choice`) is repeated as
    ``selected``, else the settings' fallback."""
    if origin_month % 12 != 5:
        raise DemandError(
            "the benchmarks are fitted on June populations: the origin must be a June"
        )
    origin = origin_month // 12
    years = np.arange(1, horizon_months + 1, dtype=float) / 12.0
    paths = benchmark_paths(history, origin, years, settings)
    paths["stock_flow"] = expected_total(calibrate(policy, history, origin_month, horizon_months))
    paths["combination"] = (paths["stock_flow"] + paths["damped_trend"]) / 2.0
    paths["selected"] = paths[selected or settings.fallback]
    return {m: paths[m] for m in METHODS}


def scale(horizon: FloatArray | float) -> FloatArray:
    """How the spread of errors grows with the horizon in years (``sqrt(h)``)."""
    out: FloatArray = np.sqrt(np.asarray(horizon, dtype=float))
    return out


@dataclass(frozen=True)
class PrisonBacktest:
    """Errors of every method at every origin and horizon, the rolling choice and the
    headline's intervals."""

    errors: pd.DataFrame  # ERROR_COLUMNS, origins from first_origin
    intervals: pd.DataFrame  # origin, year, horizon_years, level, lower, upper, covered, ...
    #: origin, year, horizon_years, log_error, scaled_log_error (headline, every origin run)
    calibration: pd.DataFrame
    choices: pd.DataFrame  # origin, chosen, known_errors, score_<candidate> (every origin run)
    settings: BacktestSettings
    #: Every base method's rows at every origin run (calibration origins too), for choosing
    #: at origins between or after the scored ones.
    all_errors: pd.DataFrame

    @property
    def headline(self) -> str:
        return self.settings.headline

    def choice(self, origin: int) -> str:
        """The method ``selected`` follows from the June ``origin`` (errors known there)."""
        return choose(self.all_errors, origin, self.settings)[0]

    def mape(self, method: str | None = None, horizon_years: int | None = None) -> float:
        e = self.errors[self.errors["method"] == (method or self.headline)]
        if horizon_years is not None:
            e = e[e["horizon_years"] == horizon_years]
        return float(e["ape_pct"].mean()) if len(e) else float("nan")

    def coverage(self, level: float, horizon_years: int | None = None) -> float:
        i = self.intervals[np.isclose(self.intervals["level"], level)]
        if horizon_years is not None:
            i = i[i["horizon_years"] == horizon_years]
        return float(i["covered"].mean() * 100) if len(i) else float("nan")

    def table(self) -> pd.DataFrame:
        """MAPE by horizon (rows) for each method, the best benchmark, and interval coverage
        (with whether it is within the tolerance of the nominal rate)."""
        hs = sorted(int(h) for h in self.errors["horizon_years"].unique())
        rows = []
        for h in hs:
            row: dict[str, Any] = {"horizon_years": h}
            part = self.errors[self.errors["horizon_years"] == h]
            row["origins"] = int(part["origin"].nunique())
            for m in METHODS:
                row[f"mape_{m}_pct"] = round(self.mape(m, h), 2)
            best = min(BENCHMARKS, key=lambda m: self.mape(m, h))
            row["best_benchmark"] = best
            row["headline_beats_best_benchmark"] = bool(
                round(self.mape(None, h), 2) <= round(self.mape(best, h), 2)
            )
            for level in self.settings.levels:
                tag = f"{round(level * 100)}"
                i = self.intervals[np.isclose(self.intervals["level"], level)
                                   & (self.intervals["horizon_years"] == h)]
                cov = self.coverage(level, h)
                row[f"coverage_{tag}_pct"] = round(cov, 1)
                row[f"coverage_{tag}_n"] = len(i)
                row[f"coverage_{tag}_within_tolerance"] = bool(
                    abs(cov - level * 100) <= self.settings.coverage_tolerance_pp)
                p = coverage_p_value(int(i["covered"].sum()), len(i), level)
                row[f"coverage_{tag}_p_value"] = round(p, 3)
                row[f"coverage_{tag}_consistent"] = bool(p >= self.settings.coverage_test_alpha)
            rows.append(row)
        return pd.DataFrame(rows)

    def beaten_at(self) -> list[tuple[int, str, float, float]]:
        """Horizons where a benchmark has a lower MAPE than the headline: (h, method, its
        MAPE, the headline's)."""
        out = []
        for r in self.table().to_dict("records"):
            if not r["headline_beats_best_benchmark"]:
                best, h = str(r["best_benchmark"]), int(r["horizon_years"])
                out.append((h, best, self.mape(best, h), self.mape(None, h)))
        return out

    def _coverage_cells(self, flag: str, extra: str) -> list[tuple[int, float, float, Any]]:
        """(h, level, coverage %, the cell's ``coverage_<level>_<extra>``) for every horizon and
        level whose ``coverage_<level>_<flag>`` column of :meth:`table` is false."""
        out = []
        for r in self.table().to_dict("records"):
            for level in self.settings.levels:
                tag = f"coverage_{round(level * 100)}"
                if not r[f"{tag}_{flag}"]:
                    out.append((int(r["horizon_years"]), level, float(r[f"{tag}_pct"]),
                                r[f"{tag}_{extra}"]))
        return out

    def coverage_misses(self) -> list[tuple[int, float, float, int]]:
        """Horizons and levels whose coverage is outside the tolerance: (h, level, coverage %,
        intervals scored)."""
        return [(h, lv, c, int(n)) for h, lv, c, n in self._coverage_cells("within_tolerance", "n")]

    def coverage_rejections(self) -> list[tuple[int, float, float, float]]:
        """Horizons and levels whose coverage the exact binomial test rejects at
        ``coverage_test_alpha``: (h, level, coverage %, p)."""
        return [(h, lv, c, float(p))
                for h, lv, c, p in self._coverage_cells("consistent", "p_value")]

    def coverage_test_sentence(self) -> str:
        """What the tests of coverage say, and how often a perfectly calibrated interval would
        meet the tolerance at these numbers of origins."""
        tab = self.table()
        levels = self.settings.levels
        cells = len(tab) * len(levels)
        rejected = self.coverage_rejections()
        ps = [float(r[f"coverage_{round(v * 100)}_p_value"])
              for r in tab.to_dict("records") for v in levels]
        scored = [int(n) for n in tab[f"coverage_{round(levels[0] * 100)}_n"]]
        chance = chance_all_within(scored, levels, self.settings.coverage_tolerance_pp)
        alpha = self.settings.coverage_test_alpha
        verdict = (f"rejects nominal coverage in {len(rejected)} of {cells} cells"
                   if rejected else f"rejects nominal coverage in none of the {cells} cells")
        pooled = []
        for level in levels:
            part = self.intervals[np.isclose(self.intervals["level"], level)]
            k, n = int(part["covered"].sum()), len(part)
            if n:
                pooled.append(f"{round(level * 100)}%: {k} of {n} ({k / n * 100:.1f}%, p "
                              f"{coverage_p_value(k, n, level):.3f} if they were independent)")
        text = (
            f"An exact binomial test of each cell's coverage against its nominal rate "
            f"(Kupiec's proportion-of-failures test) {verdict} at the {alpha:g} level "
            f"(p {min(ps):.2f}-{max(ps):.2f}). An interval that covers exactly at its nominal "
            f"rate, on independent origins, would be within ±"
            f"{self.settings.coverage_tolerance_pp:g} points in all {cells} cells with "
            f"probability {chance * 100:.1f}% at these numbers of origins."
        )
        if pooled:
            text += (" Pooled over the horizons (the same origins, so not independent and the "
                     "p-values too small): " + "; ".join(pooled) + ".")
        gaps = [float(r[f"coverage_{round(v * 100)}_pct"]) - v * 100
                for r in tab.to_dict("records") for v in levels]
        if all(g > 0 for g in gaps):
            text += (" Every cell is above nominal: the intervals are conservative (wider "
                     "than their level), not too narrow.")
        elif all(g < 0 for g in gaps):
            text += (" Every cell is below nominal: the intervals are too narrow for their "
                     "level.")
        return text

    def horizon_errors(self, origin: int) -> dict[int, FloatArray]:
        """The log errors the headline's intervals are calibrated on at June ``origin``, by
        whole years ahead ``k`` (1 to ``horizon_years``): the errors at horizon ``k`` known
        there when there are at least ``min_horizon_errors``, else every horizon's scaled
        errors × ``sqrt(k)`` (the rule of :func:`horizon_quantiles`); empty when fewer than
        ``min_calibration_errors`` are known."""
        known = self.calibration[self.calibration["year"] <= origin]
        if len(known) < self.settings.min_calibration_errors:
            return {}
        pooled = known["scaled_log_error"].to_numpy(float)
        out: dict[int, FloatArray] = {}
        for k in range(1, self.settings.horizon_years + 1):
            same = known[known["horizon_years"] == k]["log_error"].to_numpy(float)
            out[k] = same if len(same) >= self.settings.min_horizon_errors else (
                pooled * float(np.sqrt(k)))
        return out

    def error_quantiles(self, origin: int) -> ErrorQuantiles | None:
        """The headline's log-error distribution at every horizon from June ``origin`` (None
        if too few errors are known there): what the intervals and the capacity step's
        probabilities of shortfall both read."""
        errors = self.horizon_errors(origin)
        return ErrorQuantiles(errors) if errors else None

    def log_quantiles(
        self, origin: int, horizon_years: FloatArray, level: float
    ) -> tuple[FloatArray, FloatArray] | None:
        """Log-error quantiles of the headline known at a June ``origin`` for each (possibly
        fractional) horizon, or None if too few errors (:class:`ErrorQuantiles`: at whole
        years the quantiles of :func:`horizon_quantiles`, continuous in between)."""
        q = self.error_quantiles(origin)
        if q is None:
            return None
        t = np.asarray(horizon_years, dtype=float)
        return q.quantile(t, (1.0 - level) / 2.0), q.quantile(t, (1.0 + level) / 2.0)


class ErrorQuantiles:
    """The distribution of the log error ``log(actual / forecast)`` at any horizon ``t``
    (years, fractional for months), from the errors of each whole year ahead ``k``
    (:meth:`PrisonBacktest.horizon_errors`).

    At a whole year ``k`` the quantile of probability ``p`` is the empirical quantile of year
    ``k``'s errors, never nearer zero than an earlier year's (an interval never narrows with the
    horizon: the lower tail takes the lowest, the upper tail the highest so far) — so the 80%
    and 90% bounds are :func:`horizon_quantiles`'. Between whole years the quantile function is
    interpolated linearly from year ``k - 1`` to ``k``; within the first year it is year 1's ×
    ``sqrt(t)`` (a spread that starts at zero at the origin); beyond the last year, the last ×
    ``sqrt(t / k)``. Interpolating quantiles rather than scaling one year's errors keeps the
    band continuous (it jumped back at each June when a month's errors were year ``k``'s ×
    ``sqrt(t / k)``). :meth:`exceedance` reads the same quantile function, so places on the
    90% interval's upper bound are exceeded with probability 5%.
    """

    #: Probabilities at which the exceedance reads the quantile function (a fine grid).
    GRID = (np.arange(4000) + 0.5) / 4000

    def __init__(self, errors: Mapping[int, FloatArray]) -> None:
        if not errors:
            raise DemandError("no errors to take quantiles of")
        self.errors = {int(k): np.sort(np.asarray(v, dtype=float)) for k, v in errors.items()}
        self.years = sorted(self.errors)
        if self.years != list(range(1, len(self.years) + 1)):
            raise DemandError(f"errors by whole years 1..n expected, got years {self.years}")
        self._grid: dict[int, FloatArray] = {}

    def _whole(self, k: int, p: FloatArray) -> FloatArray:
        """Quantiles at whole year ``k`` (1 ≤ k ≤ last), the envelope of years 1..k."""
        if p is self.GRID and k in self._grid:
            return self._grid[k]
        rows = np.array([np.quantile(self.errors[j], p) for j in range(1, k + 1)])
        lower = p < 0.5
        out: FloatArray = np.where(lower, rows.min(axis=0), rows.max(axis=0))
        if p is self.GRID:
            self._grid[k] = out
        return out

    def _at(self, t: float, p: FloatArray) -> FloatArray:
        """Quantiles of probabilities ``p`` at one horizon ``t``."""
        last = self.years[-1]
        if t <= 0:
            return np.zeros(len(p))
        if t <= 1:
            return self._whole(1, p) * float(np.sqrt(t))
        if t >= last:
            return self._whole(last, p) * float(np.sqrt(t / last))
        k = int(np.ceil(t - 1e-9))
        w = t - (k - 1)
        out: FloatArray = (1 - w) * self._whole(k - 1, p) + w * self._whole(k, p)
        return out

    def quantile(self, horizon: FloatArray | float, p: float) -> FloatArray:
        """The quantile of probability ``p`` at each horizon (the shape of ``horizon``)."""
        t = np.atleast_1d(np.asarray(horizon, dtype=float))
        probs = np.array([float(p)])
        return np.array([float(self._at(float(ti), probs)[0]) for ti in t])

    def exceedance(self, horizon: FloatArray, threshold: FloatArray) -> FloatArray:
        """P(log error > ``threshold``) at each horizon, read off the quantile function (the
        share of a fine probability grid whose quantile exceeds it)."""
        t = np.asarray(horizon, dtype=float)
        x = np.asarray(threshold, dtype=float)
        out = np.zeros(t.shape, dtype=float)
        cache: dict[float, FloatArray] = {}
        for i, (ti, xi) in enumerate(zip(t, x, strict=True)):
            key = round(float(ti), 9)
            if key not in cache:
                cache[key] = self._at(float(ti), self.GRID)
            out[i] = float(np.mean(cache[key] > xi))
        return out


def selection_summary(bt: PrisonBacktest) -> str:
    """One plain sentence: what the rolling choice picked at the scored origins, and how."""
    c = bt.choices[bt.choices["origin"].isin(bt.errors["origin"].unique())]
    runs: list[tuple[int, int, str]] = []
    for origin, chosen in zip(c["origin"], c["chosen"], strict=True):
        if runs and runs[-1][2] == chosen and runs[-1][1] == origin - 1:
            runs[-1] = (runs[-1][0], int(origin), str(chosen))
        else:
            runs.append((int(origin), int(origin), str(chosen)))
    spans = ", ".join(f"{a}" + (f"-{b}" if b > a else "") + f" {m}" for a, b, m in runs)
    s = bt.settings
    return (
        f"The selected forecast is chosen at each origin, without looking ahead, as the "
        f"candidate with the lowest mean scaled absolute log error on the errors known there "
        f"(at least {s.min_selection_errors}; else {s.fallback}): origins {spans}. Neither the "
        f"choice nor the intervals use the scored years."
    )


def coverage_p_value(covered: int, n: int, level: float) -> float:
    """The exact two-sided binomial test of ``covered`` of ``n`` intervals against the nominal
    ``level`` (Kupiec's proportion-of-failures test in its exact form); 1 when ``n`` is 0."""
    if n == 0:
        return 1.0
    from scipy.stats import binomtest  # type: ignore[import-untyped]

    return float(binomtest(covered, n, level).pvalue)


def chance_all_within(ns: Sequence[int], levels: Sequence[float], tolerance_pp: float) -> float:
    """The probability that nested intervals covering exactly at ``levels`` are all within
    ``tolerance_pp`` points of nominal at every horizon, with ``ns[h]`` independent intervals
    at horizon ``h`` (the intervals of one origin are nested: each lies in the next wider).

    Exact: at each horizon the counts of outcomes falling in the narrowest interval, between
    consecutive intervals and outside all are multinomial; horizons are taken as independent
    (optimistic: consecutive origins overlap, which widens the spread of coverage)."""
    from itertools import pairwise
    from math import ceil, floor

    from scipy.stats import binom

    lv = sorted(float(v) for v in levels)
    probs = [lv[0], *(b - a for a, b in pairwise(lv)), 1.0 - lv[-1]]
    tol = tolerance_pp / 100.0

    def walk(n: int, j: int, left: int, covered: int) -> float:
        # P(levels j.. stay within the tolerance | ``covered`` outcomes already inside interval
        # j - 1 and ``left`` still to place): ``c`` of them fall in band j (inside interval j,
        # outside the narrower ones) with the band's share of the remaining probability.
        if j == len(lv):
            return 1.0
        lo = max(0, ceil(n * (lv[j] - tol) - 1e-9) - covered)
        hi = min(left, floor(n * (lv[j] + tol) + 1e-9) - covered)
        if hi < lo:
            return 0.0
        share = probs[j] / sum(probs[j:])
        cs = np.arange(lo, hi + 1)
        weights = binom.pmf(cs, left, share)
        if j == len(lv) - 1:
            return float(weights.sum())
        return float(sum(w * walk(n, j + 1, left - int(c), covered + int(c))
                         for c, w in zip(cs, weights, strict=True)))

    total = 1.0
    for n in ns:
        if n > 0:
            total *= walk(n, 0, n, 0)
    return total


def interval_quantiles(
    errors: FloatArray, level: float, minimum: int
) -> tuple[float, float] | None:
    """The empirical ``(1-level)/2`` and ``(1+level)/2`` quantiles, or None if fewer than
    ``minimum`` errors."""
    if len(errors) < minimum:
        return None
    lo, hi = np.quantile(errors, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(lo), float(hi)


def horizon_quantiles(
    calibration: pd.DataFrame, origin: int, horizon: int, level: float,
    settings: BacktestSettings,
) -> tuple[float, float, int, str] | None:
    """Log-error quantiles for ``horizon`` years ahead from the errors known at ``origin``:
    (lower, upper, errors used, basis). Basis ``horizon`` when at least ``min_horizon_errors``
    errors at that horizon are known, else ``pooled`` (every horizon, scaled by ``sqrt(h)``);
    None when fewer than ``min_calibration_errors`` are known in all. The interval never
    narrows with the horizon: each bound is at least as far out as the year before's."""
    known = calibration[calibration["year"] <= origin]
    if len(known) < settings.min_calibration_errors:
        return None
    pooled = interval_quantiles(known["scaled_log_error"].to_numpy(), level,
                                settings.min_calibration_errors)
    lo = hi = 0.0
    n, basis = 0, "pooled"
    for k in range(1, horizon + 1):
        same = known[known["horizon_years"] == k]["log_error"].to_numpy()
        q = interval_quantiles(same, level, settings.min_horizon_errors)
        if q is not None:
            n, basis = len(same), "horizon"
        elif pooled is not None:
            width = float(np.sqrt(k))
            q, n, basis = (pooled[0] * width, pooled[1] * width), len(known), "pooled"
        else:
            return None
        lo, hi = min(lo, q[0]), max(hi, q[1])
    return lo, hi, n, basis


def choose(
    frame: pd.DataFrame, origin: int, settings: BacktestSettings
) -> tuple[str, int, dict[str, float]]:
    """The candidate with the lowest mean ``|log(actual/forecast)| / sqrt(h)`` over the errors
    known at June ``origin`` (target year at most ``origin``), the errors each candidate had,
    and every candidate's score; the fallback while any candidate has fewer than
    ``min_selection_errors``. Uses nothing after the origin."""
    known = frame[(frame["year"] <= origin) & frame["method"].isin(settings.candidates)]
    counts = known.groupby("method").size()
    n = int(counts.min()) if len(counts) == len(settings.candidates) else 0
    if n < settings.min_selection_errors:
        return settings.fallback, n, {}
    ratio = known["actual"].to_numpy(float) / known["forecast"].to_numpy(float)
    err = pd.Series(np.abs(np.log(ratio)) / scale(known["horizon_years"].to_numpy()),
                    index=known.index)
    score = err.groupby(known["method"]).mean()
    scores = {m: float(score[m]) for m in settings.candidates}
    best = min(settings.candidates, key=lambda m: (scores[m], settings.candidates.index(m)))
    return best, n, scores


def prison_backtest(
    policy: Policy,
    history: PrisonHistory | None = None,
    origins: Sequence[int] | None = None,
) -> PrisonBacktest:
    """Run every method from every June origin the history allows (see the module docstring).

    ``origins`` restricts the scored origins (the calibration origins before them still run).
    Deterministic: it uses the stock–flow model's expected path, not Monte Carlo runs.
    """
    history = history or reference_history()
    s = BacktestSettings.from_policy(policy)
    known = sorted(history.june_population)
    last_year = known[-1]
    earliest = known[0] + s.trend_years
    first_cal = max(s.calibration_first_origin, earliest)
    last_origin = min(s.last_origin or last_year - 1, last_year - 1)
    scored = set(range(max(s.first_origin, earliest), last_origin + 1))
    if origins is not None:
        scored &= {int(o) for o in origins}
    if not scored:
        raise DemandError(
            f"no backtest origin: the history has Junes {known[0]}-{last_year} and the trend "
            f"needs {s.trend_years} years before an origin"
        )
    run = range(min(first_cal, min(scored)), max(scored) + 1)
    rows: list[tuple[int, int, int, str, float, float]] = []
    for origin in run:
        n_years = min(s.horizon_years, last_year - origin)
        paths = monthly_forecasts(policy, history, origin * 12 + 5, 12 * n_years, s)
        for k in range(1, n_years + 1):
            actual = history.june(origin + k)
            for m in BASE_METHODS:
                rows.append((origin, origin + k, k, m, actual, float(paths[m][12 * k - 1])))
    base = pd.DataFrame(rows, columns=list(ERROR_COLUMNS[:6]))
    choice_rows = []
    picked = []
    for origin in run:
        chosen, n, scores = choose(base, origin, s)
        choice_rows.append({"origin": origin, "chosen": chosen, "known_errors": n,
                            **{f"score_{m}": round(scores[m], 5) if scores else float("nan")
                               for m in s.candidates}})
        picked.append(base[(base["origin"] == origin) & (base["method"] == chosen)]
                      .assign(method="selected"))
    frame = pd.concat([*picked, base], ignore_index=True)
    frame["error_pct"] = (frame["forecast"] / frame["actual"] - 1.0) * 100
    frame["ape_pct"] = frame["error_pct"].abs()
    head = frame[frame["method"] == s.headline]
    log_error = np.log(head["actual"] / head["forecast"])
    calibration = head[["origin", "year", "horizon_years"]].assign(
        log_error=log_error,
        scaled_log_error=log_error / scale(head["horizon_years"].to_numpy()),
    ).reset_index(drop=True)
    interval_rows = []
    for r in head[head["origin"].isin(scored)].to_dict("records"):
        for level in s.levels:
            q = horizon_quantiles(calibration, int(r["origin"]), int(r["horizon_years"]),
                                  level, s)
            if q is None:
                continue
            lower = float(r["forecast"]) * float(np.exp(q[0]))
            upper = float(r["forecast"]) * float(np.exp(q[1]))
            interval_rows.append((r["origin"], r["year"], r["horizon_years"], level, lower, upper,
                                  bool(lower <= float(r["actual"]) <= upper), q[2], q[3]))
    intervals = pd.DataFrame(
        interval_rows,
        columns=["origin", "year", "horizon_years", "level", "lower", "upper", "covered",
                 "calibration_errors", "basis"],
    )
    order = {m: i for i, m in enumerate(METHODS)}
    errors = (frame[frame["origin"].isin(scored)]
              .sort_values(["origin", "year", "method"], key=lambda c: c.map(order)
                           if c.name == "method" else c, kind="stable")
              .reset_index(drop=True))
    return PrisonBacktest(
        errors=errors.round({"forecast": 1, "error_pct": 3, "ape_pct": 3}),
        intervals=intervals.round({"lower": 1, "upper": 1}),
        calibration=calibration,
        choices=pd.DataFrame(choice_rows),
        settings=s,
        all_errors=base,
    )
