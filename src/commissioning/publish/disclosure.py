"""Statistical disclosure control for published profiles: small-cell suppression.

Primary suppression: a count of people from 1 to ``threshold - 1`` is withheld, with every
figure derived from it. A percentage of a cell is withheld when the people it counts, or the
people it does not (the complement), number 1 to ``threshold - 1`` — e.g. "98% female" of 100
reveals two men. Secondary suppression stops recovery by subtraction: along every line of cells
that adds up to a published or derivable total (the tiers of an offence group, whose total
follows from any shown count and share; and, with ``by`` columns, the same segment across
providers or regions, whose total is the unsplit national profile) a line never has exactly one
withheld cell: the smallest other non-zero cell (or, failing that, a zero cell) is withheld
too, repeated until stable. A line of a single cell (a ``by`` value alone in its segment) cannot
be protected this way: publish such splits only with the national profile withheld.

Withheld values become missing (NA) and are written as ``*``. Zero counts are shown.
Reference: Government Statistical Service, *Statistical disclosure control for tables*;
DATA_MODEL.md, "Personal data".

This module is the product's one disclosure rule: the report, every CSV and XLSX export, the
web pages and the API call it (docs/disclosure.md). Rates of a group (proven reoffending,
adjusted rates, performance results) follow :func:`withhold_rates`: every figure of a row is
withheld when its people, its events (e.g. reoffenders) or its non-events number 1 to
threshold - 1. The threshold is the dated parameter ``disclosure.small_cell_threshold`` under
the workspace's policy (:func:`small_cell_threshold`); a provider is rated only with at least
``review.rating_minimum_cohort`` people (:func:`rating_minimum`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from commissioning.io.exports import (  # noqa: F401  (re-exported: one disclosure module)
    INTERNAL_MARK,
    INTERNAL_NOTE,
    INTERNAL_SUFFIX,
    internal_path,
)
from commissioning.policy.parameters import Policy

SUPPRESSED = "*"
#: Raw counts used for suppression decisions and dropped from what is published.
RAW_RISK_COUNTS = ("under_25", "female", "group_offenders")
RAW_NEED_COUNTS = ("assessed",)


#: The dated parameter holding the threshold (policy/parameters/disclosure.yaml).
THRESHOLD_PARAMETER = "disclosure.small_cell_threshold"


def small_cell_threshold(policy: Policy) -> int:
    """The threshold in force on ``when`` under ``params`` (with the workspace's overrides)."""
    return int(policy.value(THRESHOLD_PARAMETER))


def is_small_count(count: float, threshold: int) -> bool:
    """True when one count of people is disclosive: 1 to threshold - 1 (zero is shown)."""
    return bool(0 < count < threshold)


def withheld_share(part: float, total: float, threshold: int) -> bool:
    """True when a share ``part / total`` must be withheld: the people it counts, or those it
    does not (the complement), number 1 to threshold - 1."""
    return is_small_count(part, threshold) or is_small_count(total - part, threshold)


#: The dated parameter holding the smallest cohort a provider is rated on.
RATING_MINIMUM_PARAMETER = "review.rating_minimum_cohort"
def rating_minimum(policy: Policy) -> int:
    """The fewest people a provider is rated on (never fewer than the small-cell threshold)."""
    return max(int(policy.value(RATING_MINIMUM_PARAMETER)),
               small_cell_threshold(policy))


def published_figure(value: Any, people: int | None, threshold: int) -> Any:
    """``value``, or ``*`` when it rests on 1 to threshold - 1 people (zero is shown)."""
    if people is not None and is_small_count(people, threshold):
        return SUPPRESSED
    return value


def withhold_rates(
    frame: pd.DataFrame,
    threshold: int,
    columns: Sequence[str],
    people: str = "cohort_size",
    events: str | None = "reoffenders",
) -> pd.DataFrame:
    """Withhold ``columns`` of every row whose people, events or non-events are small.

    A rate of 2 reoffenders in 40 reveals those two; 38 of 40 reveals the two who did not.
    Counts of zero are shown. Returns a copy with the withheld cells missing (NA).
    """
    out = frame.copy()
    n = pd.to_numeric(out[people])
    small = is_small(n, threshold)
    if events is not None and events in out.columns:
        e = pd.to_numeric(out[events])
        small = small | is_small(e, threshold) | is_small(n - e, threshold)
    for col in columns:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col]).astype("Float64").mask(small.to_numpy())
    return out


