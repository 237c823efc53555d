"""Scenarios (parameter overrides) for the prison model, and the remand and recall check.

A scenario is a YAML file: either a plain override file (``{parameter: {date: value}}``, the
format of ``commission --policy``) or a mapping with ``name``, ``description``, ``reference``,
``reasoning`` and ``overrides``. Its name is ``name`` or the file's stem. The built-in scenarios
(``scenarios/*.yaml`` next to this module) are the document's: the public disorder shock, a
sentencing reform and the indeterminate share rising from 16% to 17%. A scenario with no
overrides gives exactly the baseline (same seed, same draws).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from commissioning.assess.demand.prison import (
    STRATA,
    DemandError,
    PrisonHistory,
    Simulation,
    calibrate,
    expected_population,
    month_index,
    month_label,
    reference_history,
    simulate,
    summarise_total,
)
from commissioning.policy.parameters import ParameterError, ParameterSet, Policy

BASELINE = "baseline"
BUILT_IN = ("public_disorder", "sentencing_reform", "indeterminate_17")


def _month_start(month: str) -> dt.date:
    m = month_index(month)
    return dt.date(m // 12, m % 12 + 1, 1)


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DemandError(f"{where}: {value!r} is not a date (write YYYY-MM-DD)") from None


def _add_months(day: dt.date, months: int) -> dt.date:
    m = month_index(day) + months
    return dt.date(m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter overrides in force from ``start`` to ``end`` (months,
    ``YYYY-MM``, inclusive), the first override's multipliers phased in linearly from the
    baseline over ``phase_in_months`` (0 = at once). After ``end`` every overridden parameter
    returns to its baseline value, so a scenario always ends; ``end`` None means it runs to the
    end of the projection (only plain override files, which name no window)."""

    name: str
    overrides: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    description: str = ""
    reasoning: str = ""
    source: str = ""
    start: str | None = None
    end: str | None = None
    phase_in_months: int = 0

    @property
    def window(self) -> str:
        """``start to end, phase-in N months`` for tables and reports."""
        if not self.overrides:
            return "no change"
        end = self.end or "the end of the projection"
        phase = (f"phased in over {self.phase_in_months} months" if self.phase_in_months
                 else "at once")
        return f"{self.start} to {end}, {phase}"

    def expanded(self, params: ParameterSet) -> dict[str, dict[dt.date, Any]]:
        """The overrides with the phase-in ramp and the return to the baseline after ``end``."""
        where = f"scenario {self.name} ({self.source})"
        start = _month_start(self.start) if self.start else None
        after = _add_months(_month_start(self.end), 1) if self.end else None
        out: dict[str, dict[dt.date, Any]] = {}
        for name, dated in self.overrides.items():
            if name not in params:
                raise DemandError(f"{where}: no parameter named {name!r}")
            entries = sorted((_as_date(k, where), v) for k, v in dated.items())
            if start is not None and entries[0][0] < start:
                raise DemandError(f"{where}: {name} changes on {entries[0][0]}, before the "
                                  f"scenario's start {self.start}")
            if after is not None and entries[-1][0] >= after:
                raise DemandError(f"{where}: {name} changes on {entries[-1][0]}, after the "
                                  f"scenario's end {self.end}")
            values = dict(entries)
            first, target = entries[0]
            if self.phase_in_months > 0 and isinstance(target, Mapping):
                base = params.value(name, first)
                nxt = entries[1][0] if len(entries) > 1 else after
                for k in range(self.phase_in_months - 1):
                    day = _add_months(first, k)
                    if nxt is not None and day >= nxt:
                        break
                    frac = (k + 1) / self.phase_in_months
                    values[day] = {
                        key: float(base[key]) + (float(v) - float(base[key])) * frac
                        for key, v in target.items()
                    }
                last = _add_months(first, self.phase_in_months - 1)
                if nxt is None or last < nxt:
                    values[last] = target
            if after is not None:
                values[after] = params.value(name, after)
            out[name] = values
        return out

    def apply(self, params: ParameterSet) -> ParameterSet:
        if not self.overrides:
            return params
        try:
            return params.with_overrides(self.expanded(params))
        except ParameterError as exc:
            raise DemandError(f"scenario {self.name} ({self.source}): {exc}") from None


