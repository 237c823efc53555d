"""Prison population: a monthly stock–flow Monte Carlo model by sentence band and sex.

The Ministry of Justice's projection method in miniature (REFERENCES.md, "Demand and population
projection"): receptions come in each month, each reception cohort is released according to a
time-served distribution, and the population is what remains. The state of one run is the count
of prisoners by stratum (sentence band × sex) and months served so far; each month

1. every prisoner who has served ``a`` whole months is released with the hazard
   ``h(a) = 1 - S(a+1)/S(a)`` of the band's time-served distribution (binomial draws),
2. the survivors age by one month (the last age bucket is absorbing, with a constant hazard
   equal to the inverse of the mean residual time served),
3. the month's receptions (Poisson around the calibrated trend, times any scenario multiplier,
   plus any shock) enter at age 0.

So ``population[t] = population[t-1] + receptions[t] - releases[t]`` holds exactly and the
population can never be negative, and at a steady state the population is receptions × mean time
served (Little's law). Every run, stratum and age is one NumPy array: there is no loop over
prisoners, only over months. Monte Carlo runs differ in the reception growth rate, a time-served
multiplier and the Poisson and binomial noise.

Calibration (:func:`calibrate`): the total at the origin is the real June population
(``prt_prison_population_june_1990_2023_with_projections.csv``); remand and recall at the origin
are the real monthly figures when the series covers it; the rest splits by the shares of
``demand.prison_stock``. Receptions start at the steady-state inflow (stock / mean time served)
and grow at the log-linear trend of the June populations of the preceding ``trend_years``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

from commissioning.policy.parameters import Policy

BANDS: tuple[str, ...] = (
    "remand",
    "under_12m",
    "12m_to_4y",
    "4y_plus",
    "indeterminate",
    "recall",
)
BAND_LABELS: dict[str, str] = {
    "remand": "Remand",
    "under_12m": "Under 12 months",
    "12m_to_4y": "12 months to 4 years",
    "4y_plus": "4 years and over",
    "indeterminate": "Indeterminate",
    "recall": "Recall",
}
SEXES: tuple[str, ...] = ("male", "female")
#: Stratum index = band index * len(SEXES) + sex index.
STRATA: tuple[tuple[str, str], ...] = tuple((b, s) for b in BANDS for s in SEXES)
#: Months of time served tracked individually; the last bucket is absorbing.
MAX_AGE = 120

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class DemandError(ValueError):
    """Input or parameters the demand model cannot use: what, where, and how to fix it."""


# ------------------------------------------------------------------ months and history


def month_index(month: str | dt.date) -> int:
    """Months since year 0 of a ``YYYY-MM`` string or a date (for arithmetic on months)."""
    if isinstance(month, dt.date):
        return month.year * 12 + month.month - 1
    try:
        year, mon = str(month).split("-")[:2]
        return int(year) * 12 + int(mon) - 1
    except ValueError:
        raise DemandError(f"{month!r} is not a month (write YYYY-MM, e.g. 2011-06)") from None


def month_label(index: int) -> str:
    """``YYYY-MM`` of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _reference_csv(name: str) -> pd.DataFrame:
    ref = resources.files("commissioning.data").joinpath("reference").joinpath(name)
    with ref.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


@dataclass(frozen=True)
class PrisonHistory:
    """Real population history: June totals by year, end-of-month remand and recall."""

    june_population: Mapping[int, float]
    remand: Mapping[int, float]
    recall: Mapping[int, float]

    def june(self, year: int) -> float:
        try:
            return float(self.june_population[year])
        except KeyError:
            raise DemandError(
                f"no June population for {year} in the history (years "
                f"{min(self.june_population)}-{max(self.june_population)})"
            ) from None


