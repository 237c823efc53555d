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
- ``combination``: the equal-weight mean of ``stock_flow`` and ``damped_trend`` — the headline
  forecast (``demand.prison_backtest.headline``), the one the round's projection follows.

Intervals are empirical (split-conformal on past errors): at an origin, the log errors
``log(actual / forecast)`` the headline method made on earlier origins whose target years are
already known at that origin, each divided by ``sqrt(h)``, give the quantiles of an interval
``forecast × exp(q · sqrt(h))``. An origin with fewer than ``min_calibration_errors`` such
errors gets no interval (and is left out of the coverage). Origins before ``first_origin`` (from
``calibration_first_origin``) are only used to calibrate intervals, never scored.
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
    "combination",
    "stock_flow",
    "last_value",
    "drift",
    "log_linear",
    "damped_trend",
)
BENCHMARKS: tuple[str, ...] = ("last_value", "drift", "log_linear", "damped_trend")
METHOD_LABELS: dict[str, str] = {
    "combination": "Combination (stock–flow and damped trend)",
    "stock_flow": "Stock–flow model",
    "last_value": "Last value (naive)",
    "drift": "Drift (random walk with drift)",
    "log_linear": "Log-linear trend",
    "damped_trend": "Damped trend",
}
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
) -> dict[str, FloatArray]:
    """Every method's forecast for each month after a June origin (month index)."""
    if origin_month % 12 != 5:
        raise DemandError(
            "the benchmarks are fitted on June populations: the origin must be a June"
        )
    origin = origin_month // 12
    years = np.arange(1, horizon_months + 1, dtype=float) / 12.0
    paths = benchmark_paths(history, origin, years, settings)
    paths["stock_flow"] = expected_total(calibrate(policy, history, origin_month, horizon_months))
    paths["combination"] = (paths["stock_flow"] + paths["damped_trend"]) / 2.0
    return {m: paths[m] for m in METHODS}


def scale(horizon: FloatArray | float) -> FloatArray:
    """How the spread of errors grows with the horizon in years (``sqrt(h)``)."""
    out: FloatArray = np.sqrt(np.asarray(horizon, dtype=float))
    return out


@dataclass(frozen=True)
class PrisonBacktest:
    """Errors of every method at every origin and horizon, and the headline's intervals."""

    errors: pd.DataFrame  # ERROR_COLUMNS, origins from first_origin
    intervals: pd.DataFrame  # origin, year, horizon_years, level, lower, upper, covered
    calibration: pd.DataFrame  # origin, year, horizon_years, scaled_log_error (headline, all)
    settings: BacktestSettings

    @property
    def headline(self) -> str:
        return self.settings.headline

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
        """MAPE by horizon (rows) for each method, the best benchmark, and interval coverage."""
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
                row[f"coverage_{tag}_pct"] = round(self.coverage(level, h), 1)
                row[f"coverage_{tag}_n"] = len(i)
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

    def quantiles(self, origin: int, level: float) -> tuple[float, float] | None:
        """Scaled log-error quantiles of the headline known at a June ``origin`` (errors of
        earlier origins whose target year is at most ``origin``), or None if too few."""
        c = self.calibration
        known = c[c["year"] <= origin]["scaled_log_error"].to_numpy()
        return interval_quantiles(known, level, self.settings.min_calibration_errors)


def interval_quantiles(
    errors: FloatArray, level: float, minimum: int
) -> tuple[float, float] | None:
    """The empirical ``(1-level)/2`` and ``(1+level)/2`` quantiles, or None if fewer than
    ``minimum`` errors."""
    if len(errors) < minimum:
        return None
    lo, hi = np.quantile(errors, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(lo), float(hi)


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
            for m in METHODS:
                rows.append((origin, origin + k, k, m, actual, float(paths[m][12 * k - 1])))
    frame = pd.DataFrame(rows, columns=list(ERROR_COLUMNS[:6]))
    frame["error_pct"] = (frame["forecast"] / frame["actual"] - 1.0) * 100
    frame["ape_pct"] = frame["error_pct"].abs()
    head = frame[frame["method"] == s.headline]
    calibration = head[["origin", "year", "horizon_years"]].assign(
        scaled_log_error=np.log(head["actual"] / head["forecast"])
        / scale(head["horizon_years"].to_numpy())
    ).reset_index(drop=True)
    interval_rows = []
    for r in head[head["origin"].isin(scored)].to_dict("records"):
        past = calibration[calibration["year"] <= r["origin"]]["scaled_log_error"].to_numpy()
        for level in s.levels:
            q = interval_quantiles(past, level, s.min_calibration_errors)
            if q is None:
                continue
            width = float(np.sqrt(float(r["horizon_years"])))
            lower = float(r["forecast"]) * float(np.exp(q[0] * width))
            upper = float(r["forecast"]) * float(np.exp(q[1] * width))
            interval_rows.append((r["origin"], r["year"], r["horizon_years"], level, lower, upper,
                                  bool(lower <= float(r["actual"]) <= upper), len(past)))
    intervals = pd.DataFrame(
        interval_rows,
        columns=["origin", "year", "horizon_years", "level", "lower", "upper", "covered",
                 "calibration_errors"],
    )
    errors = frame[frame["origin"].isin(scored)].reset_index(drop=True)
    return PrisonBacktest(
        errors=errors.round({"forecast": 1, "error_pct": 3, "ape_pct": 3}),
        intervals=intervals.round({"lower": 1, "upper": 1}),
        calibration=calibration,
        settings=s,
    )
