"""Community demand: forecasts of quarterly starts by sentence type and requirement.

Each series (the three sentence types of the document's Fig 1, and each requirement summed over
community orders and suspended sentence orders) is forecast by the candidate model with the
lowest error in a rolling-origin backtest (time series cross-validation: fit on the history up to
an origin, forecast the next quarters, move the origin on) on every origin the history allows
(at least ``MIN_TRAINING`` quarters before it, unless ``demand.community_forecast.backtest_origins``
names a number). Candidates (``demand.community_forecast.models``; the first three are the
defaults, closed form and fast):

- ``seasonal_naive``: next year's quarter = this year's; intervals from the spread of the
  year-on-year changes, widening with the number of years ahead;
- ``damped_seasonal``: the seasonal naive grown by last year's log growth damped by
  ``damping`` a year (a one-off break moves the forecast by at most ``g·φ/(1-φ)``);
- ``seasonal_drift``: the seasonal naive grown by the mean annual growth of the whole history;
- ``ets``: statsmodels ``ETSModel`` with additive error, damped trend and quarterly season,
  heuristic initial states, analytic prediction intervals;
- ``arima``: statsmodels ``ARIMA`` (1,1,0)(0,1,0)4, a seasonal-difference ARIMA estimated by
  Burg's method, with its forecast intervals.

Every forecast and interval is bounded to ``demand.community_forecast.bounds`` times the last
four quarters' mean, so no model carries a break in the history to zero.

Scenarios are multipliers on the chosen forecast (``demand.community_scenarios``): the
document's planning projection (+3% over 2011–2015, under 1% in 2012–13) and multipliers per
sentence type.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

from commissioning.assess.demand.prison import DemandError
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import COMMUNITY_STARTS

#: The columns of a community starts history: the data-contract table ``community_starts``.
HISTORY_COLUMNS: tuple[str, ...] = tuple(c.name for c in COMMUNITY_STARTS.columns)

MODELS: tuple[str, ...] = ("seasonal_naive", "damped_seasonal", "seasonal_drift", "ets", "arima")
#: Annual damping of the damped seasonal model's growth (demand.community_forecast.damping).
DEFAULT_DAMPING = 0.5
FORECAST_COLUMNS: tuple[str, ...] = (
    "quarter",
    "series",
    "kind",
    "scenario",
    "model",
    "starts",
    "lower",
    "upper",
)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence statsmodels' convergence chatter and keep BLAS to one thread (tiny fits are
    many times slower when several BLAS threads contend on a loaded machine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
        except ImportError:  # optional: only a speed-up
            yield
            return
        with threadpool_limits(1):
            yield


@dataclass(frozen=True)
class Forecast:
    """A point forecast with its prediction interval."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _seasonal_naive(y: np.ndarray, h: int, level: float) -> Forecast:
    last_year = y[-4:]
    steps = np.arange(h)
    mean = last_year[steps % 4]
    diffs = y[4:] - y[:-4]
    sigma = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else 0.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    width = z * sigma * np.sqrt(steps // 4 + 1)
    return Forecast(mean.astype(float), mean - width, mean + width)


def _damped_seasonal(y: np.ndarray, h: int, level: float, damping: float = DEFAULT_DAMPING
                     ) -> Forecast:
    """Last year's quarters grown by the last year-on-year log growth, damped by ``damping``
    a year: after k years the growth is ``g·φ(1-φ^k)/(1-φ)``, so a one-off break of g moves
    the forecast by at most ``g·φ/(1-φ)`` however far ahead (``g`` at φ = 0.5)."""
    base = _seasonal_naive(y, h, level)
    g = float(np.log(max(y[-4:].sum(), 1.0) / max(y[-8:-4].sum(), 1.0)))
    years = np.arange(1, h + 1) / 4.0
    factor = np.exp(g * damping * (1.0 - damping**years) / (1.0 - damping))
    return Forecast(base.mean * factor, base.lower * factor, base.upper * factor)


def _seasonal_drift(y: np.ndarray, h: int, level: float) -> Forecast:
    """Last year's quarters grown by the mean annual log growth of the whole history (the
    seasonal random walk with drift: an undamped trend)."""
    base = _seasonal_naive(y, h, level)
    years_between = (len(y) - 4) / 4.0
    d = float(np.log(max(y[-4:].sum(), 1.0) / max(y[:4].sum(), 1.0))) / years_between
    factor = np.exp(d * np.arange(1, h + 1) / 4.0)
    return Forecast(base.mean * factor, base.lower * factor, base.upper * factor)


def _ets(y: np.ndarray, h: int, level: float) -> Forecast:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # type: ignore[import-untyped]

    series = pd.Series(y.astype(float), index=pd.period_range("2000Q1", periods=len(y), freq="Q"))
    res = ETSModel(
        series, error="add", trend="add", damped_trend=True, seasonal="add",
        seasonal_periods=4, initialization_method="heuristic",
    ).fit(disp=False, maxiter=200)
    if level <= 0:  # point forecast only (the backtest): prediction intervals are slow
        mean = np.asarray(res.forecast(h), dtype=float)
        return Forecast(mean, mean, mean)
    frame = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=1 - level)
    return Forecast(
        frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
    )


