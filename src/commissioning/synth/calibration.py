"""Calibration targets (Tables 1-2) and exact quota allocation for the synthetic assessments.

The published risk profile gives, per setting and offence group, each tier's share and, within
each tier, the shares under 25 and female; the need table gives the six commonest needs per
setting and offence group. The generator turns these into exact record counts for a block of
records by largest-remainder rounding, so a block's profile reproduces the targets up to
rounding; everything else about a record is drawn from a model (see :mod:`.history`).

Published shares are whole percentages and do not always sum to 100 (custody violence 99, custody
other 97). The shortfall is spread equally over the group's rows, which keeps every row as close
to its published value as possible (custody other: +0.75 pp each).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from commissioning.policy.parameters import Policy
from commissioning.schema.contract import NEED_CODES, OFFENCE_GROUPS, RISK_TIERS, SETTINGS

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TierRow:
    """One row of the published risk profile (possibly several merged tiers)."""

    setting: str
    offence_group: str
    tiers: tuple[str, ...]
    share_pct: float
    under_25_pct: float
    female_pct: float


@dataclass(frozen=True)
class NeedTarget:
    """A listed need prevalence of a setting and offence group."""

    setting: str
    offence_group: str
    need: str
    prevalence_pct: float


def _published(name: str) -> list[dict[str, str]]:
    ref = resources.files("commissioning.data").joinpath("published").joinpath(name)
    with ref.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def risk_profile_targets() -> list[TierRow]:
    """The published risk profile (Tables 1-2), merged rows kept as one row."""
    rows: list[TierRow] = []
    for i, r in enumerate(_published("risk_profile.csv"), start=2):
        tiers = tuple(r["risk_tier"].split("+"))
        bad = [t for t in tiers if t not in RISK_TIERS]
        if bad or r["setting"] not in SETTINGS or r["offence_group"] not in OFFENCE_GROUPS:
            raise ValueError(f"risk_profile.csv row {i}: unknown setting, group or tier in {r}")
        rows.append(
            TierRow(
                r["setting"],
                r["offence_group"],
                tiers,
                float(r["share_pct"]),
                float(r["under_25_pct"]),
                float(r["female_pct"]),
            )
        )
    return rows


def need_targets() -> list[NeedTarget]:
    """The published listed need prevalences (six per setting and offence group)."""
    out: list[NeedTarget] = []
    for i, r in enumerate(_published("need_prevalence.csv"), start=2):
        if r["need"] not in NEED_CODES:
            raise ValueError(f"need_prevalence.csv row {i}: unknown need {r['need']!r}")
        out.append(
            NeedTarget(r["setting"], r["offence_group"], r["need"], float(r["prevalence_pct"]))
        )
    return out


def largest_remainder(total: int, weights: Sequence[float] | npt.NDArray[Any]) -> IntArray:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method).

    Ties in the remainders go to the earlier position, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or w.size == 0 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"cannot split {total} by weights {w.tolist()}")
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:short]] += 1
    return np.asarray(base, dtype=np.int64)


def adjusted_shares(rows: Sequence[TierRow]) -> list[float]:
    """Row shares of one group, the shortfall from 100 spread equally over the rows."""
    gap = 100.0 - sum(r.share_pct for r in rows)
    return [r.share_pct + gap / len(rows) for r in rows]


@dataclass(frozen=True)
class Cells:
    """Per-record latent segment of a block, before any OGRS3 input is drawn."""

    setting: IntArray  # index into SETTINGS
    offence_group: IntArray  # index into OFFENCE_GROUPS
    tier: IntArray  # index into RISK_TIERS
    female: npt.NDArray[np.bool_]
    under_25: npt.NDArray[np.bool_]


def setting_sizes(n: int, policy: Policy) -> dict[str, int]:
    """Records per setting: the document's sample split (206,670 : 10,826) applied to ``n``."""
    sample: Mapping[str, int] = policy.value("synth.sample_size")
    sizes = largest_remainder(n, [float(sample[s]) for s in SETTINGS])
    return {s: int(k) for s, k in zip(SETTINGS, sizes, strict=True)}


def allocate_cells(
    n: int, policy: Policy, rng: np.random.Generator
) -> Cells:
    """Exact quotas for a block of ``n`` records: setting, group, tier, sex and under-25.

    Within each published row: tier counts by largest remainder of the (adjusted) shares,
    merged rows split by ``synth.merged_tier_split``; then ``round(female_pct x rows)`` women and
    ``round(under_25_pct x rows)`` under-25s, crossed in proportion (independence within the row).
    """
    group_split: Mapping[str, Mapping[str, float]] = policy.value("synth.offence_group_split")
    merged: Mapping[str, Any] = policy.value("synth.merged_tier_split")
    targets = risk_profile_targets()
    parts: list[tuple[int, int, int, bool, bool, int]] = []
    for s_i, (setting, n_setting) in enumerate(setting_sizes(n, policy).items()):
        split = group_split[setting]
        group_n = largest_remainder(n_setting, [float(split[g]) for g in OFFENCE_GROUPS])
        for g_i, group in enumerate(OFFENCE_GROUPS):
            rows = [r for r in targets if r.setting == setting and r.offence_group == group]
            row_n = largest_remainder(int(group_n[g_i]), adjusted_shares(rows))
            for row, k in zip(rows, row_n, strict=True):
                k = int(k)
                females = round(row.female_pct * k / 100.0)
                under = round(row.under_25_pct * k / 100.0)
                female_under = round(females * under / k) if k else 0
                combos = (
                    (True, True, female_under),
                    (True, False, females - female_under),
                    (False, True, under - female_under),
                    (False, False, k - females - under + female_under),
                )
                if len(row.tiers) == 1:
                    tier_n = {row.tiers[0]: k}
                    for fem, u25, c in combos:
                        parts.append((s_i, g_i, RISK_TIERS.index(row.tiers[0]), fem, u25, c))
                    continue
                fractions = merged[setting][group]["+".join(row.tiers)]
                weights = [float(fractions[t]) for t in row.tiers]
                for fem, u25, c in combos:
                    tier_n = dict(zip(row.tiers, largest_remainder(c, weights), strict=True))
                    for t, c_t in tier_n.items():
                        parts.append((s_i, g_i, RISK_TIERS.index(t), fem, u25, int(c_t)))
    counts = np.array([p[5] for p in parts], dtype=np.int64)
    if np.any(counts < 0):
        raise ValueError("quota allocation produced a negative count; check the published shares")

    def rep(j: int) -> IntArray:
        return np.repeat(np.array([p[j] for p in parts], dtype=np.int64), counts)

    order = rng.permutation(int(counts.sum()))
    return Cells(
        setting=rep(0)[order],
        offence_group=rep(1)[order],
        tier=rep(2)[order],
        female=rep(3)[order].astype(bool),
        under_25=rep(4)[order].astype(bool),
    )