@lru_cache(maxsize=1)
def reference_history() -> PrisonHistory:
    """The package's real history (Prison Reform Trust compilations of Offender Management
    Statistics, Open Government Licence; see ``data/reference/SOURCES.md``)."""
    june = _reference_csv("prt_prison_population_june_1990_2023_with_projections.csv")
    june = june.dropna(subset=["population"])
    dates = pd.to_datetime(june["date"])
    june_pop = {
        int(d.year): float(p) for d, p in zip(dates, june["population"], strict=True)
        if d.month == 6
    }
    remand = _reference_csv("prt_remand_population_monthly_2010_2014.csv")
    remand_dates = pd.to_datetime(remand["date"], format="%d-%b-%y")
    recall = _reference_csv("prt_recall_population_monthly_2010_2014.csv")
    recall_dates = pd.to_datetime(recall["date"], format="%b-%y")
    return PrisonHistory(
        june_population=june_pop,
        remand={
            month_index(d.date()): float(v)
            for d, v in zip(remand_dates, remand["remand_pop"], strict=True)
        },
        recall={
            month_index(d.date()): float(v)
            for d, v in zip(recall_dates, recall["recall_pop"], strict=True)
        },
    )


# ------------------------------------------------------------------ time served


def survival(median: float, sigma: float, multiplier: float = 1.0) -> FloatArray:
    """``S(a) = P(T > a)`` for a = 0..MAX_AGE-1 with T the time served in whole months (≥ 1),
    T = ceil(lognormal(median × multiplier, sigma))."""
    return _survival(float(median), float(sigma), float(multiplier)).copy()


@lru_cache(maxsize=256)
def _survival(median: float, sigma: float, multiplier: float) -> FloatArray:
    if median <= 0 or sigma <= 0 or multiplier <= 0:
        raise DemandError(
            f"time served needs a positive median, sigma and multiplier (got median {median}, "
            f"sigma {sigma}, multiplier {multiplier}); check demand.prison_time_served"
        )
    ages = np.arange(MAX_AGE + 1, dtype=np.float64)
    s = stats.lognorm.sf(np.maximum(ages, 1e-12), sigma, scale=median * multiplier)
    s[0] = 1.0
    return np.asarray(s, dtype=np.float64)


def hazards(median: float, sigma: float, multiplier: float = 1.0) -> FloatArray:
    """Monthly release probability by months served (length MAX_AGE; last bucket absorbing)."""
    s = survival(median, sigma, multiplier)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(s[:-1] > 0, 1.0 - s[1:] / s[:-1], 1.0)
    h[-1] = 1.0 / _residual_mean(median, sigma, multiplier)
    return np.clip(h, 0.0, 1.0)


@lru_cache(maxsize=256)
def _residual_mean(median: float, sigma: float, multiplier: float) -> float:
    """Mean further months served by someone still in custody at the last tracked age."""
    scale = median * multiplier
    ages = np.arange(MAX_AGE - 1, MAX_AGE - 1 + 6000, dtype=np.float64)
    tail = stats.lognorm.sf(ages, sigma, scale=scale)
    if tail[0] <= 1e-12:
        return 1.0
    return float(max(tail.sum() / tail[0], 1.0))


def mean_time_served(median: float, sigma: float, multiplier: float = 1.0) -> float:
    """The mean of the discretised distribution the model uses (for Little's law)."""
    s = survival(median, sigma, multiplier)
    tail = s[MAX_AGE - 1] * _residual_mean(median, sigma, multiplier)
    return float(s[: MAX_AGE - 1].sum() + tail)


def steady_state_ages(median: float, sigma: float, multiplier: float = 1.0) -> FloatArray:
    """Share of a steady-state stock at each age (``S(a)`` with the absorbing tail)."""
    s = survival(median, sigma, multiplier)[:MAX_AGE].copy()
    s[-1] = s[-1] * _residual_mean(median, sigma, multiplier)
    return np.asarray(s / s.sum(), dtype=np.float64)


# ------------------------------------------------------------------ model inputs


@dataclass(frozen=True)
class PrisonModel:
    """Everything one projection needs, in arrays over strata (``STRATA``) and months."""

    origin: int
    horizon: int
    initial_stock: FloatArray  # (strata,)
    receptions: FloatArray  # (months, strata) expected receptions before growth noise
    hazard: FloatArray  # (months, strata, MAX_AGE)
    initial_ages: FloatArray  # (strata, MAX_AGE) age shares at the origin
    growth: float  # annual trend of receptions
    growth_sd: float
    time_served_log_sd: float

    @property
    def months(self) -> list[str]:
        return [month_label(self.origin + 1 + t) for t in range(self.horizon)]