def _arima(y: np.ndarray, h: int, level: float) -> Forecast:
    from statsmodels.tsa.arima.model import ARIMA  # type: ignore[import-untyped]

    # A pure autoregression after differencing: Burg's estimator is closed-form (fast, and
    # well behaved on short series); forecasts and intervals come from the state space form.
    model = ARIMA(y.astype(float), order=(1, 1, 0), seasonal_order=(0, 1, 0, 4))
    try:
        res = model.fit(method="burg")
    except (ValueError, np.linalg.LinAlgError):  # e.g. a series with no noise at all
        res = model.fit()
    frame = res.get_forecast(h).summary_frame(alpha=1 - level)
    return Forecast(
        frame["mean"].to_numpy(),
        frame["mean_ci_lower"].to_numpy(),
        frame["mean_ci_upper"].to_numpy(),
    )


FITTERS: dict[str, Callable[[np.ndarray, int, float], Forecast]] = {
    "seasonal_naive": _seasonal_naive,
    "damped_seasonal": _damped_seasonal,
    "seasonal_drift": _seasonal_drift,
    "ets": _ets,
    "arima": _arima,
}


def forecast_with(
    model: str,
    y: Sequence[float] | np.ndarray,
    h: int,
    level: float,
    bounds: tuple[float, float] | None = None,
    damping: float = DEFAULT_DAMPING,
) -> Forecast:
    """Forecast ``h`` quarters ahead with one model; ``level`` 0 skips the prediction
    intervals where they are costly (ETS). ``bounds`` (low, high) keep the point forecast and
    the interval within those multiples of the last four quarters' mean, so no model carries
    a break in the history to zero or to a multiple of itself."""
    if model not in FITTERS:
        raise DemandError(f"unknown forecast model {model!r}; choose from {', '.join(MODELS)}")
    arr = np.asarray(y, dtype=float)
    if len(arr) < 12:
        raise DemandError(f"a quarterly series needs at least 12 quarters (got {len(arr)})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = (_damped_seasonal(arr, h, level, damping) if model == "damped_seasonal"
             else FITTERS[model](arr, h, level))
    lo, hi = (0.0, np.inf) if bounds is None else bounds
    level_now = float(arr[-4:].mean())
    floor, cap = lo * level_now, hi * level_now
    return Forecast(*(np.clip(np.nan_to_num(v, nan=level_now), floor, cap)
                      for v in (f.mean, f.lower, f.upper)))


#: Quarters a backtest origin needs before it (ETS's heuristic start needs 14).
MIN_TRAINING = 14


def origins_available(n: int, horizon: int) -> int:
    """Rolling origins a series of ``n`` quarters allows (MIN_TRAINING quarters to fit on)."""
    return max(n - horizon - MIN_TRAINING + 1, 0)


