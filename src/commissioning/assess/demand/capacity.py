"""Capacity: the 2011 estate, commissioned places by sector, and headroom against projections.

The estate is the reference data's prisons open on 31 March 2011
(:func:`commissioning.reference.providers.establishments_table`: operator, function, sex, security
category). Operational capacity is not in the reference data, so each establishment gets the
capacity of ``demand.establishment_capacity`` for its function (an assumption with its
reasoning), scaled by sector so that the totals are the document's commissioned places
(``demand.commissioned_places``: about 90,000, 76,000 public including 6,300 in the High
Security Estate). A capacity the user supplies (the workspace's ``operational_capacity`` or a
``provider_id, operational_capacity`` file) is kept as given and only the assumed ones are
scaled to fill the rest.

Headroom is places minus the projected population, by month, function and sex. Each cell
carries the probability of a shortfall, P(population > places), from the empirical error
distribution of the headline forecast (the errors it made on past origins, known at the
projection origin; :class:`commissioning.assess.demand.backtest.ErrorQuantiles`) — the same
distribution the projection's intervals are read from, so a cell whose places lie on the 90%
interval's upper bound has a probability of shortfall of 5% — assuming each function keeps
its projected share of the total. A cell is flagged ``over`` only when that probability exceeds
``demand.capacity_flags.shortfall_probability``, and ``tight`` when the probability of the
population exceeding the places less ``tight_margin`` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from commissioning.assess.demand.backtest import ErrorQuantiles, scale
from commissioning.assess.demand.prison import DemandError
from commissioning.policy.parameters import Policy
from commissioning.reference.providers import establishments_table

ESTATE_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "name",
    "operator",
    "sector",
    "function",
    "function_group",
    "sex",
    "security_category",
    "places",
    "places_source",
)
HEADROOM_COLUMNS: tuple[str, ...] = (
    "month",
    "scenario",
    "function",
    "sex",
    "places",
    "population_mean",
    "population_p95",
    "headroom",
    "headroom_pct",
    "p_shortfall",
    "p_tight",
    "flag",
)


def read_capacities(path_or_frame: pd.DataFrame, source: str = "capacity file") -> pd.Series:
    """User capacities: ``provider_id, operational_capacity`` (whole places, > 0)."""
    frame = path_or_frame
    for col in ("provider_id", "operational_capacity"):
        if col not in frame.columns:
            raise DemandError(
                f"{source}: missing column {col}; a capacity file has the columns "
                "provider_id, operational_capacity"
            )
    places = pd.to_numeric(frame["operational_capacity"], errors="coerce")
    bad = frame.index[places.isna() | (places <= 0)]
    if len(bad):
        raise DemandError(
            f"{source}: row {int(bad[0]) + 2}, column operational_capacity: "
            f"{frame['operational_capacity'].iloc[bad[0]]!r} is not a positive number of places"
        )
    return pd.Series(places.to_numpy(), index=frame["provider_id"].astype(str))


def estate(
    policy: Policy,
    establishments: pa.Table | pd.DataFrame | None = None,
    capacities: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per establishment with its function group, sex, sector and places."""
    table = establishments if establishments is not None else establishments_table(policy)
    frame = table.to_pandas() if isinstance(table, pa.Table) else table.copy()
    spec = policy.value("demand.establishment_capacity")
    places_spec = policy.value("demand.commissioned_places")
    by_function = {str(k): float(v) for k, v in spec["by_function"].items()}
    groups = {str(k): str(v) for k, v in spec["function_groups"].items()}
    function = frame["function"].fillna("unknown").astype(str)
    frame["function"] = function
    frame["function_group"] = function.map(lambda f: groups.get(f, f))
    frame["sex"] = frame["function_group"].map(lambda f: "female" if f == "female" else "male")
    frame["sector"] = frame["operator"].map(lambda o: "public" if o == "public" else "contracted")
    if "operational_capacity" in frame.columns:
        given = pd.Series(
            pd.to_numeric(frame["operational_capacity"], errors="coerce"), index=frame.index
        )
    else:
        given = pd.Series(float("nan"), index=frame.index)
    if capacities is not None:
        given = frame["provider_id"].astype(str).map(capacities).astype(float).fillna(given)
    assumed = function.map(lambda f: by_function.get(f, by_function.get("unknown", 0.0)))
    frame["places_source"] = given.notna().map({True: "given", False: "assumed, scaled"})
    places = given.fillna(0.0).astype(float)
    hse = frame["function_group"] == "high_security"
    targets = {
        "hse": (frame["sector"].eq("public") & hse, float(places_spec["high_security"])),
        "public": (
            frame["sector"].eq("public") & ~hse,
            float(places_spec["public"]) - float(places_spec["high_security"]),
        ),
        "contracted": (
            frame["sector"].eq("contracted"),
            float(places_spec["total"]) - float(places_spec["public"]),
        ),
    }
    for mask, target in targets.values():
        fill = mask & given.isna()
        room = target - float(places[mask & given.notna()].sum())
        base = float(assumed[fill].sum())
        if base > 0 and room > 0:
            scaled = assumed[fill] * room / base
            rounded = scaled.round(0)
            # Put the rounding remainder on the largest establishment so totals are exact.
            if len(rounded):
                top = int(np.argmax(scaled.to_numpy()))
                rounded.iloc[top] += round(float(scaled.sum() - rounded.sum()))
            places[fill] = rounded
    frame["places"] = places.round(0).astype("int64")
    return frame[list(ESTATE_COLUMNS)].sort_values(["function_group", "name"], ignore_index=True)


