"""The demand assessment end to end: community forecast, prison scenarios, capacity, services.

Shared by the round step (:mod:`commissioning.assess.demand.step`) and the
``commission demand`` commands, so both compute the same figures and write the same CSV files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commissioning.assess.demand.backtest import (
    ErrorQuantiles,
    PrisonBacktest,
    monthly_forecasts,
    prison_backtest,
)
from commissioning.assess.demand.capacity import (
    capacity_by_function,
    estate,
    flags_summary,
    headroom,
)
from commissioning.assess.demand.community import CommunityForecast, forecast_community
from commissioning.assess.demand.prison import (
    PrisonHistory,
    Simulation,
    by_function,
    month_index,
    reference_history,
    summarise_bands,
)
from commissioning.assess.demand.scenarios import (
    BASELINE,
    Scenario,
    ScenarioRun,
    remand_recall_check,
    run_scenarios,
)
from commissioning.io.exports import write_tables
from commissioning.policy.parameters import Policy

PROJECTION_FILE = "prison_projection.csv"
BACKTEST_FILE = "prison_backtest.csv"
PROJECTION_COLUMNS: tuple[str, ...] = (
    "month", "scenario", "population_mean", "population_p05", "population_p95",
    "population_p10", "population_p90", "horizon_years",
)
BACKTEST_TABLE_FILE = "prison_backtest_table.csv"


@dataclass(frozen=True)
class PrisonResult:
    """Prison projections for the baseline and each scenario, with the backtest.

    ``runs`` are the stock–flow Monte Carlo simulations as run; ``projection``, ``by_band``
    and ``by_function`` are their populations scaled month by month so that the baseline's
    mean is the headline forecast of the backtest (``demand.prison_backtest.headline``), with
    the empirical intervals calibrated on the headline's errors known at the origin.
    """

    runs: list[ScenarioRun]
    adjusted: list[ScenarioRun]  # the runs with populations scaled to the headline
    projection: pd.DataFrame  # month, scenario, horizon_years, population_mean, _p05.._p95
    by_band: pd.DataFrame
    by_function: pd.DataFrame
    backtest: PrisonBacktest
    remand_recall: pd.DataFrame
    forecasts: pd.DataFrame  # month, method, population (every method from the origin)
    origin: int  # month index
    #: Log errors of the headline known at the origin, every horizon scaled to one year.
    origin_errors: np.ndarray
    #: The headline's log errors known at the origin by whole years ahead, and the
    #: distribution at any horizon built from them (what the projection's intervals and the
    #: capacity step's probabilities of shortfall both read; None with too few errors).
    horizon_errors: dict[int, np.ndarray]
    error_quantiles: ErrorQuantiles | None
    interval_source: str
    #: The method the headline follows from the projection's origin.
    chosen: str

    def write(self, out: Path, *, xlsx: bool = False) -> list[Path]:
        files = {
            PROJECTION_FILE: self.projection,
            "prison_projection_by_band.csv": self.by_band,
            "prison_projection_by_function.csv": self.by_function,
            "prison_projection_methods.csv": self.forecasts,
            BACKTEST_FILE: self.backtest.errors,
            BACKTEST_TABLE_FILE: self.backtest.table(),
            "prison_backtest_intervals.csv": self.backtest.intervals,
            "prison_backtest_choices.csv": self.backtest.choices,
            "prison_backtest_remand_recall.csv": self.remand_recall,
        }
        return write_tables(files, out, xlsx=xlsx)

    def june_error_pct(self, year: int, scenario: str = BASELINE) -> float | None:
        """Error of the projection's June ``year`` mean against the real June population."""
        history = reference_history()
        month = f"{year}-06"
        row = self.projection[(self.projection["month"] == month)
                              & (self.projection["scenario"] == scenario)]
        if row.empty or year not in history.june_population:
            return None
        return (float(row["population_mean"].iloc[0]) / history.june(year) - 1.0) * 100

    def headline(self) -> dict[str, Any]:
        """Headline figures for the report and the bulletin."""
        bt = self.backtest
        out: dict[str, Any] = {
            "headline_method": bt.headline,
            "backtest_origins": f"{int(bt.errors['origin'].min())}-"
                                f"{int(bt.errors['origin'].max())}",
            "mape_1y_pct": round(bt.mape(None, 1), 2),
            "mape_5y_pct": round(bt.mape(None, 5), 2),
            "coverage_80_pct": round(bt.coverage(0.8), 1),
            "coverage_90_pct": round(bt.coverage(0.9), 1),
            "beaten_at_horizons": [h for h, *_ in bt.beaten_at()],
            "coverage_outside_tolerance": [(h, level) for h, level, *_ in bt.coverage_misses()],
            "coverage_rejected_by_binomial_test": [
                (h, level) for h, level, *_ in bt.coverage_rejections()],
            "forecast_at_origin": self.chosen,
        }
        base = self.projection[self.projection["scenario"] == BASELINE]
        for month in ("2012-06", "2013-06", "2015-06"):
            r = base[base["month"] == month]
            if len(r):
                out[f"population_{month}"] = float(r["population_mean"].iloc[0])
        return out


def _scaled(sim: Simulation, factor: np.ndarray) -> Simulation:
    pop = np.rint(sim.population * factor[None, :, None]).astype(np.int64)
    return Simulation(sim.months, pop, sim.receptions, sim.releases, sim.initial)