def backtest_errors(
    y: Sequence[float] | np.ndarray,
    models: Sequence[str],
    origins: int | None,
    horizon: int,
    bounds: tuple[float, float] | None = None,
    damping: float = DEFAULT_DAMPING,
) -> dict[str, float]:
    """Rolling-origin mean absolute percentage error of each model (``origins`` None: every
    origin with at least MIN_TRAINING quarters of history before it)."""
    arr = np.asarray(y, dtype=float)
    errors: dict[str, list[float]] = {m: [] for m in models}
    available = origins_available(len(arr), horizon)
    for k in range(available if origins is None else min(origins, available)):
        cut = len(arr) - horizon - k
        actual = arr[cut : cut + horizon]
        for m in models:
            f = forecast_with(m, arr[:cut], horizon, 0.0, bounds, damping)
            errors[m].extend(np.abs(f.mean - actual) / np.maximum(actual, 1) * 100)
    return {m: float(np.mean(e)) if e else float("nan") for m, e in errors.items()}


@dataclass(frozen=True)
class SeriesChoice:
    """The model chosen for one series and the backtest errors behind the choice."""

    series: str
    kind: str
    chosen: str
    mape_pct: Mapping[str, float]
    origins: int = 0


@dataclass(frozen=True)
class CommunityForecast:
    """History, forecasts (baseline and scenarios) and the model choices."""

    history: pd.DataFrame  # quarter, series, kind, starts
    forecast: pd.DataFrame  # FORECAST_COLUMNS
    choices: list[SeriesChoice]

    def choices_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "series": c.series,
                    "kind": c.kind,
                    "chosen": c.chosen,
                    "backtest_origins": c.origins,
                    **{f"mape_{m}_pct": round(v, 2) for m, v in c.mape_pct.items()},
                }
                for c in self.choices
            ]
        )


def check_history(history: pd.DataFrame, source: str = "community history") -> pd.DataFrame:
    """Check the history's columns and values; errors say what to fix."""
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise DemandError(
            f"{source}: missing column(s) {', '.join(missing)}; the history needs "
            f"{', '.join(HISTORY_COLUMNS)}"
        )
    starts = pd.to_numeric(history["starts"], errors="coerce")
    bad = history.index[starts.isna() | (starts < 0)]
    if len(bad):
        raise DemandError(
            f"{source}: row {int(bad[0]) + 2}, column starts: {history['starts'].iloc[bad[0]]!r} "
            "is not a count (a whole number of starts, 0 or more)"
        )
    try:
        pd.PeriodIndex(history["quarter"].astype(str), freq="Q")
    except (ValueError, TypeError):
        raise DemandError(f"{source}: quarter must look like 2011Q2") from None
    return history.assign(starts=starts)


def series_table(history: pd.DataFrame) -> pd.DataFrame:
    """Series to forecast: starts of each sentence type, and each requirement summed over the
    orders that carry it. Columns ``quarter, series, kind, starts``."""
    history = check_history(history)
    types = history[history["requirement"] == "all"]
    types = types.groupby(["quarter", "sentence_type"], as_index=False).agg(
        starts=("starts", "sum")
    )
    types = types.rename(columns={"sentence_type": "series"}).assign(kind="sentence_type")
    reqs = history[history["requirement"] != "all"]
    reqs = reqs.groupby(["quarter", "requirement"], as_index=False).agg(starts=("starts", "sum"))
    reqs = reqs.rename(columns={"requirement": "series"}).assign(kind="requirement")
    out = pd.concat([types, reqs], ignore_index=True)[["quarter", "series", "kind", "starts"]]
    return out.sort_values(["kind", "series", "quarter"], ignore_index=True)


def forecast_community(
    history: pd.DataFrame,
    policy: Policy,
    origins: int | None = None,
) -> CommunityForecast:
    """Choose a model per series by rolling-origin backtest, forecast, and add scenarios.

    ``origins`` overrides the number of backtest origins (fewer is faster).
    """
    settings = policy.value("demand.community_forecast")
    models = [str(m) for m in settings["models"]]
    h = int(settings["horizon_quarters"])
    level = float(settings["interval"])
    table = series_table(history)
    with quiet():
        return _forecast_all(table, policy, models, h, level, settings, origins)