def _band_mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or set(value) != set(BANDS):
        raise DemandError(
            f"parameter {name} must give every sentence band {', '.join(BANDS)} "
            f"(got {sorted(value) if isinstance(value, Mapping) else value!r})"
        )
    return value


def _month_date(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def origin_stock(
    policy: Policy, history: PrisonHistory, origin: int, total: float | None = None
) -> FloatArray:
    """The population at the origin month by stratum (see the module docstring); the stock
    shares are those in force at the origin month."""
    when = _month_date(origin)
    p = policy.on(when).value("demand.prison_stock")
    year = origin // 12
    total = history.june(year) if total is None else total
    remand = history.remand.get(origin, total * float(p["remand_share"]))
    recall = history.recall.get(origin, total * float(p["recall_share"]))
    indeterminate = total * float(p["indeterminate_share"])
    determinate = total - remand - recall - indeterminate
    shares = p["determinate_shares"]
    if determinate <= 0:
        raise DemandError(f"remand, recall and indeterminate exceed the total at {when}")
    by_band = {
        "remand": remand,
        "recall": recall,
        "indeterminate": indeterminate,
        **{b: determinate * float(shares[b]) / sum(map(float, shares.values())) for b in shares},
    }
    female = float(p["female_share"])
    stock = np.array(
        [by_band[b] * (female if s == "female" else 1.0 - female) for b, s in STRATA]
    )
    return stock


def trend_growth(history: PrisonHistory, last_year: int, years: int) -> float:
    """Annual growth of the June population, fitted log-linearly on ``years`` years to
    ``last_year`` (inclusive)."""
    xs = [y for y in range(last_year - years, last_year + 1) if y in history.june_population]
    if len(xs) < 2:
        raise DemandError(f"need at least two June populations up to {last_year} to fit a trend")
    slope = np.polyfit(np.array(xs, float), np.log([history.june(y) for y in xs]), 1)[0]
    return float(np.expm1(slope))


def calibrate(
    policy: Policy,
    history: PrisonHistory | None = None,
    origin: str | int | None = None,
    horizon: int | None = None,
) -> PrisonModel:
    """Build the model: the projection settings in force on the policy's date; the stock,
    time served, receptions and hazards in force at each month projected (scenarios are dated
    values of those parameters)."""
    history = history or reference_history()
    settings = policy.value("demand.prison_projection")
    if origin is None:
        origin_i = month_index(str(settings["origin"]))
    elif isinstance(origin, int):
        origin_i = origin
    else:
        origin_i = month_index(origin)
    horizon = int(settings["horizon_months"]) if horizon is None else horizon
    growth = trend_growth(history, origin_i // 12, int(settings["trend_years"]))
    stock = origin_stock(policy, history, origin_i)
    months = range(origin_i + 1, origin_i + 1 + horizon)

    at_origin = policy.on(_month_date(origin_i))
    ts = _band_mapping(at_origin.value("demand.prison_time_served"),
                       "demand.prison_time_served")
    hazard = np.empty((horizon, len(STRATA), MAX_AGE))
    receptions = np.empty((horizon, len(STRATA)))
    cache: dict[tuple[float, float, float], FloatArray] = {}

    def band_hazard(band: str, mult: float) -> FloatArray:
        key = (float(ts[band]["median"]), float(ts[band]["sigma"]), float(mult))
        if key not in cache:
            cache[key] = hazards(*key)
        return cache[key]

    inflow0 = np.array(
        [stock[i] / mean_time_served(float(ts[b]["median"]), float(ts[b]["sigma"]))
         for i, (b, _) in enumerate(STRATA)]
    )
    ages = np.array(
        [steady_state_ages(float(ts[b]["median"]), float(ts[b]["sigma"])) for b, _ in STRATA]
    )
    female_share = float(at_origin.mapping("demand.prison_stock")["female_share"])
    for t, m in enumerate(months):
        month = policy.on(_month_date(m))
        tsm = _band_mapping(month.value("demand.prison_time_served_multiplier"),
                            "demand.prison_time_served_multiplier")
        rm = _band_mapping(month.value("demand.prison_reception_multiplier"),
                           "demand.prison_reception_multiplier")
        for i, (b, _) in enumerate(STRATA):
            hazard[t, i] = band_hazard(b, float(tsm[b]))
            receptions[t, i] = inflow0[i] * float(rm[b])
        for shock in month.value("demand.prison_reception_shocks") or []:
            first, last = month_index(shock["first"]), month_index(shock["last"])
            if first <= m <= last:
                band = shock["band"]
                if band not in BANDS:
                    raise DemandError(
                        f"a shock in demand.prison_reception_shocks names band {band!r}; "
                        f"use one of {', '.join(BANDS)}"
                    )
                extra = float(shock["extra_per_month"])
                for i, (b, s) in enumerate(STRATA):
                    if b == band:
                        receptions[t, i] += extra * (female_share if s == "female"
                                                     else 1.0 - female_share)
    return PrisonModel(
        origin=origin_i,
        horizon=horizon,
        initial_stock=stock,
        receptions=receptions,
        hazard=hazard,
        initial_ages=ages,
        growth=growth,
        growth_sd=float(settings["growth_sd"]),
        time_served_log_sd=float(settings["time_served_log_sd"]),
    )


# ------------------------------------------------------------------ simulation


@dataclass(frozen=True)
class Simulation:
    """Monte Carlo output: population, receptions and releases by run, month and stratum."""

    months: list[str]
    population: IntArray  # (runs, months, strata), end of month
    receptions: IntArray  # (runs, months, strata)
    releases: IntArray  # (runs, months, strata)
    initial: IntArray  # (runs, strata) at the origin

    @property
    def total(self) -> IntArray:
        """Total population by run and month."""
        out: IntArray = self.population.sum(axis=2)
        return out


def simulate(
    model: PrisonModel,
    runs: int = 500,
    seed: int = 2012,
    growth: bool = True,
) -> Simulation:
    """Run the stock–flow model ``runs`` times (vectorised over runs, strata and ages).

    ``growth=False`` holds receptions at their origin level (for steady-state checks).
    """
    if runs < 1:
        raise DemandError(f"--runs must be at least 1 (got {runs})")
    rng = np.random.default_rng(seed)
    n_strata = len(STRATA)
    # Initial age structure: multinomial per stratum, vectorised over runs.
    counts = np.zeros((runs, n_strata, MAX_AGE), dtype=np.int64)
    for i in range(n_strata):
        counts[:, i, :] = rng.multinomial(round(float(model.initial_stock[i])),
                                          model.initial_ages[i], size=runs)
    initial = counts.sum(axis=2)
    g = (
        rng.normal(model.growth, model.growth_sd, size=runs) if growth else np.zeros(runs)
    )
    ts_mult = np.exp(rng.normal(0.0, model.time_served_log_sd, size=runs)) if growth else None
    horizon = model.horizon
    pop = np.empty((runs, horizon, n_strata), dtype=np.int64)
    rec = np.empty((runs, horizon, n_strata), dtype=np.int64)
    rel = np.empty((runs, horizon, n_strata), dtype=np.int64)
    for t in range(horizon):
        h = model.hazard[t][None, :, :]
        if ts_mult is not None:
            # A longer time served lowers the hazard: h' = 1 - (1 - h) ** (1 / m).
            h = 1.0 - (1.0 - h) ** (1.0 / ts_mult[:, None, None])
        released = rng.binomial(counts, h)
        counts -= released
        last = counts[:, :, -1].copy()
        counts[:, :, 1:] = counts[:, :, :-1]
        counts[:, :, -1] += last
        lam = model.receptions[t][None, :] * ((1.0 + g[:, None]) ** ((t + 1) / 12.0))
        arrivals = rng.poisson(lam)
        counts[:, :, 0] = arrivals
        rec[:, t] = arrivals
        rel[:, t] = released.sum(axis=2)
        pop[:, t] = counts.sum(axis=2)
    return Simulation(model.months, pop, rec, rel, initial)


def expected_population(model: PrisonModel) -> FloatArray:
    """The model's expected population by month and stratum, without Monte Carlo noise.

    The same recurrence as :func:`simulate` on expected counts (releases are ``count × hazard``,
    receptions their Poisson mean) with the calibrated growth rate and no time-served noise:
    deterministic, so the backtest does not depend on the seed or the number of runs.
    """
    counts = model.initial_stock[:, None] * model.initial_ages
    out = np.empty((model.horizon, len(STRATA)))
    for t in range(model.horizon):
        counts = counts * (1.0 - model.hazard[t])
        last = counts[:, -1].copy()
        counts[:, 1:] = counts[:, :-1]
        counts[:, -1] += last
        counts[:, 0] = model.receptions[t] * (1.0 + model.growth) ** ((t + 1) / 12.0)
        out[t] = counts.sum(axis=1)
    return out


def expected_total(model: PrisonModel) -> FloatArray:
    """The expected total population by month (:func:`expected_population` summed)."""
    out: FloatArray = expected_population(model).sum(axis=1)
    return out


# ------------------------------------------------------------------ summaries


def summarise_total(sim: Simulation, scenario: str) -> pd.DataFrame:
    """One row per month: ``month, scenario, population_mean, population_p05, population_p95``
    (the ``commission demand prison`` interface)."""
    total = sim.total.astype(np.float64)
    return pd.DataFrame(
        {
            "month": sim.months,
            "scenario": scenario,
            "population_mean": total.mean(axis=0).round(1),
            "population_p05": np.percentile(total, 5, axis=0).round(1),
            "population_p95": np.percentile(total, 95, axis=0).round(1),
        }
    )


def summarise_bands(sim: Simulation, scenario: str) -> pd.DataFrame:
    """Mean population, receptions and releases by month, band and sex."""
    rows = []
    pop = sim.population.mean(axis=0)
    rec = sim.receptions.mean(axis=0)
    rel = sim.releases.mean(axis=0)
    for i, (band, sex) in enumerate(STRATA):
        rows.append(
            pd.DataFrame(
                {
                    "month": sim.months,
                    "scenario": scenario,
                    "band": band,
                    "sex": sex,
                    "population_mean": pop[:, i].round(1),
                    "receptions_mean": rec[:, i].round(1),
                    "releases_mean": rel[:, i].round(1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def by_function(
    sim: Simulation, allocation: Mapping[str, Mapping[str, float]], scenario: str
) -> pd.DataFrame:
    """Population by month, establishment function and sex (mean, p05, p95 over runs).

    Men in each band are shared out by ``allocation`` (demand.prison_function_allocation);
    women are all in the female estate.
    """
    allocation = _band_mapping(allocation, "demand.prison_function_allocation")
    functions = sorted({f for shares in allocation.values() for f in shares} | {"female"})
    matrix = np.zeros((len(STRATA), len(functions)))
    for i, (band, sex) in enumerate(STRATA):
        if sex == "female":
            matrix[i, functions.index("female")] = 1.0
            continue
        shares = allocation[band]
        total = sum(float(v) for v in shares.values())
        for f, v in shares.items():
            matrix[i, functions.index(f)] = float(v) / total
    held = sim.population.astype(np.float64) @ matrix  # (runs, months, functions)
    frames = []
    for j, f in enumerate(functions):
        frames.append(
            pd.DataFrame(
                {
                    "month": sim.months,
                    "scenario": scenario,
                    "function": f,
                    "sex": "female" if f == "female" else "male",
                    "population_mean": held[:, :, j].mean(axis=0).round(1),
                    "population_p05": np.percentile(held[:, :, j], 5, axis=0).round(1),
                    "population_p95": np.percentile(held[:, :, j], 95, axis=0).round(1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def band_shares(sim: Simulation, month: str) -> dict[str, float]:
    """Mean share of the population in each band at a projected month."""
    try:
        t = sim.months.index(month)
    except ValueError:
        raise DemandError(
            f"{month} is outside the projection ({sim.months[0]}-{sim.months[-1]})"
        ) from None
    pop = sim.population[:, t].mean(axis=0)
    total = pop.sum()
    return {b: float(sum(pop[i] for i, (bb, _) in enumerate(STRATA) if bb == b) / total)
            for b in BANDS}


def june_values(frame: pd.DataFrame) -> dict[int, float]:
    """The June means of a total projection, keyed by year."""
    june = frame[frame["month"].str.endswith("-06")]
    return {int(m[:4]): float(v) for m, v in zip(june["month"], june["population_mean"],
                                                 strict=True)}


def strata_labels() -> Sequence[tuple[str, str]]:
    return STRATA