def _parse(doc: Any, default_name: str, source: str) -> Scenario:
    if doc is None:
        return Scenario(default_name, {}, source=source)
    if not isinstance(doc, Mapping):
        raise DemandError(f"{source}: a scenario must be a YAML mapping")
    start = end = None
    phase_in = 0
    if "overrides" in doc:
        overrides = doc.get("overrides") or {}
        name = str(doc.get("name") or default_name)
        description = " ".join(str(doc.get("description", "")).split())
        reasoning = " ".join(str(doc.get("reasoning", "")).split())
        missing = [k for k in ("start", "end", "phase_in_months") if k not in doc]
        if missing:
            raise DemandError(
                f"{source}: a scenario names its start, end and phase-in; missing "
                f"{', '.join(missing)} (e.g. start: 2012-12, end: 2015-03, phase_in_months: 6)"
            )
        start, end = str(doc["start"])[:7], str(doc["end"])[:7]
        for key, month in (("start", start), ("end", end)):
            try:
                month_index(month)
            except DemandError:
                raise DemandError(f"{source}: {key} {month!r} is not a month (YYYY-MM)") from None
        if month_index(end) < month_index(start):
            raise DemandError(f"{source}: end {end} is before start {start}")
        try:
            phase_in = int(doc["phase_in_months"])
        except (TypeError, ValueError):
            raise DemandError(f"{source}: phase_in_months must be a whole number") from None
        if phase_in < 0:
            raise DemandError(f"{source}: phase_in_months must be 0 or more")
    else:
        overrides, name, description, reasoning = doc, default_name, "", ""
    if not isinstance(overrides, Mapping) or not all(
        isinstance(v, Mapping) for v in overrides.values()
    ):
        raise DemandError(
            f"{source}: overrides must map parameter names to {{date: value}}, e.g. "
            "demand.prison_reception_multiplier: {2012-12-01: {...}}"
        )
    if start is None and overrides:
        dates = [_as_date(k, source) for v in overrides.values() for k in v]
        start = f"{min(dates):%Y-%m}" if dates else None
    return Scenario(
        name=name,
        overrides={str(k): dict(v) for k, v in overrides.items()},
        description=description,
        reasoning=reasoning,
        source=source,
        start=start,
        end=end,
        phase_in_months=phase_in,
    )


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (see the module docstring)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemandError(f"cannot read scenario {path}: {exc}") from None
    return _parse(doc, path.stem, str(path))


def built_in_scenario(name: str) -> Scenario:
    """One of :data:`BUILT_IN`."""
    ref = resources.files("commissioning.assess.demand").joinpath("scenarios", f"{name}.yaml")
    if name not in BUILT_IN or not ref.is_file():
        raise DemandError(f"no built-in scenario {name!r}; choose one of {', '.join(BUILT_IN)}")
    return _parse(yaml.safe_load(ref.read_text(encoding="utf-8")), name, f"built-in {name}")


def built_in_scenarios() -> list[Scenario]:
    return [built_in_scenario(n) for n in BUILT_IN]


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's simulation and its parameters."""

    scenario: Scenario
    params: ParameterSet
    simulation: Simulation


def run_scenarios(
    policy: Policy,
    scenarios: Sequence[Scenario] = (),
    runs: int = 500,
    seed: int = 2012,
    history: PrisonHistory | None = None,
    origin: str | None = None,
    horizon: int | None = None,
) -> list[ScenarioRun]:
    """The baseline then every scenario, each with the same seed (common random numbers, so
    differences between scenarios are the scenario's effect, not noise)."""
    out: list[ScenarioRun] = []
    names = [s.name for s in scenarios]
    if BASELINE in names or len(set(names)) != len(names):
        raise DemandError(
            f"scenario names must be unique and not {BASELINE!r} (got {', '.join(names)}); "
            "rename the file or set its name:"
        )
    for scenario in (Scenario(BASELINE), *scenarios):
        p = scenario.apply(policy.parameters)
        model = calibrate(p.at(policy.when), history, origin, horizon)
        out.append(ScenarioRun(scenario, p, simulate(model, runs=runs, seed=seed)))
    return out


def projection_table(results: Sequence[ScenarioRun]) -> pd.DataFrame:
    """``month, scenario, population_mean, population_p05, population_p95`` for all runs."""
    return pd.concat(
        [summarise_total(r.simulation, r.scenario.name) for r in results], ignore_index=True
    )


# ------------------------------------------------------------------ remand and recall check


def remand_recall_check(
    policy: Policy, history: PrisonHistory | None = None
) -> pd.DataFrame:
    """The expected remand and recall populations from the configured origin beside the real
    monthly series that follow (the reference data runs to December 2014):
    ``month, series, actual, projected, ape_pct``. The full backtest of the total is
    :func:`commissioning.assess.demand.backtest.prison_backtest`."""
    history = history or reference_history()
    settings = policy.value("demand.prison_projection")
    origin_i = month_index(str(settings["origin"]))
    last = max(max(history.remand, default=origin_i), max(history.recall, default=origin_i))
    rows: list[tuple[str, str, float, float, float]] = []
    if last > origin_i:
        model = calibrate(policy, history, origin_i, last - origin_i)
        pop = expected_population(model)
        for name, data in (("remand", history.remand), ("recall", history.recall)):
            cols = [i for i, (b, _) in enumerate(STRATA) if b == name]
            for t in range(model.horizon):
                m = origin_i + 1 + t
                if m in data:
                    projected = float(pop[t, cols].sum())
                    actual = data[m]
                    rows.append((month_label(m), name, actual, projected,
                                 abs(projected - actual) / actual * 100))
    frame = pd.DataFrame(rows, columns=["month", "series", "actual", "projected", "ape_pct"])
    return frame.round(2)


def series_mape(frame: pd.DataFrame, series: str) -> float:
    """Mean absolute percentage error of one series of :func:`remand_recall_check`."""
    r = frame[frame["series"] == series]
    return float(r["ape_pct"].mean()) if len(r) else float("nan")


def scenario_peak(results: Sequence[ScenarioRun], name: str) -> tuple[str, float]:
    """Month and size of the largest mean difference between a scenario and the baseline."""
    base = next(r for r in results if r.scenario.name == BASELINE).simulation.total.mean(axis=0)
    try:
        other = next(r for r in results if r.scenario.name == name)
    except StopIteration:
        raise DemandError(f"no scenario {name!r} in this run") from None
    diff = other.simulation.total.mean(axis=0) - base
    t = int(np.argmax(np.abs(diff)))
    return other.simulation.months[t], float(diff[t])