def capacity_by_function(estate_frame: pd.DataFrame) -> pd.DataFrame:
    """Places by function group and sex, and by sector."""
    out = estate_frame.groupby(["function_group", "sex"], as_index=False).agg(
        establishments=("provider_id", "count"), places=("places", "sum")
    )
    return out.rename(columns={"function_group": "function"})


def shortfall_probability(
    mean: np.ndarray, places: np.ndarray, horizon: np.ndarray,
    errors: np.ndarray | ErrorQuantiles,
) -> np.ndarray:
    """P(population > places) when the population is ``mean × exp(e)`` and ``e`` is the
    headline forecast's log error at that horizon (empirical).

    ``errors``: the :class:`~commissioning.assess.demand.backtest.ErrorQuantiles` of the
    projection (by years ahead, continuous in between; the distribution the intervals are
    read from), or a plain array of every horizon's errors scaled to one year, drawn
    × ``sqrt(t)``. No errors: 1 where the mean exceeds the places, 0 elsewhere."""
    mean = np.asarray(mean, dtype=float)
    places = np.asarray(places, dtype=float)
    t = np.asarray(horizon, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(places / mean)
    if isinstance(errors, ErrorQuantiles):
        p = errors.exceedance(t, np.nan_to_num(log_ratio, nan=np.inf, posinf=np.inf))
    else:
        e = np.sort(np.asarray(errors, dtype=float))
        if len(e) == 0:
            return np.where(mean > places, 1.0, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            threshold = log_ratio / scale(t)
        p = (len(e) - np.searchsorted(e, threshold, side="right")) / len(e)
    return np.where(places <= 0, np.where(mean > 0, 1.0, 0.0), p)


def headroom(
    projection_by_function: pd.DataFrame,
    capacity: pd.DataFrame,
    policy: Policy,
    errors: np.ndarray | ErrorQuantiles | None = None,
) -> pd.DataFrame:
    """Places minus projected population by month, function and sex, with the probability of
    a shortfall and flags; rows with ``function == "all"`` are the national totals.

    ``errors`` are the projection's error distribution
    (:attr:`~commissioning.assess.demand.pipeline.PrisonResult.error_quantiles`; see
    :func:`shortfall_probability`); without them
    the probability is 1 where the mean exceeds the places and 0 elsewhere.
    """
    spec = policy.value("demand.capacity_flags")
    margin = float(spec["tight_margin"])
    chosen = float(spec["shortfall_probability"])
    proj = projection_by_function.merge(capacity, on=["function", "sex"], how="left")
    proj["places"] = proj["places"].fillna(0).astype(float)
    total = proj.groupby(["month", "scenario"], as_index=False).agg(
        population_mean=("population_mean", "sum"),
        population_p95=("population_p95", "sum"),
        places=("places", "sum"),
        horizon_years=("horizon_years", "first"),
    )
    # The p95 of a sum is not the sum of p95s: the national p95 is an upper bound here.
    total = total.assign(function="all", sex="all")
    frame = pd.concat([proj, total], ignore_index=True)
    frame["headroom"] = (frame["places"] - frame["population_mean"]).round(0)
    frame["headroom_pct"] = (
        frame["headroom"] / frame["places"].where(frame["places"] > 0) * 100
    ).round(1)
    err: np.ndarray | ErrorQuantiles = (
        errors if isinstance(errors, ErrorQuantiles) else
        np.asarray(errors if errors is not None else [], dtype=float))
    mean = frame["population_mean"].to_numpy(float)
    h = frame["horizon_years"].to_numpy(float)
    places = frame["places"].to_numpy(float)
    frame["p_shortfall"] = shortfall_probability(mean, places, h, err).round(3)
    frame["p_tight"] = shortfall_probability(mean, places * (1 - margin), h, err).round(3)
    frame["flag"] = "ok"
    frame.loc[frame["p_tight"] > chosen, "flag"] = "tight"
    frame.loc[frame["p_shortfall"] > chosen, "flag"] = "over"
    frame["places"] = frame["places"].round(0).astype("int64")
    return frame[list(HEADROOM_COLUMNS)]


def flags_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """For each scenario, function and sex flagged at least once: first month flagged, months
    over and tight, and the worst headroom."""
    flagged = frame[frame["flag"] != "ok"]
    if flagged.empty:
        return pd.DataFrame(
            columns=["scenario", "function", "sex", "first_month", "months_over",
                     "months_tight", "worst_headroom", "max_p_shortfall"]
        )
    return (
        flagged.groupby(["scenario", "function", "sex"], as_index=False)
        .agg(
            first_month=("month", "min"),
            months_over=("flag", lambda f: int((f == "over").sum())),
            months_tight=("flag", lambda f: int((f == "tight").sum())),
            worst_headroom=("headroom", "min"),
            max_p_shortfall=("p_shortfall", "max"),
        )
        .sort_values(["scenario", "worst_headroom"], ignore_index=True)
    )
