"""The demand assessment end to end: community forecast, prison scenarios, capacity, services.

Shared by the round step (:mod:`commissioning.assess.demand.step`) and the
``commission demand`` commands, so both compute the same figures and write the same CSV files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from commissioning.assess.demand.capacity import (
    capacity_by_function,
    estate,
    flags_summary,
    headroom,
)
from commissioning.assess.demand.community import CommunityForecast, forecast_community
from commissioning.assess.demand.prison import by_function, summarise_bands
from commissioning.assess.demand.scenarios import (
    Backtest,
    Scenario,
    ScenarioRun,
    backtest,
    projection_table,
    run_scenarios,
)
from commissioning.policy.parameters import ParameterSet

PROJECTION_FILE = "prison_projection.csv"


@dataclass(frozen=True)
class PrisonResult:
    """Prison projections for the baseline and each scenario, with the backtest."""

    runs: list[ScenarioRun]
    projection: pd.DataFrame  # month, scenario, population_mean, population_p05, population_p95
    by_band: pd.DataFrame
    by_function: pd.DataFrame
    backtest: Backtest

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        files = {
            PROJECTION_FILE: self.projection,
            "prison_projection_by_band.csv": self.by_band,
            "prison_projection_by_function.csv": self.by_function,
            "prison_backtest.csv": self.backtest.errors,
            "prison_backtest_remand_recall.csv": self.backtest.remand_recall,
        }
        for name, frame in files.items():
            frame.to_csv(out / name, index=False)
        return [out / n for n in files]


def prison(
    params: ParameterSet,
    scenarios: Sequence[Scenario],
    runs: int,
    seed: int,
    backtest_runs: int = 20,
) -> PrisonResult:
    """Run the baseline and scenarios and the hold-out backtest."""
    results = run_scenarios(params, scenarios, runs=runs, seed=seed)
    allocation = params.value("demand.prison_function_allocation")
    return PrisonResult(
        runs=results,
        projection=projection_table(results),
        by_band=pd.concat(
            [summarise_bands(r.simulation, r.scenario.name) for r in results], ignore_index=True
        ),
        by_function=pd.concat(
            [by_function(r.simulation, allocation, r.scenario.name) for r in results],
            ignore_index=True,
        ),
        backtest=backtest(params, runs=backtest_runs, seed=seed),
    )


@dataclass(frozen=True)
class CapacityResult:
    """The estate with its places, places by function, headroom and flags."""

    estate: pd.DataFrame
    places: pd.DataFrame
    headroom: pd.DataFrame
    flags: pd.DataFrame

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "estate_capacity.csv": self.estate,
            "capacity_by_function.csv": self.places,
            "capacity_headroom.csv": self.headroom,
            "capacity_flags.csv": self.flags,
        }
        for name, frame in files.items():
            frame.to_csv(out / name, index=False)
        return [out / n for n in files]


def capacity(
    params: ParameterSet,
    prison_result: PrisonResult,
    establishments: pd.DataFrame | None = None,
    capacities: pd.Series | None = None,
    when: dt.date = dt.date(2012, 4, 1),
) -> CapacityResult:
    est = estate(params, establishments, capacities, when)
    places = capacity_by_function(est)
    head = headroom(prison_result.by_function, places, params, when)
    return CapacityResult(est, places, head, flags_summary(head))


def write_community(result: CommunityForecast, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "community_series.csv": result.history,
        "community_forecast.csv": result.forecast,
        "community_models.csv": result.choices_table(),
    }
    for name, frame in files.items():
        frame.to_csv(out / name, index=False)
    return [out / n for n in files]


def community(
    history: pd.DataFrame, params: ParameterSet, when: dt.date, origins: int | None = None
) -> CommunityForecast:
    return forecast_community(history, params, when, origins)
