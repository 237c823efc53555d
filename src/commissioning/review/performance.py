"""Provider performance: indicators defined as configuration and ratings in four bands.

Each indicator (``indicators.yaml`` in this package, or the user's own file) is scored 1-4 from
three cut-offs ordered best to worst; a provider's rating is the weighted mean of the scores of
the indicators it has, banded by the ``review.performance_bands`` parameter (the four levels of
the NOMS rating system). A missing indicator is left out of the mean and named in the method,
never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from commissioning.policy.parameters import Policy

INDICATORS_FILE = Path(__file__).parent / "indicators.yaml"
KINDS = ("reoffending_impact", "headline", "input")


@dataclass(frozen=True)
class Indicator:
    """One indicator: id, name, kind, better direction, 1-4 cut-offs and weight."""

    id: str
    name: str
    kind: str
    better: str
    cutoffs: tuple[float, float, float]
    weight: float

    def score(self, values: pd.Series) -> pd.Series:
        """Score 4 (best) to 1 per value; missing stays missing."""
        v = values.astype(float)
        c1, c2, c3 = self.cutoffs
        if self.better == "lower":
            s = np.select([v <= c1, v <= c2, v <= c3], [4.0, 3.0, 2.0], 1.0)
        else:
            s = np.select([v >= c1, v >= c2, v >= c3], [4.0, 3.0, 2.0], 1.0)
        return pd.Series(np.where(v.isna(), np.nan, s), index=values.index)


@dataclass(frozen=True)
class Bands:
    """Lowest mean scores of bands 4, 3 and 2, and the four labels."""

    band_4_from: float
    band_3_from: float
    band_2_from: float
    labels: Mapping[int, str]

    @classmethod
    def from_policy(cls, policy: Policy) -> Bands:
        return policy.load(cls, "review.performance_bands")

    def band(self, score: float) -> int:
        if score >= self.band_4_from:
            return 4
        if score >= self.band_3_from:
            return 3
        return 2 if score >= self.band_2_from else 1


def load_indicators(path: Path = INDICATORS_FILE) -> list[Indicator]:
    """Read and check an indicators file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), dict):
        raise ValueError(f"{path}: an indicators file has a mapping `indicators: {{id: ...}}`")
    out = []
    for iid, spec in raw["indicators"].items():
        where = f"{path}: indicator {iid}"
        if spec.get("kind") not in KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if spec.get("better") not in ("lower", "higher"):
            raise ValueError(f"{where}: better must be 'lower' or 'higher'")
        cuts = [float(c) for c in spec.get("cutoffs", [])]
        ordered = cuts == sorted(cuts) if spec["better"] == "lower" else cuts == sorted(cuts)[::-1]
        if len(cuts) != 3 or not ordered:
            raise ValueError(f"{where}: cutoffs must be three numbers ordered from best to worst")
        out.append(Indicator(str(iid), str(spec["name"]), spec["kind"], spec["better"],
                             (cuts[0], cuts[1], cuts[2]), float(spec.get("weight", 1))))
    return out


@dataclass(frozen=True)
class Ratings:
    """Scores and bands per provider, and the method in words."""

    table: pd.DataFrame
    method: str


def rate_providers(
    values: pd.DataFrame, indicators: list[Indicator], bands: Bands, by: str = "provider_id"
) -> Ratings:
    """Score every indicator column present in ``values`` and band the weighted mean."""
    table = values.copy()
    used = [i for i in indicators if i.id in values]
    skipped = [i.id for i in indicators if i.id not in values]
    if not used:
        raise ValueError("no indicator values to rate: give at least one indicator column")
    scores = pd.DataFrame({i.id: i.score(values[i.id]) for i in used}, index=values.index)
    weights = np.array([i.weight for i in used])
    present = scores.notna().to_numpy()
    total = (scores.fillna(0).to_numpy() * weights).sum(axis=1)
    w = (present * weights).sum(axis=1)
    mean = np.divide(total, w, out=np.full_like(total, np.nan), where=w > 0)
    for i in used:
        table[f"{i.id}_score"] = scores[i.id]
    table["mean_score"] = mean
    table["band"] = [bands.band(m) if not np.isnan(m) else pd.NA for m in mean]
    table["band_label"] = [bands.labels.get(int(b), "") if b is not pd.NA else ""
                           for b in table["band"]]
    method = (
        "Each indicator scored 1-4 by its cut-offs ("
        + "; ".join(f"{i.id}: {i.better} is better, cut-offs {list(i.cutoffs)}, weight "
                    f"{i.weight:g}" for i in used)
        + f"); rating = weighted mean score, band 4 from {bands.band_4_from:g}, 3 from "
        f"{bands.band_3_from:g}, 2 from {bands.band_2_from:g}."
        + (f" Not rated (no data): {', '.join(skipped)}." if skipped else "")
    )
    return Ratings(table.sort_values(by).reset_index(drop=True), method)


def indicator_values(
    adjusted: pd.DataFrame,
    summary: pd.DataFrame,
    interventions: pd.DataFrame | None = None,
    costs: pd.DataFrame | None = None,
    by: str = "provider_id",
) -> pd.DataFrame:
    """Indicator values per provider from the review's own outputs.

    ``adjusted`` from :func:`commissioning.review.adjusted.adjusted_rates`, ``summary`` from
    :func:`commissioning.review.proven.summarise` by provider, ``interventions`` the
    interventions table (completion), ``costs`` a table of ``provider_id, cost`` (unit cost).
    """
    v = adjusted[[by, "cohort_size", "actual_to_expected"]].rename(
        columns={"actual_to_expected": "adjusted_reoffending_ratio"}
    )
    v = v.merge(summary[[by, "frequency_per_offender"]], on=by, how="left")
    if interventions is not None and len(interventions):
        done = interventions.groupby(by)["completed"].mean().rename("completion_rate")
        v = v.merge(done.reset_index(), on=by, how="left")
    if costs is not None:
        c = costs[[by, "cost"]].copy()
        v = v.merge(c, on=by, how="left")
        v["unit_cost"] = v["cost"].astype(float) / v["cohort_size"]
        v = v.drop(columns=["cost"])
    return v