def is_small(count: pd.Series, threshold: int) -> pd.Series:
    """True where a count of people is disclosive: 1 to threshold - 1."""
    return (count > 0) & (count < threshold)


def _secondary(
    frame: pd.DataFrame, withheld: pd.Series, count_col: str, lines: Sequence[Sequence[str]]
) -> pd.Series:
    """Extend ``withheld`` so no line (rows sharing the line's key columns) has exactly one."""
    withheld = withheld.copy()
    counts = frame[count_col]
    changed = True
    while changed:
        changed = False
        for keys in lines:
            if not keys:
                continue
            n_withheld = withheld.groupby([frame[k] for k in keys]).transform("sum")
            lonely = withheld & (n_withheld == 1)
            if not lonely.any():
                continue
            by: str | list[str] = keys[0] if len(keys) == 1 else list(keys)
            for idx in frame[lonely].groupby(by).groups.values():
                row = frame.loc[idx[0], list(keys)]
                mask = np.ones(len(frame), dtype=bool)
                for k in keys:
                    mask &= (frame[k] == row[k]).to_numpy()
                open_cells = mask & ~withheld.to_numpy()
                candidates = counts[open_cells & (counts > 0).to_numpy()]
                if candidates.empty:
                    # only zeros left: withholding one still hides which cell is non-zero
                    candidates = counts[open_cells]
                if candidates.empty:
                    continue
                withheld.loc[candidates.idxmin()] = True
                changed = True
    return withheld


def suppress_risk_profile(risk: pd.DataFrame, by: Sequence[str], threshold: int) -> pd.DataFrame:
    """Withhold small cells of a risk profile (see the module docstring).

    Expects the raw columns ``offenders``, ``under_25``, ``female`` beside the percentages.
    """
    out = risk.copy()
    group_keys = [*by, "setting", "offence_group"]
    lines: list[list[str]] = [group_keys]
    if by:
        lines.append(["setting", "offence_group", "risk_tier"])
    withheld = is_small(out["offenders"], threshold)
    withheld = _secondary(out, withheld, "offenders", lines)
    out["offenders"] = out["offenders"].astype("Int64").mask(withheld)
    out["share_pct"] = out["share_pct"].astype("Float64").mask(withheld)
    n = risk["offenders"]
    for pct, count in (("under_25_pct", "under_25"), ("female_pct", "female")):
        small = is_small(risk[count], threshold) | is_small(n - risk[count], threshold)
        out[pct] = out[pct].astype("Float64").mask(withheld | small)
    # the raw counts behind the percentages are never published
    return out.drop(columns=[c for c in RAW_RISK_COUNTS if c in out.columns])


def suppress_need_profile(need: pd.DataFrame, by: Sequence[str], threshold: int) -> pd.DataFrame:
    """Withhold small cells of a need profile: counts with or without the need, and lines."""
    out = need.copy()
    with_need = need["offenders_with_need"]
    withheld = is_small(with_need, threshold) | is_small(need["assessed"] - with_need, threshold)
    if by:
        withheld = _secondary(
            out, withheld, "offenders_with_need", [["setting", "offence_group", "need"]]
        )
    out["offenders_with_need"] = out["offenders_with_need"].astype("Int64").mask(withheld)
    out["prevalence_pct"] = out["prevalence_pct"].astype("Float64").mask(withheld)
    return out.drop(columns=[c for c in RAW_NEED_COUNTS if c in out.columns])


def to_published_csv(frame: pd.DataFrame, columns: Sequence[str], decimals: int = 2) -> str:
    """CSV text with withheld cells written as ``*`` and percentages rounded."""
    view = frame[list(columns)].copy()
    for col in view.columns:
        if col.endswith("_pct"):
            view[col] = view[col].round(decimals)
    return view.to_csv(index=False, na_rep=SUPPRESSED)