def _interval_table(
    total: np.ndarray, quantiles: dict[float, tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Mean and empirical interval bounds of a (runs, months) array (``quantiles``: log-error
    bounds for each month, by level)."""
    mean = total.mean(axis=0)
    out = {"population_mean": mean.round(1)}
    for level, (lo_tag, hi_tag) in ((0.9, ("p05", "p95")), (0.8, ("p10", "p90"))):
        if level in quantiles:
            lo, hi = quantiles[level]
            out[f"population_{lo_tag}"] = (mean * np.exp(lo)).round(1)
            out[f"population_{hi_tag}"] = (mean * np.exp(hi)).round(1)
        else:  # not enough past errors: the Monte Carlo spread
            q = (1 - level) / 2 * 100
            out[f"population_{lo_tag}"] = np.percentile(total, q, axis=0).round(1)
            out[f"population_{hi_tag}"] = np.percentile(total, 100 - q, axis=0).round(1)
    return out


def prison(
    policy: Policy,
    scenarios: Sequence[Scenario],
    runs: int,
    seed: int,
    history: PrisonHistory | None = None,
) -> PrisonResult:
    """Run the baseline and scenarios, the backtest, and follow the headline forecast."""
    history = history or reference_history()
    results = run_scenarios(policy, scenarios, runs=runs, seed=seed, history=history)
    bt = prison_backtest(policy, history)
    origin = month_index(str(policy.value("demand.prison_projection")["origin"]))
    base = results[0].simulation
    horizon_months = base.population.shape[1]
    chosen = bt.choice(origin // 12)
    paths = monthly_forecasts(policy, history, origin, horizon_months, bt.settings, chosen)
    factor = paths[bt.headline] / base.total.mean(axis=0)
    adjusted = [ScenarioRun(r.scenario, r.params, _scaled(r.simulation, factor)) for r in results]
    horizon = np.arange(1, horizon_months + 1) / 12.0
    quantiles: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    for level in (0.8, 0.9):
        q = bt.log_quantiles(origin // 12, horizon, level)
        if q is not None:
            quantiles[level] = q
    known = bt.calibration[bt.calibration["year"] <= origin // 12]
    source = (
        f"empirical: {len(known)} errors of the {bt.headline} forecast from June origins "
        f"{int(known['origin'].min())}-{int(known['origin'].max())} known by June "
        f"{origin // 12}, quantiles by years ahead"
        if quantiles and len(known) else "Monte Carlo spread (too few past errors)"
    )
    if bt.headline == "selected":
        source += f"; the forecast chosen at June {origin // 12}: {chosen}"
    projection = pd.concat(
        [pd.DataFrame({"month": r.simulation.months, "scenario": r.scenario.name,
                       **_interval_table(r.simulation.total.astype(float), quantiles),
                       "horizon_years": horizon.round(3)})
         for r in adjusted],
        ignore_index=True,
    )[list(PROJECTION_COLUMNS)]
    allocation = policy.value("demand.prison_function_allocation")
    functions = pd.concat(
        [by_function(r.simulation, allocation, r.scenario.name) for r in adjusted],
        ignore_index=True,
    )
    if 0.9 in quantiles:
        lo, hi = quantiles[0.9]
        month = functions["month"]
        functions["population_p05"] = (functions["population_mean"] * np.exp(
            month.map(dict(zip(base.months, lo, strict=True))).to_numpy())).round(1)
        functions["population_p95"] = (functions["population_mean"] * np.exp(
            month.map(dict(zip(base.months, hi, strict=True))).to_numpy())).round(1)
    functions["horizon_years"] = functions["month"].map(
        dict(zip(base.months, horizon.round(3), strict=True)))
    forecasts = pd.concat(
        [pd.DataFrame({"month": base.months, "method": m, "population": v.round(1)})
         for m, v in paths.items()],
        ignore_index=True,
    )
    return PrisonResult(
        runs=results,
        adjusted=adjusted,
        projection=projection,
        by_band=pd.concat(
            [summarise_bands(r.simulation, r.scenario.name) for r in adjusted], ignore_index=True
        ),
        by_function=functions,
        backtest=bt,
        remand_recall=remand_recall_check(policy, history),
        forecasts=forecasts,
        origin=origin,
        origin_errors=known["scaled_log_error"].to_numpy(),
        horizon_errors=bt.horizon_errors(origin // 12),
        error_quantiles=bt.error_quantiles(origin // 12),
        interval_source=source,
        chosen=chosen if bt.headline == "selected" else bt.headline,
    )


@dataclass(frozen=True)
class CapacityResult:
    """The estate with its places, places by function, headroom and flags."""

    estate: pd.DataFrame
    places: pd.DataFrame
    headroom: pd.DataFrame
    flags: pd.DataFrame

    def write(self, out: Path, *, xlsx: bool = False) -> list[Path]:
        files = {
            "estate_capacity.csv": self.estate,
            "capacity_by_function.csv": self.places,
            "capacity_headroom.csv": self.headroom,
            "capacity_flags.csv": self.flags,
        }
        return write_tables(files, out, xlsx=xlsx)


def capacity(
    policy: Policy,
    prison_result: PrisonResult,
    establishments: pd.DataFrame | None = None,
    capacities: pd.Series | None = None,
) -> CapacityResult:
    est = estate(policy, establishments, capacities)
    places = capacity_by_function(est)
    head = headroom(prison_result.by_function, places, policy,
                    prison_result.error_quantiles)
    return CapacityResult(est, places, head, flags_summary(head))


def write_community(result: CommunityForecast, out: Path, *, xlsx: bool = False) -> list[Path]:
    files = {
        "community_series.csv": result.history,
        "community_forecast.csv": result.forecast,
        "community_models.csv": result.choices_table(),
    }
    return write_tables(files, out, xlsx=xlsx)


def community(
    history: pd.DataFrame, policy: Policy, origins: int | None = None
) -> CommunityForecast:
    return forecast_community(history, policy, origins)