def _forecast_all(
    table: pd.DataFrame,
    policy: Policy,
    models: list[str],
    h: int,
    level: float,
    settings: Mapping[str, Any],
    origins: int | None,
) -> CommunityForecast:
    frames: list[pd.DataFrame] = []
    choices: list[SeriesChoice] = []
    bounds = (float(settings["bounds"][0]), float(settings["bounds"][1]))
    damping = float(settings.get("damping", DEFAULT_DAMPING))
    horizon_bt = int(settings["backtest_horizon"])
    configured = settings.get("backtest_origins")
    n_origins: int | None = origins
    if n_origins is None and configured not in (None, "all"):
        n_origins = int(str(configured))
    for (kind, series), part in table.groupby(["kind", "series"], sort=False):
        part = part.sort_values("quarter")
        y = part["starts"].to_numpy(dtype=float)
        errors = backtest_errors(y, models, n_origins, horizon_bt, bounds, damping)
        available = origins_available(len(y), horizon_bt)
        used = available if n_origins is None else min(n_origins, available)
        chosen = min(models, key=lambda m: (errors[m], m != "seasonal_naive"))
        choices.append(SeriesChoice(str(series), str(kind), chosen, errors, used))
        f = forecast_with(chosen, y, h, level, bounds, damping)
        last = pd.Period(str(part["quarter"].iloc[-1]), freq="Q")
        quarters = [str(last + i) for i in range(1, h + 1)]
        frames.append(
            pd.DataFrame(
                {
                    "quarter": quarters,
                    "series": series,
                    "kind": kind,
                    "scenario": "baseline",
                    "model": chosen,
                    "starts": f.mean,
                    "lower": f.lower,
                    "upper": f.upper,
                }
            )
        )
    baseline = pd.concat(frames, ignore_index=True)
    scenarios = _scenarios(table, baseline, policy)
    forecast = pd.concat([baseline, *scenarios], ignore_index=True)
    forecast[["starts", "lower", "upper"]] = forecast[["starts", "lower", "upper"]].round(0)
    return CommunityForecast(history=table, forecast=forecast, choices=choices)


def _scenarios(
    table: pd.DataFrame, baseline: pd.DataFrame, policy: Policy
) -> list[pd.DataFrame]:
    spec = policy.value("demand.community_scenarios")
    out: list[pd.DataFrame] = []
    multipliers = {str(k): float(v) for k, v in spec.get("multipliers", {}).items()}
    if any(v != 1.0 for v in multipliers.values()):
        scaled = baseline.copy()
        factor = scaled["series"].map(multipliers).fillna(1.0)
        for c in ("starts", "lower", "upper"):
            scaled[c] = scaled[c] * factor
        out.append(scaled.assign(scenario="multipliers"))
    index = {int(k): float(v) for k, v in spec.get("planning_projection", {}).items()}
    types = table[table["kind"] == "sentence_type"]
    last_four = sorted(types["quarter"].unique())[-4:]
    if index and len(last_four) == 4:
        base_year = min(index)
        # The last four quarters of history stand for the index's base year (2011 = 1).
        base_total = float(types.loc[types["quarter"].isin(last_four), "starts"].sum())
        plan = baseline[baseline["kind"] == "sentence_type"].copy()
        plan_years = plan["quarter"].str[:4].astype(int)
        annual = plan.groupby(plan_years)["starts"].transform("sum")
        target = plan_years.map(lambda y: index.get(y, index[max(index)]) * base_total)
        # Years the index covers only partly (e.g. half of 2015) keep the baseline's shares.
        n_quarters = plan.groupby(plan_years)["quarter"].transform("nunique")
        factor = target * n_quarters / 4 / annual
        factor = factor.where(plan_years >= base_year, 1.0)
        for c in ("starts", "lower", "upper"):
            plan[c] = plan[c] * factor
        out.append(plan.assign(scenario="planning_projection", model="index"))
    return out


def annual_growth(frame: pd.DataFrame, scenario: str, year_from: int, year_to: int,
                  history: pd.DataFrame | None = None) -> float:
    """Growth of total sentence-type starts between two calendar years (history + forecast)."""
    rows = frame[(frame["scenario"] == scenario) & (frame["kind"] == "sentence_type")]
    parts = [rows[["quarter", "starts"]]]
    if history is not None:
        parts.append(history[history["kind"] == "sentence_type"][["quarter", "starts"]])
    allq = pd.concat(parts)
    years = allq["quarter"].str[:4].astype(int)
    a = float(allq.loc[years == year_from, "starts"].sum())
    b = float(allq.loc[years == year_to, "starts"].sum())
    if a == 0:
        raise DemandError(f"no starts in {year_from} to compare with")
    return b / a - 1.0
